"""Derive the fast tables of a code, in one place: encoder masks, syndrome -> action table,
correction patterns. Kernels take only these arrays, so any :class:`LinearCode` runs on them.

The action table has ``2**r`` int32 entries, indexed by syndrome:

* ``Status.CLEAN`` (-1) at syndrome 0,
* ``Status.UNCORRECTABLE`` (-2) where the decoder gives up (detected, uncorrectable),
* ``p >= 0``: flip correction pattern ``p`` (for single-bit correction, ``p`` is the bit position).

Codes with more than :data:`MAX_TABLE_BITS` check bits (an SSC-DSD code has 32) get a compact
lookup instead: ``keys`` holds syndrome 0 and every correctable syndrome, sorted, and
``table[i]`` the action of ``keys[i]``; a syndrome not in ``keys`` is uncorrectable. The kernels
take both (``keys`` is empty for a direct table) and binary-search when they must
(:func:`eccsim._kernels._action`), so no code needs its own kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .bits import check_dtype, data_words
from .codes.linear import LinearCode
from .errors import CodeError
from .status import STATUS_CLEAN as CLEAN
from .status import STATUS_UNCORRECTABLE as UNCORRECTABLE

MAX_TABLE_BITS = 22


@dataclass(frozen=True, eq=False)
class CompiledCode:
    """Arrays derived from a code for the kernels. Build with :func:`compile_code`."""

    code: LinearCode
    n: int
    k: int
    r: int
    words: int
    check_dtype: np.dtype
    masks: np.ndarray  # (r, W) uint64: check bit j = parity(data & masks[j])
    columns: np.ndarray  # (n,) uint64: syndrome of a flip in codeword bit b
    table: np.ndarray  # (2**r,) int32 action per syndrome, or (P+1,) actions of ``keys``
    keys: np.ndarray  # (0,) uint64 for a direct table, else (P+1,) sorted syndromes
    pat_data: np.ndarray  # (P, W) uint64 data part of correction pattern p
    pat_check: np.ndarray  # (P,) uint64 check part of correction pattern p
    pat_weight: np.ndarray  # (P,) int64 number of bits in pattern p
    m8: np.ndarray | None  # (8,) uint64 padded masks when k <= 64 and r <= 8 (fast kernels)
    m8w2: np.ndarray | None  # (2, 8) uint64 padded masks when 64 < k <= 128 and r <= 8
    nibble: np.ndarray | None  # (16, 32) uint8 nibble tables of m8 (AVX2 kernels), with m8
    pat_data1: np.ndarray  # (P,) uint64: pat_data[:, 0] (fast kernels)
    pat_check_c: np.ndarray  # (P,) pat_check in the check dtype (fast kernels)
    #: (W * 16 * S, 32) uint8 nibble tables of every data nibble's share of every check byte
    #: (S = check dtype bytes) when not ``fast8``, W <= 4 and r <= 32 (:mod:`eccsim._kernels_wide`)
    nibble_wide: np.ndarray | None = None

    @property
    def fast8(self) -> bool:
        """True when the k <= 64, r <= 8 kernels apply (all (72,64) codes)."""
        return self.m8 is not None

    @property
    def keyed(self) -> bool:
        """True when the decoder's actions are looked up in ``keys`` (r > MAX_TABLE_BITS)."""
        return self.keys.shape[0] > 0

    def require_table(self) -> np.ndarray:
        """The action table (see :attr:`keys` for codes with a compact lookup)."""
        return self.table

    def require_direct_table(self, what: str = "syndrome-space counting") -> np.ndarray:
        """The ``2**r`` action table, or a clear error for codes with a compact lookup."""
        if self.keyed:
            raise CodeError(
                f"code {self.code.name!r} has r={self.r} check bits; {what} needs a 2**r-entry "
                f"syndrome table, so r <= {MAX_TABLE_BITS} (enumerate or sample its errors instead)"
            )
        return self.table

    def actions(self, syn: np.ndarray) -> np.ndarray:
        """The decoder's action (int32, see the module docstring) for each syndrome in ``syn``."""
        syn = np.asarray(syn, dtype=np.uint64)
        if not self.keyed:
            return self.table[syn.astype(np.int64)]
        i = np.minimum(np.searchsorted(self.keys, syn), self.keys.shape[0] - 1)
        return np.where(self.keys[i] == syn, self.table[i], UNCORRECTABLE).astype(np.int32)


