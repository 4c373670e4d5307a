"""Fuzzing the public API with what hurried users pass: wrong types, out-of-range values, odd shapes, NaN.

The property, for every call: it succeeds, or it raises an error of the ValueError /
TypeError / KeyError / OSError families *from numkeras's own code* (not a bare
NumPy or Python error from deep inside), and a call that raised left the weights,
the optimizer state and ``iterations`` byte-identical. Never an AttributeError,
RecursionError or NumPy's "truth value of an array is ambiguous".
"""

import copy
import json
import math
import os
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numkeras
from numkeras import Sequential
from numkeras.layers import Dense

# CI runs 60 examples per property; NUMKERAS_FUZZ_EXAMPLES=2000 searches harder.
FUZZ = settings(max_examples=int(os.environ.get("NUMKERAS_FUZZ_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
ALLOWED = (ValueError, TypeError, KeyError, OSError)
# Messages of errors raised by NumPy or Python internals rather than by a check of numkeras.
BARE = ("truth value of an array", "could not convert", "setting an array element", "operands could not be broadcast",
        "object is not callable", "object is not iterable", "unsupported operand", "has no len()",
        "'NoneType'", "cannot be interpreted as an integer", "invalid literal", "ufunc", "index out of range",
        "list indices must be", "missing 1 required positional argument", "unhashable type")

rng = np.random.default_rng(0)
X = rng.normal(size=(12, 3)).astype("float32")
Y = rng.normal(size=(12, 1)).astype("float32")

odd = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.integers(-2 ** 63, 2 ** 63),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.integers(-2, 4), max_size=3), st.dictionaries(st.integers(-1, 3), st.floats(-2, 2), max_size=3),
    st.just(np.ones(3)), st.just(np.float32(0.5)), st.just(Dense), st.just(object()),
)


def _raised_by_numkeras(error):
    """The innermost frame of the traceback is numkeras's (core or built-in plugins), not NumPy's or Python's."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/numkeras/" in f.filename or "/numkeras_builtins/" in f.filename]
    return bool(ours) and frames[-1] is ours[-1]


def assert_clear(error):
    assert isinstance(error, ALLOWED), f"{type(error).__name__}: {error}"
    text = str(error)
    assert not any(fragment in text for fragment in BARE), f"bare internal error: {type(error).__name__}: {text}"
    assert _raised_by_numkeras(error), "".join(traceback.format_exception(error))[-1500:]


def _model():
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(2, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile("adam", "mse", metrics=["mae"])
    model.train_on_batch(X, Y)  # the optimizer has state to keep
    return model


def _state(model):
    return ([w.tobytes() for w in model.get_weights()], [np.asarray(w).tobytes() for w in model.optimizer.get_weights()])


def call_safely(model, call):
    """Runs ``call``; on an error, checks that it is clear and that the model is as it was."""
    before = _state(model)
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the property under test
        assert_clear(error)
        assert _state(model) == before, "a rejected call changed the model"
        return error
    return None


FIT_ARGUMENTS = ("batch_size", "epochs", "verbose", "validation_split", "shuffle", "class_weight", "sample_weight",
                 "initial_epoch", "steps_per_epoch", "validation_steps", "validation_freq", "callbacks",
                 "max_queue_size", "workers", "use_multiprocessing", "validation_batch_size")
SLOW_IF_HUGE = ("epochs", "steps_per_epoch", "validation_steps", "validation_freq")


def _bounded(name, value):
    """Large counts that are valid would only make the test slow (not hang numkeras): keep them small."""
    if name in SLOW_IF_HUGE and isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 3:
        return 3
    return value


@FUZZ
@given(st.dictionaries(st.sampled_from(FIT_ARGUMENTS), odd, max_size=3))
def test_fit_with_odd_arguments(arguments):
    model = _model()
    arguments = {name: _bounded(name, value) for name, value in arguments.items()}
    arguments.setdefault("verbose", 0)
    call_safely(model, lambda: model.fit(X, Y, **arguments))


@FUZZ
@given(st.sampled_from(["evaluate", "predict"]),
       st.dictionaries(st.sampled_from(["batch_size", "verbose", "steps", "callbacks", "sample_weight",
                                        "return_dict", "workers"]), odd, max_size=3))
def test_evaluate_and_predict_with_odd_arguments(method, arguments):
    model = _model()
    arguments = {name: _bounded(name, value) for name, value in arguments.items()}
    if method == "predict":
        arguments.pop("sample_weight", None)
        arguments.pop("return_dict", None)
        call_safely(model, lambda: model.predict(X, **arguments))
    else:
        call_safely(model, lambda: model.evaluate(X, Y, **arguments))


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from(["float32", "float64", "int64", "bool", "U1", "object", "complex64"])


@st.composite
def arrays(draw):
    shape, dtype = draw(shapes), draw(dtypes)
    if dtype == "object":
        return np.empty(shape, dtype=object)
    fill = draw(st.sampled_from([0.0, 1.0, np.nan, np.inf]))
    if dtype == "U1":
        return np.full(shape, "a")
    return np.full(shape, fill).astype(dtype) if not (dtype in ("int64", "bool") and not math.isfinite(fill)) \
        else np.zeros(shape, dtype=dtype)


@FUZZ
@given(st.one_of(arrays(), st.lists(st.lists(st.floats(-1, 1), max_size=4), max_size=4)),
       st.one_of(arrays(), st.lists(st.floats(-1, 1), max_size=13)))
def test_fit_and_evaluate_with_odd_data(x, y):
    model = _model()
    call_safely(model, lambda: model.fit(x, y, epochs=1, verbose=0))
    call_safely(model, lambda: model.evaluate(x, y, verbose=0))
    call_safely(model, lambda: model.predict(x))


@FUZZ
@given(st.dictionaries(st.sampled_from(["optimizer", "loss", "metrics", "loss_weights", "sample_weight_mode",
                                        "weighted_metrics", "check_numerics"]),
                       st.one_of(odd, st.sampled_from(["sgd", "adam", "mse", "acc", "temporal", "nope"])),
                       max_size=3))
def test_compile_with_odd_arguments(arguments):
    model = _model()
    arguments.setdefault("loss", "mse")
    objective = model.objective
    error = call_safely(model, lambda: model.compile(**arguments))
    if error is not None:
        assert model.objective is objective


LAYERS = {
    "Dense": ("units", "activation", "use_bias", "kernel_initializer", "kernel_regularizer"),
    "Dropout": ("rate", "noise_shape", "seed"),
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "dilation_rate", "activation"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "LSTM": ("units", "activation", "dropout", "return_sequences"),
    "Embedding": ("input_dim", "output_dim", "mask_zero", "input_length"),
    "BatchNormalization": ("axis", "momentum", "epsilon"),
    "Reshape": ("target_shape",),
    "Activation": ("activation",),
}
REQUIRED = {"Dense": {"units": 2}, "Dropout": {"rate": 0.5}, "Conv2D": {"filters": 2, "kernel_size": 3},
            "LSTM": {"units": 2}, "Embedding": {"input_dim": 5, "output_dim": 2}, "Reshape": {"target_shape": (3,)},
            "Activation": {"activation": "relu"}}


@FUZZ
@given(st.sampled_from(sorted(LAYERS)).flatmap(
    lambda name: st.tuples(st.just(name), st.dictionaries(st.sampled_from(LAYERS[name]), odd, max_size=2))))
def test_layer_constructors_with_odd_arguments(case):
    name, arguments = case
    arguments = {**REQUIRED.get(name, {}), **arguments}
    try:
        getattr(numkeras.layers, name)(**arguments)
    except Exception as error:  # noqa: BLE001 - the property under test
        assert_clear(error)


def _mutations():
    """Small edits to a valid model config: drop a key, retype a value, rename a class."""
    path_step = st.one_of(st.integers(0, 5), st.sampled_from(["config", "layers", "class_name", "name", "units",
                                                              "inbound_nodes", "batch_input_shape", "activation"]))
    return st.lists(st.tuples(st.lists(path_step, min_size=1, max_size=5),
                              st.sampled_from(["delete", "replace"]), odd), min_size=1, max_size=3)


def _apply(config, mutations):
    config = copy.deepcopy(config)
    for path, action, value in mutations:
        node = config
        for step in path[:-1]:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        key = path[-1]
        if isinstance(node, dict) and isinstance(key, str) and key in node:
            if action == "delete":
                del node[key]
            else:
                node[key] = value if not isinstance(value, np.ndarray) else value.tolist()
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            if action == "delete":
                del node[key]
            else:
                node[key] = value if not isinstance(value, np.ndarray) else value.tolist()
    return config


def _json_safe(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


@FUZZ
@given(st.sampled_from(["sequential", "functional"]), _mutations())
def test_model_from_json_on_mutated_configs(kind, mutations):
    if kind == "sequential":
        model = Sequential([Dense(2, activation="relu", input_shape=(3,)), Dense(1)])
    else:
        inputs = numkeras.Input((3,))
        model = numkeras.Model(inputs, Dense(1)(Dense(2)(inputs)))
    text = _json_safe(_apply(json.loads(model.to_json()), mutations))
    if text is None:
        return
    try:
        numkeras.models.model_from_json(text)
    except Exception as error:  # noqa: BLE001 - the property under test
        assert_clear(error)
