"""Neural-network ops: softmax and the fused, numerically stable cross-entropies.

This module remembers, for every live ``softmax`` and ``sigmoid`` output, the
logits and the op that made it (:class:`_Origins`, a side table owned here, not
a field of ``Tensor``), so ``categorical_crossentropy`` / ``binary_crossentropy``
on a probability output compute from the logits instead: exact where
``log(softmax)`` would underflow, and one cheap backward (``softmax - target``)
instead of three. tf.keras makes the same substitution. A softmax also keeps the
log-sum-exp it computed, so the cross-entropy on its output takes its
log-probabilities and probabilities from it rather than computing them again.
The table works the same with the tape off (``evaluate``), where an output keeps
no reference to the op that made it.
"""

import weakref

import numpy as np

from .. import config
from ..tensor import Function, Tensor
from ._util import operand
from .arithmetic import divide
from .elementwise import Sigmoid, clip, log, maximum, sqrt, square, stable_sigmoid
from .reductions import sum as reduce_sum
from .shape import transpose


def _log_softmax(z, axis):
    shifted = z - np.maximum.reduce(z, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, z):
        self.shifted = z - np.maximum.reduce(z, axis=self.axis, keepdims=True)
        e = np.exp(self.shifted)
        self.total = np.add.reduce(e, axis=self.axis, keepdims=True)
        self.y = np.divide(e, self.total, out=e)
        return self.y

    def log_probabilities(self):
        """``log(softmax(z))`` from this forward's sums, exact where the probabilities underflow.

        The same numbers as ``_log_softmax(z, axis)``; for a cross-entropy on this softmax's output.
        """
        return self.shifted - np.log(self.total)

    def backward(self, g):
        y = self.y
        return (y * (g - np.add.reduce(g * y, axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, z):
        self.y = _log_softmax(z, self.axis)
        return self.y

    def backward(self, g):
        return (g - np.exp(self.y) * np.add.reduce(g, axis=self.axis, keepdims=True),)


class _FromLogits(Function):
    """A cross-entropy on ``log_softmax(logits)``: from the softmax that made its input, if given."""

    def __init__(self, axis, softmax=None):
        self.axis, self.softmax = axis, softmax

    def _log_softmax(self, logits):
        if self.softmax is not None:
            return self.softmax.log_probabilities()
        return _log_softmax(logits, self.axis)

    def _probabilities(self):
        return self.softmax.y.copy() if self.softmax is not None else np.exp(self.log_p)


class SoftmaxCrossEntropy(_FromLogits):
    """``-sum(target * log_softmax(logits), axis)`` as one op."""

    def forward(self, logits, target):
        self.log_p, self.target = self._log_softmax(logits), target
        return -np.add.reduce(target * self.log_p, axis=self.axis)

    def backward(self, g):
        g = g.reshape([1 if i == self.axis % self.log_p.ndim else n for i, n in enumerate(self.log_p.shape)])
        g_logits = g_target = None
        if self.needs_grad[0]:
            total = np.add.reduce(self.target, axis=self.axis, keepdims=True)
            g_logits = self._probabilities()
            g_logits *= total
            g_logits -= self.target
            g_logits *= g
        if self.needs_grad[1]:
            g_target = -g * self.log_p
        return g_logits, g_target


class SparseSoftmaxCrossEntropy(_FromLogits):
    """``-log_softmax(logits)[label]`` over the last axis, labels as integers."""

    def __init__(self, softmax=None):
        super().__init__(-1, softmax)

    def forward(self, logits, labels):
        self.log_p = self._log_softmax(logits)
        self.labels = labels
        return -_at_labels(self.log_p, labels)

    def backward(self, g):
        grad = self._probabilities()
        if grad.ndim == 2:
            grad[np.arange(len(self.labels)), self.labels] -= 1
        else:
            np.put_along_axis(grad, self.labels[..., None], _at_labels(grad, self.labels)[..., None] - 1, axis=-1)
        grad *= g[..., None]
        return grad, None


def _at_labels(array, labels):
    """Each row's entry at its label: ``array[..., labels]`` taken elementwise over the leading axes."""
    if array.ndim == 2:
        return array[np.arange(len(labels)), labels]
    return np.take_along_axis(array, labels[..., None], axis=-1)[..., 0]


class SigmoidCrossEntropy(Function):
    """``-(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z)))`` elementwise, computed stably."""

    def __init__(self, probabilities=None):
        self.probabilities = probabilities  # sigmoid(logits) when the caller already has it

    def forward(self, logits, target):
        self.logits, self.target = logits, target
        return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))

    def backward(self, g):
        g_logits = g_target = None
        if self.needs_grad[0]:
            p = self.probabilities if self.probabilities is not None else stable_sigmoid(self.logits)
            g_logits = g * (p - self.target)
        if self.needs_grad[1]:
            g_target = -g * self.logits
        return g_logits, g_target


