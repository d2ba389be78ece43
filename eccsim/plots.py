"""Figures from saved results (never from a live campaign): outcome bars, per-chip heat maps,
and outcome rates against the raw bit error rate. The file extension picks the format
(.png, .svg, .pdf). Colours are the Okabe-Ito palette, safe for colour-blind readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ResultsError
from .results import Results
from .safeio import atomic_save_figure, check_output_path

COLORS = {
    "ce": "#009E73",
    "due": "#E69F00",
    "sdc_undetected": "#D55E00",
    "sdc_miscorrected": "#CC79A7",
    "no_error": "#BBBBBB",
    "sdc": "#D55E00",
}
LABELS = {
    "ce": "corrected (CE)",
    "due": "detected uncorrectable (DUE)",
    "sdc_undetected": "SDC, undetected",
    "sdc_miscorrected": "SDC, miscorrected",
    "no_error": "no error (masked)",
    "sdc": "SDC",
}
FORMATS = (".png", ".svg", ".pdf")


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def check_figure_path(path: str | Path) -> Path:
    """Check a figure path before any work: a usable file path with a known extension."""
    p = check_output_path(path, what="figure", folder=False, error=ResultsError)
    if p.suffix.lower() not in FORMATS:
        raise ResultsError(f"figure {str(p)!r}: extension must be one of {', '.join(FORMATS)}")
    return p


def _save(fig, path: str | Path) -> Path:
    """Write the figure through an exclusive temporary beside ``path`` (never a fixed name a
    symlink could be planted at), then rename it into place."""
    p = check_figure_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return atomic_save_figure(fig, p, dpi=130)


def plot_outcomes(res: Results, path: str | Path, level: str = "word") -> Path:
    """Stacked outcome fractions: one bar per code, grouped by fault model; one panel per data
    pattern."""
    if not res.jobs:
        raise ResultsError("the results hold no campaign jobs to plot")
    faults = list(dict.fromkeys(j.fault for j in res.jobs))
    codes = list(dict.fromkeys(j.code for j in res.jobs))
    datas = list(dict.fromkeys(j.data for j in res.jobs))
    order = ("ce", "due", "sdc_miscorrected", "sdc_undetected", "no_error")
    modules = list(dict.fromkeys(j.module for j in res.jobs))
    keyed = max(len(c) for c in codes) > 24  # names too long to stand above the bars
    extra = 0.3 * ((len(codes) + 1) // 2) if keyed else 0.0
    fig = _figure(max(6.0, 0.6 * len(faults) * max(1, len(codes)) + 2),
                  1.0 + extra + 4.0 * len(datas))  # fmt: skip
    axes = fig.subplots(len(datas), 1, squeeze=False)[:, 0]
    width = 0.8 / len(codes)
    hatches = ["", "//", "..", "xx", "\\\\", "++"]
    for ax, data in zip(axes, datas, strict=True):
        for ci, code in enumerate(codes):
            x = np.arange(len(faults)) + (ci - (len(codes) - 1) / 2) * width
            fr = np.zeros((len(order), len(faults)))
            for fi, f in enumerate(faults):
                j = res.job(code, f, data)
                counts = j.words if level == "word" else j.lines
                t = counts.total or 1
                fr[:, fi] = [counts[o] / t for o in order]
            bottom = np.zeros(len(faults))
            for oi, o in enumerate(order):
                ax.bar(x, fr[oi], width * 0.95, bottom=bottom, color=COLORS[o], edgecolor="black",
                       linewidth=0.4, hatch=hatches[ci % len(hatches)],
                       label=LABELS[o] if ci == 0 and ax is axes[0] else None)  # fmt: skip
                bottom += fr[oi]
            if not keyed:
                for xi in x:
                    ax.text(xi, 1.01, code, rotation=90, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(np.arange(len(faults)), faults)
        ax.set_ylim(0, 1.05 if keyed else 1.3)
        ax.set_yticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
        ax.set_xlabel("fault model")
        ax.set_ylabel(f"fraction of faulty {'codewords' if level == 'word' else 'lines'}")
        where = "per memory system" if len(modules) > 1 else f"on {modules[0]}"
        ax.set_title(f"Outcome of each fault {where} (data: {data})")
    if keyed:  # long names (memory systems): one hatch per code, named in a legend
        from matplotlib.patches import Patch

        keys = [Patch(facecolor="white", edgecolor="black", hatch=hatches[ci % len(hatches)] * 2,
                      label=code) for ci, code in enumerate(codes)]  # fmt: skip
        fig.legend(handles=keys, loc="outside upper center", fontsize=8,
                   ncols=min(2, len(codes)))  # fmt: skip
    fig.legend(loc="outside lower center", fontsize=8, ncols=5)
    return _save(fig, path)


def plot_sites(res: Results, path: str | Path) -> Path:
    """Heat map of outcome fractions per chip (or DQ pin) for every job with per-site counts."""
    jobs = [j for j in res.jobs if j.site_kind and j.words.by_site]
    if not jobs:
        raise ResultsError("no chip or pin fault jobs with per-site counts in these results")
    order = ("ce", "due", "sdc_undetected", "sdc_miscorrected", "no_error")
    fig = _figure(9.0, 1.0 + 1.6 * len(jobs))
    axes = fig.subplots(len(jobs), 1, squeeze=False)[:, 0]
    im = None
    for ax, j in zip(axes, jobs, strict=True):
        sites = sorted(j.words.by_site)
        m = np.array([[j.words.by_site[s][i] for s in sites] for i in range(5)], dtype=float)
        m = m[[0, 1, 2, 3, 4]]
        tot = m.sum(axis=0)
        m = m / np.where(tot == 0, 1, tot)
        rows = np.array([m[1], m[2], m[3], m[4], m[0]])  # ce, due, sdc_u, sdc_m, no_error
        im = ax.imshow(rows, aspect="auto", cmap="cividis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks(range(5), [LABELS[o] for o in order], fontsize=7)
        step = max(1, len(sites) // 24)
        ax.set_xticks(range(0, len(sites), step), [str(s) for s in sites[::step]], fontsize=7)
        ax.set_title(f"{j.code} — fault {j.fault}", fontsize=9)
        ax.set_xlabel("chip" if j.site_kind == "chip" else "DQ pin", fontsize=8)
    fig.colorbar(im, ax=list(axes), label="fraction of faulty codewords")
    fig.suptitle(f"Outcomes per failing chip or DQ pin on {jobs[0].module}")
    return _save(fig, path)


def plot_ber(res: Results, path: str | Path, level: str = "word") -> Path:
    """Outcome rate per codeword (or line) against raw bit error rate, log-log: simulated points
    with confidence-interval error bars (the sweep's confidence), exact analytic curves as
    lines."""
    pts = res.extra.get("points")
    if not pts:
        raise ResultsError("these results hold no raw-BER sweep (run eccsim sweep-ber)")
    fig = _figure(7.5, 5.0)
    ax = fig.add_subplot()
    codes = list(dict.fromkeys(p["code"] for p in pts))
    markers = ["o", "s", "^", "D", "v"]
    styles = ["-", "--", ":", "-."]
    for ci, code in enumerate(codes):
        for o in ("ce", "due", "sdc"):
            sel = [
                p for p in pts if p["code"] == code and p["outcome"] == o and p["level"] == level
            ]
            if not sel:
                continue
            ber = np.array([p["ber"] for p in sel])
            rate = np.array([p["rate"] for p in sel])
            lo = np.array([p["ci_low"] for p in sel])
            hi = np.array([p["ci_high"] for p in sel])
            exact = np.array([p["exact"] for p in sel])
            ok = rate > 0
            ax.errorbar(ber[ok], rate[ok], yerr=[rate[ok] - lo[ok], hi[ok] - rate[ok]], fmt=markers[ci % 5],
                        color=COLORS[o], ms=4, capsize=2, lw=0.8,
                        label=f"{code} {o.upper()} simulated")  # fmt: skip
            ax.plot(
                ber, exact, styles[ci % 4], color=COLORS[o], lw=1, label=f"{code} {o.upper()} exact"
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("raw bit error rate p (independent flips per stored bit)")
    ax.set_ylabel(f"probability per {'codeword' if level == 'word' else '64-byte line'}")
    conf = res.spec.get("confidence", 0.95) if isinstance(res.spec, dict) else 0.95
    ax.set_title(f"Outcome rates vs raw bit error rate (error bars: {100 * conf:g} % CI)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6, ncols=2)
    return _save(fig, path)


def plot_lifetime(res, path: str | Path) -> Path:
    """P(DUE or SDC by t) (solid) and P(SDC by t) (dashed) against years, one colour per
    configuration, with the 95 % interval of the first as a band."""
    from .lifetime import HOURS_PER_YEAR
    from .stats import proportion_ci

    spec = res.spec
    years = spec.grid / HOURS_PER_YEAR
    fig = _figure(8.0, 5.0)
    ax = fig.subplots()
    palette = ["#000000", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9"]
    floor = 0.5 / max(c.trials for c in res.counts)
    for i, (name, c) in enumerate(zip(res.names, res.counts, strict=True)):
        col = palette[i % len(palette)]
        p_any = c.any / c.trials
        lo, hi = proportion_ci(c.any.astype(float), np.full(c.any.shape, float(c.trials)))
        ax.plot(years, np.maximum(p_any, floor), color=col, label=f"{name}: DUE or SDC")
        ax.fill_between(years, np.maximum(lo, floor), np.maximum(hi, floor), color=col,
                        alpha=0.15, linewidth=0)  # fmt: skip
        ax.plot(years, np.maximum(c.sdc / c.trials, floor), color=col, linestyle="--",
                label=f"{name}: SDC")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("years")
    ax.set_ylabel("P(failure by t)")
    scrub = "no scrub" if spec.scrub_hours is None else f"scrub every {spec.scrub_hours:g} h"
    ax.set_title(f"Lifetime reliability, {spec.trials:,} trials per configuration, {scrub}")
    ax.grid(True, which="both", alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=7, ncols=2)
    return _save(fig, path)
