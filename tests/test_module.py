"""Module geometry: how many chips and pins, and which (chip, pin, beat) carries each codeword bit.

The rules under test (from :mod:`eccsim.module`): chip ``c`` drives DQ ``c*w .. c*w + w - 1``;
codeword ``s`` of a line occupies beats ``s*B .. s*B + B - 1`` (B = beats_per_codeword); data bit
``i`` travels in beat ``i // D`` of its codeword on the ``(i % D)``-th data DQ (data chips in
order), check bit ``j`` in beat ``j // C`` on the ``(j % C)``-th check DQ.
"""

from __future__ import annotations

from collections import Counter

import pytest

from eccsim.module import ModuleGeometry, get_module, module_names

X8 = "x8-ecc-dimm"
X4 = "x4-ecc-dimm"


def custom_geometries() -> list[ModuleGeometry]:
    return [
        # two beats per (144, 128) codeword: 4 codewords per 8-beat burst
        ModuleGeometry("x4-2beat", chips=18, chip_width=4, burst_length=8,
                       check_chips=(16, 17), beats_per_codeword=2),
        # the check chip first, and a whole burst per codeword
        ModuleGeometry("x8-check-first", chips=9, chip_width=8, burst_length=4,
                       check_chips=(0,), beats_per_codeword=4),
        # x16 chips, check chip in the middle
        ModuleGeometry("x16-mid", chips=5, chip_width=16, burst_length=8,
                       check_chips=(2,), beats_per_codeword=1),
    ]  # fmt: skip


ALL = [get_module(n) for n in module_names()] + custom_geometries()


@pytest.fixture(params=ALL, ids=lambda g: g.name)
def geom(request) -> ModuleGeometry:
    return request.param


def expected_location(g: ModuleGeometry, slot: int, bit: int) -> tuple[int, int, int]:
    """(chip, pin, beat) of codeword ``bit`` in ``slot``, straight from the rules above."""
    w, B = g.chip_width, g.beats_per_codeword
    check = list(g.check_chips)
    data = [c for c in range(g.chips) if c not in check]
    data_dq = [c * w + p for c in data for p in range(w)]
    check_dq = [c * w + p for c in check for p in range(w)]
    k = len(data_dq) * B
    if bit < k:
        dq, off = data_dq[bit % len(data_dq)], bit // len(data_dq)
    else:
        j = bit - k
        dq, off = check_dq[j % len(check_dq)], j // len(check_dq)
    return dq // w, dq % w, slot * B + off


