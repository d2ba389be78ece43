"""Confidence intervals for outcome rates (binomial proportions).

Clopper-Pearson ("exact") intervals use ``scipy.stats.beta`` — a well-kept implementation of
the beta quantiles they need; Wilson score intervals are closed-form. Both are vectorized:
pass arrays of event counts ``k`` and trial counts ``n``.
"""

from __future__ import annotations

import numpy as np

METHODS = ("clopper-pearson", "wilson")


def proportion_ci(k, n, confidence: float = 0.95, method: str = "clopper-pearson"):
    """``(low, high)`` arrays: a two-sided ``confidence`` interval for the rate k/n.

    Where ``n == 0`` both bounds are NaN."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown; choose one of {', '.join(METHODS)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r} must lie strictly between 0 and 1")
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("event counts k must satisfy 0 <= k <= n")
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            from scipy.stats import norm

            z = norm.ppf(1 - alpha / 2)
            p = k / n
            denom = 1 + z * z / n
            centre = (p + z * z / (2 * n)) / denom
            half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
            low, high = centre - half, centre + half
            low = np.where(k == 0, 0.0, low)
            high = np.where(k == n, 1.0, high)
        else:
            from scipy.stats import beta

            low = np.where(k == 0, 0.0, beta.ppf(alpha / 2, k, n - k + 1))
            high = np.where(k == n, 1.0, beta.ppf(1 - alpha / 2, k + 1, n - k))
    low = np.where(n == 0, np.nan, np.clip(low, 0.0, 1.0))
    high = np.where(n == 0, np.nan, np.clip(high, 0.0, 1.0))
    return low, high


def relative_half_width(k, n, confidence: float = 0.95) -> float:
    """Half the CI width divided by the rate (inf when no events): a stop-rule precision."""
    if k == 0 or n == 0:
        return float("inf")
    low, high = proportion_ci(k, n, confidence)
    return float((high - low) / 2 / (k / n))
