"""Exact analysis and fault injection agree with each other and with independent counts.

* syndrome-space counting (``subset_syndrome_counts``, ``exact_kbit``) equals running the real
  decoder on every pattern (``enumerate_kbit``) and a pure-Python brute force;
* the module path (``inject`` with ``bits:K``) gives the same word counts as the analysis;
* Monte Carlo injection agrees with the exact fractions, and is reproducible from its seed;
* per-chip breakdowns add up, and the codes' guarantees hold for physical faults.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from itertools import combinations

import numpy as np
import pytest

from eccsim import LinearCode, code_names, get_code
from eccsim.analysis import enumerate_kbit, exact_kbit, subset_syndrome_counts
from eccsim.codes import SymbolCode
from eccsim.compile import compile_code
from eccsim.errors import CodeError
from eccsim.faults import fault_names, get_fault
from eccsim.injection import inject
from eccsim.module import get_module
from eccsim.outcomes import CE, DUE, NO_ERROR, SDC_MISCORRECTED, SDC_UNDETECTED

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

X8 = "x8-ecc-dimm"
X4 = "x4-ecc-dimm"
MODULE_CODES = ["parity-byte", "hamming-secded", "hsiao-secded"]  # the (72, 64) codes
SECDED = ["hamming-secded", "hsiao-secded"]


@cache
def rows_of(name: str, max_bits: int = 4):
    return exact_kbit(name, max_bits)


#: catalogue codes with a 2**r syndrome table (r <= 22): the syndrome-space counts apply
TABLE_CODES = [n for n in code_names() if not compile_code(get_code(n)).keyed]


@pytest.fixture(params=TABLE_CODES)
def table_code(request):
    return get_code(request.param)


def row_counts(row) -> list[int]:
    """An exact_kbit row as counts indexed like OutcomeCounts (no_error, ce, due, sdc_u, sdc_m)."""
    return [0, row.ce, row.due, row.sdc_undetected, row.sdc_miscorrected]


# ----- an independent brute force on a small code --------------------------------------------------
def small_secded() -> LinearCode:
    """A (13, 8) SEC-DED code: data columns are the first 8 weight-3 vectors of 5 bits."""
    cols = list(combinations(range(5), 3))[:8]
    A = np.zeros((5, 8), dtype=np.uint8)
    for i, c in enumerate(cols):
        A[list(c), i] = 1
    return LinearCode(np.concatenate([A, np.eye(5, dtype=np.uint8)], axis=1), name="secded-13-8")


def as_counter(row) -> Counter:
    return Counter(
        {
            "ce": row.ce,
            "due": row.due,
            "sdc_undetected": row.sdc_undetected,
            "sdc_miscorrected": row.sdc_miscorrected,
        }
    )


class TestAgainstBruteForce:
    def test_subset_syndrome_counts_equal_a_count_over_all_subsets(self):
        code = small_secded()
        cols = ref.column_ints(code.H)
        want = np.zeros((code.n + 1, 1 << code.r), dtype=np.int64)
        for mask in range(1 << code.n):  # all 8192 error patterns
            s = 0
            for b in range(code.n):
                if mask >> b & 1:
                    s ^= cols[b]
            want[mask.bit_count(), s] += 1
        got = np.asarray(subset_syndrome_counts(code, code.n), dtype=np.int64)
        assert np.array_equal(got, want)

    def test_sec_decoder_outcomes_equal_the_brute_force(self):
        code = small_secded()
        table = {s: frozenset([b]) for b, s in enumerate(ref.column_ints(code.H))}
        want = ref.outcomes_by_weight(code.H, table, 3)
        for row in exact_kbit(code, 3):
            assert +as_counter(row) == want[row.k], row.k
            assert row.total == math.comb(13, row.k)
        # and the guarantees of SEC-DED, stated independently
        assert want[1] == Counter(ce=13)
        assert want[2] == Counter(due=math.comb(13, 2))

    def test_detect_only_decoder_outcomes_equal_the_brute_force(self):
        code = LinearCode(small_secded().H, decoder="detect")
        want = ref.outcomes_by_weight(code.H, {}, 3)
        for row in exact_kbit(code, 3):
            assert +as_counter(row) == want[row.k]

    def test_pattern_decoder_outcomes_equal_the_brute_force(self):
        """Correct every single bit and every adjacent pair whose syndrome is still free."""
        H = small_secded().H
        cols = ref.column_ints(H)
        table = {s: frozenset([b]) for b, s in enumerate(cols)}
        for b in range(12):
            s = cols[b] ^ cols[b + 1]
            if s and s not in table:
                table[s] = frozenset([b, b + 1])
        assert any(len(p) == 2 for p in table.values())
        code = LinearCode(H, decoder="patterns", correctable=[sorted(p) for p in table.values()])
        want = ref.outcomes_by_weight(H, table, 3)
        for row in exact_kbit(code, 3):
            assert +as_counter(row) == want[row.k]

    @pytest.mark.parametrize("k", [1, 2, 3])
    def test_enumeration_equals_the_brute_force(self, k):
        code = small_secded()
        table = {s: frozenset([b]) for b, s in enumerate(ref.column_ints(code.H))}
        got = enumerate_kbit(code, k)
        assert got[NO_ERROR] == 0
        labels = ("ce", "due", "sdc_undetected", "sdc_miscorrected")
        assert (
            +Counter({lab: got[lab] for lab in labels})
            == ref.outcomes_by_weight(code.H, table, k)[k]
        )


# ----- syndrome space equals enumeration on every catalogue code --------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_exact_kbit_equals_enumeration_with_the_real_decoder(table_code, k):
    row = rows_of(table_code.name)[k - 1]
    assert row.k == k
    got = enumerate_kbit(table_code, k)
    assert list(got.counts) == row_counts(row)


def test_enumeration_does_not_depend_on_the_codeword(code):
    """A linear code's outcome depends on the error pattern only, not on the data."""
    assert enumerate_kbit(code, 2, seed=1) == enumerate_kbit(code, 2, seed=2)


