"""Files in and out: hostile inputs are refused from their size or header alone, with one-line
errors naming the file; writes are atomic, never through a planted symlink, and one results
folder takes one run at a time (the lock dies with its holder)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from eccsim.errors import EccsimError, FileFormatError, InputError
from eccsim.safeio import (
    LOCK_NAME,
    FolderLock,
    atomic_write_text,
    check_output_path,
    load_json,
    load_npy,
    parse_json,
    read_text,
)
from eccsim.validate import is_int, require_int, require_number, suggest


# ----- reading ---------------------------------------------------------------------------------
def npy_with_header(path, shape, dtype="<u8", payload=b""):
    """A .npy file whose header claims ``shape`` whatever the payload holds."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(payload)


def test_a_npy_header_claiming_a_trillion_elements_is_refused_before_reading(tmp_path):
    p = tmp_path / "huge.npy"
    npy_with_header(p, (10**12,))
    with pytest.raises(FileFormatError, match=r"1,000,000,000,000 elements.*limit"):
        load_npy(p)


def test_a_truncated_npy_is_refused(tmp_path):
    p = tmp_path / "short.npy"
    npy_with_header(p, (100,), payload=b"\0" * 80)
    with pytest.raises(FileFormatError, match="truncated"):
        load_npy(p)


def test_a_npz_renamed_npy_is_named_as_such(tmp_path):
    p = tmp_path / "lines.npy"
    with open(p, "wb") as fh:
        np.savez(fh, a=np.arange(3))
    with pytest.raises(FileFormatError, match=r"lines\.npy.*npz"):
        load_npy(p)


def test_text_is_not_a_npy(tmp_path):
    p = tmp_path / "x.npy"
    p.write_text("hello")
    with pytest.raises(FileFormatError, match=r"not a \.npy"):
        load_npy(p)


def test_object_arrays_are_refused(tmp_path):
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FileFormatError, match="Python objects"):
        load_npy(p)


def test_a_good_npy_reads_back(tmp_path):
    p = tmp_path / "ok.npy"
    a = np.arange(12, dtype=np.uint64).reshape(3, 4)
    np.save(p, a)
    assert np.array_equal(load_npy(p), a)


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_refused_with_the_limit(depth):
    with pytest.raises(FileFormatError, match=r"nested too deeply.*32"):
        parse_json("[" * depth + "]" * depth, where="f.json")


def test_json_at_the_depth_limit_is_fine():
    assert parse_json("[" * 32 + "]" * 32, where="f.json") is not None


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "[1,", ""])
def test_non_finite_or_malformed_json_names_the_file(text):
    with pytest.raises(FileFormatError, match=r"f\.json"):
        parse_json(text, where="f.json")


def test_oversized_files_are_refused_from_their_size(tmp_path):
    p = tmp_path / "big.json"
    p.write_text(json.dumps(list(range(1000))))
    with pytest.raises(FileFormatError, match="limit is 100 bytes"):
        load_json(p, limit=100)


@pytest.mark.parametrize("path", ["", "."])
def test_an_empty_path_is_not_a_file(path):
    with pytest.raises(FileFormatError, match=r"empty path|not a regular file"):
        read_text(path)


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_text(tmp_path)


# ----- writing ---------------------------------------------------------------------------------
def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_writes_do_not_follow_a_symlink_planted_beside_the_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in (".results.json.tmp", ".results.tmp.json", ".results.json.x.tmp"):
        (tmp_path / name).symlink_to(victim)
    atomic_write_text(tmp_path / "results.json", "new")
    assert victim.read_text() == "precious"
    assert (tmp_path / "results.json").read_text() == "new"


def test_written_files_get_ordinary_permissions(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_no_replace_write_never_overwrites_what_appeared_meanwhile(tmp_path):
    """replace=False: the complete file is linked into place only if the name is free — a file
    or a symbolic link (even to nothing) at the name is kept, with no temporary left."""
    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / "code.txt"
    atomic_write_text(target, "first", replace=False)
    assert target.read_text() == "first" and target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert target.stat().st_nlink == 1
    with pytest.raises(FileExistsError):
        atomic_write_text(target, "second", replace=False)
    assert target.read_text() == "first"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "to-victim.txt").symlink_to(victim)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nothing.txt")
    for name in ("to-victim.txt", "dangling.txt"):
        with pytest.raises(FileExistsError):
            atomic_write_text(tmp_path / name, "evil", replace=False)
    assert victim.read_text() == "precious" and not (tmp_path / "nothing.txt").exists()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["code.txt", "dangling.txt", "to-victim.txt", "victim.txt"]


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_an_empty_output_path_is_refused(bad):
    with pytest.raises(EccsimError, match="empty path"):
        check_output_path(bad)