class _Origins:
    """The op and the logits behind each live softmax / sigmoid output, for the cross-entropies.

    Keyed by ``id(output)``, each entry dropped by a weak reference's callback when its
    output is freed, so an entry lives exactly as long as its tensor. The tensor itself
    cannot be the key: its ``==`` is elementwise, and a ``WeakKeyDictionary`` compares
    keys with ``==``.
    """

    def __init__(self):
        self._entries = {}

    def remember(self, output, function, logits):
        key = id(output)
        self._entries[key] = (weakref.ref(output, lambda _, key=key: self._entries.pop(key, None)),
                              function, logits)

    def of(self, output):
        """``(function, logits)`` that made ``output``, or None."""
        entry = self._entries.get(id(output))
        if entry is None or entry[0]() is not output:
            return None
        return entry[1:]


_origins = _Origins()


def softmax(x, axis=-1):
    """Softmax over ``axis``. The result's logits (and op) are remembered for fused cross-entropy."""
    x = operand(x)
    function = Softmax(axis)
    y = function.apply(x)
    _origins.remember(y, function, x)
    return y


def sigmoid(x):
    """Logistic sigmoid. The result's logits (and op) are remembered for fused cross-entropy."""
    x = operand(x)
    function = Sigmoid()
    y = function.apply(x)
    _origins.remember(y, function, x)
    return y


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed without underflow."""
    return LogSoftmax(axis).apply(operand(x))


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``, as Keras defines it (all axes when None)."""
    x = operand(x)
    square_sum = reduce_sum(square(x), axis=axis, keepdims=True)
    return divide(x, sqrt(maximum(square_sum, 1e-12)))


def _origin(output, function_class, axis=None):
    """``(logits, op)``: what a ``function_class`` op (over ``axis``) computed ``output`` from, else ``(None, None)``.

    The op is given only while its forward values are ``output``'s own, so that a
    cross-entropy may use them.
    """
    origin = _origins.of(output)
    if origin is None or type(origin[0]) is not function_class:
        return None, None
    op, logits = origin
    if axis is not None and op.axis % output.ndim != axis % output.ndim:
        return None, None
    return logits, (op if op.y is output.data else None)


def _like(target, output):
    """A NumPy ``target`` in the dtype of ``output``, so float64 labels keep a float32 loss float32."""
    if isinstance(target, np.ndarray) and target.dtype != output.dtype:
        return target.astype(output.dtype)
    return target


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) ``target`` and ``output`` over ``axis``.

    ``output`` is a probability distribution unless ``from_logits``; a softmax output
    is computed from its logits. Otherwise ``output`` is renormalised and clipped to
    ``[epsilon, 1 - epsilon]`` as Keras 2 does.
    """
    output = operand(output)
    target = _like(operand(target), output)
    logits, op = (output, None) if from_logits else _origin(output, Softmax, axis)
    if logits is not None:
        return SoftmaxCrossEntropy(axis, op).apply(logits, target)
    output = output / reduce_sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    return -reduce_sum(target * log(clip(output, eps, 1.0 - eps)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy with integer class ``target``; classes lie along ``axis`` of ``output``.

    ``target`` has the shape of ``output`` without the class axis, or with a trailing 1.
    """
    output = operand(output)
    class_axis = axis % output.ndim
    logits, op = (output, None) if from_logits else _origin(output, Softmax, axis)
    if logits is None:
        eps = config.epsilon()
        output = output / reduce_sum(output, axis=class_axis, keepdims=True)
        logits = log(clip(output, eps, 1.0 - eps))
    if class_axis != output.ndim - 1:
        logits, op = transpose(logits, [a for a in range(output.ndim) if a != class_axis] + [class_axis]), None
    num_classes = logits.shape[-1]
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim == output.ndim:
        labels = labels[..., 0]
    labels = labels.astype(np.int64, copy=False)
    if labels.shape != logits.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: target of shape {np.shape(target)} does not match "
            f"output of shape {output.shape}; expected {logits.shape[:-1]} (or with a trailing 1)."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must be in [0, {num_classes}) for an "
            f"output with {num_classes} classes; got labels from {labels.min()} to {labels.max()}."
        )
    return SparseSoftmaxCrossEntropy(op).apply(logits, labels)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy; a sigmoid ``output`` is computed from its logits."""
    target, output = operand(target), operand(output)
    logits, op = (output, None) if from_logits else _origin(output, Sigmoid)
    probabilities = op.y if op is not None else None
    if logits is None:
        eps = config.epsilon()
        p = clip(output, eps, 1.0 - eps)
        logits = log(p / (1.0 - p))
    return SigmoidCrossEntropy(probabilities).apply(logits, _like(target, logits))
