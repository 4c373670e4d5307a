"""numkeras.backend — the autodiff engine and the Keras backend functions (``import numkeras.backend as K``).

Everything here works on :class:`Tensor` (recorded for differentiation) and on plain
arrays (which become constant tensors). Custom losses, metrics and layers written
against ``K`` in Keras tutorials run unchanged.
"""

import contextlib
import contextvars

import numpy as np

from . import operators as _operators
from . import ops
from .config import (
    epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format,
)
from .ops import (
    abs, batch_dot, binary_crossentropy, cast, categorical_crossentropy, clip, concatenate, cos,
    cumprod, cumsum, dot, elu, exp, expand_dims, hard_sigmoid, l2_normalize, log, log1p,
    log_softmax, logsumexp, max, maximum, min, minimum, pad, prod, relu, reshape, sigmoid, sign,
    sin, softplus, softsign, sparse_categorical_crossentropy, square, squeeze, stack, std, sum,
    tanh, tile, var,
)
from .ops.fused import dense
from .ops.conv import (  # noqa: F401 - Keras backend names
    conv1d, conv2d, conv2d_transpose, conv3d, conv3d_transpose, depthwise_conv2d, local_conv1d, local_conv2d,
    separable_conv1d, separable_conv2d,
)
from .ops.pooling import pool2d, pool3d  # noqa: F401
from .ops.recurrent import rnn  # noqa: F401
from . import symbolic as _symbolic
from .symbolic import SymbolicTensor, is_symbolic
from .tensor import Function, Tensor, Variable, is_recording, no_tape, tape
from .tensor import gradients as _tape_gradients

_operators.install()
from . import numpy_dispatch as _numpy_dispatch  # noqa: E402  (needs the operators)

_numpy_dispatch.install()

_name_counts = {}


def _unique_name(prefix):
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return f"{prefix}_{_name_counts[prefix]}"


def reset_uids():
    """Restarts the automatic name counters (``dense_1``, ``dense_2`` …)."""
    _name_counts.clear()


def get_uid(prefix=""):
    """The next number in the sequence for ``prefix`` (1, 2, …)."""
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return _name_counts[prefix]


def clear_session():
    """Resets layer-name counters, as ``K.clear_session()`` does in Keras."""
    reset_uids()


