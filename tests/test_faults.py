"""Fault models: each enumerates exactly the patterns its definition describes, samples from the
same set reproducibly and fairly, and the read-back rule ``((stored ^ flip) & ~stuck0) | stuck1``
is what :class:`FaultPatterns` applies."""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from eccsim import get_code
from eccsim.faults import (
    FLIP,
    STUCK0,
    STUCK1,
    BitFlips,
    Burst,
    ChipFault,
    Combined,
    FaultPatterns,
    PinFault,
    RandomBits,
    get_fault,
)
from eccsim.injection import inject
from eccsim.module import get_module
from eccsim.outcomes import CE, DUE, NO_ERROR

X8 = get_module("x8-ecc-dimm")  # 9 x8 chips, 72 DQ, 8 beats, one (72,64) word per beat
X4 = get_module("x4-ecc-dimm")  # 18 x4 chips, 72 DQ, 8 beats, one (72,64) word per beat


# ----- reading masks back as sets of (slot, codeword bit) -----------------------------------------
def _unpack(words: np.ndarray, nbits: int) -> np.ndarray:
    """(..., W) uint64 -> (..., nbits) bool, bit i of word i // 64 (LSB first)."""
    as_bytes = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :nbits].astype(bool)


def bit_grid(p: FaultPatterns, which: str, geom) -> np.ndarray:
    """``(m, S, n)`` bool: which codeword bits the flip/stuck-at-0/stuck-at-1 mask sets."""
    data, check = {
        FLIP: (p.flip_data, p.flip_check),
        STUCK0: (p.stuck0_data, p.stuck0_check),
        STUCK1: (p.stuck1_data, p.stuck1_check),
    }[which]
    if data is None:
        return np.zeros((p.m, geom.slots, geom.n), dtype=bool)
    d = _unpack(data, geom.k)
    c = _unpack(check[..., None], geom.r)
    return np.concatenate([d, c], axis=-1)


def bits_of(grid_row: np.ndarray) -> set[tuple[int, int]]:
    """The set {(slot, bit)} of one pattern's ``(S, n)`` grid."""
    return {(int(s), int(b)) for s, b in zip(*np.nonzero(grid_row), strict=True)}


def mask_reach(p: FaultPatterns, geom) -> np.ndarray:
    """``(m, S)`` bool: codewords where any of the three masks sets a bit."""
    hit = np.zeros((p.m, geom.slots), dtype=bool)
    for which in (FLIP, STUCK0, STUCK1):
        hit |= bit_grid(p, which, geom).any(axis=2)
    return hit


def pattern_keys(p: FaultPatterns, geom) -> list[bytes]:
    """One hashable key per pattern: all of its masks."""
    grids = [bit_grid(p, w, geom).reshape(p.m, -1) for w in (FLIP, STUCK0, STUCK1)]
    return [row.tobytes() for row in np.packbits(np.concatenate(grids, axis=1), axis=1)]


# ----- the models under test, with their pattern counts from the definitions ----------------------
MODELS = [
    ("bits:1", RandomBits(1), X8, 72),
    ("bits:2", RandomBits(2), X8, math.comb(72, 2)),
    ("bits:3", RandomBits(3), X8, math.comb(72, 3)),
    ("burst:1", Burst(1), X8, 72),
    ("burst:4", Burst(4), X8, 72 - 4 + 1),
    ("burst:72", Burst(72), X8, 1),
    ("burst-random:2", Burst(2, solid=False), X8, 71),
    ("burst-random:5", Burst(5, solid=False), X8, (72 - 5 + 1) * 2**3),
    ("flip[0,5,71]", BitFlips([71, 0, 5]), X8, 1),
    ("pin", PinFault(), X8, 72 * (2**8 - 1)),
    ("pin[3]", PinFault(pin=3), X8, 2**8 - 1),
    ("pin-x4", PinFault(), X4, 72 * (2**8 - 1)),
    ("pin-stuck-0", PinFault(STUCK0), X8, 72),
    ("pin-stuck-1[70]", PinFault(STUCK1, pin=70), X8, 1),
    ("chip", ChipFault(), X8, 9 * (2**8 - 1)),
    ("chip[8]", ChipFault(chip=8), X8, 2**8 - 1),
    ("chip-x4", ChipFault(), X4, 18 * (2**4 - 1)),
    ("chip-stuck-0", ChipFault(STUCK0), X8, 9),
    ("chip-stuck-1-x4", ChipFault(STUCK1), X4, 18),
    ("chips:2-x4", ChipFault(chips=2), X4, math.comb(18, 2) * (2**4 - 1) ** 2),
    ("bit+pin-stuck-1", Combined(RandomBits(1), PinFault(STUCK1)), X8, 72 * 72),
]
IDS = [m[0] for m in MODELS]
CHIP_BEAT = {"chip", "chip[8]", "chip-x4", "chips:2-x4"}  # enumerated in beat 0 only
# models whose patterns lie in one codeword of the line (enumerated in slot 0, sampled anywhere)
ONE_CODEWORD = CHIP_BEAT | {"bits:1", "bits:2", "bits:3", "burst:1", "burst:4", "burst:72",
                            "burst-random:2", "burst-random:5", "flip[0,5,71]"}  # fmt: skip

