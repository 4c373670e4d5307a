"""The autodiff core: ``Tensor``, ``Function`` (one differentiable op) and the tape.

Define-by-run reverse mode. Every op is a :class:`Function` whose ``forward``
works on NumPy arrays and whose ``backward`` maps the output gradient to one
gradient per input. While the tape is recording and any input requires a
gradient, the output ``Tensor`` keeps a reference to the function that made it
(``creator``); :func:`gradients` walks those references in reverse topological
order, without recursion, summing the gradients of a tensor used twice.

Calling ``backward()`` twice on the same graph is allowed: nothing is freed,
and the gradients of the leaves accumulate into ``.grad`` (as in PyTorch).
"""

import math
import threading

import numpy as np

from . import config
from .blas import column_sums

class _TapeState(threading.local):
    recording = True  # per thread: a no_tape() predict in one thread never stops another's training


_state = _TapeState()


def is_recording():
    """True while operations are recorded for differentiation."""
    return _state.recording


class _Recording:
    """The context manager of :func:`no_tape` and :func:`tape`: sets this thread's recording, then restores it.

    A class rather than ``contextlib.contextmanager``: ``predict_on_batch`` enters one per
    call, and a generator-based manager costs a few microseconds more each time.
    """

    __slots__ = ("recording", "previous")

    def __init__(self, recording):
        self.recording = recording

    def __enter__(self):
        self.previous = _state.recording
        _state.recording = self.recording

    def __exit__(self, *exc_info):
        _state.recording = self.previous


def no_tape():
    """Context manager that turns recording off (inference mode).

    Example:
        >>> with no_tape():
        ...     y = model(x)      # no graph is kept, no gradients flow
    """
    return _Recording(False)


def tape():
    """Context manager that turns recording on, even inside :func:`no_tape`."""
    return _Recording(True)


