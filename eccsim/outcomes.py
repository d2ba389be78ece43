"""Outcome classes of reading a codeword, and counters that add up.

* ``NO_ERROR``: the fault touched the codeword but left its bits unchanged (e.g. stuck-at a
  value the cell already held) — the fault is masked.
* ``CE``: corrected error — the decoder returned the original codeword.
* ``DUE``: detected, uncorrectable error — the decoder flagged the word.
* ``SDC_UNDETECTED``: silent data corruption with syndrome 0 (the error is a codeword).
* ``SDC_MISCORRECTED``: silent data corruption where the decoder "corrected" the wrong bits.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .errors import InputError

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

    def __post_init__(self) -> None:
        """Counts given by a caller are checked: five non-negative whole numbers (lists become
        int64 arrays), and ``by_site`` a dict of site number -> five such counts. The internal
        paths that build counts from tallies (:meth:`from_outcomes`, ``+``) skip this."""
        self.counts = _count_row(self.counts, "counts")
        if not isinstance(self.by_site, dict):
            raise InputError(
                f"by_site must be a dict of site number -> counts, not {type(self.by_site).__name__}"
            )
        sites = {}
        for k, v in self.by_site.items():
            if not _is_whole(k):
                raise InputError(f"by_site key {k!r} must be a site number (a whole number)")
            sites[int(k)] = _count_row(v, f"by_site[{k}]")
        self.by_site = sites

    @classmethod
    def _trusted(cls, counts: np.ndarray, by_site: dict[int, np.ndarray]) -> OutcomeCounts:
        """Counts already known to be int64 ``(5,)`` rows >= 0 (tallies, sums): no checks."""
        out = object.__new__(cls)
        out.counts = counts
        out.by_site = by_site
        return out

    @classmethod
    def from_outcomes(cls, outcomes: np.ndarray, sites: np.ndarray | None = None) -> OutcomeCounts:
        """Tally an int8 array of outcome codes (and, optionally, a same-shape site array)."""
        o = np.asarray(outcomes).ravel().astype(np.int64)
        c = cls._trusted(np.bincount(o, minlength=N_OUTCOMES).astype(np.int64), {})
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

    # each outcome by name, as the repr shows them (also ``counts["ce"]``)
    no_error = property(lambda self: int(self.counts[NO_ERROR]), doc="nothing changed")
    ce = property(lambda self: int(self.counts[CE]), doc="corrected")
    due = property(lambda self: int(self.counts[DUE]), doc="detected, uncorrectable")
    sdc_undetected = property(lambda self: int(self.counts[SDC_UNDETECTED]), doc="not detected")
    sdc_miscorrected = property(lambda self: int(self.counts[SDC_MISCORRECTED]),
                                doc="miscorrected")  # fmt: skip

    def __getitem__(self, key: str | int) -> int:
        if isinstance(key, str):
            if key == "sdc":
                return self.sdc
            key = OUTCOME_LABELS.index(key)
        return int(self.counts[key])

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        if not isinstance(other, OutcomeCounts):
            return NotImplemented
        out = OutcomeCounts._trusted(
            self.counts.copy(), {k: v.copy() for k, v in self.by_site.items()}
        )
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
        """Counts from :meth:`to_json`'s form, checked like any given counts (site keys are
        the JSON strings of site numbers)."""
        if not isinstance(d, dict) or "counts" not in d:
            raise InputError("OutcomeCounts JSON must be an object with 'counts' (and 'by_site')")
        by = d.get("by_site", {})
        if not isinstance(by, dict):
            raise InputError("OutcomeCounts JSON: by_site must be an object of site -> counts")
        sites = {}
        for k, v in by.items():
            try:
                sites[int(k)] = v
            except (TypeError, ValueError):
                raise InputError(
                    f"OutcomeCounts JSON: by_site key {k!r} is not a site number"
                ) from None
        return cls(d["counts"], sites)

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


def _is_whole(x) -> bool:
    """A whole number: an int, or a finite float with no fraction; never a bool."""
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, numbers.Integral | np.integer):
        return True
    return isinstance(x, numbers.Real | np.floating) and np.isfinite(x) and float(x).is_integer()


_INT64_MAX = np.iinfo(np.int64).max


def _count_row(value, what: str) -> np.ndarray:
    """``value`` as an int64 ``(5,)`` array of non-negative counts, or :class:`InputError`."""
    want = f"{what} must be {N_OUTCOMES} non-negative whole counts ({', '.join(OUTCOME_LABELS)})"
    if type(value) is np.ndarray and value.dtype == np.int64 and value.shape == (N_OUTCOMES,):
        a = value  # the common case: already the stored form, kept without a copy
    else:
        if isinstance(value, list | tuple):
            bad = next((x for x in value if not _is_whole(x)), None)
            if bad is not None or any(isinstance(x, list | tuple) for x in value):
                raise InputError(f"{want}; got {value!r:.80}")
        elif not isinstance(value, np.ndarray):
            raise InputError(f"{want}, not {type(value).__name__}")
        try:
            a = np.asarray(value)
        except (TypeError, ValueError):
            raise InputError(f"{want}; got {value!r:.80}") from None
        if a.shape != (N_OUTCOMES,):
            raise InputError(f"{want}; got shape {a.shape}")
        if a.dtype.kind not in "iuf":
            raise InputError(f"{want}; got dtype {a.dtype}")
        if a.dtype.kind == "f" and not (np.isfinite(a).all() and (a == np.round(a)).all()):
            raise InputError(f"{want}; got {a.tolist()}")
        if a.size and (a > _INT64_MAX).any():
            raise InputError(f"{what}: counts must fit in int64; got {a.tolist()}")
        a = a.astype(np.int64)
    if (a < 0).any():
        raise InputError(f"{want}; got {a.tolist()} (negative)")
    return a


#: what the on-die level of a memory system did to a line (:mod:`eccsim.system`), least to most
#: harmful: no stored bit wrong; every wrong bit fixed; an error passed through; a bit flipped
#: that was not wrong
ON_DIE_LABELS = ("none", "corrected", "passed", "miscorrected")


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
    #: memory systems only: lines by what the on-die level did (:data:`ON_DIE_LABELS` order)
    on_die: np.ndarray | None = None

    @property
    def exact(self) -> bool:
        return False

    def __iadd__(self, other: CountRecord):
        self.patterns += other.patterns
        self.words += other.words
        self.lines += other.lines
        theirs = getattr(other, "on_die", None)
        if theirs is not None:
            mine = (
                self.on_die if self.on_die is not None else np.zeros(len(ON_DIE_LABELS), np.int64)
            )
            self.on_die = mine + np.asarray(theirs, dtype=np.int64)
        return self

    def counts_json(self) -> dict:
        """``{"patterns", "words", "lines"}`` in the JSON form of :meth:`OutcomeCounts.to_json`
        (and ``"on_die": {label: count}`` for a memory system)."""
        out = {"patterns": int(self.patterns), "words": self.words.to_json(),
               "lines": self.lines.to_json()}  # fmt: skip
        if self.on_die is not None:
            out["on_die"] = self.on_die_counts()
        return out

    def on_die_counts(self) -> dict[str, int]:
        """Lines by what the on-die level did (empty when there is no on-die level)."""
        if self.on_die is None:
            return {}
        return {lab: int(v) for lab, v in zip(ON_DIE_LABELS, self.on_die, strict=True)}

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