_cache: dict[str, FaultPatterns] = {}


def enumerated(name: str) -> FaultPatterns:
    """Enumerate each model once per session (some have tens of thousands of patterns)."""
    if name not in _cache:
        _, model, geom, _ = MODELS[IDS.index(name)]
        _cache[name] = model.enumerate(geom)
    return _cache[name]


def is_stuck(model) -> bool:
    return getattr(model, "mode", FLIP) != FLIP


@pytest.fixture(params=MODELS, ids=IDS)
def case(request):
    name, model, geom, count = request.param
    return name, model, geom, count


# ----- every model ---------------------------------------------------------------------------------
class TestEnumeration:
    def test_count_matches_the_definition(self, case):
        _name, model, geom, count = case
        assert model.count(geom) == count

    def test_enumerate_returns_exactly_count_patterns(self, case):
        name, _model, geom, count = case
        p = enumerated(name)
        assert p.m == count
        S, W = geom.slots, (geom.k + 63) // 64
        assert p.flip_data.shape == (count, S, W)
        assert p.flip_check.shape == (count, S)
        assert p.touched.shape == (count, S)
        assert p.site.shape == (count,)

    def test_enumerated_patterns_are_distinct(self, case):
        name, _model, geom, count = case
        assert len(set(pattern_keys(enumerated(name), geom))) == count

    def test_every_pattern_does_something(self, case):
        name, model, geom, _ = case
        p = enumerated(name)
        flips = bit_grid(p, FLIP, geom).any(axis=(1, 2))
        stuck = (bit_grid(p, STUCK0, geom) | bit_grid(p, STUCK1, geom)).any(axis=(1, 2))
        if is_stuck(model):
            assert stuck.all()
        else:
            assert flips.all()  # a flip model flips at least one bit in every pattern
        assert p.touched.any(axis=1).all()

    def test_touched_codewords_are_exactly_those_a_mask_reaches(self, case):
        # touched = changed (a flip) or could change (a stuck cell): no more, no less
        name, _model, geom, _ = case
        p = enumerated(name)
        assert np.array_equal(p.touched, mask_reach(p, geom))

    def test_check_masks_stay_within_r_bits(self, case):
        name, _model, geom, _ = case
        p = enumerated(name)
        for arr in (p.flip_check, p.stuck0_check, p.stuck1_check):
            if arr is not None:
                assert not (arr >> np.uint64(geom.r)).any()

    def test_stuck_models_are_data_dependent_and_flip_models_are_not(self, case):
        _name, model, _geom, _ = case
        parts = model.parts if isinstance(model, Combined) else (model,)
        assert model.data_dependent == any(is_stuck(m) for m in parts)


class TestRandomBits:
    @pytest.mark.parametrize("K", [1, 2, 3])
    def test_exactly_K_bits_of_slot_0_flip_and_every_K_subset_appears(self, K):
        p = enumerated(f"bits:{K}")
        grid = bit_grid(p, FLIP, X8)
        assert (grid.sum(axis=(1, 2)) == K).all()
        assert not grid[:, 1:].any()
        assert p.touched[:, 0].all() and not p.touched[:, 1:].any()
        got = {tuple(np.flatnonzero(g[0])) for g in grid}
        assert got == set(combinations(range(72), K))
        assert (p.site == -1).all() and not p.has_stuck


