"""Memory systems: a module, the rank-level code the memory controller decodes, and the on-die
code inside every chip — and the two-level decoding of device faults through them.

**Naming a system in one line**: ``RANK@MODULE`` or ``RANK@MODULE+ondie=ONDIE``, e.g.
``hsiao-secded@x8-ecc-dimm``, ``chipkill-x4@x4-chipkill-dimm``,
``ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136``. ``RANK`` may be ``none`` (no rank-level
ECC: whatever reaches the controller is delivered as read). Codes and modules are catalogue
names (``eccsim codes``, ``eccsim modules``) or code files.

**The on-die codeword of a chip** (on-die code ``(n_o, k_o)``; the chip sends ``V =
chip_width * burst_length`` bits per access): on-die data bit ``i < V`` is the chip's bus bit
``i`` in the order it drives them — beat ``i // chip_width``, pin ``i % chip_width``
(:meth:`eccsim.module.ModuleGeometry.bits_of_chip`); bits ``V .. k_o - 1`` are the rest of the
chip's internal fetch, not sent in this access (on a DDR5 x4 chip, BL16 sends 64 of the 128
bits of its (136,128) on-die word; the other 64 are read, checked and corrected with them);
on-die check bits ``k_o .. n_o - 1`` never leave the chip. ``k_o`` must be ``V`` or ``2V``.
The on-die decoder corrects what it sees as a single-bit error and passes everything else
through unchanged: it has no DUE signal.

**Two-level decoding** (exact for any flip pattern, no data needed: both decoders act on
syndromes alone): each chip's stored error goes through its on-die decoder; the residual sent
bits, with any bus (pin) error added, form the error of each rank codeword, which the rank-level
decoder classifies as usual (:func:`eccsim.analysis.classify_patterns`). A line's outcome is
its worst codeword's; a line whose sent data came out right is CE when some decoder acted (on
die or at rank level) and NO_ERROR when the fault never reached its sent bits.

**What the on-die level did**, per line (the worst over its chips): ``none`` (no stored bit
wrong), ``corrected`` (every wrong bit fixed), ``passed`` (an error left, as it was or partly
fixed, and no good bit flipped), ``miscorrected`` (the decoder flipped a bit that was right).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .analysis import classify_patterns
from .bits import data_words
from .codes import LinearCode, get_code
from .compile import compile_code
from .errors import ModuleError
from .faults.device import DeviceFault, DevicePatterns, get_device_fault
from .faults.patterns import FaultPatterns
from .injection import BLOCK, InjectionResult, fault_stream, tally
from .module import ModuleGeometry, get_module
from .outcomes import CE, NO_ERROR, ON_DIE_LABELS, SDC_UNDETECTED, OutcomeCounts, worst
from .validate import require_int

_NONE, _CORRECTED, _PASSED, _MISCORRECTED = range(4)


@dataclass(frozen=True, eq=False)
class MemorySystem:
    """A module with its rank-level code (None: no rank ECC) and on-die code (None: no on-die
    ECC). Build with :func:`get_system`; checked on construction."""

    module: ModuleGeometry
    rank: LinearCode | None
    on_die: LinearCode | None

    def __post_init__(self) -> None:
        if self.rank is None and self.on_die is None:
            raise ModuleError(f"a memory system on {self.module.name!r} needs a rank-level code, "
                              "an on-die code, or both")  # fmt: skip
        if self.rank is not None:
            self.module.check_code(self.rank)
        if self.on_die is not None:
            V = self.sent_bits
            if self.on_die.k not in (V, 2 * V):
                raise ModuleError(
                    f"on-die code {self.on_die.name!r} protects {self.on_die.k} data bits, but a "
                    f"chip of {self.module.name!r} sends {V} bits per access ({self.module.chip_width}"
                    f" pins x {self.module.burst_length} beats): its data width must be {V} or "
                    f"{2 * V} (the internal fetch, half sent)"
                )
            compile_code(self.on_die)  # any decoder: direct tables and keyed lookups both work

    @property
    def name(self) -> str:
        rank = "none" if self.rank is None else self.rank.name
        ondie = "" if self.on_die is None else f"+ondie={self.on_die.name}"
        return f"{rank}@{self.module.name}{ondie}"

    @property
    def sent_bits(self) -> int:
        """Bits a chip sends per access (``chip_width * burst_length``)."""
        return self.module.chip_width * self.module.burst_length

    @property
    def stored_bits(self) -> int:
        """Bits of a chip one access depends on: its on-die codeword, or the bits it sends."""
        return self.sent_bits if self.on_die is None else self.on_die.n

    def describe(self) -> str:
        lines = [f"{self.name}: {self.module.describe()}"]
        lines.append("  rank-level code: " + ("none" if self.rank is None else
                                              self.rank.describe().splitlines()[0]))  # fmt: skip
        if self.on_die is not None:
            V, k = self.sent_bits, self.on_die.k
            hidden = "" if k == V else f", bits {V}..{k - 1} the unsent half of its fetch"
            lines.append(
                f"  on-die code in every chip: {self.on_die.describe().splitlines()[0]}; on-die "
                f"data bits 0..{V - 1} are the chip's sent bits (beat-major){hidden}"
            )
        return "\n".join(lines)

    # ----- derived maps ------------------------------------------------------------------------
    @cached_property
    def _sent_index(self) -> np.ndarray:
        """``(chips, V)``: flat line position ``slot * n + bit`` of each chip's sent bit."""
        g = self.module
        out = np.empty((g.chips, self.sent_bits), dtype=np.int64)
        for c in range(g.chips):
            sb = g.bits_of_chip(c)
            out[c] = sb[:, 0] * g.n + sb[:, 1]
        return out

    @cached_property
    def _io_index(self) -> np.ndarray:
        """``(bus_width, burst_length)``: flat line position of each DQ pin's bit per beat."""
        g = self.module
        b = g.bits_of_dq
        return b[..., 0] * g.n + b[..., 1]

    @cached_property
    def _on_die_tables(self):
        """(compiled on-die code, correction patterns (P, n_o) bool)."""
        cc = compile_code(self.on_die)
        pats = np.zeros((max(len(self.on_die.correctable), 1), self.on_die.n), dtype=bool)
        for p, bits in enumerate(self.on_die.correctable):
            pats[p, list(bits)] = True
        return cc, pats

    # ----- two-level decoding ------------------------------------------------------------------
    def decode_errors(self, pats: DevicePatterns):
        """Outcomes of device-fault patterns: ``(words (m, S) int8, touched (m, S) bool,
        lines (m,) int8, on_die (m,) int8)`` — the outcome of each rank codeword (touched: its
        sent bits arrived wrong), of each line, and what the on-die level did (index into
        :data:`ON_DIE_LABELS`)."""
        g = self.module
        m = pats.m
        residual = pats.cells
        on_die = np.zeros(m, dtype=np.int8)
        acted = np.zeros(m, dtype=bool)
        if self.on_die is not None:
            cc, corr = self._on_die_tables
            syn = np.bitwise_xor.reduce(np.where(residual, cc.columns, np.uint64(0)), axis=2)
            act = cc.actions(syn)  # a direct table or the keyed lookup (r > 22)
            fix = np.where((act >= 0)[..., None], corr[np.maximum(act, 0)], False)
            residual = residual ^ fix
            had = pats.cells.any(axis=2)
            left = residual.any(axis=2)
            harmed = (fix & ~pats.cells).any(axis=2)  # it flipped a bit that was right
            state = np.where(~had, _NONE, np.where(~left, _CORRECTED,
                             np.where(harmed, _MISCORRECTED, _PASSED)))  # fmt: skip
            on_die = state.max(axis=1).astype(np.int8)
            acted = (act >= 0).any(axis=1)
        err = np.zeros((m, g.slots * g.n), dtype=bool)
        err[:, self._sent_index.ravel()] = residual[:, :, : self.sent_bits].reshape(m, -1)
        err[:, self._io_index.ravel()] ^= pats.io.reshape(m, -1)
        err = err.reshape(m, g.slots, g.n)
        touched = err.any(axis=2)
        if self.rank is not None:
            words = classify_patterns(self.rank, _flip_patterns(err, g.k, touched, pats.site))
        else:  # no rank ECC: a wrong data bit reaches the reader unnoticed
            words = np.where(err[:, :, : g.k].any(axis=2), SDC_UNDETECTED, NO_ERROR)
            words = words.astype(np.int8)
        rank_acted = (words == CE).any(axis=1)
        lines = worst(np.where(touched, words, NO_ERROR), axis=1)
        lines = np.where((lines == NO_ERROR) & (acted | rank_acted), CE, lines).astype(np.int8)
        return words, touched, lines, on_die


