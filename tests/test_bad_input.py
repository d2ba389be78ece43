"""Bad input is refused with a clear exception, never a crash or a silently wrong answer.

Every refusal is a ``ValueError`` subclass (:class:`CodeError`, :class:`InputError`,
:class:`ModuleError`, :class:`FaultError`) whose message names the offending parameter and says
what would have been allowed.
"""

from __future__ import annotations

import contextlib
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eccsim import (
    CodeError,
    InputError,
    LinearCode,
    classify,
    code_names,
    decode,
    encode,
    get_code,
    scrub,
    syndromes,
)
from eccsim.analysis import enumerate_kbit, exact_kbit, subset_syndrome_counts
from eccsim.faults import (
    ChipFault,
    Combined,
    FaultError,
    PinFault,
    RandomBits,
    fault_names,
    get_fault,
)
from eccsim.injection import inject
from eccsim.module import ModuleError, ModuleGeometry, get_module, module_names

HSIAO = "hsiao-secded"
WIDE = "hamming-sec-136"  # k = 128: data is (N, 2)


@contextlib.contextmanager
def refused(exc_type, *fragments: str):
    """Expect ``exc_type`` (a ValueError subclass) whose message contains every fragment."""
    assert issubclass(exc_type, ValueError)
    with pytest.raises(exc_type) as info:
        yield info
    msg = str(info.value)
    for f in fragments:
        assert f.lower() in msg.lower(), f"{f!r} missing from message {msg!r}"


def odd_weight_masks(k: int, r: int) -> list[int]:
    """Check masks of a small SEC-DED code: data column i is the i-th weight-3 r-bit vector."""
    cols = list(combinations(range(r), 3))[:k]
    assert len(cols) == k
    return [sum(1 << i for i, col in enumerate(cols) if j in col) for j in range(r)]


@pytest.fixture(scope="module")
def code32() -> LinearCode:
    """A user's (39, 32) code: k = 32 is not a multiple of 64, r = 7 leaves bit 7 of uint8."""
    return LinearCode.from_check_masks(odd_weight_masks(32, 7), k=32, name="user-32")


def valid_check(code, n: int) -> np.ndarray:
    return np.zeros(n, dtype=get_code(code).check_dtype)


def run_op(op: str, code, data, check=None):
    """Call one codec entry point with ``data`` (and a matching valid check array)."""
    if op == "encode":
        return encode(code, data)
    if check is None:
        n = data.shape[0] if isinstance(data, np.ndarray) and data.ndim else 1
        check = valid_check(code, n)
    if op == "decode":
        return decode(code, data, check)
    if op == "scrub":
        return scrub(code, data, check)
    if op == "syndromes":
        return syndromes(code, data, check)
    raise AssertionError(op)


OPS = ["encode", "decode", "scrub", "syndromes"]


