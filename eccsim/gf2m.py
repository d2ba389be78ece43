"""Arithmetic in the finite field GF(2^m), 2 <= m <= 16, from log/antilog tables.

**Representation** (stated once, used by every symbol code): an element is an int in
``0 .. 2^m - 1`` whose bit ``b`` is the coefficient of ``alpha^b`` (polynomial basis), where
``alpha`` is a root of the field's primitive polynomial ``poly`` (an int with bit ``m`` set:
``0x11D`` is ``x^8 + x^4 + x^3 + x^2 + 1``). This is the integer representation ``galois`` uses,
so ``GF2m(8)`` and ``galois.GF(2**8)`` agree element for element (tests check it).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .errors import CodeError
from .validate import is_int

MIN_M, MAX_M = 2, 16

#: default primitive polynomials (the Conway polynomials, which ``galois`` uses by default)
DEFAULT_POLY = {
    2: 0x7, 3: 0xB, 4: 0x13, 5: 0x25, 6: 0x5B, 7: 0x83, 8: 0x11D, 9: 0x211, 10: 0x46F,
    11: 0x805, 12: 0x10EB, 13: 0x201B, 14: 0x40A9, 15: 0x8035, 16: 0x1002D,
}  # fmt: skip


class GF2m:
    """The field GF(2^m) with primitive polynomial ``poly`` (default :data:`DEFAULT_POLY`).

    ``exp[i] = alpha^i`` (``i`` in ``0 .. 2(2^m - 1)``, doubled so products need no modulo)
    and ``log[a]`` for ``a != 0`` are int64 arrays; a polynomial that is not primitive (alpha's
    powers do not reach every non-zero element) is a :class:`CodeError`."""

    def __init__(self, m: int, poly: int | None = None) -> None:
        if not is_int(m) or not MIN_M <= int(m) <= MAX_M:
            raise CodeError(f"m={m!r}: the symbol size must be a whole number of bits in 2..16")
        m = int(m)
        if poly is None:
            poly = DEFAULT_POLY[m]
        if not is_int(poly) or not (1 << m) <= int(poly) < (2 << m):
            raise CodeError(
                f"poly={poly!r}: a degree-{m} polynomial is an int in {1 << m:#x}..{(2 << m) - 1:#x}"
                " (bit m set; bit b is the coefficient of x^b)"
            )
        self.m, self.poly = m, int(poly)
        self.q = 1 << m
        order = self.q - 1
        exp = np.zeros(2 * order + 1, dtype=np.int64)
        log = np.full(self.q, -1, dtype=np.int64)
        a = 1
        for i in range(order):
            if log[a] >= 0:
                raise CodeError(
                    f"poly={self.poly:#x} is not primitive for GF(2^{m}): alpha has order {i}, "
                    f"not {order}"
                )
            exp[i] = a
            log[a] = i
            a <<= 1
            if a & self.q:
                a ^= self.poly
        exp[order:] = np.concatenate([exp[:order], exp[:1]])
        exp.setflags(write=False)
        log.setflags(write=False)
        self.exp, self.log = exp, log

    def __repr__(self) -> str:
        return f"GF2m(m={self.m}, poly={self.poly:#x})"

    def mul(self, a: int, b: int) -> int:
        """Product of two elements."""
        if a == 0 or b == 0:
            return 0
        return int(self.exp[self.log[a] + self.log[b]])

    def pow_alpha(self, e: int) -> int:
        """``alpha^e`` for any integer ``e``."""
        return int(self.exp[e % (self.q - 1)])

    def inv(self, a: int) -> int:
        """Multiplicative inverse of a non-zero element."""
        if a == 0:
            raise ZeroDivisionError("0 has no inverse in GF(2^m)")
        return int(self.exp[(self.q - 1 - self.log[a]) % (self.q - 1)])

    def mul_matrix(self, h: int) -> np.ndarray:
        """``(m, m)`` uint8 matrix over GF(2) of multiplication by ``h``: column ``b`` holds the
        bits of ``h * alpha^b``, so ``M @ bits(x) = bits(h * x)`` (mod 2)."""
        out = np.zeros((self.m, self.m), dtype=np.uint8)
        for b in range(self.m):
            v = self.mul(h, 1 << b)
            out[:, b] = (v >> np.arange(self.m)) & 1
        return out


@cache
def field(m: int, poly: int | None = None) -> GF2m:
    """The (cached) field GF(2^m) with primitive polynomial ``poly``."""
    return GF2m(m, poly)


__all__ = ["DEFAULT_POLY", "GF2m", "field"]
