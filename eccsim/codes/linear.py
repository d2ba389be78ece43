"""A binary linear code defined by its parity-check matrix H, in systematic form [A | I_r].

The code is data: ``H`` (and, for the decoder, the set of error patterns it corrects) defines it.
Everything fast (encoder masks, the syndrome -> action table) is derived from it in
:mod:`eccsim.compile`, so a new code — or a user's own matrix — needs no new kernel.
Bit order: see :mod:`eccsim.bits` (data bits first, check bit j = codeword bit k + j).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from .. import gf2
from ..bits import check_dtype, data_words, pack_bits
from ..errors import CodeError

DECODERS = ("sec", "detect", "patterns")
MAX_CHECK_BITS = 64


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
        For ``decoder="patterns"``: a sequence of tuples of codeword bit positions. Their
        syndromes must be distinct and non-zero.
    """

    def __init__(
        self,
        H,
        *,
        name: str = "custom",
        summary: str = "",
        decoder: str = "sec",
        correctable: Sequence[Sequence[int]] | None = None,
    ) -> None:
        H = _validate_matrix(H)
        r, n = H.shape
        if r > MAX_CHECK_BITS:
            raise CodeError(f"H has {r} rows (check bits); at most {MAX_CHECK_BITS} are supported")
        if n <= r:
            raise CodeError(f"H has {n} columns and {r} rows; a code needs more columns than rows")
        if gf2.rank(H) != r:
            raise CodeError(
                f"H (shape {r}x{n}) has GF(2) rank {gf2.rank(H)} < {r} rows: its rows must be "
                "linearly independent (drop the redundant ones)"
            )
        k = n - r
        checks = H[:, k:]
        if not np.array_equal(checks, np.eye(r, dtype=np.uint8)):
            try:
                H = gf2.matmul(gf2.inverse(checks), H)
            except ValueError:
                raise CodeError(
                    f"the check-bit block H[:, {k}:] (the last {r} columns) is singular over GF(2): "
                    "check bits must be the last r codeword bits and determined by the data"
                ) from None
        if decoder not in DECODERS:
            raise CodeError(f"decoder={decoder!r} is unknown; choose one of {', '.join(DECODERS)}")
        self._H = H
        self._H.setflags(write=False)
        self.name = str(name)
        self.summary = str(summary)
        self.decoder = decoder
        self.n, self.k, self.r = n, k, r
        if decoder == "sec":
            self._check_sec()
            patterns: tuple[tuple[int, ...], ...] = tuple((b,) for b in range(n))
        elif decoder == "detect":
            if correctable:
                raise CodeError('correctable patterns need decoder="patterns"')
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
    def min_distance(self) -> int | None:
        """Minimum Hamming distance (smallest number of columns of H that XOR to zero).

        Computed exactly in syndrome space up to weight 8; ``None`` means "greater than 8"."""
        if self.r > 20:
            return None
        idx = np.arange(1 << self.r, dtype=np.int64)
        reach = np.zeros((9, 1 << self.r), dtype=bool)  # reach[w, s]: some w columns XOR to s
        reach[0, 0] = True
        for i, col in enumerate(self.columns.astype(np.int64)):
            for w in range(min(8, i + 1), 0, -1):
                reach[w] |= reach[w - 1][idx ^ col]
        for w in range(1, 9):
            if reach[w, 0]:
                return w
        return None

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
        """What the code is guaranteed to detect (from its minimum distance and decoder)."""
        d = self.min_distance
        if d is None:
            return "any error of up to 8 bits (distance > 8)"
        t = 1 if self.decoder == "sec" else 0
        if self.decoder == "patterns":
            return f"distance {d}"
        det = d - 1 - t  # errors of weight t+1 .. det are always flagged, never miscorrected
        if det <= t:
            return "no error beyond those it corrects" if t else "nothing"
        if det == t + 1:
            return f"any {det}-bit error"
        return f"any error of {t + 1} to {det} bits"

    def describe(self) -> str:
        """A multi-line human description: parameters, weights and decoder claims."""
        cw = self.column_weights[: self.k]
        lines = [
            f"{self.name}: ({self.n},{self.k}) binary linear code, r={self.r} check bits"
            + (f" — {self.summary}" if self.summary else ""),
            f"  minimum distance: {self.min_distance if self.min_distance else '>8'}",
            f"  decoder: {self.decoder}; corrects {self.corrects}; detects {self.detects}",
            f"  data-column weights: min {cw.min()}, max {cw.max()}, total ones in H "
            f"{int(self._H.sum())}",
            f"  row weights: {', '.join(str(int(w)) for w in self.row_weights)}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LinearCode(name={self.name!r}, n={self.n}, k={self.k}, decoder={self.decoder!r})"

    def __eq__(self, other: object) -> bool:
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
        cls, masks, k: int = 64, *, name: str = "custom", summary: str = "", decoder: str = "sec"
    ) -> LinearCode:
        """Build a code from per-check-bit data masks: check bit j = parity(data AND masks[j]).

        ``masks`` is a sequence of Python ints (or a uint64 array) of at most ``k`` bits each;
        check bits are stored after the data bits, so H = [A | I]."""
        masks = list(masks)
        if not masks:
            raise CodeError("masks: need at least one check mask")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise CodeError(f"k={k!r}: the number of data bits must be a positive integer")
        rows = []
        for j, m in enumerate(masks):
            if isinstance(m, bool) or not isinstance(m, int | np.integer):
                raise CodeError(f"masks[{j}]={m!r} is not an integer (masks are {k}-bit integers)")
            v = int(m)
            if v < 0 or v >> k:
                raise CodeError(f"masks[{j}]=0x{v:x} is not a {k}-bit non-negative integer")
            rows.append([(v >> i) & 1 for i in range(k)])
        r = len(masks)
        A = np.array(rows, dtype=np.uint8)
        H = np.concatenate([A, np.eye(r, dtype=np.uint8)], axis=1)
        return cls(H, name=name, summary=summary, decoder=decoder)

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
        try:
            bits = tuple(sorted({int(b) for b in p}))
        except (TypeError, ValueError):
            raise CodeError(
                f"correctable pattern {p!r} is not a sequence of bit positions"
            ) from None
        if not bits or bits[0] < 0 or bits[-1] >= self.n:
            raise CodeError(f"correctable pattern {p!r}: bit positions must lie in 0..{self.n - 1}")
        return bits


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
