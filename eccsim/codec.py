"""Encode, decode and scrub arrays of words with any :class:`~eccsim.codes.LinearCode`.

These are the public, validating wrappers around the numba kernels in :mod:`eccsim._kernels`.
Bit order and array shapes follow :mod:`eccsim.bits`: data is uint64 ``(N,)`` for k <= 64 or
``(N, W)`` for wider codes; check bits are one integer of ``code.check_dtype`` per word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import dispatch
from .codes import LinearCode, get_code
from .compile import CompiledCode, compile_code
from .errors import InputError


def _code(code) -> CompiledCode:
    return compile_code(get_code(code))


def _flag(name: str, value) -> bool:
    """``value`` if it is True or False; ``parallel="yes"`` or ``parallel=1`` is refused."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name}={value!r} must be True or False")
    return bool(value)


def _data_2d(cc: CompiledCode, data, name: str = "data", validate_bits: bool = True) -> np.ndarray:
    """Validate ``data`` and return a 2-D (N, W) view without copying."""
    if not isinstance(data, np.ndarray):
        raise InputError(f"{name} must be a numpy array of uint64, got {type(data).__name__}")
    if data.dtype != np.uint64:
        raise InputError(
            f"{name} must have dtype uint64 (64 data bits per word, bit 0 = LSB), got {data.dtype}"
        )
    W = cc.words
    if data.ndim == 1 and W == 1:
        arr = data.reshape(-1, 1)
    elif data.ndim == 2 and data.shape[1] == W:
        arr = data
    else:
        want = "(N,) or (N, 1)" if W == 1 else f"(N, {W})"
        raise InputError(
            f"{name} for code {cc.code.name!r} (k={cc.k} data bits) must have shape {want}, "
            f"got {data.shape}"
        )
    if not arr.flags.c_contiguous:
        raise InputError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    if validate_bits and cc.k % 64:
        top = arr[:, -1] >> np.uint64(cc.k % 64)
        if top.any():
            i = int(np.flatnonzero(top)[0])
            raise InputError(
                f"{name}[{i}] has bits set at or above bit k={cc.k}; the code has only {cc.k} data bits"
            )
    return arr


def _check_1d(
    cc: CompiledCode, check, n: int, name: str = "check", validate_bits: bool = True
) -> np.ndarray:
    if not isinstance(check, np.ndarray):
        raise InputError(
            f"{name} must be a numpy array of {cc.check_dtype}, got {type(check).__name__}"
        )
    if check.dtype != cc.check_dtype:
        raise InputError(
            f"{name} for code {cc.code.name!r} (r={cc.r} check bits) must have dtype "
            f"{cc.check_dtype}, got {check.dtype}"
        )
    if check.shape != (n,):
        raise InputError(f"{name} must have shape ({n},) to match data, got {check.shape}")
    if not check.flags.c_contiguous:
        raise InputError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    if validate_bits and cc.r < check.dtype.itemsize * 8 and (check >> cc.r).any():
        i = int(np.flatnonzero(check >> cc.r)[0])
        raise InputError(f"{name}[{i}] has bits set at or above bit r={cc.r}")
    return check


def _require_output(arr, name: str, dtype, shape: tuple) -> np.ndarray:
    """Check a caller-supplied output array: type, dtype, shape, layout, writeable."""
    if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.shape != shape:
        got = f"{arr.dtype} {arr.shape}" if isinstance(arr, np.ndarray) else type(arr).__name__
        raise InputError(f"{name} must be a {shape} array of {np.dtype(dtype)}, got {got}")
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        raise InputError(f"{name} must be C-contiguous and writeable")
    return arr


def encode(
    code: LinearCode | str,
    data: np.ndarray,
    out: np.ndarray | None = None,
    *,
    parallel: bool = False,
) -> np.ndarray:
    """Check bits of each data word: ``check[i]`` bit j = parity(data[i] AND mask j).

    Wraps ``_kernels._encode8`` (k <= 64, r <= 8; ``_encode8_par`` with ``parallel=True``, on
    numba's thread count), ``_encode8w2`` (64 < k <= 128, r <= 8), ``_encode_w1`` (other
    k <= 64) or ``_encode``. Returns ``out``
    (allocated with ``code.check_dtype`` when not given)."""
    parallel = _flag("parallel", parallel)
    cc = _code(code)
    d = _data_2d(cc, data)
    if out is None:
        out = np.empty(d.shape[0], dtype=cc.check_dtype)
    else:
        _require_output(out, "out", cc.check_dtype, (d.shape[0],))
    dispatch.encode_into(cc, d, out, parallel)
    return out


