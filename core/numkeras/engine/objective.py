"""The training objective: the one place where losses, metrics, sample weights and masks meet.

Keras 2.2's weighted, masked objective, for each output and for losses and metric
functions alike (:func:`weighted_masked_mean`)::

    score = fn(y_true, y_pred)                     one value per sample (or per timestep)
    score = score * mask / mean(mask)              the output's mask from the graph, if any
    score = mean of score over the axes the sample weights do not have
    score = score * weights / mean(weights != 0)   sample weights (x class weights), if any
    value = mean(score)

The model's loss is ``sum(loss_weight_i * value_i)`` over the outputs plus the
regularization losses of the layers. A stateful :class:`~numkeras.metrics.Metric`
gets the mask folded into its ``sample_weight`` (the weights times the mask).

A :class:`~numkeras.losses.Loss` instance's ``reduction`` is honoured:
``'sum_over_batch_size'`` (and ``'auto'``) is the objective above, ``'sum'`` the
objective times the batch size (the sum of the per-sample values, not their mean),
and ``'none'`` is refused at compile time, since training needs one number.

Components say what their targets are through a ``target_kind`` attribute (on the
function, the Loss class or instance): ``'sparse'`` (integer class labels),
``'one_hot'`` (one row of class probabilities per sample) or ``'binary'`` (0/1 per
unit). ``metrics=['acc']`` and the target-shape checks read it; nothing is guessed
from a component's name.
"""

import copy
import numpy as np

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..callbacks.logs import log_value
from ..losses.base import Loss
from ..metrics.base import Metric
from .arguments import check_values

TARGET_KINDS = ("sparse", "one_hot", "binary")


def target_kind(component):
    """The ``target_kind`` a loss or metric declares (``'sparse'``, ``'one_hot'``, ``'binary'``), or None."""
    kind = getattr(component, "target_kind", None)
    if kind is not None and kind not in TARGET_KINDS:
        raise ValueError(
            f"{component!r} declares target_kind={kind!r}; expected one of {', '.join(map(repr, TARGET_KINDS))}.")
    return kind


def weighted_masked_mean(score, sample_weight=None, mask=None):
    """Keras 2.2's weighted, masked objective of one output: a scalar Tensor.

    Arguments:
        score: the loss or metric values, one per sample (or per sample and timestep).
        sample_weight: ``None``, or one weight per sample (``(samples,)``), or per sample
            and timestep (``(samples, timesteps)``, ``sample_weight_mode='temporal'``).
        mask: ``None``, or the output's mask, ``(samples,)`` or ``(samples, timesteps)``.

    Returns:
        ``mean(score * mask / mean(mask))`` reduced to the weights' axes, weighted, and
        divided by the fraction of non-zero weights. A batch whose mask (or weights) are
        all zero gives 0, not Keras's 0 / 0.
    """
    if not isinstance(score, K.Tensor):
        score = K.Tensor(np.asarray(score, dtype=K.floatx()))
    if mask is not None:
        mask = _mask_like(mask, score)
        score = score * mask
        score = score / np.asarray(max(float(np.mean(mask)), K.epsilon()), dtype=score.dtype)
    if sample_weight is None:
        return K.mean(score)
    weights = np.asarray(sample_weight, dtype=score.dtype)
    if score.ndim > weights.ndim:
        score = K.mean(score, axis=tuple(range(weights.ndim, score.ndim)))
    score = score * weights
    nonzero = float(np.mean(weights != 0))
    if nonzero == 0:
        return K.sum(score) * 0.0
    return K.mean(score) / np.asarray(nonzero, dtype=score.dtype)


def _mask_like(mask, score):
    """The mask as an array of the score's dtype, with trailing axes for the score's extra axes."""
    mask = np.asarray(mask.data if isinstance(mask, K.Tensor) else mask)
    if mask.ndim > score.ndim or tuple(score.shape[:mask.ndim]) != mask.shape:
        raise ValueError(
            f"The output's mask has shape {mask.shape}, but the loss (or metric) returned values of "
            f"shape {tuple(score.shape)}: a mask needs one value per sample (and timestep). Return "
            f"per-timestep values from the loss, or stop the mask before this output (a layer whose "
            f"compute_mask returns None).")
    mask = mask.astype(score.dtype, copy=False)
    return mask.reshape(mask.shape + (1,) * (score.ndim - mask.ndim))


