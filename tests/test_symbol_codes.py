"""Symbol codes (Chipkill, SDDC, SSC-DSD, DDR5 rank-level ECC): the field, the Reed-Solomon
construction against galois, and each code's symbol-level claims, checked exhaustively.

Claims and how they are proven here:

* encode equals galois' (shortened) ReedSolomon parity symbols, bit for bit through the layout;
* SSC: every non-zero error pattern inside every single symbol is corrected (decoded by the real
  kernels on random codewords);
* symbol distance d: every set of d - 1 symbols' columns of H is linearly independent over GF(2)
  (so no non-zero codeword lives on fewer than d symbols) — exhaustive over all symbol subsets;
  hence every error in 2 .. d - 2 symbols is detected and never miscorrected;
* the layout puts each symbol on one chip of the module preset it is made for, and refuses the
  others with a message naming both.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

import eccsim
from eccsim.codes import SymbolCode, get_code, interleaved_symbols, reed_solomon
from eccsim.compile import compile_code
from eccsim.errors import CodeError, ModuleError
from eccsim.gf2m import DEFAULT_POLY, GF2m
from eccsim.module import get_module

galois = pytest.importorskip("galois")

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

#: catalogue symbol code -> the module preset it is laid out for
SYMBOL_CODES = {
    "chipkill-x4": "x4-chipkill-dimm",
    "sddc-x8": "x8-lockstep-2dimm",
    "ssc-dsd-x4": "x4-lockstep-2dimm",
    "ddr5-rank-x4": "ddr5-x4-subchannel",
}
AVAILABLE = [n for n in SYMBOL_CODES if n in eccsim.code_names()]


@pytest.fixture(params=AVAILABLE)
def sym_code(request) -> SymbolCode:
    return get_code(request.param)


# ----- the field -----------------------------------------------------------------------------
@pytest.mark.parametrize("m", sorted(DEFAULT_POLY))
def test_field_tables_equal_galois_for_every_supported_size(m):
    F = galois.GF(2**m)
    gf = GF2m(m)
    assert gf.poly == int(F.irreducible_poly)
    alpha = F.primitive_element
    assert int(alpha) == 2  # the polynomial basis element x
    order = gf.q - 1
    # alpha^i for every i (checked in full up to 2^12; a stride of powers beyond)
    idx = np.arange(order) if m <= 12 else np.arange(0, order, 97)
    assert np.array_equal(gf.exp[idx], np.asarray(alpha**idx, dtype=np.int64))


def test_every_product_in_gf256_equals_galois():
    F = galois.GF(2**8)
    gf = GF2m(8)
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    want = np.asarray(F(a.ravel()) * F(b.ravel()), dtype=np.int64)
    got = np.array([gf.mul(int(x), int(y)) for x, y in zip(a.ravel(), b.ravel(), strict=True)])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("m", [4, 8])
def test_the_multiplication_matrix_multiplies(m):
    gf = GF2m(m)
    F = galois.GF(2**m)
    for h in (1, 2, 3, gf.q - 1, 0x53 % gf.q):
        M = gf.mul_matrix(h).astype(np.int64)
        for x in range(gf.q):
            bits = (x >> np.arange(m)) & 1
            y = int(((M @ bits) % 2) @ (1 << np.arange(m)))
            assert y == int(F(h) * F(x))
        assert gf.mul(h, gf.inv(h)) == 1


def test_a_polynomial_that_is_not_primitive_is_refused():
    with pytest.raises(CodeError, match="not primitive"):
        GF2m(4, 0x1F)  # x^4+x^3+x^2+x+1: irreducible, alpha has order 5
    with pytest.raises(CodeError, match="m=17"):
        GF2m(17)
    with pytest.raises(CodeError, match="poly="):
        GF2m(8, 0x1D)


# ----- Reed-Solomon against galois -------------------------------------------------------------
def symbols_to_words(code: SymbolCode, sym: np.ndarray) -> tuple[list[int], list[int]]:
    """(data ints, check ints) of codewords whose symbol values are the rows of ``sym``."""
    datas, checks = [], []
    for row in sym:
        cw = 0
        for s, v in enumerate(row):
            for b in range(code.symbol_bits):
                if int(v) >> b & 1:
                    cw |= 1 << code.symbols[s][b]
        d, c = ref.split(code, cw)
        datas.append(d)
        checks.append(c)
    return datas, checks


def galois_rs(code: SymbolCode):
    F = galois.GF(2**code.symbol_bits)
    q = 2**code.symbol_bits
    return F, galois.ReedSolomon(q - 1, q - 1 - code.r_sym, field=F)


RS_SHAPES = [  # (n_sym, k_sym, m, width)
    (18, 16, 8, 4), (18, 16, 8, 8), (10, 8, 8, 4), (36, 32, 8, 4), (15, 11, 4, 4), (12, 8, 4, 2),
    (6, 4, 4, 1),
]  # fmt: skip


@pytest.mark.parametrize("shape", RS_SHAPES, ids=lambda s: "RS({},{})m{}w{}".format(*s))
def test_reed_solomon_encode_equals_galois(shape, rng):
    n_sym, k_sym, m, width = shape
    code = reed_solomon(n_sym, k_sym, m, width=width)
    F, rs = galois_rs(code)
    msg = rng.integers(0, 2**m, size=(64, k_sym))
    cw = np.asarray(rs.encode(F(msg)), dtype=np.int64)
    assert cw.shape == (64, n_sym)
    datas, checks = symbols_to_words(code, cw)
    got = eccsim.encode(code, ref.data_array(code, datas))
    assert ref.check_ints(got) == checks
    assert [ref.ref_encode(code, d) for d in datas[:8]] == checks[:8]


def test_decode_equals_galois_on_random_single_symbol_errors(sym_code, rng):
    F, rs = galois_rs(sym_code)
    n = 200
    msg = rng.integers(0, 2**sym_code.symbol_bits, size=(n, sym_code.k_sym))
    cw = np.asarray(rs.encode(F(msg)), dtype=np.int64)
    bad = cw.copy()
    where = rng.integers(0, sym_code.n_sym, size=n)
    bad[np.arange(n), where] ^= rng.integers(1, 2**sym_code.symbol_bits, size=n)
    want = np.asarray(rs.decode(F(bad)), dtype=np.int64)
    assert np.array_equal(want, msg)
    datas, checks = symbols_to_words(sym_code, bad)
    out = eccsim.decode(sym_code, ref.data_array(sym_code, datas),
                        ref.check_array(sym_code, checks))  # fmt: skip
    good, _ = symbols_to_words(sym_code, cw)
    assert ref.data_ints(sym_code, out.data) == good
    assert (out.status >= 0).all()


# ----- the claims, exhaustively -----------------------------------------------------------------
def test_every_single_symbol_error_is_corrected(sym_code, rng):
    """Every symbol, every non-zero pattern, on a random codeword: the real decoder restores
    it and reports a correction."""
    m = sym_code.symbol_bits
    data = ref.random_data(sym_code, rng, 1)[0]
    check = ref.ref_encode(sym_code, data)
    datas, checks = [], []
    for bits in sym_code.symbols:
        for v in range(1, 1 << m):
            d, c = ref.flip(sym_code, data, check, [bits[b] for b in range(m) if v >> b & 1])
            datas.append(d)
            checks.append(c)
    out = eccsim.decode(sym_code, ref.data_array(sym_code, datas),
                        ref.check_array(sym_code, checks))  # fmt: skip
    assert len(datas) == sym_code.n_sym * (2**m - 1)
    assert set(ref.data_ints(sym_code, out.data)) == {data}
    assert set(ref.check_ints(out.check)) == {check}
    assert (out.status >= 0).all()


def gf2_ranks(vectors: np.ndarray) -> np.ndarray:
    """Rank over GF(2) of each row-set: ``vectors`` is (B, V) uint64, each a set of V
    column syndromes; returns (B,) ranks (XOR-basis insertion, vectorized over B)."""
    B, V = vectors.shape
    basis = np.zeros((B, 64), dtype=np.uint64)
    rank = np.zeros(B, dtype=np.int64)
    rows = np.arange(B)
    for i in range(V):
        v = vectors[:, i].copy()
        for p in range(63, -1, -1):
            has = ((v >> np.uint64(p)) & np.uint64(1)).astype(bool) & (basis[:, p] != 0)
            v = np.where(has, v ^ basis[:, p], v)
        nz = v != 0
        top = np.zeros(B, dtype=np.int64)
        for p in range(64):
            top = np.where(((v >> np.uint64(p)) & np.uint64(1)).astype(bool), p, top)
        basis[rows[nz], top[nz]] = v[nz]
        rank += nz
    return rank


def test_symbol_distance_every_d_minus_1_symbols_are_independent(sym_code):
    """No non-zero codeword lives on d - 1 or fewer symbols: the columns of every (d - 1)-set of
    symbols are linearly independent (exhaustive over all C(n_sym, d - 1) sets)."""
    d = sym_code.symbol_distance
    cols = sym_code.columns
    sets = np.array(list(combinations(range(sym_code.n_sym), d - 1)))
    vec = np.concatenate([cols[np.array(sym_code.symbols)[sets[:, j]]] for j in range(d - 1)],
                         axis=1)  # fmt: skip
    assert (gf2_ranks(vec) == (d - 1) * sym_code.symbol_bits).all()
    # and the bound is tight (MDS): some d symbols carry a codeword
    if sym_code.n_sym <= 18:
        big = np.concatenate([cols[list(sym_code.symbols[j])] for j in range(d)])[None, :]
        assert gf2_ranks(big)[0] < d * sym_code.symbol_bits


def test_symbol_claims_follow_from_the_distance(sym_code):
    assert sym_code.symbol_distance == sym_code.r_sym + 1
    assert sym_code.corrects_symbols == 1
    assert sym_code.detects_symbols == sym_code.r_sym - 1
    assert sym_code.guarantee == {2: "SSC", 4: "SSC-TSD"}[sym_code.r_sym]


def test_double_symbol_errors_of_ssc_dsd_are_all_detected():
    """SSC-DSD: every error in two symbols (all C(36,2) pairs, every pair of non-zero
    patterns: 41 million errors) has a syndrome the decoder flags: neither 0 nor correctable."""
    if "ssc-dsd-x4" not in AVAILABLE:
        pytest.skip("ssc-dsd-x4 not in the catalogue")
    code = get_code("ssc-dsd-x4")
    cc = compile_code(code)
    assert cc.keyed  # 32 check bits: the compact lookup, not a 2**32 table
    m = code.symbol_bits
    syn = np.zeros((code.n_sym, 1 << m), dtype=np.uint64)  # syndrome of value v in symbol s
    for s, bits in enumerate(code.symbols):
        for b in range(m):
            has = (np.arange(1 << m) >> b) & 1 == 1
            syn[s, has] ^= code.columns[bits[b]]
    correctable = np.sort(syn[:, 1:].ravel())
    for a, b in combinations(range(code.n_sym), 2):
        both = (syn[a, 1:, None] ^ syn[b, None, 1:]).ravel()
        assert (both != 0).all()
        hit = np.searchsorted(correctable, both)
        hit[hit == correctable.size] = 0
        assert not (correctable[hit] == both).any(), (a, b)
    assert cc.n == 288


# ----- layouts and modules ---------------------------------------------------------------------
def test_each_catalogue_symbol_code_puts_every_symbol_on_one_chip_of_its_module(sym_code):
    geom = get_module(SYMBOL_CODES[sym_code.name])
    geom.check_code(sym_code)
    chip = geom.chip_of_bit
    chips = [sorted({int(chip[b]) for b in bits}) for bits in sym_code.symbols]
    assert all(len(c) == 1 for c in chips)
    assert sorted(c[0] for c in chips) == list(range(geom.chips))  # one symbol per chip


def test_a_symbol_code_on_a_module_it_does_not_fit_is_refused_naming_both():
    with pytest.raises(ModuleError, match=r"'sddc-x8'.*'x4-chipkill-dimm'.*spans chips"):
        get_module("x4-chipkill-dimm").check_code(get_code("sddc-x8"))
    with pytest.raises(ModuleError, match=r"'chipkill-x4' is \(144,128\).*'x8-ecc-dimm'"):
        get_module("x8-ecc-dimm").check_code(get_code("chipkill-x4"))


def test_interleaved_layout_matches_the_module_bit_map():
    """width-bit slices per beat, data symbols side by side: exactly the DQ order of
    eccsim.module, so symbol s of an interleaved code is data chip s."""
    geom = get_module("x4-chipkill-dimm")
    sym = interleaved_symbols(18, 16, 4, 2)
    for s, bits in enumerate(sym):
        for b, bit in enumerate(bits):
            chip, pin, beat = geom.locate(bit)
            assert (pin, beat) == (b % 4, b // 4)
            assert chip == (s if s < 16 else geom.check_chips[s - 16])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_sym=256, k_sym=250), "n_sym <= 255"),
        (dict(n_sym=18, k_sym=18), "k_sym < n_sym"),
        (dict(n_sym=18, k_sym=16, width=3), "width=3 must divide"),
        (dict(n_sym=18, k_sym=17), "symbol distance >= 3"),
        (dict(n_sym=200, k_sym=180), "at most 64"),
        (dict(n_sym=18.0, k_sym=16), "n_sym=18.0"),
    ],
)
def test_impossible_reed_solomon_parameters_are_refused(kwargs, match):
    with pytest.raises(CodeError, match=match):
        reed_solomon(**kwargs)


def test_detect_only_reed_solomon_flags_every_single_symbol_error():
    code = reed_solomon(9, 8, 8, decoder="detect", name="rs-9-8")
    assert code.guarantee == "SSD" and code.corrects == "nothing"
    data = 0x0123456789ABCDEF
    check = ref.ref_encode(code, data)
    for bits in code.symbols:
        d, c = ref.flip(code, data, check, bits[:3])
        assert ref.ref_decode(code, d, c)[2] == ref.DUE


# ----- exact whole-chip and two-chip splits ----------------------------------------------------
@pytest.mark.parametrize("module", ["x8-ecc-dimm", "x4-ecc-dimm"])
@pytest.mark.parametrize("name", ["hsiao-secded", "hamming-secded", "parity-byte"])
def test_chip_split_equals_the_enumerated_chip_faults_of_the_module(name, module):
    """One codeword per beat: a one-beat chip fault is exactly a chip's bits of one codeword,
    and a two-chip fault in one beat exactly a pair — two independent counting paths."""
    from eccsim.analysis import exact_chip_split, exact_fault_outcomes

    one = exact_chip_split(name, module, 1)
    assert list(one.counts.counts) == list(exact_fault_outcomes(name, module, "chip").words.counts)
    if module == "x4-ecc-dimm":
        two = exact_chip_split(name, module, 2)
        want = exact_fault_outcomes(name, module, "chips:2").words
        assert list(two.counts.counts) == list(want.counts)


def test_every_symbol_code_corrects_every_single_chip_error_on_its_module(sym_code):
    from eccsim.analysis import exact_chip_split

    split = exact_chip_split(sym_code, SYMBOL_CODES[sym_code.name], 1)
    assert split.counts.total == sym_code.n_sym * (2**sym_code.symbol_bits - 1)
    assert split.counts["ce"] == split.counts.total


def test_ssc_dsd_flags_every_two_chip_error_and_chipkill_does_not():
    from eccsim.analysis import exact_chip_split

    dsd = exact_chip_split("ssc-dsd-x4", "x4-lockstep-2dimm", 2)
    assert dsd.counts.total == math.comb(36, 2) * 255**2
    assert dsd.counts["due"] == dsd.counts.total
    kill = exact_chip_split("chipkill-x4", "x4-chipkill-dimm", 2)
    assert kill.counts["sdc_miscorrected"] > 0 and kill.counts["sdc_undetected"] == 0


@pytest.mark.slow
def test_x8_sddc_pair_split_equals_the_enumerated_two_chip_faults():
    from eccsim.analysis import exact_chip_split, exact_fault_outcomes

    two = exact_chip_split("sddc-x8", "x8-lockstep-2dimm", 2)
    want = exact_fault_outcomes("sddc-x8", "x8-lockstep-2dimm", "chips:2").words
    assert list(two.counts.counts) == list(want.counts)


# ----- the symbol codes in a simulated memory ----------------------------------------------------
@pytest.mark.parametrize("fault", ["chip-stuck-0", "chip-stuck-1", "chip-burst"])
def test_a_chipkill_memory_returns_every_line_through_a_dead_chip(sym_code, fault, rng):
    """Write random lines, break one whole chip of each (stuck at 0 or 1, or random flips over
    the burst), read: every line comes back exactly as written, corrected where touched."""
    from eccsim import Memory

    geom = get_module(SYMBOL_CODES[sym_code.name])
    mem = Memory(sym_code, geom, 16, seed=3)
    W = sym_code.data_words
    data = rng.integers(0, 2**64 - 1, (16, geom.slots, W), dtype=np.uint64, endpoint=True)
    if sym_code.k % 64:
        data[..., -1] &= np.uint64((1 << (sym_code.k % 64)) - 1)
    mem.write(slice(None), data)
    mem.inject(slice(None), fault, seed=5)
    r = mem.read(slice(None))
    assert np.array_equal(r.data, data)
    assert (r.status != -2).all()
