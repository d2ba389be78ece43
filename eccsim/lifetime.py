"""Lifetime reliability: DRAM faults arriving over years at field FIT rates, with patrol scrubbing,
decided by decoding the error patterns they leave with the configured code(s).

**Configurations** are memory systems (:mod:`eccsim.system`: ``RANK@MODULE[+ondie=CODE]``) or
``none@MODULE`` — no ECC: the module's data chips only, every wrong data bit is silent.

**Trials.** Each trial is one memory system over ``years`` (default 7). Faults arrive as a
Poisson process at ``devices * FIT * 1e-9`` per hour (:mod:`eccsim.faults.field`): a uniformly
random device (rank, chip), a mode by its FIT share, transient or permanent, at a uniformly
random bank / row / column / beat / pin. Transient faults are gone at the next scrub (every
``scrub_hours``; with no scrub they stay), permanent ones stay.

**Deciding an arrival.** When a fault arrives, the lines it makes unreliable are grouped: the
lines it touches alone, and for every fault still active in the same rank whose region overlaps
it, the shared lines (faults of three or more chips in one line are treated pairwise, a rare
case). Every line of a group holds the same kind of error: fixed bits (a ``bit`` fault's cell)
and random bits (the rest of a region, data unknown: each bit wrong with probability 1/2). The
outcome of such a line is computed by decoding: for rank-level codes, every pattern of the
random bits of each codeword is enumerated and classified by the real decoder tables (exact;
over 2**16 patterns per codeword they are sampled, 2**16 of them, and a result says so); for
on-die + rank-level systems the line goes through the two-level pipeline
(:meth:`eccsim.system.MemorySystem.decode_errors`) with the patterns enumerated when there are
at most 2**12 and sampled (4096, seeded by the line's kind) otherwise. With per-line failure
probabilities ``q`` over ``M`` lines, the arrival causes a failure with probability
``1 - prod (1 - q)^M``; one uniform number per fault decides it (SDC when it falls below the SDC
share, else DUE), so configurations that see the same faults (common random numbers: same
chips, width and burst) are compared on the very same draws.

**Records.** Per trial the time of the first DUE and of the first SDC; results are the
fractions of trials with a DUE, an SDC, or either by each time of a grid, with intervals.
Reproducible: block ``b`` of 4096 trials draws from ``SeedSequence(seed, spawn_key=(stream,
b))``, whatever the chunking.
"""

from __future__ import annotations

import math
import sys
import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .analysis import classify_patterns
from .errors import InputError, LimitError, ModuleError
from .faults.device import DevicePatterns
from .faults.field import MODES, FitTable
from .faults.patterns import FaultPatterns
from .module import ModuleGeometry, get_module
from .outcomes import DUE, SDC_MISCORRECTED, SDC_UNDETECTED
from .status import STATUS_UNCORRECTABLE
from .system import MemorySystem, _flip_patterns, get_system
from .validate import require_int, require_number

HOURS_PER_YEAR = 8766.0  #: 365.25 days
#: most expected faults per trial (a rank set of up to 64 chips) a spec may ask for: each
#: arrival is checked against every active fault, so the work grows with their square
MAX_EXPECTED_FAULTS = 1000
BLOCK = 4096  #: trials per seeded block
ALL = -1  #: a region dimension that covers every value
#: per codeword, random bits enumerated up to 2**ENUM_BITS patterns, else sampled
ENUM_BITS = 16
SAMPLE_PATTERNS = 1 << 16
#: two-level (on-die) lines: enumerated up to 2**12 patterns, else this many samples
LINE_SAMPLES = 4096

# mode -> which region dimensions are one value (True) or every value (False):
# (rank, bank, row, column, beat), and whether the fault is one fixed cell
_REGION = {
    "bit": ((True, True, True, True, True), True),
    "word": ((True, True, True, True, False), False),
    "column": ((True, True, False, True, True), False),
    "row": ((True, True, True, False, False), False),
    "bank": ((True, True, False, False, False), False),
    "multi-bank": ((True, False, False, False, False), False),
    "multi-rank": ((False, False, False, False, False), False),
}


