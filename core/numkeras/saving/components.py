"""Which registered components a saved model uses, and where each came from.

A model file records, in the root attribute ``numkeras_components``::

    {"layers": {"MyLayer": {"distribution": "nk-demo-plugin", "version": "1.2.3",
                            "module": "nk_demo_plugin"}},
     "losses": {"focal_loss": {...}}, ...}

Components are written by their registered name and resolved through the
registries on load, so a model that uses a plugin's layer or loss loads in any
process where that plugin is installed, with no ``custom_objects``. When a name
is missing, :func:`missing_component_error` turns the registry's error into one
that says which distribution provided it when the file was saved.
"""

from ..engine.serialization import MODEL_CLASS_NAMES
from ..registry import ComponentError, UnknownComponentError, registry
from .errors import MissingComponentError

_SINGULAR = {"layers": "layer", "losses": "loss", "metrics": "metric", "optimizers": "optimizer",
             "callbacks": "callback", "activations": "activation", "initializers": "initializer",
             "regularizers": "regularizer", "constraints": "constraint"}

_NESTED_LAYER_KEYS = ("layer", "cell", "forward_layer", "backward_layer", "cells", "layers")


def _kind_for_key(key):
    """The component kind a layer-config key holds, by Keras's naming (``kernel_initializer`` …)."""
    if key.endswith("initializer"):
        return "initializers"
    if key.endswith("regularizer"):
        return "regularizers"
    if key.endswith("constraint"):
        return "constraints"
    if key.endswith("activation"):
        return "activations"
    return None


def referenced_components(model_config, training_config=None):
    """``[(kind, name), ...]`` named by a model config (and training config), in order, once each."""
    found = []

    def add(kind, name):
        if isinstance(name, str) and (kind, name) not in found:
            found.append((kind, name))

    def visit_layer(entry):
        if not isinstance(entry, dict) or "class_name" not in entry:
            return
        class_name, config = entry["class_name"], entry.get("config")
        if class_name in MODEL_CLASS_NAMES:
            layers = config if isinstance(config, list) else (config or {}).get("layers", [])
            for layer in layers or []:
                visit_layer(layer)
            return
        add("layers", class_name)
        if isinstance(config, dict):
            visit_config(config)

    def visit_config(config):
        for key, value in config.items():
            if isinstance(value, dict) and value.get("type") == "function":
                if value.get("registry"):
                    add(value["registry"], value.get("name"))
            elif key in _NESTED_LAYER_KEYS:
                for item in value if isinstance(value, list) else [value]:
                    visit_layer(item)
            elif _kind_for_key(key):
                kind = _kind_for_key(key)
                if isinstance(value, dict) and "class_name" in value:
                    add(kind, value["class_name"])
                elif isinstance(value, str):
                    add(kind, value)

    def visit_training(value, kind):
        if isinstance(value, str):
            add(kind, value)
        elif isinstance(value, dict) and "class_name" in value:
            add(kind, value["class_name"])
        elif isinstance(value, dict):
            for item in value.values():
                visit_training(item, kind)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit_training(item, kind)

    visit_layer(model_config)
    if training_config:
        visit_training(training_config.get("loss"), "losses")
        visit_training(training_config.get("metrics"), "metrics")
        visit_training(training_config.get("weighted_metrics"), "metrics")
        optimizer = training_config.get("optimizer_config") or {}
        add("optimizers", optimizer.get("class_name"))
    return found


def component_providers(model_config, training_config=None):
    """``{kind: {name: {'distribution', 'version', 'module'}}}`` for every resolvable name used."""
    providers = {}
    for kind, name in referenced_components(model_config, training_config):
        reg = registry(kind)
        try:
            obj = reg.resolve(name)
            info = reg.provider(name).as_dict()
        except ComponentError:
            continue  # e.g. 'acc', which compile() interprets itself
        if not info.get("module"):
            info["module"] = getattr(obj, "__module__", None)
        providers.setdefault(kind, {})[name] = info
    return providers


