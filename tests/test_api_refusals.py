"""Public API calls refuse bad input with one line naming the parameter and what is allowed
(an :class:`~eccsim.errors.EccsimError` kind), and refuse oversized requests before allocating
or running for hours: the second review of issue 7's hardening."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import eccsim.memory as memory_mod
import eccsim.outcomes as outcomes_mod
from eccsim import LinearCode, OutcomeCounts, decode, encode, get_code, load_code, scrub
from eccsim.analysis import classify_patterns, enumerate_kbit, exact_kbit
from eccsim.errors import CodeError, FaultError, InputError, LimitError
from eccsim.faults import BitFlips, RandomBits
from eccsim.faults.base import MAX_ENUMERATION
from eccsim.memory import Memory
from eccsim.module import get_module
from eccsim.stats import proportion_ci, relative_half_width

HSIAO = "hsiao-secded"
X8 = "x8-ecc-dimm"


def one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# ----- 1. Memory sizes are checked before allocating ---------------------------------------------
def test_a_memory_too_large_is_refused_with_the_limit_before_allocating():
    with pytest.raises(LimitError) as info:
        Memory(HSIAO, X8, lines=10**12)
    msg = one_line(info)
    assert "lines=1,000,000,000,000" in msg and "limit" in msg and "GiB" in msg


def test_a_memory_larger_than_the_free_memory_is_refused(monkeypatch):
    # x8-ecc-dimm with a (72,64) code: 8 codewords of 8 data bytes + 1 check byte = 72 B a line
    monkeypatch.setattr(memory_mod, "available_bytes", lambda: 72 * 1000)
    assert Memory(HSIAO, X8, lines=1000).data.shape == (1000, 8, 1)
    with pytest.raises(LimitError, match=r"at most 1,000 lines fit"):
        Memory(HSIAO, X8, lines=1001)


def test_stuck_at_masks_that_would_not_fit_are_refused_before_allocating(monkeypatch):
    m = Memory(HSIAO, X8, lines=1000)  # a 72,000-byte store; its stuck-at masks need 256,000 more
    monkeypatch.setattr(memory_mod, "available_bytes", lambda: 100_000)
    with pytest.raises(LimitError, match="stuck-at masks"):
        m.inject(0, "chip-stuck-1")
    monkeypatch.setattr(memory_mod, "available_bytes", lambda: 300_000)
    m.inject(0, "chip-stuck-1")
    assert m.raw(0)[0].any()


@pytest.mark.parametrize("lines", [True, 1.0, [[0, 1]], np.array([True, False]), "0", 4, -1])
def test_memory_operations_take_only_line_indices_of_the_memory(lines):
    m = Memory(HSIAO, X8, lines=4)
    for op in (
        m.read,
        lambda x: m.inject(x, "bit"),
        lambda x: m.write(x, np.zeros((1, 8), np.uint64)),
    ):
        with pytest.raises(InputError, match="line"):
            op(lines)


# ----- 2. k-bit enumeration is bounded like the fault models' ------------------------------------
@pytest.mark.parametrize("k", [6, 10])
def test_enumerating_more_patterns_than_the_exhaustive_limit_points_to_exact_kbit(k):
    with pytest.raises(LimitError) as info:
        enumerate_kbit(HSIAO, k)
    msg = one_line(info)
    assert f"{math.comb(72, k):,}" in msg and f"{MAX_ENUMERATION:,}" in msg
    assert "exact_kbit" in msg
    assert exact_kbit(HSIAO, k)[-1].total == math.comb(72, k)  # what the message points to


# ----- 3. correctable patterns need the decoder that uses them ------------------------------------
@pytest.mark.parametrize("decoder", ["sec", "detect"])
@pytest.mark.parametrize("correctable", [[[100]], 5, [(0,)], []])
def test_correctable_with_a_decoder_that_ignores_it_is_refused(decoder, correctable):
    H = get_code(HSIAO).H
    with pytest.raises(CodeError) as info:
        LinearCode(H, decoder=decoder, correctable=correctable)
    assert 'correctable needs decoder="patterns"' in one_line(info)


def test_a_code_file_with_correctable_patterns_but_no_patterns_decoder_is_refused(tmp_path):
    H = get_code(HSIAO).H.tolist()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"H": H, "correctable": [[0], [5]]}))
    with pytest.raises(CodeError, match='decoder="patterns"'):
        load_code(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"H": H, "decoder": "patterns", "correctable": [[0], [5]]}))
    assert load_code(good).correctable == ((0,), (5,))
    assert load_code(tmp_path / "bad.json", decoder="patterns").correctable == ((0,), (5,))


# ----- 4. a repeated bit position is a mistake, not one flip -------------------------------------
@pytest.mark.parametrize("bits", [[1, 1], (3, 5, 3), [np.int64(7), 7]])
def test_bitflips_refuses_a_repeated_position(bits):
    with pytest.raises(FaultError) as info:
        BitFlips(bits)
    rep = next(b for b in bits if list(bits).count(b) > 1)
    assert f"position {int(rep)} is repeated" in one_line(info)


def test_bitflips_flips_every_listed_bit():
    pats = BitFlips([1, 2], slot=0).enumerate(get_module(X8))
    assert int(pats.flip_data[0, 0, 0]) == 0b110


# ----- 5. OutcomeCounts holds five non-negative whole counts ------------------------------------
@pytest.mark.parametrize(
    ("counts", "by_site", "fragment"),
    [
        ([1, 2, 3], {}, "shape (3,)"),
        ([-1, 0, 0, 0, 0], {}, "negative"),
        ([1.5, 0, 0, 0, 0], {}, "1.5"),
        ([True, 0, 0, 0, 0], {}, "True"),
        (np.ones(5, dtype=bool), {}, "bool"),
        (np.zeros((1, 5), dtype=np.int64), {}, "shape (1, 5)"),
        (np.array([0, 0, 0, 0, np.nan]), {}, "nan"),
        ("12345", {}, "str"),
        ([1, 0, 0, 0, 0], {0: [1, 0]}, "by_site[0]"),
        ([1, 0, 0, 0, 0], {0: [-1, 0, 0, 0, 0]}, "by_site[0]"),
        ([1, 0, 0, 0, 0], {True: [1, 0, 0, 0, 0]}, "by_site key True"),
        ([1, 0, 0, 0, 0], {"0": [1, 0, 0, 0, 0]}, "by_site key '0'"),
        ([1, 0, 0, 0, 0], [[1, 0, 0, 0, 0]], "by_site must be a dict"),
    ],
)
def test_outcome_counts_refuse_what_is_not_five_counts(counts, by_site, fragment):
    with pytest.raises(InputError) as info:
        OutcomeCounts(counts, by_site)
    assert fragment in one_line(info)


def test_outcome_counts_take_lists_and_whole_floats_as_int64():
    c = OutcomeCounts([1, 2, 3, 4, 5], {np.int64(3): (1.0, 2.0, 3.0, 4.0, 5.0)})
    assert c.counts.dtype == np.int64 and c.counts.tolist() == [1, 2, 3, 4, 5]
    assert list(c.by_site) == [3] and type(next(iter(c.by_site))) is int
    assert c.by_site[3].dtype == np.int64 and c.sdc == 9
    assert OutcomeCounts.from_json(c.to_json()) == c


def test_outcome_counts_from_json_refuses_negative_counts():
    with pytest.raises(InputError, match="negative"):
        OutcomeCounts.from_json({"counts": [0, 0, 0, 0, 0], "by_site": {"1": [0, -2, 0, 0, 0]}})


def test_tallies_and_sums_do_not_revalidate(monkeypatch):
    """The hot paths (a tally per block, a sum per chunk) build counts without the checks."""
    calls = []
    real = outcomes_mod._count_row
    monkeypatch.setattr(outcomes_mod, "_count_row", lambda *a: calls.append(a) or real(*a))
    rng = np.random.default_rng(0)
    a = OutcomeCounts.from_outcomes(rng.integers(0, 5, 1000), rng.integers(0, 72, 1000))
    b = a + a
    b += a
    assert calls == []
    assert b.total == 3000 and sum(v.sum() for v in b.by_site.values()) == 3000


# ----- 6. the rest of the public API ----------------------------------------------------------
@pytest.mark.parametrize("parallel", ["yes", 1, None, "False"])
def test_codec_parallel_is_true_or_false(parallel):
    d = np.zeros(4, dtype=np.uint64)
    c = encode(HSIAO, d)
    calls = [
        lambda: encode(HSIAO, d, parallel=parallel),
        lambda: decode(HSIAO, d, c, parallel=parallel),
        lambda: scrub(HSIAO, d.copy(), c.copy(), parallel=parallel),
    ]
    for call in calls:
        with pytest.raises(InputError, match=r"parallel=.* must be True or False"):
            call()
    assert scrub(HSIAO, d.copy(), c.copy(), parallel=np.True_).clean == 4


@pytest.mark.parametrize("pats", [None, np.zeros((3, 8, 1), dtype=np.uint64), "bit"])
def test_classify_patterns_needs_fault_patterns(pats):
    with pytest.raises(InputError, match="pats must be FaultPatterns"):
        classify_patterns(HSIAO, pats)


def test_classify_patterns_refuses_patterns_built_for_another_code():
    pats = RandomBits(1).sample(get_module(X8), np.random.default_rng(0), 10)  # k=64: 1 word
    with pytest.raises(InputError, match="do not fit code 'hamming-sec-136'"):
        classify_patterns("hamming-sec-136", pats)  # k=128: 2 words
    pats.flip_check[0, 0] = 1 << 8  # a check bit the (72,64) code does not have
    with pytest.raises(InputError, match="beyond"):
        classify_patterns(HSIAO, pats)


@pytest.mark.parametrize("code", [5, None, [1], b"hsiao-secded", 2.5])
def test_codes_are_named_by_a_string_path_or_linear_code(code):
    with pytest.raises(CodeError):
        get_code(code)
    with pytest.raises(CodeError):
        load_code(code)


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        ((1, 10), {"confidence": 1.5}, "confidence=1.5"),
        ((1, 10), {"confidence": 0}, "confidence=0"),
        ((1, 10), {"confidence": True}, "confidence=True"),
        ((1, 10), {"confidence": float("nan")}, "confidence=nan"),
        ((11, 10), {}, "k=11 events exceed n=10"),
        (([1, 11], [10, 10]), {}, "k=11 events exceed n=10"),
        ((-1, 10), {}, "k=-1"),
        ((0, -10), {}, "n=-10"),
        ((1.5, 10), {}, "k=1.5"),
        ((float("nan"), 10), {}, "k=nan"),
        ((True, 10), {}, "bool"),
        (("3", 10), {}, "k='3'"),
        (([1, 2], [10, 10, 10]), {}, "do not broadcast"),
        ((1, 10), {"method": "exact"}, "method='exact' is unknown"),
        ((1, 10), {"method": "Wilson"}, "wilson"),
    ],
)
def test_proportion_ci_refuses_impossible_counts_and_settings(args, kwargs, fragment):
    with pytest.raises(InputError) as info:
        proportion_ci(*args, **kwargs)
    assert fragment in one_line(info)


def test_relative_half_width_checks_confidence_even_without_events():
    with pytest.raises(InputError, match="confidence=2"):
        relative_half_width(0, 100, confidence=2)


def test_proportion_ci_still_takes_whole_float_counts():
    low, high = proportion_ci(np.array([0.0, 5.0, 10.0]), np.array([10.0, 10.0, 10.0]))
    assert low[0] == 0.0 and high[2] == 1.0 and low[1] < 0.5 < high[1]
