"""Campaign results: tidy rows, saved as CSV + JSON (atomically), and loaded back.

``results.csv`` has one row per (code, fault, data, level, outcome) — level ``word`` counts
every touched codeword, ``line`` every injected 64-byte line — with the count, the rate and its
confidence interval. ``results.json`` holds the same rows plus the full spec, the seed, the
per-chip/per-pin breakdowns, versions of eccsim/numpy/numba and the machine: enough to rerun.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EccsimError, ResultsError
from .outcomes import N_OUTCOMES, ON_DIE_LABELS, OUTCOME_LABELS, CountRecord, OutcomeCounts
from .safeio import atomic_write_text, load_json
from .validate import is_int, require_fields

RESULT_FIELDS = (
    "code", "module", "fault", "data", "mode", "level", "outcome", "count", "total", "rate",
    "ci_low", "ci_high", "patterns", "wall_s",
)  # fmt: skip
OUTCOMES_WITH_SDC = (*OUTCOME_LABELS, "sdc")
SWEEP_FIELDS = ("code", "module", "ber", "level", "outcome", "events", "trials", "rate", "ci_low",
                "ci_high", "exact", "wall_s")  # fmt: skip
SWEEP_OUTCOMES = ("ce", "due", "sdc")
MODES = ("exhaustive", "monte-carlo")
LEVELS = ("word", "line")
MAX_COUNT = 2**62  #: counts above this cannot come from a run (int64 sums must not overflow)

__all__ = [
    "RESULT_FIELDS", "SWEEP_FIELDS", "JobResult", "Results", "ResultsError", "atomic_write_text",
    "environment", "load_results", "parse_counts", "rows_to_csv", "save_results", "tidy_rows",
]  # fmt: skip


def _check_count(v, where: str, error) -> int:
    if not is_int(v):
        raise error(f"{where}={v!r} is not a whole number")
    if v < 0:
        raise error(f"{where}={v} is negative; counts are >= 0")
    if v > MAX_COUNT:
        raise error(f"{where}={v} is larger than any run can count")
    return int(v)


def _count_list(v, where: str, error) -> np.ndarray:
    if not isinstance(v, list) or len(v) != N_OUTCOMES:
        raise error(
            f"{where}: expected a list of {N_OUTCOMES} counts ({', '.join(OUTCOME_LABELS)})"
        )
    return np.array(
        [
            _check_count(x, f"{where} {lab}", error)
            for x, lab in zip(v, OUTCOME_LABELS, strict=True)
        ],
        dtype=np.int64,
    )


def parse_counts(d, where: str, error: type[EccsimError] = ResultsError) -> OutcomeCounts:
    """An :class:`OutcomeCounts` from its JSON form (``OutcomeCounts.to_json``), checked in
    full: five non-negative whole counts, per-site rows keyed by site number that add up to
    the counts. Raises ``error`` with a one-line message naming ``where``."""
    if not isinstance(d, dict) or "counts" not in d:
        raise error(f"{where}: expected an object with 'counts' (and 'by_site')")
    counts = _count_list(d["counts"], f"{where} count", error)
    by = d.get("by_site", {})
    if not isinstance(by, dict):
        raise error(f"{where}: by_site must be an object of site -> counts")
    sites = {}
    for k, v in by.items():
        try:
            site = int(k)
        except (TypeError, ValueError):
            raise error(f"{where}: by_site key {k!r} is not a site number") from None
        sites[site] = _count_list(v, f"{where} site {k} count", error)
    if sites and not np.array_equal(sum(sites.values()), counts):
        raise error(f"{where}: the per-site counts do not add up to the counts")
    return OutcomeCounts(counts, sites)


@dataclass
class JobResult(CountRecord):
    """Counts of one (code, fault, data) job of a campaign."""

    code: str
    module: str
    fault: str
    data: str
    mode: str  # "exhaustive" or "monte-carlo"
    site_kind: str
    patterns: int
    words: OutcomeCounts
    lines: OutcomeCounts
    wall_s: float = 0.0
    stopped_early: bool = False

    @property
    def exact(self) -> bool:
        return self.mode == "exhaustive"

    def to_dict(self) -> dict:
        return {
            "code": self.code, "module": self.module, "fault": self.fault, "data": self.data,
            "mode": self.mode, "site_kind": self.site_kind, **self.counts_json(),
            "wall_s": self.wall_s, "stopped_early": self.stopped_early,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict, where: str = "job") -> JobResult:
        """A job from its JSON form, checked in full (:class:`ResultsError` otherwise)."""
        require_fields(d, ("code", "module", "fault", "data", "mode", "patterns", "words",
                           "lines"), where, error=ResultsError)  # fmt: skip
        for k in ("code", "module", "fault", "data", "site_kind"):
            if not isinstance(d.get(k, ""), str):
                raise ResultsError(f"{where}: {k}={d[k]!r} is not a name")
        if d["mode"] not in MODES:
            raise ResultsError(f"{where}: mode={d['mode']!r} is not one of {', '.join(MODES)}")
        patterns = _check_count(d["patterns"], f"{where}: patterns", ResultsError)
        words = parse_counts(d["words"], f"{where}: words", ResultsError)
        lines = parse_counts(d["lines"], f"{where}: lines", ResultsError)
        wall = d.get("wall_s", 0.0)
        if not _is_real(wall) or not 0 <= wall < math.inf:
            raise ResultsError(f"{where}: wall_s={wall!r} is not a time in seconds")
        stopped = d.get("stopped_early", False)
        if not isinstance(stopped, bool):
            raise ResultsError(f"{where}: stopped_early={stopped!r} is not true or false")
        job = cls(d["code"], d["module"], d["fault"], d["data"], d["mode"], d.get("site_kind", ""),
                  patterns, words, lines, float(wall), stopped)  # fmt: skip
        job.on_die = parse_on_die(d.get("on_die"), lines.total, f"{where}: on_die", ResultsError)
        return job


def parse_on_die(v, lines: int, where: str, error: type[EccsimError] = ResultsError):
    """The on-die counts of a memory-system job (``{label: count}`` over :data:`ON_DIE_LABELS`,
    summing to the job's lines), or None when absent."""
    if v is None:
        return None
    if not isinstance(v, dict) or set(v) != set(ON_DIE_LABELS):
        raise error(f"{where}: expected counts of {', '.join(ON_DIE_LABELS)}")
    out = np.array([_check_count(v[k], f"{where}: {k}", error) for k in ON_DIE_LABELS],
                   dtype=np.int64)  # fmt: skip
    if int(out.sum()) != lines:
        raise error(f"{where}: the counts add up to {int(out.sum())}, not the {lines} lines")
    return out


def _is_real(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def tidy_rows(jobs: list[JobResult], confidence: float = 0.95, method: str = "clopper-pearson"):
    """One dict per (job, level, outcome) with count, rate and CI (exhaustive runs: exact,
    so the interval collapses to the rate)."""
    rows = []
    for j in jobs:
        for level, counts in (("word", j.words), ("line", j.lines)):
            total = counts.total
            bounds = j.intervals(level, confidence, method)
            for o in OUTCOMES_WITH_SDC:
                k = counts[o]
                a, b = bounds[o]
                rows.append({
                    "code": j.code, "module": j.module, "fault": j.fault, "data": j.data,
                    "mode": j.mode, "level": level, "outcome": o, "count": int(k),
                    "total": int(total), "rate": (k / total) if total else float("nan"),
                    "ci_low": float(a), "ci_high": float(b), "patterns": j.patterns,
                    "wall_s": round(j.wall_s, 4),
                })  # fmt: skip
    return rows


def environment() -> dict:
    """Versions and machine, recorded with every result."""
    import numba

    from .version import __version__

    return {
        "eccsim": __version__, "numpy": np.__version__, "numba": numba.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "processor": platform.processor(), "system": platform.platform(),
        "cpus": os.cpu_count(),
    }  # fmt: skip


@dataclass
class Results:
    """Saved results loaded back: the spec, metadata, per-job counts and tidy rows."""

    kind: str
    spec: dict
    meta: dict
    jobs: list[JobResult] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_pandas(self):
        """The tidy rows as a pandas DataFrame (pandas is optional, imported here)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the user's environment
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.rows)

    def job(self, code: str, fault: str, data: str | None = None) -> JobResult:
        for j in self.jobs:
            if j.code == code and j.fault == fault and (data is None or j.data == data):
                return j
        raise KeyError(f"no job for code={code!r}, fault={fault!r}, data={data!r}")


def rows_to_csv(rows: list[dict], fields=RESULT_FIELDS) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in fields})
    return buf.getvalue()


def save_results(out_dir: Path, results: Results, csv_fields=RESULT_FIELDS) -> tuple[Path, Path]:
    """Write ``results.csv`` and ``results.json`` into ``out_dir`` atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": "eccsim-results/1", "kind": results.kind, "spec": results.spec,
        "meta": results.meta, "jobs": [j.to_dict() for j in results.jobs], "rows": results.rows,
        **results.extra,
    }  # fmt: skip
    jpath, cpath = out_dir / "results.json", out_dir / "results.csv"
    doc = _finite(doc)  # a rate of 0/0 is written as null: NaN is not JSON
    atomic_write_text(
        jpath, json.dumps(doc, indent=1, default=_json_default, allow_nan=False) + "\n"
    )
    atomic_write_text(cpath, rows_to_csv(results.rows, csv_fields))
    return cpath, jpath


def _finite(o):
    if isinstance(o, float | np.floating) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def load_results(path: str | Path) -> Results:
    """Load ``results.json`` (or the folder holding it), checked in full: every job and row
    has its fields with the right types, no count is negative or above its total, campaign
    jobs form the full code x fault x data grid. Anything else is a one-line
    :class:`ResultsError` naming the file and the field, so that plotting never meets a
    malformed entry."""
    p = Path(path)
    if str(path).strip() == "":
        raise ResultsError("results: an empty path is not a results file or folder")
    if p.is_dir():
        p = p / "results.json"
    if not p.exists():
        raise ResultsError(f"results file {str(p)!r} does not exist")
    try:
        doc = load_json(p, what="results file", error=ResultsError)
    except ResultsError as exc:
        raise ResultsError(f"{exc} (not a valid eccsim results file)") from None
    if not isinstance(doc, dict) or not str(doc.get("format", "")).startswith("eccsim-results/"):
        raise ResultsError(f"{p}: not an eccsim results file (no 'format: eccsim-results/1')")
    kind = doc.get("kind", "campaign")
    if kind not in ("campaign", "ber-sweep"):
        raise ResultsError(f"{p}: kind={kind!r} is neither campaign nor ber-sweep")
    spec, meta = doc.get("spec", {}), doc.get("meta", {})
    for name, v in (("spec", spec), ("meta", meta)):
        if not isinstance(v, dict):
            raise ResultsError(f"{p}: {name} must be an object")
    raw_jobs, rows = doc.get("jobs", []), doc.get("rows", [])
    if not isinstance(raw_jobs, list) or not isinstance(rows, list):
        raise ResultsError(f"{p}: jobs and rows must be lists")
    jobs = []
    for i, j in enumerate(raw_jobs):
        try:
            jobs.append(JobResult.from_dict(j, where=f"job {i}"))
        except ResultsError as exc:
            raise ResultsError(f"{p}: malformed job entry ({exc})") from None
    extra = {
        k: v for k, v in doc.items() if k not in ("format", "kind", "spec", "meta", "jobs", "rows")
    }
    if kind == "campaign":
        _check_grid(p, jobs)
        for i, r in enumerate(rows):
            _check_row(p, i, r, RESULT_FIELDS, ("code", "module", "fault", "data", "mode"),
                       ("count", "total", "patterns"), ("rate", "ci_low", "ci_high", "wall_s"),
                       "count", "total", OUTCOMES_WITH_SDC)  # fmt: skip
    else:
        if jobs:
            raise ResultsError(f"{p}: a BER sweep holds points, not campaign jobs")
        if "points" in extra and extra["points"] != rows:
            raise ResultsError(f"{p}: points and rows of the sweep differ")
        for i, r in enumerate(rows):
            _check_row(p, i, r, SWEEP_FIELDS, ("code", "module"), ("events", "trials"),
                       ("ber", "rate", "ci_low", "ci_high", "exact", "wall_s"), "events",
                       "trials", SWEEP_OUTCOMES)  # fmt: skip
            if r["ber"] is None or not 0 < r["ber"] < 1:
                raise ResultsError(f"{p}: row {i}: ber={r['ber']!r} is not a bit error rate")
    return Results(kind, spec, meta, jobs, rows, extra)


def _check_grid(p: Path, jobs: list[JobResult]) -> None:
    keys = [(j.code, j.fault, j.data) for j in jobs]
    if len(set(keys)) != len(keys):
        raise ResultsError(f"{p}: a (code, fault, data) job appears twice")
    codes, faults, datas = ({k[i] for k in keys} for i in range(3))
    if len(keys) != len(codes) * len(faults) * len(datas):
        raise ResultsError(f"{p}: the jobs do not cover every code x fault x data combination")
    if len({j.module for j in jobs}) > 1 and not all("@" in j.code for j in jobs):
        raise ResultsError(f"{p}: the jobs name more than one module")  # memory systems may


def _check_row(p, i, r, fields, names, counts, reals, k, n, outcomes) -> None:
    where = f"{p}: row {i}"
    require_fields(r, fields, where, error=ResultsError)
    for f in names:
        if not isinstance(r[f], str):
            raise ResultsError(f"{where}: {f}={r[f]!r} is not a name")
    if r["level"] not in LEVELS:
        raise ResultsError(f"{where}: level={r['level']!r} is not word or line")
    if r["outcome"] not in outcomes:
        raise ResultsError(f"{where}: outcome={r['outcome']!r} is not one of {', '.join(outcomes)}")
    for f in counts:
        _check_count(r[f], f"{where}: {f}", ResultsError)
    if r[k] > r[n]:
        raise ResultsError(f"{where}: {k}={r[k]} is more than {n}={r[n]}")
    for f in reals:  # null stands for an undefined rate (0 of 0)
        v = r[f]
        if v is not None and (not _is_real(v) or not 0 <= v < math.inf):
            raise ResultsError(f"{where}: {f}={v!r} is not a non-negative number")


# ----- lifetime results ----------------------------------------------------------------------------
LIFETIME_FORMAT = "eccsim-lifetime/1"
LIFETIME_FILES = ("lifetime.json", "lifetime.csv", "lifetime.png", "lifetime-checkpoint.json",
                  "lifetime-checkpoint.json.prev")  # fmt: skip
LIFETIME_FIELDS = ("config", "years", "outcome", "count", "trials", "p", "ci_low", "ci_high")


def save_lifetime(out_dir: Path, res, meta: dict, confidence: float = 0.95) -> tuple[Path, Path]:
    """Write ``lifetime.json`` (spec, meta, per-configuration cumulative counts, rows) and
    ``lifetime.csv`` (one row per configuration, grid time and outcome, with the interval)
    atomically into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = res.rows(confidence)
    doc = {
        "format": LIFETIME_FORMAT, "spec": res.spec.to_dict(), "meta": meta,
        "grid_years": [float(t) for t in res.spec.grid / 8766.0],
        "configs": [{"name": n, "trials": int(c.trials), "due": c.due.tolist(),
                     "sdc": c.sdc.tolist(), "any": c.any.tolist(), "sampled": bool(c.sampled)}
                    for n, c in zip(res.names, res.counts, strict=True)],
        "rows": rows,
    }  # fmt: skip
    j, c = out_dir / "lifetime.json", out_dir / "lifetime.csv"
    atomic_write_text(j, json.dumps(doc, indent=1, default=_json_default) + "\n")
    atomic_write_text(c, rows_to_csv(rows, LIFETIME_FIELDS))
    return c, j


def load_lifetime(path: str | Path):
    """A :class:`~eccsim.lifetime.LifetimeResult` from ``lifetime.json`` (or its folder),
    checked in full: one-line :class:`ResultsError` otherwise."""
    from .lifetime import LifetimeCounts, LifetimeResult, LifetimeSpec

    p = Path(path)
    if p.is_dir():
        p = p / "lifetime.json"
    if not p.exists():
        raise ResultsError(f"lifetime results {str(p)!r} do not exist")
    doc = load_json(p, what="lifetime results", error=ResultsError)
    if not isinstance(doc, dict) or doc.get("format") != LIFETIME_FORMAT:
        raise ResultsError(f"{p}: not eccsim lifetime results (format {LIFETIME_FORMAT})")
    try:
        spec = LifetimeSpec.from_dict(doc.get("spec"), where=f"{p}: spec")
    except EccsimError as exc:
        raise ResultsError(str(exc)) from None
    names, counts = [], []
    cfgs = doc.get("configs")
    if not isinstance(cfgs, list) or not cfgs:
        raise ResultsError(f"{p}: configs must be a non-empty list")
    for i, c in enumerate(cfgs):
        where = f"{p}: configs[{i}]"
        require_fields(c, ("name", "trials", "due", "sdc", "any"), where, error=ResultsError)
        trials = _check_count(c["trials"], f"{where}: trials", ResultsError)
        arrs = []
        for k in ("due", "sdc", "any"):
            v = c[k]
            if not isinstance(v, list) or len(v) != spec.points:
                raise ResultsError(f"{where}: {k} must list {spec.points} counts")
            a = np.array([_check_count(x, f"{where}: {k}", ResultsError) for x in v], np.int64)
            if a.shape != (spec.points,) or (a > trials).any() or (np.diff(a) < 0).any():
                raise ResultsError(f"{where}: {k} must be {spec.points} non-decreasing counts "
                                   f"<= trials")  # fmt: skip
            arrs.append(a)
        names.append(str(c["name"]))
        counts.append(LifetimeCounts(trials, *arrs, bool(c.get("sampled", False))))
    return LifetimeResult(spec, names, counts)
