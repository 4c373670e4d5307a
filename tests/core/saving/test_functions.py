"""Lambda functions in saved models: by name when possible, bytecode only with ``safe_mode=False``."""

import json
import subprocess
import sys

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.layers import Dense, Lambda
from numkeras.models import Sequential, load_model, model_from_json
from numkeras.saving import UnsafeDeserializationError
from numkeras.saving.functions import deserialize_function, serialize_function

from .helpers import DATA, data


def cube(x):
    """A module-level function: saved by its import path."""
    return x ** 3


def _lambda_model(function, **kwargs):
    return Sequential([Dense(3, input_dim=4), Lambda(function, **kwargs)])


def _function_config(model):
    return json.loads(model.to_json())["config"]["layers"][1]["config"]["function"]


def test_anonymous_lambda_needs_safe_mode_false(tmp_path):
    x = data()["x"]
    offset = 0.5
    model = _lambda_model(lambda t: t * 2.0 + offset)
    config = _function_config(model)
    assert config["bytecode"] is not None and config["bytecode"][2] == [0.5]  # the closure
    model.save(tmp_path / "l.h5")
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False") as info:
        load_model(tmp_path / "l.h5", compile=False)
    assert "arbitrary code" in str(info.value) and "load_weights" in str(info.value)
    with pytest.raises(UnsafeDeserializationError):
        model_from_json(model.to_json())
    loaded = load_model(tmp_path / "l.h5", compile=False, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))


def test_importable_function_is_imported_only_when_unsafe(tmp_path):
    x = data()["x"]
    model = _lambda_model(cube)
    config = _function_config(model)
    assert (config["module"], config["qualname"], config["bytecode"]) == (__name__, "cube", None)
    model.save(tmp_path / "c.h5")
    with pytest.raises(UnsafeDeserializationError, match=rf"{__name__}:cube"):
        load_model(tmp_path / "c.h5", compile=False)
    np.testing.assert_allclose(load_model(tmp_path / "c.h5", compile=False, safe_mode=False).predict(x), model.predict(x))
    # A name in custom_objects is enough, in safe mode.
    np.testing.assert_allclose(load_model(tmp_path / "c.h5", compile=False, custom_objects={"cube": cube}).predict(x),
                               model.predict(x))


def test_registered_function_loads_in_safe_mode(tmp_path):
    x = data()["x"]

    def squash(t):
        return K.tanh(t) * 0.5

    numkeras.activations.register("squash_for_saving", squash)
    try:
        model = _lambda_model(squash)
        assert _function_config(model)["registry"] == "activations"
        assert _function_config(model)["name"] == "squash_for_saving"
        model.save(tmp_path / "r.h5")
        np.testing.assert_allclose(load_model(tmp_path / "r.h5", compile=False).predict(x), model.predict(x))
    finally:
        numkeras.registry.registry("activations").unregister("squash_for_saving")


def test_numkeras_backend_and_numpy_ufuncs_are_trusted(tmp_path):
    x = data()["x"]
    for function in (K.square, np.tanh):
        model = _lambda_model(function)
        model.save(tmp_path / "b.h5")
        np.testing.assert_allclose(load_model(tmp_path / "b.h5", compile=False).predict(x), model.predict(x), rtol=1e-6)


def test_lambda_output_shape_function_and_arguments(tmp_path):
    x = data()["x"]
    model = _lambda_model(lambda t, scale: t[:, :2] * scale, output_shape=lambda s: (s[0], 2),
                          arguments={"scale": 3.0})
    model.save(tmp_path / "o.h5")
    loaded = load_model(tmp_path / "o.h5", compile=False, safe_mode=False)
    assert loaded.output_shape == (None, 2)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))


def test_lambda_closing_over_an_unsaveable_object():
    layer = Dense(2)
    with pytest.raises(ValueError, match="enclosing scope"):
        serialize_function(lambda t: layer(t))


def test_bytecode_from_another_python_version_is_refused():
    config = serialize_function(lambda t: t)
    config["python_version"] = "2.7"
    with pytest.raises(ValueError, match="Python 2.7"):
        deserialize_function(config, safe_mode=False)


def test_keras2_lambda_file_loads_only_unsafe_and_only_under_the_python_that_wrote_it():
    """tests/data/keras2_lambda.h5 was written by tf.keras 2.15 under Python 3.11: Keras's func_dump bytecode,
    with no record of the Python version. Under Python 3.13 building it crashed the interpreter."""
    fixture = np.load(DATA / "keras2_lambda.npz")
    with pytest.raises(UnsafeDeserializationError):
        load_model(DATA / "keras2_lambda.h5")
    if sys.version_info[:2] not in ((3, 11), (3, 12)):  # 3.12 compiles this lambda to the same bytecode as 3.11
        with pytest.raises(ValueError, match="not Python .*'s: the file was written under another Python version"):
            load_model(DATA / "keras2_lambda.h5", safe_mode=False)
        return
    model = load_model(DATA / "keras2_lambda.h5", safe_mode=False)
    np.testing.assert_allclose(model.predict(fixture["x"]), fixture["pred"], rtol=1e-5, atol=1e-6)


def test_bytecode_that_records_this_python_version_needs_no_child_process(monkeypatch):
    config = serialize_function(lambda xs: sum(x * 2 for x in xs))  # a generator expression inside
    assert config["python_version"] == "%d.%d" % sys.version_info[:2]

    def no_processes(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "run", no_processes)
    assert deserialize_function(config, safe_mode=False)([1, 2]) == 6


def test_bytecode_without_a_recorded_version_is_checked_and_built():
    """As in a Keras file: the child says it is this Python's (a generator expression inside), and it runs."""
    config = serialize_function(lambda xs: sum(x * 2 for x in xs))
    del config["python_version"]
    assert deserialize_function(config, safe_mode=False)([1, 2]) == 6


def test_keras_function_type_name_uses_custom_objects():
    from numkeras.saving.functions import from_keras_function

    config = from_keras_function("my_fn", "function")
    with pytest.raises(ValueError, match="my_fn"):
        deserialize_function(config)
    assert deserialize_function(config, custom_objects={"my_fn": cube}) is cube
