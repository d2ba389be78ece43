"""Several independent faults in the same line at once."""

from __future__ import annotations

import math

from ..errors import FaultError
from .base import FaultModel


class Combined(FaultModel):
    """Several independent faults in the same line at once (e.g. a chip failure plus a 1-bit
    error): their masks OR together. Enumerates the Cartesian product when every part is
    finite (pattern i: mixed radix over the parts, the last part varying fastest)."""

    def __init__(self, *parts: FaultModel) -> None:
        if len(parts) < 2 or not all(isinstance(p, FaultModel) for p in parts):
            raise FaultError("Combined needs at least two fault models")
        self.parts = parts
        self.name = "+".join(p.name for p in parts)

    @property
    def data_dependent(self):
        return any(p.data_dependent for p in self.parts)

    def count(self, geom):
        total = 1
        for p in self.parts:
            c = p.count(geom)
            if c is None:
                return None
            total *= c
        return total

    def _patterns_at(self, geom, idx):
        sizes = [p.require_enumerable(geom) for p in self.parts]
        stride = math.prod(sizes)
        acc = None
        for part, sz in zip(self.parts, sizes, strict=True):
            stride //= sz
            q = part.patterns_at(geom, (idx // stride) % sz)
            acc = q if acc is None else acc.union(q)
        return acc

    def sample(self, geom, rng, m):
        acc = None
        for p in self.parts:
            q = p.sample(geom, rng, m)
            acc = q if acc is None else acc.union(q)
        return acc


__all__ = ["Combined"]
