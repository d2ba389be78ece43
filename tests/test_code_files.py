"""Loading a user's code from a file: every documented format gives the code it describes, and
a malformed file is refused with a :class:`CodeError` that says what is wrong and where."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest

from eccsim import CodeError, LinearCode, encode, get_code, load_code
from eccsim.analysis import exact_kbit
from eccsim.compile import compile_code

REF = "hsiao-secded"


@pytest.fixture(scope="module")
def ref() -> LinearCode:
    return get_code(REF)


@pytest.fixture(scope="module")
def masks(ref) -> list[int]:
    """The reference code's check masks as Python ints (k = 64: one word each)."""
    return [int(m) for m in ref.check_masks[:, 0]]


def H_rows(H) -> list[str]:
    return ["".join(str(int(x)) for x in row) for row in H]


def assert_same_code(loaded: LinearCode, ref: LinearCode, rng) -> None:
    """Same (n, k), same systematic H, and the same check bits for random data."""
    assert (loaded.n, loaded.k, loaded.r) == (ref.n, ref.k, ref.r)
    assert np.array_equal(loaded.H, ref.H)
    assert loaded == ref
    data = rng.integers(0, 2**64, size=256, dtype=np.uint64, endpoint=False)
    assert np.array_equal(encode(loaded, data), encode(ref, data))


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# ----- the formats ------------------------------------------------------------------------------
class TestMaskFiles:
    def test_hex_masks_give_the_reference_code(self, tmp_path, ref, masks, rng):
        p = write(tmp_path / "mine.txt", "".join(f"0x{m:016x}\n" for m in masks))
        loaded = load_code(p)
        assert_same_code(loaded, ref, rng)
        assert loaded.name == "mine"

    def test_upper_case_hex_masks_give_the_reference_code(self, tmp_path, ref, masks, rng):
        p = write(tmp_path / "mine.txt", "".join(f"0X{m:016X}\n" for m in masks))
        assert_same_code(load_code(p), ref, rng)

    def test_decimal_masks_give_the_reference_code(self, tmp_path, ref, masks, rng):
        p = write(tmp_path / "dec.txt", "\n".join(str(m) for m in masks))
        assert_same_code(load_code(p), ref, rng)

    def test_masks_define_check_bit_j_as_the_parity_of_data_and_mask_j(self, tmp_path, rng):
        masks = [0b1011, 0b1101, 0b1110]  # (7, 4) Hamming
        p = write(tmp_path / "h74.txt", "\n".join(hex(m) for m in masks))
        code = load_code(p, k=4, r=3)
        assert (code.n, code.k) == (7, 4)
        data = np.arange(16, dtype=np.uint64)
        want = [
            sum((bin(d & m).count("1") & 1) << j for j, m in enumerate(masks)) for d in range(16)
        ]
        assert encode(code, data).tolist() == want

    def test_comments_and_blank_lines_are_ignored(self, tmp_path, ref, masks, rng):
        lines = ["# my (72,64) code", "", "   "]
        for j, m in enumerate(masks):
            lines += [f"0x{m:x}   # check bit {j}", ""]
        lines.append("# the end")
        p = write(tmp_path / "commented.txt", "\n".join(lines))
        assert_same_code(load_code(p), ref, rng)

    def test_csv_masks(self, tmp_path, ref, masks, rng):
        p = write(tmp_path / "mine.csv", "\n".join(hex(m) for m in masks) + "\n")
        assert_same_code(load_code(p), ref, rng)

    def test_get_code_accepts_the_path_of_a_mask_file(self, tmp_path, ref, masks, rng):
        p = write(tmp_path / "by-path.txt", "\n".join(hex(m) for m in masks))
        assert_same_code(get_code(str(p)), ref, rng)
        assert_same_code(get_code(p), ref, rng)


