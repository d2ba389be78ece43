"""The C shared-library DUT (eccsim.testbench.c_dut): a (72,64) Hsiao SEC-DED encoder/decoder in
C (tests/dut_examples/c/secded.c, its masks generated from eccsim's hsiao-secded at test time)
agrees with eccsim on clean words and every 1- and 2-bit error; the buggy variants differ;
crashes, exits and hangs become DUTErrors and leave no process behind; bad libraries are
refused when the DUT is created. The C sources are compiled with the system ``cc``."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import eccsim
from eccsim.errors import InputError
from eccsim.testbench import DUTError
from eccsim.testbench.c_dut import CLibraryDUT

SOURCES = Path(__file__).parent / "dut_examples" / "c"
CC = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler (cc, gcc or clang) on PATH")

BUGS = ["XOR_TWICE", "ALL_CORRECTABLE", "SWAP_CHECK", "SEGFAULT", "LOOP", "ABORT", "EXIT"]
CODE = "hsiao-secded"


def _compile(src: Path, out: Path, *flags: str) -> Path:
    cmd = [CC, "-O2", "-shared", "-fPIC", "-o", str(out), str(src), *flags]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{res.stderr}")
    return out


@pytest.fixture(scope="module")
def libs(tmp_path_factory) -> dict[str, Path]:
    """The correct library ('OK') and every buggy variant, compiled once for this module."""
    d = tmp_path_factory.mktemp("c_dut")
    masks = [int(m) for m in eccsim.get_code(CODE).check_masks[:, 0]]
    (d / "ecc_masks.h").write_text(
        "/* generated from eccsim's hsiao-secded: check bit j = parity(data & mask j) */\n"
        "#define ECC_MASKS { " + ", ".join(f"0x{m:016x}ULL" for m in masks) + " }\n"
    )
    out = {"OK": _compile(SOURCES / "secded.c", d / "libsecded.so", f"-I{d}")}
    for bug in BUGS:
        out[bug] = _compile(SOURCES / "secded.c", d / f"libsecded_{bug.lower()}.so", f"-I{d}",
                            f"-DBUG_{bug}")  # fmt: skip
    out["PROBE"] = _compile(SOURCES / "layout_probe.c", d / "libprobe.so", "-DW=2")
    out["FORKER"] = _compile(SOURCES / "forker.c", d / "libforker.so")
    return out


def _gone(pid: int) -> bool:
    """True when process ``pid`` no longer runs (reaped, or a zombie nobody reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _model(data: np.ndarray, check: np.ndarray):
    """eccsim's decode as (data (N,1), check, corrected, uncorrectable)."""
    code = eccsim.get_code(CODE)
    dec = eccsim.decode(code, data.copy(), check.astype(code.check_dtype))
    st = dec.status
    return (dec.data.reshape(-1, 1), dec.check.astype(np.uint64), st >= 0,
            st == eccsim.Status.UNCORRECTABLE)  # fmt: skip


def _all_1_2_bit_errors(data: np.ndarray, check: np.ndarray):
    """Every 1- and 2-bit error (over the 72 codeword bits) of every word: received data and
    check bits, 2,628 patterns per word, pattern-major."""
    pats = [(b,) for b in range(72)] + list(itertools.combinations(range(72), 2))
    dflip = np.zeros(len(pats), dtype=np.uint64)
    cflip = np.zeros(len(pats), dtype=np.uint64)
    for i, pat in enumerate(pats):
        for b in pat:
            if b < 64:
                dflip[i] ^= np.uint64(1 << b)
            else:
                cflip[i] ^= np.uint64(1 << (b - 64))
    rd = (dflip[:, None] ^ data[None, :]).reshape(-1)
    rc = (cflip[:, None] ^ check[None, :]).reshape(-1)
    return rd, rc, len(pats)


def _random_errors(rng, n: int):
    """n random words, their check bits, and received words: clean, one flip, two flips
    (anywhere in the 72 bits) in thirds."""
    code = eccsim.get_code(CODE)
    data = rng.integers(0, 2**64, n, dtype=np.uint64)
    check = eccsim.encode(code, data).astype(np.uint64)
    rd, rc = data.copy(), check.copy()
    for i in range(n):
        flips = rng.choice(72, size=i % 3, replace=False)
        for b in flips:
            if b < 64:
                rd[i] ^= np.uint64(1 << int(b))
            else:
                rc[i] ^= np.uint64(1 << int(b - 64))
    return data, check, rd, rc


# ---------------------------------------------------------------------------------------------
# the correct library
# ---------------------------------------------------------------------------------------------
def test_correct_library_equals_eccsim_on_random_words(libs, rng):
    data, check, rd, rc = _random_errors(rng, 3000)
    with CLibraryDUT(libs["OK"], k=64, r=8) as dut:
        assert dut.name == "libsecded.so" and (dut.k, dut.r) == (64, 8)
        assert np.array_equal(dut.encode(data), check)
        assert np.array_equal(dut.encode(data.reshape(-1, 1)), check)  # (N, 1) as well
        out = dut.decode(rd, rc)
    md, mc, mcorr, mdue = _model(rd, rc)
    assert out.data.shape == (3000, 1) and out.data.dtype == np.uint64
    assert np.array_equal(out.data, md)
    assert np.array_equal(out.check, mc)
    assert np.array_equal(out.corrected, mcorr)
    assert np.array_equal(out.uncorrectable, mdue)
    assert mcorr.any() and mdue.any() and (~mcorr & ~mdue).any()  # all three kinds were there


def test_every_1_and_2_bit_error_over_4_words_and_its_time(libs, rng):
    """Every 1- and 2-bit error of (72,64) over 4 data words through the C DUT equals eccsim;
    the time it takes is printed (run with -s), not asserted."""
    code = eccsim.get_code(CODE)
    data = rng.integers(0, 2**64, 4, dtype=np.uint64)
    t0 = time.perf_counter()
    dut = CLibraryDUT(libs["OK"], k=64, r=8)
    t1 = time.perf_counter()
    try:
        check = dut.encode(data)
        rd, rc, npat = _all_1_2_bit_errors(data, check)
        t2 = time.perf_counter()
        out = dut.decode(rd, rc)
        t3 = time.perf_counter()
        out_again = dut.decode(rd, rc)
        t4 = time.perf_counter()
    finally:
        dut.close()
    assert npat == 2628 and rd.shape == (4 * 2628,)
    assert np.array_equal(check, eccsim.encode(code, data))
    md, mc, mcorr, mdue = _model(rd, rc)
    for o in (out, out_again):
        assert np.array_equal(o.data, md) and np.array_equal(o.check, mc)
        assert np.array_equal(o.corrected, mcorr) and np.array_equal(o.uncorrectable, mdue)
    assert mcorr.sum() == 4 * 72 and mdue.sum() == 4 * 2556  # Hsiao: every 2-bit error a DUE
    print(f"\nC DUT, every 1-/2-bit error of (72,64) x 4 words = {rd.size} decodes: worker start "
          f"{1e3 * (t1 - t0):.1f} ms, encode+patterns {1e3 * (t2 - t1):.1f} ms, decode "
          f"{1e3 * (t3 - t2):.1f} ms (again {1e3 * (t4 - t3):.1f} ms), total "
          f"{1e3 * (t3 - t0):.1f} ms")  # fmt: skip


def test_batches_split_the_calls_and_keep_the_layout(libs, rng):
    """A wider DUT (k=128: two words per data word) through the layout probe, in batches of 7
    words: rows, words, check words and flag bits land where the docstring says."""
    n = 50
    data = rng.integers(0, 2**64, (n, 2), dtype=np.uint64)
    check = rng.integers(0, 2**64, n, dtype=np.uint64)
    with CLibraryDUT(libs["PROBE"], k=128, r=64, batch=7, name="probe") as dut:
        enc = dut.encode(data)
        out = dut.decode(data, check)
    rot = (data[:, 1] << np.uint64(1)) | (data[:, 1] >> np.uint64(63))
    assert np.array_equal(enc, data[:, 0] ^ rot)
    assert np.array_equal(out.data, data ^ np.array([0, 1], dtype=np.uint64))
    assert np.array_equal(out.check, check + np.uint64(1))
    flags = np.arange(n) % 7 % 4  # the probe's flags count the row within its call
    assert np.array_equal(out.corrected, (flags & 1) != 0)
    assert np.array_equal(out.uncorrectable, (flags & 2) != 0)


def test_decode_check_false_reports_no_check_bits(libs, rng):
    _, _, rd, rc = _random_errors(rng, 30)
    with CLibraryDUT(libs["OK"], k=64, r=8, decode_check=False) as dut:
        out = dut.decode(rd, rc)
    assert out.check is None
    assert np.array_equal(out.data, _model(rd, rc)[0])


def test_empty_batches(libs):
    with CLibraryDUT(libs["OK"], k=64, r=8) as dut:
        assert dut.encode(np.zeros((0, 1), dtype=np.uint64)).shape == (0,)
        out = dut.decode(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64))
        assert out.data.shape == (0, 1) and out.corrected.shape == (0,)


