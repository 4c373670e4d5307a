"""The config keys Keras 2.0 – tf_keras 2.21 write that numkeras's (Keras 2.2) layers do not take.

The rule (docs/architecture.md, "Config keys from other Keras releases"): a key that
does not change the computation is accepted and dropped; a key that renames an argument
numkeras has is renamed; a key that changes the computation only away from one neutral
value is dropped at that value and, at any other, is a :class:`UnsupportedConfigError`
naming the layer, the key and the value. A key the layer's constructor takes is always
passed to it, whatever this table says (so a layer that learns ``groups`` honours it).
A key in none of these lists reaches the constructor, which rejects it with an error
naming the layer and the key.

Each row says why, so the table is the documentation.
"""

import inspect

#: Keys dropped whatever their value: they never change what a layer computes.
TOLERATED = {
    "optional": "InputLayer (tf_keras 2.21): the caller may leave the input out; given inputs compute the same",
    "module": "tf.keras 2.13+: the Python module of the class; numkeras resolves names through its registries",
    "registered_name": "tf.keras 2.13+: the name the class was registered under; resolved by the registries",
    "build_config": "tf.keras 2.13+: the input shape the layer was built with; the graph rebuilds it",
    "compile_config": "tf.keras 2.13+: compile arguments; the h5 training_config is what compiles a model",
    "shared_object_id": "tf.keras 2.x: identifies shared objects while saving; sharing is in the graph",
    "fused": "BatchNormalization (tf.keras): whether TF uses its fused kernel; the same formula",
    "sparse": "Embedding (tf_keras 2.14+): the gradient is sparse; the update is the same values",
    "synchronized": "BatchNormalization (tf.keras 2.12+): statistics across replicas; numkeras trains "
                    "one replica, where they are the batch's own",
    "renorm_clipping": "BatchNormalization: used only with renorm=True, which is refused",
    "renorm_momentum": "BatchNormalization: used only with renorm=True, which is refused",
}

#: Keys that are another name for an argument numkeras takes.
RENAMED = {
    "batch_shape": "batch_input_shape",  # InputLayer in tf.keras 2.x / Keras 3
}

#: Keys that change the computation unless they hold the neutral value(s) listed:
#: dropped at those values, an error at any other.
NEUTRAL = {
    "ragged": ((False, None), "ragged tensors, which numkeras does not have"),
    "groups": ((1,), "grouped convolution, which numkeras does not implement"),
    "time_major": ((False,), "time-major recurrent inputs (time, batch, features), which numkeras does not read"),
    "renorm": ((False,), "batch renormalization, which numkeras does not implement"),
    "virtual_batch_size": ((None,), "ghost batch normalization, which numkeras does not implement"),
    "adjustment": ((None,), "a BatchNormalization adjustment function, which numkeras does not run"),
}


class UnsupportedConfigError(ValueError):
    """A config key whose value would change the computation in a way numkeras cannot reproduce.

    Attributes: ``layer`` (the layer's name), ``class_name``, ``key``, ``value``.
    """

    def __init__(self, message, layer=None, class_name=None, key=None, value=None):
        super().__init__(message)
        self.layer, self.class_name, self.key, self.value = layer, class_name, key, value


def accepted_arguments(cls, base_kwargs=()):
    """The keyword arguments ``cls``'s constructor names, following ``**kwargs`` up its bases.

    The walk stops at the first ``__init__`` without ``**kwargs``, or at numkeras's own
    base classes (``Layer``, ``Optimizer``), whose ``**kwargs`` accept only
    ``base_kwargs``. Returns None when the chain ends in ``**kwargs`` nothing checks
    (any key may be taken).
    """
    names = set(base_kwargs)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in parameters) or klass.__module__ in _CHECKED_BASES:
            return names
    return None


#: Modules of numkeras's base classes whose ``__init__(**kwargs)`` refuses unknown keys itself.
_CHECKED_BASES = ("numkeras.engine.base_layer", "numkeras.optimizers.base")


def _is_neutral(value, neutral):
    return any(value is n or (type(value) is type(n) and value == n) for n in neutral)


def apply_key_rules(config, cls=None, layer_name=None, class_name=None):
    """``config`` with the table's keys dropped or renamed; refused values raise.

    Arguments:
        config: a layer config (modified in place and returned).
        cls: the layer class; keys its constructor names are left alone. Without it,
            only the tolerated keys and neutral values are dropped, nothing is refused.

    Raises:
        UnsupportedConfigError: a key at a value numkeras cannot honour, naming the
            layer, the key and the value.
    """
    from .base_layer import _BASE_KWARGS

    accepted = (accepted_arguments(cls, _BASE_KWARGS) or set()) if cls is not None else set()
    for key in list(config):
        if key in accepted:
            continue
        if key in TOLERATED:
            config.pop(key)
        elif key in RENAMED:
            value = config.pop(key)
            config.setdefault(RENAMED[key], value)
        elif key in NEUTRAL:
            neutral, what = NEUTRAL[key]
            if _is_neutral(config[key], neutral):
                config.pop(key)
            elif cls is not None:
                value = config[key]
                name = class_name or cls.__name__
                raise UnsupportedConfigError(
                    f"The layer {layer_name or config.get('name')!r} ({name}) has the config key {key}={value!r}: "
                    f"{what}, so the model would compute something else. numkeras loads this layer only "
                    f"with {key}={neutral[0]!r} (or without the key).", layer_name or config.get("name"),
                    name, key, value)
    return config


__all__ = ["TOLERATED", "RENAMED", "NEUTRAL", "UnsupportedConfigError", "accepted_arguments", "apply_key_rules"]
