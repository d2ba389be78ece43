"""Fault models: what breaks, as error masks over the codewords of one line (burst).

A fault model knows the module geometry (which chip and DQ pin holds each codeword bit) but
nothing about the code. Every model can ``sample`` patterns from a seeded
``numpy.random.Generator``; finite models can also ``enumerate`` all their patterns.

A pattern batch (:class:`FaultPatterns`) holds, for ``m`` lines of ``S`` codewords each, three
masks in the split layout of :mod:`eccsim.bits` — bits to flip, bits stuck at 0, bits stuck at
1 — so the word read back is ``((stored ^ flip) & ~stuck0) | stuck1``. A stuck-at fault only
changes bits that held the other value, so on some data it is masked. ``touched`` marks the
codewords a fault reaches (only those are counted); ``site`` is the chip or DQ pin of a
single-chip or single-pin fault (-1 otherwise), for per-chip breakdowns.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np

from .bits import data_words
from .errors import FaultError
from .module import ModuleGeometry
from .validate import suggest

MAX_ENUMERATION = 20_000_000
FLIP, STUCK0, STUCK1 = "flip", "stuck-at-0", "stuck-at-1"
MODES = (FLIP, STUCK0, STUCK1)
_MODE_SUFFIX = {FLIP: "", STUCK0: "-stuck-0", STUCK1: "-stuck-1"}


@dataclass
class FaultPatterns:
    """A batch of ``m`` fault patterns over lines of ``S`` codewords (see module docstring)."""

    flip_data: np.ndarray  # (m, S, W) uint64
    flip_check: np.ndarray  # (m, S) uint64
    stuck0_data: np.ndarray | None
    stuck0_check: np.ndarray | None
    stuck1_data: np.ndarray | None
    stuck1_check: np.ndarray | None
    touched: np.ndarray  # (m, S) bool
    site: np.ndarray  # (m,) int64

    @property
    def m(self) -> int:
        return self.flip_data.shape[0]

    @property
    def has_stuck(self) -> bool:
        return self.stuck0_data is not None

    @classmethod
    def empty(cls, m: int, geom: ModuleGeometry, stuck: bool = False) -> FaultPatterns:
        S, W = geom.slots, data_words(geom.k)

        def zd():
            return np.zeros((m, S, W), dtype=np.uint64)

        def zc():
            return np.zeros((m, S), dtype=np.uint64)

        return cls(
            zd(), zc(),
            zd() if stuck else None, zc() if stuck else None,
            zd() if stuck else None, zc() if stuck else None,
            np.zeros((m, S), dtype=bool), np.full(m, -1, dtype=np.int64),
        )  # fmt: skip

    def set_bits(self, which: str, rows, slots, bits, k: int) -> None:
        """OR bits into the flip/stuck masks; ``rows, slots, bits`` are equal-length int arrays."""
        rows, slots, bits = (np.asarray(a, dtype=np.int64).ravel() for a in (rows, slots, bits))
        if which == FLIP:
            md, mc = self.flip_data, self.flip_check
        elif which == STUCK0:
            md, mc = self.stuck0_data, self.stuck0_check
        else:
            md, mc = self.stuck1_data, self.stuck1_check
        # Mark the bits in a boolean grid (data bits 0..64W-1, then 64 check-bit positions) and
        # pack it little-endian into words: far faster than np.bitwise_or.at, and repeated
        # bits simply stay set. Rows go in chunks so the grid stays a few MiB.
        m, S, W = md.shape
        width = 64 * W + 64
        pos = np.where(bits < k, bits, 64 * W + bits - k)
        if rows.size > 1 and (np.diff(rows) < 0).any():
            order = np.argsort(rows, kind="stable")
            rows, slots, pos = rows[order], slots[order], pos[order]
        step = max(1, (1 << 22) // (S * width))
        for r0 in range(0, m, step):
            lo, hi = np.searchsorted(rows, [r0, r0 + step])
            if lo == hi:
                continue
            n_rows = min(step, m - r0)
            grid = np.zeros((n_rows, S, width), dtype=bool)
            grid[rows[lo:hi] - r0, slots[lo:hi], pos[lo:hi]] = True
            words = np.packbits(grid, axis=-1, bitorder="little").view("<u8")
            md[r0 : r0 + n_rows] |= words[..., :W]
            mc[r0 : r0 + n_rows] |= words[..., W]
        self.touched[rows, slots] = True

    def apply(self, data: np.ndarray, check: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Words read back from stored ``data (m,S,W)`` / ``check (m,S)`` under these faults."""
        rd = data ^ self.flip_data
        rc = check.astype(np.uint64) ^ self.flip_check
        if self.has_stuck:
            rd = (rd & ~self.stuck0_data) | self.stuck1_data
            rc = (rc & ~self.stuck0_check) | self.stuck1_check
        return rd, rc.astype(check.dtype)

    @staticmethod
    def concat(parts: list[FaultPatterns]) -> FaultPatterns:
        stuck = any(p.has_stuck for p in parts)
        if stuck:
            parts = [p if p.has_stuck else _with_stuck(p) for p in parts]

        def cat(name):
            vals = [getattr(p, name) for p in parts]
            return None if vals[0] is None else np.concatenate(vals)

        return FaultPatterns(*(cat(f) for f in FaultPatterns.__dataclass_fields__))

    def select(self, idx) -> FaultPatterns:
        """The patterns at ``idx`` (an index array or slice), as a new batch."""
        fields = FaultPatterns.__dataclass_fields__
        return FaultPatterns(
            *(None if getattr(self, f) is None else getattr(self, f)[idx] for f in fields)
        )

    def union(self, other: FaultPatterns) -> FaultPatterns:
        """Both faults at once (element-wise OR of masks: a bit hit twice is still one flipped
        bit); sites are dropped to -1."""
        a = self if self.has_stuck or not other.has_stuck else _with_stuck(self)
        b = other if other.has_stuck or not a.has_stuck else _with_stuck(other)

        def orr(x, y):
            return None if x is None else x | y

        return FaultPatterns(
            a.flip_data | b.flip_data, a.flip_check | b.flip_check,
            orr(a.stuck0_data, b.stuck0_data), orr(a.stuck0_check, b.stuck0_check),
            orr(a.stuck1_data, b.stuck1_data), orr(a.stuck1_check, b.stuck1_check),
            a.touched | b.touched, np.full(a.m, -1, dtype=np.int64),
        )  # fmt: skip


