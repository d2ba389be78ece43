"""The claims each catalogue code makes, checked exhaustively where the error space is small.

Expected values come from coding theory (what a Hamming, Hsiao or parity code guarantees), not
from eccsim's output; codewords are checked against the H-only reference in tests/reference.py.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

import eccsim
from eccsim import get_code

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

SEC_CODES = ["hamming-secded", "hsiao-secded", "hamming-sec-136"]
SECDED_CODES = ["hamming-secded", "hsiao-secded"]
MIN_DISTANCE = {"parity-byte": 2, "hamming-secded": 4, "hsiao-secded": 4, "hamming-sec-136": 3}


def encoded_words(code, data: list[int]) -> list[tuple[int, int]]:
    """Encode with eccsim, and insist every result is a codeword by the reference."""
    checks = ref.check_ints(eccsim.encode(code, ref.data_array(code, data)))
    words = list(zip(data, checks, strict=True))
    for d, c in words:
        assert ref.ref_syndrome(code, d, c) == 0, f"eccsim.encode gave a non-codeword for {d:#x}"
    return words


def corrupted(code, words: list[tuple[int, int]], errors: list[tuple[int, ...]]):
    """Arrays of each word with its error applied: (data array, check array)."""
    flipped = [ref.flip(code, d, c, e) for (d, c), e in zip(words, errors, strict=True)]
    return (
        ref.data_array(code, [d for d, _ in flipped]),
        ref.check_array(code, [c for _, c in flipped]),
    )


def written_arrays(code, words: list[tuple[int, int]]):
    return ref.data_array(code, [d for d, _ in words]), ref.check_array(code, [c for _, c in words])


# ----- single-error correction ---------------------------------------------------------------
@pytest.mark.parametrize("name", SEC_CODES)
def test_sec_code_corrects_every_single_bit_error_at_every_position(name, rng):
    code = get_code(name)
    data = [0, (1 << code.k) - 1, *ref.random_data(code, rng, 4)]
    base = encoded_words(code, data)
    words = [w for w in base for _ in range(code.n)]
    positions = [b for _ in base for b in range(code.n)]  # data bits and check bits alike
    rd, rc = corrupted(code, words, [(b,) for b in positions])

    dec = eccsim.decode(code, rd, rc)

    assert ref.data_ints(code, dec.data) == [d for d, _ in words]
    assert ref.check_ints(dec.check) == [c for _, c in words]
    assert dec.status.tolist() == positions  # status names the corrected codeword bit
    wd, wc = written_arrays(code, words)
    assert (eccsim.classify(code, wd, wc, rd, rc) == ref.CE).all()


# ----- double-error detection ----------------------------------------------------------------
@pytest.mark.parametrize("name", SECDED_CODES)
def test_secded_code_flags_every_double_bit_error_and_never_miscorrects(name, rng):
    code = get_code(name)
    pairs = list(combinations(range(code.n), 2))
    assert len(pairs) == 72 * 71 // 2
    words = encoded_words(code, ref.random_data(code, rng, len(pairs)))
    rd, rc = corrupted(code, words, pairs)

    dec = eccsim.decode(code, rd, rc)

    assert (dec.status == eccsim.STATUS_DUE).all(), [
        pairs[i] for i in np.flatnonzero(dec.status != eccsim.STATUS_DUE)[:5]
    ]
    # a flagged word is handed back untouched
    np.testing.assert_array_equal(dec.data, rd)
    np.testing.assert_array_equal(dec.check, rc)
    wd, wc = written_arrays(code, words)
    assert (eccsim.classify(code, wd, wc, rd, rc) == ref.DETECTED).all()


# ----- per-byte parity -----------------------------------------------------------------------
def byte_group_errors(code, odd: bool) -> list[tuple[int, ...]]:
    """Every non-empty error inside one byte group (data byte j + check bit j) of given parity."""
    out = []
    for j in range(code.r):
        group = [*range(8 * j, 8 * j + 8), code.k + j]
        for w in range(1, len(group) + 1):
            if (w % 2 == 1) == odd:
                out.extend(combinations(group, w))
    return out


def test_parity_byte_detects_every_odd_weight_error_within_one_byte_group(rng):
    code = get_code("parity-byte")
    errors = byte_group_errors(code, odd=True)
    assert len(errors) == 8 * 2**8  # half of the 2**9 subsets of each 9-bit group
    words = encoded_words(code, ref.random_data(code, rng, len(errors)))
    rd, rc = corrupted(code, words, errors)

    dec = eccsim.decode(code, rd, rc)

    assert (dec.status == eccsim.STATUS_DUE).all()
    wd, wc = written_arrays(code, words)
    assert (eccsim.classify(code, wd, wc, rd, rc) == ref.DETECTED).all()


def test_parity_byte_misses_every_even_weight_error_within_one_byte_group(rng):
    """The limitation, stated as a claim: an even number of flips in a byte is invisible."""
    code = get_code("parity-byte")
    errors = byte_group_errors(code, odd=False)
    assert len(errors) == 8 * (2**8 - 1)  # even-weight subsets minus the empty one
    words = encoded_words(code, ref.random_data(code, rng, len(errors)))
    rd, rc = corrupted(code, words, errors)

    assert (eccsim.syndromes(code, rd, rc) == 0).all()
    assert (eccsim.decode(code, rd, rc).status == eccsim.STATUS_CLEAN).all()
    wd, wc = written_arrays(code, words)
    assert (eccsim.classify(code, wd, wc, rd, rc) == ref.SDC_UNDETECTED).all()


def test_parity_byte_detects_a_single_flip_in_each_of_several_bytes(rng):
    """Odd weight in *each* touched byte gives a non-zero syndrome: detection is per byte."""
    code = get_code("parity-byte")
    errors = [
        tuple(8 * j + int(rng.integers(8)) for j in js)
        for js in (c for w in range(1, 9) for c in combinations(range(8), w))
    ]
    words = encoded_words(code, ref.random_data(code, rng, len(errors)))
    rd, rc = corrupted(code, words, errors)
    assert (eccsim.decode(code, rd, rc).status == eccsim.STATUS_DUE).all()


# ----- minimum distance ----------------------------------------------------------------------
@pytest.mark.parametrize(("name", "d"), MIN_DISTANCE.items())
def test_min_distance_property(name, d):
    assert get_code(name).min_distance == d


@pytest.mark.parametrize(("name", "d"), MIN_DISTANCE.items())
def test_min_distance_by_brute_force(name, d):
    code = get_code(name)
    low = ref.low_weight_codeword(code, max_weight=min(d, 3))
    if d <= 3:
        assert low is not None and len(low) == d
        witness = low
    else:
        assert low is None, f"weight-{len(low)} codeword {low} in a distance-{d} code"
        witness = ref.weight_four_codeword(code)
        assert witness is not None and len(witness) == d
    # the witness really is a codeword, by the reference and by eccsim
    data, check = ref.flip(code, 0, 0, witness)
    assert ref.ref_syndrome(code, data, check) == 0
    assert (
        eccsim.syndromes(code, ref.data_array(code, [data]), ref.check_array(code, [check]))[0] == 0
    )


# ----- structure of H ------------------------------------------------------------------------
def test_every_catalogue_code_has_systematic_H(code):
    assert code.H.shape == (code.r, code.n) and code.n == code.k + code.r
    np.testing.assert_array_equal(code.H[:, code.k :], np.eye(code.r, dtype=np.uint8))


def test_hsiao_72_64_data_columns_have_weight_3_or_5_and_are_distinct():
    code = get_code("hsiao-secded")
    A = code.H[:, : code.k]
    assert (code.n, code.k, code.r) == (72, 64, 8)
    assert set(A.sum(axis=0).tolist()) <= {3, 5}
    assert len({tuple(col) for col in A.T}) == code.k


def test_hsiao_72_64_uses_all_56_weight_3_columns():
    code = get_code("hsiao-secded")
    A = code.H[:, : code.k]
    used = {tuple(np.flatnonzero(col).tolist()) for col in A.T if col.sum() == 3}
    assert used == set(combinations(range(8), 3))
    assert len(used) == 56


def test_hsiao_72_64_rows_have_equal_weight():
    code = get_code("hsiao-secded")
    row_weights = code.H.sum(axis=1)
    assert len(set(row_weights.tolist())) == 1, row_weights
    assert int(row_weights[0]) == (56 * 3 + 8 * 5) // 8 + 1  # 26 data ones + the check bit


def test_hamming_sec_136_columns_are_distinct_and_non_zero():
    code = get_code("hamming-sec-136")
    assert (code.n, code.k, code.r) == (136, 128, 8)
    cols = [tuple(col) for col in code.H.T]
    assert all(any(c) for c in cols)
    assert len(set(cols)) == code.n


def test_hamming_secded_columns_are_distinct_and_odd_weight():
    """Odd columns are what make every double error's syndrome even, so never a column."""
    code = get_code("hamming-secded")
    assert (code.n, code.k, code.r) == (72, 64, 8)
    assert (code.H.sum(axis=0) % 2 == 1).all()
    assert len({tuple(col) for col in code.H.T}) == code.n


