"""Symbolic tensors in the backend: what a ``K`` function does when it is given a graph tensor.

Keras 2 scripts apply backend functions to the tensors of a functional graph
(``K.square(z_mean)``, ``1 + z_log_var``, ``model.output[:, c]``) and use the result
as a graph tensor: a loss for ``Model.add_loss``, an output of ``K.function``, the
``loss`` of ``K.gradients``. tf.keras 2 wraps each such op into a layer; numkeras does
the same:

* :class:`SymbolicTensor` is the base of the engine's ``KerasTensor``. Its Python
  operators (``+ - * / ** @ []``, unary ``-``, ``abs``, ``< <= > >=``) and the NumPy
  ufuncs and functions that Tensors implement (``np.exp(x)``, ``np.mean(x, axis=-1)``,
  the tables of :mod:`~numkeras.backend.numpy_dispatch`) become graph ops;
  ``==`` / ``!=`` stay identity comparisons, because the engine keeps graph tensors in
  lists and dicts. NumPy conversion, ``bool()``, ``float()`` and iteration raise a
  ``TypeError`` that says what to do instead.
* :func:`symbolic_aware` wraps a backend function so that, when any argument (or an
  element of a list / tuple argument) is a ``SymbolicTensor``, the call becomes a node of
  the graph instead of computing. On real data the wrapper costs one ``isinstance`` test
  per argument; the ops themselves (``backend.ops``) are not wrapped, so layers that call
  them in their forward pass pay nothing.
* The node is made by the engine's ``BackendOp`` layer, which the backend cannot import
  (it is a layer above); it is found through the ``layers`` registry under
  :data:`OP_LAYER`, as every other component is.
"""

import functools

import numpy as np

from . import numpy_dispatch, ops

#: The registered names of the engine layers the backend asks for.
OP_LAYER = "BackendOp"
GRADIENTS_LAYER = "SymbolicGradients"


class SymbolicValueError(TypeError):
    """A symbolic tensor was used where a value is needed (``np.asarray``, ``bool``, ``float``)."""


class SymbolicTensor:
    """A tensor of a graph, with a static ``shape`` (``None`` where unknown) and a ``dtype``; no value.

    Backend functions and operators applied to it return new symbolic tensors (graph nodes).
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.exp(x)``, ``array * x`` …: a graph op, for the ufuncs numkeras differentiates."""
        if method != "__call__" or kwargs or (ufunc not in numpy_dispatch.UFUNCS
                                              and ufunc not in numpy_dispatch.PLAIN_UFUNCS):
            return NotImplemented
        return apply(ufunc, inputs)

    def __array_function__(self, func, types, args, kwargs):
        """``np.mean(x, axis=-1)`` …: a graph op for the functions numkeras implements on Tensors."""
        if func is np.shape:
            return self.shape
        if func is np.ndim:
            return len(self.shape)
        if func not in numpy_dispatch.FUNCTIONS and func not in numpy_dispatch.PLAIN_FUNCTIONS:
            return NotImplemented
        return apply(func, args, kwargs)

    def _no_value(self, what):
        raise SymbolicValueError(
            f"{what} needs a value, and {self!r} is a symbolic tensor of a graph: it has none until the "
            f"graph runs. Build a Model or a K.function on it and call that, or compute inside a layer "
            f"(a Lambda layer's function receives real tensors)."
        )

    def __array__(self, dtype=None, copy=None):
        self._no_value("Converting to a NumPy array")

    def __bool__(self):
        self._no_value("A truth value (if / and / or)")

    def __float__(self):
        self._no_value("float()")

    def __int__(self):
        self._no_value("int()")

    def __iter__(self):
        raise TypeError(
            f"{self!r} is a symbolic tensor and cannot be iterated over; index it (x[:, 0]) instead."
        )

    def __len__(self):
        raise TypeError(
            f"len() of the symbolic tensor {self!r} is not defined; use K.int_shape(x) for its static shape."
        )

    __hash__ = object.__hash__

    # -- operators: each one is a graph op --------------------------------------------------
    def __add__(self, other):
        return apply(ops.add, (self, other))

    def __radd__(self, other):
        return apply(ops.add, (other, self))

    def __sub__(self, other):
        return apply(ops.subtract, (self, other))

    def __rsub__(self, other):
        return apply(ops.subtract, (other, self))

    def __mul__(self, other):
        return apply(ops.multiply, (self, other))

    def __rmul__(self, other):
        return apply(ops.multiply, (other, self))

    def __truediv__(self, other):
        return apply(ops.divide, (self, other))

    def __rtruediv__(self, other):
        return apply(ops.divide, (other, self))

    def __pow__(self, other):
        return apply(ops.power, (self, other))

    def __rpow__(self, other):
        return apply(ops.power, (other, self))

    def __matmul__(self, other):
        return apply(ops.matmul, (self, other))

    def __rmatmul__(self, other):
        return apply(ops.matmul, (other, self))

    def __neg__(self):
        return apply(ops.negative, (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return apply(ops.abs, (self,))

    def __getitem__(self, index):
        return apply(ops.getitem, (self, index))

    def __lt__(self, other):
        return apply(np.less, (self, other))

    def __le__(self, other):
        return apply(np.less_equal, (self, other))

    def __gt__(self, other):
        return apply(np.greater, (self, other))

    def __ge__(self, other):
        return apply(np.greater_equal, (self, other))


_MAY_HOLD_SYMBOLIC = (SymbolicTensor, list, tuple)  # one isinstance test per argument on the eager path


def is_symbolic(value):
    """Whether ``value`` is a symbolic tensor, or a list / tuple holding one."""
    if isinstance(value, SymbolicTensor):
        return True
    if type(value) in (list, tuple):
        for item in value:
            if isinstance(item, SymbolicTensor):
                return True
    return False


def _op_layer(name):
    from ..registry import registry

    return registry("layers").resolve(name)


def apply(function, args, kwargs=None):
    """``function(*args, **kwargs)`` as a node of the graph of the symbolic tensors among ``args``.

    Returns:
        The symbolic tensor the node outputs.
    """
    return _op_layer(OP_LAYER).apply_symbolic(function, tuple(args), dict(kwargs or {}))


def symbolic_aware(function):
    """``function`` made to build a graph node when an argument is a :class:`SymbolicTensor`.

    Example:
        >>> square = symbolic_aware(ops.square)
        >>> square(Input((3,)))          # a KerasTensor of shape (None, 3), made by a BackendOp layer
    """

    @functools.wraps(function)
    def dispatch(*args, **kwargs):
        for value in args:
            if isinstance(value, _MAY_HOLD_SYMBOLIC) and is_symbolic(value):
                return apply(dispatch, args, kwargs)
        if kwargs:
            for value in kwargs.values():
                if isinstance(value, SymbolicTensor):
                    return apply(dispatch, args, kwargs)
        return function(*args, **kwargs)

    dispatch.symbolic_aware = True
    return dispatch


def gradients(loss, variables):
    """Symbolic gradients of the symbolic ``loss`` with respect to each of ``variables``."""
    return _op_layer(GRADIENTS_LAYER).apply_symbolic(loss, variables)


def graph_function(inputs, outputs, updates=None):
    """``K.function``: a callable evaluating the graph between symbolic ``inputs`` and ``outputs``."""
    return _op_layer(OP_LAYER).graph_function(inputs, outputs, updates)


__all__ = ["SymbolicTensor", "SymbolicValueError", "symbolic_aware", "is_symbolic", "apply", "gradients", "graph_function",
           "OP_LAYER", "GRADIENTS_LAYER"]