def _with_stuck(p: FaultPatterns) -> FaultPatterns:
    z = np.zeros_like
    return FaultPatterns(
        p.flip_data, p.flip_check, z(p.flip_data), z(p.flip_check), z(p.flip_data),
        z(p.flip_check), p.touched, p.site,
    )  # fmt: skip


class FaultModel(ABC):
    """A kind of fault. Subclasses say how many patterns exist, list them, and sample them."""

    #: short name used in tables and on the command line
    name: str = "fault"
    #: what ``site`` means for this model ("chip", "dq" or "")
    site_kind: str = ""

    @abstractmethod
    def count(self, geom: ModuleGeometry) -> int | None:
        """Number of distinct patterns, or ``None`` when the model is not finite (enumerable)."""

    @abstractmethod
    def _enumerate(self, geom: ModuleGeometry) -> FaultPatterns: ...

    @abstractmethod
    def sample(self, geom: ModuleGeometry, rng: np.random.Generator, m: int) -> FaultPatterns:
        """``m`` independent random patterns drawn with ``rng``."""

    def is_finite(self, geom: ModuleGeometry) -> bool:
        c = self.count(geom)
        return c is not None and c <= MAX_ENUMERATION

    def enumerate(self, geom: ModuleGeometry) -> FaultPatterns:
        """Every pattern of this model once (raises :class:`FaultError` if not enumerable)."""
        c = self.count(geom)
        if c is None or c > MAX_ENUMERATION:
            raise FaultError(
                f"fault {self.name!r} has {'infinitely many' if c is None else c} patterns on "
                f"{geom.name}; exhaustive runs allow at most {MAX_ENUMERATION}; use sampling: trials=N "
                "(--trials N)"
            )
        return self._enumerate(geom)

    @property
    def data_dependent(self) -> bool:
        """True when the error depends on the stored bits (stuck-at faults)."""
        return False

    def __repr__(self) -> str:
        return f"<fault {self.name}>"


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise FaultError(f"mode={mode!r} is unknown; choose one of {', '.join(MODES)}")
    return mode


