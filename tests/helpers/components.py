"""Table-driven checks shared by the component tests (losses, metrics, optimizers …).

``builtin_names(kind)`` lists the names the numkeras distribution registers for a kind
(its entry points), so a test parametrised over it grows a row whenever an entry point
is added. ``assert_config_roundtrip`` serializes a component, checks the result is
JSON, deserializes it and compares the configs. ``numerical_gradient`` differentiates
a plain NumPy function by central differences (for references written in NumPy).

Example:
    >>> @pytest.mark.parametrize("name", builtin_names("constraints"))
    ... def test_resolves(name):
    ...     assert_config_roundtrip("constraints", numkeras.constraints.get(name))
"""

import importlib
import json

import importlib_metadata
import numpy as np


def builtin_names(kind):
    """Names the ``numkeras`` distribution declares in entry-point group ``numkeras.<kind>``, sorted."""
    names = set()
    for ep in importlib_metadata.entry_points(group=f"numkeras.{kind}"):
        dist = getattr(ep, "dist", None)
        if dist is None or dist.metadata["Name"] == "numkeras":
            names.add(ep.name)
    return sorted(names)


def builtin_entry_points(kind):
    """``{name: 'module:attribute'}`` for the numkeras distribution's entry points of ``kind``."""
    found = {}
    for ep in importlib_metadata.entry_points(group=f"numkeras.{kind}"):
        dist = getattr(ep, "dist", None)
        if dist is None or dist.metadata["Name"] == "numkeras":
            found[ep.name] = ep.value
    return found


def namespace(kind):
    """The public module of ``kind`` (``numkeras.losses`` …)."""
    return importlib.import_module(f"numkeras.{kind}")


def assert_config_roundtrip(kind, obj):
    """Serializes ``obj``, checks the result is JSON-able, rebuilds it and compares configs.

    Returns:
        The rebuilt component.
    """
    module = namespace(kind)
    config = module.serialize(obj)
    text = json.dumps(config)
    rebuilt = module.deserialize(json.loads(text))
    if isinstance(config, str):
        assert rebuilt is obj or rebuilt == obj or type(rebuilt) is type(obj), (config, rebuilt)
        return rebuilt
    assert type(rebuilt) is type(obj), f"{kind}: {config['class_name']!r} rebuilt as {type(rebuilt).__name__}"
    assert rebuilt.get_config() == obj.get_config(), (rebuilt.get_config(), obj.get_config())
    return rebuilt


def numerical_gradient(fn, x, eps=1e-6):
    """Central differences of the scalar NumPy function ``fn`` at ``x`` (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = float(fn(x))
        flat[i] = original - eps
        minus = float(fn(x))
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad
