"""Exact outcome analysis: how every k-bit error pattern, or every pattern of a finite fault
model, decodes — counted, not sampled.

k-bit errors are counted in syndrome space: a dynamic programme over the columns of H gives,
for each weight w and syndrome s, the number of w-subsets of codeword bits whose syndrome is
s (``subset_syndrome_counts``). The decoder acts on the syndrome alone, so
  undetected  = #(w-subsets with s = 0),
  DUE         = sum over syndromes the decoder flags,
  CE          = number of correctable patterns of weight w (each maps to itself),
  miscorrected = the rest of the correctable syndromes' subsets.
Enumeration (:func:`enumerate_kbit`) runs the real decoder on every pattern as a cross-check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from . import dispatch
from .bits import data_words
from .codes import LinearCode, get_code
from .compile import compile_code
from .errors import FaultError, InputError, LimitError
from .faults import FaultModel, FaultPatterns, get_fault
from .faults.base import MAX_ENUMERATION
from .injection import BLOCK, InjectionResult, tally
from .module import ModuleGeometry, get_module
from .outcomes import (
    CE,
    N_OUTCOMES,
    NO_ERROR,
    OUTCOME_LABELS,
    SDC_MISCORRECTED,
    SDC_UNDETECTED,
    OutcomeCounts,
)
from .outcomes import DUE as OUT_DUE
from .status import STATUS_UNCORRECTABLE
from .validate import require_int

INT64_SAFE = 2**62


def subset_syndrome_counts(code: LinearCode | str, max_w: int) -> np.ndarray:
    """``(max_w + 1, 2**r)`` array: entry [w, s] = number of w-bit error patterns with syndrome s.

    A dynamic programme over the columns of H, vectorized over weights and syndromes (one
    numpy step per codeword bit: about 1 ms for a (72,64) code and k <= 8). int64 when every
    count fits, else exact Python ints (object dtype)."""
    c = get_code(code)
    max_w = min(require_int("max_w", max_w, 0, hint=" (a non-negative integer)"), c.n)
    cc = compile_code(c)
    cc.require_direct_table()
    nsyn = 1 << c.r
    fits = max(math.comb(c.n, w) for w in range(max_w + 1)) < INT64_SAFE
    out = np.zeros((max_w + 1, nsyn), dtype=np.int64 if fits else object)
    if not fits:
        out[:] = 0
    out[0, 0] = 1
    idx = np.arange(nsyn)
    for col in cc.columns.astype(np.int64):
        # adding one more bit: every (w-1)-subset with syndrome s ^ col becomes a w-subset
        # with syndrome s; the right-hand side is evaluated before the in-place update
        out[1:] += out[:-1][:, idx ^ col]
    return out


@dataclass(frozen=True)
class KBitRow:
    """Exact outcome counts over all C(n, k) k-bit error patterns of a code."""

    k: int
    total: int
    ce: int
    due: int
    sdc_undetected: int
    sdc_miscorrected: int

    @property
    def sdc(self) -> int:
        return self.sdc_undetected + self.sdc_miscorrected

    def fraction(self, label: str) -> float:
        return getattr(self, label) / self.total if self.total else 0.0


def exact_kbit(code: LinearCode | str, max_bits: int) -> list[KBitRow]:
    """Exact outcome split of every k-bit error, k = 1..max_bits, from syndrome-space counts."""
    c = get_code(code)
    max_bits = require_int("max_bits", max_bits, 1, c.n, hint=" (at most the code length)")
    cc = compile_code(c)
    table = cc.require_direct_table("exact k-bit counting")
    counts = subset_syndrome_counts(c, int(max_bits))
    flagged = table == STATUS_UNCORRECTABLE
    correctable = table >= 0
    ce_by_weight = np.bincount(cc.pat_weight[: len(c.correctable)], minlength=int(max_bits) + 1)
    rows = []
    for k in range(1, int(max_bits) + 1):
        row = counts[k]
        ce = int(ce_by_weight[k]) if k < ce_by_weight.size else 0
        rows.append(
            KBitRow(
                k=k,
                total=math.comb(c.n, k),
                ce=ce,
                due=int(row[flagged].sum()),
                sdc_undetected=int(row[0]),
                sdc_miscorrected=int(row[correctable].sum()) - ce,
            )
        )
    return rows


def enumerate_kbit(code: LinearCode | str, k: int, seed: int = 0) -> OutcomeCounts:
    """Outcome counts from flipping every k-subset of a random codeword's bits and running the
    real decoder (``_kernels._enumerate_k_bits``); the cross-check of :func:`exact_kbit`.

    At most :data:`~eccsim.faults.base.MAX_ENUMERATION` patterns (the fault models' exhaustive
    limit); :func:`exact_kbit` counts any k in syndrome space instead."""
    c = get_code(code)
    k = require_int("k", k, 0, c.n, hint=" (a number of bits within the codeword)")
    seed = require_int("seed", seed, 0)
    total = math.comb(c.n, k)
    if total > MAX_ENUMERATION:
        raise LimitError(
            f"k={k}: C({c.n}, {k}) = {total:,} patterns; enumeration allows at most "
            f"{MAX_ENUMERATION:,}; exact_kbit(code, {k}) counts every k-bit error in syndrome "
            "space (any k)"
        )
    cc = compile_code(c)
    rng = np.random.default_rng(seed)
    W = data_words(c.k)
    d = rng.integers(0, np.iinfo(np.uint64).max, size=(1, W), dtype=np.uint64, endpoint=True)
    if c.k % 64:
        d[0, -1] &= np.uint64((1 << (c.k % 64)) - 1)
    chk = np.empty(1, dtype=cc.check_dtype)
    dispatch.encode_into(cc, d, chk)
    counts = np.zeros(N_OUTCOMES, dtype=np.int64)
    K._enumerate_k_bits(
        d, chk, c.n, c.k, int(k), cc.masks, cc.table, cc.keys, cc.pat_data, cc.pat_check, counts
    )
    return OutcomeCounts(counts)


def classify_patterns(code: LinearCode | str, pats: FaultPatterns) -> np.ndarray:
    """Outcome code of every codeword ``(m, S)`` under flip patterns, worked out in syndrome
    space (no decoding): the decoder's action depends only on the syndrome of the error, and
    it corrects exactly when its correction pattern equals the error. Stuck-at patterns are
    refused: their errors depend on the stored data. The kernels' decode-and-compare path is
    cross-checked against this in the tests."""
    if not isinstance(pats, FaultPatterns):
        raise InputError(
            f"pats must be FaultPatterns (from a fault model's sample or enumerate_range), "
            f"not {type(pats).__name__}"
        )
    if pats.has_stuck:
        raise FaultError("classify_patterns needs flip patterns; stuck-at errors depend on data")
    cc = compile_code(get_code(code))
    ed, ec = pats.flip_data, pats.flip_check
    if ed.ndim != 3 or ed.shape[-1] != cc.words or ec.shape != ed.shape[:2]:
        raise InputError(
            f"fault patterns of shapes {ed.shape} and {ec.shape} do not fit code {cc.code.name!r} "
            f"(flip_data (m, S, {cc.words}), flip_check (m, S))"
        )
    if ed.dtype != np.uint64 or ec.dtype.kind not in "iu":
        raise InputError(f"fault patterns must be uint64 bit masks, not {ed.dtype}/{ec.dtype}")
    ec = ec.astype(np.uint64)
    if (cc.k % 64 and (ed[..., -1] >> np.uint64(cc.k % 64)).any()) or (
        cc.r < 64 and (ec >> np.uint64(cc.r)).any()
    ):
        raise InputError(
            f"fault patterns flip bits beyond code {cc.code.name!r}'s {cc.k} data and {cc.r} "
            "check bits (patterns built for another module or code?)"
        )
    syn = np.zeros(ec.shape, dtype=np.uint64)
    for j in range(cc.r):
        ones = np.bitwise_count(ed & cc.masks[j]).sum(axis=-1, dtype=np.uint64)
        ones += (ec >> np.uint64(j)) & np.uint64(1)
        syn |= (ones & np.uint64(1)) << np.uint64(j)
    act = cc.actions(syn)
    p = np.maximum(act, 0)
    exact_fix = (ed == cc.pat_data[p]).all(axis=-1) & (ec == cc.pat_check[p])
    clean = (ed == 0).all(axis=-1) & (ec == 0)
    out = np.select(
        [clean, syn == 0, act == STATUS_UNCORRECTABLE, exact_fix],
        [NO_ERROR, SDC_UNDETECTED, OUT_DUE, CE],
        SDC_MISCORRECTED,
    )
    return out.astype(np.int8)


def exact_fault_outcomes(
    code: LinearCode | str, module: ModuleGeometry | str, fault: FaultModel | str
) -> InjectionResult:
    """Exact outcome counts of every pattern of a finite flip fault model (e.g. ``"chip"``,
    ``"pin"``, ``"bits:3"``) on ``module``, per codeword and per line, with per-site counts;
    the same numbers as an exhaustive :func:`eccsim.injection.inject`, without running data
    through the kernels. Patterns are built and classified a chunk at a time, so memory stays
    bounded whatever their number."""
    c = get_code(code)
    geom = get_module(module)
    f = get_fault(fault)
    geom.check_code(c)
    if f.data_dependent:
        raise FaultError(f"fault {f.name!r} is stuck-at: its outcome depends on the stored data")
    total = f.require_enumerable(geom)
    res = InjectionResult(c.name, geom.name, f.name, f.site_kind, True, 0, OutcomeCounts(),
                          OutcomeCounts())  # fmt: skip
    step = 16 * BLOCK
    for start in range(0, total, step):
        pats = f.enumerate_range(geom, start, min(total, start + step))
        words, lines = tally(classify_patterns(c, pats), pats, f.site_kind)
        res += InjectionResult(c.name, geom.name, f.name, f.site_kind, True, pats.m, words, lines)
    return res


@dataclass(frozen=True)
class ChipSplit:
    """Exact outcomes of every error confined to ``chips`` chips of one codeword: ``total``
    patterns (every non-zero pattern on each chip's bits of the codeword), split into
    ``counts`` (:class:`OutcomeCounts`; no_error is 0) and, for single chips, ``per_chip``."""

    code: str
    module: str
    chips: int
    bits_per_chip: int
    counts: OutcomeCounts
    per_chip: dict[int, OutcomeCounts]


#: most patterns :func:`exact_chip_split` classifies at once
CHIP_SPLIT_BATCH = 1 << 20


def exact_chip_split(code: LinearCode | str, module: ModuleGeometry | str,
                     chips: int = 1) -> ChipSplit:  # fmt: skip
    """Exact outcome split of every error confined to one chip (``chips=1``) or to exactly two
    chips (``chips=2``, every pair, both non-zero) within one codeword of ``module`` — the
    whole-chip and double-chip claims of symbol codes, counted in syndrome space.

    A chip stores ``b`` bits of each codeword (``chip_width * beats_per_codeword``); each chip
    contributes ``2**b - 1`` patterns, so a pair ``(2**b - 1)**2`` (4.2 million pairs' worth
    for 36 x4 chips, classified in batches). The decoder acts on the syndrome: undetected when
    it is 0, DUE when flagged, CE when the correction pattern it picks is the error itself."""
    c = get_code(code)
    geom = get_module(module)
    geom.check_code(c)
    chips = require_int("chips", chips, 1, 2, hint=" (1: single-chip errors, 2: chip pairs)")
    cc = compile_code(c)
    chip_of = geom.chip_of_bit
    bits = [np.nonzero(chip_of == ch)[0] for ch in range(geom.chips)]
    b = len(bits[0])
    if any(len(x) != b for x in bits) or b > 16:
        raise InputError(f"module {geom.name!r}: chips store unequal or over 16 bits per codeword")
    v = np.arange(1, 1 << b, dtype=np.int64)
    vbits = (v[:, None] >> np.arange(b)) & 1  # (2^b - 1, b)
    cols = cc.columns
    syn = [np.bitwise_xor.reduce(np.where(vbits == 1, cols[x], np.uint64(0)), axis=1)
           for x in bits]  # fmt: skip
    # each correctable pattern's value on each chip (chip-local bit i = bits[ch][i]) and weight
    local_index = np.empty(c.n, dtype=np.int64)
    for x in bits:
        local_index[x] = np.arange(b)
    P = max(len(c.correctable), 1)
    loc = np.zeros((geom.chips, P), dtype=np.int64)
    weight = np.zeros(P, dtype=np.int64)
    for p, pb in enumerate(c.correctable):
        for bit in pb:
            loc[chip_of[bit], p] |= 1 << int(local_index[bit])
        weight[p] = len(pb)
    popcount = np.array([bin(int(x)).count("1") for x in v], dtype=np.int64)
    total = np.zeros(N_OUTCOMES, dtype=np.int64)
    per_chip = {}

    def classify(s, va, vb, a, bb):
        act = cc.actions(s)
        p = np.maximum(act, 0)
        ok = (act >= 0) & (loc[a, p] == va)
        w = popcount[va - 1]
        if bb is not None:
            ok &= loc[bb, p] == vb
            w = w + popcount[vb - 1]
        ok &= weight[p] == w
        out = np.select([s == 0, act == STATUS_UNCORRECTABLE, ok],
                        [SDC_UNDETECTED, OUT_DUE, CE], SDC_MISCORRECTED)  # fmt: skip
        return np.bincount(out, minlength=N_OUTCOMES).astype(np.int64)

    if chips == 1:
        for a in range(geom.chips):
            counts = classify(syn[a], v, None, a, None)
            per_chip[a] = OutcomeCounts(counts)
            total += counts
    else:
        step = max(1, CHIP_SPLIT_BATCH // len(v))
        for a in range(geom.chips):
            for bb in range(a + 1, geom.chips):
                for lo in range(0, len(v), step):
                    va = v[lo : lo + step]
                    s = (syn[a][lo : lo + step, None] ^ syn[bb][None, :]).ravel()
                    total += classify(s, np.repeat(va, len(v)), np.tile(v, len(va)), a, bb)
    return ChipSplit(c.name, geom.name, chips, b, OutcomeCounts(total), per_chip)


__all__ = [
    "OUTCOME_LABELS",
    "ChipSplit",
    "KBitRow",
    "classify_patterns",
    "enumerate_kbit",
    "exact_chip_split",
    "exact_fault_outcomes",
    "exact_kbit",
    "subset_syndrome_counts",
]
