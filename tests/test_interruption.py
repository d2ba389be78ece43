"""Interruptions end a campaign promptly and lose nothing; a dead main process leaves no
workers behind; a results folder in use is refused.

* Ctrl-C (SIGINT), sent at random moments (start-up, pool start, mid-chunk, checkpoint write),
  always ends a 2-worker campaign within a few seconds with one line on stderr; the checkpoint
  it leaves resumes to exactly the counts of an uninterrupted run.
* SIGTERM to the main process ends the run the same way (exit status 143).
* When the main process is killed (kill -9), its workers are gone within a few seconds.
* A second run on a results folder in use (with or without --force or --resume, or a BER
  sweep) is refused with one line naming the pid, before it touches anything.
* The temporaries a run killed mid-write leaves (``.checkpoint.json.<random>.tmp``, ...) are
  removed by the next run on the folder (resume, force or fresh); nothing else is, and no
  symlink is followed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from eccsim.campaign import CampaignSpec, run_campaign
from eccsim.results import load_results

OPTS = [
    "--codes", "hamming-secded,hsiao-secded", "--faults", "chip-burst", "--trials", "600000",
    "--chunk", "4096", "--seed", "5", "--quiet", "--workers", "2",
]  # fmt: skip
SPEC = CampaignSpec(codes=("hamming-secded", "hsiao-secded"), faults=("chip-burst",),
                    trials=600_000, chunk=4096, seed=5)  # fmt: skip
#: seconds from Ctrl-C to exit. A signal that lands while numba compiles (a cold cache) is
#: handled when LLVM returns, and test files run two at a time on 2 cores (pytest-xdist)
EXIT_WITHIN_S = 8.0


def start(out: Path, *extra: str, opts=OPTS) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "campaign", *opts, "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def chunks_done(out: Path) -> int:
    ck = out / "checkpoint.json"
    if not ck.exists():
        return -1
    return sum(j["chunks_done"] for j in json.loads(ck.read_text())["jobs"].values())


def wait_for_chunks(proc, out: Path, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while chunks_done(out) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the campaign made no progress"
        time.sleep(0.02)


def counts_of(res) -> dict:
    return {(j.code, j.fault, j.data): (j.patterns, j.words, j.lines) for j in res.jobs}


@pytest.fixture(scope="module")
def uninterrupted():
    return counts_of(run_campaign(SPEC, None, workers=1, progress=False))


def descendants(pid: int) -> set[int]:
    """Live (non-zombie) processes below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def interrupt_repeatedly(out: Path, times: int, seed: int, opts=OPTS) -> int:
    """Start (or resume) the campaign and SIGINT it at a random moment, ``times`` times;
    return how many signals landed on a running campaign."""
    rng = random.Random(seed)
    landed = 0
    for _ in range(times):
        proc = start(out, *(["--resume"] if (out / "checkpoint.json").exists() else []), opts=opts)
        time.sleep(rng.uniform(0.05, 1.5))
        if proc.poll() is not None:  # finished (or failed) before the signal
            _, err = proc.communicate()
            assert proc.returncode == 0, err
            break
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("Ctrl-C did not end the campaign within 30 s")
        took = time.monotonic() - t0
        assert took < EXIT_WITHIN_S, f"Ctrl-C took {took:.1f} s to end the campaign"
        if proc.returncode == 0:  # it finished just as the signal came
            break
        if "Traceback" in err and "cli.py" not in err:
            # Python itself was still importing: its own KeyboardInterrupt, nothing started
            assert err.strip().endswith("KeyboardInterrupt"), err
            continue
        landed += 1
        assert proc.returncode == 130, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "interrupted" in err
        if "the results were saved" in err:  # the signal came while figures were drawn
            break
        assert not (out / "results.json").exists()
    return landed


def resume_to_the_end(out: Path, opts=OPTS) -> dict:
    if (out / "results.json").exists():
        return counts_of(load_results(out))
    args = ["--resume"] if (out / "checkpoint.json").exists() else []
    r = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "campaign", *opts, "--out", str(out), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "note:" not in r.stderr  # no damaged checkpoint had to be skipped
    return counts_of(load_results(out))


def test_ctrl_c_ends_a_two_worker_campaign_within_seconds_and_resume_completes_it(
    tmp_path, uninterrupted
):
    out = tmp_path / "res"
    assert interrupt_repeatedly(out, 3, seed=1) >= 2
    assert resume_to_the_end(out) == uninterrupted


#: five times the work, so that ten interruptions land before the campaign is done
LONG_OPTS = [*OPTS, "--trials", "3000000"]


@pytest.mark.slow
def test_ten_ctrl_c_at_random_moments_each_end_the_run_and_lose_nothing(tmp_path):
    out = tmp_path / "res"
    assert interrupt_repeatedly(out, 10, seed=2, opts=LONG_OPTS) >= 8
    whole = counts_of(
        run_campaign(replace(SPEC, trials=3_000_000), None, workers=1, progress=False)
    )
    assert resume_to_the_end(out, opts=LONG_OPTS) == whole