# -- creation -----------------------------------------------------------------
def variable(value, dtype=None, name=None, constraint=None):
    """A :class:`Variable` holding ``value``, in ``dtype`` (default ``floatx()``, as in Keras).

    Example:
        >>> v = K.variable([[1, 2], [3, 4]])
        >>> K.eval(v).dtype
        dtype('float32')
    """
    return Variable(value, dtype=dtype or floatx(), name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor, optionally broadcast to ``shape``."""
    array = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        array = np.broadcast_to(array, shape).copy()
    return Tensor(array, name=name)


def zeros(shape, dtype=None, name=None):
    """A variable of zeros."""
    return Variable(np.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None):
    """A variable of ones."""
    return Variable(np.ones(shape, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    return Variable(np.zeros_like(_data(x), dtype=dtype), name=name)


def ones_like(x, dtype=None, name=None):
    return Variable(np.ones_like(_data(x), dtype=dtype), name=name)


def eye(size, dtype=None, name=None):
    return Variable(np.eye(size, dtype=dtype or floatx()), name=name)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    from ..utils.random import generator

    return Tensor(generator(seed).uniform(minval, maxval, shape).astype(dtype or floatx()))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from ..utils.random import generator

    return Tensor(generator(seed).normal(mean, stddev, shape).astype(dtype or floatx()))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    from ..utils.random import generator

    return Tensor((generator(seed).random(shape) < p).astype(dtype or floatx()))


# -- values -------------------------------------------------------------------
def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def is_tensor(x):
    return isinstance(x, Tensor)


def eval(x):  # noqa: A001 - Keras name
    """The value of a tensor as an ndarray."""
    return np.array(_data(x))


def get_value(x):
    """The value of a variable as an ndarray (a copy)."""
    return np.array(_data(x))


def batch_get_value(xs):
    """The values of several variables."""
    return [get_value(x) for x in xs]


def set_value(x, value):
    """Sets a variable's value in place (shapes must match)."""
    x.assign(value)


def batch_set_value(tuples):
    """Sets several variables: ``[(variable, value), …]``."""
    for x, value in tuples:
        x.assign(value)


def update(x, new_x):
    x.assign(_data(new_x))
    return x


def update_add(x, increment):
    x.assign(x.data + _data(increment))
    return x


def update_sub(x, decrement):
    x.assign(x.data - _data(decrement))
    return x


def int_shape(x):
    """The shape as a tuple of ints (``None`` for unknown symbolic dimensions)."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def shape(x):
    """The shape of a tensor (as a tuple; numkeras is eager)."""
    return int_shape(x)


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return str(_data(x).dtype) if not hasattr(x, "dtype") else str(x.dtype)


def count_params(x):
    return int(np.prod(int_shape(x)))


# -- math beyond ops ------------------------------------------------------------
def pow(x, a):  # noqa: A001 - Keras name
    """Elementwise ``x ** a``."""
    return ops.power(x, a)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes when None); booleans are averaged as ``floatx()``, as in Keras."""
    if _data(x).dtype == bool:
        x = ops.cast(x, floatx())
    return ops.mean(x, axis=axis, keepdims=keepdims)


def sqrt(x):
    """Elementwise square root; as in Keras, negative inputs are clipped to 0 first."""
    return ops.sqrt(ops.clip(x, 0.0, None))


def softmax(x, axis=-1):
    """Softmax over ``axis`` (the last one by default)."""
    return ops.softmax(x, axis=axis)


def transpose(x):
    """Reverses the axes (matrix transpose for 2D)."""
    return ops.transpose(x)


def permute_dimensions(x, pattern):
    """Permutes the axes of ``x`` according to ``pattern``."""
    return ops.transpose(x, pattern)


def flatten(x):
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """Reshapes ``(batch, ...)`` to ``(batch, prod(...))``."""
    x = _as_tensor(x)
    return ops.reshape(x, (x.shape[0], -1))


def repeat(x, n):
    """``(batch, dim)`` → ``(batch, n, dim)``."""
    return ops.tile(expand_dims(x, 1), (1, n, 1))


def repeat_elements(x, rep, axis):
    x = _as_tensor(x)
    index = [slice(None)] * x.ndim
    index[axis] = np.repeat(np.arange(x.shape[axis]), rep)
    return ops.getitem(x, tuple(index))


def gather(reference, indices):
    """Rows of ``reference`` selected by integer ``indices``."""
    return ops.getitem(_as_tensor(reference), np.asarray(_data(indices), dtype=np.int64))


def one_hot(indices, num_classes):
    """One-hot encoding of integer ``indices``: shape ``indices.shape + (num_classes,)``."""
    indices = np.asarray(_data(indices), dtype=np.int64)
    return Tensor(np.eye(num_classes, dtype=floatx())[indices])


def argmax(x, axis=-1):
    return Tensor(np.argmax(_data(x), axis=axis))


def argmin(x, axis=-1):
    return Tensor(np.argmin(_data(x), axis=axis))


def equal(x, y):
    return Tensor(np.equal(_data(x), _data(y)))


def not_equal(x, y):
    return Tensor(np.not_equal(_data(x), _data(y)))


def greater(x, y):
    return Tensor(np.greater(_data(x), _data(y)))


def greater_equal(x, y):
    return Tensor(np.greater_equal(_data(x), _data(y)))


def less(x, y):
    return Tensor(np.less(_data(x), _data(y)))


def less_equal(x, y):
    return Tensor(np.less_equal(_data(x), _data(y)))


def round(x):  # noqa: A001 - Keras name
    return Tensor(np.round(_data(x)))


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras name
    return Tensor(np.any(_data(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras name
    return Tensor(np.all(_data(x), axis=axis, keepdims=keepdims))


def switch(condition, then_expression, else_expression):
    """Elementwise choice between two tensors (callables are called first)."""
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    cond = _data(condition).astype(bool)
    then_shape = np.shape(_data(then_expression))
    while cond.ndim < len(then_shape):
        cond = cond[..., None]
    return ops.where(cond, then_expression, else_expression)


def in_train_phase(x, alt, training=None):
    if training is None:
        training = learning_phase()
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


_learning_phase = [0]
_phase_in_context = contextvars.ContextVar("numkeras_learning_phase", default=None)


class LearningPhase(int):
    """The int :func:`learning_phase` returns: 0 or 1, and also the learning-phase input of a
    :func:`function` (``K.function([model.input, K.learning_phase()], outputs)``)."""

    def __repr__(self):
        return f"LearningPhase({int(self)})"


def learning_phase():
    """1 while training, 0 otherwise.

    Inside :func:`learning_phase_scope` (``fit`` runs in one) it is that scope's value, for
    this thread (and context) alone; elsewhere the value of :func:`set_learning_phase` (0 by
    default). A ``predict`` in one thread never sees the training phase of a ``fit`` in another.
    The value is a :class:`LearningPhase` (an ``int``), so that, given as an input of
    :func:`function`, it marks where the phase is fed.
    """
    value = _phase_in_context.get()
    return LearningPhase(_learning_phase[0] if value is None else value)


def set_learning_phase(value):
    """Sets the learning phase everywhere outside a :func:`learning_phase_scope` (Keras's global setting)."""
    if value not in (0, 1):
        raise ValueError(f"learning phase must be 0 or 1, got {value!r}.")
    _learning_phase[0] = value


@contextlib.contextmanager
def learning_phase_scope(value):
    """The learning phase is ``value`` inside the block, in this thread (and context) only."""
    if value not in (0, 1):
        raise ValueError(f"learning phase must be 0 or 1, got {value!r}.")
    token = _phase_in_context.set(value)
    try:
        yield
    finally:
        _phase_in_context.reset(token)


def stop_gradient(x):
    """``x`` cut from the graph: no gradient flows through it."""
    return Tensor(_data(x))


def print_tensor(x, message=""):
    print(message, _data(x))
    return x


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def backend():
    """The backend's name: ``'numpy'``."""
    return "numpy"


# -- more of the Keras 2 backend surface -------------------------------------------
def cast_to_floatx(x):
    """``x`` as a NumPy array of ``floatx()``."""
    return np.asarray(_data(x), dtype=floatx())


def identity(x, name=None):
    """A tensor with the same value as ``x``; gradients flow through it."""
    x = _as_tensor(x)
    return ops.reshape(x, x.shape)


def arange(start, stop=None, step=1, dtype="int32"):
    """``np.arange`` as a constant tensor (int32 by default, as in Keras)."""
    return Tensor(np.arange(start, stop, step, dtype=dtype))


def reverse(x, axes):
    """``x`` reversed along ``axes`` (an int or a list of ints)."""
    x = _as_tensor(x)
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    index = [slice(None)] * x.ndim
    for axis in axes:
        index[axis] = slice(None, None, -1)
    return ops.getitem(x, tuple(index))


def bias_add(x, bias, data_format=None):
    """Adds a bias vector (or one bias per feature map) to ``x``.

    Arguments:
        x: tensor of rank ≥ 2, features on the last axis (``channels_last``) or on
            axis 1 (``channels_first``).
        bias: tensor of shape ``(channels,)`` or the full feature shape.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default
            ``image_data_format()``).
    """
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"bias_add: unknown data_format {data_format!r}.")
    x = _as_tensor(x)
    bias_shape = tuple(np.shape(_data(bias)))
    if data_format == "channels_first" and x.ndim > 2:
        if len(bias_shape) == 1:
            bias = ops.reshape(bias, (1, bias_shape[0]) + (1,) * (x.ndim - 2))
        else:
            bias = ops.reshape(bias, (1, bias_shape[-1]) + bias_shape[:-1])
    return ops.add(x, bias)


def dropout(x, level, noise_shape=None, seed=None):
    """Zeroes entries of ``x`` with probability ``level`` and scales the rest by ``1 / (1 - level)``."""
    from ..utils.random import generator

    if not 0 <= level < 1:
        raise ValueError(f"dropout: level must be in [0, 1), got {level!r}.")
    x = _as_tensor(x)
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if n is None else n for i, n in enumerate(noise_shape)
    )
    keep = generator(seed).random(shape) >= level
    return ops.multiply(x, keep.astype(x.dtype) / np.asarray(1 - level, dtype=x.dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    from ..utils.random import generator

    rng = generator(seed)
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return Tensor((mean + stddev * values).astype(dtype or floatx()))


def temporal_padding(x, padding=(1, 1)):
    """Zero-pads the middle (time) axis of a 3D tensor."""
    return ops.pad(x, ((0, 0), tuple(padding), (0, 0)))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zero-pads the two spatial axes of a 4D tensor."""
    data_format = data_format or image_data_format()
    spatial = tuple(tuple(p) for p in padding)
    if data_format == "channels_first":
        return ops.pad(x, ((0, 0), (0, 0)) + spatial)
    return ops.pad(x, ((0, 0),) + spatial + ((0, 0),))


def get_variable_shape(x):
    """The shape of a variable, as a tuple of ints."""
    return int_shape(x)


def moving_average_update(x, value, momentum):
    """``x = x * momentum + value * (1 - momentum)`` in place; returns ``x``."""
    x.assign(x.data * momentum + _data(value) * (1 - momentum))
    return x


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, differentiable in every tensor argument.

    ``beta`` and ``gamma`` may be None.
    """
    out = ops.divide(ops.subtract(x, mean), ops.sqrt(ops.add(var, epsilon)))
    if gamma is not None:
        out = ops.multiply(out, gamma)
    if beta is not None:
        out = ops.add(out, beta)
    return out


@contextlib.contextmanager
def name_scope(name):
    """Accepted for Keras compatibility; numkeras has no graph names to scope."""
    yield


# -- the symbolic side: graphs of Keras tensors ------------------------------------------------
def gradients(loss, variables, grad_output=None):
    """Gradients of ``loss`` with respect to ``variables`` (a list, or one tensor), as a list.

    Eagerly (``loss`` a Tensor recorded on the tape) they are arrays, ``None`` where a
    variable does not reach the loss. When ``loss`` is a symbolic tensor of a graph
    (``model.output[:, c]``, an expression of layer outputs), they are symbolic tensors
    too, computed with the tape whenever the graph runs (in a :func:`function`); the
    variables may then be the graph's inputs, intermediate tensors or weights.

    Example:
        >>> grads = K.gradients(model.output[:, 0], model.input)[0]
        >>> saliency = K.function([model.input], [grads])([images])[0]
    """
    if isinstance(loss, SymbolicTensor):
        single = not isinstance(variables, (list, tuple))
        return _symbolic.gradients(loss, [variables] if single else list(variables))
    return _tape_gradients(loss, variables, grad_output)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input tensor to build a :func:`function` (or a Model) on.

    Arguments:
        shape: the full shape, batch axis included (``None`` where any size is accepted).
        ndim: the number of axes, all of unknown size, when ``shape`` is not given.
        dtype: the dtype (default ``floatx()``).
        sparse: accepted for Keras compatibility (numkeras tensors are dense).
        name: the name of the input.

    Example:
        >>> x = K.placeholder(ndim=2)
        >>> f = K.function([x], [K.softmax(x)])
        >>> f([np.array([[1.0, 2.0]])])[0]
    """
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs a shape (with the batch axis) or an ndim, e.g. ndim=2.")
        shape = (None,) * int(ndim)
    from ..registry import registry

    input_layer = registry("layers").resolve("InputLayer")(
        batch_input_shape=tuple(shape), dtype=dtype, sparse=sparse, name=name)
    return input_layer._inbound_nodes[0].outputs[0]


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of a functional graph (an ``Input`` or a layer's output)."""
    return isinstance(x, SymbolicTensor) and getattr(x, "_keras_history", None) is not None


def is_placeholder(x):
    """Whether ``x`` is a graph input (from ``Input`` or :func:`placeholder`)."""
    history = getattr(x, "_keras_history", None) if isinstance(x, SymbolicTensor) else None
    return bool(history) and getattr(history[0], "is_placeholder", False)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable that evaluates symbolic ``outputs`` from values of symbolic ``inputs``.

    Arguments:
        inputs: a list of graph inputs (``model.input``, ``K.placeholder(...)``), plus
            optionally ``K.learning_phase()``, fed with 0 (test) or 1 (training).
        outputs: a list of symbolic tensors of the same graph (``layer.output``, an
            expression of them, ``K.gradients(...)``).
        updates: a list of ``(variable, new value)`` pairs, assigned after each call.
        name: accepted for Keras compatibility.

    Returns:
        ``f(values) -> list of ndarrays`` (one per output), where ``values`` is a list with
        one array per input.

    Example:
        >>> get_hidden = K.function([model.input, K.learning_phase()], [model.layers[1].output])
        >>> hidden = get_hidden([x, 0])[0]
    """
    if kwargs:
        raise TypeError(f"K.function: unexpected keyword argument(s) {sorted(kwargs)} (numkeras runs eagerly).")
    return _symbolic.graph_function(inputs, outputs, updates)


#: The backend functions that build a graph node when given a symbolic tensor (see ``symbolic``).
SYMBOLIC_FUNCTIONS = (
    "abs", "all", "any", "argmax", "argmin", "batch_dot", "batch_flatten", "batch_normalization",
    "bias_add", "binary_crossentropy", "cast", "categorical_crossentropy", "clip", "concatenate",
    "conv1d", "conv2d", "conv2d_transpose", "conv3d", "cos", "cumprod", "cumsum", "dense",
    "depthwise_conv2d", "dot", "elu", "equal", "exp", "expand_dims", "flatten", "gather", "greater",
    "greater_equal", "hard_sigmoid", "identity", "l2_normalize", "less", "less_equal", "log", "log1p",
    "log_softmax", "logsumexp", "max", "maximum", "mean", "min", "minimum", "not_equal", "one_hot",
    "pad", "permute_dimensions", "pool2d", "pool3d", "pow", "prod", "relu", "repeat",
    "repeat_elements", "reshape", "reverse", "round", "separable_conv1d", "separable_conv2d",
    "sigmoid", "sign", "sin", "softmax", "softplus", "softsign", "sparse_categorical_crossentropy",
    "spatial_2d_padding", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient", "sum",
    "tanh", "temporal_padding", "tile", "transpose", "var",
)
for _name in SYMBOLIC_FUNCTIONS:
    globals()[_name] = _symbolic.symbolic_aware(globals()[_name])
del _name
