"""Runs of any size stay within bounded memory, or are refused up front with the limit named.

* exhaustive runs build one block of patterns at a time (pattern i is built from its number),
  so an exhaustive ``bits:4`` run peaks at a few MiB where holding every pattern took hundreds,
  and its counts still equal the syndrome-space analysis (an independent method);
* the fused k-bit kernel takes blocks in bounded groups, whatever the number of trials;
* requests too large for one call are refused before any work, naming the limit.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from itertools import combinations, pairwise

import numpy as np
import pytest

from eccsim import injection
from eccsim.analysis import exact_fault_outcomes, exact_kbit
from eccsim.errors import FaultError, LimitError
from eccsim.faults import (
    STUCK0,
    Burst,
    ChipFault,
    Combined,
    FaultPatterns,
    PinFault,
    RandomBits,
    unrank_combinations,
)
from eccsim.injection import inject
from eccsim.module import get_module

X8 = get_module("x8-ecc-dimm")
X4 = get_module("x4-ecc-dimm")
HSIAO = "hsiao-secded"


def kbit_counts(code: str, k: int) -> list[int]:
    row = exact_kbit(code, k)[k - 1]
    return [0, row.ce, row.due, row.sdc_undetected, row.sdc_miscorrected]


def peak_bytes(fn):
    """(result, peak traced bytes) of ``fn()``; numpy buffers are traced."""
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- exhaustive runs, a block at a time ----------------------------------------------------------
def test_an_exhaustive_bits4_run_stays_small_and_exact():
    # 1,028,790 patterns: held at once they took 8 slots x (8 + 8) bytes each (~130 MiB of masks
    # alone, 4.3 GB for bits:5); built per block of 4096 the run stays below 48 MiB
    inject(HSIAO, "x8-ecc-dimm", "bits:2")  # compile the kernels outside the measurement
    res, peak = peak_bytes(lambda: inject(HSIAO, "x8-ecc-dimm", "bits:4"))
    assert res.patterns == math.comb(72, 4)
    assert list(res.words.counts) == kbit_counts(HSIAO, 4)
    assert peak < 48 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.slow
def test_an_exhaustive_bits5_run_stays_small_and_exact():
    res, peak = peak_bytes(lambda: inject(HSIAO, "x8-ecc-dimm", "bits:5"))
    assert res.patterns == math.comb(72, 5)
    assert list(res.words.counts) == kbit_counts(HSIAO, 5)
    assert peak < 48 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_the_syndrome_space_fault_analysis_is_chunked_too():
    res, peak = peak_bytes(lambda: exact_fault_outcomes(HSIAO, "x8-ecc-dimm", "bits:4"))
    assert list(res.words.counts) == kbit_counts(HSIAO, 4)
    assert peak < 96 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(("n", "c"), [(7, 1), (7, 3), (9, 4), (12, 6), (5, 5)])
def test_unranking_lists_every_subset_once(n, c):
    rows = unrank_combinations(n, c, np.arange(math.comb(n, c)))
    got = [tuple(int(x) for x in r) for r in rows]
    assert sorted(got) == list(combinations(range(n), c))  # each subset exactly once
    # colex order: rank = sum C(a_i, i), the combinatorial number system
    assert [sum(math.comb(a, i + 1) for i, a in enumerate(r)) for r in got] == list(range(len(got)))


MODELS = [
    (RandomBits(3), X8),
    (Burst(5, solid=False), X8),
    (PinFault(), X4),
    (PinFault(STUCK0), X8),
    (ChipFault(), X8),
    (ChipFault(chips=2), X4),
    (ChipFault(STUCK0), X4),
    (Combined(RandomBits(1), ChipFault(chip=8)), X8),
]


@pytest.mark.parametrize(("model", "geom"), MODELS, ids=[m.name for m, _ in MODELS])
def test_ranges_of_the_enumeration_piece_together_the_whole(model, geom):
    whole = model.enumerate(geom)
    total = model.count(geom)
    cuts = sorted({0, total, total // 3, total // 2 + 1, max(total - 1, 0)})
    parts = [model.enumerate_range(geom, a, b) for a, b in pairwise(cuts)]
    joined = FaultPatterns.concat(parts)
    for field in FaultPatterns.__dataclass_fields__:
        x, y = getattr(whole, field), getattr(joined, field)
        assert (x is None and y is None) or np.array_equal(x, y), field
    picks = np.array([total - 1, 0, total // 2, 0])
    some = model.patterns_at(geom, picks)
    assert np.array_equal(some.flip_data, whole.flip_data[picks])
    assert np.array_equal(some.touched, whole.touched[picks])


def test_pattern_numbers_outside_the_enumeration_are_refused():
    with pytest.raises(FaultError, match=r"0\.\.71"):
        RandomBits(1).patterns_at(X8, [72])
    with pytest.raises(FaultError, match="stop="):
        RandomBits(1).enumerate_range(X8, 0, 73)


# ----- the fused k-bit kernel, in bounded groups ----------------------------------------------------
def test_fused_kbit_trials_go_to_the_kernel_in_bounded_groups(monkeypatch):
    calls = []

    def fake(seeds, sizes, k, n, m8, table, pd, pc, counts):
        calls.append(len(seeds))
        counts[:, 2] = sizes  # every trial a DUE: the totals are checkable

    monkeypatch.setattr(injection.K, "_random_kbit_blocks", fake)
    from eccsim import get_code

    blocks = 3 * injection.FUSED_GROUP + 5
    total = 10**12  # far more trials than the blocks run here
    res = injection.run_blocks(
        get_code(HSIAO), X8, RandomBits(2), exhaustive=False, total=total,
        blocks=range(blocks), data=None, seed=1,
    )  # fmt: skip
    assert max(calls) <= injection.FUSED_GROUP and sum(calls) == blocks
    assert res.patterns == res.words["due"] == blocks * injection.BLOCK


def test_grouping_the_fused_blocks_does_not_change_the_counts(monkeypatch):
    a = inject(HSIAO, "x8-ecc-dimm", "bits:3", trials=11 * 4096 + 7, seed=4)
    monkeypatch.setattr(injection, "FUSED_GROUP", 3)
    b = inject(HSIAO, "x8-ecc-dimm", "bits:3", trials=11 * 4096 + 7, seed=4)
    assert a.words == b.words and a.patterns == b.patterns == 11 * 4096 + 7


# ----- too big: refused at once, with the limit ------------------------------------------------------
def test_a_trillion_trials_are_refused_at_once_naming_the_limit():
    t0 = time.perf_counter()
    with pytest.raises(LimitError, match="10,000,000,000"):
        inject(HSIAO, "x8-ecc-dimm", "bits:3", trials=10**12)
    assert time.perf_counter() - t0 < 5


def test_an_enumeration_beyond_the_limit_is_refused_before_building_anything():
    t0 = time.perf_counter()
    with pytest.raises(FaultError, match="20000000"):
        inject(HSIAO, "x8-ecc-dimm", "bits:6")  # C(72, 6) = 156,238,908 patterns
    assert time.perf_counter() - t0 < 5


def test_an_exhaustive_stuck_at_run_over_too_many_data_lines_is_refused():
    fault = Combined(PinFault(STUCK0), RandomBits(3))  # 72 x 59,640 patterns
    data = np.zeros((3000, 8), dtype=np.uint64)  # x 3,000 lines > 10**10 cases
    with pytest.raises(LimitError, match="10,000,000,000"):
        inject(HSIAO, "x8-ecc-dimm", fault, data=data)
