"""Code design (eccsim.design): every count the search optimises is held against a brute-force
enumeration written here (each error pattern decoded by tests/reference.py, read off H alone),
the search is deterministic for a seed, finds the brute-force optimum of a small case, and the
shipped catalogue codes keep what their entries claim."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from itertools import combinations

import numpy as np
import pytest

import eccsim
from eccsim.analysis import exact_chip_split
from eccsim.codes import load_code
from eccsim.design import ChipLayout, code_from_columns, design_code, secded_bound, silent_counts
from eccsim.design.report import code_file_text, write_code_file
from eccsim.errors import InputError, LimitError, ModuleError
from eccsim.module import get_module

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref


# ----- brute force, independent of eccsim's analysis and of the search's kernels --------------
def chips_of(module) -> list[list[int]]:
    """Codeword bits of each chip, read off the module's DQ map."""
    g = get_module(module)
    dq = [int(x) for x in g.dq_of_bit]
    return [[b for b in range(g.n) if dq[b] // g.chip_width == c] for c in range(g.chips)]


def outcome(code, bits) -> int:
    """Reference outcome of flipping ``bits`` of a stored codeword (data 0, check 0)."""
    return ref.ref_classify(code, (0, 0), ref.flip(code, 0, 0, bits))


def silent(o: int) -> bool:
    return o in (ref.SDC_UNDETECTED, ref.SDC_MISCORRECTED)


def brute_chip(code, chips) -> dict[int, int]:
    """Outcome counts of every non-zero pattern confined to one chip."""
    out = {o: 0 for o in range(5)}
    for bits in chips:
        for m in range(1, 1 << len(bits)):
            out[outcome(code, [b for i, b in enumerate(bits) if m >> i & 1])] += 1
    return out


def brute_pairs(code, chips) -> int:
    """Silent patterns confined to exactly two chips, both non-zero (by syndrome: the
    reference decoder acts on the syndrome alone, so one decode per syndrome is enough)."""
    cols = [ref.column_syndrome(code, b) for b in range(code.n)]
    colset = set(cols)
    subs = []
    for bits in chips:
        s = []
        for m in range(1, 1 << len(bits)):
            x = 0
            for i, b in enumerate(bits):
                if m >> i & 1:
                    x ^= cols[b]
            s.append(x)
        subs.append(s)
    total = 0
    for a, b in combinations(range(len(chips)), 2):
        for x in subs[a]:
            for y in subs[b]:
                total += (x ^ y) == 0 or (x ^ y) in colset
    return total


def is_secded(code) -> bool:
    """Every 1-bit error corrected and every 2-bit error detected, by decoding each."""
    return all(outcome(code, [b]) == ref.CE for b in range(code.n)) and all(
        outcome(code, p) == ref.DETECTED for p in combinations(range(code.n), 2)
    )


def brute_burst(code, length) -> int:
    return sum(silent(outcome(code, range(s, s + length))) for s in range(code.n - length + 1))


# ----- the objective's kernels against brute force -------------------------------------------
@pytest.mark.parametrize("module", ["x8-ecc-dimm", "x4-ecc-dimm"])
@pytest.mark.parametrize("name", ["hsiao-secded", "hamming-secded"])
def test_kernel_counts_match_brute_force(module, name):
    code = eccsim.get_code(name)
    chips = chips_of(module)
    objectives = ["chip", "burst:4", "burst:7", "bits:3"]
    if module == "x4-ecc-dimm":
        objectives.append("chips:2")
    got = silent_counts(code, module, objectives)
    bc = brute_chip(code, chips)
    assert got["chip"] == bc[ref.SDC_UNDETECTED] + bc[ref.SDC_MISCORRECTED]
    assert got["burst:4"] == brute_burst(code, 4)
    assert got["burst:7"] == brute_burst(code, 7)
    by_w = ref.outcomes_by_weight(code.H, {ref.column_syndrome(code, b): frozenset([b])
                                           for b in range(code.n)}, 3)  # fmt: skip
    assert got["bits:3"] == by_w[3]["sdc_undetected"] + by_w[3]["sdc_miscorrected"]
    if "chips:2" in got:
        assert got["chips:2"] == brute_pairs(code, chips)


def test_the_issue_figures_for_the_catalogue_hsiao_code():
    """The counts the issue quotes: 709 of 2,295 x8 chip patterns and 16.7 % of x4 ones silent."""
    code = eccsim.get_code("hsiao-secded")
    b8 = brute_chip(code, chips_of("x8-ecc-dimm"))
    assert b8[ref.SDC_UNDETECTED] + b8[ref.SDC_MISCORRECTED] == 709
    b4 = brute_chip(code, chips_of("x4-ecc-dimm"))
    assert b4[ref.SDC_UNDETECTED] + b4[ref.SDC_MISCORRECTED] == 45  # 45 / 270 = 16.7 %


@pytest.mark.parametrize(
    "name, module", [("parity-byte", "x8-ecc-dimm"), ("chipkill-x4", "x4-chipkill-dimm"),
                     ("ddr5-rank-x4", "ddr5-x4-subchannel")],
)  # fmt: skip
def test_silent_counts_refuses_codes_whose_decoder_is_not_sec(name, module):
    """Its kernels model the sec decoder only: parity-byte's chip count was 1976 (exact: 1016),
    chipkill-x4's bits:2 0 (exact: 465)."""
    code = eccsim.get_code(name)
    with pytest.raises(InputError, match=rf"code '{name}' has decoder '{code.decoder}'.*'sec'"):
        silent_counts(code, module, ["chip", "bits:2"])


def test_x8_pairs_match_the_exact_analysis():
    got = silent_counts("hsiao-secded", "x8-ecc-dimm", ["chips:2"])["chips:2"]
    assert got == exact_chip_split("hsiao-secded", "x8-ecc-dimm", 2).counts.sdc


# ----- the search ------------------------------------------------------------------------------
def test_x8_search_beats_hsiao_and_is_verified_by_brute_force():
    res = design_code("x8-ecc-dimm", ["chip"], restarts=1, iterations=30_000, time_budget=None,
                      seed=3)  # fmt: skip
    code = res.code
    assert is_secded(code)
    bc = brute_chip(code, chips_of("x8-ecc-dimm"))
    assert res.silent["chip"] == bc[ref.SDC_UNDETECTED] + bc[ref.SDC_MISCORRECTED] < 552
    assert sum(bc.values()) == 2295
    assert res.restarts == 1 and res.seconds > 0


def test_x4_search_detects_every_single_chip_error():
    res = design_code("x4-ecc-dimm", "chip", restarts=1, iterations=150_000, time_budget=None)
    assert is_secded(res.code)
    bc = brute_chip(res.code, chips_of("x4-ecc-dimm"))
    assert bc[ref.SDC_UNDETECTED] == bc[ref.SDC_MISCORRECTED] == 0 == res.silent["chip"]
    assert bc[ref.CE] == 72 and bc[ref.DETECTED] == 270 - 72


def test_the_search_is_deterministic_for_a_seed():
    kw = dict(restarts=2, iterations=5_000, time_budget=None)
    a = design_code("x8-ecc-dimm", ["chip", "burst:4"], seed=11, **kw)
    b = design_code("x8-ecc-dimm", ["chip", "burst:4"], seed=11, **kw)
    c = design_code("x8-ecc-dimm", ["chip", "burst:4"], seed=12, **kw)
    assert np.array_equal(a.code.H, b.code.H) and a.history == b.history
    assert not np.array_equal(a.code.H, c.code.H)
    # a time budget longer than the restarts take changes nothing
    d = design_code("x8-ecc-dimm", ["chip", "burst:4"], seed=11, time_budget=600, **{
        k: v for k, v in kw.items() if k != "time_budget"})  # fmt: skip
    assert np.array_equal(a.code.H, d.code.H)


# a (13,8) code: two 4-bit data chips and one 5-bit check chip
SMALL = ChipLayout("small", 13, 8, ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11, 12)))


