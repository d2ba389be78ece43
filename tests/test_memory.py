"""The simulated module: what is written is read back; transient flips are corrected and
repaired by a scrub; stuck-at cells persist through scrubs and writes, as broken cells do."""

from __future__ import annotations

import re

import numpy as np
import pytest

from eccsim import FaultError, InputError, Memory
from eccsim.faults import BitFlips, ChipFault, PinFault, RandomBits

LINES = 32


@pytest.fixture
def mem_and_data(rng):
    mem = Memory("hsiao-secded", "x8-ecc-dimm", LINES)
    data = rng.integers(0, 2**64 - 1, (LINES, 8), dtype=np.uint64, endpoint=True)
    mem.write(slice(None), data)
    return mem, data


def test_a_fresh_module_reads_zeros_cleanly():
    r = Memory("hamming-secded", "x4-ecc-dimm", 4).read(slice(None))
    assert (r.data == 0).all() and (r.status == -1).all()


def test_written_lines_read_back_unchanged_and_clean(mem_and_data):
    mem, data = mem_and_data
    r = mem.read(slice(None))
    assert np.array_equal(r.data[..., 0], data)
    assert (r.status == -1).all()


def test_stored_check_bits_are_the_code_check_bits(mem_and_data):
    from eccsim import encode

    mem, data = mem_and_data
    assert np.array_equal(mem.check.ravel(), encode("hsiao-secded", data.ravel()))


def test_a_transient_flip_is_corrected_on_read_and_repaired_by_scrub(mem_and_data):
    mem, data = mem_and_data
    mem.inject(7, BitFlips([40], slot=0))
    assert mem.data[7, 0, 0] != data[7, 0]  # the stored bit really changed
    r = mem.read(7)
    assert r.status[0, 0] == 40 and np.array_equal(r.data[0, :, 0], data[7])
    counts = mem.scrub()
    assert counts == {"clean": LINES * 8 - 1, "corrected": 1, "uncorrectable": 0}
    assert mem.data[7, 0, 0] == data[7, 0]
    assert (mem.read(7).status == -1).all()


def test_a_stuck_pin_survives_scrub_and_rewrite(mem_and_data):
    mem, data = mem_and_data
    pin = 12  # data bit 12 of every beat (chip 1)
    mem.inject(5, PinFault("stuck-at-1", pin=pin))
    differs = ((data[5] >> np.uint64(pin)) & np.uint64(1)) == 0  # beats where 1 is an error
    r = mem.read(5)
    assert np.array_equal(r.status[0] == pin, differs)
    assert np.array_equal(r.data[0, :, 0], data[5])
    mem.scrub()
    assert np.array_equal(mem.read(5).status[0] == pin, differs)
    zeros = np.zeros((1, 8), dtype=np.uint64)
    mem.write(5, zeros)
    assert (mem.read(5).status[0] == pin).all()  # every beat now stores a 0 under a stuck 1


def test_a_failed_chip_in_one_beat_is_never_silently_correct_for_a_detect_only_code():
    mem = Memory("parity-byte", "x8-ecc-dimm", 1)
    pats = mem.inject(0, ChipFault(chip=3), seed=11)
    r = mem.read(0)
    bits = int(pats.flip_data[0, 0, 0] >> np.uint64(24)) & 0xFF
    # parity detects the chip's byte error exactly when an odd number of its bits flipped
    assert (r.status[0, 0] == -2) == (bin(bits).count("1") % 2 == 1)


def test_bad_arguments_are_refused_with_clear_messages(mem_and_data):
    mem, _ = mem_and_data
    with pytest.raises(InputError, match=r"line indices must lie in 0\.\.31"):
        mem.read(32)
    with pytest.raises(InputError, match="2 lines but 1 line indices"):
        mem.write(0, np.zeros((2, 8), dtype=np.uint64))
    with pytest.raises(InputError, match="lines=0"):
        Memory("hsiao-secded", "x8-ecc-dimm", 0)
    with pytest.raises(ValueError, match=r"\(136,128\)"):
        Memory("hamming-sec-136", "x8-ecc-dimm", 1)


def test_two_faults_on_the_same_line_in_one_call_both_land():
    mem = Memory("hsiao-secded", "x8-ecc-dimm", 1)
    a = BitFlips([3], slot=0).sample(mem.module, None, 1)
    b = BitFlips([5], slot=0).sample(mem.module, None, 1)
    from eccsim.faults import FaultPatterns

    mem.inject([0, 0], FaultPatterns.concat([a, b]))
    assert mem.read(0).status[0, 0] == -2  # a 2-bit error: detected, not "corrected"


