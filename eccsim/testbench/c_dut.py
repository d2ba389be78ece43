"""A C shared library as the device under test, run in a worker process.

**The C signature** (the symbol names are parameters; these are the defaults)::

    #include <stddef.h>
    #include <stdint.h>

    /* W = ceil(k / 64) words per data word; n words per call (one batch, up to 65,536). */
    void ecc_encode(const uint64_t *data,   /* n rows of W words                        */
                    uint64_t *check,        /* n check words (out)                      */
                    size_t n);
    void ecc_decode(const uint64_t *data,   /* n rows of W words, as received           */
                    const uint64_t *check,  /* n check words, as received               */
                    uint64_t *out_data,     /* n rows of W words: the corrected data    */
                    uint64_t *out_check,    /* n check words: the corrected check bits  */
                    uint8_t *flags,         /* n flag bytes: bit 0 corrected,           */
                    size_t n);              /*               bit 1 uncorrectable        */

**Bit layout** (eccsim's, :mod:`eccsim.bits`): row ``i`` of ``data`` is words
``data[i*W .. i*W+W-1]``; data bit ``b`` is bit ``b % 64`` (bit 0 = least significant) of word
``b / 64`` of its row; bits at or above ``k`` are zero on input. ``check[i]`` holds the ``r``
check bits of row ``i``, check bit ``j`` = bit ``j`` of the ``uint64_t`` (in whatever order the
DUT defines them; the test bench infers the order). Flag bit 0 (``1``) means "saw an error and
corrected it" (single error, CE), bit 1 (``2``) "saw an error it cannot correct" (double error,
DUE); ``0`` means "no error seen". Output buffers are zeroed before each call. With
``decode_check=False`` the decoder need not write ``out_check`` (the DUT's decode then reports
no check bits).

Build it with e.g. ``cc -O2 -shared -fPIC -o libecc.so ecc.c``; C++ needs ``extern "C"``.

**Isolation**: the library is loaded (``ctypes``) in a separate worker process, a plain
Python interpreter that imports nothing but the standard library (it starts in tens of
milliseconds); the batches travel through shared memory and one short command per call through
a pipe. Each ``encode``/``decode`` is split into calls of at most ``batch`` words (default
65,536), and each call, like loading the library, must finish within ``timeout_s``. A crash
(segfault, abort, ``exit()``) or a call running past the limit kills the worker and raises
:class:`DUTError` naming the DUT, the call, the batch (its size and which words of the request)
and what happened (the signal, the exit status, or "timed out after X s", plus the last line
the DUT printed, if any); the next call starts a fresh worker. Loading is checked when the DUT
is created: a missing file, a file that is not a shared library, a missing symbol, or a
library that crashes or hangs while it loads is a :class:`DUTError` naming the file (and the
symbol).

The worker runs in its own process group (killed as a group, so processes the DUT starts go
with it), ignores Ctrl-C (eccsim handles it), writes no core files, and dies with eccsim
however eccsim dies: ``PR_SET_PDEATHSIG`` on Linux, like the campaign workers (it fires when
the *thread* that started the worker ends; the next call then starts another); elsewhere it
exits when its command pipe closes, which needs the DUT to return. ``close()`` — or leaving a
``with`` block, or the object being garbage-collected, or eccsim exiting — kills and reaps it.
A DUT object belongs to the process that created it (a forked child must make its own).
Whatever the DUT prints on stdout or stderr is passed on to eccsim's stderr.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..errors import InputError
from ..validate import require_int, require_number, require_str
from .dut import DecodeOut, DUTError, check_decode_output, check_encode_output

DEFAULT_BATCH = 65536
MAX_SHARED_BYTES = 256 * 2**20  # the shared buffers of one DUT
_STDERR_TAIL = 4096
_POLL_S = 0.05  # how often a waiting call checks that the worker still runs

# The worker: a plain interpreter (``python -I -c``), standard library only, so it starts in
# a few tens of milliseconds and runs nothing of eccsim's. argv: parent pid, command fd,
# reply fd, shared-memory fd, shared size, library path, encode symbol, decode symbol.
# Replies: one tag byte + a 4-byte length + a UTF-8 text.
_WORKER = r"""
import ctypes, mmap, os, signal, struct, sys