def _distinct_random(rng: np.random.Generator, m: int, count: int, n: int) -> np.ndarray:
    """``(m, count)`` random positions in 0..n-1, distinct within each row (every subset
    equally likely). Few positions: redraw rows with a collision; many (where collisions are
    likely): the ``count`` smallest of n random keys."""
    if count * count > n:
        keys = rng.random((m, n))
        return np.argpartition(keys, count - 1, axis=1)[:, :count].astype(np.int64)
    out = rng.integers(0, n, size=(m, count), dtype=np.int64)
    while True:
        s = np.sort(out, axis=1)
        bad = (np.diff(s, axis=1) == 0).any(axis=1) if count > 1 else np.zeros(m, dtype=bool)
        nb = int(bad.sum())
        if nb == 0:
            return out
        out[bad] = rng.integers(0, n, size=(nb, count), dtype=np.int64)


def _nonzero_patterns(bits: int) -> np.ndarray:
    """``(2**bits - 1, bits)`` 0/1: every non-zero pattern over ``bits`` positions, in order."""
    v = np.arange(1, 1 << bits, dtype=np.int64)
    return ((v[:, None] >> np.arange(bits)) & 1).astype(bool)


_FULL = np.iinfo(np.uint64).max


def _random_under(rng: np.random.Generator, md: np.ndarray, mc: np.ndarray):
    """Uniformly random non-zero sub-patterns of the masks ``md (m,S,W)`` / ``mc (m,S)``: every
    masked bit is an independent fair coin; all-zero rows are drawn again."""
    fd = rng.integers(0, _FULL, size=md.shape, dtype=np.uint64, endpoint=True) & md
    fc = rng.integers(0, _FULL, size=mc.shape, dtype=np.uint64, endpoint=True) & mc
    while True:
        zero = ~((fd != 0).any(axis=(1, 2)) | (fc != 0).any(axis=1))
        if not zero.any():
            return fd, fc
        i = np.nonzero(zero)[0]
        fd[i] = rng.integers(0, _FULL, size=(i.size, *md.shape[1:]), dtype=np.uint64,
                             endpoint=True) & md[i]  # fmt: skip
        fc[i] = rng.integers(0, _FULL, size=(i.size, *mc.shape[1:]), dtype=np.uint64,
                             endpoint=True) & mc[i]  # fmt: skip


def _or_into(p: FaultPatterns, which: str, md: np.ndarray, mc: np.ndarray) -> None:
    if which == FLIP:
        p.flip_data |= md
        p.flip_check |= mc
    elif which == STUCK0:
        p.stuck0_data |= md
        p.stuck0_check |= mc
    else:
        p.stuck1_data |= md
        p.stuck1_check |= mc


@lru_cache(maxsize=64)
def _chip_masks(geom: ModuleGeometry, beat: int | None):
    return geom.chip_masks(beat)


# ---------------------------------------------------------------------------------------------
# codeword-local faults (the error lands in codeword slot 0 of the line)
# ---------------------------------------------------------------------------------------------
class BitFlips(FaultModel):
    """Flip the given codeword bit positions (one fixed pattern)."""

    def __init__(self, bits) -> None:
        try:
            self.bits = tuple(sorted({int(b) for b in bits}))
        except (TypeError, ValueError):
            raise FaultError(f"bits={bits!r} must be a list of codeword bit positions") from None
        if not self.bits:
            raise FaultError("bits: give at least one bit position")
        self.name = "flip[" + ",".join(map(str, self.bits)) + "]"

    def count(self, geom):
        return 1

    def _validate(self, geom):
        if self.bits[0] < 0 or self.bits[-1] >= geom.n:
            raise FaultError(f"bits={self.bits}: positions must lie in 0..{geom.n - 1}")

    def _enumerate(self, geom):
        return self.sample(geom, None, 1)

    def sample(self, geom, rng, m):
        self._validate(geom)
        p = FaultPatterns.empty(m, geom)
        L = len(self.bits)
        rows = np.repeat(np.arange(m), L)
        p.set_bits(FLIP, rows, np.zeros_like(rows), np.tile(self.bits, m), geom.k)
        return p


