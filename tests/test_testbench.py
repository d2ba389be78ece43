"""The test bench on Python DUTs: the correct (72,64) Hsiao SEC-DED passes and its H is
identified; each deliberately buggy DUT is caught with the right disagreement kind; bad DUTs
(raising, wrong shapes, too slow) give DUTError reports, never a hang; recorded vectors round-trip
and corrupt or malformed files are caught; the report's text, JSON and figure; the CLI."""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
import pytest
from dut_examples import python_duts as ex

import eccsim
from eccsim.cli import main
from eccsim.errors import EccsimError, FileFormatError, InputError, ModuleError
from eccsim.testbench import (
    KINDS,
    DecodeOut,
    DUTError,
    PythonDUT,
    RecordedVectors,
    TestbenchReport,
    load_python_dut,
    record_vectors,
    run_testbench,
)

HSIAO = eccsim.get_code("hsiao-secded")
EXAMPLES = "tests/dut_examples/python_duts.py"
FAST = {"max_bits": 3}  # exhaustive 0-3-bit errors: a fraction of a second


def _load_identified(report: TestbenchReport, tmp_path) -> eccsim.LinearCode:
    p = tmp_path / "identified.txt"
    p.write_text(report.identified_code)
    return eccsim.load_code(p)


# ----- the correct DUT ------------------------------------------------------------------------------
class TestCorrectDUT:
    def test_passes_and_identifies_hsiao(self, tmp_path):
        rep = run_testbench(ex.correct_dut())
        assert rep.passed, rep.to_text()
        assert [c.passed for c in rep.checks] == [True, True, True, True]
        assert rep.check("code identified").passed
        code = _load_identified(rep, tmp_path)
        assert np.array_equal(code.H, HSIAO.H)
        assert code.decoder == "sec" and rep.decoder == "sec"
        assert "identified from the DUT's encoder" in rep.model_source
        # every 0-2-bit error exhaustively, 3-bit exhaustively, 4-bit sampled (counts stated)
        g = {x.label: x for x in rep.groups}
        assert g["1 bit"].cases == 72 * 4 and g["2 bits"].cases == math.comb(72, 2) * 4
        assert g["3 bits"].mode == "exhaustive" and g["3 bits"].cases == math.comb(72, 3) * 4
        assert g["4 bits"].mode == "sampled" and g["4 bits"].cases == 200_000
        assert "200,000 sampled" in g["4 bits"].note
        assert g["1 bit"].dut == {"ce": 288} == g["1 bit"].model
        assert g["2 bits"].dut == {"due": 10224}
        assert not rep.disagreements and not rep.failures

    def test_conforms_to_the_catalogue_code(self):
        rep = run_testbench(ex.correct_dut(), model="hsiao-secded", **FAST)
        assert rep.passed and rep.check("conforms to model").passed
        assert rep.model == "hsiao-secded" and rep.model_source == "given"

    def test_one_and_two_bit_errors_are_exhaustive_and_quick(self):
        rep = run_testbench(ex.correct_dut(), max_bits=2, words=4)
        assert sum(g.cases for g in rep.groups) == 4 * (1 + 72 + math.comb(72, 2))
        assert all(g.mode == "exhaustive" for g in rep.groups)
        assert rep.passed

    def test_module_chip_and_pin_faults(self):
        rep = run_testbench(ex.correct_dut(), module="x8-ecc-dimm", max_bits=1)
        g = {x.label: x for x in rep.groups}
        chip, pin = g["chip (x8-ecc-dimm)"], g["pin (x8-ecc-dimm)"]
        assert chip.total_patterns == chip.patterns == 9 * 255
        assert pin.patterns == 72 and chip.mode == pin.mode == "exhaustive"
        assert chip.cases == 9 * 255 * 4
        assert rep.passed

    def test_module_must_fit(self):
        with pytest.raises(ModuleError, match="x4-chipkill-dimm"):
            run_testbench(ex.correct_dut(), module="x4-chipkill-dimm", max_bits=1)
        with pytest.raises(ModuleError, match="unknown module"):
            run_testbench(ex.correct_dut(), module="x9-dimm")

    def test_per_word_callables(self):
        rep = run_testbench(ex.perword_dut(), model="hsiao-secded", max_bits=3,
                            max_exhaustive=0, max_sampled=500)  # fmt: skip
        assert rep.passed, rep.to_text()
        assert rep.groups[3].mode == "sampled" and rep.groups[3].cases == 500

    def test_wide_code(self):
        """A (136,128) code: two data words per codeword (eccsim's codec as the DUT)."""
        code = eccsim.get_code("hamming-sec-136")

        def enc(d):
            return eccsim.encode(code, np.ascontiguousarray(d)).astype(np.uint64)

        def dec(d, c):
            fixed, chk, status = eccsim.decode(code, np.ascontiguousarray(d), c.astype(np.uint8))
            return fixed, chk.astype(np.uint64), status >= 0, status == -2

        dut = PythonDUT(enc, dec, k=128, r=8, name="codec-136")
        rep = run_testbench(dut, model="hamming-sec-136", max_bits=2)
        assert rep.passed, rep.to_text()
        rep = run_testbench(dut, max_bits=1)
        assert rep.passed and rep.decoder == "sec"

    def test_affine_encoder(self):
        """Inverted check bits: the linearity check fails (affine), the decoder still matches."""

        def enc(d):
            return ex.hsiao_encode(d) ^ np.uint64(0xFF)

        def dec(d, c):
            out = ex.hsiao_decode(d, c ^ np.uint64(0xFF))
            return DecodeOut(out.data, out.check ^ np.uint64(0xFF), out.corrected,
                             out.uncorrectable)  # fmt: skip

        rep = run_testbench(PythonDUT(enc, dec, k=64, r=8), model="hsiao-secded", max_bits=2)
        lin = rep.check("encoder linear")
        assert lin.passed is False and "affine" in lin.summary and rep.check_offset == 0xFF
        assert rep.check("conforms to model").passed
        assert rep.check("decoder matches model").passed


