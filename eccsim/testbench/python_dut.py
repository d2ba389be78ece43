"""A Python encoder/decoder as the device under test.

**Vectorized** callables (the default, and the fast way) take and return arrays in the DUT
layout of :mod:`eccsim.testbench.dut`::

    encode(data)         -> check      # data (N, W) uint64, W = ceil(k / 64); check (N,) uints
    decode(data, check)  -> DecodeOut  # or a tuple (data, check or None, corrected, uncorrectable)

``data`` is always 2-D — ``(N, 1)`` for ``k <= 64`` — and a fresh copy each call (the callable
may modify it); the decoder may return data as ``(N, W)`` or, for ``k <= 64``, ``(N,)``; flags
are ``(N,)`` arrays of bools or 0/1.

**Per-word** callables (``vectorized=False``; simple, about a million times slower per word
than numpy, fine for a few hundred thousand decodes) take Python ints: ``encode(data_int) ->
check_int`` and ``decode(data_int, check_int) -> (data_int, check_int or None, corrected,
uncorrectable)`` with the flags as bools (or 0/1).

**Misbehaviour** becomes :class:`~eccsim.testbench.dut.DUTError` naming the DUT and the call:
an exception inside the user's code, a result of the wrong type, shape or dtype, or a call
running past ``timeout_s`` (per batch for vectorized callables, per word for per-word ones).
The time limit uses ``signal.setitimer`` / ``SIGALRM`` and so works only in the main thread
of the main interpreter; elsewhere calls run without a limit. It interrupts Python code and
sleeps, not one long C call (a single numpy operation finishes first).

:func:`load_python_dut` builds one from a command-line spec: ``path/to/file.py:ENC,DEC`` or
``package.module:ENC,DEC`` (two callables), or ``file.py:FACTORY`` / ``module:FACTORY`` (a
callable with no arguments returning a DUT object, or a pair ``(encode, decode)``).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import signal
import sys
import threading
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..errors import InputError
from ..validate import is_int, require_int, require_number
from .dut import DecodeOut, DUTError, check_decode_output, check_encode_output

MAX_K = 4096  #: most data bits a DUT may have (eccsim's n <= 4096)
MAX_R = 64  #: most check bits (one uint64 per word)


class _Timeout(BaseException):
    """Raised by the SIGALRM handler inside the user's code (BaseException: a bare
    ``except Exception`` in the user's code does not swallow it)."""


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_sizes(k, r) -> tuple[int, int]:
    """``k`` and ``r`` of a DUT, checked (1 <= k <= 4096 - r, 1 <= r <= 64)."""
    k = require_int("k", k, 1, MAX_K - 1, hint=" (the DUT's data bits)")
    r = require_int("r", r, 1, MAX_R, hint=" (the DUT's check bits)")
    if k + r > MAX_K:
        raise InputError(f"k={k} and r={r} make n={k + r} codeword bits; at most {MAX_K}")
    return k, r


@contextlib.contextmanager
def time_limit(seconds: float | None, on_timeout):
    """Run the block under a SIGALRM limit of ``seconds`` (main thread only; otherwise, or with
    ``None``, no limit); ``on_timeout()`` builds the exception raised when it runs out."""
    if (
        seconds is None
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
    ):
        yield
        return

    def handler(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        except _Timeout:
            raise on_timeout() from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)