class RandomBits(FaultModel):
    """``count`` distinct random bits of one codeword flip (all C(n, count) equally likely)."""

    def __init__(self, count: int) -> None:
        if not isinstance(count, int | np.integer) or count < 1:
            raise FaultError(f"count={count!r}: the number of flipped bits must be an integer >= 1")
        self.bit_count = int(count)
        self.name = f"bits:{count}"

    def _validate(self, geom):
        if self.bit_count > geom.n:
            raise FaultError(f"count={self.bit_count} exceeds the codeword length n={geom.n}")

    def count(self, geom):
        self._validate(geom)
        return math.comb(geom.n, self.bit_count)

    def _enumerate(self, geom):
        combos = np.array(list(combinations(range(geom.n), self.bit_count)), dtype=np.int64)
        return self._from_positions(geom, combos)

    def sample(self, geom, rng, m):
        self._validate(geom)
        return self._from_positions(geom, _distinct_random(rng, m, self.bit_count, geom.n))

    @staticmethod
    def _from_positions(geom, pos):
        m, c = pos.shape
        p = FaultPatterns.empty(m, geom)
        rows = np.repeat(np.arange(m), c)
        p.set_bits(FLIP, rows, np.zeros_like(rows), pos.ravel(), geom.k)
        return p


class Burst(FaultModel):
    """A burst of ``length`` adjacent codeword bits (bit order of :mod:`eccsim.bits`).

    ``solid=True`` flips all of them; ``solid=False`` flips the first and last and each bit in
    between at random (the classic burst-error definition)."""

    def __init__(self, length: int, solid: bool = True) -> None:
        if not isinstance(length, int | np.integer) or length < 1:
            raise FaultError(f"length={length!r}: a burst length must be an integer >= 1")
        self.length, self.solid = int(length), bool(solid)
        self.name = f"burst:{length}" if solid else f"burst-random:{length}"

    def _validate(self, geom):
        if self.length > geom.n:
            raise FaultError(f"length={self.length} exceeds the codeword length n={geom.n}")

    def _interiors(self):
        if self.solid or self.length <= 2:
            return np.ones((1, max(self.length - 2, 0)), dtype=bool)
        v = np.arange(1 << (self.length - 2), dtype=np.int64)
        return ((v[:, None] >> np.arange(self.length - 2)) & 1).astype(bool)

    def count(self, geom):
        self._validate(geom)
        inner = 1 if self.solid or self.length <= 2 else 1 << (self.length - 2)
        return (geom.n - self.length + 1) * inner

    def _build(self, geom, starts, interiors):
        m = starts.size
        L = self.length
        mask = np.ones((m, L), dtype=bool)
        if L > 2:
            mask[:, 1:-1] = interiors
        rows, off = np.nonzero(mask)
        p = FaultPatterns.empty(m, geom)
        p.set_bits(FLIP, rows, np.zeros_like(rows), starts[rows] + off, geom.k)
        return p

    def _enumerate(self, geom):
        inter = self._interiors()
        starts = np.repeat(np.arange(geom.n - self.length + 1), inter.shape[0])
        return self._build(geom, starts, np.tile(inter, (geom.n - self.length + 1, 1)))

    def sample(self, geom, rng, m):
        self._validate(geom)
        starts = rng.integers(0, geom.n - self.length + 1, size=m, dtype=np.int64)
        if self.solid or self.length <= 2:
            inter = np.ones((m, max(self.length - 2, 0)), dtype=bool)
        else:
            inter = rng.integers(0, 2, size=(m, self.length - 2), dtype=np.int8).astype(bool)
        return self._build(geom, starts, inter)