# ----- the classic x8 ECC DIMM -------------------------------------------------------------------
class TestX8EccDimm:
    @pytest.fixture
    def g(self):
        return get_module(X8)

    def test_nine_chips_on_a_72_bit_bus(self, g):
        assert g.chips == 9 and g.chip_width == 8
        assert g.bus_width == 72

    def test_a_line_is_eight_72_64_words_and_64_bytes(self, g):
        assert (g.n, g.k, g.r) == (72, 64, 8)
        assert g.slots == 8
        assert g.line_bytes == 64

    def test_chips_0_to_7_hold_data_and_chip_8_the_check_bits(self, g):
        assert g.data_chips == tuple(range(8))
        assert g.check_chips == (8,)

    def test_chip_c_drives_dq_8c_to_8c_plus_7(self, g):
        for c in range(9):
            dqs = sorted({int(dq) for dq, _beat in _dq_beats_of_chip(g, c)})
            assert dqs == list(range(8 * c, 8 * c + 8))

    def test_codeword_bit_b_is_dq_b_of_its_beat(self, g):
        for slot in range(8):
            for b in range(72):
                chip, pin, beat = g.locate(b, slot)
                assert 8 * chip + pin == b
                assert beat == slot

    def test_chip_8_holds_bits_64_to_71_of_every_beat(self, g):
        for beat in range(8):
            got = {g.bit_at(dq, beat) for dq in range(64, 72)}
            assert got == {(beat, b) for b in range(64, 72)}

    def test_chip_of_bit_is_the_byte_lane(self, g):
        assert [int(c) for c in g.chip_of_bit] == [b // 8 for b in range(72)]


class TestX4EccDimm:
    @pytest.fixture
    def g(self):
        return get_module(X4)

    def test_eighteen_x4_chips_on_a_72_bit_bus(self, g):
        assert g.chips == 18 and g.chip_width == 4
        assert g.bus_width == 72
        assert (g.n, g.k, g.slots, g.line_bytes) == (72, 64, 8, 64)

    def test_chips_16_and_17_hold_the_check_bits(self, g):
        assert g.check_chips == (16, 17)
        assert {int(g.chip_of_bit[b]) for b in range(64, 72)} == {16, 17}
        assert {int(g.chip_of_bit[b]) for b in range(64)} == set(range(16))

    def test_each_chip_holds_one_nibble(self, g):
        for b in range(72):
            chip, pin, _ = g.locate(b)
            assert (chip, pin) == (b // 4, b % 4)


# ----- the bit map, for every geometry -----------------------------------------------------------
def _dq_beats_of_chip(g: ModuleGeometry, chip: int):
    """(dq, beat) of every bit stored by ``chip``, via the public locate()."""
    out = []
    for slot, bit in g.bits_of_chip(chip):
        c, pin, beat = g.locate(int(bit), int(slot))
        assert c == chip
        out.append((c * g.chip_width + pin, beat))
    return out


class TestBitMap:
    def test_sizes_are_consistent(self, geom):
        assert geom.n == geom.k + geom.r
        assert geom.bus_width * geom.burst_length == geom.slots * geom.n
        assert geom.slots * geom.beats_per_codeword == geom.burst_length
        assert geom.line_bytes * 8 == geom.slots * geom.k

    def test_locate_follows_the_documented_rule(self, geom):
        for slot in range(geom.slots):
            for b in range(geom.n):
                assert geom.locate(b, slot) == expected_location(geom, slot, b)

    def test_bit_at_inverts_locate_for_every_dq_and_beat(self, geom):
        w = geom.chip_width
        for dq in range(geom.bus_width):
            for beat in range(geom.burst_length):
                slot, bit = geom.bit_at(dq, beat)
                assert 0 <= slot < geom.slots and 0 <= bit < geom.n
                chip, pin, beat2 = geom.locate(bit, slot)
                assert (chip * w + pin, beat2) == (dq, beat)

    def test_locate_inverts_bit_at_for_every_slot_and_bit(self, geom):
        w = geom.chip_width
        for slot in range(geom.slots):
            for b in range(geom.n):
                chip, pin, beat = geom.locate(b, slot)
                assert geom.bit_at(chip * w + pin, beat) == (slot, b)

    def test_bits_of_dq_agrees_with_bit_at(self, geom):
        table = geom.bits_of_dq
        assert table.shape == (geom.bus_width, geom.burst_length, 2)
        for dq in range(geom.bus_width):
            for beat in range(geom.burst_length):
                assert tuple(int(x) for x in table[dq, beat]) == geom.bit_at(dq, beat)

    def test_chips_partition_the_line(self, geom):
        """Across all chips, every (slot, bit) of the line is stored exactly once."""
        seen = Counter()
        for c in range(geom.chips):
            bits = geom.bits_of_chip(c)
            assert bits.shape == (geom.chip_width * geom.burst_length, 2)
            seen.update((int(s), int(b)) for s, b in bits)
        assert seen == Counter({(s, b): 1 for s in range(geom.slots) for b in range(geom.n)})

    def test_bits_of_chip_are_beat_major_then_pin(self, geom):
        w = geom.chip_width
        for c in range(geom.chips):
            order = _dq_beats_of_chip(geom, c)
            want = [(c * w + p, beat) for beat in range(geom.burst_length) for p in range(w)]
            assert order == want

    def test_check_chips_hold_exactly_the_check_bits(self, geom):
        for c in range(geom.chips):
            bits = {int(b) for _s, b in geom.bits_of_chip(c)}
            if c in geom.check_chips:
                assert bits <= set(range(geom.k, geom.n))
            else:
                assert bits <= set(range(geom.k))

    def test_a_codeword_stays_within_its_own_beats(self, geom):
        B = geom.beats_per_codeword
        for slot in range(geom.slots):
            beats = {geom.beat_of(slot, b) for b in range(geom.n)}
            assert beats == set(range(slot * B, slot * B + B))


class TestTwoBeatCodewords:
    """The custom x4 module with two beats per codeword, spelled out."""

    @pytest.fixture
    def g(self):
        return custom_geometries()[0]

    def test_sizes(self, g):
        assert (g.n, g.k, g.r) == (144, 128, 16)
        assert g.slots == 4
        assert g.line_bytes == 64

    def test_data_bits_fill_beat_0_then_beat_1(self, g):
        for slot in range(4):
            for i in range(128):
                chip, pin, beat = g.locate(i, slot)
                assert 4 * chip + pin == i % 64
                assert beat == 2 * slot + i // 64

    def test_check_bits_fill_the_two_check_chips_in_both_beats(self, g):
        for j in range(16):
            chip, pin, beat = g.locate(128 + j, slot=1)
            assert 4 * chip + pin == 64 + j % 8
            assert beat == 2 + j // 8


def test_check_chip_first_shifts_the_data_pins():
    g = custom_geometries()[1]
    assert g.data_chips == tuple(range(1, 9))
    assert g.slots == 1 and g.k == 256
    for i in range(256):
        assert g.locate(i) == ((8 + i % 64) // 8, i % 8, i // 64)
