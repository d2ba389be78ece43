"""Numba kernels over arrays only (no Python objects). Private: call them through
:mod:`eccsim.codec`, :mod:`eccsim.injection` and :mod:`eccsim.analysis`, which validate inputs.

Array conventions (see :mod:`eccsim.bits`): ``data`` is ``(N, W)`` uint64, ``check`` is ``(N,)``
unsigned, ``masks`` is ``(r, W)`` uint64, ``table`` is the ``2**r`` int32 action table of
:mod:`eccsim.compile` (-1 clean, -2 DUE, p >= 0 apply correction pattern p).
"""

from __future__ import annotations

import numpy as np
from numba import config, njit, prange, types
from numba.extending import intrinsic

from .outcomes import CE, DUE, NO_ERROR, SDC_MISCORRECTED, SDC_UNDETECTED
from .status import STATUS_CLEAN, STATUS_UNCORRECTABLE

if config.DISABLE_JIT:  # pure-Python fallback keeps NUMBA_DISABLE_JIT=1 runs working

    def _popcnt64(x):
        return np.uint64(int(x).bit_count())

else:

    @intrinsic
    def _popcnt64(typingctx, x):
        """Population count of a uint64 via ``llvm.ctpop`` (vectorizes to vpopcntq)."""
        if x != types.uint64:
            return None
        sig = types.uint64(types.uint64)

        def codegen(context, builder, signature, args):
            from llvmlite import ir

            fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
            return builder.call(fn, [args[0]])

        return sig, codegen


_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def _action(s, table, keys):
    """The decoder's action for syndrome ``s``: ``table[s]`` (a ``2**r`` table, ``keys`` empty),
    or, for codes with too many check bits for one, a binary search of the sorted correctable
    syndromes ``keys`` (``table[i]`` is the action of ``keys[i]``; absent: uncorrectable)."""
    if keys.shape[0] == 0:
        return table[s]
    lo = 0
    hi = keys.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < s:
            lo = mid + 1
        else:
            hi = mid
    if lo < keys.shape[0] and keys[lo] == s:
        return table[lo]
    return STATUS_UNCORRECTABLE


@njit(cache=True, inline="always")
def _check_of_row(data, i, masks):
    """Check bits (uint64) that the code assigns to data row i."""
    r, W = masks.shape
    c = np.uint64(0)
    for j in range(r):
        acc = np.uint64(0)
        for w in range(W):
            acc += _popcnt64(data[i, w] & masks[j, w])
        c |= (acc & _ONE) << np.uint64(j)
    return c


@njit(cache=True)
def _encode(data, masks, out):
    """out[i] = check bits of data[i] (generic width)."""
    for i in range(data.shape[0]):
        out[i] = _check_of_row(data, i, masks)


@njit(cache=True)
def _encode_w1(data, masks, out):
    """out[i] = check bits of data[i] for codes with k <= 64 (1-D data)."""
    r = masks.shape[0]
    for i in range(data.shape[0]):
        d = data[i]
        c = np.uint64(0)
        for j in range(r):
            c |= (_popcnt64(d & masks[j, 0]) & _ONE) << np.uint64(j)
        out[i] = c


@njit(cache=True)
def _syndromes(data, check, masks, out):
    """out[i] = syndrome of codeword (data[i], check[i])."""
    for i in range(data.shape[0]):
        out[i] = _check_of_row(data, i, masks) ^ np.uint64(check[i])


@njit(cache=True)
def _decode(data, check, masks, table, keys, pat_data, pat_check, out_data, out_check, status):
    """Out-of-place decode: corrected copies in out_data/out_check and a per-word status
    (-1 clean, -2 detected-uncorrectable, p >= 0 corrected with pattern p)."""
    W = data.shape[1]
    for i in range(data.shape[0]):
        s = _check_of_row(data, i, masks) ^ np.uint64(check[i])
        for w in range(W):
            out_data[i, w] = data[i, w]
        out_check[i] = check[i]
        if s == 0:
            status[i] = STATUS_CLEAN
            continue
        a = _action(s, table, keys)
        status[i] = a
        if a >= 0:
            for w in range(W):
                out_data[i, w] ^= pat_data[a, w]
            out_check[i] = np.uint64(check[i]) ^ pat_check[a]