class TestBurst:
    @pytest.mark.parametrize("L", [1, 4, 72])
    def test_solid_burst_is_L_adjacent_bits(self, L):
        grid = bit_grid(enumerated(f"burst:{L}"), FLIP, X8)
        got = sorted(tuple(np.flatnonzero(g[0])) for g in grid)
        assert got == [tuple(range(s, s + L)) for s in range(72 - L + 1)]
        assert not grid[:, 1:].any()

    @pytest.mark.parametrize("L", [2, 5])
    def test_random_burst_has_both_ends_and_any_interior(self, L):
        grid = bit_grid(enumerated(f"burst-random:{L}"), FLIP, X8)
        got = set()
        for g in grid:
            bits = np.flatnonzero(g[0])
            s = int(bits[0])
            assert int(bits[-1]) == s + L - 1  # the burst spans exactly L bits
            got.add((s, tuple(int(b) - s for b in bits)))
        want = {
            (s, (0, *inner, L - 1))
            for s in range(72 - L + 1)
            for w in range(L - 1)
            for inner in combinations(range(1, L - 1), w)
        }
        assert got == want


def test_bit_flips_flip_the_given_positions_once():
    grid = bit_grid(enumerated("flip[0,5,71]"), FLIP, X8)
    assert bits_of(grid[0]) == {(0, 0), (0, 5), (0, 71)}


class TestPinFault:
    @pytest.mark.parametrize(("name", "geom"), [("pin", X8), ("pin-x4", X4), ("pin[3]", X8)])
    def test_flips_only_the_pin_in_a_non_empty_set_of_beats(self, name, geom):
        p = enumerated(name)
        grid = bit_grid(p, FLIP, geom)
        got = Counter()
        for i in range(p.m):
            beats = set()
            for slot, bit in bits_of(grid[i]):
                chip, pin, beat = geom.locate(bit, slot)
                assert chip * geom.chip_width + pin == p.site[i]  # site is the DQ
                beats.add(beat)
            got[(int(p.site[i]), frozenset(beats))] += 1
        pins = [3] if name == "pin[3]" else range(geom.bus_width)
        subsets = [
            frozenset(c) for w in range(1, 9) for c in combinations(range(geom.burst_length), w)
        ]
        assert got == Counter({(pin, s): 1 for pin in pins for s in subsets})
        # the pin touches the codewords of the beats it flipped, not the beats it left alone
        for i in range(0, p.m, 97):
            beats = np.flatnonzero(grid[i].any(axis=1))
            assert set(np.flatnonzero(p.touched[i])) == {geom.bit_at(int(p.site[i]), int(t))[0]
                                                         for t in range(8)} & set(beats)  # fmt: skip
        # over all 255 beat sets of a pin, each beat is flipped in 2**7 of them
        assert p.touched.sum() == len(pins) * 8 * 2**7

    @pytest.mark.parametrize(
        ("name", "which"), [("pin-stuck-0", STUCK0), ("pin-stuck-1[70]", STUCK1)]
    )
    def test_stuck_pin_sets_a_stuck_mask_on_every_beat_and_flips_nothing(self, name, which):
        p = enumerated(name)
        other = STUCK1 if which == STUCK0 else STUCK0
        assert not bit_grid(p, FLIP, X8).any()
        assert not bit_grid(p, other, X8).any()
        grid = bit_grid(p, which, X8)
        for i in range(p.m):
            want = {X8.bit_at(int(p.site[i]), beat) for beat in range(8)}
            assert bits_of(grid[i]) == want
        assert sorted(p.site.tolist()) == ([70] if "[70]" in name else list(range(72)))


