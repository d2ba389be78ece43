"""Property tests (hypothesis): what must hold for every data word and every error of a kind.

Codes are drawn from the catalogue; words and error positions from hypothesis. Bit layout and
the H columns come from tests/reference.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import eccsim
from eccsim import code_names, get_code

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

ALL_CODES = tuple(code_names())
SEC_CODES = ("hamming-secded", "hsiao-secded", "hamming-sec-136")
SECDED_CODES = ("hamming-secded", "hsiao-secded")
FAST = settings(max_examples=200, deadline=None)


@st.composite
def codes(draw, names=ALL_CODES):
    return get_code(draw(st.sampled_from(names)))


def data_words(code):
    return st.integers(0, (1 << code.k) - 1)


def positions(code, *, min_size: int, max_size: int):
    return st.lists(st.integers(0, code.n - 1), min_size=min_size, max_size=max_size, unique=True)


def one_word(code, data: int, check: int):
    return ref.data_array(code, [data]), ref.check_array(code, [check])


def encode1(code, data: int) -> int:
    return ref.check_ints(eccsim.encode(code, ref.data_array(code, [data])))[0]


def decode1(code, data: int, check: int) -> tuple[int, int, int]:
    dec = eccsim.decode(code, *one_word(code, data, check))
    return ref.data_ints(code, dec.data)[0], ref.check_ints(dec.check)[0], int(dec.status[0])


# ----- properties ----------------------------------------------------------------------------
@FAST
@given(st.data())
def test_round_trip_without_error_returns_data_unchanged_and_clean(draw):
    code = draw.draw(codes())
    data = draw.draw(data_words(code))
    check = encode1(code, data)
    assert decode1(code, data, check) == (data, check, eccsim.STATUS_CLEAN)


@FAST
@given(st.data())
def test_any_single_flip_is_corrected_by_sec_codes(draw):
    code = draw.draw(codes(SEC_CODES))
    data = draw.draw(data_words(code))
    (pos,) = draw.draw(positions(code, min_size=1, max_size=1))
    check = encode1(code, data)
    assert decode1(code, *ref.flip(code, data, check, [pos])) == (data, check, pos)


@FAST
@given(st.data())
def test_any_two_flips_are_detected_uncorrectable_by_secded_codes(draw):
    code = draw.draw(codes(SECDED_CODES))
    data = draw.draw(data_words(code))
    pair = draw.draw(positions(code, min_size=2, max_size=2))
    check = encode1(code, data)
    rd, rc = ref.flip(code, data, check, pair)
    assert decode1(code, rd, rc) == (rd, rc, eccsim.STATUS_DUE)


@FAST
@given(st.data())
def test_decode_is_idempotent_on_its_own_output(draw):
    """Whatever the word (codeword or not), decoding the decoder's output changes nothing more,
    and a word it corrected is by then a clean codeword."""
    code = draw.draw(codes())
    data = draw.draw(data_words(code))
    check = draw.draw(st.integers(0, (1 << code.r) - 1))
    d1, c1, s1 = decode1(code, data, check)
    d2, c2, s2 = decode1(code, d1, c1)
    assert (d2, c2) == (d1, c1)
    assert s2 == (eccsim.STATUS_DUE if s1 == eccsim.STATUS_DUE else eccsim.STATUS_CLEAN)


@FAST
@given(st.data())
def test_syndrome_of_a_corrupted_codeword_is_the_xor_of_the_flipped_columns(draw):
    code = draw.draw(codes())
    data = draw.draw(data_words(code))
    error = draw.draw(positions(code, min_size=0, max_size=10))
    check = encode1(code, data)
    syn = eccsim.syndromes(code, *one_word(code, *ref.flip(code, data, check, error)))
    expected = 0
    for b in error:  # column b of H, row j as bit j
        expected ^= sum(int(code.H[j, b]) << j for j in range(code.r))
    assert int(syn[0]) == expected


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_scrub_then_decode_is_clean_for_words_with_at_most_one_flip(draw):
    code = draw.draw(codes(SEC_CODES))
    data = draw.draw(st.lists(data_words(code), min_size=1, max_size=16))
    flips = draw.draw(
        st.lists(
            st.one_of(st.none(), st.integers(0, code.n - 1)), min_size=len(data), max_size=len(data)
        )
    )
    written = [(d, encode1(code, d)) for d in data]
    read = [
        ref.flip(code, d, c, [] if f is None else [f])
        for (d, c), f in zip(written, flips, strict=True)
    ]
    rd = ref.data_array(code, [d for d, _ in read])
    rc = ref.check_array(code, [c for _, c in read])

    counts = eccsim.scrub(code, rd, rc)

    assert counts.corrected == sum(f is not None for f in flips)
    assert counts.uncorrectable == 0
    dec = eccsim.decode(code, rd, rc)
    assert (dec.status == eccsim.STATUS_CLEAN).all()
    assert list(zip(ref.data_ints(code, rd), ref.check_ints(rc), strict=True)) == written
    np.testing.assert_array_equal(dec.data, rd)
