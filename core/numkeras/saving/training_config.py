"""``training_config``: what ``compile`` was given, written so that ``load_model`` can compile again.

Keras 2 layout::

    {"optimizer_config": {"class_name": "Adam", "config": {...}},
     "loss": ..., "metrics": ..., "weighted_metrics": ..., "loss_weights": ...,
     "sample_weight_mode": ...}

Losses and metrics keep the user's structure (one item, a list, or a dict by output
name); functions become their registered names and objects ``{'class_name', 'config'}``.
Reading also accepts what tf.keras 2.x writes (``MeanMetricWrapper`` metric entries,
``Custom>`` optimizer names, its extra optimizer arguments).
"""

import inspect
import warnings

import numpy as np

from ..engine.config_keys import UnsupportedConfigError, accepted_arguments
from ..registry import registry, resolve_serialized

#: Optimizer arguments tf.keras writes that numkeras's (Keras 2.2) optimizers do not take,
#: with the values at which dropping them changes nothing.
_TF_OPTIMIZER_DEFAULTS = {
    "is_legacy_optimizer": None, "jit_compile": None, "weight_decay": (None, 0, 0.0),
    "global_clipnorm": (None,), "use_ema": (False,), "ema_momentum": None,
    "ema_overwrite_frequency": None, "clipnorm": (None,), "clipvalue": (None,),
    "momentum": (0.0, 0), "centered": (False,),  # RMSprop: tf.keras's plain RMSprop is Keras 2.2's
    # Adagrad's first accumulator value (tf.keras 0.1, Keras 2.2 0): the saved optimizer state replaces it
    "initial_accumulator_value": None,
}
#: Each key of _TF_OPTIMIZER_DEFAULTS is dropped only where numkeras's optimizer does not take it;
#: any other value of a key it does not take is an UnsupportedConfigError.


