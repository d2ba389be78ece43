"""The catalogue of named codes, and the one place that resolves a name (or a file) to a code."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from ..errors import CodeError
from ..validate import suggest
from .hamming import hamming_sec, hamming_secded
from .hsiao import hsiao_secded
from .linear import LinearCode
from .parity import parity_byte

_BUILDERS: dict[str, Callable[[], LinearCode]] = {
    "parity-byte": lambda: parity_byte(8),
    "hamming-secded": lambda: hamming_secded(64, name="hamming-secded"),
    "hsiao-secded": lambda: hsiao_secded(64, 8, name="hsiao-secded"),
    "hamming-sec-136": lambda: hamming_sec(128, 8, name="hamming-sec-136"),
}


def code_names() -> list[str]:
    """Names of the built-in codes, in catalogue order."""
    return list(_BUILDERS)


@cache
def _builtin(name: str) -> LinearCode:
    return _BUILDERS[name]()


def get_code(name_or_path: str | Path | LinearCode) -> LinearCode:
    """Resolve a catalogue name, or the path of a code file (see :mod:`eccsim.codes.files`).

    Raises :class:`CodeError` naming the known codes when the name is unknown."""
    if isinstance(name_or_path, LinearCode):
        return name_or_path
    if not isinstance(name_or_path, str | Path):
        raise CodeError(
            f"a code is a catalogue name, a code file path or a LinearCode, not "
            f"{type(name_or_path).__name__}; known codes: {', '.join(code_names())}"
        )
    name = str(name_or_path)
    if not name.strip():
        raise CodeError(
            f"the code name is empty; name a code ({', '.join(code_names())}) or a code file"
        )
    if name in _BUILDERS:
        return _builtin(name)
    p = Path(name)
    if p.suffix.lower() in (".txt", ".npy", ".json", ".csv") or p.exists():
        from .files import load_code

        return load_code(p)
    raise CodeError(
        f"unknown code {name!r}{suggest(name, code_names())}; known codes: "
        f"{', '.join(code_names())}, or a path to a .txt/.npy/.json code file"
    )
