"""Hsiao odd-weight-column SEC-DED codes (M. Y. Hsiao, IBM J. Res. Dev., 1970).

Data columns are distinct odd-weight r-bit vectors of the smallest possible weights (3, then
5, ...), chosen so the rows have weights as equal as possible: fewer ones means smaller XOR
trees, and equal rows mean equal check-bit delays. Odd columns make every 2-bit error's syndrome
even-weight, hence never a column: all double errors are detected.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ..errors import CodeError
from ..validate import require_int
from .linear import MAX_CHECK_BITS, MAX_CODE_BITS, LinearCode


def _balanced_pick(candidates: list[tuple[int, ...]], count: int, row_load: np.ndarray):
    """Greedily take ``count`` columns (tuples of row indices) keeping row loads balanced."""
    chosen = []
    pool = list(candidates)
    for _ in range(count):
        best = min(
            range(len(pool)),
            key=lambda i: (max(row_load[list(pool[i])]), sum(row_load[list(pool[i])]), i),
        )
        col = pool.pop(best)
        row_load[list(col)] += 1
        chosen.append(col)
    return chosen


def hsiao_secded(k: int = 64, r: int = 8, *, name: str | None = None) -> LinearCode:
    """Hsiao (k + r, k) SEC-DED code with minimum-weight odd columns and balanced rows.

    For (72,64): all 56 weight-3 columns plus 8 weight-5 columns, every row of the data part has
    exactly 26 ones. Column order: weight-3 columns in lexicographic order of their row sets,
    then the weight-5 ones."""
    r = require_int("r", r, 3, MAX_CHECK_BITS, error=CodeError)
    k = require_int("k", k, 1, MAX_CODE_BITS - r, error=CodeError)
    columns: list[tuple[int, ...]] = []
    row_load = np.zeros(r, dtype=np.int64)
    w = 3
    while len(columns) < k:
        if w > r:
            raise CodeError(f"k={k} data bits need more than r={r} Hsiao check bits")
        cands = list(combinations(range(r), w))
        need = k - len(columns)
        if len(cands) <= need:
            columns.extend(cands)
            for c in cands:
                row_load[list(c)] += 1
        else:
            columns.extend(_balanced_pick(cands, need, row_load))
        w += 2
    A = np.zeros((r, k), dtype=np.uint8)
    for i, col in enumerate(columns):
        A[list(col), i] = 1
    H = np.concatenate([A, np.eye(r, dtype=np.uint8)], axis=1)
    return LinearCode(
        H,
        name=name or f"hsiao-secded-{k + r}",
        summary=f"Hsiao odd-weight-column SEC-DED ({k + r},{k}), balanced rows",
        decoder="sec",
    )
