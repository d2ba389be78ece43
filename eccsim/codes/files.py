"""Reading a user's code from a file: an H matrix or per-check-bit masks, as text, NPY or JSON.

Accepted forms (the format follows the file extension):

* ``.npy``: a 2-D 0/1 array is H (r x n); a 1-D integer array is a list of check masks.
* ``.txt`` / ``.csv``: either rows of 0/1 digits (one row of H per line, separators optional),
  or one integer mask per line (``0x``-hex or decimal): check bit j = parity(data AND mask j).
  Blank lines and ``#`` comments are ignored.
* ``.json``: ``{"H": [[0,1,...], ...]}`` or ``{"masks": ["0x...", ...], "k": 64}``, with optional
  ``"name"``, ``"decoder"`` and ``"correctable"`` keys.

Masks describe H = [A | I]: check bits are stored after the data bits; for masks the number of
data bits k defaults to 64.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import CodeError
from .linear import LinearCode

_BITROW = re.compile(r"^[01](?:[\s,;]*[01])*$")


def _parse_int(tok: str, where: str) -> int:
    try:
        return int(tok, 0)
    except ValueError:
        raise CodeError(
            f"{where}: {tok!r} is neither a row of 0/1 digits nor an integer mask"
        ) from None


def load_code(path: str | Path, *, k: int | None = None, decoder: str | None = None) -> LinearCode:
    """Load a code from ``path`` (see the module docstring for the formats)."""
    try:
        return _load_code(path, k=k, decoder=decoder)
    except CodeError as exc:
        msg = str(exc)
        if str(path) not in msg:
            raise CodeError(f"{path}: {msg}") from None
        raise


def _load_code(path: str | Path, *, k: int | None = None, decoder: str | None = None) -> LinearCode:
    p = Path(path)
    if not p.exists():
        raise CodeError(f"code file {str(p)!r} does not exist")
    if p.is_dir():
        raise CodeError(f"code file {str(p)!r} is a directory")
    suffix = p.suffix.lower()
    name = p.stem
    try:
        if suffix == ".npy":
            try:
                arr = np.load(p, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise CodeError(f"{p}: not a readable .npy array ({exc})") from None
            if arr.ndim == 1:
                if not np.issubdtype(arr.dtype, np.integer):
                    raise CodeError(
                        f"{p}: a 1-D .npy must hold integer check masks, got dtype {arr.dtype}"
                    )
                return LinearCode.from_check_masks(
                    [int(x) for x in arr], k or 64, name=name, decoder=decoder or "sec"
                )
            return LinearCode(arr, name=name, decoder=decoder or "sec")
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CodeError(f"{p}: not a UTF-8 text file") from None
    if suffix == ".json":
        return _from_json(text, p, k, decoder)
    return _from_text(text, p, k, decoder)


def _from_json(text: str, p: Path, k: int | None, decoder: str | None) -> LinearCode:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodeError(f"{p}: malformed JSON at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(obj, dict) or ("H" in obj) == ("masks" in obj):
        raise CodeError(f'{p}: JSON must be an object with exactly one of "H" or "masks"')
    name = str(obj.get("name", p.stem))
    dec = decoder or obj.get("decoder", "sec")
    if "H" in obj:
        return LinearCode(obj["H"], name=name, decoder=dec, correctable=obj.get("correctable"))
    masks = obj["masks"]
    if not isinstance(masks, list):
        raise CodeError(f'{p}: "masks" must be a list of integers or hex strings')
    ints = [
        _parse_int(m, f"{p}: masks[{i}]") if isinstance(m, str) else m for i, m in enumerate(masks)
    ]
    kk = obj.get("k", 64) if k is None else k
    if isinstance(kk, bool) or not isinstance(kk, int) or kk < 1:
        raise CodeError(
            f'{p}: "k" (the number of data bits) must be a positive integer, got {kk!r}'
        )
    return LinearCode.from_check_masks(ints, kk, name=name, decoder=dec)


def _from_text(text: str, p: Path, k: int | None, decoder: str | None) -> LinearCode:
    lines = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append((lineno, line))
    if not lines:
        raise CodeError(f"{p}: no matrix rows or masks found")
    if all(_BITROW.match(line) and len(re.sub(r"[\s,;]", "", line)) > 1 for _, line in lines):
        rows = [[int(c) for c in re.sub(r"[\s,;]", "", line)] for _, line in lines]
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            lineno = next(
                ln for (ln, _), r in zip(lines, rows, strict=True) if len(r) != len(rows[0])
            )
            raise CodeError(
                f"{p}: line {lineno} has a different number of bits than line {lines[0][0]} "
                f"(rows of H must all have n = {len(rows[0])} entries)"
            )
        return LinearCode(np.array(rows, dtype=np.uint8), name=p.stem, decoder=decoder or "sec")
    masks = [_parse_int(line, f"{p}: line {lineno}") for lineno, line in lines]
    return LinearCode.from_check_masks(masks, k or 64, name=p.stem, decoder=decoder or "sec")