# ----- codec: data arrays ------------------------------------------------------------------------
class TestDataArrays:
    @pytest.mark.parametrize("op", OPS)
    @pytest.mark.parametrize("dtype", [np.uint32, np.int64, np.float64, np.uint8])
    def test_wrong_dtype_is_refused_naming_uint64(self, op, dtype):
        data = np.zeros(4, dtype=dtype)
        with refused(InputError, "data", "uint64", np.dtype(dtype).name):
            run_op(op, HSIAO, data)

    @pytest.mark.parametrize("op", OPS)
    def test_a_list_is_refused_naming_numpy_array(self, op):
        with refused(InputError, "data", "numpy array", "list"):
            run_op(op, HSIAO, [1, 2, 3])

    @pytest.mark.parametrize("op", OPS)
    @pytest.mark.parametrize("shape", [(4, 2), (4, 1, 1), (2, 2, 2)])
    def test_wrong_shape_for_a_64_bit_code_names_the_allowed_shape(self, op, shape):
        data = np.zeros(shape, dtype=np.uint64)
        with refused(InputError, "data", "shape", "(N,)", str(shape)):
            run_op(op, HSIAO, data)

    @pytest.mark.parametrize("op", OPS)
    @pytest.mark.parametrize("shape", [(4,), (4, 1), (4, 3)])
    def test_wrong_word_count_for_the_136_bit_code_names_w_2(self, op, shape):
        data = np.zeros(shape, dtype=np.uint64)
        with refused(InputError, "data", "(N, 2)", str(shape), "k=128"):
            run_op(op, WIDE, data)

    @pytest.mark.parametrize("op", OPS)
    def test_non_contiguous_1d_view_is_refused(self, op):
        data = np.zeros(8, dtype=np.uint64)[::2]
        with refused(InputError, "data", "contiguous"):
            run_op(op, HSIAO, data)

    @pytest.mark.parametrize("op", OPS)
    def test_non_contiguous_2d_view_is_refused(self, op):
        data = np.zeros((8, 2), dtype=np.uint64)[::2]
        with refused(InputError, "data", "contiguous"):
            run_op(op, WIDE, data)

    def test_column_reversed_view_is_refused(self):
        data = np.zeros((4, 2), dtype=np.uint64)[:, ::-1]
        with refused(InputError, "contiguous"):
            encode(WIDE, data)

    @pytest.mark.parametrize("op", OPS)
    def test_data_bits_above_k_are_refused_for_a_32_bit_code(self, op, code32):
        data = np.zeros(3, dtype=np.uint64)
        data[2] = np.uint64(1) << np.uint64(40)
        with refused(InputError, "data[2]", "k=32"):
            run_op(op, code32, data)

    def test_bit_31_is_still_a_data_bit_of_a_32_bit_code(self, code32):
        data = np.array([1 << 31], dtype=np.uint64)
        assert encode(code32, data).shape == (1,)

    def test_bits_above_128_are_refused_for_the_136_bit_code(self):
        data = np.zeros((2, 2), dtype=np.uint64)
        data[1, 1] = np.uint64(1) << np.uint64(63)
        # k = 128 fills both words: the top bit is a data bit, so this is fine
        assert encode(WIDE, data).shape == (2,)

    @pytest.mark.parametrize("op", OPS)
    @pytest.mark.parametrize(("code", "shape"), [(HSIAO, (4,)), (HSIAO, (4, 1)), (WIDE, (4, 2))])
    def test_the_documented_shapes_are_accepted(self, op, code, shape):
        run_op(op, code, np.zeros(shape, dtype=np.uint64))


# ----- codec: check arrays -----------------------------------------------------------------------
class TestCheckArrays:
    @pytest.mark.parametrize("op", ["decode", "scrub", "syndromes"])
    @pytest.mark.parametrize("dtype", [np.uint16, np.uint64, np.int8, np.float32])
    def test_wrong_check_dtype_names_the_expected_one(self, op, dtype):
        data = np.zeros(4, dtype=np.uint64)
        check = np.zeros(4, dtype=dtype)
        with refused(InputError, "check", "uint8", np.dtype(dtype).name):
            run_op(op, HSIAO, data, check)

    @pytest.mark.parametrize("op", ["decode", "scrub", "syndromes"])
    @pytest.mark.parametrize("n", [0, 3, 5])
    def test_wrong_check_length_names_the_data_length(self, op, n):
        data = np.zeros(4, dtype=np.uint64)
        check = np.zeros(n, dtype=np.uint8)
        with refused(InputError, "check", "(4,)", f"({n},)"):
            run_op(op, HSIAO, data, check)

    @pytest.mark.parametrize("op", ["decode", "scrub", "syndromes"])
    def test_check_as_a_list_is_refused(self, op):
        with refused(InputError, "check", "numpy array"):
            run_op(op, HSIAO, np.zeros(2, dtype=np.uint64), [0, 0])

    @pytest.mark.parametrize("op", ["decode", "scrub", "syndromes"])
    def test_non_contiguous_check_is_refused(self, op):
        check = np.zeros(8, dtype=np.uint8)[::2]
        with refused(InputError, "check", "contiguous"):
            run_op(op, HSIAO, np.zeros(4, dtype=np.uint64), check)

    @pytest.mark.parametrize("op", ["decode", "scrub", "syndromes"])
    def test_check_bits_above_r_are_refused(self, op, code32):
        check = np.zeros(3, dtype=np.uint8)
        check[1] = 1 << 7  # r = 7: bit 7 of the uint8 is not a check bit
        with refused(InputError, "check[1]", "r=7"):
            run_op(op, code32, np.zeros(3, dtype=np.uint64), check)

    def test_encode_out_of_the_wrong_dtype_is_refused(self):
        with refused(InputError, "out", "uint8"):
            encode(HSIAO, np.zeros(4, dtype=np.uint64), out=np.zeros(4, dtype=np.uint16))

    def test_encode_out_of_the_wrong_length_is_refused(self):
        with refused(InputError, "out", "(4,)"):
            encode(HSIAO, np.zeros(4, dtype=np.uint64), out=np.zeros(3, dtype=np.uint8))

    def test_encode_into_read_only_out_is_refused(self):
        out = np.zeros(4, dtype=np.uint8)
        out.setflags(write=False)
        with refused(InputError, "out", "writeable"):
            encode(HSIAO, np.zeros(4, dtype=np.uint64), out=out)

    def test_classify_refuses_read_and_written_of_different_lengths(self):
        wd = np.zeros(4, dtype=np.uint64)
        with refused(InputError, "read"):
            classify(
                HSIAO, wd, valid_check(HSIAO, 4), np.zeros(3, np.uint64), valid_check(HSIAO, 3)
            )