def per_output(value, output_names, what, default=None):
    """``value`` (one item, a list, or a dict by output name) as one item per output."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = set(value) - set(output_names)
        if unknown:
            raise ValueError(
                f"Unknown entries in {what} dictionary: {sorted(unknown)}. Only expected the "
                f"following keys: {output_names}."
            )
        return [value.get(name, default) for name in output_names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != n:
            raise ValueError(
                f"When passing a list as {what}, it should have one entry per model output. The "
                f"model has {n} output(s), but you passed {what}={value!r}."
            )
        return list(value)
    return [value] * n


class OutputLoss:
    """One output's loss: the per-sample function, its reduction, its weight in the total, its kind.

    Arguments:
        identifier: a loss name, function or :class:`~numkeras.losses.Loss` instance.
        weight: the output's ``loss_weights`` entry.
    """

    def __init__(self, identifier, weight=1.0):
        loss = losses_module.get(identifier)
        if isinstance(loss, Loss):
            if loss.reduction == "none":
                raise ValueError(
                    f"compile: the loss {loss.name!r} has reduction='none', which gives one value per "
                    f"sample; training needs a single number. Use reduction='sum_over_batch_size' "
                    f"(the mean) or 'sum'.")
            self.fn, self.reduction = loss.call, loss.reduction
            self.name = loss.name
        elif callable(loss):
            self.fn, self.reduction = loss, "sum_over_batch_size"
            self.name = getattr(loss, "__name__", type(loss).__name__)
        else:
            raise TypeError(f"Could not interpret loss {identifier!r}: it is not callable.")
        self.loss = loss
        self.kind = target_kind(loss)
        self.weight = 1.0 if weight is None else float(weight)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """This output's objective: a scalar Tensor (on the tape when it records)."""
        score = self.fn(y_true, y_pred)
        check_values(score, f"loss {self.name!r}", len(y_true), sample_weight is not None or mask is not None)
        value = weighted_masked_mean(score, sample_weight, mask)
        if self.reduction == "sum":
            value = value * np.asarray(len(y_true), dtype=value.dtype)
        return value

    def check_targets(self, y_true, output_shape, output_name):
        """Fails early, with a Keras-style message, when the targets cannot match the output."""
        target_shape = tuple(np.shape(y_true))[1:]
        expected = tuple(output_shape)[1:]
        if self.kind == "sparse":
            if target_shape not in ((), (1,)) and target_shape != expected[:-1] and target_shape != expected[:-1] + (1,):
                raise ValueError(
                    f"Error when checking target: {self.name} expects integer class labels of shape "
                    f"(samples,) or (samples, 1) for output {output_name!r}, but got an array with "
                    f"shape {np.shape(y_true)}."
                )
            return
        if self.kind == "one_hot" and target_shape[-1:] == (1,) and expected[-1:] != (1,):
            raise ValueError(
                f"You are passing a target array of shape {np.shape(y_true)} while using "
                f"{self.name}, which expects targets to be binary matrices (1s and 0s) of "
                f"shape (samples, {expected[-1]}). If your targets are integer classes, convert them "
                f"with numkeras.utils.to_categorical(y, {expected[-1]}), or use "
                f"loss='sparse_categorical_crossentropy'."
            )
        if len(target_shape) != len(expected) or any(
            e is not None and t != e for t, e in zip(target_shape, expected)
        ):
            raise ValueError(
                f"Error when checking target: expected {output_name} to have shape {expected} but got "
                f"array with shape {target_shape} (the loss {self.name} needs y_true to match "
                f"y_pred)."
            )


_ACCURACY_NAMES = ("acc", "accuracy")
_CROSSENTROPY_NAMES = ("ce", "crossentropy")


