"""The conformance checks that put a component in a model: training, saving (in a fresh
process), metric accumulation and callback hooks. Each check's docstring says what it proves.
"""

import json
import os
import pickle
import tempfile

import numpy as np

from .. import backend as K
from ..engine import Input, Model
from ..utils.random import set_random_seed
from . import fresh_process
from .checks import _assert_close, _feed_metric, _flat, namespace, values
from .errors import CheckSkipped, Failure, check, expect

_SAMPLES = 16


def _dense(units, **kwargs):
    return namespace("layers").get("Dense")(units, **kwargs)


def _toy_model(component):
    """A small compiled-ready model that uses the component, with data it can learn.

    Returns:
        ``(model, x, y, compile_kwargs)``.
    """
    rng = np.random.default_rng(0)
    kind = component.kind
    if kind == "layers":
        layer = component.build()
        inputs = [Input(shape=tuple(s), dtype=component.input_dtype or K.floatx())
                  for s in (component.input_shape if component.multiple_inputs else [component.input_shape])]
        out = layer(inputs if component.multiple_inputs else inputs[0])
        out = _flat(out)[0]
        if len(out.shape) > 2:
            out = namespace("layers").get("Flatten")()(out)
        model = Model(inputs if component.multiple_inputs else inputs[0], _dense(1)(out))
        x = component.example_inputs(batch=_SAMPLES)
        y = rng.normal(size=(_SAMPLES, 1)).astype(K.floatx())
        return model, x, y, {"optimizer": "adam", "loss": "mse"}, layer
    x = rng.normal(size=(_SAMPLES, 4)).astype(K.floatx())
    labels = rng.integers(0, 3, size=_SAMPLES)
    one_hot = np.eye(3, dtype=K.floatx())[labels]
    inputs = Input(shape=(4,))
    compile_kwargs = {"optimizer": "adam", "loss": "categorical_crossentropy"}
    hidden_kwargs = {}
    if kind in ("losses", "metrics"):
        if component.targets == "values":
            raise CheckSkipped("a metric fed one array (like Mean) is not given to compile(metrics=...)")
        spec = component.name if component.is_function and component.name else component.build()
        compile_kwargs["loss" if kind == "losses" else "metrics"] = spec if kind == "losses" else [spec]
        if component.targets == "sparse":
            y = labels.reshape(-1, 1).astype(K.floatx())
            if kind == "metrics":
                compile_kwargs["loss"] = "sparse_categorical_crossentropy"
        elif component.targets == "binary":
            y = rng.integers(0, 2, size=(_SAMPLES, 3)).astype(K.floatx())
            compile_kwargs.setdefault("loss", "binary_crossentropy")
        elif component.targets == "regression":
            y = rng.uniform(0.5, 1.5, size=(_SAMPLES, 3)).astype(K.floatx())
            compile_kwargs["loss"] = compile_kwargs.get("loss") if kind == "losses" else "mse"
        else:
            y = one_hot
        last = {"binary": "sigmoid", "regression": "softplus"}.get(component.targets, "softmax")
        out = _dense(3, activation=last)(_dense(5)(inputs))
        return Model(inputs, out), x, y, compile_kwargs, None
    if kind == "optimizers":
        compile_kwargs["optimizer"] = component.build()
    elif kind == "activations":
        hidden_kwargs["activation"] = component.name or component.build()
    else:
        key = {"initializers": "kernel_initializer", "regularizers": "kernel_regularizer",
               "constraints": "kernel_constraint"}[kind]
        hidden_kwargs[key] = component.build()
    out = _dense(3, activation="softmax")(_dense(5, **hidden_kwargs)(inputs))
    return Model(inputs, out), x, one_hot, compile_kwargs, None


