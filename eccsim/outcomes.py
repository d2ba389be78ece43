"""Outcome classes of reading a codeword, and counters that add up.

* ``NO_ERROR``: the fault touched the codeword but left its bits unchanged (e.g. stuck-at a
  value the cell already held) — the fault is masked.
* ``CE``: corrected error — the decoder returned the original codeword.
* ``DUE``: detected, uncorrectable error — the decoder flagged the word.
* ``SDC_UNDETECTED``: silent data corruption with syndrome 0 (the error is a codeword).
* ``SDC_MISCORRECTED``: silent data corruption where the decoder "corrected" the wrong bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

NO_ERROR = 0
CE = 1
DUE = 2
SDC_UNDETECTED = 3
SDC_MISCORRECTED = 4
N_OUTCOMES = 5


class Outcome(IntEnum):
    """Integer outcome codes used in kernel outputs (int8 arrays)."""

    NO_ERROR = NO_ERROR
    CE = CE
    DUE = DUE
    SDC_UNDETECTED = SDC_UNDETECTED
    SDC_MISCORRECTED = SDC_MISCORRECTED

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = ("no_error", "ce", "due", "sdc_undetected", "sdc_miscorrected")


def worst(outcomes: np.ndarray, axis: int = -1) -> np.ndarray:
    """Outcome of a group of codewords (e.g. a 64-byte line): SDC beats DUE beats CE beats
    NO_ERROR — a line with any silent corruption is silently corrupt."""
    rank = np.array([0, 1, 2, 4, 3], dtype=np.int8)  # severity of each outcome code
    inverse = np.array([0, 1, 2, 4, 3], dtype=np.int8)  # severity -> code (self-inverse)
    return inverse[rank[outcomes].max(axis=axis)]


@dataclass
class OutcomeCounts:
    """Counts of each outcome, optionally broken down by fault site (chip, pin, ...).

    Counters add with ``+``/``+=`` so chunks and workers can be reduced in any order."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(N_OUTCOMES, dtype=np.int64))
    by_site: dict[int, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_outcomes(cls, outcomes: np.ndarray, sites: np.ndarray | None = None) -> OutcomeCounts:
        """Tally an int8 array of outcome codes (and, optionally, a same-shape site array)."""
        o = np.asarray(outcomes).ravel().astype(np.int64)
        c = cls(np.bincount(o, minlength=N_OUTCOMES).astype(np.int64))
        if sites is not None:
            s = np.asarray(sites).ravel().astype(np.int64)
            if s.size:
                base = s.min()
                flat = (s - base) * N_OUTCOMES + o
                table = np.bincount(flat).astype(np.int64)
                table = np.pad(table, (0, (-table.size) % N_OUTCOMES)).reshape(-1, N_OUTCOMES)
                for i, row in enumerate(table):
                    if row.any():
                        c.by_site[int(base + i)] = row
        return c

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def sdc(self) -> int:
        return int(self.counts[SDC_UNDETECTED] + self.counts[SDC_MISCORRECTED])

    def __getitem__(self, key: str | int) -> int:
        if isinstance(key, str):
            if key == "sdc":
                return self.sdc
            key = OUTCOME_LABELS.index(key)
        return int(self.counts[key])

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        out = OutcomeCounts(self.counts.copy(), {k: v.copy() for k, v in self.by_site.items()})
        out += other
        return out

    def __iadd__(self, other: OutcomeCounts) -> OutcomeCounts:
        self.counts = self.counts + other.counts
        for k, v in other.by_site.items():
            self.by_site[k] = self.by_site.get(k, np.zeros(N_OUTCOMES, dtype=np.int64)) + v
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutcomeCounts):
            return NotImplemented
        keys = set(self.by_site) | set(other.by_site)
        zero = np.zeros(N_OUTCOMES, dtype=np.int64)
        return np.array_equal(self.counts, other.counts) and all(
            np.array_equal(self.by_site.get(k, zero), other.by_site.get(k, zero)) for k in keys
        )

    def to_json(self) -> dict:
        """JSON-ready form (counts and per-site counts); :meth:`from_json` reads it back."""
        return {
            "counts": [int(x) for x in self.counts],
            "by_site": {str(k): [int(x) for x in v] for k, v in sorted(self.by_site.items())},
        }

    @classmethod
    def from_json(cls, d: dict) -> OutcomeCounts:
        return cls(
            np.array(d["counts"], dtype=np.int64),
            {int(k): np.array(v, dtype=np.int64) for k, v in d.get("by_site", {}).items()},
        )

    def as_dict(self) -> dict[str, int]:
        """``{"no_error": .., "ce": .., "due": .., "sdc_undetected": .., "sdc_miscorrected": ..}``"""
        return {lab: int(v) for lab, v in zip(OUTCOME_LABELS, self.counts, strict=True)}

    def fractions(self) -> dict[str, float]:
        t = self.total
        return {
            lab: (int(v) / t if t else 0.0)
            for lab, v in zip(OUTCOME_LABELS, self.counts, strict=True)
        }

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"OutcomeCounts({inner})"


class CountRecord:
    """What every record of a run's counts shares — an injection result, a campaign job, its
    checkpointed progress: ``patterns`` injected, ``words`` (every touched codeword) and
    ``lines`` (every injected line, by its worst codeword) as :class:`OutcomeCounts`. Records
    add with ``+=``, write one JSON form, and give per-outcome confidence intervals.

    Subclasses are dataclasses holding those three fields (plus their own); ``exact`` says
    whether the counts are exhaustive (their rates have no sampling error)."""

    patterns: int
    words: OutcomeCounts
    lines: OutcomeCounts

    @property
    def exact(self) -> bool:
        return False

    def __iadd__(self, other: CountRecord):
        self.patterns += other.patterns
        self.words += other.words
        self.lines += other.lines
        return self

    def counts_json(self) -> dict:
        """``{"patterns", "words", "lines"}`` in the JSON form of :meth:`OutcomeCounts.to_json`."""
        return {"patterns": int(self.patterns), "words": self.words.to_json(),
                "lines": self.lines.to_json()}  # fmt: skip

    def intervals(
        self, level: str = "words", confidence: float = 0.95, method: str = "clopper-pearson"
    ) -> dict[str, tuple[float, float]]:
        """Per-outcome ``(low, high)`` bounds of the rate (count / total at ``level``, "words"
        or "lines"), for each outcome label and ``"sdc"``: two-sided intervals at
        ``confidence`` (:func:`eccsim.stats.proportion_ci`) for sampled counts; for exact
        counts both bounds are the rate itself."""
        from .stats import proportion_ci
        from .validate import require_choice, require_number

        level = {"word": "words", "line": "lines"}.get(level, level)
        level = require_choice("level", level, ("words", "lines"))
        confidence = require_number("confidence", confidence, 0, 1, open_interval=True)
        counts: OutcomeCounts = getattr(self, level)
        labels = (*OUTCOME_LABELS, "sdc")
        k = np.array([counts[lab] for lab in labels], dtype=np.float64)
        n = counts.total
        if self.exact:
            rate = k / n if n else np.full(k.shape, np.nan)
            return {lab: (float(r), float(r)) for lab, r in zip(labels, rate, strict=True)}
        low, high = proportion_ci(k, np.full(k.shape, float(n)), confidence, method)
        low, high = np.atleast_1d(low), np.atleast_1d(high)
        return {lab: (float(lo), float(hi)) for lab, lo, hi in zip(labels, low, high, strict=True)}