class TestScrubInPlace:
    def test_read_only_data_is_refused(self):
        data = np.zeros(4, dtype=np.uint64)
        data.setflags(write=False)
        with refused(InputError, "scrub", "writeable"):
            scrub(HSIAO, data, valid_check(HSIAO, 4))

    def test_read_only_check_is_refused(self):
        check = valid_check(HSIAO, 4)
        check.setflags(write=False)
        with refused(InputError, "scrub", "writeable"):
            scrub(HSIAO, np.zeros(4, dtype=np.uint64), check)

    def test_refused_scrub_leaves_the_data_untouched(self):
        data = np.arange(4, dtype=np.uint64)
        check = valid_check(HSIAO, 4)  # wrong for this data: a scrub would change something
        check.setflags(write=False)
        with pytest.raises(InputError):
            scrub(HSIAO, data, check)
        assert np.array_equal(data, np.arange(4, dtype=np.uint64))


# hypothesis: arbitrary small arrays never crash the codec, they either work or are refused
_dtypes = st.sampled_from(
    [np.uint64, np.uint32, np.int64, np.float64, np.uint8, np.uint16, np.bool_]
).map(np.dtype)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=st.sampled_from(code_names()),
    data=hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)),
    check=hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
    op=st.sampled_from(["decode", "syndromes"]),
)
def test_arbitrary_arrays_are_decoded_or_refused_never_crash(code, data, check, op):
    try:
        run_op(op, code, data, check)
    except InputError as exc:
        assert str(exc)


# ----- names ---------------------------------------------------------------------------------------
class TestUnknownNames:
    def test_unknown_code_lists_the_codes_and_suggests_the_close_one(self):
        with refused(CodeError, "'hsiao-secdd'", "did you mean hsiao-secded", *code_names()):
            get_code("hsiao-secdd")

    def test_unknown_code_far_from_any_name_still_lists_them(self):
        with refused(CodeError, "unknown code", *code_names()) as info:
            get_code("reed-solomon")
        assert "did you mean" not in str(info.value)

    def test_unknown_code_through_encode_is_the_same_error(self):
        with refused(CodeError, "did you mean hsiao-secded"):
            encode("hsiao-secdd", np.zeros(1, dtype=np.uint64))

    def test_unknown_module_lists_the_modules_and_suggests_the_close_one(self):
        with refused(ModuleError, "'x8-ecc-dim'", "did you mean x8-ecc-dimm", *module_names()):
            get_module("x8-ecc-dim")

    def test_unknown_module_through_inject(self):
        with refused(ModuleError, "did you mean x4-ecc-dimm"):
            inject(HSIAO, "x4-ecc-dim", "bit")

    def test_unknown_fault_lists_the_faults_and_suggests_the_close_one(self):
        with refused(FaultError, "'chp'", "did you mean chip", *fault_names()):
            get_fault("chp")

    def test_unknown_fault_with_a_parameter_suggests_by_base_name(self):
        with refused(FaultError, "did you mean", "bits"):
            get_fault("bitz:3")

    def test_unknown_part_of_a_combination_is_named(self):
        with refused(FaultError, "'chipp'", "did you mean chip"):
            get_fault("bit+chipp")

    def test_unknown_fault_through_inject(self):
        with refused(FaultError, "did you mean chip"):
            inject(HSIAO, "x8-ecc-dimm", "chp")


