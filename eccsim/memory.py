"""A simulated memory module holding real codewords: write lines (each beat's word is encoded),
inject faults on physical chips and pins, read lines back (decoded), scrub.

Transient faults (flips) change the stored bits once — a later write or a scrub repairs them.
Permanent faults (stuck-at) are remembered and applied to every read, and survive writes, as a
broken cell would.

A sampled codeword-local fault (``bit``, ``bits:K``, ``burst``, a single-beat ``chip``) lands in
a codeword of the line drawn uniformly from all of them; to target one, fix it in the model
(``BitFlips(bits, slot=s)``, ``RandomBits(k, slot=s)``, ``ChipFault(beat=t)``).
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .bits import data_words
from .codec import decode, encode
from .codes import LinearCode, get_code
from .errors import InputError
from .faults import FaultModel, FaultPatterns, get_fault
from .injection import validate_line_data
from .module import ModuleGeometry, get_module
from .validate import MAX_WORKING_BYTES, check_allocation, require_int


def available_bytes() -> int | None:
    """Physical memory free now (bytes), or None where the system does not say."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return None


class LineRead(NamedTuple):
    """Lines read back: decoded data ``(m, S, W)`` uint64, and per codeword the decoder status
    ``(m, S)`` int32 (-1 clean, -2 detected uncorrectable, p >= 0 corrected pattern/bit)."""

    data: np.ndarray
    status: np.ndarray


