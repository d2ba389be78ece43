"""Exact outcome analysis: how every k-bit error pattern, or every pattern of a finite fault
model, decodes — counted, not sampled.

k-bit errors are counted in syndrome space: a dynamic programme over the columns of H gives,
for each weight w and syndrome s, the number of w-subsets of codeword bits whose syndrome is
s (``subset_syndrome_counts``). The decoder acts on the syndrome alone, so
  undetected  = #(w-subsets with s = 0),
  DUE         = sum over syndromes the decoder flags,
  CE          = number of correctable patterns of weight w (each maps to itself),
  miscorrected = the rest of the correctable syndromes' subsets.
Enumeration (:func:`enumerate_kbit`) runs the real decoder on every pattern as a cross-check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from .bits import data_words
from .codes import LinearCode, get_code
from .compile import DUE, compile_code
from .outcomes import N_OUTCOMES, OUTCOME_LABELS, OutcomeCounts

INT64_SAFE = 2**62


def subset_syndrome_counts(code: LinearCode | str, max_w: int) -> np.ndarray:
    """``(max_w + 1, 2**r)`` array: entry [w, s] = number of w-bit error patterns with syndrome s.

    int64 when every count fits, else Python ints (object dtype). Wraps
    ``_kernels._subset_syndrome_counts``."""
    c = get_code(code)
    if not isinstance(max_w, int | np.integer) or max_w < 0:
        raise ValueError(f"max_w={max_w!r} must be a non-negative integer")
    max_w = min(int(max_w), c.n)
    cc = compile_code(c)
    cc.require_table()
    nsyn = 1 << c.r
    if max(math.comb(c.n, w) for w in range(max_w + 1)) < INT64_SAFE:
        return K._subset_syndrome_counts(cc.columns.astype(np.int64), max_w, nsyn)
    out = np.zeros((max_w + 1, nsyn), dtype=object)
    out[:] = 0
    out[0, 0] = 1
    idx = np.arange(nsyn)
    for i, col in enumerate(cc.columns.astype(np.int64)):
        for w in range(min(max_w, i + 1), 0, -1):
            out[w] = out[w] + out[w - 1][idx ^ col]
    return out


@dataclass(frozen=True)
class KBitRow:
    """Exact outcome counts over all C(n, k) k-bit error patterns of a code."""

    k: int
    total: int
    ce: int
    due: int
    sdc_undetected: int
    sdc_miscorrected: int

    @property
    def sdc(self) -> int:
        return self.sdc_undetected + self.sdc_miscorrected

    def fraction(self, label: str) -> float:
        return getattr(self, label) / self.total if self.total else 0.0

    def as_counts(self) -> OutcomeCounts:
        arr = np.array(
            [0, self.ce, self.due, self.sdc_undetected, self.sdc_miscorrected], dtype=object
        )
        if self.total < INT64_SAFE:
            arr = arr.astype(np.int64)
        return OutcomeCounts(arr)


def exact_kbit(code: LinearCode | str, max_bits: int) -> list[KBitRow]:
    """Exact outcome split of every k-bit error, k = 1..max_bits, from syndrome-space counts."""
    c = get_code(code)
    if not isinstance(max_bits, int | np.integer) or not 1 <= max_bits <= c.n:
        raise ValueError(f"max_bits={max_bits!r} must be an integer in 1..{c.n} (the code length)")
    cc = compile_code(c)
    counts = subset_syndrome_counts(c, int(max_bits))
    table = cc.require_table()
    flagged = table == DUE
    correctable = table >= 0
    ce_by_weight = np.bincount(cc.pat_weight[: len(c.correctable)], minlength=int(max_bits) + 1)
    rows = []
    for k in range(1, int(max_bits) + 1):
        row = counts[k]
        ce = int(ce_by_weight[k]) if k < ce_by_weight.size else 0
        rows.append(
            KBitRow(
                k=k,
                total=math.comb(c.n, k),
                ce=ce,
                due=int(row[flagged].sum()),
                sdc_undetected=int(row[0]),
                sdc_miscorrected=int(row[correctable].sum()) - ce,
            )
        )
    return rows


def enumerate_kbit(code: LinearCode | str, k: int, seed: int = 0) -> OutcomeCounts:
    """Outcome counts from flipping every k-subset of a random codeword's bits and running the
    real decoder (``_kernels._enumerate_k_bits``); the cross-check of :func:`exact_kbit`."""
    c = get_code(code)
    if not isinstance(k, int | np.integer) or not 0 <= k <= c.n:
        raise ValueError(f"k={k!r} must be an integer in 0..{c.n}")
    cc = compile_code(c)
    rng = np.random.default_rng(seed)
    W = data_words(c.k)
    d = rng.integers(0, np.iinfo(np.uint64).max, size=(1, W), dtype=np.uint64, endpoint=True)
    if c.k % 64:
        d[0, -1] &= np.uint64((1 << (c.k % 64)) - 1)
    chk = np.empty(1, dtype=cc.check_dtype)
    K._encode(d, cc.masks, chk)
    counts = np.zeros(N_OUTCOMES, dtype=np.int64)
    K._enumerate_k_bits(
        d, chk, c.n, c.k, int(k), cc.masks, cc.require_table(), cc.pat_data, cc.pat_check, counts
    )
    return OutcomeCounts(counts)


def format_kbit_table(code: LinearCode, rows: list[KBitRow]) -> str:
    """A fixed-width text table of :func:`exact_kbit` rows (counts and fractions)."""
    head = f"{'k':>3} {'patterns':>16} " + " ".join(
        f"{lab:>26}" for lab in ("CE", "DUE", "SDC undetected", "SDC miscorrected")
    )
    lines = [f"exact k-bit error outcomes for {code.name} ({code.n},{code.k})", head]
    for r in rows:
        cells = []
        for lab in ("ce", "due", "sdc_undetected", "sdc_miscorrected"):
            v = getattr(r, lab)
            cells.append(f"{v:>16} ({r.fraction(lab):7.3%})")
        lines.append(f"{r.k:>3} {r.total:>16} " + " ".join(cells))
    return "\n".join(lines)


__all__ = [
    "OUTCOME_LABELS",
    "KBitRow",
    "enumerate_kbit",
    "exact_kbit",
    "format_kbit_table",
    "subset_syndrome_counts",
]
