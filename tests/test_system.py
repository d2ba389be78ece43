"""Memory systems: on-die ECC inside every chip, then rank-level ECC at the controller.

The two-level pipeline (eccsim.system) works on error patterns alone. Here it is held against a
slow, obviously correct reference that stores real data: it encodes each rank codeword, builds
every chip's on-die word from the bits that chip sends plus a random unsent half, encodes it,
applies the fault's flips, decodes one chip at a time in pure Python (tests/reference.py), puts
the sent bits back on the bus, applies the pin flips, decodes each rank codeword and compares.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from eccsim.errors import CodeError, FaultError, ModuleError
from eccsim.faults.device import device_fault_names, get_device_fault
from eccsim.outcomes import ON_DIE_LABELS
from eccsim.system import evaluate_system, get_system

try:
    import reference as ref
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests import reference as ref

DDR5 = "ddr5-rank-x4@ddr5-x4-subchannel+ondie=hamming-sec-136"
SYSTEMS = [
    DDR5,
    "none@ddr5-x4-subchannel+ondie=hamming-sec-136",
    "ddr5-rank-x4@ddr5-x4-subchannel",
    "hsiao-secded@x8-ecc-dimm",
    "chipkill-x4@x4-chipkill-dimm",
]
OUTCOME = {0: "no_error", 1: "ce", 2: "due", 3: "sdc_undetected", 4: "sdc_miscorrected"}
SEVERITY = {0: 0, 1: 1, 2: 2, 3: 4, 4: 3}  # SDC beats DUE beats CE beats no error


@cache
def ref_table(code):
    """syndrome -> correctable pattern bits, from the reference's own syndromes."""
    return {ref.syndrome_of_bits(code, bits): bits for bits in ref.correctable_patterns(code)}


def ref_decode(code, word: int) -> tuple[int, bool, bool]:
    """(decoded word, flagged, acted) of an n-bit word, by the code's decoder definition."""
    s = ref.syndrome_of_bits(code, [b for b in range(code.n) if word >> b & 1])
    if s == 0:
        return word, False, False
    bits = ref_table(code).get(s)
    if bits is None:
        return word, True, False
    for b in bits:
        word ^= 1 << b
    return word, False, True


def reference_line(system, cells: np.ndarray, io: np.ndarray, rng) -> tuple[int, int]:
    """(line outcome, on-die state) of one pattern, with real data, one chip at a time."""
    g, rank, ondie = system.module, system.rank, system.on_die
    S, k = g.slots, g.k
    if rank is not None:
        datas = ref.random_data(rank, rng, S)
        line = [ref.codeword(rank, d, ref.ref_encode(rank, d)) for d in datas]
    else:
        line = [
            int(rng.integers(0, 1 << 62)) | int(rng.integers(0, 1 << 18)) << 62 for _ in range(S)
        ]
    written = list(line)
    V = g.chip_width * g.burst_length
    state, acted = 0, False
    for c in range(g.chips):
        sent = g.bits_of_chip(c).tolist()  # (V, 2): (slot, bit) in the order the chip drives them
        bits = [line[s] >> b & 1 for s, b in sent]
        if ondie is None:
            stored = sum(v << i for i, v in enumerate(bits))
            got = stored ^ sum(1 << int(i) for i in np.nonzero(cells[c])[0])
        else:
            hidden = int(rng.integers(0, 1 << 62)) if ondie.k > V else 0
            data = sum(v << i for i, v in enumerate(bits)) | (hidden << V)
            stored = ref.codeword(ondie, data, ref.ref_encode(ondie, data))
            bad = stored ^ sum(1 << int(i) for i in np.nonzero(cells[c])[0])
            got, _, fixed = ref_decode(ondie, bad)  # no DUE signal: flagged words pass through
            acted |= fixed
            if bad != stored:
                harmed = (got ^ bad) & ~(bad ^ stored)  # bits it flipped that were right
                s = 1 if got == stored else (3 if harmed else 2)
                state = max(state, s)
        for i, (s, b) in enumerate(sent):
            if (got >> i & 1) != (line[s] >> b & 1):
                line[s] ^= 1 << b
    for q in range(g.bus_width):
        for t in range(g.burst_length):
            if io[q, t]:
                s, b = g.bits_of_dq[q, t].tolist()
                line[s] ^= 1 << int(b)
    outcome = 0
    for s in range(S):
        if line[s] == written[s]:
            continue
        if rank is None:
            o = 3 if (line[s] ^ written[s]) & ((1 << k) - 1) else 0
        else:
            got, flagged, fixed = ref_decode(rank, line[s])
            acted |= fixed
            o = 2 if flagged else (0 if got == written[s] and not fixed else
                                   (1 if got == written[s] else (3 if not fixed else 4)))  # fmt: skip
        outcome = o if SEVERITY[o] > SEVERITY[outcome] else outcome
    if outcome == 0 and acted:
        outcome = 1
    return outcome, state


@pytest.mark.parametrize("name", SYSTEMS)
@pytest.mark.parametrize(
    "fault", ["cell", "cell:2", "cell:3", "scatter:2", "scatter:3", "pin", "chip", "chips:2"]
)
def test_two_level_pipeline_equals_the_chip_by_chip_reference(name, fault, rng):
    system = get_system(name)
    f = get_device_fault(fault)
    pats = f.sample(system.module, system.stored_bits, rng, 40)
    _, _, lines, on_die = system.decode_errors(pats)
    for i in range(pats.m):
        want = reference_line(system, pats.cells[i], pats.io[i], rng)
        assert (int(lines[i]), int(on_die[i])) == want, (name, fault, i)