def main():
    ppid, cmd, rep, shm, size = (int(a) for a in sys.argv[1:6])
    path, enc_name, dec_name = sys.argv[6:9]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing DUT leaves no core file
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != ppid:
        os._exit(1)

    def reply(tag, text=""):
        b = text.encode("utf-8", "replace")
        os.write(rep, tag + struct.pack("<I", len(b)) + b)

    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        reply(b"L", str(exc))
        os._exit(0)
    fns = []
    for sym, nptr in ((enc_name, 2), (dec_name, 5)):
        try:
            f = lib[sym]
        except AttributeError:
            reply(b"S", sym)
            os._exit(0)
        f.restype = None
        f.argtypes = [ctypes.c_void_p] * nptr + [ctypes.c_size_t]
        fns.append(f)
    buf = mmap.mmap(shm, size)
    base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    reply(b"K")
    fmt = "<7Q"
    need = struct.calcsize(fmt)
    while True:
        msg = b""
        while len(msg) < need:
            part = os.read(cmd, need - len(msg))
            if not part:
                os._exit(0)
            msg += part
        op, n, *offs = struct.unpack(fmt, msg)
        if op == 0:
            fns[0](base + offs[0], base + offs[1], n)
        else:
            fns[1](*(base + o for o in offs), n)
        reply(b"K")

main()
"""
_CMD = struct.Struct("<7Q")


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _shared_memory(size: int):
    """An anonymous shared file of ``size`` bytes (memfd on Linux, an unlinked temporary
    file elsewhere), inheritable by the worker through ``pass_fds``."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            fd = os.memfd_create("eccsim-c-dut", 0)  # not inherited by accident: no MFD flag
            os.ftruncate(fd, size)
            return fd
    f = tempfile.TemporaryFile()
    fd = os.dup(f.fileno())
    f.close()
    os.ftruncate(fd, size)
    return fd


def _exited(proc) -> bool:
    """True once the worker has ended, without reaping it (its pid, and so its process
    group, stay reserved until :meth:`_Worker.kill` has signalled the group)."""
    if proc.returncode is not None:
        return True
    if hasattr(os, "waitid"):
        try:
            return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True
    return proc.poll() is not None  # pragma: no cover - no waitid