def build_nibble_tables(m8: np.ndarray) -> np.ndarray:
    """``(16, 32)`` uint8 nibble tables of the masks ``m8`` (uint64, up to 8 masks; mask ``j``
    selects the data bits of check bit ``j``; padding masks are 0). Layout: :mod:`eccsim._kernels_avx2`."""
    m = np.asarray(m8, dtype=np.uint64).ravel()
    if m.shape[0] > 8:
        raise ValueError("at most 8 masks (r <= 8)")
    # col[b] = check bits that data bit b feeds
    col = np.zeros(64, dtype=np.uint8)
    for j in range(m.shape[0]):
        bits = (m[j] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
        col |= (bits.astype(np.uint8) << np.uint8(j)).astype(np.uint8)
    v = np.arange(16)
    tables = np.zeros((16, 32), dtype=np.uint8)
    for t in range(16):  # t = 2p + h: data bits 4t .. 4t + 3
        tab = np.zeros(16, dtype=np.uint8)
        for b in range(4):
            tab ^= np.where((v >> b) & 1, col[4 * t + b], 0).astype(np.uint8)
        tables[t, :16] = tab
        tables[t, 16:] = tab
    return tables


WIDE_MAX_WORDS = 4  #: widest data (64-bit words) the wide nibble kernels take
WIDE_MAX_R = 32  #: most check bits the wide nibble kernels take


def build_wide_nibble_tables(masks: np.ndarray, r: int) -> np.ndarray:
    """``(W * 16 * S, 32)`` uint8 nibble tables of the check masks ``masks (r, W)`` for the wide
    kernels, ``S`` the byte size of the check dtype of ``r`` (1, 2 or 4). Row
    ``((w * 8 + p) * 2 + h) * S + j`` holds, at entry ``v`` (bytes 0..15, repeated at 16..31
    for the two 128-bit lanes of ``vpshufb``), check byte ``j`` of the data bits
    ``64 w + 8 p + 4 h + (0..3)`` set in ``v``; check bytes at or above ``r`` bits are 0."""
    m = np.asarray(masks, dtype=np.uint64)
    W = m.shape[1]
    S = check_dtype(r).itemsize
    col = np.zeros(64 * W, dtype=np.uint64)  # check bits fed by data bit b
    bit = np.arange(64, dtype=np.uint64)
    for j in range(m.shape[0]):
        for w in range(W):
            col[64 * w : 64 * w + 64] |= ((m[j, w] >> bit) & np.uint64(1)) << np.uint64(j)
    v = np.arange(16)
    tabs = np.zeros((W, 8, 2, S, 32), dtype=np.uint8)
    for w in range(W):
        for p in range(8):
            for h in range(2):
                base = 64 * w + 8 * p + 4 * h
                t = np.zeros(16, dtype=np.uint64)
                for b in range(4):
                    t ^= np.where((v >> b) & 1, col[base + b], np.uint64(0)).astype(np.uint64)
                for j in range(S):
                    byte = ((t >> np.uint64(8 * j)) & np.uint64(0xFF)).astype(np.uint8)
                    tabs[w, p, h, j, :16] = byte
                    tabs[w, p, h, j, 16:] = byte
    return np.ascontiguousarray(tabs.reshape(W * 16 * S, 32))


@lru_cache(maxsize=64)
def compile_code(code: LinearCode) -> CompiledCode:
    """Derive (and cache) the kernel tables of ``code``."""
    n, k, r = code.n, code.k, code.r
    W = data_words(k)
    P = len(code.correctable)
    pat_data = np.zeros((max(P, 1), W), dtype=np.uint64)
    pat_check = np.zeros(max(P, 1), dtype=np.uint64)
    pat_weight = np.zeros(max(P, 1), dtype=np.int64)
    for p, bits in enumerate(code.correctable):
        for b in bits:
            if b < k:
                pat_data[p, b // 64] ^= np.uint64(1) << np.uint64(b % 64)
            else:
                pat_check[p] ^= np.uint64(1) << np.uint64(b - k)
        pat_weight[p] = len(bits)
    keys = np.zeros(0, dtype=np.uint64)
    if r <= MAX_TABLE_BITS:
        table = np.full(1 << r, UNCORRECTABLE, dtype=np.int32)
        table[0] = CLEAN
        for p, bits in enumerate(code.correctable):
            table[code.syndrome_of(bits)] = p
    else:
        syn = np.array([0] + [code.syndrome_of(b) for b in code.correctable], dtype=np.uint64)
        order = np.argsort(syn, kind="stable")
        keys = np.ascontiguousarray(syn[order])
        table = np.ascontiguousarray(np.arange(-1, len(code.correctable), dtype=np.int32)[order])
    table.setflags(write=False)
    keys.setflags(write=False)
    for a in (pat_data, pat_check, pat_weight):
        a.setflags(write=False)
    masks = np.ascontiguousarray(code.check_masks)
    masks.setflags(write=False)
    cols = code.columns.copy()
    cols.setflags(write=False)
    m8 = None
    if W == 1 and r <= 8:
        m8 = np.zeros(8, dtype=np.uint64)
        m8[:r] = masks[:, 0]
        m8.setflags(write=False)
    nibble = None if m8 is None else build_nibble_tables(m8)
    if nibble is not None:
        nibble.setflags(write=False)
    m8w2 = None
    if W == 2 and r <= 8:
        m8w2 = np.zeros((2, 8), dtype=np.uint64)
        m8w2[:, :r] = masks.T
        m8w2.setflags(write=False)
    pat_data1 = np.ascontiguousarray(pat_data[:, 0])
    pat_check_c = pat_check.astype(check_dtype(r))
    for a in (pat_data1, pat_check_c):
        a.setflags(write=False)
    nibble_wide = None
    if m8 is None and W <= WIDE_MAX_WORDS and r <= WIDE_MAX_R:
        nibble_wide = build_wide_nibble_tables(masks, r)
        nibble_wide.setflags(write=False)
    return CompiledCode(
        code=code,
        n=n,
        k=k,
        r=r,
        words=W,
        check_dtype=check_dtype(r),
        masks=masks,
        columns=cols,
        table=table,
        keys=keys,
        pat_data=pat_data,
        pat_check=pat_check,
        pat_weight=pat_weight,
        m8=m8,
        m8w2=m8w2,
        nibble=nibble,
        pat_data1=pat_data1,
        pat_check_c=pat_check_c,
        nibble_wide=nibble_wide,
    )