# ----- the buggy DUTs -------------------------------------------------------------------------------
class TestBuggyDUTs:
    def test_detect_only_mode_missing_the_parity_flip(self):
        rep = run_testbench(ex.buggy_detect_parity_dut(), model="hamming-secded",
                            decoder="detect", **FAST)  # fmt: skip
        assert not rep.passed
        assert rep.check("conforms to model").passed
        assert not rep.check("decoder matches model").passed
        assert rep.disagreements["unflagged_error"] == 4  # the parity bit, on each of 4 words
        assert rep.disagreements["silent_corruption"] > 0  # 3-bit data errors it lets through
        first = rep.failures[0]
        assert first.kind == "unflagged_error" and first.error_bits == [71]
        assert not first.dut_uncorrectable and first.model_outcome == "due"
        # the same design passes in its SEC mode, and without the bug in detect mode
        assert run_testbench(ex.hamming_sec_dut(), model="hamming-secded", **FAST).passed
        assert run_testbench(ex.hamming_detect_dut(), model="hamming-secded", decoder="detect",
                             **FAST).passed  # fmt: skip

    def test_encoder_xoring_a_data_bit_twice(self):
        rep = run_testbench(ex.buggy_xor_twice_dut(), model="hsiao-secded", **FAST)
        conf = rep.check("conforms to model")
        assert conf.passed is False and not rep.passed
        assert rep.mask_differences == {"2": [ex.XOR_TWICE_DATA]}
        assert f"check bit 2: lacks data bit {ex.XOR_TWICE_DATA}" in conf.details[0]
        assert rep.check("decoder matches model").passed  # its decoder is the right one
        # without a model the identified code is the buggy encoder's: one entry of H differs
        rep = run_testbench(ex.buggy_xor_twice_dut(), max_bits=2)
        ident = rep.identified_code.splitlines()
        want = int(HSIAO.check_masks[2, 0]) ^ (1 << ex.XOR_TWICE_DATA)
        assert int(ident[3 + 2], 16) == want
        assert not rep.check("decoder matches model").passed

    def test_decoder_treating_every_syndrome_as_correctable(self):
        rep = run_testbench(ex.buggy_all_correctable_dut(), model="hsiao-secded", **FAST)
        assert not rep.passed
        assert rep.disagreements["corrected_wrong_data"] > 0
        assert not rep.check("flags consistent with data").passed
        assert rep.failures[0].weight == 2 and rep.failures[0].kind == "corrected_wrong_data"
        assert rep.failures[0].dut_corrected and rep.failures[0].model_outcome == "due"
        g = {x.label: x for x in rep.groups}
        assert g["1 bit"].failed == 0 and g["2 bits"].failed == g["2 bits"].cases
        assert g["2 bits"].dut.get("due", 0) == 0 and g["2 bits"].model == {"due": 10224}

    def test_two_check_bits_swapped(self):
        rep = run_testbench(ex.buggy_swapped_dut(), model="hsiao-secded", **FAST)
        perm = list(range(8))
        perm[3], perm[6] = 6, 3
        assert rep.check_permutation == perm
        conf = rep.check("conforms to model")
        assert conf.passed is False and "permutation" in conf.summary
        assert "DUT check bit 3 = model check bit 6" in conf.details
        assert rep.check("decoder matches model").passed  # consistent in its own order
        assert not rep.passed

    def test_encoder_only_swapped(self):
        rep = run_testbench(ex.encoder_only_swapped_dut(), model="hsiao-secded", max_bits=2)
        assert rep.check_permutation is not None
        assert not rep.check("decoder matches model").passed

    def test_failures_are_lightest_first_and_at_most_ten(self):
        rep = run_testbench(ex.buggy_all_correctable_dut(), module="x8-ecc-dimm", **FAST)
        weights = [f.weight for f in rep.failures]
        assert weights == sorted(weights) and 1 <= len(weights) <= 10
        assert set(rep.disagreements) <= set(KINDS)
        text = rep.to_text()
        assert "smallest failing patterns" in text and "DUT:" in text and "model:" in text


