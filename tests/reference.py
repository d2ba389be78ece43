"""A slow, obviously correct pure-Python reference for encoding and decoding, read off H alone.

Everything here is derived from ``code.H`` (and ``code.n``, ``k``, ``r``, ``decoder``,
``correctable``), never from eccsim's compiled tables or numba kernels, so the tests can hold
the fast paths against it. Words are Python ints:

* a data word is a ``k``-bit int, data bit ``i`` = int bit ``i``;
* a check word is an ``r``-bit int, check bit ``j`` = int bit ``j``;
* the codeword is ``data | check << k`` (codeword bit ``b``: data bit ``b`` for ``b < k``,
  check bit ``b - k`` otherwise), as :mod:`eccsim.bits` states.

The array helpers at the end convert to and from eccsim's numpy layout: ``(N,)`` uint64 data for
``k <= 64``, ``(N, W)`` uint64 for wider codes, and one unsigned integer per check word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

CLEAN = -1
DUE = -2

NO_ERROR = 0
CE = 1
DETECTED = 2
SDC_UNDETECTED = 3
SDC_MISCORRECTED = 4


# ----- parity and the rows / columns of H, as Python ints ------------------------------------
def parity(x: int) -> int:
    """1 if ``x`` has an odd number of set bits, else 0."""
    return bin(x).count("1") & 1


_H_CACHE: dict[int, tuple[object, tuple[tuple[int, ...], ...]]] = {}


def _H(code) -> tuple[tuple[int, ...], ...]:
    """H as nested tuples of Python ints (only to make element access cheap; keyed by object
    identity, holding a reference so the id cannot be reused)."""
    hit = _H_CACHE.get(id(code))
    if hit is None or hit[0] is not code:
        hit = _H_CACHE[id(code)] = (code, tuple(tuple(int(x) for x in row) for row in code.H))
    return hit[1]


def _row_mask(code, j: int, start: int, stop: int) -> int:
    """The entries ``H[j, start:stop]`` as an int (entry ``start`` = bit 0)."""
    row = _H(code)[j]
    return sum(row[b] << (b - start) for b in range(start, stop))


def column_syndrome(code, b: int) -> int:
    """The syndrome of a flip in codeword bit ``b``: column ``b`` of H, row ``j`` = bit ``j``."""
    H = _H(code)
    return sum(H[j][b] << j for j in range(code.r))


_INDEX_CACHE: dict[int, tuple[object, dict[int, int]]] = {}


def _pattern_index(code) -> dict[int, int]:
    """syndrome -> index of the first correctable pattern with that syndrome (the decoder's
    definition, read once per code so that decoding one word is a lookup)."""
    hit = _INDEX_CACHE.get(id(code))
    if hit is None or hit[0] is not code:
        cols = [column_syndrome(code, b) for b in range(code.n)]
        index: dict[int, int] = {}
        for p, bits in enumerate(correctable_patterns(code)):
            s = 0
            for b in bits:
                s ^= cols[b]
            index.setdefault(s, p)
        hit = _INDEX_CACHE[id(code)] = (code, index)
    return hit[1]


def syndrome_of_bits(code, bits: Iterable[int]) -> int:
    """Syndrome of the error that flips the given codeword positions (XOR of their columns)."""
    s = 0
    for b in bits:
        s ^= column_syndrome(code, b)
    return s


# ----- the reference codec ---------------------------------------------------------------------
def ref_encode(code, data: int) -> int:
    """Check bits of ``data``: check bit ``j`` = parity of (``H[j, :k]`` AND data)."""
    check = 0
    for j in range(code.r):
        check |= parity(_row_mask(code, j, 0, code.k) & data) << j
    return check


def ref_syndrome(code, data: int, check: int) -> int:
    """Syndrome of the codeword ``(data, check)``: bit ``j`` = parity of (row ``j`` of H AND c)."""
    c = codeword(code, data, check)
    s = 0
    for j in range(code.r):
        s |= parity(_row_mask(code, j, 0, code.n) & c) << j
    return s


def correctable_patterns(code) -> list[tuple[int, ...]]:
    """The error patterns the decoder corrects, from the decoder's definition.

    ``"sec"``: every single bit, pattern index = bit position; ``"detect"``: none;
    ``"patterns"``: exactly ``code.correctable``, in its order."""
    if code.decoder == "sec":
        return [(b,) for b in range(code.n)]
    if code.decoder == "detect":
        return []
    if code.decoder == "patterns":
        return [tuple(p) for p in code.correctable]
    raise ValueError(f"unknown decoder {code.decoder!r}")


def ref_decode(code, data: int, check: int) -> tuple[int, int, int]:
    """Decode one word: ``(data, check, status)``.

    Status is ``CLEAN`` (-1) for syndrome 0, else the index of the correctable pattern whose
    syndrome equals the word's (that pattern is flipped), else ``DUE`` (-2), word unchanged."""
    s = ref_syndrome(code, data, check)
    if s == 0:
        return data, check, CLEAN
    p = _pattern_index(code).get(s)
    if p is None:
        return data, check, DUE
    data2, check2 = flip(code, data, check, correctable_patterns(code)[p])
    return data2, check2, p


def ref_classify(code, written: tuple[int, int], read: tuple[int, int]) -> int:
    """Outcome of reading ``read = (data, check)`` after ``written`` was stored.

    0 no error (read == written), 1 CE (decoder returns what was written), 2 DUE (decoder
    flags the word), 3 SDC undetected (the read word has syndrome 0 but differs), 4 SDC
    miscorrected (the decoder corrects to something other than what was written)."""
    if tuple(read) == tuple(written):
        return NO_ERROR
    d, c, status = ref_decode(code, *read)
    if status == DUE:
        return DETECTED
    if status == CLEAN:
        return SDC_UNDETECTED
    return CE if (d, c) == tuple(written) else SDC_MISCORRECTED


