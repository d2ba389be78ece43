"""Lifetime reliability: field FIT tables, and the simulator's claims —

* with no ECC, P(failure by t) is the analytic 1 - exp(-chips * FIT * t), within its interval;
* on the same sampled faults (common random numbers) SEC-DED is never worse than no ECC and
  Chipkill never worse than SEC-DED, and a scrub never makes things worse;
* the same seed gives the same counts however the trials are split into blocks;
* an explicit reference — every line a fault touches built bit by bit with random data for its
  region, every codeword decoded — gives the same failure rate on small address spaces.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from eccsim.analysis import classify_patterns
from eccsim.errors import InputError, ModuleError
from eccsim.faults.field import DEFAULT_FIT, FitTable, fit_table_from_rows, load_fit_table
from eccsim.lifetime import (
    ALL,
    HOURS_PER_YEAR,
    DramGeometry,
    LifetimeSpec,
    _Group,
    _LineJudge,
    analytic_no_ecc,
    get_config,
    run_lifetime,
)
from eccsim.outcomes import DUE, SDC_MISCORRECTED, SDC_UNDETECTED
from eccsim.stats import proportion_ci

NONE, SECDED, KILL = "none@x4-ecc-dimm", "hsiao-secded@x4-ecc-dimm", "chipkill-x4@x4-chipkill-dimm"


# ----- FIT tables ----------------------------------------------------------------------------------
def test_the_default_table_is_the_field_study():
    t = FitTable.default()
    assert dict((m, (a, b)) for m, a, b in t.rates) == DEFAULT_FIT
    assert DEFAULT_FIT["bit"] == (14.2, 18.6) and DEFAULT_FIT["multi-rank"] == (0.9, 2.8)
    assert t.total == pytest.approx(66.1)


def test_tables_load_from_toml_and_csv(tmp_path):
    (tmp_path / "t.toml").write_text(
        "[fit]\nbit = {transient = 10, permanent = 20}\nrow = [1.5, 2]\n"
    )
    t = load_fit_table(tmp_path / "t.toml")
    assert t.total == pytest.approx(33.5)
    (tmp_path / "t.csv").write_text("mode,transient,permanent\nbit,10,20\nrow,1.5,2\n")
    assert load_fit_table(tmp_path / "t.csv").rates == t.rates


@pytest.mark.parametrize(
    "text, suffix, match",
    [
        (
            "mode,transient,permanent\nbit,10,20\nrwo,1,2\n",
            ".csv",
            r"row 2 \('rwo'\).*did you mean row",
        ),
        ("bit,10,-1\n", ".csv", r"row 1 \('bit'\) permanent: -1.0 is not a FIT rate"),
        ("bit,10\n", ".csv", "line 1: expected mode,transient,permanent"),
        ("bit,ten,1\n", ".csv", "rates must be numbers"),
        ("bit,1,1\nbit,2,2\n", ".csv", "given twice"),
        ("bit,0,0\n", ".csv", "every rate is 0"),
        ("[fit]\nbit = {transient = true, permanent = 1}\n", ".toml", "True is not a FIT rate"),
        ("[fit]\nbit = {transient = 1, perm = 1}\n", ".toml", "unknown key"),
        ("[fot]\n", ".toml", r"no \[fit\] table"),
        ("bit,1,1\n", ".txt", "a .toml or .csv file"),
    ],
)
def test_a_bad_table_is_one_clear_error_naming_the_row(tmp_path, text, suffix, match):
    p = tmp_path / f"bad{suffix}"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        load_fit_table(p)


# ----- the claims ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def three():
    """No ECC, SEC-DED and Chipkill on the 18-chip x4 DIMM, 7 years, 3-hour scrub, same faults."""
    return run_lifetime(LifetimeSpec(configs=(NONE, SECDED, KILL), trials=60_000, seed=11))


def test_no_ecc_matches_the_analytic_curve_within_its_interval(three):
    c = three.counts[0]
    want = analytic_no_ecc(16, FitTable.default().total, three.spec.grid)  # 16 data chips
    lo, hi = proportion_ci(c.any.astype(float), np.full(c.any.shape, float(c.trials)), 0.999)
    assert ((lo <= want) & (want <= hi)).all()
    assert c.due.max() == 0  # without a code nothing is ever detected


def test_secded_is_never_worse_than_no_ecc_and_chipkill_never_worse_than_secded(three):
    none, secded, kill = three.counts
    assert (secded.any <= none.any).all() and (kill.any <= secded.any).all()
    assert kill.any[-1] < secded.any[-1] < none.any[-1]


def test_the_same_seed_gives_the_same_counts_for_any_blocks():
    spec = LifetimeSpec(configs=(SECDED,), trials=3 * 4096, seed=5)
    whole = run_lifetime(spec).counts[0]
    parts = run_lifetime(spec, blocks=range(0, 1)).counts[0]
    parts += run_lifetime(spec, blocks=range(1, 3)).counts[0]
    assert whole.trials == parts.trials
    for a, b in ((whole.due, parts.due), (whole.sdc, parts.sdc), (whole.any, parts.any)):
        assert (a == b).all()


@pytest.mark.parametrize("fit", ["field x20", "transient bits, one line"])
def test_a_scrub_never_makes_things_worse_and_clears_accumulating_transients(fit):
    """Same faults with and without a 3-hour scrub: never more failures with it; with only
    transient single-bit faults piling up in one line, SEC-DED fails without a scrub (two
    flips meet in a codeword) and almost never with it."""
    if fit == "field x20":
        base = dict(fit=_scaled(20), trials=20_000)
    else:
        base = dict(fit=fit_table_from_rows([("bit", 2000.0, 0.0)], "test"), trials=2000,
                    geometry=DramGeometry(1, 1, 1, 1))  # fmt: skip
    base.update(configs=(SECDED,), seed=3)
    with_scrub = run_lifetime(LifetimeSpec(scrub_hours=3.0, **base)).counts[0]
    without = run_lifetime(LifetimeSpec(scrub_hours=None, **base)).counts[0]
    assert (with_scrub.any <= without.any).all()
    if fit != "field x20":
        assert with_scrub.any[-1] * 10 < without.any[-1]


def _scaled(factor: float) -> FitTable:
    return FitTable(tuple((m, t * factor, p * factor) for m, t, p in FitTable.default().rates))


@pytest.mark.parametrize(
    "spec, error, match",
    [
        (dict(configs=("hsiao-secded",)), ModuleError, "RANK@MODULE"),
        (dict(years=0), InputError, "years"),
        (dict(scrub_hours=-1), InputError, "scrub_hours"),
        (dict(trials=0), InputError, "trials"),
        (dict(configs=("chipkill-x4@x8-ecc-dimm",)), ModuleError, r"\(144,128\)"),
    ],
)
def test_bad_lifetime_settings_are_refused(spec, error, match):
    with pytest.raises(error, match=match):
        run_lifetime(LifetimeSpec(**{"trials": 10, **spec}))


# ----- an explicit reference -------------------------------------------------------------------------
def _lines_of(f, geo):
    ranges = [range(geo.size(i)) if f.where[i] == ALL else [f.where[i]] for i in range(4)]
    return {
        (a, b, c, d) for a in ranges[0] for b in ranges[1] for c in ranges[2] for d in ranges[3]
    }


def _touches(h, line):
    return all(h.where[i] == ALL or h.where[i] == line[i] for i in range(4))


def reference_trial(faults, cfg, geo, rng) -> float:
    """First failure time of one trial: at each arrival, every line the new fault touches is
    built with all active faults' errors (random bits drawn for regions, the cell for a bit
    fault) and every codeword decoded."""
    g = cfg.module
    for j, f in enumerate(faults):
        active = [h for h in faults[:j] if h.end > f.t] + [f]
        for line in _lines_of(f, geo):
            err = np.zeros((g.slots, g.n), dtype=bool)
            for h in active:
                if not _touches(h, line):
                    continue
                beats = range(g.burst_length) if h.where[4] == ALL else [h.where[4]]
                pins = range(g.chip_width) if h.pin == ALL else [h.pin]
                for t in beats:
                    for p in pins:
                        slot, bit = g.bit_at(h.chip * g.chip_width + p, t)
                        err[slot, bit] ^= True if h.mode == "bit" else bool(rng.random() < 0.5)
            if cfg.system is None:
                data = np.array([c for c in range(g.chips) if c not in g.check_chips])
                keep = np.isin(g.chip_of_bit[: g.k], data)
                if err[:, : g.k][:, keep].any():
                    return f.t
                continue
            from eccsim.lifetime import _flips

            out = classify_patterns(cfg.system.rank, _flips(err, g.k))[:, 0]
            if np.isin(out, (DUE, SDC_UNDETECTED, SDC_MISCORRECTED)).any():
                return f.t
    return math.inf


@pytest.mark.parametrize("config", [NONE, SECDED, KILL])
def test_the_simulator_agrees_with_an_explicit_reference_on_a_small_address_space(config, rng):
    geo = DramGeometry(ranks=1, banks=2, rows=2, lines_per_row=2)
    spec = LifetimeSpec(configs=(config,), trials=10, fit=_scaled(150), geometry=geo, years=1.0)
    cfg = get_config(config)
    grp = _Group([cfg], spec)
    judge = _LineJudge(cfg)
    T = spec.years * HOURS_PER_YEAR
    fast = ref = 0
    n = 400
    for _ in range(n):
        faults = grp._draw(rng, int(rng.poisson(grp.rate * T)) + 1, T, spec.scrub_hours)
        fast += min(grp._trial(faults, judge)) < math.inf
        ref += reference_trial(faults, cfg, geo, rng) < math.inf
    # two independent estimates of one probability: within 4.5 standard deviations
    p = (fast + ref) / (2 * n)
    sd = math.sqrt(max(p * (1 - p), 1e-9) * 2 / n)
    assert abs(fast - ref) / n <= 4.5 * sd + 1e-9, (fast, ref)
    assert 0 < ref < n or config == NONE


@pytest.mark.parametrize("config", [SECDED, KILL, "ssc-dsd-x4@x4-lockstep-2dimm"])
def test_codeword_probabilities_in_syndrome_space_equal_decoding_every_pattern(config, rng):
    """The simulator's exact per-codeword probabilities (syndromes by doubling) against
    classify_patterns run on every error pattern, for random sets of random and fixed bits."""
    from eccsim.lifetime import _flips

    cfg = get_config(config)
    judge = _LineJudge(cfg)
    code = cfg.system.rank
    for _ in range(6):
        bits = rng.choice(code.n, size=int(rng.integers(2, 12)), replace=False)
        nf = int(rng.integers(0, 3))
        rnd, fix = sorted(int(b) for b in bits[nf:]), sorted(int(b) for b in bits[:nf])
        v = np.arange(1 << len(rnd))
        err = np.zeros((v.size, code.n), dtype=bool)
        for i, b in enumerate(rnd):
            err[:, b] = (v >> i) & 1
        err[:, fix] = True
        out = classify_patterns(code, _flips(err, code.k))[:, 0]
        sdc = np.isin(out, (SDC_UNDETECTED, SDC_MISCORRECTED))
        want = ((sdc | (out == DUE)).mean(), sdc.mean())
        assert judge._codeword_syndromes(rnd, fix) == pytest.approx(want, abs=1e-12)


# ----- the command line and saved results -------------------------------------------------------------
def _cli(capsys, *argv):
    from eccsim.cli import main

    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_the_lifetime_command_prints_the_table_and_writes_results_and_figure(tmp_path, capsys):
    from eccsim.results import load_lifetime

    rc, out, _ = _cli(capsys, "lifetime", "--trials", "8192", "--out", str(tmp_path / "lt"), "-q")
    assert rc == 0
    assert "P(failure within 7 years), scrub every 3 h" in out
    for name in (NONE, SECDED, KILL):
        assert name in out
    for f in ("lifetime.csv", "lifetime.json", "lifetime.png"):
        assert (tmp_path / "lt" / f).exists()
    back = load_lifetime(tmp_path / "lt")
    assert back.names == [NONE, SECDED, KILL] and back.counts[0].trials == 8192
    rc, out, _ = _cli(capsys, "plot", str(tmp_path / "lt"), "-o", str(tmp_path / "again.png"))
    assert rc == 0 and (tmp_path / "again.png").exists()


def test_lifetime_results_are_not_overwritten_without_force(tmp_path, capsys):
    args = ["lifetime", "--trials", "4096", "--out", str(tmp_path / "lt"), "-q",
            "--configs", SECDED]  # fmt: skip
    assert _cli(capsys, *args)[0] == 0
    before = (tmp_path / "lt" / "lifetime.json").read_bytes()
    rc, _, err = _cli(capsys, *args, "--seed", "9")
    assert rc == 2 and "already holds lifetime results" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "lt" / "lifetime.json").read_bytes() == before
    assert _cli(capsys, *args, "--seed", "9", "--force")[0] == 0


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--configs", "hsiao-secded@x9-dimm"], "unknown module 'x9-dimm'"),
        (["--configs", "hsiao-secded"], "RANK@MODULE"),
        (["--years", "0"], "years"),
        (["--scrub-hours", "-3"], "scrub-hours"),
        (["--fit", "{work}/missing.csv"], "missing.csv"),
        (["{work}/nope.toml"], "nope.toml"),
    ],
)
def test_lifetime_mistakes_are_one_line_and_exit_2(tmp_path, capsys, argv, match):
    argv = [a.replace("{work}", str(tmp_path)) for a in argv]
    rc, _, err = _cli(capsys, "lifetime", *argv, "--trials", "10", "--out", str(tmp_path / "o"))
    assert rc == 2 and re.search(match, err), err
    assert len(err.strip().splitlines()) == 1


def test_a_lifetime_spec_file_sets_the_run(tmp_path, capsys):
    (tmp_path / "fit.csv").write_text("bit,100,100\n")
    (tmp_path / "s.toml").write_text(
        '[lifetime]\nconfigs = ["hsiao-secded@x8-ecc-dimm"]\nyears = 5\nscrub_hours = 0\n'
        f'trials = 4096\nfit = "{tmp_path / "fit.csv"}"\n'
    )
    rc, out, _ = _cli(capsys, "lifetime", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"))
    assert rc == 0 and "within 5 years), no scrub" in out and "hsiao-secded@x8-ecc-dimm" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[lifetime]\ntrails = 5\n")
    rc, _, err = _cli(capsys, "lifetime", str(bad), "--out", str(tmp_path / "o2"))
    assert rc == 2 and "unknown setting(s) trails" in err


# ----- workers, checkpoints, resume ----------------------------------------------------------------------
def _same(a, b):
    assert a.names == b.names
    for x, y in zip(a.counts, b.counts, strict=True):
        assert x.trials == y.trials
        assert (x.due == y.due).all() and (x.sdc == y.sdc).all() and (x.any == y.any).all()


def test_the_same_seed_gives_the_same_counts_for_any_number_of_workers(tmp_path):
    from eccsim.lifetime_runner import run_lifetime_job

    spec = LifetimeSpec(configs=(SECDED, KILL), trials=5 * 32768 + 100, seed=4)
    one = run_lifetime_job(spec, None, workers=1, progress=False)
    two = run_lifetime_job(spec, tmp_path, workers=2, progress=False)
    _same(one, two)
    _same(one, run_lifetime(spec))


@pytest.mark.slow
def test_resume_after_sigkill_gives_the_uninterrupted_counts(tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    from eccsim.results import load_lifetime

    ddr5 = "ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136"
    argv = [sys.executable, "-m", "eccsim.cli", "lifetime", "--configs", ddr5, "--trials",
            "150000", "--seed", "8", "-q", "--out"]  # fmt: skip
    out = tmp_path / "run"
    proc = subprocess.Popen([*argv, str(out)])
    ck = out / "lifetime-checkpoint.json"
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            if ck.exists():
                try:
                    if json.loads(ck.read_text())["groups"]["g0"]["chunks_done"] >= 2:
                        break
                except (ValueError, KeyError):
                    pass
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < json.loads(ck.read_text())["groups"]["g0"]["chunks_done"]
    assert subprocess.run([*argv, str(out), "--resume"]).returncode == 0
    assert subprocess.run([*argv, str(tmp_path / "straight")]).returncode == 0
    _same(load_lifetime(out), load_lifetime(tmp_path / "straight"))
    changed = [a if a != "150000" else "100000" for a in argv]
    r = subprocess.run([*changed, str(out), "--resume"], capture_output=True, text=True)
    assert r.returncode == 2 and "another spec" in r.stderr


# ----- regressions found in review --------------------------------------------------------------------
def test_an_on_die_code_as_wide_as_the_chips_share_runs(tmp_path):
    """On-die data width = the bits a chip sends (no unsent half): column faults stay inside
    the sent bits of their beat."""
    spec = LifetimeSpec(configs=("hsiao-secded@x8-ecc-dimm+ondie=hsiao-secded",), trials=4096,
                        seed=2, fit=_scaled(5))  # fmt: skip
    c = run_lifetime(spec).counts[0]
    assert c.trials == 4096 and c.any[-1] >= 0


def test_an_on_die_code_with_a_keyed_lookup_decodes():
    """More than 22 on-die check bits: the two-level pipeline uses the compact lookup."""
    from eccsim.codes import hamming_sec
    from eccsim.module import get_module
    from eccsim.system import MemorySystem, evaluate_system

    wide = hamming_sec(64, 24, name="sec-88-64")
    s = MemorySystem(get_module("x8-ecc-dimm"), None, wide)
    res = evaluate_system(s, "cell")
    assert res.exhaustive and res.lines["ce"] == res.patterns == 9 * 88


@pytest.mark.parametrize(
    "kw, error, match",
    [
        (dict(configs=(SECDED, SECDED)), InputError, "named twice"),
        (dict(configs=(SECDED, " " + SECDED + " ")), InputError, "named twice"),
        (dict(ranks=4, geometry=DramGeometry(1, 2, 2, 2)), InputError, "give the ranks"),
        (dict(fit=_scaled(1e5)), Exception, "faults per trial"),
        (dict(fit="rates.csv"), InputError, "must be a FitTable"),
        (dict(geometry=(1, 2, 3, 4)), InputError, "must be a DramGeometry"),
    ],
)
def test_lifetime_specs_that_cannot_be_run_are_refused(kw, error, match):
    with pytest.raises(error, match=match):
        LifetimeSpec(**{"trials": 10, **kw})


def test_numpy_numbers_in_a_spec_become_plain_numbers():
    spec = LifetimeSpec(trials=np.int64(4096), years=np.float32(2.0), configs=(SECDED,))
    assert type(spec.trials) is int and type(spec.years) is float
    import json

    json.dumps(spec.to_dict())


def test_a_spec_whose_lifetime_key_is_not_a_table_and_too_many_workers_are_refused(tmp_path,
                                                                                   capsys):  # fmt: skip
    (tmp_path / "s.toml").write_text("lifetime = 3\n")
    rc, _, err = _cli(capsys, "lifetime", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"))
    assert rc == 2 and "no [lifetime] table" in err
    rc, _, err = _cli(capsys, "lifetime", "--workers", "100000", "--trials", "10", "--out",
                      str(tmp_path / "o2"))  # fmt: skip
    assert rc == 2 and "workers" in err


def test_a_relative_fit_file_is_found_beside_the_spec(tmp_path, capsys, monkeypatch):
    (tmp_path / "rates.csv").write_text("bit,50,50\n")
    (tmp_path / "s.toml").write_text(
        '[lifetime]\nconfigs = ["hsiao-secded@x8-ecc-dimm"]\ntrials = 4096\nfit = "rates.csv"\n'
    )
    monkeypatch.chdir(tmp_path.parent)  # not the spec's folder
    rc, out, _ = _cli(capsys, "lifetime", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"))
    assert rc == 0 and "rates.csv" in out
