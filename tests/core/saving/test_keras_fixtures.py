"""HDF5 files written by tf.keras 2.15 (tests/data/keras2_*.h5) load and predict what Keras predicted.

The fixtures and how they were made are described in tests/data/README.md. A
fixture whose layers are not registered (yet) is an expected failure, named.
"""

import warnings

import numpy as np
import pytest

from numkeras.models import load_model
from numkeras.registry import registry

from .helpers import DATA

FIXTURES = {
    "mlp": {"layers": ["Dense", "Dropout"], "iterations": 4},
    "cnn_bn": {"layers": ["Conv2D", "BatchNormalization", "Activation", "MaxPooling2D", "Flatten", "Dense"],
               "iterations": 4},
    "lstm": {"layers": ["LSTM", "Dense"], "iterations": 4},
    "gru": {"layers": ["GRU", "Dense"], "iterations": 4},
    "two_in_two_out": {"layers": ["Dense"], "iterations": 4},
    "concat_nested": {"layers": ["Concatenate", "Dense"], "iterations": 4},
}


def _fixture(name):
    missing = [layer for layer in FIXTURES[name]["layers"] if layer not in registry("layers").names()]
    marks = [pytest.mark.xfail(reason=f"layers not registered yet: {', '.join(missing)}", strict=False)] \
        if missing else []
    return pytest.param(name, marks=marks, id=name)


def _arrays(name):
    archive = np.load(DATA / f"keras2_{name}.npz")
    pick = lambda prefix: [archive[k] for k in sorted(archive.files) if k.rstrip("0123456789") == prefix]
    return pick("x"), pick("y"), pick("pred")


def _one_or_list(arrays):
    return arrays[0] if len(arrays) == 1 else arrays


@pytest.mark.parametrize("name", [_fixture(name) for name in FIXTURES])
def test_keras2_file_predicts_what_keras_predicted(name):
    xs, ys, preds = _arrays(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Error in loading the saved optimizer state"
        model = load_model(DATA / f"keras2_{name}.h5")
    outputs = model.predict(_one_or_list(xs))
    outputs = outputs if isinstance(outputs, list) else [outputs]
    assert len(outputs) == len(preds)
    for output, expected in zip(outputs, preds):
        np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)
    assert int(model.optimizer.iterations.data) == FIXTURES[name]["iterations"]
    history = model.fit(_one_or_list(xs), _one_or_list(ys), epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


def test_keras2_training_config_is_translated():
    model = load_model(DATA / "keras2_mlp.h5")
    assert model.metrics_names == ["loss", "accuracy"]
    assert type(model.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(model.optimizer.lr.data), 0.01, rtol=1e-6)
    assert model.optimizer.epsilon == pytest.approx(1e-7)


def test_keras2_weights_load_into_a_model_built_in_code():
    from numkeras.layers import Dense, Dropout
    from numkeras.models import Sequential

    xs, _, preds = _arrays("mlp")
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dropout(0.25), Dense(3, activation="softmax")])
    model.load_weights(DATA / "keras2_mlp.h5")
    np.testing.assert_allclose(model.predict(xs[0]), preds[0], rtol=1e-4, atol=1e-5)
    renamed = Sequential([Dense(8, activation="relu", input_shape=(4,), name="dense_1"), Dense(3, name="other")])
    renamed.load_weights(DATA / "keras2_mlp.h5", by_name=True)
    np.testing.assert_array_equal(renamed.get_layer("dense_1").get_weights()[1],
                                  model.layers[0].get_weights()[1])
