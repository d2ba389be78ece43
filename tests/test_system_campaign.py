"""Campaigns over memory systems (``codes = ["RANK@MODULE+ondie=CODE", ...]``): each system on its
own module under device faults, with what the on-die level did, reproducible for any chunking
or worker count, resumable after a kill with identical counts, and strict about mixing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eccsim.campaign import CampaignError, CampaignSpec, run_campaign
from eccsim.errors import FaultError
from eccsim.report import format_on_die_table
from eccsim.results import load_results

DDR5 = "ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136"
SYSTEMS = ("hsiao-secded@x8-ecc-dimm", "chipkill-x4@x4-chipkill-dimm", DDR5)


def spec(**kw) -> CampaignSpec:
    base = dict(codes=SYSTEMS, faults=("cell:2", "chip", "chips:2"), trials=3 * 4096, chunk=4096,
                seed=7)  # fmt: skip
    base.update(kw)
    return CampaignSpec(**base)


def counts(res) -> dict:
    return {(j.code, j.fault): (j.words, j.lines, j.on_die_counts()) for j in res.jobs}


def run(s, out=None, **kw):
    kw.setdefault("workers", 1)
    return run_campaign(s, out, progress=False, **kw)


@pytest.fixture(scope="module")
def reference():
    return run(spec())


def test_each_system_runs_on_its_own_module_with_its_on_die_counts(reference, tmp_path):
    mods = {j.code: j.module for j in reference.jobs}
    assert mods == {SYSTEMS[0]: "x8-ecc-dimm", SYSTEMS[1]: "x4-chipkill-dimm",
                    DDR5: "ddr5-x4-subchannel"}  # fmt: skip
    for j in reference.jobs:
        assert (j.on_die is not None) == ("+ondie=" in j.code)
        if j.on_die is not None:
            assert int(j.on_die.sum()) == j.lines.total
    assert "miscorrected" in format_on_die_table(reference)


def test_chipkill_corrects_every_chip_failure_and_secded_does_not(reference):
    for code in (SYSTEMS[1], DDR5):
        j = next(j for j in reference.jobs if j.code == code and j.fault == "chip")
        assert j.lines["ce"] == j.lines.total == j.patterns
    j = next(j for j in reference.jobs if j.code == SYSTEMS[0] and j.fault == "chip")
    assert j.lines["sdc"] > 0 and j.lines["ce"] < j.lines.total


def test_the_default_faults_of_a_system_campaign_are_device_faults():
    assert CampaignSpec(codes=SYSTEMS).faults == ("cell", "cell:2", "pin", "chip", "chips:2")


@pytest.mark.parametrize("chunk", [8192, 12288])
def test_same_seed_same_counts_for_any_chunk_size(reference, chunk):
    assert counts(run(spec(chunk=chunk))) == counts(reference)


def test_same_seed_same_counts_for_two_workers(reference):
    assert counts(run(spec(), workers=2)) == counts(reference)


def test_results_with_several_modules_and_on_die_counts_load_back(reference, tmp_path):
    run(spec(), tmp_path / "r")
    back = load_results(tmp_path / "r")
    assert counts(back) == counts(reference)


@pytest.mark.slow
def test_resume_after_sigkill_gives_the_uninterrupted_counts(tmp_path):
    s = spec(trials=40 * 4096, faults=("chips:2",))
    script = (
        "import json, sys\n"
        "from eccsim.campaign import CampaignSpec, run_campaign\n"
        "s = CampaignSpec.from_dict(json.loads(sys.argv[1]))\n"
        "run_campaign(s, sys.argv[2], workers=1, progress=False)\n"
    )
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", script, json.dumps(s.to_dict()), str(out)])
    ck = out / "checkpoint.json"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if ck.exists() and '"chunks_done": 3' in ck.read_text(errors="replace"):
                break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = json.loads(ck.read_text())["jobs"]
    assert any(0 < j["chunks_done"] for j in done.values())
    resumed = run(s, out, resume=True)
    assert counts(resumed) == counts(run(s))


@pytest.mark.parametrize(
    "kw, error, match",
    [
        (dict(codes=("hsiao-secded", DDR5)), CampaignError, "hsiao-secded@x8-ecc-dimm"),
        (dict(data=("zeros",)), CampaignError, "leave data at"),
        (dict(faults=("bits:2",)), FaultError, "memory-system faults are cell, scatter, pin, chip"),
        (dict(faults=("cell:200",)), FaultError, r"cell:K=200 .* 1\.\.64"),
    ],
)
def test_a_bad_system_campaign_is_refused_before_it_runs(kw, error, match, tmp_path):
    with pytest.raises(error, match=match):
        run(spec(**kw), tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_cli_prints_line_shares_and_the_on_die_table(tmp_path, capsys):
    from eccsim.cli import main

    rc = main(["campaign", "--codes", f"chipkill-x4@x4-chipkill-dimm,{DDR5}", "--faults",
               "cell,chip", "--trials", "4096", "--out", str(tmp_path / "c"), "-q"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert "shares are of the lines column" in out and "on-die level" in out
    assert Path(tmp_path / "c" / "outcomes.png").exists()
