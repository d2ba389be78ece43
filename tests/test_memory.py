"""The simulated module: what is written is read back; transient flips are corrected and
repaired by a scrub; stuck-at cells persist through scrubs and writes, as broken cells do."""

from __future__ import annotations

import numpy as np
import pytest

from eccsim import InputError, Memory
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
