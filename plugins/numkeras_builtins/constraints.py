"""Built-in weight constraints (Keras 2.2.4): MaxNorm, NonNeg, UnitNorm, MinMaxNorm.

The optimizer calls a constraint on a weight's new value (an ndarray) after every
update; given an ndarray, these return a new ndarray and leave the input alone.
Given a Tensor, they return a Tensor built from backend ops, as in Keras.
"""

import warnings

import numpy as np

from numkeras import backend as K
from numkeras.constraints import Constraint


def _norms(w, axis):
    """``sqrt(sum(w**2, axis, keepdims=True))``."""
    return K.sqrt(K.sum(K.square(w), axis=_axis(axis), keepdims=True))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _like_input(result, w):
    """An ndarray (in ``w``'s dtype) when ``w`` was one, else the Tensor."""
    if isinstance(w, K.Tensor):
        return result
    return np.asarray(K.eval(result), dtype=np.asarray(w).dtype)


class MaxNorm(Constraint):
    """Scales each slice along ``axis`` down to a norm of at most ``max_value``.

    ``w * clip(norms, 0, max_value) / (epsilon + norms)``, norms taken over ``axis``.

    Arguments:
        max_value: the largest norm allowed (``m`` is the Keras 1 spelling).
        axis: the axis (or list of axes) the norms are taken over: 0 for a Dense
            kernel ``(input_dim, units)`` constrains each unit's incoming weights;
            ``[0, 1, 2]`` for a ``channels_last`` Conv2D kernel.
    """

    def __init__(self, max_value=2, axis=0, m=None):
        if m is not None:
            warnings.warn("MaxNorm: 'm' is the Keras 1 name; use 'max_value'.", DeprecationWarning, stacklevel=2)
            max_value = m
        if not float(max_value) >= 0:
            raise ValueError(f"MaxNorm: max_value must be >= 0, got {max_value!r}.")
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return _like_input(w * (desired / (K.epsilon() + norms)), w)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return _like_input(w * K.cast(K.greater_equal(w, 0.0), K.dtype(w)), w)


class UnitNorm(Constraint):
    """Scales each slice along ``axis`` to unit norm: ``w / (epsilon + norms)``.

    Arguments:
        axis: as for :class:`MaxNorm`.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return _like_input(w / (K.epsilon() + _norms(w, self.axis)), w)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm along ``axis`` towards ``[min_value, max_value]``.

    ``desired = rate * clip(norms, min_value, max_value) + (1 - rate) * norms``;
    ``w * desired / (epsilon + norms)``.

    Arguments:
        min_value, max_value: the norm range.
        rate: in ``[0, 1]``; 1 enforces the range strictly, smaller values move
            the norm part of the way on each update.
        axis: as for :class:`MaxNorm`.

    Raises:
        ValueError: ``min_value > max_value`` or ``rate`` outside ``[0, 1]``.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if min_value > max_value:
            raise ValueError(f"MinMaxNorm: min_value ({min_value}) must not exceed max_value ({max_value}).")
        if not 0 <= rate <= 1:
            raise ValueError(f"MinMaxNorm: rate must be in [0, 1], got {rate!r}.")
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * K.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return _like_input(w * (desired / (K.epsilon() + norms)), w)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}
