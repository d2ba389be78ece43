"""Fault names: ``bit``, ``bits:K``, ``burst:L``, ``pin``, ``chip``, ``ber:P``, ... and ``a+b``."""

from __future__ import annotations

import re

from ..errors import FaultError
from ..validate import suggest
from .base import FaultModel
from .codeword import Burst, RandomBits
from .combined import Combined
from .independent import NAMED_BY_RATE
from .patterns import FLIP, STUCK0, STUCK1
from .physical import ChipFault, PinFault

# name: (description, default parameter or None when it takes none, builder(parameter))
_NAMED = {
    "bit": ("1 random bit flips in a codeword", lambda a: RandomBits(1)),
    "bits": ("K distinct random bits flip in a codeword (bits:K, default 2)",
             lambda a: RandomBits(2 if a is None else a)),
    "burst": ("L adjacent codeword bits flip (burst:L, default 4)", lambda a: Burst(4 if a is None else a)),
    "burst-random": ("burst of L bits: both ends flip, those between at random (burst-random:L)",
                     lambda a: Burst(4 if a is None else a, solid=False)),
    "pin": ("one DQ pin flips in a random non-empty set of beats", lambda a: PinFault(FLIP)),
    "pin-stuck-0": ("one DQ pin stuck at 0 for the whole burst", lambda a: PinFault(STUCK0)),
    "pin-stuck-1": ("one DQ pin stuck at 1 for the whole burst", lambda a: PinFault(STUCK1)),
    "chip": ("one chip: random non-zero pattern over its bits in one beat",
             lambda a: ChipFault(FLIP, "beat")),
    "chip-burst": ("one chip: random non-zero pattern over all its beats",
                   lambda a: ChipFault(FLIP, "burst")),
    "chip-stuck-0": ("one chip stuck at 0 (all bits, all beats)", lambda a: ChipFault(STUCK0)),
    "chip-stuck-1": ("one chip stuck at 1 (all bits, all beats)", lambda a: ChipFault(STUCK1)),
    "chips": ("C distinct chips fail in one beat (chips:C, default 2)",
              lambda a: ChipFault(FLIP, "beat", chips=2 if a is None else a)),
}  # fmt: skip

_TAKES_PARAMETER = frozenset({"bits", "burst", "burst-random", "chips"})
_WHOLE = re.compile(r"-?[0-9]{1,18}")  # plain digits: no '+', '_', spaces, '0x' or '2.0'


def fault_names() -> dict[str, str]:
    """Fault names understood by :func:`get_fault`, with a one-line description each."""
    return {**{k: v[0] for k, v in _NAMED.items()}, **{k: v[0] for k, v in NAMED_BY_RATE.items()}}


def get_fault(spec: str | FaultModel) -> FaultModel:
    """Parse a fault name such as ``"bits:3"``, ``"burst:8"``, ``"chip"``; ``a+b`` combines.

    A parameter's default applies only when there is no ``:`` at all (``bits`` is ``bits:2``;
    ``bits:`` is refused)."""
    if isinstance(spec, FaultModel):
        return spec
    if not isinstance(spec, str):
        raise FaultError(
            f"fault={spec!r} must be a fault name (see eccsim faults) or a FaultModel, not "
            f"{type(spec).__name__}"
        )
    spec = spec.strip()
    if "+" in spec:
        return Combined(*(get_fault(s) for s in spec.split("+")))
    base, colon, arg = spec.partition(":")
    if base in NAMED_BY_RATE:  # ber:P, ber-line:P: a rate, not a whole number
        return NAMED_BY_RATE[base][1](spec, arg if colon else None)
    if base not in _NAMED:
        known = [*_NAMED, *NAMED_BY_RATE]
        raise FaultError(
            f"unknown fault {spec!r}{suggest(base, known)}; known faults: {', '.join(known)}"
            " (parameters as name:N, combinations as a+b)"
        )
    if colon and base not in _TAKES_PARAMETER:
        raise FaultError(
            f"fault {base!r} takes no parameter (got {spec!r}); parameters go with "
            f"{', '.join(sorted(_TAKES_PARAMETER))}"
        )
    value = None
    if colon:
        if not _WHOLE.fullmatch(arg):
            what = "an empty parameter" if not arg else f"parameter {arg!r}"
            raise FaultError(
                f"fault {spec!r}: {what} is not a whole number; write {base}:N, or {base} "
                "alone for the default"
            )
        value = int(arg)
    return _NAMED[base][1](value)