def resolve_metric(identifier, output_loss, output_shape):
    """A metric for one output: a stateful :class:`Metric`, or a function of per-sample values.

    ``'acc'`` / ``'accuracy'`` (and ``'ce'`` / ``'crossentropy'``) become the binary,
    sparse categorical or categorical version, as Keras 2.2 does: binary for a
    one-unit output or a loss of ``target_kind='binary'``, sparse for a loss of
    ``target_kind='sparse'``, categorical otherwise.
    """
    if isinstance(identifier, str) and identifier in _ACCURACY_NAMES + _CROSSENTROPY_NAMES:
        kind = output_loss.kind if output_loss is not None else None
        family = "accuracy" if identifier in _ACCURACY_NAMES else "crossentropy"
        if output_shape[-1] == 1 or kind == "binary":
            return metrics_module.get("binary_" + family)
        if kind == "sparse":
            return metrics_module.get("sparse_categorical_" + family)
        return metrics_module.get("categorical_" + family)
    metric = metrics_module.get(identifier)
    if isinstance(metric, type) and issubclass(metric, Metric):
        metric = metric()
    return metric


def _fresh_copy(metric):
    """A copy of a stateful metric with its state back at the start."""
    clone = copy.deepcopy(metric)
    clone.reset_states()
    return clone


def _display_name(identifier, metric):
    if isinstance(identifier, str):
        return identifier
    if isinstance(metric, Metric):
        return metric.name
    return getattr(metric, "__name__", type(metric).__name__)


class OutputMetric:
    """A metric bound to one output: its log name, and whether it takes the sample weights."""

    def __init__(self, index, name, metric, weighted):
        self.index, self.name, self.metric, self.weighted = index, name, metric, weighted
        self.stateful = isinstance(metric, Metric)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """The metric's value on this batch (a stateful metric: its result after this batch), as a float."""
        weight = sample_weight if self.weighted else None
        if self.stateful:
            if mask is not None:
                mask = np.asarray(mask.data if isinstance(mask, K.Tensor) else mask, dtype=K.floatx())
                weight = mask if weight is None else _fold(weight, mask)
            self.metric.update_state(y_true, y_pred, sample_weight=weight)
            result = self.metric.result()
            check_values(result, f"metric {self.name!r}'s result()", None, False)
            return log_value(result)
        values = self.metric(y_true, y_pred)
        check_values(values, f"metric {self.name!r}", len(y_true), weight is not None or mask is not None)
        return float(weighted_masked_mean(values, weight, mask).data)


def _fold(weight, mask):
    """Sample weights times the mask, the weights broadcast over the mask's extra axes."""
    weight = np.asarray(weight, dtype=mask.dtype)
    return weight.reshape(weight.shape + (1,) * (mask.ndim - weight.ndim)) * mask


