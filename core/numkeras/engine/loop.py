"""The loops of ``fit`` / ``evaluate`` / ``predict``, and the steps they run on each batch.

Every loop takes a batch source from :mod:`numkeras.engine.data_adapter` (arrays,
generators and ``Sequence``s alike: ``steps``, ``num_samples``, ``epoch()``) and the
:class:`~numkeras.callbacks.base.CallbackList` that the call built for itself. One
training step::

    forward on the tape (training=True) → outputs and their masks
      → Objective.total_loss: per-output weighted, masked losses × loss_weights + regularization
      → K.gradients → Objective.metric_values (tape off)
      → optimizer.apply_gradients → the batch's logs

``predict`` runs the same forward pass with the tape off and ``training=False``.
"""

import numpy as np

from .. import backend as K
from ..callbacks.base import CallbackList
from ..callbacks.logs import EpochMeans
from ..hooks import plugin_manager
from ..registry import registry


# -- steps ---------------------------------------------------------------------------------
def forward(model, xs, training):
    """Runs ``model`` on a list of input arrays; returns the output tensors and their masks (lists)."""
    inputs = [x if isinstance(x, K.Tensor) else K.Tensor(x) for x in xs]
    inputs = inputs if len(inputs) > 1 else inputs[0]
    if model._is_graph_network:
        return model._run_graph(inputs, training=training)
    outputs = model(inputs, training=training)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return outputs, [None] * len(outputs)  # a subclassed model's call returns no masks


def train_step(model, xs, ys, ws, params=None):
    """One gradient update on one batch; returns the batch's logs (loss and metrics)."""
    model._clear_call_losses()
    if params is None:
        params = model.trainable_weights
    objective = model.objective
    with K.tape():
        outputs, masks = forward(model, xs, training=True)
        total, logs = objective.total_loss(ys, outputs, ws, masks, model.losses)
    grads = K.gradients(total, params)
    # The metrics see the outputs of the weights before the update (as Keras's do), and a metric
    # that fails on its first batch fails before any weight changes.
    logs.update(objective.metric_values(ys, outputs, ws, masks))
    model.optimizer.apply_gradients(zip(grads, params), consume=True)
    return logs


def test_step(model, xs, ys, ws):
    """The loss and metrics of one batch, without updating anything but stateful metrics."""
    model._clear_call_losses()
    objective = model.objective
    with K.no_tape():
        outputs, masks = forward(model, xs, training=False)
        _, logs = objective.total_loss(ys, outputs, ws, masks, model.losses)
    logs.update(objective.metric_values(ys, outputs, ws, masks))
    return logs


def predict_step(model, xs):
    """The model's outputs for one batch, as arrays."""
    with K.no_tape():
        outputs, _ = forward(model, xs, training=False)
    model._clear_call_losses()
    return [o.data for o in outputs]


# -- callbacks -----------------------------------------------------------------------------
def callbacks_for(model, callbacks, verbose, params, count_mode="steps", history=None):
    """The :class:`CallbackList` of one call: a progress bar when ``verbose``, the user's, ``history`` last.

    Hook plugins may then adjust the list (hook ``numkeras_configure_callbacks``).
    """
    callback_list = list(callbacks or [])
    if verbose:
        progbar = registry("callbacks").resolve("ProgbarLogger")
        stateful = model.objective.stateful_names() if model.objective is not None else []
        callback_list.insert(0, progbar(count_mode=count_mode, stateful_metrics=stateful))
    if history is not None:
        callback_list.append(history)
    plugin_manager().hook.numkeras_configure_callbacks(model=model, callbacks=callback_list, params=params)
    return CallbackList(callback_list, model=model, params=params)


# -- loops ---------------------------------------------------------------------------------
def fit_loop(model, train, callbacks, epochs, initial_epoch=0, validation=None, validation_freq=1):
    """The epoch loop of ``fit``, for every kind of training data.

    Arguments:
        model: a compiled model.
        train: the training batch source.
        callbacks: this call's :class:`CallbackList`.
        epochs: the index of the last epoch (training runs ``initial_epoch`` … ``epochs - 1``).
        validation: the validation batch source, or None.
        validation_freq: validate every N epochs (int) or at the listed epochs (1-based).
    """
    model.stop_training = False
    epoch_logs = {}
    with K.learning_phase_scope(1):  # this thread alone: a predict elsewhere stays in the test phase
        callbacks.dispatch("on_train_begin", logs={})
        # Like Keras's compiled train function: which weights train is fixed for this fit.
        trainable = model.trainable_weights
        for epoch in range(initial_epoch, epochs):
            model.objective.reset_metrics()
            callbacks.dispatch("on_epoch_begin", epoch=epoch, logs={})
            means = EpochMeans(model.objective.stateful_names())
            for step, (xs, ys, ws) in enumerate(train.epoch()):
                size = len(xs[0])
                callbacks.dispatch("on_train_batch_begin", batch=step, logs={"batch": step, "size": size})
                logs = train_step(model, xs, ys, ws, trainable)
                means.update(logs, size)
                callbacks.dispatch("on_train_batch_end", batch=step, logs={"batch": step, "size": size, **logs})
                if model.stop_training:
                    break
            epoch_logs = means.result()
            if validation is not None and should_validate(epoch, validation_freq):
                val_logs = evaluate_loop(model, validation, callbacks)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.dispatch("on_epoch_end", epoch=epoch, logs=epoch_logs)
            if model.stop_training:
                break
    callbacks.dispatch("on_train_end", logs=dict(epoch_logs))


