"""The tf_keras reference values of ``tests/data/make_layer_references.py``, and how to replay them.

``layer_cases(prefix)`` / ``optimizer_cases(prefix)`` list the recorded case names;
``replay_layer(name)`` builds the numkeras layer from tf_keras's own serialization,
gives it tf_keras's weights (or adapts it on the same data), calls it as tf_keras was
called and returns ``(numkeras outputs, tf_keras outputs)``; ``replay_optimizer(name)``
does the same for an optimizer's updates. Nothing here computes an expected value:
every expected array was written by tf_keras.
"""

import functools
import json
import pathlib

import numpy as np

import numkeras

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
TOLERANCE = dict(rtol=1e-5, atol=1e-5)


@functools.lru_cache(maxsize=1)
def _load():
    with open(DATA / "tf_keras_layer_references.json") as f:
        meta = json.load(f)
    with np.load(DATA / "tf_keras_layer_references.npz") as arrays:
        return meta, {k: arrays[k] for k in arrays.files}


def case(name):
    """The JSON entry of case ``name`` (its tf_keras serialization, call arguments, array names)."""
    return _load()[0]["cases"][name]


def array(name, key):
    return _load()[1][f"{name}/{key}"]


def _names(kind, prefix):
    return sorted(n for n, c in _load()[0]["cases"].items() if c["kind"] == kind and n.startswith(prefix))


def layer_cases(prefix=""):
    return _names("layer", prefix)


def optimizer_cases(prefix=""):
    return _names("optimizer", prefix)


def _series(name, stem):
    entry = case(name)["arrays"].get(stem, [])
    return [array(name, key) for key in sorted(entry, key=lambda k: int(k[len(stem):]))]


def replay_layer(name):
    """Builds, loads and calls the layer of case ``name``; returns ``(layer, outputs, expected outputs)``."""
    entry = case(name)
    layer = numkeras.layers.deserialize(entry["serialized"])
    inputs, masks = _series(name, "x"), _series(name, "mask")
    extra = dict(entry["call"])
    if masks:
        extra["mask"] = masks
    if "attention_mask" in entry["arrays"]:
        extra["attention_mask"] = array(name, "attention_mask")

    def call():
        if entry["positional"]:
            key = inputs[2] if len(inputs) > 2 else None
            return layer(inputs[0], inputs[1], key=key, **extra)
        return layer(inputs if len(inputs) > 1 else inputs[0], **extra)

    if "adapt_data" in entry["arrays"]:
        layer.adapt(array(name, "adapt_data"))
        for got, expected in zip(layer.get_weights(), _series(name, "adapted")):
            np.testing.assert_allclose(got, expected, err_msg=f"{name}: adapted weights", **TOLERANCE)
    else:
        call()
        layer.set_weights(_series(name, "w"))
    outputs = call()
    outputs = [np.asarray(o.data) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
    return layer, outputs, _series(name, "y")


def replay_optimizer(name):
    """Runs the optimizer of case ``name`` on tf_keras's gradients; returns ``[(step, numkeras params, tf_keras
    params)]``."""
    from numkeras import backend as K

    entry = case(name)
    optimizer = numkeras.optimizers.deserialize(entry["serialized"])
    count = len(entry["shapes"])
    variables = [K.Variable(array(name, f"p{i}"), name=f"w{i}:0") for i in range(count)]
    history = []
    for step in range(entry["steps"]):
        grads = [array(name, f"g{step}_{i}") for i in range(count)]
        optimizer.apply_gradients(zip(grads, variables))
        history.append((step, [np.array(v.data) for v in variables],
                        [array(name, f"p{step}_{i}") for i in range(count)]))
    return history