def test_subset_counts_rows_sum_to_the_binomial(table_code):
    counts = subset_syndrome_counts(table_code, 8)
    assert counts.shape == (9, 1 << table_code.r)
    for w in range(9):
        assert int(counts[w].sum()) == math.comb(table_code.n, w)
    assert counts[0, 0] == 1 and not counts[0, 1:].any()
    # weight 1: each column's syndrome once
    assert Counter(np.repeat(np.arange(1 << table_code.r), counts[1])) == Counter(
        ref.column_ints(table_code.H)
    )


def test_subset_counts_stay_exact_beyond_int64():
    code = get_code("hamming-sec-136")
    counts = subset_syndrome_counts(code, 40)  # C(136, 40) > 2**62
    assert math.comb(136, 40) > 2**63
    for w in (20, 30, 40):
        assert sum(int(x) for x in counts[w]) == math.comb(136, w)


def test_subset_counts_clip_at_the_codeword_length():
    counts = subset_syndrome_counts("parity-byte", 100)
    assert counts.shape[0] == 73
    assert sum(int(x) for x in counts.ravel()) == 2**72


@pytest.mark.parametrize("max_bits", [6])
def test_exact_kbit_outcomes_cover_every_pattern_once(table_code, max_bits):
    """The four outcome counts come from different syndrome classes of the subset counts
    (zero, flagged, correctable); together they must account for all C(n, k) patterns."""
    for row in exact_kbit(table_code, max_bits):
        assert min(row.ce, row.due, row.sdc_undetected, row.sdc_miscorrected) >= 0
        assert row.ce + row.due + row.sdc_undetected + row.sdc_miscorrected == math.comb(
            table_code.n, row.k
        )


def test_exact_kbit_states_each_codes_guarantee(table_code):
    rows = rows_of(table_code.name)
    if table_code.decoder == "sec":  # every single-bit error corrected, nothing else is
        assert rows[0].ce == table_code.n
        assert all(r.ce == 0 for r in rows[1:])
    elif isinstance(
        table_code, SymbolCode
    ):  # every error inside one symbol corrected, nothing else
        assert [r.ce for r in rows] == [
            table_code.n_sym * math.comb(table_code.symbol_bits, r.k) for r in rows
        ]
    else:
        assert all(r.ce == 0 for r in rows)
    if table_code.name in SECDED:  # every double error detected
        assert rows[1].due == math.comb(table_code.n, 2)
    if table_code.name == "parity-byte":  # a single flip always breaks its byte's parity
        assert rows[0].due == table_code.n


