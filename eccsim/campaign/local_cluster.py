"""A private Dask LocalCluster for one run, in a process of its own session.

``python -m eccsim.campaign.local_cluster N OWNER_PID`` starts N single-threaded worker
processes and a scheduler, prints the scheduler's address on one line, and runs until its standard input is
closed (the run is over, or the process that started it died); then it closes the cluster.

Why a process of its own: a terminal's Ctrl-C goes to the whole foreground process group. In
their own session the scheduler and the workers — also those the nanny restarts later — never
see it; the run that owns them handles it and closes the cluster. They die with that run
(``PR_SET_PDEATHSIG`` on Linux here; Dask's own parent pipe for the workers)."""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    from .runner import _die_with_parent  # the campaign workers' own: SIGINT ignored, PDEATHSIG

    n, owner = int(argv[0]), int(argv[1])
    _die_with_parent(owner)  # exits at once if the owner already died
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.CRITICAL)  # fmt: skip
    try:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the owner closes it or dies
    finally:
        cluster.close(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
