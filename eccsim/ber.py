"""Raw bit error rate (BER) sweeps: every stored bit flips independently with probability p.

For each p the outcome rates per codeword and per line are both *simulated* and computed
*exactly*. Exact: with ``N_k(o)`` the number of k-bit patterns whose outcome is o (from the
syndrome-space counts of :mod:`eccsim.analysis`),
``P_word(o) = sum_k N_k(o) p^k (1-p)^(n-k)``; a line of S independent codewords takes the worst
word outcome, so ``P_line(outcome <= o) = P_word(outcome <= o)^S``.
Simulated: conditional on at least one flip (probability ``1-(1-p)^n`` per word,
``1-(1-p)^(nS)`` per line), so rare outcomes at small p still get events; the rate and its CI
are scaled by that probability.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from .analysis import exact_kbit
from .codes import get_code
from .faults import FLIP, FaultError, FaultModel, FaultPatterns, _distinct_random
from .injection import n_blocks, run_blocks
from .module import get_module
from .results import SWEEP_FIELDS as SWEEP_FIELDS  # re-exported: the sweep's CSV columns
from .results import Results, environment
from .validate import require_int, require_number

# severity order used for lines: none, CE, DUE, SDC
_LEVELS = ("ce", "due", "sdc")
#: most trials per sweep point (each point's blocks run in this process)
MAX_SWEEP_TRIALS = 10**10


class IndependentFlips(FaultModel):
    """Each bit of a codeword (``per="word"``) or of a whole line (``per="line"``) flips with
    probability ``p``, conditioned on at least one flip. :meth:`prob_any` is that condition's
    probability, by which sampled rates are scaled."""

    def __init__(self, p: float, per: str = "word") -> None:
        if not isinstance(p, float | int) or not 0 < p < 1:
            raise FaultError(f"p={p!r}: a bit error rate must lie strictly between 0 and 1")
        if per not in ("word", "line"):
            raise FaultError(f"per={per!r}: choose word or line")
        self.p, self.per = float(p), per
        self.name = f"ber:{self.p:.6g}:{per}"

    def _bits(self, geom) -> int:
        return geom.n * (geom.slots if self.per == "line" else 1)

    def prob_any(self, geom) -> float:
        return -math.expm1(self._bits(geom) * math.log1p(-self.p))

    def count(self, geom):
        return None

    def _enumerate(self, geom):  # pragma: no cover - count() is None, never called
        raise FaultError("independent flips are not enumerable")

    def sample(self, geom, rng, m):
        from scipy.stats import binom

        nb = self._bits(geom)
        kmax = min(nb, max(8, int(nb * self.p + 12 * math.sqrt(nb * self.p + 1)) + 8))
        ks = np.arange(1, kmax + 1)
        pmf = binom.pmf(ks, nb, self.p)
        pmf = pmf / pmf.sum()
        k = rng.choice(ks, size=m, p=pmf)
        p = FaultPatterns.empty(m, geom)
        for kv in np.unique(k):
            rows = np.nonzero(k == kv)[0]
            pos = _distinct_random(rng, rows.size, int(kv), nb)
            rr = np.repeat(rows, kv)
            flat = pos.ravel()
            p.set_bits(FLIP, rr, flat // geom.n, flat % geom.n, geom.k)
        if self.per == "line":
            p.touched[:] = True
        return p


def exact_rates(code, slots: int, ps) -> dict[str, np.ndarray]:
    """Exact P(CE), P(DUE), P(SDC) per word and per line (of ``slots`` words) for each p."""
    c = get_code(code)
    rows = exact_kbit(c, c.n)
    ps = np.asarray(ps, dtype=np.float64)
    out = {}
    word = {}
    for o in _LEVELS:
        acc = np.zeros_like(ps)
        for r in rows:
            cnt = r.sdc if o == "sdc" else getattr(r, o)
            if cnt:
                acc += float(cnt) * np.exp(r.k * np.log(ps) + (c.n - r.k) * np.log1p(-ps))
        word[o] = acc
    out.update({("word", o): word[o] for o in _LEVELS})
    # Line = worst of S independent words. Written with log1p/expm1 so that differences of
    # numbers near 1 keep their precision at small p: with a = P(word SDC), b = P(word DUE),
    # c = P(word CE), q = P(word clean):
    #   SDC = 1 - (1-a)^S,  DUE = (1-a)^S - (1-a-b)^S,  CE = (q+c)^S - q^S
    a, b, ce = word["sdc"], word["due"], word["ce"]
    log_clean = c.n * np.log1p(-ps)
    no_sdc = np.exp(slots * np.log1p(-a))
    out[("line", "sdc")] = -np.expm1(slots * np.log1p(-a))
    ratio = np.clip(b / np.where(a < 1, 1 - a, 1.0), 0.0, 1.0)  # P(DUE | no SDC), rounding-safe
    with np.errstate(divide="ignore"):  # ratio == 1 gives log1p(-1) = -inf, expm1 -> -1: right
        out[("line", "due")] = no_sdc * -np.expm1(slots * np.log1p(-ratio))
    # CE: (q+c)^S - q^S = (q+c)^S * (1 - (q/(q+c))^S), in logs so that it neither loses
    # precision at small p nor turns into 0/0 when q underflows near p = 1
    with np.errstate(divide="ignore"):
        log_q_or_ce = np.logaddexp(log_clean, np.log(ce))
    out[("line", "ce")] = (
        np.exp(slots * log_q_or_ce) * -np.expm1(slots * (log_clean - log_q_or_ce)) + 0.0
    )
    return out


def _checked(codes, module, bers, trials, seed, confidence):
    geom = get_module(module)
    if isinstance(codes, str):
        codes = [codes]
    codes = [get_code(c) for c in codes]
    if not codes:
        raise FaultError("codes: give at least one code")
    for c in codes:
        geom.check_code(c)
    bers = list(bers)
    for b in bers:
        try:
            require_number("ber", b, 0, 1, open_interval=True, error=FaultError)
        except FaultError:
            raise FaultError(
                f"ber={b!r} is not a bit error rate (a number strictly between 0 and 1)"
            ) from None
    bers = [float(b) for b in bers]
    if not bers:
        raise FaultError("bers: give at least one bit error rate")
    require_int("trials", trials, 1, MAX_SWEEP_TRIALS, error=FaultError)
    require_int("seed", seed, 0, error=FaultError)
    require_number("confidence", confidence, 0, 1, open_interval=True, error=FaultError)
    return geom, codes, bers


def sweep_ber(
    codes,
    module: str = "x8-ecc-dimm",
    bers=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2),
    *,
    trials: int = 100_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Results:
    """Simulated and exact outcome rates against raw BER for each code (see module docstring)."""
    from .stats import proportion_ci

    geom, codes, bers = _checked(codes, module, bers, trials, seed, confidence)
    points = []
    for c in codes:
        exact = exact_rates(c, geom.slots, bers)
        for b in bers:
            for per in ("word", "line"):
                f = IndependentFlips(b, per)
                t0 = time.perf_counter()
                r = run_blocks(c, geom, f, exhaustive=False, total=trials,
                               blocks=range(n_blocks(trials)), data=None, seed=seed)  # fmt: skip
                dt = time.perf_counter() - t0
                counts = r.words if per == "word" else r.lines
                n = counts.total
                scale = f.prob_any(geom)
                for o in _LEVELS:
                    k = counts[o]
                    lo, hi = proportion_ci(k, n, confidence)
                    points.append({
                        "code": c.name, "module": geom.name, "ber": b, "level": per, "outcome": o,
                        "events": int(k), "trials": int(n), "rate": scale * k / n,
                        "ci_low": scale * float(lo), "ci_high": scale * float(hi),
                        "exact": float(exact[(per, o)][bers.index(b)]), "wall_s": round(dt, 4),
                    })  # fmt: skip
    spec = {"codes": [c.name for c in codes], "module": geom.name, "bers": bers, "trials": trials,
            "seed": seed, "confidence": confidence}  # fmt: skip
    meta = {"environment": environment(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return Results("ber-sweep", spec, meta, [], points, {"points": points})


def run_sweep(
    codes,
    module: str,
    bers,
    out_dir: str | Path,
    *,
    trials: int = 100_000,
    seed: int = 0,
    confidence: float = 0.95,
    force: bool = False,
    finish=None,
) -> tuple[Results, Path]:
    """:func:`sweep_ber` into a results folder: ``results.csv``, ``results.json`` and
    ``ber.png``. Like a campaign, the folder is checked before the sweep runs (an unusable
    path, a folder in use by another run, or one holding eccsim results without ``force`` is
    refused with one line) and locked while it runs; ``finish(results, folder)`` (figures)
    runs while it is still locked. Returns (results, folder)."""
    from .campaign.folder import clear_ours, hold_folder, refuse_existing, refuse_if_in_use
    from .errors import CampaignError
    from .results import save_results
    from .safeio import check_output_path

    _checked(codes, module, bers, trials, seed, confidence)
    out = check_output_path(out_dir, what="results folder", error=CampaignError)
    refuse_if_in_use(out)
    refuse_existing(out, force, hint="use --force to overwrite")
    with hold_folder(out):
        refuse_existing(out, force, hint="use --force to overwrite")
        clear_ours(out)
        res = sweep_ber(codes, module, bers, trials=trials, seed=seed, confidence=confidence)
        save_results(out, res, SWEEP_FIELDS)
        if finish is not None:
            finish(res, out)
    return res, out
