"""Throughput measurements, shared by ``eccsim bench`` (a short report) and the
pytest-benchmark suite in ``bench/``. Every ratio is to ``numpy.copyto`` of the same buffer,
measured in the same run, because these machines are shared and absolute speeds drift.

Bandwidth convention: bytes of *data words* processed per second (64 MiB of uint64 words by
default), whatever else an operation reads or writes (check bytes, status words).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from . import dispatch
from .codec import decode, encode, scrub
from .codes import get_code
from .compile import compile_code
from .errors import LimitError
from .status import STATUS_CLEAN
from .validate import check_allocation, require_int

MIB = 1 << 20
MAX_MIB = 16384  #: largest buffer of data words the report measures (MiB)
MAX_TRIALS = 1_000_000_000  #: largest random-campaign trial count per measurement
MAX_GALOIS_WORDS = 1 << 16  #: galois runs ~1000x slower than eccsim: keep its share small
WORKING_SET_FACTOR = 8  #: buffers of ``mib`` MiB alive at once (data, copies, inputs, outputs)


def check_sizes(mib: int, trials: int, galois_words: int, repeat: int) -> None:
    """Refuse sizes that cannot run here, with the limit, before allocating anything."""
    require_int("mib", mib, 1, MAX_MIB, error=LimitError)
    require_int("trials", trials, 1, MAX_TRIALS, error=LimitError)
    require_int("galois_words", galois_words, 1, MAX_GALOIS_WORDS, error=LimitError)
    require_int("repeat", repeat, 1, 1000, error=LimitError)
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        avail = None
    if avail:
        check_allocation(
            f"a benchmark of {mib} MiB ({WORKING_SET_FACTOR} buffers of that size)",
            WORKING_SET_FACTOR * mib * MIB,
            limit=avail,
        )


@dataclass
class Op:
    """One measured operation: ``run()`` processes ``nbytes`` of data words or ``patterns``
    fault patterns; ``setup()`` (untimed) restores its input before each repetition."""

    name: str
    threads: str
    run: Callable[[], object]
    nbytes: int = 0
    patterns: int = 0
    setup: Callable[[], object] | None = None
    group: str = ""
    #: encoder variant forced while this op runs ("" = the automatic choice; see dispatch)
    variant: str = ""
    #: whether the op runs a (72,64)-shaped encoder, the only kind with per-CPU variants
    has_variants: bool = False
    #: whether the op runs a code the wide nibble kernels cover (``avx2`` variant only)
    wide: bool = False

    @property
    def label(self) -> str:
        """The kernel form that runs: the (forced or automatic) variant for encodes of
        (72,64)-shaped codes, ``avx2`` or ``popcount`` for scrubs (their syndrome pass) and
        decodes with status (``avx2``: the fused nibble pass), ``popcount`` for campaign
        kernels, ``-`` otherwise."""
        if self.wide:
            return "avx2" if (self.variant or dispatch.variant()) == "avx2" else "popcount"
        if self.has_variants:
            v = self.variant or dispatch.variant()
            return v if self.group == "encode" or v == "avx2" else "popcount"
        return "popcount" if self.group in ("encode", "scrub", "decode", "campaign") else "-"


@contextlib.contextmanager
def forced_variant(name: str):
    """Run with ``ECCSIM_KERNELS=name`` (nothing forced for ``""``), restoring it afterwards."""
    old = os.environ.get(dispatch.ENV_VARIANT)
    if name:
        os.environ[dispatch.ENV_VARIANT] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(dispatch.ENV_VARIANT, None)
        else:
            os.environ[dispatch.ENV_VARIANT] = old


def threads_all() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS


def set_threads(n: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


def time_op(op: Op, repeat: int = 7) -> float:
    """Median seconds of ``op.run`` over ``repeat`` runs, after one warm-up (JIT) run."""
    if op.setup:
        op.setup()
    op.run()
    ts = []
    for _ in range(repeat):
        if op.setup:
            op.setup()
        t0 = time.perf_counter()
        op.run()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def random_words(nbytes: int, seed: int = 0, width: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = nbytes // 8
    shape = (n // width, width) if width > 1 else (n,)
    return rng.integers(0, np.iinfo(np.uint64).max, size=shape, dtype=np.uint64, endpoint=True)


# ----- baselines ------------------------------------------------------------------------------
DECODE_FLOOR = "traffic floor of decode+status"


def baseline_ops(data: np.ndarray) -> list[Op]:
    """memcpy (every ratio's reference), a read-only pass, and the memory traffic that decode
    with status cannot avoid: the same streams in numpy (copy the data words, copy the check
    bytes, fill an int32 status per word), so the table shows how close decode is to it."""
    dst = np.empty_like(data)
    parts = 4 * threads_all()
    n = data.shape[0]
    check = np.random.default_rng(2).integers(0, 256, n, dtype=np.uint8)
    out_check = np.empty_like(check)
    status = np.empty(n, dtype=np.int32)

    def decode_floor():
        np.copyto(dst, data)
        np.copyto(out_check, check)
        status.fill(STATUS_CLEAN)

    return [
        Op(
            "numpy.copyto (memcpy)",
            "1",
            lambda: np.copyto(dst, data),
            data.nbytes,
            group="baseline",
        ),
        Op("read-only XOR pass", "1", lambda: K._xor_reduce(data), data.nbytes, group="baseline"),
        Op(
            "read-only XOR pass",
            "all",
            lambda: K._xor_reduce_par(data, parts),
            data.nbytes,
            group="baseline",
        ),
        Op(DECODE_FLOOR, "1", decode_floor, data.nbytes, group="baseline"),
    ]


# ----- plain numpy and galois implementations, to show what users gain -----------------------
def numpy_encode(masks: np.ndarray, data: np.ndarray) -> np.ndarray:
    """(72,64)-style encoder in plain numpy: check bit j = parity(popcount(data & mask j))."""
    out = np.zeros(data.shape[0], dtype=np.uint8)
    for j, m in enumerate(masks):
        out |= ((np.bitwise_count(data & m) & 1) << j).astype(np.uint8)
    return out


def numpy_decode(code, data: np.ndarray, check: np.ndarray):
    """Plain-numpy syndrome decoder (single-bit correction through a syndrome table)."""
    cc = compile_code(code)
    syn = numpy_encode(cc.masks[:, 0], data) ^ check
    act = cc.table[syn]
    fix = np.where(act >= 0, cc.pat_data1[np.maximum(act, 0)], np.uint64(0))
    return data ^ fix, np.where(syn == 0, -1, act)


# ----- the catalogue of measured operations ---------------------------------------------------
def encode_ops(data64: np.ndarray, data128: np.ndarray) -> list[Op]:
    """Every catalogue encoder on its automatic variant, then hsiao-secded once more on each
    other variant this CPU runs (forced: an AVX-512 CPU also runs the AVX2 and generic ones)."""
    ops = []
    cases = [(n, "") for n in ("parity-byte", "hamming-secded", "hsiao-secded", "hamming-sec-136")]
    auto = dispatch.variant()
    cases += [("hsiao-secded", v) for v in dispatch.supported_variants() if v != auto]
    for name, variant in cases:
        code = get_code(name)
        d = data128 if code.data_words == 2 else data64
        out = np.empty(d.shape[0], dtype=code.check_dtype)
        for threads, par in (("1", False), ("all", True)):
            ops.append(Op(f"encode {name}", threads,
                          lambda c=code, d=d, o=out, par=par: encode(c, d, o, parallel=par),
                          d.nbytes, group="encode", variant=variant,
                          has_variants=compile_code(code).fast8,
                          wide=compile_code(code).nibble_wide is not None))  # fmt: skip
    return ops


def decode_ops(data: np.ndarray, code_name: str = "hsiao-secded") -> list[Op]:
    code = get_code(code_name)
    check = encode(code, data)
    n = data.shape[0]
    rng = np.random.default_rng(1)
    flips = np.uint64(1) << rng.integers(0, 64, n, dtype=np.uint64)
    one_flip = data ^ flips
    sparse = data.copy()
    idx = np.arange(0, n, 4096)
    sparse[idx] ^= flips[idx]
    from .codec import Decoded

    out = Decoded(np.empty_like(data), np.empty_like(check), np.empty(n, dtype=np.int32))
    work = np.empty_like(data)
    wcheck = np.empty_like(check)
    ops = []
    for label, src in (("clean", data), ("1 flip/word", one_flip), ("1 flip/4096 words", sparse)):

        def setup(src=src):
            np.copyto(work, src)
            np.copyto(wcheck, check)

        for threads, par in (("1", False), ("all", True)):
            ops.append(Op(f"scrub in place, {label}", threads,
                          lambda par=par: scrub(code, work, wcheck, parallel=par), data.nbytes,
                          setup=setup, group="scrub", has_variants=True))  # fmt: skip
            ops.append(Op(f"decode + status, {label}", threads,
                          lambda src=src, par=par: decode(code, src, check, parallel=par, out=out),
                          data.nbytes, group="decode", has_variants=True))  # fmt: skip
    return ops


def campaign_ops(trials: int, code_name: str = "hsiao-secded") -> list[Op]:
    from .injection import inject

    ops = []
    for k in (1, 2, 3, 4):
        for threads in ("1", "all"):
            ops.append(Op(f"random {k}-bit campaign", threads,
                          lambda k=k: inject(code_name, "x8-ecc-dimm", f"bits:{k}", trials=trials),
                          patterns=trials, group="campaign"))  # fmt: skip
    return ops


def analysis_ops(code_name: str = "hsiao-secded", max_bits: int = 8) -> list[Op]:
    from .analysis import exact_kbit

    return [Op(f"exact counts k=1..{max_bits}", "1", lambda: exact_kbit(code_name, max_bits),
               group="analysis")]  # fmt: skip


def reference_ops(data: np.ndarray, galois_words: int) -> list[Op]:
    """The same SECDED encode/decode in plain numpy and in galois (a shortened BCH(127,120)
    of the same (71,64) size; galois is slow, so it gets ``galois_words`` words only)."""
    code = get_code("hsiao-secded")
    cc = compile_code(code)
    check = encode(code, data)
    ops = [
        Op(
            "encode, plain numpy",
            "1",
            lambda: numpy_encode(cc.masks[:, 0], data),
            data.nbytes,
            group="reference",
        ),
        Op(
            "decode, plain numpy",
            "1",
            lambda: numpy_decode(code, data, check),
            data.nbytes,
            group="reference",
        ),
    ]
    try:
        import galois
    except ImportError:
        return ops
    bch = galois.BCH(127, 120)
    msgs = galois.GF2.Random((galois_words, 64), seed=1)
    cws = bch.encode(msgs)
    ops.append(Op("encode, galois BCH(71,64)", "1", lambda: bch.encode(msgs), galois_words * 8,
                  group="reference"))  # fmt: skip
    ops.append(Op("decode, galois BCH(71,64)", "1", lambda: bch.decode(cws), galois_words * 8,
                  group="reference"))  # fmt: skip
    return ops


SYMBOL_ENCODES = ("chipkill-x4", "ssc-dsd-x4", "ddr5-rank-x4")
#: galois rows and the eccsim rows (1 thread) on the same kind of input they compare to
GALOIS_RS_PAIRS = (
    ("encode, galois RS(18,16)", "encode chipkill-x4", "encode"),
    ("decode, galois RS(18,16)", "decode + status chipkill-x4, 1 symbol/word", "decode"),
)


def symbol_error_patterns(code):
    """Every single-symbol error of a symbol code: ``(P, W)`` uint64 data flips and ``(P,)``
    check flips (in the check dtype), one row per symbol and non-zero symbol value."""
    W = code.data_words
    pd, pc = [], []
    for bits in code.symbols:
        for v in range(1, 1 << len(bits)):
            d = [0] * W
            c = 0
            for t, b in enumerate(bits):
                if v >> t & 1:
                    if b < code.k:
                        d[b // 64] |= 1 << (b % 64)
                    else:
                        c |= 1 << (b - code.k)
            pd.append(d)
            pc.append(c)
    return np.array(pd, dtype=np.uint64), np.array(pc, dtype=code.check_dtype)


def symbol_ops(data: np.ndarray) -> list[Op]:
    """The symbol codes on the wide nibble kernels: encode of each catalogue symbol code, and
    decode with status of chipkill-x4 (clean, and one random symbol error per word) and of the
    others (clean), on the same ``data`` bytes."""
    from .codec import Decoded

    ops = []
    for name in SYMBOL_ENCODES:
        code = get_code(name)
        W = code.data_words
        d = data.reshape(-1, W) if W > 1 else data
        out = np.empty(d.shape[0], dtype=code.check_dtype)
        wide = compile_code(code).nibble_wide is not None
        for threads, par in (("1", False), ("all", True)):
            ops.append(Op(f"encode {name}", threads,
                          lambda c=code, d=d, o=out, par=par: encode(c, d, o, parallel=par),
                          d.nbytes, group="encode", wide=wide))  # fmt: skip
        check = encode(code, d)
        cases = [("clean", d, check)]
        if name == "chipkill-x4":
            pd, pc = symbol_error_patterns(code)
            pick = np.random.default_rng(3).integers(0, pd.shape[0], d.shape[0])
            cases.append(("1 symbol/word", d ^ pd[pick], check ^ pc[pick]))
        res = Decoded(np.empty_like(d), np.empty_like(check), np.empty(d.shape[0], np.int32))
        for label, src, chk in cases:
            for threads, par in (("1", False), ("all", True)):
                ops.append(Op(f"decode + status {name}, {label}", threads,
                              lambda c=code, s=src, k=chk, par=par, o=res: decode(
                                  c, s, k, parallel=par, out=o),
                              d.nbytes, group="decode", wide=wide))  # fmt: skip
    return ops


def galois_rs_ops(galois_words: int) -> list[Op]:
    """galois' ReedSolomon(255, 253) over GF(2^8), shortened to 16-symbol messages (the
    RS(18,16) of chipkill-x4): encode, and decode of codewords with one symbol error each (at
    most 1024 of them). Bytes are the 16 data bytes per word, as for eccsim's rows."""
    try:
        import galois
    except ImportError:
        return []
    rs = galois.ReedSolomon(255, 253, field=galois.GF(2**8))
    GF = rs.field
    rng = np.random.default_rng(4)
    msgs = GF(rng.integers(0, 256, size=(galois_words, 16)))
    cws = rs.encode(msgs)
    bad = np.asarray(cws).copy()
    where = rng.integers(0, 18, galois_words)
    bad[np.arange(galois_words), where] ^= rng.integers(1, 256, galois_words).astype(bad.dtype)
    nd = min(galois_words, 1024)  # galois decodes ~2500 words/s: keep the run short
    bad = GF(bad[:nd])
    return [
        Op("encode, galois RS(18,16)", "1", lambda: rs.encode(msgs), galois_words * 16,
           group="reference"),
        Op("decode, galois RS(18,16)", "1", lambda: rs.decode(bad), nd * 16, group="reference"),
    ]  # fmt: skip


