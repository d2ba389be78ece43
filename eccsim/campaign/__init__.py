"""Fault-injection campaigns: several codes x fault models x data patterns on one module,
exhaustive where the fault model is finite, Monte Carlo otherwise; chunked, seeded per block,
parallel, checkpointed after every chunk and resumable.

Reproducibility: counts depend only on the spec (seed, trials, chunk size when a stop rule is
used) — never on the number of workers or on interruptions. Blocks of 4096 patterns are the
unit of randomness (see :mod:`eccsim.injection`); a chunk is a group of blocks, the unit of
work, checkpointing and stop-rule checks.

Modules, one per seam: :mod:`.spec` (what to run, validated), :mod:`.data` (data patterns and
``.npy`` lines), :mod:`.plan` (the jobs), :mod:`.checkpoint` (format, validation, rotation),
:mod:`.runner` (the results folder, the worker pool, interruption). The campaign table lives
in :mod:`eccsim.report`.
"""

from ..errors import CampaignError
from ..report import format_table
from .checkpoint import CHECKPOINT, CHECKPOINT_FORMAT, PREVIOUS, JobState
from .data import DATA_PATTERNS, data_fingerprints, load_data
from .plan import Job, plan, plan_summary
from .runner import OUR_FILES, Interrupted, hold_folder, run_campaign, worker_context
from .spec import MAX_CHUNK, MAX_TRIALS, MODES, STOP_OUTCOMES, CampaignSpec, StopRule

__all__ = [
    "CHECKPOINT",
    "CHECKPOINT_FORMAT",
    "DATA_PATTERNS",
    "MAX_CHUNK",
    "MAX_TRIALS",
    "MODES",
    "OUR_FILES",
    "PREVIOUS",
    "STOP_OUTCOMES",
    "CampaignError",
    "CampaignSpec",
    "Interrupted",
    "Job",
    "JobState",
    "StopRule",
    "data_fingerprints",
    "format_table",
    "hold_folder",
    "load_data",
    "plan",
    "plan_summary",
    "run_campaign",
    "worker_context",
]