# ---------------------------------------------------------------------------------------------
# buggy libraries differ from eccsim where their bug says
# ---------------------------------------------------------------------------------------------
def _diff(libs, bug, rng):
    data, check, rd, rc = _random_errors(rng, 3000)
    with CLibraryDUT(libs[bug], k=64, r=8) as dut:
        enc = dut.encode(data)
        out = dut.decode(rd, rc)
    md, mc, mcorr, mdue = _model(rd, rc)
    nflips = np.arange(3000) % 3
    bad = (
        (out.data[:, 0] != md[:, 0])
        | (out.check != mc)
        | (out.corrected != mcorr)
        | (out.uncorrectable != mdue)
    )
    return data, enc != check, bad, nflips, out, mdue


def test_encoder_that_xors_a_data_bit_twice_differs(libs, rng):
    data, enc_bad, bad, nflips, _, _ = _diff(libs, "XOR_TWICE", rng)
    bit5 = ((data >> np.uint64(5)) & np.uint64(1)).astype(bool)
    assert np.array_equal(enc_bad, bit5)  # wrong check bits exactly where data bit 5 is set
    assert bad[(nflips == 1)].any()


def test_decoder_that_corrects_every_nonzero_syndrome_differs(libs, rng):
    _, enc_bad, bad, nflips, out, mdue = _diff(libs, "ALL_CORRECTABLE", rng)
    assert not enc_bad.any()
    assert not bad[nflips < 2].any()  # right on clean words and single errors
    assert mdue.any() and np.array_equal(bad, mdue)  # wrong on every double error
    assert out.corrected[mdue].all() and not out.uncorrectable.any()


