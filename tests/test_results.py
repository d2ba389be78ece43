"""Saved results: what is written is what is read back, the CSV is the documented tidy table,
rates and intervals are consistent, the environment is recorded, writes are atomic, and broken
files are refused. Confidence intervals match scipy's binomial test.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numba
import numpy as np
import pytest
from scipy.stats import binomtest

import eccsim
from eccsim.campaign import CampaignSpec, run_campaign
from eccsim.outcomes import OutcomeCounts
from eccsim.results import (
    RESULT_FIELDS,
    JobResult,
    Results,
    ResultsError,
    atomic_write_text,
    load_results,
    save_results,
    tidy_rows,
)
from eccsim.stats import proportion_ci

OUTCOMES = ("no_error", "ce", "due", "sdc_undetected", "sdc_miscorrected", "sdc")
LEVELS = ("word", "line")
SPEC = CampaignSpec(
    codes=("hamming-secded", "hsiao-secded"),
    faults=("bits:2", "chip", "chip-burst"),  # exhaustive, exhaustive with sites, sampled
    trials=8192,
    chunk=4096,
    seed=31,
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(the Results a campaign returned, the folder it saved them in)."""
    out = tmp_path_factory.mktemp("results") / "res"
    res = run_campaign(SPEC, out, workers=1, progress=False)
    return res, out