def test_successive_random_upsets_are_independent():
    mem = Memory("hsiao-secded", "x8-ecc-dimm", 1, seed=5)
    first = mem.inject(0, RandomBits(1, slot=0))
    second = mem.inject(0, RandomBits(1, slot=0))
    assert not np.array_equal(first.flip_data, second.flip_data) or not np.array_equal(
        first.flip_check, second.flip_check
    )
    assert mem.read(0).status[0, 0] == -2


# ----- where sampled faults land in the line ---------------------------------------------------
def _hit_slots(before: tuple[np.ndarray, np.ndarray], mem: Memory) -> np.ndarray:
    """``(lines, S)`` bool: the codewords whose stored bits changed (read from the memory)."""
    d0, c0 = before
    return (mem.data != d0).any(axis=-1) | (mem.check != c0)


@pytest.mark.parametrize("fault", ["bit", "bits:3", "burst:4", "chip", "chips:2",
                                   BitFlips([5, 70])])  # fmt: skip
def test_sampled_codeword_faults_hit_every_codeword_of_the_line_uniformly(fault):
    # 200 lines x 10 rounds = 2000 faults over 8 codewords: 250 expected in each; the old
    # behaviour put all of them in codeword 0. Pearson chi-square (7 df) below 7 + 6 * sqrt(14)
    # (a generous 6-sigma bound; p ~ 1e-6 of a false alarm) and every codeword hit.
    mem = Memory("hsiao-secded", "x8-ecc-dimm", 200, seed=2026)
    hits = np.zeros(8, dtype=np.int64)
    for _ in range(10):
        before = (mem.data.copy(), mem.check.copy())
        mem.inject(slice(None), fault)
        changed = _hit_slots(before, mem)
        assert (changed.sum(axis=1) == 1).all()  # one codeword per line
        hits += changed.sum(axis=0)
        mem.write(slice(None), np.zeros((200, 8), np.uint64))  # a fresh start for the next round
    chi2 = float(((hits - 250.0) ** 2 / 250.0).sum())
    assert hits.min() > 0 and chi2 < 7 + 6 * np.sqrt(14), hits


def test_a_chosen_codeword_or_beat_is_hit_and_only_it():
    mem = Memory("hsiao-secded", "x8-ecc-dimm", 50, seed=1)
    before = (mem.data.copy(), mem.check.copy())
    mem.inject(slice(None), BitFlips([71], slot=3))  # a check bit of codeword 3 (beat 3)
    changed = _hit_slots(before, mem)
    assert changed[:, 3].all() and changed.sum() == 50
    assert (mem.read(slice(None)).status[:, 3] == 71).all()  # corrected: bit 71 fixed
    mem.write(slice(None), np.zeros((50, 8), np.uint64))
    before = (mem.data.copy(), mem.check.copy())
    mem.inject(slice(None), ChipFault(beat=6))
    changed = _hit_slots(before, mem)
    assert changed[:, 6].all() and changed.sum() == 50
    mem.write(slice(None), np.zeros((50, 8), np.uint64))
    before = (mem.data.copy(), mem.check.copy())
    mem.inject(slice(None), RandomBits(2, slot=7))
    assert _hit_slots(before, mem)[:, 7].all() and _hit_slots(before, mem).sum() == 50
    assert (mem.read(slice(None)).status[:, 7] == -2).all()  # a double error: detected


def test_a_codeword_outside_the_line_is_refused():
    mem = Memory("hsiao-secded", "x8-ecc-dimm", 2)
    with pytest.raises(FaultError, match=r"slot=8.*0\.\.7"):
        mem.inject(0, BitFlips([1], slot=8))
    with pytest.raises(FaultError, match=r"beat=8.*0\.\.7"):
        mem.inject(0, ChipFault(beat=8))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", True), "lines=True"),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2.0), "lines=2.0"),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2, seed=-1), "seed=-1"),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2, seed=1.5), "seed=1.5"),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2).inject(0, "bit", seed=True), "seed="),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2).read(True), "lines must be"),
        (lambda: Memory("hsiao-secded", "x8-ecc-dimm", 2).read([[0], [0, 1]]), "lines must be"),
    ],
)
def test_booleans_and_non_integers_are_not_counts_or_seeds(call, name):
    with pytest.raises(InputError, match=re.escape(name)):
        call()
