"""Fault patterns: the error masks a fault leaves on the codewords of lines.

A batch (:class:`FaultPatterns`) holds, for ``m`` lines of ``S`` codewords each, three masks in
the split layout of :mod:`eccsim.bits` — bits to flip, bits stuck at 0, bits stuck at 1 — so
the word read back is ``((stored ^ flip) & ~stuck0) | stuck1``.

``touched[i, s]`` marks the codewords a pattern *changed or could change*: those where any of
its three masks has a bit set. A flip always changes such a word; a stuck-at cell changes it
only where the stored bit differs (elsewhere the fault is masked: outcome NO_ERROR). Codewords
a fault leaves alone — the beats a failing pin did not flip, the beats of a whole-burst chip
pattern that happen to be all zero — are not touched and are not counted. ``site`` is the chip
or DQ pin of a single-chip or single-pin fault (-1 otherwise), for per-site breakdowns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bits import data_words
from ..module import ModuleGeometry

FLIP, STUCK0, STUCK1 = "flip", "stuck-at-0", "stuck-at-1"
MODES = (FLIP, STUCK0, STUCK1)


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

    def _masks(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which == FLIP:
            return self.flip_data, self.flip_check
        if which == STUCK0:
            return self.stuck0_data, self.stuck0_check
        return self.stuck1_data, self.stuck1_check

    def set_bits(self, which: str, rows, slots, bits, k: int) -> None:
        """OR bits into the flip/stuck masks; ``rows, slots, bits`` are equal-length int arrays
        (codeword bit ``bits[i]`` of codeword ``slots[i]`` of pattern ``rows[i]``). Marks those
        codewords touched."""
        rows, slots, bits = (np.asarray(a, dtype=np.int64).ravel() for a in (rows, slots, bits))
        md, mc = self._masks(which)
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

    def or_masks(self, which: str, md: np.ndarray, mc: np.ndarray) -> None:
        """OR whole masks ``md (m,S,W)`` / ``mc (m,S)`` into the flip/stuck masks; marks the
        codewords where they set a bit touched."""
        d, c = self._masks(which)
        d |= md
        c |= mc
        self.touched |= (md != 0).any(axis=-1) | (mc != 0)

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


def _or_into(p: FaultPatterns, which: str, md: np.ndarray, mc: np.ndarray) -> None:
    """OR masks into ``p`` (kept for callers of the old name; see :meth:`FaultPatterns.or_masks`)."""
    p.or_masks(which, md, mc)