@njit(cache=True)
def _scrub(data, check, masks, table, keys, pat_data, pat_check, counts):
    """In-place scrub: correct what the code can; counts += [clean, corrected, DUE]."""
    W = data.shape[1]
    for i in range(data.shape[0]):
        s = _check_of_row(data, i, masks) ^ np.uint64(check[i])
        if s == 0:
            counts[0] += 1
            continue
        a = _action(s, table, keys)
        if a < 0:
            counts[2] += 1
        else:
            counts[1] += 1
            for w in range(W):
                data[i, w] ^= pat_data[a, w]
            check[i] = np.uint64(check[i]) ^ pat_check[a]


@njit(cache=True, inline="always")
def _classify_row(od, oc, rd, rc, i, masks, table, keys, pat_data, pat_check):
    """Outcome of reading (rd[i], rc[i]) when (od[i], oc[i]) was written."""
    W = od.shape[1]
    same = np.uint64(rc[i]) == np.uint64(oc[i])
    for w in range(W):
        if rd[i, w] != od[i, w]:
            same = False
    if same:
        return NO_ERROR
    s = _check_of_row(rd, i, masks) ^ np.uint64(rc[i])
    if s == 0:
        return SDC_UNDETECTED
    a = _action(s, table, keys)
    if a < 0:
        return DUE
    ok = (np.uint64(rc[i]) ^ pat_check[a]) == np.uint64(oc[i])
    for w in range(W):
        if (rd[i, w] ^ pat_data[a, w]) != od[i, w]:
            ok = False
    return CE if ok else SDC_MISCORRECTED


@njit(cache=True)
def _classify(od, oc, rd, rc, masks, table, keys, pat_data, pat_check, out):
    """out[i] = outcome code of reading (rd[i], rc[i]) after writing (od[i], oc[i])."""
    for i in range(od.shape[0]):
        out[i] = _classify_row(od, oc, rd, rc, i, masks, table, keys, pat_data, pat_check)


