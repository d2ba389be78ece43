"""Field fault rates: per-device FIT rates of DRAM fault modes, transient and permanent, and each
mode's footprint in a chip.

**FIT** = failures in time: expected faults per 10^9 device-hours. The default table is the DRAM
field study of Sridharan & Liberty (SC'12, the Jaguar supercomputer), FIT per device,
transient / permanent::

    bit 14.2 / 18.6    word 1.4 / 0.3    column 1.4 / 5.6    row 0.2 / 8.2
    bank 0.8 / 10.0    multi-bank 0.3 / 1.4    multi-rank 0.9 / 2.8

**Footprints** (what a fault of each mode makes unreliable in its chip; a line is one burst of
the module at one bank, row and column address, ``burst_length`` beats):

* ``bit`` — one cell: one pin in one beat of one line (a fixed bit);
* ``word`` — every bit the chip sends in one line;
* ``column`` — one beat's bits (one column address) of one line position, in every row of a bank;
* ``row`` — every bit the chip sends in every line of one row;
* ``bank`` — every line of one bank; ``multi-bank`` — every bank;
* ``multi-rank`` — every bank, in every rank (the same chip position of each rank).

A region's bits read back as random data (each wrong with probability 1/2, data unknown) except
a ``bit`` fault's cell, which is wrong. Tables load from TOML (``[fit]`` with one
``mode = {transient = .., permanent = ..}`` per mode, or ``mode = [transient, permanent]``) or
CSV (``mode,transient,permanent`` rows, optional header); a bad table is one
:class:`~eccsim.errors.InputError` naming the row.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..safeio import read_text
from ..validate import suggest

MODES = ("bit", "word", "column", "row", "bank", "multi-bank", "multi-rank")
#: Sridharan & Liberty, SC'12 (Jaguar), FIT per device: (transient, permanent)
DEFAULT_FIT = {
    "bit": (14.2, 18.6), "word": (1.4, 0.3), "column": (1.4, 5.6), "row": (0.2, 8.2),
    "bank": (0.8, 10.0), "multi-bank": (0.3, 1.4), "multi-rank": (0.9, 2.8),
}  # fmt: skip
MAX_FIT = 1e9  #: a FIT rate above 10^9 (one fault per device-hour) is refused as a typo


@dataclass(frozen=True)
class FitTable:
    """FIT per device for each mode: ``rates[mode] = (transient, permanent)``."""

    rates: tuple[tuple[str, float, float], ...]
    source: str = "Sridharan & Liberty, SC'12"

    @classmethod
    def default(cls) -> FitTable:
        return cls(tuple((m, *DEFAULT_FIT[m]) for m in MODES))

    @property
    def total(self) -> float:
        """FIT per device, all modes, transient and permanent."""
        return sum(t + p for _, t, p in self.rates)

    def entries(self) -> list[tuple[str, bool, float]]:
        """``(mode, permanent, fit)`` for every non-zero rate, in table order."""
        out = []
        for mode, t, p in self.rates:
            if t > 0:
                out.append((mode, False, t))
            if p > 0:
                out.append((mode, True, p))
        return out

    def to_dict(self) -> dict:
        return {m: [t, p] for m, t, p in self.rates}


def _rate(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"{where}: {v!r} is not a FIT rate (a number >= 0)")
    if not 0 <= v <= MAX_FIT:
        raise InputError(f"{where}: {v!r} is not a FIT rate in 0..{MAX_FIT:g}")
    return float(v)


def fit_table_from_rows(rows: list[tuple[str, object, object]], where: str) -> FitTable:
    """A checked table from ``(mode, transient, permanent)`` rows; modes not given are 0."""
    seen: dict[str, tuple[float, float]] = {}
    for i, (mode, t, p) in enumerate(rows, 1):
        at = f"{where}, row {i} ({mode!r})"
        if mode not in MODES:
            raise InputError(
                f"{at}: unknown fault mode{suggest(str(mode), list(MODES))}; modes: {', '.join(MODES)}"
            )
        if mode in seen:
            raise InputError(f"{at}: mode {mode!r} is given twice")
        seen[mode] = (_rate(t, f"{at} transient"), _rate(p, f"{at} permanent"))
    if not seen:
        raise InputError(f"{where}: the table has no rows (modes: {', '.join(MODES)})")
    table = FitTable(tuple((m, *seen.get(m, (0.0, 0.0))) for m in MODES), source=where)
    if table.total <= 0:
        raise InputError(f"{where}: every rate is 0; nothing would ever fail")
    return table


def load_fit_table(path: str | Path) -> FitTable:
    """Read a FIT table from a ``.toml`` or ``.csv`` file (see the module docstring)."""
    p = Path(path)
    text = read_text(p, what="FIT table", error=InputError)
    where = str(p)
    if p.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise InputError(f"{where}: malformed TOML ({exc})") from None
        fit = doc.get("fit")
        if not isinstance(fit, dict):
            raise InputError(f"{where}: no [fit] table (mode = {{transient = .., permanent = ..}})")
        rows = []
        for mode, v in fit.items():
            if isinstance(v, dict):
                extra = sorted(set(v) - {"transient", "permanent"})
                if extra:
                    raise InputError(f"{where}: [fit] {mode}: unknown key(s) {', '.join(extra)}")
                rows.append((mode, v.get("transient", 0.0), v.get("permanent", 0.0)))
            elif isinstance(v, list) and len(v) == 2:
                rows.append((mode, v[0], v[1]))
            else:
                raise InputError(
                    f"{where}: [fit] {mode} must be {{transient, permanent}} or [t, p]"
                )
        return fit_table_from_rows(rows, where)
    if p.suffix.lower() == ".csv":
        rows = []
        for i, rec in enumerate(csv.reader(io.StringIO(text)), 1):
            if not rec or not "".join(rec).strip() or rec[0].lstrip().startswith("#"):
                continue
            if len(rec) != 3:
                raise InputError(f"{where}, line {i}: expected mode,transient,permanent")
            mode = rec[0].strip()
            if i == 1 and mode.lower() == "mode":
                continue  # header
            try:
                t, pm = float(rec[1]), float(rec[2])
            except ValueError:
                raise InputError(f"{where}, line {i} ({mode!r}): rates must be numbers") from None
            rows.append((mode, t, pm))
        return fit_table_from_rows(rows, where)
    raise InputError(f"{where}: a FIT table is a .toml or .csv file")


__all__ = ["DEFAULT_FIT", "MODES", "FitTable", "fit_table_from_rows", "load_fit_table"]