def small_silent(cols, chips) -> int:
    colset = set(cols)
    total = 0
    for bits in chips:
        for m in range(1, 1 << len(bits)):
            sel = [b for i, b in enumerate(bits) if m >> i & 1]
            s = 0
            for b in sel:
                s ^= cols[b]
            total += s == 0 or (len(sel) >= 2 and s in colset)
    return total


def test_a_small_case_reaches_the_brute_force_optimum():
    odd = [v for v in range(32) if bin(v).count("1") in (3, 5)]  # every legal data column
    checks = [1 << j for j in range(5)]
    best = None
    for a in combinations(odd, 4):
        rest = [v for v in odd if v not in a]
        for b in combinations(rest, 4):
            v = small_silent([*a, *b, *checks], SMALL.chips)
            best = v if best is None else min(best, v)
    res = design_code(SMALL, "chip", prefer="none", restarts=3, iterations=20_000,
                      time_budget=None)  # fmt: skip
    cols = [ref.column_syndrome(res.code, b) for b in range(13)]
    assert small_silent(cols, SMALL.chips) == res.silent["chip"] == best
    assert is_secded(res.code)


# ----- the code file and the catalogue entries --------------------------------------------------
def test_the_code_file_loads_as_the_same_code(tmp_path):
    res = design_code("x4-ecc-dimm", "chip", restarts=1, iterations=2_000, time_budget=None,
                      name="mine")  # fmt: skip
    p = write_code_file(res.code, tmp_path / "mine.txt", "eccsim design ...")
    back = load_code(p)
    assert back == res.code and back.name == "mine"
    small = code_from_columns([7, 11, 13, 14, 19, 21, 22, 25, 1, 2, 4, 8, 16], 5, name="s")
    (tmp_path / "s.txt").write_text(code_file_text(small))
    assert load_code(tmp_path / "s.txt") == small


