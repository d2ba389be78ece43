"""Recorded vectors: an encoder/decoder's outputs written by a simulator run elsewhere (an RTL
simulation, a lab capture), checked row by row against eccsim's model — not driven.

**CSV** (``.csv``, or any name but ``.json``): one row per line, ``#`` comment lines, an
optional header line starting with ``kind``; the sizes on a ``# eccsim: k=64 r=8`` line (or
given to :class:`RecordedVectors`)::

    # eccsim: k=64 r=8
    kind,data,check,out_data,out_check,corrected,uncorrectable
    enc,0x0123456789abcdef,0x5a
    dec,0x0123456789abcdee,0x5a,0x0123456789abcdef,0x5a,1,0
    dec,0x0123456789abcdec,0x5a,0x0123456789abcdec,,0,1

``enc`` rows: data and the check bits the encoder produced. ``dec`` rows: the received data and
check bits, then what the decoder delivered — data, check bits (empty when it does not output
them), and its corrected / uncorrectable flags (``0``/``1`` or ``true``/``false``). Integers
are hex (``0x``) or decimal; data bit ``i`` is integer bit ``i``, check bit ``j`` integer bit
``j``, in the DUT's own check-bit order (eccsim infers it from the ``enc`` rows).

**JSON**: ``{"k": 64, "r": 8, "encode": [[data, check], ...], "decode": [[data, check,
out_data, out_check or null, corrected, uncorrectable], ...]}``; integers as JSON numbers or
strings (hex or decimal), flags as booleans or 0/1.

Files are size-checked (at most :data:`MAX_VECTOR_BYTES` bytes and :data:`MAX_ROWS` rows) and
every value is range-checked; a malformed row is refused naming the file and its line (JSON:
its list and index).

**What is checked** (:func:`check_vectors`): with at least ``k + 1`` independent ``enc`` rows,
the encoder's code is identified (solving for each check bit's mask over GF(2), the constant
too) and every ``enc`` row is held against it; with a model the masks are compared (a pure
permutation of check bits is reported as such). Each ``dec`` row is decoded by the model; the
DUT's data, flags and check bits are compared with the model's, with the disagreement kinds
of :mod:`eccsim.testbench.report` (the written word is unknown, so the model's decode stands in
for it).

:func:`record_vectors` writes such a file from a DUT (its encoder's rows for 0, the unit vectors
and random words; its decoder's rows for every 0-, 1- and 2-bit error of random codewords).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..codec import decode as model_decode
from ..errors import FileFormatError, InputError
from ..faults.ranking import unrank_combinations
from ..safeio import atomic_write_text, check_output_path, parse_json, read_text
from ..status import STATUS_UNCORRECTABLE
from ..validate import is_int, require_int
from .checks import (
    CONSISTENCY_KINDS,
    _Mapping,
    code_file_text,
    conformance,
    decoder_checks,
    disagreement_kind,
    hex_of,
    identified_code,
    masks_from_positions,
    masks_to_ints,
    outcome_class,
    parity_checks,
    random_data,
    resolve_model,
    row_int,
)
from .dut import check_decode_output, check_encode_output
from .python_dut import check_sizes
from .report import CLASSES, KINDS, CheckResult, Failure, GroupResult, TestbenchReport

MAX_VECTOR_BYTES = 256 << 20  #: largest vector file read
MAX_ROWS = 4_000_000  #: most rows of a vector file
_YES, _NO = ("1", "true", "yes"), ("0", "false", "no")
_KIND_LIST = list(KINDS)
_ = CONSISTENCY_KINDS


class RecordedVectors:
    """Encoder and decoder rows read from a CSV or JSON file (see the module docstring).

    ``k`` and ``r`` are the DUT's sizes; a file that declares them must agree. Arrays:
    ``enc_data (E, W)``, ``enc_check (E,)``; ``dec_data``, ``dec_check``, ``out_data``,
    ``out_check`` (zeros where not given: ``has_out_check``), ``corrected``, ``uncorrectable``;
    ``enc_lines`` / ``dec_lines`` say where each row was (line numbers, or JSON indices)."""

    kind = "recorded vectors"

    def __init__(self, path: str | Path, *, k: int | None = None, r: int | None = None) -> None:
        if not isinstance(path, str | Path) or not str(path).strip():
            raise InputError(f"path={path!r} must name a vector file (.csv or .json)")
        self.path = Path(path)
        self.name = self.path.name
        where = f"vector file {str(path)!r}"
        self._where = where
        text = read_text(self.path, what="vector file", limit=MAX_VECTOR_BYTES)
        if self.path.suffix.lower() == ".json":
            declared, enc, dec = _parse_json(text, where)
        else:
            declared, enc, dec = _parse_csv(text, where)
        for key, given in (("k", k), ("r", r)):
            if given is not None:
                given = require_int(key, given, 1)
                if key in declared and declared[key] != given:
                    raise FileFormatError(
                        f"{where} declares {key}={declared[key]}, but {key}={given} was given"
                    )
                declared[key] = given
        if "k" not in declared or "r" not in declared:
            raise FileFormatError(
                f"{where}: the sizes are not known; declare them in the file ('# eccsim: k=64 "
                'r=8\' in CSV, "k" and "r" in JSON) or give --k and --r'
            )
        self.k, self.r = check_sizes(declared["k"], declared["r"])
        if not enc and not dec:
            raise FileFormatError(f"{where} holds no enc or dec rows")
        W = data_words(self.k)
        self.enc_lines = [e[0] for e in enc]
        self.dec_lines = [d[0] for d in dec]
        self.enc_data = np.zeros((len(enc), W), dtype=np.uint64)
        self.enc_check = np.zeros(len(enc), dtype=np.uint64)
        for i, (line, vals) in enumerate(enc):
            d, c = (self._value(v, b, line, lab) for v, b, lab in
                    zip(vals, (self.k, self.r), ("data", "check"), strict=True))  # fmt: skip
            self.enc_data[i] = _split(d, W)
            self.enc_check[i] = c
        n = len(dec)
        self.dec_data = np.zeros((n, W), dtype=np.uint64)
        self.dec_check = np.zeros(n, dtype=np.uint64)
        self.out_data = np.zeros((n, W), dtype=np.uint64)
        self.out_check = np.zeros(n, dtype=np.uint64)
        self.has_out_check = np.zeros(n, dtype=bool)
        self.corrected = np.zeros(n, dtype=bool)
        self.uncorrectable = np.zeros(n, dtype=bool)
        for i, (line, vals) in enumerate(dec):
            self.dec_data[i] = _split(self._value(vals[0], self.k, line, "data"), W)
            self.dec_check[i] = self._value(vals[1], self.r, line, "check")
            self.out_data[i] = _split(self._value(vals[2], self.k, line, "out_data"), W)
            if vals[3] is not None:
                self.out_check[i] = self._value(vals[3], self.r, line, "out_check")
                self.has_out_check[i] = True
            self.corrected[i] = self._flag(vals[4], line, "corrected")
            self.uncorrectable[i] = self._flag(vals[5], line, "uncorrectable")

    def _value(self, v, bits: int, line: str, label: str) -> int:
        if isinstance(v, str):
            t = v.strip()
            if len(t) > 1300:
                raise FileFormatError(f"{self._where} {line}: {label} is too long a number")
            try:
                x = int(t, 16) if t.lower().startswith("0x") else int(t, 10)
            except ValueError:
                raise FileFormatError(
                    f"{self._where} {line}: {label}={_short(t)} is not an integer (hex 0x... or "
                    "decimal)"
                ) from None
        elif is_int(v):
            x = int(v)
        else:
            raise FileFormatError(
                f"{self._where} {line}: {label}={_short(v)} is not an integer (hex 0x... or "
                "decimal)"
            )
        if x < 0 or x >> bits:
            raise FileFormatError(
                f"{self._where} {line}: {label}={_short(v)} does not fit {bits} bits "
                f"({'k' if label.endswith('data') else 'r'}={bits})"
            )
        return x

    def _flag(self, v, line: str, label: str) -> bool:
        if isinstance(v, bool):
            return v
        if is_int(v) and int(v) in (0, 1):
            return bool(v)
        if isinstance(v, str) and v.strip().lower() in _YES + _NO:
            return v.strip().lower() in _YES
        raise FileFormatError(
            f"{self._where} {line}: {label}={_short(v)} must be 0 or 1 (or true/false)"
        )

    def check_against_model(self, *, model=None, decoder=None, seed: int = 0):
        """:func:`check_vectors` of these rows (what ``run_testbench`` calls)."""
        return check_vectors(self, model=model, decoder=decoder, seed=seed)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return (f"RecordedVectors({str(self.path)!r}, k={self.k}, r={self.r}, "
                f"{len(self.enc_lines)} enc rows, {len(self.dec_lines)} dec rows)")  # fmt: skip


def _short(v, limit: int = 40) -> str:
    t = repr(v)
    return t if len(t) <= limit else t[: limit - 3] + "..."


def _split(v: int, W: int) -> list[int]:
    return [(v >> (64 * w)) & 0xFFFF_FFFF_FFFF_FFFF for w in range(W)]


def _parse_csv(text: str, where: str):
    declared: dict[str, int] = {}
    enc, dec = [], []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body[:7].lower() == "eccsim:":
                for tok in body[7:].split():
                    key, eq, val = tok.partition("=")
                    if key not in ("k", "r") or not eq or not val.isdigit() or len(val) > 6:
                        raise FileFormatError(
                            f"{where} line {lineno}: {tok!r} is not a size directive; write "
                            "'# eccsim: k=64 r=8'"
                        )
                    declared[key] = int(val)
            continue
        cells = [c.strip() for c in line.split(",")]
        kind = cells[0].lower()
        if kind == "kind" and not enc and not dec:
            continue  # the header
        at = f"line {lineno}"
        if kind == "enc":
            vals = [c for c in cells[1:]]
            while len(vals) > 2 and vals[-1] == "":
                vals.pop()
            if len(vals) != 2 or "" in vals:
                raise FileFormatError(
                    f"{where} {at}: an enc row is 'enc,DATA,CHECK' ({len(cells) - 1} values given)"
                )
            enc.append((at, vals))
        elif kind == "dec":
            vals = cells[1:]
            if len(vals) != 6:
                raise FileFormatError(
                    f"{where} {at}: a dec row is 'dec,DATA,CHECK,OUT_DATA,OUT_CHECK,CORRECTED,"
                    f"UNCORRECTABLE' (6 values; OUT_CHECK may be empty); {len(vals)} given"
                )
            if "" in (vals[0], vals[1], vals[2], vals[4], vals[5]):
                raise FileFormatError(f"{where} {at}: only OUT_CHECK may be empty in a dec row")
            vals[3] = vals[3] or None
            dec.append((at, vals))
        else:
            raise FileFormatError(
                f"{where} {at}: a row starts with 'enc' or 'dec', not {_short(cells[0])}"
            )
        if len(enc) + len(dec) > MAX_ROWS:
            raise FileFormatError(f"{where} {at}: more than {MAX_ROWS:,} rows")
    return declared, enc, dec


def _parse_json(text: str, where: str):
    obj = parse_json(text, where=where, max_depth=4)
    if not isinstance(obj, dict):
        raise FileFormatError(f'{where}: expected an object with "encode" and/or "decode" rows')
    known = ("k", "r", "encode", "decode")
    for key in obj:
        if key not in known:
            raise FileFormatError(f"{where}: unknown key {_short(key)}; the keys are {known}")
    declared = {}
    for key in ("k", "r"):
        if key in obj:
            if not is_int(obj[key]) or obj[key] < 1:
                raise FileFormatError(f'{where}: "{key}" must be a positive integer')
            declared[key] = int(obj[key])
    out = []
    for key, width in (("encode", 2), ("decode", 6)):
        rows = obj.get(key, [])
        if not isinstance(rows, list):
            raise FileFormatError(f'{where}: "{key}" must be a list of rows')
        if len(rows) > MAX_ROWS:
            raise FileFormatError(f'{where}: "{key}" has more than {MAX_ROWS:,} rows')
        got = []
        for i, row in enumerate(rows):
            at = f"{key}[{i}]"
            if not isinstance(row, list) or len(row) != width:
                what = "[data, check]" if width == 2 else (
                    "[data, check, out_data, out_check or null, corrected, uncorrectable]")  # fmt: skip
                raise FileFormatError(f"{where} {at}: a row is {what}")
            if any(v is None for j, v in enumerate(row) if not (width == 6 and j == 3)):
                raise FileFormatError(f"{where} {at}: only out_check may be null")
            got.append((at, list(row)))
        out.append(got)
    return declared, out[0], out[1]


# ----- checking ------------------------------------------------------------------------------------
def _solve(data: np.ndarray, check: np.ndarray, k: int):
    """The affine map ``check = A . data ^ c0`` over GF(2) that the rows fit, as the check bits
    of each data bit (``cols (k,)``) and ``c0`` — or None when the rows do not determine it —
    and how many rows are inconsistent with the independent ones."""
    pivots: dict[int, tuple[int, int]] = {}  # pivot bit -> (key, check)
    bad = 0
    one = 1 << k  # the constant term's bit
    for row, c in zip(data[: 64 * (k + 1) + 4096], check.tolist(), strict=False):
        key, val = row_int(row) | one, int(c)
        while key:
            top = key.bit_length() - 1
            if top not in pivots:
                pivots[top] = (key, val)
                break
            pk, pv = pivots[top]
            key, val = key ^ pk, val ^ pv
        else:
            bad += val != 0
    if len(pivots) < k + 1:
        return None, len(pivots), bad
    for b in sorted(pivots):  # back-substitute: each pivot row becomes a unit vector
        kb, vb = pivots[b]
        for b2 in list(pivots):
            if b2 != b and (pivots[b2][0] >> b) & 1:
                k2, v2 = pivots[b2]
                pivots[b2] = (k2 ^ kb, v2 ^ vb)
    cols = np.array([pivots[i][1] for i in range(k)], dtype=np.uint64)
    return (cols, pivots[k][1]), len(pivots), bad


def check_vectors(vectors: RecordedVectors, *, model=None, decoder=None, seed: int = 0):
    """Check recorded rows against the model (module docstring); a TestbenchReport."""
    t0 = time.perf_counter()
    k, r = vectors.k, vectors.r
    W = data_words(k)
    code = resolve_model(model, k, r, decoder)
    report = TestbenchReport(
        dut=vectors.name, dut_kind=vectors.kind, k=k, r=r,
        model=code.name if code is not None else "(identified)",
        model_source="given" if code is not None else "the code the encoder rows fit",
        decoder=code.decoder if code is not None else "", seed=seed, words=0,
    )  # fmt: skip
    E = len(vectors.enc_lines)
    mapping = _Mapping(None, 0)
    cols = None
    inconsistent = False
    if E:
        solved, rank, _bad = _solve(vectors.enc_data, vectors.enc_check, k)
        if solved is None:
            report.checks.append(CheckResult(
                "encoder rows determine the code", None,
                f"not run: the {E:,} enc rows determine {rank} of the {k + 1} unknowns per "
                "check bit (k mask bits and a constant); record 0 and the unit vectors",
            ))  # fmt: skip
        else:
            cols, c0 = solved
            masks = np.zeros((r, W), dtype=np.uint64)
            for j in range(r):
                for i in np.nonzero((cols >> np.uint64(j)) & np.uint64(1))[0]:
                    masks[j, i // 64] |= np.uint64(1) << np.uint64(i % 64)
            pred = parity_checks(vectors.enc_data, masks) ^ np.uint64(c0)
            wrong = np.nonzero(pred != vectors.enc_check)[0]
            inconsistent = bool(wrong.size)
            if wrong.size:
                lines = ", ".join(vectors.enc_lines[i] for i in wrong[:5])
                report.checks.append(CheckResult(
                    "encoder linear", False,
                    f"{wrong.size:,} of {E:,} enc rows do not fit one linear encoder ({lines}"
                    f"{', ...' if wrong.size > 5 else ''})",
                ))  # fmt: skip
            elif c0:
                report.checks.append(CheckResult(
                    "encoder linear", False, f"affine: the rows fit a linear code whose check "
                    f"bits are XORed with {hex_of(c0, r)}"))  # fmt: skip
            else:
                report.checks.append(CheckResult(
                    "encoder linear", True, f"all {E:,} enc rows fit one linear encoder"))  # fmt: skip
            if not wrong.size:
                mapping = _Mapping(None, c0)
                ident, why = identified_code(cols, k, r, f"{vectors.name}-identified")
                dut_masks = masks_to_ints(masks)
                report.identified_code = code_file_text(
                    dut_masks, k, r, ident.name, ident.decoder,
                    f"identified by eccsim testbench from the enc rows of {vectors.name}",
                )  # fmt: skip
                if code is None:
                    code = ident
                    report.model, report.decoder = ident.name, ident.decoder
                    report.model_source = f"identified from the enc rows; decoder {why}"
                    report.checks.append(CheckResult(
                        "code identified", True, f"({k + r},{k}) code, minimum distance "
                        f"{ident.distance.short}; decoder {why}"))  # fmt: skip
                else:
                    how, perm, diffs = conformance(dut_masks, masks_to_ints(code.check_masks))
                    report.check_permutation = perm
                    mapping = _Mapping(perm, c0)
                    if how == "equal":
                        report.checks.append(CheckResult(
                            "conforms to model", True, f"every check bit's mask equals "
                            f"{code.name}'s"))  # fmt: skip
                    elif how == "permuted":
                        report.checks.append(CheckResult(
                            "conforms to model", False, f"the check bits are {code.name}'s in "
                            "another order (a pure permutation)",
                            [f"DUT check bit {j} = model check bit {p}"
                             for j, p in enumerate(perm) if j != p]))  # fmt: skip
                    else:
                        report.mask_differences = {str(j): v for j, v in diffs.items()}
                        report.checks.append(CheckResult(
                            "conforms to model", False,
                            f"{len(diffs)} of {r} check bits differ from {code.name}'s",
                            [f"check bit {j}: data bits {v}" for j, v in diffs.items()]))  # fmt: skip
    if code is not None and E and (cols is None or inconsistent):
        # no one code fits the rows: hold each enc row against the model in its own order
        from ..codec import encode as model_encode

        d = vectors.enc_data
        want = model_encode(code, d.reshape(-1) if W == 1 else d).astype(np.uint64)
        wrong = np.nonzero(want != vectors.enc_check)[0]
        report.checks.append(CheckResult(
            "enc rows match model", not wrong.size,
            f"{E - wrong.size:,} of {E:,} enc rows equal {code.name}'s check bits",
            [f"{vectors.enc_lines[i]}: check {hex_of(int(vectors.enc_check[i]), r)}, model "
             f"{hex_of(int(want[i]), r)}" for i in wrong[:5]]))  # fmt: skip
    if not len(vectors.dec_lines):
        report.seconds = round(time.perf_counter() - t0, 3)
        return report
    if code is None:
        report.checks.append(CheckResult(
            "decoder matches model", None, "not run: no model (give one, or record enc rows "
            "for 0 and the unit vectors)"))  # fmt: skip
        report.seconds = round(time.perf_counter() - t0, 3)
        return report
    _check_dec_rows(vectors, code, mapping, report)
    decoder_checks(report, "dec rows")
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _check_dec_rows(v: RecordedVectors, code, mapping, report) -> None:
    k, r = code.k, code.r
    W = data_words(k)
    R, RCd = v.dec_data, v.dec_check
    RC = mapping.to_model(RCd)
    md, mc, status = model_decode(code, R.reshape(-1) if W == 1 else R, RC.astype(code.check_dtype))
    md, mc = md.reshape(-1, W), mc.astype(np.uint64)
    dd, corr, unc = v.out_data, v.corrected, v.uncorrectable
    m_corr, m_unc = status >= 0, status == STATUS_UNCORRECTABLE
    known = ~m_unc  # where the model corrects or finds the word clean, its data stands in
    right = known & (dd == md).all(axis=1)
    m_right = known
    data_as_model = (dd == md).all(axis=1)
    flags_as_model = (corr == m_corr) & (unc == m_unc)
    check_ok = ~v.has_out_check | m_unc | (mapping.to_model(v.out_check) == mc)
    agree = data_as_model & flags_as_model & check_ok
    syn_weight = (status != -1).astype(np.int64)  # 0: the model finds the word clean
    dut_cls = np.bincount(outcome_class(corr, unc, right, syn_weight), minlength=len(CLASSES))
    mod_cls = np.bincount(outcome_class(m_corr, m_unc, m_right, syn_weight), minlength=len(CLASSES))
    bad = np.nonzero(~agree)[0]
    kinds = np.zeros(len(KINDS), dtype=np.int64)
    if bad.size:
        kind = disagreement_kind(
            corr[bad], unc[bad], right[bad], (dd[bad] != R[bad]).any(axis=1), status[bad],
            (status[bad] != -1), data_as_model[bad], flags_as_model[bad],
        )  # fmt: skip
        kinds = np.bincount(kind, minlength=len(KINDS))
        for o, i in enumerate(bad[:10]):
            err = md[i] ^ R[i]
            ebits = [b for b in range(k) if (row_int(err) >> b) & 1]
            ebits += [k + j for j in range(r) if (int(mc[i] ^ RC[i]) >> j) & 1] if known[i] else []
            report.failures.append(Failure(
                kind=_KIND_LIST[int(kind[o])], group="recorded dec rows",
                weight=len(ebits) if known[i] else 0, error_bits=ebits if known[i] else [],
                data="", check="", received_data=hex_of(row_int(R[i]), k),
                received_check=hex_of(int(RCd[i]), r), dut_data=hex_of(row_int(dd[i]), k),
                dut_check=hex_of(int(v.out_check[i]), r) if v.has_out_check[i] else None,
                dut_corrected=bool(corr[i]), dut_uncorrectable=bool(unc[i]),
                model_data=hex_of(row_int(md[i]), k),
                model_check=hex_of(int(mapping.to_dut(mc[i : i + 1])[0]), r),
                model_outcome={-1: "clean", -2: "flags uncorrectable"}.get(
                    int(status[i]), "corrects"),
                where=v.dec_lines[i],
            ))  # fmt: skip
    report.groups.append(GroupResult(
        label="recorded dec rows", weight=None, mode="recorded", patterns=len(R),
        total_patterns=len(R), words=1, cases=len(R),
        note="the written word is unknown: the model's decode stands in for it",
        dut={c: int(x) for c, x in zip(CLASSES, dut_cls, strict=True) if x},
        model={c: int(x) for c, x in zip(CLASSES, mod_cls, strict=True) if x},
        disagreements={kd: int(x) for kd, x in zip(_KIND_LIST, kinds, strict=True) if x},
    ))  # fmt: skip


# ----- recording -----------------------------------------------------------------------------------
def record_vectors(dut, path: str | Path, *, words: int = 4, seed: int = 0, max_bits: int = 2,
                   force: bool = False) -> Path:  # fmt: skip
    """Write a CSV (or, for ``.json``, JSON) vector file of ``dut``'s encoder (0, the unit
    vectors and ``words`` random words) and decoder (every error of up to ``max_bits`` bits,
    check bits included, on ``words`` random codewords the DUT encoded). Refuses to replace an
    existing file unless ``force``."""
    words = require_int("words", words, 1, 4096)
    max_bits = require_int("max_bits", max_bits, 0, 3)
    p = check_output_path(path, what="vector file", folder=False, error=InputError)
    if p.exists() and not force:
        raise InputError(f"vector file {str(p)!r} exists; pass force=True to replace it")
    k, r = int(dut.k), int(dut.r)
    W, n = data_words(k), k + r
    rng = np.random.default_rng(seed)
    units = np.zeros((k, W), dtype=np.uint64)
    idx = np.arange(k)
    units[idx, idx // 64] = np.uint64(1) << (idx % 64).astype(np.uint64)
    edata = np.concatenate([np.zeros((1, W), dtype=np.uint64), units, random_data(rng, words, k)])
    echeck = check_encode_output(dut.name, dut.encode(edata), len(edata), r)
    D, C = edata[-words:], echeck[-words:]
    rows_d, rows_c = [], []
    for w in range(max_bits + 1):
        pos = unrank_combinations(n, w, np.arange(math.comb(n, w)))
        ed, ec = masks_from_positions(pos, k, W)
        rows_d.append((D[:, None, :] ^ ed[None]).reshape(-1, W))
        rows_c.append((C[:, None] ^ ec[None]).reshape(-1))
    RD, RC = np.concatenate(rows_d), np.concatenate(rows_c)
    out = check_decode_output(dut.name, dut.decode(RD, RC), len(RD), W, r)
    oc = out.check
    if p.suffix.lower() == ".json":
        import json

        obj = {
            "k": k, "r": r,
            "encode": [[hex_of(row_int(d), k), hex_of(int(c), r)] for d, c in zip(edata, echeck,
                                                                                strict=True)],
            "decode": [[hex_of(row_int(RD[i]), k), hex_of(int(RC[i]), r),
                        hex_of(row_int(out.data[i]), k),
                        None if oc is None else hex_of(int(oc[i]), r),
                        bool(out.corrected[i]), bool(out.uncorrectable[i])] for i in range(len(RD))],
        }  # fmt: skip
        text = json.dumps(obj, indent=0) + "\n"
    else:
        lines = [f"# eccsim: k={k} r={r}", f"# recorded from DUT {dut.name!r} by eccsim",
                 "kind,data,check,out_data,out_check,corrected,uncorrectable"]  # fmt: skip
        lines += [f"enc,{hex_of(row_int(d), k)},{hex_of(int(c), r)}"
                  for d, c in zip(edata, echeck, strict=True)]  # fmt: skip
        for i in range(len(RD)):
            ocs = "" if oc is None else hex_of(int(oc[i]), r)
            lines.append(
                f"dec,{hex_of(row_int(RD[i]), k)},{hex_of(int(RC[i]), r)},"
                f"{hex_of(row_int(out.data[i]), k)},{ocs},{int(out.corrected[i])},"
                f"{int(out.uncorrectable[i])}"
            )
        text = "\n".join(lines) + "\n"
    atomic_write_text(p, text)
    return p


__all__ = ["MAX_ROWS", "MAX_VECTOR_BYTES", "RecordedVectors", "check_vectors", "record_vectors"]
