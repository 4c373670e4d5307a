"""Built-in metrics: Keras 2.2's accuracy functions, the stateful Mean / Sum / Accuracy, and tf.keras's classes.

Every loss is also registered as a metric (entry points in ``numkeras.metrics``
pointing at the same functions), so ``metrics=['mae']`` works. Metric functions
return one value per sample; the training loop averages them.
"""

import numpy as np

from numkeras import backend as K
from numkeras.metrics.base import MeanMetricWrapper, Reduce

from . import losses


def _arrays(y_true, y_pred):
    t = y_true.data if isinstance(y_true, K.Tensor) else np.asarray(y_true)
    p = y_pred.data if isinstance(y_pred, K.Tensor) else np.asarray(y_pred)
    return t, p


def _per_sample(values):
    return K.Tensor(np.asarray(values, dtype=K.floatx()))


# -- functions (Keras 2.2) ----------------------------------------------------------
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(equal(y_true, y_pred > threshold), axis=-1)``; the same as Keras 2.2's rounding for probabilities."""
    t, p = _arrays(y_true, y_pred)
    if t.ndim == p.ndim - 1 and p.shape[-1:] == (1,):
        t = t[..., None]  # (samples,) targets for a (samples, 1) output
    return _per_sample(np.mean(np.equal(t, (p > threshold).astype(p.dtype)), axis=-1))


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_true) == argmax(y_pred)`` over the last axis, else 0."""
    t, p = _arrays(y_true, y_pred)
    return _per_sample(np.equal(np.argmax(t, axis=-1), np.argmax(p, axis=-1)))


def _labels(t, p):
    """Integer labels from sparse targets shaped ``(samples,)`` or ``(samples, 1)``."""
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype(np.int64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label equals ``argmax(y_pred)``, else 0."""
    t, p = _arrays(y_true, y_pred)
    return _per_sample(np.equal(_labels(t, p), np.argmax(p, axis=-1)))


def _in_top_k(predictions, labels, k):
    """Whether each label's score is among the k largest (ties at the boundary count, as in TF's in_top_k)."""
    target = np.take_along_axis(predictions, labels[..., None], axis=-1)
    better = np.sum(predictions > target, axis=-1)
    return better < k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the true class (argmax of one-hot ``y_true``) is among the top ``k`` predictions."""
    t, p = _arrays(y_true, y_pred)
    return _per_sample(_in_top_k(p, np.argmax(t, axis=-1), k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the top ``k`` predictions."""
    t, p = _arrays(y_true, y_pred)
    return _per_sample(_in_top_k(p, _labels(t, p), k))


# What y_true holds, declared (numkeras.engine.objective.TARGET_KINDS) as the losses declare it.
sparse_categorical_accuracy.target_kind = "sparse"
sparse_top_k_categorical_accuracy.target_kind = "sparse"


def accuracy(y_true, y_pred):
    """1 where ``y_pred`` equals ``y_true`` exactly (elementwise, compared in ``y_true``'s dtype)."""
    t, p = _arrays(y_true, y_pred)
    return _per_sample(np.equal(t, p.astype(t.dtype, copy=False)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: +1 for parallel vectors (tf.keras's metric)."""
    return -losses.cosine_proximity(y_true, y_pred, axis=axis)


# -- stateful reductions -------------------------------------------------------------
class Mean(Reduce):
    """The (weighted) mean of every value seen since the last ``reset_states``.

    Example:
        >>> m = Mean()
        >>> m([1, 3, 5, 7]); m([1, 3, 5, 7]); m([1, 1, 1, 1]); float(m([2, 2]))
        2.857142...      # == np.mean of all 14 values
        >>> m.reset_states(); float(m([1, 2], sample_weight=[3, 1]))
        1.25
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__("weighted_mean", name=name, dtype=dtype)


class Sum(Reduce):
    """The (weighted) sum of every value seen since the last ``reset_states``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)


# -- tf.keras class forms of the metric functions ----------------------------------
def _wrapper_class(class_name, fn, default_name, doc, **defaults):
    """A :class:`MeanMetricWrapper` subclass for ``fn``, taking ``name``, ``dtype`` and ``fn``'s options."""

    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword argument(s) {sorted(unknown)}.")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy",
                          "How often ``y_pred`` equals ``y_true`` exactly (a stateful mean).")
BinaryAccuracy = _wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                                "Stateful :func:`binary_accuracy` (argument ``threshold=0.5``).", threshold=0.5)
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                                     "Stateful :func:`categorical_accuracy`.")
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                           "sparse_categorical_accuracy",
                                           "Stateful :func:`sparse_categorical_accuracy`.")
TopKCategoricalAccuracy = _wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                         "top_k_categorical_accuracy",
                                         "Stateful :func:`top_k_categorical_accuracy` (argument ``k=5``).", k=5)
SparseTopKCategoricalAccuracy = _wrapper_class("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                               "sparse_top_k_categorical_accuracy",
                                               "Stateful :func:`sparse_top_k_categorical_accuracy` (``k=5``).", k=5)
MeanSquaredError = _wrapper_class("MeanSquaredError", losses.mean_squared_error, "mean_squared_error",
                                  "Stateful mean of :func:`mean_squared_error`.")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error",
                                   "Stateful mean of :func:`mean_absolute_error`.")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error, "mean_absolute_percentage_error",
    "Stateful mean of :func:`mean_absolute_percentage_error`.")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    "Stateful mean of :func:`mean_squared_logarithmic_error`.")
Hinge = _wrapper_class("Hinge", losses.hinge, "hinge", "Stateful mean of :func:`hinge`.")
SquaredHinge = _wrapper_class("SquaredHinge", losses.squared_hinge, "squared_hinge",
                              "Stateful mean of :func:`squared_hinge`.")
CategoricalHinge = _wrapper_class("CategoricalHinge", losses.categorical_hinge, "categorical_hinge",
                                  "Stateful mean of :func:`categorical_hinge`.")
LogCoshError = _wrapper_class("LogCoshError", losses.logcosh, "logcosh", "Stateful mean of :func:`logcosh`.")
KLDivergence = _wrapper_class("KLDivergence", losses.kullback_leibler_divergence, "kullback_leibler_divergence",
                              "Stateful mean of :func:`kullback_leibler_divergence`.")
Poisson = _wrapper_class("Poisson", losses.poisson, "poisson", "Stateful mean of :func:`poisson`.")
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                                  "Stateful mean of :func:`cosine_similarity` (+1 for parallel vectors).", axis=-1)
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
                                    "Stateful mean of :func:`binary_crossentropy`.",
                                    from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", losses.categorical_crossentropy,
                                         "categorical_crossentropy",
                                         "Stateful mean of :func:`categorical_crossentropy`.",
                                         from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy",
                                               losses.sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy",
                                               "Stateful mean of :func:`sparse_categorical_crossentropy`.",
                                               from_logits=False)


class RootMeanSquaredError(Reduce):
    """``sqrt`` of the (weighted) mean of the squared errors seen since the last reset."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__("weighted_mean", name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = _arrays(y_true, y_pred)
        super().update_state(np.square(p.astype(np.float64) - t.astype(np.float64)), sample_weight)

    def result(self):
        # np.sqrt of a 0-d array is a NumPy scalar, which Tensor would take in K.floatx(): keep the metric's dtype.
        return K.Tensor(np.asarray(np.sqrt(super().result().data), dtype=self.dtype))
