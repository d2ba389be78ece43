"""Campaigns: reproducible, exact where finite, statistically right where sampled, resumable
after a crash or Ctrl-C with identical results, careful with existing results, and strict about
their spec files.

Claims checked here (README "Campaign specs" and :mod:`eccsim.campaign`):

* the same seed gives identical counts (words, lines and per-site breakdowns) for any chunk size
  and any number of workers; another seed gives other counts;
* exhaustive jobs give the exact counts of every k-bit error, derived here from H alone;
* Monte Carlo rates agree with those exact rates within their confidence intervals;
* an interrupted campaign (SIGKILL or SIGINT) resumed with ``--resume`` ends with exactly the
  counts of an uninterrupted run; resuming with another spec is refused, naming the setting;
* an existing results folder is refused (untouched) unless ``--resume`` or ``--force``;
* the stop rule ends a Monte Carlo job at the first chunk boundary where it holds, the same for
  any number of workers;
* a spec file with any mistake is refused with a message that names the mistake.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from eccsim import get_code
from eccsim.analysis import exact_kbit
from eccsim.campaign import CampaignError, CampaignSpec, StopRule, plan, run_campaign
from eccsim.results import load_results

SEED = 2026
SECDED = ("hamming-secded", "hsiao-secded")
LABELS = ("no_error", "ce", "due", "sdc_undetected", "sdc_miscorrected")


def run(spec: CampaignSpec, out=None, **kw):
    kw.setdefault("workers", 1)
    return run_campaign(spec, out, progress=False, **kw)


def run_fresh(spec: CampaignSpec, out: Path, workers: int = 2):
    """Run a campaign with a worker pool in a fresh interpreter, so the result does not depend on
    what earlier tests ran in this one (the last test checks that case on its own)."""
    script = (
        "import json, sys\n"
        "from eccsim.campaign import CampaignSpec, run_campaign\n"
        "spec = CampaignSpec.from_dict(json.loads(sys.argv[1]))\n"
        "run_campaign(spec, sys.argv[2], workers=int(sys.argv[3]), progress=False)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script, json.dumps(spec.to_dict()), str(out), str(workers)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    return load_results(out)


def counts_of(res) -> dict:
    """Every count a campaign produced, keyed by job: patterns, words and lines with sites."""
    out = {}
    for j in res.jobs:
        out[(j.code, j.fault, j.data)] = {
            "patterns": j.patterns,
            "words": j.words.counts.tolist(),
            "lines": j.lines.counts.tolist(),
            "words_by_site": {s: v.tolist() for s, v in sorted(j.words.by_site.items())},
            "lines_by_site": {s: v.tolist() for s, v in sorted(j.lines.by_site.items())},
        }
    return out


def brute_force_kbit(code, k: int) -> dict[str, int]:
    """Outcome counts of every k-bit error pattern, read off H alone: the syndrome is the XOR of
    the flipped columns; a single-error-correcting decoder fixes the bit whose column equals the
    syndrome and flags every other non-zero syndrome; a detect-only decoder flags them all."""
    H = np.asarray(code.H, dtype=np.int64)
    col = (H << np.arange(H.shape[0])[:, None]).sum(axis=0)  # syndrome of each single bit
    subsets = np.array(list(combinations(range(code.n), k)), dtype=np.int64)
    syn = np.bitwise_xor.reduce(col[subsets], axis=1)
    out = dict.fromkeys(LABELS, 0)
    out["sdc_undetected"] = int((syn == 0).sum())
    if code.decoder == "sec":
        bit_of = {int(s): b for b, s in enumerate(col)}
        fixed = np.array([bit_of.get(int(s), -1) for s in syn])
        is_ce = (fixed >= 0) & (k == 1) & (fixed == subsets[:, 0])
        out["ce"] = int(is_ce.sum())
        out["sdc_miscorrected"] = int(((fixed >= 0) & ~is_ce).sum())
        out["due"] = int(((fixed < 0) & (syn != 0)).sum())
    else:
        assert code.decoder == "detect"
        out["due"] = int((syn != 0).sum())
    assert sum(out.values()) == math.comb(code.n, k)
    return out


# ----- reproducibility -----------------------------------------------------------------------------
MC_SPEC = CampaignSpec(
    codes=SECDED,
    faults=("bits:3", "chip-burst", "pin-stuck-1"),
    data=("random", "checkerboard"),
    mode="monte-carlo",
    trials=20_000,  # 4 full blocks of 4096 and a partial one
    seed=SEED,
    chunk=4096,
)


@pytest.fixture(scope="module")
def mc_reference():
    return counts_of(run(MC_SPEC))


class TestReproducibility:
    def test_the_spec_really_is_monte_carlo_with_sites(self, mc_reference):
        assert all(not j.exhaustive for j in plan(MC_SPEC))
        assert len(mc_reference) == 2 * 3 * 2
        for (_, fault, _), c in mc_reference.items():
            assert c["patterns"] == 20_000
            if fault != "bits:3":  # chip and pin faults carry a per-site breakdown
                assert len(c["words_by_site"]) > 1 and len(c["lines_by_site"]) > 1

    @pytest.mark.parametrize("chunk", [16384, 65536])
    def test_same_seed_same_counts_for_any_chunk_size(self, mc_reference, chunk):
        spec = replace(MC_SPEC, chunk=chunk)
        assert counts_of(run(spec)) == mc_reference

    def test_same_seed_same_counts_for_two_workers(self, mc_reference, tmp_path):
        res = run_fresh(MC_SPEC, tmp_path / "res", workers=2)
        assert res.meta["workers"] == 2
        assert counts_of(res) == mc_reference

    def test_a_different_seed_gives_different_counts(self, mc_reference):
        other = counts_of(run(replace(MC_SPEC, seed=SEED + 1)))
        assert other.keys() == mc_reference.keys()
        for key, c in other.items():
            assert c["patterns"] == mc_reference[key]["patterns"]
            assert c != mc_reference[key], f"job {key} did not change with the seed"


# ----- exhaustive jobs are exact -------------------------------------------------------------------
@pytest.fixture(scope="module")
def exhaustive_kbit():
    spec = CampaignSpec(
        codes=("parity-byte", *SECDED), faults=("bits:1", "bits:2", "bits:3"), seed=SEED
    )
    return run(spec)


class TestExhaustiveIsExact:
    def test_every_kbit_job_is_exhaustive_over_all_patterns(self, exhaustive_kbit):
        for j in exhaustive_kbit.jobs:
            k = int(j.fault.split(":")[1])
            assert j.mode == "exhaustive"
            assert j.patterns == j.words.total == j.lines.total == math.comb(72, k)

    @pytest.mark.parametrize("code", ["parity-byte", *SECDED])
    @pytest.mark.parametrize("k", [1, 2, 3])
    def test_counts_equal_a_brute_force_count_from_H(self, exhaustive_kbit, code, k):
        j = exhaustive_kbit.job(code, f"bits:{k}")
        expected = brute_force_kbit(get_code(code), k)
        assert j.words.as_dict() == expected
        # one codeword per injected line: the line counts are the word counts
        assert j.lines.as_dict() == expected

    @pytest.mark.parametrize("code", ["parity-byte", *SECDED])
    def test_counts_equal_the_syndrome_space_analysis(self, exhaustive_kbit, code):
        for row in exact_kbit(code, 3):
            j = exhaustive_kbit.job(code, f"bits:{row.k}")
            assert j.words.as_dict() == {
                "no_error": 0,
                "ce": row.ce,
                "due": row.due,
                "sdc_undetected": row.sdc_undetected,
                "sdc_miscorrected": row.sdc_miscorrected,
            }

    def test_secded_textbook_facts_hold(self, exhaustive_kbit):
        for code in SECDED:
            assert exhaustive_kbit.job(code, "bits:1").words["ce"] == 72
            assert exhaustive_kbit.job(code, "bits:2").words["due"] == math.comb(72, 2)
        # odd-weight columns: Hsiao miscorrects fewer triple errors than Hamming
        hs = exhaustive_kbit.job("hsiao-secded", "bits:3").words["sdc_miscorrected"]
        hm = exhaustive_kbit.job("hamming-secded", "bits:3").words["sdc_miscorrected"]
        assert 0 < hs < hm


# ----- Monte Carlo agrees with exact counts --------------------------------------------------------
MIN_EVENTS = 50


def test_monte_carlo_rates_agree_with_exact_rates_within_99_9_percent_ci():
    """Sampled bits:3 and chip jobs against their exact rates (bits:3 from H by brute force,
    chip from the exhaustive enumeration of all 9 x 255 chip patterns)."""
    faults = ("bits:3", "chip")
    exact = run(CampaignSpec(codes=SECDED, faults=("chip",), mode="exhaustive", seed=SEED))
    mc = run(
        CampaignSpec(codes=SECDED, faults=faults, mode="monte-carlo", trials=20_480, seed=SEED)
    )
    checked = 0
    for code in SECDED:
        for fault in faults:
            if fault == "bits:3":
                truth = brute_force_kbit(get_code(code), 3)
            else:
                truth = exact.job(code, "chip").words.as_dict()
            total = sum(truth.values())
            j = mc.job(code, fault)
            assert j.mode == "monte-carlo" and j.words.total == 20_480
            for label in LABELS:
                p = truth[label] / total
                if p * j.words.total < MIN_EVENTS:
                    continue  # too few expected events for the interval to say anything
                ci = binomtest(j.words[label], j.words.total).proportion_ci(0.999, "exact")
                assert ci.low <= p <= ci.high, (code, fault, label, j.words[label], p)
                checked += 1
    assert checked >= 10  # CE, DUE and SDC of chip faults; DUE and SDC of triple errors


# ----- resume after an interruption ----------------------------------------------------------------
RESUME_OPTS = [
    "--codes", "hamming-secded,hsiao-secded", "--faults", "chip-burst", "--trials", "200000",
    "--chunk", "4096", "--seed", "11", "--quiet",
]  # fmt: skip
RESUME_SPEC = CampaignSpec(
    codes=SECDED, faults=("chip-burst",), trials=200_000, chunk=4096, seed=11
)
RESUME_CHUNKS = 2 * math.ceil(200_000 / 4096)


def cli(*args, cwd=None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "eccsim.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=300, **kw,
    )  # fmt: skip


def chunks_done(ck: Path) -> int:
    state = json.loads(ck.read_text(encoding="utf-8"))  # atomic writes: always parses
    return sum(j["chunks_done"] for j in state["jobs"].values())


def interrupt_midway(out: Path, sig: int, workers: int) -> tuple[int, str]:
    """Start the campaign, send ``sig`` once a few chunks are checkpointed, wait for the end;
    return its exit status and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "campaign", *RESUME_OPTS, "--workers", str(workers),
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ck = out / "checkpoint.json"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, "the campaign ended before it could be interrupted"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        if ck.exists() and chunks_done(ck) >= 4:
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "res"
    return counts_of(run_fresh(RESUME_SPEC, out, workers=2))


