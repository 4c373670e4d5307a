"""Fixtures for the backend tests: a float64 mode and a clean global configuration."""

import numpy as np
import pytest

from numkeras import backend as K
from tests.helpers.gradcheck import float64


@pytest.fixture(autouse=True)
def _restore_backend_config():
    """Every test starts and ends with the default floatx, epsilon and learning phase."""
    floatx, epsilon, phase = K.floatx(), K.epsilon(), K.learning_phase()
    yield
    K.set_floatx(floatx)
    K.set_epsilon(epsilon)
    K.set_learning_phase(phase)


@pytest.fixture
def floatx64():
    """``K.floatx()`` is ``'float64'`` for the test."""
    with float64():
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
