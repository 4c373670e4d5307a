"""Shape and indexing: reshape, transpose, expand_dims, squeeze, getitem, concatenate, stack, tile, pad."""

import numpy as np

from ..tensor import Function, Tensor
from ._util import operand


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        return np.reshape(x, self.shape)

    def backward(self, g):
        return (np.reshape(g, self.source),)


class Transpose(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:
            self.axes = tuple(reversed(range(x.ndim)))
        return np.transpose(x, self.axes)

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.axes)),)


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.index, g) if _may_repeat(self.index) else grad.__setitem__(self.index, g)
        return (grad,)


def _may_repeat(index):
    """Whether an index can select one element twice (then gradients must be added, not set)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray, Tensor)) and np.asarray(p).dtype != bool for p in parts)


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.splits = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


class Tile(Function):
    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        self.shape = x.shape
        return np.tile(x, self.reps)

    def backward(self, g):
        reps = (1,) * (g.ndim - len(self.reps)) + tuple(self.reps)
        shape = (1,) * (g.ndim - len(self.shape)) + tuple(self.shape)
        split = []
        for r, n in zip(reps, shape):
            split += [r, n]
        return (g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2))).reshape(self.shape),)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        return np.broadcast_to(x, self.shape)

    def backward(self, g):
        from ..tensor import unbroadcast

        return (unbroadcast(g, self.source),)


class Pad(Function):
    def __init__(self, pad_width, constant):
        self.pad_width, self.constant = pad_width, constant

    def forward(self, x):
        return np.pad(x, self.pad_width, constant_values=self.constant)

    def backward(self, g):
        index = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return (g[index],)


def reshape(x, shape):
    """``x`` with a new shape (one dimension may be -1)."""
    return Reshape(tuple(shape)).apply(operand(x))


def transpose(x, axes=None):
    """Permutes the axes (reverses them when ``axes`` is None); negative axes count from the end."""
    x = operand(x)
    if axes is not None:
        # Normalised so that backward's argsort inverts the permutation.
        axes = tuple(int(a) % x.ndim for a in axes)
    return Transpose(axes).apply(x)


def expand_dims(x, axis=-1):
    """Inserts a length-1 axis at ``axis``."""
    x = operand(x)
    shape = list(x.shape)
    axis = axis if axis >= 0 else len(shape) + axis + 1
    shape.insert(axis, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    """Removes length-1 axes (only ``axis`` when given)."""
    x = operand(x)
    return reshape(x, np.squeeze(np.empty(x.shape, dtype=bool), axis=axis).shape)


def getitem(x, index):
    """``x[index]`` with NumPy indexing; repeated indices accumulate their gradients."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index).apply(operand(x))


def concatenate(tensors, axis=-1):
    """Joins tensors along an existing axis."""
    tensors = [operand(t) for t in tensors]
    return Concatenate(axis).apply(*tensors)


def stack(tensors, axis=0):
    """Joins tensors along a new axis."""
    tensors = [operand(t) for t in tensors]
    return Stack(axis).apply(*tensors)


def tile(x, reps):
    """Repeats ``x`` ``reps`` times along each axis."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    return Tile(reps).apply(operand(x))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``; the gradient is summed back."""
    return BroadcastTo(tuple(shape)).apply(operand(x))


def pad(x, pad_width, constant=0):
    """Constant padding; ``pad_width`` is one ``(before, after)`` pair per axis."""
    return Pad(tuple(tuple(p) for p in pad_width), constant).apply(operand(x))