@dataclass(frozen=True)
class DramGeometry:
    """The address space behind a module: ``ranks`` of its chips, ``banks`` x ``rows`` per
    chip, and ``lines_per_row`` bursts per row (column addresses / burst length)."""

    ranks: int = 1
    banks: int = 16
    rows: int = 131072
    lines_per_row: int = 128

    def __post_init__(self) -> None:
        for f in ("ranks", "banks", "rows", "lines_per_row"):
            require_int(f, getattr(self, f), 1, 1 << 24, error=InputError)

    @classmethod
    def for_module(cls, module: ModuleGeometry, ranks: int = 1) -> DramGeometry:
        """DDR4-like 8 Gb chips for burst 8 (16 banks, 128 K rows, 128 bursts a row); DDR5-like
        for burst 16 (32 banks, 64 K rows, 64 bursts a row)."""
        if module.burst_length >= 16:
            return cls(ranks, 32, 65536, 64)
        return cls(ranks, 16, 131072, 128)

    def size(self, i: int) -> int:
        return (self.ranks, self.banks, self.rows, self.lines_per_row)[i]


@dataclass(frozen=True, eq=False)
class LifetimeConfig:
    """One configuration: a memory system, or no ECC on a module (``system`` None)."""

    name: str
    module: ModuleGeometry
    system: MemorySystem | None

    @property
    def group(self) -> tuple[int, int, int]:
        """Configurations with equal (chips, chip width, burst) share their fault draws."""
        m = self.module
        return (m.chips, m.chip_width, m.burst_length)


def get_config(spec: str) -> LifetimeConfig:
    """``RANK@MODULE[+ondie=CODE]`` (a memory system) or ``none@MODULE`` (no ECC)."""
    if not isinstance(spec, str) or "@" not in spec:
        raise ModuleError(
            f"configuration {spec!r} must read RANK@MODULE[+ondie=CODE] or none@MODULE (no ECC)"
        )
    rank, _, module = spec.strip().partition("@")
    if rank.strip().lower() == "none" and "+" not in module:
        return LifetimeConfig(spec.strip(), get_module(module.strip()), None)
    s = get_system(spec)
    return LifetimeConfig(s.name, s.module, s)


