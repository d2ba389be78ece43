"""Checkpoints: after every chunk a campaign writes ``checkpoint.json`` (atomically, through
:func:`eccsim.safeio.atomic_write_text`) and keeps the one before it as
``checkpoint.json.prev``, so that a damaged checkpoint does not lose all progress.

A checkpoint is read back only after it is checked in full: a SHA-256 checksum over its
content, first (a checkpoint that fails it is damaged, whatever its format or spec claim;
only a sound one may be judged another campaign's or another version's:
:class:`CheckpointMismatch`, no fallback), then its shape (every field present, of the right
type, no negative count) and the consistency of its counts with its chunks (the patterns of
``chunks_done`` chunks, one line per pattern, at most S codewords per line), so a hand-edited
``chunks_done`` (or count) is refused instead of resuming to wrong totals.
:func:`load_checkpoint` falls back to the previous checkpoint, with a one-line notice, when
the latest one is damaged or missing."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CampaignError, EccsimError
from ..outcomes import CountRecord, OutcomeCounts
from ..results import parse_counts, parse_on_die
from ..safeio import atomic_write_text, parse_json, read_text
from ..validate import is_int, require_fields
from .plan import Job, patterns_after

CHECKPOINT = "checkpoint.json"
PREVIOUS = CHECKPOINT + ".prev"
CHECKPOINT_FORMAT = "eccsim-checkpoint/3"
JOB_FIELDS = ("chunks_done", "finished", "patterns", "words", "lines", "wall_s", "stopped_early")


@dataclass
class JobState(CountRecord):
    """Progress of one job: chunks reduced so far and their summed counts."""

    chunks_done: int = 0
    patterns: int = 0
    words: OutcomeCounts = field(default_factory=OutcomeCounts)
    lines: OutcomeCounts = field(default_factory=OutcomeCounts)
    wall_s: float = 0.0
    finished: bool = False
    stopped_early: bool = False

    def to_json(self) -> dict:
        return {"chunks_done": self.chunks_done, "finished": self.finished,
                **self.counts_json(), "wall_s": self.wall_s,
                "stopped_early": self.stopped_early}  # fmt: skip


class CheckpointMismatch(CampaignError):
    """A sound checkpoint of another campaign (spec, data files, plan or eccsim version): no
    older checkpoint can help, so there is no fallback."""


def _checksum(body: dict) -> str:
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def encode_checkpoint(spec, states: dict[str, JobState], summary: dict, files: dict) -> str:
    """The checkpoint text of a campaign's state (with its checksum)."""
    body = {"format": CHECKPOINT_FORMAT, "spec": spec.to_dict(), "plan": summary,
            "data_files": files, "jobs": {k: s.to_json() for k, s in states.items()}}  # fmt: skip
    return json.dumps({**body, "checksum": _checksum(body)}) + "\n"


