"""An independent oracle: the ``galois`` library's GF(2) linear algebra and its BCH codes.

Codewords are laid out as eccsim states them (tests/reference.py): data bits 0..k-1 first, then
check bits, check bit j at codeword bit k + j. galois does all the arithmetic here.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

import eccsim
from eccsim.codes import hamming_sec, hamming_secded

galois = pytest.importorskip("galois")
GF2 = galois.GF2

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref


def message_bits(code, data: list[int]) -> np.ndarray:
    """(N, k) 0/1 uint8: data bit i of word w at [w, i]."""
    return np.array([[(d >> i) & 1 for i in range(code.k)] for d in data], dtype=np.uint8)


def check_bits(code, checks: np.ndarray) -> np.ndarray:
    """(N, r) 0/1 uint8 from an eccsim check array: check bit j of word w at [w, j]."""
    return np.array([[(int(c) >> j) & 1 for j in range(code.r)] for c in checks], dtype=np.uint8)


def eccsim_codewords(code, data: list[int]) -> np.ndarray:
    """(N, n) 0/1 codewords encoded by eccsim: data bits, then check bits."""
    checks = eccsim.encode(code, ref.data_array(code, data))
    return np.concatenate([message_bits(code, data), check_bits(code, checks)], axis=1)


def generator(code):
    """G = [I_k | A^T] over GF(2), from H = [A | I_r]."""
    A = GF2(np.ascontiguousarray(code.H[:, : code.k]))
    return np.concatenate([GF2.Identity(code.k), A.T], axis=1)


def some_data(code, rng) -> list[int]:
    return [0, (1 << code.k) - 1, *ref.random_data(code, rng, 32)]


# ----- the catalogue, checked with galois linear algebra -------------------------------------
def test_H_times_every_encoded_codeword_is_zero_over_gf2(code, rng):
    cw = GF2(eccsim_codewords(code, some_data(code, rng)))
    assert not np.any(GF2(code.H) @ cw.T)


def test_rank_of_H_over_gf2_is_r(code):
    assert np.linalg.matrix_rank(GF2(code.H)) == code.r


def test_generator_is_orthogonal_to_H(code):
    assert not np.any(generator(code) @ GF2(code.H).T)


def test_galois_generator_encoding_matches_eccsim_bit_for_bit(code, rng):
    data = some_data(code, rng)
    msg = GF2(message_bits(code, data))
    expected = np.asarray(msg @ generator(code), dtype=np.uint8)
    np.testing.assert_array_equal(eccsim_codewords(code, data), expected)


def test_null_space_basis_from_galois_is_encoded_by_eccsim(code):
    """Every vector of galois's basis of the code (null space of H) is a codeword eccsim makes."""
    basis = np.asarray(GF2(code.H).null_space(), dtype=np.uint8)
    assert basis.shape == (code.k, code.n)
    data = [ref.bits_to_int(row[: code.k]) for row in basis]
    np.testing.assert_array_equal(eccsim_codewords(code, data), basis)


# ----- Hamming codes against galois's cyclic Hamming codes (binary BCH, t = 1) ---------------
def weight_distribution(codewords: np.ndarray) -> list[int]:
    """Number of codewords of each Hamming weight 0..n."""
    n = codewords.shape[1]
    return np.bincount(codewords.sum(axis=1).astype(np.int64), minlength=n + 1).tolist()


def all_messages(k: int) -> np.ndarray:
    return np.array(list(product((0, 1), repeat=k)), dtype=np.uint8)


def eccsim_all_codewords(code) -> np.ndarray:
    return eccsim_codewords(code, list(range(1 << code.k)))


def galois_all_codewords(bch, extended: bool) -> np.ndarray:
    cw = np.asarray(bch.encode(GF2(all_messages(bch.k))), dtype=np.uint8)
    if extended:  # append the overall parity bit
        cw = np.concatenate([cw, cw.sum(axis=1, keepdims=True) % 2], axis=1)
    return cw


@pytest.mark.parametrize(("k", "r"), [(4, 3), (11, 4)])
def test_hamming_sec_is_equivalent_to_the_cyclic_hamming_code(k, r):
    """All binary Hamming codes of one length are equivalent: same weight distribution, d = 3."""
    ours = hamming_sec(k, r)
    bch = galois.BCH(k + r, k)
    assert bch.d == 3 and ours.min_distance == 3
    assert weight_distribution(eccsim_all_codewords(ours)) == weight_distribution(
        galois_all_codewords(bch, extended=False)
    )


@pytest.mark.parametrize(("k", "r"), [(4, 3), (11, 4)])
def test_hamming_secded_is_equivalent_to_the_extended_cyclic_hamming_code(k, r):
    ours = hamming_secded(k)
    assert (ours.n, ours.k) == (k + r + 1, k)
    bch = galois.BCH(k + r, k)
    theirs = galois_all_codewords(bch, extended=True)
    assert weight_distribution(eccsim_all_codewords(ours)) == weight_distribution(theirs)
    assert ours.min_distance == 4 == int(theirs[1:].sum(axis=1).min())


def test_perfect_7_4_hamming_decoders_correct_the_same_number_of_received_words():
    """(7,4) Hamming is perfect: of all 128 received words, 16 are codewords and the other 112
    are one flip from exactly one codeword. Both decoders must see it that way."""
    ours = hamming_sec(4, 3)
    bch = galois.BCH(7, 4)
    received = all_messages(7)  # every 7-bit word

    _, nerr = bch.decode(GF2(received), errors=True)
    theirs = np.bincount(np.asarray(nerr) + 1, minlength=3).tolist()  # [-1 (fail), 0, 1]

    words = [(ref.bits_to_int(w[:4]), ref.bits_to_int(w[4:])) for w in received]
    status = eccsim.decode(
        ours,
        ref.data_array(ours, [d for d, _ in words]),
        ref.check_array(ours, [c for _, c in words]),
    ).status
    mine = [
        int((status == eccsim.STATUS_DUE).sum()),
        int((status == -1).sum()),
        int((status >= 0).sum()),
    ]

    assert theirs == mine == [0, 16, 112]
