"""Text tables of results, for the terminal: the campaign table and the BER-sweep table.

Every table states its denominators: a campaign's rates are per *faulty codeword* (every
codeword a fault touched, including those it left unchanged: the "no error" / masked share)
and per *line* (every injected 64-byte line, by its worst codeword); the columns of a level add
up to 100 %."""

from __future__ import annotations

import math

from .results import Results


def _pct(confidence: float) -> str:
    """``95`` for 0.95, ``99.9`` for 0.999: the confidence as printed in a header."""
    return f"{100 * confidence:.10g}"


def format_table(res: Results, level: str = "word", confidence: float | None = None) -> str:
    """The campaign table: per job, the outcome shares of its faulty codewords (``level=
    "word"``) or lines (``"line"``) — no error (masked), CE, DUE, SDC, adding up to 100 % —
    with the SDC confidence interval of sampled jobs at the campaign's confidence."""
    if level not in ("word", "line"):
        raise ValueError(f"level={level!r}: choose word or line")
    if confidence is None:
        confidence = res.spec.get("confidence", 0.95)
    unit = "words" if level == "word" else "lines"
    ci_head = f"SDC {_pct(confidence)}% CI"
    lines = [
        f"{'code':<16} {'fault':<12} {'data':<8} {'mode':<11} {'words':>10} {'lines':>10} "
        f"{'no error':>8} {'CE':>8} {'DUE':>8} {'SDC':>8} {ci_head:>21}"
    ]  # fmt: skip
    for j in res.jobs:
        counts = j.words if level == "word" else j.lines
        t = counts.total
        share = [counts[x] / t if t else math.nan for x in ("no_error", "ce", "due", "sdc")]
        row = next((r for r in res.rows if r["code"] == j.code and r["fault"] == j.fault
                    and r["data"] == j.data and r["level"] == level and r["outcome"] == "sdc"),
                   None)  # fmt: skip
        if j.mode == "exhaustive":
            ci = "exact"
        elif row is None or row["ci_low"] is None or row["ci_high"] is None:
            ci = "-"
        else:
            ci = f"[{row['ci_low']:.2e}, {row['ci_high']:.2e}]"
        mode = j.mode + ("*" if j.stopped_early else "")
        cells = " ".join(f"{v:>8.2%}" for v in share)
        lines.append(f"{j.code:<16} {j.fault:<12} {j.data:<8} {mode:<11} {j.words.total:>10} "
                     f"{j.lines.total:>10} {cells} {ci:>21}")  # fmt: skip
    lines.append(
        f"shares are of the {unit} column: words = codewords a fault touched (unchanged ones "
        "count as 'no error', the fault masked), lines = 64-byte lines injected"
    )
    if any(j.stopped_early for j in res.jobs):
        lines.append("* stopped early by the stop rule")
    return "\n".join(lines)


def format_sweep_table(res: Results) -> str:
    """The BER-sweep table: simulated rate with its interval next to the exact rate."""
    confidence = res.spec.get("confidence", 0.95)
    ci_head = f"{_pct(confidence)}% CI"
    out = [f"{'code':<16} {'BER':>8} {'level':<5} {'outcome':<4} {'simulated':>10} "
           f"{ci_head:>23} {'exact':>10}"]  # fmt: skip
    for p in res.rows:
        out.append(f"{p['code']:<16} {p['ber']:>8.0e} {p['level']:<5} {p['outcome']:<4} "
                   f"{p['rate']:>10.3e} [{p['ci_low']:.3e}, {p['ci_high']:.3e}] "
                   f"{p['exact']:>10.3e}")  # fmt: skip
    out.append("rates are per codeword (level word) or per 64-byte line (level line)")
    return "\n".join(out)
