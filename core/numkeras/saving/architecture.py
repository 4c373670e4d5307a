"""What every model format writes about an architecture, and the scope every load runs in.

``model.to_json()`` / ``to_yaml()`` and HDF5's ``model.save`` share these: the version
stamps, the JSON encoding of a model config, the check that a model has an architecture
to write, and the custom-object / safe-mode scope of a load. They live here, not in
:mod:`numkeras.saving.hdf5`, so that JSON and YAML configs never import h5py.
"""

import contextlib
import inspect
import json

import numpy as np

from ..registry import UnknownComponentError
from . import components as components_module
from .errors import LayerConfigError, MissingComponentError

KERAS_VERSION = "2.2.4"
BACKEND = "numpy"


def numkeras_version():
    from ..version import __version__

    return __version__


# -- JSON --------------------------------------------------------------------------------
def json_default(obj):
    """``json.dumps`` fallback for NumPy values, dtypes, configurable objects and named callables."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.dtype):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if callable(obj) and getattr(obj, "__name__", None):
        return obj.__name__
    raise TypeError(f"Not JSON Serializable: {obj!r} ({type(obj).__name__})")


def to_json(value):
    return json.dumps(value, default=json_default)


# -- the model ------------------------------------------------------------------------------------
def check_saveable(model, what="save"):
    """Raises a clear error for models whose architecture cannot be written (subclassed, unbuilt)."""
    from ..engine.sequential import Sequential

    if isinstance(model, Sequential):
        if not model._is_graph_network:
            raise ValueError(
                f"Cannot {what} the Sequential model {model.name!r}: it is not built yet, so its input "
                f"shape is unknown. Give the first layer an input_shape, call model.build(input_shape), "
                f"or fit / predict once before saving."
            )
        return
    if not model._is_graph_network:
        hint = ("Save its weights with model.save_weights('weights.h5') and rebuild the model in code "
                "before model.load_weights(...)")
        raise NotImplementedError(
            f"Cannot {what} {type(model).__name__} {model.name!r}: it is a subclassed model, whose "
            f"architecture is Python code (its call() method) that cannot be written to a file. {hint}, "
            f"or build it with the functional API."
        )


def check_layer_configs(model, what="save"):
    """Checks, before anything is written, that every layer's config can be written and rebuilds it.

    Each layer (inside nested models and wrappers too) must have a ``get_config()``
    whose values JSON can encode, and that returns every argument its ``__init__`` takes
    without a default (unless the class rebuilds itself with its own ``from_config``).

    Raises:
        LayerConfigError: naming the layer, its class, the key or argument, and the fix.
    """
    for layer in _layers_within(model):
        cls = type(layer)
        where = f"Cannot {what} the model {model.name!r}: layer {layer.name!r} ({cls.__module__}.{cls.__qualname__})"
        config = layer.get_config()
        if not isinstance(config, dict):
            raise LayerConfigError(f"{where} returns {type(config).__name__} from get_config(), not a dict. "
                                   f"Return a dict of its constructor arguments.", layer.name)
        for argument in _required_arguments(cls):
            if argument not in config:
                raise LayerConfigError(
                    f"{where} takes the argument {argument!r} without a default, but its get_config() does "
                    f"not return it, so the layer could not be rebuilt from what is written. Add it to "
                    f"get_config(): config = super().get_config(); config[{argument!r}] = self.{argument}; "
                    f"return config.", layer.name, argument)
        for key, value in config.items():
            try:
                json.dumps(value, default=json_default)
            except (TypeError, ValueError, RecursionError) as error:
                shown = repr(value)
                raise LayerConfigError(
                    f"{where} has the config key {key!r} = {shown[:80] + '...' if len(shown) > 80 else shown} "
                    f"({type(value).__name__}), which cannot be encoded as JSON ({error}). Make get_config() "
                    f"return it as numbers, strings, booleans, None, lists and dicts (a component by its "
                    f"registered name or serialize(...)), and rebuild the object in __init__ / from_config.",
                    layer.name, key) from None


def _layers_within(model):
    """Every layer of ``model``, depth first, through nested models and wrapped layers."""
    from ..engine.base_layer import Layer

    stack = list(reversed(model.layers))
    while stack:
        layer = stack.pop()
        inner = list(getattr(layer, "layers", None) or []) if getattr(layer, "_is_graph_network", False) else None
        if inner is not None and inner:
            stack.extend(reversed(inner))
            continue
        yield layer
        for attribute in ("layer", "forward_layer", "backward_layer"):
            wrapped = getattr(layer, attribute, None)
            if isinstance(wrapped, Layer):
                stack.append(wrapped)


def _required_arguments(cls):
    """The ``__init__`` parameters of ``cls`` without a default, when the base ``from_config`` rebuilds it."""
    from ..engine.base_layer import Layer

    if getattr(cls.from_config, "__func__", None) is not Layer.from_config.__func__:
        return []  # the class rebuilds itself from its config in its own way
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def model_config_of(model):
    """``{'class_name', 'config'}`` of a model, as the ``model_config`` attribute stores it."""
    from ..engine.serialization import class_name_of

    return {"class_name": class_name_of(model), "config": model.get_config()}


@contextlib.contextmanager
def loading_scope(custom_objects, safe_mode, providers, source):
    """custom_objects + safe mode for the block; unknown names become :class:`MissingComponentError`."""
    from ..registry import custom_object_scope
    from .functions import safe_mode_scope

    try:
        with custom_object_scope(custom_objects or {}), safe_mode_scope(safe_mode):
            yield
    except MissingComponentError:
        raise
    except UnknownComponentError as error:
        raise components_module.missing_component_error(error, providers, source) from error


__all__ = ["KERAS_VERSION", "BACKEND", "numkeras_version", "json_default", "to_json", "check_saveable",
           "check_layer_configs", "model_config_of", "loading_scope"]
