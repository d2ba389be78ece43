"""Example devices under test, written for the test bench's tests: a correct (72,64) Hsiao
SEC-DED encoder/decoder written from its H matrix with plain numpy (no eccsim kernels), an
extended-Hamming SEC-DED with a detection-only mode, and deliberately buggy variants.

Each ``*_dut()`` factory returns a :class:`eccsim.testbench.PythonDUT`, so the command line
can name them: ``eccsim testbench --python tests/dut_examples/python_duts.py:buggy_all_correctable_dut``.

Layout: vectorized callables get data as ``(N, 1)`` uint64 (k = 64) and return ``(N,)``
check words; check bit j = integer bit j.
"""

from __future__ import annotations

import time

import numpy as np

import eccsim
from eccsim.testbench import DecodeOut, PythonDUT

K, R = 64, 8


def _masks_of(name: str) -> np.ndarray:
    """The code's H, taken as the specification: row j's data part as one uint64 mask."""
    H = eccsim.get_code(name).H
    return np.array([sum(int(H[j, i]) << i for i in range(K)) for j in range(R)], dtype=np.uint64)


def _parity(x: np.ndarray) -> np.ndarray:
    return (np.bitwise_count(x) & 1).astype(np.uint64)


def _check_bits(d: np.ndarray, masks: np.ndarray) -> np.ndarray:
    c = np.zeros(d.shape[0], dtype=np.uint64)
    for j, m in enumerate(masks):
        c |= _parity(d & m) << np.uint64(j)
    return c


def _syndrome_table(masks: np.ndarray) -> np.ndarray:
    """Syndrome -> codeword bit (data 0..63, check bit j = 64 + j), -1 where none."""
    table = np.full(1 << R, -1, dtype=np.int64)
    for i in range(K):
        s = 0
        for j in range(R):
            s |= ((int(masks[j]) >> i) & 1) << j
        table[s] = i
    for j in range(R):
        table[1 << j] = K + j
    return table


HSIAO = _masks_of("hsiao-secded")
HSIAO_TABLE = _syndrome_table(HSIAO)


def _fix(d, c, bit, corr):
    """Flip codeword bit ``bit`` where ``corr``."""
    d, c = d.copy(), c.copy()
    data_fix = corr & (bit >= 0) & (bit < K)
    d[data_fix] ^= np.uint64(1) << bit[data_fix].astype(np.uint64)
    check_fix = corr & (bit >= K)
    c[check_fix] ^= np.uint64(1) << (bit[check_fix] - K).astype(np.uint64)
    return d, c


# ----- the correct Hsiao SEC-DED ------------------------------------------------------------------
def hsiao_encode(data: np.ndarray) -> np.ndarray:
    return _check_bits(data[:, 0], HSIAO)


def hsiao_decode(data: np.ndarray, check: np.ndarray) -> DecodeOut:
    d = data[:, 0]
    s = _check_bits(d, HSIAO) ^ check
    bit = HSIAO_TABLE[s.astype(np.int64)]
    corr = (s != 0) & (bit >= 0)
    unc = (s != 0) & (bit < 0)
    d2, c2 = _fix(d, check, bit, corr)
    return DecodeOut(d2.reshape(-1, 1), c2, corr, unc)


def correct_dut(timeout_s: float = 10.0) -> PythonDUT:
    return PythonDUT(hsiao_encode, hsiao_decode, k=K, r=R, name="hsiao-correct",
                     timeout_s=timeout_s)  # fmt: skip


# ----- bug: the encoder XORs one data bit twice ---------------------------------------------------
XOR_TWICE_CHECK, XOR_TWICE_DATA = 2, next(i for i in range(K) if (int(HSIAO[2]) >> i) & 1)


def xor_twice_encode(data: np.ndarray) -> np.ndarray:
    """Check bit 2's XOR tree takes data bit XOR_TWICE_DATA twice: it cancels out."""
    d = data[:, 0]
    c = _check_bits(d, HSIAO)
    b = (d >> np.uint64(XOR_TWICE_DATA)) & np.uint64(1)
    return c ^ (b << np.uint64(XOR_TWICE_CHECK))  # the second XOR of the same bit


def buggy_xor_twice_dut() -> PythonDUT:
    return PythonDUT(xor_twice_encode, hsiao_decode, k=K, r=R, name="hsiao-xor-twice")


# ----- bug: every non-zero syndrome is "correctable" ----------------------------------------------
def all_correctable_decode(data: np.ndarray, check: np.ndarray):
    d = data[:, 0]
    s = _check_bits(d, HSIAO) ^ check
    bit = HSIAO_TABLE[s.astype(np.int64)]
    corr = s != 0  # the bug: no uncorrectable case
    d2, c2 = _fix(d, check, bit, corr)
    return d2, c2, corr, np.zeros_like(corr)


def buggy_all_correctable_dut() -> PythonDUT:
    return PythonDUT(hsiao_encode, all_correctable_decode, k=K, r=R,
                     name="hsiao-all-correctable")  # fmt: skip


