"""Confidence intervals for outcome rates (binomial proportions).

Clopper-Pearson ("exact") intervals use ``scipy.stats.beta`` — a well-kept implementation of
the beta quantiles they need; Wilson score intervals are closed-form. Both are vectorized:
pass arrays of event counts ``k`` and trial counts ``n``.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .validate import require_choice, require_number

METHODS = ("clopper-pearson", "wilson")


def _counts(name: str, value, allowed: str) -> np.ndarray:
    """``value`` (a number or array of them) as float64 whole counts >= 0, or InputError."""
    if isinstance(value, str | bytes):
        raise InputError(f"{name}={value!r} must be a count (a whole number >= 0) or an array")
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a count (a whole number >= 0) or an array") from None
    if a.dtype.kind not in "iuf":
        raise InputError(
            f"{name} must hold counts (whole numbers >= 0), got dtype {a.dtype}"
            + (" (booleans are not counts)" if a.dtype.kind == "b" else "")
        )
    a = a.astype(np.float64)
    bad = ~np.isfinite(a) | (a < 0) | (a != np.floor(a))
    if bad.any():
        x = float(a[bad].flat[0])
        raise InputError(f"{name}={x:g} must be {allowed}")
    return a


def proportion_ci(k, n, confidence: float = 0.95, method: str = "clopper-pearson"):
    """``(low, high)`` arrays: a two-sided ``confidence`` interval for the rate k/n.

    Where ``n == 0`` both bounds are NaN. ``k`` and ``n`` are whole counts >= 0 with
    ``k <= n`` (broadcast together); anything else raises :class:`~eccsim.errors.InputError`."""
    method = require_choice("method", method, METHODS)
    confidence = require_number("confidence", confidence, 0, 1, open_interval=True)
    k = _counts("k", k, "a whole number of events, 0 <= k <= n")
    n = _counts("n", n, "a whole number of trials >= 0")
    try:
        over = k > n
    except ValueError:
        raise InputError(
            f"k of shape {k.shape} and n of shape {n.shape} do not broadcast"
        ) from None
    if over.any():
        i = np.flatnonzero(over)[0]
        kk, nn = np.broadcast_arrays(k, n)
        raise InputError(
            f"k={int(kk.flat[i])} events exceed n={int(nn.flat[i])} trials; need 0 <= k <= n"
        )
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
    confidence = require_number("confidence", confidence, 0, 1, open_interval=True)
    if k == 0 or n == 0:
        return float("inf")
    low, high = proportion_ci(k, n, confidence)
    return float((high - low) / 2 / (k / n))