# ----- codewords and flips -------------------------------------------------------------------
def codeword(code, data: int, check: int) -> int:
    """The n-bit codeword: data bits first, then check bits."""
    return data | (check << code.k)


def split(code, word: int) -> tuple[int, int]:
    """Inverse of :func:`codeword`."""
    return word & ((1 << code.k) - 1), word >> code.k


def flip(code, data: int, check: int, bits: Iterable[int]) -> tuple[int, int]:
    """``(data, check)`` with the given codeword positions flipped."""
    e = 0
    for b in bits:
        e ^= 1 << b
    return split(code, codeword(code, data, check) ^ e)


def codeword_bits(code, data: int, check: int) -> list[int]:
    """The codeword as a list of n bits (codeword bit 0 first)."""
    c = codeword(code, data, check)
    return [(c >> b) & 1 for b in range(code.n)]


# ----- numpy layout helpers ------------------------------------------------------------------
def words_per_data(code) -> int:
    """``W = ceil(k / 64)``."""
    return (code.k + 63) // 64


def smallest_check_dtype(r: int) -> np.dtype:
    """The smallest of uint8/16/32/64 with at least ``r`` bits."""
    for bits, dt in ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64)):
        if r <= bits:
            return np.dtype(dt)
    raise ValueError(r)


def data_array(code, values: Sequence[int]) -> np.ndarray:
    """Python ints -> eccsim data array: ``(N,)`` uint64 if k <= 64, else ``(N, W)``."""
    W = words_per_data(code)
    out = np.zeros((len(values), W), dtype=np.uint64)
    for i, v in enumerate(values):
        if v < 0 or v >> code.k:
            raise ValueError(f"{v:#x} is not a {code.k}-bit data word")
        for w in range(W):
            out[i, w] = (v >> (64 * w)) & 0xFFFF_FFFF_FFFF_FFFF
    return out.reshape(-1) if W == 1 else out


def data_ints(code, arr: np.ndarray) -> list[int]:
    """eccsim data array -> Python ints (inverse of :func:`data_array`)."""
    a = np.asarray(arr, dtype=np.uint64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    return [sum(int(a[i, w]) << (64 * w) for w in range(a.shape[1])) for i in range(a.shape[0])]


def check_array(code, values: Sequence[int]) -> np.ndarray:
    """Python ints -> eccsim check array (one unsigned int of the smallest dtype per word)."""
    return np.array([int(v) for v in values], dtype=smallest_check_dtype(code.r))


def check_ints(arr: np.ndarray) -> list[int]:
    """eccsim check array -> Python ints."""
    return [int(v) for v in np.asarray(arr).tolist()]


def random_data(code, rng: np.random.Generator, count: int) -> list[int]:
    """``count`` uniformly random k-bit data words as Python ints."""
    return [
        int.from_bytes(rng.bytes((code.k + 7) // 8), "little") >> (-code.k % 8)
        for _ in range(count)
    ]


def edge_data(code) -> list[int]:
    """All-zeros, all-ones and every single-bit data word."""
    return [0, (1 << code.k) - 1, *(1 << i for i in range(code.k))]


def bits_to_int(bits) -> int:
    """A 0/1 sequence (bit 0 first) as a Python int."""
    return sum(int(b) << i for i, b in enumerate(bits))


# ----- brute-force oracles over every error pattern ------------------------------------------
def column_ints(H) -> list[int]:
    """Columns of an ``r x n`` 0/1 matrix as ints (row ``j`` = bit ``j``), read off H alone."""
    r, n = H.shape
    return [sum(int(H[j, b]) << j for j in range(r)) for b in range(n)]


def outcomes_by_weight(H, correctable: dict[int, frozenset[int]], max_w: int) -> dict[int, Counter]:
    """Outcome of every error pattern of weight 1..max_w under a syndrome-table decoder, by
    enumeration in Python: ``correctable`` maps a syndrome to the set of bits the decoder flips
    for it (any other non-zero syndrome is flagged)."""
    cols = column_ints(H)
    out = {}
    for w in range(1, max_w + 1):
        c = Counter()
        for err in combinations(range(H.shape[1]), w):
            s = 0
            for b in err:
                s ^= cols[b]
            if s == 0:
                c["sdc_undetected"] += 1
            elif s in correctable:
                c["ce" if correctable[s] == frozenset(err) else "sdc_miscorrected"] += 1
            else:
                c["due"] += 1
        out[w] = c
    return out


def low_weight_codeword(code, max_weight: int = 3) -> tuple[int, ...] | None:
    """The first non-zero error of weight <= max_weight with syndrome 0 (a codeword), or None."""
    cols = [column_syndrome(code, b) for b in range(code.n)]
    for w in range(1, max_weight + 1):
        for bits in combinations(range(code.n), w):
            s = 0
            for b in bits:
                s ^= cols[b]
            if s == 0:
                return bits
    return None


def weight_four_codeword(code) -> tuple[int, ...] | None:
    """Two disjoint pairs of columns with equal XOR: a weight-4 codeword, or None."""
    cols = [column_syndrome(code, b) for b in range(code.n)]
    seen: dict[int, list[tuple[int, int]]] = {}
    for a, b in combinations(range(code.n), 2):
        for p in seen.setdefault(cols[a] ^ cols[b], []):
            if not {a, b} & set(p):
                return (*p, a, b)
        seen[cols[a] ^ cols[b]].append((a, b))
    return None
