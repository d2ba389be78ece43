"""Argument checks shared by every layer: whole numbers (``bool`` is not one here), numbers in
a range, names from a list (with "did you mean" suggestions), and size limits checked before
anything is allocated. Each raises the caller's :class:`~eccsim.errors.EccsimError` kind with
a one-line message naming the parameter and what is allowed."""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable

import numpy as np

from .errors import EccsimError, InputError, LimitError


def suggest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest names, or '' when nothing is close. A name that
    is a prefix of known names (``x4`` for ``x4-ecc-dimm``) suggests those."""
    choices = list(choices)
    name = str(name)
    close = [c for c in choices if name and c.startswith(name)][:3]
    if not close:
        close = difflib.get_close_matches(name, choices, n=2, cutoff=0.5)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools (``True`` is not a count of 1)."""
    return isinstance(value, numbers.Integral | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def require_int(
    name: str,
    value,
    lo: int | None = None,
    hi: int | None = None,
    *,
    error: type[EccsimError] = InputError,
    hint: str = "",
) -> int:
    """``value`` as an int if it is a whole number in ``[lo, hi]``; else ``error``."""
    rng = _range_text(lo, hi)
    if not is_int(value):
        raise error(f"{name}={value!r} must be a whole number{rng}{hint}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise error(f"{name}={v} must be a whole number{rng}{hint}")
    return v


def require_number(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    open_interval: bool = False,
    error: type[EccsimError] = InputError,
) -> float:
    """``value`` as a float if it is a finite real number in the range; else ``error``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | np.floating):
        raise error(f"{name}={value!r} must be a number")
    v = float(value)
    bad = not np.isfinite(v)
    if lo is not None:
        bad |= v <= lo if open_interval else v < lo
    if hi is not None:
        bad |= v >= hi if open_interval else v > hi
    if bad:
        how = "strictly between" if open_interval else "between"
        raise error(f"{name}={value!r} must be a finite number {how} {lo} and {hi}")
    return v


def require_choice(
    name: str, value, choices: Iterable[str], *, error: type[EccsimError] = InputError
) -> str:
    """``value`` if it is one of ``choices`` (strings); else ``error`` with a suggestion."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        sug = suggest(value, choices) if isinstance(value, str) else ""
        raise error(f"{name}={value!r} is unknown{sug}; choose one of {', '.join(choices)}")
    return value


def require_str(name: str, value, *, error: type[EccsimError] = InputError) -> str:
    """``value`` if it is a string; else ``error``."""
    if not isinstance(value, str):
        raise error(f"{name}={value!r} must be a string, not {type(value).__name__}")
    return value


def require_fields(
    obj, fields: Iterable[str], where: str, *, error: type[EccsimError] = InputError
) -> dict:
    """``obj`` if it is a dict (a JSON object) holding every key of ``fields``; else ``error``
    saying what it is or which keys are missing (for checkpoints, results, code files)."""
    if not isinstance(obj, dict):
        raise error(f"{where}: expected an object, got {type(obj).__name__}")
    missing = [k for k in fields if k not in obj]
    if missing:
        raise error(f"{where}: missing {', '.join(missing)}")
    return obj


#: largest working set one request may allocate (bytes); sizes above it are refused up front
MAX_WORKING_BYTES = 8 << 30


def check_allocation(what: str, nbytes: int, limit: int = MAX_WORKING_BYTES) -> None:
    """Refuse a request that would allocate more than ``limit`` bytes, before allocating."""
    if nbytes > limit:
        raise LimitError(
            f"{what} would need {nbytes / 2**30:.1f} GiB; the limit here is {limit / 2**30:.1f} GiB"
        )


def _range_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f" in {lo}..{hi:,}" if hi >= 10_000 else f" in {lo}..{hi}"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""
