"""Bit-order conventions, stated once, and the packing helpers that implement them.

Every array in eccsim follows these rules:

* **Codeword bit b** (0 <= b < n): bits ``0 .. k-1`` are the data bits, bits ``k .. n-1`` the
  check bits; check bit ``j`` is codeword bit ``k + j``.
* **Data words**: ``uint64``; data bit ``i`` lives in word ``i // 64`` at integer bit ``i % 64``
  (bit 0 = least significant). A code with ``k <= 64`` takes a 1-D array ``(N,)``, a wider code a
  C-contiguous ``(N, W)`` array with ``W = ceil(k / 64)``. Bits at or above ``k`` must be zero.
* **Check bits**: one unsigned integer per codeword, the smallest of uint8/16/32/64 that holds
  ``r`` bits; check bit ``j`` is integer bit ``j``.
* **Parity-check matrix H**: ``r x n`` of 0/1; row ``j`` is check bit ``j``; the syndrome of a
  codeword ``c`` is the integer whose bit ``j`` is the parity of ``H[j] & c``.
"""

from __future__ import annotations

import numpy as np

WORD_BITS = 64


def data_words(k: int) -> int:
    """Number of 64-bit words that hold ``k`` data bits."""
    return (k + WORD_BITS - 1) // WORD_BITS


def check_dtype(r: int) -> np.dtype:
    """Smallest unsigned dtype that holds ``r`` check bits (r <= 64)."""
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if r <= np.dtype(dt).itemsize * 8:
            return np.dtype(dt)
    raise ValueError(f"r={r} check bits do not fit one uint64; at most 64 check bits are supported")


def pack_bits(bits: np.ndarray, nwords: int) -> np.ndarray:
    """Pack a ``(..., m)`` 0/1 array into ``(..., nwords)`` uint64 words, bit ``i`` -> word i//64."""
    bits = np.asarray(bits, dtype=np.uint8)
    m = bits.shape[-1]
    if m > nwords * WORD_BITS:
        raise ValueError(f"{m} bits do not fit {nwords} words")
    padded = np.zeros((*bits.shape[:-1], nwords * WORD_BITS), dtype=np.uint8)
    padded[..., :m] = bits
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)
