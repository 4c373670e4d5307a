"""Products: matmul and tensordot (the BLAS-bound ops), and Keras's dot / batch_dot on top."""

import numpy as np

from .. import blas
from ..tensor import Function, unbroadcast
from ._util import operand
from .arithmetic import multiply
from .reductions import sum as reduce_sum
from .shape import expand_dims, reshape, squeeze, transpose


class MatMul(Function):
    """``a @ b`` with NumPy's matmul broadcasting over leading axes."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return blas.matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_grad[0]:
            if b.ndim == 1:
                ga = np.multiply.outer(g, b)
            else:
                ga = blas.matmul(g if a.ndim > 1 else g[..., None, :], np.swapaxes(b, -1, -2))
                ga = unbroadcast(ga if a.ndim > 1 else ga[..., 0, :], a.shape)
        if self.needs_grad[1]:
            if a.ndim == 1 and b.ndim == 1:
                gb = g * a
            elif a.ndim == 1:
                # g is (..., p); b is (n, p) or batched (..., n, p).
                gb = unbroadcast(a[:, None] * g[..., None, :], b.shape)
            else:
                gb = blas.matmul(np.swapaxes(a, -1, -2), g if b.ndim > 1 else g[..., None])
                gb = unbroadcast(gb if b.ndim > 1 else gb[..., 0], b.shape)
        return ga, gb


class TensorDot(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.tensordot(a, b, axes=self.axes)

    def backward(self, g):
        a, b = self.a, self.b
        axes_a, axes_b = self.axes
        free_a = [i for i in range(a.ndim) if i not in axes_a]
        free_b = [i for i in range(b.ndim) if i not in axes_b]
        n_free_a = len(free_a)
        ga = gb = None
        if self.needs_grad[0]:
            # g: free_a + free_b; contract g's free_b axes with b's free axes.
            ga = np.tensordot(g, b, axes=(list(range(n_free_a, g.ndim)), free_b))
            # ga's axes are free_a, then b's contracted axes in b's own (ascending) order;
            # each of those stands for the axis of a it was paired with.
            paired_a = [axes_a[k] for k in np.argsort(axes_b, kind="stable")]
            ga = np.transpose(ga, np.argsort(free_a + paired_a))
        if self.needs_grad[1]:
            gb = np.tensordot(a, g, axes=(free_a, list(range(n_free_a))))
            paired_b = [axes_b[k] for k in np.argsort(axes_a, kind="stable")]
            gb = np.transpose(gb, np.argsort(paired_b + free_b))
        return ga, gb


def matmul(a, b):
    """Matrix product with broadcasting over leading axes (``a @ b``)."""
    return MatMul().apply(operand(a), operand(b))


def tensordot(a, b, axes=2):
    """``np.tensordot`` with its gradient; ``axes`` an int or a pair of axis lists."""
    a, b = operand(a), operand(b)
    if isinstance(axes, (int, np.integer)):
        axes = (list(range(a.ndim - axes, a.ndim)), list(range(axes)))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes = ([i % a.ndim for i in axes_a], [i % b.ndim for i in axes_b])
    return TensorDot(axes).apply(a, b)


def dot(a, b):
    """``np.dot`` semantics, which are Keras's ``K.dot``: for N-D inputs, contracts the
    last axis of ``a`` with the second-to-last of ``b`` (``(2, 3) · (4, 3, 5) -> (2, 4, 5)``).
    """
    a, b = operand(a), operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2 if b.ndim >= 2 else 0]))


def batch_dot(x, y, axes=None):
    """Batchwise dot product as Keras 2.2 computes it: ``out[i] = dot(x[i], y[i])``.

    ``axes`` (an int or a pair) names the axis of ``x`` and of ``y`` to contract; by default
    the last of ``x`` and the second-to-last of ``y`` (a batched matmul). The lower-rank
    input gets trailing length-1 axes, 2D inputs are multiplied and summed, higher ranks
    go through a batched matmul, and a result of rank 1 becomes ``(batch, 1)``.

    Example: ``x`` (32, 20), ``y`` (32, 30, 20), ``axes=(1, 2)`` gives (32, 30).
    """
    x, y = operand(x), operand(y)
    x_ndim, y_ndim = x.ndim, y.ndim
    if isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2)
    if any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError(f"batch_dot: axes must be an int or a pair of ints, got {axes!r}.")
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(
            f"batch_dot: inputs must have at least 2 dimensions (batch first), got shapes "
            f"{x.shape} and {y.shape}."
        )
    axis_x, axis_y = int(axes[0]) % x_ndim, int(axes[1]) % y_ndim
    diff = abs(x_ndim - y_ndim)
    if x_ndim > y_ndim:
        y = reshape(y, y.shape + (1,) * diff)
    elif y_ndim > x_ndim:
        x = reshape(x, x.shape + (1,) * diff)
    ndim = x.ndim
    if ndim == 2:
        if axis_x == axis_y:
            out = reduce_sum(multiply(x, y), axis=axis_x)
        else:
            out = reduce_sum(multiply(transpose(x, (1, 0)), y), axis=axis_y)
    else:
        swap_last_two = tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)
        if axis_x != ndim - 1:
            x = transpose(x, swap_last_two)
        if axis_y == ndim - 1:
            y = transpose(y, swap_last_two)
        out = matmul(x, y)
    if diff:
        start = x_ndim + y_ndim - 3 if x_ndim > y_ndim else x_ndim - 1
        out = squeeze(out, axis=tuple(range(start, start + diff)))
    if out.ndim == 1:
        out = expand_dims(out, 1)
    return out