# ----- the module path agrees with the analysis ---------------------------------------------------
@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("code_name", MODULE_CODES)
def test_exhaustive_kbit_injection_equals_exact_kbit(code_name, K):
    res = inject(code_name, X8, f"bits:{K}")
    assert res.exhaustive and res.patterns == math.comb(72, K)
    assert list(res.words.counts) == row_counts(rows_of(code_name)[K - 1])
    # one codeword per line is touched, so lines count the same
    assert list(res.lines.counts) == list(res.words.counts)


def _within_5_sigma(count: int, trials: int, p: float) -> bool:
    mean = trials * p
    return abs(count - mean) <= 5 * math.sqrt(trials * p * (1 - p)) + 1e-9


@pytest.mark.parametrize(
    ("code_name", "K", "trials"),
    [("hsiao-secded", 3, 12_000), ("hamming-secded", 3, 12_000), ("hamming-secded", 4, 12_000)],
)
def test_monte_carlo_injection_agrees_with_the_exact_fractions(code_name, K, trials):
    row = rows_of(code_name)[K - 1]
    res = inject(code_name, X8, f"bits:{K}", trials=trials, seed=11)
    assert not res.exhaustive and res.words.total == trials
    checked = 0
    for outcome, exact in enumerate(row_counts(row)):
        p = exact / row.total
        got = res.words[outcome]
        if p == 0:
            assert got == 0, outcome  # impossible outcomes never show up
        elif trials * min(p, 1 - p) >= 100:
            assert _within_5_sigma(got, trials, p), (outcome, got, trials * p)
            checked += 1
    assert checked >= 1


def test_monte_carlo_chip_faults_agree_with_exhaustive_chip_faults():
    exact = inject("hsiao-secded", X8, "chip").words
    trials = 20_000
    res = inject("hsiao-secded", X8, "chip", trials=trials, seed=3).words
    assert res.total == trials
    checked = 0
    for outcome in range(5):
        p = exact[outcome] / exact.total
        if p == 0:
            assert res[outcome] == 0
        elif trials * min(p, 1 - p) >= 100:
            assert _within_5_sigma(res[outcome], trials, p), outcome
            checked += 1
    assert checked >= 2


class TestSeeds:
    def test_same_seed_gives_identical_counts(self):
        a = inject("hsiao-secded", X8, "bits:3", trials=5000, seed=42)
        b = inject("hsiao-secded", X8, "bits:3", trials=5000, seed=42)
        assert a.words == b.words and a.lines == b.lines

    def test_same_seed_gives_identical_per_site_counts(self):
        a = inject("hsiao-secded", X4, "chip", trials=3000, seed=5)
        b = inject("hsiao-secded", X4, "chip", trials=3000, seed=5)
        assert a.words == b.words
        assert sorted(a.words.by_site) == sorted(b.words.by_site)

    def test_different_seeds_give_different_counts(self):
        a = inject("hsiao-secded", X8, "bits:3", trials=5000, seed=42)
        b = inject("hsiao-secded", X8, "bits:3", trials=5000, seed=43)
        assert not np.array_equal(a.words.counts, b.words.counts)

    def test_sampled_runs_store_the_given_data(self):
        """Stuck-at-1 pins on all-ones data are masked exactly where the stored bit is 1."""
        code = get_code("hsiao-secded")
        ones = np.full((1, 8), np.iinfo(np.uint64).max, dtype=np.uint64)
        ones_check = [int(code.H[j, : code.k].sum()) % 2 for j in range(code.r)]
        res = inject(code, X8, "pin-stuck-1", trials=2000, seed=1, data=ones)
        assert len(res.words.by_site) > 60  # the sampled pins cover the bus
        for dq, row in res.words.by_site.items():
            masked = dq < 64 or ones_check[dq - 64] == 1  # x8: codeword bit b is DQ b
            assert row[NO_ERROR] == (row.sum() if masked else 0), dq


