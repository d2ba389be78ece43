"""The design objective as numba kernels over arrays: silent outcomes of a candidate H, counted
exactly in syndrome space, and the annealing loop that calls them.

A candidate is ``cols`` — the ``(n,)`` int64 syndromes of codeword bits 0..n-1 (column b of H,
row j = bit j) — with ``colset``, a ``(2**r,)`` uint8 membership map of those columns. Under
eccsim's ``sec`` decoder an error pattern is silent exactly when its syndrome is 0
(undetected) or equals a column while the pattern is not that single bit (miscorrected):

* ``chip``: every non-zero pattern of one chip's bits of a codeword, each chip in turn; the
  chip's subsets are walked in Gray-code order, one XOR per pattern.
* ``chips:2``: every pair of chips, non-zero on both. With ``h_c`` the histogram of chip c's
  pattern syndromes, the silent pairs are sum over a < b of sum over t in Z = {0} U columns of
  the XOR convolution (h_a * h_b)[t]; with Walsh-Hadamard transforms this is
  ``sum_u Zhat(u) (S1(u)**2 - S2(u)) / 2 / 2**r`` where ``S1 = sum_c hhat_c`` and
  ``S2 = sum_c hhat_c**2`` — O(chips * r * 2**r), no pair enumerated.
* ``burst:L``: L adjacent codeword bits (prefix XORs: one XOR per burst).
* ``bits:K``: every K-subset of the codeword bits (the dynamic programme of
  :func:`eccsim.analysis.subset_syndrome_counts`, per weight and syndrome).

Secondary terms: miscorrected triples (= 4 x the weight-4 codewords when the columns are odd:
pairs of disjoint column pairs with equal XOR), the spread of H's row weights, H's ones.

Every function here is cross-checked in the tests against eccsim's exact analysis and against
a brute-force enumeration written in the test itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OBJ_CHIP, OBJ_PAIRS, OBJ_BURST, OBJ_BITS = 0, 1, 2, 3


@njit(cache=True)
def _popcount(x):
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@njit(cache=True)
def _silent_chips(cols, colset, cstart, cbits):
    """Silent single-chip patterns (Gray-code walk over each chip's bits)."""
    total = 0
    for c in range(cstart.size - 1):
        a = cstart[c]
        m = cstart[c + 1] - a
        s = 0
        w = 0
        state = 0
        for i in range(1, 1 << m):
            t = 0
            x = i
            while (x & 1) == 0:
                x >>= 1
                t += 1
            s ^= cols[cbits[a + t]]
            state ^= 1 << t
            if state & (1 << t):
                w += 1
            else:
                w -= 1
            if s == 0:
                total += 1
            elif w >= 2 and colset[s]:
                total += 1
    return total


@njit(cache=True)
def _wht(a):
    """In-place unnormalised Walsh-Hadamard transform of an int64 array of length 2**r."""
    h = 1
    n = a.size
    while h < n:
        for i in range(0, n, 2 * h):
            for j in range(i, i + h):
                x = a[j]
                y = a[j + h]
                a[j] = x + y
                a[j + h] = x - y
        h *= 2


@njit(cache=True)
def _silent_pairs(cols, colset, cstart, cbits, work):
    """Silent patterns confined to exactly two chips (both non-zero), via Walsh-Hadamard
    transforms of the chips' syndrome histograms. ``work``: (3, 2**r) int64 scratch."""
    N = colset.size
    s1 = work[0]
    s2 = work[1]
    h = work[2]
    s1[:] = 0
    s2[:] = 0
    for c in range(cstart.size - 1):
        a = cstart[c]
        m = cstart[c + 1] - a
        h[:] = 0
        s = 0
        for i in range(1, 1 << m):
            t = 0
            x = i
            while (x & 1) == 0:
                x >>= 1
                t += 1
            s ^= cols[cbits[a + t]]
            h[s] += 1
        _wht(h)
        for u in range(N):
            s1[u] += h[u]
            s2[u] += h[u] * h[u]
    # h <- WHT of the indicator of {0} U columns
    for u in range(N):
        h[u] = colset[u]
    h[0] = 1
    _wht(h)
    acc = 0
    for u in range(N):
        acc += h[u] * ((s1[u] * s1[u] - s2[u]) // 2)
    return acc // N


@njit(cache=True)
def _silent_burst(cols, colset, length):
    """Silent solid bursts of ``length`` adjacent codeword bits."""
    n = cols.size
    if length < 2:
        return 0
    total = 0
    prefix = np.zeros(n + 1, dtype=np.int64)
    for b in range(n):
        prefix[b + 1] = prefix[b] ^ cols[b]
    for start in range(n - length + 1):
        s = prefix[start + length] ^ prefix[start]
        if s == 0 or colset[s]:
            total += 1
    return total


@njit(cache=True)
def _silent_bits(cols, colset, k, work):
    """Silent k-bit errors (every k-subset of the codeword bits). ``work``: (k+1, 2**r)."""
    N = colset.size
    work[:] = 0
    work[0, 0] = 1
    for b in range(cols.size):
        col = cols[b]
        for w in range(k, 0, -1):
            for s in range(N):
                work[w, s] += work[w - 1, s ^ col]
    total = work[k, 0]
    for s in range(1, N):
        if colset[s]:
            total += work[k, s]
    if k == 1:
        total -= cols.size  # a single bit whose syndrome is its own column is corrected
    return total


@njit(cache=True)
def _miscorrected_triples(cols, pairhist):
    """4 x the number of weight-4 codewords: the 3-bit errors an odd-column SEC-DED decoder
    miscorrects. ``pairhist``: (2**r,) int64 scratch."""
    pairhist[:] = 0
    n = cols.size
    for a in range(n):
        for b in range(a + 1, n):
            pairhist[cols[a] ^ cols[b]] += 1
    acc = 0
    for s in range(pairhist.size):
        p = pairhist[s]
        acc += p * (p - 1) // 2
    return 4 * (acc // 3)


@njit(cache=True)
def evaluate(cols, colset, cstart, cbits, objectives, params, r, terms, work, bitwork):
    """Fill ``terms`` (int64, 4 + len(objectives)): [silent total, miscorrected triples,
    row-weight spread, ones in H, silent per objective...]."""
    total = 0
    for i in range(objectives.size):
        kind = objectives[i]
        if kind == OBJ_CHIP:
            v = _silent_chips(cols, colset, cstart, cbits)
        elif kind == OBJ_PAIRS:
            v = _silent_pairs(cols, colset, cstart, cbits, work)
        elif kind == OBJ_BURST:
            v = _silent_burst(cols, colset, params[i])
        else:
            v = _silent_bits(cols, colset, params[i], bitwork)
        terms[4 + i] = v
        total += v
    terms[0] = total
    terms[1] = _miscorrected_triples(cols, work[0])
    lo = cols.size
    hi = 0
    ones = 0
    for j in range(r):
        rw = 0
        for b in range(cols.size):
            rw += (cols[b] >> j) & 1
        lo = min(lo, rw)
        hi = max(hi, rw)
        ones += rw
    terms[2] = hi - lo
    terms[3] = ones


@njit(cache=True)
def _delta(a, b, weights):
    """energy(a) - energy(b) for terms ``a`` and ``b`` (energy: silent total + the weighted
    secondary terms), from the integer differences of each term: exact in sign (the weights
    are lexicographic, see :func:`.problem.make_problem`) however large the silent totals —
    a float sum of each energy loses the secondary terms' steps past about 1e6 silent."""
    return float(a[0] - b[0]) + (
        weights[0] * float(a[1] - b[1])
        + weights[1] * float(a[2] - b[2])
        + weights[2] * float(a[3] - b[3])
    )


@njit(cache=True)
def anneal(cols, colset, movable, group, pool, cstart, cbits, objectives, params, r, weights,
           temps, rnd, best_cols, work, bitwork, terms, cur, best_terms):  # fmt: skip
    """Simulated annealing over ``temps.size`` steps from the state ``cols``/``colset``
    (updated in place; the best state seen — the first of equal ones — is copied to
    ``best_cols``, its terms to ``best_terms``; ``cur``: scratch like ``terms``). A step either
    swaps the columns of two movable positions in different groups (chips) or replaces a
    movable position's column by an unused ``pool`` vector; it is kept by the Metropolis rule
    at temperature ``temps[i]`` on the energy difference :func:`_delta`. ``rnd``: (steps, 4)
    uniform numbers in [0, 1) drawn by the caller (seeded). Returns the best silent total."""
    evaluate(cols, colset, cstart, cbits, objectives, params, r, terms, work, bitwork)
    cur[:] = terms
    best_terms[:] = terms
    best_cols[:] = cols
    nm = movable.size
    npool = pool.size
    for it in range(temps.size):
        T = temps[it]
        i = movable[int(rnd[it, 1] * nm)]
        if rnd[it, 0] < 0.5 or npool == 0:
            j = movable[int(rnd[it, 2] * nm)]
            if group[i] == group[j]:
                continue
            ci = cols[i]
            cols[i] = cols[j]
            cols[j] = ci
            evaluate(cols, colset, cstart, cbits, objectives, params, r, terms, work, bitwork)
            d = _delta(terms, cur, weights)
            if d <= 0 or rnd[it, 3] < np.exp(-d / T):
                cur[:] = terms
            else:
                cols[j] = cols[i]
                cols[i] = ci
        else:
            v = pool[int(rnd[it, 2] * npool)]
            if colset[v]:
                continue
            old = cols[i]
            cols[i] = v
            colset[old] = 0
            colset[v] = 1
            evaluate(cols, colset, cstart, cbits, objectives, params, r, terms, work, bitwork)
            d = _delta(terms, cur, weights)
            if d <= 0 or rnd[it, 3] < np.exp(-d / T):
                cur[:] = terms
            else:
                cols[i] = old
                colset[v] = 0
                colset[old] = 1
        if _delta(cur, best_terms, weights) < 0:
            best_terms[:] = cur
            best_cols[:] = cols
    return best_terms[0]
