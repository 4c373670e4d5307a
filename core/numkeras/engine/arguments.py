"""What the arguments of ``compile`` / ``fit`` / ``evaluate`` / ``predict`` / ``*_on_batch`` may be.

One table of rules (:mod:`numkeras.utils.validation`) per method; the model checks a
call's arguments against it before anything changes, so a rejected call leaves the
model, its weights and its optimizer exactly as they were. The data itself (shapes,
sample counts, sample and class weights) is checked by :mod:`~numkeras.engine.data_adapter`,
the components (losses, metrics, callbacks) here and by the objective on the first batch.
"""

import numpy as np

from ..callbacks.base import Callback
from ..metrics.base import Metric
from ..optimizers.base import Optimizer
from ..utils.validation import (
    ArgumentTypeError, ArgumentValueError, Rule, boolean, check, describe_value, either, instance_of, integer, is_number, number,
    one_of, sequence_of,
)
from .base_layer import Layer

BATCH_SIZE = integer(minimum=1, optional=True)
STEPS = integer(minimum=1, optional=True)
VERBOSE = one_of(0, 1, 2, True, False, "auto")
QUEUE = {"max_queue_size": integer(minimum=1), "workers": integer(minimum=0), "use_multiprocessing": boolean()}


def _callbacks_hint(value):
    if isinstance(value, Callback):
        return f"Pass a list: callbacks=[{type(value).__name__}(...)]."
    return None


def _callback_list_ok(value):
    return all(isinstance(item, Callback) for item in value)


def _callback_item_hint(value):
    for index, item in enumerate(value):
        if not isinstance(item, Callback):
            if isinstance(item, type) and issubclass(item, Callback):
                return f"Item {index} is the class {item.__name__}: pass an instance, {item.__name__}(...)."
            return (f"Item {index} is {describe_value(item)}, not a Callback; a callback subclasses "
                    f"numkeras.callbacks.Callback.")
    return None


def _either_hint(*hints):
    def hint(value):
        for each in hints:
            text = each(value)
            if text:
                return text
        return None
    return hint


CALLBACKS = Rule("a list of Callback instances",
                 lambda value: isinstance(value, (list, tuple)) and _callback_list_ok(value), None,
                 _either_hint(_callbacks_hint, lambda v: _callback_item_hint(v) if isinstance(v, (list, tuple))
                              else None), optional=True)


def _class_weight_form_ok(value):
    if isinstance(value, dict):
        return True
    if isinstance(value, np.ndarray):
        return value.ndim == 1
    return isinstance(value, (list, tuple))


CLASS_WEIGHT = Rule("a dict {class index: weight}, a list or 1-D array of weights indexed by class, or one of "
                    "those per output (a dict by output name or a list)",
                    _class_weight_form_ok, optional=True)
VALIDATION_FREQ = either(integer(minimum=1), sequence_of(integer(minimum=1), "a list of epoch numbers (from 1)"))

FIT = {
    "batch_size": BATCH_SIZE, "epochs": integer(minimum=0), "verbose": VERBOSE, "callbacks": CALLBACKS,
    "validation_split": number(0, 1, high_open=True), "shuffle": one_of(True, False, "batch"),
    "class_weight": CLASS_WEIGHT, "initial_epoch": integer(minimum=0), "steps_per_epoch": STEPS,
    "validation_steps": STEPS, "validation_freq": VALIDATION_FREQ, "validation_batch_size": BATCH_SIZE, **QUEUE,
}
EVALUATE = {"batch_size": BATCH_SIZE, "verbose": VERBOSE, "steps": STEPS, "callbacks": CALLBACKS,
            "return_dict": boolean(), **QUEUE}
PREDICT = {"batch_size": BATCH_SIZE, "verbose": VERBOSE, "steps": STEPS, "callbacks": CALLBACKS, **QUEUE}
TRAIN_ON_BATCH = {"class_weight": CLASS_WEIGHT}


def check_call(owner, table, arguments):
    """Checks ``arguments`` (a dict by name) against the rules of ``table``."""
    check(owner, **{name: (value, table[name]) for name, value in arguments.items() if name in table})


def verbosity(verbose):
    """``verbose`` as 0, 1 or 2 (``True`` and ``'auto'`` are 1)."""
    return 1 if verbose == "auto" else int(verbose)