# ----- per-chip breakdown ---------------------------------------------------------------------
@pytest.mark.parametrize(("module", "chips", "width"), [(X8, 9, 8), (X4, 18, 4)])
@pytest.mark.parametrize("code_name", MODULE_CODES)
def test_exhaustive_chip_faults_break_down_by_chip(code_name, module, chips, width):
    res = inject(code_name, module, "chip")
    per_chip = 2**width - 1
    assert res.site_kind == "chip"
    assert sorted(res.words.by_site) == list(range(chips))
    assert sorted(res.lines.by_site) == list(range(chips))
    for c in range(chips):
        assert res.words.by_site[c].sum() == per_chip
        assert res.lines.by_site[c].sum() == per_chip
    assert np.array_equal(sum(res.words.by_site.values()), res.words.counts)
    assert np.array_equal(sum(res.lines.by_site.values()), res.lines.counts)
    assert res.words.total == chips * per_chip == res.patterns


@pytest.mark.parametrize("code_name", SECDED)
def test_secded_corrects_exactly_the_single_bit_chip_patterns(code_name):
    """Of each x8 chip's 255 patterns, the 8 single-bit ones are CE and the 28 double-bit ones
    are DUE; no other pattern can be corrected by a single-error-correcting decoder."""
    res = inject(code_name, X8, "chip")
    for c in range(9):
        row = res.words.by_site[c]
        assert row[CE] == 8
        assert row[DUE] >= math.comb(8, 2)
        assert row[NO_ERROR] == 0


# ----- what the codes guarantee under physical faults -------------------------------------------
@pytest.mark.parametrize("module", [X8, X4])
@pytest.mark.parametrize("code_name", SECDED)
def test_secded_corrects_every_pin_fault(code_name, module):
    """A pin fault flips one bit in each of several beats; each beat is its own codeword, so every
    word it damages has a single-bit error: always corrected, never DUE or SDC."""
    res = inject(code_name, module, "pin")
    words = res.words
    assert words[DUE] == 0 and words.sdc == 0
    # 72 pins x 255 beat subsets; a pattern touches the words of the beats it flips, and over
    # all subsets a given beat is flipped in 2**7 of them; the beats it leaves alone are not
    # counted (they are not "no error" words: nothing happened to them)
    assert res.patterns == 72 * 255
    assert words[CE] == words.total == 72 * 8 * 2**7
    assert words[NO_ERROR] == 0
    assert res.lines[CE] == res.lines.total == 72 * 255


@pytest.mark.parametrize("code_name", SECDED)
def test_secded_corrects_stuck_pins_too(code_name):
    res = inject(code_name, X8, "pin-stuck-0", trials=500, seed=9)
    assert res.words[DUE] == 0 and res.words.sdc == 0
    assert res.words[CE] > 0


def _run(code_name: str, module: str, name: str, trials: int = 3000):
    f = get_fault(name)
    geom = get_module(module)
    if f.is_finite(geom) and f.count(geom) <= 60_000 and not f.data_dependent:
        return inject(code_name, module, f)
    return inject(code_name, module, f, trials=trials, seed=17)


# names that need a parameter get one (ber:P has no default rate)
_PARAM = {"ber": "ber:0.01", "ber-line": "ber-line:0.01"}


@pytest.mark.parametrize(
    "name", [*(_PARAM.get(n, n) for n in fault_names()), "bits:3", "burst:8", "bit+chip"]
)
def test_parity_byte_never_corrects_anything(name):
    res = _run("parity-byte", X8, name)
    assert res.words.total > 0
    assert res.words[CE] == 0
    assert res.lines[CE] == 0


