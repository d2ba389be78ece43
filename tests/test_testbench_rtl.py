"""The RTL plug-in (eccsim.testbench.rtl_dut): Verilog encoders/decoders under cocotb + Icarus.

The examples in tests/dut_examples/verilog/ are generated from eccsim's hsiao-secded H by
gen_hsiao.py (a test below keeps them current): a correct combinational encoder/decoder, a
registered (1-cycle) pair, and three buggy decoders. The correct ones must agree with
eccsim.encode/decode on every word; each buggy one must disagree on exactly the patterns its
bug predicts. Tests that simulate are skipped, with the reason, when Icarus Verilog or cocotb
is missing (.ci/run installs both).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import eccsim
from eccsim.status import Status
from eccsim.testbench import DUTError, rtl_dut
from eccsim.testbench.rtl_dut import RTLDUT, tool_problem

HERE = Path(__file__).resolve().parent
VDIR = HERE / "dut_examples" / "verilog"
GOOD = VDIR / "hsiao_secded.v"
REG = VDIR / "hsiao_secded_reg.v"
BUGGY = VDIR / "hsiao_buggy.v"
N, K, R = 72, 64, 8

PROBLEM = tool_problem()
needs_sim = pytest.mark.skipif(PROBLEM is not None, reason=f"RTL simulation unavailable: {PROBLEM}")


def _gen():
    spec = importlib.util.spec_from_file_location("gen_hsiao", VDIR / "gen_hsiao.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def code():
    return eccsim.get_code("hsiao-secded")


def _flip(data: np.ndarray, check: np.ndarray, patterns: list[tuple[int, ...]]):
    """Every (word, pattern) pair: received data (M, 1) and check (M,), pattern-major."""
    d = np.repeat(data, len(patterns))
    c = np.repeat(check.astype(np.uint64), len(patterns))
    for p_i, bits in enumerate(patterns):
        sl = slice(p_i, None, len(patterns))
        for b in bits:
            if b < K:
                d[sl] ^= np.uint64(1 << b)
            else:
                c[sl] ^= np.uint64(1 << (b - K))
    return d, c


def _patterns(*weights: int) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    if 0 in weights:
        out.append(())
    if 1 in weights:
        out += [(b,) for b in range(N)]
    if 2 in weights:
        out += [(a, b) for a in range(N) for b in range(a + 1, N)]
    return out


def _model(code, d, c):
    fixed, chk, status = eccsim.decode(code, d, c.astype(np.uint8))
    return fixed, chk.astype(np.uint64), status >= 0, status == int(Status.UNCORRECTABLE)


def _assert_agrees(code, dut, d, c):
    out = dut.decode(d.reshape(-1, 1), c)
    fixed, chk, corr, unc = _model(code, d, c)
    np.testing.assert_array_equal(out.corrected, corr)
    np.testing.assert_array_equal(out.uncorrectable, unc)
    np.testing.assert_array_equal(out.data[:, 0], fixed)
    if out.check is not None:
        np.testing.assert_array_equal(out.check, chk)


# ---------------------------------------------------------------------------------------------
# the examples
# ---------------------------------------------------------------------------------------------
def test_examples_are_generated_from_eccsims_h():
    assert _gen().stale() == [], "run tests/dut_examples/verilog/gen_hsiao.py"


@pytest.fixture(scope="module")
def good():
    if PROBLEM:
        pytest.skip(f"RTL simulation unavailable: {PROBLEM}")
    with RTLDUT([GOOD], k=K, r=R, encoder="hsiao_enc", decoder="hsiao_dec") as dut:
        yield dut


@needs_sim
def test_correct_encoder_agrees_with_eccsim(good, code, rng):
    data = rng.integers(0, 2**64, 3000, dtype=np.uint64)
    data[:3] = [0, 2**64 - 1, 1]
    check = good.encode(data.reshape(-1, 1))
    assert check.dtype == np.uint64 and check.shape == data.shape
    np.testing.assert_array_equal(check, eccsim.encode(code, data))
    assert good.encode(np.zeros((0, 1), dtype=np.uint64)).shape == (0,)


@needs_sim
def test_correct_decoder_agrees_on_random_words_with_0_1_2_bit_errors(good, code, rng):
    data = rng.integers(0, 2**64, 400, dtype=np.uint64)
    check = eccsim.encode(code, data)
    pats = _patterns(0, 1, 2)
    pick = rng.choice(len(pats), 12, replace=False)  # per word, a different sample
    d, c = _flip(data, check, [pats[i] for i in pick])
    assert good.name == "rtl:hsiao_dec" and (good.k, good.r) == (K, R)
    _assert_agrees(code, good, d, c)


@needs_sim
def test_exhaustive_1_and_2_bit_errors_over_4_words_in_one_simulation(good, code, rng):
    """Every 1- and 2-bit error of (72,64) (2,628 patterns) on 4 data words: 10,512 words,
    one simulation (RTLDUT.batch_size is larger), all agree with eccsim."""
    data = np.array([0, 2**64 - 1, *rng.integers(0, 2**64, 2, dtype=np.uint64)], dtype=np.uint64)
    pats = _patterns(1, 2)
    assert len(pats) == 2628
    d, c = _flip(data, eccsim.encode(code, data), pats)
    assert len(d) <= RTLDUT.batch_size
    t = time.perf_counter()
    _assert_agrees(code, good, d, c)
    print(f"\nIcarus: {len(d)} decodes in {time.perf_counter() - t:.2f} s")


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_registered_variant_with_latency_1(code, rng):
    with RTLDUT(
        [REG], k=K, r=R, encoder="hsiao_enc_reg", decoder="hsiao_dec_reg", latency=1, clock="clk"
    ) as dut:
        data = rng.integers(0, 2**64, 200, dtype=np.uint64)
        check = eccsim.encode(code, data)
        np.testing.assert_array_equal(dut.encode(data), check)
        pats = _patterns(0, 1, 2)
        d, c = _flip(data[:2], check[:2], pats[::7])
        _assert_agrees(code, dut, d, c)


@needs_sim
def test_registered_design_driven_as_combinational_reports_x(rng):
    with RTLDUT([REG], k=K, r=R, decoder="hsiao_dec_reg", clock="clk", latency=0) as dut:
        with pytest.raises(DUTError, match=r"output 'data_out' .* is X/Z for word 0"):
            dut.decode(np.zeros((2, 1), dtype=np.uint64), np.zeros(2, dtype=np.uint64))


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_combinational_encoder_beside_registered_decoder(code):
    with RTLDUT(
        [GOOD, REG],
        k=K,
        r=R,
        encoder="hsiao_enc",
        decoder="hsiao_dec_reg",
        latency={"decoder": 1},
        clock="clk",
    ) as dut:
        data = np.arange(1, 40, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        check = dut.encode(data)
        np.testing.assert_array_equal(check, eccsim.encode(code, data))
        _assert_agrees(code, dut, data, check ^ np.uint64(4))


# ---------------------------------------------------------------------------------------------
# buggy decoders: they disagree exactly where their bug says
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def all_errors(code):
    data = np.array([0x0123456789ABCDEF, 0xFFFF0000FFFF0000], dtype=np.uint64)
    pats = _patterns(0, 1, 2)
    d, c = _flip(data, eccsim.encode(code, data), pats)
    weight = np.tile([len(p) for p in pats], len(data))
    return d, c, np.tile(np.arange(len(pats)), len(data)), pats, weight


@needs_sim
@pytest.mark.parametrize("mode", [0, 1])
def test_detection_only_mode_misses_the_parity_bit_flip(code, all_errors, mode):
    d, c, pid, pats, weight = all_errors
    with RTLDUT([BUGGY], k=K, r=R, decoder="hsiao_dec_detect_bug", constants={"mode": mode}) as dut:
        if mode == 0:  # SEC-DED mode is correct
            _assert_agrees(code, dut, d, c)
            return
        out = dut.decode(d, c)
    # detection only: never corrects, passes the word through, should flag every error
    assert not out.corrected.any()
    np.testing.assert_array_equal(out.data[:, 0], d)
    missed = (weight > 0) & ~out.uncorrectable
    assert {pats[i] for i in pid[missed]} == {(K + 7,)}  # the lone flip of check bit 7
    assert not out.uncorrectable[weight == 0].any()


@needs_sim
def test_every_nonzero_syndrome_correctable(code, all_errors):
    d, c, _, _, weight = all_errors
    with RTLDUT([BUGGY], k=K, r=R, decoder="hsiao_dec_all_correctable") as dut:
        out = dut.decode(d, c)
    _, _, corr, unc = _model(code, d, c)
    assert unc[weight == 2].all() and not unc[weight < 2].any()
    # says "corrected" for every double error, never "uncorrectable"; right on 0 and 1 bits
    assert out.corrected[weight == 2].all() and not out.uncorrectable.any()
    np.testing.assert_array_equal(out.corrected[weight < 2], corr[weight < 2])


@needs_sim
def test_swapped_check_bits(code, rng):
    data = rng.integers(0, 2**64, 500, dtype=np.uint64)
    check = eccsim.encode(code, data).astype(np.uint64)
    with RTLDUT([GOOD, BUGGY], k=K, r=R, encoder="hsiao_enc", decoder="hsiao_dec_swapped") as dut:
        np.testing.assert_array_equal(dut.encode(data), check)  # the encoder is right
        out = dut.decode(data, check)  # clean codewords
    differ = ((check >> np.uint64(2)) ^ (check >> np.uint64(5))) & np.uint64(1) == 1
    assert 0 < differ.sum() < len(data)
    np.testing.assert_array_equal(out.uncorrectable, differ)  # syndrome e2 ^ e5
    assert not out.corrected.any()


# ---------------------------------------------------------------------------------------------
# options
# ---------------------------------------------------------------------------------------------
@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_ports_renamed_check_out_optional_and_k_r_from_ports(tmp_path, code):
    src = tmp_path / "wrap.sv"
    src.write_text(
        textwrap.dedent("""\
        module wrap_dec (input logic [63:0] d_i, input logic [7:0] c_i, input logic en,
                         output logic [63:0] d_o, output logic sec, output logic ded);
          logic [7:0] co; logic s, u;
          hsiao_dec u0 (.data(d_i), .check(c_i), .data_out(d_o), .check_out(co),
                        .corrected(s), .uncorrectable(u));
          assign sec = s & en;
          assign ded = u & en;
        endmodule
        """)
    )
    ports = {"dec_data": "d_i", "dec_check": "c_i", "dec_data_out": "d_o",
             "dec_corrected": "sec", "dec_uncorrectable": "ded"}  # fmt: skip
    with RTLDUT([GOOD, src], k=None, r=None, decoder="wrap_dec", ports=ports,
                constants={"dec.en": "1"}) as dut:  # fmt: skip
        assert (dut.k, dut.r) == (K, R)
        data = np.arange(50, dtype=np.uint64)
        check = eccsim.encode(code, data).astype(np.uint64)
        out = dut.decode(data, check ^ np.uint64(1))
        assert out.check is None and out.corrected.all()
        np.testing.assert_array_equal(out.data[:, 0], data)
        with pytest.raises(DUTError, match="no encoder module was named"):
            dut.encode(data)
    with pytest.raises(DUTError, match="is closed"):
        dut.decode(data, check)


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_from_cli(code):
    args = argparse.Namespace(
        rtl=[str(GOOD), str(BUGGY)],
        rtl_encoder="hsiao_enc",
        rtl_decoder="hsiao_dec_detect_bug",
        rtl_port=["dec_check_out=check_out"],
        rtl_const=["mode=0"],
        rtl_latency="0",
        rtl_clock=None,
    )
    with RTLDUT.from_cli(args) as dut:
        assert (dut.k, dut.r) == (K, R)
        data = np.arange(20, dtype=np.uint64)
        _assert_agrees(code, dut, data, dut.encode(data) ^ np.uint64(0x80))
    bad = argparse.Namespace(**{**vars(args), "rtl_const": ["mode"]})
    with pytest.raises(DUTError, match="--rtl-const 'mode' must be PORT=VALUE"):
        RTLDUT.from_cli(bad)


WIDE = """\
module wide_enc(input [99:0] data, output [5:0] check);
  genvar j;
  for (j = 0; j < 6; j = j + 1) begin : g
    assign check[j] = ^data[j * 16 +: 16];
  end