# ----- LinearCode ----------------------------------------------------------------------------------
def _systematic(A) -> np.ndarray:
    A = np.asarray(A, dtype=np.uint8)
    return np.concatenate([A, np.eye(A.shape[0], dtype=np.uint8)], axis=1)


# a valid (7, 4) Hamming code to break in various ways
H74 = _systematic([[1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1]])


class TestLinearCode:
    def test_the_valid_matrix_is_accepted(self):
        assert LinearCode(H74).n == 7

    @pytest.mark.parametrize("bad", [2, -1, 7])
    def test_integer_entries_other_than_0_1_are_located(self, bad):
        H = H74.astype(np.int64)
        H[1, 2] = bad
        with refused(CodeError, "0 and 1", "H[1, 2]", str(bad)):
            LinearCode(H)

    def test_fractional_entries_are_refused(self):
        H = H74.astype(np.float64)
        H[0, 0] = 0.5
        with refused(CodeError, "0 and 1", "float"):
            LinearCode(H)

    def test_float_matrix_of_0_and_1_is_accepted(self):
        assert LinearCode(H74.astype(np.float64)) == LinearCode(H74)

    def test_string_entries_are_refused(self):
        with refused(CodeError, "0 and 1"):
            LinearCode(np.array([["a", "b", "c"], ["d", "e", "f"]]))

    @pytest.mark.parametrize("H", [H74[0], H74[None], np.array(1)], ids=["1-D", "3-D", "0-D"])
    def test_matrix_that_is_not_2d_is_refused(self, H):
        with refused(CodeError, "2-D", str(H.shape)):
            LinearCode(H)

    def test_empty_matrix_is_refused(self):
        with refused(CodeError, "empty"):
            LinearCode(np.zeros((0, 4), dtype=np.uint8))

    def test_ragged_nested_list_is_refused(self):
        with pytest.raises(CodeError, match="H"):
            LinearCode([[1, 0, 1], [1, 0]])

    def test_no_more_columns_than_rows_is_refused(self):
        with refused(CodeError, "columns", "rows"):
            LinearCode(np.eye(3, dtype=np.uint8))

    def test_rank_deficient_matrix_is_refused(self):
        H = np.concatenate([H74, (H74[0] ^ H74[1])[None]], axis=0)  # row 3 = row 0 + row 1
        with refused(CodeError, "rank", "linearly independent"):
            LinearCode(H)

    def test_singular_check_block_is_refused(self):
        # full rank, but the last 3 columns (the check bits) are linearly dependent
        H = np.array(
            [[1, 0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 0, 1, 1], [0, 0, 1, 1, 1, 1, 0]], dtype=np.uint8
        )
        with refused(CodeError, "singular", "check"):
            LinearCode(H)

    def test_duplicate_columns_are_refused_for_sec_and_named(self):
        H = H74.copy()
        H[:, 1] = H[:, 0]
        with refused(CodeError, "columns 0 and 1", "equal", "detect"):
            LinearCode(H, decoder="sec")
        assert LinearCode(H, decoder="detect").decoder == "detect"

    def test_zero_column_is_refused_for_sec_and_named(self):
        H = H74.copy()
        H[:, 2] = 0
        with refused(CodeError, "column 2", "zeros"):
            LinearCode(H)
        assert LinearCode(H, decoder="detect").n == 7

    def test_unknown_decoder_lists_the_decoders(self):
        with refused(CodeError, "decoder='secded'", "sec", "detect", "patterns"):
            LinearCode(H74, decoder="secded")

    def test_patterns_decoder_without_patterns_is_refused(self):
        with refused(CodeError, "patterns", "correctable"):
            LinearCode(H74, decoder="patterns")

    def test_correctable_pattern_out_of_range_is_refused(self):
        with refused(CodeError, "(0, 7)", "0..6"):
            LinearCode(H74, decoder="patterns", correctable=[(0, 7)])

    def test_correctable_patterns_sharing_a_syndrome_are_refused(self):
        # a 2-bit pattern whose syndrome is column 0's: it collides with the pattern (0,)
        cols = [int(sum(int(H74[j, b]) << j for j in range(3))) for b in range(7)]
        a, b = next((a, b) for a, b in combinations(range(7), 2) if cols[a] ^ cols[b] == cols[0])
        with refused(CodeError, "share a syndrome"):
            LinearCode(H74, decoder="patterns", correctable=[(0,), (a, b)])

    def test_correctable_pattern_that_is_a_codeword_is_refused(self):
        cols = [int(sum(int(H74[j, b]) << j for j in range(3))) for b in range(7)]
        a, b, c = next(
            t for t in combinations(range(7), 3) if cols[t[0]] ^ cols[t[1]] == cols[t[2]]
        )
        with refused(CodeError, "syndrome 0"):
            LinearCode(H74, decoder="patterns", correctable=[(a, b, c)])

    def test_correctable_patterns_with_a_non_patterns_decoder_are_refused(self):
        with refused(CodeError, "patterns"):
            LinearCode(H74, decoder="detect", correctable=[(0,)])


