"""Random helpers shared by the fault models: distinct random positions, uniformly random
non-empty sub-patterns of masks, and cached per-chip masks."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..module import ModuleGeometry

_FULL = np.iinfo(np.uint64).max


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


def random_slots(rng: np.random.Generator, m: int, geom: ModuleGeometry, slot: int | None):
    """``(m,)`` codeword slots: ``slot`` everywhere, or uniform over the line's slots."""
    if slot is not None:
        return np.full(m, slot, dtype=np.int64)
    return rng.integers(0, geom.slots, size=m, dtype=np.int64)


@lru_cache(maxsize=64)
def _chip_masks(geom: ModuleGeometry, beat: int | None):
    return geom.chip_masks(beat)
