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


@pytest.fixture(params=code_names())
def code(request):
    """Every catalogue code in turn."""
    return get_code(request.param)
