"""Results folders: what eccsim writes there, the refusal to overwrite it unasked, and the
lock that keeps two runs (campaigns or BER sweeps) off one folder."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..errors import CampaignError, EccsimError
from ..safeio import LOCK_NAME, FolderLock
from .checkpoint import CHECKPOINT, PREVIOUS

#: files eccsim writes into a results folder (refused without --force, removed with it)
OUR_FILES = (CHECKPOINT, PREVIOUS, "results.json", "results.csv", "outcomes.png", "chips.png",
             "ber.png")  # fmt: skip

_HELD: dict[Path, int] = {}  # folders this process holds the lock of -> nesting depth
_HELD_LOCKS: dict[Path, FolderLock] = {}


def refuse_if_in_use(folder: Path) -> None:
    """Refuse a folder another process holds the lock of, without touching anything in it."""
    import fcntl

    path = Path(folder) / LOCK_NAME
    if Path(folder).resolve() in _HELD or not path.is_file() or path.is_symlink():
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # FolderLock will say what is wrong with it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise CampaignError(
                f"results folder {str(folder)!r} is in use by another eccsim run (pid {holder}); "
                "wait for it to finish or choose another folder"
            ) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def hold_folder(folder: str | Path, error: type[EccsimError] = CampaignError):
    """Hold the lock of a results folder (created if needed) for the ``with`` block; a folder
    another run holds is refused with one line. Re-entrant within one process, so that the
    CLI can hold the folder over a run and its figures."""
    key = Path(folder).resolve()
    if key in _HELD:
        _HELD[key] += 1
    else:
        _HELD_LOCKS[key] = FolderLock(folder, error).acquire()
        _HELD[key] = 1
    try:
        yield Path(folder)
    finally:
        _HELD[key] -= 1
        if not _HELD[key]:
            del _HELD[key]
            _HELD_LOCKS.pop(key).release()


def existing_files(out: Path) -> list[str]:
    return [f for f in OUR_FILES if (out / f).exists() or (out / f).is_symlink()]


def refuse_existing(
    out: Path, force: bool, hint: str = "use --resume to continue or --force to overwrite"
) -> None:
    """Refuse a folder that holds eccsim results unless ``force`` (checked before any work)."""
    if out.exists() and not out.is_dir():
        raise CampaignError(f"results folder {str(out)!r} exists and is not a folder")
    ours = existing_files(out) if out.is_dir() else []
    if ours and not force:
        raise CampaignError(
            f"results folder {str(out)!r} already holds results ({', '.join(ours)}); {hint}"
        )


def clear_ours(out: Path) -> None:
    for f in existing_files(out):
        (out / f).unlink()
