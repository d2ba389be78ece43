"""Running a long job's chunks on a Dask cluster instead of the local worker pool.

:class:`DaskPool` has the local :class:`~eccsim.campaign.runner.Pool`'s interface (``start``,
``idle``, ``submit``, ``receive``, ``close``; plus ``discard`` for a job that stopped early),
so campaigns, BER sweeps and lifetime runs reduce chunks in chunk order, checkpoint and resume
exactly as they do locally: a chunk's counts depend only on the seed and its number, never on
where it ran, so the same seed gives identical counts on Dask, on the local pool and in one
process.

What travels: the job's context (validated spec, resolved codes and fault models, loaded data
patterns) is scattered once to every worker as data this client owns (Dask frees it when the
client goes, also when it is killed); each task carries that reference, a job record and a
chunk number. A worker killed mid-task costs nothing: the scheduler runs its chunks elsewhere
(fetching the context from a peer) and the runner takes each chunk's result once, by number.

Targets (``dask=``): ``"local"`` or ``"local:N"`` starts a private LocalCluster of N
single-threaded worker processes in a process of its own session
(:mod:`eccsim.campaign.local_cluster`; closed at the end); a scheduler address such as
``"tcp://host:8786"`` connects to a running cluster (left running); a
:class:`distributed.Client` is used as it is (left open)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time

from ..errors import CampaignError, EccsimError

#: seconds to wait for a scheduler that does not answer (or a local cluster to start: x6)
CONNECT_TIMEOUT_S = 10.0
#: seconds to wait for a first worker on a scheduler that has none, or for one to come back
#: when every worker has left during a run
WORKERS_TIMEOUT_S = 30.0
#: chunks in flight per Dask worker thread: one running, one queued behind it
DEPTH = 2
MAX_LOCAL_WORKERS = 256
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://\S+$|^[\w.\-\[\]:]+:\d+$")
_RESUME = "finished chunks are in the checkpoint: rerun with --resume"


def describe_target(dask) -> str:
    """A short name of a Dask target for messages and results metadata."""
    if isinstance(dask, str):
        return dask
    return f"client of {getattr(getattr(dask, 'scheduler', None), 'address', '?')}"


def _require_distributed():
    try:
        import distributed
    except ImportError:
        raise CampaignError(
            "running on Dask needs the dask extra: pip install -e '.[dask]' (the package "
            "'distributed' is not installed)"
        ) from None
    return distributed


def parse_target(dask, workers: int | None = None):
    """Check a ``dask`` target: returns ``("local", n)``, ``("address", text)`` or
    ``("client", client)``. ``workers`` sizes a plain ``"local"`` cluster (default: all
    cores) and must not contradict ``local:N`` or come with an address or a Client. Needs the
    ``distributed`` package (the dask extra)."""
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
            _require_distributed()
            return "local", n
        if _ADDRESS.match(text):
            if workers is not None:
                raise CampaignError(
                    "workers does not apply to a Dask scheduler (its workers are the ones "
                    "connected to it); leave it out"
                )
            _require_distributed()
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
        if workers is not None:
            raise CampaignError("workers does not apply to a distributed.Client; leave it out")
        return "client", dask
    raise CampaignError(
        f"dask must be a string ('local', 'local:N', 'tcp://host:8786') or a "
        f"distributed.Client, not {type(dask).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# connecting
# ---------------------------------------------------------------------------------------------
def _client_within(address: str, timeout: float, what: str):
    """A Client of ``address``, or one error naming it: no answer, or not a Dask scheduler,
    within ``timeout`` (Dask's own timeout does not bound every way a connection can stall)."""
    distributed = _require_distributed()
    box: dict = {}

    def make():
        try:
            box["client"] = distributed.Client(address, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # reported below, in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=make, name="eccsim-dask-connect", daemon=True)
    t.start()
    t.join(timeout + min(5.0, timeout))
    if "client" in box:
        return box["client"]
    exc = box.get("error")
    why = "no answer" if exc is None else type(exc).__name__
    if exc is None:
        threading.Thread(target=_close_late, args=(t, box), daemon=True).start()
    raise CampaignError(
        f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({why}); is "
        f"{what} running there, and is it the scheduler's port (8786 by default, not the "
        "dashboard's)?"
    )


def _close_late(t: threading.Thread, box: dict) -> None:
    t.join(120)
    with contextlib.suppress(Exception):
        box["client"].close(timeout=2)


class _LocalCluster:
    """The private cluster process of :mod:`eccsim.campaign.local_cluster`."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.proc = None
        self.log = None

    def start(self) -> str:
        self.log = tempfile.TemporaryFile(mode="w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "eccsim.campaign.local_cluster", str(self.n), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 6 * CONNECT_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n"):
            if time.monotonic() > deadline:
                raise CampaignError(
                    f"dask: a local cluster of {self.n} workers did not start within "
                    f"{6 * CONNECT_TIMEOUT_S:g} s"
                )
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                got = os.read(self.proc.stdout.fileno(), 256)
                if not got:
                    raise CampaignError(
                        f"dask: could not start a local cluster of {self.n} workers: "
                        f"{self._last_error()}"
                    )
                line += got
        return line.decode().strip()

    def _last_error(self) -> str:
        with contextlib.suppress(Exception):
            self.proc.wait(5)
            self.log.seek(0)
            lines = [x for x in self.log.read().decode(errors="replace").splitlines() if x]
            if lines:
                return lines[-1][:300]
        return f"its process ended (exit status {self.proc.returncode})"

    def close(self) -> None:
        p, self.proc = self.proc, None
        if p is not None:
            with contextlib.suppress(Exception):
                p.stdin.close()  # the cluster closes itself
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(Exception):
                    os.killpg(p.pid, 9)
                p.wait(5)
            with contextlib.suppress(Exception):
                p.stdout.close()
        if self.log is not None:
            self.log.close()
            self.log = None


def connect(dask, workers: int | None = None):
    """``(client, close)`` for a target (see :func:`parse_target`); ``close()`` closes what
    this call started (nothing for a Client passed in)."""
    kind, value = parse_target(dask, workers)
    if kind == "client":
        return value, lambda: None
    if kind == "address":
        client = _client_within(value, CONNECT_TIMEOUT_S, "`dask scheduler`")

        def close_client():
            with contextlib.suppress(Exception):
                client.close(timeout=5)

        return client, close_client
    cluster = _LocalCluster(value)
    try:
        address = cluster.start()
        client = _client_within(address, CONNECT_TIMEOUT_S, "the local cluster")
    except BaseException:
        cluster.close()
        raise

    def close_both():
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        cluster.close()

    return client, close_both


# ---------------------------------------------------------------------------------------------
# the pool
# ---------------------------------------------------------------------------------------------
def _run_on_worker(ctx, version: str, job, chunk: int):
    """Task body on a Dask worker: one chunk of the job (``ctx``: the scattered context)."""
    from ..version import __version__

    if __version__ != version:
        from distributed import get_worker

        raise CampaignError(
            f"Dask worker {get_worker().address} runs eccsim {__version__}, this client "
            f"{version}: install the same eccsim on every worker"
        )
    import numba

    numba.set_num_threads(1)  # one kernel thread per Dask worker thread: they share the cores
    return ctx.run_chunk(job, chunk)


class DaskPool:
    """The local pool's interface over a Dask cluster: at most :data:`DEPTH` chunks in flight
    per worker thread; replies come back as futures finish, in any order."""

    def __init__(self, dask, ctx, workers: int | None = None, depth: int = DEPTH) -> None:
        parse_target(dask, workers)  # bad targets refused before anything starts
        self.dask, self.ctx, self.requested, self.depth = dask, ctx, workers, depth
        self.client = None
        self._close = None
        self.context = None
        self.inflight: dict = {}  # future -> (job key, chunk)
        self._slots = (0.0, 1)
        self._run_id = os.urandom(6).hex()
        self._failing_since: float | None = None

    def start(self) -> None:
        from ..version import __version__

        self.version = __version__
        self.client, self._close = connect(self.dask, self.requested)
        if not self.client.nthreads():
            try:
                self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
            except (TimeoutError, OSError):
                raise CampaignError(
                    f"no Dask worker joined the scheduler {describe_target(self.dask)} within "
                    f"{WORKERS_TIMEOUT_S:g} s; start some with `dask worker ADDRESS`"
                ) from None
        try:
            self.context = self.client.scatter(self.ctx, broadcast=True, hash=False)
        except EccsimError:
            raise
        except Exception as exc:
            raise CampaignError(
                f"cannot send the job to the Dask cluster {describe_target(self.dask)} "
                f"({type(exc).__name__}: {exc})"
            ) from None

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
        fut = self.client.submit(_run_on_worker, self.context, self.version, job, chunk,
                                 pure=False, key=f"eccsim-{self._run_id}-{job.key}-{chunk}")  # fmt: skip
        self.inflight[fut] = (job.key, chunk)

    def discard(self, key: str) -> None:
        """Cancel the chunks of job ``key`` still in flight (it stopped early): they take no
        worker's time, and a failure of one of them can no longer end the run."""
        futs = [f for f, (k, _) in self.inflight.items() if k == key]
        for f in futs:
            del self.inflight[f]
        if futs:
            with contextlib.suppress(Exception):
                self.client.cancel(futs)

    def receive(self):
        """Replies ready now: (0, key, chunk, result) — usually at least one; none when a
        finished chunk's result was lost with its worker (it is computed again)."""
        from distributed import wait

        if not self.inflight:
            raise RuntimeError("receive() with nothing in flight")
        alone_since = None
        while True:
            try:
                with self.client.as_current():  # wait() looks for the "current" client
                    done, _ = wait(list(self.inflight), timeout=1.0,
                                   return_when="FIRST_COMPLETED")  # fmt: skip
            except TimeoutError:
                done = ()
            except Exception as exc:
                raise self._lost(exc) from None
            if done:
                break
            if self.client.status not in ("running", "connecting"):
                raise self._lost(None)
            with contextlib.suppress(Exception):
                if self.client.nthreads():
                    alone_since = None
                    continue
            alone_since = alone_since or time.monotonic()
            if time.monotonic() - alone_since > WORKERS_TIMEOUT_S:
                raise CampaignError(
                    f"every Dask worker of {describe_target(self.dask)} left and none came back "
                    f"within {WORKERS_TIMEOUT_S:g} s; {_RESUME}"
                )
        for f in done:
            if f.status not in ("finished", "pending", "lost"):
                self._fail(f)  # error or cancelled
        # "lost": its result died with a worker after it finished; Dask computes it again
        finished = [f for f in done if f.status == "finished"]
        try:
            values = self.client.gather(finished)
        except Exception as exc:
            since = self._failing_since = self._failing_since or time.monotonic()
            if self.client.status != "running" or time.monotonic() - since > WORKERS_TIMEOUT_S:
                raise self._lost(exc) from None
            time.sleep(0.1)  # a result went with its worker between wait and gather: again
            return []
        self._failing_since = None
        out = []
        for f, v in zip(finished, values, strict=True):
            key, chunk = self.inflight.pop(f)
            out.append((0, key, chunk, v))
            f.release()
        return out

    def _lost(self, exc) -> CampaignError:
        why = f" ({type(exc).__name__})" if exc is not None else ""
        return CampaignError(f"lost the Dask cluster {describe_target(self.dask)}{why}; {_RESUME}")

    def _fail(self, fut):
        from distributed import KilledWorker

        key, chunk = self.inflight[fut]
        try:
            exc = fut.exception(timeout=5)
        except Exception as lost:  # cancelled, or the connection is gone
            raise self._lost(lost) from None
        if isinstance(exc, EccsimError):
            raise exc
        if isinstance(exc, KilledWorker):
            raise CampaignError(
                f"chunk {chunk} of job {key} killed every Dask worker it ran on (out of "
                f"memory?); {_RESUME}"
            ) from None
        if fut.status in ("cancelled", "lost") or not isinstance(exc, Exception):
            raise self._lost(exc)
        raise RuntimeError(f"a Dask worker failed on chunk {chunk} of job {key}: {exc!r}") from exc

    def close(self) -> None:
        """Cancel what is in flight, let the context go, and close what this run started."""
        client, self.client = self.client, None
        if client is None:
            if self._close is not None:
                self._close()
            return
        if client.status == "running":
            with contextlib.suppress(Exception):
                futs = list(self.inflight) + ([self.context] if self.context else [])
                if futs:
                    client.cancel(futs)
        self.inflight, self.context = {}, None
        close, self._close = self._close, None
        if close is not None:
            close()


def quiet_logs() -> None:
    """Dask's own log lines off (for the command line, which reports in one line). After
    ``distributed`` is imported: importing it sets its loggers' levels from Dask's config."""
    import logging

    with contextlib.suppress(ImportError):
        import distributed  # noqa: F401
    names = [n for n in logging.root.manager.loggerDict if n.startswith(("distributed", "tornado"))]
    for name in {"distributed", "tornado", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL)


__all__ = ["CONNECT_TIMEOUT_S", "DaskPool", "connect", "describe_target", "parse_target"]
