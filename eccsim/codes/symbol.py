"""Symbol codes: binary linear codes whose bits are grouped into m-bit symbols, decoded by
single-symbol correction (SSC) — the codes behind Chipkill and DDR5 rank-level ECC.

A symbol code is still a :class:`~eccsim.codes.linear.LinearCode` (its binary image H) plus the
set of error patterns its decoder corrects: for SSC, every non-zero pattern inside one symbol
(``n_sym * (2^m - 1)`` patterns, all with distinct syndromes when the symbol distance is at
least 3). Nothing else is new for the engine: the same tables, kernels and analyses run on it.

**Symbol layout** (:attr:`SymbolCode.symbols`): ``symbols[s][b]`` is the codeword bit (eccsim's
order: data bits first, then check bits) that holds bit ``b`` of symbol ``s`` (bit ``b`` = the
coefficient of ``alpha^b``, see :mod:`eccsim.gf2m`). Data symbols come first, check symbols last.
:func:`interleaved_symbols` builds the layout of symbols that a device sends ``width`` bits per
beat: symbol bit ``b`` travels in beat ``b // width`` on pin ``b % width``, and each beat carries
the ``width``-bit slices of all data symbols side by side, then those of the check symbols —
the order in which :mod:`eccsim.module` puts codeword bits on DQ pins, so one symbol lands on
one chip when the module's chips are ``width`` bits wide and a codeword spans ``m / width`` beats.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ..errors import CodeError
from ..gf2m import field
from ..validate import is_int
from .linear import MAX_CODE_BITS, Distance, LinearCode, check_code_size

SYMBOL_DECODERS = ("ssc", "detect")


def interleaved_symbols(
    n_sym: int, k_sym: int, width: int, beats: int
) -> tuple[tuple[int, ...], ...]:
    """Layout of ``n_sym`` symbols of ``width * beats`` bits sent ``width`` bits per beat (see the
    module docstring): data symbol ``s`` bit ``b`` is data bit ``(b // width) * k_sym * width +
    s * width + b % width``; check symbol ``t`` bit ``b`` is check bit ``(b // width) * r_sym *
    width + t * width + b % width``. ``beats=1`` gives contiguous symbols."""
    r_sym = n_sym - k_sym
    k = k_sym * width * beats
    out = []
    for s in range(n_sym):
        base, count, t = (0, k_sym, s) if s < k_sym else (k, r_sym, s - k_sym)
        out.append(
            tuple(
                base + (b // width) * count * width + t * width + b % width
                for b in range(width * beats)
            )
        )
    return tuple(out)


class SymbolCode(LinearCode):
    """A binary linear code over ``m``-bit symbols with a single-symbol-correcting decoder.

    Parameters: ``H`` (binary image, r x n, eccsim's bit order), ``symbols`` (the layout, see
    the module docstring), ``m`` (bits per symbol), ``symbol_distance`` (the minimum number of
    symbols in which two codewords differ; ``r_sym + 1`` for Reed-Solomon codes, which are MDS),
    ``decoder`` (``"ssc"``: correct any error inside one symbol, flag the rest; ``"detect"``:
    correct nothing). The SSC decoder needs ``symbol_distance >= 3``."""

    def __init__(
        self,
        H,
        symbols: Sequence[Sequence[int]],
        *,
        m: int,
        symbol_distance: int,
        name: str = "custom",
        summary: str = "",
        decoder: str = "ssc",
        construction: str = "",
    ) -> None:
        if decoder not in SYMBOL_DECODERS:
            raise CodeError(f"decoder={decoder!r} is unknown for a symbol code; choose one of "
                            f"{', '.join(SYMBOL_DECODERS)}")  # fmt: skip
        H = np.asarray(H)
        n = H.shape[1] if H.ndim == 2 else 0
        sym = _check_layout(symbols, m, n)
        if decoder == "ssc" and symbol_distance < 3:
            raise CodeError(
                f"single-symbol correction needs symbol distance >= 3 (2 check symbols); "
                f"this code has {symbol_distance}: use decoder='detect'"
            )
        patterns = None
        if decoder == "ssc":
            patterns = [
                tuple(s[b] for b in range(m) if v >> b & 1) for s in sym for v in range(1, 1 << m)
            ]
        super().__init__(
            H,
            name=name,
            summary=summary,
            decoder="patterns" if decoder == "ssc" else "detect",
            correctable=patterns,
        )
        self.symbol_decoder = decoder
        self.symbol_bits = m
        self.symbols = sym
        self.n_sym = len(sym)
        self.k_sym = sum(1 for s in sym if max(s) < self.k)
        self.r_sym = self.n_sym - self.k_sym
        if any(min(s) < self.k <= max(s) for s in sym) or any(
            max(s) < self.k for s in sym[self.k_sym :]
        ):
            raise CodeError(
                "symbols: data symbols (all bits < k) must come first, check symbols last"
            )
        self.symbol_distance = int(symbol_distance)
        self.construction = construction

    @cached_property
    def distance(self) -> Distance:
        """The binary minimum distance as far as the search finds it, with the symbol distance
        as a floor: two codewords differ in at least ``symbol_distance`` symbols, so in at
        least that many bits."""
        d = super().distance
        if d.exact is not None or d.at_least >= self.symbol_distance:
            return d
        note = (
            d.note
            + ("; " if d.note else "")
            + (f"at least {self.symbol_distance} from the symbol distance")
        )
        return Distance(None, self.symbol_distance, d.searched, note)

    @cached_property
    def symbol_of_bit(self) -> np.ndarray:
        """``(n,)`` int64: the symbol that holds each codeword bit."""
        out = np.empty(self.n, dtype=np.int64)
        for s, bits in enumerate(self.symbols):
            out[list(bits)] = s
        out.setflags(write=False)
        return out

    @property
    def corrects_symbols(self) -> int:
        """Symbols the decoder corrects (1 for SSC, 0 for detection only)."""
        return 1 if self.symbol_decoder == "ssc" else 0

    @property
    def detects_symbols(self) -> int:
        """Every error in ``corrects_symbols + 1 .. detects_symbols`` symbols is flagged, never
        miscorrected: ``symbol_distance - 1 - corrects_symbols``."""
        return self.symbol_distance - 1 - self.corrects_symbols

    @property
    def corrects(self) -> str:
        if self.symbol_decoder == "ssc":
            return f"any error within one {self.symbol_bits}-bit symbol"
        return "nothing"

    @property
    def detects(self) -> str:
        t, d = self.corrects_symbols, self.detects_symbols
        if d <= t:
            return "no error beyond those it corrects" if t else "nothing"
        if d == t + 1:
            return f"any error in {d} symbols"
        return f"any error in {t + 1} to {d} symbols"

    @property
    def guarantee(self) -> str:
        """Short form of the symbol-level claims: ``SSC``, ``SSC-DSD``, ``SSC-TSD``, ``SSD``..."""
        t, d = self.corrects_symbols, self.detects_symbols
        names = {1: "S", 2: "D", 3: "T"}
        parts = [f"{names.get(t, t)}SC"] if t else []
        if d > t:
            parts.append(f"{names.get(d, d)}SD")
        return "-".join(parts) or "none"

    def describe(self) -> str:
        lines = [
            f"{self.name}: ({self.n},{self.k}) binary image of a ({self.n_sym},{self.k_sym}) code "
            f"over {self.symbol_bits}-bit symbols, r={self.r} check bits"
            + (f" — {self.summary}" if self.summary else ""),
            f"  symbol distance {self.symbol_distance} ({self.guarantee}); decoder corrects "
            f"{self.corrects}; detects {self.detects}",
        ]
        if self.construction:
            lines.append(f"  construction: {self.construction}")
        lines.append(
            f"  symbol 0 = codeword bits {list(self.symbols[0])}; symbol {self.n_sym - 1} = "
            f"{list(self.symbols[-1])} (bit b of a symbol = coefficient of alpha^b)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SymbolCode(name={self.name!r}, n={self.n}, k={self.k}, symbols={self.n_sym}x"
            f"{self.symbol_bits}, {self.guarantee})"
        )


def _check_layout(symbols, m, n) -> tuple[tuple[int, ...], ...]:
    if not is_int(m) or not 2 <= int(m) <= 16:
        raise CodeError(f"m={m!r}: symbols are 2..16 bits")
    if isinstance(symbols, str | bytes) or not isinstance(symbols, Sequence):
        raise CodeError(
            "symbols must be a list of symbols, each a list of m codeword bit positions"
        )
    sym = []
    for i, s in enumerate(symbols):
        if isinstance(s, str | bytes) or not isinstance(s, Sequence | np.ndarray) or len(s) != m:
            raise CodeError(f"symbols[{i}] must list exactly m={m} codeword bit positions")
        if not all(is_int(b) and 0 <= int(b) < n for b in s):
            raise CodeError(f"symbols[{i}]: bit positions must be whole numbers in 0..{n - 1}")
        sym.append(tuple(int(b) for b in s))
    flat = sorted(b for s in sym for b in s)
    if flat != list(range(n)):
        raise CodeError(f"symbols must cover each of the n={n} codeword bits exactly once")
    return tuple(sym)


def reed_solomon(
    n_sym: int,
    k_sym: int,
    m: int = 8,
    *,
    width: int | None = None,
    poly: int | None = None,
    first_root: int = 1,
    decoder: str = "ssc",
    name: str = "custom",
    summary: str = "",
) -> SymbolCode:
    """The binary image of a (shortened) Reed-Solomon code RS(n_sym, k_sym) over GF(2^m).

    Codeword symbols ``c_0 .. c_{n_sym-1}`` (data first, check symbols last) are the
    coefficients of ``c(x) = sum c_j x^(n_sym - 1 - j)``; codewords are the polynomials with
    roots ``alpha^first_root .. alpha^(first_root + r_sym - 1)`` (``galois.ReedSolomon(2^m - 1,
    2^m - 1 - r_sym)`` with ``c=first_root``, shortened: the same check symbols). So
    ``H_sym[i, j] = alpha^((first_root + i) (n_sym - 1 - j))`` and each entry becomes its
    m x m multiplication matrix. ``width`` (default m) is the bits per beat of each symbol,
    giving the layout :func:`interleaved_symbols`. Symbol distance ``r_sym + 1`` (MDS)."""
    for label, v in (("n_sym", n_sym), ("k_sym", k_sym), ("first_root", first_root)):
        if not is_int(v):
            raise CodeError(f"{label}={v!r} must be a whole number")
    gf = field(m, poly)
    n_sym, k_sym = int(n_sym), int(k_sym)
    r_sym = n_sym - k_sym
    if not 1 <= k_sym < n_sym <= gf.q - 1:
        raise CodeError(
            f"RS({n_sym},{k_sym}) over GF(2^{m}): need 1 <= k_sym < n_sym <= {gf.q - 1} "
            "(a Reed-Solomon code is at most 2^m - 1 symbols long)"
        )
    if n_sym * m > MAX_CODE_BITS:
        raise CodeError(f"RS({n_sym},{k_sym}) over GF(2^{m}) has {n_sym * m:,} bits; at most "
                        f"{MAX_CODE_BITS} are supported")  # fmt: skip
    check_code_size(n_sym * m, r_sym * m, f"RS({n_sym},{k_sym}) over GF(2^{m})")
    width = m if width is None else width
    if not is_int(width) or width < 1 or m % int(width):
        raise CodeError(f"width={width!r} must divide the symbol size m={m} (bits per beat)")
    width = int(width)
    rows = []
    for i in range(r_sym):
        blocks = [
            gf.mul_matrix(gf.pow_alpha((first_root + i) * (n_sym - 1 - j))) for j in range(n_sym)
        ]
        rows.append(np.concatenate(blocks, axis=1))
    Hb = np.concatenate(rows, axis=0)  # column j*m + b: bit b of symbol j
    sym = interleaved_symbols(n_sym, k_sym, width, m // width)
    H = np.zeros_like(Hb)
    for j, bits in enumerate(sym):
        H[:, list(bits)] = Hb[:, j * m : (j + 1) * m]
    how = (
        f"RS({n_sym},{k_sym}) over GF(2^{m}) (poly {gf.poly:#x}), roots alpha^{first_root}.."
        f"alpha^{first_root + r_sym - 1}; each symbol sent {width} bits per beat over "
        f"{m // width} beat(s)"
    )
    return SymbolCode(
        H, sym, m=m, symbol_distance=r_sym + 1, name=name, summary=summary, decoder=decoder,
        construction=how,
    )  # fmt: skip


__all__ = ["SymbolCode", "interleaved_symbols", "reed_solomon"]
