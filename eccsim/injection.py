"""Fault injection: write data into a module's lines, inject fault patterns, read, decode and
classify every touched codeword. The one public call is :func:`inject`.

Work is split into blocks of ``BLOCK`` patterns. Random block ``b`` of fault model ``f`` draws
its data and faults from ``SeedSequence(seed, spawn_key=(stream(f), b))`` — a child of
``SeedSequence(seed)`` — so counts depend only on the seed and the number of trials, never on
how blocks are grouped into chunks or workers. The stream depends on the fault model, not the
code, so every code sees the same data and the same fault patterns (a paired comparison).

Memory stays bounded whatever the size of a run: an exhaustive block builds only its own
patterns (:meth:`~eccsim.faults.FaultModel.patterns_at`), and the fused k-bit kernel takes
blocks in groups of ``FUSED_GROUP``. One in-process call runs at most ``MAX_CASES`` cases
(larger runs belong in a checkpointed campaign).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from . import dispatch
from .bits import data_words
from .codes import LinearCode, get_code
from .compile import CompiledCode, compile_code
from .errors import FaultError, InputError, LimitError
from .faults import FaultModel, FaultPatterns, RandomBits, get_fault
from .module import ModuleGeometry, get_module
from .outcomes import CountRecord, OutcomeCounts, worst
from .validate import require_int

BLOCK = 4096
#: blocks per call of the fused k-bit kernel (bounds its seed and count arrays)
FUSED_GROUP = 256
#: most cases (sampled trials, or exhaustive patterns x data lines) one inject() call runs
MAX_CASES = 10**10


@dataclass
class InjectionResult(CountRecord):
    """Outcome counts of one (code, module, fault) run.

    ``words`` counts every codeword a fault touched; ``lines`` counts each injected line once,
    by the worst outcome of its touched codewords (SDC > DUE > CE > no error). Both carry a
    per-site breakdown (chip or DQ) when the fault model has sites."""

    code: str
    module: str
    fault: str
    site_kind: str
    exhaustive: bool
    patterns: int
    words: OutcomeCounts
    lines: OutcomeCounts

    @property
    def exact(self) -> bool:
        return self.exhaustive


def fault_stream(fault: FaultModel) -> int:
    """Stable stream number of a fault model (CRC-32 of its name)."""
    return zlib.crc32(fault.name.encode())


def _block_sequence(seed: int, stream: int, block: int) -> np.random.SeedSequence:
    """The child of ``SeedSequence(seed)`` that owns block ``block`` of stream ``stream``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(block)))


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    """Generator of random block ``block`` in stream ``stream`` of a run seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(_block_sequence(seed, stream, block)))


def validate_line_data(data, geom: ModuleGeometry) -> np.ndarray:
    """Check user line data: uint64 ``(lines, S)`` (k <= 64) or ``(lines, S, W)``."""
    W = data_words(geom.k)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint64:
        raise InputError("data must be a numpy uint64 array of lines")
    S = geom.slots
    shape = data.shape
    if W == 1 and data.ndim == 2 and data.shape[1] == S:
        data = data[:, :, None]
    if data.ndim != 3 or data.shape[1:] != (S, W) or data.shape[0] == 0:
        raise InputError(
            f"data must have shape (lines, {S}) or (lines, {S}, {W}) with at least one line for "
            f"{geom.name} ({S} codewords of {geom.k} data bits per line), got {shape}"
        )
    if geom.k % 64 and (data[..., -1] >> np.uint64(geom.k % 64)).any():
        raise InputError(f"data has bits set at or above bit k={geom.k}")
    return np.ascontiguousarray(data)


def classify_lines(cc: CompiledCode, data: np.ndarray, pats: FaultPatterns) -> np.ndarray:
    """Outcome code of every codeword (m, S) after writing ``data (m,S,W)`` and reading it back
    under ``pats``. Wraps ``_kernels._encode*`` and ``_kernels._classify``."""
    m, S, W = data.shape
    flat = data.reshape(m * S, W)
    check = np.empty(m * S, dtype=cc.check_dtype)
    dispatch.encode_into(cc, flat, check)
    rd, rc = pats.apply(data, check.reshape(m, S))
    out = np.empty(m * S, dtype=np.int8)
    dispatch.classify_into(
        cc, flat, check, np.ascontiguousarray(rd).reshape(m * S, W),
        np.ascontiguousarray(rc).ravel(), out,
    )  # fmt: skip
    return out.reshape(m, S)


def tally(outcomes: np.ndarray, pats: FaultPatterns, site_kind: str):
    """(word counts, line counts) of a block; see :class:`InjectionResult`."""
    touched = pats.touched
    keep_sites = site_kind != ""
    sites = np.broadcast_to(pats.site[:, None], outcomes.shape)
    words = OutcomeCounts.from_outcomes(outcomes[touched], sites[touched] if keep_sites else None)
    line_outcomes = worst(np.where(touched, outcomes, 0), axis=1)
    lines = OutcomeCounts.from_outcomes(line_outcomes, pats.site if keep_sites else None)
    return words, lines


def n_blocks(count: int) -> int:
    return (count + BLOCK - 1) // BLOCK


def run_blocks(
    code: LinearCode,
    geom: ModuleGeometry,
    fault: FaultModel,
    *,
    exhaustive: bool,
    total: int,
    blocks: range,
    data: np.ndarray | None,
    seed: int,
) -> InjectionResult:
    """Run blocks ``blocks`` of a job of ``total`` patterns (exhaustive: pattern indices
    ``b*BLOCK ..``; random: ``total`` sampled trials) and return their summed counts."""
    cc = compile_code(code)
    stream = fault_stream(fault)
    res = InjectionResult(
        code.name, geom.name, fault.name, fault.site_kind, exhaustive, 0, OutcomeCounts(),
        OutcomeCounts(),
    )  # fmt: skip
    if _fused_ok(cc, geom, fault, exhaustive, data):
        return _run_fused(res, cc, geom, fault, total, blocks, seed, stream)
    # stuck-at faults cross every pattern with every data line; flips take line i % lines
    lines = data.shape[0] if (exhaustive and data is not None and fault.data_dependent) else 1
    for b in blocks:
        start = b * BLOCK
        m = min(BLOCK, total - start)
        if m <= 0:
            break
        rng = block_rng(seed, stream, b)
        items = np.arange(start, start + m)
        if exhaustive:  # case i: pattern i // lines over data line i % (data lines)
            pats = fault.patterns_at(geom, items // lines)  # this block's patterns only
        d = _line_data(data, geom, items, rng)
        if not exhaustive:
            pats = fault.sample(geom, rng, m)
        w, ln = tally(classify_lines(cc, d, pats), pats, fault.site_kind)
        res.patterns += m
        res.words += w
        res.lines += ln
    return res


def exhaustive_total(fault: FaultModel, geom: ModuleGeometry, data: np.ndarray | None) -> int:
    """Number of cases of an exhaustive run: every pattern once for flip faults (their outcome
    does not depend on the data), every pattern against every given data line for stuck-at."""
    fault.require_enumerable(geom)  # raises FaultError explaining why it cannot be enumerated
    if not fault.data_dependent:  # a flip's outcome ignores the data: each pattern once
        return fault.count(geom)
    if data is None:
        raise FaultError(
            f"fault {fault.name!r} is stuck-at: its errors depend on the stored bits, so an "
            "exhaustive (exact) run needs explicit data lines; give data, or sample it with "
            "trials=N (--trials N)"
        )
    return fault.count(geom) * data.shape[0]


def block_seed(seed: int, stream: int, block: int) -> np.uint64:
    """64-bit seed of a fused-kernel block (from the same SeedSequence child as block_rng)."""
    return _block_sequence(seed, stream, block).generate_state(1, np.uint64)[0]


def _fused_ok(cc, geom, fault, exhaustive, data) -> bool:
    """Random k-bit faults on random data with a k = 64, r <= 8 code take the fused kernel."""
    return (
        not exhaustive and data is None and isinstance(fault, RandomBits) and cc.fast8
        and cc.k == 64 and fault.bit_count <= cc.n
    )  # fmt: skip


def _run_fused(res, cc, geom, fault, total, blocks, seed, stream):
    """Random k-bit trials through ``_kernels._random_kbit_blocks`` (one codeword per line is
    touched, so line counts equal word counts). Blocks go to the kernel in groups of
    ``FUSED_GROUP``, so memory does not grow with the number of blocks; each block's counts
    depend only on its own seed, so the grouping does not change them."""
    last = n_blocks(total)  # blocks at or past it hold no trials
    blocks = range(blocks.start, min(blocks.stop, last), blocks.step) if isinstance(
        blocks, range) else [b for b in blocks if b < last]  # fmt: skip
    tot = np.zeros(5, dtype=np.int64)
    table = cc.require_table()
    for g in range(0, len(blocks), FUSED_GROUP):
        bl = blocks[g : g + FUSED_GROUP]
        seeds = np.array([block_seed(seed, stream, b) for b in bl], dtype=np.uint64)
        sizes = np.array([min(BLOCK, total - b * BLOCK) for b in bl], dtype=np.int64)
        counts = np.zeros((len(bl), 5), dtype=np.int64)
        K._random_kbit_blocks(seeds, sizes, fault.bit_count, cc.n, cc.m8, table,
                              cc.pat_data1, cc.pat_check_c, counts)  # fmt: skip
        tot += counts.sum(axis=0)
        res.patterns += int(sizes.sum())
    res.words += OutcomeCounts(tot.copy())
    res.lines += OutcomeCounts(tot.copy())
    return res


def inject(
    code: LinearCode | str,
    module: ModuleGeometry | str,
    fault: FaultModel | str,
    *,
    trials: int | None = None,
    data: np.ndarray | None = None,
    seed: int = 0,
) -> InjectionResult:
    """Run ``fault`` against ``code`` stored in ``module`` and count the outcomes.

    With ``trials=None`` every pattern of a finite fault model is injected (exhaustive): a flip
    pattern once (its outcome does not depend on the data), into a random line or line
    ``i % lines`` of ``data`` (uint64 lines, shape ``(lines, S)`` or ``(lines, S, W)``); a
    stuck-at pattern, whose error depends on the stored bits, into every given data line
    (stuck-at faults are exhaustive only over given data). With ``trials=N``, N random
    patterns are sampled, each into its own line (random data, or ``data`` cycled)."""
    c = get_code(code)
    geom = get_module(module)
    f = get_fault(fault)
    geom.check_code(c)
    compile_code(c).require_table()
    if data is not None:
        data = validate_line_data(data, geom)
    seed = require_int("seed", seed, 0, hint=" (a non-negative integer)")
    if trials is None:
        total, exhaustive = exhaustive_total(f, geom, data), True
        if total > MAX_CASES:
            raise LimitError(
                f"an exhaustive run of fault {f.name!r} over {data.shape[0]} data lines has "
                f"{total:,} cases; one inject() call runs at most {MAX_CASES:,}; give fewer "
                "data lines, sample with trials=N, or run a campaign (checkpointed, parallel)"
            )
    else:
        trials = require_int(
            "trials", trials, 1, hint=" (a positive integer, or None for exhaustive)"
        )
        if trials > MAX_CASES:
            raise LimitError(
                f"trials={trials:,} exceeds the {MAX_CASES:,} one inject() call runs in one "
                "process without checkpoints; run a campaign for more (checkpointed, parallel, "
                "resumable)"
            )
        total, exhaustive = trials, False
    return run_blocks(
        c, geom, f, exhaustive=exhaustive, total=total, blocks=range(n_blocks(total)), data=data,
        seed=int(seed),
    )  # fmt: skip


def _line_data(data, geom, items, rng):
    """Data of the lines for cases ``items``: user lines cycled, or random from ``rng``."""
    if data is not None:
        return np.ascontiguousarray(data[items % data.shape[0]])
    W = data_words(geom.k)
    d = rng.integers(
        0, np.iinfo(np.uint64).max, size=(items.size, geom.slots, W), dtype=np.uint64,
        endpoint=True,
    )  # fmt: skip
    if geom.k % 64:
        d[..., -1] &= np.uint64((1 << (geom.k % 64)) - 1)
    return d