class TestChipFault:
    @pytest.mark.parametrize(("name", "geom"), [("chip", X8), ("chip-x4", X4), ("chip[8]", X8)])
    def test_flips_only_bits_of_the_chip_within_one_codeword(self, name, geom):
        p = enumerated(name)
        grid = bit_grid(p, FLIP, geom)
        assert (p.touched.sum(axis=1) == 1).all()  # scope beat: one codeword per pattern
        per_chip = Counter()
        for i in range(p.m):
            bits = bits_of(grid[i])
            assert {int(geom.chip_of_bit[b]) for _s, b in bits} == {int(p.site[i])}
            assert {s for s, _b in bits} == set(np.flatnonzero(p.touched[i]).tolist())
            per_chip[int(p.site[i])] += 1
        chips = [8] if name == "chip[8]" else range(geom.chips)
        assert per_chip == Counter({c: 2**geom.chip_width - 1 for c in chips})

    @pytest.mark.parametrize(
        ("name", "geom", "which"), [("chip-stuck-0", X8, STUCK0), ("chip-stuck-1-x4", X4, STUCK1)]
    )
    def test_stuck_chip_sets_every_bit_of_the_chip_in_every_beat(self, name, geom, which):
        p = enumerated(name)
        other = STUCK1 if which == STUCK0 else STUCK0
        assert not bit_grid(p, FLIP, geom).any()
        assert not bit_grid(p, other, geom).any()
        grid = bit_grid(p, which, geom)
        for i in range(p.m):
            want = {(int(s), int(b)) for s, b in geom.bits_of_chip(int(p.site[i]))}
            assert bits_of(grid[i]) == want
        assert sorted(p.site.tolist()) == list(range(geom.chips))
        assert p.touched.all()

    def test_two_chips_fail_in_the_same_beat(self):
        p = enumerated("chips:2-x4")
        grid = bit_grid(p, FLIP, X4)
        pairs = Counter()
        for i in range(0, p.m, 7):  # every 7th pattern: all pairs still appear
            bits = bits_of(grid[i])
            chips = {int(X4.chip_of_bit[b]) for _s, b in bits}
            assert len(chips) == 2
            assert len({s for s, _b in bits}) == 1
            pairs[frozenset(chips)] += 1
        assert set(pairs) == {frozenset(c) for c in combinations(range(18), 2)}
        assert (p.site == -1).all()

    def test_chip_burst_is_too_large_to_enumerate_but_can_be_sampled(self):
        model = ChipFault(FLIP, "burst")
        assert not model.is_finite(X8)
        p = model.sample(X8, np.random.default_rng(5), 200)
        grid = bit_grid(p, FLIP, X8)
        for i in range(p.m):
            assert {int(X8.chip_of_bit[b]) for _s, b in bits_of(grid[i])} == {int(p.site[i])}
        assert np.array_equal(p.touched, grid.any(axis=2))  # the beats the pattern changed
        # 64 random bits per chip: a pattern almost surely touches several beats
        assert (grid.any(axis=2).sum(axis=1) > 1).mean() > 0.9


class TestCombined:
    @staticmethod
    def _expected_product(a: FaultPatterns, b: FaultPatterns, geom) -> Counter:
        """Multiset of (flip, stuck0, stuck1, touched) over all pairs: every mask ORs (a bit hit
        by both faults is one flipped bit, not a restored one)."""
        out = Counter()
        ga = [bit_grid(a, w, geom) for w in (FLIP, STUCK0, STUCK1)]
        gb = [bit_grid(b, w, geom) for w in (FLIP, STUCK0, STUCK1)]
        for i in range(a.m):
            f = ga[0][i][None] | gb[0]
            s0 = ga[1][i][None] | gb[1]
            s1 = ga[2][i][None] | gb[2]
            t = a.touched[i][None] | b.touched
            for j in range(b.m):
                out[(f[j].tobytes(), s0[j].tobytes(), s1[j].tobytes(), t[j].tobytes())] += 1
        return out

    @staticmethod
    def _got(p: FaultPatterns, geom) -> Counter:
        g = [bit_grid(p, w, geom) for w in (FLIP, STUCK0, STUCK1)]
        return Counter(
            (g[0][i].tobytes(), g[1][i].tobytes(), g[2][i].tobytes(), p.touched[i].tobytes())
            for i in range(p.m)
        )

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            (RandomBits(1), PinFault(STUCK1)),
            (Burst(2), ChipFault(chip=8)),
            (ChipFault(STUCK0), BitFlips([3])),
        ],
        ids=["bit+pin-stuck-1", "burst:2+chip[8]", "chip-stuck-0+flip[3]"],
    )
    def test_enumerates_the_product_of_its_parts(self, a, b):
        combo = Combined(a, b)
        assert combo.count(X8) == a.count(X8) * b.count(X8)
        p = combo.enumerate(X8)
        assert p.m == a.count(X8) * b.count(X8)
        assert self._got(p, X8) == self._expected_product(a.enumerate(X8), b.enumerate(X8), X8)

    def test_named_combination_is_the_same_model(self):
        f = get_fault("bit+chip-stuck-1")
        assert isinstance(f, Combined)
        assert f.count(X8) == 72 * 9
        assert f.data_dependent


