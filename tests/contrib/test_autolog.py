"""contrib/numkeras-autolog: a hook plugin that records every fit to a JSON-lines run log."""

import importlib.util
import json
import os
import textwrap

import numpy as np
import pytest

import numkeras
from numkeras.hooks import plugin_manager
from numkeras.layers import Dense

from .conftest import CONTRIB, install_contrib, run_python

X = np.random.default_rng(0).random((20, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


@pytest.fixture
def autolog(monkeypatch, tmp_path):
    """The plugin registered with the hook manager for one test, logging to a temporary file."""
    monkeypatch.syspath_prepend(os.path.join(CONTRIB, "numkeras-autolog"))
    import numkeras_autolog

    monkeypatch.setenv(numkeras_autolog.PATH_ENV, str(tmp_path / "runs.jsonl"))
    plugin = numkeras_autolog.Autolog()
    plugin_manager().register(plugin)
    try:
        yield numkeras_autolog, tmp_path / "runs.jsonl"
    finally:
        plugin_manager().unregister(plugin)


def _model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([Dense(2, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile(numkeras.optimizers.SGD(lr=0.05), "mse", metrics=["mae"])
    return model


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_fit_is_recorded_without_a_callback(autolog):
    module, path = autolog
    model = _model()
    history = model.fit(X, Y, epochs=3, batch_size=5, verbose=0, validation_split=0.25)
    model.evaluate(X, Y, verbose=0)
    model.predict(X)
    (record,) = _records(path)  # evaluate / predict add nothing
    assert record["model_class"] == "Sequential" and record["model"] == model.name
    assert record["params"]["epochs"] == 3 and record["params"]["batch_size"] == 5
    assert record["params"]["metrics"] == ["loss", "mae", "val_loss", "val_mae"]
    assert [e["epoch"] for e in record["epochs"]] == [0, 1, 2]
    assert [e["logs"]["val_loss"] for e in record["epochs"]] == history.history["val_loss"]
    assert record["final_logs"] == record["epochs"][-1]["logs"]
    assert record["optimizer"]["class_name"] == "SGD" and record["loss"] == "mse"
    assert record["weights_sha256"] == module.weights_checksum(model.get_weights())
    assert record["num_params"] == 3 * 2 + 2 + 2 + 1 and record["stopped_early"] is False

    model.fit(X, Y, epochs=5, verbose=0, callbacks=[numkeras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1))])
    first, second = _records(path)
    assert first["run_id"] != second["run_id"]
    assert len(second["epochs"]) == 2 and second["stopped_early"] is True
    assert second["weights_sha256"] != first["weights_sha256"]


def test_checksum_covers_values_shapes_and_dtypes(autolog):
    module, _ = autolog
    weights = [np.zeros((2, 3), "float32"), np.ones(3, "float32")]
    checksum = module.weights_checksum(weights)
    assert checksum == module.weights_checksum([w.copy() for w in weights])
    assert checksum != module.weights_checksum([weights[0].reshape(3, 2), weights[1]])
    assert checksum != module.weights_checksum([weights[0].astype("float64"), weights[1]])
    assert checksum != module.weights_checksum([weights[0], weights[1] * 2])


TRAIN = textwrap.dedent("""
    import numpy as np
    import numkeras
    from numkeras.layers import Dense

    numkeras.utils.set_random_seed(1)
    model = numkeras.Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    model.fit(np.ones((6, 2)), np.ones((6, 1)), epochs=2, verbose=0)
    np.savez("weights.npz", *model.get_weights())
""")


@pytest.mark.slow
def test_installed_plugin_logs_every_fit_of_a_fresh_process(tmp_path):
    site = tmp_path / "site"
    install_contrib(site, "numkeras-autolog")
    work = tmp_path / "work"
    work.mkdir()
    # plugin autoloading on (the test suite turns it off), default log path in the working directory
    result = run_python(TRAIN, [site], {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None, "NUMKERAS_AUTOLOG_PATH": None},
                        cwd=work)
    assert result.returncode == 0, result.stderr
    (record,) = _records(work / "numkeras-runs.jsonl")
    assert [e["epoch"] for e in record["epochs"]] == [0, 1]
    saved = np.load(work / "weights.npz")
    spec = importlib.util.spec_from_file_location("autolog_plugin", site / "numkeras_autolog" / "plugin.py")
    plugin_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin_module)
    assert record["weights_sha256"] == plugin_module.weights_checksum([saved[k] for k in saved.files])

    # with autoloading disabled the same program writes nothing
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    result = run_python(TRAIN, [site], {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": "1", "NUMKERAS_AUTOLOG_PATH": None},
                        cwd=quiet)
    assert result.returncode == 0, result.stderr
    assert not (quiet / "numkeras-runs.jsonl").exists()
