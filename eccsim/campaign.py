"""Fault-injection campaigns: several codes x fault models x data patterns on one module,
exhaustive where the fault model is finite, Monte Carlo otherwise; chunked, seeded per block,
parallel, checkpointed after every chunk and resumable.

Reproducibility: counts depend only on the spec (seed, trials, chunk size when a stop rule is
used) — never on the number of workers or on interruptions. Blocks of 4096 patterns are the
unit of randomness (see :mod:`eccsim.injection`); a chunk is a group of blocks, the unit of
work, checkpointing and stop-rule checks.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np

from .bits import data_words
from .codes import get_code
from .errors import CampaignError
from .faults import get_fault
from .injection import (
    BLOCK,
    InjectionResult,
    exhaustive_total,
    n_blocks,
    run_blocks,
    validate_line_data,
)
from .module import get_module
from .outcomes import OUTCOME_LABELS, OutcomeCounts
from .results import JobResult, Results, atomic_write_text, environment, save_results, tidy_rows

MODES = ("auto", "exhaustive", "monte-carlo")
DATA_PATTERNS = ("random", "zeros", "ones", "checkerboard")
STOP_OUTCOMES = (*OUTCOME_LABELS, "sdc")
CHECKPOINT = "checkpoint.json"
OUR_FILES = (CHECKPOINT, "results.json", "results.csv", "outcomes.png", "chips.png", "ber.png")


@dataclass(frozen=True)
class StopRule:
    """Stop a Monte Carlo job early, at a chunk boundary, once ``outcome`` has at least
    ``min_events`` events and (if given) its relative CI half-width is at most ``rel_ci``."""

    outcome: str = "sdc"
    min_events: int = 0
    rel_ci: float | None = None

    def satisfied(self, counts: OutcomeCounts, confidence: float) -> bool:
        k = counts[self.outcome]
        if k < max(self.min_events, 1):
            return False
        if self.rel_ci is None:
            return True
        from .stats import relative_half_width

        return relative_half_width(k, counts.total, confidence) <= self.rel_ci


@dataclass(frozen=True)
class CampaignSpec:
    """What to run. ``trials`` is per (code, fault, data) job in Monte Carlo mode (the cap,
    when a stop rule is given); ``chunk`` is trials per checkpointed chunk (a multiple of 4096)."""

    codes: tuple[str, ...] = ("parity-byte", "hamming-secded", "hsiao-secded")
    module: str = "x8-ecc-dimm"
    faults: tuple[str, ...] = (
        "bit",
        "bits:2",
        "bits:3",
        "bits:4",
        "burst:4",
        "pin",
        "chip",
        "chip-burst",
    )
    mode: str = "auto"
    trials: int = 1_000_000
    data: tuple[str, ...] = ("random",)
    seed: int = 2026
    chunk: int = 262144
    exhaustive_limit: int = 2_000_000
    confidence: float = 0.95
    stop: StopRule | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("codes", "faults", "data"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "spec") -> CampaignSpec:
        if not isinstance(d, dict):
            raise CampaignError(f"{where}: expected a table of campaign settings")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(d) - known)
        if unknown:
            raise CampaignError(
                f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        kw = dict(d)
        for k in ("codes", "faults", "data"):
            if k in kw:
                v = kw[k]
                if isinstance(v, str):
                    v = [v]
                if (
                    not isinstance(v, list | tuple)
                    or not all(isinstance(x, str) for x in v)
                    or not v
                ):
                    raise CampaignError(f"{where}: {k} must be a non-empty list of names")
                kw[k] = tuple(v)
        if kw.get("stop") is not None:
            s = kw["stop"]
            if isinstance(s, StopRule):
                pass
            elif isinstance(s, dict):
                bad = sorted(set(s) - {"outcome", "min_events", "rel_ci"})
                if bad:
                    raise CampaignError(f"{where}: unknown stop setting(s) {', '.join(bad)}; "
                                        "allowed: outcome, min_events, rel_ci")  # fmt: skip
                kw["stop"] = StopRule(**s)
            else:
                raise CampaignError(f"{where}: stop must be a table (outcome, min_events, rel_ci)")
        try:
            spec = cls(**kw)
        except TypeError as exc:
            raise CampaignError(f"{where}: {exc}") from None
        spec.validate()
        return spec

    @classmethod
    def from_toml(cls, path: str | Path) -> CampaignSpec:
        """Read ``[campaign]`` (and optional ``[campaign.stop]``) from a TOML file."""
        p = Path(path)
        if not p.is_file():
            raise CampaignError(f"spec file {str(p)!r} does not exist or is not a file")
        try:
            doc = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CampaignError(f"{p}: malformed TOML ({exc})") from None
        except UnicodeDecodeError:
            raise CampaignError(f"{p}: not a UTF-8 text file") from None
        if "campaign" not in doc:
            raise CampaignError(f"{p}: no [campaign] table")
        return cls.from_dict(doc["campaign"], where=str(p))

    def validate(self) -> None:
        """Resolve every name and check every number; raise :class:`CampaignError` naming the
        first problem."""
        geom = get_module(self.module)
        for c in self.codes:
            geom.check_code(get_code(c))
        for f in self.faults:
            get_fault(f).count(geom)
        if self.mode not in MODES:
            raise CampaignError(f"mode={self.mode!r} is unknown; choose one of {', '.join(MODES)}")
        for name, v, lo in (("trials", self.trials, 1), ("chunk", self.chunk, BLOCK),
                            ("seed", self.seed, 0), ("exhaustive_limit", self.exhaustive_limit, 0)):  # fmt: skip
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise CampaignError(f"{name}={v!r} must be an integer >= {lo}")
        if self.chunk % BLOCK:
            raise CampaignError(f"chunk={self.chunk} must be a multiple of {BLOCK}")
        if not isinstance(self.confidence, float | int) or not 0 < self.confidence < 1:
            raise CampaignError(f"confidence={self.confidence!r} must lie strictly between 0 and 1")
        for d in self.data:
            if d not in DATA_PATTERNS and not d.endswith(".npy"):
                raise CampaignError(
                    f"data={d!r} is unknown; choose {', '.join(DATA_PATTERNS)} or a .npy file of lines"
                )
            if d.endswith(".npy"):
                load_data(d, geom)
        if self.stop is not None:
            s = self.stop
            if s.outcome not in STOP_OUTCOMES:
                raise CampaignError(
                    f"stop.outcome={s.outcome!r} is unknown; choose one of {', '.join(STOP_OUTCOMES)}"
                )
            if not isinstance(s.min_events, int) or s.min_events < 0:
                raise CampaignError(f"stop.min_events={s.min_events!r} must be an integer >= 0")
            if s.rel_ci is not None and (
                not isinstance(s.rel_ci, float | int) or not 0 < s.rel_ci < 1
            ):
                raise CampaignError(f"stop.rel_ci={s.rel_ci!r} must lie strictly between 0 and 1")


def load_data(name: str, geom) -> np.ndarray | None:
    """Line data for a data-pattern name: None for random, else a uint64 (lines, S, W) array."""
    S, W = geom.slots, data_words(geom.k)
    top = np.uint64((1 << (geom.k % 64)) - 1) if geom.k % 64 else np.uint64(2**64 - 1)
    if name not in DATA_PATTERNS and not name.endswith(".npy"):
        raise CampaignError(
            f"data={name!r} is unknown; choose {', '.join(DATA_PATTERNS)} or a .npy file of lines"
        )
    if name == "random":
        return None
    if name == "zeros":
        return np.zeros((1, S, W), dtype=np.uint64)
    if name == "ones":
        d = np.full((1, S, W), np.uint64(2**64 - 1), dtype=np.uint64)
        d[..., -1] &= top
        return d
    if name == "checkerboard":
        d = np.empty((1, S, W), dtype=np.uint64)
        d[0, 0::2] = np.uint64(0x5555555555555555)
        d[0, 1::2] = np.uint64(0xAAAAAAAAAAAAAAAA)
        d[..., -1] &= top
        return d
    p = Path(name)
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CampaignError(f"data file {name!r} could not be read as .npy ({exc})") from None
    try:
        return validate_line_data(arr, geom)
    except ValueError as exc:
        raise CampaignError(f"data file {name!r}: {exc}") from None


@dataclass
class Job:
    """One (code, fault, data) cell of a campaign and how it is run."""

    key: str
    code: str
    fault: str
    data: str
    exhaustive: bool
    total: int
    nchunks: int


def plan(spec: CampaignSpec) -> list[Job]:
    """The jobs of a campaign, in the order they run.

    ``auto`` runs a job exhaustively when its fault model is finite, its cases (patterns x
    data lines) number at most ``exhaustive_limit``, and the outcome is exact — a stuck-at
    fault on random data is not (its errors depend on the stored bits), so it is sampled."""
    geom = get_module(spec.module)
    jobs = []
    bpc = spec.chunk // BLOCK
    for fault_name in spec.faults:
        f = get_fault(fault_name)
        for data in spec.data:
            arr = load_data(data, geom)
            if spec.mode == "exhaustive":
                exhaustive, total = True, exhaustive_total(f, geom, arr)
            elif (
                spec.mode == "auto" and f.is_finite(geom) and not (f.data_dependent and arr is None)
            ):
                cases = exhaustive_total(f, geom, arr)
                exhaustive = cases <= spec.exhaustive_limit
                total = cases if exhaustive else spec.trials
            else:
                exhaustive, total = False, spec.trials
            for code in spec.codes:
                key = f"{code}|{f.name}|{data}"
                jobs.append(Job(key, code, f.name, data, exhaustive, total,
                                math.ceil(n_blocks(total) / bpc)))  # fmt: skip
    return jobs


def _run_chunk(spec_dict: dict, job: Job, chunk: int) -> InjectionResult:
    """Worker entry point: run one chunk of one job (top-level so it pickles)."""
    spec = CampaignSpec.from_dict(spec_dict)
    geom = get_module(spec.module)
    bpc = spec.chunk // BLOCK
    return run_blocks(
        get_code(job.code), geom, get_fault(job.fault), exhaustive=job.exhaustive,
        total=job.total, blocks=range(chunk * bpc, (chunk + 1) * bpc),
        data=load_data(job.data, geom), seed=spec.seed,
    )  # fmt: skip


@dataclass
class _JobState:
    chunks_done: int = 0
    patterns: int = 0
    words: OutcomeCounts = field(default_factory=OutcomeCounts)
    lines: OutcomeCounts = field(default_factory=OutcomeCounts)
    wall_s: float = 0.0
    finished: bool = False
    stopped_early: bool = False


CHECKPOINT_FORMAT = "eccsim-checkpoint/2"


def data_fingerprints(spec: CampaignSpec) -> dict[str, dict]:
    """SHA-256 and shape of every .npy data file of the spec: a resume (or a run whose file
    changed under it) must see the very same lines."""
    import hashlib

    out = {}
    for name in spec.data:
        if name.endswith(".npy"):
            raw = Path(name).read_bytes()
            arr = np.load(io.BytesIO(raw), allow_pickle=False)  # one read of the file
            out[name] = {"sha256": hashlib.sha256(raw).hexdigest(), "shape": list(arr.shape)}
    return out


def _plan_summary(jobs: list[Job]) -> dict:
    return {j.key: {"exhaustive": j.exhaustive, "total": j.total} for j in jobs}


def _prepare_dir(
    out: Path, spec: CampaignSpec, resume: bool, force: bool, plan_summary: dict, files: dict
) -> dict:
    """Check the results folder; return the checkpoint to resume from (or {})."""
    if resume and force:
        raise CampaignError("--resume and --force exclude each other")
    if out.exists() and not out.is_dir():
        raise CampaignError(f"results folder {str(out)!r} exists and is not a folder")
    ours = [f for f in OUR_FILES if (out / f).exists()]
    ck = out / CHECKPOINT
    if resume:
        if not ck.exists():
            raise CampaignError(f"nothing to resume: {str(ck)!r} does not exist")
        try:
            state = json.loads(ck.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CampaignError(
                f"{ck}: checkpoint is corrupt; rerun with --force to start over"
            ) from None
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CampaignError(
                f"{ck} was written by another eccsim version ({state.get('format')!r}, this one "
                f"reads {CHECKPOINT_FORMAT!r}); use --force to start over"
            )
        if state.get("spec") != spec.to_dict():
            old = state.get("spec", {})
            diff = sorted(
                k for k in set(old) | set(spec.to_dict()) if old.get(k) != spec.to_dict().get(k)
            )
            raise CampaignError(
                f"the checkpoint in {str(out)!r} was made with a different spec (differs in: "
                f"{', '.join(diff)}); resume with the same spec or use --force to start over"
            )
        changed = sorted(k for k in set(files) | set(state.get("data_files", {}))
                         if files.get(k) != state.get("data_files", {}).get(k))  # fmt: skip
        if changed:
            raise CampaignError(
                f"data file(s) {', '.join(changed)} changed since the checkpoint in {str(out)!r}; "
                "restore them or use --force to start over"
            )
        if state.get("plan") != plan_summary:
            raise CampaignError(
                f"the checkpoint in {str(out)!r} plans its jobs differently (exhaustive or trial "
                "counts changed); use --force to start over"
            )
        return state
    if ours and not force:
        raise CampaignError(
            f"results folder {str(out)!r} already holds results ({', '.join(ours)}); "
            "use --resume to continue or --force to overwrite"
        )
    for f in ours:
        (out / f).unlink()
    return {}


def _state_to_json(spec, states: dict[str, _JobState], plan_summary: dict, files: dict) -> str:
    jobs = {key: {"chunks_done": s.chunks_done, "finished": s.finished, "patterns": s.patterns,
                  "words": s.words.to_json(), "lines": s.lines.to_json(), "wall_s": s.wall_s,
                  "stopped_early": s.stopped_early}
            for key, s in states.items()}  # fmt: skip
    doc = {"format": CHECKPOINT_FORMAT, "spec": spec.to_dict(), "plan": plan_summary,
           "data_files": files, "jobs": jobs}  # fmt: skip
    return json.dumps(doc) + "\n"


def _state_from_json(d: dict) -> _JobState:
    return _JobState(int(d["chunks_done"]), int(d["patterns"]), OutcomeCounts.from_json(d["words"]),
                     OutcomeCounts.from_json(d["lines"]), float(d.get("wall_s", 0.0)),
                     bool(d["finished"]), bool(d.get("stopped_early")))  # fmt: skip


def run_campaign(
    spec: CampaignSpec,
    out_dir: str | Path | None = "eccsim-results",
    *,
    resume: bool = False,
    force: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
) -> Results:
    """Run (or resume) a campaign and return its :class:`~eccsim.results.Results`.

    With ``out_dir`` set, every finished chunk is checkpointed to ``out_dir/checkpoint.json``
    (atomically), and ``results.csv``/``results.json`` are written at the end. ``workers``
    defaults to all cores; ``progress`` to a tqdm bar when stderr is a terminal."""
    spec.validate()
    jobs = plan(spec)
    summary = _plan_summary(jobs)
    files = data_fingerprints(spec)
    out = Path(out_dir) if out_dir is not None else None
    states = {j.key: _JobState() for j in jobs}
    if out is not None:
        ck = _prepare_dir(out, spec, resume, force, summary, files)
        for key, d in ck.get("jobs", {}).items():
            if key in states:
                states[key] = _state_from_json(d)
        out.mkdir(parents=True, exist_ok=True)
    workers = os.cpu_count() or 1 if workers is None else int(workers)
    if workers < 1:
        raise CampaignError(f"workers={workers} must be >= 1")
    if progress is None:
        progress = sys.stderr.isatty()
    total_patterns = sum(j.total for j in jobs)
    done_patterns = sum(s.patterns for s in states.values())
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total_patterns, initial=done_patterns, unit="pat", unit_scale=True,
                   desc="campaign", file=sys.stderr, dynamic_ncols=True)  # fmt: skip

    def checkpoint():
        if out is not None:
            atomic_write_text(out / CHECKPOINT, _state_to_json(spec, states, summary, files))

    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=_worker_context(), initializer=_init_worker
        )
    spec_dict = spec.to_dict()
    try:
        for job in jobs:
            st = states[job.key]
            if st.finished:
                continue
            if bar is not None:
                bar.set_description(f"{job.code} {job.fault}")
            _run_job(job, st, spec, spec_dict, pool, workers, checkpoint, bar)
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
    if data_fingerprints(spec) != files:
        raise CampaignError(
            "a .npy data file changed while the campaign ran; its counts mix two data sets "
            "(rerun with --force)"
        )
    geom = get_module(spec.module)
    job_results = [
        JobResult(j.code, geom.name, j.fault, j.data, "exhaustive" if j.exhaustive else "monte-carlo",
                  get_fault(j.fault).site_kind, states[j.key].patterns, states[j.key].words,
                  states[j.key].lines, states[j.key].wall_s, states[j.key].stopped_early)
        for j in jobs
    ]  # fmt: skip
    meta = {"environment": environment(), "workers": workers, "data_files": files,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
    res = Results("campaign", spec_dict, meta, job_results, tidy_rows(job_results, spec.confidence))
    if out is not None:
        save_results(out, res)
    return res


def _init_worker() -> None:
    """Worker processes already share the cores: one numba thread each."""
    import numba

    numba.set_num_threads(1)


def _worker_context():
    """Process start method for workers: ``fork`` (fast, works from any script) unless numba's
    thread pool has already run in this process — forking then kills the children (GNU
    OpenMP) — in which case workers fork from a clean fork server with eccsim preloaded (this
    needs the usual ``if __name__ == "__main__":`` guard in scripts)."""
    import numba

    try:
        numba.threading_layer()  # raises ValueError until a parallel kernel has run here
        threads_started = True
    except ValueError:
        threads_started = False
    methods = get_all_start_methods()
    if not threads_started and "fork" in methods:
        return get_context("fork")
    if "forkserver" in methods:
        ctx = get_context("forkserver")
        ctx.set_forkserver_preload(["eccsim.campaign"])
        return ctx
    return get_context("spawn")


def _run_job(job, st, spec, spec_dict, pool, workers, checkpoint, bar):
    """Run the remaining chunks of one job, reducing them in chunk order."""
    stop = spec.stop if not job.exhaustive else None
    t_start = time.perf_counter()
    wall0 = st.wall_s
    next_chunk = st.chunks_done
    if pool is None:
        while next_chunk < job.nchunks:
            r = _run_chunk(spec_dict, job, next_chunk)
            next_chunk += 1
            if _absorb(st, r, job, stop, spec, bar):
                break
            st.wall_s = wall0 + time.perf_counter() - t_start
            checkpoint()
    else:
        pending = {}
        results = {}
        while True:
            while next_chunk < job.nchunks and len(pending) < 2 * workers:
                pending[pool.submit(_run_chunk, spec_dict, job, next_chunk)] = next_chunk
                next_chunk += 1
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                results[pending.pop(fut)] = fut.result()
            stopped = False
            while st.chunks_done in results:
                if _absorb(st, results.pop(st.chunks_done), job, stop, spec, bar):
                    stopped = True
                    break
            st.wall_s = wall0 + time.perf_counter() - t_start
            if stopped:
                for fut in pending:
                    fut.cancel()
                break
            checkpoint()
    st.finished = True
    st.wall_s = wall0 + time.perf_counter() - t_start
    checkpoint()


def _absorb(st: _JobState, r: InjectionResult, job: Job, stop, spec, bar) -> bool:
    """Add one chunk's counts; True when the stop rule says the job is done."""
    st.chunks_done += 1
    st.patterns += r.patterns
    st.words += r.words
    st.lines += r.lines
    if bar is not None:
        bar.update(r.patterns)
    if (
        stop is not None
        and st.chunks_done < job.nchunks
        and stop.satisfied(st.words, spec.confidence)
    ):
        st.stopped_early = True
        if bar is not None:
            bar.update(job.total - st.patterns)
        return True
    return False