# ----- per-line outcome probabilities ------------------------------------------------------------
class _LineJudge:
    """Failure probabilities of a line holding given errors, for one configuration (cached)."""

    def __init__(self, cfg: LifetimeConfig) -> None:
        self.cfg = cfg
        g = cfg.module
        self.bpc = g.beats_per_codeword
        self.w = g.chip_width
        chip = g.chip_of_bit
        self.beat_of = g.beat_offset_of_bit
        self.pin_of = g.dq_of_bit % g.chip_width
        self.bits_of_chip = [np.nonzero(chip == c)[0] for c in range(g.chips)]
        self.cache: dict = {}
        self.sampled = False

    # a contribution: (chip, beat or ALL, pin or ALL (ALL: random bits), fixed: bool)
    def line(self, contribs: tuple) -> tuple[float, float]:
        """(P(line fails), P(line has an SDC)) for a line with these contributions."""
        key = tuple(sorted(contribs))
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._line(key)
        return hit

    def _line(self, contribs) -> tuple[float, float]:
        sysm = self.cfg.system
        if sysm is not None and sysm.on_die is not None:
            return self._two_level(contribs)
        g = self.cfg.module
        per_slot: dict[int, tuple[set, set]] = {}
        for chip, beat, pin, fixed in contribs:
            if self.cfg.system is None and chip in g.check_chips:
                continue  # no ECC: the module's check chips are not there
            bits = self.bits_of_chip[chip]
            slots = range(g.slots) if beat == ALL else [beat // self.bpc]
            for s in slots:
                sel = bits
                if beat != ALL:
                    sel = sel[self.beat_of[sel] == beat % self.bpc]
                if pin != ALL:
                    sel = sel[self.pin_of[sel] == pin]
                rnd, fix = per_slot.setdefault(s, (set(), set()))
                if fixed:
                    fix.symmetric_difference_update(int(b) for b in sel)
                else:
                    rnd.update(int(b) for b in sel)
        ok_fail, ok_sdc = 1.0, 1.0
        for rnd, fix in per_slot.values():
            pf, ps = self._codeword(frozenset(rnd), frozenset(fix - rnd))
            ok_fail *= 1.0 - pf
            ok_sdc *= 1.0 - ps
        return 1.0 - ok_fail, 1.0 - ok_sdc

    @cached_property
    def _rank_tables(self):
        """(compiled rank code, (P, n) bool bits of each correctable pattern, their weights)."""
        from .compile import compile_code

        code = self.cfg.system.rank
        cc = compile_code(code)
        bits = np.zeros((max(len(code.correctable), 1), code.n), dtype=bool)
        for p, pb in enumerate(code.correctable):
            bits[p, list(pb)] = True
        return cc, bits, bits.sum(axis=1)

    def _codeword(self, rnd: frozenset, fix: frozenset) -> tuple[float, float]:
        key = ("cw", rnd, fix)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if self.cfg.system is not None and len(rnd) <= ENUM_BITS:
            hit = self.cache[key] = self._codeword_syndromes(sorted(rnd), sorted(fix))
            return hit
        g = self.cfg.module
        r = sorted(rnd)
        if len(r) <= ENUM_BITS:
            v = np.arange(1 << len(r), dtype=np.int64)
            bits = ((v[:, None] >> np.arange(len(r))) & 1).astype(bool)
        else:
            self.sampled = True
            rng = np.random.default_rng(zlib.crc32(repr((sorted(rnd), sorted(fix))).encode()))
            bits = rng.random((SAMPLE_PATTERNS, len(r))) < 0.5
        err = np.zeros((bits.shape[0], g.n), dtype=bool)
        err[:, r] = bits
        for b in fix:
            err[:, b] ^= True
        if self.cfg.system is None:  # no ECC: any wrong data bit is silent corruption
            bad = err[:, : g.k].any(axis=1)
            hit = (float(bad.mean()), float(bad.mean()))
        else:
            code = self.cfg.system.rank
            out = classify_patterns(code, _flips(err, code.k))[:, 0]
            sdc = (out == SDC_UNDETECTED) | (out == SDC_MISCORRECTED)
            hit = (float((sdc | (out == DUE)).mean()), float(sdc.mean()))
        self.cache[key] = hit
        return hit

    def _codeword_syndromes(self, rnd: list, fix: list) -> tuple[float, float]:
        """Exact (P(fail), P(SDC)) of a codeword whose bits ``fix`` are wrong and bits ``rnd``
        each wrong with probability 1/2: all 2**len(rnd) errors enumerated in syndrome space
        (syndromes by doubling, the decoder's action per syndrome, CE when the correction is
        the error itself)."""
        cc, pat_bits, pat_w = self._rank_tables
        cols = cc.columns
        universe = rnd + fix
        s0 = np.uint64(0)
        for b in fix:
            s0 ^= cols[b]
        syn = np.array([s0], dtype=np.uint64)
        for b in rnd:
            syn = np.concatenate([syn, syn ^ cols[b]])
        e = np.arange(syn.size, dtype=np.int64) | (((1 << len(fix)) - 1) << len(rnd))
        act = cc.actions(syn)
        inside = pat_bits[:, universe]
        whole = inside.sum(axis=1) == pat_w  # patterns made of universe bits only
        pmask = np.where(whole, inside.astype(np.int64) @ (1 << np.arange(len(universe))), -1)
        ok = (act >= 0) & (pmask[np.maximum(act, 0)] == e)
        clean = e == 0
        sdc = ~clean & ((syn == 0) | ((act >= 0) & ~ok))
        fail = sdc | (~clean & (act == STATUS_UNCORRECTABLE))
        return float(fail.mean()), float(sdc.mean())

    def _two_level(self, contribs) -> tuple[float, float]:
        s = self.cfg.system
        g = s.module
        V, L = s.sent_bits, s.stored_bits
        rnd = np.zeros((g.chips, L), dtype=bool)
        fix = np.zeros((g.chips, L), dtype=bool)
        for chip, beat, pin, fixed in contribs:
            if beat == ALL:
                idx = np.arange(L)
            else:
                sent = beat * self.w + (np.arange(self.w) if pin == ALL else np.array([pin]))
                if s.on_die.k == 2 * V:  # and the same cells of the unsent half
                    sent = np.concatenate([sent, sent + V])
                idx = sent
                if fixed:
                    idx = idx[:1]
            if fixed:
                fix[chip, idx] ^= True
            else:
                rnd[chip, idx] = True
        fix &= ~rnd
        where = np.argwhere(rnd)
        nr = len(where)
        if nr <= 12:
            v = np.arange(1 << nr, dtype=np.int64)
            bits = ((v[:, None] >> np.arange(nr)) & 1).astype(bool)
        else:
            self.sampled = True
            rng = np.random.default_rng(zlib.crc32(repr(contribs).encode()))
            bits = rng.random((LINE_SAMPLES, nr)) < 0.5
        m = bits.shape[0]
        cells = np.broadcast_to(fix, (m, g.chips, L)).copy()
        cells[:, where[:, 0], where[:, 1]] ^= bits
        pats = DevicePatterns(cells, np.zeros((m, g.bus_width, g.burst_length), dtype=bool),
                              np.full(m, -1, dtype=np.int64))  # fmt: skip
        _, _, lines, _ = s.decode_errors(pats)
        sdc = (lines == SDC_UNDETECTED) | (lines == SDC_MISCORRECTED)
        return float((sdc | (lines == DUE)).mean()), float(sdc.mean())


def _flips(err: np.ndarray, k: int) -> FaultPatterns:
    """Flip patterns of ``(m, n)`` bool codeword errors, one codeword per pattern."""
    m = err.shape[0]
    return _flip_patterns(err[:, None, :], k, np.ones((m, 1), dtype=bool),
                          np.full(m, -1, dtype=np.int64))  # fmt: skip


# ----- faults and their regions --------------------------------------------------------------------
@dataclass
class _Fault:
    t: float
    end: float  # when it stops (next scrub for a transient fault; inf otherwise)
    chip: int
    mode: str
    where: tuple[int, int, int, int, int]  # rank, bank, row, column, beat (ALL = -1)
    pin: int  # the cell's pin (bit faults), else ALL
    u: float


def _overlap_lines(a: _Fault, b: _Fault, geo: DramGeometry) -> int:
    """Lines (rank, bank, row, column addresses) both regions touch; 0 when they do not meet.
    Beats do not separate lines: two faults in different beats of a line share it."""
    lines = 1
    for i in range(4):
        x, y = a.where[i], b.where[i]
        if x != ALL and y != ALL and x != y:
            return 0
        lines *= geo.size(i) if x == ALL and y == ALL else 1
    return lines


def _region_lines(f: _Fault, geo: DramGeometry) -> int:
    return math.prod(geo.size(i) for i in range(4) if f.where[i] == ALL)


def _contrib(f: _Fault) -> tuple:
    """What the fault puts in each line it touches: (chip, beat or ALL, pin or ALL, fixed)."""
    return (f.chip, f.where[4], f.pin, f.mode == "bit")


def _log_ok(p: float, lines: int) -> float:
    """log of (1 - p) ** lines."""
    return lines * math.log1p(-p) if p < 1.0 else -math.inf


# ----- the simulation --------------------------------------------------------------------------------
@dataclass
class LifetimeCounts:
    """Per configuration: trials, and per grid time the trials with a DUE / an SDC / either by
    then (cumulative counts)."""

    trials: int
    due: np.ndarray
    sdc: np.ndarray
    any: np.ndarray
    sampled: bool = False

    def __iadd__(self, other: LifetimeCounts):
        self.trials += other.trials
        self.due = self.due + other.due
        self.sdc = self.sdc + other.sdc
        self.any = self.any + other.any
        self.sampled |= other.sampled
        return self


@dataclass
class LifetimeSpec:
    """What a lifetime run simulates (checked on construction)."""

    configs: tuple[str, ...] = ("none@x4-ecc-dimm", "hsiao-secded@x4-ecc-dimm",
                                "chipkill-x4@x4-chipkill-dimm")  # fmt: skip
    years: float = 7.0
    scrub_hours: float | None = 3.0
    trials: int = 1_000_000
    seed: int = 2026
    ranks: int = 1
    points: int = 29  #: grid times 0, T/28, ..., T
    fit: FitTable = field(default_factory=FitTable.default)
    #: the address space behind each module (None: DramGeometry.for_module)
    geometry: DramGeometry | None = None

    def __post_init__(self) -> None:
        if isinstance(self.configs, str):
            self.configs = (self.configs,)
        if not isinstance(self.configs, tuple | list) or not all(
            isinstance(c, str) for c in self.configs
        ):
            raise InputError("configs: a list of configuration names (RANK@MODULE...)")
        self.configs = tuple(c.strip() for c in self.configs)
        if not self.configs:
            raise InputError("configs: name at least one configuration")
        dup = sorted({c for c in self.configs if self.configs.count(c) > 1})
        if dup:
            raise InputError(f"configs: {dup[0]!r} is named twice")
        self.years = float(require_number("years", self.years, 0, 1000, open_interval=True,
                                          error=InputError))  # fmt: skip
        if self.scrub_hours is not None:
            self.scrub_hours = float(require_number("scrub_hours", self.scrub_hours, 0, 1e7,
                                                    open_interval=True, error=InputError))  # fmt: skip
        for name, lo, hi in (("trials", 1, 10**12), ("seed", 0, 2**63 - 1), ("ranks", 1, 64),
                             ("points", 2, 10_000)):  # fmt: skip
            setattr(self, name, int(require_int(name, getattr(self, name), lo, hi,
                                                error=InputError)))  # fmt: skip
        if not isinstance(self.fit, FitTable):
            raise InputError(f"fit must be a FitTable (load one with load_fit_table), not "
                             f"{type(self.fit).__name__}")  # fmt: skip
        if not self.fit.total > 0:
            raise InputError("fit: every rate is 0; nothing would ever fail")
        if self.geometry is not None:
            if not isinstance(self.geometry, DramGeometry):
                raise InputError(f"geometry must be a DramGeometry, not "
                                 f"{type(self.geometry).__name__}")  # fmt: skip
            if self.ranks != self.geometry.ranks:
                raise InputError(f"ranks={self.ranks} but geometry has {self.geometry.ranks} "
                                 "rank(s); give the ranks in the geometry (or leave ranks at it)")  # fmt: skip
        faults = self.fit.total * 1e-9 * self.years * HOURS_PER_YEAR * self.ranks * 64
        if faults > MAX_EXPECTED_FAULTS:
            raise LimitError(
                f"fit, years and ranks give about {faults:,.0f} faults per trial on a 64-chip "
                f"rank set (at most {MAX_EXPECTED_FAULTS:,} are simulated; every pair of faults "
                "is checked for overlap): lower the rates, the years or the ranks"
            )

    @cached_property
    def grid(self) -> np.ndarray:
        """Grid times in hours."""
        return np.linspace(0.0, self.years * HOURS_PER_YEAR, self.points)

    def to_dict(self) -> dict:
        d = {"configs": list(self.configs), "years": self.years, "scrub_hours": self.scrub_hours,
             "trials": self.trials, "seed": self.seed, "ranks": self.ranks, "points": self.points,
             "fit": self.fit.to_dict()}  # fmt: skip
        if self.geometry is not None:
            g = self.geometry
            d["geometry"] = [g.ranks, g.banks, g.rows, g.lines_per_row]
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "lifetime spec", base=None) -> LifetimeSpec:
        """A spec from a dict (a TOML ``[lifetime]`` table): ``configs``, ``years``,
        ``scrub_hours`` (0: no scrub; omitted: 3), ``trials``, ``seed``, ``ranks``, ``points``,
        ``fit`` (a FIT table file — relative to ``base``, the spec file's folder — or a table
        of ``mode = [t, p]`` or ``mode = {transient = .., permanent = ..}``), ``geometry``
        (``[ranks, banks, rows, lines_per_row]``)."""
        from .faults.field import fit_table_from_rows, load_fit_table

        if not isinstance(d, dict):
            raise InputError(f"{where}: expected a table of lifetime settings")
        known = {"configs", "years", "scrub_hours", "trials", "seed", "ranks", "points", "fit",
                 "geometry"}  # fmt: skip
        unknown = sorted(str(k) for k in set(d) - known)
        if unknown:
            raise InputError(f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(sorted(known))}")  # fmt: skip
        kw = dict(d)
        if "configs" in kw:
            v = kw["configs"]
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
                raise InputError(f"{where}: configs must be a non-empty list of names")
            kw["configs"] = tuple(v)
        sh = kw.get("scrub_hours")
        if sh is not None and not isinstance(sh, bool) and sh == 0:
            kw["scrub_hours"] = None
        fit = kw.pop("fit", None)
        if isinstance(fit, str):
            from pathlib import Path

            p = Path(fit)
            kw["fit"] = load_fit_table(p if p.is_absolute() or base is None else Path(base) / p)
        elif isinstance(fit, dict):
            rows = []
            for mode, v in fit.items():
                if isinstance(v, dict) and set(v) <= {"transient", "permanent"}:
                    rows.append((mode, v.get("transient", 0.0), v.get("permanent", 0.0)))
                elif isinstance(v, list) and len(v) == 2:
                    rows.append((mode, v[0], v[1]))
                else:
                    raise InputError(f"{where}: fit.{mode} must be [transient, permanent] or "
                                     "{transient = .., permanent = ..}")  # fmt: skip
            kw["fit"] = fit_table_from_rows(rows, f"{where}: fit")
        elif fit is not None:
            raise InputError(f"{where}: fit must be a FIT table file or a table of modes")
        geo = kw.pop("geometry", None)
        if geo is not None:
            if not isinstance(geo, list) or len(geo) != 4:
                raise InputError(f"{where}: geometry must be [ranks, banks, rows, lines_per_row]")
            kw["geometry"] = DramGeometry(*geo)
        return cls(**kw)


