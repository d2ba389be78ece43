"""AVX2 nibble-table kernels for codes with up to 4 data words (k <= 256) and up to 32 check bits
that are not on the (k <= 64, r <= 8) fast path: the symbol codes (chipkill-x4, sddc-x8,
ssc-dsd-x4, ddr5-rank-x4) and any user code of those shapes. Private: arrays only; the caller
(:mod:`eccsim.dispatch`) validates inputs and calls them only on CPUs with AVX2.

Formulation: check byte ``j`` of a codeword = XOR over its data words ``w``, byte positions
``p`` and nibbles ``h`` of ``T[w][p][h][j][nibble]`` (``CompiledCode.nibble_wide``, built by
:func:`eccsim.compile.build_wide_nibble_tables`). The vector loop takes 32 codewords per step:
it loads their ``8 W`` vectors of 4 words, deinterleaves them into 8 vectors of 4 words per data
word ``w`` (64-bit shuffles), regroups each ``w``'s bytes by position exactly as
:mod:`eccsim._kernels_avx2` does (one in-lane ``vpshufb`` per vector, then an 8x8 transpose of
16-bit elements), looks up both nibbles of every byte with ``vpshufb`` in the tables of each of
the ``S`` check bytes (``S`` = size of the check dtype: 1, 2 or 4) and XORs them into ``S``
accumulators, then interleaves the accumulators into ``S * 32`` bytes of the check dtype in
codeword order (byte shuffles; LLVM turns them into ``vpermt2b`` on AVX-512 VBMI CPUs).

The data width ``W`` reaches the intrinsics at compile time as the length of ``wsel``, a tuple
of ``W`` zeros (so each width is its own cached specialization); ``S`` comes from the check
array's dtype. Tails (``N % 32`` codewords) run the same vector step on a zero-padded copy.

Decode with status is fused like :func:`eccsim._kernels_avx2._decode8_nibble`: each block of
32 codewords is read once, copied to the outputs, its status set to ``Status.CLEAN`` and its
syndromes stored (for 4 data words, where that fused step spills registers and runs at half
speed, the vector encoder fills the syndromes of a block of ``TWO_PASS_BLK`` codewords first and plain
loops copy); the fix-up pass (the decoder's action through
:func:`eccsim._kernels._action`) runs only for blocks of ``BLK`` codewords with an error.
Under ``NUMBA_DISABLE_JIT=1`` the vector steps are plain numpy (same tables, same results).
"""

from __future__ import annotations

import numpy as np
from numba import config, njit, prange, types
from numba.extending import intrinsic

from ._kernels import BLK, _action, _slices
from ._kernels_avx2 import _POS_OF_VEC, _STEPS, _UNPERM, _in_lane_group_mask, _unpack_mask
from .status import STATUS_CLEAN

BLOCK = 32  # codewords per vector step
TWO_PASS_BLK = 32768  # codewords per block of the two-pass decode (measured best: 1 MiB)
PREFETCH_BYTES = 2048


def wsel_of(words: int) -> tuple:
    """The ``wsel`` argument of the kernels for ``words`` data words."""
    return (0,) * words


def encode_wide_numpy(data: np.ndarray, tables: np.ndarray, out: np.ndarray) -> None:
    """Pure-numpy encoder from the wide nibble tables: ``data (N, W)`` uint64, ``out (N,)`` of
    the check dtype (the same results as the vector kernels)."""
    d = np.asarray(data, dtype=np.uint64)
    n, W = d.shape
    S = out.dtype.itemsize
    T = np.asarray(tables)[:, :16].reshape(W, 8, 2, S, 16)
    acc = np.zeros(n, dtype=np.uint64)
    for w in range(W):
        for p in range(8):
            byte = ((d[:, w] >> np.uint64(8 * p)) & np.uint64(0xFF)).astype(np.intp)
            lo, hi = byte & 15, byte >> 4
            for j in range(S):
                x = (T[w, p, 0, j][lo] ^ T[w, p, 1, j][hi]).astype(np.uint64)
                acc ^= x << np.uint64(8 * j)
    out[:] = acc.astype(out.dtype)


