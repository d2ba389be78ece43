"""Every encoder variant the CPU can run (AVX-512 popcount, AVX2 nibble tables, generic shifts)
gives the reference's check bits — forced one by one through ``ECCSIM_KERNELS``, so the generic
path is tested on AVX-512 machines too — and the automatic choice follows the CPU's features."""

from __future__ import annotations

import numpy as np
import pytest

import eccsim
from eccsim import LinearCode, dispatch
from eccsim import _kernels as K
from eccsim.compile import compile_code
from eccsim.errors import InputError

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

VARIANTS = dispatch.supported_variants()


def fast8_codes(rng) -> list[LinearCode]:
    """Catalogue codes on the fast (k <= 64, r <= 8) path, and random codes with r = 1..8."""
    codes = [eccsim.get_code(n) for n in eccsim.code_names()]
    codes = [c for c in codes if compile_code(c).fast8]
    for r in range(1, 9):
        for k in (64, 37):
            masks = [int(m) for m in rng.integers(0, 2**k, size=r, dtype=np.uint64)]
            codes.append(LinearCode.from_check_masks(masks, k, name=f"rand-{k}-{r}",
                                                     decoder="detect"))  # fmt: skip
    return codes


@pytest.fixture(params=VARIANTS)
def forced(request, monkeypatch):
    monkeypatch.setenv(dispatch.ENV_VARIANT, request.param)
    assert dispatch.variant() == request.param
    return request.param


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 1000])
def test_every_variant_encodes_like_the_reference(forced, rng, n):
    for code in fast8_codes(rng):
        values = (ref.edge_data(code) + ref.random_data(code, rng, n))[: max(n, 1)] if n else []
        data = ref.data_array(code, values)
        want = [ref.ref_encode(code, v) for v in values]
        for parallel in (False, True):
            got = eccsim.encode(code, data, parallel=parallel)
            assert ref.check_ints(got) == want, (forced, code.name, n, parallel)


def test_every_variant_agrees_on_a_long_random_array(forced, rng):
    code = eccsim.get_code("hsiao-secded")
    data = rng.integers(0, 2**64, size=200_003, dtype=np.uint64, endpoint=False)
    want = [ref.ref_encode(code, int(v)) for v in data[:2000]]
    got = eccsim.encode(code, data)
    assert ref.check_ints(got[:2000]) == want
    assert np.array_equal(got, eccsim.encode(code, data, parallel=True))


def _generic_lengths() -> list[int]:
    """Lengths that reach every part of the generic encoder: bulk blocks of ``8 * _FOLD_ROWS``
    words, small blocks of ``8 * _FOLD_ROWS_SMALL`` and the per-word tail."""
    big, small = 8 * K._FOLD_ROWS, 8 * K._FOLD_ROWS_SMALL
    return [small - 1, small, small + 1, big, big + small + 37, 2 * big + 3 * small + 7]


@pytest.mark.parametrize("name", ["hsiao-secded", "parity-byte", "rand-37-5", "rand-64-8"])
def test_the_generic_encoder_matches_the_reference_in_every_block_shape(monkeypatch, rng, name):
    """Every word of arrays whose lengths cover the bulk blocks, the small blocks and the
    tail (and an unaligned view), forced ``generic``, serial and parallel."""
    monkeypatch.setenv(dispatch.ENV_VARIANT, "generic")
    code = next(c for c in fast8_codes(np.random.default_rng(7)) if c.name == name)
    for n in _generic_lengths():
        values = ref.random_data(code, rng, n + 3)
        want = [ref.ref_encode(code, v) for v in values]
        data = ref.data_array(code, values)
        for parallel in (False, True):
            got = eccsim.encode(code, data[:n], parallel=parallel)
            assert ref.check_ints(got) == want[:n], (name, n, parallel)
        got = eccsim.encode(code, data[3:])  # a view that starts off the array's alignment
        assert ref.check_ints(got) == want[3:], (name, n)


