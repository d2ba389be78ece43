"""The found code next to the catalogue codes of the same module, on every fault model
``eccsim analyze`` counts exactly (k-bit errors, whole chips, chip pairs) plus the search's own
objectives; and the found code as a text file eccsim loads (``eccsim codes FILE``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import exact_chip_split, exact_fault_outcomes, exact_kbit
from ..codes import code_names, get_code
from ..errors import ModuleError
from ..outcomes import CE, DUE, N_OUTCOMES, SDC_MISCORRECTED, SDC_UNDETECTED, OutcomeCounts
from ..report import format_counts
from ..safeio import atomic_write_text


def comparable_codes(geom) -> list:
    """Catalogue codes that fit ``geom`` (same (n, k); symbol codes one symbol per chip)."""
    out = []
    for nm in code_names():
        c = get_code(nm)
        try:
            geom.check_code(c)
        except ModuleError:
            continue
        out.append(c)
    return out


def fault_rows(code, geom, objectives=(), max_bits: int = 4, pairs: bool = True) -> dict:
    """``{fault model: OutcomeCounts}`` for one code: k-bit errors 1..max_bits, ``chip``,
    ``chips:2`` (if ``pairs``) and any further ``burst:L`` objectives — all exact."""
    rows = {}
    for kb in exact_kbit(code, max_bits):
        counts = np.zeros(N_OUTCOMES, dtype=np.int64)
        counts[[CE, DUE, SDC_UNDETECTED, SDC_MISCORRECTED]] = (
            kb.ce, kb.due, kb.sdc_undetected, kb.sdc_miscorrected,
        )  # fmt: skip
        rows[f"bits:{kb.k}"] = OutcomeCounts(counts)
    rows["chip"] = exact_chip_split(code, geom, 1).counts
    if pairs:
        rows["chips:2"] = exact_chip_split(code, geom, 2).counts
    for obj in objectives:
        if obj.startswith("burst:"):
            rows[obj] = exact_fault_outcomes(code, geom, obj).words
    return rows


def format_comparison(codes, geom, objectives=(), max_bits: int = 4, pairs: bool = True) -> str:
    """One block per fault model, one row per code (the found one first), rows kept by position:
    a code named like another keeps its row (the first ``(found)``, later ones numbered)."""
    codes = list(codes)
    table = [fault_rows(c, geom, objectives, max_bits, pairs) for c in codes]
    names = [c.name for c in codes]
    labels = []
    for i, nm in enumerate(names):
        if names.count(nm) == 1:
            labels.append(nm)
        else:
            labels.append(f"{nm} (found)" if i == 0 else f"{nm} (#{i + 1})")
    faults = list(table[0])
    width = max(18, *(len(x) + 1 for x in labels))
    out = [f"exact outcomes per codeword on {geom.name} (every pattern of each fault model)"]
    for f in faults:
        out.append(f"\n{f}")
        out.append(format_counts([(lb, rows[f]) for lb, rows in zip(labels, table, strict=True)],
                                 "code", width))  # fmt: skip
    return "\n".join(out)


def _comment(text: str) -> list[str]:
    """``text`` as comment lines: every line (split wherever Python sees a line break) starts
    with ``# ``, and one whose text starts ``eccsim:`` with ``# > `` (it is not a directive)."""
    out = []
    for line in str(text).splitlines() or [""]:
        out.append(f"# > {line}" if line.strip()[:7].lower() == "eccsim:" else f"# {line}")
    return out


def code_file_text(code, command: str = "", note: str = "") -> str:
    """A text code file: a directive with the size and name, then one hex mask per check bit
    (check bit j = parity of data AND mask j; check bits after the data bits)."""
    head = _comment(f"{code.name}: {code.summary}" if code.summary else code.name)
    if command:
        head += _comment(f"found with: {command}")
    if note:
        head += _comment(note)
    head.append(f"# eccsim: n={code.n} k={code.k} r={code.r} name={code.name} decoder=sec")
    digits = (code.k + 3) // 4
    masks = []
    for j in range(code.r):
        v = 0
        for i, bit in enumerate(code.H[j, : code.k]):
            v |= int(bit) << i
        masks.append(f"0x{v:0{digits}x}")
    return "\n".join([*head, *masks]) + "\n"


def write_code_file(code, path: str | Path, command: str = "", note: str = "", *,
                    replace: bool = True) -> Path:  # fmt: skip
    """Write :func:`code_file_text` to ``path`` (through a temporary, renamed into place;
    ``replace=False``: linked into place, :class:`FileExistsError` if ``path`` exists)."""
    p = Path(path)
    atomic_write_text(p, code_file_text(code, command, note), replace=replace)
    return p
