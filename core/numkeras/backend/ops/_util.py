"""Helpers shared by the op modules."""

import numpy as np

from ..tensor import Tensor, _as_array


def operand(value, like=None):
    """``value`` as a Tensor or ndarray; scalars take the dtype of ``like`` when it is float."""
    if isinstance(value, (Tensor, np.ndarray)):
        return value
    if like is not None and np.isscalar(value) and like.dtype.kind == "f":
        return np.asarray(value, dtype=like.dtype)
    return _as_array(value)


def binary_operands(a, b):
    """Both operands of a binary op, with Python scalars matched to the other side's dtype."""
    a_is_t = isinstance(a, (Tensor, np.ndarray))
    b_is_t = isinstance(b, (Tensor, np.ndarray))
    if a_is_t and not b_is_t:
        return a, operand(b, like=a)
    if b_is_t and not a_is_t:
        return operand(a, like=b), b
    return operand(a), operand(b)


def normalize_axis(axis, ndim):
    """``axis`` (None, int or sequence) as a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(int(a) % ndim if ndim else 0 for a in axis)