@njit(cache=True)
def _enumerate_k_bits(od, oc, n, k, kbits, masks, table, keys, pat_data, pat_check, counts):
    """Flip every kbits-subset of the n codeword bits of (od[0], oc[0]), decode, classify;
    counts[outcome] += 1. Bits < k are data bits, bits >= k check bits."""
    W = od.shape[1]
    rd = np.empty((1, W), dtype=np.uint64)
    rc = np.empty(1, dtype=np.uint64)
    oc64 = np.empty(1, dtype=np.uint64)
    oc64[0] = np.uint64(oc[0])
    idx = np.arange(kbits)
    if kbits > n:
        return
    while True:
        for w in range(W):
            rd[0, w] = od[0, w]
        rc[0] = oc64[0]
        for t in range(kbits):
            b = idx[t]
            if b < k:
                rd[0, b // 64] ^= _ONE << np.uint64(b % 64)
            else:
                rc[0] ^= _ONE << np.uint64(b - k)
        counts[_classify_row(od, oc64, rd, rc, 0, masks, table, keys, pat_data, pat_check)] += 1
        # next combination in lexicographic order
        t = kbits - 1
        while t >= 0 and idx[t] == n - kbits + t:
            t -= 1
        if t < 0:
            return
        idx[t] += 1
        for u in range(t + 1, kbits):
            idx[u] = idx[u - 1] + 1


# ---------------------------------------------------------------------------------------------
# Fast paths for codes with k <= 64 and r <= 8 (every (72,64) code): 1-D data, masks padded to
# exactly 8 so the check-bit loop has a constant trip count; LLVM unrolls it and vectorizes
# over words (vpopcntq on AVX-512). Decoding works on blocks of BLK words: one vectorized pass
# computes the block's syndromes, and only blocks with a non-zero syndrome take the slow path.
# Parallel versions split the array into contiguous slices (prange cannot XOR-reduce).
# ---------------------------------------------------------------------------------------------
BLK = 2048


@njit(cache=True, inline="always")
def _check8(d, m8):
    c = np.uint64(0)
    for j in range(8):
        c |= (_popcnt64(d & m8[j]) & _ONE) << np.uint64(j)
    return c


_LOW_BIT_OF_EACH_BYTE = np.uint64(0x0101010101010101)
# ----- generic variant: parities by shifts, ANDs and XORs only ---------------------------------
# A packing tree: two words whose lanes of 2k bits each hold a value to be folded merge into one
# word of k-bit lanes (first operand's folds in the low halves, second's in the high halves),
# so every XOR works on a full word. The bulk kernel does this for 8 data words at once: an 8x8
# transpose of their bytes first (delta swaps: byte b of each transposed word comes from data
# word b), then the 8 masks ANDed in the same transposed layout and XORed (8-bit folds, one
# byte per data word), then 3 merge levels across the masks (bit j of byte b: parity of
# data word b AND mask j). That is ~30 simple ops per word, vectorized across groups.
_M32 = np.uint64(0x00000000FFFFFFFF)
_M16 = np.uint64(0x0000FFFF0000FFFF)
_M8 = np.uint64(0x00FF00FF00FF00FF)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_M2 = np.uint64(0x3333333333333333)
_M1 = np.uint64(0x5555555555555555)
_FOLD_ROWS = 1024  #: words per row of a bulk block (8 rows); see :func:`_encode8_fold`
_FOLD_ROWS_SMALL = 64  #: the same for what is left after the bulk blocks


@njit(cache=True, inline="always")
def _merge(a, b, k, m):
    """Lanes of 2k bits -> lanes of k bits: low half of each lane = XOR of a's two halves,
    high half = XOR of b's (``m``: the low k bits of every lane)."""
    return ((a ^ (a >> k)) & m) | ((b ^ (b << k)) & ~m)


@njit(cache=True, inline="always")
def _dswap(a, b, k, m):
    """Delta swap: exchange a's high k-bit halves with b's low ones (a keeps its low halves
    and gets b's low ones above them; b gets a's high halves below its own)."""
    t = ((a >> k) ^ b) & m
    return a ^ (t << k), b ^ t


@njit(cache=True, inline="always")
def _transpose8(d0, d1, d2, d3, d4, d5, d6, d7):
    """A bit permutation of 8 words after which byte b of every returned word holds 8 bits of
    ``d_b`` (3 levels of delta swaps: 32-, 16-, 8-bit halves)."""
    k32 = np.uint64(32)
    k16 = np.uint64(16)
    k8 = np.uint64(8)
    a0, b0 = _dswap(d0, d4, k32, _M32)
    a1, b1 = _dswap(d1, d5, k32, _M32)
    a2, b2 = _dswap(d2, d6, k32, _M32)
    a3, b3 = _dswap(d3, d7, k32, _M32)
    a0, a2 = _dswap(a0, a2, k16, _M16)
    b0, b2 = _dswap(b0, b2, k16, _M16)
    a1, a3 = _dswap(a1, a3, k16, _M16)
    b1, b3 = _dswap(b1, b3, k16, _M16)
    a0, a1 = _dswap(a0, a1, k8, _M8)
    a2, a3 = _dswap(a2, a3, k8, _M8)
    b0, b1 = _dswap(b0, b1, k8, _M8)
    b2, b3 = _dswap(b2, b3, k8, _M8)
    return a0, a1, a2, a3, b0, b1, b2, b3


@njit(cache=True)
def _fold_masks(m8):
    """``mt[j, t]``: mask j in the layout of transposed word t of :func:`_transpose8` (the same
    permutation applied to 8 copies of the mask), so ``R_t & mt[j, t]`` pairs every data bit
    with its mask bit."""
    mt = np.empty((8, 8), dtype=np.uint64)
    for j in range(8):
        m = m8[j]
        r = _transpose8(m, m, m, m, m, m, m, m)
        for t in range(8):
            mt[j, t] = r[t]
    return mt


@njit(cache=True, inline="always")
def _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, j):
    return ((r0 & mt[j, 0]) ^ (r1 & mt[j, 1]) ^ (r2 & mt[j, 2]) ^ (r3 & mt[j, 3])
            ^ (r4 & mt[j, 4]) ^ (r5 & mt[j, 5]) ^ (r6 & mt[j, 6]) ^ (r7 & mt[j, 7]))  # fmt: skip


