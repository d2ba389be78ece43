"""Every mistake in a fault, module, injection or analysis argument is refused as an
:class:`~eccsim.errors.EccsimError` (one line from the CLI) naming the parameter and what is
allowed; booleans are not whole numbers here, and an empty parameter is not a default."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from eccsim.analysis import enumerate_kbit, exact_kbit, subset_syndrome_counts
from eccsim.errors import FaultError, InputError, ModuleError
from eccsim.faults import BitFlips, Burst, ChipFault, PinFault, RandomBits, get_fault
from eccsim.injection import inject
from eccsim.module import ModuleGeometry, get_module

X8 = get_module("x8-ecc-dimm")
HSIAO = "hsiao-secded"


def refused(kind, *parts):
    return pytest.raises(kind, match=".*".join(re.escape(p) for p in parts))


# ----- fault names --------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["bits:", "burst:", "burst-random:", "chips:", "bit+bits:"])
def test_an_empty_parameter_is_refused_not_taken_as_the_default(spec):
    with refused(FaultError, "empty parameter", "whole number"):
        get_fault(spec)


@pytest.mark.parametrize("spec", ["bits:+3", "bits: 3", "bits:3_0", "bits:0x3", "bits:3.0"])
def test_a_parameter_must_be_plain_digits(spec):
    with refused(FaultError, "is not a whole number"):
        get_fault(spec)


@pytest.mark.parametrize("spec", ["bit:", "chip:", "pin-stuck-1:"])
def test_a_colon_on_a_fault_without_parameters_is_refused(spec):
    with refused(FaultError, "takes no parameter"):
        get_fault(spec)


def test_the_default_applies_only_without_a_colon():
    assert get_fault("bits").bit_count == 2
    assert get_fault("burst").length == 4
    assert get_fault("chips").n_chips == 2


@pytest.mark.parametrize("spec", [None, 3, ["bit"], b"bit"])
def test_a_fault_must_be_a_name_or_a_model(spec):
    with refused(FaultError, "fault=", "fault name"):
        get_fault(spec)


@pytest.mark.parametrize(("name", "suggestion"),
                         [("chip-stuck", "chip-stuck-0"), ("pin-stuck", "pin-stuck-1"),
                          ("burst-rand", "burst-random")])  # fmt: skip
def test_a_prefix_of_a_fault_name_suggests_the_names_it_starts(name, suggestion):
    with refused(FaultError, "did you mean", suggestion):
        get_fault(name)


# ----- fault constructors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda: PinFault(pin="3"), "pin='3'"),
        (lambda: PinFault(pin=True), "pin=True"),
        (lambda: PinFault(pin=2.0), "pin=2.0"),
        (lambda: ChipFault(chip=2.5), "chip=2.5"),
        (lambda: ChipFault(chip=np.True_), "chip="),
        (lambda: ChipFault(chips=True), "chips=True"),
        (lambda: ChipFault(chips=2.0), "chips=2.0"),
        (lambda: ChipFault(beat="1"), "beat='1'"),
        (lambda: ChipFault(mode=None), "mode=None"),
        (lambda: ChipFault(scope=1), "scope=1"),
        (lambda: RandomBits(True), "count=True"),
        (lambda: RandomBits(2.0), "count=2.0"),
        (lambda: RandomBits(2, slot=True), "slot=True"),
        (lambda: Burst(True), "length=True"),
        (lambda: Burst(3, solid="no"), "solid='no'"),
        (lambda: BitFlips([True, 3]), "True"),
        (lambda: BitFlips([2.5]), "2.5"),
        (lambda: BitFlips("12"), "bits='12'"),
        (lambda: BitFlips(5), "bits=5"),
        (lambda: BitFlips([1], slot=1.0), "slot=1.0"),
    ],
)
def test_fault_parameters_must_be_whole_numbers_not_booleans(make, names):
    with refused(FaultError, names):
        make()


def test_a_fixed_beat_only_fits_a_single_beat_flip():
    with refused(FaultError, "beat="):
        ChipFault("stuck-at-1", beat=2)
    with refused(FaultError, "beat="):
        ChipFault(scope="burst", beat=2)


# ----- injection, analysis, results ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"trials": True}, "trials=True"), ({"trials": np.True_}, "trials="),
     ({"trials": 10, "seed": True}, "seed=True"), ({"trials": 10, "seed": 2.0}, "seed=2.0")],
)  # fmt: skip
def test_inject_takes_no_boolean_for_a_count_or_seed(kwargs, name):
    with refused(InputError, name):
        inject(HSIAO, "x8-ecc-dimm", "bit", **kwargs)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: exact_kbit(HSIAO, True), "max_bits=True"),
        (lambda: exact_kbit(HSIAO, 73), "max_bits=73"),
        (lambda: subset_syndrome_counts(HSIAO, True), "max_w=True"),
        (lambda: subset_syndrome_counts(HSIAO, -1), "max_w=-1"),
        (lambda: enumerate_kbit(HSIAO, True), "k=True"),
        (lambda: enumerate_kbit(HSIAO, 2, seed=-1), "seed=-1"),
    ],
)
def test_analysis_counts_are_whole_numbers_in_range(call, name):
    with refused(InputError, name):
        call()


def test_interval_arguments_are_checked():
    res = inject(HSIAO, "x8-ecc-dimm", "bit", trials=100)
    with refused(InputError, "confidence=1.5"):
        res.intervals(confidence=1.5)
    with refused(InputError, "level='wordz'", "did you mean words"):
        res.intervals("wordz")
    assert res.intervals("word") == res.intervals("words")  # the tidy rows' level names work too


# ----- modules ------------------------------------------------------------------------------------
def geometry(**kw) -> ModuleGeometry:
    args = dict(name="custom", chips=9, chip_width=8, burst_length=8, check_chips=(8,))
    args.update(kw)
    return ModuleGeometry(**args)


@pytest.mark.parametrize(
    ("kw", "name"),
    [({"chips": 9.0}, "chips=9.0"), ({"burst_length": True}, "burst_length=True"),
     ({"chip_width": "8"}, "chip_width='8'"), ({"beats_per_codeword": 1.0}, "beats_per_codeword"),
     ({"check_chips": (8.0,)}, "check_chips"), ({"check_chips": "8"}, "check_chips"),
     ({"name": 3}, "name=3")],
)  # fmt: skip
def test_module_geometry_fields_must_be_whole_numbers(kw, name):
    with refused(ModuleError, name):
        geometry(**kw)


def test_a_list_of_check_chips_is_accepted_as_a_tuple():
    assert geometry(check_chips=[8]).check_chips == (8,)


@pytest.mark.parametrize(
    ("call", "name"),
    [(lambda: X8.locate(True), "bit=True"), (lambda: X8.locate(3, slot=1.0), "slot=1.0"),
     (lambda: X8.bits_of_chip(2.5), "chip=2.5"), (lambda: X8.chip_masks(True), "beat=True"),
     (lambda: X8.bit_at(True, 0), "dq=True"), (lambda: get_module(None), "module=None")],
)  # fmt: skip
def test_module_lookups_take_whole_numbers(call, name):
    with refused(ModuleError, name):
        call()


def test_a_prefix_of_a_module_name_suggests_the_module():
    with refused(ModuleError, "'x4'", "did you mean x4-ecc-dimm"):
        get_module("x4")


def test_the_cli_suggests_the_module_in_one_line():
    r = subprocess.run(
        [sys.executable, "-m", "eccsim.cli", "inject", HSIAO, "bit", "--module", "x4"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "did you mean x4-ecc-dimm" in r.stderr
