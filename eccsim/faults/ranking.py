"""Unranking: pattern number ``i`` of an enumeration, built without listing the others.

Exhaustive runs build only the patterns of their own block (pattern numbers ``start..stop``),
so memory stays bounded by the block whatever the number of patterns. Combinations are
numbered in colexicographic order (the combinatorial number system): the c-subset
``a_1 < ... < a_c`` has number ``sum_i C(a_i, i)``.
"""

from __future__ import annotations

import math

import numpy as np

_CLIP = 1 << 62


def unrank_combinations(n: int, c: int, ranks) -> np.ndarray:
    """``(len(ranks), c)`` int64: the c-subsets of ``0..n-1`` numbered ``ranks`` (each in
    ``0 .. C(n, c) - 1``), colex order, elements ascending within a row."""
    r = np.array(ranks, dtype=np.int64, copy=True).ravel()
    out = np.empty((r.size, c), dtype=np.int64)
    for i in range(c, 0, -1):
        # C(a, i) for a = 0..n-1 is non-decreasing in a; values past any rank are clipped
        table = np.array([min(math.comb(a, i), _CLIP) for a in range(n)], dtype=np.int64)
        a = np.searchsorted(table, r, side="right") - 1  # largest a with C(a, i) <= rank
        out[:, i - 1] = a
        r -= table[a]
    return out


def bit_rows(values, bits: int) -> np.ndarray:
    """``(len(values), bits)`` bool: bit j of each value (LSB first)."""
    v = np.asarray(values, dtype=np.int64).ravel()
    return ((v[:, None] >> np.arange(bits)) & 1).astype(bool)


def _nonzero_patterns(bits: int) -> np.ndarray:
    """``(2**bits - 1, bits)`` 0/1: every non-zero pattern over ``bits`` positions, in order."""
    return bit_rows(np.arange(1, 1 << bits, dtype=np.int64), bits)
