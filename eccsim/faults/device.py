"""Device faults: errors in the bits a chip stores, or on a DQ pin, for one access (a line).

These are the faults of a memory *system* (:mod:`eccsim.system`), where a chip may protect its
stored bits with an on-die code before they leave it. A chip stores ``L`` bits per access: the
``chip_width * burst_length`` bits it sends on the bus, plus — with on-die ECC — the rest of its
on-die codeword (a half it does not send, and the on-die check bits; the order is stated in
:mod:`eccsim.system`). Faults in the storing array hit those ``L`` bits before any on-die
decoder; pin faults hit the bus after it. Every pattern is a set of flips: a stuck or garbage
chip reads as each of its bits wrong with probability 1/2, which is the same distribution for
random data.

* ``cell:K`` — K distinct random stored bits of one chip (``cell`` = ``cell:1``); finite:
  ``chips * C(L, K)`` patterns.
* ``scatter:K`` — K distinct stored bits anywhere among all the chips (errors across chips);
  finite: ``C(chips * L, K)`` patterns.
* ``pin`` — one DQ pin flips in a random non-empty set of the burst's beats (an I/O fault, after
  on-die ECC); finite: ``bus_width * (2^burst_length - 1)``.
* ``chip`` / ``chips:C`` — every stored bit of one (C distinct) chip(s) is a fair coin, each
  chip's pattern non-zero; sampled only.

Fault models know nothing of codes: ``L`` is given as a number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import FaultError
from ..module import ModuleGeometry
from ..validate import require_int, suggest
from .base import MAX_ENUMERATION
from .ranking import bit_rows, unrank_combinations


@dataclass
class DevicePatterns:
    """``m`` device-fault patterns of one access: ``cells (m, chips, L)`` bool — stored bits of
    each chip that are wrong; ``io (m, bus_width, burst_length)`` bool — bus bits flipped after
    the chips; ``site (m,)`` the chip or pin of a single-site fault (-1 otherwise)."""

    cells: np.ndarray
    io: np.ndarray
    site: np.ndarray

    @property
    def m(self) -> int:
        return self.cells.shape[0]

    @classmethod
    def empty(cls, m: int, geom: ModuleGeometry, stored: int) -> DevicePatterns:
        return cls(
            np.zeros((m, geom.chips, stored), dtype=bool),
            np.zeros((m, geom.bus_width, geom.burst_length), dtype=bool),
            np.full(m, -1, dtype=np.int64),
        )


class DeviceFault:
    """A kind of device fault (see the module docstring)."""

    name: str = "device"
    site_kind: str = ""

    def count(self, geom: ModuleGeometry, stored: int) -> int | None:
        """Number of distinct patterns, or None when the model is sampled only."""
        return None

    def is_finite(self, geom: ModuleGeometry, stored: int) -> bool:
        c = self.count(geom, stored)
        return c is not None and c <= MAX_ENUMERATION

    def require_enumerable(self, geom: ModuleGeometry, stored: int) -> int:
        c = self.count(geom, stored)
        if c is None or c > MAX_ENUMERATION:
            raise FaultError(
                f"fault {self.name!r} has {'infinitely many' if c is None else f'{c:,}'} patterns "
                f"on {geom.name}; exhaustive runs allow at most {MAX_ENUMERATION:,}; sample it "
                "(trials=N)"
            )
        return c

    def patterns_at(self, geom: ModuleGeometry, stored: int, idx: np.ndarray) -> DevicePatterns:
        """Patterns number ``idx`` of the enumeration (finite models)."""
        raise FaultError(f"fault {self.name!r} is sampled only")

    def sample(self, geom: ModuleGeometry, stored: int, rng: np.random.Generator,
               m: int) -> DevicePatterns:  # fmt: skip
        """``m`` independent random patterns drawn with ``rng``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<device fault {self.name}>"


class CellFault(DeviceFault):
    """``K`` distinct stored bits of one chip are wrong."""

    site_kind = "chip"

    def __init__(self, bits: int = 1) -> None:
        self.bits = require_int("cell:K", bits, 1, 64, error=FaultError,
                                hint=" (bits wrong in one chip)")  # fmt: skip
        self.name = "cell" if self.bits == 1 else f"cell:{self.bits}"

    def count(self, geom, stored):
        if self.bits > stored:
            raise FaultError(
                f"fault {self.name!r}: a chip of {geom.name} stores only {stored} bits"
            )
        return geom.chips * math.comb(stored, self.bits)

    def patterns_at(self, geom, stored, idx):
        per = math.comb(stored, self.bits)
        chip, rank = np.divmod(np.asarray(idx, dtype=np.int64), per)
        cells = unrank_combinations(stored, self.bits, rank)
        return self._build(geom, stored, chip, cells)

    def sample(self, geom, stored, rng, m):
        self.count(geom, stored)
        chip = rng.integers(0, geom.chips, size=m)
        cells = np.argsort(rng.random((m, stored)), axis=1)[:, : self.bits]
        return self._build(geom, stored, chip, cells)

    def _build(self, geom, stored, chip, cells):
        p = DevicePatterns.empty(chip.size, geom, stored)
        rows = np.repeat(np.arange(chip.size), self.bits)
        p.cells[rows, np.repeat(chip, self.bits), cells.ravel()] = True
        p.site[:] = chip
        return p