# ----- codewords -----------------------------------------------------------------------------
def test_encoded_words_satisfy_H_times_codeword_equals_zero(code, rng):
    data = [0, (1 << code.k) - 1, *ref.random_data(code, rng, 64)]
    checks = ref.check_ints(eccsim.encode(code, ref.data_array(code, data)))
    cw = np.array([ref.codeword_bits(code, d, c) for d, c in zip(data, checks, strict=True)])
    product = code.H.astype(np.int64) @ cw.T % 2
    assert not product.any()


# ----- what is known about the distance, said honestly ---------------------------------------
def golay_masks() -> list[int]:
    """The (23, 12) binary Golay code (minimum distance 7), systematic from its generator
    g(x) = x^11 + x^10 + x^6 + x^5 + x^4 + x^2 + 1: data bit i contributes x^(11+i) mod g."""
    g, cols = 0b110001110101, []
    for i in range(12):
        rem = 1 << (11 + i)
        for b in range(11 + i, 10, -1):
            if rem >> b & 1:
                rem ^= g << (b - 11)
        cols.append(rem)
    return [sum(1 << i for i, c in enumerate(cols) if c >> j & 1) for j in range(11)]


@pytest.fixture(params=["syndrome-space", "meet-in-the-middle"])
def search(request, monkeypatch):
    """Run a test under both exact distance searches."""
    from eccsim.codes import linear

    if request.param == "meet-in-the-middle":
        monkeypatch.setattr(linear, "SYNDROME_SEARCH_LIMIT", 0)
    return request.param


