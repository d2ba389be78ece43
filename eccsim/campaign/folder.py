"""Results folders: what eccsim writes there, the refusal to overwrite it unasked, and the
lock that keeps two runs (campaigns or BER sweeps) off one folder."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from ..errors import CampaignError, EccsimError
from ..safeio import LOCK_NAME, FolderLock, load_json
from .checkpoint import CHECKPOINT, PREVIOUS, sound_spec

#: files eccsim writes into a results folder (refused without --force, removed with it)
OUR_FILES = (CHECKPOINT, PREVIOUS, "results.json", "results.csv", "outcomes.png", "chips.png",
             "ber.png")  # fmt: skip
#: the temporaries :func:`eccsim.safeio.atomic_open` makes for them (``mkstemp``: prefix
#: ``.{name}.``, a random part, suffix ``.tmp``); a run killed mid-write leaves one behind
STALE_TEMPORARY = re.compile(rf"\.(?:{'|'.join(map(re.escape, OUR_FILES))})\.[A-Za-z0-9_]+\.tmp")
KIND_NAMES = {"campaign": "campaign", "ber-sweep": "BER sweep"}

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


def held_kind(out: Path) -> str | None:
    """What the results in ``out`` are ("campaign" or "ber-sweep"): ``kind`` in results.json,
    else told by a checkpoint's spec (a sweep runs only ``ber:P``/``ber-line:P`` faults, in
    Monte Carlo mode, on random data); None when neither says."""
    with contextlib.suppress(EccsimError, OSError):
        doc = load_json(out / "results.json", what="results", error=CampaignError)
        if isinstance(doc, dict) and doc.get("kind", "campaign") in KIND_NAMES:
            return doc.get("kind", "campaign")
    for name in (CHECKPOINT, PREVIOUS):
        spec = sound_spec(out / name)
        if spec is not None:
            return "ber-sweep" if _sweep_like(spec) else "campaign"
    return None


def _sweep_like(spec: dict) -> bool:
    faults = spec.get("faults")
    return (
        isinstance(faults, list)
        and bool(faults)
        and all(isinstance(f, str) and f.startswith(("ber:", "ber-line:")) for f in faults)
        and spec.get("mode") == "monte-carlo"
        and spec.get("data") == ["random"]
    )


def refuse_existing(out: Path, force: bool, spec=None, kind: str = "campaign") -> None:
    """Refuse a folder that holds eccsim results unless ``force`` (checked before any work).

    The message names what the folder holds (a campaign's or a BER sweep's results) and
    suggests ``--resume`` only when it could work: when a sound checkpoint there was made
    with ``spec`` (this run's :class:`~eccsim.campaign.CampaignSpec`; ``kind`` says what this
    run is)."""
    if out.exists() and not out.is_dir():
        raise CampaignError(f"results folder {str(out)!r} exists and is not a folder")
    ours = existing_files(out) if out.is_dir() else []
    if not ours or force:
        return
    held = held_kind(out)
    what = f"{_a(KIND_NAMES[held])}'s results" if held else "results"
    head = f"results folder {str(out)!r} already holds {what} ({', '.join(ours)})"
    specs = [s for s in (sound_spec(out / f) for f in (CHECKPOINT, PREVIOUS)) if s is not None]
    want = spec.to_dict() if spec is not None else None
    if want is None or want in specs:
        raise CampaignError(f"{head}; use --resume to continue or --force to overwrite")
    if held is not None and held != kind:
        why = f"{_a(KIND_NAMES.get(kind, kind))} cannot resume them"
    elif specs:
        diff = sorted(k for k in set(specs[0]) | set(want) if specs[0].get(k) != want.get(k))
        why = f"they were made with another spec (differs in: {', '.join(map(str, diff))})"
    else:
        why = "there is no sound checkpoint to resume"
    raise CampaignError(f"{head}; {why}: use --force to overwrite or choose another folder")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def refuse_folders_at_our_names(out: Path) -> None:
    """Refuse a folder where eccsim writes one of its files: it could not be replaced, and
    eccsim never deletes a user's folder."""
    for f in OUR_FILES:
        p = out / f
        if p.is_dir() and not p.is_symlink():
            raise CampaignError(
                f"{str(p)!r} is a folder, where eccsim writes its {f}; move it out of the "
                "results folder (eccsim never deletes a folder) and run again"
            )


def clear_stale_temporaries(out: Path) -> list[str]:
    """Remove the temporaries of eccsim's own files that a killed run left in ``out`` (names
    :data:`STALE_TEMPORARY`, regular files only: a symlink or folder of such a name is not
    ours and stays, and nothing is followed). Call it holding the folder's lock, so that no
    run is writing them. Returns the names removed."""
    try:
        entries = list(os.scandir(out))
    except OSError as exc:
        raise CampaignError(
            f"cannot list the results folder {str(out)!r} ({exc.strerror}); check its permissions"
        ) from None
    removed = []
    for e in entries:
        if not STALE_TEMPORARY.fullmatch(e.name) or not e.is_file(follow_symlinks=False):
            continue
        _remove(Path(e.path), "stale temporary file")
        removed.append(e.name)
    return removed


def clear_ours(out: Path) -> None:
    """Remove eccsim's files from ``out`` (``--force``; a symlink is removed, not followed)."""
    refuse_folders_at_our_names(out)
    for f in existing_files(out):
        _remove(out / f, "previous results file")


def _remove(p: Path, what: str) -> None:
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CampaignError(
            f"cannot remove the {what} {str(p)!r} ({exc.strerror}); remove it by hand or "
            "choose another folder"
        ) from None
