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


#: Bounds on a config read from text: far above any real model's, far below what hurts.
MAX_CONFIG_DEPTH = 200
MAX_CONFIG_ITEMS = 1_000_000


def check_config_size(config, what):
    """Refuses a config nested deeper than ``MAX_CONFIG_DEPTH`` or larger than ``MAX_CONFIG_ITEMS`` values.

    The size counts shared parts (YAML aliases) every time they are used, as anything that
    walks the config would: a few aliases can stand for billions of values ("billion laughs").

    Raises:
        ValueError: naming ``what`` and the bound.
    """
    sizes = {}
    stack = [(config, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if not isinstance(node, (dict, list, tuple)):
            continue
        if depth > MAX_CONFIG_DEPTH:
            raise ValueError(f"{what}: the config is nested more than {MAX_CONFIG_DEPTH} levels deep; no model "
                             f"config is. The data is not a model config, or it was built to exhaust the reader.")
        children = list(node.values()) if isinstance(node, dict) else list(node)
        if children_done:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[id(node)] > MAX_CONFIG_ITEMS:
                raise ValueError(
                    f"{what}: the config expands to more than {MAX_CONFIG_ITEMS:,} values (YAML aliases repeat "
                    f"shared parts); no model config is that large. It may be built to exhaust memory.")
            continue
        if id(node) in sizes:
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children
                     if isinstance(child, (dict, list, tuple)) and id(child) not in sizes)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model (fresh weights, not compiled) from ``model.to_json()``'s output.

    Raises:
        ValueError: not JSON, or nested or sized beyond any model config (:func:`check_config_size`).
    """
    try:
        config = json.loads(json_string)
    except RecursionError:
        raise ValueError(f"model_from_json: the JSON is nested too deeply to be a model config.") from None
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: the string is not valid JSON ({error}).") from None
    check_config_size(config, "model_from_json")
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """A model from ``model.to_yaml()``'s output, read with ``yaml.safe_load``.

    Raises:
        ValueError: not (safe) YAML, or nested or expanding beyond any model config.
    """
    yaml = _import_yaml()
    try:
        config = yaml.safe_load(yaml_string)
    except RecursionError:
        raise ValueError("model_from_yaml: the YAML is nested too deeply to be a model config.") from None
    except yaml.YAMLError as error:
        raise ValueError(f"model_from_yaml: the string is not valid (safe) YAML ({error}).") from None
    check_config_size(config, "model_from_yaml")
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


__all__ = ["model_to_json", "model_to_yaml", "model_from_config", "model_from_json", "model_from_yaml"]
