"""The one place that picks a numba kernel for an operation on a compiled code.

Callers (:mod:`eccsim.codec`, :mod:`eccsim.injection`, :mod:`eccsim.analysis`,
:mod:`eccsim.benchmark`) validate their arrays first; these functions take validated,
C-contiguous arrays in the layout of :mod:`eccsim.bits` — data ``(N, W)`` uint64, check ``(N,)``
of ``cc.check_dtype`` — and write into preallocated outputs. Variants by code shape:

* ``fast8`` (k <= 64, r <= 8): popcount-mask kernels ``_encode8``/``_decode8``/``_scrub8``
  (``*_par`` across numba threads with ``parallel=True``), or per-CPU variants (below);
* other codes of up to 4 data words and up to 32 check bits (the symbol codes: chipkill-x4,
  sddc-x8, ssc-dsd-x4, ddr5-rank-x4, and user codes of those shapes), under the ``avx2``
  variant: the wide nibble-table kernels of :mod:`eccsim._kernels_wide` for encode, decode with
  status (fused, like the ``fast8`` one) and scrub (``CompiledCode.nibble_wide``);
* otherwise ``m8w2`` (64 < k <= 128, r <= 8): ``_encode8w2``; other ``k <= 64``:
  ``_encode_w1``; anything else the generic ``(N, W)`` popcount kernels.

**Per-CPU variants** of the (72,64)-shaped encoder (``fast8``), chosen here at run time:

* ``avx2``: the nibble-table form (:mod:`eccsim._kernels_avx2`: bytes regrouped by position,
  each nibble looked up with ``vpshufb``, ~4 instructions per word); the fastest on AVX2 *and*
  on AVX-512 CPUs (where LLVM compiles the same IR to AVX-512 shuffles);
* ``avx512``: check bit j = parity of ``popcount(word & mask_j)``; LLVM turns it into
  ``vpopcntq`` on CPUs with AVX-512 VPOPCNTDQ (elsewhere popcount is emulated: slow);
* ``generic``: the same parities by shifts, ANDs and XORs only, for any CPU
  (``_kernels._encode8_fold``: groups of 8 words byte-transposed, masked, and folded by a
  packing tree; ~3 AVX-512 or ~10 AVX2 instructions per word, vectorized across groups).

:func:`variant` picks the first of these the running CPU supports; the environment variable
``ECCSIM_KERNELS`` (``auto``, ``avx512``, ``avx2``, ``generic``) forces one for tests and
benchmarks (an AVX-512 CPU runs all three). Under ``avx2``, scrub takes the nibble syndrome
pass and decode with status a fused nibble pass (``_kernels_avx2._decode8_nibble``: each block
of 32 words is read once, copied to the output, its check bytes copied, status filled with
``Status.CLEAN`` and its syndromes computed in the same loop; the fix-up pass runs only for
blocks with a non-zero syndrome); under ``avx512`` and ``generic`` both use the popcount
kernels. The fused campaign kernel uses popcount on every CPU.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from . import _kernels as K
from .compile import CompiledCode
from .errors import InputError
from .validate import require_choice

VARIANTS = ("avx2", "avx512", "generic")  # best first, where the CPU runs them
ENV_VARIANT = "ECCSIM_KERNELS"
#: CPU features each variant needs (LLVM's names, as in llvmlite's host feature map)
NEEDS = {"avx512": ("avx512vpopcntdq",), "avx2": ("avx2",), "generic": ()}


@functools.cache
def cpu_features() -> frozenset[str]:
    """The features of the CPU numba compiles for, as LLVM names them (``avx2``,
    ``avx512vpopcntdq``, ...): the host's, or those ``NUMBA_CPU_FEATURES`` names when set (a
    kernel must never use instructions its compile target lacks)."""
    import llvmlite.binding as llvm
    from numba import config

    if config.CPU_FEATURES:
        return frozenset(f[1:] for f in config.CPU_FEATURES.split(",") if f.startswith("+"))
    feats = llvm.get_host_cpu_features()
    return frozenset(k for k in feats if feats[k])


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one) and LLVM's CPU name."""
    import platform

    import llvmlite.binding as llvm

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    return f"{name} ({llvm.get_host_cpu_name()})"


def _avx2_kernel():
    """The nibble-table kernels (imported on first use: only AVX2 targets compile them)."""
    from . import _kernels_avx2

    return _kernels_avx2


def _wide_kernel(cc: CompiledCode):
    """The wide nibble-table kernels (:mod:`eccsim._kernels_wide`) when they cover ``cc`` and
    the ``avx2`` variant is in use, else None."""
    if cc.nibble_wide is None or variant() != "avx2":
        return None
    from . import _kernels_wide

    return _kernels_wide


def supported_variants() -> tuple[str, ...]:
    """Variants this CPU (numba's compile target) can run, best first."""
    have = cpu_features()
    return tuple(v for v in VARIANTS if all(f in have for f in NEEDS[v]))


