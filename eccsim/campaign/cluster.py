"""Running a long job's chunks on a Dask cluster instead of the local worker pool.

:class:`DaskPool` has the local :class:`~eccsim.campaign.runner.Pool`'s interface (``start``,
``idle``, ``submit``, ``receive``, ``close``), so campaigns, BER sweeps and lifetime runs
reduce chunks in chunk order, checkpoint and resume exactly as they do locally: a chunk's
counts depend only on the seed and its number, never on where it ran, so the same seed gives
identical counts on Dask, on the local pool and in one process.

What travels: the job's context (validated spec, resolved codes and fault models, loaded data
patterns) goes once to each worker as a Dask worker plugin (workers that join or restart later
get it from the scheduler); each task then carries only the plugin's name, a job record and a
chunk number. A worker killed mid-task costs nothing: the scheduler runs its chunks elsewhere
and the runner takes each chunk's result once, by its number.

Targets (``dask=``): ``"local"`` or ``"local:N"`` starts a :class:`distributed.LocalCluster`
of N single-threaded worker processes (owned: closed at the end); a scheduler address such as
``"tcp://host:8786"`` connects to a running cluster (left running); a
:class:`distributed.Client` is used as it is (left open)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
import uuid

from ..errors import CampaignError, EccsimError

try:  # the plugin must be a WorkerPlugin for Dask to install it; distributed is optional
    from distributed.diagnostics.plugin import WorkerPlugin as _PluginBase
except ImportError:  # pragma: no cover - without the extra, DaskPool is never built
    _PluginBase = object

#: seconds to wait for a scheduler that does not answer
CONNECT_TIMEOUT_S = 10.0
#: seconds to wait for a first worker on a scheduler that has none
WORKERS_TIMEOUT_S = 30.0
#: chunks in flight per Dask worker thread: one running, one queued behind it
DEPTH = 2
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://\S+$|^[\w.\-\[\]:]+:\d+$")
MAX_LOCAL_WORKERS = 256


def describe_target(dask) -> str:
    """A short name of a Dask target for messages and results metadata."""
    if isinstance(dask, str):
        return dask
    return f"client of {getattr(getattr(dask, 'scheduler', None), 'address', '?')}"


def parse_target(dask, workers: int | None = None):
    """Check a ``dask`` target: returns ``("local", n)``, ``("address", text)`` or
    ``("client", client)``. ``workers`` sizes a plain ``"local"`` cluster (default: all
    cores) and must not contradict ``local:N`` or come with an address."""
    if isinstance(dask, str):
        text = dask.strip()
        m = re.fullmatch(r"local(?::(\d+))?", text)
        if m:
            if m.group(1) is not None:
                n = int(m.group(1))
                if workers is not None and workers != n:
                    raise CampaignError(
                        f"dask: {text!r} names {n} workers but workers is {workers}; give one"
                    )
            else:
                n = workers if workers is not None else (os.cpu_count() or 1)
            if not 1 <= n <= MAX_LOCAL_WORKERS:
                raise CampaignError(
                    f"dask: a local cluster takes 1..{MAX_LOCAL_WORKERS} workers, not {n}"
                )
            return "local", n
        if _ADDRESS.match(text):
            if workers is not None:
                raise CampaignError(
                    "workers does not apply to a Dask scheduler (its workers are the ones "
                    "connected to it); leave it out"
                )
            return "address", text
        raise CampaignError(
            f"dask must be 'local', 'local:N' (N worker processes) or a scheduler address "
            f"such as 'tcp://host:8786', not {dask!r}"
        )
    try:
        from distributed import Client
    except ImportError:
        Client = None
    if Client is not None and isinstance(dask, Client):
        return "client", dask
    raise CampaignError(
        f"dask must be a string ('local', 'local:N', 'tcp://host:8786') or a "
        f"distributed.Client, not {type(dask).__name__}"
    )


def _require_distributed():
    try:
        import distributed
    except ImportError:
        raise CampaignError(
            "running on Dask needs the dask extra: pip install -e '.[dask]' (the package "
            "'distributed' is not installed)"
        ) from None
    return distributed


@contextlib.contextmanager
def _children_ignore_ctrl_c():
    """Worker processes started inside inherit an ignored SIGINT: Ctrl-C in a terminal goes
    to the whole process group, and stopping the run is this process's business."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def connect(dask, workers: int | None = None):
    """``(client, cluster, owned)`` for a target (see :func:`parse_target`); ``owned``: this
    run started it and closes it."""
    kind, value = parse_target(dask, workers)
    if kind == "client":
        return value, None, False
    distributed = _require_distributed()
    if kind == "local":
        import logging

        try:
            with _children_ignore_ctrl_c():
                cluster = distributed.LocalCluster(
                    n_workers=value, threads_per_worker=1, processes=True,
                    dashboard_address=":0", silence_logs=logging.CRITICAL,
                )  # fmt: skip
        except (RuntimeError, OSError, TimeoutError) as exc:
            raise CampaignError(
                f"dask: could not start a local cluster of {value} workers ({exc}); a script "
                'that runs one needs the `if __name__ == "__main__":` guard (workers are '
                "spawned processes that import the script)"
            ) from None
        try:
            client = distributed.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        return client, cluster, True
    try:
        client = distributed.Client(value, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise CampaignError(
            f"cannot reach the Dask scheduler at {value!r} within {CONNECT_TIMEOUT_S:g} s "
            f"({type(exc).__name__}); is `dask scheduler` running there and the port open?"
        ) from None
    return client, None, True


class ContextPlugin(_PluginBase):
    """Carries a job's context to every Dask worker once; checks the worker's eccsim."""

    def __init__(self, name: str, ctx, version: str) -> None:
        self.name, self.ctx, self.version = name, ctx, version
        self.problem: str | None = None

    def setup(self, worker=None):
        from ..version import __version__

        if __version__ != self.version:
            self.problem = (
                f"Dask worker {getattr(worker, 'address', '?')} runs eccsim {__version__}, "
                f"this client {self.version}: install the same eccsim on every worker"
            )


def _run_on_worker(plugin: str, job, chunk: int):
    """Task body on a Dask worker: one chunk of the job, with the context its plugin holds."""
    from distributed import get_worker

    worker = get_worker()
    p = worker.plugins.get(plugin)
    if p is None:
        raise CampaignError(f"Dask worker {worker.address} has no eccsim context {plugin!r}")
    if p.problem:
        raise CampaignError(p.problem)
    import numba

    numba.set_num_threads(1)  # one kernel thread per Dask worker thread: they share the cores
    return p.ctx.run_chunk(job, chunk)


class DaskPool:
    """The local pool's interface over a Dask cluster: at most :data:`DEPTH` chunks in flight
    per worker thread; replies come back as futures finish, in any order."""

    def __init__(self, dask, ctx, workers: int | None = None, depth: int = DEPTH) -> None:
        parse_target(dask, workers)  # bad targets refused before anything starts
        self.dask, self.ctx, self.requested, self.depth = dask, ctx, workers, depth
        self.client = self.cluster = None
        self.owned = False
        self.inflight: dict = {}
        self.completed = None
        self.plugin = f"eccsim-{uuid.uuid4().hex[:12]}"
        self._slots = (0.0, 1)

    def start(self) -> None:
        distributed = _require_distributed()
        from ..version import __version__

        self.client, self.cluster, self.owned = connect(self.dask, self.requested)
        if not self.client.nthreads():
            try:
                self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
            except (TimeoutError, OSError):
                raise CampaignError(
                    f"no Dask worker joined the scheduler {describe_target(self.dask)} within "
                    f"{WORKERS_TIMEOUT_S:g} s; start some with `dask worker ADDRESS`"
                ) from None
        try:
            self.client.register_plugin(ContextPlugin(self.plugin, self.ctx, __version__),
                                        name=self.plugin)  # fmt: skip
        except EccsimError:
            raise
        except Exception as exc:
            raise CampaignError(
                f"cannot send the job to the Dask cluster {describe_target(self.dask)} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        self.completed = distributed.as_completed(loop=self.client.loop)

    @property
    def n(self) -> int:
        """Worker threads connected now (rechecked at most once a second)."""
        t, n = self._slots
        if time.monotonic() - t > 1.0:
            with contextlib.suppress(Exception):
                n = max(1, sum(self.client.nthreads().values()))
            self._slots = (time.monotonic(), n)
        return self._slots[1]

    def idle(self) -> int | None:
        return 0 if len(self.inflight) < self.depth * self.n else None

    def submit(self, i: int, job, chunk: int) -> None:
        fut = self.client.submit(_run_on_worker, self.plugin, job, chunk, pure=False,
                                 key=f"{self.plugin}-{job.key}-{chunk}")  # fmt: skip
        self.inflight[fut.key] = (job.key, chunk)
        self.completed.add(fut)

    def receive(self):
        """Replies ready now (waiting for at least one): (0, key, chunk, result)."""
        first = next(self.completed)
        done = [first, *self.completed.next_batch(block=False)]
        out = []
        for fut in done:
            key, chunk = self.inflight.pop(fut.key)
            out.append((0, key, chunk, self._result(fut, key, chunk)))
            fut.release()
        return out

    def _result(self, fut, key, chunk):
        from distributed import KilledWorker

        if fut.status == "finished":
            return fut.result()
        try:
            exc = fut.exception()
        except Exception as lost:  # cancelled: the scheduler or the connection is gone
            exc = lost
        if isinstance(exc, EccsimError):
            raise exc
        if isinstance(exc, KilledWorker):
            raise CampaignError(
                f"chunk {chunk} of job {key} killed every Dask worker it ran on (out of "
                "memory?); finished chunks are in the checkpoint: rerun with --resume"
            ) from None
        if fut.status in ("cancelled", "lost") or not isinstance(exc, Exception):
            raise CampaignError(
                f"lost the Dask cluster {describe_target(self.dask)} while chunk {chunk} of "
                f"job {key} ran ({type(exc).__name__}); finished chunks are in the "
                "checkpoint: rerun with --resume"
            ) from None
        raise RuntimeError(f"a Dask worker failed on chunk {chunk} of job {key}: {exc!r}") from exc

    def close(self) -> None:
        """Cancel what is in flight, take the plugin back, and close what this run started."""
        client, self.client = self.client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            if self.completed is not None:
                futs = list(self.completed.futures)
                self.completed.clear()
                if futs:
                    client.cancel(futs, force=True)
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(self.plugin)
        self.inflight = {}
        if self.owned:
            with contextlib.suppress(Exception):
                client.close(timeout=5)
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=10)
        self.cluster = None


__all__ = ["CONNECT_TIMEOUT_S", "ContextPlugin", "DaskPool", "connect", "parse_target"]
