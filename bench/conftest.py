"""Benchmark settings. ``ECCSIM_BENCH_QUICK=1`` shrinks inputs (4 MiB, fewer trials) so CI can
run the suite once, with ``--benchmark-disable``, just to keep it from rotting."""

from __future__ import annotations

import os

QUICK = os.environ.get("ECCSIM_BENCH_QUICK") == "1"
MIB = 4 if QUICK else 64
TRIALS = 40_000 if QUICK else 4_000_000
GALOIS_WORDS = 256 if QUICK else 4096
