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
import os
import platform
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ResultsError
from .outcomes import OUTCOME_LABELS, OutcomeCounts

RESULT_FIELDS = (
    "code", "module", "fault", "data", "mode", "level", "outcome", "count", "total", "rate",
    "ci_low", "ci_high", "patterns", "wall_s",
)  # fmt: skip
OUTCOMES_WITH_SDC = (*OUTCOME_LABELS, "sdc")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``: readers see the old
    file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class JobResult:
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

    def to_dict(self) -> dict:
        return {
            "code": self.code, "module": self.module, "fault": self.fault, "data": self.data,
            "mode": self.mode, "site_kind": self.site_kind, "patterns": self.patterns,
            "words": self.words.to_json(), "lines": self.lines.to_json(), "wall_s": self.wall_s,
            "stopped_early": self.stopped_early,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> JobResult:
        dec = OutcomeCounts.from_json
        return cls(
            d["code"], d["module"], d["fault"], d["data"], d["mode"], d.get("site_kind", ""),
            int(d["patterns"]), dec(d["words"]), dec(d["lines"]), float(d.get("wall_s", 0.0)),
            bool(d.get("stopped_early", False)),
        )  # fmt: skip


def tidy_rows(jobs: list[JobResult], confidence: float = 0.95, method: str = "clopper-pearson"):
    """One dict per (job, level, outcome) with count, rate and CI (exhaustive runs: exact,
    so the interval collapses to the rate)."""
    from .stats import proportion_ci

    rows = []
    for j in jobs:
        for level, counts in (("word", j.words), ("line", j.lines)):
            total = counts.total
            ks = np.array([counts[o] for o in OUTCOMES_WITH_SDC], dtype=np.float64)
            if j.mode == "exhaustive":
                lo = hi = ks / total if total else np.full(ks.shape, np.nan)
            else:
                lo, hi = proportion_ci(ks, np.full(ks.shape, total), confidence, method)
            for o, k, a, b in zip(
                OUTCOMES_WITH_SDC, ks, np.atleast_1d(lo), np.atleast_1d(hi), strict=True
            ):
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

    from . import __version__

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
    atomic_write_text(jpath, json.dumps(doc, indent=1, default=_json_default) + "\n")
    atomic_write_text(cpath, rows_to_csv(results.rows, csv_fields))
    return cpath, jpath


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def load_results(path: str | Path) -> Results:
    """Load ``results.json`` (or the folder holding it)."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.exists():
        raise ResultsError(f"results file {str(p)!r} does not exist")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{p}: not a valid eccsim results file ({exc})") from None
    if not isinstance(doc, dict) or not str(doc.get("format", "")).startswith("eccsim-results/"):
        raise ResultsError(f"{p}: not an eccsim results file (no 'format: eccsim-results/1')")
    try:
        jobs = [JobResult.from_dict(j) for j in doc.get("jobs", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"{p}: malformed job entry ({exc})") from None
    extra = {
        k: v for k, v in doc.items() if k not in ("format", "kind", "spec", "meta", "jobs", "rows")
    }
    return Results(doc.get("kind", "campaign"), doc.get("spec", {}), doc.get("meta", {}), jobs,
                   doc.get("rows", []), extra)  # fmt: skip
