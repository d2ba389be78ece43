"""Campaigns, BER sweeps and lifetime runs on a Dask cluster count exactly what they count
locally, survive a killed worker, resume after a killed client, and refuse bad targets.

* The same seed gives identical counts on a 2-worker LocalCluster (given as a Client, as
  ``local:2`` and as a scheduler address), on the local process pool and in one process.
* A worker SIGKILLed while it holds chunks of the run loses no chunk and counts none twice.
* A client killed with SIGKILL leaves no worker process behind; ``--resume`` then finishes
  with the counts of an uninterrupted run. Ctrl-C sent to the whole process group ends the
  run with one line, like the local pool.
* Tasks carry a plugin name, a job record and a chunk number — never the data arrays; the
  context reaches the cluster once.
* A bad target, a scheduler nobody answers at, or ``workers`` next to an address is one error
  naming what is allowed (the CLI: one line, exit 2).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from test_interruption import alive, chunks_done, descendants  # noqa: E402

from eccsim.campaign import CampaignSpec, run_campaign  # noqa: E402
from eccsim.campaign import cluster as dask_cluster  # noqa: E402
from eccsim.errors import CampaignError  # noqa: E402
from eccsim.lifetime import LifetimeSpec  # noqa: E402
from eccsim.lifetime_runner import run_lifetime_job  # noqa: E402
from eccsim.results import load_results  # noqa: E402

SPEC = CampaignSpec(codes=("hamming-secded", "hsiao-secded"), faults=("bits:3", "chip"),
                    trials=120_000, chunk=4096, seed=11, mode="monte-carlo")  # fmt: skip


def counts_of(res) -> dict:
    return {(j.code, j.fault, j.data): (j.patterns, j.words, j.lines) for j in res.jobs}


@pytest.fixture(scope="module")
def client():
    """A 2-worker LocalCluster shared by the tests of this file."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=50
        ) as cl,  # fmt: skip
        distributed.Client(cl, set_as_default=False) as c,
    ):
        c.wait_for_workers(2)
        yield c


@pytest.fixture(scope="module")
def one_process():
    return counts_of(run_campaign(SPEC, None, workers=1, progress=False))


# ----- same counts everywhere -------------------------------------------------------------------
def test_a_campaign_counts_the_same_on_dask_on_the_local_pool_and_in_one_process(
    client, one_process
):
    on_dask = run_campaign(SPEC, None, dask=client, progress=False)
    assert counts_of(on_dask) == one_process
    assert counts_of(run_campaign(SPEC, None, workers=2, progress=False)) == one_process
    assert on_dask.meta["workers"] == 2 and on_dask.meta["executor"].startswith("dask")


def test_an_exhaustive_campaign_with_data_files_counts_the_same_on_dask(client, tmp_path):
    from eccsim.module import get_module

    slots = get_module("x8-ecc-dimm").slots
    lines = np.random.default_rng(3).integers(0, 2**63, size=(37, slots, 1), dtype=np.uint64)
    np.save(tmp_path / "lines.npy", lines)
    spec = CampaignSpec(codes=("hsiao-secded",), faults=("bits:2",),
                        data=("random", str(tmp_path / "lines.npy")), chunk=4096, seed=4)  # fmt: skip
    assert counts_of(run_campaign(spec, None, dask=client, progress=False)) == counts_of(
        run_campaign(spec, None, workers=1, progress=False)
    )


def test_a_lifetime_run_counts_the_same_on_dask_and_in_one_process(client):
    spec = LifetimeSpec(configs=("hsiao-secded@x4-ecc-dimm", "chipkill-x4@x4-chipkill-dimm"),
                        trials=100_000, seed=9)  # fmt: skip
    a = run_lifetime_job(spec, None, dask=client, progress=False)
    b = run_lifetime_job(spec, None, workers=1, progress=False)
    for x, y in zip(a.counts, b.counts, strict=True):
        assert x.trials == y.trials == 100_000
        for k in ("due", "sdc", "any"):
            assert np.array_equal(getattr(x, k), getattr(y, k))
    assert b.counts[0].any[-1] > 0  # the comparison saw failures


def test_a_ber_sweep_counts_the_same_on_dask(client):
    from eccsim.ber import sweep_ber

    kw = {"trials": 20_000, "seed": 3, "chunk": 4096}
    a = sweep_ber(["hsiao-secded"], "x8-ecc-dimm", [1e-3, 1e-2], dask=client, **kw)
    b = sweep_ber(["hsiao-secded"], "x8-ecc-dimm", [1e-3, 1e-2], workers=1, **kw)

    def counts(res):
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in res.rows]

    assert counts(a) == counts(b) and len(a.rows) > 8