class PythonDUT:
    """A DUT made of two Python callables (see the module docstring).

    Parameters
    ----------
    encode, decode:
        The user's encoder and decoder.
    k, r:
        Data and check bits of the DUT's code.
    name:
        Shown in reports and messages (default: the encoder's module and name).
    vectorized:
        True: the callables work on whole batches (arrays); False: one word at a time (ints).
    timeout_s:
        Time limit per call (per batch when vectorized, per word otherwise), or None.
    """

    kind = "python"

    def __init__(
        self,
        encode,
        decode,
        *,
        k: int,
        r: int,
        name: str | None = None,
        vectorized: bool = True,
        timeout_s: float | None = 10.0,
    ) -> None:
        if not callable(encode):
            raise InputError(f"encode={encode!r} must be a callable (the DUT's encoder)")
        if not callable(decode):
            raise InputError(f"decode={decode!r} must be a callable (the DUT's decoder)")
        self.k, self.r = check_sizes(k, r)
        if not isinstance(vectorized, bool):
            raise InputError(f"vectorized={vectorized!r} must be True or False")
        if timeout_s is not None:
            timeout_s = require_number("timeout_s", timeout_s, 0, 86400.0, open_interval=True)
        if name is None:
            name = f"{getattr(encode, '__module__', None) or 'python'}." + getattr(
                encode, "__qualname__", type(encode).__name__
            )
        if not isinstance(name, str) or not name.strip() or not name.isprintable():
            raise InputError(f"name={name!r} must be a non-empty one-line string")
        self.name = name[:100]
        self._encode, self._decode = encode, decode
        self.vectorized = vectorized
        self.timeout_s = timeout_s
        self.words = data_words(self.k)

    # ----- the DUT interface -------------------------------------------------------------------
    def encode(self, data: np.ndarray) -> np.ndarray:
        d = self._data(data)
        n = d.shape[0]
        if self.vectorized:
            out = self._call("encode", self._encode, d.copy())
            return check_encode_output(self.name, out, n, self.r)
        out = np.empty(n, dtype=np.uint64)
        for i, x in enumerate(_ints(d)):
            c = self._call("encode", self._encode, x, word=i)
            out[i] = self._int(c, self.r, "encode", "check bits", i)
        return out

    def decode(self, data: np.ndarray, check: np.ndarray) -> DecodeOut:
        d = self._data(data)
        n = d.shape[0]
        c = np.asarray(check, dtype=np.uint64)
        if c.shape != (n,):
            raise InputError(f"check must have shape ({n},) to match data, got {c.shape}")
        if self.vectorized:
            out = self._call("decode", self._decode, d.copy(), c.copy())
            if isinstance(out, tuple):
                if len(out) != 4:
                    raise DUTError(
                        f"DUT {self.name!r}: decode returned a tuple of {len(out)} items; expected "
                        "(data, check or None, corrected, uncorrectable)"
                    )
                out = DecodeOut(*out)
            elif not isinstance(out, DecodeOut):
                raise DUTError(
                    f"DUT {self.name!r}: decode returned {type(out).__name__}; expected a "
                    "DecodeOut or a tuple (data, check or None, corrected, uncorrectable)"
                )
            return check_decode_output(self.name, out, n, self.words, self.r)
        od = np.zeros((n, self.words), dtype=np.uint64)
        oc = np.zeros(n, dtype=np.uint64)
        corr = np.zeros(n, dtype=bool)
        unc = np.zeros(n, dtype=bool)
        has_check = True
        for i, (x, cx) in enumerate(zip(_ints(d), c.tolist(), strict=True)):
            res = self._call("decode", self._decode, x, int(cx), word=i)
            if not isinstance(res, tuple | list) or len(res) != 4:
                raise DUTError(
                    f"DUT {self.name!r}: decode (word {i}) returned {_short(res)}; expected a "
                    "tuple (data, check or None, corrected, uncorrectable)"
                )
            v = self._int(res[0], self.k, "decode", "data", i, bound=64 * self.words)
            for w in range(self.words):
                od[i, w] = (v >> (64 * w)) & 0xFFFF_FFFF_FFFF_FFFF
            if res[1] is None:
                has_check = False
            else:
                oc[i] = self._int(res[1], self.r, "decode", "check bits", i)
            corr[i] = self._flag(res[2], "corrected", i)
            unc[i] = self._flag(res[3], "uncorrectable", i)
        return DecodeOut(od, oc if has_check else None, corr, unc)

    def close(self) -> None:
        """Nothing to release (part of the DUT interface)."""

    def __enter__(self) -> PythonDUT:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        how = "vectorized" if self.vectorized else "per-word"
        return f"PythonDUT(name={self.name!r}, k={self.k}, r={self.r}, {how})"

    # ----- helpers -----------------------------------------------------------------------------
    def _data(self, data) -> np.ndarray:
        d = np.asarray(data)
        if d.ndim == 1 and self.words == 1:
            d = d.reshape(-1, 1)
        if d.dtype != np.uint64 or d.ndim != 2 or d.shape[1] != self.words:
            raise InputError(
                f"data for DUT {self.name!r} must be a (N, {self.words}) uint64 array, got "
                f"{d.dtype} {d.shape}"
            )
        return np.ascontiguousarray(d)

    def _call(self, what: str, fn, *args, word: int | None = None):
        where = what if word is None else f"{what} (word {word})"

        def timed_out():
            limit = f"{self.timeout_s:g} s"
            per = "per batch" if word is None else "per word"
            return DUTError(f"DUT {self.name!r}: {where} ran past the time limit of {limit} {per}")

        try:
            with time_limit(self.timeout_s, timed_out):
                return fn(*args)
        except DUTError:
            raise
        except _Timeout:  # the alarm went off just as the call returned
            raise timed_out() from None
        except Exception as exc:  # anything the user's code raises
            raise DUTError(f"DUT {self.name!r}: {where} raised {_one_line(exc)}") from None

    def _int(self, v, bits: int, what: str, label: str, i: int, bound: int | None = None) -> int:
        if isinstance(v, np.ndarray) and v.shape == ():
            v = v.item()
        if not is_int(v):
            raise DUTError(
                f"DUT {self.name!r}: {what} (word {i}) returned {label} {_short(v)}, not an integer"
            )
        v = int(v)
        if v < 0 or v >> bits:
            raise DUTError(
                f"DUT {self.name!r}: {what} (word {i}) returned {label} {v:#x}, not a "
                f"{bits}-bit non-negative integer"
            )
        return v

    def _flag(self, v, label: str, i: int) -> bool:
        if isinstance(v, bool | np.bool_) or (is_int(v) and int(v) in (0, 1)):
            return bool(v)
        raise DUTError(
            f"DUT {self.name!r}: decode (word {i}) returned {label}={_short(v)}; expected a bool"
        )


