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

#: codes found by ``eccsim design`` (:mod:`eccsim.design`), with the command that found each
#: (deterministic: the same command finds the same code); check bit j = parity(data AND mask j)
DESIGN_COMMANDS = {
    "design-secded-x8": "eccsim design --module x8-ecc-dimm --restarts 8 --iterations 2000000 "
    "--name design-secded-x8",
    "design-s4ed-x4": "eccsim design --module x4-ecc-dimm --restarts 4 --iterations 1000000 "
    "--name design-s4ed-x4",
}
_DESIGN_MASKS = {
    # 328 of the 2,295 x8 single-chip patterns silent (24 undetected, 304 miscorrected); Hsiao's
    # 1970 arrangement: 552; hsiao-secded: 709. 82 s on one core (8 restarts x 2,000,000 steps)
    "design-secded-x8": (
        0xA20DCA752D37FCCA, 0x3D315F9CB75FCE2A, 0x4B825F6F4FE463C7, 0x89BE34E5EA79CD89,
        0x3EE644517B9D527D, 0xC1B48679F3D8D576, 0x1A77BBD2435477BC, 0x47DA78660B1B93E6,
    ),
    # SEC-DED-S4ED: no single-x4-chip error is silent (0 of 270; hsiao-secded: 45). 9 s
    "design-s4ed-x4": (
        0x5A424A1FB746F21F, 0xB52D0D77BE9715CF, 0x924816BD44FE99BA, 0x4AB9ECB3A68F9650,
        0xB01FF2F2DCAF6098, 0xC5AC9EF5E541CA43, 0xAB86A9B9C37CDE7B, 0x16548727EECD6365,
    ),
}  # fmt: skip


def _designed(name: str, summary: str) -> LinearCode:
    return LinearCode.from_check_masks(_DESIGN_MASKS[name], 64, name=name, summary=summary)


_BUILDERS: dict[str, Callable[[], LinearCode]] = {
    "parity-byte": lambda: parity_byte(8),
    "hamming-secded": lambda: hamming_secded(64, name="hamming-secded"),
    "hsiao-secded": lambda: hsiao_secded(64, 8, name="hsiao-secded"),
    "hamming-sec-136": lambda: hamming_sec(128, 8, name="hamming-sec-136"),
    "design-secded-x8": lambda: _designed(
        "design-secded-x8",
        "SEC-DED found by eccsim design for the x8 ECC DIMM: 328 of 2,295 whole-chip patterns "
        "silent (Hsiao 1970: 552, hsiao-secded: 709)",
    ),
    "design-s4ed-x4": lambda: _designed(
        "design-s4ed-x4",
        "SEC-DED-S4ED found by eccsim design for the x4 ECC DIMM: detects every single-chip "
        "error (hsiao-secded: 45 of 270 silent)",
    ),
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