class TestMatrixFiles:
    def test_rows_of_digits_give_the_reference_code(self, tmp_path, ref, rng):
        p = write(tmp_path / "h.txt", "\n".join(H_rows(ref.H)))
        assert_same_code(load_code(p), ref, rng)

    @pytest.mark.parametrize("sep", [" ", ", ", ";", "\t"])
    def test_rows_with_separators(self, tmp_path, ref, rng, sep):
        text = "\n".join(sep.join(row) for row in H_rows(ref.H))
        assert_same_code(load_code(write(tmp_path / "h.txt", text)), ref, rng)

    def test_csv_matrix(self, tmp_path, ref, rng):
        text = "\n".join(",".join(row) for row in H_rows(ref.H))
        assert_same_code(load_code(write(tmp_path / "h.csv", text)), ref, rng)

    def test_comments_and_blank_lines_between_rows_are_ignored(self, tmp_path, ref, rng):
        lines = ["# H of my code", ""]
        for j, row in enumerate(H_rows(ref.H)):
            lines += [f"{row}  # row {j}", ""]
        assert_same_code(load_code(write(tmp_path / "h.txt", "\n".join(lines))), ref, rng)

    def test_non_systematic_matrix_is_the_same_code_as_its_systematic_form(
        self, tmp_path, ref, rng
    ):
        # mix the rows with random invertible row operations: same row space, same code
        M = np.eye(ref.r, dtype=np.uint8)
        for _ in range(40):
            i, j = rng.choice(ref.r, size=2, replace=False)
            M[i] ^= M[j]
        mixed = (M.astype(np.int64) @ ref.H.astype(np.int64) % 2).astype(np.uint8)
        assert not np.array_equal(mixed[:, ref.k :], np.eye(ref.r, dtype=np.uint8))
        loaded = load_code(write(tmp_path / "mixed.txt", "\n".join(H_rows(mixed))))
        assert_same_code(loaded, ref, rng)
        # and its codewords satisfy the user's own (mixed) parity checks
        data = rng.integers(0, 2**64, size=64, dtype=np.uint64)
        check = encode(loaded, data)
        bits = np.array(
            [[(int(d) >> i) & 1 for i in range(64)] + [(int(c) >> j) & 1 for j in range(8)]
             for d, c in zip(data, check, strict=True)]
        )  # fmt: skip
        assert not ((mixed.astype(np.int64) @ bits.T) % 2).any()

    def test_npy_matrix(self, tmp_path, ref, rng):
        np.save(tmp_path / "h.npy", np.array(ref.H, dtype=np.uint8))
        assert_same_code(load_code(tmp_path / "h.npy"), ref, rng)

    def test_npy_boolean_matrix(self, tmp_path, ref, rng):
        np.save(tmp_path / "h.npy", np.array(ref.H, dtype=bool))
        assert_same_code(load_code(tmp_path / "h.npy"), ref, rng)

    def test_npy_masks(self, tmp_path, ref, masks, rng):
        np.save(tmp_path / "m.npy", np.array(masks, dtype=np.uint64))
        assert_same_code(load_code(tmp_path / "m.npy"), ref, rng)

    def test_decoder_override(self, tmp_path, ref):
        p = write(tmp_path / "h.txt", "\n".join(H_rows(ref.H)))
        assert load_code(p, decoder="detect").decoder == "detect"


class TestJsonFiles:
    def test_json_matrix(self, tmp_path, ref, rng):
        p = write(tmp_path / "h.json", json.dumps({"H": ref.H.tolist()}))
        loaded = load_code(p)
        assert_same_code(loaded, ref, rng)
        assert loaded.name == "h"

    def test_json_masks_with_k_and_name(self, tmp_path, ref, masks, rng):
        obj = {"masks": [hex(m) for m in masks], "k": 64, "name": "my-hsiao"}
        loaded = load_code(write(tmp_path / "m.json", json.dumps(obj)))
        assert_same_code(loaded, ref, rng)
        assert loaded.name == "my-hsiao"

    def test_json_masks_as_integers(self, tmp_path, ref, masks, rng):
        loaded = load_code(write(tmp_path / "m.json", json.dumps({"masks": masks})))
        assert_same_code(loaded, ref, rng)

    def test_json_k_sets_the_number_of_data_bits(self, tmp_path):
        cols = list(combinations(range(6), 3))[:20]  # (26, 20) odd-weight-column code
        masks = [sum(1 << i for i, c in enumerate(cols) if j in c) for j in range(6)]
        obj = {"masks": [hex(m) for m in masks], "k": 20, "name": "small"}
        code = load_code(write(tmp_path / "s.json", json.dumps(obj)))
        assert (code.n, code.k, code.r, code.name) == (26, 20, 6, "small")
        for i, c in enumerate(cols):  # data column i of H is the weight-3 vector cols[i]
            assert set(np.flatnonzero(code.H[:, i])) == set(c)

    def test_json_decoder_and_correctable(self, tmp_path, ref):
        obj = {"H": ref.H.tolist(), "decoder": "patterns", "correctable": [[0], [5], [70]]}
        code = load_code(write(tmp_path / "p.json", json.dumps(obj)))
        assert code.decoder == "patterns"
        assert code.correctable == ((0,), (5,), (70,))