def missing_components(model_config, training_config, providers):
    """``[(kind, name, recorded provider)]`` for every component the file needs that nothing provides now.

    Every layer class counts, and every other name the file records in
    ``numkeras_components`` (it resolved when saved); other names (``'acc'``, which
    ``compile`` interprets itself) are left to the loading code. Looked up in the
    active custom-object scopes too.
    """
    missing = []
    for kind, name in referenced_components(model_config, training_config):
        recorded = (providers or {}).get(kind, {}).get(name)
        if kind != "layers" and recorded is None:
            continue
        try:
            registry(kind).resolve(name)
        except UnknownComponentError:
            missing.append((kind, name, recorded))
        except ComponentError:
            continue  # a broken plugin or a conflict: its own error, on deserialization
    return missing


def missing_components_error(missing, source):
    """One :class:`MissingComponentError` naming every ``(kind, name, provider)`` in ``missing``."""
    if len(missing) == 1:
        kind, name, provider = missing[0]
        return _one_missing_error(kind, name, provider, source, "")
    items = "; ".join(f"the {_SINGULAR.get(kind, kind)} {name!r} ({_origin(name, provider)})"
                      for kind, name, provider in missing)
    distributions = sorted({(p["distribution"], p.get("version") or "") for _, _, p in missing
                            if p and p.get("distribution")})
    message = f"Cannot load {source}: it uses {len(missing)} components that nothing registers in this process: {items}."
    if distributions:
        message += (" Install what provided them: pip install "
                    + " ".join(f"{d}{'==' + v if v else ''}" for d, v in distributions) + "; or")
    message += (" register each with numkeras.<kind>.register(name, obj), or pass them in custom_objects={"
                + ", ".join(f"{name!r}: ..." for _, name, _ in missing) + "} to the loading function.")
    kind, name, provider = missing[0]
    return MissingComponentError(message, kind=kind, name=name, provider=provider, missing=missing)


def _origin(name, provider):
    if provider and provider.get("distribution"):
        return (f"provided by the plugin distribution {provider['distribution']} "
                f"{provider.get('version') or ''} (module {provider.get('module')}) when saved").replace("  ", " ")
    if provider and provider.get("module"):
        return f"registered at runtime or given as a custom object, from module {provider['module']}, when saved"
    return "the file does not record where it came from"


def missing_component_error(error, providers, source):
    """A :class:`MissingComponentError` for the registry ``error``, saying what provided the name when saved."""
    kind, name = getattr(error, "kind", None), getattr(error, "name", None)
    if kind is None or name is None:
        return error
    provider = (providers or {}).get(kind, {}).get(name)
    hint = str(error).split("Did you mean: ", 1)
    suffix = " (Did you mean: " + hint[1].split("?", 1)[0] + "?)" if len(hint) == 2 else ""
    return _one_missing_error(kind, name, provider, source, suffix)


def _one_missing_error(kind, name, provider, source, suffix):
    what = _SINGULAR.get(kind, kind)
    message = f"Cannot load {source}: it uses the {what} {name!r}, which nothing registers in this process."
    if provider and provider.get("distribution"):
        distribution = provider["distribution"]
        version = provider.get("version") or ""
        message += (
            f" When the file was saved, {name!r} was provided by the plugin distribution "
            f"{distribution} {version} (module {provider.get('module')}). Install it "
            f"(pip install {distribution}{'==' + version if version else ''}), or"
        ).replace("  ", " ")
    elif provider and provider.get("module"):
        message += (
            f" When the file was saved, it was registered at runtime or given as a custom object "
            f"(module {provider['module']}); no plugin distribution provided it. Import that module "
            f"so it registers {name!r}, or"
        )
    else:
        message += " The file does not record where it came from (a custom object, or a file written by Keras);"
    message += (
        f" register it with numkeras.{kind}.register({name!r}, obj), or pass "
        f"custom_objects={{{name!r}: obj}} to the loading function."
    )
    return MissingComponentError(message + suffix, kind=kind, name=name, provider=provider)


__all__ = ["referenced_components", "component_providers", "missing_components", "missing_components_error",
           "missing_component_error"]