def test_the_parallel_generic_encoder_splits_into_whole_blocks(monkeypatch, rng):
    """Long enough that every slice holds bulk blocks (slices rounded to whole blocks): the
    words around every slice boundary and a random sample agree with the reference."""
    monkeypatch.setenv(dispatch.ENV_VARIANT, "generic")
    code = eccsim.get_code("hsiao-secded")
    n = 8 * K._FOLD_ROWS * (dispatch.parts() + 1) + 4321
    data = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    got = eccsim.encode(code, data, parallel=True)
    assert np.array_equal(got, eccsim.encode(code, data))
    step = 8 * K._FOLD_ROWS
    idx = {int(i) for i in rng.integers(0, n, 1500)}
    for b in range(0, n, step):
        idx |= {i for i in range(b - 3, b + 3) if 0 <= i < n}
    idx |= set(range(n - 600, n))
    idx = sorted(idx)
    want = [ref.ref_encode(code, int(data[i])) for i in idx]
    assert ref.check_ints(got[idx]) == want


def test_the_automatic_choice_follows_the_cpu(monkeypatch):
    monkeypatch.delenv(dispatch.ENV_VARIANT, raising=False)
    monkeypatch.setattr(dispatch, "cpu_features", lambda: frozenset({"avx2", "avx512vpopcntdq"}))
    assert dispatch.variant() == "avx2"  # the nibble tables win on AVX-512 CPUs too
    monkeypatch.setattr(dispatch, "cpu_features", lambda: frozenset({"avx512vpopcntdq"}))
    assert dispatch.variant() == "avx512"
    monkeypatch.setattr(dispatch, "cpu_features", lambda: frozenset({"avx2", "popcnt"}))
    assert dispatch.variant() == "avx2"
    monkeypatch.setattr(dispatch, "cpu_features", lambda: frozenset({"sse2"}))
    assert dispatch.variant() == "generic"


def test_a_variant_the_cpu_cannot_run_is_refused(monkeypatch):
    monkeypatch.setattr(dispatch, "cpu_features", lambda: frozenset({"sse2"}))
    monkeypatch.setenv(dispatch.ENV_VARIANT, "avx512")
    with pytest.raises(
        InputError, match=r"ECCSIM_KERNELS=avx512 needs CPU features avx512vpopcntdq"
    ):
        dispatch.variant()


def test_an_unknown_variant_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(dispatch.ENV_VARIANT, "avx")
    with pytest.raises(
        InputError, match=r"did you mean avx2 or avx512.*auto, avx2, avx512, generic"
    ):
        dispatch.variant()


@pytest.mark.parametrize("name", ["parity-byte", "hamming-secded", "hsiao-secded"])
def test_every_variant_scrubs_like_the_reference(forced, rng, name):
    """Random words with 0-3 flipped codeword bits (errors in one of 64 words, and whole blocks
    clean, so both the clean fast path and the fix-up pass run), scrubbed in place."""
    code = eccsim.get_code(name)
    n = 5000
    values = ref.random_data(code, rng, n)
    checks = [ref.ref_encode(code, v) for v in values]
    for i in range(0, n, 64):
        if i < 2048:  # the first block stays clean
            continue
        k = int(rng.integers(1, 4))
        bits = [int(b) for b in rng.choice(code.n, size=k, replace=False)]
        values[i], checks[i] = ref.flip(code, values[i], checks[i], bits)
    want = [ref.ref_decode(code, v, c) for v, c in zip(values, checks, strict=True)]
    for parallel in (False, True):
        data, check = ref.data_array(code, values), ref.check_array(code, checks)
        counts = eccsim.scrub(code, data, check, parallel=parallel)
        assert ref.data_ints(code, data) == [w[0] for w in want], (forced, parallel)
        assert ref.check_ints(check) == [w[1] for w in want], (forced, parallel)
        status = [w[2] for w in want]
        assert counts.clean == status.count(ref.CLEAN)
        assert counts.uncorrectable == status.count(ref.DUE)
        assert counts.corrected == n - counts.clean - counts.uncorrectable


