"""The jobs of a campaign: one per (fault, data, code), exhaustive or Monte Carlo, with its
pattern total and number of chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..faults import get_fault
from ..faults.base import MAX_ENUMERATION
from ..injection import BLOCK, exhaustive_total, n_blocks
from ..module import get_module
from .data import load_data


@dataclass(frozen=True)
class Job:
    """One (code, fault, data) cell of a campaign and how it is run."""

    key: str
    code: str
    fault: str
    data: str
    exhaustive: bool
    total: int
    nchunks: int


def patterns_after(job: Job, chunks: int, chunk: int) -> int:
    """Patterns a job has run after its first ``chunks`` chunks of ``chunk`` trials."""
    return min(chunks * chunk, job.total)


def plan(spec, data: dict | None = None) -> list[Job]:
    """The jobs of a campaign, in the order they run.

    ``auto`` runs a job exhaustively when its fault model is finite, its cases (patterns x
    data lines) number at most ``exhaustive_limit``, and the outcome is exact — a stuck-at
    fault on random data is not (its errors depend on the stored bits), so it is sampled.
    ``data``: already loaded data patterns by name (loaded here otherwise)."""
    if spec.systems:
        return _plan_systems(spec)
    geom = get_module(spec.module)
    jobs = []
    bpc = spec.chunk // BLOCK
    for fault_name in spec.faults:
        f = get_fault(fault_name)
        for name in spec.data:
            arr = data[name] if data is not None else load_data(name, geom)
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
                key = f"{code}|{f.name}|{name}"
                jobs.append(Job(key, code, f.name, name, exhaustive, total,
                                math.ceil(n_blocks(total) / bpc)))  # fmt: skip
    return jobs


def _plan_systems(spec) -> list[Job]:
    """Jobs of a memory-system campaign: device faults are exhaustive when finite and within
    ``exhaustive_limit`` on that system's module (``auto``), always (``exhaustive``) or never."""
    from ..faults.device import get_device_fault
    from ..system import get_system

    jobs = []
    bpc = spec.chunk // BLOCK
    for fault_name in spec.faults:
        f = get_device_fault(fault_name)
        for code in spec.codes:
            s = get_system(code)
            if spec.mode == "exhaustive":
                exhaustive, total = True, f.require_enumerable(s.module, s.stored_bits)
            else:
                count = f.count(s.module, s.stored_bits)
                exhaustive = (spec.mode == "auto" and count is not None
                              and count <= min(spec.exhaustive_limit, MAX_ENUMERATION))  # fmt: skip
                total = count if exhaustive else spec.trials
            jobs.append(Job(f"{code}|{f.name}|random", code, f.name, "random", exhaustive, total,
                            math.ceil(n_blocks(total) / bpc)))  # fmt: skip
    return jobs


def plan_summary(jobs: list[Job]) -> dict:
    return {j.key: {"exhaustive": j.exhaustive, "total": j.total} for j in jobs}
