"""Campaign throughput on a 2-worker Dask LocalCluster next to the local 2-process pool and
one process, measured in the same session (``extra_info``: ``trials_per_s`` and
``x_local_pool``). The scaling model and the per-chunk costs: ``python bench/dask_overhead.py``.
"""

from __future__ import annotations

import pytest
from conftest import QUICK

pytest.importorskip("distributed")

from dask_overhead import spec, start_cluster

from eccsim.campaign import run_campaign

TRIALS = 65_536 if QUICK else 2_000_000
SPEC = spec(TRIALS)
TOTAL = TRIALS * len(SPEC.codes) * len(SPEC.faults)
_rates: dict[str, float] = {}


@pytest.fixture(scope="module")
def client():
    cluster, c = start_cluster(2)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("where", ["one process", "local pool", "LocalCluster"])
def test_campaign_on_dask_vs_local_pool(benchmark, client, where):
    kw = {"one process": {"workers": 1}, "local pool": {"workers": 2},
          "LocalCluster": {"dask": client}}[where]  # fmt: skip
    run_campaign(spec(8192 * 4), None, progress=False, **kw)  # kernels and workers warm
    benchmark.pedantic(lambda: run_campaign(SPEC, None, progress=False, **kw), rounds=3)
    if benchmark.stats is not None:  # None under --benchmark-disable
        _rates[where] = TOTAL / benchmark.stats.stats.median
        benchmark.extra_info["trials_per_s"] = round(_rates[where])
        if "local pool" in _rates:
            benchmark.extra_info["x_local_pool"] = round(_rates[where] / _rates["local pool"], 3)
