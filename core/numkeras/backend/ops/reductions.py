"""Reductions: sum, mean, prod, max, min, logsumexp, and var / std composed from them."""

import builtins
import math

import numpy as np

from ..tensor import Function
from ._util import normalize_axis, operand
from .arithmetic import multiply, subtract
from .elementwise import sqrt


def _expand_like(g, shape, axis, keepdims):
    """Reinserts reduced axes into ``g`` so it broadcasts against an input of ``shape``."""
    if keepdims:
        return g
    return g.reshape([1 if i in axis else n for i, n in enumerate(shape)])


def _spread(g, shape):
    """``g`` (with the reduced axes kept as 1) copied out to ``shape``.

    A fresh writable array rather than a ``broadcast_to`` view: for the small tensors
    of a training step it is faster, and a leaf's ``.grad`` must not be read-only.
    """
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape = x.shape
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        return (_spread(_expand_like(g, self.shape, self.axis, self.keepdims), self.shape),)


class Mean(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape = x.shape
        self.count = math.prod(x.shape[a] for a in self.axis)
        if x.dtype.kind != "f" or x.dtype.itemsize < 4:
            # NumPy's mean promotes integers to float64 and sums float16 in float32.
            return np.mean(x, axis=self.axis, keepdims=self.keepdims)
        # Same pairwise sum and division as np.mean, without its Python-level overhead.
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims) / self.count

    def backward(self, g):
        g = _expand_like(g, self.shape, self.axis, self.keepdims) / builtins.max(self.count, 1)
        return (_spread(g, self.shape),)


class Extremum(Function):
    """max or min: the gradient is split evenly among tied extreme elements."""

    def __init__(self, reduce, axis, keepdims):
        self.reduce, self.axis, self.keepdims = reduce, axis, keepdims

    def forward(self, x):
        self.x = x
        self.y = self.reduce(x, axis=self.axis, keepdims=True)
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axis)

    def backward(self, g):
        g = _expand_like(g, self.x.shape, self.axis, self.keepdims)
        hit = self.x == self.y
        # The count is cast so that float32 gradients stay float32 (int64 would promote).
        count = hit.sum(axis=self.axis, keepdims=True).astype(g.dtype, copy=False)
        return (g * hit / count,)


class Prod(Function):
    """Product over ``axis``; exact gradients also where some factors are zero."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.y = np.prod(x, axis=self.axis, keepdims=True)
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axis)

    def backward(self, g):
        x, axis = self.x, self.axis
        g = _expand_like(g, x.shape, axis, self.keepdims)
        zero = x == 0
        if not zero.any():
            return (g * self.y / x,)
        # d prod / d x_i is the product of the other factors: with no zero in the slice
        # that is y / x_i; with one zero it is nonzero only at the zero; with two, zero.
        zeros_in_slice = zero.sum(axis=axis, keepdims=True)
        nonzero_x = np.where(zero, 1, x)
        product_of_nonzeros = np.prod(nonzero_x, axis=axis, keepdims=True)
        others = np.where(
            zero,
            np.where(zeros_in_slice == 1, product_of_nonzeros, 0),
            np.where(zeros_in_slice == 0, product_of_nonzeros / nonzero_x, 0),
        )
        return ((g * others).astype(x.dtype, copy=False),)


class LogSumExp(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        m = np.max(x, axis=self.axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        self.y = m + np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True))
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axis)

    def backward(self, g):
        g = _expand_like(g, self.x.shape, self.axis, self.keepdims)
        return (g * np.exp(self.x - self.y),)


def _reduction(x, axis):
    x = operand(x)
    return x, normalize_axis(axis, x.ndim)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - mirrors K.sum
    """Sum over ``axis`` (all axes when None)."""
    x, axis = _reduction(x, axis)
    return Sum(axis, keepdims).apply(x)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes when None)."""
    x, axis = _reduction(x, axis)
    return Mean(axis, keepdims).apply(x)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis`` (all axes when None)."""
    x, axis = _reduction(x, axis)
    return Prod(axis, keepdims).apply(x)


def max(x, axis=None, keepdims=False):  # noqa: A001 - mirrors K.max
    """Maximum over ``axis``."""
    x, axis = _reduction(x, axis)
    return Extremum(np.max, axis, keepdims).apply(x)


def min(x, axis=None, keepdims=False):  # noqa: A001 - mirrors K.min
    """Minimum over ``axis``."""
    x, axis = _reduction(x, axis)
    return Extremum(np.min, axis, keepdims).apply(x)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x, axis = _reduction(x, axis)
    return LogSumExp(axis, keepdims).apply(x)


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis``: population variance (Keras's ``K.var``) unless ``ddof`` is given."""
    x, axes = _reduction(x, axis)
    centered = subtract(x, mean(x, axis=axes, keepdims=True))
    variance = mean(multiply(centered, centered), axis=axes, keepdims=keepdims)
    if ddof:
        count = int(np.prod([x.shape[a] for a in axes]))
        variance = multiply(variance, count / (count - ddof) if count > ddof else np.nan)
    return variance


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation over ``axis`` (population unless ``ddof`` is given)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))