def test_tasks_carry_a_reference_and_numbers_and_the_context_travels_once(client, monkeypatch):
    sent, scattered = [], []
    submit, scatter = client.submit, client.scatter
    monkeypatch.setattr(client, "submit", lambda *a, **k: sent.append(a[1:]) or submit(*a, **k))
    monkeypatch.setattr(client, "scatter",
                        lambda *a, **k: scattered.append((a, k)) or scatter(*a, **k))  # fmt: skip
    before = set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks)))
    run_campaign(SPEC, None, dask=client, progress=False)
    assert len(scattered) == 1 and scattered[0][1]["broadcast"] is True
    nchunks = 2 * 2 * (120_000 // 4096 + 1)
    assert len(sent) == nchunks
    for ref, version, job, chunk in sent:
        assert isinstance(ref, distributed.Future) and isinstance(version, str)
        assert type(job).__name__ == "Job" and isinstance(chunk, int)
    deadline = time.monotonic() + 10  # the context and the tasks are let go at the end
    while time.monotonic() < deadline:
        now = set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks)))
        if now <= before:
            break
        time.sleep(0.1)
    assert now <= before


# ----- faults in the cluster --------------------------------------------------------------------
def test_a_worker_killed_while_it_holds_chunks_loses_none_and_counts_none_twice(
    client, one_process
):
    pids = client.run(os.getpid)
    killed: list = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for w, keys in client.processing().items():
                if any(str(k).startswith("eccsim-") for k in keys):
                    os.kill(pids[w], signal.SIGKILL)
                    killed.append((w, sorted(map(str, keys))))
                    return
            time.sleep(0.005)

    t = threading.Thread(target=kill_a_busy_worker, daemon=True)
    t.start()
    res = run_campaign(SPEC, None, dask=client, progress=False)
    t.join()
    assert killed and killed[0][1], "no worker was killed while holding chunks"
    assert not alive(pids[killed[0][0]])
    assert counts_of(res) == one_process
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it for the next tests