def _flip_patterns(err: np.ndarray, k: int, touched: np.ndarray, site: np.ndarray) -> FaultPatterns:
    """:class:`FaultPatterns` (flips only) from a ``(m, S, n)`` bool error array."""
    m, S, n = err.shape
    W = data_words(k)
    data = np.zeros((m, S, 64 * W), dtype=bool)
    data[..., :k] = err[..., :k]
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    fd = (data.reshape(m, S, W, 64) * weights).sum(axis=-1, dtype=np.uint64)
    fc = (err[..., k:] * weights[: n - k]).sum(axis=-1, dtype=np.uint64)
    return FaultPatterns(fd, fc, None, None, None, None, touched, site)


def get_system(spec: str | MemorySystem) -> MemorySystem:
    """A :class:`MemorySystem` from its one-line name (see the module docstring)."""
    if isinstance(spec, MemorySystem):
        return spec
    if not isinstance(spec, str) or "@" not in spec:
        raise ModuleError(
            f"system={spec!r} must read RANK@MODULE or RANK@MODULE+ondie=ONDIE, e.g. "
            "chipkill-x4@x4-chipkill-dimm or ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136"
        )
    rank_name, _, rest = spec.strip().partition("@")
    module_name, plus, ondie_part = rest.partition("+")
    ondie = None
    if plus:
        key, eq, value = ondie_part.partition("=")
        if key.strip() != "ondie" or not eq or not value.strip():
            raise ModuleError(f"system {spec!r}: after '+' write ondie=CODE (the on-die code)")
        ondie = get_code(value.strip())
    rank = None if rank_name.strip().lower() == "none" else get_code(rank_name.strip())
    return MemorySystem(get_module(module_name.strip()), rank, ondie)