# ---------------------------------------------------------------------------------------------
# physical faults: DQ pins and chips, over the whole burst
# ---------------------------------------------------------------------------------------------
class PinFault(FaultModel):
    """One DQ pin fails across the burst.

    ``mode="flip"``: the pin's bit flips in a random non-empty subset of the beats;
    ``"stuck-at-0"``/``"stuck-at-1"``: the pin reads that value in every beat. ``pin`` fixes the
    DQ (0..bus_width-1); by default every pin is equally likely."""

    site_kind = "dq"

    def __init__(self, mode: str = FLIP, pin: int | None = None) -> None:
        self.mode = _check_mode(mode)
        self.pin = pin
        self.name = "pin" + _MODE_SUFFIX[mode] + ("" if pin is None else f"[{pin}]")

    @property
    def data_dependent(self):
        return self.mode != FLIP

    def _pins(self, geom):
        if self.pin is None:
            return np.arange(geom.bus_width)
        if not 0 <= self.pin < geom.bus_width:
            raise FaultError(f"pin={self.pin} must lie in 0..{geom.bus_width - 1} on {geom.name}")
        return np.array([self.pin])

    def count(self, geom):
        per = (1 << geom.burst_length) - 1 if self.mode == FLIP else 1
        return len(self._pins(geom)) * per

    def _build_masks(self, geom, pins, beats_mask):
        m = pins.size
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        rows, beats = np.nonzero(beats_mask)
        where = geom.bits_of_dq[pins[rows], beats]  # (·, 2) slot, bit
        p.set_bits(self.mode, rows, where[:, 0], where[:, 1], geom.k)
        p.site[:] = pins
        return p

    def _enumerate(self, geom):
        pins = self._pins(geom)
        if self.mode == FLIP:
            pats = _nonzero_patterns(geom.burst_length)
            return self._build(geom, np.repeat(pins, len(pats)), np.tile(pats, (len(pins), 1)))
        return self._build(geom, pins, np.ones((len(pins), geom.burst_length), dtype=bool))

    def sample(self, geom, rng, m):
        pins = self._pins(geom)
        chosen = pins[rng.integers(0, len(pins), size=m)] if len(pins) > 1 else np.repeat(pins, m)
        dq_d, dq_c = geom.dq_beat_masks
        md = np.bitwise_or.reduce(dq_d, axis=1)[chosen]  # the pin's bit in every beat
        mc = np.bitwise_or.reduce(dq_c, axis=1)[chosen]
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        if self.mode == FLIP:
            md, mc = _random_under(rng, md, mc)  # a random non-empty set of beats
        _or_into(p, self.mode, md, mc)
        p.touched[:] = True
        p.site[:] = chosen
        return p

    def _build(self, geom, pins, beats_mask):
        p = self._build_masks(geom, pins, beats_mask)
        p.touched[:] = True  # a failed pin reaches every codeword of the burst
        return p


