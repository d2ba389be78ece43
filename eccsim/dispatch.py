"""The one place that picks a numba kernel for an operation on a compiled code.

Callers (:mod:`eccsim.codec`, :mod:`eccsim.injection`, :mod:`eccsim.analysis`,
:mod:`eccsim.benchmark`) validate their arrays first; these functions take validated,
C-contiguous arrays in the layout of :mod:`eccsim.bits` — data ``(N, W)`` uint64, check ``(N,)``
of ``cc.check_dtype`` — and write into preallocated outputs. Variants by code shape:

* ``fast8`` (k <= 64, r <= 8): popcount-mask kernels ``_encode8``/``_decode8``/``_scrub8``
  (``*_par`` across numba threads with ``parallel=True``);
* ``m8w2`` (64 < k <= 128, r <= 8): ``_encode8w2``;
* other ``k <= 64``: ``_encode_w1``; anything else the generic ``(N, W)`` kernels.

Per-CPU variants (AVX-512 / AVX2 / generic) will be chosen here too, so a new variant needs no
change elsewhere.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as K
from .compile import CompiledCode


def parts() -> int:
    """Slices parallel kernels split their work into (4 per numba thread, for balance)."""
    import numba

    return 4 * numba.get_num_threads()


def encode_into(cc: CompiledCode, d: np.ndarray, out: np.ndarray, parallel: bool = False) -> None:
    """Check bits of data ``d (N, W)`` into ``out (N,)``."""
    if cc.fast8:
        if parallel:
            K._encode8_par(d.reshape(-1), cc.m8, out, parts())
        else:
            K._encode8(d.reshape(-1), cc.m8, out)
    elif cc.m8w2 is not None:
        K._encode8w2(d, cc.m8w2, out)
    elif cc.words == 1:
        K._encode_w1(d.reshape(-1), cc.masks, out)
    else:
        K._encode(d, cc.masks, out)


def syndromes_into(cc: CompiledCode, d: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """Syndrome (uint64) of each codeword into ``out (N,)``."""
    K._syndromes(d, c, cc.masks, out)


def decode_into(
    cc: CompiledCode,
    d: np.ndarray,
    c: np.ndarray,
    out_d: np.ndarray,
    out_c: np.ndarray,
    status: np.ndarray,
    parallel: bool = False,
) -> None:
    """Decode out of place: corrected data/check and an int32 status per word
    (:class:`~eccsim.status.Status`, or the correction pattern applied)."""
    table = cc.require_table()
    if cc.fast8:
        args = (d.reshape(-1), c, cc.m8, table, cc.pat_data1, cc.pat_check_c, out_d.reshape(-1),
                out_c, status)  # fmt: skip
        if parallel:
            K._decode8_par(*args, parts())
        else:
            K._decode8(*args)
    else:
        K._decode(d, c, cc.masks, table, cc.pat_data, cc.pat_check, out_d, out_c, status)


def scrub_inplace(cc: CompiledCode, d: np.ndarray, c: np.ndarray, parallel: bool = False):
    """Correct codewords in place; returns int64 counts (clean, corrected, uncorrectable)."""
    counts = np.zeros(3, dtype=np.int64)
    table = cc.require_table()
    if cc.fast8:
        args = (d.reshape(-1), c, cc.m8, table, cc.pat_data1, cc.pat_check_c)
        counts[:] = K._scrub8_par(*args, parts()) if parallel else K._scrub8(*args)
    else:
        K._scrub(d, c, cc.masks, table, cc.pat_data, cc.pat_check, counts)
    return counts


def classify_into(
    cc: CompiledCode,
    od: np.ndarray,
    oc: np.ndarray,
    rd: np.ndarray,
    rc: np.ndarray,
    out: np.ndarray,
) -> None:
    """Outcome code (:mod:`eccsim.outcomes`) of decoding read words ``rd, rc`` against the
    written ``od, oc``, into int8 ``out``."""
    K._classify(od, oc, rd, rc, cc.masks, cc.require_table(), cc.pat_data, cc.pat_check, out)