def test_a_compile_target_without_avx2_never_gets_the_nibble_kernels(tmp_path):
    """With NUMBA_CPU_FEATURES naming a target without AVX2, only the generic (and no AVX2)
    kernels may be chosen: a kernel must not use instructions its target lacks; the generic
    encoder compiled for SSE2 gives the reference's check bits (every block shape)."""
    import pathlib
    import subprocess
    import sys

    n = 8 * K._FOLD_ROWS + 8 * K._FOLD_ROWS_SMALL + 5  # bulk block, small block, tail
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import reference as ref; "
        "from eccsim import dispatch; import numpy as np, eccsim; "
        "print(dispatch.supported_variants(), dispatch.variant()); "
        "c = eccsim.get_code('hsiao-secded'); "
        f"v = ref.random_data(c, np.random.default_rng(5), {n}); d = ref.data_array(c, v); "
        "w = [ref.ref_encode(c, x) for x in v]; "
        "assert ref.check_ints(eccsim.encode(c, d)) == w; "
        "assert ref.check_ints(eccsim.encode(c, d, parallel=True)) == w"
    )
    env = {**__import__("os").environ, "NUMBA_CPU_NAME": "x86-64", "NUMBA_CPU_FEATURES": "+sse2",
           "NUMBA_CACHE_DIR": str(tmp_path)}  # fmt: skip
    env.pop(dispatch.ENV_VARIANT, None)
    here = str(pathlib.Path(__file__).parent)
    r = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                       env=env, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "('generic',) generic"


def _decode_case(code, rng, n, errors):
    """n codewords; with ``errors`` (0, 1 or 2) bits flipped in some words: every word of the
    first 2048-word block, and every 7th word after, so clean blocks and fix-up blocks both
    occur, as do flips in the 32-word vector blocks and in the scalar tail."""
    values = ref.random_data(code, rng, n)
    checks = [ref.ref_encode(code, v) for v in values]
    if errors:
        for i in range(n):
            if (2048 <= i < 4096) or i % 7 == 3:
                bits = [int(b) for b in rng.choice(code.n, size=errors, replace=False)]
                values[i], checks[i] = ref.flip(code, values[i], checks[i], bits)
    return values, checks


@pytest.mark.parametrize("name", ["parity-byte", "hamming-secded", "hsiao-secded"])
@pytest.mark.parametrize("errors", [0, 1, 2])
@pytest.mark.parametrize(
    "n", [0, *(pytest.param(n, marks=pytest.mark.slow) for n in (1, 31, 2047, 2048)), 33, 2081,
          5003],
)  # fmt: skip
def test_every_variant_decodes_like_the_reference(forced, rng, name, errors, n):
    """decode with status (``avx2``: the fused nibble pass; otherwise popcount) gives the
    reference's data, check bits and status for every word, serial and parallel, including
    lengths that are not multiples of 32 words or of the 2048-word block."""
    code = eccsim.get_code(name)
    values, checks = _decode_case(code, rng, n, errors)
    want = [ref.ref_decode(code, v, c) for v, c in zip(values, checks, strict=True)]
    data, check = ref.data_array(code, values), ref.check_array(code, checks)
    for parallel in (False, True):
        dec = eccsim.decode(code, data, check, parallel=parallel)
        assert ref.data_ints(code, dec.data) == [w[0] for w in want], (forced, parallel)
        assert ref.check_ints(dec.check) == [w[1] for w in want], (forced, parallel)
        assert [int(s) for s in dec.status] == [w[2] for w in want], (forced, parallel)
    # inputs are not modified
    assert ref.data_ints(code, data) == values and ref.check_ints(check) == checks