class Memory:
    """``lines`` lines of ``module``, protected by ``code`` (whose (n, k) must fit the module).

    The store (data words and check bits of every codeword) is sized before it is allocated:
    more than :data:`~eccsim.validate.MAX_WORKING_BYTES` or than the memory free now is
    refused with :class:`~eccsim.errors.LimitError`, as are the stuck-at masks (about twice the
    store again) when the first stuck-at fault would need more than is free."""

    def __init__(
        self, code: LinearCode | str, module: ModuleGeometry | str, lines: int, *, seed: int = 0
    ) -> None:
        self.code = get_code(code)
        self.module = get_module(module)
        self.module.check_code(self.code)
        self.lines = require_int("lines", lines, 1, hint=" (a positive integer)")
        seed = require_int("seed", seed, 0)
        S, W = self.module.slots, data_words(self.code.k)
        # sizes first: the stored words and check bits must fit the working-set limit and the
        # memory free now, before anything is allocated
        per_line = S * (8 * W + self.code.check_dtype.itemsize)
        limit = self._limit()
        check_allocation(
            f"lines={self.lines:,} of {self.module.name} ({per_line} bytes a line; at most "
            f"{limit // per_line:,} lines fit)",
            self.lines * per_line,
            limit=limit,
        )
        self.data = np.zeros((self.lines, S, W), dtype=np.uint64)
        self.check = np.zeros((self.lines, S), dtype=self.code.check_dtype)  # encode(0) = 0
        self._stuck = None  # (stuck0_data, stuck0_check, stuck1_data, stuck1_check), lazily
        self._rng = np.random.default_rng(seed)  # successive random faults are independent

    # ----- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _limit() -> int:
        avail = available_bytes()
        return MAX_WORKING_BYTES if not avail else min(MAX_WORKING_BYTES, avail)

    def _check_size(self, what: str, nbytes: int) -> None:
        check_allocation(what, nbytes, limit=self._limit())

    def _rows(self, lines) -> np.ndarray:
        try:
            idx = np.atleast_1d(
                np.arange(self.lines)[lines] if isinstance(lines, slice) else np.asarray(lines)
            )
        except (TypeError, ValueError):
            idx = np.zeros((), dtype=object)
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise InputError("lines must be an int, a slice or a 1-D array of line indices")
        if idx.size and (idx.min() < 0 or idx.max() >= self.lines):
            raise InputError(f"line indices must lie in 0..{self.lines - 1}")
        return idx.astype(np.int64)

    def _flat(self, a: np.ndarray) -> np.ndarray:
        W = a.shape[-1]
        return a.reshape(-1, W).squeeze(-1) if W == 1 else a.reshape(-1, W)

    # ----- the memory operations --------------------------------------------------------------
    def write(self, lines, data: np.ndarray) -> None:
        """Store ``data`` (uint64 ``(m, S)`` or ``(m, S, W)``, one row per line) at ``lines``,
        encoding every codeword."""
        idx = self._rows(lines)
        d = validate_line_data(np.asarray(data), self.module)
        if d.shape[0] != idx.size:
            raise InputError(
                f"data holds {d.shape[0]} lines but {idx.size} line indices were given"
            )
        self.data[idx] = d
        self.check[idx] = encode(self.code, self._flat(np.ascontiguousarray(d))).reshape(
            d.shape[:2]
        )

    def inject(
        self, lines, fault: FaultModel | str | FaultPatterns, *, seed: int | None = None
    ) -> FaultPatterns:
        """Apply one fault pattern to each of ``lines`` (repeats allowed: both faults land):
        sampled from ``fault`` — with the memory's own generator, so successive calls are
        independent, or with a fresh one from ``seed`` — or a given :class:`FaultPatterns`
        batch (one pattern per line). Flips change the stored bits; stuck-at bits are kept
        and applied to every later read. Returns the patterns."""
        idx = self._rows(lines)
        if isinstance(fault, FaultPatterns):
            pats = fault
            if pats.m != idx.size:
                raise InputError(f"{pats.m} fault patterns for {idx.size} lines")
            want = self.data.shape[1:]
            if pats.flip_data.shape[1:] != want or pats.flip_check.shape[1:] != want[:1]:
                raise InputError(
                    f"fault patterns of shape {pats.flip_data.shape[1:]} do not fit lines of "
                    f"{want[0]} codewords of {want[1]} data words"
                )
        else:
            if seed is not None:
                seed = require_int("seed", seed, 0, hint=" (or None: the memory's generator)")
            rng = self._rng if seed is None else np.random.default_rng(seed)
            pats = get_fault(fault).sample(self.module, rng, idx.size)
        # ufunc.at: a line listed twice receives both patterns
        np.bitwise_xor.at(self.data, idx, pats.flip_data)
        np.bitwise_xor.at(self.check, idx, pats.flip_check.astype(self.check.dtype))
        if pats.has_stuck:
            if self._stuck is None:
                self._check_size(
                    "the stuck-at masks of the memory", 2 * (self.data.nbytes + self.check.size * 8)
                )
                self._stuck = [np.zeros_like(self.data), np.zeros(self.check.shape, np.uint64),
                               np.zeros_like(self.data), np.zeros(self.check.shape, np.uint64)]  # fmt: skip
            new = (pats.stuck0_data, pats.stuck0_check, pats.stuck1_data, pats.stuck1_check)
            for acc, add in zip(self._stuck, new, strict=True):
                np.bitwise_or.at(acc, idx, add)
        return pats

    def raw(self, lines) -> tuple[np.ndarray, np.ndarray]:
        """The bits the chips return for ``lines`` (stored bits with stuck-at cells applied)."""
        idx = self._rows(lines)
        d, c = self.data[idx], self.check[idx].astype(np.uint64)
        if self._stuck is not None:
            s0d, s0c, s1d, s1c = (a[idx] for a in self._stuck)
            d = (d & ~s0d) | s1d
            c = (c & ~s0c) | s1c
        return np.ascontiguousarray(d), np.ascontiguousarray(c.astype(self.check.dtype))

    def read(self, lines) -> LineRead:
        """Read and decode ``lines``."""
        d, c = self.raw(lines)
        m, S, W = d.shape
        out = decode(self.code, self._flat(d), c.reshape(-1))
        return LineRead(out.data.reshape(m, S, W), out.status.reshape(m, S))

    def scrub(self) -> dict[str, int]:
        """Read every line, write corrected codewords back (stuck cells stay stuck); returns
        word counts ``{"clean", "corrected", "uncorrectable"}``."""
        d, c = self.raw(slice(None))
        W = d.shape[-1]
        out = decode(self.code, self._flat(d), c.reshape(-1))
        fixed = out.status >= 0
        self.data.reshape(-1, W)[fixed] = out.data.reshape(-1, W)[fixed]
        self.check.reshape(-1)[fixed] = out.check[fixed]
        return {"clean": int((out.status == -1).sum()), "corrected": int(fixed.sum()),
                "uncorrectable": int((out.status == -2).sum())}  # fmt: skip