def test_an_output_folder_below_a_file_is_refused(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(EccsimError, match="not a folder"):
        check_output_path(f)
    with pytest.raises(EccsimError, match="is a file"):
        check_output_path(f / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_output_folder_is_refused(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(EccsimError, match="not writable"):
        check_output_path(ro / "out")


def test_an_output_path_the_system_cannot_look_up_is_one_error_not_an_oserror(tmp_path):
    with pytest.raises(EccsimError, match="File name too long"):
        check_output_path(tmp_path / ("a" * 5000))
    with pytest.raises(EccsimError, match="not usable"):
        check_output_path(str(tmp_path / "nul\0byte"))


def test_a_broken_symlink_as_output_folder_is_named(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(EccsimError, match="symbolic link to nothing"):
        check_output_path(tmp_path / "link")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_folder_that_cannot_be_created_is_one_line_on_the_command_line(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "campaign", "--codes", "hsiao-secded", "--faults",
         "bit", "--quiet", "--out", "/proc/eccsim-x"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Errno" not in r.stderr and "/proc/eccsim-x" in r.stderr, r.stderr


# ----- the folder lock -------------------------------------------------------------------------
def test_a_lock_folder_that_cannot_be_created_is_the_locks_error(tmp_path):
    class Mine(EccsimError):
        pass

    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for folder in (tmp_path / "afile" / "sub", tmp_path / "afile", tmp_path / "dangling"):
        with pytest.raises(Mine, match="cannot create the results folder") as info:
            FolderLock(folder, Mine).acquire()
        assert str(folder) in str(info.value) and "Errno" not in str(info.value)
    assert (tmp_path / "afile").read_text() == "x"


def test_a_second_lock_on_a_folder_is_refused_naming_the_holder(tmp_path):
    with FolderLock(tmp_path):
        with pytest.raises(
            EccsimError, match=rf"in use by another eccsim run \(pid {os.getpid()}\)"
        ):
            FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path):  # released: free again
        pass


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from eccsim.safeio import FolderLock
            FolderLock({str(tmp_path)!r}).acquire()
            print("locked", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(EccsimError, match="in use"):
            FolderLock(tmp_path).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 5
        while True:
            try:
                FolderLock(tmp_path).acquire().release()
                break
            except EccsimError:
                assert time.monotonic() < deadline, "lock outlived its killed holder"
                time.sleep(0.05)
    finally:
        holder.kill()
        holder.wait()


def test_a_symlinked_lock_file_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(victim)
    with pytest.raises(EccsimError, match="symbolic link"):
        FolderLock(out).acquire()
    assert victim.read_text() == "precious"


# ----- argument checks -------------------------------------------------------------------------
@pytest.mark.parametrize("v", [True, False, np.True_, 1.0, "3", None])
def test_booleans_floats_and_strings_are_not_whole_numbers(v):
    assert not is_int(v)
    with pytest.raises(InputError, match="whole number"):
        require_int("trials", v, 1)


@pytest.mark.parametrize("v", [3, np.int64(3), np.uint8(3)])
def test_python_and_numpy_integers_are_whole_numbers(v):
    assert require_int("trials", v, 1, 10) == 3


def test_out_of_range_names_the_parameter_and_the_range():
    with pytest.raises(InputError, match=r"trials=0 must be a whole number >= 1"):
        require_int("trials", 0, 1)
    with pytest.raises(InputError, match=r"p=nan must be a finite number"):
        require_number("p", float("nan"), 0, 1)


def test_a_prefix_suggests_the_names_it_starts():
    assert "x4-ecc-dimm" in suggest("x4", ["x4-ecc-dimm", "x8-ecc-dimm"])
    assert "x8-ecc-dimm" in suggest("x8-ecc-dim", ["x4-ecc-dimm", "x8-ecc-dimm"])
    assert suggest("zzz", ["x4-ecc-dimm"]) == ""


def test_a_benchmark_larger_than_free_memory_is_refused_before_allocating(monkeypatch):
    from eccsim import benchmark
    from eccsim.errors import LimitError

    pages = {"SC_AVPHYS_PAGES": 1024, "SC_PAGE_SIZE": 4096}  # 4 MiB free
    monkeypatch.setattr(os, "sysconf", lambda name: pages[name])
    with pytest.raises(LimitError, match=r"64 MiB.*the limit here is"):
        benchmark.run_report(mib=64)