class _Group:
    """Configurations sharing fault draws, and everything derived for them."""

    def __init__(self, cfgs: list[LifetimeConfig], spec: LifetimeSpec) -> None:
        self.cfgs = cfgs
        self.module = cfgs[0].module
        self.geo = spec.geometry or DramGeometry.for_module(self.module, spec.ranks)
        self.spec = spec
        self.judges = [_LineJudge(c) for c in cfgs]
        entries = spec.fit.entries()
        self.modes = [e[0] for e in entries]
        self.permanent = np.array([e[1] for e in entries])
        fits = np.array([e[2] for e in entries])
        self.share = fits / fits.sum()
        devices = self.geo.ranks * self.module.chips
        self.rate = devices * fits.sum() * 1e-9  # faults per hour
        self.stream = zlib.crc32(repr(cfgs[0].group).encode())

    def _arrays(self, rng, n: int, T: float) -> dict[str, np.ndarray]:
        """``n`` faults' draws: arrival time, mode entry, rank, chip, bank, row, column, beat,
        pin and the uniform number that decides their outcome."""
        g, geo = self.module, self.geo
        return {
            "t": rng.random(n) * T,
            "kind": rng.choice(len(self.modes), size=n, p=self.share),
            "rank": rng.integers(0, geo.ranks, n), "chip": rng.integers(0, g.chips, n),
            "bank": rng.integers(0, geo.banks, n), "row": rng.integers(0, geo.rows, n),
            "col": rng.integers(0, geo.lines_per_row, n),
            "beat": rng.integers(0, g.burst_length, n), "pin": rng.integers(0, g.chip_width, n),
            "u": rng.random(n),
        }  # fmt: skip

    def _faults(self, a: dict, idx, scrub: float | None) -> list[_Fault]:
        """The faults ``idx`` of the draws ``a``, in arrival order."""
        out = []
        for i in sorted(idx, key=lambda i: a["t"][i]):
            mode = self.modes[a["kind"][i]]
            one, cell = _REGION[mode]
            vals = (a["rank"][i], a["bank"][i], a["row"][i], a["col"][i], a["beat"][i])
            where = tuple(int(v) if o else ALL for v, o in zip(vals, one, strict=True))
            t = float(a["t"][i])
            end = math.inf
            if not self.permanent[a["kind"][i]] and scrub is not None:
                end = (math.floor(t / scrub) + 1) * scrub
            out.append(_Fault(t, end, int(a["chip"][i]), mode, where,
                              int(a["pin"][i]) if cell else ALL, float(a["u"][i])))  # fmt: skip
        return out

    def _draw(self, rng, n: int, T: float, scrub: float | None) -> list[_Fault]:
        """``n`` faults of one trial, in arrival order."""
        return self._faults(self._arrays(rng, n, T), range(n), scrub)

    @cached_property
    def _lines_of_kind(self) -> np.ndarray:
        """Lines each mode entry's region covers."""
        geo = self.geo
        return np.array([math.prod(geo.size(i) for i in range(4) if not _REGION[m][0][i])
                         for m in self.modes], dtype=np.float64)  # fmt: skip

    def _single(self, a: dict, idx: np.ndarray, judge: _LineJudge):
        """(first DUE, first SDC) of trials holding one fault each (the faults ``idx``),
        vectorized: each fault's line kind is looked up once per distinct kind."""
        g = self.module
        kind = a["kind"][idx]
        one_beat = np.array([_REGION[m][0][4] for m in self.modes])[kind]
        cell = np.array([_REGION[m][1] for m in self.modes])[kind]
        beat = np.where(one_beat, a["beat"][idx], ALL)
        pin = np.where(cell, a["pin"][idx], ALL)
        chip = a["chip"][idx]
        key = ((chip * (g.burst_length + 1) + beat + 1) * (g.chip_width + 1) + pin + 1) * 2 + cell
        uniq, inv = np.unique(key, return_inverse=True)
        qf = np.empty(uniq.size)
        qs = np.empty(uniq.size)
        first = np.searchsorted(key[np.argsort(key, kind="stable")], uniq)
        order = np.argsort(key, kind="stable")
        for j, pos in enumerate(order[first]):
            qf[j], qs[j] = judge.line(((int(chip[pos]), int(beat[pos]), int(pin[pos]),
                                        bool(cell[pos])),))  # fmt: skip
        lines = self._lines_of_kind[kind]
        with np.errstate(divide="ignore"):
            p_fail = -np.expm1(lines * np.log1p(-np.minimum(qf[inv], 1.0)))
            p_sdc = -np.expm1(lines * np.log1p(-np.minimum(qs[inv], 1.0)))
        u, t = a["u"][idx], a["t"][idx]
        sdc = u < p_sdc
        due = ~sdc & (u < p_fail)
        return np.where(due, t, np.inf), np.where(sdc, t, np.inf)

    def run_block(self, b: int, size: int) -> list[LifetimeCounts]:
        spec = self.spec
        T = spec.years * HOURS_PER_YEAR
        ss = np.random.SeedSequence(spec.seed, spawn_key=(self.stream, b))
        rng = np.random.default_rng(ss)
        counts = rng.poisson(self.rate * T, size=size)
        a = self._arrays(rng, int(counts.sum()), T)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        grid = spec.grid
        firsts = [np.full((size, 2), np.inf) for _ in self.cfgs]
        single = np.nonzero(counts == 1)[0]
        multi = np.nonzero(counts > 1)[0]
        lists = {i: self._faults(a, range(start[i], start[i] + counts[i]), spec.scrub_hours)
                 for i in multi}  # fmt: skip
        for ci, judge in enumerate(self.judges):
            if single.size:
                due, sdc = self._single(a, start[single], judge)
                firsts[ci][single, 0] = due
                firsts[ci][single, 1] = sdc
            for i, faults in lists.items():
                firsts[ci][i] = self._trial(faults, judge)
        out = []
        for ci, judge in enumerate(self.judges):
            due, sdc = firsts[ci][:, 0], firsts[ci][:, 1]
            anyf = np.minimum(due, sdc)
            cum = [np.searchsorted(np.sort(x), grid, side="right") for x in (due, sdc, anyf)]
            out.append(LifetimeCounts(size, *cum, judge.sampled))
        return out

    def _trial(self, faults: list[_Fault], judge: _LineJudge) -> tuple[float, float]:
        geo = self.geo
        first_due = first_sdc = math.inf
        for j, f in enumerate(faults):
            log_ok, log_nosdc = 0.0, 0.0
            alone = _region_lines(f, geo)
            for g in faults[:j]:
                if g.end <= f.t:
                    continue  # scrubbed away before f arrived
                shared = _overlap_lines(f, g, geo)
                if not shared:
                    continue
                pf, ps = judge.line((_contrib(f), _contrib(g)))
                alone -= shared
                log_ok += _log_ok(pf, shared)
                log_nosdc += _log_ok(ps, shared)
            if alone > 0:
                pf, ps = judge.line((_contrib(f),))
                log_ok += _log_ok(pf, alone)
                log_nosdc += _log_ok(ps, alone)
            if f.u < 1.0 - math.exp(log_nosdc):
                first_sdc = min(first_sdc, f.t)
            elif f.u < 1.0 - math.exp(log_ok):
                first_due = min(first_due, f.t)
        return first_due, first_sdc


