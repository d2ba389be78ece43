"""Every code the search returns is re-counted by eccsim's exact analysis — a path independent
of the search's kernels — before it is handed out: SEC-DED (every 1-bit error corrected, every
2-bit error detected) and each objective's silent count. A disagreement is a bug in eccsim,
never a user error, so it raises :class:`AssertionError`-like ``RuntimeError``."""

from __future__ import annotations

from ..analysis import exact_chip_split, exact_fault_outcomes, exact_kbit


def exact_silent(code, layout, objective: str) -> int | None:
    """Silent patterns (undetected + miscorrected) of one objective by eccsim's analysis, or
    None when the layout is not a module (then only ``bits:K`` can be counted)."""
    name, _, arg = objective.partition(":")
    if name == "bits":
        return exact_kbit(code, int(arg))[int(arg) - 1].sdc
    geom = layout.geometry
    if geom is None:
        return None
    if name == "chip":
        return exact_chip_split(code, geom, 1).counts.sdc
    if name == "chips":
        return exact_chip_split(code, geom, 2).counts.sdc
    return exact_fault_outcomes(code, geom, objective).words.sdc


def verify_result(res) -> None:
    """Raise RuntimeError unless the found code is SEC-DED and its counts agree with the
    exact analysis."""
    code = res.code
    one, two, three = exact_kbit(code, 3)
    if one.ce != one.total or two.due != two.total:
        raise RuntimeError(f"eccsim design returned {code.name!r}, which is not SEC-DED: "
                           f"1-bit {one}, 2-bit {two} (a bug in eccsim)")  # fmt: skip
    if three.sdc_miscorrected != res.triples:
        raise RuntimeError(f"miscorrected 3-bit errors: search {res.triples}, analysis "
                           f"{three.sdc_miscorrected} (a bug in eccsim)")  # fmt: skip
    for obj, v in res.silent.items():
        exact = exact_silent(code, res.problem.layout, obj)
        if exact is not None and exact != v:
            raise RuntimeError(f"objective {obj}: search counted {v} silent patterns, the exact "
                               f"analysis {exact} (a bug in eccsim)")  # fmt: skip
