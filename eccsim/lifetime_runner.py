"""Running a lifetime simulation (:mod:`eccsim.lifetime`) as a long job: chunks of seeded blocks
on worker processes, a checkpoint after every chunk, and ``resume`` to exactly the counts of an
uninterrupted run (a block's draws depend only on the seed and its number, and counts add).

Files in the results folder: ``lifetime-checkpoint.json`` (the spec and, per group of
configurations sharing faults, the chunks done and their summed counts, with a SHA-256
checksum) and the previous good one as ``lifetime-checkpoint.json.prev``; both written through
fresh temporaries and renamed into place. The campaign runner's worker pool is reused, so
Ctrl-C, SIGTERM and a killed parent behave as they do for campaigns.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .campaign.checkpoint import CheckpointWriter, _checksum
from .campaign.runner import interrupts_once
from .errors import CampaignError
from .lifetime import (
    BLOCK,
    LifetimeConfig,
    LifetimeCounts,
    LifetimeResult,
    LifetimeSpec,
    _Group,
    get_config,
    resolve_configs,
)
from .safeio import parse_json, read_text
from .validate import require_int

CHECKPOINT = "lifetime-checkpoint.json"
PREVIOUS = CHECKPOINT + ".prev"
FORMAT = "eccsim-lifetime-checkpoint/1"
CHUNK_BLOCKS = 8  #: blocks of 4096 trials per chunk (32,768 trials)


@dataclass(frozen=True)
class LifetimeJob:
    """The trials of one group of configurations (they share their fault draws)."""

    key: str
    group: int
    nchunks: int


def _groups(spec: LifetimeSpec) -> list[list[LifetimeConfig]]:
    out: dict[tuple, list[LifetimeConfig]] = {}
    for c in resolve_configs(spec):
        out.setdefault(c.group, []).append(c)
    return list(out.values())


class LifetimeContext:
    """What a worker needs: the spec; the groups are built once per process, on first use."""

    def __init__(self, spec: LifetimeSpec) -> None:
        self.spec = spec
        self._built: list[_Group] | None = None

    def __getstate__(self):
        return {"spec": self.spec, "_built": None}

    @property
    def groups(self) -> list[_Group]:
        if self._built is None:
            self._built = [_Group(m, self.spec) for m in _groups(self.spec)]
        return self._built

    def run_chunk(self, job: LifetimeJob, chunk: int) -> list[LifetimeCounts]:
        grp = self.groups[job.group]
        total = None
        for b in range(chunk * CHUNK_BLOCKS, (chunk + 1) * CHUNK_BLOCKS):
            size = min(BLOCK, self.spec.trials - b * BLOCK)
            if size <= 0:
                break
            got = grp.run_block(b, size)
            if total is None:
                total = got
            else:
                for t, g in zip(total, got, strict=True):
                    t += g
        return total


def _counts_json(c: LifetimeCounts) -> dict:
    return {"trials": int(c.trials), "due": c.due.tolist(), "sdc": c.sdc.tolist(),
            "any": c.any.tolist(), "sampled": bool(c.sampled)}  # fmt: skip


def _encode(spec: LifetimeSpec, states: dict) -> str:
    body = {"format": FORMAT, "spec": spec.to_dict(),
            "groups": {k: {"chunks_done": s["chunks_done"],
                           "counts": [_counts_json(c) for c in s["counts"]] if s["counts"] else None}
                       for k, s in states.items()}}  # fmt: skip
    return json.dumps({**body, "checksum": _checksum(body)}) + "\n"


def _decode(text: str, where: str, spec: LifetimeSpec, jobs: list[LifetimeJob],
            sizes: dict[str, int]) -> dict:  # fmt: skip
    doc = parse_json(text, where=f"checkpoint {where}", error=CampaignError)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CampaignError(f"checkpoint {where} is not a lifetime checkpoint ({FORMAT})")
    body = {k: v for k, v in doc.items() if k != "checksum"}
    if doc.get("checksum") != _checksum(body):
        raise CampaignError(f"checkpoint {where} is damaged (its checksum does not match)")
    if doc.get("spec") != spec.to_dict():
        raise CampaignError(
            f"checkpoint {where} belongs to another lifetime run (another spec); use --force to "
            "start over"
        )
    states = {}
    groups = doc.get("groups")
    if not isinstance(groups, dict) or set(groups) != {j.key for j in jobs}:
        raise CampaignError(f"checkpoint {where}: its groups do not match this run")
    for j in jobs:
        g = groups[j.key]
        done = g.get("chunks_done") if isinstance(g, dict) else None
        if not isinstance(done, int) or isinstance(done, bool) or not 0 <= done <= j.nchunks:
            raise CampaignError(f"checkpoint {where}: group {j.key}: bad chunks_done")
        counts = None
        if done:
            trials = min(done * CHUNK_BLOCKS * BLOCK, spec.trials)
            raw = g.get("counts")
            if not isinstance(raw, list) or len(raw) != sizes[j.key]:
                raise CampaignError(f"checkpoint {where}: group {j.key}: bad counts")
            counts = []
            for c in raw:
                arrs = [np.asarray(c.get(k), dtype=np.int64) for k in ("due", "sdc", "any")]
                if c.get("trials") != trials or any(a.shape != (spec.points,) for a in arrs):
                    raise CampaignError(
                        f"checkpoint {where}: group {j.key}: counts do not fit {done} chunks"
                    )
                counts.append(LifetimeCounts(trials, *arrs, bool(c.get("sampled", False))))
        states[j.key] = {"chunks_done": done, "counts": counts}
    return states


def run_lifetime_job(
    spec: LifetimeSpec,
    out: Path | None,
    *,
    resume: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    notice=lambda text: print(text, file=sys.stderr),
    dask=None,
    prepare=None,
) -> LifetimeResult:
    """Run (or, with ``resume``, continue) ``spec`` in chunks of :data:`CHUNK_BLOCKS` blocks,
    on ``workers`` processes (default 1: this one) — or on a Dask cluster, ``dask`` as for
    :func:`eccsim.campaign.run_campaign` (a plain ``"local"`` cluster has ``workers``
    processes, default one per core) — checkpointing into ``out`` (None: no checkpoint). Same
    counts for any number of workers, any cluster and any interruption. ``prepare()``, if
    given, runs once the workers are up, before the first checkpoint is written (the command
    line clears old results there, so that a cluster that cannot be reached costs nothing)."""
    from .campaign.runner import MAX_WORKERS, make_pool

    if workers is not None:
        workers = require_int("workers", workers, 1, MAX_WORKERS, error=CampaignError)
    if dask is not None:
        from .campaign.cluster import parse_target

        kind, value = parse_target(dask, workers)
        if kind == "local":
            dask = f"local:{value}"
    workers = workers or 1
    groups = _groups(spec)
    nchunks = math.ceil(math.ceil(spec.trials / BLOCK) / CHUNK_BLOCKS)
    jobs = [LifetimeJob(f"g{i}", i, nchunks) for i in range(len(groups))]
    sizes = {j.key: len(groups[j.group]) for j in jobs}
    states = {j.key: {"chunks_done": 0, "counts": None} for j in jobs}
    last = None
    if out is not None and resume:
        for name in (CHECKPOINT, PREVIOUS):
            p = out / name
            if not p.exists():
                continue
            try:
                text = read_text(p, what="checkpoint", error=CampaignError)
                states = _decode(text, str(p), spec, jobs, sizes)
                last = text
                if name == PREVIOUS:
                    notice(f"eccsim: {CHECKPOINT} was unusable; resuming from {PREVIOUS}")
                break
            except CampaignError as exc:
                if "another spec" in str(exc):
                    raise
                notice(f"eccsim: {exc}")
        else:
            raise CampaignError(f"nothing to resume in {str(out)!r}: no usable {CHECKPOINT}")
    ctx = LifetimeContext(spec)
    bar = None
    pool = None
    with interrupts_once():
        try:
            pool = make_pool(ctx, workers, dask)
            if prepare is not None:
                prepare()
            writer = None if out is None else CheckpointWriter(out, last, name=CHECKPOINT)
            if progress or (progress is None and sys.stderr.isatty()):
                from tqdm import tqdm

                done = sum(min(s["chunks_done"] * CHUNK_BLOCKS * BLOCK, spec.trials)
                           for s in states.values())  # fmt: skip
                bar = tqdm(total=spec.trials * len(jobs), initial=done, unit="trial",
                           unit_scale=True, desc="lifetime", file=sys.stderr,
                           leave=False)  # fmt: skip

            def absorb(job, got):
                st = states[job.key]
                if st["counts"] is None:
                    st["counts"] = got
                else:
                    for t, g in zip(st["counts"], got, strict=True):
                        t += g
                st["chunks_done"] += 1
                if bar is not None:
                    bar.update(got[0].trials)
                if writer is not None:
                    writer.write(_encode(spec, states))

            if pool is None:
                for job in jobs:
                    while states[job.key]["chunks_done"] < job.nchunks:
                        absorb(job, ctx.run_chunk(job, states[job.key]["chunks_done"]))
            else:
                _run_pooled(jobs, states, pool, absorb)
        finally:
            if pool is not None:
                pool.close()
            if bar is not None:
                bar.close()
    names, counts = [], []
    by_name = {}
    for j in jobs:
        for cfg, c in zip(groups[j.group], states[j.key]["counts"], strict=True):
            by_name[cfg.name] = c
    for x in spec.configs:
        n = get_config(x).name
        names.append(n)
        counts.append(by_name[n])
    return LifetimeResult(spec, names, counts)


def _run_pooled(jobs: list[LifetimeJob], states: dict, pool, absorb) -> None:
    """Every group's remaining chunks on the pool, the next group's sent as soon as a worker
    has room (no drain at group boundaries); each group reduced in chunk order."""
    nxt = {j.key: states[j.key]["chunks_done"] for j in jobs}
    waiting: dict[str, dict[int, list]] = {j.key: {} for j in jobs}
    by_key = {j.key: j for j in jobs}
    while any(states[j.key]["chunks_done"] < j.nchunks for j in jobs):
        for j in jobs:
            while nxt[j.key] < j.nchunks and (i := pool.idle()) is not None:
                pool.submit(i, j, nxt[j.key])
                nxt[j.key] += 1
        for _, key, chunk, got in pool.receive():
            if key in waiting:
                waiting[key][chunk] = got
        for key, w in waiting.items():
            while states[key]["chunks_done"] in w:
                absorb(by_key[key], w.pop(states[key]["chunks_done"]))


__all__ = ["CHECKPOINT", "CHUNK_BLOCKS", "PREVIOUS", "run_lifetime_job"]