class ScatterFault(DeviceFault):
    """``K`` distinct stored bits anywhere among all the chips are wrong."""

    def __init__(self, bits: int = 2) -> None:
        self.bits = require_int("scatter:K", bits, 1, 64, error=FaultError,
                                hint=" (bits wrong across the chips)")  # fmt: skip
        self.name = f"scatter:{self.bits}"

    def count(self, geom, stored):
        return math.comb(geom.chips * stored, self.bits)

    def patterns_at(self, geom, stored, idx):
        cells = unrank_combinations(geom.chips * stored, self.bits, np.asarray(idx, np.int64))
        return self._build(geom, stored, cells)

    def sample(self, geom, stored, rng, m):
        total = geom.chips * stored
        if self.bits > total:
            raise FaultError(f"fault {self.name!r}: {geom.name} stores only {total} bits")
        cells = np.argsort(rng.random((m, total)), axis=1)[:, : self.bits]
        return self._build(geom, stored, cells)

    def _build(self, geom, stored, cells):
        m = cells.shape[0]
        p = DevicePatterns.empty(m, geom, stored)
        flat = p.cells.reshape(m, -1)
        flat[np.repeat(np.arange(m), self.bits), cells.ravel()] = True
        return p


class PinIOFault(DeviceFault):
    """One DQ pin flips in a random non-empty set of beats (on the bus, after on-die ECC)."""

    name = "pin"
    site_kind = "dq"

    def count(self, geom, stored):
        return geom.bus_width * ((1 << geom.burst_length) - 1)

    def patterns_at(self, geom, stored, idx):
        per = (1 << geom.burst_length) - 1
        pin, v = np.divmod(np.asarray(idx, dtype=np.int64), per)
        return self._build(geom, stored, pin, bit_rows(v + 1, geom.burst_length))

    def sample(self, geom, stored, rng, m):
        pin = rng.integers(0, geom.bus_width, size=m)
        v = rng.integers(1, 1 << geom.burst_length, size=m)
        return self._build(geom, stored, pin, bit_rows(v, geom.burst_length))

    def _build(self, geom, stored, pin, beats):
        p = DevicePatterns.empty(pin.size, geom, stored)
        p.io[np.arange(pin.size), pin] = beats
        p.site[:] = pin
        return p


class WholeChipFault(DeviceFault):
    """``C`` distinct chips each return garbage: every stored bit a fair coin (non-zero)."""

    def __init__(self, chips: int = 1) -> None:
        self.chips = require_int("chips:C", chips, 1, 64, error=FaultError,
                                 hint=" (distinct chips that fail)")  # fmt: skip
        self.name = "chip" if self.chips == 1 else f"chips:{self.chips}"
        self.site_kind = "chip" if self.chips == 1 else ""

    def sample(self, geom, stored, rng, m):
        if self.chips > geom.chips:
            raise FaultError(f"fault {self.name!r}: {geom.name} has only {geom.chips} chips")
        which = np.argsort(rng.random((m, geom.chips)), axis=1)[:, : self.chips]
        p = DevicePatterns.empty(m, geom, stored)
        for j in range(self.chips):
            bits = rng.random((m, stored)) < 0.5
            while True:  # each failing chip's pattern is non-zero
                zero = ~bits.any(axis=1)
                if not zero.any():
                    break
                bits[zero] = rng.random((int(zero.sum()), stored)) < 0.5
            p.cells[np.arange(m), which[:, j]] = bits
        if self.chips == 1:
            p.site[:] = which[:, 0]
        return p


_DEVICE = {
    "cell": ("K distinct stored bits of one chip are wrong (cell:K, default 1)", CellFault),
    "scatter": ("K distinct stored bits anywhere among the chips (scatter:K, default 2)",
                ScatterFault),
    "pin": ("one DQ pin flips in a random non-empty set of beats (bus, after on-die ECC)",
            lambda a: PinIOFault()),
    "chip": ("one chip returns garbage: every stored bit a fair coin", lambda a: WholeChipFault(1)),
    "chips": ("C distinct chips return garbage (chips:C, default 2)", WholeChipFault),
}  # fmt: skip
_DEFAULTS = {"cell": 1, "chips": 2, "scatter": 2}
_SPEC = re.compile(r"([a-z]+)(?::([0-9]{1,6}))?")


def device_fault_names() -> dict[str, str]:
    """Device fault names with a one-line description each."""
    return {k: v[0] for k, v in _DEVICE.items()}


def get_device_fault(spec: str | DeviceFault) -> DeviceFault:
    """Parse ``cell``, ``cell:2``, ``pin``, ``chip``, ``chips:2``."""
    if isinstance(spec, DeviceFault):
        return spec
    if not isinstance(spec, str):
        raise FaultError(f"fault={spec!r} must be a device fault name, not {type(spec).__name__}")
    m = _SPEC.fullmatch(spec.strip())
    known = ", ".join(_DEVICE)
    if not m or m.group(1) not in _DEVICE:
        base = spec.split(":")[0]
        raise FaultError(
            f"unknown device fault {spec!r}{suggest(base, list(_DEVICE))}; memory-system "
            f"faults are {known} (parameters as cell:K, chips:C)"
        )
    base, arg = m.group(1), m.group(2)
    if base in ("pin", "chip"):
        if arg is not None:
            raise FaultError(f"fault {base!r} takes no parameter (got {spec!r})")
        return _DEVICE[base][1](None)
    return _DEVICE[base][1](_DEFAULTS[base] if arg is None else int(arg))


__all__ = [
    "CellFault",
    "DeviceFault",
    "DevicePatterns",
    "PinIOFault",
    "ScatterFault",
    "WholeChipFault",
    "device_fault_names",
    "get_device_fault",
]