def test_golay_23_12_has_distance_7(search):
    code = eccsim.LinearCode.from_check_masks(golay_masks(), k=12)
    assert code.min_distance == 7 and code.distance.exact == 7
    assert code.detects == "any error of 2 to 5 bits"  # d - 1 - t with t = 1 corrected


def test_extended_golay_24_12_with_overall_parity_has_distance_8(search):
    code = eccsim.LinearCode.from_check_masks(
        [*golay_masks(), (1 << 12) - 1], k=12, overall_parity=True
    )
    assert code.min_distance == 8 and str(code.distance) == "8"


def test_distance_above_8_is_reported_as_greater_than_8_not_as_a_number(search):
    # the (12, 1) repetition code: distance 12
    H = np.concatenate([np.ones((11, 1), dtype=np.uint8), np.eye(11, dtype=np.uint8)], axis=1)
    code = eccsim.LinearCode(H, decoder="detect")
    assert code.min_distance is None and code.distance.exact is None
    assert code.distance.short == ">8" and "greater than 8" in str(code.distance)
    assert 9 <= code.distance.at_least <= 12
    assert "not known exactly" in code.detects
    assert "minimum distance: greater than 8" in code.describe()


def test_a_distance_2_code_with_21_check_bits_does_not_claim_8_bit_detection(rng):
    cols = rng.choice(np.arange(1, 1 << 21), size=30, replace=False)
    cols[1] = cols[0]  # two equal columns: a weight-2 codeword
    A = ((cols[None, :] >> np.arange(21)[:, None]) & 1).astype(np.uint8)
    H = np.concatenate([A, np.eye(21, dtype=np.uint8)], axis=1)
    code = eccsim.LinearCode(H, decoder="detect")
    assert code.r == 21
    assert code.min_distance == 2
    assert code.detects == "any 1-bit error"
    assert "8" not in code.detects and "8" not in code.describe().splitlines()[2]


def test_a_distance_not_computed_is_a_stated_lower_bound_not_a_claim(rng):
    """r = 21 and 2100 columns: the column pairs (2.2 million) exceed the search limit, so only
    the bound from distinct non-zero columns (d >= 3) is claimed, and said to be a bound."""
    cols = rng.choice(np.arange(1, 1 << 21), size=2100 - 21, replace=False)
    cols = cols[(cols & (cols - 1)) != 0][:2079]  # no column equal to a check column
    A = ((cols[None, :] >> np.arange(21)[:, None]) & 1).astype(np.uint8)
    code = eccsim.LinearCode(np.concatenate([A, np.eye(21, dtype=np.uint8)], axis=1))
    dist = code.distance
    assert code.min_distance is None and dist.exact is None
    assert dist.at_least == 3 and dist.searched == 2 and dist.short == ">=3"
    assert "not computed beyond weight 2" in str(dist) and "limit" in str(dist)
    assert code.detects.startswith("no error beyond those it corrects")
    assert "not known exactly" in code.detects
    assert "at least 3" in code.describe()


def test_odd_weight_columns_raise_the_bound_to_the_next_even_distance(monkeypatch):
    """Every codeword of an odd-weight-column code has even weight, so 'no codeword of weight
    <= 2' already proves d >= 4 (the Hsiao argument), and that is what is claimed."""
    from eccsim.codes import hsiao_secded, linear

    monkeypatch.setattr(linear, "SYNDROME_SEARCH_LIMIT", 0)
    monkeypatch.setattr(linear, "DISTANCE_SEARCH_BUDGET", 100)  # < C(72, 2): weight 2 only
    code = hsiao_secded(64, 8)
    assert code.distance.exact is None and code.distance.at_least == 4
    assert code.detects.startswith("any 2-bit error")