class ChipFault(FaultModel):
    """Whole-chip failure of ``chips`` distinct chips.

    ``mode="flip"`` with ``scope="beat"``: a random non-zero pattern over the chip's bits in one
    beat of the line's first codeword (a flip's outcome does not depend on the data, so the
    other codewords of the burst would repeat the same cases); with ``scope="burst"``: a random non-zero pattern over all its bits in every beat.
    ``"stuck-at-0"``/``"stuck-at-1"``: every bit of the chip reads that value in every beat.
    ``chip`` fixes which chip (for ``chips=1``)."""

    site_kind = "chip"

    def __init__(
        self, mode: str = FLIP, scope: str = "beat", chips: int = 1, chip: int | None = None
    ):
        self.mode = _check_mode(mode)
        if scope not in ("beat", "burst"):
            raise FaultError(f"scope={scope!r} is unknown; choose beat or burst")
        if not isinstance(chips, int | np.integer) or chips < 1:
            raise FaultError(
                f"chips={chips!r}: the number of failing chips must be an integer >= 1"
            )
        if chip is not None and chips != 1:
            raise FaultError("chip= fixes a single failing chip; use it with chips=1")
        self.scope, self.n_chips, self.chip = scope, int(chips), chip
        if self.n_chips > 1:
            self.site_kind = ""  # several chips fail at once: no single site to attribute
        if chips > 1:
            base = f"chips:{chips}" if mode == FLIP and scope == "beat" else f"chips{chips}"
        else:
            base = "chip"
        suffix = _MODE_SUFFIX[mode] if mode != FLIP else ("-burst" if scope == "burst" else "")
        self.name = base + suffix + ("" if chip is None else f"[{chip}]")

    @property
    def data_dependent(self):
        return self.mode != FLIP

    def _chip_list(self, geom):
        if self.chip is not None:
            if not 0 <= self.chip < geom.chips:
                raise FaultError(f"chip={self.chip} must lie in 0..{geom.chips - 1} on {geom.name}")
            return np.array([self.chip])
        if self.n_chips > geom.chips:
            raise FaultError(f"chips={self.n_chips} exceeds the {geom.chips} chips of {geom.name}")
        return np.arange(geom.chips)

    def _bits_per_chip(self, geom):
        if self.mode != FLIP:
            return 0
        return geom.chip_width * (geom.burst_length if self.scope == "burst" else 1)

    def _beats(self, geom) -> int:
        """Beats a single-beat flip pattern can land in: those of the line's first codeword.
        (A flip's outcome is data-independent, so the other codewords add nothing new.)"""
        return geom.beats_per_codeword if self.mode == FLIP and self.scope == "beat" else 1

    def count(self, geom):
        chips = self._chip_list(geom)
        combos = math.comb(len(chips), self.n_chips)
        if self.mode != FLIP:
            return combos
        return combos * ((1 << self._bits_per_chip(geom)) - 1) ** self.n_chips * self._beats(geom)

    def _add_chip(self, geom, p, rows, chip_ids, beat, pats):
        """Set pattern ``pats (len(rows), bits)`` on chips ``chip_ids`` at ``beat`` (scope beat)."""
        w, BL = geom.chip_width, geom.burst_length
        allbits = np.stack([geom.bits_of_chip(c) for c in range(geom.chips)])  # (chips, w*BL, 2)
        if self.mode != FLIP:
            sel = np.ones((len(rows), w * BL), dtype=bool)
        elif self.scope == "burst":
            sel = pats
        else:
            sel = np.zeros((len(rows), w * BL), dtype=bool)
            cols = beat[:, None] * w + np.arange(w)
            np.put_along_axis(sel, cols, pats, axis=1)
        rr, cc = np.nonzero(sel)
        where = allbits[chip_ids[rr], cc]
        p.set_bits(self.mode, rows[rr], where[:, 0], where[:, 1], geom.k)
        if self.scope == "burst" or self.mode != FLIP:
            p.touched[rows] = True  # the chip fails in every beat: every codeword is reached

    def _enumerate(self, geom):
        chips = self._chip_list(geom)
        combos = np.array(list(combinations(chips, self.n_chips)), dtype=np.int64)
        bits = self._bits_per_chip(geom)
        B = self._beats(geom)
        if self.mode == FLIP:
            pats = _nonzero_patterns(bits)
            P = len(pats)
            # every combination x every tuple of per-chip patterns x beat (mixed radix)
            total = len(combos) * P**self.n_chips * B
            idx = np.arange(total)
            beat = idx % B
            idx = idx // B
            combo_idx = idx // P**self.n_chips
            rest = idx % P**self.n_chips
        else:
            total = len(combos)
            combo_idx, rest, P = np.arange(total), np.zeros(total, dtype=np.int64), 1
            beat = np.zeros(total, dtype=np.int64)
        p = FaultPatterns.empty(total, geom, stuck=self.mode != FLIP)
        rows = np.arange(total)
        for j in range(self.n_chips):
            which = (rest // P**j) % P
            pj = pats[which] if self.mode == FLIP else None
            self._add_chip(geom, p, rows, combos[combo_idx, j], beat, pj)
        if self.n_chips == 1:
            p.site[:] = combos[combo_idx, 0]
        return p

    def sample(self, geom, rng, m):
        chips = self._chip_list(geom)
        if self.n_chips == 1:
            chosen = chips[rng.integers(0, len(chips), size=m)][:, None]
        else:
            keys = rng.random((m, len(chips)))
            chosen = chips[np.argsort(keys, axis=1)[:, : self.n_chips]]
        p = FaultPatterns.empty(m, geom, stuck=self.mode != FLIP)
        B = self._beats(geom)
        one_beat = self.mode == FLIP and self.scope == "beat"
        beat = rng.integers(0, B, size=m) if B > 1 else np.zeros(m, dtype=np.int64)
        if one_beat:  # (B, chips, S, W) / (B, chips, S): each chip's bits in each beat
            per_beat = [_chip_masks(geom, b) for b in range(B)]
            all_d = np.stack([d for d, _ in per_beat])
            all_c = np.stack([c for _, c in per_beat])
        else:
            all_d, all_c = _chip_masks(geom, None)
        for j in range(self.n_chips):
            cid = chosen[:, j]
            md, mc = (all_d[beat, cid], all_c[beat, cid]) if one_beat else (all_d[cid], all_c[cid])
            if self.mode == FLIP:
                md, mc = _random_under(rng, md, mc)
            _or_into(p, self.mode, md, mc)
            if one_beat:
                p.touched |= (all_d[beat, cid] != 0).any(axis=-1) | (all_c[beat, cid] != 0)
            else:
                p.touched[:] = True  # the chip fails in every beat: every codeword is reached
        if self.n_chips == 1:
            p.site[:] = chosen[:, 0]
        return p


class Combined(FaultModel):
    """Several independent faults in the same line at once (e.g. a chip failure plus a 1-bit
    error). Enumerates the Cartesian product when every part is finite."""

    def __init__(self, *parts: FaultModel) -> None:
        if len(parts) < 2 or not all(isinstance(p, FaultModel) for p in parts):
            raise FaultError("Combined needs at least two fault models")
        self.parts = parts
        self.name = "+".join(p.name for p in parts)

    @property
    def data_dependent(self):
        return any(p.data_dependent for p in self.parts)

    def count(self, geom):
        total = 1
        for p in self.parts:
            c = p.count(geom)
            if c is None:
                return None
            total *= c
        return total

    def _enumerate(self, geom):
        pats = [p.enumerate(geom) for p in self.parts]
        sizes = [q.m for q in pats]
        total = math.prod(sizes)
        idx = np.arange(total)
        acc = None
        stride = total
        for q, sz in zip(pats, sizes, strict=True):
            stride //= sz
            sel = (idx // stride) % sz
            part = q.select(sel)
            acc = part if acc is None else acc.union(part)
        return acc

    def sample(self, geom, rng, m):
        acc = None
        for p in self.parts:
            q = p.sample(geom, rng, m)
            acc = q if acc is None else acc.union(q)
        return acc


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------
_NAMED = {
    "bit": ("1 random bit flips in a codeword", lambda a: RandomBits(1)),
    "bits": ("K distinct random bits flip in a codeword (bits:K, default 2)",
             lambda a: RandomBits(int(a or 2))),
    "burst": ("L adjacent codeword bits flip (burst:L, default 4)", lambda a: Burst(int(a or 4))),
    "burst-random": ("burst of L bits: both ends flip, those between at random (burst-random:L)",
                     lambda a: Burst(int(a or 4), solid=False)),
    "pin": ("one DQ pin flips in a random non-empty set of beats", lambda a: PinFault(FLIP)),
    "pin-stuck-0": ("one DQ pin stuck at 0 for the whole burst", lambda a: PinFault(STUCK0)),
    "pin-stuck-1": ("one DQ pin stuck at 1 for the whole burst", lambda a: PinFault(STUCK1)),
    "chip": ("one chip: random non-zero pattern over its bits in one beat",
             lambda a: ChipFault(FLIP, "beat")),
    "chip-burst": ("one chip: random non-zero pattern over all its beats",
                   lambda a: ChipFault(FLIP, "burst")),
    "chip-stuck-0": ("one chip stuck at 0 (all bits, all beats)", lambda a: ChipFault(STUCK0)),
    "chip-stuck-1": ("one chip stuck at 1 (all bits, all beats)", lambda a: ChipFault(STUCK1)),
    "chips": ("C distinct chips fail in one beat (chips:C, default 2)",
              lambda a: ChipFault(FLIP, "beat", chips=int(a or 2))),
}  # fmt: skip


_TAKES_PARAMETER = frozenset({"bits", "burst", "burst-random", "chips"})


def fault_names() -> dict[str, str]:
    """Fault names understood by :func:`get_fault`, with a one-line description each."""
    return {k: v[0] for k, v in _NAMED.items()}


def get_fault(spec: str | FaultModel) -> FaultModel:
    """Parse a fault name such as ``"bits:3"``, ``"burst:8"``, ``"chip"``; ``a+b`` combines."""
    if isinstance(spec, FaultModel):
        return spec
    spec = str(spec).strip()
    if "+" in spec:
        return Combined(*(get_fault(s) for s in spec.split("+")))
    base, _, arg = spec.partition(":")
    if base not in _NAMED:
        raise FaultError(
            f"unknown fault {spec!r}{suggest(base, list(_NAMED))}; known faults: {', '.join(_NAMED)}"
            " (parameters as name:N, combinations as a+b)"
        )
    if arg and base not in _TAKES_PARAMETER:
        raise FaultError(
            f"fault {base!r} takes no parameter (got {spec!r}); parameters go with "
            f"{', '.join(sorted(_TAKES_PARAMETER))}"
        )
    try:
        return _NAMED[base][1](arg)
    except ValueError as exc:
        if isinstance(exc, FaultError):
            raise
        raise FaultError(f"fault {spec!r}: parameter {arg!r} must be a whole number") from None
