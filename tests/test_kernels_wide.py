"""The wide nibble-table kernels (:mod:`eccsim._kernels_wide`: codes of up to 4 data words and
32 check bits off the (k <= 64, r <= 8) fast path) against the pure-Python reference, for every
catalogue code they cover and user codes of other shapes: clean words, single-symbol (or
single-bit) errors, random multi-bit errors (corrected, miscorrected or flagged), tails of every
length around the 32-codeword vector step and the decode block, N = 0, serial and parallel, on
every kernel variant the CPU runs (forced through ``ECCSIM_KERNELS``)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import eccsim
from eccsim import LinearCode, dispatch
from eccsim import _kernels_wide as KW
from eccsim._kernels import BLK
from eccsim.codes.symbol import reed_solomon
from eccsim.compile import compile_code
from eccsim.errors import CodeError

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

VARIANTS = dispatch.supported_variants()


def _random_code(k: int, r: int, seed: int) -> LinearCode:
    rng = np.random.default_rng(seed)
    for _ in range(20):
        masks = [int.from_bytes(rng.bytes((k + 7) // 8), "little") >> (-k % 8) for _ in range(r)]
        try:
            return LinearCode.from_check_masks(masks, k, name=f"rand-{k}-{r}")
        except CodeError:  # repeated or zero column: draw again
            continue
    return LinearCode.from_check_masks(masks, k, name=f"rand-{k}-{r}", decoder="detect")


def wide_codes() -> list[LinearCode]:
    """Catalogue codes on the wide kernels and user codes of every covered shape."""
    codes = [eccsim.get_code(n) for n in eccsim.code_names()]
    codes = [c for c in codes if compile_code(c).nibble_wide is not None]
    codes += [
        reed_solomon(10, 8, 8, width=4, name="rs-10-8"),  # W=1, r=16
        reed_solomon(12, 8, 4, width=2, name="rs-12-8-m4"),  # W=1, r=16, 4-bit symbols
        reed_solomon(11, 8, 8, width=4, name="rs-11-8"),  # W=1, r=24 (uint32, keyed)
        _random_code(64, 16, 1),  # (80,64)
        _random_code(150, 12, 2),  # W=3
        _random_code(256, 9, 3),  # W=4, r=9
        _random_code(100, 30, 4),  # W=2, r=30 (keyed)
    ]
    return codes


CODES = wide_codes()
CATALOGUE = {"chipkill-x4", "sddc-x8", "ssc-dsd-x4", "ddr5-rank-x4"}
#: user codes whose shape (data words, check dtype) no catalogue code has: each compiles its own
#: kernels (a minute in all from a cold cache), so they run with -m slow (CI runs those too)
NEW_SHAPES = {"rs-11-8", "rand-150-12", "rand-256-9", "rand-100-30"}
CODE_PARAMS = [
    pytest.param(c, id=c.name, marks=pytest.mark.slow) if c.name in NEW_SHAPES
    else pytest.param(c, id=c.name)
    for c in CODES
]  # fmt: skip


def test_the_wide_kernels_cover_every_catalogue_symbol_code():
    names = {c.name for c in CODES}
    assert CATALOGUE <= names
    shapes = {(compile_code(c).words, compile_code(c).check_dtype.itemsize) for c in CODES}
    assert {(1, 2), (2, 2), (4, 4), (3, 2), (1, 4), (2, 1)} <= shapes


@pytest.fixture(params=VARIANTS)
def forced(request, monkeypatch):
    monkeypatch.setenv(dispatch.ENV_VARIANT, request.param)
    assert dispatch.variant() == request.param
    return request.param


def _errors(code, rng, n: int) -> list[tuple[int, ...]]:
    """Per word: no error, a single-symbol (or single-bit) error, or 2..8 random bits."""
    symbols = getattr(code, "symbols", None)
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(())
        elif kind == 1:
            if symbols:
                bits = symbols[int(rng.integers(len(symbols)))]
                v = int(rng.integers(1, 1 << len(bits)))
                out.append(tuple(b for t, b in enumerate(bits) if v >> t & 1))
            else:
                out.append((int(rng.integers(code.n)),))
        else:
            nb = int(rng.integers(2, 9))
            out.append(tuple(int(b) for b in rng.choice(code.n, size=nb, replace=False)))
    return out


def _words(code, rng, n: int):
    datas = ref.random_data(code, rng, n)
    checks = [ref.ref_encode(code, d) for d in datas]
    reads = [ref.flip(code, d, c, e) for d, c, e in zip(datas, checks, _errors(code, rng, n),
                                                        strict=True)]  # fmt: skip
    return datas, checks, reads


@pytest.mark.parametrize("code", CODE_PARAMS)
@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 95])
def test_encode_decode_scrub_match_the_reference(forced, code, n, rng):
    datas, checks, reads = _words(code, rng, n)
    rd = ref.data_array(code, [d for d, _ in reads])
    rc = ref.check_array(code, [c for _, c in reads])
    want = [ref.ref_decode(code, d, c) for d, c in reads]
    for parallel in (False, True):
        got = eccsim.encode(code, ref.data_array(code, datas), parallel=parallel)
        assert ref.check_ints(got) == checks, (forced, code.name, n, parallel)
        out = eccsim.decode(code, rd, rc, parallel=parallel)
        assert ref.data_ints(code, out.data) == [w[0] for w in want], (forced, code.name, n)
        assert ref.check_ints(out.check) == [w[1] for w in want], (forced, code.name, n)
        assert out.status.tolist() == [w[2] for w in want], (forced, code.name, n)
        d2, c2 = rd.copy(), rc.copy()
        counts = eccsim.scrub(code, d2, c2, parallel=parallel)
        assert ref.data_ints(code, d2) == [w[0] for w in want]
        assert ref.check_ints(c2) == [w[1] for w in want]
        st = np.array([w[2] for w in want], dtype=np.int64)
        clean, corrected, due = (int(x) for x in np.asarray(counts_tuple(counts)))
        assert (clean, corrected, due) == (
            int((st == -1).sum()),
            int((st >= 0).sum()),
            int((st == -2).sum()),
        )


def counts_tuple(counts):
    """(clean, corrected, DUE) from what :func:`eccsim.scrub` returns."""
    if hasattr(counts, "clean"):
        return counts.clean, counts.corrected, counts.uncorrectable
    return tuple(counts)[:3]


@pytest.mark.parametrize(
    "name", ["chipkill-x4", pytest.param("ssc-dsd-x4", marks=pytest.mark.slow), "ddr5-rank-x4"]
)
def test_long_arrays_cover_whole_blocks_and_tails(forced, name, rng):
    """More than one decode block (``BLK`` codewords) with a tail, errors in every block."""
    code = eccsim.get_code(name)
    n = 2 * BLK + 45
    datas, checks, reads = _words(code, rng, n)
    rd = ref.data_array(code, [d for d, _ in reads])
    rc = ref.check_array(code, [c for _, c in reads])
    want = [ref.ref_decode(code, d, c) for d, c in reads]
    assert {w[2] for w in want} & {-2}, "no uncorrectable words in the mix"
    for parallel in (False, True):
        assert ref.check_ints(eccsim.encode(code, ref.data_array(code, datas),
                                            parallel=parallel)) == checks  # fmt: skip
        out = eccsim.decode(code, rd, rc, parallel=parallel)
        assert out.status.tolist() == [w[2] for w in want]
        assert ref.data_ints(code, out.data) == [w[0] for w in want]
        assert ref.check_ints(out.check) == [w[1] for w in want]


def test_clean_blocks_skip_nothing_next_to_a_block_with_an_error(forced, rng):
    """One single-symbol error in the middle of a long clean array: only it is corrected."""
    code = eccsim.get_code("chipkill-x4")
    n = 3 * BLK + 7
    data = rng.integers(0, 2**64, size=(n, 2), dtype=np.uint64)
    check = eccsim.encode(code, data)
    bad = data.copy()
    bad[BLK + 5, 1] ^= np.uint64(0xF0)
    out = eccsim.decode(code, bad, check)
    assert np.array_equal(out.data, data)
    assert np.array_equal(out.check, check)
    assert (np.delete(out.status, BLK + 5) == -1).all() and out.status[BLK + 5] >= 0


@pytest.mark.parametrize("code", CODE_PARAMS)
def test_the_numpy_form_matches_the_kernel(code, rng):
    cc = compile_code(code)
    n = 77
    data = rng.integers(0, 2**64, size=(n, cc.words), dtype=np.uint64)
    if code.k % 64:
        data[:, -1] &= np.uint64((1 << (code.k % 64)) - 1)
    want = np.empty(n, dtype=cc.check_dtype)
    KW.encode_wide_numpy(data, cc.nibble_wide, want)
    assert ref.check_ints(want) == [ref.ref_encode(code, v) for v in ref.data_ints(code, data)]
    if "avx2" in VARIANTS:
        got = np.empty(n, dtype=cc.check_dtype)
        KW._encode_wide(data.reshape(-1), cc.nibble_wide, got, KW.wsel_of(cc.words))
        assert np.array_equal(got, want)


def test_the_tables_are_derived_only_for_codes_off_the_fast_path():
    for name in eccsim.code_names():
        cc = compile_code(eccsim.get_code(name))
        assert (cc.nibble_wide is None) == cc.fast8, name
        if cc.nibble_wide is not None:
            S = cc.check_dtype.itemsize
            assert cc.nibble_wide.shape == (cc.words * 16 * S, 32)
            assert np.array_equal(cc.nibble_wide[:, :16], cc.nibble_wide[:, 16:])


def test_without_the_jit_the_numpy_fallback_decodes_the_same():
    """``NUMBA_DISABLE_JIT=1``: the wide kernels' steps run in numpy, with the same results."""
    prog = (
        "import numpy as np, eccsim\n"
        "from eccsim import dispatch\n"
        "assert dispatch.variant() == 'avx2'\n"
        "c = eccsim.get_code('chipkill-x4')\n"
        "rng = np.random.default_rng(5)\n"
        "d = rng.integers(0, 2**64, size=(70, 2), dtype=np.uint64)\n"
        "k = eccsim.encode(c, d)\n"
        "b = d.copy(); b[3, 0] ^= np.uint64(0xF); b[40, 1] ^= np.uint64(0x1F01)\n"
        "o = eccsim.decode(c, b, k)\n"
        "assert np.array_equal(o.data[:40], d[:40]) and o.status[3] >= 0\n"
        "assert o.status[40] != -1 and (np.delete(o.status, [3, 40]) == -1).all()\n"
        "print(','.join(str(x) for x in k[:5].tolist()), o.status[40])\n"
    )
    if "avx2" not in VARIANTS:
        pytest.skip("the fallback replaces the AVX2 kernels; this CPU does not run them")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    env.pop(dispatch.ENV_VARIANT, None)
    res = subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    c = eccsim.get_code("chipkill-x4")
    rng = np.random.default_rng(5)
    d = rng.integers(0, 2**64, size=(70, 2), dtype=np.uint64)
    k = eccsim.encode(c, d)
    b = d.copy()
    b[3, 0] ^= np.uint64(0xF)
    b[40, 1] ^= np.uint64(0x1F01)
    o = eccsim.decode(c, b, k)
    assert res.stdout.split() == [",".join(str(x) for x in k[:5].tolist()), str(o.status[40])]
