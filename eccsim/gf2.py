"""Small GF(2) linear algebra on 0/1 uint8 matrices (set-up only, never on hot paths)."""

from __future__ import annotations

import numpy as np


def rank(m: np.ndarray) -> int:
    """Rank over GF(2) of a 0/1 matrix."""
    a = (np.asarray(m, dtype=np.uint8) & 1).copy()
    rows, cols = a.shape
    rk = 0
    for c in range(cols):
        if rk == rows:
            break
        pivots = np.nonzero(a[rk:, c])[0]
        if pivots.size == 0:
            continue
        p = rk + pivots[0]
        if p != rk:
            a[[rk, p]] = a[[p, rk]]
        below = np.nonzero(a[:, c])[0]
        below = below[below != rk]
        a[below] ^= a[rk]
        rk += 1
    return rk


def inverse(m: np.ndarray) -> np.ndarray:
    """Inverse over GF(2) of a square 0/1 matrix; raises ``ValueError`` if it is singular."""
    a = (np.asarray(m, dtype=np.uint8) & 1).copy()
    n = a.shape[0]
    if a.shape != (n, n):
        raise ValueError(f"matrix must be square, got shape {a.shape}")
    aug = np.concatenate([a, np.eye(n, dtype=np.uint8)], axis=1)
    for c in range(n):
        pivots = np.nonzero(aug[c:, c])[0]
        if pivots.size == 0:
            raise ValueError("matrix is singular over GF(2)")
        p = c + pivots[0]
        if p != c:
            aug[[c, p]] = aug[[p, c]]
        others = np.nonzero(aug[:, c])[0]
        others = others[others != c]
        aug[others] ^= aug[c]
    return aug[:, n:].copy()


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product over GF(2)."""
    return (np.asarray(a, dtype=np.int64) @ np.asarray(b, dtype=np.int64) % 2).astype(np.uint8)
