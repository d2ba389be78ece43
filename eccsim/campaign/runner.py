"""Running a campaign: the results folder (checked, locked), the worker pool, interruption.

The pool is a few plain worker processes, each fed through its own pipe; no manager thread,
no queue feeder thread, nothing to join at exit. Each worker receives the validated spec and
the loaded data once, when it starts, and then only (job, chunk) pairs.

Interruption: Ctrl-C (SIGINT) and SIGTERM raise :class:`Interrupted` in the main process
once; further signals are ignored until the workers are killed (SIGKILL, explicitly) and
reaped, so the run always ends within a second or two, keeping the last checkpoint. Workers
ignore SIGINT (their parent handles it), and die with their parent: on Linux through
``prctl(PR_SET_PDEATHSIG, SIGKILL)``, elsewhere by noticing, between chunks, that their parent
changed."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import wait
from pathlib import Path

from ..codes import get_code
from ..errors import CampaignError, EccsimError
from ..faults import get_fault
from ..injection import BLOCK, InjectionResult, fault_stream, run_blocks
from ..module import get_module
from ..results import JobResult, Results, environment, save_results, tidy_rows
from ..safeio import check_output_path
from ..validate import require_int
from .checkpoint import (
    CHECKPOINT,
    PREVIOUS,
    CheckpointWriter,
    JobState,
    decode_checkpoint,
    encode_checkpoint,
    load_checkpoint,
)
from .data import data_fingerprints, load_data
from .folder import (
    OUR_FILES,
    clear_ours,
    clear_stale_temporaries,
    hold_folder,
    refuse_existing,
    refuse_folders_at_our_names,
    refuse_if_in_use,
)
from .plan import Job, plan, plan_summary
from .spec import CampaignSpec

MAX_WORKERS = 256


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT (Ctrl-C) or SIGTERM; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# ---------------------------------------------------------------------------------------------
# what every worker needs, resolved once
# ---------------------------------------------------------------------------------------------
@dataclass
class Context:
    """The validated spec with every name resolved and every data file loaded."""

    spec: CampaignSpec
    geom: object
    codes: dict
    faults: dict
    data: dict

    @classmethod
    def build(cls, spec: CampaignSpec) -> Context:
        geom = get_module(spec.module)
        if spec.systems:
            from ..faults.device import get_device_fault
            from ..system import get_system

            return cls(spec, geom, {c: get_system(c) for c in spec.codes},
                       {m.name: m for m in map(get_device_fault, spec.faults)},
                       {d: None for d in spec.data})  # fmt: skip
        return cls(spec, geom, {c: get_code(c) for c in spec.codes},
                   {m.name: m for m in map(get_fault, spec.faults)},
                   {d: load_data(d, geom) for d in spec.data})  # fmt: skip

    @property
    def max_slots(self) -> int:
        """Most codewords in a line of any job's module."""
        if self.spec.systems:
            return max(s.module.slots for s in self.codes.values())
        return self.geom.slots

    def run_chunk(self, job: Job, chunk: int) -> InjectionResult:
        bpc = self.spec.chunk // BLOCK
        if self.spec.systems:
            from ..system import run_system_blocks

            fault = self.faults[job.fault]
            return run_system_blocks(
                self.codes[job.code], fault, exhaustive=job.exhaustive, total=job.total,
                blocks=range(chunk * bpc, (chunk + 1) * bpc), seed=self.spec.seed,
                stream=fault_stream(fault),
            )  # fmt: skip
        return run_blocks(
            self.codes[job.code], self.geom, self.faults[job.fault],
            exhaustive=job.exhaustive, total=job.total,
            blocks=range(chunk * bpc, (chunk + 1) * bpc), data=self.data[job.data],
            seed=self.spec.seed,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def interrupts_once():
    """SIGINT and SIGTERM raise :class:`Interrupted` once; later ones are ignored until the
    block is left (cleanup cannot itself be interrupted). No-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except BaseException:
        fired.append(0)  # an exception is on its way out: no signal may replace it
        raise
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# ---------------------------------------------------------------------------------------------
# the pool
# ---------------------------------------------------------------------------------------------
PR_SET_PDEATHSIG = 1


def _die_with_parent(main_pid: int) -> int:
    """Arrange for this worker to be killed when its parent dies; return the parent's pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    with contextlib.suppress(AttributeError, OSError):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    ppid = os.getppid()
    if not _parent_alive(main_pid, ppid):  # the parent died before prctl took effect
        os._exit(1)
    return ppid


def _parent_alive(main_pid: int, ppid: int) -> bool:
    if os.getppid() != ppid:
        return False  # re-parented: our parent (the main process or its fork server) is gone
    if ppid == main_pid:
        return True
    try:
        os.kill(main_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    return True


def _worker_main(conn, main_pid: int, ctx: Context) -> None:
    """Worker process: run (job, chunk) requests until the parent says stop or disappears."""
    ppid = _die_with_parent(main_pid)
    import numba

    numba.set_num_threads(1)  # the workers already share the cores
    while True:
        while not conn.poll(0.5):
            if not _parent_alive(main_pid, ppid):
                os._exit(1)
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if msg is None:
            return
        job, chunk = msg
        try:
            reply = ("ok", job.key, chunk, ctx.run_chunk(job, chunk))
        except Exception as exc:  # send it home: the parent reports it
            import traceback

            err = exc if isinstance(exc, EccsimError) else None
            reply = ("error", job.key, chunk, (err, traceback.format_exc()))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            os._exit(0)


def worker_context():
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
        ctx.set_forkserver_preload(["eccsim.campaign.runner"])
        return ctx
    return get_context("spawn")


class Pool:
    """``n`` worker processes with one pipe each; at most ``depth`` requests per worker."""

    def __init__(self, n: int, ctx: Context, depth: int = 2) -> None:
        self.n, self.ctx, self.depth = n, ctx, depth
        self.procs: list = []
        self.conns: list = []
        self.busy: list[int] = []

    def start(self) -> None:
        mp = worker_context()
        main_pid = os.getpid()
        blocked = {signal.SIGINT, signal.SIGTERM}
        can_mask = threading.current_thread() is threading.main_thread()
        for _ in range(self.n):
            a, b = mp.Pipe(duplex=True)
            p = mp.Process(target=_worker_main, args=(b, main_pid, self.ctx), daemon=True)
            # a forked child inherits the mask: it cannot die of Ctrl-C before it ignores it
            if can_mask:
                signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
            try:
                p.start()
                self.procs.append(p)
                self.conns.append(a)
                self.busy.append(0)
            finally:
                if can_mask:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
                b.close()

    def idle(self) -> int | None:
        """A worker with room for another request, the least busy first."""
        i = min(range(self.n), key=self.busy.__getitem__)
        return i if self.busy[i] < self.depth else None

    def submit(self, i: int, job: Job, chunk: int) -> None:
        self.conns[i].send((job, chunk))
        self.busy[i] += 1

    def receive(self):
        """Replies ready now (waiting for at least one): (worker, key, chunk, result)."""
        sentinels = {p.sentinel: p for p in self.procs}
        ready = wait(self.conns + list(sentinels))
        out = []
        for r in ready:
            if r in sentinels:
                p = sentinels[r]
                i = self.procs.index(p)
                if not self.conns[i].poll():
                    raise CampaignError(
                        f"worker process {p.pid} died (exit code {p.exitcode}; out of memory?); "
                        "finished chunks are in the checkpoint: rerun with --resume"
                    )
                continue
            i = self.conns.index(r)
            try:
                status, key, chunk, value = r.recv()
            except (EOFError, OSError):
                p = self.procs[i]
                p.join(1)
                raise CampaignError(
                    f"worker process {p.pid} died (exit code {p.exitcode}; out of memory?); "
                    "finished chunks are in the checkpoint: rerun with --resume"
                ) from None
            self.busy[i] -= 1
            if status == "error":
                err, tb = value
                if err is not None:
                    raise err
                raise RuntimeError(f"a worker failed on chunk {chunk} of job {key}:\n{tb}")
            out.append((i, key, chunk, value))
        return out

    def close(self) -> None:
        """Kill every worker (SIGKILL: they hold no state worth saving) and reap them."""
        for p in self.procs:
            with contextlib.suppress(Exception):
                if p.is_alive():
                    p.kill()
        deadline = time.monotonic() + 2.0
        for p in self.procs:
            with contextlib.suppress(Exception):
                p.join(max(0.0, deadline - time.monotonic()))
        for c in self.conns:
            with contextlib.suppress(Exception):
                c.close()
        self.procs, self.conns, self.busy = [], [], []


# ---------------------------------------------------------------------------------------------
# the campaign
# ---------------------------------------------------------------------------------------------
def _notice(text: str) -> None:
    print(f"eccsim: note: {text}", file=sys.stderr)


def run_campaign(
    spec: CampaignSpec,
    out_dir: str | Path | None = "eccsim-results",
    *,
    resume: bool = False,
    force: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    notice=_notice,
    finish=None,
    convert=None,
    dask=None,
) -> Results:
    """Run (or resume) a campaign and return its :class:`~eccsim.results.Results`.

    With ``out_dir`` set, the folder is locked for the run (a second run on it is refused),
    every finished chunk is checkpointed to ``out_dir/checkpoint.json`` (atomically, keeping
    the previous one as ``checkpoint.json.prev``), and ``results.csv``/``results.json`` are
    written at the end. ``workers`` defaults to all cores; ``progress`` to a tqdm bar when
    stderr is a terminal. Ctrl-C or SIGTERM raise :class:`Interrupted` (a KeyboardInterrupt)
    after the workers are gone; the checkpoint is kept for ``resume=True``. ``finish(results)``,
    if given, runs after the results are saved, while the folder is still locked (figures).
    ``notice(text)`` receives one-line notes (default: printed on stderr).

    ``convert(results) -> (results, csv_fields)``, if given, turns the campaign's results into
    what is saved, handed to ``finish`` and returned (a BER sweep's points: see
    :mod:`eccsim.ber`); the checkpoint stays the campaign's.

    ``dask``: run the chunks on a Dask cluster instead of local processes — ``"local"`` /
    ``"local:N"`` (a LocalCluster of ``workers`` / N processes), a scheduler address
    (``"tcp://host:8786"``) or a :class:`distributed.Client` (see
    :mod:`eccsim.campaign.cluster`); the counts are the same as without it."""
    if resume and force:
        raise CampaignError("--resume and --force exclude each other")
    if workers is not None:
        workers = require_int("workers", workers, 1, MAX_WORKERS, error=CampaignError)
    if dask is not None:
        from .cluster import parse_target

        kind, value = parse_target(dask, workers)  # refused before the folder is touched
        if kind == "local":
            dask, workers = f"local:{value}", None
    workers = (os.cpu_count() or 1) if workers is None else workers
    if not isinstance(spec, CampaignSpec):
        raise CampaignError(f"spec must be a CampaignSpec, not {type(spec).__name__}")
    spec.validate(data_files=False)
    kind = "campaign" if convert is None else "ber-sweep"  # convert: a BER sweep's points
    out = None
    if out_dir is not None:
        out = check_output_path(out_dir, what="results folder", error=CampaignError)
        refuse_if_in_use(out)
        if resume:
            if not (out / CHECKPOINT).exists() and not (out / PREVIOUS).exists():
                raise CampaignError(f"nothing to resume: {str(out / CHECKPOINT)!r} does not exist")
        else:
            refuse_existing(out, force, spec, kind)
        if out.is_dir():
            refuse_folders_at_our_names(out)
    ctx = Context.build(spec)  # reads each .npy data file once
    jobs = plan(spec, ctx.data)
    summary = plan_summary(jobs)
    files = data_fingerprints(spec)
    with interrupts_once():
        cluster = None
        try:
            if dask is not None:  # connected before the folder is touched: a dead address
                cluster = make_pool(ctx, workers, dask)  # costs nothing but this error
            if out is None:
                states = {j.key: JobState() for j in jobs}
                res = _run(ctx, jobs, states, None, workers, progress, files, convert=convert,
                           dask=dask, pool=cluster)  # fmt: skip
                if finish is not None:
                    finish(res)
                return res
            with hold_folder(out):
                states, writer = _prepare(out, ctx, jobs, summary, files, resume, force,
                                          notice, kind)  # fmt: skip
                res = _run(ctx, jobs, states, (writer, summary), workers, progress, files, out,
                           convert, dask, cluster)  # fmt: skip
                if finish is not None:
                    finish(res)
                return res
        finally:
            if cluster is not None:
                cluster.close()


def _prepare(out, ctx, jobs, summary, files, resume, force, notice, kind="campaign"):
    """Under the folder's lock: the states to start from and the checkpoint writer. What a
    killed run left half-written (eccsim's own temporaries) is removed first."""
    spec = ctx.spec
    refuse_folders_at_our_names(out)
    clear_stale_temporaries(out)
    if resume:

        def decode(text, where):
            return decode_checkpoint(text, where, spec, jobs, summary, files,
                                     slots=ctx.max_slots)  # fmt: skip

        states, _ = load_checkpoint(out, decode, notice)
        writer = CheckpointWriter(out)
        writer.write(encode_checkpoint(spec, states, summary, files))  # a good one on top
        return states, writer
    refuse_existing(out, force, spec, kind)  # again, now that no other run can write here
    clear_ours(out)
    states = {j.key: JobState() for j in jobs}
    writer = CheckpointWriter(out)
    writer.write(encode_checkpoint(spec, states, summary, files))  # --resume works from now on
    return states, writer


def make_pool(ctx, workers: int, dask=None):
    """The pool a run's chunks go to: a :class:`~eccsim.campaign.cluster.DaskPool` when
    ``dask`` names a cluster, the local :class:`Pool` for ``workers`` > 1, else None (this
    process). Started."""
    if dask is not None:
        from .cluster import DaskPool

        pool = DaskPool(dask, ctx)
    elif workers > 1:
        pool = Pool(workers, ctx)
    else:
        return None
    try:
        pool.start()
    except BaseException:
        pool.close()
        raise
    return pool


def _run(ctx, jobs, states, ck, workers, progress, files, out=None, convert=None,
         dask=None, pool=None) -> Results:  # fmt: skip
    """Run the unfinished jobs — on ``pool`` when given (started; its owner closes it), else
    on a local pool of ``workers`` processes started here, or in this process."""
    spec = ctx.spec
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(j.total for j in jobs), initial=sum(s.patterns for s in states.values()),
                   unit="pat", unit_scale=True, desc="campaign", file=sys.stderr,
                   dynamic_ncols=True)  # fmt: skip

    def checkpoint():
        if ck is not None:
            writer, summary = ck
            writer.write(encode_checkpoint(spec, states, summary, files))

    todo = [j for j in jobs if not states[j.key].finished]
    executor = "this process" if workers == 1 else "local processes"
    own = pool is None
    try:
        if own and todo:
            pool = make_pool(ctx, workers)
        if dask is not None:
            from .cluster import describe_target

            executor = f"dask {describe_target(dask)}"
            workers = pool.n
        if pool is None:
            for job in todo:
                if bar is not None:
                    bar.set_description(f"{job.code} {job.fault}")
                _run_job(ctx, job, states[job.key], checkpoint, bar)
        else:
            _run_pooled(ctx, todo, states, pool, checkpoint, bar)
    finally:
        if own and pool is not None:
            pool.close()
        if bar is not None:
            bar.close()
    if data_fingerprints(spec) != files:
        raise CampaignError(
            "a .npy data file changed while the campaign ran; its counts mix two data sets "
            "(rerun with --force)"
        )
    job_results = []
    for j in jobs:
        st = states[j.key]
        module = ctx.codes[j.code].module.name if spec.systems else ctx.geom.name
        jr = JobResult(j.code, module, j.fault, j.data,
                       "exhaustive" if j.exhaustive else "monte-carlo",
                       ctx.faults[j.fault].site_kind, st.patterns, st.words, st.lines, st.wall_s,
                       st.stopped_early)  # fmt: skip
        jr.on_die = st.on_die
        job_results.append(jr)
    meta = {"environment": environment(), "workers": workers, "executor": executor,
            "data_files": files,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
    res = Results("campaign", spec.to_dict(), meta, job_results,
                  tidy_rows(job_results, spec.confidence))  # fmt: skip
    fields = None
    if convert is not None:
        res, fields = convert(res)
    if out is not None:
        try:
            save_results(out, res, *([fields] if fields else []))
        except OSError as exc:
            raise CampaignError(
                f"cannot write the results into {str(out)!r} ({exc.strerror or exc}: "
                f"{exc.filename!r}); the checkpoint is kept: fix that, then rerun with --resume"
            ) from None
    return res


def _run_job(ctx, job: Job, st: JobState, checkpoint, bar) -> None:
    """Run the remaining chunks of one job in this process, in chunk order."""
    spec = ctx.spec
    stop = spec.stop if not job.exhaustive else None
    level = getattr(ctx.faults[job.fault], "level", "word")  # ber-line: its lines
    t_start = time.perf_counter()
    wall0 = st.wall_s
    stopped = False
    while st.chunks_done < job.nchunks and not stopped:
        r = ctx.run_chunk(job, st.chunks_done)
        stopped = _absorb(st, r, job, stop, spec, bar, level)
        st.wall_s = wall0 + time.perf_counter() - t_start
        if not stopped:
            checkpoint()
    st.finished = True
    st.wall_s = wall0 + time.perf_counter() - t_start
    checkpoint()


@dataclass
class _Running:
    """A job on the pool: its next chunk to send, replies waiting for their turn, wall clock."""

    job: Job
    st: JobState
    stop: object
    level: str
    next: int
    waiting: dict
    started: float | None = None
    wall0: float = 0.0


def _run_pooled(ctx, todo: list[Job], states: dict, pool, checkpoint, bar) -> None:
    """Run the remaining chunks of every job on the pool. Chunks of the next jobs are sent as
    soon as a worker has room, so workers stay busy across job boundaries (on a cluster with
    more workers than a job has chunks, too); each job is still reduced in chunk order and its
    stop rule judged after each chunk, so the counts are those of a run in one process. Late
    replies of a job that stopped early are dropped by key (a Dask pool cancels them). A job's
    ``wall_s`` runs from its first chunk sent to its last absorbed, so jobs overlap."""
    spec = ctx.spec
    run = [_Running(j, states[j.key], spec.stop if not j.exhaustive else None,
                    getattr(ctx.faults[j.fault], "level", "word"), states[j.key].chunks_done,
                    {}, wall0=states[j.key].wall_s) for j in todo]  # fmt: skip
    by_key = {r.job.key: r for r in run}
    live = list(run)
    while True:
        changed = False
        for r in live:
            stopped = False
            while r.st.chunks_done in r.waiting and not stopped:
                got = r.waiting.pop(r.st.chunks_done)
                stopped = _absorb(r.st, got, r.job, r.stop, spec, bar, r.level)
                changed = True
            if r.started is not None:
                r.st.wall_s = r.wall0 + time.perf_counter() - r.started
            if stopped or r.st.chunks_done >= r.job.nchunks:
                r.st.finished = changed = True
                r.waiting.clear()
                if stopped and hasattr(pool, "discard"):
                    pool.discard(r.job.key)  # its chunks still in flight are not needed
        if changed:
            checkpoint()
        live = [r for r in live if not r.st.finished]
        if not live:
            return
        sendable = (r for r in live if r.next < r.job.nchunks)
        r = next(sendable, None)
        while r is not None and (i := pool.idle()) is not None:
            if r.started is None:
                r.started = time.perf_counter()
            pool.submit(i, r.job, r.next)
            r.next += 1
            if r.next >= r.job.nchunks:
                r = next(sendable, None)
        if bar is not None:
            bar.set_description(f"{live[0].job.code} {live[0].job.fault}")
        for _, key, chunk, got in pool.receive():
            r = by_key.get(key)
            if r is not None and not r.st.finished:
                r.waiting[chunk] = got


def _absorb(st: JobState, r: InjectionResult, job: Job, stop, spec, bar, level="word") -> bool:
    """Add one chunk's counts; True when the stop rule says the job is done (judged on the
    counts of ``level``: the fault model's own level, words unless it says lines)."""
    st.chunks_done += 1
    st += r
    if bar is not None:
        bar.update(r.patterns)
    if (
        stop is not None
        and st.chunks_done < job.nchunks
        and stop.satisfied(st.lines if level == "line" else st.words, spec.confidence)
    ):
        st.stopped_early = True
        if bar is not None:
            bar.update(job.total - st.patterns)
        return True
    return False


__all__ = ["OUR_FILES", "Context", "Interrupted", "Pool", "hold_folder", "run_campaign",
           "worker_context"]  # fmt: skip