# -- compile ----------------------------------------------------------------------------------
def check_compile(optimizer, loss, metrics, loss_weights, sample_weight_mode, weighted_metrics, check_numerics):
    """Checks ``compile``'s arguments for what a hurried user passes by mistake; raises before anything changes."""
    check("compile", optimizer=(optimizer, either(
        Rule("an optimizer name", lambda value: isinstance(value, str)),
        Rule("a config dict", lambda value: isinstance(value, dict)),
        instance_of(Optimizer, "an Optimizer instance"))))
    for item in _items(loss):
        _check_loss(item)
    for name, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        _check_metrics(name, value)
    if loss_weights is not None:
        weights = list(loss_weights.values()) if isinstance(loss_weights, dict) else loss_weights
        check("compile", loss_weights=(weights, sequence_of(
            number(), "a list or dict of numbers (one weight per output)")))
    if sample_weight_mode is not None:
        modes = list(sample_weight_mode.values()) if isinstance(sample_weight_mode, dict) else (
            sample_weight_mode if isinstance(sample_weight_mode, (list, tuple)) else [sample_weight_mode])
        check("compile", sample_weight_mode=(modes, sequence_of(
            one_of("temporal", optional=True), "None or 'temporal' (or a list or dict of them, per output)")))
    check("compile", check_numerics=(check_numerics, boolean()))


def _items(value):
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _check_component(item, what, allowed, class_fix):
    """One loss or metric given to compile: a name, a function or an instance, never a class or a layer."""
    if isinstance(item, type):
        if class_fix is None:
            return  # a Metric class is instantiated, as tf.keras does
        raise ArgumentTypeError(f"compile: {what} must be {allowed}, got the class {item.__name__}. {class_fix(item)}")
    if isinstance(item, Layer):
        raise ArgumentTypeError(
            f"compile: {what} must be {allowed}, got the layer {item.name!r} ({type(item).__name__}). A {what} "
            f"takes (y_true, y_pred) and returns one value per sample.")
    if not callable(item):
        raise ArgumentTypeError(f"compile: {what} must be {allowed}, got {describe_value(item)}.")


def _check_loss(item):
    if item is not None and not isinstance(item, (str, dict)):
        _check_component(item, "loss", "a loss name, function or Loss instance",
                         lambda cls: f"Pass an instance, {cls.__name__}(), or its function.")


def _check_metrics(name, value):
    if value is None:
        return
    if not isinstance(value, (list, tuple, dict)):
        raise ArgumentTypeError(
            f"compile: {name} must be a list (or a dict by output name), got {describe_value(value)}. "
            f"Pass {name}=[{value!r}].")
    for group in _items(value):
        for item in (group if isinstance(group, (list, tuple)) else [group]):
            if item is not None and not isinstance(item, str):
                metric_class = isinstance(item, type) and issubclass(item, Metric)
                _check_component(item, "metric", "a metric name, function or Metric instance",
                                 None if metric_class else (lambda cls: "A class is not a metric."))


# -- results of user components, checked on every batch -------------------------------------------
def check_values(values, what, batch, per_sample_needed):
    """``values`` returned by a loss or metric: an array of one value per sample (or per sample and step).

    Arguments:
        values: what the function returned.
        what: ``"loss 'name'"`` / ``"metric 'name'"``, for the message.
        batch: the number of samples in the batch (None: any shape will do).
        per_sample_needed: sample weights or a mask apply, so one value for the whole batch
            would silently ignore them.

    Raises:
        TypeError: None or a non-numeric value.
        ValueError: a shape that does not give one value per sample.
    """
    if values is None:
        raise ArgumentTypeError(
            f"The {what} returned None. It must return one value per sample: an array or tensor of shape "
            f"(batch,) (e.g. K.mean(..., axis=-1)).")
    shape = getattr(values, "shape", None)
    dtype = getattr(values, "dtype", None)
    if shape is None or dtype is None:
        if is_number(values):
            shape = ()
        else:
            raise ArgumentTypeError(
                f"The {what} returned {describe_value(values)}; it must return an array or tensor of numbers, "
                f"one per sample.")
    elif dtype.kind not in "fiub":
        raise ArgumentTypeError(f"The {what} returned values of dtype {dtype}; it must return numbers.")
    if len(shape) == 0 or batch is None:
        if per_sample_needed and len(shape) == 0:
            raise ArgumentValueError(
                f"The {what} returned one value for the whole batch, so the sample weights, class weights or "
                f"mask given cannot apply. Return one value per sample (e.g. K.mean(..., axis=-1) instead of "
                f"K.mean(...)).")
        return
    if shape[0] != batch:
        raise ArgumentValueError(
            f"The {what} returned values of shape {tuple(shape)} for a batch of {batch} samples; it must return "
            f"one value per sample (shape ({batch},), or ({batch}, steps)).")


__all__ = ["FIT", "EVALUATE", "PREDICT", "TRAIN_ON_BATCH", "check_call", "check_compile", "check_values", "verbosity"]
