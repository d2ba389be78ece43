"""The AVX2 nibble-table encoder (eccsim/_kernels_avx2.py) agrees with the H-only reference and with
eccsim.encode: every catalogue code with the fast (k <= 64, r <= 8) shape and random user codes
(random masks, r = 1..8), on edge words (0, all ones, single bits), on 100k random words and on
lengths that exercise the 32-word blocks and the scalar tail. Under NUMBA_DISABLE_JIT=1 the
numpy fallback is what runs (on any CPU)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import config

import eccsim
from eccsim import LinearCode, code_names, get_code
from eccsim._kernels_avx2 import (
    _decode8_nibble,
    _decode8_nibble_par,
    _encode8_nibble,
    cpu_has_avx2,
    encode_nibble_numpy,
)
from eccsim.compile import build_nibble_tables, compile_code

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

pytestmark = pytest.mark.skipif(
    not config.DISABLE_JIT and not cpu_has_avx2(),
    reason="this CPU lacks AVX2: the nibble-table kernel must not run here",
)

FAST8_CATALOGUE = [n for n in code_names() if compile_code(get_code(n)).fast8]
# name: (k, r, density of ones in the data block)
USER = {f"user-r{r}": (64, r, 0.5) for r in range(1, 9)}
USER |= {"user-k40-r8": (40, 8, 0.5), "user-r5-dense": (64, 5, 0.9), "user-r8-sparse": (64, 8, 0.1)}
LENGTHS = (0, 1, 31, 32, 33, 1000)


def user_code(name: str, seed: int) -> LinearCode:
    """H = [A | I] with random data block A (any columns: detect-only decoder)."""
    rng = np.random.default_rng([seed, *name.encode()])
    k, r, density = USER[name]
    A = (rng.random((r, k)) < density).astype(np.uint8)
    H = np.concatenate([A, np.eye(r, dtype=np.uint8)], axis=1)
    return LinearCode(H, name=name, decoder="detect")


@pytest.fixture(params=[*FAST8_CATALOGUE, *USER])
def fast8_code(request, seed) -> LinearCode:
    if request.param in USER:
        return user_code(request.param, seed)
    return get_code(request.param)


def nibble_encode(code, data: np.ndarray) -> np.ndarray:
    out = np.full(data.shape[0], 0xAA, dtype=np.uint8)  # garbage: every byte must be written
    _encode8_nibble(np.ascontiguousarray(data), build_nibble_tables(compile_code(code).m8), out)
    return out


def random_words(code, rng, n: int) -> np.ndarray:
    d = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    if code.k < 64:
        d &= np.uint64((1 << code.k) - 1)
    return d


def test_catalogue_has_fast8_codes():
    assert FAST8_CATALOGUE, "no catalogue code has the (k <= 64, r <= 8) shape"


def test_edge_words_equal_reference(fast8_code):
    code = fast8_code
    assert compile_code(code).fast8
    words = ref.edge_data(code)
    data = ref.data_array(code, words).reshape(-1)
    expected = ref.check_array(code, [ref.ref_encode(code, w) for w in words])
    assert expected.dtype == np.uint8
    np.testing.assert_array_equal(nibble_encode(code, data), expected)


def test_random_words_and_tails_equal_encode(fast8_code, rng):
    code = fast8_code
    data = random_words(code, rng, 100_000)
    full = eccsim.encode(code, data)
    np.testing.assert_array_equal(nibble_encode(code, data), full)
    for n in LENGTHS:
        np.testing.assert_array_equal(nibble_encode(code, data[:n]), full[:n], err_msg=f"N={n}")
    # a C-contiguous view that starts off a 32-byte boundary
    np.testing.assert_array_equal(nibble_encode(code, data[3 : 3 + 999]), full[3 : 3 + 999])


def test_random_words_equal_reference(fast8_code, rng):
    code = fast8_code
    words = ref.random_data(code, rng, 70)  # 2 blocks of 32 + a tail of 6
    data = ref.data_array(code, words).reshape(-1)
    expected = ref.check_array(code, [ref.ref_encode(code, w) for w in words])
    np.testing.assert_array_equal(nibble_encode(code, data), expected)


def test_numpy_fallback_agrees(fast8_code, rng):
    code = fast8_code
    data = random_words(code, rng, 1000)
    out = np.empty(1000, dtype=np.uint8)
    encode_nibble_numpy(data, build_nibble_tables(compile_code(code).m8), out)
    np.testing.assert_array_equal(out, eccsim.encode(code, data))


def test_table_layout(rng):
    """Row 2p + h holds T[p][h] in both 128-bit lanes; entry v = XOR of the check bits fed by the
    data bits 8p + 4h + b with bit b set in v."""
    m8 = rng.integers(0, 2**64, size=8, dtype=np.uint64)
    t = build_nibble_tables(m8)
    assert t.shape == (16, 32) and t.dtype == np.uint8 and t.flags.c_contiguous
    np.testing.assert_array_equal(t[:, :16], t[:, 16:])
    for row in range(16):
        for v in range(16):
            want = 0
            for j in range(8):
                want |= ref.parity(int(m8[j]) & (v << (4 * row))) << j
            assert t[row, v] == want
    assert not build_nibble_tables(np.zeros(8, dtype=np.uint64)).any()


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 2047, 2048, 2049, 4100])
def test_fused_decode_equals_reference(fast8_code, rng, n):
    """The fused nibble decode, called directly (outputs full of garbage, every byte must be
    written), on every fast-shape code including r < 8 user codes: clean words, and 1- and
    2-bit flips in every 3rd word after the first 2048-word block (a clean block, blocks with
    errors, flips in 32-word vector blocks and in the scalar tail); serial and parallel."""
    code = fast8_code
    cc = compile_code(code)
    values = ref.random_data(code, rng, n)
    checks = [ref.ref_encode(code, v) for v in values]
    for i in range(2048, n, 3):
        bits = [int(b) for b in rng.choice(code.n, size=1 + i % 2, replace=False)]
        values[i], checks[i] = ref.flip(code, values[i], checks[i], bits)
    want = [ref.ref_decode(code, v, c) for v, c in zip(values, checks, strict=True)]
    data = ref.data_array(code, values).reshape(-1)
    check = ref.check_array(code, checks)
    for parallel in (False, True):
        od = np.full(n, 0xA5A5A5A5, dtype=np.uint64)
        oc = np.full(n, 0x5A, dtype=np.uint8)
        st = np.full(n, 777, dtype=np.int32)
        args = (data, check, cc.nibble, cc.table, cc.pat_data1, cc.pat_check_c, od, oc, st)
        if parallel:
            _decode8_nibble_par(*args, 8)
        else:
            _decode8_nibble(*args)
        got = list(zip(ref.data_ints(code, od), ref.check_ints(oc), st.tolist(), strict=True))
        assert got == want, (code.name, n, parallel)
