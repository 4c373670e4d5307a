"""Pooling: max and average over sliding windows, N-D, channels-last inside.

Both directions are a few strided NumPy operations per offset inside the pooling
window (4 for a 2x2 pool), over the whole batch at once: no Python loop over
samples or pixels and no window copy. Max pooling is the ``max_pool`` and
``max_pool_grad`` kernels of ``numkeras.backend.kernels`` (a plugin may compile them):
forward records, per window, the first offset holding the maximum, and backward
routes the gradient there, as TensorFlow does. Inference takes the ``window_max``
kernel, which keeps no offsets. ``'same'`` average pooling divides by
the number of real (unpadded) inputs in each window, as Keras does.
"""

import numpy as np

from .. import kernels
from ..tensor import Function
from ._util import operand
from .conv import _to_channels_first, _to_channels_last
from .conv_geometry import normalize_tuple, padding_amounts


class Pool(Function):
    """``mode`` (``'max'`` or ``'avg'``) pooling of a channels-last ``(N, *spatial, C)`` array."""

    def __init__(self, mode, pool_size, strides, pads):
        if mode not in ("max", "avg"):
            raise ValueError(f"Unknown pool_mode {mode!r}: expected 'max' or 'avg'.")
        self.mode, self.pool_size, self.strides, self.pads = mode, pool_size, strides, pads

    def _output(self, spatial):
        """The padded input's and the output's spatial shapes."""
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, self.pads))
        out = kernels.pool_output(padded, self.pool_size, self.strides)
        if min(out) <= 0:
            raise ValueError(
                f"Pooling window {self.pool_size} is larger than the (padded) input {padded}: the output "
                f"would be empty."
            )
        return padded, out

    def _padded(self, x, value):
        if not any(lo or hi for lo, hi in self.pads):
            return x
        return np.pad(x, ((0, 0),) + tuple(self.pads) + ((0, 0),), constant_values=value)

    def forward(self, x):
        self.x_shape = x.shape
        padded, out = self._output(x.shape[1:-1])
        if self.mode == "max":  # (the kernels make their own window slices)
            if not self.recorded:  # inference: no winners to keep for a gradient
                return kernels.window_max(self._padded(x, -np.inf), self.pool_size, self.strides)
            best, self.winner = kernels.max_pool(self._padded(x, -np.inf), self.pool_size, self.strides)
            return best
        self.windows = kernels.pool_windows(out, self.pool_size, self.strides)
        xp = self._padded(x, 0)
        total = xp[self.windows[0]].copy()
        for window in self.windows[1:]:
            total += xp[window]
        self.counts = self._counts(x.shape, padded, out)
        total /= self.counts
        return total

    def _counts(self, shape, padded, out):
        """How many real inputs fall in each window (the pool size unless padding was added)."""
        if not any(lo or hi for lo, hi in self.pads):
            return np.asarray(np.prod(self.pool_size), dtype=np.float32)
        inside = np.zeros((1,) + padded + (1,), dtype=np.float32)
        inside[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], self.pads))] = 1
        counts = np.zeros((1,) + out + (1,), dtype=np.float32)
        for window in self.windows:
            counts += inside[window]
        return counts

    def backward(self, g):
        shape = self.x_shape
        padded = (shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[1:-1], self.pads)) + (shape[-1],)
        if self.mode == "max":
            grad = kernels.max_pool_grad(g, self.winner, self.pool_size, self.strides, padded)
        else:
            # Disjoint windows (strides >= pool size) are written in place; overlapping ones are summed.
            disjoint = kernels.pool_windows_apart(self.pool_size, self.strides)
            grad = np.zeros(padded, dtype=g.dtype)
            share = (g / self.counts).astype(g.dtype, copy=False)
            for window in self.windows:
                if disjoint:
                    grad[window] = share
                else:
                    grad[window] += share
        if any(lo or hi for lo, hi in self.pads):
            grad = grad[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], self.pads))]
        return (grad,)


def pool(x, pool_size, strides=None, padding="valid", data_format=None, pool_mode="max"):
    """N-D max or average pooling.

    Arguments:
        x: ``(batch, *spatial, channels)``, or channels-first.
        pool_size: int or tuple, one per spatial axis.
        strides: int or tuple; defaults to ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default ``image_data_format()``) or ``'channels_first'``.
        pool_mode: ``'max'`` or ``'avg'``.

    Example:
        >>> pool(np.arange(16.).reshape(1, 4, 4, 1), 2).shape
        (1, 2, 2, 1)
    """
    x, channels_first = _to_channels_last(operand(x), data_format)
    rank = x.ndim - 2
    pool_size = normalize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, rank, "strides")
    if padding not in ("valid", "same"):
        raise ValueError(f"Unknown padding {padding!r} for pooling: expected 'valid' or 'same'.")
    pads = tuple(padding_amounts(n, k, s, 1, padding) for n, k, s in zip(x.shape[1:-1], pool_size, strides))
    y = Pool(pool_mode, pool_size, strides, pads).apply(x)
    return _to_channels_first(y) if channels_first else y


def pool1d(x, pool_size, strides=None, padding="valid", data_format=None, pool_mode="max"):
    """1D pooling over ``(batch, steps, channels)``."""
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2D pooling (``K.pool2d``; note Keras's default strides of 1 here)."""
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3D pooling (``K.pool3d``)."""
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


__all__ = ["Pool", "pool", "pool1d", "pool2d", "pool3d"]
