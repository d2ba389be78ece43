"""Hamming codes: shortened single-error-correcting (SEC) and extended SEC-DED versions.

Data column i of the SEC part is the binary form of the i-th codeword position in 1, 2, 3, ...
that is not a power of two (the textbook layout with check bits at positions 1, 2, 4, ...), so
the data columns are all distinct non-zero r-bit values of weight >= 2.
"""

from __future__ import annotations

import numpy as np

from ..errors import CodeError
from ..validate import require_int
from .linear import MAX_CHECK_BITS, MAX_CODE_BITS, LinearCode


def _hamming_data_columns(k: int, r: int) -> np.ndarray:
    """``(r, k)`` 0/1: binary forms of the first k non-power-of-two positions 3, 5, 6, 7, 9, ..."""
    cols = []
    pos = 1
    while len(cols) < k:
        if pos & (pos - 1):  # not a power of two
            cols.append(pos)
        pos += 1
    if cols[-1] >= 1 << r:
        raise CodeError(f"k={k} data bits need more than r={r} Hamming check bits")
    return np.array([[(c >> j) & 1 for c in cols] for j in range(r)], dtype=np.uint8)


def hamming_sec(k: int, r: int, *, name: str | None = None) -> LinearCode:
    """Shortened Hamming SEC (k + r, k) code: corrects any single-bit error, no DED guarantee."""
    r = require_int("r", r, 2, MAX_CHECK_BITS, error=CodeError)
    k = require_int("k", k, 1, MAX_CODE_BITS - r, error=CodeError)
    A = _hamming_data_columns(k, r)
    H = np.concatenate([A, np.eye(r, dtype=np.uint8)], axis=1)
    return LinearCode(
        H,
        name=name or f"hamming-sec-{k + r}",
        summary=f"shortened Hamming SEC ({k + r},{k}), textbook column order",
        decoder="sec",
    )


def hamming_secded(k: int = 64, *, name: str | None = None) -> LinearCode:
    """Extended Hamming SEC-DED (k + r + 1, k): Hamming SEC plus an overall parity bit.

    The overall parity row (all ones) is folded into systematic form, so the last check bit is
    the parity of the data bits whose Hamming column has even weight. Every column then has odd
    weight, but — unlike Hsiao — the weights are not the smallest possible."""
    k = require_int("k", k, 1, MAX_CODE_BITS - 14, error=CodeError)
    r = 1
    while (1 << r) - r - 1 < k:
        r += 1
    A = _hamming_data_columns(k, r)
    overall = (A.sum(axis=0) % 2 == 0).astype(np.uint8)  # row7 + sum(rows) in systematic form
    A = np.concatenate([A, overall[None, :]], axis=0)
    H = np.concatenate([A, np.eye(r + 1, dtype=np.uint8)], axis=1)
    return LinearCode(
        H,
        name=name or f"hamming-secded-{k + r + 1}",
        summary=f"extended Hamming SEC-DED ({k + r + 1},{k}): Hamming SEC + overall parity",
        decoder="sec",
    )
