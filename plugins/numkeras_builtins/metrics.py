"""Built-in metrics: Keras 2.2's accuracy functions, and the stateful Mean / Sum / Accuracy.

Every loss is also registered as a metric (entry points in ``numkeras.metrics``
pointing at the same functions), so ``metrics=['mae']`` works.
"""

import numpy as np

from numkeras import backend as K
from numkeras.metrics import Metric


def _arrays(y_true, y_pred):
    t = y_true.data if isinstance(y_true, K.Tensor) else np.asarray(y_true)
    p = y_pred.data if isinstance(y_pred, K.Tensor) else np.asarray(y_pred)
    return t, p


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(equal(y_true, y_pred > threshold), axis=-1)`` (Keras 2.2: rounds at 0.5)."""
    t, p = _arrays(y_true, y_pred)
    return K.Tensor(np.mean(np.equal(t, (p > threshold).astype(p.dtype)), axis=-1).astype(K.floatx()))


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_true) == argmax(y_pred)`` over the last axis, else 0."""
    t, p = _arrays(y_true, y_pred)
    return K.Tensor(np.equal(np.argmax(t, axis=-1), np.argmax(p, axis=-1)).astype(K.floatx()))


def _labels(t, p):
    """Integer labels from sparse targets shaped ``(samples,)`` or ``(samples, 1)``."""
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype(np.int64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label equals ``argmax(y_pred)``, else 0."""
    t, p = _arrays(y_true, y_pred)
    return K.Tensor(np.equal(_labels(t, p), np.argmax(p, axis=-1)).astype(K.floatx()))


def _in_top_k(predictions, labels, k):
    """Whether each label's score is among the k largest (ties at the boundary count, as in TF)."""
    target = np.take_along_axis(predictions, labels[..., None], axis=-1)
    better = np.sum(predictions > target, axis=-1)
    return (better < k).astype(K.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the true class (argmax of one-hot ``y_true``) is among the top ``k`` predictions."""
    t, p = _arrays(y_true, y_pred)
    return K.Tensor(_in_top_k(p, np.argmax(t, axis=-1), k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the top ``k`` predictions."""
    t, p = _arrays(y_true, y_pred)
    return K.Tensor(_in_top_k(p, _labels(t, p), k))


class _Reduce(Metric):
    """Weighted running sum and count of values."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_weight("total")
        self.count = self.add_weight("count")

    def _accumulate(self, values, sample_weight):
        values = np.asarray(values.data if isinstance(values, K.Tensor) else values, dtype=np.float64)
        if sample_weight is None:
            weights = np.ones_like(values)
        else:
            weights = np.asarray(sample_weight.data if isinstance(sample_weight, K.Tensor) else sample_weight,
                                 dtype=np.float64)
            weights = np.broadcast_to(weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim)),
                                      values.shape)
        self.total.data[...] += np.sum(values * weights)
        self.count.data[...] += np.sum(weights)


class Mean(_Reduce):
    """The (weighted) mean of every value seen since the last ``reset_states``.

    Example:
        >>> m = Mean()
        >>> m([1, 3, 5, 7]); m([1, 3, 5, 7]); m([1, 1, 1, 1]); float(m([2, 2]))
        2.857142...      # == np.mean of all 14 values
    """

    def update_state(self, values, sample_weight=None):
        self._accumulate(values, sample_weight)

    def result(self):
        count = float(self.count.data)
        return K.Tensor(np.asarray(float(self.total.data) / count if count else 0.0, dtype=self.dtype))


class Sum(_Reduce):
    """The (weighted) sum of every value seen since the last ``reset_states``."""

    def update_state(self, values, sample_weight=None):
        self._accumulate(values, sample_weight)

    def result(self):
        return K.Tensor(np.asarray(float(self.total.data), dtype=self.dtype))


class Accuracy(_Reduce):
    """How often ``y_pred`` equals ``y_true`` exactly (a stateful mean)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = _arrays(y_true, y_pred)
        self._accumulate(np.equal(t, p).astype(np.float64), sample_weight)

    def result(self):
        count = float(self.count.data)
        return K.Tensor(np.asarray(float(self.total.data) / count if count else 0.0, dtype=self.dtype))
