"""What ``compile`` sets up: one loss per output, the metrics per output, and how they are weighted.

Keras 2.2 semantics: the per-sample loss is averaged over any trailing axes beyond
the sample weights, multiplied by the sample weights (and the mask), and divided by
the fraction of non-zero weights; the model loss is the ``loss_weights``-weighted
sum over outputs plus the regularization losses.
"""

import numpy as np

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..losses.base import Loss
from ..metrics.base import Metric


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


def resolve_loss(identifier):
    """A per-sample loss function ``(y_true, y_pred) -> Tensor`` and its config name."""
    loss = losses_module.get(identifier)
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return loss.call
    if not callable(loss):
        raise TypeError(f"Could not interpret loss {identifier!r}: it is not callable.")
    return loss


def loss_name(fn):
    name = getattr(fn, "__name__", None)
    if name == "call" and hasattr(fn, "__self__"):
        return getattr(fn.__self__, "name", type(fn.__self__).__name__)
    return name or type(fn).__name__


_ACCURACY_NAMES = ("acc", "accuracy")
_CROSSENTROPY_NAMES = ("ce", "crossentropy")


def resolve_metric(identifier, loss_fn, output_shape):
    """A metric for one output: a stateful :class:`Metric`, or a function to average.

    ``'acc'`` / ``'accuracy'`` (and ``'ce'`` / ``'crossentropy'``) become the binary,
    sparse categorical or categorical version, from the loss and the output shape, as Keras does.
    """
    if isinstance(identifier, str) and identifier in _ACCURACY_NAMES + _CROSSENTROPY_NAMES:
        loss = loss_name(loss_fn) if loss_fn is not None else ""
        is_binary = (output_shape[-1] == 1) or loss in ("binary_crossentropy", "BinaryCrossentropy")
        is_sparse = loss in ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")
        kind = "accuracy" if identifier in _ACCURACY_NAMES else "crossentropy"
        if is_binary:
            base = "binary_" + kind
        elif is_sparse:
            base = "sparse_categorical_" + kind
        else:
            base = "categorical_" + kind
        return metrics_module.get(base)
    metric = metrics_module.get(identifier)
    if isinstance(metric, type) and issubclass(metric, Metric):
        metric = metric()
    return metric


def metric_display_name(identifier, metric):
    if isinstance(identifier, str):
        return identifier
    if isinstance(metric, Metric):
        return metric.name
    return getattr(metric, "__name__", type(metric).__name__)


class CompiledTargets:
    """Losses and metrics bound to each output of a compiled model."""

    def __init__(self, model, loss, metrics, loss_weights, weighted_metrics, sample_weight_mode):
        names = model.output_names
        self.output_names = names
        self.loss_identifiers = per_output(loss, names, "loss")
        self.loss_fns = [resolve_loss(identifier) for identifier in self.loss_identifiers]
        if all(fn is None for fn in self.loss_fns):
            raise ValueError("compile() needs a loss for at least one output, e.g. loss='mse'.")
        weights = per_output(loss_weights if loss_weights is not None else 1.0, names, "loss_weights", 1.0)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self.sample_weight_modes = per_output(sample_weight_mode, names, "sample_weight_mode")
        output_shapes = [tuple(t.shape) for t in model.outputs]
        self.metrics = self._bind(metrics, names, output_shapes, weighted=False)
        self.metrics += self._bind(weighted_metrics, names, output_shapes, weighted=True)

    def _bind(self, metrics, names, output_shapes, weighted):
        """``[(output index, log name, metric, weighted)]``."""
        if not metrics:
            return []
        if isinstance(metrics, dict):
            nested = per_output(metrics, names, "metrics", [])
        elif isinstance(metrics, (list, tuple)) and metrics and all(isinstance(m, (list, tuple)) for m in metrics):
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
                metric = resolve_metric(identifier, self.loss_fns[index], output_shapes[index])
                name = metric_display_name(identifier, metric)
                if weighted:
                    name = "weighted_" + name
                if len(names) > 1:
                    name = f"{names[index]}_{name}"
                if isinstance(metric, Metric):
                    metric = _fresh(metric)
                bound.append((index, name, metric, weighted))
        return bound

    def metric_names(self):
        names = ["loss"]
        if len(self.output_names) > 1:
            names += [f"{n}_loss" for n, fn in zip(self.output_names, self.loss_fns) if fn is not None]
        return names + [name for _, name, _, _ in self.metrics]

    def stateful_metrics(self):
        """Metric instances: reset every epoch (and before evaluate), reported as their result()."""
        return [m for _, _, m, _ in self.metrics if isinstance(m, Metric)]

    def stateful_names(self):
        return [name for _, name, m, _ in self.metrics if isinstance(m, Metric)]

    def reset_metrics(self):
        for metric in self.stateful_metrics():
            metric.reset_states()


def _fresh(metric):
    """Metric instances are used as given (their state is what the user reads)."""
    return metric


def weighted_loss(fn, y_true, y_pred, sample_weight, mask=None):
    """Keras 2.2's weighted, masked objective for one output: a scalar Tensor."""
    score = fn(y_true, y_pred)
    if not isinstance(score, K.Tensor):
        score = K.Tensor(np.asarray(score, dtype=K.floatx()))
    if mask is not None:
        mask = np.asarray(mask, dtype=score.dtype)
        score = score * mask
        score = score / max(float(np.mean(mask)), K.epsilon())
    if sample_weight is None:
        return K.mean(score)
    weight_ndim = np.ndim(sample_weight)
    if score.ndim > weight_ndim:
        score = K.mean(score, axis=tuple(range(weight_ndim, score.ndim)))
    weights = np.asarray(sample_weight, dtype=score.dtype)
    score = score * weights
    nonzero = float(np.mean(weights != 0))
    if nonzero == 0:
        return K.sum(score) * 0.0
    return K.mean(score) / np.asarray(nonzero, dtype=score.dtype)


def check_loss_shapes(fn, y_true, output_shape, output_name):
    """Fails early with a Keras-style message when targets cannot match the output."""
    name = loss_name(fn) if fn is not None else ""
    target_shape = tuple(np.shape(y_true))[1:]
    expected = tuple(output_shape)[1:]
    if "sparse" in name.lower():
        if target_shape not in ((), (1,)) and target_shape != expected[:-1] and target_shape != expected[:-1] + (1,):
            raise ValueError(
                f"Error when checking target: {name} expects integer class labels of shape "
                f"(samples,) or (samples, 1) for output {output_name!r}, but got an array with "
                f"shape {np.shape(y_true)}."
            )
        return
    if name in ("categorical_crossentropy", "CategoricalCrossentropy") and target_shape[-1:] == (1,) and expected[-1:] != (1,):
        raise ValueError(
            f"You are passing a target array of shape {np.shape(y_true)} while using "
            f"categorical_crossentropy, which expects targets to be binary matrices (1s and 0s) of "
            f"shape (samples, {expected[-1]}). If your targets are integer classes, convert them "
            f"with numkeras.utils.to_categorical(y, {expected[-1]}), or use "
            f"loss='sparse_categorical_crossentropy'."
        )
    if len(target_shape) != len(expected) or any(
        e is not None and t != e for t, e in zip(target_shape, expected)
    ):
        raise ValueError(
            f"Error when checking target: expected {output_name} to have shape {expected} but got "
            f"array with shape {target_shape} (the loss {name or 'function'} needs y_true to match "
            f"y_pred)."
        )
