"""Precision, Recall, F1 and ROC AUC as stateful metrics, with scikit-learn's numbers.

Each treats every element of ``y_pred`` as one binary decision (for ``(samples, labels)``
outputs this is scikit-learn's ``average='micro'``; ``class_id`` picks one column). A
``sample_weight`` of one value per sample weighs every decision of that sample, as
``sample_weight`` does in scikit-learn. Results accumulate over batches exactly: three
batches give the numbers of their concatenation.
"""

import numpy as np

from numkeras import backend as K
from numkeras.metrics import Metric
from numkeras.utils.validation import check, integer, number


def _decisions(y_true, y_pred, sample_weight, class_id):
    """Flat float64 ``(labels, scores, weights)`` of one batch."""
    y_true = np.asarray(K.eval(y_true) if isinstance(y_true, K.Tensor) else y_true, dtype=np.float64)
    y_pred = np.asarray(K.eval(y_pred) if isinstance(y_pred, K.Tensor) else y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        y_true = y_true.reshape(y_pred.shape)  # (samples,) labels for a (samples, 1) output
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true of shape {y_true.shape} does not match y_pred of shape {y_pred.shape}: "
                         f"these metrics take one 0/1 target per prediction.")
    if sample_weight is None:
        weights = np.ones_like(y_pred)
    else:
        weights = np.asarray(K.eval(sample_weight) if isinstance(sample_weight, K.Tensor) else sample_weight,
                             dtype=np.float64)
        weights = weights.reshape(weights.shape + (1,) * (y_pred.ndim - weights.ndim))
        weights = np.broadcast_to(weights, y_pred.shape)
    if class_id is not None:
        if y_pred.ndim < 2 or class_id >= y_pred.shape[-1]:
            raise ValueError(f"class_id={class_id} but y_pred has shape {y_pred.shape}.")
        y_true, y_pred, weights = y_true[..., class_id], y_pred[..., class_id], weights[..., class_id]
    return y_true.ravel(), y_pred.ravel(), weights.ravel()


class _Confusion(Metric):
    """Weighted true positives, false positives and false negatives at one threshold."""

    target_kind = "binary"

    def __init__(self, threshold=0.5, class_id=None, name=None, dtype=None):
        check(type(self).__name__, threshold=(threshold, number(0, 1)),
              class_id=(class_id, integer(minimum=0, optional=True)))
        super().__init__(name=name, dtype=dtype)
        self.threshold, self.class_id = float(threshold), class_id
        self.true_positives = self.add_weight("true_positives", dtype="float64")
        self.false_positives = self.add_weight("false_positives", dtype="float64")
        self.false_negatives = self.add_weight("false_negatives", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, scores, weights = _decisions(y_true, y_pred, sample_weight, self.class_id)
        positive, predicted = labels > 0.5, scores > self.threshold
        self.true_positives.data[...] += weights[positive & predicted].sum()
        self.false_positives.data[...] += weights[~positive & predicted].sum()
        self.false_negatives.data[...] += weights[positive & ~predicted].sum()

    def _counts(self):
        return float(self.true_positives.data), float(self.false_positives.data), float(self.false_negatives.data)

    def _value(self, tp, fp, fn):
        raise NotImplementedError

    def result(self):
        return K.constant(self._value(*self._counts()), dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold, "class_id": self.class_id}


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0  # scikit-learn's zero_division=0 (it also warns)


class Precision(_Confusion):
    """``tp / (tp + fp)`` of the decisions ``y_pred > threshold`` (0 before any positive prediction).

    Arguments:
        threshold: a prediction above it is positive (default 0.5).
        class_id: only this column of ``(samples, classes)`` outputs (default: every element).
        name, dtype: as for every Metric.

    Example:
        >>> model.compile('adam', 'binary_crossentropy', metrics=[Precision(), Recall(), F1Score()])
    """

    def _value(self, tp, fp, fn):
        return _ratio(tp, tp + fp)


class Recall(_Confusion):
    """``tp / (tp + fn)`` of the decisions ``y_pred > threshold`` (0 before any positive target).

    Arguments: as for :class:`Precision`.
    """

    def _value(self, tp, fp, fn):
        return _ratio(tp, tp + fn)


class F1Score(_Confusion):
    """The harmonic mean of precision and recall, ``2 tp / (2 tp + fp + fn)`` (0 when undefined).

    Arguments: as for :class:`Precision`. Computed from the accumulated counts, so it is
    the F1 of all the data seen, not a mean of per-batch F1s.
    """

    def _value(self, tp, fp, fn):
        return _ratio(2.0 * tp, 2.0 * tp + fp + fn)


class AUC(Metric):
    """The exact area under the ROC curve of everything seen since the last reset.

    As scikit-learn's ``roc_auc_score``: the trapezoidal area under the curve through
    every distinct score (tied scores form one point). It keeps every score, label and
    weight until reset (8 bytes each, three times per prediction); the result is 0 until
    both a positive and a negative target have been seen.

    Arguments:
        class_id: only this column of ``(samples, classes)`` outputs (default: every element).
        name, dtype: as for every Metric.
    """

    target_kind = "binary"

    def __init__(self, class_id=None, name=None, dtype=None):
        check("AUC", class_id=(class_id, integer(minimum=0, optional=True)))
        super().__init__(name=name or "auc", dtype=dtype)
        self.class_id = class_id
        self._seen = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._seen.append(_decisions(y_true, y_pred, sample_weight, self.class_id))

    def reset_states(self):
        super().reset_states()
        self._seen = []

    def result(self):
        if not self._seen:
            return K.constant(0.0, dtype=self.dtype)
        labels, scores, weights = (np.concatenate(parts) for parts in zip(*self._seen))
        return K.constant(roc_auc(labels, scores, weights), dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


def roc_auc(labels, scores, weights):
    """The area under the ROC curve of 0/1 ``labels`` ranked by ``scores`` (0 if a class is missing)."""
    order = np.argsort(-scores, kind="mergesort")
    labels, scores, weights = labels[order] > 0.5, scores[order], weights[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    true_positives = np.cumsum(weights * labels)[last_of_each_score]
    false_positives = np.cumsum(weights * ~labels)[last_of_each_score]
    if true_positives[-1] <= 0 or false_positives[-1] <= 0:
        return 0.0
    tpr = np.r_[0.0, true_positives / true_positives[-1]]
    fpr = np.r_[0.0, false_positives / false_positives[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
