"""A model file in Keras 2.2.4's layout, written here with h5py (Keras 2.2 no longer installs
next to a current TensorFlow), loads, predicts and resumes training.

The file is written the way Keras 2.2.4's ``keras/engine/saving.py`` writes one: byte-string
root attributes ``keras_version`` / ``backend`` / ``model_config`` / ``training_config``;
``model_weights`` with ``layer_names`` and, per layer, ``weight_names`` and one dataset per
weight at ``<layer>/<weight name>``; ``optimizer_weights`` holding
``[iterations, ms..., vs..., vhats...]`` where Adam without amsgrad keeps one-element
placeholder ``vhats`` (``K.zeros(1)``). The expected predictions and the training step are
computed here with NumPy from Keras 2.2's formulas, not by numkeras.
"""

import json

import h5py
import numpy as np
import pytest

from numkeras.models import load_model, model_from_json

GLOROT = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg",
                                                      "distribution": "uniform", "seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}


def _dense(name, units, activation, batch_input_shape=None):
    config = {"name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
              "kernel_initializer": GLOROT, "bias_initializer": ZEROS, "kernel_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
              "bias_constraint": None}
    if batch_input_shape:
        config.update(batch_input_shape=batch_input_shape, dtype="float32")
    return {"class_name": "Dense", "config": config}


MODEL_CONFIG = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
    _dense("dense_1", 5, "relu", [None, 3]), _dense("dense_2", 2, "softmax")]}}
TRAINING_CONFIG = {"optimizer_config": {"class_name": "Adam", "config": {
    "lr": 0.01, "beta_1": 0.9, "beta_2": 0.999, "decay": 0.0, "epsilon": 1e-07, "amsgrad": False}},
    "loss": "categorical_crossentropy", "metrics": ["accuracy"], "sample_weight_mode": None,
    "loss_weights": None}


def _bytes(values):
    return np.array([v.encode("utf8") for v in values])


@pytest.fixture
def keras22_file(tmp_path):
    rng = np.random.default_rng(7)
    weights = {"dense_1": [rng.normal(size=(3, 5)).astype("float32"), rng.normal(size=5).astype("float32") * 0.1],
               "dense_2": [rng.normal(size=(5, 2)).astype("float32"), rng.normal(size=2).astype("float32") * 0.1]}
    params = weights["dense_1"] + weights["dense_2"]
    ms = [rng.normal(size=p.shape).astype("float32") * 0.01 for p in params]
    vs = [np.abs(rng.normal(size=p.shape)).astype("float32") * 1e-3 for p in params]
    path = tmp_path / "keras224.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = np.bytes_(b"2.2.4")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["model_config"] = np.bytes_(json.dumps(MODEL_CONFIG).encode("utf8"))
        f.attrs["training_config"] = np.bytes_(json.dumps(TRAINING_CONFIG).encode("utf8"))
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = _bytes(["dense_1", "dense_2"])
        group.attrs["backend"] = np.bytes_(b"tensorflow")
        group.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for layer, values in weights.items():
            layer_group = group.create_group(layer)
            names = [f"{layer}/kernel:0", f"{layer}/bias:0"]
            layer_group.attrs["weight_names"] = _bytes(names)
            for name, value in zip(names, values):
                layer_group.create_dataset(name, data=value)
        optimizer = f.create_group("optimizer_weights")
        arrays = [np.asarray(3, dtype="int64")] + ms + vs + [np.zeros(1, dtype="float32")] * 4
        names = ["Adam/iterations:0"] + [f"training/Adam/Variable{'' if i == 0 else f'_{i}'}:0"
                                         for i in range(len(arrays) - 1)]
        optimizer.attrs["weight_names"] = _bytes(names)
        for name, value in zip(names, arrays):
            optimizer.create_dataset(name, data=value)
    x = rng.normal(size=(6, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 6)]
    return path, params, ms, vs, x, y


def _forward(params, x):
    w1, b1, w2, b2 = params
    hidden = np.maximum(x @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return hidden, exp / exp.sum(axis=1, keepdims=True)


def _keras22_adam_step(params, ms, vs, iterations, x, y, lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Keras 2.2 Adam step on the mean categorical cross-entropy of the MLP, in float64."""
    params = [p.astype("float64") for p in params]
    w1, b1, w2, b2 = params
    hidden, probabilities = _forward(params, x.astype("float64"))
    d_logits = (probabilities - y) / len(x)
    d_hidden = d_logits @ w2.T * (hidden > 0)
    grads = [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0)]
    t = iterations + 1
    lr_t = lr * np.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)
    updated = []
    for p, g, m, v in zip(params, grads, ms, vs):
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        updated.append(p - lr_t * m / (np.sqrt(v) + epsilon))
    loss = -np.mean(np.sum(y * np.log(probabilities), axis=1))
    return updated, loss


def test_keras_2_2_4_file_written_with_h5py_loads_predicts_and_resumes(keras22_file):
    path, params, ms, vs, x, y = keras22_file
    model = load_model(path)
    _, expected = _forward([p.astype("float64") for p in params], x.astype("float64"))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.data) == 3
    assert model.metrics_names == ["loss", "acc"] or model.metrics_names == ["loss", "accuracy"]
    updated, loss = _keras22_adam_step(params, ms, vs, 3, x, y)
    step_loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(float(np.atleast_1d(step_loss)[0]), loss, rtol=1e-5)
    for got, want in zip(model.get_weights(), updated):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_keras_2_2_4_config_and_weights(keras22_file):
    path, params, _, _, x, _ = keras22_file
    model = model_from_json(json.dumps(MODEL_CONFIG))
    model.load_weights(path)  # a whole-model file's model_weights group
    _, expected = _forward([p.astype("float64") for p in params], x.astype("float64"))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