endmodule
module wide_dec(input [99:0] data, input [5:0] check, output [99:0] data_out,
                output corrected, output uncorrectable);
  assign data_out = {data[98:0], data[99]};  // rotate left by one
  assign corrected = check[0];
  assign uncorrectable = check[5];
endmodule
"""


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_words_wider_than_64_bits(tmp_path, rng):
    src = tmp_path / "wide.sv"
    src.write_text(WIDE)
    with RTLDUT([src], k=100, r=6, encoder="wide_enc", decoder="wide_dec") as dut:
        data = rng.integers(0, 2**64, (300, 2), dtype=np.uint64)
        data[:, 1] &= np.uint64((1 << 36) - 1)
        bits = [[(int(w[0]) | int(w[1]) << 64) >> i & 1 for i in range(100)] for w in data]
        want = [sum((sum(b[16 * j : 16 * j + 16]) & 1) << j for j in range(6)) for b in bits]
        np.testing.assert_array_equal(dut.encode(data), want)
        check = np.arange(300, dtype=np.uint64) % np.uint64(64)
        out = dut.decode(data, check)
        v = [int(w[0]) | int(w[1]) << 64 for w in data]
        rot = [((x << 1) | (x >> 99)) & ((1 << 100) - 1) for x in v]
        np.testing.assert_array_equal(out.data[:, 0], [x & (2**64 - 1) for x in rot])
        np.testing.assert_array_equal(out.data[:, 1], [x >> 64 for x in rot])
        np.testing.assert_array_equal(out.corrected, check & np.uint64(1) == 1)
        np.testing.assert_array_equal(out.uncorrectable, check >> np.uint64(5) == 1)
        assert out.check is None


# ---------------------------------------------------------------------------------------------
# bad RTL and bad arguments: one-line DUTErrors
# ---------------------------------------------------------------------------------------------
def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_argument_errors_before_any_simulation(tmp_path):
    with pytest.raises(DUTError, match="does not exist") as e:
        RTLDUT([tmp_path / "nope.v"], k=K, r=R, decoder="d")
    _one_line(e)
    with pytest.raises(DUTError, match="name the encoder and/or decoder"):
        RTLDUT([GOOD], k=K, r=R)
    with pytest.raises(DUTError, match=r"unknown port role 'dec_corected' .*did you mean dec_corrected"):  # fmt: skip
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", ports={"dec_corected": "x"})
    with pytest.raises(DUTError, match="latency 1 but no clock port"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", latency=1)
    with pytest.raises(DUTError, match="latency=True must be a whole number"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", latency=True, clock="clk")
    with pytest.raises(DUTError, match=r"simulator='verilator' is not supported.*5\.036"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", simulator="verilator")
    with pytest.raises(DUTError, match="constant mode=-1 must be a non-negative integer"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", constants={"mode": -1})
    with pytest.raises(DUTError, match="k=0 must be a whole number"):
        RTLDUT([GOOD], k=0, r=R, decoder="hsiao_dec")


def test_missing_tools_name_what_to_install(monkeypatch):
    real_which = rtl_dut.shutil.which
    monkeypatch.setattr(rtl_dut.shutil, "which", lambda exe: None if exe == "iverilog" else real_which(exe))  # fmt: skip
    assert tool_problem() == (
        "Icarus Verilog is not installed (iverilog is not on PATH): apt-get install -y iverilog"
    )
    with pytest.raises(DUTError, match=r"apt-get install -y iverilog$"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec")
    monkeypatch.setattr(rtl_dut.shutil, "which", lambda exe: "/usr/bin/" + exe)
    real_spec = importlib.util.find_spec
    monkeypatch.setattr(rtl_dut.importlib.util, "find_spec", lambda n, *a: None if n.startswith("cocotb") else real_spec(n, *a))  # fmt: skip
    with pytest.raises(DUTError, match=r"cocotb is not installed: pip install cocotb$"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec")


@needs_sim
def test_verilog_that_does_not_compile_shows_the_first_error(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad_dec(input [63:0] data, output x);\n  assign x = data[0]\nendmodule\n")  # fmt: skip
    with pytest.raises(DUTError, match=r"does not compile \(iverilog\): .*bad\.v:3: syntax error") as e:  # fmt: skip
        RTLDUT([bad], k=K, r=R, decoder="bad_dec")
    _one_line(e)
    loop = tmp_path / "loop.v"
    loop.write_text("module l(output reg q);\n  always q = ~q;\nendmodule\n")
    with pytest.raises(DUTError, match=r"loop\.v:2: error: always process does not have any delay"):  # fmt: skip
        RTLDUT([loop], k=K, r=R, decoder="l")


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_missing_module_and_ports(tmp_path):
    with pytest.raises(DUTError, match=r"no decoder module 'hsiao_decc' .*did you mean hsiao_dec") as e:  # fmt: skip
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_decc")
    _one_line(e)
    with pytest.raises(DUTError, match=r"decoder module 'hsiao_dec' has no port 'sec'$"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", ports={"dec_corrected": "sec"})
    src = tmp_path / "flags.v"
    src.write_text(
        "module f(input [63:0] data, input [7:0] check, output [63:0] data_out,\n"
        "         output sec, output ded);\n"
        "  assign data_out = data; assign sec = 0; assign ded = ^check;\nendmodule\n"
    )
    with pytest.raises(DUTError, match=r"has no port 'corrected' \(the default for dec_corrected; name it with ports="):  # fmt: skip
        RTLDUT([src], k=K, r=R, decoder="f")
    with pytest.raises(DUTError, match=r"constant 'mode': the decoder module 'hsiao_dec' has no such port"):  # fmt: skip
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", constants={"mode": 1})
    with pytest.raises(DUTError, match=r"constant mode=2 does not fit the 1-bit port"):
        RTLDUT([BUGGY], k=K, r=R, decoder="hsiao_dec_detect_bug", constants={"mode": 2})
    with pytest.raises(DUTError, match=r"no clock port 'clk'"):
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", clock="clk", latency=2)


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_port_widths_checked_against_k_and_r():
    with pytest.raises(DUTError, match=r"port 'data' \(dec_data\) .* is 64 bits wide; k=32 needs 32"):  # fmt: skip
        RTLDUT([GOOD], k=32, r=R, decoder="hsiao_dec")
    with pytest.raises(DUTError, match=r"port 'check' \(enc_check\) .* is 8 bits wide; r=7 needs 7"):  # fmt: skip
        RTLDUT([GOOD], k=K, r=7, encoder="hsiao_enc")
    with pytest.raises(DUTError, match=r"port 'data' \(dec_corrected\) .* is 64 bits wide; a flag needs 1"):  # fmt: skip
        RTLDUT([GOOD], k=K, r=R, decoder="hsiao_dec", ports={"dec_corrected": "data"})


HANG = """\
module hang_enc(input [63:0] data, output [7:0] check);
  reg t;
  initial t = 0;
  always @(t) t <= ~t;  // toggles forever at time 0: simulated time never advances
  assign check = {8{t}};