# ----- DUTs that misbehave --------------------------------------------------------------------------
class TestBadDUTs:
    def test_raising_encoder(self):
        rep = run_testbench(PythonDUT(ex.raising_encode, ex.hsiao_decode, k=64, r=8, name="boom"))
        assert not rep.passed and "encoder exploded" in rep.error
        assert "DUT 'boom': encode raised RuntimeError" in rep.error
        assert rep.check("encoder linear").passed is False

    def test_wrong_shape(self):
        rep = run_testbench(PythonDUT(ex.wrong_shape_encode, ex.hsiao_decode, k=64, r=8))
        assert "shape" in rep.error and not rep.passed

    def test_wrong_decode_type(self):
        rep = run_testbench(PythonDUT(ex.hsiao_encode, ex.wrong_type_decode, k=64, r=8))
        assert "decode returned str" in rep.error
        assert rep.check("decoder matches model").passed is False

    def test_too_slow_is_stopped(self):
        dut = PythonDUT(ex.hsiao_encode, ex.sleepy_decode, k=64, r=8, timeout_s=1.0, name="zzz")
        rep = run_testbench(dut, max_bits=1)  # sleepy_decode sleeps 30 s: stopped after 1 s
        assert "DUT 'zzz': decode ran past the time limit of 1 s per batch" in rep.error
        assert "DUT error" in rep.to_text()

    def test_per_word_errors(self):
        def bad_decode(x, c):
            return (x, c, 2, False)

        rep = run_testbench(PythonDUT(ex.perword_encode, bad_decode, k=64, r=8,
                                      vectorized=False), max_bits=1)  # fmt: skip
        assert "corrected=2" in rep.error and "word 0" in rep.error
        rep = run_testbench(PythonDUT(lambda x: 1 << 9, ex.perword_decode, k=64, r=8,
                                      vectorized=False), max_bits=1)  # fmt: skip
        assert "not a 8-bit" in rep.error

    def test_no_time_limit_outside_the_main_thread(self):
        def slow_decode(d, c):
            time.sleep(0.3)
            return ex.hsiao_decode(d, c)

        dut = PythonDUT(ex.hsiao_encode, slow_decode, k=64, r=8, timeout_s=0.05)
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", run_testbench(dut, max_bits=0)))
        t.start()
        t.join()
        assert out["r"].passed

    @pytest.mark.parametrize(
        ("kw", "match"),
        [
            ({"k": 0, "r": 8}, "k=0"),
            ({"k": 64, "r": 65}, "r=65"),
            ({"k": 64, "r": True}, "r=True"),
            ({"k": 64, "r": 8, "timeout_s": -1}, "timeout_s"),
            ({"k": 64, "r": 8, "vectorized": "yes"}, "vectorized"),
        ],
    )
    def test_bad_arguments(self, kw, match):
        with pytest.raises(InputError, match=match):
            PythonDUT(ex.hsiao_encode, ex.hsiao_decode, **kw)

    def test_bad_bench_arguments(self):
        dut = ex.correct_dut()
        with pytest.raises(InputError, match="words=0"):
            run_testbench(dut, words=0)
        with pytest.raises(InputError, match="max_bits=5"):
            run_testbench(dut, max_bits=5)
        with pytest.raises(InputError, match=r"model 'chipkill-x4' is a \(144,128\)"):
            run_testbench(dut, model="chipkill-x4")
        with pytest.raises(InputError, match="decoder='maybe'"):
            run_testbench(dut, model="hsiao-secded", decoder="maybe")
        with pytest.raises(InputError, match="not a DUT"):
            run_testbench(object())
        with pytest.raises(InputError, match="encode=3"):
            PythonDUT(3, ex.hsiao_decode, k=64, r=8)


