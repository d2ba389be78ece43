"""Independent bit flips at a raw bit error rate: every bit flips with probability ``p``.

``ber:P`` flips each bit of *one* codeword independently with probability P — the codeword is
drawn uniformly from the line's codewords for every pattern, like the other codeword-local
faults (or fixed by ``slot=``); ``ber-line:P`` flips each bit of the *whole line* (all S
codewords) so, and touches every codeword of it. Both are conditioned on at least one flip,
so that rare outcomes at small P still get events: :meth:`IndependentFlips.prob_any` is the
chance of that condition, by which sampled rates are scaled back to unconditional ones (see
:mod:`eccsim.ber`). Neither is finite: they are only ever sampled.

P is written as a plain decimal number, optionally with a negative exponent (``ber:1e-3``,
``ber:0.001``, ``ber-line:2.5e-4``); it must lie strictly between 0 and 1. The model's name
writes P exactly (``repr`` of the float), so that ``get_fault(model.name)`` is the same
model."""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

from ..errors import FaultError
from .codeword import _SlotModel
from .patterns import FLIP, FaultPatterns
from .sampling import _distinct_random, random_slots

PERS = ("word", "line")
#: a rate as text: digits with an optional point and an optional negative exponent (no sign,
#: no '+', no '_', no nan/inf)
_RATE = re.compile(r"(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE]-?[0-9]{1,3})?")


def _check_rate(p) -> float:
    if isinstance(p, bool | np.bool_) or not isinstance(p, numbers.Real) or not 0 < p < 1:
        raise FaultError(f"p={p!r}: a bit error rate must be a number strictly between 0 and 1")
    return float(p)


class IndependentFlips(_SlotModel):
    """Each bit of a codeword (``per="word"``: ``ber:P``) or of a whole line (``per="line"``:
    ``ber-line:P``) flips with probability ``p``, conditioned on at least one flip (see the
    module docstring). ``slot`` fixes the codeword of ``per="word"`` (None: uniformly random).
    ``level`` is the level its rates are read at ("word" or "line"); a campaign's stop rule
    watches that level's counts."""

    def __init__(self, p: float, per: str = "word", slot: int | None = None) -> None:
        self.p = _check_rate(p)
        if not isinstance(per, str) or per not in PERS:
            raise FaultError(f"per={per!r}: choose word or line")
        self.per = self.level = per
        self.name = f"ber:{self.p!r}" if per == "word" else f"ber-line:{self.p!r}"
        if per == "line" and slot is not None:
            raise FaultError(f"slot={slot!r}: ber-line flips bits of every codeword of the line")
        self._set_slot(slot)

    def _bits(self, geom) -> int:
        return geom.n * (geom.slots if self.per == "line" else 1)

    def prob_any(self, geom) -> float:
        """P(at least one flip) among the bits it covers: ``1 - (1-p)^bits``, without
        cancellation at small p."""
        return -math.expm1(self._bits(geom) * math.log1p(-self.p))

    def count(self, geom):
        return None

    def sample(self, geom, rng, m):
        from scipy.stats import binom

        self._check_slot(geom)
        nb = self._bits(geom)
        # flips per pattern: Binomial(nb, p) given >= 1; the tail past kmax holds < 1e-30
        kmax = min(nb, max(8, int(nb * self.p + 12 * math.sqrt(nb * self.p + 1)) + 8))
        ks = np.arange(1, kmax + 1)
        pmf = binom.pmf(ks, nb, self.p)
        k = rng.choice(ks, size=m, p=pmf / pmf.sum())
        p = FaultPatterns.empty(m, geom)
        rows, pos = [], []
        for kv in np.unique(k):
            r = np.nonzero(k == kv)[0]
            rows.append(np.repeat(r, kv))
            pos.append(_distinct_random(rng, r.size, int(kv), nb).ravel())
        rows, pos = np.concatenate(rows), np.concatenate(pos)
        if self.per == "line":
            p.set_bits(FLIP, rows, pos // geom.n, pos % geom.n, geom.k)
            p.touched[:] = True  # every bit of the line could flip: every codeword is exposed
        else:
            slots = random_slots(rng, m, geom, self.slot)
            p.set_bits(FLIP, rows, slots[rows], pos, geom.k)
        return p


def _builder(per: str):
    name = "ber" if per == "word" else "ber-line"

    def build(spec: str, arg: str | None) -> IndependentFlips:
        if arg is None or not _RATE.fullmatch(arg):
            what = ("no rate" if arg is None else "an empty parameter" if not arg
                    else f"parameter {arg!r}")  # fmt: skip
            raise FaultError(
                f"fault {spec!r}: {what} is not a bit error rate; write {name}:P with P a "
                "number strictly between 0 and 1 (e.g. ber:1e-3)"
            )
        v = float(arg)
        if not 0 < v < 1:
            raise FaultError(
                f"fault {spec!r}: a bit error rate must lie strictly between 0 and 1, not {arg}"
            )
        return IndependentFlips(v, per)

    return build


#: name: (description, builder(whole name, parameter text or None without a colon))
NAMED_BY_RATE = {
    "ber": ("each bit of one random codeword flips with probability P, given >= 1 flip (ber:P)",
            _builder("word")),
    "ber-line": ("each bit of the line flips with probability P, given >= 1 flip (ber-line:P)",
                 _builder("line")),
}  # fmt: skip
