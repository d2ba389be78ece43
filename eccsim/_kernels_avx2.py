"""AVX2 nibble-table encoder for codes with k <= 64 data bits and r <= 8 check bits (the
``CompiledCode.m8`` shape). Private: arrays only, no Python objects; the caller validates inputs
and calls :func:`_encode8_nibble` only on CPUs with AVX2 (see :func:`cpu_has_avx2`).

Formulation: check byte of a word = XOR over its 8 bytes ``p`` of ``T[p][lo][byte & 15] ^
T[p][hi][byte >> 4]``, where ``T[p][h][v]`` is the r-bit check contribution of the 4 data bits
``8p + 4h + (0..3)`` set in ``v``. The kernel takes 32 words (256 bytes) at a time, regroups their
bytes by position into 8 vectors of 32 bytes (one in-lane ``vpshufb`` per 4 words, then an 8x8
transpose of 16-bit elements with unpacks), looks the two nibbles of each byte up with ``vpshufb``
in the 16 tables, XORs the 16 lookups and stores 32 check bytes; it prefetches 2 KiB ahead.
Tail words (``N % 32``) take a scalar table loop.

Table layout (:func:`eccsim.compile.build_nibble_tables`, ``CompiledCode.nibble``): ``tables`` is ``(16, 32)`` uint8, C-contiguous; row
``2 * p + h`` (byte position ``p`` = 0..7 of the little-endian uint64 word, ``h`` = 0 low nibble,
1 high nibble) holds the 16-entry table ``T[p][h]`` twice (bytes 0..15 and 16..31), because
``vpshufb`` looks up within each 128-bit lane.
"""

from __future__ import annotations

import numpy as np
from numba import config, njit, prange, types
from numba.extending import intrinsic

from ._kernels import BLK, _decode_fix, _scrub_fix, _slices
from .status import STATUS_CLEAN

BLOCK = 32  # words per vector step
PREFETCH_BYTES = 2048


def encode_nibble_numpy(data: np.ndarray, tables: np.ndarray, out: np.ndarray) -> None:
    """Pure-numpy version of :func:`_encode8_nibble` (same tables, same results)."""
    d = np.asarray(data, dtype=np.uint64)
    acc = np.zeros(d.shape[0], dtype=np.uint8)
    for p in range(8):
        byte = ((d >> np.uint64(8 * p)) & np.uint64(0xFF)).astype(np.uint8)
        acc ^= tables[2 * p][byte & 15]
        acc ^= tables[2 * p + 1][byte >> 4]
    out[:] = acc


def cpu_has_avx2() -> bool:
    """True when numba's target CPU has AVX2: the host's features, or the ``NUMBA_CPU_FEATURES``
    that numba compiles for when that is set."""
    if config.CPU_FEATURES is not None:
        return "+avx2" in config.CPU_FEATURES.split(",")
    try:
        import llvmlite.binding as llvm

        return bool(llvm.get_host_cpu_features().get("avx2", False))
    except Exception:  # pragma: no cover - unusual llvmlite builds
        return False


# ----- the transpose plan, worked out (and checked) in Python -------------------------------
def _in_lane_group_mask() -> list[int]:
    """vpshufb control grouping a 128-bit lane of 2 words [w0 b0..b7, w1 b0..b7] by byte
    position: slot 2p + j = byte p of word j (same control in both lanes)."""
    lane = [8 * j + p for p in range(8) for j in range(2)]
    return lane + lane