# ----- the loaded code analyses like the built-in one ----------------------------------------------
def test_loaded_mask_file_has_the_exact_kbit_rows_of_the_built_in_code(tmp_path, masks):
    p = write(tmp_path / "mine.txt", "\n".join(f"0x{m:016x}" for m in masks))
    compile_code.cache_clear()  # compile the loaded code from its own matrix
    loaded_rows = exact_kbit(load_code(p), 4)
    compile_code.cache_clear()
    assert loaded_rows == exact_kbit(REF, 4)


def test_a_different_mask_file_gives_different_exact_kbit_rows(tmp_path, masks):
    """The comparison above can fail: a code differing in one mask analyses differently."""
    changed = list(masks)
    changed[0] ^= 0b111  # data columns 0..2 change weight: no longer all odd
    p = write(tmp_path / "changed.txt", "\n".join(hex(m) for m in changed))
    assert exact_kbit(load_code(p), 3) != exact_kbit(REF, 3)


# ----- malformed files -----------------------------------------------------------------------------
class TestMalformedText:
    def test_ragged_rows_name_the_line(self, tmp_path, ref):
        rows = H_rows(ref.H)
        lines = ["# H", rows[0], "", rows[1], rows[2][:-1], *rows[3:]]  # line 5 is one bit short
        p = write(tmp_path / "ragged.txt", "\n".join(lines))
        with pytest.raises(CodeError, match=r"line 5\b") as info:
            load_code(p)
        assert "72" in str(info.value)  # the expected row length

    def test_token_neither_bits_nor_integer_names_line_and_token(self, tmp_path):
        p = write(tmp_path / "bad.txt", "0x1f\n0x2e\n\nhello\n")
        with pytest.raises(CodeError, match=r"line 4\b.*'hello'"):
            load_code(p)

    def test_bad_hex_digit_is_refused(self, tmp_path):
        p = write(tmp_path / "bad.txt", "0x1f\n0x2g\n")
        with pytest.raises(CodeError, match=r"line 2\b.*'0x2g'"):
            load_code(p)

    @pytest.mark.parametrize("text", ["", "\n\n  \n", "# only a comment\n# and another\n"])
    def test_file_without_rows_or_masks_is_refused(self, tmp_path, text):
        p = write(tmp_path / "empty.txt", text)
        with pytest.raises(CodeError, match="no matrix rows or masks"):
            load_code(p)

    def test_masks_wider_than_k_are_refused(self, tmp_path):
        p = write(tmp_path / "wide.txt", "# eccsim: k=8 r=2\n0x3\n0x1ff\n")
        with pytest.raises(CodeError, match=r"masks\[1\].*8-bit"):
            load_code(p)

    def test_invalid_matrix_is_refused_with_the_matrix_reason(self, tmp_path):
        p = write(tmp_path / "ok.txt", "# eccsim: n=6 k=3\n110100\n101010\n011001\n")  # (6, 3)
        H = np.array([[1, 1, 0, 1, 0, 0], [1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1]])
        assert load_code(p) == LinearCode(H)
        p = write(tmp_path / "zero.txt", "# eccsim: r=3 n=6\n010100\n001010\n011001\n")  # col 0 = 0
        with pytest.raises(CodeError, match="column 0"):
            load_code(p)