def _is_array(t, dtype=None) -> bool:
    return isinstance(t, types.Array) and (dtype is None or t.dtype == dtype)


def _is_check(t) -> bool:
    return _is_array(t) and t.dtype in (types.uint8, types.uint16, types.uint32)


def _is_wsel(t) -> bool:
    return isinstance(t, types.UniTuple) and 1 <= t.count <= 4


class _WideEmit:
    """LLVM IR of one vector step: the check bytes of 32 codewords of ``W`` words, as ``S``
    vectors of 32 bytes in the check dtype's memory layout."""

    def __init__(self, context, builder, tables_ptr, W, S):
        from llvmlite import ir
        from numba.core import cgutils

        self.ir, self.builder, self.W, self.S = ir, builder, W, S
        self.i8, self.i32, self.i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
        self.v32 = ir.VectorType(self.i8, 32)
        self.q4 = ir.VectorType(self.i64, 4)
        self.i8p = self.i8.as_pointer()
        self.intp = context.get_value_type(types.intp)
        mod = builder.module
        self.pshufb = cgutils.get_or_insert_function(
            mod, ir.FunctionType(self.v32, [self.v32, self.v32]), "llvm.x86.avx2.pshuf.b"
        )
        self.prefetch_fn = cgutils.get_or_insert_function(
            mod,
            ir.FunctionType(ir.VoidType(), [self.i8p, self.i32, self.i32, self.i32]),
            "llvm.prefetch." + self.i8p.intrinsic_name,
        )
        self.tptr = builder.bitcast(tables_ptr, self.i8p)
        self.group = self.const_vec(_in_lane_group_mask())
        self.low4 = self.const_vec([0x0F] * 32)
        self.four = self.const_vec([4] * 32)

    def const_vec(self, vals):
        return self.ir.Constant(self.v32, [self.ir.Constant(self.i8, int(x) & 0xFF) for x in vals])

    def mask(self, vals):
        ir = self.ir
        return ir.Constant(ir.VectorType(self.i32, len(vals)), [ir.Constant(self.i32, int(x))
                                                                 for x in vals])  # fmt: skip

    def k(self, x):
        return self.ir.Constant(self.intp, x)

    def load(self, ptr, ty):
        return self.builder.load(self.builder.bitcast(ptr, ty.as_pointer()), align=1)

    def store(self, val, ptr):
        return self.builder.store(val, self.builder.bitcast(ptr, val.type.as_pointer()), align=1)

    def table(self, t):
        return self.load(self.builder.gep(self.tptr, [self.k(32 * t)]), self.v32)

    def prefetch(self, src):
        b, i32 = self.builder, self.i32
        for off in range(PREFETCH_BYTES, PREFETCH_BYTES + 64 * self.W, 64):
            args = [b.gep(src, [self.k(off)]), self.ir.Constant(i32, 0),
                    self.ir.Constant(i32, 3), self.ir.Constant(i32, 1)]  # fmt: skip
            b.call(self.prefetch_fn, args)

    def load_raw(self, src):
        """The 32 codewords at ``src`` as ``8 W`` vectors of 4 words."""
        return [self.load(self.builder.gep(src, [self.k(32 * q)]), self.q4)
                for q in range(8 * self.W)]  # fmt: skip

    def gather(self, raw, idx):
        """A vector of the 4 words ``idx`` (indices into the block's ``32 W`` words)."""
        b = self.builder
        srcs = sorted({i // 4 for i in idx})
        if len(srcs) == 1:
            return b.shuffle_vector(raw[srcs[0]], raw[srcs[0]], self.mask([i % 4 for i in idx]))
        if len(srcs) == 2:
            pos = {s: 4 * n for n, s in enumerate(srcs)}
            return b.shuffle_vector(raw[srcs[0]], raw[srcs[1]],
                                    self.mask([pos[i // 4] + i % 4 for i in idx]))  # fmt: skip
        while len(srcs) < 4:
            srcs.append(srcs[-1])
        lo = b.shuffle_vector(raw[srcs[0]], raw[srcs[1]], self.mask(range(8)))
        hi = b.shuffle_vector(raw[srcs[2]], raw[srcs[3]], self.mask(range(8)))
        pos = {}
        for n, s in enumerate(srcs):
            pos.setdefault(s, 4 * n)
        return b.shuffle_vector(lo, hi, self.mask([pos[i // 4] + i % 4 for i in idx]))

    def check_vectors(self, raw):
        """``S`` vectors of 32 bytes: the check words of the 32 codewords, in memory order."""
        b, W, S = self.builder, self.W, self.S
        acc = [None] * S
        for w in range(W):
            if W == 1:
                words = raw
            else:
                words = [self.gather(raw, [(4 * q + i) * W + w for i in range(4)])
                         for q in range(8)]  # fmt: skip
            vecs = [b.call(self.pshufb, [b.bitcast(v, self.v32), self.group]) for v in words]
            for width, plan in _STEPS:
                vecs = [b.shuffle_vector(vecs[x], vecs[y], self.mask(_unpack_mask(width, hi)))
                        for x, y, hi in plan]  # fmt: skip
            for v, p in zip(vecs, _POS_OF_VEC, strict=True):
                lo = b.and_(v, self.low4)
                hi = b.and_(b.lshr(v, self.four), self.low4)
                row = (w * 8 + p) * 2 * S
                for j in range(S):
                    x = b.xor(b.call(self.pshufb, [self.table(row + j), lo]),
                              b.call(self.pshufb, [self.table(row + S + j), hi]))  # fmt: skip
                    acc[j] = x if acc[j] is None else b.xor(acc[j], x)
        # acc[j] slot _UNPERM[c] = check byte j of codeword c; out byte S * c + j
        if S == 1:
            return [b.shuffle_vector(acc[0], acc[0], self.mask(_UNPERM))]
        pairs = []  # pairs[h][j2]: 16-bit elements (bytes 2 j2, 2 j2 + 1) of codewords 16h..
        for j2 in range(S // 2):
            pairs.append([b.shuffle_vector(acc[2 * j2], acc[2 * j2 + 1], self.mask(
                [_UNPERM[c] + 32 * t for c in range(16 * h, 16 * h + 16) for t in range(2)]))
                for h in range(2)])  # fmt: skip
        if S == 2:
            return pairs[0]
        out = []
        for q in range(4):  # codewords 8q .. 8q + 7
            h = q // 2
            sel = []
            for c in range(8 * q, 8 * q + 8):
                e = 2 * (c - 16 * h)
                sel += [e, e + 1, 32 + e, 32 + e + 1]
            out.append(b.shuffle_vector(pairs[0][h], pairs[1][h], self.mask(sel)))
        return out


def _check_bytes(t) -> int:
    return {types.uint8: 1, types.uint16: 2, types.uint32: 4}[t.dtype]


if config.DISABLE_JIT:  # pure-numpy fallback keeps NUMBA_DISABLE_JIT=1 runs working

    def _wide_blocks(data, tables, out, nblk, wsel):
        """out[:32 nblk] = check words of the first ``32 nblk`` codewords (numpy fallback)."""
        W = len(wsel)
        m = BLOCK * nblk
        encode_wide_numpy(data[: m * W].reshape(m, W), tables, out[:m])

    def _wide_decode_blocks(data, check, tables, out_data, out_check, status, syn, nblk, wsel):
        """numpy fallback of the fused decode step (see the jitted intrinsic)."""
        W = len(wsel)
        m = BLOCK * nblk
        encode_wide_numpy(data[: m * W].reshape(m, W), tables, syn[:m])
        syn[:m] ^= check[:m]
        out_data[: m * W] = data[: m * W]
        out_check[:m] = check[:m]
        status[:m] = STATUS_CLEAN
        return np.uint8(1 if m and syn[:m].any() else 0)

else:

    @intrinsic
    def _wide_blocks(typingctx, data, tables, out, nblk, wsel):
        """Vector loop over the first ``32 nblk`` codewords of ``data`` (flat uint64, ``W``
        words per codeword): ``out[i]`` = check word of codeword ``i``."""
        if not (_is_array(data, types.uint64) and _is_array(tables, types.uint8)
                and _is_check(out) and isinstance(nblk, types.Integer)
                and _is_wsel(wsel)):  # fmt: skip
            return None
        sig = types.void(data, tables, out, types.intp, wsel)
        W, S = wsel.count, _check_bytes(out)

        def codegen(context, builder, signature, args):
            from numba.core import cgutils

            d_ty, t_ty, o_ty = signature.args[:3]
            darr = context.make_array(d_ty)(context, builder, args[0])
            tarr = context.make_array(t_ty)(context, builder, args[1])
            oarr = context.make_array(o_ty)(context, builder, args[2])
            e = _WideEmit(context, builder, tarr.data, W, S)
            dptr = builder.bitcast(darr.data, e.i8p)
            optr = builder.bitcast(oarr.data, e.i8p)
            with cgutils.for_range(builder, args[3], intp=e.intp) as loop:
                src = builder.gep(dptr, [builder.mul(loop.index, e.k(256 * W))])
                e.prefetch(src)
                res = e.check_vectors(e.load_raw(src))
                dst = builder.gep(optr, [builder.mul(loop.index, e.k(32 * S))])
                for q, v in enumerate(res):
                    e.store(v, builder.gep(dst, [e.k(32 * q)]))
            return context.get_dummy_value()

        return sig, codegen

    @intrinsic
    def _wide_decode_blocks(typingctx, data, check, tables, out_data, out_check, status, syn,
                            nblk, wsel):  # fmt: skip
        """Fused decode step over the first ``32 nblk`` codewords, reading each block once:
        copy the data to ``out_data`` and the check words to ``out_check``, fill ``status``
        with ``Status.CLEAN``, store the syndromes (check words XOR stored ones) in ``syn``;
        returns the OR of all syndrome bytes (0: nothing to fix)."""
        if not (_is_array(data, types.uint64) and _is_check(check)
                and _is_array(tables, types.uint8) and _is_array(out_data, types.uint64)
                and _is_check(out_check) and out_check.dtype == check.dtype
                and _is_array(status, types.int32) and _is_check(syn)
                and syn.dtype == check.dtype and isinstance(nblk, types.Integer)
                and _is_wsel(wsel)):  # fmt: skip
            return None
        sig = types.uint8(data, check, tables, out_data, out_check, status, syn, types.intp,
                          wsel)  # fmt: skip
        W, S = wsel.count, _check_bytes(check)

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            from numba.core import cgutils

            arrs = [context.make_array(t)(context, builder, a)
                    for t, a in zip(signature.args[:7], args[:7], strict=True)]  # fmt: skip
            e = _WideEmit(context, builder, arrs[2].data, W, S)
            dptr, cptr, _, odptr, ocptr, stptr, synptr = (
                builder.bitcast(a.data, e.i8p) for a in arrs
            )
            clean = ir.Constant(e.v32, [ir.Constant(e.i8, STATUS_CLEAN & 0xFF)] * 32)
            acc = cgutils.alloca_once_value(builder, ir.Constant(e.v32, None))
            with cgutils.for_range(builder, args[7], intp=e.intp) as loop:
                off = builder.mul(loop.index, e.k(256 * W))
                src = builder.gep(dptr, [off])
                e.prefetch(src)
                raw = e.load_raw(src)
                dst = builder.gep(odptr, [off])
                for q, v in enumerate(raw):
                    e.store(v, builder.gep(dst, [e.k(32 * q)]))
                coff = builder.mul(loop.index, e.k(32 * S))
                st = builder.gep(stptr, [builder.mul(loop.index, e.k(128))])
                for q in range(4):
                    e.store(clean, builder.gep(st, [e.k(32 * q)]))
                a = builder.load(acc)
                for q, v in enumerate(e.check_vectors(raw)):
                    cb = e.load(builder.gep(cptr, [builder.add(coff, e.k(32 * q))]), e.v32)
                    e.store(cb, builder.gep(ocptr, [builder.add(coff, e.k(32 * q))]))
                    s = builder.xor(v, cb)
                    e.store(s, builder.gep(synptr, [builder.add(coff, e.k(32 * q))]))
                    a = builder.or_(a, s)
                builder.store(a, acc)
            red = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(e.i8, [e.v32]), "llvm.vector.reduce.or.v32i8"
            )
            return builder.call(red, [builder.load(acc)])

        return sig, codegen


@njit(cache=True)
def _encode_wide(data, tables, out, wsel):
    """out[i] = check word of codeword i; ``data`` flat ``(N W,)`` uint64 C-contiguous,
    ``tables`` ``CompiledCode.nibble_wide``, ``out`` ``(N,)`` of the check dtype, ``wsel`` a
    tuple of ``W`` zeros (:func:`wsel_of`). Needs AVX2."""
    W = len(wsel)
    n = out.shape[0]
    nblk = n // BLOCK
    if nblk > 0:
        _wide_blocks(data, tables, out, nblk, wsel)
    t0 = nblk * BLOCK
    if t0 < n:  # tail: the vector step on a zero-padded copy
        pad = np.zeros(BLOCK * W, dtype=np.uint64)
        pad[: (n - t0) * W] = data[t0 * W : n * W]
        po = np.empty(BLOCK, dtype=out.dtype)
        _wide_blocks(pad, tables, po, 1, wsel)
        out[t0:n] = po[: n - t0]


@njit(cache=True, parallel=True)
def _encode_wide_par(data, tables, out, wsel, parts):
    """Multi-threaded :func:`_encode_wide` over contiguous slices of whole 32-codeword blocks."""
    W = len(wsel)
    n = out.shape[0]
    step = (_slices(n, parts) + BLOCK - 1) // BLOCK * BLOCK
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        _encode_wide(data[s * W : e * W], tables, out[s:e], wsel)


@njit(cache=True)
def _wide_fix(odb, ocb, stb, syn, m, W, table, keys, pat_data, pat_check):
    """Apply the decoder's action for each non-zero syndrome of a block (status, data and check
    corrections); returns the block's (clean, corrected, DUE) counts."""
    clean = 0
    corrected = 0
    due = 0
    for i in range(m):
        v = syn[i]
        if v == 0:
            clean += 1
            continue
        a = _action(np.uint64(v), table, keys)
        stb[i] = a
        if a >= 0:
            corrected += 1
            for w in range(W):
                odb[i * W + w] ^= pat_data[a, w]
            ocb[i] ^= pat_check[a]
        else:
            due += 1
    return clean, corrected, due


@njit(cache=True)
def _decode_two_pass(db, cb, tables, odb, ocb, stb, syn, wsel):
    """A block's syndromes (vector encoder, then XOR with the stored check words) and the
    copies and status in plain loops; returns the OR of the syndromes."""
    W = len(wsel)
    m = cb.shape[0]
    _encode_wide(db, tables, syn[:m], wsel)
    anyerr = 0
    for i in range(m * W):
        odb[i] = db[i]
    for i in range(m):
        c = cb[i]
        v = syn[i] ^ c
        syn[i] = v
        anyerr |= v
        ocb[i] = c
        stb[i] = STATUS_CLEAN
    return anyerr


@njit(cache=True)
def _decode_wide(data, check, tables, table, keys, pat_data, pat_check, out_data, out_check,
                 status, wsel):  # fmt: skip
    """Out-of-place decode with a per-word status (as :func:`eccsim._kernels._decode`) through
    the fused vector step; flat data as in :func:`_encode_wide`. Needs AVX2."""
    W = len(wsel)
    n = check.shape[0]
    bs = BLK if W < 4 else TWO_PASS_BLK
    syn = np.empty(min(bs, n), dtype=check.dtype)
    pad = np.zeros(BLOCK * W, dtype=np.uint64)
    po = np.empty(BLOCK, dtype=check.dtype)
    for s in range(0, n, bs):
        e = min(n, s + bs)
        m = e - s
        odb = out_data[s * W : e * W]
        ocb = out_check[s:e]
        stb = status[s:e]
        if W >= 4:  # the fused step spills at this width: encode, then plain copy loops
            if _decode_two_pass(data[s * W : e * W], check[s:e], tables, odb, ocb, stb, syn,
                                wsel) != 0:  # fmt: skip
                _wide_fix(odb, ocb, stb, syn, m, W, table, keys, pat_data, pat_check)
            continue
        nblk = m // BLOCK
        anyerr = False
        if nblk > 0:
            anyerr = _wide_decode_blocks(data[s * W : e * W], check[s:e], tables, odb, ocb, stb,
                                         syn, nblk, wsel) != 0  # fmt: skip
        t0 = nblk * BLOCK
        if t0 < m:  # tail of the last block
            pad[:] = 0
            pad[: (m - t0) * W] = data[(s + t0) * W : e * W]
            _wide_blocks(pad, tables, po, 1, wsel)
            for i in range(t0, m):
                c = check[s + i]
                v = po[i - t0] ^ c
                syn[i] = v
                if v != 0:
                    anyerr = True
                for w in range(W):
                    odb[i * W + w] = data[(s + i) * W + w]
                ocb[i] = c
                stb[i] = STATUS_CLEAN
        if anyerr:
            _wide_fix(odb, ocb, stb, syn, m, W, table, keys, pat_data, pat_check)


@njit(cache=True, parallel=True)
def _decode_wide_par(data, check, tables, table, keys, pat_data, pat_check, out_data, out_check,
                     status, wsel, parts):  # fmt: skip
    """Multi-threaded :func:`_decode_wide` over contiguous slices of whole 32-codeword blocks."""
    W = len(wsel)
    n = check.shape[0]
    step = (_slices(n, parts) + BLOCK - 1) // BLOCK * BLOCK
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        _decode_wide(data[s * W : e * W], check[s:e], tables, table, keys, pat_data, pat_check,
                     out_data[s * W : e * W], out_check[s:e], status[s:e], wsel)  # fmt: skip


@njit(cache=True)
def _scrub_wide(data, check, tables, table, keys, pat_data, pat_check, wsel):
    """In-place scrub through the vector syndrome step; returns (clean, corrected, DUE) word
    counts. Needs AVX2."""
    W = len(wsel)
    n = check.shape[0]
    syn = np.empty(BLK, dtype=check.dtype)
    st = np.empty(BLK, dtype=np.int32)
    clean = 0
    corrected = 0
    due = 0
    for s in range(0, n, BLK):
        e = min(n, s + BLK)
        m = e - s
        cb = check[s:e]
        _encode_wide(data[s * W : e * W], tables, syn[:m], wsel)
        anyerr = 0
        for i in range(m):
            v = syn[i] ^ cb[i]
            syn[i] = v
            anyerr |= v
        if anyerr == 0:
            clean += m
            continue
        a, b, c = _wide_fix(data[s * W : e * W], cb, st, syn, m, W, table, keys, pat_data,
                            pat_check)  # fmt: skip
        clean += a
        corrected += b
        due += c
    return clean, corrected, due


@njit(cache=True, parallel=True)
def _scrub_wide_par(data, check, tables, table, keys, pat_data, pat_check, wsel, parts):
    """Multi-threaded :func:`_scrub_wide`; returns the summed counts."""
    W = len(wsel)
    n = check.shape[0]
    step = _slices(n, parts)
    local = np.zeros((parts, 3), dtype=np.int64)
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        a, b, c = _scrub_wide(data[s * W : e * W], check[s:e], tables, table, keys, pat_data,
                              pat_check, wsel)  # fmt: skip
        local[p, 0] = a
        local[p, 1] = b
        local[p, 2] = c
    return local[:, 0].sum(), local[:, 1].sum(), local[:, 2].sum()