# ----- sampling ----------------------------------------------------------------------------------
SAMPLED = [*MODELS, ("chip-burst", ChipFault(FLIP, "burst"), X8, None),
           ("chips:3", ChipFault(chips=3), X8, None)]  # fmt: skip


class TestSampling:
    @pytest.mark.parametrize("case", SAMPLED, ids=[c[0] for c in SAMPLED])
    def test_same_seed_gives_the_same_patterns(self, case):
        _name, model, geom, _ = case
        a = model.sample(geom, np.random.default_rng(2024), 300)
        b = model.sample(geom, np.random.default_rng(2024), 300)
        for field in FaultPatterns.__dataclass_fields__:
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None and y is None) or np.array_equal(x, y), field

    @pytest.mark.parametrize(
        "case", [c for c in SAMPLED if c[3] != 1], ids=[c[0] for c in SAMPLED if c[3] != 1]
    )
    def test_different_seeds_give_different_patterns(self, case):
        _name, model, geom, _count = case
        a = model.sample(geom, np.random.default_rng(1), 300)
        b = model.sample(geom, np.random.default_rng(2), 300)
        assert pattern_keys(a, geom) != pattern_keys(b, geom)

    @pytest.mark.parametrize("case", [c for c in MODELS if c[0] not in ONE_CODEWORD],
                             ids=[i for i in IDS if i not in ONE_CODEWORD])  # fmt: skip
    def test_sampled_patterns_are_among_the_enumerated_ones(self, case):
        name, model, geom, _ = case
        universe = set(pattern_keys(enumerated(name), geom))
        if name == "bit+pin-stuck-1":  # the bit may land in any codeword of the line
            for s in range(1, 8):
                variant = Combined(RandomBits(1, slot=s), PinFault(STUCK1))
                universe |= set(pattern_keys(variant.enumerate(geom), geom))
        sample = model.sample(geom, np.random.default_rng(7), 2000)
        assert set(pattern_keys(sample, geom)) <= universe

    @pytest.mark.parametrize("name", sorted(ONE_CODEWORD))
    def test_one_codeword_patterns_are_enumerated_ones_moved_to_some_codeword(self, name):
        # enumerated in slot 0 (a flip's outcome does not depend on which codeword of the
        # line it hits); sampled anywhere in the line: the same error, in one codeword
        _, model, geom, _ = MODELS[IDS.index(name)]
        universe = {row[0].tobytes() for row in bit_grid(enumerated(name), FLIP, geom)}
        p = model.sample(geom, np.random.default_rng(7), 2000)
        grid = bit_grid(p, FLIP, geom)
        assert (p.touched.sum(axis=1) == 1).all()
        slot = np.argmax(p.touched, axis=1)
        assert {grid[i, slot[i]].tobytes() for i in range(p.m)} <= universe

    @pytest.mark.parametrize("name", sorted(ONE_CODEWORD))
    def test_one_codeword_patterns_land_uniformly_on_the_codewords_of_the_line(self, name):
        _, model, geom, _ = MODELS[IDS.index(name)]
        m = 8 * 500
        p = model.sample(geom, np.random.default_rng(31), m)
        assert (p.touched.sum(axis=1) == 1).all()
        assert _chi_square_ok(p.touched.sum(axis=0), m / geom.slots)

    def test_a_single_random_bit_is_uniform_over_the_codeword(self):
        m, n = 72 * 400, 72
        p = RandomBits(1).sample(X8, np.random.default_rng(12345), m)
        grid = bit_grid(p, FLIP, X8)
        assert (grid.sum(axis=(1, 2)) == 1).all()
        hits = grid.sum(axis=(0, 1))  # per codeword bit, whichever codeword
        assert _chi_square_ok(hits, m / n)

    def test_every_chip_fails_equally_often(self):
        m = 9 * 2000
        p = ChipFault().sample(X8, np.random.default_rng(54321), m)
        cells = np.bincount(p.site, minlength=9)
        assert _chi_square_ok(cells, m / 9)

    def test_a_failing_pin_is_uniform_over_the_bus(self):
        m = 72 * 400
        p = PinFault().sample(X8, np.random.default_rng(777), m)
        assert _chi_square_ok(np.bincount(p.site, minlength=72), m / 72)

    def test_the_uniformity_check_can_fail(self):
        hits = np.full(72, 400)
        hits[:8] = 300  # one chip's bits 25 % short: far outside the tolerance
        hits[8:16] = 500
        assert not _chi_square_ok(hits, 400)


