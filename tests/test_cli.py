"""The ``eccsim`` command, run as a user would (a subprocess): every command works and writes
what it promises, and every user mistake prints exactly one line on stderr and exits 2.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eccsim import code_names, get_code
from eccsim.campaign import CampaignSpec
from eccsim.faults import fault_names
from eccsim.module import module_names

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def eccsim(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eccsim.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
    )  # fmt: skip


def ok(*args, cwd=None) -> str:
    r = eccsim(*args, cwd=cwd)
    assert r.returncode == 0, f"eccsim {' '.join(map(str, args))} failed:\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r.stdout


def assert_valid_figure(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000, f"{path} is suspiciously small"
    suffix = path.suffix.lower()
    if suffix == ".png":
        assert data.startswith(PNG_MAGIC)
    elif suffix == ".svg":
        assert b"<svg" in data[:2000] and data.rstrip().endswith(b"</svg>")
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    else:
        raise AssertionError(suffix)


def kbit_rows(text: str) -> dict[int, tuple[int, ...]]:
    """{k: (patterns, CE, DUE, SDC undetected, SDC miscorrected)} parsed from `analyze`."""
    rows = {}
    pat = re.compile(r"^\s*(\d+)\s+(\d+)" + r"\s+(\d+) \(\s*[\d.]+%\)" * 4 + r"\s*$")
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            v = tuple(int(x) for x in m.groups())
            rows[v[0]] = v[1:]
    return rows


# ----- listing commands -------------------------------------------------------------------------
def test_codes_lists_every_catalogue_code_with_its_sizes():
    out = ok("codes")
    for name in code_names():
        c = get_code(name)
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [name])
        assert line.split()[1:4] == [str(c.n), str(c.k), str(c.r)]


def test_codes_verbose_describes_each_code():
    short, long = ok("codes"), ok("codes", "-v")
    assert long.startswith(short.rstrip("\n"))
    assert len(long.splitlines()) > len(short.splitlines()) + len(code_names())
    for name in code_names():
        assert get_code(name).describe().splitlines()[0] in long


def test_modules_lists_the_presets():
    out = ok("modules")
    for name in module_names():
        assert re.search(rf"^{re.escape(name)}:", out, re.M)
    assert "9 x8 chips" in out and "18 x4 chips" in out


def test_faults_lists_every_fault_model():
    out = ok("faults")
    for name in fault_names():
        assert re.search(rf"^{re.escape(name)}\s", out, re.M), name


# ----- analyze ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analyzed():
    return {c: ok("analyze", c, "--max-bits", "6") for c in ("hsiao-secded", "hamming-secded")}


class TestAnalyze:
    def test_rows_cover_every_k_bit_error(self, analyzed):
        for text in analyzed.values():
            rows = kbit_rows(text)
            assert sorted(rows) == [1, 2, 3, 4, 5, 6]
            for k, (patterns, *outcomes) in rows.items():
                assert patterns == math.comb(72, k)
                assert sum(outcomes) == patterns
            assert rows[3][0] == 59640

    def test_secded_corrects_singles_and_detects_doubles(self, analyzed):
        for text in analyzed.values():
            rows = kbit_rows(text)
            assert rows[1] == (72, 72, 0, 0, 0)
            assert rows[2] == (2556, 0, 2556, 0, 0)

    def test_hsiao_miscorrects_fewer_triple_errors_than_hamming(self, analyzed):
        hsiao = kbit_rows(analyzed["hsiao-secded"])[3][4]
        hamming = kbit_rows(analyzed["hamming-secded"])[3][4]
        assert 0 < hsiao < hamming

    def test_odd_weight_columns_never_give_syndrome_zero_for_odd_k(self, analyzed):
        rows = kbit_rows(analyzed["hsiao-secded"])
        assert rows[3][3] == rows[5][3] == 0  # an odd number of odd columns is never 0

    def test_the_whole_chip_split_follows(self, analyzed):
        text = analyzed["hsiao-secded"]
        assert "whole-chip faults on x8-ecc-dimm" in text and "(2295 patterns)" in text
        chip_lines = [ln for ln in text.splitlines() if re.match(r"^\d \((data|check)\)", ln)]
        assert len(chip_lines) == 9
        assert all(ln.split()[2] == "255" for ln in chip_lines)

    def test_a_masks_file_analyzes_like_the_code_it_describes(self, analyzed, tmp_path):
        H = get_code("hsiao-secded").H
        masks = [sum(int(H[j, i]) << i for i in range(64)) for j in range(8)]
        text = "# the Hsiao (72,64) code, check bit j = parity(data & mask j)\n"
        text += "".join(f"0x{m:016x}  # check bit {j}\n" for j, m in enumerate(masks))
        (tmp_path / "my_masks.txt").write_text(text)
        out = ok("analyze", "my_masks.txt", "--max-bits", "6", cwd=tmp_path)
        assert kbit_rows(out) == kbit_rows(analyzed["hsiao-secded"])
        assert "whole-chip faults on x8-ecc-dimm" in out


# ----- inject --------------------------------------------------------------------------------------
def test_inject_exhaustive_chip_faults_counts_every_pattern():
    out = ok("inject", "hsiao-secded", "chip")
    assert "exhaustive" in out
    word = next(ln for ln in out.splitlines() if ln.startswith("codeword")).split()
    assert int(word[1]) == 9 * 255  # nine chips, every non-zero 8-bit pattern


def test_inject_sampled_double_errors_are_all_detected():
    out = ok("inject", "hsiao-secded", "bits:2", "--trials", "5000", "--seed", "4")
    assert "5000 random patterns, seed 4" in out
    word = next(ln for ln in out.splitlines() if ln.startswith("codeword")).split()
    assert word[1] == "5000" and word[6] == "5000"  # total, DUE


# ----- campaign, sweep-ber and plot -----------------------------------------------------------------
@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def campaign_out(workdir):
    stdout = ok(
        "campaign", "--faults", "bits:2,chip", "--codes", "hsiao-secded", "--trials", "8192",
        "--quiet", "--out", "camp", cwd=workdir,
    )  # fmt: skip
    return workdir / "camp", stdout


@pytest.fixture(scope="module")
def sweep_out(workdir):
    stdout = ok("sweep-ber", "--trials", "2000", "--ber", "1e-3,1e-2", "--out", "sweep",
                cwd=workdir)  # fmt: skip
    return workdir / "sweep", stdout


class TestCampaign:
    def test_writes_results_and_both_figures(self, campaign_out):
        out, _ = campaign_out
        for name in ("results.csv", "results.json"):
            assert (out / name).stat().st_size > 0
        for name in ("outcomes.png", "chips.png"):
            assert_valid_figure(out / name)

    def test_prints_the_table_of_its_jobs(self, campaign_out):
        _, stdout = campaign_out
        rows = [ln.split() for ln in stdout.splitlines() if ln.startswith("hsiao-secded")]
        assert [r[1] for r in rows] == ["bits:2", "chip"]
        assert rows[0][4] == str(math.comb(72, 2)) and rows[1][4] == str(9 * 255)
        assert "results.csv" in stdout

    def test_the_results_hold_the_options_given(self, campaign_out):
        doc = json.loads((campaign_out[0] / "results.json").read_text())
        assert doc["spec"]["codes"] == ["hsiao-secded"]
        assert doc["spec"]["faults"] == ["bits:2", "chip"] and doc["spec"]["trials"] == 8192
        csv_lines = (campaign_out[0] / "results.csv").read_text().splitlines()
        assert len(csv_lines) == 1 + 2 * 2 * 6  # header + jobs x levels x outcomes


class TestSweep:
    def test_writes_results_and_the_figure(self, sweep_out):
        out, stdout = sweep_out
        assert_valid_figure(out / "ber.png")
        doc = json.loads((out / "results.json").read_text())
        assert doc["kind"] == "ber-sweep" and doc["spec"]["bers"] == [1e-3, 1e-2]
        # default codes x 2 rates x 2 levels x 3 outcomes
        assert len(doc["points"]) == 2 * 2 * 2 * 3
        assert stdout.count("hsiao-secded") == 12


@pytest.mark.parametrize("ext", [".png", ".svg", ".pdf"])
@pytest.mark.parametrize("kind", ["outcomes", "sites", "ber"])
def test_plot_writes_each_kind_in_each_format(campaign_out, sweep_out, tmp_path, kind, ext):
    src = sweep_out[0] if kind == "ber" else campaign_out[0] / "results.json"
    fig = tmp_path / f"fig{ext}"
    stdout = ok("plot", src, "-o", fig, "--kind", kind)
    assert_valid_figure(fig)
    assert str(fig) in stdout
    assert [p.name for p in tmp_path.iterdir()] == [fig.name]  # no temporary file left


def test_plot_picks_the_kind_from_the_results(campaign_out, sweep_out, tmp_path):
    ok("plot", sweep_out[0], "-o", tmp_path / "auto_ber.png")
    ok("plot", campaign_out[0], "-o", tmp_path / "auto.png", "--level", "line")
    assert_valid_figure(tmp_path / "auto_ber.png")
    assert_valid_figure(tmp_path / "auto.png")


# ----- user mistakes -------------------------------------------------------------------------------
BAD = [
    (["frobnicate"], "invalid choice"),
    (["analyze", "hsiao-secdd"], "did you mean hsiao-secded"),
    (["analyze", "hsiao-secded", "--max-bits", "0"], "--max-bits"),
    (["analyze", "hsiao-secded", "--max-bits", "many"], "--max-bits"),
    (["analyze", "{work}/bad_masks.txt"], "bad_masks.txt"),
    (["analyze", "{work}/seven_masks.txt"], "all zeros"),
    (["inject", "hsiao-secded", "chp"], "unknown fault"),
    (["inject", "hsiao-secded", "bits:2", "--trials", "-1"], "--trials"),
    (["inject", "hsiao-secded", "chip", "--module", "x8-ecc-dim"], "did you mean x8-ecc-dimm"),
    (["inject", "hamming-sec-136", "chip"], "(136,128)"),
    (["campaign", "--codes", "hsiao-secded", "--faults", "bits:2", "--out", "{work}/camp"],
     "already holds a campaign's results"),
    (["campaign", "{work}/bad.toml", "--out", "{work}/never"], "malformed TOML"),
    (["campaign", "{work}/no_table.toml", "--out", "{work}/never"], "[campaign]"),
    (["campaign", "--resume", "--out", "{work}/empty"], "nothing to resume"),
    (["campaign", "--resume", "--force", "--out", "{work}/never"], "not allowed with"),
    (["campaign", "--faults", "bits:2", "--chunk", "5000", "--out", "{work}/never"],
     "multiple of 4096"),
    (["campaign", "--data", "stripes", "--out", "{work}/never"], "stripes"),
    (["plot", "{work}/camp", "-o", "{work}/fig.jpg"], ".png"),
    (["plot", "{work}/missing/results.json", "-o", "{work}/fig.png"], "does not exist"),
    (["plot", "{work}/camp", "-o", "{work}/fig.png", "--kind", "ber"], "sweep-ber"),
    (["plot", "{work}/sweep", "-o", "{work}/fig.png", "--kind", "sites"], "campaign results"),
    (["plot", "{work}/camp", "-o", ""], "empty path"),
    (["campaign", "", "--out", "{work}/never"], "empty path"),
    (["inject", "hsiao-secded", "bit", "--trials", "100", "--data", ""], "data=''"),
    (["plot", "{work}/camp", "-o", "{work}/camp"], "is a folder"),
    (["bench", "--mib", "1000000"], "mib=1000000"),
    (["bench", "--trials", str(10**12)], "trials="),
    (["sweep-ber", "--ber", "2", "--out", "{work}/never"], "bit error rate"),
    (["sweep-ber", "--out", "{work}/sweep", "--trials", "10"], "--force"),
]  # fmt: skip


@pytest.fixture(scope="module")
def mistakes_dir(workdir, campaign_out, sweep_out):
    (workdir / "bad.toml").write_text('[campaign]\ncodes = ["hsiao-secded"\n')
    (workdir / "no_table.toml").write_text('codes = ["hsiao-secded"]\n')
    (workdir / "bad_masks.txt").write_text("0x1\n0x2  # fine\nnot-a-mask\n")
    # data bits 7..63 are in no mask: an error there would be invisible
    (workdir / "seven_masks.txt").write_text(
        "# eccsim: k=64 r=7\n" + "".join(f"{1 << j:#x}\n" for j in range(7))
    )
    (workdir / "empty").mkdir(exist_ok=True)
    return workdir


def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("args, fragment", BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_a_mistake_prints_one_line_and_exits_2(mistakes_dir, args, fragment):
    work = mistakes_dir
    before = {d: snapshot(work / d) for d in ("camp", "sweep")}
    r = eccsim(*(a.format(work=work) for a in args), cwd=work)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert fragment.lower() in lines[0].lower(), lines[0]
    assert not (work / "never").exists() and not (work / "fig.jpg").exists()
    assert {d: snapshot(work / d) for d in ("camp", "sweep")} == before  # results untouched


# ----- the main job ----------------------------------------------------------------------------
def test_the_default_campaign_runs_and_writes_everything(tmp_path):
    stdout = ok("campaign", cwd=tmp_path)
    out = tmp_path / "eccsim-results"
    for name in ("results.csv", "results.json"):
        assert (out / name).stat().st_size > 0
    for name in ("outcomes.png", "chips.png"):
        assert_valid_figure(out / name)
    spec = CampaignSpec()
    table = [
        ln.split() for ln in stdout.splitlines() if ln.split()[:1] and ln.split()[0] in spec.codes
    ]
    assert len(table) == len(spec.codes) * len(spec.faults)
    assert {row[0] for row in table} == set(spec.codes)
    doc = json.loads((out / "results.json").read_text())
    assert doc["spec"] == spec.to_dict()
    assert len(doc["jobs"]) == len(table)
    # the sampled whole-burst chip jobs ran their full trials; the others are exhaustive
    for j in doc["jobs"]:
        if j["fault"] == "chip-burst":
            assert j["mode"] == "monte-carlo" and j["patterns"] == spec.trials
        else:
            assert j["mode"] == "exhaustive"


@pytest.mark.slow  # a fresh process compiles every kernel: ~10 s
def test_bench_prints_every_operation_with_its_ratio_to_memcpy():
    proc = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "bench", "--mib", "1", "--trials", "8192",
         "--galois-words", "64", "--repeat", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for op in ("numpy.copyto (memcpy)", "encode hsiao-secded", "scrub in place, clean",
               "decode + status, clean", "random 3-bit campaign", "exact counts k=1..8",
               "encode, plain numpy"):  # fmt: skip
        assert op in out
    copy_row = next(line for line in out.splitlines() if line.startswith("numpy.copyto"))
    assert " 1.00 " in copy_row  # memcpy against itself


def test_output_piped_into_a_reader_that_quits_is_not_an_error():
    proc = subprocess.run(
        f"{sys.executable} -m eccsim.cli codes -v | head -1", shell=True, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0
    assert "error" not in proc.stderr


def _one_line_error(args: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "eccsim.cli", *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    return proc.stderr


@pytest.mark.parametrize("bad", ["abc", "2", "0", "1e-3,x"])
def test_sweep_ber_names_the_bad_rate_option(bad):
    assert "--ber" in _one_line_error(["sweep-ber", "--ber", bad])


def test_stop_options_refine_the_spec_stop_rule_instead_of_replacing_it(tmp_path):
    spec = tmp_path / "st.toml"
    spec.write_text(
        '[campaign]\ncodes = ["hsiao-secded"]\nfaults = ["chip-burst"]\ntrials = 8192\n'
        'chunk = 4096\n[campaign.stop]\noutcome = "due"\nmin_events = 1\nrel_ci = 0.5\n'
    )
    out = tmp_path / "r"
    proc = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "campaign", str(spec), "--stop-events", "50",
         "--quiet", "--workers", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    saved = json.loads((out / "results.json").read_text())["spec"]["stop"]
    assert saved == {"outcome": "due", "min_events": 50, "rel_ci": 0.5}


def test_a_campaign_from_a_script_on_stdin_can_use_worker_processes(tmp_path):
    script = (
        "from eccsim.campaign import CampaignSpec, run_campaign\n"
        "spec = CampaignSpec(codes=('hsiao-secded',), faults=('chip-burst',), trials=8192,"
        " chunk=4096)\n"
        "r = run_campaign(spec, None, workers=2)\n"
        "print(r.jobs[0].patterns)\n"
    )
    proc = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "8192"


# ----- user mistakes vs bugs -------------------------------------------------------------------
def test_an_internal_error_is_a_bug_with_a_traceback_not_a_usage_line(monkeypatch):
    """Only EccsimError is a user mistake (one line, exit 2); a ValueError from inside eccsim
    is a bug and must surface with its traceback instead of hiding as an exit-2 line."""
    from eccsim import cli

    def broken(args):
        raise ValueError("internal invariant violated")

    monkeypatch.setattr(cli, "cmd_codes", broken)
    with pytest.raises(ValueError, match="internal invariant"):
        cli.main(["codes"])


def test_a_user_error_is_one_line_and_exit_2(monkeypatch, capsys):
    from eccsim import cli
    from eccsim.errors import InputError

    def mistake(args):
        raise InputError("trials=0 must be a whole number >= 1")

    monkeypatch.setattr(cli, "cmd_codes", mistake)
    assert cli.main(["codes"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["eccsim: error: trials=0 must be a whole number >= 1"]