class TestResume:
    def test_resume_after_sigkill_gives_the_uninterrupted_counts(self, tmp_path, uninterrupted):
        out = tmp_path / "res"
        rc, _ = interrupt_midway(out, signal.SIGKILL, workers=1)
        assert rc == -signal.SIGKILL
        assert not (out / "results.json").exists()
        assert 4 <= chunks_done(out / "checkpoint.json") < RESUME_CHUNKS
        r = cli("campaign", *RESUME_OPTS, "--workers", "1", "--out", out, "--resume")
        assert r.returncode == 0, r.stderr
        assert counts_of(load_results(out)) == uninterrupted
        assert chunks_done(out / "checkpoint.json") == RESUME_CHUNKS

    def test_sigint_exits_non_zero_and_leaves_a_checkpoint_to_resume(self, tmp_path, uninterrupted):
        out = tmp_path / "res"
        rc, err = interrupt_midway(out, signal.SIGINT, workers=2)
        assert rc != 0
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert not (out / "results.json").exists()
        assert 4 <= chunks_done(out / "checkpoint.json") < RESUME_CHUNKS
        r = cli("campaign", *RESUME_OPTS, "--workers", "2", "--out", out, "--resume")
        assert r.returncode == 0, r.stderr
        assert counts_of(load_results(out)) == uninterrupted

    def test_resume_with_a_different_spec_is_refused_naming_the_setting(self, tmp_path):
        out = tmp_path / "res"
        spec = CampaignSpec(codes=("hsiao-secded",), faults=("bits:2",), seed=3)
        run(spec, out)
        before = (out / "checkpoint.json").read_bytes()
        with pytest.raises(CampaignError) as info:
            run(CampaignSpec(codes=("hsiao-secded",), faults=("bits:2",), seed=4), out, resume=True)
        msg = str(info.value)
        assert "\n" not in msg
        assert re.search(r"differs in: ([^)]*)\)", msg).group(1) == "seed"  # only what differs
        assert (out / "checkpoint.json").read_bytes() == before
        # and from the command line: one line on stderr, status 2
        r = cli(
            "campaign", "--codes", "hsiao-secded", "--faults", "bits:2", "--seed", "3",
            "--trials", "4096", "--out", out, "--resume", "--quiet",
        )  # fmt: skip
        assert r.returncode == 2
        assert len(r.stderr.strip().splitlines()) == 1 and "trials" in r.stderr
        assert "Traceback" not in r.stderr

    def test_resuming_a_finished_campaign_keeps_its_counts(self, tmp_path):
        out = tmp_path / "res"
        spec = CampaignSpec(codes=("hsiao-secded",), faults=("chip-burst",), trials=8192, seed=5)
        first = counts_of(run(spec, out))
        assert counts_of(run(spec, out, resume=True)) == first
        assert counts_of(load_results(out)) == first

    def test_resume_without_a_checkpoint_is_refused(self, tmp_path):
        with pytest.raises(CampaignError, match="nothing to resume"):
            run(CampaignSpec(codes=("hsiao-secded",), faults=("bit",)), tmp_path, resume=True)


