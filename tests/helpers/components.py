"""Table-driven checks shared by the component tests (losses, metrics, optimizers …).

``builtin_names(kind)`` lists the names the numkeras distribution registers for a kind
(its entry points), so a test parametrised over it grows a row whenever an entry point
is added. ``assert_config_roundtrip`` serializes a component, checks the result is
JSON, deserializes it and compares the configs (a function, serialized as its name,
must come back as itself or as a same-named function with the same values). ``numerical_gradient`` differentiates
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
        _assert_same_function(kind, config, obj, rebuilt)
        return rebuilt
    assert type(rebuilt) is type(obj), f"{kind}: {config['class_name']!r} rebuilt as {type(rebuilt).__name__}"
    assert rebuilt.get_config() == obj.get_config(), (rebuilt.get_config(), obj.get_config())
    return rebuilt


# Arguments to call a function of each kind with, to tell two functions of one name apart.
_SAMPLE_ARGUMENTS = {
    "activations": lambda rng: (rng.normal(size=(4, 3)),),
    "losses": lambda rng: (np.eye(3)[[0, 2, 1, 1]], rng.dirichlet(np.ones(3), size=4)),
    "metrics": lambda rng: (np.eye(3)[[0, 2, 1, 1]], rng.dirichlet(np.ones(3), size=4)),
}


def _assert_same_function(kind, name, obj, rebuilt):
    """A function serialized as ``name`` must come back as itself, or as a function of the
    same name that gives the same values (e.g. the same function reloaded from its module).

    Every pair of functions has one type, so comparing types would accept any function.
    """
    if rebuilt is obj:
        return
    assert callable(rebuilt), f"{kind}: {name!r} rebuilt as {rebuilt!r}, which is not callable"
    assert getattr(rebuilt, "__name__", None) == getattr(obj, "__name__", None), (
        f"{kind}: {name!r} rebuilt as {rebuilt!r}, not {obj!r}")
    assert kind in _SAMPLE_ARGUMENTS, f"{kind}: {name!r} rebuilt as another object {rebuilt!r}"
    args = _SAMPLE_ARGUMENTS[kind](np.random.default_rng(0))
    np.testing.assert_allclose(np.asarray(rebuilt(*args)), np.asarray(obj(*args)), rtol=1e-12,
                               err_msg=f"{kind}: {name!r} rebuilt as a function that computes other values")


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