endmodule
"""


@needs_sim
@pytest.mark.slow
def test_a_hanging_simulation_times_out(tmp_path):
    src = tmp_path / "hang.v"
    src.write_text(HANG)
    with RTLDUT([src], k=K, r=R, encoder="hang_enc", timeout_s=4) as dut:
        with pytest.raises(DUTError, match=r"simulation of the encoder module 'hang_enc' timed out after 4 s \(3 words\)"):  # fmt: skip
            dut.encode(np.zeros(3, dtype=np.uint64))


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


@needs_sim
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_simulator_dies_with_its_parent(tmp_path):
    src = tmp_path / "hang.v"
    src.write_text(HANG)
    script = textwrap.dedent(f"""\
        import numpy as np, sys
        from eccsim.testbench.rtl_dut import RTLDUT
        dut = RTLDUT([{str(src)!r}], k=64, r=8, encoder="hang_enc", timeout_s=600)
        print("encoding", flush=True)
        dut.encode(np.zeros(3, dtype=np.uint64))
        """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "encoding"
        sims: list[int] = []
        for _ in range(600):  # the simulation starts right after the line
            sims = _children(child.pid)
            if sims:
                break
            time.sleep(0.05)
        assert sims, "no simulator process appeared"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        for _ in range(600):
            if not any(Path(f"/proc/{p}").exists() and "Z" not in _state(p) for p in sims):
                break
            time.sleep(0.05)
        alive = [p for p in sims if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        assert not alive, f"simulator {alive} outlived its parent"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


# ---------------------------------------------------------------------------------------------
# the checks, when the core provides them
# ---------------------------------------------------------------------------------------------
def _run_testbench():
    try:
        from eccsim.testbench.checks import run_testbench
    except ImportError:
        return None
    return run_testbench


@pytest.fixture
def run_testbench():
    try:
        from eccsim.testbench.checks import run_testbench
    except ImportError:
        pytest.skip("eccsim.testbench.checks.run_testbench is not there yet")
    return run_testbench


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_run_testbench_passes_the_correct_design(good, run_testbench):
    rep = run_testbench(good, model="hsiao-secded", words=4, max_bits=2)
    assert rep.passed, rep.to_text()
    assert rep.disagreements == {} and rep.dut_kind == "rtl"
    rep = run_testbench(good, words=2, max_bits=2)  # the code identified from the encoder
    assert rep.passed, rep.to_text()


@needs_sim
@pytest.mark.slow  # a simulation of its own: the default suite keeps one per claim
def test_run_testbench_catches_each_buggy_decoder(run_testbench):
    words = 2
    with RTLDUT([BUGGY], k=K, r=R, decoder="hsiao_dec_detect_bug", constants={"mode": 1}) as dut:
        assert not dut.has_encoder and dut.has_decoder
        rep = run_testbench(dut, model="hsiao-secded", decoder="detect", words=words, max_bits=2)
    assert not rep.passed and rep.error is None
    assert rep.disagreements == {"unflagged_error": words}  # the lone check-bit-7 flip
    assert {tuple(f.error_bits) for f in rep.failures} == {(K + 7,)}

    with RTLDUT([GOOD, BUGGY], k=K, r=R, encoder="hsiao_enc",
                decoder="hsiao_dec_all_correctable") as dut:  # fmt: skip
        rep = run_testbench(dut, model="hsiao-secded", words=words, max_bits=2)
    assert not rep.passed
    # every 2-bit error "corrected": wrong data when a data bit flipped (C(64,2) + 64*8
    # patterns), right data but the wrong flag when both flips are check bits (C(8,2))
    assert rep.disagreements == {
        "corrected_wrong_data": (2016 + 512) * words,
        "corrected_where_model_flags": 28 * words,
    }

    with RTLDUT([GOOD, BUGGY], k=K, r=R, encoder="hsiao_enc",
                decoder="hsiao_dec_swapped") as dut:  # fmt: skip
        rep = run_testbench(dut, model="hsiao-secded", words=words, max_bits=2)
    # with these words (seed 0) bits 2 and 5 of every written check agree, so clean words pass
    # and the bug shows as wrong corrected check bits when bit 2 or 5 is flipped
    assert not rep.passed and rep.check("encoder linear").passed
    assert {tuple(f.error_bits) for f in rep.failures} <= {(K + 2,), (K + 5,)}, rep.to_text()