def test_decoder_with_two_check_bits_swapped_differs(libs, rng):
    data, enc_bad, bad, nflips, out, _ = _diff(libs, "SWAP_CHECK", rng)
    assert not enc_bad.any()
    code = eccsim.get_code(CODE)
    check = eccsim.encode(code, data).astype(np.uint64)
    differ = ((check ^ (check >> np.uint64(1))) & np.uint64(1)).astype(bool)
    clean = nflips == 0
    assert np.array_equal(bad[clean], differ[clean])  # clean words fail where bits 0, 1 differ
    assert (out.corrected | out.uncorrectable)[clean & differ].all()


# ---------------------------------------------------------------------------------------------
# crashes, exits, hangs
# ---------------------------------------------------------------------------------------------
def _double_error_batch():
    code = eccsim.get_code(CODE)
    data = np.arange(1, 6, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    check = eccsim.encode(code, data).astype(np.uint64)
    rd = data.copy()
    rd[3] ^= np.uint64(0b11)  # a 2-bit error: an uncorrectable syndrome
    return data, check, rd


@pytest.mark.parametrize(
    ("bug", "what"),
    [
        ("SEGFAULT", "crashed (SIGSEGV)"),
        ("ABORT", "crashed (SIGABRT)"),
        ("EXIT", "exited with status 3"),
    ],
)
def test_a_crash_is_a_dut_error_and_the_next_call_starts_afresh(libs, bug, what):
    data, check, rd = _double_error_batch()
    with CLibraryDUT(libs[bug], k=64, r=8, timeout_s=30) as dut:
        pid = dut.worker_pid
        assert np.array_equal(dut.encode(data), check)  # fine until it meets a double error
        with pytest.raises(DUTError) as ei:
            dut.decode(rd, check)
        msg = str(ei.value)
        assert f"DUT 'libsecded_{bug.lower()}.so'" in msg
        assert "ecc_decode on a batch of 5 words (words 0..4 of 5)" in msg
        assert str(libs[bug]) in msg and what in msg and "\n" not in msg
        if bug == "ABORT":  # what the DUT printed last comes along
            assert "uncorrectable syndrome" in msg
        assert _gone(pid) and dut.worker_pid is None
        out = dut.decode(data, check)  # a fresh worker
        assert dut.worker_pid not in (None, pid)
        assert not (out.corrected | out.uncorrectable).any()
        pid2 = dut.worker_pid
    assert _gone(pid2) and dut.worker_pid is None


def test_a_crash_names_the_failing_batch(libs):
    data, check, rd = _double_error_batch()
    rd = np.tile(data, 20)
    rd[57] ^= np.uint64(0b11)
    with CLibraryDUT(libs["SEGFAULT"], k=64, r=8, batch=25) as dut:
        with pytest.raises(DUTError, match=r"batch of 25 words \(words 50\.\.74 of 100\)"):
            dut.decode(rd, np.tile(check, 20))


def _group_members(pgid: int) -> list[int]:
    """Live processes in process group ``pgid`` (Linux /proc)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                state, _, pgrp = (p / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == pgid and state not in ("Z", "X"):
                out.append(int(p.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_crash_after_the_dut_forked_leaves_no_process_behind(libs):
    """The DUT's own child keeps the pipes open: the crash is still reported as a crash,
    and the child is killed with the worker's process group."""
    with CLibraryDUT(libs["FORKER"], k=64, r=8, timeout_s=120) as dut:
        pid = dut.worker_pid
        with pytest.raises(DUTError, match=r"ecc_encode .*crashed \(SIGSEGV\)"):
            dut.encode(np.zeros(3, dtype=np.uint64))
        assert _gone(pid) and not _group_members(pid)


def test_a_hang_times_out_kills_the_worker_and_recovers(libs):
    data, check, rd = _double_error_batch()
    with CLibraryDUT(libs["LOOP"], k=64, r=8, timeout_s=1.5) as dut:
        pid = dut.worker_pid
        t0 = time.monotonic()
        with pytest.raises(DUTError) as ei:
            dut.decode(rd, check)
        took = time.monotonic() - t0
        msg = str(ei.value)
        assert "ecc_decode on a batch of 5 words" in msg and "timed out after 1.5 s" in msg
        assert "libsecded_loop.so" in msg
        assert took < 60  # not a timing check: only that the limit, not the DUT, ended it
        assert _gone(pid)
        out = dut.decode(data, check)
        assert not out.uncorrectable.any()
        pid2 = dut.worker_pid
    assert _gone(pid2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_the_worker_dies_with_eccsim_even_inside_a_hang(libs, tmp_path):
    """Kill -9 the process that holds the DUT while its worker spins in the DUT's endless
    loop: the worker goes too."""
    script = tmp_path / "holder.py"
    script.write_text(
        "import sys, numpy as np\n"
        "from eccsim.testbench.c_dut import CLibraryDUT\n"
        "dut = CLibraryDUT(sys.argv[1], k=64, r=8, timeout_s=3600)\n"
        "print(dut.worker_pid, flush=True)\n"
        "dut.decode(np.array([3], dtype=np.uint64), np.zeros(1, dtype=np.uint64))\n"
    )
    holder = subprocess.Popen([sys.executable, str(script), str(libs["LOOP"])],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        pid = int(holder.stdout.readline())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the worker has spent CPU time in the loop
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[11]) > 20:  # utime in clock ticks
                break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never started spinning")
        holder.kill()
        holder.wait(30)
        deadline = time.monotonic() + 30
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), "the worker outlived the process that held the DUT"
    finally:
        holder.kill()
        holder.wait(30)


def test_close_is_idempotent_and_a_closed_dut_refuses(libs):
    dut = CLibraryDUT(libs["OK"], k=64, r=8)
    pid = dut.worker_pid
    dut.close()
    dut.close()
    assert _gone(pid) and dut.worker_pid is None
    with pytest.raises(DUTError, match="after close"):
        dut.encode(np.zeros(1, dtype=np.uint64))


def test_garbage_collection_kills_the_worker(libs):
    dut = CLibraryDUT(libs["OK"], k=64, r=8)
    pid = dut.worker_pid
    del dut
    import gc

    gc.collect()
    assert _gone(pid)


# ---------------------------------------------------------------------------------------------
# bad libraries and bad arguments
# ---------------------------------------------------------------------------------------------
def test_a_missing_file_is_a_dut_error(tmp_path):
    with pytest.raises(DUTError, match=r"C library '.*nothere\.so' does not exist"):
        CLibraryDUT(tmp_path / "nothere.so", k=64, r=8)
    with pytest.raises(DUTError, match="is not a file"):
        CLibraryDUT(tmp_path, k=64, r=8)


def test_a_file_that_is_not_a_library_is_a_dut_error(tmp_path):
    f = tmp_path / "libfake.so"
    f.write_text("not an ELF file\n")
    with pytest.raises(DUTError) as ei:
        CLibraryDUT(f, k=64, r=8)
    msg = str(ei.value)
    assert str(f) in msg and "cannot be loaded as a shared library" in msg and "\n" not in msg


@pytest.mark.parametrize("which", ["encode_symbol", "decode_symbol"])
def test_a_missing_symbol_is_a_dut_error(libs, which):
    with pytest.raises(DUTError) as ei:
        CLibraryDUT(libs["OK"], k=64, r=8, **{which: "ecc_nope"})
    msg = str(ei.value)
    assert str(libs["OK"]) in msg and "has no symbol 'ecc_nope'" in msg


def test_other_symbol_names(libs, tmp_path):
    src = tmp_path / "renamed.c"
    src.write_text(
        "#include <stddef.h>\n#include <stdint.h>\n"
        "void my_enc(const uint64_t *d, uint64_t *c, size_t n)"
        " { for (size_t i = 0; i < n; i++) c[i] = d[i] & 0xff; }\n"
        "void my_dec(const uint64_t *d, const uint64_t *c, uint64_t *od, uint64_t *oc,"
        " uint8_t *f, size_t n) { for (size_t i = 0; i < n; i++)"
        " { od[i] = d[i]; oc[i] = c[i]; f[i] = 2; } }\n"
    )
    lib = _compile(src, tmp_path / "librenamed.so")
    with CLibraryDUT(lib, k=64, r=8, encode_symbol="my_enc", decode_symbol="my_dec",
                     name="renamed") as dut:  # fmt: skip
        assert dut.name == "renamed"
        assert list(dut.encode(np.array([0x1234], dtype=np.uint64))) == [0x34]
        assert dut.decode(np.array([1], dtype=np.uint64), np.array([2])).uncorrectable.all()


def test_check_words_wider_than_r_are_a_dut_error(libs):
    with CLibraryDUT(libs["PROBE"], k=128, r=8) as dut:
        with pytest.raises(DUTError, match="wider than r=8"):
            dut.encode(np.full((3, 2), 2**63, dtype=np.uint64))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0, "r": 8},
        {"k": 64, "r": 65},
        {"k": 64, "r": True},
        {"k": 64, "r": 8, "timeout_s": 0},
        {"k": 64, "r": 8, "batch": 0},
        {"k": 64, "r": 8, "encode_symbol": ""},
        {"k": 64, "r": 8, "decode_check": 1},
    ],
)
def test_bad_arguments_are_input_errors(libs, kwargs):
    with pytest.raises(InputError):
        CLibraryDUT(libs["OK"], **kwargs)