@dataclass
class LifetimeResult:
    """Counts per configuration over the spec's grid (hours), with the spec."""

    spec: LifetimeSpec
    names: list[str]
    counts: list[LifetimeCounts]

    def rows(self, confidence: float = 0.95) -> list[dict]:
        """One row per (configuration, grid time, outcome): probability and interval."""
        from .stats import proportion_ci

        out = []
        for name, c in zip(self.names, self.counts, strict=True):
            for label, arr in (("due", c.due), ("sdc", c.sdc), ("any", c.any)):
                lo, hi = proportion_ci(arr.astype(float), np.full(arr.shape, float(c.trials)),
                                       confidence)  # fmt: skip
                for k, t in enumerate(self.spec.grid):
                    out.append({"config": name, "years": float(t / HOURS_PER_YEAR),
                                "outcome": label, "count": int(arr[k]), "trials": c.trials,
                                "p": arr[k] / c.trials, "ci_low": float(np.atleast_1d(lo)[k]),
                                "ci_high": float(np.atleast_1d(hi)[k])})  # fmt: skip
        return out


def resolve_configs(spec: LifetimeSpec) -> list[LifetimeConfig]:
    """The spec's configurations, resolved; two names for one configuration are refused."""
    cfgs = [get_config(c) for c in spec.configs]
    seen: dict[str, str] = {}
    for given, c in zip(spec.configs, cfgs, strict=True):
        if c.name in seen:
            raise InputError(f"configs: {given!r} and {seen[c.name]!r} are the same configuration")
        seen[c.name] = given
    return cfgs


