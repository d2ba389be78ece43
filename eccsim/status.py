"""Decoder status codes, one per decoded codeword (int32 arrays from decode/read).

``status[i] >= 0`` is the index of the correctable pattern the decoder applied (for a SEC code:
the codeword bit it flipped); the negative values are :class:`Status` members. These are what a
decoder *reports*; whether that report was right is an outcome (:mod:`eccsim.outcomes`), which
is why the uncorrectable status is called ``UNCORRECTABLE`` and not DUE.
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """Negative decoder status codes (``>= 0`` means "corrected with pattern #status")."""

    CLEAN = -1  #: syndrome 0: nothing to correct
    UNCORRECTABLE = -2  #: non-zero syndrome the decoder does not correct (flagged, DUE)


#: plain ints for numba kernels and array comparisons
STATUS_CLEAN = int(Status.CLEAN)
STATUS_UNCORRECTABLE = int(Status.UNCORRECTABLE)
#: older name of STATUS_UNCORRECTABLE, kept for user code written against eccsim 0.1
STATUS_DUE = STATUS_UNCORRECTABLE