class _Worker:
    """One worker process and its pipes (the parent's ends)."""

    def __init__(self, proc, cmd_w: int, rep_r: int, out_r: int) -> None:
        self.proc, self.cmd_w, self.rep_r, self.out_r = proc, cmd_w, rep_r, out_r

    def kill(self) -> int | None:
        """SIGKILL the worker and whatever the DUT started in its process group, reap it,
        close the pipes (idempotent); its exit status (negative: the signal that ended it)."""
        if self.proc.returncode is None:  # not reaped: its pid is still its process group's
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.proc.wait(timeout=10)
        for fd in (self.cmd_w, self.rep_r, self.out_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.cmd_w = self.rep_r = self.out_r = -1
        return self.proc.returncode


def _kill_all(state: dict) -> None:
    """Finalizer: kill the worker and release the shared memory (no reference to the DUT).
    In a forked copy of the process that made the DUT, the worker is not ours to kill."""
    if state.get("pid") != os.getpid():
        return
    w = state.pop("worker", None)
    if w is not None:
        w.kill()
    mm = state.pop("mmap", None)
    if mm is not None:
        with contextlib.suppress(BufferError, ValueError):
            mm.close()
    fd = state.pop("shm", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


class CLibraryDUT:
    """A C shared library implementing the signature in this module's docstring, behind the
    :class:`~eccsim.testbench.dut.DUT` interface. ``k`` data bits, ``r`` check bits (1..64);
    each ``encode``/``decode`` is split into calls of at most ``batch`` words, each of which
    must return within ``timeout_s`` seconds. Use it as a context manager, or call
    :meth:`close`."""

    def __init__(
        self,
        path,
        *,
        k: int,
        r: int,
        encode_symbol: str = "ecc_encode",
        decode_symbol: str = "ecc_decode",
        timeout_s: float = 10.0,
        name: str | None = None,
        batch: int = DEFAULT_BATCH,
        decode_check: bool = True,
    ) -> None:
        self.k = require_int("k", k, 1, 4096)
        self.r = require_int("r", r, 1, 64)
        if self.k + self.r > 4096:
            raise InputError(f"k={k} and r={r} make n={k + r} codeword bits; at most 4096")
        self.encode_symbol = require_str("encode_symbol", encode_symbol)
        self.decode_symbol = require_str("decode_symbol", decode_symbol)
        for label, sym in (("encode_symbol", encode_symbol), ("decode_symbol", decode_symbol)):
            if not sym or "\0" in sym:
                raise InputError(f"{label}={sym!r} must be a non-empty symbol name")
        self.timeout_s = require_number("timeout_s", timeout_s, 0, 86400, open_interval=True)
        self.W = data_words(self.k)
        row = 16 * self.W + 17  # data + out_data + check + out_check + flags, per word
        self.batch = require_int("batch", batch, 1, max(1, MAX_SHARED_BYTES // row))
        if not isinstance(decode_check, bool):
            raise InputError(f"decode_check={decode_check!r} must be True or False")
        self.decode_check = decode_check
        if not isinstance(path, str | os.PathLike):
            raise InputError(f"path={path!r} must be a file path")
        p = Path(path)
        self.path = str(p.absolute())
        self.name = require_str("name", name) if name is not None else p.name
        if not self.name.strip() or "\n" in self.name:
            raise InputError(f"name={name!r} must be a non-empty one-line string")
        if not p.exists():
            raise DUTError(f"C library {self.path!r} does not exist")
        if not p.is_file():
            raise DUTError(f"C library {self.path!r} is not a file")

        b, W = self.batch, self.W
        sizes = [8 * b * W, 8 * b, 8 * b * W, 8 * b, b]  # data, check, out_data, out_check, flags
        self._offs = [0]
        for s in sizes[:-1]:
            self._offs.append(self._offs[-1] + (s + 63) // 64 * 64)
        self._size = max(4096, self._offs[-1] + sizes[-1])
        self._lock = threading.Lock()
        self._state: dict = {"pid": os.getpid()}
        self._finalizer = weakref.finalize(self, _kill_all, self._state)
        self._stderr_tail = b""
        fd = _shared_memory(self._size)
        self._state["shm"] = fd
        mm = mmap.mmap(fd, self._size)
        self._state["mmap"] = mm
        self._bufs = [
            np.frombuffer(mm, dtype=dt, count=c, offset=o)
            for dt, c, o in zip(
                (np.uint64, np.uint64, np.uint64, np.uint64, np.uint8),
                (b * W, b, b * W, b, b),
                self._offs,
                strict=True,
            )
        ]
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ the worker
    @property
    def worker_pid(self) -> int | None:
        """The worker process's pid while one runs (None before a restart and after close)."""
        w = self._state.get("worker")
        return None if w is None else w.proc.pid

    def _start(self) -> None:
        if "mmap" not in self._state:
            raise DUTError(f"DUT {self.name!r}: used after close()")
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        shm = self._state["shm"]
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _WORKER, str(os.getpid()), str(cmd_r), str(rep_w),
                 str(shm), str(self._size), self.path, self.encode_symbol, self.decode_symbol],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                pass_fds=(cmd_r, rep_w, shm), close_fds=True, process_group=0,
            )  # fmt: skip
        except OSError as exc:
            for fd in (cmd_r, cmd_w, rep_r, rep_w, out_r, out_w):
                os.close(fd)
            raise DUTError(
                f"DUT {self.name!r}: cannot start a worker process for {self.path!r} ({exc})"
            ) from None
        for fd in (cmd_r, rep_w, out_w):
            os.close(fd)
        worker = _Worker(proc, cmd_w, rep_r, out_r)
        self._state["worker"] = worker
        self._stderr_tail = b""
        what = f"loading {self.path!r}"
        tag, text = self._wait_reply(worker, what, load=True)
        if tag == b"K":
            return
        self._stop()
        if tag == b"L":
            raise DUTError(f"C library {self.path!r} cannot be loaded as a shared library ({text})")
        if tag == b"S":
            raise DUTError(
                f"C library {self.path!r} has no symbol {text!r} (is it exported? C++ needs "
                'extern "C")'
            )
        raise DUTError(f"DUT {self.name!r}: {what}: unexpected reply {tag!r} from the worker")

    def _stop(self) -> int | None:
        w = self._state.pop("worker", None)
        return None if w is None else w.kill()

    def _drain(self, fd: int) -> bool:
        """Pass on what the DUT printed, keeping the tail; False at end of file."""
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        self._stderr_tail = (self._stderr_tail + chunk)[-_STDERR_TAIL:]
        with contextlib.suppress(Exception):
            sys.stderr.write(chunk.decode("utf-8", "replace"))
        return True

    def _last_line(self) -> str:
        lines = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
        if not lines:
            return ""
        line = lines[-1].strip()
        return f"; its last output: {line[:200]!r}"

    def _wait_reply(self, w: _Worker, what: str, load: bool = False):
        """The worker's next reply, or a DUTError after killing it (crash, exit, timeout)."""
        deadline = time.monotonic() + self.timeout_s
        buf = b""
        fds = [w.rep_r, w.out_r]
        ended = False  # the worker exited, or closed its end of the reply pipe
        while True:
            if len(buf) >= 5:
                (length,) = struct.unpack("<I", buf[1:5])
                if len(buf) >= 5 + length:
                    return buf[:1], buf[5 : 5 + length].decode("utf-8", "replace")
            if ended:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop()
                again = "" if load else "; a fresh one starts on the next call"
                raise DUTError(
                    f"DUT {self.name!r}: {what}: timed out after {self.timeout_s:g} s; the "
                    f"worker process was killed{again}" + self._last_line()
                )
            # a short wait: the worker's end is also noticed when a process the DUT started
            # keeps the reply pipe open
            ready, _, _ = select.select(fds, [], [], min(left, _POLL_S))
            if w.out_r in ready and not self._drain(w.out_r):
                fds.remove(w.out_r)
            if w.rep_r in ready:
                part = b""
                with contextlib.suppress(OSError):
                    part = os.read(w.rep_r, 65536)
                buf += part
                ended = not part
            elif _exited(w.proc):
                while select.select([w.rep_r], [], [], 0)[0]:  # a reply sent before the end
                    part = b""
                    with contextlib.suppress(OSError):
                        part = os.read(w.rep_r, 65536)
                    if not part:
                        break
                    buf += part
                ended = True
        # the worker is gone, or going: give it a moment to end by itself, then report how
        t_end = time.monotonic() + 2.0
        while not _exited(w.proc) and time.monotonic() < t_end:
            time.sleep(0.005)
        if w.out_r in fds:
            while select.select([w.out_r], [], [], 0)[0] and self._drain(w.out_r):
                pass
        rc = self._stop()
        if rc is None:  # pragma: no cover - unkillable
            how = "stopped answering"
        elif rc < 0:
            how = f"crashed ({_signal_name(-rc)})"
        else:
            how = f"exited with status {rc}"
        again = "" if load else "; a fresh one starts on the next call"
        raise DUTError(
            f"DUT {self.name!r}: {what}: the worker process {how}{again}" + self._last_line()
        )

    def _call(self, op: int, n: int, lo: int, total: int) -> None:
        sym = self.encode_symbol if op == 0 else self.decode_symbol
        w = self._state.get("worker")
        if w is None or _exited(w.proc):
            # died between calls (or a previous call killed it): start afresh
            self._stop()
            self._start()
            w = self._state["worker"]
        what = (
            f"{sym} on a batch of {n} word{'s' if n != 1 else ''} "
            f"(words {lo}..{lo + n - 1} of {total}) in {self.path!r}"
        )
        try:
            os.write(w.cmd_w, _CMD.pack(op, n, *self._offs))
        except OSError:
            pass  # the reply wait reports how the worker ended
        tag, _ = self._wait_reply(w, what)
        if tag != b"K":  # pragma: no cover - the worker only sends K after loading
            self._stop()
            raise DUTError(f"DUT {self.name!r}: {what}: unexpected reply {tag!r} from the worker")

    # ------------------------------------------------------------------ the DUT interface
    def _data(self, data) -> np.ndarray:
        d = np.asarray(data)
        if d.ndim == 1 and self.W == 1:
            d = d.reshape(-1, 1)
        if d.ndim != 2 or d.shape[1] != self.W or d.dtype.kind not in "iu":
            raise InputError(
                f"data must be an (N, {self.W}) array of unsigned 64-bit words for k={self.k}, "
                f"got shape {d.shape} and dtype {d.dtype}"
            )
        return d.astype(np.uint64, copy=False)

    def _check(self, check, n: int) -> np.ndarray:
        c = np.asarray(check)
        if c.shape != (n,) or c.dtype.kind not in "iu":
            raise InputError(
                f"check must be a ({n},) array of unsigned integers, got shape {c.shape} "
                f"and dtype {c.dtype}"
            )
        return c.astype(np.uint64, copy=False)

    def _require_open(self) -> None:
        if "mmap" not in self._state:
            raise DUTError(f"DUT {self.name!r}: used after close()")
        if self._state["pid"] != os.getpid():
            raise DUTError(
                f"DUT {self.name!r}: used in a forked child of the process that created it; "
                "create the DUT in the process that uses it"
            )

    def encode(self, data: np.ndarray) -> np.ndarray:
        self._require_open()
        d = self._data(data)
        n = d.shape[0]
        out = np.zeros(n, dtype=np.uint64)
        bd, bc = self._bufs[0], self._bufs[1]
        with self._lock:
            for lo in range(0, n, self.batch):
                m = min(self.batch, n - lo)
                bd[: m * self.W] = d[lo : lo + m].reshape(-1)
                bc[:m] = 0
                self._call(0, m, lo, n)
                out[lo : lo + m] = bc[:m]
        return check_encode_output(self.name, out, n, self.r)

    def decode(self, data: np.ndarray, check: np.ndarray) -> DecodeOut:
        self._require_open()
        d = self._data(data)
        n = d.shape[0]
        c = self._check(check, n)
        W = self.W
        od = np.zeros((n, W), dtype=np.uint64)
        oc = np.zeros(n, dtype=np.uint64)
        fl = np.zeros(n, dtype=np.uint8)
        bd, bc, bod, boc, bfl = self._bufs
        with self._lock:
            for lo in range(0, n, self.batch):
                m = min(self.batch, n - lo)
                bd[: m * W] = d[lo : lo + m].reshape(-1)
                bc[:m] = c[lo : lo + m]
                bod[: m * W] = 0
                boc[:m] = 0
                bfl[:m] = 0
                self._call(1, m, lo, n)
                od[lo : lo + m] = bod[: m * W].reshape(m, W)
                oc[lo : lo + m] = boc[:m]
                fl[lo : lo + m] = bfl[:m]
        out = DecodeOut(od, oc if self.decode_check else None, (fl & 1) != 0, (fl & 2) != 0)
        return check_decode_output(self.name, out, n, W, self.r)

    def close(self) -> None:
        """Kill and reap the worker, release the shared memory (idempotent)."""
        self._bufs = []
        self._finalizer()

    def __enter__(self) -> CLibraryDUT:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CLibraryDUT({self.path!r}, k={self.k}, r={self.r}, name={self.name!r})"


__all__ = ["DEFAULT_BATCH", "CLibraryDUT"]
