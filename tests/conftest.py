"""Shared fixtures: a seed option so random tests can be replayed (``pytest --seed N``)."""

from __future__ import annotations

import numpy as np
import pytest

from eccsim import code_names, get_code


def pytest_addoption(parser):
    parser.addoption("--seed", type=int, default=20261125, help="seed for random test data")


@pytest.fixture
def seed(request) -> int:
    return request.config.getoption("--seed")


@pytest.fixture
def rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)


#: symbol codes whose shape another catalogue code already exercises in the default suite
#: (sddc-x8 is chipkill-x4's shape; ssc-dsd-x4, the keyed 32-check-bit one, has its own tests
#: in test_symbol_codes and test_kernels_wide): the generic per-code tests run them with the
#: slow ones, which CI also runs
SLOW_CODES = frozenset({"sddc-x8", "ssc-dsd-x4"})


@pytest.fixture(params=[pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CODES else n
                        for n in code_names()])  # fmt: skip
def code(request):
    """Every catalogue code in turn (two symbol codes only with ``-m slow``)."""
    return get_code(request.param)