# ----- existing results -----------------------------------------------------------------------------
def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


class TestExistingResults:
    SPEC = CampaignSpec(codes=("hsiao-secded",), faults=("bits:2", "chip"), seed=1)

    def test_an_existing_results_folder_is_refused_and_left_untouched(self, tmp_path):
        out = tmp_path / "res"
        run(self.SPEC, out)
        (out / "outcomes.png").write_bytes(b"\x89PNG old figure")
        before = snapshot(out)
        assert {"results.json", "results.csv", "checkpoint.json"} <= before.keys()
        with pytest.raises(CampaignError) as info:
            run(self.SPEC, out)
        msg = str(info.value)
        assert "--resume" in msg and "--force" in msg and "results.json" in msg
        assert snapshot(out) == before

    def test_force_overwrites_eccsims_files_and_keeps_the_users(self, tmp_path):
        out = tmp_path / "res"
        run(self.SPEC, out)
        (out / "outcomes.png").write_bytes(b"\x89PNG stale figure of the old run")
        (out / "notes.txt").write_text("mine")
        other = CampaignSpec(codes=("hamming-secded",), faults=("bits:1",), seed=2)
        run(other, out, force=True)
        res = load_results(out)
        assert res.spec["seed"] == 2 and [j.code for j in res.jobs] == ["hamming-secded"]
        ck = json.loads((out / "checkpoint.json").read_text())
        assert ck["spec"]["seed"] == 2
        assert not (out / "outcomes.png").exists()  # a stale figure would not match the results
        assert (out / "notes.txt").read_text() == "mine"

    def test_a_sweep_on_a_campaigns_folder_names_it_and_does_not_suggest_resume(self, tmp_path):
        from eccsim.ber import sweep_ber

        out = tmp_path / "res"
        run(self.SPEC, out)
        before = snapshot(out)
        with pytest.raises(CampaignError) as info:
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=100, out_dir=out)
        msg = str(info.value)
        assert "\n" not in msg and "a campaign's results" in msg, msg
        assert "--resume" not in msg and "--force" in msg, msg
        assert snapshot(out) == before
        # and a campaign on a sweep's folder, the same way round
        sweep = tmp_path / "sweep"
        sweep_ber(["hsiao-secded"], bers=[1e-3], trials=100, out_dir=sweep)
        with pytest.raises(CampaignError) as info:
            run(self.SPEC, sweep)
        msg = str(info.value)
        assert "a BER sweep's results" in msg and "--resume" not in msg, msg

    def test_resume_is_suggested_only_for_a_checkpoint_of_the_same_spec(self, tmp_path):
        from eccsim.ber import sweep_ber

        out = tmp_path / "sweep"
        sweep_ber(["hsiao-secded"], bers=[1e-3], trials=100, out_dir=out)
        with pytest.raises(CampaignError) as same:
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=100, out_dir=out)
        assert "a BER sweep's results" in str(same.value) and "--resume" in str(same.value)
        sweep_ber(["hsiao-secded"], bers=[1e-3], trials=100, out_dir=out, resume=True)  # it works
        with pytest.raises(CampaignError) as other:
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=200, out_dir=out)
        msg = str(other.value)
        assert "--resume" not in msg and "differs in: trials" in msg, msg
        with pytest.raises(CampaignError, match="differs in: trials"):  # resume could not work
            sweep_ber(["hsiao-secded"], bers=[1e-3], trials=200, out_dir=out, resume=True)

    def test_resume_and_force_together_are_refused(self, tmp_path):
        with pytest.raises(CampaignError, match="exclude"):
            run(self.SPEC, tmp_path, resume=True, force=True)


