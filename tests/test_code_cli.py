"""`eccsim codes` and code files on the command line: a bad code file is one line on stderr and
exit status 2; `eccsim codes FILE` shows what a file declares (layout, distance, claims)."""

from __future__ import annotations

import numpy as np
import pytest

from eccsim import get_code
from eccsim.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(capsys, *argv) -> str:
    rc, _, err = run(capsys, *argv)
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("command", ["analyze", "codes"])
def test_an_empty_code_name_says_it_is_empty(capsys, command):
    line = one_line_error(capsys, command, "")
    assert "empty" in line and "directory" not in line and "'.'" not in line


def test_a_file_of_seven_masks_says_how_to_declare_it(capsys, tmp_path):
    p = tmp_path / "seven.txt"
    p.write_text("".join(f"{(0b111 << j):#x}\n" for j in range(7)))
    line = one_line_error(capsys, "analyze", p)
    assert str(p) in line and "7 masks" in line and "# eccsim: k=64 r=7" in line


def test_an_npy_claiming_10_to_the_12_elements_is_one_line(capsys, tmp_path):
    p = tmp_path / "huge.npy"
    with open(p, "wb") as fh:
        header = {"descr": "|u1", "fortran_order": False, "shape": (10**6, 10**6)}
        np.lib.format.write_array_header_1_0(fh, header)
    line = one_line_error(capsys, "analyze", p)
    assert str(p) in line and "limit" in line


def test_codes_describes_a_file_with_its_layout(capsys, tmp_path):
    rows = ["".join(str(((b + 1) >> j) & 1) for b in range(7)) for j in range(3)]
    p = tmp_path / "h74.txt"
    p.write_text("# eccsim: n=7 k=4 check-positions=0,1,3\n" + "\n".join(rows) + "\n")
    rc, out, _ = run(capsys, "codes", p)
    assert rc == 0
    assert "(7,4)" in out and "minimum distance: 3" in out
    assert "positions 0, 1, 3" in out


def test_the_catalogue_table_gives_exact_distances(capsys):
    rc, out, _ = run(capsys, "codes")
    assert rc == 0
    d = {line.split()[0]: line.split()[4] for line in out.splitlines()[1:] if line.strip()}
    binary = {"parity-byte": "2", "hamming-secded": "4", "hsiao-secded": "4",
              "hamming-sec-136": "3", "design-secded-x8": "4", "design-s4ed-x4": "4"}  # fmt: skip
    assert {name: d[name] for name in binary} == binary
    for name in set(d) - set(binary):  # a symbol code: codewords differ in >= d_sym symbols
        assert int(d[name].lstrip(">=")) >= get_code(name).symbol_distance