def test_the_on_die_word_is_the_sent_bits_then_the_unsent_half_then_check_bits():
    s = get_system(DDR5)
    assert (s.sent_bits, s.on_die.k, s.stored_bits) == (64, 128, 136)
    # a flip of on-die bit i < 64 (after a miscorrection-free path: one bit, corrected) and of
    # a bit in the unsent half never shows on the bus
    f = get_device_fault("cell")
    pats = f.patterns_at(s.module, s.stored_bits, np.arange(s.stored_bits))  # chip 0, each bit
    _, touched, lines, on_die = s.decode_errors(pats)
    assert not touched.any() and (lines == 1).all() and (on_die == 1).all()


def test_single_cell_errors_are_all_corrected_by_on_die_ecc_alone():
    res = evaluate_system("none@ddr5-x4-subchannel+ondie=hamming-sec-136", "cell")
    assert res.exhaustive and res.patterns == 10 * 136
    assert res.lines["ce"] == res.patterns
    assert res.on_die_counts()["corrected"] == res.patterns


def test_double_cell_errors_in_one_chip_are_never_silent_with_rank_level_chipkill():
    """Two wrong bits in one chip: on-die SEC miscorrects or passes them, but whatever comes
    out stays inside that chip's symbols, which rank-level SSC corrects (exhaustive)."""
    res = evaluate_system(DDR5, "cell:2")
    assert res.patterns == 10 * math.comb(136, 2)
    assert res.lines["sdc"] == 0 and res.lines["due"] == 0
    on = res.on_die_counts()
    assert on["miscorrected"] + on["passed"] == res.patterns  # SEC never fixes two errors


def test_without_rank_ecc_on_die_miscorrection_is_silent_corruption():
    res = evaluate_system("none@ddr5-x4-subchannel+ondie=hamming-sec-136", "cell:2")
    assert res.lines["sdc"] > 0 and res.lines["due"] == 0  # the on-die code flags nothing


def test_whole_chip_failures_chipkill_corrects_all_secded_does_not(seed):
    kill = evaluate_system("chipkill-x4@x4-chipkill-dimm", "chip", trials=4096, seed=seed)
    assert kill.lines["ce"] == kill.patterns
    ddr5 = evaluate_system(DDR5, "chip", trials=4096, seed=seed)
    assert ddr5.lines["ce"] == ddr5.patterns
    secded = evaluate_system("hsiao-secded@x8-ecc-dimm", "chip", trials=4096, seed=seed)
    assert secded.lines["ce"] < secded.patterns and secded.lines["sdc"] > 0


def test_same_seed_same_counts_whatever_the_blocks(seed):
    from eccsim.system import run_system_blocks

    s = get_system(DDR5)
    f = get_device_fault("chips:2")
    whole = run_system_blocks(s, f, exhaustive=False, total=3 * 4096, blocks=range(3), seed=seed,
                              stream=7)  # fmt: skip
    parts = run_system_blocks(s, f, exhaustive=False, total=3 * 4096, blocks=range(2), seed=seed,
                              stream=7)  # fmt: skip
    parts += run_system_blocks(s, f, exhaustive=False, total=3 * 4096, blocks=range(2, 3),
                               seed=seed, stream=7)  # fmt: skip
    assert whole.lines == parts.lines and whole.words == parts.words
    assert (whole.on_die == parts.on_die).all()


@pytest.mark.parametrize(
    "spec, match",
    [
        ("chipkill-x4", "RANK@MODULE"),
        ("chipkill-x4@x8-ecc-dimm", r"'chipkill-x4' is \(144,128\).*'x8-ecc-dimm'"),
        ("sddc-x8@x4-chipkill-dimm", "spans chips"),
        ("hsiao-secded@x4-ecc-dimm+ondie=hamming-sec-136", r"protects 128 data bits.*sends 32"),
        ("ddr5-rank-x4@ddr5-x4-subchannel+ecc=hamming-sec-136", "ondie=CODE"),
        ("none@ddr5-x4-subchannel", "needs a rank-level code, an on-die code, or both"),
        ("ddr5-rank-x4@nope", "unknown module 'nope'"),
    ],
)
def test_a_bad_system_is_one_clear_error(spec, match):
    with pytest.raises((ModuleError, CodeError), match=match):
        get_system(spec)


@pytest.mark.parametrize(
    "spec, match",
    [("cel", "did you mean cell"), ("cell:0", "cell:K"), ("pin:3", "takes no parameter"),
     ("bits:2", "memory-system faults are")],
)  # fmt: skip
def test_a_bad_device_fault_is_one_clear_error(spec, match):
    with pytest.raises(FaultError, match=match):
        get_device_fault(spec)


def test_device_fault_names_are_documented():
    assert set(device_fault_names()) == {"cell", "scatter", "pin", "chip", "chips"}
    assert ON_DIE_LABELS == ("none", "corrected", "passed", "miscorrected")


def test_enumerated_device_faults_are_every_pattern_once():
    s = get_system("hsiao-secded@x8-ecc-dimm")
    f = get_device_fault("scatter:2")
    n = s.module.chips * s.stored_bits
    assert f.count(s.module, s.stored_bits) == math.comb(n, 2)
    pats = f.patterns_at(s.module, s.stored_bits, np.arange(math.comb(n, 2)))
    flat = pats.cells.reshape(pats.m, -1)
    assert (flat.sum(axis=1) == 2).all()
    assert len({tuple(np.nonzero(r)[0]) for r in flat}) == pats.m
