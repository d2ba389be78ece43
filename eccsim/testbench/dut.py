"""The device under test (DUT): a user's ECC encoder/decoder, behind one interface.

Every plug-in kind (a Python callable, a C shared library, Verilog RTL under a simulator,
recorded vectors) is an object with this interface, so the checks
(:mod:`eccsim.testbench.checks`) never know which kind they drive.

**Words** use eccsim's conventions (:mod:`eccsim.bits`): a batch of ``N`` data words is a
``(N, W)`` uint64 array, ``W = ceil(k / 64)``, data bit ``i`` = bit ``i % 64`` of word ``i // 64``;
check bits are a ``(N,)`` uint64 array, check bit ``j`` = integer bit ``j``, in the order *the DUT*
produces and consumes them (the checks infer that order; they never assume eccsim's). Adapters
convert from whatever the DUT's own interface uses, and say how in their docstrings.

**Decoding** returns :class:`DecodeOut`: the data the DUT delivers, the check bits it delivers
(or None when it does not output them), and its two flags — ``corrected`` (it saw an error and
fixed it: "single error", "CE") and ``uncorrectable`` (it saw an error it cannot fix: "double
error", "DUE"). A DUT may raise both; the checks report that as a disagreement.

**Bad DUTs** never hang or crash eccsim: an adapter enforces a time limit per call (per batch;
per simulation for RTL) and raises :class:`DUTError` — a one-line message naming the DUT, the
call and what went wrong (raised an exception, returned the wrong shape or dtype, timed out,
crashed, is missing a symbol or port, a simulator that is not installed and the package to
install).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import EccsimError


class DUTError(EccsimError):
    """The device under test misbehaved (or could not be run); the message says how."""


@dataclass
class DecodeOut:
    """What a DUT's decoder delivers for ``N`` received words (see the module docstring)."""

    data: np.ndarray  # (N, W) uint64
    check: np.ndarray | None  # (N,) uint64, or None when the DUT does not output check bits
    corrected: np.ndarray  # (N,) bool
    uncorrectable: np.ndarray  # (N,) bool


@runtime_checkable
class DUT(Protocol):
    """A device under test: ``k`` data bits, ``r`` check bits, an encoder and a decoder over
    batches of words, and ``close()`` to release what it holds (processes, simulators)."""

    name: str
    k: int
    r: int

    def encode(self, data: np.ndarray) -> np.ndarray:
        """Check bits ``(N,)`` uint64 of data words ``(N, W)`` uint64."""

    def decode(self, data: np.ndarray, check: np.ndarray) -> DecodeOut:
        """Decode received words: data ``(N, W)`` uint64 and check bits ``(N,)`` uint64."""

    def close(self) -> None:
        """Release the DUT's resources (idempotent)."""


def check_encode_output(dut_name: str, out, n: int, r: int) -> np.ndarray:
    """The encoder's output as ``(N,)`` uint64, or a :class:`DUTError` naming what is wrong."""
    try:
        a = np.asarray(out)
    except Exception as exc:  # anything a user's object can raise
        raise DUTError(
            f"DUT {dut_name!r}: encode returned something that is not an array ({exc})"
        ) from None
    if a.shape != (n,):
        raise DUTError(f"DUT {dut_name!r}: encode returned shape {a.shape}, expected ({n},)")
    if a.dtype.kind not in "iu" and a.dtype != bool:
        raise DUTError(f"DUT {dut_name!r}: encode returned dtype {a.dtype}, expected unsigned ints")
    a = a.astype(np.uint64)
    if r < 64 and (a >> np.uint64(r)).any():
        raise DUTError(f"DUT {dut_name!r}: encode returned check words wider than r={r} bits")
    return a


def check_decode_output(dut_name: str, out: DecodeOut, n: int, w: int, r: int) -> DecodeOut:
    """The decoder's output checked for shapes and dtypes (a :class:`DUTError` otherwise)."""
    if not isinstance(out, DecodeOut):
        raise DUTError(f"DUT {dut_name!r}: decode returned {type(out).__name__}, not DecodeOut")
    d = np.asarray(out.data)
    if d.ndim == 1 and w == 1:
        d = d.reshape(-1, 1)
    if d.shape != (n, w) or d.dtype.kind not in "iu":
        raise DUTError(f"DUT {dut_name!r}: decode returned data of shape {d.shape} and dtype "
                       f"{d.dtype}, expected ({n}, {w}) unsigned ints")  # fmt: skip
    c = None
    if out.check is not None:
        c = np.asarray(out.check)
        if c.shape != (n,) or c.dtype.kind not in "iu":
            raise DUTError(f"DUT {dut_name!r}: decode returned check bits of shape {c.shape}, "
                           f"expected ({n},)")  # fmt: skip
        c = c.astype(np.uint64)
    flags = []
    for label in ("corrected", "uncorrectable"):
        f = np.asarray(getattr(out, label))
        if f.shape != (n,):
            raise DUTError(f"DUT {dut_name!r}: decode returned {label} flags of shape {f.shape}, "
                           f"expected ({n},)")  # fmt: skip
        flags.append(f.astype(bool))
    return DecodeOut(d.astype(np.uint64), c, flags[0], flags[1])


__all__ = ["DUT", "DUTError", "DecodeOut", "check_decode_output", "check_encode_output"]
