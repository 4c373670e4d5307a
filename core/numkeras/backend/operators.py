"""Python operators on ``Tensor`` (``+``, ``*``, ``@``, ``[]``, comparisons …), wired to the ops."""

import numpy as np

from . import ops
from .symbolic import SymbolicValueError
from .tensor import Tensor


def _compare(ufunc):
    def compare(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(ufunc(self.data, other))

    return compare


def _binary(op, reflected=False):
    """``op`` as a binary operator (``reflected``: with the operands swapped) that yields to a
    graph tensor on the other side.

    ``K.variable(...) * keras_tensor``: converting the graph tensor raises
    ``SymbolicValueError`` before anything is computed; returning ``NotImplemented`` lets
    Python call the graph tensor's reflected operator. The ``try`` costs nothing on the
    eager path (Python 3.11+), and the operator calls the op directly, as the plain
    operator did: no extra call per operation.
    """
    if reflected:
        def operator(a, b):
            try:
                return op(b, a)
            except SymbolicValueError:
                return NotImplemented
    else:
        def operator(a, b):
            try:
                return op(a, b)
            except SymbolicValueError:
                return NotImplemented
    return operator


def _pow(a, b):
    try:
        return ops.square(a) if (np.isscalar(b) and b == 2) else ops.power(a, b)
    except SymbolicValueError:
        return NotImplemented


def install():
    T = Tensor
    T.__add__ = _binary(ops.add)
    T.__radd__ = _binary(ops.add, reflected=True)
    T.__sub__ = _binary(ops.subtract)
    T.__rsub__ = _binary(ops.subtract, reflected=True)
    T.__mul__ = _binary(ops.multiply)
    T.__rmul__ = _binary(ops.multiply, reflected=True)
    T.__truediv__ = _binary(ops.divide)
    T.__rtruediv__ = _binary(ops.divide, reflected=True)
    T.__pow__ = _pow
    T.__rpow__ = _binary(ops.power, reflected=True)
    T.__matmul__ = _binary(ops.matmul)
    T.__rmatmul__ = _binary(ops.matmul, reflected=True)
    T.__neg__ = lambda a: ops.negative(a)
    T.__pos__ = lambda a: a
    T.__abs__ = lambda a: ops.abs(a)
    T.__getitem__ = lambda a, index: ops.getitem(a, index)
    T.__lt__ = _compare(np.less)
    T.__le__ = _compare(np.less_equal)
    T.__gt__ = _compare(np.greater)
    T.__ge__ = _compare(np.greater_equal)
    T.__eq__ = _compare(np.equal)
    T.__ne__ = _compare(np.not_equal)
    T.T = property(lambda a: ops.transpose(a))
    T.reshape = lambda a, *shape: ops.reshape(a, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)
    T.sum = lambda a, axis=None, keepdims=False: ops.sum(a, axis, keepdims)
    T.mean = lambda a, axis=None, keepdims=False: ops.mean(a, axis, keepdims)
    T.max = lambda a, axis=None, keepdims=False: ops.max(a, axis, keepdims)
    T.min = lambda a, axis=None, keepdims=False: ops.min(a, axis, keepdims)
    T.transpose = lambda a, *axes: ops.transpose(a, axes[0] if len(axes) == 1 else (axes or None))