def evaluate_loop(model, batches, callbacks):
    """One pass of ``evaluate`` (or of validation in ``fit``); returns ``{log key: mean}``."""
    model.objective.reset_metrics()
    callbacks.dispatch("on_test_begin", logs={})
    means = EpochMeans(model.objective.stateful_names())
    for step, (xs, ys, ws) in enumerate(batches.epoch()):
        size = len(xs[0])
        callbacks.dispatch("on_test_batch_begin", batch=step, logs={"batch": step, "size": size})
        logs = test_step(model, xs, ys, ws)
        means.update(logs, size)
        callbacks.dispatch("on_test_batch_end", batch=step, logs={"batch": step, "size": size, **logs})
    results = means.result()
    callbacks.dispatch("on_test_end", logs=dict(results))
    return results


def predict_loop(model, batches, callbacks):
    """The outputs of ``predict`` over every batch: one array per output.

    Where the number of samples is known (arrays), each batch's outputs are copied into
    arrays allocated once at their final size, instead of kept until one concatenation
    copies them all: one copy less, and half the peak memory for the outputs.
    """
    results = _PredictionArrays(getattr(batches, "num_samples", None))
    callbacks.dispatch("on_predict_begin", logs={})
    for step, (xs, _, _) in enumerate(batches.epoch()):
        size = len(xs[0])
        callbacks.dispatch("on_predict_batch_begin", batch=step, logs={"batch": step, "size": size})
        outputs = predict_step(model, xs)
        results.add(outputs, size)
        callbacks.dispatch("on_predict_batch_end", batch=step, logs={"batch": step, "size": size, "outputs": outputs})
    callbacks.dispatch("on_predict_end", logs={})
    if results.empty:
        return [np.zeros((0,) + tuple(t.shape[1:]), dtype=K.floatx()) for t in model.outputs]
    return results.arrays()


class _PredictionArrays:
    """Batches of outputs gathered into one array per output (preallocated when the total is known)."""

    def __init__(self, total):
        self.total, self.filled, self.full, self.chunks = total, 0, None, None

    @property
    def empty(self):
        return self.full is None and self.chunks is None

    def add(self, outputs, size):
        # An output with one value per batch (K.mean over everything) gives each of the batch's
        # samples that value, as Keras 2.2's predict loop does (tf.keras 2 returns one per batch).
        outputs = [np.broadcast_to(o, (size,)) if np.ndim(o) == 0 else o for o in outputs]
        rows = len(outputs[0]) if outputs else 0
        if self.chunks is None and self.total and self.filled + rows <= self.total and all(
                len(o) == rows for o in outputs):
            if self.full is None:
                self.full = [np.empty((self.total,) + o.shape[1:], dtype=o.dtype) for o in outputs]
            if all(f.shape[1:] == o.shape[1:] and f.dtype == o.dtype for f, o in zip(self.full, outputs)):
                for full, output in zip(self.full, outputs):
                    full[self.filled:self.filled + rows] = output
                self.filled += rows
                return
        if self.chunks is None:  # unknown total, or batches that do not fit it: keep them and concatenate
            self.chunks = [[f[:self.filled]] for f in self.full] if self.full is not None else [[] for _ in outputs]
            self.full = None
        for chunk, output in zip(self.chunks, outputs):
            chunk.append(output)

    def arrays(self):
        if self.chunks is not None:
            return [np.concatenate(chunk, axis=0) for chunk in self.chunks]
        return [f if self.filled == self.total else f[:self.filled].copy() for f in self.full]


def should_validate(epoch, validation_freq):
    """Whether to validate after ``epoch`` (from 0): every ``validation_freq`` epochs, or at the listed ones."""
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


__all__ = ["forward", "train_step", "test_step", "predict_step", "callbacks_for", "fit_loop",
           "evaluate_loop", "predict_loop", "should_validate"]
