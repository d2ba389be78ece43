"""Long exhaustive checks (``pytest -m slow``; CI runs them): every 4- and 5-bit error of every
catalogue code through the real decoder kernel agrees with the independent syndrome-space
count, and Monte Carlo k-bit campaigns agree with the exact fractions to tight intervals."""

from __future__ import annotations

import math

import pytest

from eccsim import code_names, get_code
from eccsim.analysis import enumerate_kbit, exact_kbit
from eccsim.injection import inject
from eccsim.stats import proportion_ci

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", code_names())
@pytest.mark.parametrize("k", [4, 5])
def test_every_k_bit_error_decodes_as_the_syndrome_count_says(name, k):
    code = get_code(name)
    if math.comb(code.n, k) > 20_000_000:
        pytest.skip(f"C({code.n}, {k}) patterns: beyond this check's budget")
    row = exact_kbit(code, k)[k - 1]
    got = enumerate_kbit(code, k, seed=k)
    assert got.total == math.comb(code.n, k)
    assert (got["ce"], got["due"], got["sdc_undetected"], got["sdc_miscorrected"]) == (
        row.ce,
        row.due,
        row.sdc_undetected,
        row.sdc_miscorrected,
    )


@pytest.mark.parametrize("name", ["hamming-secded", "hsiao-secded"])
@pytest.mark.parametrize("k", [3, 4])
def test_two_million_random_k_bit_trials_bracket_the_exact_fractions(name, k):
    """99.9 % Clopper-Pearson intervals of 2M trials contain the exact fraction of every
    outcome (six intervals per case: a chance failure has probability < 1 %)."""
    code = get_code(name)
    exact = exact_kbit(code, k)[k - 1]
    res = inject(code, "x8-ecc-dimm", f"bits:{k}", trials=2_000_000, seed=99 + k)
    n = res.words.total
    assert n == 2_000_000
    for label in ("ce", "due", "sdc_undetected", "sdc_miscorrected"):
        lo, hi = proportion_ci(res.words[label], n, 0.999)
        assert lo <= exact.fraction(label) <= hi, (label, res.words[label], exact)
