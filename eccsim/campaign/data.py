"""Data patterns a campaign stores in the lines it injects: ``random`` (fresh per block),
``zeros``, ``ones``, ``checkerboard``, or a ``.npy`` file of lines (read through
:func:`eccsim.safeio.load_npy`: the header is checked before anything is allocated)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..bits import data_words
from ..errors import CampaignError, EccsimError
from ..injection import validate_line_data
from ..safeio import load_npy

DATA_PATTERNS = ("random", "zeros", "ones", "checkerboard")


def check_data_name(name) -> str:
    if not isinstance(name, str) or (name not in DATA_PATTERNS and not name.endswith(".npy")):
        raise CampaignError(
            f"data={name!r} is unknown; choose {', '.join(DATA_PATTERNS)} or a .npy file of lines"
        )
    return name


def load_data(name: str, geom) -> np.ndarray | None:
    """Line data for a data-pattern name: None for random, else a uint64 (lines, S, W) array."""
    check_data_name(name)
    S, W = geom.slots, data_words(geom.k)
    top = np.uint64((1 << (geom.k % 64)) - 1) if geom.k % 64 else np.uint64(2**64 - 1)
    if name == "random":
        return None
    if name == "zeros":
        return np.zeros((1, S, W), dtype=np.uint64)
    if name == "ones":
        d = np.full((1, S, W), np.uint64(2**64 - 1), dtype=np.uint64)
        d[..., -1] &= top
        return d
    if name == "checkerboard":
        d = np.empty((1, S, W), dtype=np.uint64)
        d[0, 0::2] = np.uint64(0x5555555555555555)
        d[0, 1::2] = np.uint64(0xAAAAAAAAAAAAAAAA)
        d[..., -1] &= top
        return d
    arr = load_npy(name, what="data file", error=CampaignError)
    try:
        return validate_line_data(arr, geom)
    except EccsimError as exc:
        raise CampaignError(f"data file {name!r}: {exc}") from None


def fingerprint(name: str) -> dict:
    """SHA-256 and size of a data file: a resume (or a run whose file changed under it) must
    see the very same lines."""
    h = hashlib.sha256()
    size = 0
    try:
        with open(Path(name), "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                size += len(block)
    except OSError as exc:
        raise CampaignError(f"data file {name!r} could not be read ({exc.strerror})") from None
    return {"sha256": h.hexdigest(), "bytes": size}


def data_fingerprints(spec) -> dict[str, dict]:
    """:func:`fingerprint` of every ``.npy`` data file of the spec."""
    return {name: fingerprint(name) for name in spec.data if name not in DATA_PATTERNS}
