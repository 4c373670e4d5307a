"""GELU, Swish and Mish: smooth activations of one tensor, each with its exact gradient.

Use them by name (``Dense(64, activation='gelu')``) once numkeras-extras is installed.
"""

import math

import numpy as np

from numkeras import backend as K

_erfc = np.frompyfunc(math.erfc, 1, 1)


class Erfc(K.Function):
    """The complementary error function ``1 - erf(x)``, elementwise, accurate where ``erf`` is
    near -1 (so GELU keeps its digits for negative inputs); its derivative is
    ``-2 / sqrt(pi) * exp(-x**2)``."""

    def forward(self, x):
        self.x = x
        return np.asarray(_erfc(x), dtype=np.float64).astype(x.dtype)

    def backward(self, g):
        return (g * (-2.0 / math.sqrt(math.pi)) * np.exp(-np.square(self.x)).astype(self.x.dtype),)


def erfc(x):
    """``erfc(x) = 1 - erf(x)`` elementwise, differentiable."""
    return Erfc().apply(x if isinstance(x, K.Tensor) else K.Tensor(np.asarray(x)))


def gelu(x):
    """The Gaussian error linear unit (Hendrycks & Gimpel, 2016), exact form:
    ``x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))``, with ``Phi`` the standard normal CDF
    (computed as ``0.5 * x * erfc(-x / sqrt(2))``, which keeps its precision for ``x << 0``)."""
    return 0.5 * x * erfc(x * (-1.0 / math.sqrt(2.0)))


def swish(x):
    """Swish / SiLU (Ramachandran et al., 2017; Elfwing et al., 2018): ``x * sigmoid(x)``."""
    return x * K.sigmoid(x)


def mish(x):
    """Mish (Misra, 2019): ``x * tanh(softplus(x))``, with ``softplus(x) = log(1 + exp(x))``."""
    return x * K.tanh(K.softplus(x))