def test_a_scheduler_nobody_answers_at_is_one_error_naming_the_address(monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(CampaignError, match=f"cannot reach the Dask scheduler at '{address}'"):
        run_campaign(SPEC, None, dask=address, progress=False)


def test_a_scheduler_without_workers_is_one_error_saying_so(monkeypatch):
    monkeypatch.setattr(dask_cluster, "WORKERS_TIMEOUT_S", 0.5)
    with distributed.LocalCluster(n_workers=0, dashboard_address=":0", silence_logs=50) as cl:
        with pytest.raises(CampaignError, match="no Dask worker joined the scheduler"):
            run_campaign(SPEC, None, dask=cl.scheduler_address, progress=False)


def test_a_port_that_accepts_but_never_answers_is_one_error_within_the_timeout(monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(CampaignError, match="cannot reach the Dask scheduler at"):
            run_campaign(SPEC, None, dask=address, progress=False)
        assert time.monotonic() - t0 < 15


def test_an_unreachable_scheduler_leaves_existing_results_untouched(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "res"
    run_campaign(SPEC, out, workers=1, progress=False)
    saved = {p.name: p.read_bytes() for p in out.iterdir()}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for kw in ({"force": True}, {}, {"resume": True}):
        with pytest.raises(CampaignError):
            run_campaign(SPEC, out, dask=f"tcp://127.0.0.1:{port}", progress=False, **kw)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == saved


@pytest.mark.parametrize(
    "target, workers, match",
    [
        ("nowhere", None, "dask must be 'local', 'local:N'"),
        ("local:0", None, "1..256 workers"),
        ("local:2", 3, "names 2 workers but workers is 3"),
        ("tcp://127.0.0.1:8786", 2, "workers does not apply to a Dask scheduler"),
        (42, None, "or a distributed.Client, not int"),
    ],
)
def test_bad_targets_are_refused_before_anything_starts(tmp_path, target, workers, match):
    out = tmp_path / "res"
    with pytest.raises(CampaignError, match=match):
        run_campaign(SPEC, out, dask=target, workers=workers, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("workers, match", [("2", "workers"), (2.5, "workers"),
                                            (True, "workers"), (0, "workers")])  # fmt: skip
def test_lifetime_checks_workers_before_the_target(workers, match):
    spec = LifetimeSpec(configs=("hsiao-secded@x4-ecc-dimm",), trials=4096)
    with pytest.raises(CampaignError, match=match):
        run_lifetime_job(spec, None, workers=workers, dask="local", progress=False)


# ----- the command line -------------------------------------------------------------------------
OPTS = ["--codes", "hamming-secded,hsiao-secded", "--faults", "bits:3,chip", "--trials",
        "120000", "--chunk", "4096", "--seed", "11", "--mode", "monte-carlo", "--quiet"]  # fmt: skip


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "eccsim.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, **kw)  # fmt: skip


def start(
    out: Path, target: str, trials: str = "360000", *extra: str, chunks: int = 2
) -> subprocess.Popen:
    """``eccsim campaign`` on ``target`` in a session of its own (as a terminal runs it),
    returned once ``chunks`` chunks are checkpointed."""
    opts = [a if a != "120000" else trials for a in OPTS]
    proc = subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "campaign", *opts, *extra, "--dask", target,
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while chunks_done(out) < chunks:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the campaign made no progress"
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize("cmd", ["campaign", "sweep-ber", "lifetime"])
def test_the_cli_refuses_a_bad_target_in_one_line(tmp_path, cmd):
    r = cli(cmd, "--dask", "local:x", "--out", tmp_path / "o")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "local:N" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_a_campaign_runs_on_a_scheduler_address(client, one_process, tmp_path):
    r = cli("campaign", *OPTS, "--dask", client.scheduler.address, "--out", tmp_path / "res")
    assert r.returncode == 0, r.stderr
    assert f"dask {client.scheduler.address}" in r.stdout
    assert counts_of(load_results(tmp_path / "res")) == one_process


def outlived(pids, within_s: float = 10.0) -> list[int]:
    """Those of ``pids`` still alive ``within_s`` after now (killed, so as not to leak)."""
    deadline = time.monotonic() + within_s
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


def test_a_killed_client_leaves_no_worker_and_resume_gives_the_uninterrupted_counts(
    tmp_path, one_process
):
    out = tmp_path / "res"
    long = [a if a != "120000" else "360000" for a in OPTS]
    proc = start(out, "local:2", chunks=3)
    workers = descendants(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert not outlived(workers), "processes outlived the killed client"
    r = cli("campaign", *long, "--dask", "local:2", "--out", out, "--resume")
    assert r.returncode == 0, r.stderr
    whole = run_campaign(CampaignSpec(**{**SPEC.to_dict(), "trials": 360_000}), None,
                         workers=1, progress=False)  # fmt: skip
    assert counts_of(load_results(out)) == counts_of(whole)


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_ends_a_local_cluster_run_in_one_line(tmp_path):
    out = tmp_path / "res"
    long = [a if a != "120000" else "360000" for a in OPTS]
    proc = start(out, "local:2")
    workers = descendants(proc.pid)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert not outlived(workers)
    r = cli("campaign", *long, "--dask", "local:2", "--out", out, "--resume")
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_the_lifetime_cli_on_a_local_cluster_writes_the_table_of_one_process(tmp_path):
    args = ["lifetime", "--configs", "hsiao-secded@x4-ecc-dimm", "--trials", "70000", "--seed",
            "2", "-q"]  # fmt: skip
    assert cli(*args, "--dask", "local:2", "--out", tmp_path / "a").returncode == 0
    assert cli(*args, "--workers", "1", "--out", tmp_path / "b").returncode == 0
    assert (
        Path(tmp_path / "a" / "lifetime.csv").read_text()
        == Path(tmp_path / "b" / "lifetime.csv").read_text()
    )


@pytest.fixture
def dask_commands(tmp_path):
    """A cluster started as the README says: ``dask scheduler`` and ``dask worker
    --nworkers 2 --nthreads 1``; yields (scheduler address, scheduler process)."""
    import json
    import shutil

    dask_cmd = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask_cmd is None:
        pytest.skip("the dask command is not installed")
    sf = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask_cmd, "scheduler", "--port", "0", "--dashboard-address",
                               ":0", "--scheduler-file", str(sf)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not sf.exists():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.1)
        procs.append(subprocess.Popen([dask_cmd, "worker", "--scheduler-file", str(sf),
                                       "--nworkers", "2", "--nthreads", "1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        yield json.loads(sf.read_text())["address"], procs[0]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_the_readme_commands_dask_scheduler_and_dask_worker_run_a_campaign(
    tmp_path, one_process, dask_commands
):
    address, _ = dask_commands
    r = cli("campaign", *OPTS, "--dask", address, "--out", tmp_path / "res")
    assert r.returncode == 0, r.stderr
    assert counts_of(load_results(tmp_path / "res")) == one_process


def test_ctrl_c_while_the_local_cluster_starts_ends_the_run_in_one_line(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "campaign", *OPTS, "--dask", "local:2",
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not descendants(proc.pid):  # the cluster's process has started, its workers not yet
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert not outlived(started | descendants(proc.pid))
    assert chunks_done(out) <= 0


@pytest.mark.slow
def test_lifetime_force_keeps_old_results_when_the_scheduler_cannot_be_reached(tmp_path):
    args = ["lifetime", "--configs", "hsiao-secded@x4-ecc-dimm", "--trials", "8192", "-q",
            "--out", tmp_path / "a"]  # fmt: skip
    assert cli(*args).returncode == 0
    saved = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli(*args, "--force", "--dask", f"tcp://127.0.0.1:{port}")
    assert r.returncode == 2 and "cannot reach the Dask scheduler" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == saved


def test_a_client_killed_on_a_shared_cluster_leaves_nothing_on_it(client, tmp_path):
    tasks = lambda dask_scheduler: list(dask_scheduler.tasks)  # noqa: E731
    before = set(client.run_on_scheduler(tasks))
    out = tmp_path / "res"
    proc = start(out, client.scheduler.address, "2000000")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while set(client.run_on_scheduler(tasks)) - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not set(client.run_on_scheduler(tasks)) - before, "the killed run left data behind"


@pytest.mark.slow
def test_ctrl_c_after_a_worker_restart_still_ends_the_run_in_one_line(tmp_path):
    out = tmp_path / "res"
    proc = start(out, "local:2", "2000000")

    def workers():
        return {p for p in descendants(proc.pid)
                if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")}  # fmt: skip

    first = workers()
    os.kill(min(first), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not (len(workers()) >= 2 and min(first) not in workers()):
        assert time.monotonic() < deadline, "the killed worker was not restarted"
        time.sleep(0.1)
    done = chunks_done(out)
    while chunks_done(out) < done + 2:
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.02)
    every = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert not outlived(every)


@pytest.mark.slow
def test_a_scheduler_that_dies_mid_run_is_one_error_and_resume_finishes(
    tmp_path, one_process, dask_commands
):
    address, scheduler = dask_commands
    out = tmp_path / "res"
    proc = start(out, address, "120000", chunks=3)
    scheduler.kill()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "lost the Dask cluster" in err, err
    r = cli("campaign", *OPTS, "--out", out, "--resume", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert counts_of(load_results(out)) == one_process


class _Fut:
    def __init__(self, status: str) -> None:
        self.status = status

    def release(self) -> None:
        pass


class _Client:
    def __init__(self, status="running", gather=None) -> None:
        self.status, self._gather = status, gather

    def as_current(self):
        import contextlib

        return contextlib.nullcontext()

    def gather(self, futs):
        if self._gather is not None:
            raise self._gather
        return [f"value of {id(f)}" for f in futs]


def _pool_with(client, futures, monkeypatch):
    pool = dask_cluster.DaskPool("local:1", ctx=None)
    pool.client = client
    pool.inflight = {f: ("job", i) for i, f in enumerate(futures)}
    monkeypatch.setattr(distributed, "wait", lambda fs, **kw: (set(fs), set()))
    return pool


def test_a_result_lost_with_its_worker_is_waited_for_again_not_a_lost_cluster(monkeypatch):
    done, lost = _Fut("finished"), _Fut("lost")
    pool = _pool_with(_Client(), [done, lost], monkeypatch)
    got = pool.receive()
    assert [(k, c) for _, k, c, _ in got] == [("job", 0)]
    assert list(pool.inflight) == [lost]  # Dask computes it again; the next receive gets it


def test_a_gather_that_fails_while_the_client_runs_is_retried_then_one_error(monkeypatch):
    fut = _Fut("finished")
    pool = _pool_with(_Client(gather=OSError("worker gone")), [fut], monkeypatch)
    assert pool.receive() == [] and list(pool.inflight) == [fut]
    monkeypatch.setattr(dask_cluster, "WORKERS_TIMEOUT_S", 0.0)
    with pytest.raises(CampaignError, match="lost the Dask cluster"):
        pool.receive()
    pool = _pool_with(_Client(status="closed", gather=OSError("gone")), [fut], monkeypatch)
    with pytest.raises(CampaignError, match="lost the Dask cluster"):
        pool.receive()
