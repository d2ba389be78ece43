"""A binary linear code defined by its parity-check matrix H, in systematic form [A | I_r].

The code is data: ``H`` (and, for the decoder, the set of error patterns it corrects) defines it.
Everything fast (encoder masks, the syndrome -> action table) is derived from it in
:mod:`eccsim.compile`, so a new code — or a user's own matrix — needs no new kernel.
Bit order: see :mod:`eccsim.bits` (data bits first, check bit j = codeword bit k + j).

**File layouts.** A code may come from a design whose codeword puts its check bits elsewhere
(the textbook Hamming layout has them at positions 1, 2, 4, 8, ...; RTL designs interleave
them). Such a code is given with ``check_positions`` — the 0-based positions of check bits
0..r-1 in that layout, data bits filling the other positions in increasing order — and is kept
in eccsim's order (data bits first, then check bits), so the whole engine works unchanged. The
mapping is :attr:`LinearCode.file_positions`: eccsim's codeword bit ``b`` is bit
``file_positions[b]`` of the design's codeword (the identity when no layout was given).

**Limits**: at most :data:`MAX_CHECK_BITS` (64) check bits and :data:`MAX_CODE_BITS` (4096)
codeword bits; both are checked from the sizes alone, before any array is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from math import comb

import numpy as np

from .. import gf2
from ..bits import check_dtype, data_words, pack_bits
from ..errors import CodeError
from ..validate import is_int

DECODERS = ("sec", "detect", "patterns")
MAX_CHECK_BITS = 64  #: r <= 64: check bits are one uint64 per codeword
MAX_CODE_BITS = 4096  #: n <= 4096 codeword bits (k <= 4096 - r data bits)
MAX_NAME_CHARS = 100  #: a code name is one line of at most this many characters

#: distances are searched exhaustively up to this weight; beyond it only a bound is claimed
MAX_DISTANCE_SEARCH = 8
#: the distance search holds at most this many column-subset syndromes at once (~50 MB)
DISTANCE_SEARCH_BUDGET = 1 << 21
#: the syndrome-space distance search runs when n * 2**r is at most this (else meet in the middle)
SYNDROME_SEARCH_LIMIT = 1 << 22


def check_code_size(n: int, r: int, what: str = "the code") -> None:
    """Refuse codes beyond the documented limits, from their sizes alone (nothing built yet)."""
    if r > MAX_CHECK_BITS:
        raise CodeError(
            f"{what} has {r:,} check bits; at most {MAX_CHECK_BITS} are supported (r <= 64)"
        )
    if n > MAX_CODE_BITS:
        raise CodeError(
            f"{what} has n={n:,} codeword bits; at most {MAX_CODE_BITS} are supported "
            f"(n = k + r <= {MAX_CODE_BITS})"
        )


def check_name(name) -> str:
    """A code name: a non-empty one-line string of at most :data:`MAX_NAME_CHARS` characters."""
    if not isinstance(name, str):
        raise CodeError(f"a code name must be a string, not {type(name).__name__} ({_short(name)})")
    if not name.strip() or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise CodeError(
            f"code name {_short(name)} must be one line of 1..{MAX_NAME_CHARS} printable characters"
        )
    return name


def _short(value, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (messages stay one short line)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-3:]}"


@dataclass(frozen=True)
class Distance:
    """The minimum distance d of a code, as far as it is known.

    ``exact`` is d when it was found (a codeword of that weight exists and none lighter), else
    None. ``at_least`` is a proven lower bound (equal to ``exact`` when that is known).
    ``searched``: no non-zero codeword has weight <= ``searched`` (every weight up to it was
    checked). ``note`` says why the search stopped before :data:`MAX_DISTANCE_SEARCH` ('' when
    the result is exact or the search went all the way)."""

    exact: int | None
    at_least: int
    searched: int
    note: str = ""

    @property
    def short(self) -> str:
        """Table form: ``4``, ``>8`` (searched to 8, none found) or ``>=3`` (a bound only)."""
        if self.exact is not None:
            return str(self.exact)
        if not self.note:
            return f">{self.searched}"
        return f">={self.at_least}"

    def __str__(self) -> str:
        if self.exact is not None:
            return str(self.exact)
        if not self.note:
            return (
                f"greater than {self.searched} (no codeword of weight <= {self.searched}; "
                f"at least {self.at_least})"
            )
        return f"at least {self.at_least} (not computed beyond weight {self.searched}: {self.note})"


class LinearCode:
    """A binary linear (n, k) code given by a parity-check matrix.

    Parameters
    ----------
    H:
        ``r x n`` 0/1 matrix. Columns ``0..k-1`` belong to data bits, ``k..n-1`` to check bits.
        If the check-bit block ``H[:, k:]`` is not the identity it must be invertible; H is then
        brought to systematic form ``[A | I]`` by row operations (the same code, same decoder).
    name, summary:
        Catalogue name and a one-line description.
    decoder:
        ``"sec"`` corrects every single-bit error (needs distinct non-zero columns) and flags all
        other non-zero syndromes; ``"detect"`` corrects nothing and flags every non-zero syndrome;
        ``"patterns"`` corrects exactly the error patterns given in ``correctable``.
    correctable:
        For ``decoder="patterns"``: a sequence of tuples of codeword bit positions (in the
        layout of the given H). Their syndromes must be distinct and non-zero.
    check_positions:
        The columns of H that belong to check bits 0..r-1, when they are not the last r (a
        textbook or RTL layout): data bits are the other columns, in order. Those r columns must
        be invertible over GF(2). H is re-ordered to eccsim's order (data bits first) and the
        mapping kept in :attr:`file_positions`.
    """

    def __init__(
        self,
        H,
        *,
        name: str = "custom",
        summary: str = "",
        decoder: str = "sec",
        correctable: Sequence[Sequence[int]] | None = None,
        check_positions: Sequence[int] | None = None,
    ) -> None:
        H = _validate_matrix(H)
        r, n = H.shape
        check_code_size(n, r, f"H (shape {r}x{n})")
        if n <= r:
            raise CodeError(f"H has {n} columns and {r} rows; a code needs more columns than rows")
        self.name = check_name(name)
        if not isinstance(summary, str):
            raise CodeError(f"summary must be a string, not {type(summary).__name__}")
        if not isinstance(decoder, str) or decoder not in DECODERS:
            raise CodeError(
                f"decoder={_short(decoder)} is unknown; choose one of {', '.join(DECODERS)}"
            )
        if gf2.rank(H) != r:
            raise CodeError(
                f"H (shape {r}x{n}) has GF(2) rank {gf2.rank(H)} < {r} rows: its rows must be "
                "linearly independent (drop the redundant ones)"
            )
        k = n - r
        order = layout_order(n, r, check_positions)
        if check_positions is not None:
            H = np.ascontiguousarray(H[:, order])
            where = f"the check columns {list(order[k:])} of H"
        else:
            where = f"the check-bit block H[:, {k}:] (the last {r} columns)"
        checks = H[:, k:]
        if not np.array_equal(checks, np.eye(r, dtype=np.uint8)):
            try:
                H = gf2.matmul(gf2.inverse(checks), H)
            except ValueError:
                hint = (
                    "; if the check bits sit elsewhere in the codeword, give check_positions"
                    if check_positions is None
                    else ""
                )
                raise CodeError(
                    f"{where} is singular over GF(2): check bits must be determined by the "
                    f"data{hint}"
                ) from None
        self._H = H
        self._H.setflags(write=False)
        positions = np.asarray(order, dtype=np.int64)
        positions.setflags(write=False)
        self._file_positions = positions
        self.summary = summary
        self.decoder = decoder
        self.n, self.k, self.r = n, k, r
        if correctable is not None and decoder != "patterns":
            raise CodeError(
                f"correctable={_short(correctable)} is not used by decoder={decoder!r}; "
                'correctable needs decoder="patterns"'
            )
        if check_positions is not None and correctable is not None:
            correctable = self._from_layout(correctable)
        if decoder == "sec":
            self._check_sec()
            patterns: tuple[tuple[int, ...], ...] = tuple((b,) for b in range(n))
        elif decoder == "detect":
            patterns = ()
        else:
            if not isinstance(correctable, list | tuple) or not correctable:
                raise CodeError(
                    'decoder="patterns" needs correctable: a non-empty list of bit-position lists'
                )
            patterns = tuple(self._check_pattern(p) for p in correctable)
            syn = [self.syndrome_of(p) for p in patterns]
            if 0 in syn:
                raise CodeError("a correctable pattern has syndrome 0 (it is a codeword)")
            if len(set(syn)) != len(syn):
                raise CodeError(
                    "two correctable patterns share a syndrome; the decoder is ambiguous"
                )
        self.correctable: tuple[tuple[int, ...], ...] = patterns

    # ----- the matrix and what follows from it -------------------------------------------------
    @property
    def file_positions(self) -> np.ndarray:
        """``(n,)`` int64, read-only: eccsim's codeword bit ``b`` is bit ``file_positions[b]`` of
        the codeword in the layout the code was given in (``check_positions``); the identity
        ``0..n-1`` when check bits were given last, as eccsim stores them."""
        return self._file_positions

    @property
    def check_positions(self) -> tuple[int, ...]:
        """Positions of check bits 0..r-1 in the given layout (``k..n-1`` unless a layout was
        given)."""
        return tuple(int(p) for p in self._file_positions[self.k :])

    @property
    def has_layout(self) -> bool:
        """True when the code was given in a layout other than eccsim's (see file_positions)."""
        return bool((self._file_positions != np.arange(self.n)).any())

    @property
    def H(self) -> np.ndarray:
        """Systematic parity-check matrix ``[A | I_r]`` (read-only, uint8 0/1, shape r x n)."""
        return self._H

    @property
    def data_words(self) -> int:
        """Number of uint64 words per data word array row (``ceil(k / 64)``)."""
        return data_words(self.k)

    @property
    def check_dtype(self) -> np.dtype:
        """dtype of the per-codeword check-bit integers."""
        return check_dtype(self.r)

    @cached_property
    def check_masks(self) -> np.ndarray:
        """``(r, W)`` uint64: check bit j = parity(data AND check_masks[j])."""
        return pack_bits(self._H[:, : self.k], self.data_words)

    @cached_property
    def columns(self) -> np.ndarray:
        """``(n,)`` uint64: the syndrome produced by flipping each codeword bit alone."""
        weights = (np.uint64(1) << np.arange(self.r, dtype=np.uint64)).astype(np.uint64)
        return (self._H.astype(np.uint64) * weights[:, None]).sum(axis=0).astype(np.uint64)

    @cached_property
    def column_weights(self) -> np.ndarray:
        """Number of ones in each column of H (n,)."""
        return self._H.sum(axis=0).astype(np.int64)

    @cached_property
    def row_weights(self) -> np.ndarray:
        """Number of ones in each row of H (r,): the XOR-tree size of each check bit plus one."""
        return self._H.sum(axis=1).astype(np.int64)

    def syndrome_of(self, bits: Sequence[int]) -> int:
        """Syndrome (int) of the error that flips the given codeword bit positions."""
        s = 0
        for b in bits:
            s ^= int(self.columns[b])
        return s

    @cached_property
    def distance(self) -> Distance:
        """The minimum distance as far as it is known: exact, "> 8", or a proven lower bound
        when the exhaustive search would be too large (see :class:`Distance`).

        Weights 1 and 2 are always checked (a zero column, two equal columns). Beyond that:
        a syndrome-space search (which weights reach syndrome 0) when ``n * 2**r`` is small,
        otherwise a meet-in-the-middle search over column subsets (a weight-w codeword exists
        iff sums of w//2 and of w - w//2 columns collide, given no lighter codeword exists),
        as long as the subsets fit :data:`DISTANCE_SEARCH_BUDGET`. When every column has odd
        weight, every codeword has even weight, which raises the bound by one where it is odd.
        """
        return _distance(self.columns, self.column_weights, self.r)

    @property
    def min_distance(self) -> int | None:
        """The exact minimum distance, or None when it is not known exactly — either it is
        greater than 8 or it was not computed; :attr:`distance` says which, with the bound."""
        return self.distance.exact

    @property
    def corrects(self) -> str:
        """What the decoder corrects, in words."""
        if self.decoder == "sec":
            return "any 1-bit error"
        if self.decoder == "detect":
            return "nothing"
        sizes = sorted({len(p) for p in self.correctable})
        return f"{len(self.correctable)} listed patterns of weight {sizes}"

    @property
    def detects(self) -> str:
        """What the code is guaranteed to detect, from its minimum distance (or only the proven
        lower bound, said so, when the distance is not known exactly) and its decoder."""
        dist = self.distance
        d = dist.at_least
        if self.decoder == "patterns":
            return f"distance {dist.short}"
        t = 1 if self.decoder == "sec" else 0
        det = d - 1 - t  # errors of weight t+1 .. det are always flagged, never miscorrected
        if det <= t:
            claim = "no error beyond those it corrects" if t else "nothing"
        elif det == t + 1:
            claim = f"any {det}-bit error"
        else:
            claim = f"any error of {t + 1} to {det} bits"
        if dist.exact is None:
            claim += f" (at least: distance {dist.short}, not known exactly)"
        return claim

    def describe(self) -> str:
        """A multi-line human description: parameters, weights and decoder claims."""
        cw = self.column_weights[: self.k]
        lines = [
            f"{self.name}: ({self.n},{self.k}) binary linear code, r={self.r} check bits"
            + (f" — {self.summary}" if self.summary else ""),
            f"  minimum distance: {self.distance}",
            f"  decoder: {self.decoder}; corrects {self.corrects}; detects {self.detects}",
            f"  data-column weights: min {cw.min()}, max {cw.max()}, total ones in H "
            f"{int(self._H.sum())}",
            f"  row weights: {', '.join(str(int(w)) for w in self.row_weights)}",
        ]
        if self.has_layout:
            lines.append(
                f"  given layout: check bits 0..{self.r - 1} at codeword positions "
                f"{_ranges(self.check_positions)} (0-based), data bits in order at the others; "
                "eccsim stores data bits first (file_positions maps the two)"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LinearCode(name={self.name!r}, n={self.n}, k={self.k}, decoder={self.decoder!r})"

    def __eq__(self, other: object) -> bool:
        """Same code for the engine: same systematic H, decoder and correctable patterns (the
        layout a code was given in, :attr:`file_positions`, does not change what it does)."""
        if not isinstance(other, LinearCode):
            return NotImplemented
        return (
            np.array_equal(self._H, other._H)
            and self.decoder == other.decoder
            and self.correctable == other.correctable
        )

    def __hash__(self) -> int:
        return hash((self._H.tobytes(), self._H.shape, self.decoder, self.correctable))

    # ----- construction helpers ----------------------------------------------------------------
    @classmethod
    def from_check_masks(
        cls,
        masks,
        k: int = 64,
        *,
        name: str = "custom",
        summary: str = "",
        decoder: str = "sec",
        overall_parity: bool = False,
        check_positions: Sequence[int] | None = None,
    ) -> LinearCode:
        """Build a code from per-check-bit data masks: check bit j = parity(data AND masks[j]).

        ``masks`` is a sequence of Python ints (or a uint64 array) of at most ``k`` bits each;
        check bits are stored after the data bits, so H = [A | I].

        ``overall_parity=True``: the last check bit is an overall parity — the parity of all
        data bits *and all other check bits* (Hamming SEC-DED as RTL writes it); its mask must
        be all ones. It is folded into the systematic H of the same code.
        ``check_positions``: where check bits 0..r-1 sit in the design's codeword layout (see
        the module docstring); the code is the same, :attr:`file_positions` records the layout.
        """
        masks = list(masks) if not isinstance(masks, np.ndarray) else masks.tolist()
        if not masks:
            raise CodeError("masks: need at least one check mask")
        if not is_int(k) or k < 1:
            raise CodeError(f"k={k!r}: the number of data bits must be a positive integer")
        k = int(k)
        r = len(masks)
        check_code_size(k + r, r, f"a code of {r:,} masks and k={k:,} data bits")
        if not isinstance(overall_parity, bool):
            raise CodeError(f"overall_parity={overall_parity!r} must be True or False")
        values = []
        for j, m in enumerate(masks):
            if not is_int(m):
                raise CodeError(
                    f"masks[{j}]={_short(m)} is not an integer (masks are {k}-bit integers)"
                )
            v = int(m)
            if v < 0:
                raise CodeError(f"masks[{j}]={_short(v)} is not a {k}-bit non-negative integer")
            if v >> k:
                raise CodeError(
                    f"masks[{j}] has {v.bit_length():,} bits: it is not a {k}-bit non-negative "
                    f"integer (k={k} data bits)"
                )
            values.append(v)
        A = np.array([[(v >> i) & 1 for i in range(k)] for v in values], dtype=np.uint8)
        H = np.concatenate([A, np.eye(r, dtype=np.uint8)], axis=1)
        if overall_parity:
            if r < 2:
                raise CodeError("overall parity needs at least 2 check bits (it covers the others)")
            if values[-1] != (1 << k) - 1:
                raise CodeError(
                    f"overall parity: the last mask (masks[{r - 1}]) must be all ones — the "
                    "parity of every data bit (and of the other check bits)"
                )
            H[-1, :] = 1  # parity of all data bits and all check bits: an all-ones row of H
        if check_positions is not None:
            order = layout_order(k + r, r, check_positions)
            H_layout = np.empty_like(H)
            H_layout[:, order] = H
            H = H_layout
        return cls(H, name=name, summary=summary, decoder=decoder, check_positions=check_positions)

    # ----- validation --------------------------------------------------------------------------
    def _check_sec(self) -> None:
        cols = self.columns
        zero = np.nonzero(cols == 0)[0]
        if zero.size:
            raise CodeError(
                f"H column {int(zero[0])} is all zeros: an error in that bit is invisible, so "
                'the code cannot be single-error-correcting (use decoder="detect")'
            )
        uniq, counts = np.unique(cols, return_counts=True)
        if (counts > 1).any():
            s = uniq[counts > 1][0]
            dup = np.nonzero(cols == s)[0][:2]
            raise CodeError(
                f"H columns {int(dup[0])} and {int(dup[1])} are equal: single-error correction "
                'needs distinct non-zero columns (use decoder="detect" for a detect-only code)'
            )

    def _check_pattern(self, p: Sequence[int]) -> tuple[int, ...]:
        if isinstance(p, str | bytes) or not isinstance(p, Sequence | np.ndarray):
            raise CodeError(f"correctable pattern {_short(p)} is not a sequence of bit positions")
        if not all(is_int(b) for b in p):
            raise CodeError(
                f"correctable pattern {_short(p)}: bit positions must be whole numbers "
                "(true/false are not positions)"
            )
        bits = tuple(sorted({int(b) for b in p}))
        if not bits or bits[0] < 0 or bits[-1] >= self.n:
            raise CodeError(
                f"correctable pattern {_short(p)}: bit positions must lie in 0..{self.n - 1}"
            )
        return bits

    def _from_layout(self, patterns) -> list:
        """Correctable patterns given in the layout of the given H, in eccsim's bit order."""
        if not isinstance(patterns, list | tuple):
            return patterns  # refused with its message by the decoder checks
        inverse = {int(f): b for b, f in enumerate(self._file_positions)}
        out = []
        for p in patterns:
            bits = self._check_pattern(p)
            out.append(tuple(inverse[b] for b in bits))
        return out


def layout_order(n: int, r: int, check_positions: Sequence[int] | None) -> list[int]:
    """The layout positions of eccsim's codeword bits 0..n-1: data bits (the positions not in
    ``check_positions``, in increasing order), then check bits 0..r-1 at ``check_positions``.
    ``None`` means check bits are the last r positions (the identity)."""
    if check_positions is None:
        return list(range(n))
    if isinstance(check_positions, str | bytes) or not isinstance(
        check_positions, Sequence | np.ndarray
    ):
        raise CodeError(
            f"check_positions={_short(check_positions)} must be a list of {r} codeword positions"
        )
    if len(check_positions) != r:
        raise CodeError(
            f"check_positions lists {len(check_positions)} positions; the code has r={r} "
            "check bits (one position each)"
        )
    for j, p in enumerate(check_positions):
        if not is_int(p) or not 0 <= int(p) < n:
            raise CodeError(
                f"check_positions[{j}]={_short(p)} must be a codeword position in 0..{n - 1} "
                "(0-based: textbook positions 1, 2, 4, ... are 0, 1, 3, ...)"
            )
    pos = [int(p) for p in check_positions]
    if len(set(pos)) != r:
        dup = next(p for p in pos if pos.count(p) > 1)
        raise CodeError(f"check_positions lists position {dup} twice")
    taken = set(pos)
    return [b for b in range(n) if b not in taken] + pos


def _ranges(values: Sequence[int]) -> str:
    """``0, 1, 3, 7`` (at most 16 shown)."""
    shown = ", ".join(str(v) for v in values[:16])
    return shown + (f", ... ({len(values)} in all)" if len(values) > 16 else "")


def _distance(columns: np.ndarray, column_weights: np.ndarray, r: int) -> Distance:
    """See :attr:`LinearCode.distance`."""
    cols = np.asarray(columns, dtype=np.uint64)
    n = cols.size
    if (cols == 0).any():
        return Distance(1, 1, 1)
    if np.unique(cols).size < n:
        return Distance(2, 2, 2)
    odd = bool((column_weights % 2 == 1).all())  # then every codeword has even weight

    def bound(searched: int, note: str = "") -> Distance:
        at_least = searched + 1
        if odd and at_least % 2:
            at_least += 1
        if note and odd:
            note += "; every column has odd weight, so every codeword has even weight"
        return Distance(None, at_least, searched, note)

    top = min(MAX_DISTANCE_SEARCH, n)
    if (
        r <= 30 and n * (1 << r) <= SYNDROME_SEARCH_LIMIT
    ):  # syndrome space: which weights reach syndrome 0
        idx = np.arange(1 << r, dtype=np.int64)
        reach = np.zeros((top + 1, 1 << r), dtype=bool)  # reach[w, s]: w columns XOR to s
        reach[0, 0] = True
        for i, col in enumerate(cols.astype(np.int64)):
            for w in range(min(top, i + 1), 0, -1):
                reach[w] |= reach[w - 1][idx ^ col]
        for w in range(3, top + 1):
            if reach[w, 0]:
                return Distance(w, w, w)
        return bound(top)
    # meet in the middle: with no codeword lighter than w, a weight-w codeword exists iff the
    # XOR of some w//2 columns equals the XOR of some other w - w//2 columns
    levels = {1: (cols, np.arange(n, dtype=np.int64))}
    for w in range(3, top + 1):
        if odd and w % 2:
            continue  # no odd-weight codewords
        i, j = w // 2, w - w // 2
        if comb(n, j) > DISTANCE_SEARCH_BUDGET:
            return bound(
                w - 1,
                f"sums of {j} of the {n} columns are {comb(n, j):,} subsets, over the search "
                f"limit of {DISTANCE_SEARCH_BUDGET:,}",
            )
        for m in range(2, j + 1):
            if m not in levels:
                levels[m] = _extend(levels[m - 1], cols)
        a = levels[i][0]
        if i == j:
            hit = np.unique(a).size < a.size
        else:
            hit = bool(np.isin(a, levels[j][0]).any())
        if hit:
            return Distance(w, w, w)
    return bound(top)


def _extend(level: tuple[np.ndarray, np.ndarray], cols: np.ndarray):
    """Sums (and last indices) of (m+1)-subsets of columns from those of m-subsets."""
    sums, last = level
    n = cols.size
    counts = n - 1 - last
    total = int(counts.sum())
    rep = np.repeat(np.arange(sums.size, dtype=np.int64), counts)
    start = np.cumsum(counts) - counts
    nxt = last[rep] + 1 + (np.arange(total, dtype=np.int64) - start[rep])
    return sums[rep] ^ cols[nxt], nxt


def _validate_matrix(H) -> np.ndarray:
    try:
        a = np.asarray(H)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise CodeError(f"H could not be read as an array: {exc}") from None
    if a.ndim != 2:
        raise CodeError(f"H must be a 2-D r x n matrix, got {a.ndim} dimension(s), shape {a.shape}")
    if a.size == 0:
        raise CodeError("H is empty")
    if a.dtype == bool:
        a = a.astype(np.uint8)
    if not np.issubdtype(a.dtype, np.integer):
        if np.issubdtype(a.dtype, np.floating) and np.all(np.isin(a, (0.0, 1.0))):
            a = a.astype(np.uint8)
        else:
            raise CodeError(f"H must hold only 0 and 1, got dtype {a.dtype}")
    bad = np.argwhere((a != 0) & (a != 1))
    if bad.size:
        i, j = bad[0]
        raise CodeError(f"H must hold only 0 and 1; H[{i}, {j}] = {a[i, j]}")
    return np.ascontiguousarray(a, dtype=np.uint8)


__all__ = ["CodeError", "LinearCode"]
