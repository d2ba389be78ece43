"""The fault-model interface: how many patterns a model has, pattern number ``i`` of its
enumeration (so exhaustive runs build one block at a time), and seeded sampling."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..bits import data_words
from ..errors import FaultError
from ..module import ModuleGeometry
from ..validate import check_allocation, require_choice, require_int
from .patterns import FLIP, MODES, STUCK0, STUCK1, FaultPatterns

MAX_ENUMERATION = 20_000_000
_MODE_SUFFIX = {FLIP: "", STUCK0: "-stuck-0", STUCK1: "-stuck-1"}


class FaultModel(ABC):
    """A kind of fault. Subclasses say how many patterns exist (:meth:`count`), build pattern
    number ``i`` of their enumeration order (``_patterns_at``), and sample patterns.

    Enumeration is by index, never by listing: :meth:`enumerate_range` builds patterns
    ``start .. stop-1`` only, so an exhaustive run needs memory for one block of patterns
    however many the model has. (Subclasses written against the older interface may implement
    ``_enumerate`` — all patterns at once — instead; ``_patterns_at`` then selects from it.)"""

    #: short name used in tables and on the command line
    name: str = "fault"
    #: what ``site`` means for this model ("chip", "dq" or "")
    site_kind: str = ""

    @abstractmethod
    def count(self, geom: ModuleGeometry) -> int | None:
        """Number of distinct patterns, or ``None`` when the model is not finite (enumerable)."""

    @abstractmethod
    def sample(self, geom: ModuleGeometry, rng: np.random.Generator, m: int) -> FaultPatterns:
        """``m`` independent random patterns drawn with ``rng``."""

    def _patterns_at(self, geom: ModuleGeometry, idx: np.ndarray) -> FaultPatterns:
        """Patterns number ``idx`` (int64 array, each in ``0..count-1``) of the enumeration."""
        return self._enumerate(geom).select(idx)

    def _enumerate(self, geom: ModuleGeometry) -> FaultPatterns:
        return self._patterns_at(geom, np.arange(self.count(geom), dtype=np.int64))

    def is_finite(self, geom: ModuleGeometry) -> bool:
        c = self.count(geom)
        return c is not None and c <= MAX_ENUMERATION

    def require_enumerable(self, geom: ModuleGeometry) -> int:
        """The pattern count; :class:`FaultError` when the model cannot be enumerated."""
        c = self.count(geom)
        if c is None or c > MAX_ENUMERATION:
            raise FaultError(
                f"fault {self.name!r} has {'infinitely many' if c is None else c} patterns on "
                f"{geom.name}; exhaustive runs allow at most {MAX_ENUMERATION}; use sampling: trials=N "
                "(--trials N)"
            )
        return c

    def patterns_at(self, geom: ModuleGeometry, idx) -> FaultPatterns:
        """Patterns number ``idx`` (integers in ``0..count-1``, repeats allowed) of this model's
        enumeration order, built without building the others."""
        total = self.require_enumerable(geom)
        idx = np.asarray(idx)
        if idx.dtype.kind not in "iu":
            raise FaultError("pattern numbers must be integers")
        idx = idx.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= total):
            raise FaultError(f"pattern numbers must lie in 0..{total - 1} for fault {self.name!r}")
        return self._patterns_at(geom, idx)

    def enumerate_range(self, geom: ModuleGeometry, start: int, stop: int) -> FaultPatterns:
        """Patterns ``start .. stop-1`` of the enumeration (one block of an exhaustive run)."""
        total = self.require_enumerable(geom)
        start = require_int("start", start, 0, total, error=FaultError)
        stop = require_int("stop", stop, start, total, error=FaultError)
        return self._patterns_at(geom, np.arange(start, stop, dtype=np.int64))

    def enumerate(self, geom: ModuleGeometry) -> FaultPatterns:
        """Every pattern of this model once (raises :class:`FaultError` if not enumerable, and
        :class:`~eccsim.errors.LimitError` if they would not fit in memory at once; exhaustive
        runs use :meth:`enumerate_range` block by block instead)."""
        total = self.require_enumerable(geom)
        per = geom.slots * (8 * data_words(geom.k) + 8) * (3 if self.data_dependent else 1)
        check_allocation(f"all {total} patterns of fault {self.name!r}", total * per)
        return self._patterns_at(geom, np.arange(total, dtype=np.int64))

    @property
    def data_dependent(self) -> bool:
        """True when the error depends on the stored bits (stuck-at faults)."""
        return False

    def __repr__(self) -> str:
        return f"<fault {self.name}>"


def _check_mode(mode: str) -> str:
    return require_choice("mode", mode, MODES, error=FaultError)


def _optional_index(name: str, value, hint: str = "") -> int | None:
    """``None``, or a whole number (its range is checked against the module when used)."""
    if value is None:
        return None
    return require_int(name, value, error=FaultError, hint=hint)