def test_every_variant_decodes_a_long_array_into_preallocated_outputs(forced, rng):
    """A long array (many parallel slices) decoded into outputs full of garbage: every byte of
    every output stream is written; sampled words and all errors agree with the reference."""
    from eccsim.codec import Decoded

    code = eccsim.get_code("hsiao-secded")
    n = 100_003
    data = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    check = eccsim.encode(code, data)
    flip_at = rng.choice(n, size=300, replace=False)
    data[flip_at] ^= np.uint64(1) << rng.integers(0, 64, size=300, dtype=np.uint64)
    for parallel in (False, True):
        out = Decoded(np.full(n, 0xA5A5, dtype=np.uint64), np.full(n, 0x5A, dtype=np.uint8),
                      np.full(n, 12345, dtype=np.int32))  # fmt: skip
        eccsim.decode(code, data, check, parallel=parallel, out=out)
        idx = sorted({*flip_at.tolist(), *rng.integers(0, n, 1000).tolist(), 0, n - 1})
        for i in idx:
            want = ref.ref_decode(code, int(data[i]), int(check[i]))
            got = (int(out.data[i]), int(out.check[i]), int(out.status[i]))
            assert got == want, (forced, parallel, i)
        clean = np.ones(n, dtype=bool)
        clean[flip_at] = False
        assert np.array_equal(out.data[clean], data[clean])
        assert np.array_equal(out.check[clean], check[clean])
        assert (out.status[clean] == ref.CLEAN).all()
        assert (out.status[~clean] >= 0).all()


@pytest.mark.slow
def test_an_avx2_only_target_encodes_and_decodes_like_the_reference(tmp_path):
    """Compiled for an AVX2-only target (``znver3``, every ``avx512*`` feature off), the
    variants offered are ``avx2`` and ``generic``, and both encode and decode (the fused
    nibble pass under ``avx2``) like the reference, serial and parallel: the code an AVX2-only
    CPU runs. (A fresh process compiles the kernels for that target: ~12 s.)"""
    import os
    import pathlib
    import subprocess
    import sys

    feats = dispatch.cpu_features()
    if "avx2" not in feats:
        pytest.skip("this CPU lacks AVX2")
    import llvmlite.binding as llvm

    host = llvm.get_host_cpu_features()
    flags = ",".join(("-" if k.startswith("avx512") or not v else "+") + k for k, v in host.items())
    n = 8 * K._FOLD_ROWS + 8 * K._FOLD_ROWS_SMALL + 37
    code = (
        "import sys, os; sys.path.insert(0, sys.argv[1]); import reference as ref; "
        "from eccsim import dispatch; import numpy as np, eccsim; "
        "assert dispatch.supported_variants() == ('avx2', 'generic'), "
        "dispatch.supported_variants(); "
        "c = eccsim.get_code('hsiao-secded'); rng = np.random.default_rng(5); "
        f"v = ref.random_data(c, rng, {n}); ch = [ref.ref_encode(c, x) for x in v]; "
        "d = ref.data_array(c, v); "
        "bad = [ref.flip(c, x, y, [int(b) for b in rng.choice(c.n, 1 + i % 2, replace=False)]) "
        "       if i % 5 == 0 else (x, y) for i, (x, y) in enumerate(zip(v, ch))]; "
        "want = [ref.ref_decode(c, x, y) for x, y in bad]; "
        "bd = ref.data_array(c, [x for x, _ in bad]); bc = ref.check_array(c, [y for _, y in bad]); "
        "\nfor var in ('avx2', 'generic'):\n"
        "    os.environ['ECCSIM_KERNELS'] = var\n"
        "    for par in (False, True):\n"
        "        assert ref.check_ints(eccsim.encode(c, d, parallel=par)) == ch, (var, par)\n"
        "        r = eccsim.decode(c, bd, bc, parallel=par)\n"
        "        got = list(zip(ref.data_ints(c, r.data), ref.check_ints(r.check), "
        "[int(s) for s in r.status]))\n"
        "        assert got == want, (var, par)\n"
    )
    env = {**os.environ, "NUMBA_CPU_NAME": "znver3", "NUMBA_CPU_FEATURES": flags,
           "NUMBA_CACHE_DIR": str(tmp_path)}  # fmt: skip
    env.pop(dispatch.ENV_VARIANT, None)
    here = str(pathlib.Path(__file__).parent)
    r = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                       env=env, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
