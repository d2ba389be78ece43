"""Reading a user's code from a file: an H matrix or per-check-bit masks, as text, NPY or JSON.

Accepted forms (the format follows the file extension):

* ``.txt`` / ``.csv``: either rows of 0/1 digits (one row of H per line, separators optional),
  or one integer mask per line (``0x``-hex or decimal): check bit j = parity(data AND mask j).
  Blank lines and ``#`` comments are ignored.
* ``.json``: ``{"H": [[0,1,...], ...]}`` or ``{"masks": ["0x...", ...], "k": 64}``, with optional
  ``"name"``, ``"decoder"``, ``"correctable"``, ``"n"``/``"k"``/``"r"``, ``"overall_parity"`` and
  ``"check_positions"`` keys (any other key is refused, so a misspelt one is not ignored).
* ``.npy``: a 2-D 0/1 array is H (r x n); a 1-D integer array is a list of check masks.

**A text file is the documented (72,64) form** — 8 masks of 64 data bits, or 8 rows of 72 bits —
**unless it says otherwise** on a directive line such as ``# eccsim: k=32 r=7``. A text file has
no end marker, so a file cut short (or with a line too many) would otherwise silently be another
code; a mismatch is refused, saying what was found and which line declares it. JSON arrays and
``.npy`` headers carry their own lengths: their masks and rows are taken as written (``k``
defaults to 64), and ``n``/``k``/``r``, when given, must agree with them.

Directive keys (text: ``# eccsim: key=value ...``; JSON: the same names with ``_``)::

    n=72 k=64 r=8            the code's size (any of them; they must agree with the file)
    overall-parity           the last check bit is the parity of all data bits AND all other
                             check bits (Hamming SEC-DED as RTL writes it); its mask is all
                             ones. ``overall-parity=no`` says an all-ones mask covers only the
                             data bits. An all-ones mask with neither is refused (masks only).
    check-positions=0,1,3,7  0-based codeword positions of check bits 0..r-1 in the design's
                             layout (textbook Hamming: 1, 2, 4, 8, ... are 0, 1, 3, 7); data bits
                             fill the other positions in increasing order. For rows of H, the
                             columns follow that layout; for masks, only the layout is recorded.
    name=my-code decoder=sec

The code is kept in eccsim's order (data bits first, check bit j = codeword bit k + j); the
layout is :attr:`LinearCode.file_positions` and shown by ``describe()``.

**Limits**, checked from the counts before any array is built: at most 64 check bits (lines,
rows or masks), at most 4096 codeword bits, files of at most 4 MiB, JSON nested at most 8 deep.
Every message names the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CodeError
from ..safeio import load_npy, parse_json, read_text
from ..validate import is_int, suggest
from .linear import (
    MAX_CHECK_BITS,
    MAX_CODE_BITS,
    LinearCode,
    _short,
    check_code_size,
    check_name,
)

DOCUMENTED_K, DOCUMENTED_R = 64, 8  #: a text file without a directive is a (72, 64) code
MAX_CODE_FILE_BYTES = 4 << 20
MAX_CODE_JSON_DEPTH = 8
#: a mask token longer than this cannot be a mask of at most 4096 bits in any notation
MAX_MASK_CHARS = 1300

_BITROW = re.compile(r"^[01](?:[\s,;]*[01])*$")
_SEPARATORS = re.compile(r"[\s,;]")
_JSON_KEYS = (
    "H",
    "masks",
    "n",
    "k",
    "r",
    "name",
    "decoder",
    "correctable",
    "overall_parity",
    "check_positions",
)
_DIRECTIVE_KEYS = ("n", "k", "r", "name", "decoder", "overall-parity", "check-positions")
_YES, _NO = ("yes", "true", "1", "on"), ("no", "false", "0", "off")


@dataclass
class _Declared:
    """What a file (or the caller) says about the code, and where it said it (for messages)."""

    n: int | None = None
    k: int | None = None
    r: int | None = None
    name: str | None = None
    decoder: str | None = None
    overall_parity: bool | None = None
    check_positions: list | None = None
    correctable: list | None = None
    origin: dict = field(default_factory=dict)

    def set(self, key: str, value, origin: str) -> None:
        setattr(self, key, value)
        self.origin[key] = origin

    def merge_call(self, where: str, **given) -> None:
        """Arguments of :func:`load_code` declare too; they must not contradict the file."""
        for key, value in given.items():
            if value is None:
                continue
            old = getattr(self, key)
            if old is not None and old != value:
                raise CodeError(
                    f"{where}: {key}={_short(value)} was asked for, but the file declares "
                    f"{key}={_short(old)} ({self.origin[key]})"
                )
            self.set(key, value, f"load_code({key}=...)")

    @property
    def sized(self) -> bool:
        return any(v is not None for v in (self.n, self.k, self.r))


def load_code(
    path: str | Path,
    *,
    k: int | None = None,
    r: int | None = None,
    decoder: str | None = None,
    overall_parity: bool | None = None,
    check_positions=None,
) -> LinearCode:
    """Load a code from ``path`` (see the module docstring for the formats and directives).

    The keyword arguments declare what a directive would (``k``, ``r``, ``overall_parity``,
    ``check_positions``; ``decoder`` overrides the file's); a file that declares otherwise is
    refused. Raises :class:`CodeError` naming the file."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise CodeError("code file: the path is empty; name a catalogue code or a code file")
    if not isinstance(path, str | Path):
        raise CodeError(f"code file: {_short(path)} is not a path")
    where = str(path)
    try:
        given = {"k": k, "r": r, "overall_parity": overall_parity}
        for key in ("k", "r"):
            if given[key] is not None and (not is_int(given[key]) or given[key] < 1):
                raise CodeError(f"{key}={_short(given[key])} must be a positive whole number")
        if overall_parity is not None and not isinstance(overall_parity, bool):
            raise CodeError(f"overall_parity={_short(overall_parity)} must be True or False")
        given["check_positions"] = None if check_positions is None else list(check_positions)
        return _load(Path(path), where, given, decoder)
    except CodeError as exc:
        msg = str(exc)
        if where not in msg:
            raise CodeError(f"{where}: {msg}") from None
        raise


def _load(p: Path, where: str, given: dict, decoder: str | None) -> LinearCode:
    if p.is_dir():
        raise CodeError(f"code file {where!r} is a directory")
    suffix = p.suffix.lower()
    decl = _Declared()
    if suffix == ".npy":
        arr = load_npy(
            p, what="code file", max_elements=MAX_CHECK_BITS * MAX_CODE_BITS, error=CodeError
        )
        decl.merge_call(where, **given)
        if arr.ndim == 1:
            if not np.issubdtype(arr.dtype, np.integer):
                raise CodeError(f"a 1-D .npy must hold integer check masks, got dtype {arr.dtype}")
            return _from_masks(arr.tolist(), decl, where, p.stem, decoder, strict=False)
        return _from_rows(arr, decl, where, p.stem, decoder, strict=False)
    text = read_text(p, what="code file", limit=MAX_CODE_FILE_BYTES, error=CodeError)
    if suffix == ".json":
        return _from_json(text, decl, where, p.stem, given, decoder)
    return _from_text(text, decl, where, p.stem, given, decoder)


# ----- building, shared by every format ------------------------------------------------------------
def _resolve(decl: _Declared, count: int, width: int | None, where: str, strict: bool):
    """(k, r) of a file with ``count`` masks (``width`` None) or ``count`` rows of ``width``
    bits, checked against what is declared — and, for a ``strict`` (text) file that declares
    no size, against the documented (72, 64) form."""
    form = "masks" if width is None else "rows"
    dn, dk, dr = decl.n, decl.k, decl.r
    if None not in (dn, dk, dr) and dn != dk + dr:
        raise CodeError(f"the declared n={dn}, k={dk}, r={dr} disagree: n must be k + r")
    if form == "masks":
        found = f"{count} mask{'s' * (count != 1)}"
        k_found = dk if dk is not None else (dn - count if dn is not None else DOCUMENTED_K)
    else:
        found = f"{count} row{'s' * (count != 1)} of {width} bits"
        k_found = width - count
    if strict and not decl.sized:
        ok = count == DOCUMENTED_R and k_found == DOCUMENTED_K
        if not ok:
            raise CodeError(
                f"{found}, but a text code file without a '# eccsim:' line is the documented "
                f"(72,64) form ({'8 masks of 64 bits' if form == 'masks' else '8 rows of 72 bits'}"
                f"); if this is a ({k_found + count},{k_found}) code, declare it with the line "
                f"'# eccsim: k={k_found} r={count}' (a file cut short or with a line too many "
                "also looks like this)"
            )
        return k_found, count
    r_want = dr if dr is not None else (dn - dk if None not in (dn, dk) else None)
    if r_want is None and strict:
        r_want = DOCUMENTED_R
    if r_want is not None and r_want != count:
        if dr is not None:
            said = f"r={dr} is declared ({decl.origin['r']})"
        elif None not in (dn, dk):
            said = f"n={dn} and k={dk} are declared, so r={r_want}"
        else:
            said = f"r is not declared, so it is {DOCUMENTED_R} (the documented form)"
        raise CodeError(
            f"{found}, but {said}: one {form[:-1]} per check bit; if the code has {count} "
            f"check bits, declare r={count}"
            + (f" (a '# eccsim: k={k_found} r={count}' line)" if strict else "")
            + " (a file cut short or with a line too many also looks like this)"
        )
    if k_found < 1:
        raise CodeError(f"{found}: a code needs more codeword bits than check bits")
    if dk is not None and dk != k_found:
        raise CodeError(f"{found} make k={k_found} data bits, but k={dk} is declared")
    if dn is not None and dn != k_found + count:
        raise CodeError(f"{found} make n={k_found + count} bits, but n={dn} is declared")
    return k_found, count


def _from_masks(masks: list, decl: _Declared, where: str, stem: str, decoder, strict: bool):
    if len(masks) > MAX_CHECK_BITS:
        raise CodeError(
            f"{len(masks):,} masks: at most {MAX_CHECK_BITS} check bits are supported (r <= 64)"
        )
    k, r = _resolve(decl, len(masks), None, where, strict)
    check_code_size(k + r, r, f"a code of {r} masks and k={k:,} data bits")
    full = (1 << k) - 1
    if decl.overall_parity is None and r >= 2:
        ones = [j for j, m in enumerate(masks) if is_int(m) and int(m) == full]
        if ones:
            raise CodeError(
                f"mask {ones[0]} is all ones (every data bit). If check bit {ones[0]} is an "
                "overall parity — the parity of all data bits and all other check bits, as in "
                "Hamming SEC-DED — put it last and declare it ('# eccsim: overall-parity' in a "
                'text file, "overall_parity": true in JSON); if it covers only the data bits, '
                "declare overall-parity=no"
            )
    return LinearCode.from_check_masks(
        masks,
        k,
        name=decl.name or stem,
        decoder=decoder or decl.decoder or "sec",
        overall_parity=bool(decl.overall_parity),
        check_positions=decl.check_positions,
    )


def _from_rows(H, decl: _Declared, where: str, stem: str, decoder, strict: bool):
    H = np.asarray(H)
    if H.ndim == 2:
        if H.shape[0] > MAX_CHECK_BITS or H.shape[1] > MAX_CODE_BITS:
            check_code_size(H.shape[1], H.shape[0], f"H (shape {H.shape[0]}x{H.shape[1]})")
        _resolve(decl, H.shape[0], H.shape[1], where, strict)
    if decl.overall_parity:
        raise CodeError(
            "overall-parity is declared for masks; in rows of H write the overall parity check "
            "as a row of all ones"
        )
    return LinearCode(
        H,
        name=decl.name or stem,
        decoder=decoder or decl.decoder or "sec",
        correctable=decl.correctable,
        check_positions=decl.check_positions,
    )


# ----- JSON ----------------------------------------------------------------------------------------
def _from_json(text: str, decl: _Declared, where: str, stem: str, given: dict, decoder):
    obj = parse_json(
        text, where=f"code file {where!r}", max_depth=MAX_CODE_JSON_DEPTH, error=CodeError
    )
    if not isinstance(obj, dict) or ("H" in obj) == ("masks" in obj):
        raise CodeError('JSON must be an object with exactly one of "H" or "masks"')
    for key in obj:
        if key not in _JSON_KEYS:
            raise CodeError(
                f"unknown key {_short(key)}{suggest(key, _JSON_KEYS)}; the keys are "
                f"{', '.join(_JSON_KEYS)}"
            )
    for key in ("n", "k", "r"):
        if key in obj:
            v = obj[key]
            if not is_int(v) or v < 1:
                what = {"n": "codeword bits", "k": "data bits", "r": "check bits"}[key]
                raise CodeError(
                    f'"{key}" (the number of {what}) must be a positive integer, got {_short(v)}'
                )
            decl.set(key, int(v), f'"{key}" in the file')
    if "name" in obj:
        decl.set("name", check_name(obj["name"]), '"name"')
    if "decoder" in obj:
        if not isinstance(obj["decoder"], str):
            raise CodeError(f'"decoder" must be a string, got {_short(obj["decoder"])}')
        decl.set("decoder", obj["decoder"], '"decoder"')
    if "overall_parity" in obj:
        if not isinstance(obj["overall_parity"], bool):
            raise CodeError(
                f'"overall_parity" must be true or false, got {_short(obj["overall_parity"])}'
            )
        decl.set("overall_parity", obj["overall_parity"], '"overall_parity" in the file')
    if "check_positions" in obj:
        cp = obj["check_positions"]
        if not isinstance(cp, list) or len(cp) > MAX_CHECK_BITS:
            raise CodeError(
                f'"check_positions" must be a list of at most {MAX_CHECK_BITS} positions'
            )
        decl.set("check_positions", cp, '"check_positions" in the file')
    if "correctable" in obj:
        decl.set("correctable", obj["correctable"], '"correctable"')
    decl.merge_call(where, **given)
    if "H" in obj:
        return _from_rows(_json_matrix(obj["H"]), decl, where, stem, decoder, strict=False)
    masks = obj["masks"]
    if not isinstance(masks, list):
        raise CodeError('"masks" must be a list of integers or hex strings')
    if len(masks) > MAX_CHECK_BITS:
        raise CodeError(
            f'"masks" lists {len(masks):,} masks: at most {MAX_CHECK_BITS} check bits are '
            "supported (r <= 64)"
        )
    ints = [_parse_int(m, f"masks[{i}]") if isinstance(m, str) else m for i, m in enumerate(masks)]
    if decl.correctable is not None:
        raise CodeError('"correctable" needs "H" (and "decoder": "patterns")')
    return _from_masks(ints, decl, where, stem, decoder, strict=False)


def _json_matrix(H) -> np.ndarray:
    """H from JSON rows, checked (sizes first, then 0/1 entries; true/false are not bits)."""
    if not isinstance(H, list) or not H or not all(isinstance(row, list) for row in H):
        raise CodeError('"H" must be a non-empty list of rows, each a list of 0/1')
    width = len(H[0])
    check_code_size(max(len(row) for row in H), len(H), f'"H" ({len(H)} rows)')
    for i, row in enumerate(H):
        if len(row) != width:
            raise CodeError(f'"H" row {i} has {len(row)} entries, row 0 has {width}')
        for j, x in enumerate(row):
            if not is_int(x) or x not in (0, 1):
                raise CodeError(f'"H"[{i}][{j}] is {_short(x)}: entries must be the numbers 0 or 1')
    return np.array(H, dtype=np.uint8)


# ----- text ----------------------------------------------------------------------------------------
def _parse_int(tok: str, where: str) -> int:
    if len(tok) > MAX_MASK_CHARS:
        raise CodeError(
            f"{where} is a {len(tok):,}-character number; masks have at most {MAX_CODE_BITS} bits"
        )
    try:
        return int(tok, 0)
    except ValueError:
        raise CodeError(
            f"{where}: {_short(tok)} is neither a row of 0/1 digits nor an integer mask"
        ) from None


def _parse_directive(body: str, lineno: int, decl: _Declared) -> None:
    for tok in body.split():
        key, eq, value = tok.partition("=")
        key = key.strip().lower().replace("_", "-")
        origin = f"line {lineno}"
        if key not in _DIRECTIVE_KEYS:
            raise CodeError(
                f"line {lineno}: unknown directive {_short(key)}{suggest(key, _DIRECTIVE_KEYS)}; "
                f"known: {', '.join(_DIRECTIVE_KEYS)}"
            )
        attr = key.replace("-", "_")
        if attr in decl.origin:
            raise CodeError(f"line {lineno}: {key} is declared twice ({decl.origin[attr]})")
        if key == "overall-parity":
            if not eq or value.lower() in _YES:
                decl.set(attr, True, origin)
            elif value.lower() in _NO:
                decl.set(attr, False, origin)
            else:
                raise CodeError(f"line {lineno}: overall-parity={_short(value)}: say yes or no")
            continue
        if not eq or not value:
            raise CodeError(f"line {lineno}: directive {key} needs a value ({key}=...)")
        if key in ("n", "k", "r"):
            if not value.isdigit() or int(value) < 1 or len(value) > 9:
                raise CodeError(f"line {lineno}: {key}={_short(value)} must be a positive integer")
            decl.set(attr, int(value), origin)
        elif key == "check-positions":
            parts = value.split(",")
            if len(parts) > MAX_CHECK_BITS or not all(q.isdigit() and len(q) < 9 for q in parts):
                raise CodeError(
                    f"line {lineno}: check-positions={_short(value)} must be comma-separated "
                    f"0-based positions (at most {MAX_CHECK_BITS}), e.g. check-positions=0,1,3,7"
                )
            decl.set(attr, [int(q) for q in parts], origin)
        elif key == "name":
            decl.set(attr, check_name(value), origin)
        else:
            decl.set(attr, value, origin)


def _from_text(text: str, decl: _Declared, where: str, stem: str, given: dict, decoder):
    lines: list[tuple[int, str]] = []
    for lineno, raw in enumerate(_lines(text), 1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            body = stripped[1:].strip()
            if body[:7].lower() == "eccsim:":
                _parse_directive(body[7:], lineno, decl)
            continue
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append((lineno, line))
            if len(lines) > MAX_CHECK_BITS:
                raise CodeError(
                    f"line {lineno} is row or mask number {len(lines)}: at most {MAX_CHECK_BITS} "
                    "check bits are supported (one line each, r <= 64)"
                )
    if not lines:
        raise CodeError("no matrix rows or masks found")
    decl.merge_call(where, **given)
    if _looks_like_rows([line for _, line in lines]):
        return _from_rows(_text_matrix(lines), decl, where, stem, decoder, strict=True)
    masks = [_parse_int(line, f"line {lineno}") for lineno, line in lines]
    return _from_masks(masks, decl, where, stem, decoder, strict=True)


def _lines(text: str):
    """The lines of ``text``, one at a time (a file of a million lines stops at line 65)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end].rstrip("\r")
        start = end + 1


def _is_bitrow(line: str) -> bool:
    return bool(_BITROW.match(line)) and len(_SEPARATORS.sub("", line)) > 1


def _looks_like_rows(lines: list[str]) -> bool:
    """Rows of H when every line is 0/1 digits — or most are and no line is a hex mask (then
    the others are rows with a typo, reported on their own line)."""
    rows = [_is_bitrow(line) for line in lines]
    if all(rows):
        return True
    if any(line.lower().lstrip("+-").startswith("0x") for line in lines):
        return False
    return 2 * sum(rows) > len(lines)


def _text_matrix(lines: list[tuple[int, str]]) -> np.ndarray:
    rows = []
    for lineno, line in lines:
        if not _is_bitrow(line):
            bad = next((c for c in line if c not in "01" and not _SEPARATORS.match(c)), None)
            found = f": found {bad!r}" if bad is not None else ""
            raise CodeError(
                f"line {lineno}: {_short(line)} is not a row of 0/1 digits like the other lines "
                f"(rows of H){found}"
            )
        digits = _SEPARATORS.sub("", line)
        if len(digits) > MAX_CODE_BITS:
            raise CodeError(
                f"line {lineno} has {len(digits):,} bits: at most {MAX_CODE_BITS} codeword bits "
                "are supported (n <= 4096)"
            )
        rows.append((lineno, digits))
    width = len(rows[0][1])
    for lineno, digits in rows:
        if len(digits) != width:
            raise CodeError(
                f"line {lineno} has {len(digits)} bits, line {rows[0][0]} has {width} "
                f"(rows of H must all have n = {width} entries)"
            )
    return np.array([[int(c) for c in digits] for _, digits in rows], dtype=np.uint8)


__all__ = ["DOCUMENTED_K", "DOCUMENTED_R", "MAX_CODE_FILE_BYTES", "load_code"]