def decode_checkpoint(
    text: str, where: str, spec, jobs: list[Job], summary: dict, files: dict, *, slots: int
) -> dict[str, JobState]:
    """Check a checkpoint's text against the campaign (see the module docstring) and return
    the state of every job; raise a one-line :class:`CampaignError` naming what is wrong."""
    doc = parse_json(text, where=f"checkpoint {where}", error=CampaignError)
    if not isinstance(doc, dict):
        raise CampaignError(
            f"checkpoint {where} is not a checkpoint (a JSON {type(doc).__name__}, not an object)"
        )
    want = spec.to_dict()
    # The checksum decides first: a checkpoint that fails it is damaged (so its .prev is
    # tried), whatever its edited format or spec claim; only a sound one may be judged another
    # campaign's or version's. One that fails it but claims to be this campaign's is checked
    # in full below, so that its message names the damage (a negative count, chunks_done).
    body = {k: v for k, v in doc.items() if k != "checksum"}
    sealed = "checksum" in doc and doc["checksum"] == _checksum(body)
    ours = (doc.get("format") == CHECKPOINT_FORMAT and doc.get("spec") == want
            and doc.get("data_files") == files and doc.get("plan") == summary)  # fmt: skip
    if not sealed and not ours:
        _refuse_unsealed(doc, where)
    if doc.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointMismatch(
            f"checkpoint {where} was written by another eccsim version ({doc.get('format')!r}, "
            f"this one reads {CHECKPOINT_FORMAT!r}); use --force to start over"
        )
    missing = [k for k in ("spec", "plan", "data_files", "jobs") if k not in doc]
    if missing:
        raise CampaignError(f"checkpoint {where} is damaged: no {', '.join(missing)}")
    old = doc["spec"]
    if old != want:
        if not isinstance(old, dict):
            raise CampaignError(f"checkpoint {where} is damaged: its spec is not an object")
        diff = sorted(k for k in set(old) | set(want) if old.get(k) != want.get(k))
        raise CheckpointMismatch(
            f"the checkpoint {where} was made with a different spec (differs in: "
            f"{', '.join(map(str, diff))}); resume with the same spec or use --force to start over"
        )
    if doc["data_files"] != files:
        got = doc["data_files"] if isinstance(doc["data_files"], dict) else {}
        changed = sorted(str(k) for k in set(files) | set(got) if files.get(k) != got.get(k))
        raise CheckpointMismatch(
            f"data file(s) {', '.join(changed)} changed since the checkpoint {where}; "
            "restore them or use --force to start over"
        )
    if doc["plan"] != summary:
        raise CheckpointMismatch(
            f"the checkpoint {where} plans its jobs differently (exhaustive or trial counts "
            "changed); use --force to start over"
        )
    entries = doc["jobs"]
    if not isinstance(entries, dict) or set(entries) != {j.key for j in jobs}:
        raise CampaignError(f"checkpoint {where} is damaged: its jobs are not the campaign's jobs")
    states = {j.key: _job_state(entries[j.key], j, spec.chunk, slots, where) for j in jobs}
    if not sealed:
        _refuse_unsealed(doc, where)
    return states


def _refuse_unsealed(doc: dict, where: str) -> None:
    """Refuse a checkpoint without a valid checksum as damaged (a :class:`CampaignError`, not
    a :class:`CheckpointMismatch`: the previous checkpoint may help)."""
    fmt = doc.get("format")
    note = ""
    if fmt is not None and fmt != CHECKPOINT_FORMAT:  # damaged, or checksummed differently
        note = (f" (or written by another eccsim version: format {fmt!r}, this one reads "
                f"{CHECKPOINT_FORMAT!r})")  # fmt: skip
    if "checksum" not in doc:
        raise CampaignError(f"checkpoint {where} is damaged: no checksum{note}")
    raise CampaignError(
        f"checkpoint {where} was modified after eccsim wrote it (checksum mismatch){note}"
    )