def test_bad_arrays_are_input_errors(libs):
    with CLibraryDUT(libs["OK"], k=64, r=8) as dut:
        with pytest.raises(InputError, match="data must be"):
            dut.encode(np.zeros((3, 2), dtype=np.uint64))
        with pytest.raises(InputError, match="data must be"):
            dut.encode(np.zeros(3, dtype=np.float64))
        with pytest.raises(InputError, match="check must be"):
            dut.decode(np.zeros(3, dtype=np.uint64), np.zeros(2, dtype=np.uint64))


# ---------------------------------------------------------------------------------------------
# the test bench's verdicts on the C libraries (eccsim.testbench.run_testbench)
# ---------------------------------------------------------------------------------------------
def _bench(libs, bug, **kw):
    from eccsim.testbench import run_testbench

    with CLibraryDUT(libs[bug], k=64, r=8, timeout_s=kw.pop("timeout_s", 10)) as dut:
        return run_testbench(dut, **{"model": CODE, "max_bits": 3, **kw})


def test_testbench_passes_the_correct_library_and_identifies_its_code(libs, tmp_path):
    rep = _bench(libs, "OK")
    assert rep.passed, rep.to_text()
    assert rep.check("conforms to model").passed
    rep = _bench(libs, "OK", model=None, max_bits=2)
    assert rep.passed and rep.identified_code
    f = tmp_path / "identified.txt"
    f.write_text(rep.identified_code)
    assert np.array_equal(eccsim.load_code(f).H, eccsim.get_code(CODE).H)