class TestFromCheckMasks:
    MASKS = (0b1011, 0b1101, 0b1110)  # the (7, 4) Hamming code

    def test_the_valid_masks_are_accepted(self):
        assert LinearCode.from_check_masks(self.MASKS, k=4).n == 7

    def test_mask_wider_than_k_is_refused(self):
        with refused(CodeError, "masks[1]", "4-bit"):
            LinearCode.from_check_masks([0b1011, 0b10000, 0b1110], k=4)

    def test_negative_mask_is_refused(self):
        with refused(CodeError, "masks[0]", "non-negative"):
            LinearCode.from_check_masks([-5, 0b1101, 0b1110], k=4)

    @pytest.mark.parametrize("bad", ["abc", None, [1, 2], "0x1z"])
    def test_non_integer_mask_is_refused(self, bad):
        with refused(CodeError, "masks[2]", "not an integer"):
            LinearCode.from_check_masks([0b1011, 0b1101, bad], k=4)

    def test_fractional_mask_is_refused_not_truncated(self):
        with refused(CodeError, "masks[0]", "integer"):
            LinearCode.from_check_masks([11.5, 0b1101, 0b1110], k=4)

    def test_empty_mask_list_is_refused(self):
        with refused(CodeError, "masks", "at least one"):
            LinearCode.from_check_masks([], k=4)

    @pytest.mark.parametrize("k", [0, -3, 4.0, "4"])
    def test_k_that_is_not_a_positive_integer_is_refused(self, k):
        with refused(CodeError, f"k={k!r}", "positive integer"):
            LinearCode.from_check_masks(self.MASKS, k=k)

    def test_more_than_64_check_bits_are_refused(self):
        masks = [1 << j for j in range(65)]
        with refused(CodeError, "64"):
            LinearCode.from_check_masks(masks, k=65)