SYSTEM_SPEC = "ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136"


def system_ops(trials: int) -> list[Op]:
    """The two-level DDR5 memory-system evaluation (on-die SEC, then the rank's symbol code)
    of sampled whole-chip faults, in patterns per second."""
    from .faults.device import get_device_fault
    from .system import BLOCK, get_system, run_system_blocks

    system, fault = get_system(SYSTEM_SPEC), get_device_fault("chip")
    total = max(BLOCK, trials // 128 // BLOCK * BLOCK)
    blocks = range((total + BLOCK - 1) // BLOCK)
    return [Op(f"system {SYSTEM_SPEC.split('@')[0]}+on-die, chip faults", "1",
               lambda: run_system_blocks(system, fault, exhaustive=False, total=total,
                                         blocks=blocks, seed=0, stream=0),
               patterns=total, group="system")]  # fmt: skip


def lifetime_ops(trials: int) -> list[Op]:
    """Seven-year lifetime trials (3-hour scrub, field FIT rates) of the 18-chip x4 DIMM with
    SEC-DED and with x4 Chipkill on the same faults, in trials per second (one process)."""
    from .lifetime import LifetimeSpec, run_lifetime

    n = max(4096, min(trials, 1 << 20) // 4096 * 4096)
    spec = LifetimeSpec(configs=("hsiao-secded@x4-ecc-dimm", "chipkill-x4@x4-chipkill-dimm"),
                        trials=n, seed=1)  # fmt: skip
    return [Op("lifetime 7 y, SEC-DED + Chipkill x4", "1", lambda: run_lifetime(spec),
               patterns=n, group="lifetime")]  # fmt: skip


def galois_ratio_lines(rows: list[dict]) -> list[str]:
    """``eccsim <op> (1 thread) is Nx galois RS(18,16)`` for each pair of
    :data:`GALOIS_RS_PAIRS` measured in ``rows``."""
    by = {}
    for r in rows:
        by.setdefault((r["operation"], r["threads"]), r)
    lines = []
    for ref, mine, what in GALOIS_RS_PAIRS:
        a, b = by.get((mine, "1")), by.get((ref, "1"))
        if a and b and "GB/s" in a and "GB/s" in b:
            lines.append(f"eccsim chipkill-x4 {what} (1 thread) is "
                         f"{a['GB/s'] / b['GB/s']:,.0f}x galois RS(18,16)")  # fmt: skip
    return lines


def all_ops(mib: int = 64, trials: int = 4_000_000, galois_words: int = 4096) -> list[Op]:
    """Every measured operation on ``mib`` MiB of random data words (baselines first)."""
    data = random_words(mib * MIB)
    return (baseline_ops(data) + encode_ops(data, data.reshape(-1, 2)) + decode_ops(data)
            + symbol_ops(data) + campaign_ops(trials) + system_ops(trials)
            + lifetime_ops(trials // 4) + analysis_ops()
            + reference_ops(data, galois_words) + galois_rs_ops(galois_words))  # fmt: skip


def run_report(mib: int = 64, trials: int = 4_000_000, galois_words: int = 4096,
               repeat: int = 5) -> list[dict]:  # fmt: skip
    """Measure everything once and return rows with throughput and ratio to memcpy.

    Sizes are checked before anything is allocated: the operations hold about
    ``WORKING_SET_FACTOR`` buffers of ``mib`` MiB at once, which must fit in the memory that
    is available now (and in :data:`MAX_MIB`)."""
    check_sizes(mib, trials, galois_words, repeat)
    ops = all_ops(mib, trials, galois_words)
    nall = threads_all()
    rows = []
    copy = ops[0]
    data_nbytes = copy.nbytes
    for op in ops:
        set_threads(1 if op.threads == "1" else nall)
        with forced_variant(op.variant):
            t = time_op(op, repeat)
            label = op.label
        row = {"operation": op.name, "threads": op.threads if op.threads == "1" else str(nall),
               "group": op.group, "variant": label, "seconds": t}  # fmt: skip
        if op.nbytes:
            # memcpy of the same 64 MiB, timed right next to the operation: ratios stay
            # meaningful on a shared, noisy machine
            t_copy = t if op is copy else time_op(copy, repeat) * op.nbytes / data_nbytes
            row["GB/s"] = op.nbytes / t / 1e9
            row["x memcpy"] = t_copy / t
        if op.patterns:
            row["Mpatterns/s"] = op.patterns / t / 1e6
        rows.append(row)
    set_threads(nall)
    return rows
