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
from .symbol import reed_solomon

_BUILDERS: dict[str, Callable[[], LinearCode]] = {
    "parity-byte": lambda: parity_byte(8),
    "hamming-secded": lambda: hamming_secded(64, name="hamming-secded"),
    "hsiao-secded": lambda: hsiao_secded(64, 8, name="hsiao-secded"),
    "hamming-sec-136": lambda: hamming_sec(128, 8, name="hamming-sec-136"),
    "chipkill-x4": lambda: reed_solomon(
        18, 16, 8, width=4, name="chipkill-x4",
        summary="x4 Chipkill: RS(18,16) over GF(2^8), one symbol = one x4 chip's 4 bits x 2 beats",
    ),
    "sddc-x8": lambda: reed_solomon(
        18, 16, 8, width=8, name="sddc-x8",
        summary="x8 single-device data correction: RS(18,16) over GF(2^8), one symbol = one x8 "
        "chip's 8 bits in one beat (two x8 DIMMs in lock-step)",
    ),
    "ssc-dsd-x4": lambda: reed_solomon(
        36, 32, 8, width=4, name="ssc-dsd-x4",
        summary="x4 SSC-DSD: RS(36,32) over GF(2^8) on two x4 DIMMs in lock-step, one symbol = "
        "one x4 chip's 4 bits x 2 beats",
    ),
    "ddr5-rank-x4": lambda: reed_solomon(
        10, 8, 8, width=4, name="ddr5-rank-x4",
        summary="DDR5 rank-level Chipkill on a 10-chip x4 sub-channel: RS(10,8) over GF(2^8), "
        "one symbol = one x4 chip's 4 bits x 2 beats",
    ),
}  # fmt: skip


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