@check("layers", "losses", "metrics", "optimizers", "activations", "initializers", "regularizers", "constraints")
def check_training(component):
    """A model using the component learns, freezes and keeps its weights.

    Proves: a small model using the component (as a layer, its loss, a metric, its
    optimizer, a hidden layer's activation, initializer, regularizer or constraint)
    fits 15 full-batch epochs on a learnable toy task and its loss goes down (a metric
    is logged as a finite float each epoch); a layer with ``trainable=False`` keeps its
    weights through ``fit``; and ``set_weights(get_weights())`` on a fresh model
    restores the outputs exactly.
    """
    set_random_seed(0)
    model, x, y, compile_kwargs, layer = _toy_model(component)
    model.compile(**compile_kwargs)

    def loss():  # at inference, so that dropout and noise do not blur the comparison
        return float(np.atleast_1d(model.evaluate(x, y, batch_size=_SAMPLES, verbose=0))[0])

    before = loss()
    history = model.fit(x, y, epochs=15, batch_size=_SAMPLES, verbose=0).history
    after = loss()
    expect(np.isfinite(after) and after < before, "the loss to go down over 15 epochs",
           f"{before:.6g} → {after:.6g}",
           "Are the component's gradients right (check_gradients) and connected to its weights?")
    set_random_seed(1)
    twin = _toy_model(component)[0]
    twin.set_weights(model.get_weights())
    _assert_close(values(twin.predict(x, batch_size=_SAMPLES)), values(model.predict(x, batch_size=_SAMPLES)),
                  "outputs after set_weights(get_weights())", rtol=0, atol=0)
    if component.kind == "metrics":
        keys = [k for k in history if k != "loss"]
        expect(keys and all(isinstance(v, float) and np.isfinite(v) for v in history[keys[0]]),
               "the metric logged as a finite float every epoch", {k: history[k] for k in keys})
    if layer is not None and layer.weights:
        layer.trainable = False
        model.compile(**compile_kwargs)
        frozen = [np.array(w) for w in layer.get_weights()]
        model.fit(x, y, epochs=2, batch_size=_SAMPLES, verbose=0)
        changed = [i for i, (a, b) in enumerate(zip(frozen, layer.get_weights())) if not np.array_equal(a, b)]
        expect(not changed, "trainable=False to freeze the layer's weights", f"weights {changed} changed by fit",
               "Are its weights created with add_weight(trainable=...) so the layer's flag applies?")


# -- saving -----------------------------------------------------------------------
@check("layers", "losses", "metrics", "optimizers", "activations", "initializers", "regularizers", "constraints")
def check_saving(component):
    """A saved model using the component loads by name, without ``custom_objects``.

    Proves: a small model using the component, saved to HDF5 and to JSON + weights, is
    loaded in a **fresh Python process** that has never imported the component's module
    (only the installed entry points can resolve its name), without ``custom_objects``,
    and predicts (and, when compiled, evaluates) the same numbers; the HDF5 file records
    the distribution that provides the component. With ``fresh_process=False`` the
    loading happens in this process instead (faster; proves less).
    """
    set_random_seed(0)
    model, x, y, compile_kwargs, _ = _toy_model(component)
    compiled = component.kind not in ("layers", "activations", "initializers", "constraints")
    if compiled:
        model.compile(**compile_kwargs)
        model.fit(x, y, epochs=1, batch_size=_SAMPLES, verbose=0)
    with tempfile.TemporaryDirectory(prefix="numkeras-kit-") as folder:
        h5 = os.path.join(folder, "model.h5")
        model.save(h5)
        with open(os.path.join(folder, "model.json"), "w") as f:
            f.write(model.to_json())
        model.save_weights(os.path.join(folder, "weights.h5"))
        for i, array in enumerate(_flat(x)):
            np.save(os.path.join(folder, f"x{i}.npy"), array)
        np.save(os.path.join(folder, "y.npy"), y)
        expected = {"h5": values(model.predict(x, batch_size=_SAMPLES)),
                    "json": values(model.predict(x, batch_size=_SAMPLES))}
        if compiled:
            expected["evaluate"] = np.atleast_1d(np.asarray(model.evaluate(x, y, batch_size=_SAMPLES, verbose=0)))
        found = fresh_process.load_and_predict(folder, len(_flat(x)), compiled, in_process=not component.fresh_process)
        _check_provider_recorded(component, h5)
    if "error" in found:
        raise Failure("the saved model to load without custom_objects" +
                      (" in a fresh process" if component.fresh_process else ""), found["error"],
                      "Is the component declared as an entry point of an installed distribution (not only "
                      "registered at runtime), under the name its config is written with?")
    for key, array in expected.items():
        _assert_close(found[key], array, f"the reloaded model's {key} result", rtol=1e-5, atol=1e-6)


def _check_provider_recorded(component, path):
    import h5py

    if component.name is None:
        return
    provider = component.registry.provider(component.name)
    if provider.distribution is None:
        return
    with h5py.File(path, "r") as f:
        recorded = json.loads(f.attrs.get("numkeras_components", "{}"))
    written = component.name
    if not component.is_function:  # an instance is written under its class's name (a factory's too)
        serialized = namespace(component.kind).serialize(component.build())
        written = serialized["class_name"] if isinstance(serialized, dict) else serialized
    entry = recorded.get(component.kind, {}).get(written)
    expect(entry is not None and entry.get("distribution") == provider.distribution,
           f"the file to record {written!r} as provided by {provider.distribution}",
           f"numkeras_components = {recorded}")