def format_table(res: Results) -> str:
    """The campaign table: per job, word-level outcome rates (with CI for sampled jobs)."""
    lines = [
        f"{'code':<16} {'fault':<12} {'data':<8} {'mode':<11} {'words':>10} {'CE':>8} {'DUE':>8} "
        f"{'SDC':>8} {'SDC 95% CI':>21}"
    ]  # fmt: skip
    for j in res.jobs:
        t = j.words.total
        ce, due, sdc = (j.words[x] / t if t else 0.0 for x in ("ce", "due", "sdc"))
        row = next(r for r in res.rows if r["code"] == j.code and r["fault"] == j.fault
                   and r["data"] == j.data and r["level"] == "word" and r["outcome"] == "sdc")  # fmt: skip
        ci = "exact" if j.mode == "exhaustive" else f"[{row['ci_low']:.2e}, {row['ci_high']:.2e}]"
        mode = j.mode + ("*" if j.stopped_early else "")
        lines.append(f"{j.code:<16} {j.fault:<12} {j.data:<8} {mode:<11} {t:>10} {ce:>8.2%} "
                     f"{due:>8.2%} {sdc:>8.2%} {ci:>21}")  # fmt: skip
    if any(j.stopped_early for j in res.jobs):
        lines.append("* stopped early by the stop rule")
    return "\n".join(lines)