class TestMalformedFiles:
    def test_missing_file(self, tmp_path):
        p = tmp_path / "nope.txt"
        with pytest.raises(CodeError, match="does not exist") as info:
            load_code(p)
        assert str(p) in str(info.value)

    def test_directory(self, tmp_path):
        d = tmp_path / "codes.txt"
        d.mkdir()
        with pytest.raises(CodeError, match="directory"):
            load_code(d)

    @pytest.mark.parametrize("suffix", [".txt", ".csv", ".json"])
    def test_binary_garbage_in_a_text_format(self, tmp_path, suffix):
        p = tmp_path / f"garbage{suffix}"
        p.write_bytes(bytes(range(256)) * 4)
        with pytest.raises(CodeError, match="UTF-8"):
            load_code(p)

    def test_binary_garbage_in_an_npy_file(self, tmp_path):
        p = tmp_path / "garbage.npy"
        p.write_bytes(bytes(range(256)) * 4)
        with pytest.raises(CodeError, match=r"\.npy"):
            load_code(p)

    def test_npy_holding_a_pickled_object_is_refused_without_unpickling(self, tmp_path):
        p = tmp_path / "obj.npy"
        np.save(p, np.array({"H": [[1, 0, 1]]}, dtype=object), allow_pickle=True)
        with pytest.raises(CodeError, match=r"\.npy"):
            load_code(p)

    @pytest.mark.parametrize("arr", [np.array(5), np.zeros((2, 3, 4), dtype=np.uint8)])
    def test_npy_of_the_wrong_dimension_is_refused(self, tmp_path, arr):
        np.save(tmp_path / "dim.npy", arr)
        with pytest.raises(CodeError, match="2-D"):
            load_code(tmp_path / "dim.npy")

    def test_npy_of_strings_is_refused_as_a_code_error(self, tmp_path):
        np.save(tmp_path / "s.npy", np.array(["abc", "def"]))
        with pytest.raises(CodeError, match=r"s\.npy|masks"):
            load_code(tmp_path / "s.npy")


class TestMalformedJson:
    def test_broken_json_gives_line_and_column(self, tmp_path):
        text = '{\n  "H": [[1, 0, 1],\n         [0, 1 1]]\n}\n'
        with pytest.raises(json.JSONDecodeError) as ref_err:
            json.loads(text)
        p = write(tmp_path / "broken.json", text)
        with pytest.raises(CodeError, match="JSON") as info:
            load_code(p)
        msg = str(info.value)
        assert f"line {ref_err.value.lineno}" in msg
        assert f"column {ref_err.value.colno}" in msg

    @pytest.mark.parametrize(
        "obj",
        [
            {"H": [[1, 1, 1, 0], [1, 0, 0, 1]], "masks": ["0x3"]},
            {"k": 64},
            {},
            [[1, 0, 1]],
            "H",
        ],
        ids=["both", "neither", "empty-object", "a-list", "a-string"],
    )
    def test_json_needs_exactly_one_of_H_and_masks(self, tmp_path, obj):
        p = write(tmp_path / "which.json", json.dumps(obj))
        with pytest.raises(CodeError, match=r'"H".*"masks"'):
            load_code(p)

    def test_masks_that_are_not_a_list_are_refused(self, tmp_path):
        p = write(tmp_path / "m.json", json.dumps({"masks": "0x3"}))
        with pytest.raises(CodeError, match='"masks"'):
            load_code(p)

    def test_bad_hex_string_among_the_masks_names_it(self, tmp_path):
        p = write(tmp_path / "m.json", json.dumps({"masks": ["0x3", "0xq"], "k": 4}))
        with pytest.raises(CodeError, match=r"masks\[1\].*'0xq'"):
            load_code(p)

    def test_ragged_json_matrix_is_refused(self, tmp_path):
        p = write(tmp_path / "r.json", json.dumps({"H": [[1, 1, 0], [1, 0]]}))
        with pytest.raises(CodeError, match="H"):
            load_code(p)

    def test_unknown_decoder_in_json_lists_the_decoders(self, tmp_path):
        obj = {"masks": ["0xb", "0xd", "0xe"], "k": 4, "decoder": "x"}
        p = write(tmp_path / "d.json", json.dumps(obj))
        with pytest.raises(CodeError, match=r"decoder='x'.*sec.*detect.*patterns"):
            load_code(p)

    def test_non_numeric_k_is_refused_naming_k(self, tmp_path):
        obj = {"masks": ["0x3", "0x5", "0x6"], "k": "four"}
        with pytest.raises(CodeError, match="k"):
            load_code(write(tmp_path / "k.json", json.dumps(obj)))