@pytest.fixture(scope="module")
def csv_rows(saved):
    with open(saved[1] / "results.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def job_of(res, row):
    return res.job(row["code"], row["fault"], row["data"])


# ----- round trip -----------------------------------------------------------------------------------
class TestRoundTrip:
    def test_jobs_come_back_with_every_count_and_site(self, saved):
        res, out = saved
        back = load_results(out)
        assert len(back.jobs) == len(res.jobs) == 6
        for a, b in zip(res.jobs, back.jobs, strict=True):
            assert (a.code, a.module, a.fault, a.data, a.mode, a.site_kind) == (
                b.code, b.module, b.fault, b.data, b.mode, b.site_kind,
            )  # fmt: skip
            assert a.patterns == b.patterns and a.stopped_early == b.stopped_early
            assert np.array_equal(a.words.counts, b.words.counts)
            assert np.array_equal(a.lines.counts, b.lines.counts)
            for mine, theirs in ((a.words, b.words), (a.lines, b.lines)):
                assert sorted(mine.by_site) == sorted(theirs.by_site)
                for s in mine.by_site:
                    assert np.array_equal(mine.by_site[s], theirs.by_site[s])
            assert a.wall_s == b.wall_s

    def test_chip_jobs_keep_a_breakdown_for_each_of_the_nine_chips(self, saved):
        back = load_results(saved[1])
        for code in SPEC.codes:
            j = back.job(code, "chip")
            assert sorted(j.words.by_site) == list(range(9))
            # every non-zero pattern of a chip's 8 bits in one beat reaches one codeword
            assert all(int(v.sum()) == 255 for v in j.words.by_site.values())

    def test_spec_meta_and_rows_come_back(self, saved):
        res, out = saved
        back = load_results(out)
        assert back.kind == "campaign"
        assert back.spec == res.spec == SPEC.to_dict()
        assert back.meta == json.loads(json.dumps(res.meta))
        assert back.rows == res.rows

    def test_loading_the_folder_or_the_file_is_the_same(self, saved):
        out = saved[1]
        assert load_results(out).rows == load_results(out / "results.json").rows

    def test_a_hand_made_results_object_round_trips_with_extras(self, tmp_path):
        words = OutcomeCounts(np.array([1, 2, 3, 4, 5], dtype=np.int64))
        words.by_site = {3: np.array([0, 1, 1, 0, 0]), 5: np.array([1, 1, 2, 4, 5])}
        lines = OutcomeCounts(np.array([0, 2, 3, 4, 6], dtype=np.int64))
        job = JobResult("c", "m", "f", "zeros", "monte-carlo", "chip", 15, words, lines, 1.5, True)
        res = Results("campaign", {"seed": 4}, {"note": "x"}, [job], tidy_rows([job]),
                      {"mine": [1, "two"]})  # fmt: skip
        save_results(tmp_path, res, csv_fields=("code", "count"))
        back = load_results(tmp_path)
        assert back.kind == "campaign" and back.spec == {"seed": 4} and back.meta == {"note": "x"}
        assert back.extra == {"mine": [1, "two"]} and back.rows == res.rows
        (b,) = back.jobs
        assert b.stopped_early and b.patterns == 15 and b.wall_s == 1.5 and b.site_kind == "chip"
        assert b.words == words and b.words.by_site.keys() == {3, 5} and b.lines == lines
        assert (tmp_path / "results.csv").read_text().splitlines()[:2] == ["code,count", "c,1"]

    def test_numpy_numbers_are_saved_as_plain_numbers(self, tmp_path):
        res = Results("campaign", {"seed": np.int64(3)}, {"x": np.float64(0.5)}, [], [])
        res.meta["arr"] = np.arange(3)
        save_results(tmp_path, res)
        back = load_results(tmp_path)
        assert back.spec == {"seed": 3} and back.meta == {"x": 0.5, "arr": [0, 1, 2]}


# ----- the CSV ----------------------------------------------------------------------------------
class TestCsv:
    def test_header_is_the_documented_field_list(self, csv_rows):
        header, _ = csv_rows
        assert tuple(header) == RESULT_FIELDS
        assert RESULT_FIELDS[:7] == ("code", "module", "fault", "data", "mode", "level", "outcome")
        assert {"count", "total", "rate", "ci_low", "ci_high"} <= set(RESULT_FIELDS)

    def test_one_row_per_job_level_and_outcome(self, saved, csv_rows):
        res, _ = saved
        _, rows = csv_rows
        keys = [(r["code"], r["fault"], r["data"], r["level"], r["outcome"]) for r in rows]
        assert len(keys) == len(set(keys))
        expected = {
            (c, f, d, lvl, o)
            for c in SPEC.codes
            for f in SPEC.faults
            for d in SPEC.data
            for lvl in LEVELS
            for o in OUTCOMES
        }
        assert set(keys) == expected
        assert len(rows) == len(res.jobs) * 2 * 6

    def test_counts_are_the_jobs_counts_and_sdc_is_both_kinds(self, saved, csv_rows):
        res, _ = saved
        for r in csv_rows[1]:
            j = job_of(res, r)
            counts = j.words if r["level"] == "word" else j.lines
            c = counts.as_dict()
            want = (
                c["sdc_undetected"] + c["sdc_miscorrected"]
                if r["outcome"] == "sdc"
                else c[r["outcome"]]
            )
            assert int(r["count"]) == want
            assert int(r["total"]) == sum(c.values())
            assert int(r["patterns"]) == j.patterns
            assert r["module"] == "x8-ecc-dimm" and r["mode"] == j.mode

    def test_word_totals_count_every_touched_codeword(self, csv_rows):
        for r in csv_rows[1]:
            total, patterns = int(r["total"]), int(r["patterns"])
            if r["level"] == "line":
                assert total == patterns
            elif r["fault"] == "chip-burst":  # a whole-burst chip fault reaches 1 to 8 words
                assert patterns < total <= 8 * patterns
            else:  # one word of the line
                assert total == patterns

    def test_rates_and_intervals_are_consistent(self, csv_rows):
        for r in csv_rows[1]:
            k, n = int(r["count"]), int(r["total"])
            rate, lo, hi = float(r["rate"]), float(r["ci_low"]), float(r["ci_high"])
            assert rate == pytest.approx(k / n, rel=1e-12, abs=0)
            assert 0 <= lo <= rate <= hi <= 1
            if r["mode"] == "exhaustive":
                assert lo == hi == rate  # counted, not sampled: no uncertainty
            else:
                ci = binomtest(k, n).proportion_ci(0.95, "exact")
                assert lo == pytest.approx(ci.low, rel=SCIPY_REL, abs=1e-15)
                assert hi == pytest.approx(ci.high, rel=SCIPY_REL, abs=1e-15)
                assert lo < hi

    def test_the_sampled_job_is_the_chip_burst_one(self, csv_rows):
        modes = {r["fault"]: r["mode"] for r in csv_rows[1]}
        assert modes == {"bits:2": "exhaustive", "chip": "exhaustive", "chip-burst": "monte-carlo"}


# ----- metadata -----------------------------------------------------------------------------------
def test_environment_versions_and_seed_are_recorded(saved):
    doc = json.loads((saved[1] / "results.json").read_text(encoding="utf-8"))
    assert doc["format"] == "eccsim-results/1"
    env = doc["meta"]["environment"]
    assert env["eccsim"] == eccsim.__version__
    assert env["numpy"] == np.__version__
    assert env["numba"] == numba.__version__
    assert env["python"] and env["machine"] is not None
    assert doc["spec"]["seed"] == 31 and doc["meta"]["workers"] == 1


# ----- atomic writes ---------------------------------------------------------------------------------
def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "target.txt")


