"""Architecture only: ``to_json`` / ``to_yaml`` and ``model_from_json`` / ``model_from_yaml`` / ``model_from_config``.

The JSON is Keras 2's: ``{"class_name": "Sequential" | "Model", "config": {...},
"keras_version": ..., "backend": ...}``. YAML holds the same data, written with
``yaml.safe_dump`` and read with ``yaml.safe_load`` (PyYAML is the optional extra
``numkeras[yaml]``). A model rebuilt from a config has fresh weights and is not compiled.
"""

import json

from .architecture import (
    BACKEND, KERAS_VERSION, check_layer_configs, check_saveable, json_default, loading_scope, model_config_of,
)


def _import_yaml():
    try:
        import yaml
    except ImportError:
        raise ImportError(
            "YAML model configs need PyYAML, which is not installed. Install it with "
            "`pip install numkeras[yaml]` (or `pip install pyyaml`), or use model.to_json() / "
            "model_from_json() instead."
        ) from None
    return yaml


def _updated_config(model):
    check_saveable(model, "serialize the architecture of")
    check_layer_configs(model, "serialize")
    config = model_config_of(model)
    config["keras_version"] = KERAS_VERSION
    config["backend"] = BACKEND
    return config


def model_to_json(model, **kwargs):
    """The architecture as a JSON string; ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``).

    Raises:
        NotImplementedError: a subclassed model (save its weights instead).
        LayerConfigError: a layer whose config cannot be encoded or does not rebuild it.
    """
    return json.dumps(_updated_config(model), default=json_default, **kwargs)


def model_to_yaml(model, **kwargs):
    """The architecture as a YAML string (needs PyYAML); ``kwargs`` go to ``yaml.safe_dump``."""
    yaml = _import_yaml()
    data = json.loads(model_to_json(model))  # plain lists and dicts: safe_load can read it back
    kwargs.setdefault("default_flow_style", False)
    return yaml.safe_dump(data, **kwargs)


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model (fresh weights, not compiled) from ``{'class_name', 'config'}``.

    Raises:
        TypeError: ``config`` is a list (Keras's message: pass the dict).
        MissingComponentError: a name nothing provides.
    """
    from ..engine.serialization import deserialize_layer

    if isinstance(config, list):
        raise TypeError(
            "`model_from_config` expects a dictionary, not a list. Maybe you meant to use "
            "`Sequential.from_config(config)`?"
        )
    with loading_scope(custom_objects, safe_mode, {}, "the model config"):
        return deserialize_layer(config)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model (fresh weights, not compiled) from ``model.to_json()``'s output."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: the string is not valid JSON ({error}).") from None
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """A model from ``model.to_yaml()``'s output, read with ``yaml.safe_load``."""
    yaml = _import_yaml()
    try:
        config = yaml.safe_load(yaml_string)
    except yaml.YAMLError as error:
        raise ValueError(f"model_from_yaml: the string is not valid (safe) YAML ({error}).") from None
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


__all__ = ["model_to_json", "model_to_yaml", "model_from_config", "model_from_json", "model_from_yaml"]
