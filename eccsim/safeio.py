"""Files in and out, safely: reading files a user (or an attacker) hands us, and writing
results so that nothing is half-written, clobbered, or written through a planted symlink.

Reading: every reader checks the file's size (and, for ``.npy``, the header's element count)
against a limit *before* reading or allocating, and turns malformed, renamed (``.npz`` as
``.npy``) or deeply nested input into a one-line :class:`~eccsim.errors.EccsimError` that
names the file.

Writing: :func:`atomic_open` / :func:`atomic_write_text` / :func:`atomic_save_figure`
create an exclusive, unpredictably named temporary file in the target folder (``mkstemp``:
``O_CREAT | O_EXCL``, never following a symlink), fsync it and ``os.replace`` it over the
target, so readers see the old file or the new one (``replace=False``: hard-linked into
place, never over an existing name). :class:`FolderLock` keeps two runs off
one results folder; the kernel drops the lock when its holder dies, however it dies.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import EccsimError, FileFormatError

MAX_TEXT_BYTES = 64 << 20  #: code files, specs, results, checkpoints (bytes)
MAX_JSON_DEPTH = 32  #: deepest nesting of lists/objects accepted in any JSON file
MAX_NPY_ELEMENTS = 1 << 28  #: 2 GiB of uint64; larger .npy files are refused before reading


def _check_readable_file(p: Path, what: str, error: type[EccsimError]) -> None:
    if str(p) in ("", "."):
        raise error(f"{what}: an empty path is not a file")
    if not p.exists():
        raise error(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise error(f"{what} {str(p)!r} is not a regular file")


def read_bytes(
    path: str | Path,
    *,
    what: str = "file",
    limit: int = MAX_TEXT_BYTES,
    error: type[EccsimError] = FileFormatError,
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes."""
    p = Path(path)
    _check_readable_file(p, what, error)
    size = p.stat().st_size
    if size > limit:
        raise error(f"{what} {str(p)!r} is {size:,} bytes; the limit is {limit:,} bytes")
    try:
        with open(p, "rb") as fh:
            data = fh.read(min(size, limit) + 1)  # no limit-sized buffer for small files
    except OSError as exc:
        raise error(f"{what} {str(p)!r} could not be read ({exc.strerror})") from None
    if len(data) > limit:  # grew while we looked
        raise error(f"{what} {str(p)!r} is over {limit:,} bytes; the limit is {limit:,} bytes")
    return data


def read_text(
    path: str | Path,
    *,
    what: str = "file",
    limit: int = MAX_TEXT_BYTES,
    error: type[EccsimError] = FileFormatError,
) -> str:
    """UTF-8 text of ``path`` (size-checked, see :func:`read_bytes`)."""
    raw = read_bytes(path, what=what, limit=limit, error=error)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {str(path)!r} is not a UTF-8 text file") from None


