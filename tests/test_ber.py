"""Raw bit error rate: every stored bit flips independently with probability p.

* The exact per-word rates equal a brute-force sum over all 2^n error patterns of a small code,
  each decoded by the real decoder and weighted by p^w (1-p)^(n-w).
* A line of S words takes the worst outcome of its words; per-line rates with S = 1 are the
  per-word rates, and for S = 2, 3 they equal a direct sum over the words' outcomes.
* CE + DUE + SDC + P(no flip) = 1.
* A sweep is a campaign: the same seed gives the same counts for 1 or 2 workers and any chunk
  size; an interrupted sweep resumed with --resume ends with the uninterrupted counts; stop
  rules end each point on its own level's events.
* Simulated sweep points agree with the exact curves within their confidence intervals, and
  their rates and intervals are the conditional estimates scaled by P(at least one flip).
* ``ber:P`` / ``ber-line:P`` and ``IndependentFlips`` refuse impossible parameters; ``ber:P``
  lands on a uniformly random codeword of the line.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy.stats import binomtest

from eccsim import STATUS_DUE, decode, encode, get_code
from eccsim.ber import IndependentFlips, exact_rates, sweep_ber
from eccsim.campaign import StopRule
from eccsim.codes import hsiao_secded
from eccsim.errors import EccsimError
from eccsim.faults import FaultError, get_fault
from eccsim.module import get_module
from eccsim.results import load_results

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


def key(p):
    return (p["code"], p["ber"], p["level"], p["outcome"])


def counts(res) -> dict:
    return {key(p): (p["events"], p["trials"]) for p in res.rows}


@pytest.fixture(scope="module")
def sweep():
    return sweep_ber(["hsiao-secded"], "x8-ecc-dimm", SWEEP_BERS, trials=20_000, seed=3,
                     confidence=0.999)  # fmt: skip


class TestSweep:
    def test_one_point_per_ber_level_and_outcome(self, sweep):
        keys = [(p["ber"], p["level"], p["outcome"]) for p in sweep.rows]
        assert sorted(keys) == sorted(product(SWEEP_BERS, ("word", "line"), ("ce", "due", "sdc")))
        assert sweep.extra["points"] == sweep.rows and sweep.kind == "ber-sweep"
        assert sweep.spec["bers"] == SWEEP_BERS and sweep.jobs == []

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

    def test_the_same_seed_gives_the_same_counts_for_any_workers_and_chunk_size(self):
        args = (["hsiao-secded", "parity-byte"], "x8-ecc-dimm", [1e-3, 2e-2])
        kw = {"trials": 12_288, "seed": 9}
        one = counts(sweep_ber(*args, **kw, workers=1))  # default chunk: one chunk per point
        assert one == counts(sweep_ber(*args, **kw, workers=2, chunk=4096))
        assert one == counts(sweep_ber(*args, **kw, workers=1, chunk=8192))
        assert one != counts(sweep_ber(*args, trials=12_288, seed=10, workers=1))

    def test_a_stop_rule_ends_each_point_on_its_own_levels_events(self):
        # at p = 1e-2 a line holds ~3 corrected codewords: codeword CE events reach 3000 within
        # one chunk of 4096 lines, lines with a CE (and nothing worse) only after ~4 chunks
        cap = 40 * 4096
        res = sweep_ber(["hsiao-secded"], bers=[1e-2], trials=cap, seed=1, chunk=4096,
                        stop=StopRule("ce", 3000))  # fmt: skip
        ce = {p["level"]: p for p in res.rows if p["outcome"] == "ce"}
        for p in ce.values():  # the line point stops on CE *lines*, not on CE codewords
            assert p["stopped_early"] and p["events"] >= 3000, p
            assert p["trials"] < cap and p["trials"] % 4096 == 0
        assert ce["line"]["trials"] >= 3 * 4096  # it did need more chunks than one

    def test_a_python_built_code_or_a_repeated_rate_is_refused(self):
        with pytest.raises(EccsimError, match="code file"):
            sweep_ber([hsiao_secded(8, 5)], bers=[1e-3], trials=10)
        with pytest.raises(EccsimError, match="given twice"):
            sweep_ber(["hsiao-secded"], bers=[1e-3, 0.001], trials=10)


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
            assert (pats.touched.sum(axis=1) == 1).all()  # one codeword per pattern
        else:
            assert pats.touched.all()

    def test_ber_flips_land_on_a_uniformly_random_codeword(self, rng):
        geom = get_module("x8-ecc-dimm")
        m = 16_000
        pats = get_fault("ber:1e-2").sample(geom, rng, m)
        hit = np.argmax(pats.touched, axis=1)
        flipped = (pats.flip_data != 0).any(axis=2) | (pats.flip_check != 0)
        assert (flipped == pats.touched).all()  # the touched codeword is the flipped one
        seen = np.bincount(hit, minlength=geom.slots)
        from scipy.stats import chisquare

        assert chisquare(seen).pvalue > 1e-4, seen
        fixed = IndependentFlips(1e-2, slot=5).sample(geom, rng, 500)
        assert fixed.touched[:, 5].all() and fixed.touched.sum() == 500

    def test_prob_any_is_the_chance_of_at_least_one_flip(self):
        geom = get_module("x8-ecc-dimm")
        assert IndependentFlips(1e-3).prob_any(geom) == pytest.approx(1 - 0.999**72, rel=1e-12)
        assert IndependentFlips(1e-3, "line").prob_any(geom) == pytest.approx(
            1 - 0.999**576, rel=1e-12
        )
        # accurate where 1 - (1-p)^n would cancel
        assert IndependentFlips(1e-15).prob_any(geom) == pytest.approx(72e-15, rel=1e-9)

    @pytest.mark.parametrize(
        "p", [0, 0.0, -1e-3, 1, 1.0, 1.5, float("nan"), "0.1", None, True, np.True_]
    )
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
        with pytest.raises(FaultError, match="bit error rate"):
            sweep_ber(["hsiao-secded"], bers=[True], trials=10)
        with pytest.raises(EccsimError, match="trials"):
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=0)
        with pytest.raises(EccsimError, match="resume"):
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=10, resume=True)


class TestFaultNames:
    @pytest.mark.parametrize(
        "spec",
        ["ber", "ber:", "ber:0", "ber:1", "ber:-1", "ber:x", "ber:true", "ber:True", "ber:nan",
         "ber:inf", "ber:1.5", "ber:1e3", "ber:0x1", "ber: 0.1", "ber:1_0e-3", "ber-line:0",
         "ber-line:", "ber-line:1"],
    )  # fmt: skip
    def test_a_rate_outside_0_1_or_not_a_plain_number_is_refused(self, spec):
        with pytest.raises(FaultError, match="bit error rate"):
            get_fault(spec)

    @pytest.mark.parametrize("text, p", [("1e-3", 1e-3), ("0.25", 0.25), (".5", 0.5),
                                         ("2.5E-7", 2.5e-7), ("0.30000000000000004", 0.1 + 0.2)])  # fmt: skip
    def test_a_rate_is_read_exactly_and_the_name_reads_back_as_the_same_model(self, text, p):
        for base, per in (("ber", "word"), ("ber-line", "line")):
            f = get_fault(f"{base}:{text}")
            assert (f.p, f.per) == (p, per)
            again = get_fault(f.name)
            assert (again.p, again.per, again.name) == (p, per, f.name)

    def test_ber_names_are_listed_and_the_old_import_still_works(self):
        from eccsim import faults
        from eccsim.faults import fault_names

        assert {"ber", "ber-line"} <= set(fault_names())
        assert IndependentFlips is faults.IndependentFlips

    def test_ber_line_takes_no_slot(self):
        with pytest.raises(FaultError, match="slot"):
            IndependentFlips(1e-3, "line", slot=0)


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


def _chunks_done(out) -> int:
    import json

    try:
        doc = json.loads((out / "checkpoint.json").read_text())
    except (OSError, ValueError):
        return -1
    return sum(j["chunks_done"] for j in doc["jobs"].values())


def test_a_sweep_stopped_between_chunks_resumes_to_the_uninterrupted_counts(tmp_path, monkeypatch):
    """In process and fast: a KeyboardInterrupt while the third chunk is reduced (as Ctrl-C
    would raise it) keeps the checkpoint of two; resume=True finishes the sweep."""
    from eccsim.campaign import runner

    absorb, calls = runner._absorb, []

    def interrupted_at_the_third(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return absorb(*a, **kw)

    kw = {"bers": [1e-3, 1e-2], "trials": 4 * 4096, "seed": 11, "chunk": 4096}
    out = tmp_path / "s"
    monkeypatch.setattr(runner, "_absorb", interrupted_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        sweep_ber(["hsiao-secded"], out_dir=out, **kw)
    assert _chunks_done(out) == 2 and not (out / "results.json").exists()
    monkeypatch.setattr(runner, "_absorb", absorb)
    with pytest.raises(EccsimError, match="--resume"):  # nothing is overwritten unasked
        sweep_ber(["hsiao-secded"], out_dir=out, **kw)
    resumed = sweep_ber(["hsiao-secded"], out_dir=out, resume=True, **kw)
    assert counts(load_results(out)) == counts(resumed)
    assert counts(resumed) == counts(sweep_ber(["hsiao-secded"], **kw))


@pytest.mark.slow
def test_an_interrupted_sweep_resumed_ends_with_the_uninterrupted_counts(tmp_path):
    """Ctrl-C (SIGINT) to a 2-worker `eccsim sweep-ber` after its first checkpoints: exit 130,
    one line naming the checkpoint and --resume; resuming gives the uninterrupted counts."""
    import signal
    import subprocess
    import sys
    import time

    trials = 6 * 4096
    args = ["--codes", "hsiao-secded", "--ber", "1e-3,1e-2", "--trials", trials, "--chunk",
            "4096", "--seed", "7", "--workers", "2", "-q"]  # fmt: skip
    out = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "sweep-ber", *map(str, args), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _chunks_done(out) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0] and "checkpoint.json" in lines[0], err
    assert 2 <= _chunks_done(out) < 4 * 6 and not (out / "results.json").exists()
    r = _sweep_cli(*args, "--out", out, "--resume")
    assert r.returncode == 0, r.stderr
    resumed = load_results(out)
    # in this process, one worker, the default chunk size: the same counts all the same
    whole = sweep_ber(["hsiao-secded"], "x8-ecc-dimm", [1e-3, 1e-2], trials=trials, seed=7)
    assert counts(resumed) == counts(whole)
    assert [p["rate"] for p in resumed.rows] == [p["rate"] for p in whole.rows]
    assert resumed.spec["bers"] == [1e-3, 1e-2]


def test_a_ber_point_is_a_campaign_job_over_ber_faults():
    """The sweep's counts are those of an ordinary campaign over ber:P / ber-line:P (auto mode
    samples them: they are not finite); an exhaustive campaign of them is refused."""
    from eccsim.campaign import CampaignSpec, run_campaign

    spec = CampaignSpec(codes=("hsiao-secded",), faults=("ber:0.01", "ber-line:1e-3"),
                        trials=8192, chunk=4096, seed=4)  # fmt: skip
    res = run_campaign(spec, None, workers=1, progress=False)
    assert {j.mode for j in res.jobs} == {"monte-carlo"}
    sweep = sweep_ber(["hsiao-secded"], bers=[1e-3, 1e-2], trials=8192, seed=4)
    for fault, ber, level in (("ber:0.01", 1e-2, "word"), ("ber-line:0.001", 1e-3, "line")):
        job = res.job("hsiao-secded", fault)
        c = job.words if level == "word" else job.lines
        for o in ("ce", "due", "sdc"):
            assert counts(sweep)[("hsiao-secded", ber, level, o)] == (c[o], c.total)
    with pytest.raises(EccsimError, match=r"ber:0\.01"):
        run_campaign(CampaignSpec(codes=("hsiao-secded",), faults=("ber:0.01",), mode="exhaustive",
                                  trials=4096, chunk=4096), None, workers=1)  # fmt: skip
