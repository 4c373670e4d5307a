"""numkeras.models — ``Sequential``, ``Model`` and loading / cloning models."""

from .engine.sequential import Sequential
from .engine.training import Model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with ``model.save`` (or by Keras 2) from an HDF5 file."""
    from .saving import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """Rebuilds an (uncompiled, freshly initialised) model from ``model.to_json()``."""
    from .saving import model_from_json as _model_from_json

    return _model_from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """Rebuilds a model from ``model.to_yaml()`` (read with ``yaml.safe_load``)."""
    from .saving import model_from_yaml as _model_from_yaml

    return _model_from_yaml(yaml_string, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_config(config, custom_objects=None, safe_mode=True):
    """Rebuilds a model from ``{'class_name', 'config'}``."""
    from .saving import model_from_config as _model_from_config

    return _model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialised weights."""
    from .saving import clone_model as _clone_model

    return _clone_model(model, input_tensors=input_tensors, clone_function=clone_function)


__all__ = ["Sequential", "Model", "load_model", "model_from_json", "model_from_yaml",
           "model_from_config", "clone_model"]