class TestAtomicWrite:
    def test_writes_the_text_and_leaves_no_temporary_file(self, tmp_path):
        p = tmp_path / "target.txt"
        atomic_write_text(p, "héllo\nworld\n")
        assert p.read_bytes() == "héllo\nworld\n".encode()
        atomic_write_text(p, "second")
        assert p.read_text(encoding="utf-8") == "second"
        assert leftovers(tmp_path) == []

    def test_a_failing_rename_keeps_the_old_file_whole(self, tmp_path, monkeypatch):
        p = tmp_path / "target.txt"
        p.write_text("old contents\n")

        def broken_replace(src, dst):
            raise OSError("disk on fire")

        monkeypatch.setattr(os, "replace", broken_replace)
        with pytest.raises(OSError, match="disk on fire"):
            atomic_write_text(p, "new contents that must not appear\n" * 1000)
        monkeypatch.undo()
        assert p.read_text() == "old contents\n"
        assert leftovers(tmp_path) == []

    def test_an_interrupt_while_writing_keeps_the_old_file_whole(self, tmp_path, monkeypatch):
        p = tmp_path / "target.txt"
        p.write_text("old contents\n")

        def interrupted(fd):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            atomic_write_text(p, "half of the new contents")
        monkeypatch.undo()
        assert p.read_text() == "old contents\n"
        assert leftovers(tmp_path) == []

    def test_a_failed_save_keeps_the_previous_results_loadable(self, saved, tmp_path, monkeypatch):
        res, _ = saved
        save_results(tmp_path, res)
        before = (tmp_path / "results.json").read_bytes()
        monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(OSError("full")))
        with pytest.raises(OSError):
            save_results(tmp_path, Results("campaign", {"seed": 1}, {}, [], []))
        monkeypatch.undo()
        assert (tmp_path / "results.json").read_bytes() == before
        assert load_results(tmp_path).rows == res.rows
        assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.json"]


# ----- refusing broken files ----------------------------------------------------------------------
class TestLoadRefuses:
    def test_a_missing_file(self, tmp_path):
        with pytest.raises(ResultsError, match="does not exist"):
            load_results(tmp_path / "nope.json")

    def test_a_folder_without_results(self, tmp_path):
        with pytest.raises(ResultsError, match="does not exist"):
            load_results(tmp_path)

    def test_a_non_json_file(self, tmp_path):
        p = tmp_path / "results.json"
        p.write_text("code,fault\nhsiao,chip\n")
        with pytest.raises(ResultsError, match="not a valid eccsim results file"):
            load_results(p)

    def test_a_binary_file(self, tmp_path):
        p = tmp_path / "results.json"
        p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
        with pytest.raises(ResultsError):
            load_results(p)

    @pytest.mark.parametrize(
        "doc", [{"kind": "campaign", "jobs": []}, [1, 2, 3], {"format": "other/1"}, "text"]
    )
    def test_json_that_is_not_an_eccsim_results_file(self, tmp_path, doc):
        p = tmp_path / "results.json"
        p.write_text(json.dumps(doc))
        with pytest.raises(ResultsError, match="format"):
            load_results(p)

    def test_a_malformed_job_entry(self, tmp_path):
        p = tmp_path / "results.json"
        p.write_text(json.dumps({"format": "eccsim-results/1", "jobs": [{"code": "x"}]}))
        with pytest.raises(ResultsError, match="malformed job"):
            load_results(p)

    def test_every_refusal_is_a_value_error(self):
        assert issubclass(ResultsError, ValueError)


