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
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref


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


@pytest.fixture(params=[*code_names(), *USER_CODES])
def any_code(request, seed) -> LinearCode:
    """Every catalogue code, then every random user code."""
    if request.param in USER_CODES:
        return build_user_code(request.param, seed)[0]
    return get_code(request.param)


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


# ----- encode --------------------------------------------------------------------------------
def test_encode_matches_reference(any_code, rng):
    code = any_code
    data = sample_words(code, rng)
    check = eccsim.encode(code, ref.data_array(code, data))
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
def assert_decode_matches_reference(code, words):
    data, check = as_arrays(code, words)
    data_before, check_before = data.copy(), check.copy()
    dec = eccsim.decode(code, data, check)
    expected = [ref.ref_decode(code, d, c) for d, c in words]
    assert dec.data.shape == data.shape
    assert dec.check.dtype == check.dtype
    assert dec.status.tolist() == [s for _, _, s in expected]
    assert ref.data_ints(code, dec.data) == [d for d, _, _ in expected]
    assert ref.check_ints(dec.check) == [c for _, c, _ in expected]
    # decode works out of place
    np.testing.assert_array_equal(data, data_before)
    np.testing.assert_array_equal(check, check_before)


@pytest.mark.parametrize("nflips", [0, 1, 2, 3])
def test_decode_matches_reference_on_codewords_with_random_flips(any_code, rng, nflips):
    code = any_code
    words = [
        ref.flip(code, d, c, random_positions(code, rng, nflips))
        for d, c in codewords(code, sample_words(code, rng))
    ]
    assert_decode_matches_reference(code, words)


def test_decode_matches_reference_on_arbitrary_words(any_code, rng):
    code = any_code
    assert_decode_matches_reference(code, garbage_words(code, rng, 64))


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
def test_scrub_corrects_in_place_and_counts_match_reference(any_code, rng):
    code = any_code
    written = codewords(code, sample_words(code, rng))
    words = [
        ref.flip(code, d, c, random_positions(code, rng, i % 4)) for i, (d, c) in enumerate(written)
    ]
    words += garbage_words(code, rng, 16)
    data, check = as_arrays(code, words)
    data_id, check_id = id(data), id(check)

    counts = eccsim.scrub(code, data, check)

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
def test_every_path_accepts_empty_arrays(any_code):
    code = any_code
    data, check = as_arrays(code, [])
    W = ref.words_per_data(code)
    assert data.shape == ((0,) if W == 1 else (0, W))

    enc = eccsim.encode(code, data)
    assert enc.shape == (0,) and enc.dtype == ref.smallest_check_dtype(code.r)
    assert eccsim.syndromes(code, data, check).shape == (0,)
    dec = eccsim.decode(code, data, check)
    assert dec.data.shape == data.shape and dec.check.shape == (0,) and dec.status.shape == (0,)
    counts = eccsim.scrub(code, data, check)
    assert (counts.clean, counts.corrected, counts.uncorrectable) == (0, 0, 0)
    assert eccsim.classify(code, data, check, data, check).shape == (0,)


@pytest.mark.parametrize("nflips", [0, 1, 2])
def test_every_path_on_a_single_word(any_code, rng, nflips):
    code = any_code
    (d,) = ref.random_data(code, rng, 1)
    c = ref.ref_encode(code, d)
    rd, rc = ref.flip(code, d, c, random_positions(code, rng, nflips))
    data, check = as_arrays(code, [(rd, rc)])
    wdata, wcheck = as_arrays(code, [(d, c)])
    assert data.shape[0] == 1

    assert ref.check_ints(eccsim.encode(code, wdata)) == [c]
    assert eccsim.syndromes(code, data, check).tolist() == [ref.ref_syndrome(code, rd, rc)]
    ed, ec, es = ref.ref_decode(code, rd, rc)
    dec = eccsim.decode(code, data, check)
    assert (ref.data_ints(code, dec.data), ref.check_ints(dec.check), dec.status.tolist()) == (
        [ed],
        [ec],
        [es],
    )
    assert eccsim.classify(code, wdata, wcheck, data, check).tolist() == [
        ref.ref_classify(code, (d, c), (rd, rc))
    ]
    counts = eccsim.scrub(code, data, check)
    assert (ref.data_ints(code, data), ref.check_ints(check)) == ([ed], [ec])
    assert (counts.clean, counts.corrected, counts.uncorrectable) == (
        int(es == ref.CLEAN),
        int(es >= 0),
        int(es == ref.DUE),
    )