def variant() -> str:
    """The kernel variant in use: ``ECCSIM_KERNELS`` if set (and not ``auto``), else the best
    the CPU supports. A forced variant the CPU cannot run is an :class:`InputError`."""
    forced = os.environ.get(ENV_VARIANT, "auto").strip().lower() or "auto"
    ok = supported_variants()
    if forced == "auto":
        return ok[0]
    require_choice(ENV_VARIANT, forced, ("auto", *VARIANTS))
    if forced not in ok:
        need = ", ".join(NEEDS[forced]) or "nothing"
        raise InputError(
            f"{ENV_VARIANT}={forced} needs CPU features {need}; this CPU "
            f"({cpu_model()}) runs {', '.join(ok)}"
        )
    return forced


def parts() -> int:
    """Slices parallel kernels split their work into (4 per numba thread, for balance)."""
    import numba

    return 4 * numba.get_num_threads()


def encode_into(cc: CompiledCode, d: np.ndarray, out: np.ndarray, parallel: bool = False) -> None:
    """Check bits of data ``d (N, W)`` into ``out (N,)``."""
    if cc.fast8:
        v = variant()
        if v == "avx2":
            kern, tables = _avx2_kernel(), cc.nibble
            if parallel:
                kern._encode8_nibble_par(d.reshape(-1), tables, out, parts())
            else:
                kern._encode8_nibble(d.reshape(-1), tables, out)
        elif parallel:
            K._encode8_par(d.reshape(-1), cc.m8, out, parts(), v == "generic")
        elif v == "generic":
            K._encode8_fold(d.reshape(-1), cc.m8, out)
        else:
            K._encode8(d.reshape(-1), cc.m8, out)
    elif (kw := _wide_kernel(cc)) is not None:
        args = (d.reshape(-1), cc.nibble_wide, out, kw.wsel_of(cc.words))
        if parallel:
            kw._encode_wide_par(*args, parts())
        else:
            kw._encode_wide(*args)
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
    if cc.fast8 and variant() == "avx2":
        kern = _avx2_kernel()
        args = (d.reshape(-1), c, cc.nibble, table, cc.pat_data1, cc.pat_check_c,
                out_d.reshape(-1), out_c, status)  # fmt: skip
        if parallel:
            kern._decode8_nibble_par(*args, parts())
        else:
            kern._decode8_nibble(*args)
    elif cc.fast8:
        args = (d.reshape(-1), c, cc.m8, table, cc.pat_data1, cc.pat_check_c, out_d.reshape(-1),
                out_c, status)  # fmt: skip
        if parallel:
            K._decode8_par(*args, parts())
        else:
            K._decode8(*args)
    elif (kw := _wide_kernel(cc)) is not None:
        args = (d.reshape(-1), c, cc.nibble_wide, table, cc.keys, cc.pat_data, cc.pat_check_c,
                out_d.reshape(-1), out_c, status, kw.wsel_of(cc.words))  # fmt: skip
        if parallel:
            kw._decode_wide_par(*args, parts())
        else:
            kw._decode_wide(*args)
    else:
        K._decode(d, c, cc.masks, table, cc.keys, cc.pat_data, cc.pat_check, out_d, out_c, status)


def scrub_inplace(cc: CompiledCode, d: np.ndarray, c: np.ndarray, parallel: bool = False):
    """Correct codewords in place; returns int64 counts (clean, corrected, uncorrectable)."""
    counts = np.zeros(3, dtype=np.int64)
    table = cc.require_table()
    if cc.fast8 and variant() == "avx2":
        kern = _avx2_kernel()
        args = (d.reshape(-1), c, cc.nibble, table, cc.pat_data1,
                cc.pat_check_c)  # fmt: skip
        counts[:] = (
            kern._scrub8_nibble_par(*args, parts()) if parallel else kern._scrub8_nibble(*args)
        )
    elif cc.fast8:
        args = (d.reshape(-1), c, cc.m8, table, cc.pat_data1, cc.pat_check_c)
        counts[:] = K._scrub8_par(*args, parts()) if parallel else K._scrub8(*args)
    elif (kw := _wide_kernel(cc)) is not None:
        args = (d.reshape(-1), c, cc.nibble_wide, table, cc.keys, cc.pat_data, cc.pat_check_c,
                kw.wsel_of(cc.words))  # fmt: skip
        counts[:] = kw._scrub_wide_par(*args, parts()) if parallel else kw._scrub_wide(*args)
    else:
        K._scrub(d, c, cc.masks, table, cc.keys, cc.pat_data, cc.pat_check, counts)
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
    K._classify(
        od, oc, rd, rc, cc.masks, cc.require_table(), cc.keys, cc.pat_data, cc.pat_check, out
    )
