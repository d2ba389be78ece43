"""Checkpoints: a damaged or altered checkpoint is refused with one line (never a traceback,
never silently wrong totals), and the previous good checkpoint keeps the progress.

* valid JSON of the wrong shape (``[]``, ``null``, missing keys, wrong types), negative counts
  and deep nesting each give one :class:`CampaignError` naming the problem;
* a hand-edited ``chunks_done`` with the counts kept, or counts moved between outcomes, is
  detected;
* with ``checkpoint.json.prev`` present, ``--resume`` falls back to it with a one-line notice
  and ends with exactly the counts of an uninterrupted run;
* the checksum is checked first: an edited ``format`` or spec that breaks it is damage (the
  previous checkpoint is used), and only a sound checkpoint is "another campaign/version";
* a checkpoint that cannot be written, or a folder where the checkpoint goes, is one line
  naming the path and what to do; a user's folder is never deleted.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eccsim.campaign import CampaignError, CampaignSpec, run_campaign
from eccsim.campaign import checkpoint as checkpoint_mod
from eccsim.campaign import runner as runner_mod
from eccsim.campaign.checkpoint import CheckpointMismatch
from eccsim.results import load_results

SPEC = CampaignSpec(codes=("hsiao-secded",), faults=("chip-burst",), mode="monte-carlo",
                    trials=6 * 4096, chunk=4096, seed=17)  # fmt: skip
STOP_AFTER = 3  # chunks run before the simulated Ctrl-C


def counts_of(res) -> dict:
    return {(j.code, j.fault, j.data): (j.patterns, j.words, j.lines) for j in res.jobs}


@pytest.fixture(scope="module")
def uninterrupted():
    return counts_of(run_campaign(SPEC, None, workers=1, progress=False))


@pytest.fixture
def partial(tmp_path, monkeypatch) -> Path:
    """A results folder of SPEC interrupted (Ctrl-C) after STOP_AFTER of its 6 chunks."""
    out = tmp_path / "res"
    real = runner_mod.Context.run_chunk
    calls = []

    def interrupted_after(self, job, chunk):
        if len(calls) == STOP_AFTER:
            raise KeyboardInterrupt
        calls.append(chunk)
        return real(self, job, chunk)

    monkeypatch.setattr(runner_mod.Context, "run_chunk", interrupted_after)
    with pytest.raises(KeyboardInterrupt):
        run_campaign(SPEC, out, workers=1, progress=False)
    monkeypatch.undo()
    ck = json.loads((out / "checkpoint.json").read_text())
    assert [j["chunks_done"] for j in ck["jobs"].values()] == [STOP_AFTER]
    assert (out / "checkpoint.json.prev").exists()
    return out


def resume(out, notes=None):
    return run_campaign(SPEC, out, resume=True, workers=1, progress=False,
                        notice=(notes.append if notes is not None else print))  # fmt: skip


def edit(out: Path, fn) -> None:
    p = out / "checkpoint.json"
    doc = json.loads(p.read_text())
    fn(doc, next(iter(doc["jobs"].values())))
    p.write_text(json.dumps(doc))


def negative(doc, job):
    job["words"]["counts"][2] = -5


def chunks_edited(doc, job):
    job["chunks_done"] = 1  # counts of 3 chunks kept: resuming would run chunks 1, 2 again


def counts_moved(doc, job):
    """5 DUE made CE, in the totals and in one chip's row: every sum still adds up."""
    site = next(v for v in job["words"]["by_site"].values() if v[2] >= 5)
    for row in (job["words"]["counts"], site):
        row[1] += 5
        row[2] -= 5


def wrong_type(doc, job):
    job["patterns"] = str(job["patterns"])


def missing_key(doc, job):
    del job["lines"]


def boolean_count(doc, job):
    job["chunks_done"] = True


def jobs_gone(doc, job):
    doc["jobs"] = {}