def test_to_pandas_gives_the_tidy_rows(saved):
    pytest.importorskip("pandas")
    res, _ = saved
    df = res.to_pandas()
    assert len(df) == len(res.rows)
    assert set(RESULT_FIELDS) <= set(df.columns)
    sub = df[(df.level == "word") & (df.outcome == "sdc") & (df.fault == "bits:2")]
    assert (sub["count"] == 0).all()  # SEC-DED never misses a double error


def test_job_lookup_names_what_is_missing(saved):
    res, _ = saved
    assert res.job("hsiao-secded", "chip").fault == "chip"
    with pytest.raises(KeyError, match="parity-byte"):
        res.job("parity-byte", "chip")


# ----- confidence intervals ------------------------------------------------------------------------
KN = [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (1, 1000), (999, 1000), (0, 100_000),
      (50, 100_000), (12_345, 20_000), (100_000, 100_000)]  # fmt: skip
# binomtest finds Clopper-Pearson bounds by root finding (about 1e-7 relative accuracy)
SCIPY_REL = 1e-6
METHOD_OF = {"clopper-pearson": "exact", "wilson": "wilson"}


class TestProportionCi:
    @pytest.mark.parametrize("method", ["clopper-pearson", "wilson"])
    @pytest.mark.parametrize("confidence", [0.95, 0.999, 0.5])
    @pytest.mark.parametrize("k, n", KN)
    def test_matches_scipy_binomtest(self, k, n, confidence, method):
        lo, hi = proportion_ci(k, n, confidence, method)
        ref = binomtest(k, n).proportion_ci(confidence, METHOD_OF[method])
        assert float(lo) == pytest.approx(ref.low, rel=SCIPY_REL, abs=1e-12)
        assert float(hi) == pytest.approx(ref.high, rel=SCIPY_REL, abs=1e-12)
        assert 0 <= lo <= k / n <= hi <= 1

    @pytest.mark.parametrize("n", [1, 7, 1000, 123_456])
    @pytest.mark.parametrize("confidence", [0.95, 0.999])
    def test_clopper_pearson_closed_forms_at_the_edges(self, n, confidence):
        """k = 0: upper bound solves (1-p)^n = a/2; k = n: lower bound solves p^n = a/2."""
        half = (1 - confidence) / 2
        lo, hi = proportion_ci(0, n, confidence)
        assert lo == 0 and hi == pytest.approx(-math.expm1(math.log(half) / n), rel=1e-12)
        lo, hi = proportion_ci(n, n, confidence)
        assert hi == 1 and lo == pytest.approx(half ** (1 / n), rel=1e-12)
        lo, _ = proportion_ci(1, n, confidence)  # k = 1: 1 - (1-p)^n = a/2
        assert lo == pytest.approx(-math.expm1(math.log1p(-half) / n), rel=1e-10)

    def test_vectorized_matches_elementwise(self):
        k = np.array([k for k, _ in KN])
        n = np.array([n for _, n in KN])
        lo, hi = proportion_ci(k, n, 0.99)
        for i, (kk, nn) in enumerate(KN):
            ref = binomtest(kk, nn).proportion_ci(0.99, "exact")
            assert lo[i] == pytest.approx(ref.low, rel=SCIPY_REL, abs=1e-12)
            assert hi[i] == pytest.approx(ref.high, rel=SCIPY_REL, abs=1e-12)

    def test_zero_trials_give_nan(self):
        lo, hi = proportion_ci(0, 0)
        assert math.isnan(lo) and math.isnan(hi)

    def test_a_wider_confidence_gives_a_wider_interval(self):
        lo95, hi95 = proportion_ci(30, 1000, 0.95)
        lo999, hi999 = proportion_ci(30, 1000, 0.999)
        assert lo999 < lo95 < 0.03 < hi95 < hi999

    @pytest.mark.parametrize("method", ["exact", "wald", "", "Wilson"])
    def test_unknown_method_is_refused(self, method):
        with pytest.raises(ValueError, match="method"):
            proportion_ci(1, 10, 0.95, method)

    @pytest.mark.parametrize("confidence", [0, 1, 95, -0.5, 1.0001])
    def test_confidence_outside_0_1_is_refused(self, confidence):
        with pytest.raises(ValueError, match="confidence"):
            proportion_ci(1, 10, confidence)

    @pytest.mark.parametrize("k, n", [(-1, 10), (11, 10)])
    def test_impossible_counts_are_refused(self, k, n):
        with pytest.raises(ValueError, match="0 <= k <= n"):
            proportion_ci(k, n)