#: the README's whole-chip splits: CE, DUE, SDC undetected, SDC miscorrected (silent 328, 0)
SHIPPED = {
    "design-secded-x8": ("x8-ecc-dimm", (72, 1895, 24, 304)),
    "design-s4ed-x4": ("x4-ecc-dimm", (72, 198, 0, 0)),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_codes_keep_their_claims(name):
    """The exact counts the README and the catalogue claim, by the reference decoder."""
    module, claim = SHIPPED[name]
    code = eccsim.get_code(name)
    assert name in eccsim.code_names() and code.k == 64 and code.n == 72
    assert is_secded(code)
    bc = brute_chip(code, chips_of(module))
    assert (bc[ref.CE], bc[ref.DETECTED], bc[ref.SDC_UNDETECTED], bc[ref.SDC_MISCORRECTED]) == claim
    assert silent_counts(code, module, ["chip"])["chip"] == claim[2] + claim[3]


# ----- bad input -------------------------------------------------------------------------------
def test_impossible_requests_name_the_bound():
    with pytest.raises(InputError, match=r"2\*\*\(r-1\) - r = 4.*needs r >= 5"):
        design_code(ChipLayout("t", 12, 8, ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11))),
                    restarts=1)  # fmt: skip
    assert secded_bound(8) == 120
    with pytest.raises(ModuleError, match=r"n=80 does not match module 'x8-ecc-dimm'.*\(72,64\)"):
        design_code("x8-ecc-dimm", n=80, restarts=1)
    with pytest.raises(InputError, match="chip, chips:2, burst:L, bits:K"):
        design_code("x8-ecc-dimm", "chipz", restarts=1)
    with pytest.raises(InputError, match=r"bits:N needs N = 1\.\.8"):
        design_code("x8-ecc-dimm", "bits:0", restarts=1)
    with pytest.raises(InputError, match="triples, rows, ones"):
        design_code("x8-ecc-dimm", prefer="fast", restarts=1)
    with pytest.raises(InputError, match="base code 'parity-byte'"):
        design_code("x8-ecc-dimm", base="parity-byte", restarts=1)
    with pytest.raises(InputError, match="time_budget"):
        design_code("x8-ecc-dimm", time_budget=None, restarts=None)


