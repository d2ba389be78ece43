"""Every public kernel path (encode, syndromes, decode, scrub, classify) agrees with the H-only
reference in tests/reference.py — for every catalogue code and for random user codes built from
a raw H (narrow, k not a multiple of 64, several words wide, non-systematic, detect-only and
pattern-list decoders), on random words and on edge cases (all-zeros, all-ones, single-bit data
words, N = 0, N = 1)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

import eccsim
from eccsim import LinearCode, code_names, get_code

try:
    import reference as ref
    from conftest import SLOW_CODES
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref
    from tests.conftest import SLOW_CODES


# ----- codes under test ----------------------------------------------------------------------
def random_odd_column_A(rng: np.random.Generator, k: int, r: int) -> np.ndarray:
    """``r x k`` data block of distinct random odd-weight (>= 3) columns, so [A | I] is SEC-DED."""
    pool = [c for w in range(3, r + 1, 2) for c in combinations(range(r), w)]
    assert len(pool) >= k
    A = np.zeros((r, k), dtype=np.uint8)
    for i, p in enumerate(rng.choice(len(pool), size=k, replace=False)):
        A[list(pool[p]), i] = 1
    return A


def random_invertible(rng: np.random.Generator, r: int) -> np.ndarray:
    """A random invertible ``r x r`` GF(2) matrix (rejection sampling)."""
    while True:
        M = rng.integers(0, 2, size=(r, r), dtype=np.uint8)
        if ref_rank(M) == r:
            return M


def ref_rank(M: np.ndarray) -> int:
    """GF(2) rank by elimination on row ints (independent of eccsim.gf2)."""
    rows = [sum(int(x) << i for i, x in enumerate(row)) for row in M]
    rank = 0
    for bit in range(M.shape[1]):
        piv = next((i for i in range(rank, len(rows)) if rows[i] >> bit & 1), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        rows = [
            row ^ rows[rank] if i != rank and row >> bit & 1 else row for i, row in enumerate(rows)
        ]
        rank += 1
    return rank


def adjacent_pair_patterns(code_sec: LinearCode) -> list[tuple[int, ...]]:
    """All single bits, plus every adjacent pair whose syndrome is not already taken."""
    pats: list[tuple[int, ...]] = [(b,) for b in range(code_sec.n)]
    taken = {ref.syndrome_of_bits(code_sec, p) for p in pats}
    for b in range(code_sec.n - 1):
        s = ref.syndrome_of_bits(code_sec, (b, b + 1))
        if s and s not in taken:
            taken.add(s)
            pats.append((b, b + 1))
    return pats


USER_CODES = {
    # name: (k, r, variant)
    "user-39-32": (32, 7, "sec"),
    "user-108-100": (100, 8, "sec"),  # W = 2, k not a multiple of 64
    "user-137-128": (128, 9, "sec"),  # W = 2, r = 9: uint16 check bits
    "user-209-200": (200, 9, "sec"),  # W = 4
    "user-39-32-scrambled": (32, 7, "scrambled"),  # H given in non-systematic form
    "user-39-32-detect": (32, 7, "detect"),
    "user-39-32-patterns": (32, 7, "patterns"),
}


def build_user_code(name: str, seed: int) -> tuple[LinearCode, np.ndarray]:
    """The user code and the H matrix exactly as the user handed it to LinearCode."""
    k, r, variant = USER_CODES[name]
    rng = np.random.default_rng([seed, *name.encode()])
    H = np.concatenate([random_odd_column_A(rng, k, r), np.eye(r, dtype=np.uint8)], axis=1)
    if variant == "scrambled":
        H = random_invertible(rng, r).astype(np.int64) @ H % 2
        return LinearCode(H.astype(np.uint8), name=name), H
    if variant == "detect":
        return LinearCode(H, name=name, decoder="detect"), H
    if variant == "patterns":
        pats = adjacent_pair_patterns(LinearCode(H))
        assert len(pats) > H.shape[1]  # some pairs made it in
        return LinearCode(H, name=name, decoder="patterns", correctable=pats), H
    return LinearCode(H, name=name), H


@pytest.fixture(
    params=[*(pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CODES else n
              for n in code_names()), *USER_CODES]
)  # fmt: skip
def any_code(request, seed) -> LinearCode:
    """Every catalogue code, then every random user code."""
    if request.param in USER_CODES:
        return build_user_code(request.param, seed)[0]
    return get_code(request.param)


# ----- the reference itself, on a hand-worked example ---------------------------------------
def test_reference_on_a_hand_worked_7_4_hamming_example():
    """p0 = d0^d1^d3, p1 = d0^d2^d3, p2 = d1^d2^d3, worked by hand for data 0b1011."""
    H = [
        [1, 1, 0, 1, 1, 0, 0],
        [1, 0, 1, 1, 0, 1, 0],
        [0, 1, 1, 1, 0, 0, 1],
    ]
    code = LinearCode(H, name="hand-7-4")
    data = 0b1011  # d0 = 1, d1 = 1, d2 = 0, d3 = 1
    check = 0b001  # p0 = 1^1^1 = 1, p1 = 1^0^1 = 0, p2 = 1^0^1 = 0
    assert ref.ref_encode(code, data) == check
    assert ref.ref_syndrome(code, data, check) == 0
    # flip d2 (codeword bit 2): syndrome = column 2 = rows 1 and 2 -> 0b110
    assert ref.ref_syndrome(code, data ^ 0b0100, check) == 0b110
    assert ref.ref_decode(code, data ^ 0b0100, check) == (data, check, 2)
    # flip p1 (codeword bit 5 = check bit 1)
    assert ref.ref_decode(code, data, check ^ 0b010) == (data, check, 5)
    # flip d0 and d1: syndrome 0b011 ^ 0b101 = 0b110 = column of d2 -> miscorrection
    assert ref.ref_decode(code, data ^ 0b0011, check) == (data ^ 0b0111, check, 2)
    assert ref.ref_classify(code, (data, check), (data ^ 0b0011, check)) == ref.SDC_MISCORRECTED
    # d0, d1, d2 together is the weight-3 codeword 1110000: undetected
    assert ref.ref_syndrome(code, data ^ 0b0111, check) == 0
    assert ref.ref_classify(code, (data, check), (data ^ 0b0111, check)) == ref.SDC_UNDETECTED
    assert ref.ref_classify(code, (data, check), (data, check ^ 0b100)) == ref.CE
    assert ref.ref_classify(code, (data, check), (data, check)) == ref.NO_ERROR
    detect = LinearCode(H, name="hand-7-4-detect", decoder="detect")
    assert ref.ref_decode(detect, data ^ 1, check) == (data ^ 1, check, ref.DUE)
    assert ref.ref_classify(detect, (data, check), (data ^ 1, check)) == ref.DETECTED


# ----- word sets -----------------------------------------------------------------------------
def sample_words(code, rng, n_random: int = 48) -> list[int]:
    """All-zeros, all-ones, every single-bit data word, and some random words."""
    return [*ref.edge_data(code), *ref.random_data(code, rng, n_random)]


def random_positions(code, rng, nflips: int) -> tuple[int, ...]:
    return tuple(int(b) for b in rng.choice(code.n, size=nflips, replace=False))


def codewords(code, data: list[int]) -> list[tuple[int, int]]:
    return [(d, ref.ref_encode(code, d)) for d in data]


def as_arrays(code, words: list[tuple[int, int]]):
    return (
        ref.data_array(code, [d for d, _ in words]),
        ref.check_array(code, [c for _, c in words]),
    )


def garbage_words(code, rng, count: int) -> list[tuple[int, int]]:
    """Arbitrary (data, check) pairs, codewords or not."""
    return [(d, int(rng.integers(0, 1 << code.r))) for d in ref.random_data(code, rng, count)]


# encode, decode and scrub have multi-threaded variants (parallel=True); both must agree.
SERIAL_AND_PARALLEL = pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])


# ----- encode --------------------------------------------------------------------------------
@SERIAL_AND_PARALLEL
def test_encode_matches_reference(any_code, rng, parallel):
    code = any_code
    data = sample_words(code, rng)
    check = eccsim.encode(code, ref.data_array(code, data), parallel=parallel)
    assert check.dtype == ref.smallest_check_dtype(code.r)
    assert check.shape == (len(data),)
    assert ref.check_ints(check) == [ref.ref_encode(code, d) for d in data]


def test_encode_into_out_array_matches_reference(any_code, rng):
    code = any_code
    data = ref.random_data(code, rng, 16)
    out = np.zeros(len(data), dtype=ref.smallest_check_dtype(code.r))
    got = eccsim.encode(code, ref.data_array(code, data), out=out)
    assert got is out
    assert ref.check_ints(out) == [ref.ref_encode(code, d) for d in data]


def test_user_codewords_satisfy_the_H_the_user_gave(seed, rng):
    """A non-systematic H is brought to [A | I] by row operations: same code, same codewords."""
    code, H_user = build_user_code("user-39-32-scrambled", seed)
    assert not np.array_equal(H_user[:, code.k :], np.eye(code.r))
    data = sample_words(code, rng)
    check = ref.check_ints(eccsim.encode(code, ref.data_array(code, data)))
    cw = np.array([ref.codeword_bits(code, d, c) for d, c in zip(data, check, strict=True)])
    assert not (H_user.astype(np.int64) @ cw.T % 2).any()


# ----- syndromes -----------------------------------------------------------------------------
def test_syndromes_match_reference_on_arbitrary_words(any_code, rng):
    code = any_code
    words = [
        *((d, 0) for d in ref.edge_data(code)),
        *((d, (1 << code.r) - 1) for d in ref.edge_data(code)),
        *garbage_words(code, rng, 48),
    ]
    syn = eccsim.syndromes(code, *as_arrays(code, words))
    assert syn.dtype == np.uint64
    assert syn.tolist() == [ref.ref_syndrome(code, d, c) for d, c in words]


# ----- decode --------------------------------------------------------------------------------
def assert_decode_matches_reference(code, words, parallel=False):
    data, check = as_arrays(code, words)
    data_before, check_before = data.copy(), check.copy()
    dec = eccsim.decode(code, data, check, parallel=parallel)
    expected = [ref.ref_decode(code, d, c) for d, c in words]
    assert dec.data.shape == data.shape
    assert dec.check.dtype == check.dtype
    assert dec.status.tolist() == [s for _, _, s in expected]
    assert ref.data_ints(code, dec.data) == [d for d, _, _ in expected]
    assert ref.check_ints(dec.check) == [c for _, c, _ in expected]
    # decode works out of place
    np.testing.assert_array_equal(data, data_before)
    np.testing.assert_array_equal(check, check_before)


@SERIAL_AND_PARALLEL
@pytest.mark.parametrize("nflips", [0, 1, 2, 3])
def test_decode_matches_reference_on_codewords_with_random_flips(any_code, rng, nflips, parallel):
    code = any_code
    words = [
        ref.flip(code, d, c, random_positions(code, rng, nflips))
        for d, c in codewords(code, sample_words(code, rng))
    ]
    assert_decode_matches_reference(code, words, parallel)


@SERIAL_AND_PARALLEL
def test_decode_matches_reference_on_arbitrary_words(any_code, rng, parallel):
    code = any_code
    assert_decode_matches_reference(code, garbage_words(code, rng, 64), parallel)


def test_decode_matches_reference_on_every_correctable_pattern(any_code, rng):
    """Each pattern the decoder claims to correct, applied to a random codeword."""
    code = any_code
    pats = ref.correctable_patterns(code)
    words = [
        ref.flip(code, d, c, p)
        for (d, c), p in zip(
            codewords(code, ref.random_data(code, rng, len(pats))), pats, strict=True
        )
    ]
    assert_decode_matches_reference(code, words)


# ----- scrub ---------------------------------------------------------------------------------
@SERIAL_AND_PARALLEL
def test_scrub_corrects_in_place_and_counts_match_reference(any_code, rng, parallel):
    code = any_code
    written = codewords(code, sample_words(code, rng))
    words = [
        ref.flip(code, d, c, random_positions(code, rng, i % 4)) for i, (d, c) in enumerate(written)
    ]
    words += garbage_words(code, rng, 16)
    data, check = as_arrays(code, words)
    data_id, check_id = id(data), id(check)

    counts = eccsim.scrub(code, data, check, parallel=parallel)

    expected = [ref.ref_decode(code, d, c) for d, c in words]
    statuses = [s for _, _, s in expected]
    assert id(data) == data_id and id(check) == check_id
    assert ref.data_ints(code, data) == [d for d, _, _ in expected]
    assert ref.check_ints(check) == [c for _, c, _ in expected]
    assert counts.clean == statuses.count(ref.CLEAN)
    assert counts.uncorrectable == statuses.count(ref.DUE)
    assert counts.corrected == sum(s >= 0 for s in statuses)
    assert counts.clean + counts.corrected + counts.uncorrectable == len(words)


def test_scrub_leaves_clean_and_uncorrectable_words_unchanged(any_code, rng):
    code = any_code
    words = garbage_words(code, rng, 64) + codewords(code, ref.random_data(code, rng, 8))
    data, check = as_arrays(code, words)
    eccsim.scrub(code, data, check)
    after = list(zip(ref.data_ints(code, data), ref.check_ints(check), strict=True))
    for before, now in zip(words, after, strict=True):
        if ref.ref_decode(code, *before)[2] < 0:
            assert now == before


# ----- classify ------------------------------------------------------------------------------
def test_classify_matches_reference(any_code, rng):
    code = any_code
    written = codewords(code, sample_words(code, rng))
    read = [
        ref.flip(code, d, c, random_positions(code, rng, i % 5)) for i, (d, c) in enumerate(written)
    ]
    # and some reads that have nothing to do with what was written
    written += codewords(code, ref.random_data(code, rng, 16))
    read += garbage_words(code, rng, 16)
    out = eccsim.classify(code, *as_arrays(code, written), *as_arrays(code, read))
    expected = [ref.ref_classify(code, w, r) for w, r in zip(written, read, strict=True)]
    assert out.tolist() == expected
    assert ref.NO_ERROR in expected  # the 0-flip rows are there


# ----- N = 0 and N = 1 ---------------------------------------------------------------------
@SERIAL_AND_PARALLEL
def test_every_path_accepts_empty_arrays(any_code, parallel):
    code = any_code
    data, check = as_arrays(code, [])
    W = ref.words_per_data(code)
    assert data.shape == ((0,) if W == 1 else (0, W))

    enc = eccsim.encode(code, data, parallel=parallel)
    assert enc.shape == (0,) and enc.dtype == ref.smallest_check_dtype(code.r)
    assert eccsim.syndromes(code, data, check).shape == (0,)
    dec = eccsim.decode(code, data, check, parallel=parallel)
    assert dec.data.shape == data.shape and dec.check.shape == (0,) and dec.status.shape == (0,)
    counts = eccsim.scrub(code, data, check, parallel=parallel)
    assert (counts.clean, counts.corrected, counts.uncorrectable) == (0, 0, 0)
    assert eccsim.classify(code, data, check, data, check).shape == (0,)


@SERIAL_AND_PARALLEL
@pytest.mark.parametrize("nflips", [0, 1, 2])
def test_every_path_on_a_single_word(any_code, rng, nflips, parallel):
    code = any_code
    (d,) = ref.random_data(code, rng, 1)
    c = ref.ref_encode(code, d)
    rd, rc = ref.flip(code, d, c, random_positions(code, rng, nflips))
    data, check = as_arrays(code, [(rd, rc)])
    wdata, wcheck = as_arrays(code, [(d, c)])
    assert data.shape[0] == 1

    assert ref.check_ints(eccsim.encode(code, wdata, parallel=parallel)) == [c]
    assert eccsim.syndromes(code, data, check).tolist() == [ref.ref_syndrome(code, rd, rc)]
    ed, ec, es = ref.ref_decode(code, rd, rc)
    dec = eccsim.decode(code, data, check, parallel=parallel)
    assert (ref.data_ints(code, dec.data), ref.check_ints(dec.check), dec.status.tolist()) == (
        [ed],
        [ec],
        [es],
    )
    assert eccsim.classify(code, wdata, wcheck, data, check).tolist() == [
        ref.ref_classify(code, (d, c), (rd, rc))
    ]
    counts = eccsim.scrub(code, data, check, parallel=parallel)
    assert (ref.data_ints(code, data), ref.check_ints(check)) == ([ed], [ec])
    assert (counts.clean, counts.corrected, counts.uncorrectable) == (
        int(es == ref.CLEAN),
        int(es >= 0),
        int(es == ref.DUE),
    )


# ----- many words: block boundaries and all-clean blocks ---------------------------------------
# Words are processed in blocks (and, in parallel, in slices), with a shortcut for blocks whose
# syndromes are all zero. A long array with clean stretches, errors at block edges and a ragged
# tail must decode exactly like the reference, word by word.
BLOCK = 2048
LONG_N = 4 * BLOCK + 77
# rows 0..2047 and 4096..6143 stay clean; errors at the edges of rows 2048..4095, inside
# 6144..8191, and at both ends of the ragged tail
ERROR_ROWS = [BLOCK, BLOCK + 1, 2 * BLOCK - 1, 3 * BLOCK + 1000, 4 * BLOCK, LONG_N - 1]


@SERIAL_AND_PARALLEL
def test_long_arrays_with_sparse_errors_match_reference(any_code, rng, parallel):
    code = any_code
    data = ref.random_data(code, rng, LONG_N)
    data[1] = 0  # an all-zero and an all-ones word in a clean stretch
    data[2] = (1 << code.k) - 1
    written = list(zip(data, eccsim.encode(code, ref.data_array(code, data)).tolist(), strict=True))
    for d, c in written[:: LONG_N // 64]:
        assert ref.ref_encode(code, d) == c
    read = list(written)
    for i, row in enumerate(ERROR_ROWS):
        read[row] = ref.flip(code, *written[row], random_positions(code, rng, 1 + i % 3))
    rd, rc = as_arrays(code, read)

    dec = eccsim.decode(code, rd, rc, parallel=parallel)
    expected = {row: ref.ref_decode(code, *read[row]) for row in ERROR_ROWS}
    want_status = [expected[i][2] if i in expected else ref.CLEAN for i in range(LONG_N)]
    want_words = [expected[i][:2] if i in expected else read[i] for i in range(LONG_N)]
    assert dec.status.tolist() == want_status
    got_words = list(zip(ref.data_ints(code, dec.data), ref.check_ints(dec.check), strict=True))
    assert got_words == want_words

    counts = eccsim.scrub(code, rd, rc, parallel=parallel)
    assert list(zip(ref.data_ints(code, rd), ref.check_ints(rc), strict=True)) == want_words
    assert (counts.clean, counts.corrected, counts.uncorrectable) == (
        want_status.count(ref.CLEAN),
        sum(s >= 0 for s in want_status),
        want_status.count(ref.DUE),
    )


# ----- (N, 1) layout for k <= 64 ------------------------------------------------------------
NARROW_CODES = [
    *(name for name in code_names() if get_code(name).k <= 64),
    *(name for name, (k, _, _) in USER_CODES.items() if k <= 64),
]


@SERIAL_AND_PARALLEL
@pytest.mark.parametrize("name", NARROW_CODES)
def test_n_by_1_data_layout_behaves_like_1d_for_narrow_codes(name, seed, rng, parallel):
    code = build_user_code(name, seed)[0] if name in USER_CODES else get_code(name)
    assert ref.words_per_data(code) == 1
    written = codewords(code, ref.random_data(code, rng, 40))
    read = [
        ref.flip(code, d, c, random_positions(code, rng, i % 3)) for i, (d, c) in enumerate(written)
    ]
    rd, rc = as_arrays(code, read)
    rd2 = rd.reshape(-1, 1).copy()
    expected = [ref.ref_decode(code, d, c) for d, c in read]

    enc = eccsim.encode(code, rd2, parallel=parallel)
    assert ref.check_ints(enc) == [ref.ref_encode(code, d) for d, _ in read]
    dec = eccsim.decode(code, rd2, rc, parallel=parallel)
    assert dec.data.shape == (len(read), 1)
    assert ref.data_ints(code, dec.data) == [d for d, _, _ in expected]
    assert dec.status.tolist() == [s for _, _, s in expected]
    eccsim.scrub(code, rd2, rc, parallel=parallel)
    assert ref.data_ints(code, rd2) == [d for d, _, _ in expected]
    assert ref.check_ints(rc) == [c for _, c, _ in expected]
