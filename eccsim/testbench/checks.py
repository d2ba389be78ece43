"""The checks the test bench runs on a device under test, and :func:`run_testbench`.

1. **The encoder is linear, and its code.** The encoder's response to the all-zero word and to
   the ``k`` unit vectors determines a linear encoder: check bit ``j``'s mask holds data bit
   ``i`` when ``encode(e_i)`` has bit ``j``. The bench then checks that on random words the
   encoder equals that prediction, and that ``encode(a ^ b) == encode(a) ^ encode(b)`` on
   random pairs. An encoder with ``encode(0) != 0`` whose other outputs are off by that same
   constant (inverted check bits) is *affine*: the check fails, and the rest of the bench
   allows for the constant. The identified code is reported as a :class:`LinearCode` and as a
   code file eccsim loads (:mod:`eccsim.codes.files`, masks in the DUT's check-bit order).
2. **Conformance to a model** (when one is given): each check bit's mask against the model's.
   When the DUT's masks are exactly the model's in another order, that is reported as a
   permutation of the check bits (``DUT check bit j = model check bit perm[j]``) and the
   decoder checks run with the model's check bits in the DUT's order; otherwise the data bits
   that differ are listed per check bit.
3. **The decoder against the model.** ``words`` random data words are encoded by the model
   (the given one, else the identified code with an SEC decoder when its columns are distinct
   and non-zero, else detect-only) and every 0-, 1- and 2-bit error is flipped (check bits
   included), every 3- and 4-bit error when ``C(n, w) * words <= max_exhaustive``, else
   ``max_sampled`` random ones (each on one word; seeded), and — with ``module`` — every
   per-codeword error of the preset's ``chip`` and ``pin`` fault models (sampled when there
   are more than ``max_exhaustive``). The DUT decodes them in batches; eccsim's kernels decode
   the same words under the model. Every decode where the data, the flags or (outside
   uncorrectable words) the delivered check bits differ is a disagreement, counted under its
   kind (:data:`~eccsim.testbench.report.KINDS`).
4. **Flags and data are consistent**: no decode that raises both flags, says corrected with
   wrong data, says uncorrectable but changes the data, or says nothing while the data is wrong
   where the model detects the error.

A :class:`~eccsim.testbench.dut.DUTError` during the run (the DUT raised, timed out, returned
the wrong shape) ends the run; the report says so (``report.error``) and fails.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..codec import decode as model_decode
from ..codec import encode as model_encode
from ..codes import LinearCode, get_code
from ..errors import CodeError, InputError
from ..faults import get_fault
from ..faults.base import MAX_ENUMERATION
from ..faults.ranking import unrank_combinations
from ..module import get_module
from ..status import STATUS_CLEAN, STATUS_UNCORRECTABLE
from ..validate import require_choice, require_int
from .dut import DUTError, check_decode_output, check_encode_output
from .report import (
    CLASSES,
    CONSISTENCY_KINDS,
    KINDS,
    CheckResult,
    Failure,
    GroupResult,
    TestbenchReport,
)

BATCH = 65536  #: decodes per DUT call
MAX_FAILURES = 10  #: smallest failing patterns kept in a report
LINEARITY_SAMPLES = 256  #: random words and pairs the linearity check encodes
MAX_WORDS = 1 << 20
MODULE_FAULTS = ("chip", "pin")
_KIND_LIST = list(KINDS)
_MASK64 = (1 << 64) - 1


# ----- small helpers --------------------------------------------------------------------------------
def random_data(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    """``(m, W)`` uint64 random data words of ``k`` bits (bits at or above k zero)."""
    W = data_words(k)
    d = rng.integers(0, 1 << 64, size=(m, W), dtype=np.uint64, endpoint=False)
    if k % 64:
        d[:, -1] &= np.uint64((1 << (k % 64)) - 1)
    return d


def parity_checks(data: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``(N,)`` uint64: bit j = parity(data AND masks[j]) for ``data (N, W)``, ``masks (r, W)``."""
    out = np.zeros(data.shape[0], dtype=np.uint64)
    for j in range(masks.shape[0]):
        ones = np.bitwise_count(data & masks[j]).sum(axis=1, dtype=np.uint64)
        out |= (ones & np.uint64(1)) << np.uint64(j)
    return out


