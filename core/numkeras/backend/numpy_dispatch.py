"""NumPy interop: ``np.mean(tensor)``, ``np.log(tensor)`` … dispatch to differentiable ops.

One table per protocol (``__array_ufunc__`` for ufuncs, ``__array_function__`` for
functions), so a custom loss written with plain NumPy calls is recorded on the tape.
Functions with no useful gradient (comparisons, ``argmax``, ``round`` …) run on the
data and return constant tensors. Anything in no table — or called with arguments
the op cannot honour, such as ``out=`` — returns ``NotImplemented``, so NumPy raises
a ``TypeError`` instead of silently dropping the gradient.
"""

import numpy as np

from . import ops
from .tensor import Tensor

UFUNCS = {
    np.add: ops.add,
    np.subtract: ops.subtract,
    np.multiply: ops.multiply,
    np.true_divide: ops.divide,
    np.negative: ops.negative,
    np.positive: lambda a: a,
    np.power: ops.power,
    np.exp: ops.exp,
    np.log: ops.log,
    np.log1p: ops.log1p,
    np.sqrt: ops.sqrt,
    np.square: ops.square,
    np.absolute: ops.abs,
    np.sin: ops.sin,
    np.cos: ops.cos,
    np.tanh: ops.tanh,
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.matmul: ops.matmul,
}

# Non-differentiable (or piecewise-constant) ufuncs: computed on the data, no gradient.
PLAIN_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.sign, np.isnan, np.isinf, np.isfinite, np.floor, np.ceil, np.rint, np.trunc,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
}


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method != "__call__" or kwargs.get("out") is not None:
        return NotImplemented
    op = UFUNCS.get(ufunc)
    if op is not None:
        return op(*inputs) if not kwargs else NotImplemented
    if ufunc in PLAIN_UFUNCS:
        return Tensor(ufunc(*[_data(x) for x in inputs], **kwargs))
    return NotImplemented


# -- __array_function__ ----------------------------------------------------------
def _reduction(op):
    def apply(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        if out is not None or kwargs:  # where=, initial= …: not supported
            return NotImplemented
        result = op(a, axis=axis, keepdims=bool(keepdims))
        return result if dtype is None else ops.cast(result, dtype)

    return apply


def _moments(op):
    def apply(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        if out is not None or kwargs:
            return NotImplemented
        result = op(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)
        return result if dtype is None else ops.cast(result, dtype)

    return apply


def _scan(op):
    def apply(a, axis=None, dtype=None, out=None):
        if out is not None:
            return NotImplemented
        result = op(a, axis=axis)
        return result if dtype is None else ops.cast(result, dtype)

    return apply


_NO_VALUE = object()


def _clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE, **kwargs):
    if out is not None or kwargs:
        return NotImplemented
    low = min if a_min is _NO_VALUE else a_min
    high = max if a_max is _NO_VALUE else a_max
    return ops.clip(a, None if low is _NO_VALUE else low, None if high is _NO_VALUE else high)


def _where(condition, *choices):
    if not choices:  # np.where(condition) is np.nonzero(condition)
        return np.nonzero(_data(condition))
    if len(choices) != 2:
        return NotImplemented
    return ops.where(condition, *choices)


def _joining(op):
    def apply(arrays, axis=0, out=None, **kwargs):
        if out is not None or kwargs.get("dtype") is not None:
            return NotImplemented
        return op(list(arrays), axis=axis)

    return apply


def _expand_dims(a, axis):
    for single in sorted(axis) if isinstance(axis, (tuple, list)) else (axis,):
        a = ops.expand_dims(a, single)
    return a


def _moveaxis(a, source, destination):
    source = [source] if np.ndim(source) == 0 else list(source)
    destination = [destination] if np.ndim(destination) == 0 else list(destination)
    ndim = np.ndim(_data(a))
    source = [s % ndim for s in source]
    destination = [d % ndim for d in destination]
    order = [n for n in range(ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return ops.transpose(a, order)


def _swapaxes(a, axis1, axis2):
    order = list(range(np.ndim(_data(a))))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return ops.transpose(a, order)


FUNCTIONS = {
    np.sum: _reduction(ops.sum),
    np.mean: _reduction(ops.mean),
    np.prod: _reduction(ops.prod),
    np.max: _reduction(ops.max),
    np.amax: _reduction(ops.max),
    np.min: _reduction(ops.min),
    np.amin: _reduction(ops.min),
    np.var: _moments(ops.var),
    np.std: _moments(ops.std),
    np.cumsum: _scan(ops.cumsum),
    np.cumprod: _scan(ops.cumprod),
    np.clip: _clip,
    np.where: _where,
    np.reshape: lambda a, shape=None, order="C", **kw: (
        ops.reshape(a, kw.get("newshape", shape)) if order == "C" else NotImplemented
    ),
    np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.moveaxis: _moveaxis,
    np.swapaxes: _swapaxes,
    np.expand_dims: _expand_dims,
    np.squeeze: lambda a, axis=None: ops.squeeze(a, axis),
    np.broadcast_to: lambda array, shape, subok=False: ops.broadcast_to(array, shape),
    np.tile: lambda A, reps: ops.tile(A, reps),
    np.concatenate: _joining(ops.concatenate),
    np.stack: _joining(ops.stack),
    np.dot: lambda a, b, out=None: ops.dot(a, b) if out is None else NotImplemented,
    np.matmul: lambda a, b, **kw: ops.matmul(a, b) if not kw else NotImplemented,
    np.tensordot: lambda a, b, axes=2: ops.tensordot(a, b, axes),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.size if axis is None else a.shape[axis],
}

# Functions whose result carries no gradient (indices, booleans, rounding): run on the data.
PLAIN_FUNCTIONS = {
    np.argmax, np.argmin, np.argsort, np.round, np.around, np.any, np.all, np.nonzero,
    np.count_nonzero, np.allclose, np.isclose, np.array_equal, np.result_type,
}


def _array_function(self, func, types, args, kwargs):
    implementation = FUNCTIONS.get(func)
    if implementation is not None:
        return implementation(*args, **kwargs)
    if func in PLAIN_FUNCTIONS:
        result = func(*[_data(a) for a in args], **{k: _data(v) for k, v in kwargs.items()})
        return Tensor(result) if isinstance(result, np.ndarray) else result
    return NotImplemented


def install():
    Tensor.__array_ufunc__ = _array_ufunc
    Tensor.__array_function__ = _array_function