def _ints(d: np.ndarray):
    """Each row of ``d (N, W)`` as one Python int (word w holds bits 64w .. 64w+63)."""
    if d.shape[1] == 1:
        yield from (int(x) for x in d[:, 0].tolist())
        return
    for row in d.tolist():
        v = 0
        for w, x in enumerate(row):
            v |= int(x) << (64 * w)
        yield v


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----- loading a DUT named on the command line ----------------------------------------------------
def _looks_like_dut(obj) -> bool:
    return all(hasattr(obj, a) for a in ("encode", "decode", "k", "r")) and not isinstance(
        obj, type
    )


def load_python_dut(
    spec: str,
    *,
    k: int | None = None,
    r: int | None = None,
    vectorized: bool = True,
    timeout_s: float | None = 10.0,
    name: str | None = None,
):
    """A DUT from ``spec``: ``FILE.py:ENC,DEC`` or ``module:ENC,DEC`` (two callables, wrapped
    in a :class:`PythonDUT` of ``k`` data and ``r`` check bits), or ``FILE.py:FACTORY`` /
    ``module:FACTORY`` (called with no arguments; it returns a DUT object — anything with
    ``encode``, ``decode``, ``k`` and ``r`` — or a pair ``(encode, decode)``). ``k`` and ``r``
    are needed for callables; for a DUT object, when given, they must agree with it.

    A spec that cannot be parsed, a missing file or name is an
    :class:`~eccsim.errors.InputError`; the user's code failing while it loads (or in the
    factory) is a :class:`DUTError`."""
    if not isinstance(spec, str) or ":" not in spec:
        raise InputError(
            f"--python {spec!r}: write FILE.py:ENCODE,DECODE, module:ENCODE,DECODE or "
            "FILE.py:FACTORY (a colon before the names)"
        )
    where, _, names_text = spec.rpartition(":")
    names = [x.strip() for x in names_text.split(",")]
    if not where or len(names) not in (1, 2) or not all(x.isidentifier() for x in names):
        raise InputError(
            f"--python {spec!r}: after the colon name one factory or two callables, e.g. "
            "ecc.py:encode,decode"
        )
    module = _import(where, spec)
    objs = []
    for x in names:
        if not hasattr(module, x):
            raise InputError(f"--python {spec!r}: {where} has no attribute {x!r}")
        objs.append(getattr(module, x))
    if len(objs) == 1:
        factory = objs[0]
        if not callable(factory):
            raise InputError(f"--python {spec!r}: {names[0]} is not callable (a factory)")
        try:
            made = factory()
        except Exception as exc:  # the user's factory
            raise DUTError(f"--python {spec!r}: {names[0]}() raised {_one_line(exc)}") from None
        if _looks_like_dut(made):
            for label, want in (("k", k), ("r", r)):
                if want is not None and getattr(made, label) != want:
                    raise InputError(
                        f"--{label} {want}: the DUT from {spec!r} has {label}="
                        f"{getattr(made, label)}"
                    )
            return made
        if isinstance(made, tuple | list) and len(made) == 2:
            objs = list(made)
        else:
            raise DUTError(
                f"--python {spec!r}: {names[0]}() returned {type(made).__name__}; a factory "
                "returns a DUT object (encode, decode, k, r) or a pair (encode, decode)"
            )
    if k is None or r is None:
        raise InputError(f"--python {spec!r}: give the DUT's sizes with --k and --r")
    return PythonDUT(
        objs[0],
        objs[1],
        k=k,
        r=r,
        vectorized=vectorized,
        timeout_s=timeout_s,
        name=name or f"{Path(where).stem}:{names_text}",
    )


def _import(where: str, spec: str):
    path = Path(where)
    if where.endswith(".py") or path.suffix or "/" in where or "\\" in where:
        if not path.is_file():
            raise InputError(f"--python {spec!r}: file {where!r} does not exist")
        modname = f"_eccsim_dut_{abs(hash(str(path.resolve())))}"
        try:
            mspec = importlib.util.spec_from_file_location(modname, path)
            if mspec is None or mspec.loader is None:
                raise InputError(f"--python {spec!r}: {where!r} is not a Python file")
            module = importlib.util.module_from_spec(mspec)
            sys.modules[modname] = module
            mspec.loader.exec_module(module)
        except InputError:
            raise
        except Exception as exc:  # the user's module failed while it loaded
            sys.modules.pop(modname, None)
            raise DUTError(f"--python {spec!r}: loading {where} raised {_one_line(exc)}") from None
        return module
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name and where.startswith(exc.name):
            raise InputError(f"--python {spec!r}: no module named {where!r}") from None
        raise DUTError(f"--python {spec!r}: importing {where} raised {_one_line(exc)}") from None
    except Exception as exc:
        raise DUTError(f"--python {spec!r}: importing {where} raised {_one_line(exc)}") from None


__all__ = ["PythonDUT", "load_python_dut", "time_limit"]