# ----- hostile and oversized files: one CodeError naming the file, before any big allocation --------
def refused_within(limit_mb: float, fn, *fragments: str) -> str:
    """Run ``fn``; it must raise CodeError containing every fragment, one line, while the
    Python heap grows by less than ``limit_mb`` MB."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(CodeError) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
        if peak > limit_mb * 2**20:
            for st in tracemalloc.take_snapshot().statistics("lineno")[:5]:
                print(st)
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)
    assert peak < limit_mb * 2**20, f"peak {peak / 2**20:.0f} MB before refusing"
    return msg


class TestOversizedFiles:
    def test_npz_renamed_npy_is_refused(self, tmp_path, ref):
        p = tmp_path / "h.npy"
        np.savez(tmp_path / "h", H=ref.H)
        (tmp_path / "h.npz").rename(p)
        refused_within(8, lambda: load_code(p), str(p), ".npz")

    def test_npy_header_claiming_10_to_the_12_elements_is_refused_from_the_header(self, tmp_path):
        p = tmp_path / "huge.npy"
        with open(p, "wb") as fh:
            header = {"descr": "|u1", "fortran_order": False, "shape": (10**6, 10**6)}
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(b"\x01" * 64)
        refused_within(8, lambda: load_code(p), str(p), "limit")

    def test_deeply_nested_json_is_refused(self, tmp_path):
        p = write(tmp_path / "deep.json", '{"H": ' + "[" * 100_000 + "]" * 100_000 + "}")
        refused_within(64, lambda: load_code(p), str(p), "nested")

    def test_moderately_nested_json_is_refused_naming_the_depth_limit(self, tmp_path):
        p = write(tmp_path / "deep.json", '{"H": ' + "[" * 40 + "]" * 40 + "}")
        refused_within(8, lambda: load_code(p), str(p), "nested too deeply")

    def test_json_k_of_a_hundred_million_is_refused_from_the_count(self, tmp_path, masks):
        p = write(tmp_path / "k.json", json.dumps({"masks": masks, "k": 100_000_000}))
        refused_within(8, lambda: load_code(p), str(p), "4096")

    def test_a_masks_file_of_a_million_lines_is_refused_at_line_65(self, tmp_path):
        p = write(tmp_path / "many.txt", "0x1\n" * 1_000_000)
        msg = refused_within(16, lambda: load_code(p), str(p), "64 check bits")
        assert "line 65" in msg

    def test_a_row_of_5000_bits_is_refused_naming_the_4096_bit_limit(self, tmp_path):
        p = write(tmp_path / "wide.txt", "# eccsim: r=1\n" + "1" * 5000 + "\n")
        refused_within(8, lambda: load_code(p), str(p), "4096")

    def test_json_with_65_masks_is_refused_naming_the_64_check_bit_limit(self, tmp_path):
        p = write(tmp_path / "m.json", json.dumps({"masks": [1] * 65, "k": 8}))
        refused_within(8, lambda: load_code(p), str(p), "64")

    def test_json_H_of_65_rows_is_refused(self, tmp_path):
        p = write(tmp_path / "h.json", json.dumps({"H": [[1] * 70] * 65}))
        refused_within(8, lambda: load_code(p), str(p), "64")

    def test_a_huge_mask_gives_a_short_message_naming_the_file(self, tmp_path):
        p = write(tmp_path / "m.json", json.dumps({"masks": [hex(1 << 4000)] + ["0x1"] * 7}))
        msg = refused_within(8, lambda: load_code(p), str(p), "masks[0]")
        assert len(msg) < 300
        p = write(tmp_path / "d.json", '{"masks": [' + "9" * 100_000 + "]}")
        msg = refused_within(32, lambda: load_code(p), str(p))
        assert len(msg) < 300


class TestNotIntegersNotNames:
    @pytest.mark.parametrize("name", [{"a": 1}, ["x"], 5, True, "", "two\nlines", "x" * 101])
    def test_a_json_name_that_is_not_a_one_line_string_is_refused(self, tmp_path, ref, name):
        p = write(tmp_path / "n.json", json.dumps({"H": ref.H.tolist(), "name": name}))
        refused_within(8, lambda: load_code(p), str(p), "name")

    @pytest.mark.parametrize(
        ("obj", "fragment"),
        [
            ({"masks": ["0xb", "0xd", "0xe"], "k": True}, '"k"'),
            ({"masks": [True, "0xd", "0xe"], "k": 4}, "masks[0]"),
            ({"H": [[1, 1, 0, 1, 0, 0], [1, 0, 1, 0, True, 0], [0, 1, 1, 0, 0, 1]]}, '"H"[1][4]'),
            ({"H": [[1, 1, 0, 1, 0], [1, 0, 1, 0, 1]], "r": True}, '"r"'),
            ({"H": [[1, 1, 0, 1, 0], [1, 0, 1, 0, 1]], "overall_parity": 1}, "overall_parity"),
            ({"H": [[1, 1, 0, 1, 0], [1, 0, 1, 0, 1]], "decoder": ["sec"]}, "decoder"),
            (
                {"H": [[1, 1, 1, 0], [1, 0, 0, 1]], "decoder": "patterns", "correctable": [[True]]},
                "whole numbers",
            ),
            ({"H": [[1, 1, 1, 0], [1, 0, 0, 1]], "overal_parity": True}, "did you mean"),
        ],
        ids=["k-true", "mask-true", "H-true", "r-true", "parity-1", "decoder-list",
             "pattern-true", "misspelt-key"],
    )  # fmt: skip
    def test_booleans_are_not_integers_and_every_key_is_checked(self, tmp_path, obj, fragment):
        p = write(tmp_path / "b.json", json.dumps(obj))
        refused_within(8, lambda: load_code(p), str(p), fragment)

    def test_api_refuses_booleans_and_non_string_names(self):
        H = [[1, 1, 0, 1, 0, 0], [1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1]]
        with pytest.raises(CodeError, match="name"):
            LinearCode(H, name={"a": 1})
        with pytest.raises(CodeError, match="whole numbers"):
            LinearCode(H, decoder="patterns", correctable=[[True, 3]])
        with pytest.raises(CodeError, match="masks"):
            LinearCode.from_check_masks([True, 0b101, 0b110], k=3)


class TestMessagesPointAtTheCause:
    def test_a_bad_digit_in_row_1_is_reported_on_line_1(self, tmp_path, ref):
        rows = H_rows(ref.H)
        rows[0] = rows[0][:5] + "2" + rows[0][6:]
        p = write(tmp_path / "h.txt", "\n".join(rows))
        msg = refused_within(8, lambda: load_code(p), str(p), "line 1:", "'2'")
        assert "line 4" not in msg

    def test_a_bad_digit_after_a_comment_header_names_its_own_line(self, tmp_path, ref):
        rows = H_rows(ref.H)
        rows[2] = rows[2][:-1] + "x"
        p = write(tmp_path / "h.txt", "# my code\n\n" + "\n".join(rows))
        refused_within(8, lambda: load_code(p), "line 5:", "'x'")

    @pytest.mark.parametrize("empty", ["", "   "])
    def test_an_empty_path_says_it_is_empty(self, empty):
        with pytest.raises(CodeError, match="empty") as info:
            get_code(empty)
        assert "directory" not in str(info.value) and "'.'" not in str(info.value)
        with pytest.raises(CodeError, match="empty"):
            load_code(empty)

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("a.txt", "0x1\n0x2\n"),
            ("b.txt", "# eccsim: k=64 r=9\n" + "0x3\n" * 8),
            ("c.txt", "# eccsim: frob=1\n0x1\n"),
            ("d.json", '{"H": [[1, 0], [0, 1]]}'),
            ("e.json", '{"masks": ["0x1"], "k": 0}'),
            ("f.json", '{"masks": ["0x1"], "name": {"x": 1}}'),
            ("g.csv", "1,0,2\n"),
        ],
    )
    def test_every_message_names_the_file(self, tmp_path, name, text):
        p = write(tmp_path / name, text)
        refused_within(8, lambda: load_code(p), str(p))