# -- metrics -------------------------------------------------------------------------
@check("metrics")
def check_metric_accumulation(component):
    """A stateful metric accumulates batches as if it saw all the data at once, and resets.

    Proves: updating with three batches gives the result of one update with their
    concatenation; ``reset_states()`` returns it to a fresh metric's result; and after a
    reset, one batch gives that batch's result alone. A metric function is averaged by
    the engine (``check_batch_independence`` covers it).
    """
    if component.is_function:
        raise CheckSkipped("a metric function is averaged per sample by the engine; check_batch_independence covers it")
    batches = [component.example_targets(batch=n, seed=s) for s, n in ((1, 3), (2, 5), (3, 2))]
    whole = (None if component.targets == "values" else np.concatenate([b[0] for b in batches]),
             np.concatenate([b[1] for b in batches]))

    def feed(metric, data):
        for y_true, y_pred in data:
            metric.update_state(y_pred) if component.targets == "values" else metric.update_state(y_true, y_pred)
        return values(metric.result())

    metric = component.build()
    fresh = values(component.build().result())
    accumulated = feed(metric, batches)
    at_once = feed(component.build(), [whole])
    expect(np.allclose(accumulated, at_once, rtol=1e-6, atol=1e-7, equal_nan=True),
           f"three batches to give the result of all the data at once, {at_once}", accumulated,
           "Accumulate sums and counts in state variables (add_weight); average in result().")
    metric.reset_states()
    after_reset = values(metric.result())
    expect(np.allclose(after_reset, fresh, equal_nan=True), f"reset_states() to give a fresh metric's result {fresh}",
           after_reset, "Create every state variable with add_weight (reset_states resets those) or override "
                        "reset_states().")
    alone = feed(component.build(), batches[:1])
    again = feed(metric, batches[:1])
    expect(np.allclose(again, alone, rtol=1e-6, atol=1e-7, equal_nan=True),
           f"one batch after reset_states() to give that batch's result {alone}", again,
           "Some state survived reset_states().")


# -- callbacks -------------------------------------------------------------------------
_BATCH_LOGS = {"batch": 0, "size": 2}


def _call_every_hook(callback, model):
    callback.set_params({"epochs": 1, "steps": 1, "samples": 2, "verbose": 0, "do_validation": True,
                         "metrics": ["loss", "val_loss"], "batch_size": 2})
    callback.set_model(model)
    callback.on_train_begin({})
    callback.on_epoch_begin(0, {})
    callback.on_batch_begin(0, dict(_BATCH_LOGS))
    callback.on_train_batch_begin(0, dict(_BATCH_LOGS))
    callback.on_batch_end(0, dict(_BATCH_LOGS, loss=0.5))
    callback.on_train_batch_end(0, dict(_BATCH_LOGS, loss=0.5))
    callback.on_test_begin({})
    callback.on_test_batch_begin(0, dict(_BATCH_LOGS))
    callback.on_test_batch_end(0, dict(_BATCH_LOGS, loss=0.6))
    callback.on_test_end({"loss": 0.6})
    callback.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    callback.on_train_end({"loss": 0.5, "val_loss": 0.6})
    callback.on_predict_begin({})
    callback.on_predict_batch_begin(0, dict(_BATCH_LOGS))
    callback.on_predict_batch_end(0, dict(_BATCH_LOGS, outputs=np.zeros((2, 1))))
    callback.on_predict_end({})


@check("callbacks")
def check_callback_hooks(component):
    """Every hook takes the logs Keras gives; the callback runs in ``fit``; it pickles or says why not.

    Proves: ``set_params`` / ``set_model`` and every ``on_*`` hook (epoch, batch, train,
    test and predict, begin and end) accept the arguments and logs Keras 2.2 passes;
    ``fit`` / ``evaluate`` / ``predict`` with the callback run to completion; and the
    callback either survives ``pickle`` (same class after a round trip) or refuses with
    a ``TypeError`` / ``pickle.PicklingError`` whose message names it.
    """
    with tempfile.TemporaryDirectory(prefix="numkeras-kit-") as folder:
        cwd = os.getcwd()
        os.chdir(folder)  # callbacks that write files (CSVLogger, ModelCheckpoint) write here
        try:
            inputs = Input(shape=(3,))
            model = Model(inputs, _dense(1)(inputs))
            model.compile("sgd", "mse")
            callback = component.build()
            _call_every_hook(callback, model)
            x = np.random.default_rng(0).normal(size=(4, 3)).astype(K.floatx())
            model.fit(x, x[:, :1], epochs=2, batch_size=2, verbose=0, validation_data=(x, x[:, :1]),
                      callbacks=[component.build()])
            model.evaluate(x, x[:, :1], batch_size=2, verbose=0, callbacks=[component.build()])
            model.predict(x, batch_size=2, callbacks=[component.build()])
        finally:
            os.chdir(cwd)
    callback = component.build()
    try:
        copy = pickle.loads(pickle.dumps(callback))
    except (TypeError, pickle.PicklingError, AttributeError) as error:
        named = type(callback).__name__ in str(error)
        expect(named, f"pickling to work or fail with a message naming {type(callback).__name__}",
               f"{type(error).__name__}: {error}",
               "Define __getstate__ (drop what cannot pickle), or __reduce__ raising a TypeError that says why.")
        return
    expect(type(copy) is type(callback), f"a {type(callback).__name__} after pickling", type(copy).__name__)