@njit(cache=True, inline="always")
def _check8x8_fold(d0, d1, d2, d3, d4, d5, d6, d7, mt):
    """Check bytes of 8 data words at once (byte b of the result: check of ``d_b``), from the
    transposed masks ``mt`` of :func:`_fold_masks`."""
    r0, r1, r2, r3, r4, r5, r6, r7 = _transpose8(d0, d1, d2, d3, d4, d5, d6, d7)
    y0 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 0)
    y1 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 1)
    y2 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 2)
    y3 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 3)
    y4 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 4)
    y5 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 5)
    y6 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 6)
    y7 = _masked_fold(r0, r1, r2, r3, r4, r5, r6, r7, mt, 7)
    k4 = np.uint64(4)
    k2 = np.uint64(2)
    z0 = _merge(y0, y4, k4, _M4)  # nibbles: masks 0 | 4
    z1 = _merge(y1, y5, k4, _M4)
    z2 = _merge(y2, y6, k4, _M4)
    z3 = _merge(y3, y7, k4, _M4)
    v0 = _merge(z0, z2, k2, _M2)  # bit pairs: masks 0, 4 | 2, 6
    v1 = _merge(z1, z3, k2, _M2)
    return _merge(v0, v1, np.uint64(1), _M1)  # bit j: mask j


@njit(cache=True, inline="always")
def _fold_block(data, out, s, rows, mt):
    """Check bytes of the ``8 * rows`` words from ``s``: a group is the words ``s + i``,
    ``s + rows + i``, ..., ``s + 7 * rows + i`` (unit-stride in i, so the loop vectorizes across
    groups). ``rows`` is a constant at every call, which keeps the strides constant for LLVM;
    indexing views from 0 lets it drop numba's negative-index checks."""
    d = data[s : s + 8 * rows]
    o = out[s : s + 8 * rows]
    for i in range(rows):
        c = _check8x8_fold(d[i], d[rows + i], d[2 * rows + i], d[3 * rows + i],
                           d[4 * rows + i], d[5 * rows + i], d[6 * rows + i], d[7 * rows + i],
                           mt)  # fmt: skip
        for b in range(8):
            o[b * rows + i] = np.uint8((c >> np.uint64(8 * b)) & np.uint64(0xFF))


@njit(cache=True, inline="always")
def _check8_fold(d, m8):
    """Check bits of one word ``d`` like :func:`_check8`, without popcount (the generic
    variant's per-word form, for tails): the packing tree on the 8 masked words gives one word
    whose byte j XORs to parity j; each byte folds to its bit 0 and the 8 bits are gathered."""
    k32 = np.uint64(32)
    k16 = np.uint64(16)
    y0 = _merge(d & m8[0], d & m8[4], k32, _M32)
    y1 = _merge(d & m8[1], d & m8[5], k32, _M32)
    y2 = _merge(d & m8[2], d & m8[6], k32, _M32)
    y3 = _merge(d & m8[3], d & m8[7], k32, _M32)
    z0 = _merge(y0, y2, k16, _M16)
    z1 = _merge(y1, y3, k16, _M16)
    acc = _merge(z0, z1, np.uint64(8), _M8)  # byte j: 8-bit fold of d & m8[j]
    acc ^= acc >> np.uint64(4)
    acc ^= acc >> np.uint64(2)
    acc ^= acc >> np.uint64(1)
    acc &= _LOW_BIT_OF_EACH_BYTE  # bit 8j: parity of mask j
    acc |= acc >> np.uint64(7)
    acc |= acc >> np.uint64(14)
    acc |= acc >> np.uint64(28)
    return acc & np.uint64(0xFF)


