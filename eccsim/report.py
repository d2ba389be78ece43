"""Text tables for the terminal, in one place: the campaign table, the BER-sweep table, the
exact k-bit table, outcome-count tables (inject, the per-chip split of analyze) and the
throughput report. Everything here formats; nothing computes or runs.

Every table states its denominators: a campaign's rates are per *faulty codeword* (every
codeword a fault touched, including those it left unchanged: the "no error" / masked share)
and per *line* (every injected 64-byte line, by its worst codeword); the columns of a level add
up to 100 %."""

from __future__ import annotations

import math
import os

from .outcomes import OUTCOME_LABELS, OutcomeCounts
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
    cw = max([16, *(len(j.code) for j in res.jobs)])
    lines = [
        f"{'code':<{cw}} {'fault':<12} {'data':<8} {'mode':<11} {'words':>10} {'lines':>10} "
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
        lines.append(f"{j.code:<{cw}} {j.fault:<12} {j.data:<8} {mode:<11} {j.words.total:>10} "
                     f"{j.lines.total:>10} {cells} {ci:>21}")  # fmt: skip
    lines.append(
        f"shares are of the {unit} column: words = codewords a fault touched (unchanged ones "
        "count as 'no error', the fault masked), lines = lines (one burst each) injected"
    )
    if any(j.stopped_early for j in res.jobs):
        lines.append("* stopped early by the stop rule")
    return "\n".join(lines)


def format_on_die_table(res: Results) -> str:
    """What the on-die level did, per memory-system job with on-die ECC: shares of its lines
    with no stored bit wrong, every wrong bit corrected, an error passed through, or a
    miscorrection (the worst over the line's chips); '' when no job has an on-die level."""
    jobs = [j for j in res.jobs if j.on_die is not None and "+ondie=" in j.code]
    if not jobs:
        return ""
    cw = max([16, *(len(j.code) for j in jobs)])
    heads = ("none", "corrected", "passed", "miscorr.")
    out = [
        f"{'on-die level':<{cw}} {'fault':<12} {'lines':>10} " + " ".join(f"{h:>9}" for h in heads)
    ]
    for j in jobs:
        t = int(j.on_die.sum())
        cells = " ".join(f"{v / t if t else math.nan:>9.2%}" for v in j.on_die)
        out.append(f"{j.code:<{cw}} {j.fault:<12} {t:>10} {cells}")
    out.append(
        "per line, the worst over its chips: none (no stored bit wrong) < corrected < "
        "passed (an error left, no good bit flipped) < miscorrected (a good bit flipped)"
    )
    return "\n".join(out)


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


# ----- outcome counts (inject, analyze) --------------------------------------------------------
_COUNT_HEADS = ("no error", "CE", "DUE", "SDC undetected", "SDC miscorrected")


def format_counts(rows: list[tuple[str, OutcomeCounts]], first: str = "", width: int = 18) -> str:
    """One line per ``(label, counts)``: the total, then each outcome's count and share."""
    out = [f"{first:<{width}} {'words':>10}  " + "  ".join(f"{n:>18}" for n in _COUNT_HEADS)]
    for label, counts in rows:
        t = counts.total
        cells = [f"{counts[k]:>10} {counts[k] / t if t else 0:7.2%}" for k in OUTCOME_LABELS]
        out.append(f"{label:<{width}} {t:>10}  " + "  ".join(cells))
    return "\n".join(out)


def format_injection(res, seed: int, seconds: float, confidence: float = 0.95) -> str:
    """The ``eccsim inject`` report of an :class:`~eccsim.injection.InjectionResult`: counts
    per codeword and per line, their denominators, and Clopper-Pearson intervals at
    ``confidence`` for sampled runs ("exact" for exhaustive ones)."""
    mode = "exhaustive" if res.exhaustive else f"{res.patterns} random patterns, seed {seed}"
    out = [
        f"{res.code} on {res.module}, fault {res.fault} ({mode}, {seconds:.2f} s)",
        format_counts([("codeword", res.words), ("line", res.lines)], "per"),
        "codeword: the codewords the fault changed (stuck-at: could change; unchanged ones are "
        "'no error', i.e. masked); line: every injected line, by its worst codeword",
    ]
    if res.exhaustive:
        out.append("exact: every pattern counted once (rates have no sampling error)")
        return "\n".join(out)
    out += [
        f"\nrates with {_pct(confidence)}% confidence intervals (Clopper-Pearson)",
        f"{'outcome':<18} {'per codeword':>36}  {'per line':>36}",
    ]
    iw, il = res.intervals("words", confidence), res.intervals("lines", confidence)
    for lab in (*OUTCOME_LABELS, "sdc"):
        cells = []
        for counts, iv in ((res.words, iw), (res.lines, il)):
            t = counts.total
            lo, hi = iv[lab]
            cells.append(f"{counts[lab] / t if t else 0:10.3e} [{lo:.3e}, {hi:.3e}]")
        out.append(f"{lab:<18} {cells[0]:>36}  {cells[1]:>36}")
    return "\n".join(out)


def format_chip_split(single, geom, pairs=None) -> str:
    """Exact whole-chip outcomes per chip (data or check) and in all, from
    :func:`eccsim.analysis.exact_chip_split` (``single``; ``pairs``: the two-chip split)."""
    b = single.bits_per_chip
    head = (
        f"whole-chip faults on {geom.name}: every non-zero pattern of one chip's {b} bits of a "
        f"codeword, {geom.chip_width} pins x {geom.beats_per_codeword} beat(s) "
        f"({single.counts.total} patterns), exact"
    )
    rows = [
        (f"{chip} ({'check' if chip in geom.check_chips else 'data'})", single.per_chip[chip])
        for chip in sorted(single.per_chip)
    ]  # fmt: skip
    out = head + "\n" + format_counts([*rows, ("all chips", single.counts)], "chip")
    if pairs is not None:
        out += (
            f"\n\ntwo-chip faults: every pair of chips, every non-zero pattern on each "
            f"({pairs.counts.total} patterns), exact\n"
            + format_counts([("all pairs", pairs.counts)], "chips")
        )
    return out


# ----- exact k-bit analysis --------------------------------------------------------------------
def format_kbit_table(code, rows) -> str:
    """A fixed-width text table of :func:`eccsim.analysis.exact_kbit` rows (counts, fractions)."""
    head = f"{'k':>3} {'patterns':>16} " + " ".join(
        f"{lab:>26}" for lab in ("CE", "DUE", "SDC undetected", "SDC miscorrected")
    )
    lines = [f"exact k-bit error outcomes for {code.name} ({code.n},{code.k})", head]
    for r in rows:
        cells = []
        for lab in ("ce", "due", "sdc_undetected", "sdc_miscorrected"):
            v = getattr(r, lab)
            cells.append(f"{v:>16} ({r.fraction(lab):7.3%})")
        lines.append(f"{r.k:>3} {r.total:>16} " + " ".join(cells))
    return "\n".join(lines)


# ----- throughput ------------------------------------------------------------------------------
def format_bench_report(rows: list[dict], cpu: str = "", features: str = "") -> str:
    """The ``eccsim bench`` table (rows of :func:`eccsim.benchmark.run_report`): per row the
    kernel variant that ran, throughput and ratio to memcpy; then the speed-ups over plain numpy
    and galois measured in the same run, and the CPU (model and SIMD features) it ran on."""
    out = [
        f"{'operation':<34} {'variant':<9} {'threads':>7} {'GB/s':>8} {'x memcpy':>9} "
        f"{'Mpat/s':>8} {'time':>10}"
    ]
    by: dict = {}
    for r in rows:  # the first row of an operation is its automatic variant
        by.setdefault((r["operation"], r["threads"]), r)
    for r in rows:
        gb = f"{r['GB/s']:8.2f}" if "GB/s" in r else " " * 8
        x = f"{r['x memcpy']:9.2f}" if "x memcpy" in r else " " * 9
        mp = f"{r['Mpatterns/s']:8.1f}" if "Mpatterns/s" in r else " " * 8
        out.append(
            f"{r['operation']:<34} {r.get('variant', '-'):<9} {r['threads']:>7} {gb} {x} {mp} "
            f"{r['seconds'] * 1e3:8.2f} ms"
        )
    enc = by.get(("encode hsiao-secded", "1"))
    dec = by.get(("decode + status, clean", "1"))
    lines = []
    for ref, mine, what in (("encode, plain numpy", enc, "encode"), ("encode, galois BCH(71,64)", enc, "encode"),
                            ("decode, plain numpy", dec, "decode"), ("decode, galois BCH(71,64)", dec, "decode")):  # fmt: skip
        r = by.get((ref, "1"))
        if r and mine:
            lines.append(
                f"eccsim {what} (1 thread) is {mine['GB/s'] / r['GB/s']:,.0f}x {ref.split(', ')[1]}"
            )
    from .benchmark import galois_ratio_lines

    lines += galois_ratio_lines(rows)
    life = by.get(("lifetime 7 y, SEC-DED + Chipkill x4", "1"))
    if life and "Mpatterns/s" in life:
        lines.append(f"lifetime: {life['Mpatterns/s'] * 1e6:,.0f} seven-year trials/s of SEC-DED "
                     "and Chipkill together (FaultSim: about 220,000/s, counting chips only)")  # fmt: skip
    machine = f"{os.cpu_count()} CPUs"
    cpu_line = [f"CPU: {cpu}" + (f"; SIMD: {features}" if features else "")] if cpu else []
    return "\n".join([*out, "", *lines, *cpu_line, f"({machine}; ratios measured in this run)"])


# ----- lifetime ----------------------------------------------------------------------------------
def format_lifetime_table(res, confidence: float = 0.95) -> str:
    """Per configuration: trials and P(DUE by T), P(SDC by T), P(DUE or SDC by T) with their
    ``confidence`` intervals, T the spec's lifetime."""
    from .stats import proportion_ci

    spec = res.spec
    cw = max([24, *(len(n) for n in res.names)])
    scrub = "no scrub" if spec.scrub_hours is None else f"scrub every {spec.scrub_hours:g} h"
    head = (f"P(failure within {spec.years:g} years), {scrub}, {_pct(confidence)}% intervals "
            f"(Clopper-Pearson), FIT: {spec.fit.source}")  # fmt: skip
    out = [
        head,
        f"{'configuration':<{cw}} {'trials':>10}  "
        + "  ".join(f"{h:>30}" for h in ("DUE", "SDC", "DUE or SDC")),
    ]
    for name, c in zip(res.names, res.counts, strict=True):
        cells = []
        for arr in (c.due, c.sdc, c.any):
            k = int(arr[-1])
            lo, hi = proportion_ci(k, c.trials, confidence)
            cells.append(f"{k / c.trials:9.2e} [{float(lo):8.2e}, {float(hi):8.2e}]")
        flag = "  (overlap patterns sampled)" if c.sampled else ""
        out.append(f"{name:<{cw}} {c.trials:>10}  " + "  ".join(f"{x:>30}" for x in cells) + flag)
    return "\n".join(out)