def permute_bits(x: np.ndarray, perm) -> np.ndarray:
    """``out`` bit ``j`` = ``x`` bit ``perm[j]`` (model check bits -> the DUT's order)."""
    if perm is None:
        return x
    out = np.zeros_like(x)
    for j, p in enumerate(perm):
        out |= ((x >> np.uint64(p)) & np.uint64(1)) << np.uint64(j)
    return out


def unpermute_bits(x: np.ndarray, perm) -> np.ndarray:
    """The inverse of :func:`permute_bits` (the DUT's check-bit order -> the model's)."""
    if perm is None:
        return x
    out = np.zeros_like(x)
    for j, p in enumerate(perm):
        out |= ((x >> np.uint64(j)) & np.uint64(1)) << np.uint64(p)
    return out


def row_int(row) -> int:
    """A ``(W,)`` uint64 row as one Python int."""
    v = 0
    for w, x in enumerate(np.asarray(row).tolist()):
        v |= int(x) << (64 * w)
    return v


def hex_of(v: int, bits: int) -> str:
    return f"0x{v:0{max(1, (bits + 3) // 4)}x}"


def _safe_name(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "dut"
    return s[:80]


def resolve_model(model, k: int, r: int, decoder: str | None) -> LinearCode | None:
    """The model code (a catalogue name, code file or LinearCode) for a DUT of ``k`` data and
    ``r`` check bits, with ``decoder`` ("sec" or "detect") when given."""
    if decoder is not None:
        decoder = require_choice("decoder", decoder, ("sec", "detect"))
    if model is None:
        return None
    code = get_code(model) if isinstance(model, str | Path | LinearCode) else None
    if code is None:
        raise InputError(
            f"model={model!r} must be a catalogue name, a code file or a LinearCode, not "
            f"{type(model).__name__}"
        )
    if code.k != k or code.r != r:
        raise InputError(
            f"model {code.name!r} is a ({code.n},{code.k}) code with r={code.r} check bits, but "
            f"the DUT has k={k} data and r={r} check bits"
        )
    if decoder is not None and decoder != code.decoder:
        try:
            code = LinearCode(code.H, name=code.name, summary=code.summary, decoder=decoder)
        except CodeError as exc:
            raise InputError(
                f"decoder={decoder!r} does not fit model {code.name!r}: {exc}"
            ) from None
    return code


def code_file_text(
    masks: list[int], k: int, r: int, name: str, decoder: str, note: str = ""
) -> str:
    """A text code file (:mod:`eccsim.codes.files`) of check-bit masks: eccsim loads it back as
    the same code."""
    full = (1 << k) - 1
    flags = " overall-parity=no" if r >= 2 and full in masks else ""
    lines = [
        f"# {note}" if note else "# identified by eccsim testbench",
        "# check bit j = parity(data AND mask j); data bit i = bit i of the mask",
        f"# eccsim: k={k} r={r} name={_safe_name(name)} decoder={decoder}{flags}",
    ]
    lines += [hex_of(m, k) for m in masks]
    return "\n".join(lines) + "\n"


def masks_to_ints(masks: np.ndarray) -> list[int]:
    return [row_int(m) for m in masks]


def conformance(dut_masks: list[int], model_masks: list[int]):
    """``("equal", None, {})``, ``("permuted", perm, {})`` or ``("differ", None, diffs)`` for the
    DUT's check-bit masks against the model's; ``diffs`` maps check bit j to the data bits
    whose membership differs."""
    if dut_masks == model_masks:
        return "equal", None, {}
    used: set[int] = set()
    perm = []
    for m in dut_masks:
        hits = [i for i, mm in enumerate(model_masks) if mm == m and i not in used]
        if not hits:
            break
        perm.append(hits[0])
        used.add(hits[0])
    if len(perm) == len(dut_masks):
        return "permuted", perm, {}
    diffs = {}
    for j, (a, b) in enumerate(zip(dut_masks, model_masks, strict=True)):
        x = a ^ b
        if x:
            diffs[j] = [i for i in range(x.bit_length()) if (x >> i) & 1]
    return "differ", None, diffs


def identified_code(cols: np.ndarray, k: int, r: int, name: str) -> tuple[LinearCode, str]:
    """The code of an encoder whose data bit ``i`` sets check bits ``cols[i]``: a LinearCode
    with an SEC decoder when its columns allow it, else detect-only, and why."""
    H = np.zeros((r, k + r), dtype=np.uint8)
    c = cols.astype(np.uint64)
    for j in range(r):
        H[j, :k] = ((c >> np.uint64(j)) & np.uint64(1)).astype(np.uint8)
    H[:, k:] = np.eye(r, dtype=np.uint8)
    nm = _safe_name(name)
    try:
        return LinearCode(H, name=nm, decoder="sec"), "SEC: its columns are distinct and non-zero"
    except CodeError as exc:
        why = str(exc).split(":")[0]
        return LinearCode(H, name=nm, decoder="detect"), f"detect-only: not SEC-capable ({why})"


# ----- the encoder ---------------------------------------------------------------------------------
def probe_encoder(dut, rng: np.random.Generator, k: int, r: int) -> dict:
    """Encode 0, the unit vectors and random words and pairs (one call); what they show."""
    W = data_words(k)
    L = LINEARITY_SAMPLES
    units = np.zeros((k, W), dtype=np.uint64)
    idx = np.arange(k)
    units[idx, idx // 64] = np.uint64(1) << (idx % 64).astype(np.uint64)
    a, b = random_data(rng, L, k), random_data(rng, L, k)
    batch = np.concatenate([np.zeros((1, W), dtype=np.uint64), units, a, b, a ^ b])
    enc = check_encode_output(dut.name, dut.encode(batch), batch.shape[0], r)
    c0 = int(enc[0])
    cols = enc[1 : k + 1] ^ np.uint64(c0)
    masks = np.zeros((r, W), dtype=np.uint64)
    for j in range(r):
        bit = ((cols >> np.uint64(j)) & np.uint64(1)).astype(bool)
        for w in range(W):
            sel = bit[64 * w : 64 * w + 64]
            pos = np.nonzero(sel)[0].astype(np.uint64)
            masks[j, w] = np.bitwise_or.reduce(np.uint64(1) << pos) if pos.size else np.uint64(0)
    ea, eb, eab = enc[k + 1 : k + 1 + L], enc[k + 1 + L : k + 1 + 2 * L], enc[k + 1 + 2 * L :]
    pred = [parity_checks(x, masks) ^ np.uint64(c0) for x in (a, b, a ^ b)]
    bad_pred = (ea != pred[0]) | (eb != pred[1]) | (eab != pred[2])
    bad_pair = (eab ^ ea ^ eb) != np.uint64(c0)
    ex = None
    if bad_pred.any():
        i = int(np.nonzero(bad_pred)[0][0])
        which, got, want = (
            (a[i], ea[i], pred[0][i]) if ea[i] != pred[0][i] else
            (b[i], eb[i], pred[1][i]) if eb[i] != pred[1][i] else (a[i] ^ b[i], eab[i], pred[2][i])
        )  # fmt: skip
        ex = (
            f"encode({hex_of(row_int(which), k)}) = {hex_of(int(got), r)}, but the unit-vector "
            f"responses predict {hex_of(int(want), r)}"
        )
    consistent = not bad_pred.any() and not bad_pair.any()
    return {
        "c0": c0,
        "cols": cols,
        "masks": masks,
        "linear": consistent and c0 == 0,
        "affine": consistent and c0 != 0,
        "bad_pred": int(bad_pred.sum()),
        "bad_pair": int(bad_pair.sum()),
        "example": ex,
        "samples": L,
    }


# ----- error patterns ------------------------------------------------------------------------------
def masks_from_positions(pos: np.ndarray, k: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """Data ``(m, W)`` and check ``(m,)`` uint64 flip masks of codeword bit positions
    ``pos (m, w)`` (distinct within a row)."""
    m = pos.shape[0]
    ed = np.zeros((m, W), dtype=np.uint64)
    ec = np.zeros(m, dtype=np.uint64)
    rows = np.arange(m)
    for c in range(pos.shape[1]):
        p = pos[:, c]
        d = p < k
        ed[rows[d], p[d] // 64] |= np.uint64(1) << (p[d] % 64).astype(np.uint64)
        ec[~d] |= np.uint64(1) << (p[~d] - k).astype(np.uint64)
    return ed, ec


def sample_positions(rng: np.random.Generator, m: int, w: int, n: int) -> np.ndarray:
    """``(m, w)`` random w-subsets of ``0..n-1`` (distinct within a row), drawn by rejection."""
    out = np.empty((m, w), dtype=np.int64)
    todo = np.arange(m)
    while todo.size:
        draw = np.sort(rng.integers(0, n, size=(todo.size, w)), axis=1)
        ok = (np.diff(draw, axis=1) != 0).all(axis=1)
        out[todo[ok]] = draw[ok]
        todo = todo[~ok]
    return out


class _Group:
    """A group of error patterns: ``fn(ids)`` builds patterns ``ids``; every pattern is applied to
    every word (``each_word``) or pattern ``t`` to word ``t % words`` only (sampled)."""

    def __init__(self, label, weight, mode, P, total, each_word, fn, note=""):
        self.label, self.weight, self.mode = label, weight, mode
        self.P, self.total, self.each_word, self.fn, self.note = P, total, each_word, fn, note


def weight_groups(n, k, words, max_exhaustive, max_sampled, rng, max_bits=4) -> list[_Group]:
    """0..max_bits-bit errors: exhaustive up to 2 bits, then while ``C(n, w) * words`` fits."""
    W = data_words(k)
    groups = []
    for w in range(max_bits + 1):
        if w > n:
            break
        total = math.comb(n, w)
        label = f"{w} bit{'s' * (w != 1)}"

        def exhaustive(ids, w=w):
            return masks_from_positions(unrank_combinations(n, w, ids), k, W)

        if w <= 2 or total * words <= max_exhaustive:
            note = "" if w <= 2 else f"C({n},{w}) x {words} words <= {max_exhaustive:,}"
            groups.append(_Group(label, w, "exhaustive", total, total, True, exhaustive, note))
        elif max_sampled:
            pos = sample_positions(rng, max_sampled, w, n)

            def sampled(ids, pos=pos):
                return masks_from_positions(pos[ids], k, W)

            note = (f"C({n},{w}) = {total:,} x {words} words > {max_exhaustive:,}: "
                    f"{max_sampled:,} sampled, one word each")  # fmt: skip
            groups.append(_Group(label, w, "sampled", max_sampled, total, False, sampled, note))
    return groups


def module_groups(module, code: LinearCode, words, max_exhaustive, max_sampled, rng):
    """Per-codeword errors of the module preset's chip and pin faults (distinct patterns)."""
    geom = get_module(module)
    geom.check_code(code)
    W = data_words(code.k)
    groups = []
    for name in MODULE_FAULTS:
        fm = get_fault(name)
        count = fm.count(geom)
        exhaustive = count is not None and count <= min(max_exhaustive, MAX_ENUMERATION)
        parts = []
        if exhaustive:
            for lo in range(0, count, 65536):
                parts.append(fm.enumerate_range(geom, lo, min(count, lo + 65536)))
        elif max_sampled:
            parts.append(fm.sample(geom, rng, max_sampled))
        else:
            continue
        rows = []
        for p in parts:
            t = p.touched
            rows.append(np.concatenate([p.flip_data[t], p.flip_check[t][:, None]], axis=1))
        allrows = np.unique(np.concatenate(rows).astype(np.uint64), axis=0)
        allrows = allrows[(allrows != 0).any(axis=1)]
        ed, ec = np.ascontiguousarray(allrows[:, :W]), np.ascontiguousarray(allrows[:, W])

        def fn(ids, ed=ed, ec=ec):
            return ed[ids], ec[ids]

        how = f"all {count:,}" if exhaustive else f"{max_sampled:,} sampled of {count or 'inf'}"
        note = (f"{how} {name} faults on {geom.name}: {len(ed):,} distinct codeword errors "
                f"x {words} words")  # fmt: skip
        groups.append(
            _Group(
                f"{name} ({geom.name})",
                None,
                "exhaustive" if exhaustive else "sampled",
                len(ed),
                count or 0,
                True,
                fn,
                note,
            )
        )
    return groups


# ----- classifying decodes -------------------------------------------------------------------------
def outcome_class(corr, unc, right, weight) -> np.ndarray:
    """Index into :data:`CLASSES` of each decode (see :mod:`eccsim.testbench.report`)."""
    none = ~corr & ~unc
    return np.select(
        [corr & unc, unc, corr & right, corr, none & ~right, none & (weight == 0)],
        [6, 2, 1, 4, 3, 0],
        5,
    ).astype(np.int64)


def disagreement_kind(corr, unc, data_right, data_changed, m_status, model_detects,
                      data_as_model, flags_as_model) -> np.ndarray:  # fmt: skip
    """Index into :data:`KINDS` of each disagreeing decode (callers select those)."""
    none = ~corr & ~unc
    return np.select(
        [
            corr & unc,
            corr & ~data_right,
            unc & data_changed,
            none & ~data_right & model_detects,
            none & data_right & (m_status != STATUS_CLEAN),
            (corr | unc) & (m_status == STATUS_CLEAN),
            corr & (m_status == STATUS_UNCORRECTABLE),
            unc & (m_status >= 0),
            data_as_model & flags_as_model,
        ],
        np.arange(9),
        9,
    ).astype(np.int64)


def _counts(counts: np.ndarray, names) -> dict[str, int]:
    return {name: int(v) for name, v in zip(names, counts, strict=True) if v}


class _Mapping:
    """Model check bits -> the DUT's: permuted, then XORed with the encoder's constant."""

    def __init__(self, perm, offset: int):
        self.perm = None if perm is None or list(perm) == list(range(len(perm))) else list(perm)
        self.offset = np.uint64(offset)

    def to_dut(self, c: np.ndarray) -> np.ndarray:
        return permute_bits(c.astype(np.uint64), self.perm) ^ self.offset

    def to_model(self, c: np.ndarray) -> np.ndarray:
        return unpermute_bits(c.astype(np.uint64) ^ self.offset, self.perm)


def _error_bits(ed_row, ec_val: int, k: int) -> list[int]:
    v = row_int(ed_row)
    bits = [i for i in range(v.bit_length()) if (v >> i) & 1]
    return bits + [k + j for j in range(int(ec_val).bit_length()) if (int(ec_val) >> j) & 1]


def drive_decoder(dut, code: LinearCode, mapping: _Mapping, groups, data, report: TestbenchReport):
    """Decode every group's errors with the DUT and the model; fill ``report.groups`` and
    ``report.failures``."""
    k, r = code.k, code.r
    W = data_words(k)
    words = data.shape[0]
    cdt = code.check_dtype
    check = model_encode(code, data.reshape(-1) if W == 1 else data).astype(np.uint64)
    cands: list[tuple] = []
    for gi, g in enumerate(groups):
        t0 = time.perf_counter()
        per = words if g.each_word else 1
        total = g.P * per
        dut_cls = np.zeros(len(CLASSES), dtype=np.int64)
        mod_cls = np.zeros(len(CLASSES), dtype=np.int64)
        kinds = np.zeros(len(KINDS), dtype=np.int64)
        for start in range(0, total, BATCH):
            t = np.arange(start, min(total, start + BATCH), dtype=np.int64)
            pi = t // per
            wi = pi % words if not g.each_word else t % words
            lo = int(pi[0])
            ed_b, ec_b = g.fn(np.arange(lo, int(pi[-1]) + 1, dtype=np.int64))
            ed, ec = ed_b[pi - lo], ec_b[pi - lo]
            D, C = data[wi], check[wi]
            R = np.ascontiguousarray(D ^ ed)
            RC = C ^ ec
            weight = np.bitwise_count(ed).sum(axis=1) + np.bitwise_count(ec)
            md, mc, status = model_decode(code, R.reshape(-1) if W == 1 else R, RC.astype(cdt))
            md = md.reshape(-1, W)
            mc = mc.astype(np.uint64)
            out = check_decode_output(
                dut.name, dut.decode(R.copy(), mapping.to_dut(RC)), len(t), W, r
            )
            dd, corr, unc = out.data, out.corrected, out.uncorrectable
            m_corr, m_unc = status >= 0, status == STATUS_UNCORRECTABLE
            right = (dd == D).all(axis=1)
            m_right = (md == D).all(axis=1)
            data_as_model = (dd == md).all(axis=1)
            flags_as_model = (corr == m_corr) & (unc == m_unc)
            check_ok = np.ones(len(t), dtype=bool)
            if out.check is not None:
                check_ok = (mapping.to_model(out.check) == mc) | m_unc
            agree = data_as_model & flags_as_model & check_ok
            dut_cls += np.bincount(outcome_class(corr, unc, right, weight), minlength=7)
            mod_cls += np.bincount(outcome_class(m_corr, m_unc, m_right, weight), minlength=7)
            bad = np.nonzero(~agree)[0]
            if not bad.size:
                continue
            model_detects = m_unc | (m_corr & m_right)
            kind = disagreement_kind(
                corr[bad], unc[bad], right[bad], (dd[bad] != R[bad]).any(axis=1), status[bad],
                model_detects[bad], data_as_model[bad], flags_as_model[bad],
            )  # fmt: skip
            kinds += np.bincount(kind, minlength=len(KINDS))
            # keep the lightest distinct patterns of each kind in this batch as candidates
            order = np.lexsort((pi[bad], weight[bad]))
            seen: set[tuple[int, int]] = set()
            taken = np.zeros(len(KINDS), dtype=np.int64)
            for o in order:
                i = int(bad[o])
                kd = int(kind[o])
                if taken[kd] >= MAX_FAILURES or (kd, int(pi[i])) in seen:
                    continue
                seen.add((kd, int(pi[i])))
                taken[kd] += 1
                f = Failure(
                    kind=_KIND_LIST[int(kind[o])],
                    group=g.label,
                    weight=int(weight[i]),
                    error_bits=_error_bits(ed[i], int(ec[i]), k),
                    data=hex_of(row_int(D[i]), k),
                    check=hex_of(int(mapping.to_dut(C[i : i + 1])[0]), r),
                    received_data=hex_of(row_int(R[i]), k),
                    received_check=hex_of(int(mapping.to_dut(RC[i : i + 1])[0]), r),
                    dut_data=hex_of(row_int(dd[i]), k),
                    dut_check=None if out.check is None else hex_of(int(out.check[i]), r),
                    dut_corrected=bool(corr[i]),
                    dut_uncorrectable=bool(unc[i]),
                    model_data=hex_of(row_int(md[i]), k),
                    model_check=hex_of(int(mapping.to_dut(mc[i : i + 1])[0]), r),
                    model_outcome=CLASSES[
                        int(
                            outcome_class(
                                m_corr[i : i + 1],
                                m_unc[i : i + 1],
                                m_right[i : i + 1],
                                weight[i : i + 1],
                            )[0]
                        )
                    ],
                    where=f"word {int(wi[i])}",
                )
                cands.append((int(weight[i]), gi, int(pi[i]), f))
            cands = _prune(cands)
        report.groups.append(
            GroupResult(
                label=g.label,
                weight=g.weight,
                mode=g.mode,
                patterns=g.P,
                total_patterns=g.total,
                words=per,
                cases=total,
                note=g.note,
                dut=_counts(dut_cls, CLASSES),
                model=_counts(mod_cls, CLASSES),
                disagreements=_counts(kinds, _KIND_LIST),
                seconds=round(time.perf_counter() - t0, 4),
            )
        )
    report.failures = [c[3] for c in _pick(cands)]


def _prune(cands: list[tuple]) -> list[tuple]:
    """At most MAX_FAILURES lightest candidates of each kind."""
    cands.sort(key=lambda c: c[:3])
    count: dict[str, int] = {}
    out = []
    for c in cands:
        n = count.get(c[3].kind, 0)
        if n < MAX_FAILURES:
            count[c[3].kind] = n + 1
            out.append(c)
    return out


def _pick(cands: list[tuple]) -> list[tuple]:
    """The lightest failing pattern of each kind, then the lightest others, up to
    MAX_FAILURES, fewest flipped bits first."""
    cands = sorted(cands, key=lambda c: c[:3])
    first: dict[str, tuple] = {}
    for c in cands:
        first.setdefault(c[3].kind, c)
    chosen = list(first.values())[:MAX_FAILURES]
    ids = {id(c) for c in chosen}
    chosen += [c for c in cands if id(c) not in ids][: MAX_FAILURES - len(chosen)]
    return sorted(chosen, key=lambda c: c[:3])


def decoder_checks(report: TestbenchReport, what: str) -> None:
    """The "decoder matches model" and "flags consistent with data" results from the groups."""
    total = sum(g.cases for g in report.groups)
    bad = sum(g.failed for g in report.groups)
    dis = report.disagreements
    if bad:
        report.checks.append(CheckResult(
            "decoder matches model", False,
            f"{bad:,} of {total:,} {what} differ from the model's decode",
            [f"{kind}: {v:,} ({KINDS[kind]})" for kind, v in dis.items()],
        ))  # fmt: skip
    else:
        report.checks.append(
            CheckResult("decoder matches model", True, f"all {total:,} {what} agree")
        )
    incons = {kind: v for kind, v in dis.items() if kind in CONSISTENCY_KINDS}
    if incons:
        report.checks.append(CheckResult(
            "flags consistent with data", False,
            f"{sum(incons.values()):,} {what} with flags that do not fit the data",
            [f"{kind}: {v:,} ({KINDS[kind]})" for kind, v in incons.items()],
        ))  # fmt: skip
    else:
        report.checks.append(CheckResult(
            "flags consistent with data", True,
            "never both flags, never corrected with wrong data, never uncorrectable with changed "
            "data, never silent where the model detects",
        ))  # fmt: skip


# ----- the bench -----------------------------------------------------------------------------------
def run_testbench(
    dut,
    *,
    model=None,
    module=None,
    words: int = 4,
    seed: int = 0,
    max_exhaustive: int = 2_000_000,
    max_sampled: int = 200_000,
    decoder: str | None = None,
    max_bits: int = 4,
) -> TestbenchReport:
    """Run every check (module docstring) on ``dut`` and return the report.

    ``dut``: a DUT (:class:`~eccsim.testbench.dut.DUT`: a PythonDUT, CLibraryDUT, RTLDUT, ...) or
    :class:`~eccsim.testbench.vectors.RecordedVectors` (checked row by row, not driven).
    ``model``: a catalogue name, code file or LinearCode (default: the code the DUT's encoder
    implements); ``decoder`` ("sec" or "detect") replaces the model's decoder — e.g. to check
    a decoder's detect-only mode. ``module``: a module preset whose chip and pin faults are
    added. ``max_bits`` (0..4) is the heaviest random error flipped (fewer for slow DUTs: 2
    gives the exhaustive 1- and 2-bit checks only). A DUT object with ``has_encoder = False``
    (``has_decoder = False``) skips the encoder (decoder) checks; without an encoder a model is
    needed. The DUT is not closed."""
    words = require_int("words", words, 1, MAX_WORDS, hint=" (random data words)")
    seed = require_int("seed", seed, 0, hint=" (a non-negative seed)")
    max_exhaustive = require_int("max_exhaustive", max_exhaustive, 0)
    max_sampled = require_int("max_sampled", max_sampled, 0, 100_000_000)
    max_bits = require_int("max_bits", max_bits, 0, 4, hint=" (the heaviest error flipped)")
    if callable(getattr(dut, "check_against_model", None)):  # RecordedVectors: not driven
        if module is not None:
            raise InputError("module= is not used with recorded vectors (they are not driven)")
        return dut.check_against_model(model=model, decoder=decoder, seed=seed)
    for attr in ("encode", "decode", "k", "r", "name"):
        if not hasattr(dut, attr):
            raise InputError(
                f"dut={dut!r} is not a DUT: it has no {attr!r} (use PythonDUT, CLibraryDUT, "
                "RTLDUT or RecordedVectors)"
            )
    k, r = int(dut.k), int(dut.r)
    code = resolve_model(model, k, r, decoder)
    has_enc = bool(getattr(dut, "has_encoder", True))
    has_dec = bool(getattr(dut, "has_decoder", True))
    if not has_enc and code is None:
        raise InputError(
            f"DUT {dut.name!r} has no encoder, so the code cannot be identified: give a model"
        )
    if module is not None:
        get_module(module)  # unknown presets are refused before the DUT runs
    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    report = TestbenchReport(
        dut=str(dut.name), dut_kind=str(getattr(dut, "kind", type(dut).__name__)), k=k, r=r,
        model=code.name if code is not None else "(identified)",
        model_source="given" if code is not None else "the code the DUT's encoder implements",
        decoder=code.decoder if code is not None else "", seed=seed, words=words,
    )  # fmt: skip
    stage = "encoder linear"
    try:
        if has_enc:
            probe = probe_encoder(dut, rng, k, r)
            _encoder_checks(report, probe, code, dut, k, r)
        else:
            report.checks.append(CheckResult("encoder linear", None, "not run: no encoder"))
        stage = "decoder matches model"
        if not has_dec:
            report.checks.append(CheckResult("decoder matches model", None, "not run: no decoder"))
            report.seconds = round(time.perf_counter() - t_start, 3)
            return report
        perm = report.check_permutation
        offset = report.check_offset
        if code is None:
            if report.identified_code is None:
                report.checks.append(CheckResult(
                    "decoder matches model", None,
                    "not run: the encoder is not linear, so it defines no code; give a model"))  # fmt: skip
                report.seconds = round(time.perf_counter() - t_start, 3)
                return report
            code, why = identified_code(probe["cols"], k, r, f"{dut.name}-identified")
            report.model = code.name
            report.model_source = f"identified from the DUT's encoder; decoder {why}"
            report.decoder = code.decoder
            perm = None
        mapping = _Mapping(perm, offset)
        groups = weight_groups(code.n, k, words, max_exhaustive, max_sampled, rng, max_bits)
        if module is not None:
            groups += module_groups(module, code, words, max_exhaustive, max_sampled, rng)
        data = random_data(rng, words, k)
        drive_decoder(dut, code, mapping, groups, data, report)
        decoder_checks(report, "decodes")
    except DUTError as exc:
        report.error = str(exc)
        done = {c.name for c in report.checks}
        if stage not in done:
            report.checks.append(CheckResult(stage, False, "stopped: the DUT misbehaved"))
    report.seconds = round(time.perf_counter() - t_start, 3)
    return report


def _encoder_checks(report: TestbenchReport, probe: dict, code, dut, k: int, r: int) -> None:
    L = probe["samples"]
    c0 = probe["c0"]
    if probe["linear"]:
        report.checks.append(CheckResult(
            "encoder linear", True,
            f"encode(0) = 0; {L} random words equal the XOR of the {k} unit-vector responses; "
            f"encode(a^b) = encode(a)^encode(b) on {L} random pairs",
        ))  # fmt: skip
    elif probe["affine"]:
        report.checks.append(CheckResult(
            "encoder linear", False,
            f"affine, not linear: encode(0) = {hex_of(c0, r)} (check bits inverted by that "
            "constant); otherwise consistent with its unit-vector responses",
            ["the rest of the bench allows for the constant"],
        ))  # fmt: skip
        report.check_offset = c0
    else:
        details = [f"{probe['bad_pred']} of {3 * L} random words differ from the prediction "
                   f"of the unit-vector responses; {probe['bad_pair']} of {L} pairs have "
                   "encode(a^b) != encode(a)^encode(b)"]  # fmt: skip
        if probe["example"]:
            details.append(f"e.g. {probe['example']}")
        report.checks.append(CheckResult(
            "encoder linear", False, "not linear: the encoder defines no H matrix", details))  # fmt: skip
    consistent = probe["linear"] or probe["affine"]
    dut_masks = masks_to_ints(probe["masks"])
    if consistent:
        ident, why = identified_code(probe["cols"], k, r, f"{dut.name}-identified")
        note = f"identified by eccsim testbench from the encoder of DUT {dut.name!r}"
        if c0:
            note += f"; the DUT also XORs its check bits with {hex_of(c0, r)}"
        report.identified_code = code_file_text(dut_masks, k, r, ident.name, ident.decoder, note)
    if code is None:
        if consistent:
            report.checks.append(CheckResult(
                "code identified", True,
                f"({k + r},{k}) code, minimum distance {ident.distance.short}; decoder {why}",
            ))  # fmt: skip
        return
    model_masks = masks_to_ints(code.check_masks)
    if not consistent:
        report.checks.append(CheckResult(
            "conforms to model", False,
            f"the encoder is not linear, so it cannot be the code {code.name}"))  # fmt: skip
        return
    how, perm, diffs = conformance(dut_masks, model_masks)
    if how == "equal":
        report.checks.append(CheckResult(
            "conforms to model", True,
            f"every check bit's mask equals {code.name}'s (same H, same check-bit order)"))  # fmt: skip
    elif how == "permuted":
        moved = [f"DUT check bit {j} = model check bit {p}" for j, p in enumerate(perm) if j != p]
        report.check_permutation = perm
        report.checks.append(CheckResult(
            "conforms to model", False,
            f"the DUT's check bits are {code.name}'s in another order (a pure permutation; the "
            "masks are equal)", [*moved, "the decoder checks use the model's check bits in the "
                                  "DUT's order"],
        ))  # fmt: skip
    else:
        report.mask_differences = {str(j): v for j, v in diffs.items()}
        details = []
        for j, bits in diffs.items():
            extra = [b for b in bits if (dut_masks[j] >> b) & 1]
            missing = [b for b in bits if not (dut_masks[j] >> b) & 1]
            part = []
            if missing:
                part.append(f"lacks data bit{'s' * (len(missing) > 1)} {_list(missing)}")
            if extra:
                part.append(f"has extra data bit{'s' * (len(extra) > 1)} {_list(extra)}")
            details.append(f"check bit {j}: " + "; ".join(part))
        report.checks.append(CheckResult(
            "conforms to model", False,
            f"{len(diffs)} of {r} check bits differ from {code.name}'s", details))  # fmt: skip


def _list(v: list[int]) -> str:
    s = ", ".join(str(x) for x in v[:16])
    return s + (f", ... ({len(v)} in all)" if len(v) > 16 else "")


__all__ = ["BATCH", "MAX_FAILURES", "run_testbench"]