# ----- loading Python DUTs by name ------------------------------------------------------------------
class TestLoad:
    def test_factory_and_callables(self):
        dut = load_python_dut(f"{EXAMPLES}:correct_dut")
        assert dut.name == "hsiao-correct" and dut.k == 64
        dut = load_python_dut(f"{EXAMPLES}:hsiao_encode,hsiao_decode", k=64, r=8)
        assert run_testbench(dut, max_bits=1).passed

    def test_errors(self, tmp_path):
        with pytest.raises(InputError, match="colon"):
            load_python_dut("nothing-here")
        with pytest.raises(InputError, match="does not exist"):
            load_python_dut("missing.py:a,b", k=64, r=8)
        with pytest.raises(InputError, match="no attribute 'nope'"):
            load_python_dut(f"{EXAMPLES}:nope,hsiao_decode", k=64, r=8)
        with pytest.raises(InputError, match="--k and --r"):
            load_python_dut(f"{EXAMPLES}:hsiao_encode,hsiao_decode")
        with pytest.raises(InputError, match="--k 32"):
            load_python_dut(f"{EXAMPLES}:correct_dut", k=32)
        bad = tmp_path / "bad.py"
        bad.write_text("def enc(:\n")
        with pytest.raises(DUTError, match=r"loading .*bad\.py raised SyntaxError"):
            load_python_dut(f"{bad}:enc,dec", k=64, r=8)
        with pytest.raises(InputError, match="no module named"):
            load_python_dut("no_such_module_xyz:enc,dec", k=64, r=8)