def _unpack_mask(width: int, hi: bool) -> list[int]:
    """shufflevector mask (<32 x i8> a, <32 x i8> b) of vpunpck{l,h}{wd,dq,qdq}: per 128-bit lane
    interleave the low (or high) halves of a and b in ``width``-byte elements."""
    mask = []
    for lane in range(2):
        base = 16 * lane + (8 if hi else 0)
        for e in range(8 // width):
            mask += [base + e * width + i for i in range(width)]
            mask += [32 + base + e * width + i for i in range(width)]
    return mask


def _transpose_plan():
    """The shuffle steps and, from label tracking, which output vector is which byte position
    and which word each output byte slot holds. Returns (steps, pos_of_vec, word_of_slot)."""
    group = _in_lane_group_mask()
    # labels after loading vector q (words 4q..4q+3) and the in-lane grouping
    vecs = []
    for q in range(8):
        raw = [(4 * q + s // 8, s % 8) for s in range(32)]
        vecs.append([raw[16 * (s // 16) + group[s]] for s in range(32)])
    steps = []  # (stage width, [(out index, a index, b index, hi)])

    def stage(vs, width, pairs):
        out, plan = [], []
        for a, b in pairs:
            for hi in (False, True):
                m = _unpack_mask(width, hi)
                out.append([(vs[a] + vs[b])[i] for i in m])
                plan.append((a, b, hi))
        steps.append((width, plan))
        return out

    vecs = stage(vecs, 2, [(0, 1), (2, 3), (4, 5), (6, 7)])
    vecs = stage(vecs, 4, [(0, 2), (1, 3), (4, 6), (5, 7)])
    vecs = stage(vecs, 8, [(0, 4), (1, 5), (2, 6), (3, 7)])
    pos_of_vec = []
    word_of_slot = [w for w, _ in vecs[0]]
    for v in vecs:
        ps = {p for _, p in v}
        assert len(ps) == 1, "transpose plan mixes byte positions"
        assert [w for w, _ in v] == word_of_slot, "transpose plan orders words differently"
        pos_of_vec.append(ps.pop())
    assert sorted(pos_of_vec) == list(range(8)) and sorted(word_of_slot) == list(range(32))
    return steps, pos_of_vec, word_of_slot


_STEPS, _POS_OF_VEC, _WORD_OF_SLOT = _transpose_plan()
# result slot s holds the check byte of word _WORD_OF_SLOT[s]; out byte w = result[_UNPERM[w]]
_UNPERM = [_WORD_OF_SLOT.index(w) for w in range(32)]


class _Emit:
    """LLVM IR for the nibble kernels, shared by the encoder and the fused decoder: the
    constants, the 16 table vectors, and the check bytes of 32 loaded words."""

    def __init__(self, context, builder, tables_ptr):
        from llvmlite import ir
        from numba.core import cgutils

        self.ir, self.builder = ir, builder
        self.i8, self.i32 = ir.IntType(8), ir.IntType(32)
        self.v32 = ir.VectorType(self.i8, 32)
        self.v32p = self.v32.as_pointer()
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
        tptr = builder.bitcast(tables_ptr, self.i8p)
        self.tabs = [self.load32(builder.gep(tptr, [ir.Constant(ir.IntType(64), 32 * t)]))
                     for t in range(16)]  # fmt: skip
        self.group = self.const_vec(_in_lane_group_mask())
        self.low4 = self.const_vec([0x0F] * 32)
        self.four = self.const_vec([4] * 32)
        self.unperm = self.mask(_UNPERM)

    def const_vec(self, vals):
        return self.ir.Constant(self.v32, [self.ir.Constant(self.i8, int(x) & 0xFF) for x in vals])

    def mask(self, vals):
        ir = self.ir
        return ir.Constant(ir.VectorType(self.i32, len(vals)), [ir.Constant(self.i32, x)
                                                                 for x in vals])  # fmt: skip

    def k(self, x):
        return self.ir.Constant(self.intp, x)

    def load32(self, ptr):
        return self.builder.load(self.builder.bitcast(ptr, self.v32p), align=1)

    def store32(self, val, ptr):
        return self.builder.store(val, self.builder.bitcast(ptr, self.v32p), align=1)

    def prefetch(self, src):
        b, i32 = self.builder, self.i32
        for off in (PREFETCH_BYTES, PREFETCH_BYTES + 128):
            pf = b.gep(src, [self.k(off)])
            args = [
                pf,
                self.ir.Constant(i32, 0),
                self.ir.Constant(i32, 3),
                self.ir.Constant(i32, 1),
            ]
            b.call(self.prefetch_fn, args)

    def check_bytes(self, raw):
        """The 32 check bytes (in word order) of the 32 words loaded as 8 vectors ``raw``."""
        b = self.builder
        vecs = [b.call(self.pshufb, [v, self.group]) for v in raw]
        for width, plan in _STEPS:
            vecs = [b.shuffle_vector(vecs[x], vecs[y], self.mask(_unpack_mask(width, hi)))
                    for x, y, hi in plan]  # fmt: skip
        acc = None
        for v, p in zip(vecs, _POS_OF_VEC, strict=True):
            lo = b.and_(v, self.low4)
            hi = b.and_(b.lshr(v, self.four), self.low4)
            x = b.xor(b.call(self.pshufb, [self.tabs[2 * p], lo]),
                      b.call(self.pshufb, [self.tabs[2 * p + 1], hi]))  # fmt: skip
            acc = x if acc is None else b.xor(acc, x)
        return b.shuffle_vector(acc, acc, self.unperm)


def _is_array(t, dtype) -> bool:
    return isinstance(t, types.Array) and t.dtype == dtype


if config.DISABLE_JIT:  # pure-numpy fallback keeps NUMBA_DISABLE_JIT=1 runs working

    def _encode8_nibble(data, tables, out):
        """out[i] = check byte of data[i] from the nibble tables (numpy fallback)."""
        encode_nibble_numpy(data, tables, out)

    def _decode_blocks(data, check, tables, out_data, out_check, status, syn, nblk):
        """numpy fallback of the fused decode pass (see the jitted intrinsic)."""
        m = 32 * nblk
        encode_nibble_numpy(data[:m], tables, syn[:m])
        syn[:m] ^= check[:m]
        out_data[:m] = data[:m]
        out_check[:m] = check[:m]
        status[:m] = STATUS_CLEAN
        return np.uint8(np.bitwise_or.reduce(syn[:m])) if m else np.uint8(0)

else:

    @intrinsic
    def _nibble_blocks(typingctx, data, tables, out, nblk):
        """Vector loop over the first ``nblk * 32`` words: out[i] = check byte of data[i]."""
        if not (
            _is_array(data, types.uint64)
            and _is_array(tables, types.uint8)
            and _is_array(out, types.uint8)
            and isinstance(nblk, types.Integer)
        ):
            return None
        sig = types.void(data, tables, out, types.intp)

        def codegen(context, builder, signature, args):
            from numba.core import cgutils

            d_ty, t_ty, o_ty, _ = signature.args
            darr = context.make_array(d_ty)(context, builder, args[0])
            tarr = context.make_array(t_ty)(context, builder, args[1])
            oarr = context.make_array(o_ty)(context, builder, args[2])
            e = _Emit(context, builder, tarr.data)
            dptr = builder.bitcast(darr.data, e.i8p)
            optr = builder.bitcast(oarr.data, e.i8p)
            with cgutils.for_range(builder, args[3], intp=e.intp) as loop:
                src = builder.gep(dptr, [builder.mul(loop.index, e.k(256))])
                e.prefetch(src)
                raw = [e.load32(builder.gep(src, [e.k(32 * q)])) for q in range(8)]
                res = e.check_bytes(raw)
                e.store32(res, builder.gep(optr, [builder.mul(loop.index, e.k(32))]))
            return context.get_dummy_value()

        return sig, codegen

    @intrinsic
    def _decode_blocks(typingctx, data, check, tables, out_data, out_check, status, syn, nblk):
        """Fused decode pass over the first ``nblk * 32`` words, reading each block of data
        once: copy the 32 loaded words to ``out_data`` and the check bytes to ``out_check``,
        fill ``status`` with ``Status.CLEAN``, and store the syndromes (nibble check bytes XOR
        stored ones) in ``syn``; returns the OR of all syndromes (0: nothing to fix)."""
        if not (
            _is_array(data, types.uint64)
            and _is_array(check, types.uint8)
            and _is_array(tables, types.uint8)
            and _is_array(out_data, types.uint64)
            and _is_array(out_check, types.uint8)
            and _is_array(status, types.int32)
            and _is_array(syn, types.uint8)
            and isinstance(nblk, types.Integer)
        ):
            return None
        sig = types.uint8(data, check, tables, out_data, out_check, status, syn, types.intp)

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            from numba.core import cgutils

            arrs = [context.make_array(t)(context, builder, a)
                    for t, a in zip(signature.args[:7], args[:7], strict=True)]  # fmt: skip
            e = _Emit(context, builder, arrs[2].data)
            dptr, cptr, _, odptr, ocptr, stptr, synptr = (
                builder.bitcast(a.data, e.i8p) for a in arrs
            )
            clean = ir.Constant(e.v32, [ir.Constant(e.i8, STATUS_CLEAN & 0xFF)] * 32)
            acc = cgutils.alloca_once_value(builder, ir.Constant(e.v32, None))
            with cgutils.for_range(builder, args[7], intp=e.intp) as loop:
                off = builder.mul(loop.index, e.k(256))
                src = builder.gep(dptr, [off])
                e.prefetch(src)
                raw = [e.load32(builder.gep(src, [e.k(32 * q)])) for q in range(8)]
                dst = builder.gep(odptr, [off])
                for q in range(8):
                    e.store32(raw[q], builder.gep(dst, [e.k(32 * q)]))
                coff = builder.mul(loop.index, e.k(32))
                cb = e.load32(builder.gep(cptr, [coff]))
                e.store32(cb, builder.gep(ocptr, [coff]))
                st = builder.gep(stptr, [builder.mul(loop.index, e.k(128))])
                for q in range(4):
                    e.store32(clean, builder.gep(st, [e.k(32 * q)]))
                s = builder.xor(e.check_bytes(raw), cb)
                e.store32(s, builder.gep(synptr, [coff]))
                builder.store(builder.or_(builder.load(acc), s), acc)
            red = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(e.i8, [e.v32]), "llvm.vector.reduce.or.v32i8"
            )
            return builder.call(red, [builder.load(acc)])

        return sig, codegen

    @njit(cache=True)
    def _encode8_nibble(data, tables, out):
        """out[i] = check byte of data[i] from the nibble tables; ``data`` (N,) uint64
        C-contiguous, ``tables`` (16, 32) uint8 C-contiguous (``CompiledCode.nibble``),
        ``out`` (N,) uint8 C-contiguous. Needs AVX2."""
        n = data.shape[0]
        nblk = n // BLOCK
        if nblk > 0:
            _nibble_blocks(data, tables, out, nblk)
        for i in range(nblk * BLOCK, n):
            out[i] = _nibble_check_byte(data[i], tables)


@njit(cache=True, inline="always")
def _nibble_check_byte(w, tables):
    """Check byte of one word from the nibble tables (the kernels' scalar tail)."""
    c = np.uint8(0)
    for p in range(8):
        b = (w >> np.uint64(8 * p)) & np.uint64(0xFF)
        c ^= tables[2 * p, b & np.uint64(15)] ^ tables[2 * p + 1, b >> np.uint64(4)]
    return c


@njit(cache=True, parallel=True)
def _encode8_nibble_par(data, tables, out, parts):
    """Multi-threaded :func:`_encode8_nibble` over contiguous slices of whole 32-word blocks."""
    n = data.shape[0]
    step = (_slices(n, parts) + BLOCK - 1) // BLOCK * BLOCK
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        _encode8_nibble(data[s:e], tables, out[s:e])


# ----- scrub with the nibble syndrome pass -------------------------------------------------------
# Same blocks and fix-up pass as ``_kernels._scrub8``; only the syndrome pass differs: the block's
# check bytes come from the nibble encoder and are XORed with the stored ones. (Decode with status
# has its own fused pass below: a two-pass nibble version that read each block twice measured
# slower than popcount.)
@njit(cache=True)
def _block_syndromes(blk, cb, tables, syn, m):
    """``syn[:m]`` = nibble check bytes of ``blk`` XOR stored ``cb``; returns their OR."""
    _encode8_nibble(blk, tables, syn[:m])
    anyerr = np.uint8(0)
    for i in range(m):
        v = syn[i] ^ np.uint8(cb[i])
        syn[i] = v
        anyerr |= v
    return anyerr


@njit(cache=True)
def _scrub8_nibble(data, check, tables, table, pat_data, pat_check):
    """:func:`eccsim._kernels._scrub8` with the nibble syndrome pass; returns (clean, corrected,
    DUE) word counts. Needs AVX2."""
    n = data.shape[0]
    syn = np.empty(BLK, dtype=np.uint8)
    clean = 0
    corrected = 0
    due = 0
    for s in range(0, n, BLK):
        e = min(n, s + BLK)
        m = e - s
        if _block_syndromes(data[s:e], check[s:e], tables, syn, m) == 0:
            clean += m
            continue
        a, b, c = _scrub_fix(data[s:e], check[s:e], syn, m, table, pat_data, pat_check)
        clean += a
        corrected += b
        due += c
    return clean, corrected, due


@njit(cache=True, parallel=True)
def _scrub8_nibble_par(data, check, tables, table, pat_data, pat_check, parts):
    """Multi-threaded :func:`_scrub8_nibble`; returns the summed counts."""
    n = data.shape[0]
    step = _slices(n, parts)
    local = np.zeros((parts, 3), dtype=np.int64)
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        a, b, c = _scrub8_nibble(data[s:e], check[s:e], tables, table, pat_data, pat_check)
        local[p, 0] = a
        local[p, 1] = b
        local[p, 2] = c
    return local[:, 0].sum(), local[:, 1].sum(), local[:, 2].sum()


# ----- decode with status, fused --------------------------------------------------------------
# Same blocks and fix-up pass as ``_kernels._decode8``; the vector pass reads each block of data
# and check bytes once and writes every output stream (data copy, check copy, status CLEAN,
# syndromes); ``_decode_fix`` then runs only for blocks with a non-zero syndrome.
@njit(cache=True)
def _decode8_nibble(data, check, tables, table, pat_data, pat_check, out_data, out_check,
                    status):  # fmt: skip
    """:func:`eccsim._kernels._decode8` with the fused nibble pass (see :func:`_decode_blocks`).
    Needs AVX2."""
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
        nblk = m // BLOCK
        anyerr = np.uint8(0)
        if nblk > 0:
            anyerr = _decode_blocks(db, cb, tables, odb, ocb, stb, syn, nblk)
        for i in range(nblk * BLOCK, m):  # tail of the last block
            x = db[i]
            v = _nibble_check_byte(x, tables) ^ np.uint8(cb[i])
            syn[i] = v
            anyerr |= v
            odb[i] = x
            ocb[i] = cb[i]
            stb[i] = STATUS_CLEAN
        if anyerr != 0:
            _decode_fix(odb, ocb, stb, syn, m, table, pat_data, pat_check)


@njit(cache=True, parallel=True)
def _decode8_nibble_par(data, check, tables, table, pat_data, pat_check, out_data, out_check,
                        status, parts):  # fmt: skip
    """Multi-threaded :func:`_decode8_nibble` over contiguous slices of whole 32-word blocks."""
    n = data.shape[0]
    step = (_slices(n, parts) + BLOCK - 1) // BLOCK * BLOCK
    for p in prange(parts):
        s = min(n, p * step)
        e = min(n, s + step)
        _decode8_nibble(data[s:e], check[s:e], tables, table, pat_data, pat_check,
                        out_data[s:e], out_check[s:e], status[s:e])  # fmt: skip
