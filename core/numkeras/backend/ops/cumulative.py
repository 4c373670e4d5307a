"""Running totals along an axis: cumsum and cumprod."""

import numpy as np

from ..tensor import Function
from ._util import operand
from .shape import reshape


def _reverse_cumsum(g, axis):
    """``out[i] = sum(g[i:])`` along ``axis``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


class CumSum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis)

    def backward(self, g):
        return (_reverse_cumsum(g, self.axis),)


class CumProd(Function):
    """Running product; exact gradients also where some factors are zero."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.x = x
        self.y = np.cumprod(x, axis=self.axis)
        return self.y

    def backward(self, g):
        x, y, axis = self.x, self.y, self.axis
        if not (x == 0).any():
            # d y_k / d x_i = y_k / x_i for every k >= i.
            return (_reverse_cumsum(g * y, axis) / x,)
        return (_cumprod_grad_with_zeros(x, g, axis),)


def _cumprod_grad_with_zeros(x, g, axis):
    """``grad[i] = prefix[i] * sum_{k >= i} g[k] * prod(x[i+1 : k+1])``: no division by x.

    Quadratic in the axis length; used only when a factor is exactly zero.
    """
    x, g = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    n = x.shape[-1]
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    exclusive_prefix = np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)
    grad = np.empty(np.broadcast_shapes(x.shape, g.shape), dtype=np.result_type(x, g))
    for i in range(n):
        following = np.concatenate([ones, np.cumprod(x[..., i + 1:], axis=-1)], axis=-1)
        grad[..., i] = exclusive_prefix[..., i] * np.sum(g[..., i:] * following, axis=-1)
    return np.moveaxis(grad, -1, axis)


def _scan(function_class, x, axis):
    x = operand(x)
    if axis is None:
        # NumPy's convention: None scans the flattened array.
        x, axis = reshape(x, (-1,)), 0
    return function_class(int(axis) % x.ndim).apply(x)


def cumsum(x, axis=0):
    """Cumulative sum along ``axis`` (Keras's default is the first axis; None flattens)."""
    return _scan(CumSum, x, axis)


def cumprod(x, axis=0):
    """Cumulative product along ``axis`` (Keras's default is the first axis; None flattens)."""
    return _scan(CumProd, x, axis)