def sound_spec(path: Path) -> dict | None:
    """The spec of the checkpoint at ``path`` if it is a sound checkpoint of this eccsim
    version (readable, checksum and format right), else None; never raises for a bad file."""
    try:
        if not path.is_file():
            return None
        doc = parse_json(read_text(path, what="checkpoint", error=CampaignError),
                         where="checkpoint", error=CampaignError)  # fmt: skip
    except (EccsimError, OSError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != CHECKPOINT_FORMAT:
        return None
    body = {k: v for k, v in doc.items() if k != "checksum"}
    if doc.get("checksum") != _checksum(body) or not isinstance(doc.get("spec"), dict):
        return None
    return doc["spec"]


def _job_state(d, job: Job, chunk: int, slots: int, where: str) -> JobState:
    at = f"checkpoint {where}, job {job.key}"
    require_fields(d, JOB_FIELDS, at, error=CampaignError)
    for k in ("chunks_done", "patterns"):
        v = d[k]
        if not is_int(v):
            raise CampaignError(f"{at}: {k}={v!r} is not a whole number")
        if v < 0:
            raise CampaignError(f"{at}: {k}={v} is negative")
    for k in ("finished", "stopped_early"):
        if not isinstance(d[k], bool):
            raise CampaignError(f"{at}: {k}={d[k]!r} is not true or false")
    w = d["wall_s"]
    if not (isinstance(w, int | float) and not isinstance(w, bool)) or not 0 <= w < math.inf:
        raise CampaignError(f"{at}: wall_s={w!r} is not a time in seconds")
    try:
        words = parse_counts(d["words"], f"{at}: words", CampaignError)
        lines = parse_counts(d["lines"], f"{at}: lines", CampaignError)
    except EccsimError as exc:
        raise CampaignError(str(exc)) from None
    done, pats = d["chunks_done"], d["patterns"]
    if done > job.nchunks:
        raise CampaignError(f"{at}: chunks_done={done} but the job has {job.nchunks} chunks")
    if pats != patterns_after(job, done, chunk):
        raise CampaignError(
            f"{at}: {pats:,} patterns do not match chunks_done={done} (that is "
            f"{patterns_after(job, done, chunk):,} patterns); the checkpoint was altered"
        )
    floor = 0 if "@" in job.code else pats  # a memory system's line may touch no codeword
    if lines.total != pats or not floor <= words.total <= pats * slots:
        raise CampaignError(
            f"{at}: its counts ({words.total:,} codewords, {lines.total:,} lines) do not fit "
            f"{pats:,} patterns; the checkpoint was altered"
        )
    if d["stopped_early"] and (not d["finished"] or job.exhaustive):
        raise CampaignError(f"{at}: stopped_early without a finished Monte Carlo job")
    if d["finished"] and not d["stopped_early"] and done != job.nchunks:
        raise CampaignError(f"{at}: finished after {done} of {job.nchunks} chunks")
    st = JobState(done, pats, words, lines, float(w), d["finished"], d["stopped_early"])
    try:
        st.on_die = parse_on_die(d.get("on_die"), lines.total, f"{at}: on_die", CampaignError)
    except EccsimError as exc:
        raise CampaignError(str(exc)) from None
    return st


class CheckpointWriter:
    """Writes each new checkpoint atomically after keeping the last one it wrote (a good one)
    as ``<name>.prev`` (``name``: ``checkpoint.json`` for campaigns; lifetime runs keep their
    own)."""

    def __init__(self, folder: Path, last: str | None = None, name: str = CHECKPOINT) -> None:
        self.folder = Path(folder)
        self.last = last
        self.name = name

    def write(self, text: str) -> None:
        if self.last is not None and self.last != text:
            self._write(self.folder / f"{self.name}.prev", self.last)
        self._write(self.folder / self.name, text)
        self.last = text

    @staticmethod
    def _write(path: Path, text: str) -> None:
        """Write one checkpoint file; an OSError becomes one line naming the file and what
        to do (the temporary is gone, the file before it is left as it was)."""
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            if path.is_dir() and not path.is_symlink():
                raise CampaignError(
                    f"{str(path)!r} is a folder, not a checkpoint; move it out of the results "
                    "folder (eccsim never deletes a folder), then rerun with --resume"
                ) from None
            raise CampaignError(
                f"cannot write the checkpoint {str(path)!r} ({exc.strerror or exc}); make room "
                "or fix the folder's permissions, then rerun with --resume"
            ) from None


def load_checkpoint(
    folder: Path,
    decode: Callable[[str, str], dict[str, JobState]],
    notice: Callable[[str], None],
) -> tuple[dict[str, JobState], str]:
    """The job states of the newest good checkpoint in ``folder`` and its text.

    ``decode(text, where)`` checks one checkpoint (see :func:`decode_checkpoint`). When
    ``checkpoint.json`` is damaged or missing and ``checkpoint.json.prev`` is good, resume
    from the latter, saying so through ``notice``; otherwise raise the latest one's error."""
    ck, prev = folder / CHECKPOINT, folder / PREVIOUS
    first_error: CampaignError | None = None
    for path in (ck, prev):
        if not path.exists():
            continue
        try:
            text = read_text(path, what="checkpoint", error=CampaignError)
            states = decode(text, repr(str(path)))
        except CheckpointMismatch:
            raise
        except CampaignError as exc:
            first_error = first_error or exc
            continue
        if path == prev:
            why = f"is damaged ({first_error})" if first_error else "is missing"
            done = sum(s.chunks_done for s in states.values())
            notice(f"{str(ck)!r} {why}; resuming from the previous checkpoint {str(prev)!r} "
                   f"({done} chunks done)")  # fmt: skip
        return states, text
    if first_error is not None:
        if "--force" in str(first_error):
            raise first_error
        raise CampaignError(f"{first_error}; rerun with --force to start over")
    raise CampaignError(f"nothing to resume: {str(ck)!r} does not exist")