@njit(cache=True)
def _fold_blocks_big(data, out, s, e, mt):
    """:func:`_fold_block` with ``_FOLD_ROWS`` rows, on words ``s`` to ``e`` (a multiple of its
    block). Each block size is its own function: LLVM then vectorizes each loop alone."""
    for b in range(s, e, 8 * _FOLD_ROWS):
        _fold_block(data, out, b, _FOLD_ROWS, mt)


@njit(cache=True)
def _fold_blocks_small(data, out, s, e, mt):
    """:func:`_fold_blocks_big` with ``_FOLD_ROWS_SMALL`` rows."""
    for b in range(s, e, 8 * _FOLD_ROWS_SMALL):
        _fold_block(data, out, b, _FOLD_ROWS_SMALL, mt)


@njit(cache=True)
def _encode8_fold(data, m8, out):
    """:func:`_encode8` without popcount (generic variant): blocks of ``8 * _FOLD_ROWS`` words
    through :func:`_check8x8_fold`, then blocks of ``8 * _FOLD_ROWS_SMALL``, then single words
    through :func:`_check8_fold`. (Large rows amortize each block's setup: LLVM reloads the 64
    transposed masks, which do not fit in registers, before every block's loop.)"""
    n = data.shape[0]
    if n == 0:
        return
    mt = _fold_masks(m8)
    big = n - n % (8 * _FOLD_ROWS)
    _fold_blocks_big(data, out, 0, big, mt)
    small = n - n % (8 * _FOLD_ROWS_SMALL)
    _fold_blocks_small(data, out, big, small, mt)
    for i in range(small, n):
        out[i] = _check8_fold(data[i], m8)


@njit(cache=True)
def _encode8(data, m8, out):
    """out[i] = check bits of data[i]; k <= 64, r <= 8 (masks padded to 8)."""
    for i in range(data.shape[0]):
        out[i] = _check8(data[i], m8)


@njit(cache=True)
def _encode8w2(data, m8, out):
    """out[i] = check bits of data[i] for 64 < k <= 128, r <= 8; ``m8`` is (2, 8): the low and
    high data-word halves of the 8 padded masks. parity(a) ^ parity(b) = parity(a ^ b)."""
    lo = m8[0]
    hi = m8[1]
    for i in range(data.shape[0]):
        d0 = data[i, 0]
        d1 = data[i, 1]
        c = np.uint64(0)
        for j in range(8):
            c |= (_popcnt64((d0 & lo[j]) ^ (d1 & hi[j])) & _ONE) << np.uint64(j)
        out[i] = c


@njit(cache=True, inline="always")
def _slices(n, parts):
    step = (n + parts - 1) // parts
    return step


@njit(cache=True, parallel=True)
def _encode8_par(data, m8, out, parts, generic=False):
    """Multi-threaded :func:`_encode8` (or, with ``generic``, :func:`_encode8_fold`) over
    contiguous slices (for ``generic``, of whole bulk blocks where the slices are that large,
    so that only the last one has a tail)."""
    n = data.shape[0]
    step = _slices(n, parts)
    big = 8 * _FOLD_ROWS
    if generic and step >= big:
        step = (step + big - 1) // big * big
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        if generic:
            _encode8_fold(data[s:e], m8, out[s:e])
        else:
            _encode8(data[s:e], m8, out[s:e])


