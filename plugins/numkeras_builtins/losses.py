"""Built-in losses: the 14 Keras 2.2 objectives, with the exact formulas of Keras's ``losses.py``.

Each function returns one value per sample (the mean over the last axis, where the
formula averages), so sample weights apply per sample. The cross-entropies take
``from_logits``; on a softmax / sigmoid output they compute from the logits
(see :mod:`numkeras.backend.ops.nn`): the same value away from the clipping region,
exact where Keras's ``log(clip(p))`` would saturate.

The tf.keras class forms (``MeanSquaredError()``, ``BinaryCrossentropy(from_logits=True)``
…) wrap the same functions in a :class:`~numkeras.losses.Loss`.
"""

import numpy as np

from numkeras import backend as K
from numkeras.losses import LossFunctionWrapper


_TENSORS = (K.Tensor, K.SymbolicTensor)  # graph tensors pass: the K functions below make graph ops of them


def _pair(y_true, y_pred):
    """Both as Tensors: ``y_pred`` in a float type (``floatx()`` for integers), ``y_true`` cast to it."""
    if not isinstance(y_pred, _TENSORS):
        y_pred = K.Tensor(y_pred)  # lists of floats become floatx(); arrays keep their dtype
    if y_pred.dtype.kind != "f":
        y_pred = K.cast(y_pred, K.floatx())
    if not isinstance(y_true, _TENSORS):
        y_true = K.Tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = K.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / clip(abs(y_true), epsilon, None)), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = K.abs((y_true - y_pred) / K.clip(K.abs(y_true), K.epsilon(), None))
    return 100.0 * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(clip(y_pred, eps) + 1) - log(clip(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    first_log = K.log(K.clip(y_pred, K.epsilon(), None) + 1.0)
    second_log = K.log(K.clip(y_true, K.epsilon(), None) + 1.0)
    return K.mean(K.square(first_log - second_log), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; targets are -1 or 1."""
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.square(K.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; targets are -1 or 1."""
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(0, max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(0.0, neg - pos + 1.0)


def logcosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2`` (no overflow)."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return K.mean(x + K.softplus(-2.0 * x) - np.log(2.0).astype(x.dtype), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """``-sum(y_true * log(y_pred), axis=-1)`` with ``y_pred`` renormalised and clipped to [eps, 1-eps].

    Arguments:
        from_logits: ``y_pred`` are logits, not probabilities.
        label_smoothing: mixes the one-hot targets with the uniform distribution.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer class targets (``(samples,)`` or ``(samples, 1)``).

    Raises:
        ValueError: labels outside ``[0, classes)`` or of a shape that does not match ``y_pred``.
    """
    if not isinstance(y_pred, _TENSORS):
        y_pred = K.Tensor(y_pred)
    return K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """``mean(-(y_true * log(y_pred) + (1 - y_true) * log(1 - y_pred)), axis=-1)``, y_pred clipped to [eps, 1-eps]."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return K.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=-1)


def kullback_leibler_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [eps, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1)
    y_pred = K.clip(y_pred, K.epsilon(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=-1)``: -1 for parallel vectors."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = K.l2_normalize(y_true, axis=axis)
    y_pred = K.l2_normalize(y_pred, axis=axis)
    return -K.sum(y_true * y_pred, axis=axis)


# What each loss's targets are (see numkeras.engine.objective): ``metrics=['acc']`` picks the
# matching accuracy from it, and fit checks the target shapes against it.
categorical_crossentropy.target_kind = "one_hot"
sparse_categorical_crossentropy.target_kind = "sparse"
binary_crossentropy.target_kind = "binary"


# -- tf.keras class forms ---------------------------------------------------------
def _loss_class(class_name, fn, default_name, doc):
    """A :class:`LossFunctionWrapper` subclass for ``fn`` whose constructor takes only ``fn``'s options."""

    def __init__(self, reduction="sum_over_batch_size", name=default_name):
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name)

    cls = type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})
    return cls


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                               "Loss object for :func:`mean_squared_error`.")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                "Loss object for :func:`mean_absolute_error`.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error",
    "Loss object for :func:`mean_absolute_percentage_error`.")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    "Loss object for :func:`mean_squared_logarithmic_error`.")
Hinge = _loss_class("Hinge", hinge, "hinge", "Loss object for :func:`hinge`.")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge", "Loss object for :func:`squared_hinge`.")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                               "Loss object for :func:`categorical_hinge`.")
LogCosh = _loss_class("LogCosh", logcosh, "log_cosh", "Loss object for :func:`logcosh`.")
KLDivergence = _loss_class("KLDivergence", kullback_leibler_divergence, "kl_divergence",
                           "Loss object for :func:`kullback_leibler_divergence`.")
Poisson = _loss_class("Poisson", poisson, "poisson", "Loss object for :func:`poisson`.")


class BinaryCrossentropy(LossFunctionWrapper):
    """Loss object for :func:`binary_crossentropy`.

    Arguments:
        from_logits: ``y_pred`` are logits rather than probabilities.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + 0.5 * s``.
        reduction, name: as for :class:`~numkeras.losses.Loss`.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        _check_smoothing(type(self).__name__, label_smoothing)
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Loss object for :func:`categorical_crossentropy`.

    Arguments:
        from_logits: ``y_pred`` are logits rather than probabilities.
        label_smoothing: in ``[0, 1]``; targets become ``t * (1 - s) + s / classes``.
        reduction, name: as for :class:`~numkeras.losses.Loss`.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        _check_smoothing(type(self).__name__, label_smoothing)
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Loss object for :func:`sparse_categorical_crossentropy` (integer class targets).

    Arguments:
        from_logits: ``y_pred`` are logits rather than probabilities.
        reduction, name: as for :class:`~numkeras.losses.Loss`.
    """

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits)


class CosineSimilarity(LossFunctionWrapper):
    """Loss object for :func:`cosine_proximity`: ``-cosine`` of the two vectors along ``axis``."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_proximity, reduction=reduction, name=name, axis=axis)


def _check_smoothing(owner, label_smoothing):
    if not 0 <= float(label_smoothing) <= 1:
        raise ValueError(f"{owner}: label_smoothing must be in [0, 1], got {label_smoothing!r}.")