@dataclass
class SystemResult(InjectionResult):
    """:class:`InjectionResult` of a memory system, plus ``on_die``: lines by what the on-die
    level did (counts in the order of :data:`~eccsim.outcomes.ON_DIE_LABELS`; None without an
    on-die level)."""

    on_die: np.ndarray | None = None  # None: the system has no on-die level


def _block_result(system, fault, pats: DevicePatterns, exhaustive: bool) -> SystemResult:
    words, touched, lines, on_die = system.decode_errors(pats)
    fp = FaultPatterns(np.zeros((pats.m, 0, 0), np.uint64), np.zeros((pats.m, 0), np.uint64),
                       None, None, None, None, touched, pats.site)  # fmt: skip
    w, _ = tally(words, fp, fault.site_kind)
    ln = OutcomeCounts.from_outcomes(lines, pats.site if fault.site_kind else None)
    counts = None
    if system.on_die is not None:
        counts = np.bincount(on_die, minlength=len(ON_DIE_LABELS)).astype(np.int64)
    return SystemResult(system.name, system.module.name, fault.name, fault.site_kind, exhaustive,
                        pats.m, w, ln, counts)  # fmt: skip


def run_system_blocks(system: MemorySystem, fault: DeviceFault, *, exhaustive: bool, total: int,
                      blocks: range, seed: int, stream: int) -> SystemResult:  # fmt: skip
    """Blocks ``blocks`` of a job of ``total`` patterns (exhaustive: pattern numbers ``b *
    BLOCK ..``; sampled: block ``b`` draws from ``SeedSequence(seed, spawn_key=(stream, b))``,
    so counts do not depend on how blocks are grouped into chunks or workers)."""
    L = system.stored_bits
    res = SystemResult(system.name, system.module.name, fault.name, fault.site_kind, exhaustive,
                       0, OutcomeCounts(), OutcomeCounts())  # fmt: skip
    for b in blocks:
        start = b * BLOCK
        m = min(BLOCK, total - start)
        if m <= 0:
            break
        if exhaustive:
            pats = fault.patterns_at(system.module, L, np.arange(start, start + m, dtype=np.int64))
        else:
            ss = np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(b)))
            pats = fault.sample(system.module, L, np.random.default_rng(ss), m)
        res += _block_result(system, fault, pats, exhaustive)
    return res


def evaluate_system(system: MemorySystem | str, fault: DeviceFault | str, *,
                    trials: int | None = None, seed: int = 0) -> SystemResult:  # fmt: skip
    """Outcome counts of a device fault on a memory system: every pattern when the model is
    finite and ``trials`` is None, else ``trials`` random patterns (seeded)."""
    s = get_system(system)
    f = get_device_fault(fault)
    seed = require_int("seed", seed, 0)
    if trials is None:
        total = f.require_enumerable(s.module, s.stored_bits)
        exhaustive = True
    else:
        total = require_int("trials", trials, 1, 10**12)
        exhaustive = False
    stream = fault_stream(f)
    nblk = (total + BLOCK - 1) // BLOCK
    return run_system_blocks(s, f, exhaustive=exhaustive, total=total, blocks=range(nblk),
                             seed=seed, stream=stream)  # fmt: skip


__all__ = ["ON_DIE_LABELS", "MemorySystem", "SystemResult", "evaluate_system", "get_system"]