def _as_array(value, dtype=None):
    """An ndarray for ``value``; Python floats become floatx, not float64."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value if dtype is None else value.astype(dtype, copy=False)
    if dtype is None and isinstance(value, float):
        dtype = config.floatx()
    return np.asarray(value, dtype=dtype)


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Arguments:
        data: array-like. Python floats and float lists become ``K.floatx()``;
            NumPy arrays keep their dtype.
        requires_grad: whether gradients should flow to this tensor.
        name: optional name, used in error messages and ``repr``.
    """

    __slots__ = ("data", "grad", "requires_grad", "creator", "name", "__weakref__")
    __array_priority__ = 1000
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False, name=None):
        if isinstance(data, Tensor):
            data = data.data
        elif not isinstance(data, np.ndarray):
            array = np.asarray(data)
            if array.dtype.kind == "f" and array.dtype != config.floatx_dtype():
                array = array.astype(config.floatx())
            data = array
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.name = name

    @classmethod
    def _from_op(cls, data, creator):
        tensor = cls.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = creator is not None
        tensor.creator = creator
        tensor.name = None
        return tensor

    # -- array-like surface -------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def numpy(self):
        """The underlying ndarray (not a copy)."""
        return self.data

    def item(self):
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self.data.astype(dtype, copy=bool(copy))
        return self.data.copy() if copy else self.data

    def __len__(self):
        return len(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"Tensor({np.array2string(self.data, threshold=20)}, dtype={self.dtype}{grad}{name})"

    def astype(self, dtype):
        from .ops import cast

        return cast(self, dtype)

    def detach(self):
        """A tensor sharing the data, cut from the graph."""
        return Tensor(self.data)

    # -- differentiation ---------------------------------------------------
    def backward(self, grad=None):
        """Accumulates d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires it.

        Arguments:
            grad: gradient of some scalar with respect to this tensor; defaults to
                ones (so a scalar loss needs no argument).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require gradients: none of its "
                "inputs required gradients, or it was computed with the tape off (no_tape)."
            )
        for leaf, leaf_grad in _backpropagate(self, grad).values():
            # A copy: ops may hand back read-only broadcast views, or one array for two leaves.
            leaf.grad = np.array(leaf_grad) if leaf.grad is None else leaf.grad + leaf_grad


class Variable(Tensor):
    """A trainable tensor that persists across steps: the weights of layers and optimizers.

    Arguments:
        value: initial value (array-like).
        dtype: defaults to ``K.floatx()`` for float values.
        name: the weight's name, e.g. ``'dense_1/kernel:0'``.
        trainable: whether an optimizer updates it.
        constraint: optional callable applied to the value after each update.
    """

    __slots__ = ("trainable", "constraint", "regularizer")

    def __init__(self, value, dtype=None, name=None, trainable=True, constraint=None):
        array = _as_array(value, dtype)
        if dtype is None and array.dtype.kind == "f" and array.dtype != config.floatx_dtype():
            array = array.astype(config.floatx())
        super().__init__(np.array(array, copy=True), requires_grad=True, name=name)
        self.trainable = trainable
        self.constraint = constraint
        self.regularizer = None

    def assign(self, value):
        """Replaces the value in place, keeping dtype; shapes must match."""
        value = _as_array(value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable "
                f"{self.name or ''} of shape {self.data.shape}."
            )
        self.data[...] = value

    def __repr__(self):
        return f"<Variable {self.name or ''} shape={self.shape} dtype={self.dtype}>"


class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(*arrays) -> array`` and
    ``backward(grad_output) -> tuple`` with one gradient (or ``None``) per input.
    ``forward`` stores on ``self`` only what ``backward`` needs; ``backward`` may read
    ``self.needs_grad`` to skip gradients nobody asked for. ``forward`` may read
    ``self.recorded``: ``False`` when ``apply`` will not record the op (the tape is off,
    or no input requires a gradient), so nothing that only ``backward`` reads (a ReLU's
    mask, max pooling's winners) need be computed. (``True`` for a ``forward`` called
    outside ``apply``.)
    """

    recorded = True

    def apply(self, *inputs):
        """Runs forward on the inputs (Tensors or arrays) and records the op if needed."""
        needs_grad = None
        if _state.recording:
            needs_grad = tuple([isinstance(x, Tensor) and x.requires_grad for x in inputs])
            if True not in needs_grad:
                needs_grad = None
        self.recorded = needs_grad is not None
        output = self.forward(*[x.data if isinstance(x, Tensor) else x for x in inputs])
        if needs_grad is not None:
            self.inputs = inputs
            self.needs_grad = needs_grad
            return Tensor._from_op(output, self)
        return Tensor._from_op(output, None)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"


def unbroadcast(grad, shape):
    """Sums ``grad`` over the axes that broadcasting added to an array of ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        if grad.size and grad.flags.c_contiguous:  # the leading axes are rows of one 2-D array
            grad = column_sums(grad.reshape(-1, math.prod(grad.shape[extra:]))).reshape(grad.shape[extra:])
        else:
            grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    """Tensors reachable from ``root`` through recorded ops, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        creator = tensor.creator
        if creator is not None:
            for x, needed in zip(creator.inputs, creator.needs_grad):
                if needed and id(x) not in visited:
                    stack.append((x, False))
    return order


def _backpropagate(output, grad_output=None, also_for=None):
    """``{id: (tensor, gradient)}`` for every leaf, and every tensor in ``also_for``."""
    if grad_output is None:
        grad_output = np.ones_like(output.data)
    else:
        grad_output = _as_array(grad_output, output.dtype)
        if grad_output.shape != output.shape:
            grad_output = np.broadcast_to(grad_output, output.shape)
    wanted = {id(t) for t in also_for} if also_for else ()
    grads = {id(output): grad_output}
    found = {}
    for tensor in reversed(_topological_order(output)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        creator = tensor.creator
        if creator is None or id(tensor) in wanted:
            found[id(tensor)] = (tensor, grad)
        if creator is None:
            continue
        input_grads = creator.backward(grad)
        for x, needed, g in zip(creator.inputs, creator.needs_grad, input_grads):
            if not needed or g is None:
                continue
            key = id(x)
            previous = grads.get(key)
            grads[key] = g if previous is None else previous + g
    return found


def gradients(loss, variables, grad_output=None):
    """Gradients of ``loss`` with respect to each of ``variables`` (``None`` where unconnected).

    Arguments:
        loss: a Tensor recorded on the tape (usually a scalar).
        variables: a list of Tensors (leaves or intermediate tensors), or one Tensor.
        grad_output: optional seed gradient, defaults to ones.

    Returns:
        A list of ndarrays, one per variable, in order (a list of one for a single
        Tensor, as ``tf.gradients`` returns).
    """
    if isinstance(variables, Tensor):
        variables = [variables]
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        return [None for _ in variables]
    found = _backpropagate(loss, grad_output, also_for=variables)
    return [found[id(v)][1] if id(v) in found else None for v in variables]