def test_testbench_catches_the_encoder_that_xors_a_data_bit_twice(libs):
    rep = _bench(libs, "XOR_TWICE")
    assert not rep.passed and rep.check("conforms to model").passed is False
    first = next(j for j in range(8) if (int(eccsim.get_code(CODE).check_masks[j, 0]) >> 5) & 1)
    assert rep.mask_differences == {str(first): [5]}  # check bit `first` lacks data bit 5


def test_testbench_catches_the_decoder_that_corrects_every_syndrome(libs):
    rep = _bench(libs, "ALL_CORRECTABLE")
    assert not rep.passed and rep.check("conforms to model").passed
    assert not rep.check("decoder matches model").passed
    assert not rep.check("flags consistent with data").passed
    assert rep.disagreements["corrected_wrong_data"] > 0
    g = {x.label: x for x in rep.groups}
    assert g["1 bit"].failed == 0 and g["2 bits"].failed == g["2 bits"].cases
    assert rep.failures[0].weight == 2 and rep.failures[0].dut_corrected


def test_testbench_catches_the_decoder_with_two_check_bits_swapped(libs):
    rep = _bench(libs, "SWAP_CHECK")
    assert not rep.passed and rep.check("conforms to model").passed  # its encoder is right
    assert not rep.check("decoder matches model").passed
    assert rep.failures[0].weight == 0  # it already fails on clean words


@pytest.mark.parametrize(("bug", "what"), [("SEGFAULT", "SIGSEGV"), ("LOOP", "timed out")])
def test_testbench_reports_a_crashing_or_hanging_library(libs, bug, what):
    rep = _bench(libs, bug, timeout_s=1.5)
    assert not rep.passed and rep.error and what in rep.error and "ecc_decode" in rep.error
    assert rep.check("conforms to model").passed  # the encoder checks ran before the decoder's