def serialize_component(value, kind):
    """``value`` (a name, function, object, list or dict of them) in JSON form."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {key: serialize_component(item, kind) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize_component(item, kind) for item in value]
    reg = registry(kind)
    if isinstance(value, type):
        return reg.name_of(value) or value.__name__
    if hasattr(value, "get_config"):
        return {"class_name": reg.name_of(type(value)) or type(value).__name__, "config": value.get_config()}
    if callable(value):
        name = reg.name_of(value) or getattr(value, "__name__", None)
        if name:
            return name
    raise ValueError(f"Cannot save the {kind[:-1]} {value!r} in the training configuration: it has no name.")


def training_config(model):
    """The ``training_config`` dict of a compiled model (``None`` when it is not compiled)."""
    optimizer = getattr(model, "optimizer", None)
    args = getattr(model, "_compile_args", None)
    if optimizer is None or args is None or getattr(model, "objective", None) is None:
        return None
    optimizer_name = registry("optimizers").name_of(type(optimizer)) or type(optimizer).__name__
    return {
        "optimizer_config": {"class_name": optimizer_name, "config": optimizer.get_config()},
        "loss": serialize_component(args.get("loss"), "losses"),
        "metrics": serialize_component(args.get("metrics"), "metrics"),
        "weighted_metrics": serialize_component(args.get("weighted_metrics"), "metrics"),
        "loss_weights": args.get("loss_weights"),
        "sample_weight_mode": args.get("sample_weight_mode"),
    }


# -- loading -------------------------------------------------------------------------------------
def _is_object_config(value):
    if not (isinstance(value, dict) and "class_name" in value
            and set(value) <= {"class_name", "config", "module", "registered_name", "shared_object_id"}):
        return False
    config = value.get("config", {})
    return isinstance(config, dict) or (value["class_name"] == "function" and isinstance(config, str))


def deserialize_component(value, kind):
    """Inverse of :func:`serialize_component`; names stay names (``compile`` resolves them)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if _is_object_config(value):
        if value["class_name"] == "function":  # tf.keras 2.13+: a function by its registered name
            return value["config"]
        class_name, config = value["class_name"], dict(value.get("config") or {})
        if kind == "metrics" and class_name == "MeanMetricWrapper" and "fn" in config:
            return _tf_metric_name(config)
        obj = resolve_serialized(registry(kind), value)
        if not isinstance(obj, type):
            return obj  # a function registered under the class's name (e.g. 'MeanSquaredError')
        if hasattr(obj, "from_config"):
            return obj.from_config(config)
        return obj(**config)
    if isinstance(value, dict):
        return {key: deserialize_component(item, kind) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [deserialize_component(item, kind) for item in value]
    return value


def _tf_metric_name(config):
    """tf.keras writes ``metrics=['accuracy']`` as a MeanMetricWrapper with name 'accuracy', fn 'categorical_accuracy'."""
    name, fn = config.get("name"), config["fn"]
    if name in ("acc", "accuracy", "ce", "crossentropy") or (name and name in registry("metrics")):
        return name
    return fn


def _flatten_tf_metrics(metrics):
    """tf.keras writes metrics as one list per output (``[[m1, m2]]``); one output gives a flat list.

    An output without metrics is written ``[null]`` (``metrics={'out_a': 'accuracy'}`` of a
    two-output model gives ``[[{...}], [null]]``): it becomes an empty list.
    """
    if isinstance(metrics, list) and all(isinstance(m, list) for m in metrics):
        metrics = [[m for m in per_output if m is not None] for per_output in metrics]
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        return metrics[0]
    return metrics


def deserialize_optimizer(config):
    """An optimizer from ``optimizer_config`` (Keras 2 or tf.keras)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Improperly formatted optimizer_config: {config!r}.")
    class_name = config["class_name"]
    if class_name.startswith("Custom>"):
        class_name = class_name[len("Custom>"):]
    cls = registry("optimizers").resolve(class_name)
    arguments = dict(config.get("config") or {})
    if "learning_rate" in arguments and "lr" not in arguments:
        arguments["lr"] = arguments.pop("learning_rate")
    accepted = accepted_arguments(cls)
    for key, harmless in _TF_OPTIMIZER_DEFAULTS.items():
        if key in arguments and key not in accepted and (harmless is None or arguments[key] in harmless):
            arguments.pop(key)
    arguments = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in arguments.items()}
    if accepted is not None:
        for key, value in arguments.items():
            if key not in accepted and key != "name":
                raise UnsupportedConfigError(
                    f"The optimizer {class_name} has the config key {key}={value!r}, which numkeras's "
                    f"{cls.__name__} does not take; it would change how training updates the weights, so the "
                    f"model is not compiled with a different optimizer silently. Load it with compile=False and "
                    f"compile it yourself, or remove the key from the training_config.",
                    None, class_name, key, value)
    if hasattr(cls, "from_config"):
        return cls.from_config(arguments)
    return cls(**arguments)


def compile_from_training_config(model, config):
    """Compiles ``model`` as ``config`` (a ``training_config`` dict) says."""
    optimizer = deserialize_optimizer(config.get("optimizer_config"))
    model.compile(
        optimizer=optimizer,
        loss=deserialize_component(config.get("loss"), "losses"),
        metrics=deserialize_component(_flatten_tf_metrics(config.get("metrics")), "metrics"),
        weighted_metrics=deserialize_component(_flatten_tf_metrics(config.get("weighted_metrics")), "metrics"),
        loss_weights=config.get("loss_weights"),
        sample_weight_mode=config.get("sample_weight_mode"),
    )


# -- optimizer state -------------------------------------------------------------------------------
def keras_slot_order(names, values):
    """``values`` in Keras 2.2's order, ``[iterations, slot 1 of every parameter, slot 2 …]``.

    tf.keras's legacy optimizers and Keras 2 write that order already
    (``Adam/iter:0, Adam/dense/kernel/m:0, Adam/dense/bias/m:0, …, …/v:0``). The optimizers
    of tf.keras 2.11+ (``is_legacy_optimizer: false``) write their variables parameter by
    parameter (``iteration:0, Adam/m/dense/kernel:0, Adam/v/dense/kernel:0, Adam/m/dense/bias:0 …``);
    those are regrouped by slot, keeping the parameters' order.
    """
    if len(names) != len(values) or len(names) < 3 or names[0].rsplit("/", 1)[-1] != "iteration:0":
        return list(values)  # only tf.keras 2.11+'s optimizers name their step counter 'iteration'

    parts = [name.split("/") for name in names[1:]]
    if not all(len(p) >= 3 and p[0] == parts[0][0] for p in parts):
        return list(values)
    slots = list(dict.fromkeys(p[1] for p in parts))
    if len(slots) < 2 or len(parts) % len(slots) \
            or [p[1] for p in parts] != slots * (len(parts) // len(slots)):
        return list(values)  # not interleaved slot by slot: the Keras 2.2 order already
    rest = values[1:]
    return [values[0]] + [rest[i] for group in range(len(slots)) for i in range(group, len(rest), len(slots))]


def restore_optimizer_weights(model, values, source, params=None):
    """Sets the optimizer state saved in ``optimizer_weights``; warns (fresh optimizer) when it does not fit.

    Keras 2.2 order: ``[iterations, slot 1 of every parameter, slot 2 …]`` (see
    :func:`keras_slot_order`), the parameters in ``params``' order (the order the writer
    listed the model's trainable weights in; default ``model.trainable_weights``). Files
    whose optimizer has fewer slot groups (tf.keras's Adam without ``vhats``) or Keras
    2.2.4's one-element placeholder ``vhats`` are accepted: missing slots keep their
    initial value.
    """
    optimizer = model.optimizer
    params = model.trainable_weights if params is None else params
    snapshot = optimizer.get_weights()
    try:
        _restore(optimizer, values, params)
    except (ValueError, TypeError, IndexError) as error:
        _reset(optimizer, snapshot)
        warnings.warn(
            f"Error in loading the saved optimizer state from {source} ({error}). As a result, your "
            f"model is starting with a freshly initialized optimizer.", stacklevel=3)


def _reset(optimizer, snapshot):
    """Undoes a partly applied restore: the state the optimizer had (fresh: no slots yet)."""
    if hasattr(optimizer, "_slots") and len(snapshot) == 1:
        optimizer._slots.clear()
        optimizer._params.clear()
    optimizer.set_weights(snapshot)


def _restore(optimizer, values, params):
    set_weights = optimizer.set_weights
    takes_params = "params" in inspect.signature(set_weights).parameters
    slot_names = getattr(optimizer, "slot_names", None)
    if not takes_params or slot_names is None:
        set_weights(values)
        return
    n, groups = len(params), len(slot_names)
    if len(values) == 1 or n == 0:
        set_weights(values)
        return
    if len(values) == 1 + groups * n:
        try:
            set_weights(values, params=params)
            return
        except ValueError:
            pass  # e.g. Keras 2.2.4's one-element vhats placeholders: merged below
    optimizer.build(params)
    if len(values) == len(optimizer.get_weights()) != 1 + groups * n:
        set_weights(values, params=params)  # its own layout: a wrapper (Lookahead) adds its inner one's state
        return
    if (len(values) - 1) % n:
        raise ValueError(
            f"{len(values)} saved arrays do not match {n} trainable weights and the slots "
            f"{', '.join(slot_names)}")
    current = optimizer.get_weights()
    merged = [values[0]]
    saved_groups = (len(values) - 1) // n
    for group in range(groups):
        for index in range(n):
            slot = current[1 + group * n + index]
            saved = values[1 + group * n + index] if group < saved_groups else None
            if saved is not None and np.shape(saved) == slot.shape:
                merged.append(saved)
            elif saved is None or np.size(saved) <= 1:
                merged.append(slot)  # absent or a placeholder: keep the initial value
            else:
                raise ValueError(f"slot {slot_names[group]!r} of {params[index].name} has shape {slot.shape}, "
                                 f"the saved value {np.shape(saved)}")
    for group in range(groups, saved_groups):
        if any(np.size(values[1 + group * n + index]) > 1 for index in range(n)):
            raise ValueError(f"the file has {saved_groups} slot groups, the optimizer {groups}")
    set_weights(merged)


__all__ = [
    "training_config", "serialize_component", "deserialize_component", "deserialize_optimizer",
    "compile_from_training_config", "keras_slot_order", "restore_optimizer_weights",
]