@njit(cache=True)
def _scrub8(data, check, m8, table, pat_data, pat_check):
    """In-place scrub (k <= 64, r <= 8); returns (clean, corrected, DUE) word counts.

    Counters live in registers (no shared array), so slices scale across threads."""
    n = data.shape[0]
    syn = np.empty(BLK, dtype=np.uint8)
    clean = 0
    corrected = 0
    due = 0
    for s in range(0, n, BLK):
        e = min(n, s + BLK)
        blk = data[s:e]
        cb = check[s:e]
        m = e - s
        anyerr = np.uint8(0)
        for i in range(m):
            v = np.uint8(_check8(blk[i], m8) ^ np.uint64(cb[i]))
            syn[i] = v
            anyerr |= v
        if anyerr == 0:
            clean += m
            continue
        a, b, c = _scrub_fix(blk, cb, syn, m, table, pat_data, pat_check)
        clean += a
        corrected += b
        due += c
    return clean, corrected, due


@njit(cache=True, inline="always")
def _scrub_fix(blk, cb, syn, m, table, pat_data, pat_check):
    """Fix the words of a block with a correctable syndrome ``syn[i]`` in place; returns the
    block's (clean, corrected, DUE) counts. Shared by every scrub variant."""
    clean = 0
    corrected = 0
    due = 0
    for i in range(m):
        v = syn[i]
        if v == 0:
            clean += 1
            continue
        a = table[v]
        if a < 0:
            due += 1
        else:
            corrected += 1
            blk[i] ^= pat_data[a]
            cb[i] ^= pat_check[a]
    return clean, corrected, due


@njit(cache=True, parallel=True)
def _scrub8_par(data, check, m8, table, pat_data, pat_check, parts):
    """Multi-threaded :func:`_scrub8` over ``parts`` contiguous slices; returns the summed
    (clean, corrected, DUE) counts."""
    n = data.shape[0]
    step = _slices(n, parts)
    local = np.zeros((parts, 3), dtype=np.int64)
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        a, b, c = _scrub8(data[s:e], check[s:e], m8, table, pat_data, pat_check)
        local[p, 0] = a
        local[p, 1] = b
        local[p, 2] = c
    clean = 0
    corrected = 0
    due = 0
    for p in range(parts):
        clean += local[p, 0]
        corrected += local[p, 1]
        due += local[p, 2]
    return clean, corrected, due


@njit(cache=True)
def _decode8(data, check, m8, table, pat_data, pat_check, out_data, out_check, status):
    """Out-of-place decode (k <= 64, r <= 8) with a per-word status (see :func:`_decode`).

    Each block is done in separate simple passes (syndromes, copies, status) so that every
    pass vectorizes; the fix-up pass runs only for blocks with a non-zero syndrome."""
    n = data.shape[0]
    syn = np.empty(BLK, dtype=np.uint8)
    for s in range(0, n, BLK):
        e = min(n, s + BLK)
        m = e - s
        db = data[s:e]
        cb = check[s:e]
        odb = out_data[s:e]
        ocb = out_check[s:e]
        stb = status[s:e]
        anyerr = np.uint8(0)
        for i in range(m):  # syndromes + data copy: one pass, vectorized
            x = db[i]
            v = np.uint8(_check8(x, m8) ^ np.uint64(cb[i]))
            syn[i] = v
            anyerr |= v
            odb[i] = x
        for i in range(m):  # explicit loops: numba's slice assignment is much slower here
            ocb[i] = cb[i]
        for i in range(m):
            stb[i] = STATUS_CLEAN
        if anyerr != 0:
            _decode_fix(odb, ocb, stb, syn, m, table, pat_data, pat_check)


