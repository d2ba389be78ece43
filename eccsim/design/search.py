"""The search for an H matrix: simulated annealing with restarts over the data columns of an
odd-weight-column SEC-DED code, the objective counted exactly by :mod:`._objective`.

Restart 0 starts from the base code (or Hsiao's construction for that k and r), the others
from a random choice and placement of odd columns. Each restart runs ``iterations`` steps
(swap two positions' columns across chips, or replace one by an unused odd vector) with the
temperature falling geometrically from ``t_start`` to ``t_end`` over the first 85 %, then a
descent at a temperature below every secondary term's step (which polishes the preferences).
Restart i draws its random start from grandchild (i, 0) of ``numpy.random.SeedSequence(seed)``
and the steps of its chunk c from grandchild (i, 1 + c), so a restart's result depends only on
the seed and i: the same seed and number of restarts give the same code on any machine and at
any speed. With a time budget the search stops between kernel calls (each about
:data:`PIECE_SECONDS`; how a chunk is split into calls changes nothing); an unfinished restart
is dropped and the result says how many finished (``restarts=N`` reproduces it). If the budget
ends before restart 0 has finished, :class:`~eccsim.errors.LimitError` says how long a step
and a restart take and which ``iterations`` would fit. No array has ``iterations`` entries
(the temperatures are computed per call), and ``iterations`` is at most :data:`MAX_ITERATIONS`. The best state of the finished restarts wins (ties:
the earliest restart). The found code is then re-counted by :mod:`eccsim.analysis` (the exact
chip splits, k-bit counts and burst outcomes) and must agree with the kernel's counts.
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..codes import LinearCode, get_code
from ..codes.hsiao import hsiao_secded
from ..errors import InputError, LimitError
from ..module import ModuleGeometry
from ..validate import require_int, require_number
from . import _objective as O
from .problem import ChipLayout, Problem, check_design_name, make_problem

CHUNK = 8192  #: annealing steps per random-number draw (chunk c of restart i: its own seed)
FIRST_PIECE = 16  #: steps of the first kernel call; later calls take about PIECE_SECONDS
PIECE_SECONDS = 0.2  #: the time budget is checked between kernel calls of about this long
POLISH = 0.15  #: the last 15 % of a restart's steps are a descent (only non-worsening moves)
POLISH_T = 1e-12  #: ... at this temperature or below: 1/1000 of the smallest secondary step
MAX_ITERATIONS = 10**10  #: annealing steps per restart, at most (hours even for the fastest)


def polish_temperature(prob: Problem) -> float:
    """The descent's temperature: :data:`POLISH_T`, or 1/1000 of the smallest secondary weight
    when that is lower (a worsening by one step of any term is then kept with probability
    below e**-1000: never)."""
    w = prob.weights[prob.weights > 0]
    return float(min(POLISH_T, w.min() / 1000)) if w.size else POLISH_T


class _Schedule:
    """The temperature of each step of a restart, computed for a range of steps at a time (no
    per-step array of a restart's length): falling geometrically from ``t_start`` to
    ``t_end`` over the first ``1 - POLISH`` of the steps, then ``polish_t``."""

    def __init__(self, iterations: int, t_start: float, t_end: float, polish_t: float) -> None:
        self.cool = max(1, int(iterations * (1 - POLISH)))
        self.den = max(self.cool - 1, 1)
        self.t_start, self.ratio, self.polish_t = t_start, t_end / t_start, polish_t

    def temps(self, lo: int, hi: int) -> np.ndarray:
        out = np.full(hi - lo, self.polish_t)
        m = min(hi, self.cool)
        if lo < m:
            out[: m - lo] = self.t_start * self.ratio ** (np.arange(lo, m) / self.den)
        return out


def _too_slow(budget, iterations, steps, elapsed, timed_t, timed_steps) -> LimitError:
    """The error when the time budget ends before restart 0 has finished, with the measured
    time per step, the time one restart would take and iterations that fit the budget."""
    per = timed_t / timed_steps if timed_steps else elapsed / max(steps, 1)
    fixed = max(0.0, elapsed - per * steps)  # set-up and compiling, not steps
    fit = max(1, int(0.8 * max(budget - fixed, 0.1 * budget) / per))
    return LimitError(
        f"time_budget={budget:g} s (--time) ran out before restart 0 finished: {steps:,} of "
        f"{iterations:,} steps done, {per * 1e3:.3g} ms a step, so one restart takes about "
        f"{iterations * per:,.1f} s; give iterations={fit:,} (--iterations) or a budget over "
        f"{(iterations * per + fixed) * 1.2:,.1f} s"
    )


@dataclass
class DesignResult:
    """A found code and how it was found. ``silent``: silent patterns per objective (exact);
    ``triples`` (miscorrected 3-bit errors), ``row_spread`` (max - min row weight of H),
    ``ones`` (ones in H); ``restarts`` finished; ``seconds`` the search took."""

    code: LinearCode
    problem: Problem
    silent: dict[str, int]
    triples: int
    row_spread: int
    ones: int
    seed: int
    restarts: int
    iterations: int
    seconds: float
    best_restart: int
    history: list[int] = field(default_factory=list)

    @property
    def silent_total(self) -> int:
        return sum(self.silent.values())

    def summary(self) -> str:
        objs = ", ".join(f"{k} {v}" for k, v in self.silent.items())
        return (
            f"{self.code.name}: ({self.code.n},{self.code.k}) SEC-DED on {self.problem.layout.name}"
            f"; silent patterns: {objs}; miscorrected 3-bit errors {self.triples}; row-weight "
            f"spread {self.row_spread}; ones in H {self.ones} — simulated annealing, seed "
            f"{self.seed}, {self.restarts} restart(s) x {self.iterations:,} steps (best: restart "
            f"{self.best_restart}), {self.seconds:.1f} s"
        )


def pool_of(r: int) -> np.ndarray:
    """The odd-weight r-bit vectors of weight >= 3 (the candidate data columns), ascending."""
    v = np.arange(1 << r, dtype=np.int64)
    w = np.bitwise_count(v.astype(np.uint64)).astype(np.int64)
    return v[(w % 2 == 1) & (w >= 3)]


class _State:
    """Arrays the kernels work on, for one problem."""

    def __init__(self, prob: Problem) -> None:
        lay = prob.layout
        self.prob = prob
        n, k, r = prob.n, prob.k, prob.r
        self.cstart = np.zeros(len(lay.chips) + 1, dtype=np.int64)
        self.cstart[1:] = np.cumsum([len(c) for c in lay.chips])
        self.cbits = np.array([b for c in lay.chips for b in c], dtype=np.int64)
        group = np.empty(n, dtype=np.int64)
        for ci, c in enumerate(lay.chips):
            group[list(c)] = ci
        self.group = group
        self.movable = np.arange(k, dtype=np.int64)
        self.pool = pool_of(r)
        self.work = np.zeros((3, 1 << r), dtype=np.int64)
        kmax = int(
            max(
                [p for kd, p in zip(prob.kinds, prob.params, strict=True) if kd == O.OBJ_BITS]
                or [0]
            )
        )
        self.bitwork = np.zeros((kmax + 1, 1 << r), dtype=np.int64)
        self.terms = np.zeros(4 + len(prob.objectives), dtype=np.int64)
        self.cur = np.zeros_like(self.terms)  # the annealing's current and best terms
        self.best = np.zeros_like(self.terms)

    def colset(self, cols: np.ndarray) -> np.ndarray:
        cs = np.zeros(1 << self.prob.r, dtype=np.uint8)
        cs[cols] = 1
        return cs

    def terms_of(self, cols: np.ndarray) -> np.ndarray:
        p = self.prob
        O.evaluate(cols, self.colset(cols), self.cstart, self.cbits, p.kinds, p.params, p.r,
                   self.terms, self.work, self.bitwork)  # fmt: skip
        return self.terms.copy()


def _start_columns(prob: Problem, base: LinearCode | None, rng: np.random.Generator | None,
                   pool: np.ndarray) -> np.ndarray:  # fmt: skip
    n, k, r = prob.n, prob.k, prob.r
    cols = np.empty(n, dtype=np.int64)
    cols[k:] = 1 << np.arange(r, dtype=np.int64)
    if rng is None:
        src = base if base is not None else hsiao_secded(k, r)
        cols[:k] = src.columns[:k].astype(np.int64)
    else:
        cols[:k] = rng.choice(pool, size=k, replace=False)
    return cols


def check_base(base, prob: Problem) -> LinearCode:
    """The base code: same (n, k) as the layout, sec decoder, odd data columns of weight >= 3
    (systematic H)."""
    code = get_code(base)
    if (code.n, code.k) != (prob.n, prob.k):
        raise InputError(f"base code {code.name!r} is ({code.n},{code.k}); the search is for "
                         f"({prob.n},{prob.k}) codewords on {prob.layout.name!r}")  # fmt: skip
    w = code.column_weights[: code.k]
    if code.decoder != "sec" or (w % 2 == 0).any() or (w < 3).any():
        raise InputError(
            f"base code {code.name!r}: the search starts from odd-weight-column SEC-DED codes "
            "(data columns of odd weight >= 3, decoder sec), as Hsiao's; this one is not"
        )
    return code


def _seed_of(seed: int, restart: int, part: int) -> np.random.SeedSequence:
    """Child ``part`` of child ``restart`` of ``SeedSequence(seed)`` (part 0: the random start,
    part 1 + c: chunk c's steps), as ``SeedSequence(seed).spawn`` would make it."""
    return np.random.SeedSequence(seed, spawn_key=(restart, part))


def _progress(progress, budget, restarts):
    """A tqdm bar on stderr (automatic: when it is a terminal) over the time budget, or over
    the restarts when there is no budget."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    if budget is not None:
        return tqdm(total=float(budget), desc="design", leave=False,
                    bar_format="{desc}: {bar} {n:.0f}/{total:.0f} s {postfix}")  # fmt: skip
    return tqdm(total=float(restarts), desc="design", leave=False,
                bar_format="{desc}: {bar} {n:.1f}/{total:.0f} restarts {postfix}")  # fmt: skip


def design_code(
    module: ModuleGeometry | ChipLayout | str,
    objectives=("chip",),
    *,
    prefer=("triples", "rows", "ones"),
    n: int | None = None,
    k: int | None = None,
    base=None,
    seed: int = 0,
    time_budget: float | None = 60.0,
    restarts: int | None = None,
    iterations: int = 200_000,
    t_start: float = 10.0,
    t_end: float = 0.02,
    name: str | None = None,
    progress: bool | None = None,
) -> DesignResult:
    """Search for a (n, k) SEC-DED code whose H minimises the silent outcomes (undetected +
    miscorrected) of ``objectives`` (fault models: ``chip``, ``chips:2``, ``burst:L``,
    ``bits:K``; their silent counts are added) on ``module``, then the ``prefer`` terms in
    order (``triples``: miscorrected 3-bit errors, ``rows``: row-weight spread, ``ones``: ones
    in H). SEC-DED is a hard constraint (odd-weight columns; see :mod:`.problem`).

    Runs restarts of ``iterations`` annealing steps (kernel :func:`._objective.anneal`) until
    ``restarts`` have finished or ``time_budget`` seconds have passed (whichever comes first;
    give one of them, or both). Deterministic for a seed and a number of finished restarts.
    A budget that ends before the first restart finishes raises
    :class:`~eccsim.errors.LimitError` with the ``iterations`` that would fit it.
    Raises :class:`~eccsim.errors.InputError` (or ``ModuleError`` / ``LimitError``) naming the
    parameter and the bound for impossible requests."""
    prob = make_problem(module, objectives, prefer, n=n, k=k)
    name = check_design_name(name, prob.layout.name)
    seed = require_int("seed", seed, 0)
    iterations = require_int("iterations", iterations, 1, hint=" (annealing steps per restart)")
    if iterations > MAX_ITERATIONS:
        raise LimitError(f"iterations={iterations:,} (--iterations): at most {MAX_ITERATIONS:,} "
                         "annealing steps per restart")  # fmt: skip
    if restarts is not None:
        restarts = require_int("restarts", restarts, 1)
    if time_budget is not None:
        time_budget = require_number("time_budget", time_budget, 0, open_interval=True)
    if restarts is None and time_budget is None:
        raise InputError(
            "give time_budget (seconds) or restarts (or both): the search needs an end"
        )
    for nm, v in (("t_start", t_start), ("t_end", t_end)):
        require_number(nm, v, 0, open_interval=True)
    if t_end > t_start:
        raise InputError(f"t_end={t_end} must not exceed t_start={t_start}")
    if progress is not None and not isinstance(progress, bool):
        raise InputError(f"progress={progress!r} must be True, False or None (automatic)")
    base_code = check_base(base, prob) if base is not None else None
    st = _State(prob)
    sched = _Schedule(iterations, t_start, t_end, polish_temperature(prob))
    t0 = time.perf_counter()
    deadline = None if time_budget is None else t0 + time_budget
    bar = _progress(progress, time_budget, restarts)
    best_cols, best_e, best_i, history, done = None, None, -1, [], 0
    piece = FIRST_PIECE  # steps per kernel call: sized to take about PIECE_SECONDS
    try:
        for i in itertools.count():
            init_rng = None if i == 0 else np.random.default_rng(_seed_of(seed, i, 0))
            cols = _start_columns(prob, base_code, init_rng, st.pool)
            colset = st.colset(cols)
            r_best = cols.copy()
            out = cols.copy()
            e_best = None  # terms of the restart's best state
            finished = True
            timed_t, timed_steps = 0.0, 0
            for c, lo in enumerate(range(0, iterations, CHUNK)):
                hi = min(lo + CHUNK, iterations)
                # the chunk's random numbers, whatever the pieces the kernel is called on
                rnd = np.random.default_rng(_seed_of(seed, i, 1 + c)).random((hi - lo, 4))
                a = lo
                while a < hi:
                    if deadline is not None and time.perf_counter() > deadline:
                        finished = False
                        break
                    b = min(a + piece, hi)
                    tp = time.perf_counter()
                    O.anneal(cols, colset, st.movable, st.group, st.pool, st.cstart, st.cbits,
                             prob.kinds, prob.params, prob.r, prob.weights, sched.temps(a, b),
                             rnd[a - lo : b - lo], out, st.work, st.bitwork, st.terms, st.cur,
                             st.best)  # fmt: skip
                    dt = time.perf_counter() - tp
                    if a > 0 or i > 0:  # the first call may include numba's compile
                        timed_t, timed_steps = timed_t + dt, timed_steps + (b - a)
                    piece = int(min(CHUNK, max(1, (b - a) * PIECE_SECONDS / max(dt, 1e-9))))
                    # strict: the earliest best state, as one call would keep
                    if e_best is None or O._delta(st.best, e_best, prob.weights) < 0:
                        e_best = st.best.copy()
                        r_best = out.copy()
                    a = b
                if bar is not None and e_best is not None:
                    at = time.perf_counter() - t0 if time_budget else done + a / iterations
                    bar.n = min(at, bar.total)
                    shown = e_best[0] if best_e is None else min(best_e[0], e_best[0])
                    bar.set_postfix_str(f"restart {i}, best silent {int(shown)}")
                if not finished:
                    break
            if not finished:
                if done == 0:
                    raise _too_slow(time_budget, iterations, a, time.perf_counter() - t0,
                                    timed_t, timed_steps)  # fmt: skip
                break
            done += 1
            history.append(int(e_best[0]))
            if best_e is None or O._delta(e_best, best_e, prob.weights) < 0:
                best_e, best_cols, best_i = e_best, r_best, i
            if restarts is not None and done >= restarts:
                break
            if deadline is not None and time.perf_counter() > deadline:
                break
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    terms = st.terms_of(best_cols)
    code = code_from_columns(best_cols, prob.r, name=name,
                             summary=f"SEC-DED found by eccsim design for {prob.layout.name} "
                             f"({', '.join(prob.objectives)}; seed {seed})")  # fmt: skip
    silent = {o: int(terms[4 + j]) for j, o in enumerate(prob.objectives)}
    res = DesignResult(code, prob, silent, int(terms[1]), int(terms[2]), int(terms[3]), seed,
                       done, iterations, seconds, best_i, history)  # fmt: skip
    from .verify import verify_result

    verify_result(res)
    return res


def code_from_columns(cols: np.ndarray, r: int, *, name: str, summary: str = "") -> LinearCode:
    """A :class:`LinearCode` (sec decoder) from the (n,) syndromes of codeword bits 0..n-1."""
    cols = np.asarray(cols, dtype=np.int64)
    H = ((cols[None, :] >> np.arange(r)[:, None]) & 1).astype(np.uint8)
    return LinearCode(H, name=name, summary=summary, decoder="sec")


def columns_of(code: LinearCode) -> np.ndarray:
    return code.columns.astype(np.int64)


def silent_counts(code, module, objectives) -> dict[str, int]:
    """Silent patterns (undetected + miscorrected) of ``code`` per objective on ``module``,
    from the search's kernels (exact). Only for codes with decoder ``sec`` and distinct non-zero
    columns (the decoder the kernels model); any other code raises
    :class:`~eccsim.errors.InputError` (count it with :mod:`eccsim.analysis`)."""
    c = get_code(code)
    cols = columns_of(c)
    if c.decoder != "sec" or (cols == 0).any() or np.unique(cols).size != cols.size:
        raise InputError(
            f"silent_counts: code {c.name!r} has decoder {c.decoder!r}; it scores codes with "
            "decoder 'sec' and distinct non-zero columns (single-error-correcting) only — count "
            "other codes with eccsim.analysis (exact_chip_split, exact_kbit, exact_fault_outcomes)"
        )
    prob = make_problem(module, objectives, (), n=c.n, k=c.k)
    st = _State(prob)
    terms = st.terms_of(cols)
    return {o: int(terms[4 + j]) for j, o in enumerate(prob.objectives)}


__all__ = ["DesignResult", "code_from_columns", "design_code", "silent_counts"]