# ----- recorded vectors -----------------------------------------------------------------------------
class TestVectors:
    @pytest.mark.parametrize("ext", ["csv", "json"])
    def test_round_trip(self, tmp_path, ext):
        path = record_vectors(ex.correct_dut(), tmp_path / f"v.{ext}")
        v = RecordedVectors(path)
        assert (v.k, v.r) == (64, 8) and len(v.dec_lines) == 4 * (1 + 72 + math.comb(72, 2))
        rep = run_testbench(v, model="hsiao-secded")
        assert rep.passed, rep.to_text()
        rep = run_testbench(v)
        assert rep.passed and np.array_equal(_load_identified(rep, tmp_path).H, HSIAO.H)
        with pytest.raises(InputError, match="exists"):
            record_vectors(ex.correct_dut(), path)

    def test_buggy_decoder_rows(self, tmp_path):
        path = record_vectors(ex.buggy_all_correctable_dut(), tmp_path / "v.csv")
        rep = run_testbench(RecordedVectors(path), model="hsiao-secded")
        assert not rep.passed and rep.disagreements["corrected_wrong_data"] > 0
        assert rep.failures[0].where.startswith("line ")

    def test_swapped_rows(self, tmp_path):
        path = record_vectors(ex.buggy_swapped_dut(), tmp_path / "v.json")
        rep = run_testbench(RecordedVectors(path), model="hsiao-secded")
        assert rep.check_permutation == [0, 1, 2, 6, 4, 5, 3, 7]
        assert rep.check("decoder matches model").passed

    def test_corrupt_rows_are_caught(self, tmp_path):
        path = record_vectors(ex.correct_dut(), tmp_path / "v.csv")
        lines = path.read_text().splitlines()
        dec = next(i for i, line in enumerate(lines) if line.startswith("dec,") and
                   line.endswith(",1,0"))  # fmt: skip
        lines[dec] = lines[dec][: -len("1,0")] + "0,1"  # a corrected word now says uncorrectable
        enc = next(i for i, line in enumerate(lines) if line.startswith("enc,")) + 5
        cells = lines[enc].split(",")
        cells[2] = hex(int(cells[2], 16) ^ 1)  # one wrong check bit in an encoder row
        lines[enc] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
        rep = run_testbench(RecordedVectors(path), model="hsiao-secded")
        assert not rep.passed
        assert f"line {enc + 1}" in rep.check("enc rows match model").details[0]
        assert rep.disagreements == {"flagged_data_changed": 1}  # it corrected the data
        assert rep.failures[0].where == f"line {dec + 1}"

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("# eccsim: k=64 r=8\nenc,0x1,0x2\nenc,0xzz,0x1\n", "line 3: data='0xzz' is not an"),
            ("# eccsim: k=64 r=8\nenc,0x1\n", "line 2: an enc row is"),
            ("# eccsim: k=64 r=8\ndec,1,2,3\n", "line 2: a dec row is"),
            ("# eccsim: k=64 r=8\nenc,0x1,0x100\n", "line 2: check='0x100' does not fit 8"),
            ("# eccsim: k=64 r=8\ndec,1,2,3,,2,0\n", "line 2: corrected='2' must be 0 or 1"),
            ("# eccsim: k=64 r=8\nfoo,1,2\n", "line 2: a row starts with 'enc' or 'dec'"),
            ("enc,0x1,0x2\n", "sizes are not known"),
            ("# eccsim: k=64 r=8\n", "holds no enc or dec rows"),
            ("# eccsim: q=3\n", "line 1"),
        ],
    )
    def test_malformed_csv(self, tmp_path, text, match):
        p = tmp_path / "v.csv"
        p.write_text(text)
        with pytest.raises(FileFormatError, match=match):
            RecordedVectors(p)

    @pytest.mark.parametrize(
        ("obj", "match"),
        [
            ({"k": 64, "r": 8, "encode": [["0x1", "0x2"], ["0x1"]]}, r"encode\[1\]: a row is"),
            ({"k": 64, "r": 8, "decode": [[1, 2, 3, None, True, "x"]]}, r"decode\[0\]"),
            ({"k": 64, "r": 8, "encodes": []}, "unknown key"),
            ([1, 2], "expected an object"),
        ],
    )
    def test_malformed_json(self, tmp_path, obj, match):
        p = tmp_path / "v.json"
        p.write_text(json.dumps(obj))
        with pytest.raises(FileFormatError, match=match):
            RecordedVectors(p)

    def test_sizes_must_agree(self, tmp_path):
        p = tmp_path / "v.csv"
        p.write_text("# eccsim: k=64 r=8\nenc,1,2\n")
        with pytest.raises(FileFormatError, match="declares k=64, but k=32"):
            RecordedVectors(p, k=32)
        with pytest.raises(FileFormatError, match="does not exist"):
            RecordedVectors(tmp_path / "none.csv")