# ----- faults ----------------------------------------------------------------------------------
class TestFaultParameters:
    @pytest.mark.parametrize("spec", ["bits:0", "bits:-2"])
    def test_flipping_fewer_than_one_bit_is_refused(self, spec):
        with refused(FaultError, "count=", ">= 1"):
            get_fault(spec)

    def test_more_bits_than_the_codeword_has_is_refused(self):
        with refused(FaultError, "count=100", "n=72"):
            inject(HSIAO, "x8-ecc-dimm", "bits:100")

    def test_more_bits_than_the_codeword_has_is_refused_when_sampling(self):
        with refused(FaultError, "count=73", "n=72"):
            inject(HSIAO, "x8-ecc-dimm", "bits:73", trials=10)

    def test_all_72_bits_is_still_possible(self):
        assert RandomBits(72).count(get_module("x8-ecc-dimm")) == 1

    @pytest.mark.parametrize("spec", ["burst:0", "burst-random:0"])
    def test_empty_burst_is_refused(self, spec):
        with refused(FaultError, "length=0", ">= 1"):
            get_fault(spec)

    def test_burst_longer_than_the_codeword_is_refused(self):
        with refused(FaultError, "length=80", "n=72"):
            inject(HSIAO, "x8-ecc-dimm", "burst:80")

    @pytest.mark.parametrize("spec", ["bits:abc", "bits:2.5", "burst:x", "chips:two"])
    def test_parameter_that_is_not_a_whole_number_is_refused(self, spec):
        with refused(FaultError, spec, "whole number"):
            get_fault(spec)

    @pytest.mark.parametrize("trials", [None, 100])
    def test_more_failing_chips_than_the_module_has_is_refused(self, trials):
        with refused(FaultError, "chips=10", "9 chips", "x8-ecc-dimm"):
            inject(HSIAO, "x8-ecc-dimm", "chips:10", trials=trials)

    def test_zero_failing_chips_is_refused(self):
        with refused(FaultError, "chips=0", ">= 1"):
            get_fault("chips:0")

    @pytest.mark.parametrize("trials", [None, 100])
    def test_pin_outside_the_bus_is_refused(self, trials):
        with refused(FaultError, "pin=99", "0..71", "x8-ecc-dimm"):
            inject(HSIAO, "x8-ecc-dimm", PinFault(pin=99), trials=trials)

    def test_negative_pin_is_refused(self):
        with refused(FaultError, "pin=-1", "0..71"):
            PinFault(pin=-1).count(get_module("x8-ecc-dimm"))

    @pytest.mark.parametrize("trials", [None, 100])
    def test_chip_outside_the_module_is_refused(self, trials):
        with refused(FaultError, "chip=9", "0..8"):
            inject(HSIAO, "x8-ecc-dimm", ChipFault(chip=9), trials=trials)

    @pytest.mark.parametrize("model", [PinFault, ChipFault])
    @pytest.mark.parametrize("mode", ["stuck", "stuck-at-2", "FLIP"])
    def test_unknown_mode_lists_the_modes(self, model, mode):
        with refused(FaultError, f"mode={mode!r}", "flip", "stuck-at-0", "stuck-at-1"):
            model(mode=mode)

    def test_unknown_chip_scope_lists_the_scopes(self):
        with refused(FaultError, "scope='line'", "beat", "burst"):
            ChipFault(scope="line")

    def test_fixing_one_chip_among_several_failing_ones_is_refused(self):
        with refused(FaultError, "chip=", "chips=1"):
            ChipFault(chips=2, chip=1)

    def test_combination_of_a_single_fault_is_refused(self):
        with refused(FaultError, "at least two"):
            Combined(RandomBits(1))

    @pytest.mark.parametrize("spec", ["pin:99", "chip:3", "chip-stuck-1:5"])
    def test_parameter_on_a_fault_that_takes_none_is_refused(self, spec):
        with refused(FaultError, spec):
            get_fault(spec)

    def test_chip_burst_enumeration_is_too_large_and_says_to_sample(self):
        with refused(FaultError, "chip-burst", "patterns", "sampling"):
            inject(HSIAO, "x8-ecc-dimm", "chip-burst")

    def test_chip_burst_can_be_sampled_instead(self):
        res = inject(HSIAO, "x8-ecc-dimm", "chip-burst", trials=50)
        assert res.patterns == 50


# ----- injection -------------------------------------------------------------------------------
class TestInjectArguments:
    def test_code_that_does_not_fit_the_module_names_both_shapes(self):
        with refused(ModuleError, WIDE, "(136,128)", "x8-ecc-dimm", "(72,64)"):
            inject(WIDE, "x8-ecc-dimm", "bit")

    def test_user_code_of_the_wrong_size_does_not_fit_either(self, code32):
        with refused(ModuleError, "user-32", "(39,32)", "(72,64)"):
            inject(code32, "x4-ecc-dimm", "bit")

    @pytest.mark.parametrize("seed", [-1, 1.5, "7", None])
    def test_seed_must_be_a_non_negative_integer(self, seed):
        with refused(InputError, f"seed={seed!r}", "non-negative integer"):
            inject(HSIAO, "x8-ecc-dimm", "bit", trials=10, seed=seed)

    @pytest.mark.parametrize("trials", [0, -5, 2.5, "10"])
    def test_trials_must_be_a_positive_integer(self, trials):
        with refused(InputError, f"trials={trials!r}", "positive integer"):
            inject(HSIAO, "x8-ecc-dimm", "bit", trials=trials)

    @pytest.mark.parametrize("shape", [(3, 4), (3, 8, 2), (8,), (2, 8, 1, 1)])
    def test_data_of_the_wrong_shape_names_the_line_shape(self, shape):
        data = np.zeros(shape, dtype=np.uint64)
        with refused(InputError, "data", "(lines, 8)", str(shape)):
            inject(HSIAO, "x8-ecc-dimm", "bit", data=data)

    def test_data_without_lines_is_refused(self):
        with refused(InputError, "data", "(lines, 8)"):
            inject(HSIAO, "x8-ecc-dimm", "bit", data=np.zeros((0, 8), dtype=np.uint64))

    @pytest.mark.parametrize("dtype", [np.int64, np.uint32, np.float64])
    def test_data_of_the_wrong_dtype_is_refused(self, dtype):
        with refused(InputError, "data", "uint64"):
            inject(HSIAO, "x8-ecc-dimm", "bit", data=np.zeros((2, 8), dtype=dtype))

    def test_data_as_a_list_is_refused(self):
        with refused(InputError, "data", "uint64"):
            inject(HSIAO, "x8-ecc-dimm", "bit", data=[[0] * 8])