def _chi_square_ok(observed: np.ndarray, expected: float) -> bool:
    """Pearson chi-square within mean + 6 standard deviations (df = bins - 1): generous."""
    observed = np.asarray(observed, dtype=np.float64)
    df = observed.size - 1
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    return bool(observed.min() > 0) and chi2 < df + 6 * math.sqrt(2 * df)


# ----- reading back through faults -----------------------------------------------------------------
def _random_patterns(rng, m: int, S: int, W: int, r: int, stuck: bool) -> FaultPatterns:
    def dense():
        return rng.integers(0, 2**64, size=(m, S, W), dtype=np.uint64)

    def check():
        return rng.integers(0, 2**r, size=(m, S), dtype=np.uint64)

    return FaultPatterns(
        dense(), check(),
        dense() if stuck else None, check() if stuck else None,
        dense() if stuck else None, check() if stuck else None,
        np.ones((m, S), dtype=bool), np.full(m, -1, dtype=np.int64),
    )  # fmt: skip


def _read_bit(stored: int, flip: int, s0: int, s1: int) -> int:
    v = stored ^ flip
    if s0:
        v = 0
    if s1:  # stuck-at-1 wins: (... & ~stuck0) | stuck1
        v = 1
    return v


@pytest.mark.parametrize("stuck", [True, False], ids=["with-stuck", "flip-only"])
@pytest.mark.parametrize(("W", "r"), [(1, 8), (2, 8), (1, 7)])
def test_apply_reads_each_bit_as_flipped_then_stuck(W, r, stuck):
    rng = np.random.default_rng(99)
    m, S = 6, 4
    p = _random_patterns(rng, m, S, W, r, stuck)
    data = rng.integers(0, 2**64, size=(m, S, W), dtype=np.uint64)
    check = rng.integers(0, 2**r, size=(m, S), dtype=np.uint8)
    rd, rc = p.apply(data, check)
    assert rc.dtype == check.dtype and rd.shape == data.shape
    zero = np.zeros_like
    s0d, s1d = (p.stuck0_data, p.stuck1_data) if stuck else (zero(data), zero(data))
    s0c = p.stuck0_check if stuck else zero(p.flip_check)
    s1c = p.stuck1_check if stuck else zero(p.flip_check)
    for i in range(m):
        for s in range(S):
            for w in range(W):
                want = 0
                for b in range(64):
                    bit = [(int(a[i, s, w]) >> b) & 1 for a in (data, p.flip_data, s0d, s1d)]
                    want |= _read_bit(*bit) << b
                assert int(rd[i, s, w]) == want
            want = 0
            for b in range(r):
                bit = [(int(a[i, s]) >> b) & 1 for a in (check, p.flip_check, s0c, s1c)]
                want |= _read_bit(*bit) << b
            assert int(rc[i, s]) == want


# ----- stuck-at faults are masked when the cell already holds the stuck value --------------------
def _ones_check_bits(code) -> list[int]:
    """Check bits of the all-ones data word, from H: parity of each row's data part."""
    return [int(code.H[j, : code.k].sum()) % 2 for j in range(code.r)]


@pytest.mark.parametrize("code_name", ["hsiao-secded", "hamming-secded", "parity-byte"])
def test_stuck_at_1_pins_on_all_ones_data_are_masked(code_name):
    code = get_code(code_name)
    ones = np.full((1, 8), np.iinfo(np.uint64).max, dtype=np.uint64)
    res = inject(code, "x8-ecc-dimm", "pin-stuck-1", data=ones)
    ones_check = _ones_check_bits(code)
    assert sorted(res.words.by_site) == list(range(72))
    for dq, row in res.words.by_site.items():
        assert row.sum() == 8  # the pin reaches all 8 words of the line
        holds_one = dq < 64 or ones_check[dq - 64] == 1  # x8: codeword bit b is DQ b
        assert (row[NO_ERROR] == 8) == holds_one
        assert (row[NO_ERROR] == 0) == (not holds_one)


