"""What every model format writes about an architecture, and the scope every load runs in.

``model.to_json()`` / ``to_yaml()`` and HDF5's ``model.save`` share these: the version
stamps, the JSON encoding of a model config, the check that a model has an architecture
to write, and the custom-object / safe-mode scope of a load. They live here, not in
:mod:`numkeras.saving.hdf5`, so that JSON and YAML configs never import h5py.
"""

import contextlib
import json

import numpy as np

from ..registry import UnknownComponentError
from . import components as components_module
from .errors import MissingComponentError

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
           "model_config_of", "loading_scope"]