@njit(cache=True)
def _decode_fix(odb, ocb, stb, syn, m, table, pat_data, pat_check):
    """Apply the decoder's action for each non-zero syndrome of a block (status, and the
    correction of data and check bits); shared by every decode variant, run only for blocks
    with an error."""
    for i in range(m):
        v = syn[i]
        if v != 0:
            a = table[v]
            stb[i] = a
            if a >= 0:
                odb[i] ^= pat_data[a]
                ocb[i] ^= pat_check[a]


@njit(cache=True, parallel=True)
def _decode8_par(data, check, m8, table, pat_data, pat_check, out_data, out_check, status, parts):
    """Multi-threaded :func:`_decode8`."""
    n = data.shape[0]
    step = _slices(n, parts)
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        _decode8(data[s:e], check[s:e], m8, table, pat_data, pat_check, out_data[s:e],
                 out_check[s:e], status[s:e])  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Fused Monte Carlo kernel: random data word, encode, flip kbits distinct random bits, decode,
# compare — one pass, no arrays, for codes with k = 64 and r <= 8. Randomness: SplitMix64
# seeded per block by the caller (from numpy's SeedSequence), so results do not depend on
# how blocks are grouped. Bit positions use Lemire's multiply-shift reduction of 32 random bits.
# ---------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _splitmix(state):
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True)
def _random_kbit_block(seed, m, kbits, n, m8, table, pat_data, pat_check, counts):
    """counts[outcome] += 1 for m random (data, kbits-bit error) trials; k = 64, n <= 72."""
    state = np.uint64(seed)
    nn = np.uint64(n)
    for _ in range(m):
        state, d = _splitmix(state)
        c = _check8(d, m8)
        ed = np.uint64(0)
        ec = np.uint64(0)
        got = 0
        while got < kbits:
            state, z = _splitmix(state)
            for half in range(2):
                if got >= kbits:
                    break
                b = (((z >> np.uint64(32 * half)) & np.uint64(0xFFFFFFFF)) * nn) >> np.uint64(32)
                if b < np.uint64(64):
                    bit = _ONE << b
                    if ed & bit:
                        continue
                    ed |= bit
                else:
                    bit = _ONE << (b - np.uint64(64))
                    if ec & bit:
                        continue
                    ec |= bit
                got += 1
        rd = d ^ ed
        rc = c ^ ec
        s = _check8(rd, m8) ^ rc
        if s == 0:
            counts[SDC_UNDETECTED if (ed | ec) != 0 else NO_ERROR] += 1
            continue
        a = table[s]
        if a < 0:
            counts[DUE] += 1
        elif (rd ^ pat_data[a]) == d and (rc ^ np.uint64(pat_check[a])) == c:
            counts[CE] += 1
        else:
            counts[SDC_MISCORRECTED] += 1


@njit(cache=True, parallel=True)
def _random_kbit_blocks(seeds, sizes, kbits, n, m8, table, pat_data, pat_check, counts):
    """Blocks of :func:`_random_kbit_block` in parallel: block b has seed seeds[b] and
    sizes[b] trials; counts[b] receives its outcome counts (summed by the caller)."""
    for b in prange(seeds.shape[0]):
        _random_kbit_block(seeds[b], sizes[b], kbits, n, m8, table, pat_data, pat_check, counts[b])


@njit(cache=True)
def _xor_reduce(a):
    """XOR of all words: a read-only pass over memory (bandwidth baseline)."""
    acc = np.uint64(0)
    for i in range(a.shape[0]):
        acc ^= a[i]
    return acc


@njit(cache=True, parallel=True)
def _xor_reduce_par(a, parts):
    """Multi-threaded :func:`_xor_reduce` over contiguous slices."""
    n = a.shape[0]
    step = _slices(n, parts)
    out = np.zeros(parts, dtype=np.uint64)
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        out[p] = _xor_reduce(a[s:e])
    acc = np.uint64(0)
    for p in range(parts):
        acc ^= out[p]
    return acc