def json_depth_ok(obj, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True if ``obj`` nests lists/dicts at most ``max_depth`` deep (iterative: no recursion)."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict):
            if d > max_depth:
                return False
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            if d > max_depth:
                return False
            stack.extend((v, d + 1) for v in o)
    return True


def parse_json(
    text: str,
    *,
    where: str,
    max_depth: int = MAX_JSON_DEPTH,
    error: type[EccsimError] = FileFormatError,
):
    """``json.loads`` that turns malformed, deeply nested or non-finite input into ``error``."""

    def no_constants(name):
        raise ValueError(f"{name} is not allowed")

    try:
        obj = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise error(f"{where}: JSON nested too deeply (the limit is {max_depth} levels)") from None
    except ValueError as exc:
        raise error(f"{where}: malformed JSON ({exc})") from None
    if not json_depth_ok(obj, max_depth):
        raise error(f"{where}: JSON nested too deeply (the limit is {max_depth} levels)")
    return obj


def load_json(
    path: str | Path,
    *,
    what: str = "JSON file",
    limit: int = MAX_TEXT_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
    error: type[EccsimError] = FileFormatError,
):
    """Parse a JSON file with size and nesting limits (see :func:`parse_json`)."""
    text = read_text(path, what=what, limit=limit, error=error)
    return parse_json(text, where=f"{what} {str(path)!r}", max_depth=max_depth, error=error)


def load_npy(
    path: str | Path,
    *,
    what: str = "array file",
    max_elements: int = MAX_NPY_ELEMENTS,
    error: type[EccsimError] = FileFormatError,
) -> np.ndarray:
    """Read a ``.npy`` array after checking, from its header alone, that it is a real ``.npy``
    (not a renamed ``.npz`` or pickle), holds no Python objects, has at most ``max_elements``
    elements, and that the file is as long as the header says."""
    p = Path(path)
    _check_readable_file(p, what, error)
    where = f"{what} {str(p)!r}"
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
            if head[:2] == b"PK":
                raise error(f"{where} is a .npz (zip) archive, not a .npy array")
            if head != b"\x93NUMPY":
                raise error(f"{where} is not a .npy file (no NUMPY magic header)")
            fh.seek(0)
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version in ((2, 0), (3, 0)):
                    shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
            except ValueError as exc:
                raise error(f"{where}: malformed .npy header ({exc})") from None
            if dtype.hasobject:
                raise error(f"{where} holds Python objects; only numeric arrays are read")
            count = 1
            for s in shape:
                count *= int(s)
            if count > max_elements:
                raise error(
                    f"{where}: header claims {count:,} elements (shape {shape}); the limit is "
                    f"{max_elements:,}"
                )
            need = count * dtype.itemsize
            have = os.fstat(fh.fileno()).st_size - fh.tell()
            if have < need:
                raise error(
                    f"{where} is truncated: its header promises {need:,} data bytes, "
                    f"the file has {have:,}"
                )
            fh.seek(0)
            try:
                return np.load(fh, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise error(f"{where} could not be read as .npy ({exc})") from None
    except OSError as exc:
        raise error(f"{where} could not be read ({exc.strerror})") from None


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def check_output_path(
    path: str | Path | None,
    *,
    what: str = "--out",
    folder: bool = True,
    error: type[EccsimError] = EccsimError,
) -> Path:
    """Check, before any work starts, that ``path`` can become the output folder (``folder``)
    or file: non-empty, not an existing thing of the other kind, and under a folder we can
    write to (the nearest existing ancestor must be a writable folder)."""
    if path is None or str(path).strip() == "":
        raise error(f"{what}: an empty path is not usable; name a {'folder' if folder else 'file'}")
    p = Path(path)
    if "\0" in str(p):
        raise error(f"{what} {str(p)!r} is not usable: a path cannot hold a NUL character")
    try:
        return _check_output_path(p, what, folder, error)
    except (OSError, ValueError) as exc:  # a name too long, a folder we may not look into, NUL
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(
            f"{what} {str(p)!r} is not usable as a {'folder' if folder else 'file'} ({why}); "
            "choose another path"
        ) from None


def _check_output_path(p: Path, what: str, folder: bool, error: type[EccsimError]) -> Path:
    if p.is_symlink() and not p.exists():
        raise error(f"{what} {str(p)!r} is a symbolic link to nothing; remove it or name another")
    if folder and p.exists() and not p.is_dir():
        raise error(f"{what} {str(p)!r} exists and is not a folder")
    if not folder and p.is_dir():
        raise error(f"{what} {str(p)!r} is a folder; name a file")
    anc = p if folder else p.parent
    anc = anc.absolute()
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise error(
            f"{what} {str(p)!r}: {str(anc)!r} is a file, so nothing can be created below it"
        )
    if not os.access(anc, os.W_OK | os.X_OK):
        raise error(f"{what} {str(p)!r}: folder {str(anc)!r} is not writable")
    return p


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb", *, replace: bool = True):
    """Open a fresh temporary file beside ``path`` for writing; on a clean exit it is flushed,
    fsynced, given ordinary permissions and renamed over ``path``; on any error (Ctrl-C
    included) it is removed and ``path`` is left as it was.

    ``replace=False``: never over an existing ``path`` (a file, a folder or a symbolic link,
    which is not followed) — the complete temporary is hard-linked to ``path`` (``link``
    fails if the name exists, even if it appeared a moment ago), then its own name removed;
    :class:`FileExistsError` if ``path`` exists."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        kw = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; results are ordinary files
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # EEXIST whatever is at path (a link there is not followed)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str, *, replace: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_open`; ``replace=False``:
    :class:`FileExistsError` rather than over an existing ``path``)."""
    with atomic_open(path, "w", replace=replace) as fh:
        fh.write(text)


def atomic_save_figure(fig, path: str | Path, **savefig_kw) -> Path:
    """``fig.savefig`` into a safe temporary beside ``path``, then rename it over ``path``."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    with atomic_open(p, "wb") as fh:
        fig.savefig(fh, format=fmt, **savefig_kw)
    return p


LOCK_NAME = ".eccsim.lock"


class FolderLock:
    """An exclusive, non-blocking lock on an output folder (``flock`` on ``folder/.eccsim.lock``).

    A second run on the same folder is refused with ``error`` naming the folder and the pid
    holding it. The lock belongs to the open file: it is released when the holder exits or is
    killed (``kill -9`` and the OOM killer included), so a stale lock never blocks a resume.
    Use as a context manager; the folder is created if needed."""

    def __init__(self, folder: str | Path, error: type[EccsimError] = EccsimError) -> None:
        self.folder = Path(folder)
        self.error = error
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        import fcntl

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            if isinstance(exc, FileExistsError):  # a file, or a symlink to nothing
                why = "a file (or a broken link) of that name is in the way"
            raise self.error(
                f"cannot create the results folder {str(self.folder)!r} ({why}); "
                "choose another folder"
            ) from None
        path = self.folder / LOCK_NAME
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self.error(f"{str(path)!r} is a symbolic link; refusing to use it") from None
            raise self.error(f"cannot create lock file {str(path)!r} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            finally:
                os.close(fd)
            raise self.error(
                f"results folder {str(self.folder)!r} is in use by another eccsim run "
                f"(pid {holder}); wait for it to finish or choose another folder"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise self.error(f"cannot write lock file {str(path)!r} ({exc.strerror})") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
