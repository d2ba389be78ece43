"""Raw bit error rate: every stored bit flips independently with probability p.

* The exact per-word rates equal a brute-force sum over all 2^n error patterns of a small code,
  each decoded by the real decoder and weighted by p^w (1-p)^(n-w).
* A line of S words takes the worst outcome of its words; per-line rates with S = 1 are the
  per-word rates, and for S = 2, 3 they equal a direct sum over the words' outcomes.
* CE + DUE + SDC + P(no flip) = 1.
* Simulated sweep points agree with the exact curves within their confidence intervals.
* ``IndependentFlips`` refuses impossible parameters.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy.stats import binomtest

from eccsim import STATUS_DUE, decode, encode, get_code
from eccsim.ber import IndependentFlips, exact_rates, sweep_ber
from eccsim.codes import hsiao_secded
from eccsim.faults import FaultError
from eccsim.module import get_module

PS = [1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5, 0.9]
CLASSES = ("none", "ce", "due", "sdc")  # in order of severity: a line is its worst word


@pytest.fixture(scope="module")
def small_code():
    code = hsiao_secded(8, 5)
    assert (code.n, code.k, code.r) == (13, 8, 5)
    return code


@pytest.fixture(scope="module")
def brute_force(small_code, rng_module):
    """(outcome class of every error pattern 0..2^13-1, its weight), by running the decoder."""
    code = small_code
    n, k = code.n, code.k
    e = np.arange(1 << n, dtype=np.uint64)
    data = rng_module.integers(0, 1 << k, size=e.size, dtype=np.uint64)
    check = encode(code, data)
    err_data = e & np.uint64((1 << k) - 1)  # codeword bits 0..k-1 are the data bits
    err_check = (e >> np.uint64(k)).astype(check.dtype)  # bits k..n-1 the check bits
    got = decode(code, data ^ err_data, check ^ err_check)
    outcome = np.where(
        e == 0,
        0,
        np.where(
            got.status == STATUS_DUE,
            2,
            np.where((got.data == data) & (got.check == check), 1, 3),
        ),
    )
    weight = np.array([bin(int(x)).count("1") for x in e])
    return outcome, weight


@pytest.fixture(scope="module")
def rng_module():
    return np.random.default_rng(20261125)


def brute_force_word_rates(brute_force, n: int, p: float) -> dict[str, float]:
    outcome, weight = brute_force
    prob = p**weight * (1 - p) ** (n - weight)
    return {c: float(prob[outcome == i].sum()) for i, c in enumerate(CLASSES)}


class TestExactRates:
    def test_the_small_code_behaves_like_a_secded_code(self, brute_force):
        outcome, weight = brute_force
        assert (outcome[weight == 1] == 1).all()  # every single error corrected
        assert (outcome[weight == 2] == 2).all()  # every double error detected
        assert (outcome[weight == 3] == 3).any() and (outcome[weight == 3] == 2).any()

    @pytest.mark.parametrize("p", PS)
    def test_per_word_rates_equal_the_brute_force_sum(self, small_code, brute_force, p):
        exact = exact_rates(small_code, 1, [p])
        bf = brute_force_word_rates(brute_force, small_code.n, p)
        for o in ("ce", "due", "sdc"):
            assert exact[("word", o)][0] == pytest.approx(bf[o], rel=1e-9, abs=1e-300)

    def test_per_line_rates_with_one_slot_are_the_per_word_rates(self, small_code):
        r = exact_rates(small_code, 1, PS)
        for o in ("ce", "due", "sdc"):
            np.testing.assert_allclose(r[("line", o)], r[("word", o)], rtol=1e-9, atol=1e-15)

    @pytest.mark.parametrize("slots", [2, 3])
    @pytest.mark.parametrize("p", [1e-3, 0.05, 0.3])
    def test_per_line_rates_are_the_worst_of_independent_words(
        self, small_code, brute_force, slots, p
    ):
        word = brute_force_word_rates(brute_force, small_code.n, p)
        line = dict.fromkeys(CLASSES, 0.0)
        for outcomes in product(range(4), repeat=slots):
            line[CLASSES[max(outcomes)]] += math.prod(word[CLASSES[o]] for o in outcomes)
        r = exact_rates(small_code, slots, [p])
        for o in ("ce", "due", "sdc"):
            assert r[("line", o)][0] == pytest.approx(line[o], rel=1e-9, abs=1e-300)

    @pytest.mark.parametrize("code", ["hsiao-secded", "hamming-secded", "parity-byte"])
    def test_outcomes_and_no_flip_add_up_to_one(self, small_code, code):
        for c, n in ((small_code, 13), (code, 72)):
            for slots in (1, 8):
                r = exact_rates(c, slots, PS)
                for i, p in enumerate(PS):
                    clean_word = (1 - p) ** n
                    for level, clean in (("word", clean_word), ("line", clean_word**slots)):
                        total = sum(r[(level, o)][i] for o in ("ce", "due", "sdc")) + clean
                        assert total == pytest.approx(1.0, abs=1e-12), (c, slots, p, level)
                        assert all(r[(level, o)][i] >= -1e-15 for o in ("ce", "due", "sdc"))

    def test_at_small_p_single_errors_dominate(self):
        # P(CE) ~ n p and P(DUE) ~ C(n,2) p^2 for a SEC-DED code as p -> 0
        p = 1e-7
        r = exact_rates("hsiao-secded", 1, [p])
        assert r[("word", "ce")][0] == pytest.approx(72 * p, rel=1e-4)
        assert r[("word", "due")][0] == pytest.approx(math.comb(72, 2) * p**2, rel=1e-4)


# ----- simulation ------------------------------------------------------------------------------
SWEEP_BERS = [1e-4, 1e-3, 1e-2, 3e-2, 0.1]


@pytest.fixture(scope="module")
def sweep():
    return sweep_ber(["hsiao-secded"], "x8-ecc-dimm", SWEEP_BERS, trials=20_000, seed=3,
                     confidence=0.999)  # fmt: skip


class TestSweep:
    def test_one_point_per_ber_level_and_outcome(self, sweep):
        keys = [(p["ber"], p["level"], p["outcome"]) for p in sweep.rows]
        assert sorted(keys) == sorted(product(SWEEP_BERS, ("word", "line"), ("ce", "due", "sdc")))
        assert sweep.extra["points"] == sweep.rows and sweep.kind == "ber-sweep"

    def test_the_exact_column_is_the_exact_curve(self, sweep):
        r = exact_rates("hsiao-secded", 8, SWEEP_BERS)
        for p in sweep.rows:
            want = r[(p["level"], p["outcome"])][SWEEP_BERS.index(p["ber"])]
            assert p["exact"] == pytest.approx(want, rel=1e-12)

    def test_rates_and_intervals_are_scaled_conditional_estimates(self, sweep):
        """Trials are conditioned on at least one flip; rate and CI are scaled by its chance."""
        geom = get_module("x8-ecc-dimm")
        for p in sweep.rows:
            bits = geom.n * (geom.slots if p["level"] == "line" else 1)
            scale = 1 - (1 - p["ber"]) ** bits
            assert p["trials"] == 20_000
            assert p["rate"] == pytest.approx(scale * p["events"] / p["trials"], rel=1e-9)
            # (binomtest finds the Clopper-Pearson bounds by root finding: ~1e-7 accurate)
            ci = binomtest(p["events"], p["trials"]).proportion_ci(0.999, "exact")
            assert p["ci_low"] == pytest.approx(scale * ci.low, rel=1e-5, abs=1e-300)
            assert p["ci_high"] == pytest.approx(scale * ci.high, rel=1e-5, abs=1e-300)

    def test_simulated_points_agree_with_the_exact_curves(self, sweep):
        outside = [p for p in sweep.rows if not p["ci_low"] <= p["exact"] <= p["ci_high"]]
        assert len(outside) <= 1, outside  # 30 points at 99.9 %: a second miss means a bias
        informative = [p for p in sweep.rows if p["events"] >= 50]
        assert len(informative) >= 20  # enough points with events for the check to bite
        for p in informative:  # and those must all agree
            assert p["ci_low"] <= p["exact"] <= p["ci_high"], p

    def test_the_same_seed_gives_the_same_points(self, sweep):
        again = sweep_ber(["hsiao-secded"], "x8-ecc-dimm", SWEEP_BERS[:2], trials=20_000, seed=3,
                          confidence=0.999)  # fmt: skip
        for p in again.rows:
            q = next(
                q for q in sweep.rows
                if (q["ber"], q["level"], q["outcome"]) == (p["ber"], p["level"], p["outcome"])
            )  # fmt: skip
            assert p["events"] == q["events"]


class TestSampler:
    @pytest.mark.parametrize("per, p", [("word", 0.02), ("line", 0.002)])
    def test_flip_counts_have_the_conditional_binomial_mean(self, per, p, rng):
        geom = get_module("x8-ecc-dimm")
        m = 40_000
        pats = IndependentFlips(p, per).sample(geom, rng, m)
        flips = np.zeros(m, dtype=np.int64)
        for arr in (pats.flip_data, pats.flip_check):
            a = arr.reshape(m, -1)
            flips += np.array([sum(bin(int(x)).count("1") for x in row) for row in a])
        bits = geom.n * (geom.slots if per == "line" else 1)
        q = 1 - (1 - p) ** bits
        mean = bits * p / q  # E[K | K >= 1] for K ~ Binomial(bits, p)
        var = (bits * p * (1 - p) + (bits * p) ** 2) / q - mean**2
        assert flips.min() >= 1
        assert abs(flips.mean() - mean) < 5 * math.sqrt(var / m)
        if per == "word":
            assert not pats.touched[:, 1:].any() and pats.touched[:, 0].all()
        else:
            assert pats.touched.all()

    def test_prob_any_is_the_chance_of_at_least_one_flip(self):
        geom = get_module("x8-ecc-dimm")
        assert IndependentFlips(1e-3).prob_any(geom) == pytest.approx(1 - 0.999**72, rel=1e-12)
        assert IndependentFlips(1e-3, "line").prob_any(geom) == pytest.approx(
            1 - 0.999**576, rel=1e-12
        )
        # accurate where 1 - (1-p)^n would cancel
        assert IndependentFlips(1e-15).prob_any(geom) == pytest.approx(72e-15, rel=1e-9)

    @pytest.mark.parametrize("p", [0, 0.0, -1e-3, 1, 1.0, 1.5, float("nan"), "0.1", None])
    def test_impossible_probabilities_are_refused(self, p):
        with pytest.raises(FaultError, match="bit error rate"):
            IndependentFlips(p)

    @pytest.mark.parametrize("per", ["bit", "Line", "", None])
    def test_unknown_per_is_refused(self, per):
        with pytest.raises(FaultError, match="per="):
            IndependentFlips(1e-3, per)

    def test_bad_sweep_arguments_are_refused(self):
        with pytest.raises(FaultError):
            sweep_ber(["hsiao-secded"], bers=[])
        with pytest.raises(FaultError, match="bit error rate"):
            sweep_ber(["hsiao-secded"], bers=[1e-3, 2.0], trials=10)
        with pytest.raises(FaultError, match="trials"):
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=0)


def test_line_rates_keep_their_precision_at_tiny_bit_error_rates():
    # exact rational arithmetic as the reference: no cancellation possible there
    from fractions import Fraction

    from eccsim.analysis import exact_kbit

    code = get_code("hsiao-secded")
    rows = exact_kbit(code, code.n)
    slots = 8
    for p in (1e-9, 1e-7):
        P = Fraction(p)
        word = {o: sum(Fraction(getattr(r, o) if o != "sdc" else r.sdc) * P**r.k
                       * (1 - P) ** (code.n - r.k) for r in rows) for o in ("ce", "due", "sdc")}  # fmt: skip
        clean = (1 - P) ** code.n
        line_sdc = 1 - (1 - word["sdc"]) ** slots
        line_due = (1 - word["sdc"]) ** slots - (1 - word["sdc"] - word["due"]) ** slots
        line_ce = (clean + word["ce"]) ** slots - clean**slots
        got = exact_rates(code, slots, [p])
        for o, want in (("sdc", line_sdc), ("due", line_due), ("ce", line_ce)):
            assert got[("line", o)][0] == pytest.approx(float(want), rel=1e-9), (p, o)


def test_heavy_bit_error_rates_sample_quickly_and_stay_finite():
    # many flips per line: positions come from random keys, not from redrawing collisions
    res = sweep_ber(["hsiao-secded"], bers=[0.3, 0.999], trials=4096)
    assert all(np.isfinite(p["exact"]) and np.isfinite(p["rate"]) for p in res.rows)
    rates = exact_rates("hsiao-secded", 8, [0.99999, 0.999999999])
    assert all(np.isfinite(v).all() for v in rates.values())


# ----- the sweep's results folder ------------------------------------------------------------------
def _sweep_cli(*args, cwd=None, timeout=120):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "eccsim.cli", "sweep-ber", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)  # fmt: skip


def test_sweep_ber_does_not_overwrite_results_without_force(tmp_path):
    """A folder holding an earlier sweep's CSV and figure, but no results.json, is refused
    (nothing is overwritten unasked); --force replaces them."""
    out = tmp_path / "d"
    out.mkdir()
    (out / "results.csv").write_text("mine\n")
    (out / "ber.png").write_bytes(b"\x89PNG mine")
    r = _sweep_cli("--trials", "100", "--ber", "1e-2", "--out", out)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--force" in r.stderr and "results.csv" in r.stderr
    assert (out / "results.csv").read_text() == "mine\n"
    assert (out / "ber.png").read_bytes() == b"\x89PNG mine"
    r = _sweep_cli("--trials", "100", "--ber", "1e-2", "--out", out, "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "results.csv").read_text().startswith("code,module,ber")


@pytest.mark.parametrize("out", ["afile", "afile/below", ""])
def test_sweep_ber_refuses_an_unusable_out_before_sweeping(tmp_path, out):
    (tmp_path / "afile").write_text("x")
    # 10^9 trials per point: the old order (sweep first, then fail on the folder) never ends
    r = _sweep_cli("--trials", "1000000000", "--ber", "1e-3", "--out", out, cwd=tmp_path,
                   timeout=60)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
