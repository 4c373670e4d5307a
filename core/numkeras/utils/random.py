"""The one random source of numkeras, so that ``set_random_seed`` makes runs reproducible."""

import random as _python_random

import numpy as np

_generator = [np.random.default_rng()]


def set_random_seed(seed):
    """Seeds numkeras (initializers, dropout, shuffling), NumPy's global RNG and ``random``.

    The same seed, data and code give bit-identical weights after ``fit``.
    """
    _generator[0] = np.random.default_rng(seed)
    np.random.seed(seed)
    _python_random.seed(seed)


def generator(seed=None):
    """The shared generator, or a fresh one when ``seed`` is given (Keras's per-call seeds)."""
    if seed is not None:
        return np.random.default_rng(seed)
    return _generator[0]