# ----- module geometry ---------------------------------------------------------------------------
def geometry(**kw) -> ModuleGeometry:
    args = dict(name="custom", chips=9, chip_width=8, burst_length=8, check_chips=(8,))
    args.update(kw)
    return ModuleGeometry(**args)


class TestModuleGeometry:
    @pytest.mark.parametrize("w", [5, 0, 32, 1])
    def test_chip_width_must_be_4_8_or_16(self, w):
        with refused(ModuleError, f"chip_width={w}", "x4, x8 or x16"):
            geometry(chip_width=w)

    @pytest.mark.parametrize("checks", [(9,), (-1,), (3, 12)])
    def test_check_chip_index_must_lie_on_the_module(self, checks):
        with refused(ModuleError, "check_chips", "0..8"):
            geometry(check_chips=checks)

    def test_check_chips_must_be_distinct(self):
        with refused(ModuleError, "check_chips", "distinct"):
            geometry(check_chips=(8, 8))

    def test_there_must_be_a_check_chip(self):
        with refused(ModuleError, "check_chips"):
            geometry(check_chips=())

    def test_some_chip_must_carry_data(self):
        with refused(ModuleError, "data"):
            geometry(chips=2, check_chips=(0, 1))

    @pytest.mark.parametrize("bpc", [3, 5, 16, 0])
    def test_beats_per_codeword_must_divide_the_burst(self, bpc):
        with refused(ModuleError, f"beats_per_codeword={bpc}", "burst_length=8"):
            geometry(beats_per_codeword=bpc)

    def test_burst_length_must_be_positive(self):
        with refused(ModuleError, "burst_length=0"):
            geometry(burst_length=0)

    def test_a_module_needs_two_chips(self):
        with refused(ModuleError, "chips=1"):
            geometry(chips=1, check_chips=(0,))

    def test_locate_refuses_a_bit_outside_the_codeword(self):
        with refused(ModuleError, "bit=72", "0..71"):
            get_module("x8-ecc-dimm").locate(72)

    def test_locate_refuses_a_slot_outside_the_line(self):
        with refused(ModuleError, "slot=8", "0..7"):
            get_module("x8-ecc-dimm").locate(0, slot=8)

    @pytest.mark.parametrize(("dq", "beat"), [(72, 0), (0, 8), (-1, 0)])
    def test_bit_at_refuses_positions_outside_the_burst(self, dq, beat):
        with refused(ModuleError, f"dq={dq}", f"beat={beat}"):
            get_module("x8-ecc-dimm").bit_at(dq, beat)

    def test_bits_of_chip_refuses_a_missing_chip(self):
        with refused(ModuleError, "chip=18", "0..17"):
            get_module("x4-ecc-dimm").bits_of_chip(18)


# ----- analysis arguments ------------------------------------------------------------------------
class TestAnalysisArguments:
    @pytest.mark.parametrize("k", [0, 73, -1, 2.0])
    def test_exact_kbit_needs_a_weight_within_the_codeword(self, k):
        with refused(ValueError, "max_bits", "1..72"):
            exact_kbit(HSIAO, k)

    @pytest.mark.parametrize("w", [-1, 1.5])
    def test_subset_counts_need_a_non_negative_weight(self, w):
        with refused(ValueError, "max_w"):
            subset_syndrome_counts(HSIAO, w)

    @pytest.mark.parametrize("k", [-1, 73])
    def test_enumeration_needs_a_weight_within_the_codeword(self, k):
        with refused(ValueError, f"k={k}", "0..72"):
            enumerate_kbit(HSIAO, k)


def test_patterns_decoder_needs_a_list_of_patterns():
    import numpy as np

    from eccsim import LinearCode
    from eccsim.codes import CodeError

    H = np.array([[1, 1, 0, 1, 0, 0], [1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1]])
    with pytest.raises(CodeError, match="correctable: a non-empty list"):
        LinearCode(H, decoder="patterns", correctable=5)
