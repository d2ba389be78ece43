"""Throughput of every eccsim hot path, next to memcpy measured in the same run.

Run: ``pytest bench/ --benchmark-only`` (64 MiB of data words per operation). Each result's
``extra_info`` holds ``GB/s`` (data-word bytes per second) and ``x_memcpy``, the ratio to
``numpy.copyto`` of the same buffer timed in this session; campaigns report ``Mpatterns/s``;
``variant`` is the kernel form that ran and ``cpu`` the CPU (``ECCSIM_KERNELS``: dispatch).
galois runs on 4096 words only (it is ~1000x slower), see ``eccsim.benchmark.reference_ops``;
its ReedSolomon rows (``galois_rs_ops``) also record ``eccsim_x``, how many times faster
eccsim's chipkill-x4 row of the same operation (1 thread, ``GALOIS_RS_PAIRS``) ran.
"""

from __future__ import annotations

import pytest
from conftest import GALOIS_WORDS, MIB, TRIALS

from eccsim import benchmark as B

OPS = B.all_ops(MIB, TRIALS, GALOIS_WORDS)
COPY = OPS[0]
_copy_seconds: list[float] = []
_gbps: dict[str, float] = {}  # 1-thread GB/s by operation, for the galois ratios


def _id(op: B.Op) -> str:
    forced = f" ({op.variant})" if op.variant else ""
    return f"{op.group}: {op.name}{forced} [{op.threads} thread{'s' if op.threads != '1' else ''}]"


@pytest.mark.parametrize("op", OPS, ids=_id)
def test_throughput(benchmark, op):
    B.set_threads(1 if op.threads == "1" else B.threads_all())
    if not _copy_seconds:
        _copy_seconds.append(B.time_op(COPY, 5))
    with B.forced_variant(op.variant):
        op.run()  # JIT warm-up outside the timed rounds
        if op.setup:
            benchmark.pedantic(op.run, setup=op.setup, rounds=7, warmup_rounds=1)
        else:
            benchmark.pedantic(op.run, rounds=7, warmup_rounds=1)
        benchmark.extra_info["variant"] = op.label
    benchmark.extra_info["cpu"] = B.dispatch.cpu_model()
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable: ran once, nothing timed
        return
    median = stats.stats.median
    if op.nbytes:
        benchmark.extra_info["GB/s"] = round(op.nbytes / median / 1e9, 3)
        t_copy = _copy_seconds[0] * op.nbytes / COPY.nbytes
        benchmark.extra_info["x_memcpy"] = round(t_copy / median, 3)
        if op.threads == "1":
            _gbps[op.name] = op.nbytes / median / 1e9
            for ref, mine, _ in B.GALOIS_RS_PAIRS:
                if op.name == ref and mine in _gbps:
                    benchmark.extra_info["eccsim_x"] = round(_gbps[mine] / _gbps[ref], 1)
    if op.patterns:
        benchmark.extra_info["Mpatterns/s"] = round(op.patterns / median / 1e6, 2)
    B.set_threads(B.threads_all())