class Objective:
    """What ``compile`` sets up: one :class:`OutputLoss` per output, the metrics per output.

    Arguments:
        output_names: the model's output names.
        output_shapes: the model's output shapes (with the batch axis).
        loss, metrics, loss_weights, weighted_metrics, sample_weight_mode: as given to
            ``compile`` (one item, a list, or a dict by output name).
    """

    def __init__(self, output_names, output_shapes, loss, metrics=None, loss_weights=None,
                 weighted_metrics=None, sample_weight_mode=None, has_graph_losses=False):
        self.output_names = list(output_names)
        identifiers = per_output(loss, self.output_names, "loss")
        weights = per_output(loss_weights if loss_weights is not None else 1.0, self.output_names,
                             "loss_weights", 1.0)
        self.losses = [None if identifier is None or losses_module.get(identifier) is None
                       else OutputLoss(identifier, weight) for identifier, weight in zip(identifiers, weights)]
        if all(loss is None for loss in self.losses) and not has_graph_losses:
            raise ValueError("compile() needs a loss for at least one output, e.g. loss='mse' (or a loss "
                             "added to the model with model.add_loss(...)).")
        self.sample_weight_modes = per_output(sample_weight_mode, self.output_names, "sample_weight_mode")
        shapes = [tuple(shape) for shape in output_shapes]
        bound_instances = set()
        self.metrics = (self._bind(metrics, shapes, False, bound_instances)
                        + self._bind(weighted_metrics, shapes, True, bound_instances))

    def _bind(self, metrics, output_shapes, weighted, bound_instances):
        """One :class:`OutputMetric` per (output, metric); a stateful instance bound twice is copied.

        ``metrics=[AUC()]`` on a two-output model names one object for both outputs: sharing its
        state would fold both outputs into one running value, so every binding after the first
        gets a fresh copy (as tf.keras 2 clones it per output).
        """
        names = self.output_names
        if not metrics:
            return []
        if isinstance(metrics, dict):
            nested = per_output(metrics, names, "metrics", [])
        elif isinstance(metrics, (list, tuple)) and all(isinstance(m, (list, tuple)) for m in metrics):
            if len(metrics) != len(names):
                raise ValueError(
                    f"When passing a list of lists as metrics, give one list per output "
                    f"({len(names)} outputs); got {len(metrics)}."
                )
            nested = list(metrics)
        else:
            nested = [metrics] * len(names)
        bound = []
        for index, output_metrics in enumerate(nested):
            if output_metrics is None:
                continue
            if not isinstance(output_metrics, (list, tuple)):
                output_metrics = [output_metrics]
            for identifier in output_metrics:
                metric = resolve_metric(identifier, self.losses[index], output_shapes[index])
                if isinstance(metric, Metric):
                    if id(metric) in bound_instances:
                        metric = _fresh_copy(metric)
                    bound_instances.add(id(metric))
                name = ("weighted_" if weighted else "") + _display_name(identifier, metric)
                if len(names) > 1:
                    name = f"{names[index]}_{name}"
                bound.append(OutputMetric(index, name, metric, weighted))
        return bound

    # -- names -------------------------------------------------------------------------
    def metric_names(self):
        """The log keys, in ``model.metrics_names`` order: the loss, each output's loss, the metrics."""
        names = ["loss"]
        if len(self.output_names) > 1:
            names += [f"{n}_loss" for n, loss in zip(self.output_names, self.losses) if loss is not None]
        return names + [m.name for m in self.metrics]

    def stateful_names(self):
        """Log keys of stateful metrics: reported as their current ``result()``, not averaged."""
        return [m.name for m in self.metrics if m.stateful]

    def reset_metrics(self):
        for m in self.metrics:
            if m.stateful:
                m.metric.reset_states()

    # -- one batch ---------------------------------------------------------------------
    def check_targets(self, ys, output_shapes):
        for loss, y, shape, name in zip(self.losses, ys, output_shapes, self.output_names):
            if loss is not None and y is not None:
                loss.check_targets(y, shape, name)

    def total_loss(self, ys, outputs, ws, masks, regularization=()):
        """The model's loss (a scalar Tensor, on the tape when it records) and its log entries.

        Arguments:
            ys, outputs, ws, masks: per output, the targets, the output tensors, the sample
                weights (or None) and the output masks (or None).
            regularization: the layers' regularization losses, added to the total.
        """
        total, logs = None, {}
        for index, loss in enumerate(self.losses):
            if loss is None:
                continue
            y = ys[index]
            if y is None:
                raise ValueError(f"No target data given for output {self.output_names[index]!r}.")
            value = loss(K.Tensor(y), outputs[index], ws[index], masks[index])
            if len(self.output_names) > 1:
                logs[f"{self.output_names[index]}_loss"] = float(value.data)
            term = value * loss.weight if loss.weight != 1.0 else value
            total = term if total is None else total + term
        for penalty in regularization:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("The model has no loss this step: no output has a loss and the model added none.")
        return total, {"loss": float(total.data), **logs}

    def metric_values(self, ys, outputs, ws, masks):
        """This batch's metric log entries (stateful metrics: their result so far)."""
        logs = {}
        with K.no_tape():
            for m in self.metrics:
                y_pred = outputs[m.index]
                y_pred = K.Tensor(y_pred.data if isinstance(y_pred, K.Tensor) else y_pred)
                logs[m.name] = m(K.Tensor(ys[m.index]), y_pred, ws[m.index], masks[m.index])
        return logs


__all__ = ["Objective", "OutputLoss", "OutputMetric", "weighted_masked_mean", "target_kind", "per_output",
           "resolve_metric", "TARGET_KINDS"]