# ----- stop rule ----------------------------------------------------------------------------------
STOP_CHUNK = 8192
STOP_TRIALS = 40 * STOP_CHUNK
STOP_SDC = 70_000  # word events; a chip-burst fault reaches all 8 codewords of its line


def stop_spec(stop, trials=STOP_TRIALS):
    return CampaignSpec(
        codes=SECDED, faults=("chip-burst", "bits:2"), trials=trials, chunk=STOP_CHUNK, seed=9,
        stop=stop,
    )  # fmt: skip


@pytest.fixture(scope="module")
def stopped():
    return run(stop_spec(StopRule("sdc", min_events=STOP_SDC)))


class TestStopRule:
    CHUNK = STOP_CHUNK
    TRIALS = STOP_TRIALS

    def spec(self, stop, trials=STOP_TRIALS):
        return stop_spec(stop, trials)

    def test_it_stops_early_at_a_chunk_boundary(self, stopped):
        for code in SECDED:
            j = stopped.job(code, "chip-burst")
            assert j.stopped_early
            assert j.patterns % self.CHUNK == 0 and 0 < j.patterns < self.TRIALS
            assert j.words["sdc"] >= STOP_SDC

    def test_it_stops_at_the_first_boundary_where_the_rule_holds(self, stopped):
        for code in SECDED:
            key = (code, "chip-burst", "random")
            n = stopped.job(code, "chip-burst").patterns
            # the same job run to exactly that length without a rule: the very same counts
            assert counts_of(run(self.spec(None, trials=n)))[key] == counts_of(stopped)[key]
            # one chunk shorter: the rule did not hold yet
            assert (
                run(self.spec(None, trials=n - self.CHUNK)).job(code, "chip-burst").words["sdc"]
                < STOP_SDC
            )

    def test_exhaustive_jobs_ignore_the_stop_rule(self, stopped):
        for code in SECDED:
            j = stopped.job(code, "bits:2")
            assert not j.stopped_early and j.patterns == math.comb(72, 2)

    def test_two_workers_stop_at_the_same_place_with_the_same_counts(self, stopped, tmp_path):
        res = run_fresh(
            self.spec(StopRule("sdc", min_events=STOP_SDC)), tmp_path / "res", workers=2
        )
        assert counts_of(res) == counts_of(stopped)
        assert [j.stopped_early for j in res.jobs] == [j.stopped_early for j in stopped.jobs]

    def test_rel_ci_rule_stops_once_the_interval_is_narrow_enough(self):
        def rel_half_width(c):
            ci = binomtest(c["due"], c.total).proportion_ci(0.95, "exact")
            return (ci.high - ci.low) / 2 / (c["due"] / c.total)

        res = run(self.spec(StopRule("due", min_events=0, rel_ci=0.003)))
        for code in SECDED:
            j = res.job(code, "chip-burst")
            assert j.stopped_early and j.patterns % self.CHUNK == 0
            assert rel_half_width(j.words) <= 0.003
            before = run(self.spec(None, trials=j.patterns - self.CHUNK)).job(code, "chip-burst")
            assert rel_half_width(before.words) > 0.003

    def test_a_rule_that_never_holds_runs_every_trial(self):
        res = run(self.spec(StopRule("sdc_undetected", min_events=10**9), trials=3 * self.CHUNK))
        for code in SECDED:
            j = res.job(code, "chip-burst")
            assert j.patterns == 3 * self.CHUNK and not j.stopped_early