# ----- malformed results are refused in full (plots rely on it) ------------------------------------
def _campaign_doc(saved) -> dict:
    return json.loads((saved[1] / "results.json").read_text())


def _job0(doc):
    return doc["jobs"][0]


MALFORMED = {
    "negative word count": (lambda d: _job0(d)["words"]["counts"].__setitem__(1, -3), "negative"),
    "count as text": (lambda d: _job0(d).__setitem__("patterns", "8192"), "patterns"),
    "count as bool": (lambda d: _job0(d)["lines"]["counts"].__setitem__(0, True), "lines"),
    "missing words": (lambda d: _job0(d).pop("words"), "words"),
    "name is an object": (lambda d: _job0(d).__setitem__("code", {"a": 1}), "code"),
    "four outcome counts": (lambda d: _job0(d)["words"]["counts"].pop(), "5 counts"),
    "sites that do not add up": (
        lambda d: next(j for j in d["jobs"] if j["words"]["by_site"])["words"]["by_site"].popitem(),
        "add up",
    ),
    "a job missing from the grid": (lambda d: d["jobs"].pop(), "combination"),
    "unknown mode": (lambda d: _job0(d).__setitem__("mode", "guess"), "mode"),
    "jobs not a list": (lambda d: d.__setitem__("jobs", {"a": 1}), "lists"),
    "row count above total": (lambda d: d["rows"][0].__setitem__("count", 10**9), "more than"),
    "row missing a field": (lambda d: d["rows"][0].pop("ci_low"), "ci_low"),
    "spec not an object": (lambda d: d.__setitem__("spec", [1]), "spec"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_campaign_results_file_is_one_results_error(saved, tmp_path, name):
    doc = _campaign_doc(saved)
    change, fragment = MALFORMED[name]
    change(doc)
    (tmp_path / "results.json").write_text(json.dumps(doc))
    with pytest.raises(ResultsError) as info:
        load_results(tmp_path)
    msg = str(info.value)
    assert "\n" not in msg and fragment in msg, msg


def test_deeply_nested_results_are_refused(tmp_path):
    (tmp_path / "results.json").write_text(
        '{"format": "eccsim-results/1", "spec": ' + "[" * 50_000 + "]" * 50_000 + "}"
    )
    with pytest.raises(ResultsError, match="nested too deeply"):
        load_results(tmp_path)


@pytest.mark.parametrize(
    "field, value, fragment",
    [("ber", 2.0, "bit error rate"), ("events", -1, "negative"), ("rate", "high", "rate"),
     ("outcome", "sdc_undetected", "outcome"), ("exact", None, None)],
)  # fmt: skip
def test_a_malformed_sweep_point_is_refused(tmp_path, field, value, fragment):
    row = {"code": "hsiao-secded", "module": "x8-ecc-dimm", "ber": 1e-3, "level": "word",
           "outcome": "due", "events": 3, "trials": 10, "rate": 0.01, "ci_low": 0.0,
           "ci_high": 0.02, "exact": 0.01, "wall_s": 0.1}  # fmt: skip
    row[field] = value
    doc = {"format": "eccsim-results/1", "kind": "ber-sweep", "rows": [row], "points": [row]}
    (tmp_path / "results.json").write_text(json.dumps(doc))
    if fragment is None:  # null stands for an undefined rate: accepted
        assert load_results(tmp_path).rows == [row]
        return
    with pytest.raises(ResultsError, match=fragment):
        load_results(tmp_path)


def test_plot_of_malformed_results_is_one_line_not_a_traceback(saved, tmp_path):
    import subprocess
    import sys

    doc = _campaign_doc(saved)
    _job0(doc)["words"]["counts"][2] = -7
    (tmp_path / "results.json").write_text(json.dumps(doc))
    r = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "plot", str(tmp_path), "-o", str(tmp_path / "f.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "negative" in r.stderr and not (tmp_path / "f.png").exists()


def test_results_atomic_write_is_the_safe_one():
    from eccsim import results, safeio

    assert results.atomic_write_text is safeio.atomic_write_text