def run_lifetime(spec: LifetimeSpec, *, blocks: range | None = None,
                 progress: bool | None = False) -> LifetimeResult:  # fmt: skip
    """Simulate ``spec.trials`` trials of every configuration (or only blocks ``blocks`` of
    :data:`BLOCK` trials each); configurations with the same chips, width and burst see the same
    faults. ``progress``: a tqdm bar (None: when stderr is a terminal)."""
    cfgs = resolve_configs(spec)
    groups: dict[tuple, list[LifetimeConfig]] = {}
    for c in cfgs:
        groups.setdefault(c.group, []).append(c)
    nblk = (spec.trials + BLOCK - 1) // BLOCK
    blocks = range(nblk) if blocks is None else blocks
    result: dict[str, LifetimeCounts] = {}
    bar = None
    if progress or (progress is None and sys.stderr.isatty()):
        from tqdm import tqdm

        total = sum(min(BLOCK, spec.trials - b * BLOCK) for b in blocks if b * BLOCK < spec.trials)
        bar = tqdm(total=total * len(groups), unit="trial", unit_scale=True, leave=False)
    for members in groups.values():
        grp = _Group(members, spec)
        for b in blocks:
            size = min(BLOCK, spec.trials - b * BLOCK)
            if size <= 0:
                break
            if bar is not None:
                bar.update(size)
            for c, cnt in zip(members, grp.run_block(b, size), strict=True):
                if c.name in result:
                    result[c.name] += cnt
                else:
                    result[c.name] = cnt
    if bar is not None:
        bar.close()
    names = [c.name for c in cfgs]
    return LifetimeResult(spec, names, [result[n] for n in names])


def analytic_no_ecc(chips: int, fit: float, hours: np.ndarray) -> np.ndarray:
    """P(at least one fault by t) = 1 - exp(-chips * FIT * 1e-9 * t): no ECC, every fault
    reaching data is a failure."""
    return 1.0 - np.exp(-chips * fit * 1e-9 * np.asarray(hours, dtype=float))


__all__ = [
    "MODES",
    "DramGeometry",
    "LifetimeConfig",
    "LifetimeCounts",
    "LifetimeResult",
    "LifetimeSpec",
    "analytic_no_ecc",
    "get_config",
    "run_lifetime",
]