# ----- spec files ----------------------------------------------------------------------------------
VALID_TOML = """
# a small campaign
[campaign]
codes = ["hamming-secded", "hsiao-secded"]
module = "x8-ecc-dimm"
faults = ["bits:2", "chip-burst"]
mode = "auto"
trials = 8192
data = ["random", "zeros"]
seed = 7
chunk = 4096

[campaign.stop]
outcome = "sdc"
min_events = 1000000
"""


def write(tmp_path: Path, text: str, name="spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


class TestSpecFiles:
    def test_a_valid_spec_file_is_read_and_runs(self, tmp_path):
        spec = CampaignSpec.from_toml(write(tmp_path, VALID_TOML))
        assert spec.codes == SECDED and spec.faults == ("bits:2", "chip-burst")
        assert spec.data == ("random", "zeros") and spec.seed == 7 and spec.trials == 8192
        assert spec.stop == StopRule("sdc", 1_000_000, None)
        res = run(spec, tmp_path / "out")
        assert {(j.code, j.fault, j.data) for j in res.jobs} == {
            (c, f, d) for c in SECDED for f in ("bits:2", "chip-burst") for d in ("random", "zeros")
        }
        for j in res.jobs:
            assert j.patterns == (math.comb(72, 2) if j.fault == "bits:2" else 8192)
        assert load_results(tmp_path / "out").spec == spec.to_dict()

    def bad(self, tmp_path, text, *fragments, exc=ValueError):
        with pytest.raises(exc) as info:
            CampaignSpec.from_toml(write(tmp_path, text))
        msg = str(info.value)
        assert "\n" not in msg.strip()
        for f in fragments:
            assert f.lower() in msg.lower(), f"{f!r} missing from {msg!r}"

    def test_malformed_toml(self, tmp_path):
        self.bad(tmp_path, '[campaign]\ncodes = ["hsiao-secded"\n', "malformed TOML",
                 exc=CampaignError)  # fmt: skip

    def test_missing_campaign_table(self, tmp_path):
        self.bad(tmp_path, '[campain]\ncodes = ["hsiao-secded"]\n', "[campaign]", exc=CampaignError)

    def test_unknown_setting_is_named_with_the_allowed_ones(self, tmp_path):
        self.bad(tmp_path, "[campaign]\ntrails = 5\n", "trails", "trials", exc=CampaignError)

    def test_unknown_stop_setting(self, tmp_path):
        self.bad(tmp_path, "[campaign]\n[campaign.stop]\nevents = 5\n", "events", "min_events",
                 exc=CampaignError)  # fmt: skip

    @pytest.mark.parametrize(
        "line, fragments",
        [
            ('codes = ["hsiao-secdd"]', ["hsiao-secdd", "did you mean hsiao-secded"]),
            ('faults = ["chip-brust"]', ["chip-brust", "did you mean chip-burst"]),
            ('module = "x8-ecc-dim"', ["x8-ecc-dim", "did you mean x8-ecc-dimm"]),
        ],
    )
    def test_unknown_names_suggest_the_close_name(self, tmp_path, line, fragments):
        self.bad(tmp_path, f"[campaign]\n{line}\n", *fragments)

    @pytest.mark.parametrize(
        "line, fragments",
        [
            ("trials = 0", ["trials=0", ">= 1"]),
            ("trials = -5", ["trials=-5"]),
            ('trials = "many"', ["trials"]),
            ("chunk = 5000", ["chunk=5000", "multiple of 4096"]),
            ("chunk = 1024", ["chunk=1024", "4096"]),
            ('data = ["stripes"]', ["stripes", "checkerboard"]),
            ("data = []", ["data", "non-empty"]),
            ('mode = "fast"', ["fast", "monte-carlo"]),
            ("confidence = 1.5", ["confidence"]),
            ("seed = -1", ["seed=-1"]),
        ],
    )
    def test_bad_values_are_named(self, tmp_path, line, fragments):
        self.bad(tmp_path, f"[campaign]\n{line}\n", *fragments, exc=CampaignError)

    def test_bad_stop_outcome(self, tmp_path):
        self.bad(tmp_path, '[campaign]\n[campaign.stop]\noutcome = "sdcc"\n', "stop.outcome",
                 "sdcc", "sdc_miscorrected", exc=CampaignError)  # fmt: skip

    def test_bad_stop_numbers(self, tmp_path):
        self.bad(tmp_path, "[campaign]\n[campaign.stop]\nmin_events = -1\n", "min_events",
                 exc=CampaignError)  # fmt: skip
        self.bad(tmp_path, "[campaign]\n[campaign.stop]\nrel_ci = 2.0\n", "rel_ci",
                 exc=CampaignError)  # fmt: skip

    def test_missing_spec_file(self, tmp_path):
        with pytest.raises(CampaignError, match="does not exist"):
            CampaignSpec.from_toml(tmp_path / "nope.toml")

    def test_not_utf8(self, tmp_path):
        p = tmp_path / "spec.toml"
        p.write_bytes(b"[campaign]\nseed = 1 # \xff\xfe\n")
        with pytest.raises(CampaignError, match="UTF-8"):
            CampaignSpec.from_toml(p)


def test_workers_below_one_are_refused():
    with pytest.raises(CampaignError, match="workers"):
        run(CampaignSpec(codes=("hsiao-secded",), faults=("bit",)), None, workers=0)


def test_a_pool_campaign_after_in_process_kernels_gives_the_same_counts():
    """The README promises the same counts for any number of workers: also when the calling
    process (a notebook, a script) has already run numba's threaded kernels itself. (Workers
    forked from such a process died: 'fork() called from a process already using GNU OpenMP'.)"""
    script = (
        "from eccsim.campaign import CampaignSpec, run_campaign\n"
        "spec = CampaignSpec(codes=('hsiao-secded',), faults=('bits:3',), mode='monte-carlo',"
        " trials=8192)\n"
        "a = run_campaign(spec, None, workers=1, progress=False)\n"
        "b = run_campaign(spec, None, workers=2, progress=False)\n"
        "assert a.jobs[0].words == b.jobs[0].words\n"
    )
    env = {**os.environ, "NUMBA_THREADING_LAYER": "omp"}  # what numba picks without TBB
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr[-3000:]


class TestDataFiles:
    def _spec(self, path, fault="chip-stuck-1"):
        return CampaignSpec(codes=("hsiao-secded",), faults=(fault,), data=(str(path),),
                            mode="auto", trials=4096, chunk=4096)  # fmt: skip

    def test_a_flip_fault_over_data_lines_stays_exact_with_each_pattern_once(self, tmp_path):
        lines = tmp_path / "lines.npy"
        np.save(lines, np.zeros((500, 8), dtype=np.uint64))
        (job,) = plan(self._spec(lines, "pin"))
        assert job.exhaustive and job.total == 72 * 255  # not 500 times as many

    def test_a_stuck_at_fault_is_crossed_with_every_data_line(self, tmp_path):
        lines = tmp_path / "lines.npy"
        np.save(lines, np.zeros((3, 8), dtype=np.uint64))
        (job,) = plan(self._spec(lines))
        assert job.exhaustive and job.total == 9 * 3

    def test_resume_refuses_a_data_file_that_changed(self, tmp_path):
        lines = tmp_path / "lines.npy"
        np.save(lines, np.zeros((3, 8), dtype=np.uint64))
        out = tmp_path / "r"
        run_campaign(self._spec(lines), out, workers=1, progress=False)
        np.save(lines, np.ones((3, 8), dtype=np.uint64))
        with pytest.raises(CampaignError, match="changed since the checkpoint"):
            run_campaign(self._spec(lines), out, resume=True, workers=1, progress=False)

    def test_resume_refuses_a_checkpoint_of_another_format(self, tmp_path):
        from eccsim.campaign.checkpoint import _checksum

        out = tmp_path / "r"
        spec = CampaignSpec(codes=("hsiao-secded",), faults=("bits:2",), trials=4096, chunk=4096)
        run_campaign(spec, out, workers=1, progress=False)
        ck = json.loads((out / "checkpoint.json").read_text())
        ck["format"] = "eccsim-checkpoint/1"
        ck["checksum"] = _checksum({k: v for k, v in ck.items() if k != "checksum"})  # sound
        (out / "checkpoint.json").write_text(json.dumps(ck))
        with pytest.raises(CampaignError, match="another eccsim version"):
            run_campaign(spec, out, resume=True, workers=1, progress=False)


def test_stop_outcome_alone_is_not_a_stop_rule(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "campaign", "--codes", "hsiao-secded", "--faults",
         "bits:5", "--trials", "20000", "--chunk", "4096", "--workers", "1", "--stop-outcome",
         "due", "--quiet", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    job = load_results(out).jobs[0]
    assert job.patterns == 20000 and not job.stopped_early


# ----- booleans, limits, output paths ----------------------------------------------------------------
@pytest.mark.parametrize(
    "line, name",
    [
        ("min_events = true", "min_events"),
        ("rel_ci = true", "rel_ci"),
    ],
)
def test_a_boolean_stop_number_is_refused(tmp_path, line, name):
    with pytest.raises(CampaignError, match=name):
        CampaignSpec.from_toml(write(tmp_path, f"[campaign]\n[campaign.stop]\n{line}\n"))


@pytest.mark.parametrize("name", ["trials", "chunk", "seed", "exhaustive_limit", "confidence"])
def test_booleans_are_not_numbers_in_a_spec(name):
    with pytest.raises(CampaignError, match=name):
        CampaignSpec(**{name: True}).validate()


@pytest.mark.parametrize(
    "setting, fragment",
    [
        ({"trials": True}, "trials=True"),
        ({"trials": 0}, "trials=0"),
        ({"seed": -1}, "seed=-1"),
        ({"confidence": 1.0}, "confidence=1.0"),
        ({"confidence": 0}, "confidence=0"),
        ({"chunk": 5000}, "multiple of 4096"),
        ({"exhaustive_limit": -1}, "exhaustive_limit=-1"),
        ({"mode": "fast"}, "mode='fast'"),
        ({"codes": "hsiao-secded"}, "codes"),
        ({"faults": ()}, "faults"),
        ({"module": 8}, "module=8"),
        ({"stop": {"min_events": 1}}, "StopRule"),
    ],
)
def test_a_spec_with_a_bad_value_cannot_be_built(setting, fragment):
    with pytest.raises(CampaignError) as info:
        CampaignSpec(**setting)  # no validate(): the object never exists
    assert fragment in str(info.value)
    with pytest.raises(CampaignError, match=re.escape(fragment)):
        replace(CampaignSpec(), **setting)


@pytest.mark.parametrize(
    "setting, fragment",
    [({"min_events": True}, "stop.min_events=True"), ({"min_events": -1}, "stop.min_events=-1"),
     ({"rel_ci": 1.0}, "stop.rel_ci=1.0"), ({"outcome": "sdcc"}, "stop.outcome='sdcc'")],
)  # fmt: skip
def test_a_stop_rule_with_a_bad_value_cannot_be_built(setting, fragment):
    with pytest.raises(CampaignError, match=re.escape(fragment)):
        StopRule(**setting)


def test_a_spec_given_lists_holds_tuples_and_equals_the_tuple_spec():
    spec = CampaignSpec(codes=["hsiao-secded"], faults=["bit"], data=["random"])
    assert spec == CampaignSpec(codes=("hsiao-secded",), faults=("bit",), data=("random",))
    assert hash(spec) == hash(CampaignSpec(codes=("hsiao-secded",), faults=("bit",)))


def test_a_trillion_trials_allocate_nothing_up_front():
    """--trials 10**12: planning and the first chunk cost what a chunk costs (the stop rule
    ends the job after it), not what 10**12 trials would."""
    spec = CampaignSpec(codes=("hsiao-secded",), faults=("bits:2",), mode="monte-carlo",
                        trials=10**12, chunk=4096, stop=StopRule("due", min_events=1))  # fmt: skip
    (job,) = plan(spec)
    assert job.total == 10**12 and job.nchunks == math.ceil(10**12 / 4096)
    t0 = time.perf_counter()
    (j,) = run(spec).jobs
    assert j.patterns == 4096 and j.stopped_early
    assert time.perf_counter() - t0 < 30


def test_trials_and_chunks_over_their_limits_say_the_limit():
    from eccsim.campaign import MAX_CHUNK, MAX_TRIALS
    from eccsim.errors import LimitError

    with pytest.raises(LimitError, match="limit"):
        CampaignSpec(trials=MAX_TRIALS + 1).validate()
    with pytest.raises(LimitError, match="limit"):
        CampaignSpec(chunk=MAX_CHUNK + 4096).validate()


@pytest.mark.parametrize("out", ["", "   ", "afile", "afile/below"])
def test_an_unusable_out_is_refused_before_any_work(tmp_path, out):
    (tmp_path / "afile").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    t0 = time.perf_counter()
    r = cli("campaign", "--faults", "chip-burst", "--trials", "100000000", "--quiet", "--out", out,
            cwd=tmp_path)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--out" in r.stderr
    assert time.perf_counter() - t0 < 60  # 10^8 trials were never started
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written anywhere
    with pytest.raises(CampaignError):
        run(CampaignSpec(codes=("hsiao-secded",), faults=("bit",)), tmp_path / out if out.strip()
            else out)  # fmt: skip


# ----- the table -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stuck_pin():
    """Stuck-at pins on random data leave many touched codewords unchanged (masked)."""
    spec = CampaignSpec(codes=SECDED, faults=("pin-stuck-1", "bits:2"), mode="monte-carlo",
                        trials=8192, chunk=4096, confidence=0.99, seed=3)  # fmt: skip
    return run(spec)


def table_rows(text: str) -> list[list[str]]:
    return [ln.split() for ln in text.splitlines() if ln.split()[:1] and ln.split()[0] in SECDED]


def test_the_table_shows_the_masked_share_and_its_shares_add_up(stuck_pin):
    from eccsim.report import format_table

    text = format_table(stuck_pin)
    header = text.splitlines()[0]
    assert "no error" in header and "words" in header and "lines" in header
    assert "touched" in text  # the denominator is stated
    rows = table_rows(text)
    assert len(rows) == len(stuck_pin.jobs)
    for row, j in zip(rows, stuck_pin.jobs, strict=True):
        words, lines = int(row[4]), int(row[5])
        assert (words, lines) == (j.words.total, j.lines.total)
        shares = [float(x.rstrip("%")) for x in row[6:10]]
        assert sum(shares) == pytest.approx(100, abs=0.03)
        assert shares[0] == pytest.approx(100 * j.words["no_error"] / words, abs=0.005)
    masked = [float(r[6].rstrip("%")) for r in rows if r[1] == "pin-stuck-1"]
    assert min(masked) > 10  # stuck-at-1 over random bits leaves ~half the beats unchanged


def test_the_table_prints_the_campaigns_confidence(stuck_pin):
    from eccsim.report import format_table

    header = format_table(stuck_pin).splitlines()[0]
    assert "SDC 99% CI" in header and "95%" not in header
    assert "SDC 99.9% CI" in format_table(stuck_pin, confidence=0.999).splitlines()[0]


def test_campaign_format_table_stays_importable():
    from eccsim.campaign import format_table as from_campaign
    from eccsim.report import format_table

    assert from_campaign is format_table


def test_a_data_file_is_read_once_per_run_not_once_per_chunk(tmp_path, monkeypatch):
    """Workers get the loaded lines with the validated spec; nothing re-reads the .npy file for
    each chunk (the spec's 8 chunks here)."""
    import eccsim.campaign.data as data_mod

    lines = tmp_path / "lines.npy"
    np.save(lines, np.arange(5 * 8, dtype=np.uint64).reshape(5, 8))
    reads = []
    real = data_mod.load_npy
    monkeypatch.setattr(data_mod, "load_npy", lambda *a, **k: reads.append(a) or real(*a, **k))
    spec = CampaignSpec(codes=SECDED, faults=("pin-stuck-1",), data=(str(lines),),
                        mode="monte-carlo", trials=4 * 4096, chunk=4096)  # fmt: skip
    res = run(spec, tmp_path / "out")
    assert sum(j.patterns for j in res.jobs) == 2 * 4 * 4096
    assert len(reads) == 1
