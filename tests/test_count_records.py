"""One count record: an injection result, a campaign job and a job's checkpointed progress add
the same way, write the same JSON form of their counts, and give the same intervals — exact
counts collapse to the rate, sampled ones are Clopper-Pearson (checked against scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from eccsim.campaign.checkpoint import JobState
from eccsim.injection import InjectionResult, inject
from eccsim.outcomes import CountRecord, OutcomeCounts
from eccsim.results import JobResult


def counts(*v) -> OutcomeCounts:
    return OutcomeCounts(np.array(v, dtype=np.int64))


def records(exact: bool):
    def w():
        return counts(0, 5, 30, 1, 4)

    def ln():
        return counts(0, 2, 10, 0, 3)

    mode = "exhaustive" if exact else "monte-carlo"
    return [
        InjectionResult("c", "m", "f", "", exact, 40, w(), ln()),
        JobResult("c", "m", "f", "random", mode, "", 40, w(), ln()),
    ]


@pytest.mark.parametrize("rec", [*records(True), JobState(3, 40, counts(0, 5, 30, 1, 4),
                                                          counts(0, 2, 10, 0, 3))])  # fmt: skip
def test_records_add_their_patterns_and_both_levels(rec):
    assert isinstance(rec, CountRecord)
    other = InjectionResult(
        "c", "m", "f", "", False, 10, counts(0, 1, 2, 3, 4), counts(1, 1, 1, 1, 1)
    )
    rec += other
    assert rec.patterns == 50
    assert rec.words == counts(0, 6, 32, 4, 8) and rec.lines == counts(1, 3, 11, 1, 4)


def test_every_record_writes_its_counts_in_one_form():
    a, b = records(False)
    st = JobState(1, a.patterns, a.words, a.lines)
    forms = [a.counts_json(), b.counts_json(), st.counts_json()]
    assert forms[0] == forms[1] == forms[2]
    assert forms[0]["patterns"] == 40 and forms[0]["words"]["counts"] == [0, 5, 30, 1, 4]
    assert {k: st.to_json()[k] for k in ("patterns", "words", "lines")} == forms[0]
    assert {k: b.to_dict()[k] for k in ("patterns", "words", "lines")} == forms[0]


@pytest.mark.parametrize("rec", records(True))
def test_exact_counts_have_no_sampling_error(rec):
    iv = rec.intervals("words")
    assert iv["due"] == (30 / 40, 30 / 40) and iv["sdc"] == (5 / 40, 5 / 40)


@pytest.mark.parametrize("rec", records(False))
@pytest.mark.parametrize("level", ["words", "lines"])
def test_sampled_counts_get_clopper_pearson_intervals(rec, level):
    c = getattr(rec, level)
    iv = rec.intervals(level, 0.9)
    for lab in ("ce", "due", "sdc"):
        ref = binomtest(c[lab], c.total).proportion_ci(0.9, method="exact")
        assert iv[lab] == pytest.approx((ref.low, ref.high), rel=1e-9, abs=1e-12)


def test_campaign_rows_use_the_job_intervals():
    from eccsim.results import tidy_rows

    job = records(False)[1]
    rows = tidy_rows([job], 0.99)
    iv = job.intervals("lines", 0.99)
    row = next(r for r in rows if r["level"] == "line" and r["outcome"] == "due")
    assert (row["ci_low"], row["ci_high"]) == iv["due"]


def test_an_injection_sums_its_blocks_like_a_record():
    whole = inject("hsiao-secded", "x8-ecc-dimm", "bits:2")
    assert whole.patterns == whole.words.total == 2556
    assert whole.intervals()["due"] == (1.0, 1.0)  # SEC-DED flags every 2-bit error, exactly


def test_each_outcome_is_an_attribute_named_as_the_repr_shows_it():
    from eccsim.outcomes import OutcomeCounts

    c = OutcomeCounts([7, 11, 13, 17, 19])
    assert (c.no_error, c.ce, c.due, c.sdc_undetected, c.sdc_miscorrected) == (7, 11, 13, 17, 19)
    assert c.sdc == 36 and c.total == 67
    assert "ce=11" in repr(c)
