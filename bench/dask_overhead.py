"""What running on Dask costs, measured, and the chunk size that keeps it under 1 % on 100
workers.

Run: ``python bench/dask_overhead.py`` (``--quick`` for a smoke run). It prints

1. one campaign (hamming-secded and hsiao-secded, whole-chip and 3-bit faults on the x8 DIMM,
   Monte Carlo) in one process, on the local 2-process pool (started by the run, as always)
   and on a 2-worker LocalCluster — started by the run (``dask="local:2"``, the same terms as
   the pool), and already up (a Client passed in; start-up timed apart) — as trials/s and as
   a ratio to the local pool of the same run;
2. what a chunk costs on Dask, each measured here: a worker's idle gap between two chunks
   (from Dask's task stream of that run: the runner keeps two chunks per worker in flight, so
   this is all a worker loses per chunk), the scheduler's capacity (no-op tasks per second,
   2,000 submitted at once) and the client's reduce + checkpoint write per chunk;
3. the scaling model for W workers and chunks of T seconds. A worker loses its gap g per
   chunk: overhead g / T. The scheduler must hand out W / T tasks per second and the client
   absorb as many chunks: keeping both at most half busy (short queues, so the chunk waiting
   behind the running one is always there) needs W / T <= S / 2 and W * c_client / T <= 1/2.
   Overhead < 1 % therefore needs T >= max(100 g, 2 W / S, 2 W c_client); the chunk in trials
   is that T times one worker's trials/s, in 4096-trial blocks (``--chunk`` of a campaign).

``bench/test_dask_overhead.py`` runs part 1 under pytest-benchmark.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from eccsim.campaign import CampaignSpec, run_campaign


def spec(trials: int) -> CampaignSpec:
    return CampaignSpec(codes=("hamming-secded", "hsiao-secded"), faults=("chip", "bits:3"),
                        trials=trials, mode="monte-carlo", seed=1)  # fmt: skip


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def start_cluster(workers: int = 2):
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0",
                           silence_logs=logging.CRITICAL)  # fmt: skip
    return cluster, Client(cluster, set_as_default=False)


def campaign_rates(trials: int) -> dict:
    """Trials/s (all jobs) of one campaign in one process, on the 2-process pool and on a
    2-worker LocalCluster (first runs warm the kernels up and are not timed), with the
    workers' idle gaps between chunks and the scheduler's capacity."""
    from distributed import get_task_stream

    s = spec(trials)
    total = trials * len(s.codes) * len(s.faults)
    run_campaign(spec(8192), None, workers=1, progress=False)  # kernels compiled here
    out = {"one process": total / timed(lambda: run_campaign(s, None, workers=1,
                                                             progress=False))}  # fmt: skip
    out["local pool, 2 processes"] = total / timed(
        lambda: run_campaign(s, None, workers=2, progress=False)
    )
    out["LocalCluster, 2 workers, started by the run"] = total / timed(
        lambda: run_campaign(s, None, dask="local:2", progress=False)
    )
    cluster_start = time.perf_counter()
    cluster, client = start_cluster(2)
    cluster_start = time.perf_counter() - cluster_start
    try:
        run_campaign(spec(8192 * 4), None, dask=client, progress=False)  # workers warm up
        with get_task_stream(client) as ts:
            out["LocalCluster, 2 workers, already up"] = total / timed(
                lambda: run_campaign(s, None, dask=client, progress=False)
            )
        gaps, compute = idle_gaps(ts.data)
        capacity = scheduler_capacity(client)
    finally:
        client.close()
        cluster.close()
    return {"rates": out, "cluster_start_s": cluster_start, "gap_s": gaps,
            "chunk_s": compute, "tasks_per_s": capacity}  # fmt: skip


def idle_gaps(stream: list[dict]) -> tuple[float, float]:
    """Median idle time of a worker between the end of one chunk's compute and the start of
    the next, and the median compute time of a chunk (seconds)."""
    import numpy as np

    by_worker: dict[str, list[tuple[float, float]]] = {}
    for t in stream:
        if not str(t["key"]).startswith("eccsim-"):
            continue
        for ss in t["startstops"]:
            if ss["action"] == "compute":
                by_worker.setdefault(t["worker"], []).append((ss["start"], ss["stop"]))
    gaps, comp = [], []
    for spans in by_worker.values():
        spans.sort()
        comp += [b - a for a, b in spans]
        gaps += [max(0.0, n[0] - p[1]) for p, n in itertools.pairwise(spans)]
    return float(np.median(gaps)), float(np.median(comp))


def _noop(x):
    return x


def scheduler_capacity(client, tasks: int = 2000) -> float:
    """No-op tasks per second when ``tasks`` are submitted at once and gathered."""
    t = time.perf_counter()
    client.gather(client.map(_noop, range(tasks), pure=False))
    return tasks / (time.perf_counter() - t)


def client_per_chunk(repeat: int = 200) -> float:
    """Seconds the client spends per chunk: encode the campaign's checkpoint and write it
    (fresh temporary, fsync, rename)."""
    from eccsim.campaign import JobState, plan, plan_summary
    from eccsim.campaign.checkpoint import CheckpointWriter, encode_checkpoint

    s = spec(4096 * 64)
    jobs_ = plan(s, {d: None for d in s.data})
    states = {j.key: JobState() for j in jobs_}
    summary = plan_summary(jobs_)
    with tempfile.TemporaryDirectory() as d:
        w = CheckpointWriter(Path(d))
        t = time.perf_counter()
        for _ in range(repeat):
            w.write(encode_checkpoint(s, states, summary, {}))
        return (time.perf_counter() - t) / repeat


def chunk_for(workers: int, gap_s: float, tasks_per_s: float, client_s: float,
              worker_trials_s: float) -> tuple[float, int]:  # fmt: skip
    """(seconds, trials) a chunk needs for < 1 % overhead on ``workers`` (module docstring)."""
    seconds = max(100 * gap_s, 2 * workers / tasks_per_s, 2 * workers * client_s)
    return seconds, math.ceil(seconds * worker_trials_s / 4096) * 4096


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small runs (a smoke test)")
    ap.add_argument("--workers", type=int, default=100, help="cluster size of the model (100)")
    a = ap.parse_args(argv)
    from eccsim.dispatch import cpu_model

    trials = 65_536 if a.quick else 2_000_000
    s = spec(trials)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; campaign: {', '.join(s.codes)} x "
          f"{', '.join(s.faults)} on x8-ecc-dimm, {trials:,} trials per job, chunks of "
          f"{s.chunk:,}")  # fmt: skip
    got = campaign_rates(trials)
    pool = got["rates"]["local pool, 2 processes"]
    for name, r in got["rates"].items():
        print(f"  {name:44s} {r:12,.0f} trials/s   {r / pool:5.2f}x the local pool")
    print(f"  LocalCluster start-up: {got['cluster_start_s']:.2f} s (2 workers)")
    gap, cap, c_client = got["gap_s"], got["tasks_per_s"], client_per_chunk()
    per_worker = got["rates"]["one process"]
    print(f"chunk compute {got['chunk_s'] * 1e3:.1f} ms; worker idle between chunks "
          f"{gap * 1e3:.2f} ms (median); scheduler {cap:,.0f} no-op tasks/s; client "
          f"{c_client * 1e3:.2f} ms per chunk (reduce, checkpoint encode + atomic write)")  # fmt: skip
    for w in sorted({2, 10, a.workers}):
        sec, tr = chunk_for(w, gap, cap, c_client, per_worker)
        print(f"  {w:4d} workers: chunks of >= {sec:6.2f} s = {tr:>12,} trials (at "
              f"{per_worker:,.0f} trials/s per worker) keep the overhead < 1 %")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