def test_parity_byte_detects_every_single_bit_and_misses_even_flips_in_a_byte():
    assert list(inject("parity-byte", X8, "bit").words.counts) == [0, 0, 72, 0, 0]
    # a burst of 2 within one byte is invisible to its parity; across a byte boundary it is not
    res = inject("parity-byte", X8, "burst:2")
    within = sum(1 for s in range(63) if s // 8 == (s + 1) // 8)  # both bits in one data byte
    assert res.words[SDC_UNDETECTED] == within
    assert res.words[DUE] == 71 - within
    assert res.words[SDC_MISCORRECTED] == 0


@pytest.mark.parametrize("module", ["x8-ecc-dimm", "x4-ecc-dimm"])
@pytest.mark.parametrize("fault", ["chip", "pin", "bits:2", "burst:4", "chip+bit", "chips:2"])
@pytest.mark.parametrize("code_name", ["parity-byte", "hamming-secded", "hsiao-secded"])
def test_syndrome_space_fault_outcomes_equal_decoding_every_pattern(code_name, module, fault):
    # two independent routes to the same exact numbers: reasoning on syndromes alone vs
    # writing random data, injecting each pattern, decoding and comparing (the kernels)
    from eccsim.analysis import exact_fault_outcomes

    if fault == "chips:2" and module == "x8-ecc-dimm":
        pytest.skip("2.3 million patterns; the x4 module covers the two-chip case")
    a = exact_fault_outcomes(code_name, module, fault)
    b = inject(code_name, module, fault)
    assert a.patterns == b.patterns
    assert a.words == b.words
    assert a.lines == b.lines


def test_syndrome_space_outcomes_refuse_stuck_at_faults():
    from eccsim.analysis import exact_fault_outcomes

    with pytest.raises(ValueError, match="stuck-at"):
        exact_fault_outcomes("hsiao-secded", "x8-ecc-dimm", "chip-stuck-1")


# ----- confidence intervals of sampled rates ------------------------------------------------------
def test_sampled_rates_come_with_clopper_pearson_intervals():
    from scipy.stats import binomtest

    res = inject("hsiao-secded", X8, "bits:3", trials=20_000, seed=8)
    for level, counts in (("words", res.words), ("lines", res.lines)):
        for conf in (0.9, 0.99):
            iv = res.intervals(level, confidence=conf)
            assert set(iv) == {"no_error", "ce", "due", "sdc_undetected", "sdc_miscorrected",
                               "sdc"}  # fmt: skip
            for lab, (lo, hi) in iv.items():
                ref = binomtest(counts[lab], counts.total).proportion_ci(conf, method="exact")
                assert lo == pytest.approx(ref.low, abs=1e-12)
                assert hi == pytest.approx(ref.high, abs=1e-12)


def test_the_exact_rates_lie_inside_the_sampled_intervals():
    row = rows_of("hamming-secded")[2]  # k = 3
    res = inject("hamming-secded", X8, "bits:3", trials=30_000, seed=21)
    iv = res.intervals(confidence=0.999)  # 3 outcomes checked: a miss has probability ~0.003
    for lab, exact in (("due", row.due), ("sdc_miscorrected", row.sdc_miscorrected),
                       ("ce", row.ce)):  # fmt: skip
        lo, hi = iv[lab]
        assert lo <= exact / row.total <= hi, lab


def test_exhaustive_rates_are_exact_points():
    res = inject("hsiao-secded", X8, "bits:2")
    for lab, (lo, hi) in res.intervals().items():
        assert lo == hi == res.words[lab] / math.comb(72, 2)


def test_the_cli_prints_intervals_for_sampled_runs_and_says_exact_otherwise(capsys):
    from eccsim.cli import main

    assert (
        main(["inject", "hsiao-secded", "bits:3", "--trials", "5000", "--confidence", "0.9"]) == 0
    )
    out = capsys.readouterr().out
    lo, hi = inject("hsiao-secded", X8, "bits:3", trials=5000).intervals(confidence=0.9)["due"]
    assert "90% confidence intervals (Clopper-Pearson)" in out
    assert f"[{lo:.3e}, {hi:.3e}]" in out
    assert main(["inject", "hsiao-secded", "bits:2"]) == 0
    out = capsys.readouterr().out
    assert "exact" in out and "Clopper" not in out


def test_a_code_with_too_many_check_bits_for_a_table_is_enumerated_not_counted():
    """SSC-DSD has 32 check bits: exact_kbit says why it cannot count, and the real decoder
    enumerates its 1- and 2-bit errors: every 1-bit and every in-symbol 2-bit error corrected,
    every 2-bit error across two symbols detected (symbol distance 5)."""
    code = get_code("ssc-dsd-x4")
    with pytest.raises(CodeError, match=r"r=32 check bits.*r <= 22"):
        exact_kbit(code, 2)
    one = enumerate_kbit(code, 1)
    assert one["ce"] == code.n == one.total
    two = enumerate_kbit(code, 2)
    assert two["ce"] == code.n_sym * math.comb(8, 2)
    assert two["due"] == math.comb(code.n, 2) - two["ce"]
