"""The test bench's report: pass/fail per check, disagreement counts, the smallest failing
patterns, and the DUT's outcome table beside the model's — as text, JSON and a figure.

**Outcome classes** (the columns of the outcome table), the same for the DUT and the model,
judged against the word that was written:

* ``clean`` — no error injected, the word came back unchanged and unflagged;
* ``ce`` — the corrected flag, and the data is what was written;
* ``due`` — the uncorrectable flag (alone);
* ``sdc_undetected`` — no flag, the data is wrong;
* ``sdc_miscorrected`` — the corrected flag, the data is wrong;
* ``unflagged`` — an error was injected, no flag, the data is right (an error in the check bits
  that went unreported, or one the decoder did not notice);
* ``both`` — both flags at once.

For recorded vectors the written word is not known: the model's decode of the received word
stands in for it (and where the model flags the word, its data counts as unknown: wrong).

**Disagreement kinds** (:data:`KINDS`): a decode disagrees when the DUT's data, flags or
(outside uncorrectable words) check bits differ from the model's decode of the same received
word; each disagreeing decode counts under the first kind that fits, in the order listed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..safeio import atomic_save_figure, atomic_write_text, check_output_path

#: disagreement kind -> what it means (in the order a decode is classified)
KINDS = {
    "both_flags": "raised the corrected and the uncorrectable flag at once",
    "corrected_wrong_data": "said corrected, but the data is not what was written",
    "flagged_data_changed": "said uncorrectable, but changed the data it was given",
    "silent_corruption": "no flag while the data is wrong, where the model detects the error",
    "unflagged_error": "no flag on an error the model corrects or flags (the data is right)",
    "flag_without_error": "a flag on a word the model finds clean (syndrome 0)",
    "corrected_where_model_flags": "corrected (right data) an error the model flags "
    "as uncorrectable",
    "flagged_where_model_corrects": "flagged as uncorrectable an error the model corrects",
    "check_bits_differ": "data and flags agree, but the delivered check bits differ",
    "differs_from_model": "data or flags differ from the model's decode in another way",
}
#: the kinds that break the consistency of flags and data (whatever the model says)
CONSISTENCY_KINDS = (
    "both_flags",
    "corrected_wrong_data",
    "flagged_data_changed",
    "silent_corruption",
)
#: outcome classes of the outcome table, in column order
CLASSES = ("clean", "ce", "due", "sdc_undetected", "sdc_miscorrected", "unflagged", "both")
_SHORT = {
    "clean": "clean",
    "ce": "CE",
    "due": "DUE",
    "sdc_undetected": "SDC-undet",
    "sdc_miscorrected": "SDC-miscor",
    "unflagged": "unflagged",
    "both": "both",
}
_COLORS = {  # Okabe-Ito, as eccsim.plots
    "clean": "#BBBBBB",
    "ce": "#009E73",
    "due": "#E69F00",
    "sdc_undetected": "#D55E00",
    "sdc_miscorrected": "#CC79A7",
    "unflagged": "#56B4E9",
    "both": "#000000",
}


@dataclass
class CheckResult:
    """One check: ``passed`` is True, False, or None when it was not run (``summary`` says why)."""

    name: str
    passed: bool | None
    summary: str
    details: list[str] = field(default_factory=list)

    @property
    def mark(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]


@dataclass
class GroupResult:
    """The decodes of one group of error patterns (one error weight, or one module fault)."""

    label: str
    weight: int | None  # flipped bits (None: a module fault of several weights)
    mode: str  # "exhaustive" or "sampled"
    patterns: int  # distinct error patterns used
    total_patterns: int  # patterns of this kind there are (C(n, w), or the fault's count)
    words: int  # data words each pattern was applied to (1 for sampled: one word each)
    cases: int  # decodes
    note: str
    dut: dict[str, int]  # outcome class -> decodes
    model: dict[str, int]
    disagreements: dict[str, int]  # kind -> decodes
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.disagreements.values())


@dataclass
class Failure:
    """One failing decode, small enough to read: the error, what the DUT and the model did."""

    kind: str
    group: str
    weight: int
    error_bits: list[int]  # codeword bits flipped (model order: data 0..k-1, check bit j = k+j)
    data: str  # written data (hex), or "" when unknown (recorded vectors)
    check: str  # written check bits as the DUT orders them (hex), or ""
    received_data: str
    received_check: str
    dut_data: str
    dut_check: str | None
    dut_corrected: bool
    dut_uncorrectable: bool
    model_data: str
    model_check: str
    model_outcome: str  # an outcome class, or the model's action for recorded vectors
    where: str = ""  # "word 2", or "line 17" for recorded vectors

    def to_text(self, i: int) -> list[str]:
        bits = ", ".join(str(b) for b in self.error_bits[:12])
        if len(self.error_bits) > 12:
            bits += ", ..."
        head = f"{i:2}. {self.kind}: "
        if self.error_bits or self.data:
            head += f"{self.weight} bit{'s' * (self.weight != 1)} flipped {{{bits}}}"
        else:
            head += "error unknown"
        where = [x for x in (self.group if not self.group[:1].isdigit() else "", self.where) if x]
        head += f" ({', '.join(where)})" if where else ""
        lines = [head]
        if self.data:
            lines.append(f"      written:  data {self.data}  check {self.check}")
        lines.append(f"      received: data {self.received_data}  check {self.received_check}")
        dc = self.dut_check if self.dut_check is not None else "-"
        lines.append(
            f"      DUT:      data {self.dut_data}  check {dc}  corrected={int(self.dut_corrected)}"
            f" uncorrectable={int(self.dut_uncorrectable)}"
        )
        lines.append(
            f"      model:    data {self.model_data}  check {self.model_check}  "
            f"({self.model_outcome})"
        )
        return lines


@dataclass
class TestbenchReport:
    """What :func:`eccsim.testbench.run_testbench` found (see the module docstring)."""

    __test__ = False  # not a pytest class

    dut: str
    dut_kind: str
    k: int
    r: int
    model: str
    model_source: str
    decoder: str
    seed: int
    words: int
    checks: list[CheckResult] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    identified_code: str | None = None  # a code file eccsim can load (eccsim.codes.files)
    check_permutation: list[int] | None = None  # DUT check bit j = model check bit perm[j]
    check_offset: int = 0  # constant XOR on the DUT's check bits (an affine encoder)
    mask_differences: dict[str, list[int]] = field(default_factory=dict)
    error: str | None = None  # the DUTError that stopped the run
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return self.k + self.r

    @property
    def passed(self) -> bool:
        """True when no check failed and the DUT did not misbehave."""
        return self.error is None and all(c.passed is not False for c in self.checks)

    @property
    def disagreements(self) -> dict[str, int]:
        """Decodes per disagreement kind, over every group (kinds with none left out)."""
        out = dict.fromkeys(KINDS, 0)
        for g in self.groups:
            for kind, v in g.disagreements.items():
                out[kind] += v
        return {kind: v for kind, v in out.items() if v}

    def check(self, name: str) -> CheckResult:
        """The check called ``name`` (KeyError if it is not in the report)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    # ----- text -----------------------------------------------------------------------------
    def to_text(self) -> str:
        lines = [
            f"eccsim test bench: DUT {self.dut!r} ({self.dut_kind}), k={self.k} data bits, "
            f"r={self.r} check bits (n={self.n})",
            f"model: {self.model} ({self.model_source}"
            + (f"; decoder {self.decoder})" if self.decoder else ")"),
            (
                f"seed {self.seed}, {self.words} random data word{'s' * (self.words != 1)}, "
                if self.words
                else "recorded rows, "
            )
            + f"{self.seconds:.2f} s",
            f"result: {'PASS' if self.passed else 'FAIL'}",
            "",
            "checks",
        ]
        for c in self.checks:
            lines.append(f"  {c.mark}  {c.name}: {c.summary}")
            lines.extend(f"        {d}" for d in c.details)
        if self.error:
            lines.append(f"  DUT error: {self.error}")
        dis = self.disagreements
        if dis:
            lines += ["", "disagreements (decodes, each under the first kind that fits)"]
            w = max(len(k) for k in dis)
            for kind, v in dis.items():
                lines.append(f"  {kind:<{w}}  {v:>10,}  {KINDS[kind]}")
        if self.groups:
            lines += ["", "outcomes, DUT beside model, per error weight", *self._table()]
        if self.failures:
            lines += ["", f"smallest failing patterns ({len(self.failures)}, fewest bits first)"]
            for i, f in enumerate(self.failures, 1):
                lines.extend(f.to_text(i))
        show_code = self.model_source != "given" or any(
            c.name == "conforms to model" and c.passed is False for c in self.checks
        )
        if self.identified_code is not None and show_code:
            lines += ["", "identified code (a code file eccsim loads: eccsim codes FILE)"]
            lines.extend(f"  {x}" for x in self.identified_code.rstrip("\n").split("\n"))
        return "\n".join(lines) + "\n"

    def _table(self) -> list[str]:
        head = f"  {'errors':<22} {'mode':<10} {'cases':>10}  {'':<5}"
        head += "".join(f" {_SHORT[c]:>10}" for c in CLASSES) + f" {'disagree':>10}"
        out = [head]
        for g in self.groups:
            for who, counts in (("DUT", g.dut), ("model", g.model)):
                label = g.label if who == "DUT" else ""
                mode = g.mode if who == "DUT" else ""
                cases = f"{g.cases:,}" if who == "DUT" else ""
                row = f"  {label:<22} {mode:<10} {cases:>10}  {who:<5}"
                row += "".join(f" {counts.get(c, 0):>10,}" for c in CLASSES)
                row += f" {g.failed:>10,}" if who == "DUT" else ""
                out.append(row)
            if g.note:
                out.append(f"  {'':<22} {g.note}")
        return out

    # ----- JSON -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["n"] = self.n
        d["passed"] = self.passed
        d["disagreements"] = self.disagreements
        d["kinds"] = KINDS
        d["classes"] = list(CLASSES)
        return d

    def to_json(self, path: str | Path | None = None) -> str:
        """The report as JSON text; with ``path``, also written there atomically (a fresh
        temporary renamed into place, :mod:`eccsim.safeio`)."""
        text = json.dumps(self.to_dict(), indent=1) + "\n"
        if path is not None:
            p = check_output_path(path, what="report JSON", folder=False)
            atomic_write_text(p, text)
        return text

    def write_text(self, path: str | Path) -> Path:
        """:meth:`to_text` written atomically to ``path``."""
        p = check_output_path(path, what="report text", folder=False)
        atomic_write_text(p, self.to_text())
        return p

    # ----- figure ---------------------------------------------------------------------------
    def figure(self):
        """A matplotlib Figure: stacked outcome bars, DUT beside model, per error group."""
        import numpy as np
        from matplotlib.figure import Figure

        groups = self.groups
        fig = Figure(figsize=(max(8.0, 1.3 * len(groups) + 3), 5.0), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(groups))
        width = 0.38
        for side, who in ((-1, "dut"), (1, "model")):
            bottom = np.zeros(len(groups))
            for c in CLASSES:
                fr = np.array(
                    [getattr(g, who).get(c, 0) / max(1, g.cases) for g in groups], dtype=float
                )
                ax.bar(x + side * width / 2 * 1.05, fr, width, bottom=bottom, color=_COLORS[c],
                       edgecolor="black", linewidth=0.4, hatch="" if who == "dut" else "//",
                       label=_SHORT[c] if who == "dut" else None)  # fmt: skip
                bottom += fr
        for xi, g in zip(x, groups, strict=True):
            if g.failed:
                ax.text(xi, 1.02, f"{g.failed:,} differ", ha="center", fontsize=7, color="#D55E00")
        ax.set_xticks(x, [g.label for g in groups], fontsize=8)
        ax.set_ylim(0, 1.12)
        ax.set_yticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.set_ylabel("fraction of decodes")
        ax.set_title(
            f"DUT {self.dut!r} (left bars) vs model {self.model} (right bars, hatched)\n"
            "outcome of every decode, per group of errors",
            fontsize=9,
        )
        fig.legend(loc="outside lower center", fontsize=8, ncols=4)
        return fig

    def plot(self, path: str | Path) -> Path:
        """Save :meth:`figure` to ``path`` (.png, .svg or .pdf; atomic)."""
        from ..errors import InputError

        p = check_output_path(path, what="figure", folder=False)
        if p.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise InputError(f"figure {str(p)!r}: the extension must be .png, .svg or .pdf")
        return atomic_save_figure(self.figure(), p, dpi=130)


__all__ = [
    "CLASSES",
    "CONSISTENCY_KINDS",
    "KINDS",
    "CheckResult",
    "Failure",
    "GroupResult",
    "TestbenchReport",
]
