"""Per-byte even parity: one check bit per data byte, stored in the 9th chip of a parity DIMM."""

from __future__ import annotations

import numpy as np

from ..errors import CodeError
from ..validate import require_int
from .linear import MAX_CODE_BITS, LinearCode


def parity_byte(data_bytes: int = 8) -> LinearCode:
    """The (9*B, 8*B) per-byte parity code: check bit j = XOR of data byte j (bits 8j..8j+7).

    Detects any odd number of flips within one byte; corrects nothing (every non-zero syndrome
    is a detected-uncorrectable error)."""
    data_bytes = require_int("data_bytes", data_bytes, 1, MAX_CODE_BITS // 9, error=CodeError)
    k = 8 * data_bytes
    A = np.zeros((data_bytes, k), dtype=np.uint8)
    for j in range(data_bytes):
        A[j, 8 * j : 8 * j + 8] = 1
    H = np.concatenate([A, np.eye(data_bytes, dtype=np.uint8)], axis=1)
    return LinearCode(
        H,
        name="parity-byte" if data_bytes == 8 else f"parity-byte-{9 * data_bytes}",
        summary="one even-parity bit per data byte; detects odd-weight errors in a byte",
        decoder="detect",
    )