DAMAGE = {
    "empty list": ("[]", "not a checkpoint"),
    "null": ("null", "not a checkpoint"),
    "a string": ('"checkpoint"', "not a checkpoint"),
    "empty object": ("{}", "no checksum"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "truncated": (None, "malformed JSON"),
    "negative count": (negative, "negative"),
    "edited chunks_done": (chunks_edited, "chunks_done"),
    "counts moved": (counts_moved, "modified"),
    "count as text": (wrong_type, "patterns"),
    "missing lines": (missing_key, "lines"),
    "a boolean count": (boolean_count, "chunks_done"),
    "no jobs": (jobs_gone, "jobs"),
}


def damage(out: Path, how) -> None:
    p = out / "checkpoint.json"
    if how is None:
        p.write_text(p.read_text()[: len(p.read_text()) // 2])
    elif isinstance(how, str):
        p.write_text(how)
    else:
        edit(out, how)


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_checkpoint_alone_is_refused_with_one_line(partial, name):
    how, fragment = DAMAGE[name]
    damage(partial, how)
    (partial / "checkpoint.json.prev").unlink()
    with pytest.raises(CampaignError) as info:
        resume(partial)
    msg = str(info.value)
    assert "\n" not in msg and fragment in msg, msg
    assert "0 <= k <= n" not in msg


@pytest.mark.parametrize("name", DAMAGE)
def test_resume_falls_back_to_the_previous_checkpoint_and_loses_nothing(
    partial, uninterrupted, name
):
    damage(partial, DAMAGE[name][0])
    notes: list[str] = []
    res = resume(partial, notes)
    assert len(notes) == 1 and "previous checkpoint" in notes[0] and "\n" not in notes[0]
    assert counts_of(res) == uninterrupted
    assert counts_of(load_results(partial)) == uninterrupted


def test_a_missing_checkpoint_with_a_previous_one_resumes(partial, uninterrupted):
    (partial / "checkpoint.json").unlink()
    notes: list[str] = []
    assert counts_of(resume(partial, notes)) == uninterrupted
    assert "missing" in notes[0]


def test_the_previous_checkpoint_is_the_one_before_the_last(partial):
    prev = json.loads((partial / "checkpoint.json.prev").read_text())
    assert [j["chunks_done"] for j in prev["jobs"].values()] == [STOP_AFTER - 1]


def resume_on_the_command_line(out) -> subprocess.CompletedProcess:
    """``eccsim campaign ... --resume`` of the partial campaign's spec in ``out``."""
    return subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "campaign", "--codes", "hsiao-secded", "--faults",
         "chip-burst", "--mode", "monte-carlo", "--trials", str(6 * 4096), "--chunk", "4096",
         "--seed", "17", "--workers", "1", "--quiet", "--out", str(out), "--resume"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_negative_count_on_the_command_line_is_one_line_naming_it(partial):
    damage(partial, negative)
    (partial / "checkpoint.json.prev").unlink()
    r = resume_on_the_command_line(partial)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "negative" in r.stderr and "due" in r.stderr


# ----- the checksum comes first -----------------------------------------------------------------
def format_edited(doc, job):
    doc["format"] = "eccsim-checkpoint/1"


def seed_edited(doc, job):
    doc["spec"]["seed"] += 1


def resealed(how):
    """``how``, then the checksum recomputed: a sound checkpoint of another version/spec."""

    def edit_and_seal(doc, job):
        how(doc, job)
        body = {k: v for k, v in doc.items() if k != "checksum"}
        doc["checksum"] = checkpoint_mod._checksum(body)

    return edit_and_seal


@pytest.mark.parametrize("how", [format_edited, seed_edited])
def test_an_edit_that_breaks_the_checksum_is_damage_and_the_previous_checkpoint_is_used(
    partial, uninterrupted, how
):
    damage(partial, how)
    notes: list[str] = []
    res = resume(partial, notes)
    assert len(notes) == 1 and "checksum mismatch" in notes[0], notes
    assert "previous checkpoint" in notes[0] and "\n" not in notes[0]
    assert counts_of(res) == uninterrupted


@pytest.mark.parametrize("how, fragment", [(format_edited, "another eccsim version"),
                                           (seed_edited, "differs in: seed")])  # fmt: skip
def test_only_a_sound_checkpoint_is_judged_another_campaign_and_has_no_fallback(
    partial, how, fragment
):
    damage(partial, resealed(how))
    prev = (partial / "checkpoint.json.prev").read_bytes()
    notes: list[str] = []
    with pytest.raises(CheckpointMismatch, match=fragment):
        resume(partial, notes)
    assert notes == []  # the previous checkpoint (of the same other campaign) is not tried
    assert (partial / "checkpoint.json.prev").read_bytes() == prev


# ----- checkpoints that cannot be written ---------------------------------------------------------
def test_a_folder_where_the_checkpoint_goes_is_refused_and_kept(partial):
    (partial / "checkpoint.json").unlink()
    (partial / "checkpoint.json").mkdir()
    (partial / "checkpoint.json" / "mine.txt").write_text("a user's file")
    prev = (partial / "checkpoint.json.prev").read_bytes()
    for kw in ({"resume": True}, {"force": True}):
        with pytest.raises(CampaignError) as info:
            run_campaign(SPEC, partial, workers=1, progress=False, notice=print, **kw)
        msg = str(info.value)
        assert "\n" not in msg and "is a folder" in msg and "move it" in msg, msg
        assert str(partial / "checkpoint.json") in msg
        assert (partial / "checkpoint.json" / "mine.txt").read_text() == "a user's file"
        assert (partial / "checkpoint.json.prev").read_bytes() == prev  # progress kept


def test_a_folder_where_the_checkpoint_goes_is_one_line_on_the_command_line(partial):
    (partial / "checkpoint.json").unlink()
    (partial / "checkpoint.json").mkdir()
    r = resume_on_the_command_line(partial)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Errno" not in r.stderr and "is a folder" in r.stderr
    assert (partial / "checkpoint.json").is_dir()


def test_a_checkpoint_that_cannot_be_written_mid_run_is_one_line_and_keeps_the_last(
    tmp_path, monkeypatch
):
    out = tmp_path / "res"
    real = checkpoint_mod.atomic_write_text
    writes = []

    def disk_full_after_two(path, text):
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        writes.append(path)
        real(path, text)

    monkeypatch.setattr(checkpoint_mod, "atomic_write_text", disk_full_after_two)
    with pytest.raises(CampaignError) as info:
        run_campaign(SPEC, out, workers=1, progress=False)
    msg = str(info.value)
    assert "\n" not in msg and "No space left on device" in msg and "--resume" in msg, msg
    assert "checkpoint.json" in msg
    assert json.loads((out / "checkpoint.json").read_text())["jobs"]  # the last good one