@pytest.mark.parametrize("code_name", ["hsiao-secded", "parity-byte"])
def test_stuck_at_1_data_chips_on_all_ones_data_are_masked(code_name):
    code = get_code(code_name)
    ones = np.full((3, 8), np.iinfo(np.uint64).max, dtype=np.uint64)
    res = inject(code, "x8-ecc-dimm", "chip-stuck-1", data=ones)
    words_per_chip = 8 * ones.shape[0]  # every chip pattern over every data line, 8 beats each
    for chip in range(8):
        row = res.words.by_site[chip]
        assert row[NO_ERROR] == row.sum() == words_per_chip
    check_holds_ones = all(_ones_check_bits(code))
    assert (res.words.by_site[8][NO_ERROR] == words_per_chip) == check_holds_ones


@pytest.mark.parametrize("fault", ["pin-stuck-0", "chip-stuck-0"])
def test_stuck_at_0_on_all_zero_data_is_always_masked(fault):
    zeros = np.zeros((2, 8), dtype=np.uint64)
    res = inject("hsiao-secded", "x8-ecc-dimm", fault, data=zeros)
    assert res.words.total > 0
    assert res.words[NO_ERROR] == res.words.total
    assert res.lines[NO_ERROR] == res.lines.total


def test_stuck_at_1_on_all_zero_data_is_never_masked():
    zeros = np.zeros((1, 8), dtype=np.uint64)
    res = inject("hsiao-secded", "x8-ecc-dimm", "chip-stuck-1", data=zeros)
    assert res.words.total == 9 * 8
    assert res.words[NO_ERROR] == 0


def test_two_faults_on_the_same_bit_leave_one_flipped_bit():
    # bit+bit enumerates all 72 x 72 pairs: 72 pairs hit one bit (a 1-bit error, corrected),
    # the rest are 2-bit errors (detected by a SEC-DED code)
    res = inject("hsiao-secded", "x8-ecc-dimm", "bit+bit")
    assert res.words[CE] == 72
    assert res.words[DUE] == 72 * 71
    assert res.words[NO_ERROR] == 0


def test_a_multi_chip_fault_has_no_single_site():
    assert ChipFault(chips=2).site_kind == ""
    res = inject("hsiao-secded", "x4-ecc-dimm", ChipFault(chips=2), trials=4096)
    assert res.words.by_site == {}


def test_stuck_at_faults_are_exact_only_over_given_data():
    with pytest.raises(ValueError, match=r"stuck-at.*trials=N"):
        inject("hsiao-secded", "x8-ecc-dimm", "chip-stuck-1")
    lines = np.array([[0] * 8, [2**64 - 1] * 8], dtype=np.uint64)
    res = inject("hsiao-secded", "x8-ecc-dimm", "chip-stuck-0", data=lines)
    assert res.patterns == 9 * 2  # every chip over every data line
    # stuck-at-0 is invisible on the all-zeros line and corrupts every bit of a data chip on
    # the all-ones line (the check chip there holds the check bits of all-ones data)
    for chip in range(8):
        row = res.lines.by_site[chip]
        assert row.sum() == 2 and row[NO_ERROR] == 1


# ----- the package keeps the old module's names ---------------------------------------------------
# every name eccsim/faults.py defined or imported from eccsim before it became a package
OLD_NAMES = ['data_words', 'FaultError', 'ModuleGeometry', 'suggest', 'MAX_ENUMERATION', 'FLIP',
             'STUCK0', 'STUCK1', 'MODES', '_MODE_SUFFIX', 'FaultPatterns', '_with_stuck',
             'FaultModel', '_check_mode', '_distinct_random', '_nonzero_patterns', '_FULL',
             '_random_under', '_or_into', '_chip_masks', 'BitFlips', 'RandomBits', 'Burst',
             'PinFault', 'ChipFault', 'Combined', '_NAMED', '_TAKES_PARAMETER', 'fault_names',
             'get_fault']  # fmt: skip


def test_every_name_of_the_old_faults_module_is_still_importable():
    import eccsim.faults

    assert [n for n in OLD_NAMES if not hasattr(eccsim.faults, n)] == []


def test_fault_models_do_not_import_codes_and_their_layers_point_down():
    import ast
    from pathlib import Path

    import eccsim.faults

    order = ["patterns", "ranking", "sampling", "base", "codeword", "physical", "combined",
             "independent", "names"]  # fmt: skip
    root = Path(eccsim.faults.__file__).parent
    for i, mod in enumerate(order):
        tree = ast.parse((root / f"{mod}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                target = node.module or ""
                if node.level == 2:  # from ..x: another eccsim module
                    assert not target.startswith("codes"), (mod, target)
                else:  # from .x: only layers listed before this one
                    assert target in order[:i], (mod, target)
