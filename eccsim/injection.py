"""Fault injection: write data into a module's lines, inject fault patterns, read, decode and
classify every touched codeword. The one public call is :func:`inject`.

Random runs are split into fixed blocks of ``BLOCK`` patterns; block ``i`` draws its data and
faults from ``SeedSequence(seed, spawn_key=(i,))`` — the i-th child of ``SeedSequence(seed)``
— so counts depend only on the seed and the number of trials, never on how work is chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from .bits import data_words
from .codec import InputError
from .codes import LinearCode, get_code
from .compile import compile_code
from .faults import FaultModel, FaultPatterns, get_fault
from .module import ModuleGeometry, get_module
from .outcomes import OutcomeCounts, worst

BLOCK = 4096


@dataclass
class InjectionResult:
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

    def __iadd__(self, other: InjectionResult) -> InjectionResult:
        self.patterns += other.patterns
        self.words += other.words
        self.lines += other.lines
        return self


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The generator of random block ``block`` of a run seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def _validate_data(data, geom: ModuleGeometry, W: int) -> np.ndarray:
    if not isinstance(data, np.ndarray) or data.dtype != np.uint64:
        raise InputError("data must be a numpy uint64 array of lines")
    S = geom.slots
    if W == 1 and data.ndim == 2 and data.shape[1] == S:
        data = data[:, :, None]
    if data.ndim != 3 or data.shape[1:] != (S, W) or data.shape[0] == 0:
        raise InputError(
            f"data must have shape (lines, {S}) or (lines, {S}, {W}) for {geom.name} "
            f"({S} codewords of {geom.k} data bits per line), got {data.shape}"
        )
    return np.ascontiguousarray(data)


def _run_patterns(cc, data, pats: FaultPatterns, site_kind: str):
    """Encode ``data (m,S,W)``, apply ``pats``, decode and classify; returns (words, lines)."""
    m, S, W = data.shape
    flat = data.reshape(m * S, W)
    check = np.empty(m * S, dtype=cc.check_dtype)
    if W == 1:
        K._encode_w1(flat.reshape(-1), cc.masks, check)
    else:
        K._encode(flat, cc.masks, check)
    rd, rc = pats.apply(data, check.reshape(m, S))
    out = np.empty(m * S, dtype=np.int8)
    K._classify(
        flat, check, np.ascontiguousarray(rd).reshape(m * S, W), np.ascontiguousarray(rc).ravel(),
        cc.masks, cc.require_table(), cc.pat_data, cc.pat_check, out,
    )  # fmt: skip
    outcomes = out.reshape(m, S)
    touched = pats.touched
    sites = np.broadcast_to(pats.site[:, None], (m, S))
    keep_sites = site_kind != ""
    words = OutcomeCounts.from_outcomes(outcomes[touched], sites[touched] if keep_sites else None)
    line_outcomes = worst(np.where(touched, outcomes, 0), axis=1)
    lines = OutcomeCounts.from_outcomes(line_outcomes, pats.site if keep_sites else None)
    return words, lines


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

    With ``trials=None`` every pattern of a finite fault model is injected once (exhaustive);
    otherwise ``trials`` patterns are sampled. Each pattern hits its own line; the line's data
    is ``data[i % lines]`` when ``data`` (uint64, shape ``(lines, S)`` or ``(lines, S, W)``) is
    given, random (from ``seed``) otherwise."""
    c = get_code(code)
    geom = get_module(module)
    f = get_fault(fault)
    geom.check_code(c)
    cc = compile_code(c)
    cc.require_table()
    W = data_words(c.k)
    if data is not None:
        data = _validate_data(data, geom, W)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed={seed!r} must be a non-negative integer")
    res = InjectionResult(
        c.name, geom.name, f.name, f.site_kind, trials is None, 0, OutcomeCounts(), OutcomeCounts()
    )
    if trials is None:
        pats = f.enumerate(geom)
        starts = range(0, pats.m, BLOCK)
        for b, start in enumerate(starts):
            sl = slice(start, min(start + BLOCK, pats.m))
            part = _slice(pats, sl)
            d = _line_data(data, geom, W, part.m, start, seed, b)
            w, ln = _run_patterns(cc, d, part, f.site_kind)
            res += InjectionResult("", "", "", "", True, part.m, w, ln)
        return res
    if not isinstance(trials, int | np.integer) or trials < 1:
        raise InputError(f"trials={trials!r} must be a positive integer (or None for exhaustive)")
    for b, start in enumerate(range(0, int(trials), BLOCK)):
        m = min(BLOCK, int(trials) - start)
        rng = block_rng(seed, b)
        d = _line_data(data, geom, W, m, start, None, None, rng)
        pats = f.sample(geom, rng, m)
        w, ln = _run_patterns(cc, d, pats, f.site_kind)
        res += InjectionResult("", "", "", "", False, m, w, ln)
    return res


def _line_data(data, geom, W, m, start, seed, block, rng=None):
    if data is not None:
        idx = (np.arange(start, start + m)) % data.shape[0]
        return np.ascontiguousarray(data[idx])
    if rng is None:
        rng = block_rng(seed, block)
    d = rng.integers(
        0, np.iinfo(np.uint64).max, size=(m, geom.slots, W), dtype=np.uint64, endpoint=True
    )
    if geom.k % 64:
        d[..., -1] &= np.uint64((1 << (geom.k % 64)) - 1)
    return d


def _slice(p: FaultPatterns, sl: slice) -> FaultPatterns:
    return FaultPatterns(
        *(
            None if getattr(p, f) is None else getattr(p, f)[sl]
            for f in FaultPatterns.__dataclass_fields__
        )
    )
