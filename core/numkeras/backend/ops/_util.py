"""Helpers shared by the op modules."""

import numpy as np

from .. import config
from ..tensor import Tensor


def operand(value, like=None):
    """``value`` as a Tensor or ndarray.

    Arrays and Tensors pass unchanged. Python (and NumPy) scalars and lists take the dtype
    of ``like`` when it is a float type, so ``x32 * 2.0`` and ``x32 + [1.0, 2.0]`` stay
    float32; otherwise float values become ``floatx()``, as ``Tensor(...)`` makes them.
    """
    if isinstance(value, (Tensor, np.ndarray)):
        return value
    if like is not None and like.dtype.kind == "f":
        return np.asarray(value, dtype=like.dtype)
    array = np.asarray(value)
    if array.dtype.kind == "f" and array.dtype != config.floatx_dtype():
        return array.astype(config.floatx())
    return array


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
