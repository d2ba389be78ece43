"""Code files say what they are: a text file is the documented (72,64) form unless it declares
otherwise, an overall-parity check bit and check bits placed anywhere in the codeword (the
textbook Hamming layout, RTL layouts) are declared, and the loaded code is the code the
declaration describes.

Expected codes are built here from their textbook definitions (Hamming: the column of position
p is the binary form of p; overall parity: the parity of every other codeword bit), never from
eccsim's own output.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest

from eccsim import CodeError, decode, encode, get_code, load_code
from eccsim.analysis import exact_kbit


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def parity(x: int) -> int:
    return bin(x).count("1") & 1


def hamming_masks(k: int, r: int) -> list[int]:
    """Textbook Hamming SEC: data bit i sits at the i-th position p = 3, 5, 6, 7, 9, ... (not a
    power of two); check bit j (at position 2**j) covers the positions whose bit j is set."""
    positions = [p for p in range(3, 1 << r) if p & (p - 1)][:k]
    return [sum(1 << i for i, p in enumerate(positions) if p >> j & 1) for j in range(r)]


def min_weight_codeword(H: np.ndarray, max_weight: int) -> int | None:
    """Smallest w <= max_weight such that some w columns of H sum to zero (brute force)."""
    cols = [int("".join(str(int(b)) for b in col), 2) for col in H.T]
    for w in range(1, max_weight + 1):
        for subset in combinations(cols, w):
            acc = 0
            for c in subset:
                acc ^= c
            if acc == 0:
                return w
    return None


def codeword_bits(code, data: int, check: int) -> np.ndarray:
    return np.array(
        [(data >> i) & 1 for i in range(code.k)] + [(check >> j) & 1 for j in range(code.r)]
    )


MASKS7 = hamming_masks(64, 7)  # the (71, 64) Hamming SEC code
ALL_ONES = (1 << 64) - 1


# ----- the documented form, and what departs from it ----------------------------------------------
class TestDeclaredShape:
    @pytest.mark.parametrize("count", [7, 9])
    def test_a_masks_file_of_7_or_9_masks_without_a_declaration_is_refused(self, tmp_path, count):
        masks = [*get_code("hsiao-secded").check_masks[:, 0].tolist(), 0x1][:count]
        masks += [0x3] * (count - len(masks))
        p = write(tmp_path / "m.txt", "".join(f"{m:#x}\n" for m in masks))
        with pytest.raises(CodeError) as info:
            load_code(p)
        msg = str(info.value)
        assert str(p) in msg and f"{count} masks" in msg
        assert f"# eccsim: k=64 r={count}" in msg  # says how to declare it

    def test_a_truncated_masks_file_is_refused_not_read_as_another_code(self, tmp_path):
        full = "".join(f"{m:#x}\n" for m in get_code("hsiao-secded").check_masks[:, 0].tolist())
        p = write(tmp_path / "cut.txt", full[: full.rindex("0x")])  # the last line is lost
        with pytest.raises(CodeError, match="7 masks"):
            load_code(p)

    def test_a_declared_71_64_code_is_the_hamming_sec_code_it_declares(self, tmp_path, rng):
        text = "# eccsim: k=64 r=7\n" + "".join(f"{m:#x}\n" for m in MASKS7)
        code = load_code(write(tmp_path / "h71.txt", text))
        assert (code.n, code.k, code.r) == (71, 64, 7)
        data = rng.integers(0, 2**63, size=64, dtype=np.uint64)
        want = [sum(parity(int(d) & m) << j for j, m in enumerate(MASKS7)) for d in data]
        assert encode(code, data).tolist() == want

    def test_a_declaration_that_disagrees_with_the_file_is_refused(self, tmp_path):
        text = "# eccsim: r=8\n" + "".join(f"{m:#x}\n" for m in MASKS7)
        with pytest.raises(CodeError, match=r"7 masks.*r=8 is declared \(line 1\)"):
            load_code(write(tmp_path / "m.txt", text))

    def test_rows_of_H_other_than_8_by_72_need_a_declaration(self, tmp_path):
        rows = ["1010101", "0110011", "0001111"]  # Hamming (7, 4), textbook layout
        p = write(tmp_path / "h.txt", "\n".join(rows))
        with pytest.raises(CodeError, match=r"3 rows of 7 bits.*# eccsim: k=4 r=3"):
            load_code(p)
        assert load_code(write(tmp_path / "h.txt", "# eccsim: k=4 r=3\n" + "\n".join(rows))).n == 7

    def test_unknown_directive_is_refused_with_a_suggestion(self, tmp_path):
        text = "# eccsim: overal-parity\n" + "".join(f"{m:#x}\n" for m in MASKS7)
        with pytest.raises(CodeError, match=r"line 1.*did you mean overall-parity"):
            load_code(write(tmp_path / "m.txt", text))

    def test_json_declared_r_must_match_the_masks(self, tmp_path):
        obj = {"masks": [hex(m) for m in MASKS7], "r": 8}
        with pytest.raises(CodeError, match=r"7 masks.*r=8"):
            load_code(write(tmp_path / "m.json", json.dumps(obj)))


# ----- overall parity (OpenTitan's Hamming SEC-DED) -------------------------------------------------
class TestOverallParity:
    def test_a_bare_all_ones_mask_is_refused_pointing_to_the_declaration(self, tmp_path):
        p = write(tmp_path / "ot.txt", "".join(f"{m:#x}\n" for m in [*MASKS7, ALL_ONES]))
        with pytest.raises(CodeError, match=r"all ones.*overall-parity") as info:
            load_code(p)
        assert str(p) in str(info.value)

    def test_the_same_bare_mask_in_json_is_refused_too(self, tmp_path):
        obj = {"masks": [hex(m) for m in [*MASKS7, ALL_ONES]]}
        with pytest.raises(CodeError, match='"overall_parity": true'):
            load_code(write(tmp_path / "ot.json", json.dumps(obj)))

    @pytest.mark.parametrize("form", ["text", "json"])
    def test_declared_overall_parity_is_the_parity_of_all_data_and_check_bits(
        self, tmp_path, rng, form
    ):
        masks = [*MASKS7, ALL_ONES]
        if form == "text":
            text = "# eccsim: overall-parity\n" + "".join(f"{m:#x}\n" for m in masks)
            p = write(tmp_path / "ot.txt", text)
        else:
            obj = {"masks": [hex(m) for m in masks], "overall_parity": True}
            p = write(tmp_path / "ot.json", json.dumps(obj))
        code = load_code(p)
        data = [int(d) for d in rng.integers(0, 2**63, size=200, dtype=np.uint64)] + [0, ALL_ONES]
        check = encode(code, np.array(data, dtype=np.uint64)).tolist()
        for d, c in zip(data, check, strict=True):
            hamming = sum(parity(d & m) << j for j, m in enumerate(MASKS7))
            assert c & 0x7F == hamming  # check bits 0..6: the Hamming parities of the data
            assert c >> 7 == parity(d) ^ parity(hamming)  # bit 7: parity of every other bit

    def test_overall_parity_gives_distance_4_and_detects_every_double_error(self, tmp_path):
        text = "# eccsim: overall-parity\n" + "".join(f"{m:#x}\n" for m in [*MASKS7, ALL_ONES])
        code = load_code(write(tmp_path / "ot.txt", text))
        # the code by definition: Hamming rows [mask_j | e_j], then the all-ones overall row
        H_def = np.zeros((8, 72), dtype=np.uint8)
        for j, m in enumerate(MASKS7):
            H_def[j, :64] = [(m >> i) & 1 for i in range(64)]
            H_def[j, 64 + j] = 1
        H_def[7, :] = 1
        assert min_weight_codeword(H_def, 3) is None  # distance >= 4 by brute force
        data = [0, 1, ALL_ONES, 0x0123456789ABCDEF]
        for d, c in zip(data, encode(code, np.array(data, dtype=np.uint64)).tolist(), strict=True):
            assert not (H_def.astype(int) @ codeword_bits(code, d, c) % 2).any()
        assert code.min_distance == 4
        double = exact_kbit(code, 2)[1]
        assert double.sdc == 0 and double.due == 72 * 71 // 2
        assert code == get_code("hamming-secded")  # the textbook extended Hamming code

    def test_all_ones_mask_declared_as_data_only_is_the_distance_3_code(self, tmp_path):
        text = "# eccsim: overall-parity=no\n" + "".join(f"{m:#x}\n" for m in [*MASKS7, ALL_ONES])
        code = load_code(write(tmp_path / "lit.txt", text))
        H_def = np.zeros((8, 72), dtype=np.uint8)  # every row [mask_j | e_j], taken literally
        for j, m in enumerate([*MASKS7, ALL_ONES]):
            H_def[j, :64] = [(m >> i) & 1 for i in range(64)]
            H_def[j, 64 + j] = 1
        assert min_weight_codeword(H_def, 3) == 3
        assert code.min_distance == 3
        assert np.array_equal(code.H, H_def)

    def test_overall_parity_needs_an_all_ones_last_mask(self, tmp_path):
        text = "# eccsim: overall-parity\n" + "".join(f"{m:#x}\n" for m in [*MASKS7, 0xFF])
        with pytest.raises(CodeError, match=r"last mask.*all ones"):
            load_code(write(tmp_path / "bad.txt", text))


# ----- check bits elsewhere in the codeword ----------------------------------------------------------
def textbook_rows(n: int, r: int) -> list[str]:
    """H of Hamming in the textbook layout: column p-1 is the binary form of position p."""
    return ["".join(str(((b + 1) >> j) & 1) for b in range(n)) for j in range(r)]


class TestCheckPositions:
    def test_textbook_hamming_7_4_with_check_bits_at_positions_1_2_4(self, tmp_path):
        text = "# eccsim: n=7 k=4 check-positions=0,1,3\n" + "\n".join(textbook_rows(7, 3))
        code = load_code(write(tmp_path / "h74.txt", text))
        assert (code.n, code.k, code.r) == (7, 4, 3)
        # data bits at textbook positions 3, 5, 6, 7 (0-based 2, 4, 5, 6), checks at 1, 2, 4
        assert code.file_positions.tolist() == [2, 4, 5, 6, 0, 1, 3]
        assert code.check_positions == (0, 1, 3)
        for d in range(16):
            d0, d1, d2, d3 = ((d >> i) & 1 for i in range(4))
            p1, p2, p4 = d0 ^ d1 ^ d3, d0 ^ d2 ^ d3, d1 ^ d2 ^ d3  # the textbook parities
            assert encode(code, np.array([d], dtype=np.uint64))[0] == p1 | p2 << 1 | p4 << 2
        # the textbook property: a flip at position p has syndrome p
        for b in range(7):
            assert int(code.columns[b]) == int(code.file_positions[b]) + 1
        assert "positions 0, 1, 3" in code.describe()

    def test_single_errors_in_the_textbook_layout_are_corrected_at_the_right_bit(self, tmp_path):
        text = "# eccsim: n=7 k=4 check-positions=0,1,3\n" + "\n".join(textbook_rows(7, 3))
        code = load_code(write(tmp_path / "h74.txt", text))
        data = np.full(7, 0b1011, dtype=np.uint64)
        check = encode(code, data)
        flipped_data, flipped_check = data.copy(), check.copy()
        for b in range(7):  # eccsim bit b = textbook position file_positions[b] + 1
            if b < 4:
                flipped_data[b] ^= np.uint64(1 << b)
            else:
                flipped_check[b] ^= 1 << (b - 4)
        res = decode(code, flipped_data, flipped_check)
        assert res.status.tolist() == list(range(7))
        assert (res.data == data).all() and (res.check == check).all()

    @pytest.mark.parametrize("form", ["text", "json"])
    def test_textbook_72_64_sec_ded_layout_is_the_extended_hamming_code(self, tmp_path, form):
        # position 0: overall parity; positions 1..71: Hamming, checks at 1, 2, 4, ..., 64
        rows = ["".join(str((b >> j) & 1) for b in range(72)) for j in range(7)] + ["1" * 72]
        positions = [1, 2, 4, 8, 16, 32, 64, 0]
        if form == "text":
            text = f"# eccsim: check-positions={','.join(map(str, positions))}\n" + "\n".join(rows)
            p = write(tmp_path / "ext.txt", text)
        else:
            H = [[int(c) for c in row] for row in rows]
            p = write(tmp_path / "ext.json", json.dumps({"H": H, "check_positions": positions}))
        code = load_code(p)
        assert code.check_positions == tuple(positions)
        assert code.min_distance == 4
        H_def = np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)
        assert min_weight_codeword(H_def, 3) is None
        # the same code as the built-in extended Hamming: its data bits sit at 3, 5, 6, 7, 9, ...
        assert code == get_code("hamming-secded")
        assert code.file_positions[:4].tolist() == [3, 5, 6, 7]

    def test_without_the_positions_a_singular_last_block_says_to_declare_them(self, tmp_path):
        rows = ["".join(str((b >> j) & 1) for b in range(72)) for j in range(7)] + ["1" * 72]
        with pytest.raises(CodeError, match=r"singular.*check_positions"):
            load_code(write(tmp_path / "ext.txt", "\n".join(rows)))

    def test_masks_with_check_positions_keep_the_code_and_record_the_layout(self, tmp_path):
        ref = get_code("hsiao-secded")
        obj = {
            "masks": [hex(int(m)) for m in ref.check_masks[:, 0]],
            "check_positions": [0, 9, 18, 27, 36, 45, 54, 63],
        }
        code = load_code(write(tmp_path / "rtl.json", json.dumps(obj)))
        assert code == ref  # same H: the masks define the code, the positions its layout
        assert code.check_positions == (0, 9, 18, 27, 36, 45, 54, 63)
        data_positions = code.file_positions[:64].tolist()
        assert data_positions == [b for b in range(72) if b % 9]

    @pytest.mark.parametrize(
        ("positions", "fragment"),
        [
            ([0, 1], "lists 2 positions"),
            ([0, 1, 1], "twice"),
            ([0, 1, 7], r"0\.\.6"),
            ([0, 1, True], "check_positions"),
        ],
    )
    def test_bad_check_positions_are_refused(self, tmp_path, positions, fragment):
        obj = {"H": [[int(c) for c in row] for row in textbook_rows(7, 3)]}
        obj["check_positions"] = positions
        with pytest.raises(CodeError, match=fragment):
            load_code(write(tmp_path / "h.json", json.dumps(obj)))

    def test_correctable_patterns_are_given_in_the_files_layout(self, tmp_path):
        obj = {
            "H": [[int(c) for c in row] for row in textbook_rows(7, 3)],
            "check_positions": [0, 1, 3],
            "decoder": "patterns",
            "correctable": [[0], [2]],  # textbook positions 1 (check bit 0) and 3 (data bit 0)
        }
        code = load_code(write(tmp_path / "p.json", json.dumps(obj)))
        assert code.correctable == ((4,), (0,))