# ----- bug: two check bits swapped (stored in another order than documented) ----------------------
SWAP = (3, 6)


def _swap(c: np.ndarray) -> np.ndarray:
    a, b = (np.uint64(x) for x in SWAP)
    ba, bb = (c >> a) & np.uint64(1), (c >> b) & np.uint64(1)
    x = ba ^ bb
    return c ^ (x << a) ^ (x << b)


def swapped_encode(data: np.ndarray) -> np.ndarray:
    return _swap(hsiao_encode(data))


def swapped_decode(data: np.ndarray, check: np.ndarray) -> DecodeOut:
    out = hsiao_decode(data, _swap(check))
    return DecodeOut(out.data, _swap(out.check), out.corrected, out.uncorrectable)


def buggy_swapped_dut() -> PythonDUT:
    return PythonDUT(swapped_encode, swapped_decode, k=K, r=R, name="hsiao-swapped-checks")


def encoder_only_swapped_dut() -> PythonDUT:
    """The encoder swaps two check bits, the decoder does not: every codeword it writes reads
    back as a two-bit error."""
    return PythonDUT(swapped_encode, hsiao_decode, k=K, r=R, name="hsiao-encoder-swapped")


# ----- extended Hamming with a detection-only mode ------------------------------------------------
HAMMING = _masks_of("hamming-secded")  # check bits 0..6 Hamming, 7 the overall parity
HAMMING_TABLE = _syndrome_table([*HAMMING[:7].tolist(), np.uint64(0)])


class ExtendedHamming:
    """(72,64) extended Hamming SEC-DED as RTL writes it: 7 Hamming check bits and an overall
    parity bit (all data bits and the 7 check bits). ``mode="sec"`` corrects single errors and
    flags double ones; ``mode="detect"`` corrects nothing and flags every error — except, with
    ``parity_bug``, it looks only at the Hamming syndrome and misses a flip of the overall
    parity bit."""

    def __init__(self, mode: str = "sec", parity_bug: bool = False) -> None:
        self.mode, self.parity_bug = mode, parity_bug

    @staticmethod
    def encode(data: np.ndarray) -> np.ndarray:
        d = data[:, 0]
        c = _check_bits(d, HAMMING[:7])
        p = _parity(d) ^ _parity(c)
        return c | (p << np.uint64(7))

    def decode(self, data: np.ndarray, check: np.ndarray):
        d = data[:, 0]
        s = (_check_bits(d, HAMMING[:7]) ^ check) & np.uint64(0x7F)
        pe = _parity(d) ^ _parity(check)  # parity over every received bit
        if self.mode == "detect":
            err = s != 0 if self.parity_bug else (s != 0) | (pe != 0)
            return d.copy(), check.copy(), np.zeros_like(err), err
        single = pe == 1
        bit = np.where(s == 0, K + 7, HAMMING_TABLE[s.astype(np.int64)])
        corr = single & (bit >= 0)
        unc = ((s != 0) & ~single) | (single & (bit < 0))
        d2, c2 = _fix(d, check, bit, corr)
        return d2, c2, corr, unc


def hamming_sec_dut() -> PythonDUT:
    h = ExtendedHamming("sec")
    return PythonDUT(h.encode, h.decode, k=K, r=R, name="ext-hamming-sec")


def hamming_detect_dut() -> PythonDUT:
    h = ExtendedHamming("detect")
    return PythonDUT(h.encode, h.decode, k=K, r=R, name="ext-hamming-detect")


def buggy_detect_parity_dut() -> PythonDUT:
    h = ExtendedHamming("detect", parity_bug=True)
    return PythonDUT(h.encode, h.decode, k=K, r=R, name="ext-hamming-detect-parity-bug")


# ----- per word (Python ints) ---------------------------------------------------------------------
_HSIAO_INTS = [int(m) for m in HSIAO]


def perword_encode(x: int) -> int:
    return sum(((x & m).bit_count() & 1) << j for j, m in enumerate(_HSIAO_INTS))


def perword_decode(x: int, c: int):
    s = perword_encode(x) ^ c
    if s == 0:
        return x, c, False, False
    bit = int(HSIAO_TABLE[s])
    if bit < 0:
        return x, c, False, True
    if bit < K:
        return x ^ (1 << bit), c, True, False
    return x, c ^ (1 << (bit - K)), True, False


def perword_dut() -> PythonDUT:
    return PythonDUT(perword_encode, perword_decode, k=K, r=R, vectorized=False,
                     name="hsiao-per-word")  # fmt: skip


# ----- DUTs that misbehave ------------------------------------------------------------------------
def raising_encode(data):
    raise RuntimeError("encoder exploded")


def wrong_shape_encode(data):
    return np.zeros((data.shape[0], 2), dtype=np.uint64)


def sleepy_decode(data, check):
    time.sleep(30)
    return hsiao_decode(data, check)


def wrong_type_decode(data, check):
    return "not a decode"
