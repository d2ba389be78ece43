"""Codeword-local faults: the error lands in one codeword (slot) of the line.

Sampling (``sample``, and so :meth:`eccsim.memory.Memory.inject` and Monte Carlo runs) puts
each pattern in a slot drawn uniformly from the line's codewords, or in the slot fixed by
``slot=``. Enumeration (exhaustive runs) lists each error once, in slot 0 (or the fixed slot):
a flip's outcome depends only on the error pattern, not on the stored data (the code is
linear: the syndrome of ``c ^ e`` is the syndrome of ``e``), and every slot of a line holds a
codeword of the same code, so the same error in another slot has the same outcome. Counting it
once per slot would multiply every count by ``S`` and change no rate.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import FaultError
from ..validate import is_int, require_int
from .base import FaultModel, _optional_index
from .patterns import FLIP, FaultPatterns
from .ranking import bit_rows, unrank_combinations
from .sampling import _distinct_random, random_slots


class _SlotModel(FaultModel):
    """Shared by the codeword-local models: the optional fixed ``slot``."""

    slot: int | None = None

    def _set_slot(self, slot) -> None:
        self.slot = _optional_index("slot", slot, " (the codeword of the line; None: random)")
        if self.slot is not None:
            self.name += f"@slot{self.slot}"

    def _check_slot(self, geom) -> None:
        if self.slot is not None and not 0 <= self.slot < geom.slots:
            raise FaultError(
                f"slot={self.slot} must lie in 0..{geom.slots - 1} ({geom.name} holds "
                f"{geom.slots} codewords per line)"
            )

    def _enum_slots(self, m: int) -> np.ndarray:
        return np.full(m, self.slot or 0, dtype=np.int64)

    @staticmethod
    def _from_positions(geom, pos: np.ndarray, slots: np.ndarray) -> FaultPatterns:
        """Flip codeword bits ``pos (m, c)`` of codeword ``slots (m,)`` of each line."""
        m, c = pos.shape
        p = FaultPatterns.empty(m, geom)
        rows = np.repeat(np.arange(m), c)
        p.set_bits(FLIP, rows, slots[rows], pos.ravel(), geom.k)
        return p


class BitFlips(_SlotModel):
    """Flip the given codeword bit positions (0..n-1) of one codeword: the one at ``slot``, or
    (``slot=None``) a random codeword of the line when sampled. One pattern."""

    def __init__(self, bits, slot: int | None = None) -> None:
        if isinstance(bits, str | bytes) or is_int(bits):
            raise FaultError(f"bits={bits!r} must be a list of codeword bit positions")
        try:
            items = list(bits)
        except TypeError:
            raise FaultError(f"bits={bits!r} must be a list of codeword bit positions") from None
        for b in items:
            if not is_int(b):
                raise FaultError(
                    f"bits={bits!r}: position {b!r} is not a whole number (codeword bit positions)"
                )
        seen: set[int] = set()
        for b in map(int, items):
            if b in seen:
                raise FaultError(
                    f"bits={bits!r}: position {b} is repeated; flipping a bit twice leaves it "
                    "unchanged (list each position once)"
                )
            seen.add(b)
        self.bits = tuple(sorted(seen))
        if not self.bits:
            raise FaultError("bits: give at least one bit position")
        self.name = "flip[" + ",".join(map(str, self.bits)) + "]"
        self._set_slot(slot)

    def count(self, geom):
        return 1

    def _validate(self, geom):
        if self.bits[0] < 0 or self.bits[-1] >= geom.n:
            raise FaultError(
                f"bits={self.bits}: positions must lie in 0..{geom.n - 1} (bits of one codeword; "
                "choose the codeword with slot=)"
            )
        self._check_slot(geom)

    def _build(self, geom, slots):
        self._validate(geom)
        pos = np.tile(np.array(self.bits, dtype=np.int64), (slots.size, 1))
        return self._from_positions(geom, pos, slots)

    def _patterns_at(self, geom, idx):
        return self._build(geom, self._enum_slots(idx.size))

    def sample(self, geom, rng, m):
        self._validate(geom)
        if self.slot is None and rng is None:
            raise FaultError("BitFlips with slot=None needs a random generator to pick the slot")
        return self._build(geom, random_slots(rng, m, geom, self.slot))


class RandomBits(_SlotModel):
    """``count`` distinct random bits of one codeword flip (all C(n, count) equally likely);
    the codeword is ``slot``, or random when sampled (see the module docstring)."""

    def __init__(self, count: int, slot: int | None = None) -> None:
        self.bit_count = require_int(
            "count", count, 1, error=FaultError, hint=" (the number of flipped bits)"
        )
        self.name = f"bits:{self.bit_count}"
        self._set_slot(slot)

    def _validate(self, geom):
        if self.bit_count > geom.n:
            raise FaultError(f"count={self.bit_count} exceeds the codeword length n={geom.n}")
        self._check_slot(geom)

    def count(self, geom):
        self._validate(geom)
        return math.comb(geom.n, self.bit_count)

    def _patterns_at(self, geom, idx):
        pos = unrank_combinations(geom.n, self.bit_count, idx)
        return self._from_positions(geom, pos, self._enum_slots(idx.size))

    def sample(self, geom, rng, m):
        self._validate(geom)
        pos = _distinct_random(rng, m, self.bit_count, geom.n)
        return self._from_positions(geom, pos, random_slots(rng, m, geom, self.slot))


class Burst(_SlotModel):
    """A burst of ``length`` adjacent codeword bits (bit order of :mod:`eccsim.bits`) in one
    codeword (``slot``, or random when sampled).

    ``solid=True`` flips all of them; ``solid=False`` flips the first and last and each bit in
    between at random (the classic burst-error definition)."""

    def __init__(self, length: int, solid: bool = True, slot: int | None = None) -> None:
        self.length = require_int(
            "length", length, 1, error=FaultError, hint=" (a burst length in bits)"
        )
        if not isinstance(solid, bool | np.bool_):
            raise FaultError(f"solid={solid!r} must be True or False")
        self.solid = bool(solid)
        L = self.length
        self.name = f"burst:{L}" if self.solid else f"burst-random:{L}"
        self._set_slot(slot)

    def _validate(self, geom):
        if self.length > geom.n:
            raise FaultError(f"length={self.length} exceeds the codeword length n={geom.n}")
        self._check_slot(geom)

    def _inner(self) -> int:
        return 1 if self.solid or self.length <= 2 else 1 << (self.length - 2)

    def count(self, geom):
        self._validate(geom)
        return (geom.n - self.length + 1) * self._inner()

    def _build(self, geom, starts, interiors, slots):
        m = starts.size
        L = self.length
        mask = np.ones((m, L), dtype=bool)
        if L > 2:
            mask[:, 1:-1] = interiors
        rows, off = np.nonzero(mask)
        p = FaultPatterns.empty(m, geom)
        p.set_bits(FLIP, rows, slots[rows], starts[rows] + off, geom.k)
        return p

    def _patterns_at(self, geom, idx):
        # pattern i: start i // inner, interior bits = the bits of i % inner
        inner = self._inner()
        starts, v = np.divmod(idx, inner)
        if inner > 1:
            inter = bit_rows(v, self.length - 2)
        else:
            inter = np.ones((idx.size, max(self.length - 2, 0)), dtype=bool)
        return self._build(geom, starts, inter, self._enum_slots(idx.size))

    def sample(self, geom, rng, m):
        self._validate(geom)
        starts = rng.integers(0, geom.n - self.length + 1, size=m, dtype=np.int64)
        if self.solid or self.length <= 2:
            inter = np.ones((m, max(self.length - 2, 0)), dtype=bool)
        else:
            inter = rng.integers(0, 2, size=(m, self.length - 2), dtype=np.int8).astype(bool)
        return self._build(geom, starts, inter, random_slots(rng, m, geom, self.slot))