def syndromes(code: LinearCode | str, data: np.ndarray, check: np.ndarray) -> np.ndarray:
    """Syndrome of each codeword as uint64 (0 = consistent). Wraps ``_kernels._syndromes``."""
    cc = _code(code)
    d = _data_2d(cc, data)
    c = _check_1d(cc, check, d.shape[0])
    out = np.empty(d.shape[0], dtype=np.uint64)
    dispatch.syndromes_into(cc, d, c, out)
    return out


class Decoded(NamedTuple):
    """Result of :func:`decode`: corrected data and check bits, and a per-word status.

    ``status[i]`` is ``STATUS_CLEAN`` (-1), ``STATUS_DUE`` (-2, detected uncorrectable), or the
    index p >= 0 of the correction pattern applied — for single-error-correcting codes, the
    corrected codeword bit position (data bits 0..k-1, check bit j at k + j)."""

    data: np.ndarray
    check: np.ndarray
    status: np.ndarray


def decode(
    code: LinearCode | str,
    data: np.ndarray,
    check: np.ndarray,
    *,
    parallel: bool = False,
    out: Decoded | None = None,
) -> Decoded:
    """Decode codewords out of place; inputs are not modified. Wraps ``_kernels._decode8``
    (``_decode8_par`` with ``parallel=True``) for k <= 64, r <= 8, else ``_kernels._decode``."""
    parallel = _flag("parallel", parallel)
    cc = _code(code)
    d = _data_2d(cc, data)
    c = _check_1d(cc, check, d.shape[0])
    cc.require_table()  # a code without a decoder table fails here, before any output
    if out is None:
        out_d = np.empty_like(d)
        out_c = np.empty_like(c)
        status = np.empty(d.shape[0], dtype=np.int32)
    else:
        if not isinstance(out, Decoded):
            raise InputError("out must be a Decoded(data, check, status) of preallocated arrays")
        out_d = _data_2d(cc, out.data, "out.data", validate_bits=False)
        out_c = _check_1d(cc, out.check, d.shape[0], "out.check", validate_bits=False)
        _require_output(out_d, "out.data", np.uint64, d.shape)
        _require_output(out_c, "out.check", cc.check_dtype, (d.shape[0],))
        status = _require_output(out.status, "out.status", np.int32, (d.shape[0],))
    dispatch.decode_into(cc, d, c, out_d, out_c, status, parallel)
    return Decoded(out_d.reshape(data.shape), out_c, status)


@dataclass(frozen=True)
class ScrubCounts:
    """Words found clean, corrected and detected-uncorrectable by one scrub pass."""

    clean: int
    corrected: int
    uncorrectable: int


def scrub(
    code: LinearCode | str, data: np.ndarray, check: np.ndarray, *, parallel: bool = False
) -> ScrubCounts:
    """Check and correct codewords in place (like a memory controller's patrol scrubber).

    Words with a correctable syndrome are fixed; uncorrectable ones are left as they are and
    counted. Wraps ``_kernels._scrub8`` (``_scrub8_par`` with ``parallel=True``) for k <= 64,
    r <= 8, else ``_kernels._scrub``."""
    parallel = _flag("parallel", parallel)
    cc = _code(code)
    d = _data_2d(cc, data)
    c = _check_1d(cc, check, d.shape[0])
    if not (d.flags.writeable and c.flags.writeable):
        raise InputError("scrub works in place: data and check must be writeable")
    counts = dispatch.scrub_inplace(cc, d, c, parallel)
    return ScrubCounts(int(counts[0]), int(counts[1]), int(counts[2]))


def classify(
    code: LinearCode | str,
    written_data: np.ndarray,
    written_check: np.ndarray,
    read_data: np.ndarray,
    read_check: np.ndarray,
) -> np.ndarray:
    """Outcome code (see :mod:`eccsim.outcomes`) of decoding each read word against what was
    written. Wraps ``_kernels._classify``."""
    cc = _code(code)
    od = _data_2d(cc, written_data, "written_data")
    oc = _check_1d(cc, written_check, od.shape[0], "written_check")
    rd = _data_2d(cc, read_data, "read_data")
    rc = _check_1d(cc, read_check, od.shape[0], "read_check")
    if rd.shape != od.shape:
        raise InputError(
            f"read_data shape {read_data.shape} differs from written_data {written_data.shape}"
        )
    out = np.empty(od.shape[0], dtype=np.int8)
    dispatch.classify_into(cc, od, oc, rd, rc, out)
    return out