# ----- the report -----------------------------------------------------------------------------------
class TestReport:
    def test_text_json_and_figure(self, tmp_path):
        rep = run_testbench(ex.buggy_all_correctable_dut(), model="hsiao-secded", max_bits=2)
        text = rep.to_text()
        for s in ("result: FAIL", "FAIL  decoder matches model", "corrected_wrong_data",
                  "outcomes, DUT beside model", "2 bits"):  # fmt: skip
            assert s in text
        rep.to_json(tmp_path / "r.json")
        d = json.loads((tmp_path / "r.json").read_text())
        assert d["passed"] is False and d["disagreements"]["corrected_wrong_data"] > 0
        assert d["groups"][2]["model"] == {"due": 10224} and len(d["failures"]) == 10
        assert rep.plot(tmp_path / "r.png").stat().st_size > 1000
        with pytest.raises(EccsimError, match="extension"):
            rep.plot(tmp_path / "r.gif")


# ----- the command line -----------------------------------------------------------------------------
class TestCLI:
    def test_pass_fail_and_out(self, tmp_path, capsys, monkeypatch):
        monkeypatch.chdir(tmp_path.parent)
        monkeypatch.chdir(__import__("pathlib").Path(__file__).parent.parent)
        out = tmp_path / "tb"
        rc = main(["testbench", "--python", f"{EXAMPLES}:correct_dut", "--max-bits", "2"])
        assert rc == 0 and "result: PASS" in capsys.readouterr().out
        args = ["testbench", "--python", f"{EXAMPLES}:buggy_detect_parity_dut", "--model",
                "hamming-secded", "--decoder", "detect", "--max-bits", "2", "--out", str(out)]  # fmt: skip
        assert main(args) == 1
        assert "unflagged_error" in capsys.readouterr().out
        assert {p.name for p in out.iterdir()} >= {"report.txt", "report.json", "report.png"}
        assert main(args) == 2 and "--force" in capsys.readouterr().err
        assert main([*args, "--force"]) == 1

    def test_vectors_and_usage_errors(self, tmp_path, capsys, monkeypatch):
        monkeypatch.chdir(__import__("pathlib").Path(__file__).parent.parent)
        v = record_vectors(ex.correct_dut(), tmp_path / "v.csv")
        assert main(["testbench", "--vectors", str(v), "--model", "hsiao-secded"]) == 0
        capsys.readouterr()
        for argv, msg in [
            (["testbench"], "one of the arguments"),
            (["testbench", "--python", "x.py:a,b", "--k", "64", "--r", "8"], "does not exist"),
            (["testbench", "--c", str(tmp_path / "none.so"), "--k", "64", "--r", "8"],
             "no such file"),
            (["testbench", "--python", f"{EXAMPLES}:correct_dut", "--model", "nope"],
             "unknown code"),
            (["testbench", "--vectors", str(v), "--module", "x8-ecc-dimm"], "--module"),
            (["testbench", "--python", f"{EXAMPLES}:correct_dut", "--words", "0"], "--words"),
        ]:  # fmt: skip
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert msg in err and err.count("\n") == 1, err