def test_sigterm_ends_the_run_like_ctrl_c_and_leaves_no_worker(tmp_path, uninterrupted):
    out = tmp_path / "res"
    proc = start(out)
    wait_for_chunks(proc, out, 3)
    workers = descendants(proc.pid)
    assert len(workers) >= 2
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < EXIT_WITHIN_S
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not any(alive(p) for p in workers)
    assert resume_to_the_end(out) == uninterrupted


def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    out = tmp_path / "res"
    proc = start(out)
    wait_for_chunks(proc, out, 3)
    workers = descendants(proc.pid)
    assert len(workers) >= 2, "expected two worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in workers if alive(p)]
    for p in left:  # do not leave them behind for the next test
        os.kill(p, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent"


# ----- one run per folder -------------------------------------------------------------------------
def eccsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "eccsim.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)  # fmt: skip


def test_a_second_run_on_a_folder_in_use_is_refused_before_touching_it(tmp_path):
    out = tmp_path / "res"
    long = [*OPTS, "--trials", "50000000"]  # minutes of work
    assert long.count("--trials") == 2  # the later one wins
    first = subprocess.Popen(
        [sys.executable, "-m", "eccsim.cli", "campaign", *long, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_chunks(first, out, 2)
        seconds = [
            ["campaign", *OPTS, "--out", out],
            ["campaign", *OPTS, "--out", out, "--force"],
            ["campaign", *OPTS, "--out", out, "--resume"],
            ["campaign", "--codes", "hsiao-secded", "--faults", "bit", "--out", out, "--force"],
            ["sweep-ber", "--trials", "100", "--ber", "1e-3", "--out", out, "--force"],
        ]

        def files():  # the first run's own temporaries come and go
            return sorted(p.name for p in out.iterdir() if not p.name.endswith(".tmp"))

        for args in seconds:
            before = files()
            r = eccsim(*args)
            assert r.returncode == 2, (args, r.stderr)
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and "in use" in lines[0], r.stderr
            assert f"pid {first.pid}" in lines[0]
            assert files() == before
            assert first.poll() is None  # the first run goes on
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    # the first run's checkpoint is intact and its own
    ck = json.loads((out / "checkpoint.json").read_text())
    assert ck["spec"]["trials"] == 50_000_000 and ck["spec"]["seed"] == 5
    assert not (out / "results.json").exists()


def test_the_lock_is_free_again_once_a_run_ends(tmp_path):
    out = tmp_path / "res"
    spec = CampaignSpec(codes=("hsiao-secded",), faults=("bit",))
    run_campaign(spec, out, workers=1, progress=False)
    run_campaign(spec, out, workers=1, progress=False, force=True)  # not refused as in use


# ----- what a kill mid-write leaves ----------------------------------------------------------------
def killed_mid_write(out: Path, names: list[str]) -> list[str]:
    """Kill (-9) a process inside :func:`eccsim.safeio.atomic_open` for each of ``names`` in
    ``out``: the temporaries it leaves, as a killed campaign leaves them."""
    script = (
        "import sys, time, contextlib\n"
        "from pathlib import Path\n"
        "from eccsim.safeio import atomic_open\n"
        "with contextlib.ExitStack() as stack:\n"
        "    for name in sys.argv[2:]:\n"
        "        stack.enter_context(atomic_open(Path(sys.argv[1]) / name)).write(b'half')\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
    )
    before = set(os.listdir(out))
    proc = subprocess.Popen([sys.executable, "-c", script, str(out), *names],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.kill()
        proc.wait(10)
    left = sorted(set(os.listdir(out)) - before)
    assert len(left) == len(names) and all(n.endswith(".tmp") for n in left), left
    return left


@pytest.mark.parametrize("how", ["resume", "force", "fresh"])
def test_a_new_run_removes_the_temporaries_a_killed_run_left_and_nothing_else(tmp_path, how):
    out = tmp_path / "res"
    spec = CampaignSpec(codes=("hsiao-secded",), faults=("chip-burst",), trials=8192, chunk=4096)
    out.mkdir()
    if how != "fresh":
        run_campaign(spec, out, workers=1, progress=False)
    ours = killed_mid_write(out, ["checkpoint.json", "checkpoint.json.prev", "results.csv",
                                  "results.json", "outcomes.png"])  # fmt: skip
    assert all((out / n).stat().st_mode & 0o777 == 0o600 for n in ours)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".checkpoint.json.abcd1234.tmp").symlink_to(victim)  # not a file we made
    (out / ".results.csv.folder12.tmp").mkdir()
    others = [".checkpoint.json.abcd1234.tmp", ".results.csv.folder12.tmp", ".notes.txt.abcd1234.tmp",
              "checkpoint.json.abcd1234.tmp", ".checkpoint.json.tmp", "mine.tmp",
              ".checkpoint.json.a.b.tmp"]  # fmt: skip
    for name in others[2:]:
        (out / name).write_text("the user's")
    run_campaign(spec, out, workers=1, progress=False, resume=how == "resume",
                 force=how == "force")  # fmt: skip
    assert not [n for n in ours if (out / n).exists()]
    assert all((out / n).exists() or (out / n).is_symlink() for n in others)
    assert victim.read_text() == "precious"
    assert (out / "results.json").is_file()
