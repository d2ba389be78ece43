"""Raw bit error rate (BER) sweeps: every stored bit flips independently with probability p.

For each p the outcome rates per codeword and per line are both *simulated* and computed
*exactly*. Exact: with ``N_k(o)`` the number of k-bit patterns whose outcome is o (from the
syndrome-space counts of :mod:`eccsim.analysis`),
``P_word(o) = sum_k N_k(o) p^k (1-p)^(n-k)``; a line of S independent codewords takes the worst
word outcome, so ``P_line(outcome <= o) = P_word(outcome <= o)^S``.
Simulated: conditional on at least one flip (probability ``1-(1-p)^n`` per word,
``1-(1-p)^(nS)`` per line), so rare outcomes at small p still get events; the rate and its CI
are scaled by that probability.

A sweep is a campaign (:func:`eccsim.campaign.run_campaign`): codes x faults ``ber:P`` (per
word, on a random codeword of the line) and ``ber-line:P`` (per line) for every rate P, on
random data, Monte Carlo. So it has the campaign's workers, seeded blocks (the same seed gives
the same counts for any number of workers and any chunk size, without a stop rule), its
checkpoint and ``resume``, the folder lock and stop rules. The sweep's points — the simulated
rates scaled by P(at least one flip), their intervals, and the exact curves — are computed
from the campaign's counts when it ends (:func:`sweep_points`); ``results.json`` and
``results.csv`` hold those points (:data:`SWEEP_FIELDS`), the checkpoint the campaign's jobs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .analysis import exact_kbit
from .codes import LinearCode, get_code
from .errors import CampaignError, EccsimError, FaultError
from .faults import IndependentFlips as IndependentFlips  # re-exported: its old home
from .module import get_module
from .results import SWEEP_FIELDS as SWEEP_FIELDS  # re-exported: the sweep's CSV columns
from .results import Results
from .validate import require_number

# severity order used for lines: none, CE, DUE, SDC
_LEVELS = ("ce", "due", "sdc")
#: trials per checkpointed chunk of a sweep point, unless chosen (a multiple of 4096): small
#: enough that a point of the default 100,000 trials spreads over several workers
SWEEP_CHUNK = 16384
DEFAULT_BERS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


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


def _code_name(c) -> str:
    """The name a campaign (and its checkpoint) refers to a code by."""
    if isinstance(c, LinearCode):
        try:
            same = get_code(c.name) == c
        except EccsimError:  # not a catalogue name
            same = False
        if not same:
            raise CampaignError(
                f"code {c.name!r} is a LinearCode built in Python; a sweep runs as a campaign, "
                "which names its codes: give a catalogue name or a code file"
            )
        return c.name
    get_code(c)  # a one-line CodeError for an unknown name
    return c


def sweep_spec(codes, module, bers, *, trials, seed, confidence, chunk=SWEEP_CHUNK, stop=None):
    """The campaign of a sweep, its bit error rates (floats, in the given order) and its
    codes (resolved). Bad rates are a :class:`FaultError` naming the rate; the rest is
    checked by :meth:`CampaignSpec.validate <eccsim.campaign.CampaignSpec.validate>`."""
    from .campaign import CampaignSpec

    if isinstance(codes, str | LinearCode):
        codes = [codes]
    codes = list(codes)
    if not codes:
        raise CampaignError("codes: give at least one code")
    names = [_code_name(c) for c in codes]
    bers = list(bers) if not isinstance(bers, str) else [bers]
    if not bers:
        raise FaultError("bers: give at least one bit error rate")
    for b in bers:
        try:
            require_number("ber", b, 0, 1, open_interval=True, error=FaultError)
        except FaultError:
            raise FaultError(
                f"ber={b!r} is not a bit error rate (a number strictly between 0 and 1)"
            ) from None
    bers = [float(b) for b in bers]
    for what, seq in (("bit error rate", bers), ("code", names)):
        twice = sorted({str(x) for x in seq if seq.count(x) > 1})
        if twice:
            raise CampaignError(f"{what} {', '.join(twice)} given twice")
    faults = [IndependentFlips(b, per).name for b in bers for per in ("word", "line")]
    spec = CampaignSpec.from_dict(
        {"codes": names, "module": module, "faults": faults, "mode": "monte-carlo",
         "trials": trials, "data": ["random"], "seed": seed, "chunk": chunk,
         "confidence": confidence, "stop": stop},
        where="sweep",
    )  # fmt: skip
    return spec, bers, [get_code(c) for c in codes]


def sweep_points(res: Results, bers, codes) -> Results:
    """The sweep's :class:`~eccsim.results.Results` (kind ``ber-sweep``) from its campaign's:
    per code, rate, level (word: ``ber:P`` jobs, counted per codeword; line: ``ber-line:P``
    jobs, counted per line) and outcome, the conditional rate scaled by P(at least one flip)
    with its interval, next to the exact rate of :func:`exact_rates`."""
    from .stats import proportion_ci

    spec = res.spec
    geom = get_module(spec["module"])
    confidence = spec["confidence"]
    jobs = {(j.code, j.fault): j for j in res.jobs}
    points = []
    for name, c in zip(spec["codes"], codes, strict=True):
        exact = exact_rates(c, geom.slots, bers)
        for i, b in enumerate(bers):
            for per in ("word", "line"):
                f = IndependentFlips(b, per)
                j = jobs[(name, f.name)]
                counts = j.words if per == "word" else j.lines
                n = counts.total
                scale = f.prob_any(geom)
                ks = np.array([counts[o] for o in _LEVELS], dtype=np.float64)
                lo, hi = proportion_ci(ks, np.full(ks.shape, float(n)), confidence)
                for o, k, a, z in zip(_LEVELS, ks, lo, hi, strict=True):
                    points.append({
                        "code": c.name, "module": geom.name, "ber": b, "level": per, "outcome": o,
                        "events": int(k), "trials": int(n), "rate": scale * k / n,
                        "ci_low": scale * float(a), "ci_high": scale * float(z),
                        "exact": float(exact[(per, o)][i]), "wall_s": round(j.wall_s, 4),
                        "fault": f.name, "stopped_early": j.stopped_early,
                    })  # fmt: skip
    sweep = {"codes": [c.name for c in codes], "module": geom.name, "bers": list(bers),
             "trials": spec["trials"], "seed": spec["seed"], "confidence": confidence,
             "chunk": spec["chunk"], "stop": spec["stop"], "campaign": spec}  # fmt: skip
    return Results("ber-sweep", sweep, dict(res.meta), [], points, {"points": points})


def sweep_ber(
    codes,
    module: str = "x8-ecc-dimm",
    bers=DEFAULT_BERS,
    *,
    trials: int = 100_000,
    seed: int = 0,
    confidence: float = 0.95,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
    chunk: int = SWEEP_CHUNK,
    stop=None,
    progress: bool | None = False,
    finish=None,
    dask=None,
) -> Results:
    """Simulated and exact outcome rates against raw BER for each code (see the module
    docstring), run as a campaign by :func:`eccsim.campaign.run_campaign`.

    ``trials`` per (code, rate, level) point — the cap when a ``stop`` rule
    (:class:`~eccsim.campaign.StopRule`, watching each point's own level) is given. With
    ``out_dir``, the folder is checked and locked before any work, every chunk is checkpointed
    there, ``resume=True`` continues an interrupted sweep (to the very counts of an
    uninterrupted one) and ``results.json``/``results.csv`` hold the points at the end; an
    existing sweep is replaced only with ``force=True``. ``workers``: processes (default:
    this one). ``finish(results)`` runs while the folder is still locked (figures). Ctrl-C
    raises :class:`eccsim.campaign.Interrupted`, keeping the checkpoint. ``dask``: run on a
    Dask cluster (``"local:N"``, ``"tcp://host:8786"`` or a Client), with the same counts; a
    plain ``"local"`` cluster has ``workers`` processes (default: one per core); leave
    ``workers`` out with an address or a Client."""
    from .campaign import run_campaign

    if workers is None and dask is None:
        workers = 1

    if resume and out_dir is None:
        raise CampaignError("resume needs the results folder (out_dir) of the sweep to resume")
    spec, bers, code_objs = sweep_spec(codes, module, bers, trials=trials, seed=seed,
                                       confidence=confidence, chunk=chunk, stop=stop)  # fmt: skip

    def convert(res):
        return sweep_points(res, bers, code_objs), SWEEP_FIELDS

    return run_campaign(spec, out_dir, resume=resume, force=force, workers=workers,
                        progress=progress, finish=finish, convert=convert, dask=dask)  # fmt: skip