def eccsim_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "eccsim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)  # fmt: skip


def test_cli_writes_the_code_and_compares_it(tmp_path):
    out = tmp_path / "found.txt"
    r = eccsim_cli("design", "--module", "x4-ecc-dimm", "--restarts", "1", "--iterations",
                   "150000", "--no-pairs", "-o", str(out), "-q")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "silent patterns: chip 0" in r.stdout and "hsiao-secded" in r.stdout
    code = load_code(out)
    bc = brute_chip(code, chips_of("x4-ecc-dimm"))
    assert bc[ref.SDC_UNDETECTED] + bc[ref.SDC_MISCORRECTED] == 0
    r = eccsim_cli("codes", str(out))
    assert r.returncode == 0 and "detects any 2-bit error" in r.stdout
    again = eccsim_cli("design", "--module", "x4-ecc-dimm", "--restarts", "1", "-o", str(out))
    assert again.returncode == 2 and "exists" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, words",
    [
        (["--module", "x8-ecc-dimm", "--n", "80"], "n=80 does not match"),
        (["--module", "x8-ecc-dimm", "--objective", "pins"], "chip, chips:2, burst:L, bits:K"),
        (["--module", "x9"], "unknown module"),
        (["--time", "0"], "must be a finite number > 0"),
        (["--iterations", "100000000000"], "at most 10,000,000,000 annealing steps"),
        (["--iterations", "10000000000000000000000"], "at most 10,000,000,000 annealing steps"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    r = eccsim_cli("design", *args, "--restarts", "1", "-o", str(tmp_path / "x.txt"))
    assert r.returncode == 2 and words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.txt").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_documented_commands_find_the_shipped_codes(name):
    from eccsim.codes.catalogue import DESIGN_COMMANDS

    argv = DESIGN_COMMANDS[name].split()[2:]  # after "eccsim design"
    kw = {"restarts": None, "iterations": None, "seed": 0, "objective": "chip"}
    it = iter(argv)
    for a in it:
        if a.startswith("--") and a[2:] in kw:
            kw[a[2:]] = next(it)
        elif a == "--module":
            module = next(it)
    res = design_code(module, kw["objective"], seed=int(kw["seed"]), restarts=int(kw["restarts"]),
                      iterations=int(kw["iterations"]), time_budget=None)  # fmt: skip
    assert res.code == eccsim.get_code(name)


def test_a_time_budget_stops_and_the_finished_restarts_reproduce_the_code():
    res = design_code("x8-ecc-dimm", "chip", seed=5, time_budget=0.5, iterations=10_000,
                      progress=True)  # fmt: skip
    assert res.restarts >= 1 and res.seconds < 5
    again = design_code("x8-ecc-dimm", "chip", seed=5, restarts=res.restarts, iterations=10_000,
                        time_budget=None)  # fmt: skip
    assert again.code == res.code and again.restarts == res.restarts


def test_huge_iterations_are_refused_and_no_array_has_their_length():
    """iterations=1e11 ended in numpy's MemoryError (an array of one temperature per step)."""
    with pytest.raises(LimitError, match=r"iterations=100,000,000,000 .*at most 10,000,000,000"):
        design_code("x8-ecc-dimm", restarts=1, time_budget=None, iterations=10**11)
    # 1e9 steps (8 GB of temperatures before): the budget stops restart 0, which says so
    with pytest.raises(LimitError, match=r"ran out before restart 0 finished"):
        design_code("x4-ecc-dimm", time_budget=0.3, iterations=10**9)


def test_a_time_budget_stops_a_slow_first_restart_with_what_would_fit():
    """restart 0 always ran to its end: chips:2 on the 18-chip lockstep pair, 3,000 steps, took
    37 s under a 1 s budget (200,000 steps: 45 minutes under "60 s")."""
    t = time.perf_counter()
    with pytest.raises(LimitError) as e:
        design_code("x8-lockstep-2dimm", "chips:2", time_budget=0.5, iterations=3000, seed=1)
    assert time.perf_counter() - t < 8
    msg = str(e.value)
    assert "\n" not in msg and "time_budget=0.5 s (--time) ran out before restart 0" in msg
    m = re.search(r"of 3,000 steps done, ([0-9.e+-]+) ms a step, so one restart takes about "
                  r"([0-9,.]+) s; give iterations=([0-9,]+) \(--iterations\)", msg)  # fmt: skip
    assert m, msg
    per_ms, fit = float(m[1]), int(m[3].replace(",", ""))
    assert 1 <= fit <= 0.8 * 0.5 / (per_ms / 1e3) + 1 and per_ms > 0


def test_the_descent_never_takes_a_step_up_in_the_last_preference():
    """POLISH_T = 1e-12 was above the `ones` step of a (144,128) code (3.1e-12): the descent
    kept a one-more-one move with probability e**-3.1 = 4.6 %."""
    from eccsim.design.problem import make_problem
    from eccsim.design.search import polish_temperature

    lay = ChipLayout("w144", 144, 128, tuple(tuple(range(i, i + 4)) for i in range(0, 144, 4)))
    for layout in (lay, "x8-ecc-dimm"):
        prob = make_problem(layout, "chip", ("triples", "rows", "ones"))
        step = prob.weights[2]
        assert np.exp(-step / polish_temperature(prob)) < 1e-300
    assert polish_temperature(make_problem("x8-ecc-dimm", "chip", ())) == 1e-12


@pytest.mark.parametrize("bad", ["my code", "a\nb", "tab\tx", "a=b", "a#b", "x" * 101, ""])
def test_a_name_the_code_file_cannot_hold_is_refused_before_the_search(bad):
    """`--name "my code"` wrote `name=my code` into the directive: the file did not load."""
    t = time.perf_counter()
    with pytest.raises(InputError, match=r"\(--name\): a code name is one token of 1\.\.100 "):
        design_code("x4-ecc-dimm", restarts=1, iterations=10**6, time_budget=None, name=bad)
    assert time.perf_counter() - t < 2  # no search ran


def test_catalogue_names_are_refused_and_the_comparison_keeps_every_row(tmp_path):
    """`--name hsiao-secded`: the catalogue code's row replaced the found code's."""
    from eccsim.design.report import format_comparison

    with pytest.raises(InputError, match=r"name='hsiao-secded' \(--name\) is a catalogue code"):
        design_code("x8-ecc-dimm", restarts=1, iterations=10, time_budget=None,
                    name="hsiao-secded")  # fmt: skip
    # the shipped found codes' documented commands name them
    assert design_code("x8-ecc-dimm", restarts=1, iterations=10, time_budget=None,
                       name="design-secded-x8").code.name == "design-secded-x8"  # fmt: skip
    ham = eccsim.get_code("hamming-secded")
    twin = code_from_columns(ham.columns, ham.r, name="hsiao-secded")
    text = format_comparison([twin, eccsim.get_code("hsiao-secded")], get_module("x8-ecc-dimm"),
                             pairs=False)  # fmt: skip
    chip = text.split("\nchip\n")[1]
    assert "hsiao-secded (found)" in chip and "hsiao-secded (#2)" in chip
    # a layout's name with a space no longer makes the default name unloadable
    lay = ChipLayout("my layout", 13, 8, SMALL.chips)
    res = design_code(lay, "chip", restarts=1, iterations=100, time_budget=None)
    assert res.code.name == "design-my-layout"
    assert load_code(write_code_file(res.code, tmp_path / "m.txt")) == res.code


def test_cli_refuses_a_bad_name_before_searching(tmp_path):
    out = tmp_path / "x.txt"
    r = eccsim_cli("design", "--module", "x4-ecc-dimm", "--restarts", "1", "--name", "my code",
                   "-o", str(out), "-q")  # fmt: skip
    assert r.returncode == 2 and "--name" in r.stderr and "without spaces" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_the_comments_of_a_code_file_cannot_break_it(tmp_path):
    """The command went in raw: `--objective $'chip\n'` ended the comment line and the file did
    not load; a line reading "eccsim: ..." became a directive."""
    code = eccsim.get_code("design-s4ed-x4")
    for cmd, note in [("eccsim design --objective 'chip\n'", ""),
                      ("x\n# eccsim: n=3 k=1", "a\rb\x0bc\x85d\u2028eccsim: k=5\n eccsim: r=2")]:  # fmt: skip
        text = code_file_text(code, cmd, note)
        assert all(line.startswith("# ") or line.startswith("0x") for line in text.splitlines())
        (tmp_path / "c.txt").write_text(text)
        assert load_code(tmp_path / "c.txt") == code


def test_cli_quotes_the_command_in_the_code_file(tmp_path):
    out = tmp_path / "a b.txt"
    r = eccsim_cli("design", "--module", "x4-ecc-dimm", "--objective", "chip\n", "--restarts",
                   "1", "--iterations", "2000", "--no-pairs", "-q", "-o", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert load_code(out).name == "design-x4-ecc-dimm"
    text = out.read_text()
    assert "# found with: eccsim design --module x4-ecc-dimm --objective 'chip\n# '" in text
    assert f"-o '{out}'" in text


def test_cli_refuses_an_out_file_in_a_missing_folder_before_searching(tmp_path):
    """-o newdir/x.txt passed the check, the search ran, then the write failed: result lost."""
    out = tmp_path / "newdir" / "x.txt"
    t = time.perf_counter()
    r = eccsim_cli("design", "--module", "x4-ecc-dimm", "--restarts", "1", "--iterations",
                   "1000000", "-q", "-o", str(out))  # fmt: skip
    assert r.returncode == 2 and "does not exist" in r.stderr and "newdir" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and time.perf_counter() - t < 20


def test_cli_keeps_an_out_file_that_appears_during_the_search(tmp_path, monkeypatch, capsys):
    """The existence check ran before the search only; os.replace then overwrote a file that
    appeared meanwhile. Without --force the code is linked into place or not written at all."""
    import eccsim.design
    from eccsim.cli import main

    out = tmp_path / "x.txt"
    real = eccsim.design.design_code

    def racing(*a, **k):
        out.write_text("someone else's")
        return real(*a, **k)

    monkeypatch.setattr(eccsim.design, "design_code", racing)
    argv = ["design", "--module", "x4-ecc-dimm", "--restarts", "1", "--iterations", "100", "-q",
            "--no-pairs", "-o", str(out)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "appeared while the search ran and was kept" in err and "--seed 0 --restarts 1" in err
    assert out.read_text() == "someone else's" and [p.name for p in tmp_path.iterdir()] == ["x.txt"]
    assert main([*argv, "--force"]) == 0 and load_code(out).n == 72


def test_the_preferences_count_however_many_patterns_are_silent():
    """The energy was one float sum: past ~1e6 silent patterns a step of `ones` (2e-10 for a
    (72,64) code), past ~1e9 one of `rows`, is below the sum's rounding: two states differing
    only there tied. The
    annealing now compares states by the integer differences of their terms."""
    from eccsim.design._objective import _delta
    from eccsim.design.problem import make_problem

    w = make_problem("x8-ecc-dimm", "chip", ("triples", "rows", "ones")).weights
    a = np.array([40_000_000_000, 33_000, 3, 500], dtype=np.int64)
    for term, step in ((1, 4), (2, 1), (3, 1)):
        b = a.copy()
        b[term] += step
        if term > 1:  # rows and ones: the float sums tie
            assert float(a[0]) + w @ a[1:] == float(b[0]) + w @ b[1:]
        assert _delta(b, a, w) > 0 > _delta(a, b, w)
    c = a.copy()
    c[0] += 1
    c[1:] = 0
    assert _delta(c, a, w) > 0  # one silent pattern outweighs every preference
