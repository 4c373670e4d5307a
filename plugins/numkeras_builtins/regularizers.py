"""Built-in regularizers (Keras 2.2.4): ``L1L2`` and its factories ``l1``, ``l2``, ``l1_l2``.

The penalty is computed with backend ops, so it is differentiated with the rest of
the loss. ``regularizers.get('l2')`` calls the factory with its default, as Keras
does: ``L1L2(l2=0.01)``.
"""

import warnings

from numkeras import backend as K
from numkeras.regularizers import Regularizer


class L1L2(Regularizer):
    """``sum(l1 * |x|) + sum(l2 * x**2)``; a term with a zero factor is left out.

    Arguments:
        l1: the L1 factor (float >= 0).
        l2: the L2 factor (float >= 0).

    Raises:
        ValueError: a negative or non-numeric factor.

    Example:
        >>> Dense(64, kernel_regularizer=L1L2(l1=0.0, l2=0.01))
    """

    def __init__(self, l1=0.0, l2=0.0):
        for name, value in (("l1", l1), ("l2", l2)):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"L1L2: {name} must be a float >= 0, got {value!r}.") from None
            if not number >= 0:
                raise ValueError(f"L1L2: {name} must be >= 0, got {value!r}.")
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        regularization = 0.0
        if self.l1:
            regularization = regularization + K.sum(self.l1 * K.abs(x))
        if self.l2:
            regularization = regularization + K.sum(self.l2 * K.square(x))
        return regularization

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """tf.keras's class form of :func:`l1`: ``sum(l1 * |x|)``."""

    def __init__(self, l1=0.01, l=None):  # noqa: E741 - tf.keras accepts Keras's ``l`` too
        super().__init__(l1=l1 if l is None else l)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """tf.keras's class form of :func:`l2`: ``sum(l2 * x**2)``."""

    def __init__(self, l2=0.01, l=None):  # noqa: E741
        super().__init__(l2=l2 if l is None else l)

    def get_config(self):
        return {"l2": self.l2}


def l1(l=0.01):  # noqa: E741 - Keras's argument name
    """``L1L2(l1=l)``: the L1 penalty ``sum(l * |x|)``."""
    return L1L2(l1=l)


def l2(l=0.01):  # noqa: E741 - Keras's argument name
    """``L1L2(l2=l)``: the L2 penalty ``sum(l * x**2)``."""
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):
    """``L1L2(l1=l1, l2=l2)``."""
    return L1L2(l1=l1, l2=l2)


# Keras 1 names. Activity regularizers were separate objects there; in Keras 2 any
# regularizer passed as activity_regularizer penalises the layer's output.
def _renamed(old, new):
    warnings.warn(f"regularizers.{old} is the Keras 1 name; use regularizers.{new}.", DeprecationWarning,
                  stacklevel=3)


def l1l2(l1=0.01, l2=0.01):  # noqa: F811 - the arguments shadow the factories, as in Keras 1
    """Keras 1 spelling of :func:`l1_l2` (warns)."""
    _renamed("l1l2", "l1_l2")
    return L1L2(l1=l1, l2=l2)


def activity_l1(l=0.01):  # noqa: E741
    """Keras 1 spelling of :func:`l1` for activity regularization (warns)."""
    _renamed("activity_l1", "l1")
    return L1L2(l1=l)


def activity_l2(l=0.01):  # noqa: E741
    """Keras 1 spelling of :func:`l2` for activity regularization (warns)."""
    _renamed("activity_l2", "l2")
    return L1L2(l2=l)


def activity_l1l2(l1=0.01, l2=0.01):
    """Keras 1 spelling of :func:`l1_l2` for activity regularization (warns)."""
    _renamed("activity_l1l2", "l1_l2")
    return L1L2(l1=l1, l2=l2)
