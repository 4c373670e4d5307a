"""Activations written from their formulas in float64, for tests that check numkeras's kernels against them.

Kept apart from numkeras's own code: ``sigmoid`` is ``1 / (1 + exp(-x))`` here, where numkeras computes
it as ``(1 + tanh(x / 2)) / 2``, so a test that uses it does not take its expected value from the code
under test.
"""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def hard_sigmoid(x):
    """Keras's: ``clip(0.2 x + 0.5, 0, 1)``."""
    return np.clip(0.2 * x + 0.5, 0, 1)


# The recurrent kernels' gates by name (numkeras.backend.kernels.GATES)
GATES = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid}
