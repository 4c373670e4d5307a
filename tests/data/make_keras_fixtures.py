"""Writes the Keras 2 fixture files in this folder. Run it with TensorFlow, never with numkeras.

TensorFlow is not a dependency of numkeras; the fixtures were made once in a
throwaway virtual environment::

    python -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.15.1
    /tmp/tfenv/bin/python tests/data/make_keras_fixtures.py

Each model ``NAME`` gives ``keras2_NAME.h5`` (written by ``model.save(..., save_format='h5')``,
the Keras 2 HDF5 layout) and ``keras2_NAME.npz`` holding the inputs ``x`` (or ``x0``,
``x1`` …), the targets ``y`` (``y0`` …) used for one more training step, and the
predictions ``pred`` (``pred0`` …) that Keras computed for those inputs.
Legacy optimizers are used so that ``optimizer_weights`` is in Keras 2.2's order.
"""

import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)
tf.random.set_seed(0)


def save(name, model, xs, ys, epochs=2):
    model.fit(xs, ys, epochs=epochs, batch_size=4, verbose=0, shuffle=False)
    preds = model.predict(xs, verbose=0)
    model.save(os.path.join(HERE, f"keras2_{name}.h5"), save_format="h5")
    arrays = {}
    for prefix, values in (("x", xs), ("y", ys), ("pred", preds)):
        if isinstance(values, list):
            arrays.update({f"{prefix}{i}": np.asarray(v) for i, v in enumerate(values)})
        else:
            arrays[prefix] = np.asarray(values)
    np.savez(os.path.join(HERE, f"keras2_{name}.npz"), **arrays)
    print(name, "written")


def mlp():
    model = keras.Sequential([
        layers.Dense(8, activation="relu", input_shape=(4,), name="dense_1"),
        layers.Dropout(0.25),
        layers.Dense(3, activation="softmax", name="dense_2"),
    ])
    model.compile(keras.optimizers.legacy.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(8, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    save("mlp", model, x, y)


def cnn_bn():
    model = keras.Sequential([
        layers.Conv2D(4, 3, padding="same", input_shape=(6, 6, 2)),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(keras.optimizers.legacy.SGD(0.05, momentum=0.9), "categorical_crossentropy")
    x = rng.normal(size=(8, 6, 6, 2)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 8)]
    save("cnn_bn", model, x, y)


def lstm():
    model = keras.Sequential([layers.LSTM(5, input_shape=(6, 3)), layers.Dense(1)])
    model.compile(keras.optimizers.legacy.RMSprop(0.01), "mse")
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    save("lstm", model, x, y)


def gru():
    model = keras.Sequential([
        layers.GRU(5, return_sequences=True, input_shape=(6, 3)),
        layers.GRU(4, reset_after=False),
        layers.Dense(1),
    ])
    model.compile(keras.optimizers.legacy.Adam(0.01), "mse")
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    save("gru", model, x, y)


def two_in_two_out():
    """Two inputs through one shared Dense; two heads; per-output losses and loss weights."""
    a = keras.Input(shape=(4,), name="in_a")
    b = keras.Input(shape=(4,), name="in_b")
    shared = layers.Dense(6, activation="tanh", name="shared")
    out_a = layers.Dense(1, activation="sigmoid", name="out_a")(shared(a))
    out_b = layers.Dense(2, activation="softmax", name="out_b")(shared(b))
    model = keras.Model([a, b], [out_a, out_b], name="two_in_two_out")
    model.compile(keras.optimizers.legacy.Adam(0.01),
                  loss={"out_a": "binary_crossentropy", "out_b": "categorical_crossentropy"},
                  loss_weights={"out_a": 1.0, "out_b": 0.5})
    xa = rng.normal(size=(8, 4)).astype("float32")
    xb = rng.normal(size=(8, 4)).astype("float32")
    ya = rng.integers(0, 2, (8, 1)).astype("float32")
    yb = np.eye(2, dtype="float32")[rng.integers(0, 2, 8)]
    save("two_in_two_out", model, [xa, xb], [ya, yb])


def concat_nested():
    """Two inputs merged with Concatenate, feeding a nested functional model."""
    inner_in = keras.Input(shape=(7,))
    inner = keras.Model(inner_in, layers.Dense(3, activation="relu", name="inner_dense")(inner_in), name="inner")
    a = keras.Input(shape=(4,), name="in_a")
    b = keras.Input(shape=(3,), name="in_b")
    merged = layers.Concatenate()([a, b])
    h = inner(merged)
    out_1 = layers.Dense(1, name="out_1")(h)
    out_2 = layers.Dense(2, name="out_2")(h)
    model = keras.Model([a, b], [out_1, out_2])
    model.compile(keras.optimizers.legacy.SGD(0.05), loss=["mse", "mae"])
    xa = rng.normal(size=(8, 4)).astype("float32")
    xb = rng.normal(size=(8, 3)).astype("float32")
    y1 = rng.normal(size=(8, 1)).astype("float32")
    y2 = rng.normal(size=(8, 2)).astype("float32")
    save("concat_nested", model, [xa, xb], [y1, y2])


def lambda_layer():
    model = keras.Sequential([
        layers.Dense(3, input_shape=(4,)),
        layers.Lambda(lambda x: x * 2.0 + 1.0),
    ])
    model.compile(keras.optimizers.legacy.SGD(0.01), "mse")
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    save("lambda", model, x, y, epochs=1)


if __name__ == "__main__":
    mlp()
    cnn_bn()
    lstm()
    gru()
    two_in_two_out()
    concat_nested()
    lambda_layer()
