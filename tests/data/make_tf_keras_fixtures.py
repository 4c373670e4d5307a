"""Writes tests/data/tf_keras/<version>/: small models saved by one tf.keras 2 / tf_keras release.

Run it with TensorFlow, never with numkeras; TensorFlow is not a dependency of numkeras
or of its tests. One throwaway virtual environment per release::

    python -m venv /tmp/tf2.21 && /tmp/tf2.21/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 h5py
    TF_USE_LEGACY_KERAS=1 /tmp/tf2.21/bin/python tests/data/make_tf_keras_fixtures.py

    python -m venv /tmp/tf2.17 && /tmp/tf2.17/bin/pip install tensorflow-cpu==2.17.1 tf_keras==2.17.0 h5py
    TF_USE_LEGACY_KERAS=1 /tmp/tf2.17/bin/python tests/data/make_tf_keras_fixtures.py

    python -m venv /tmp/tf2.13 && /tmp/tf2.13/bin/pip install tensorflow-cpu==2.13.1 h5py
    /tmp/tf2.13/bin/python tests/data/make_tf_keras_fixtures.py

TensorFlow >= 2.16 ships Keras 3, so there the Keras 2 API is the ``tf_keras`` package
(``import tf_keras as keras``); up to 2.15 it is ``tf.keras``. The script uses whichever
is installed and writes into ``tf_keras/<keras version>/``.

For each model ``NAME`` it writes:

* ``NAME.h5``: ``model.save(path, save_format="h5")``, the whole model (architecture,
  weights, training config, optimizer state);
* ``NAME.json`` + ``NAME_weights.h5``: ``model.to_json()`` and ``model.save_weights``;
* ``NAME.npz``: the inputs ``x`` (``x0``, ``x1`` …), targets ``y`` (``y0`` …; none for a model
  whose only losses are ``add_loss`` graph losses), Keras's
  predictions ``pred`` (``pred0`` …) and ``evaluate`` values ``eval`` (names in
  ``eval_names``) at the moment of saving, then — after one more
  ``train_on_batch(x, y)`` on all eight samples, which the saved optimizer state
  drives — that step's loss ``step_loss`` and the predictions after it ``step_pred``
  (``step_pred0`` …).

Every model is trained for two epochs on 8 random samples (batch size 4, no shuffling),
so the files carry trained weights and optimizer state. No model uses Dropout, so the
extra training step is deterministic.
"""

import json
import os

import numpy as np

if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
    import tf_keras as keras  # TF >= 2.16: the Keras 2 API lives in tf_keras
else:
    from tensorflow import keras  # TF <= 2.15: tf.keras is Keras 2

import tensorflow as tf

layers = keras.layers
legacy = keras.optimizers.legacy
VERSION = keras.__version__ if hasattr(keras, "__version__") else tf.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tf_keras", VERSION)
rng = np.random.default_rng(0)
tf.random.set_seed(0)
N = 8


def _as_list(values):
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _arrays(prefix, values, arrays):
    values = _as_list(values)
    if len(values) == 1:
        arrays[prefix] = np.asarray(values[0])
    else:
        arrays.update({f"{prefix}{i}": np.asarray(v) for i, v in enumerate(values)})


def save(name, model, xs, ys, epochs=2):
    """``ys=None``: the model's only losses are graph losses (``add_loss``); no ``y`` is written."""
    model.fit(xs, ys, epochs=epochs, batch_size=4, verbose=0, shuffle=False)
    model.save(os.path.join(OUT, f"{name}.h5"), save_format="h5")
    with open(os.path.join(OUT, f"{name}.json"), "w") as handle:
        handle.write(model.to_json())
    model.save_weights(os.path.join(OUT, f"{name}_weights.h5"))  # ".weights.h5" is a Keras 3 layout
    arrays = {}
    _arrays("x", xs, arrays)
    if ys is not None:
        _arrays("y", ys, arrays)
    _arrays("pred", model.predict(xs, verbose=0), arrays)
    evaluated = model.evaluate(xs, ys, batch_size=N, verbose=0)
    arrays["eval"] = np.asarray(_as_list(evaluated), dtype="float64")
    arrays["eval_names"] = np.asarray(model.metrics_names)
    step = model.train_on_batch(xs, ys)
    arrays["step_loss"] = np.asarray(_as_list(step)[0], dtype="float64")
    _arrays("step_pred", model.predict(xs, verbose=0), arrays)
    np.savez_compressed(os.path.join(OUT, f"{name}.npz"), **arrays)
    print(VERSION, name, "written")


def normal(*shape):
    return rng.normal(size=shape).astype("float32")


def one_hot(classes):
    return np.eye(classes, dtype="float32")[rng.integers(0, classes, N)]


# -- the models ----------------------------------------------------------------------------------
def sequential_mlp():
    """Sequential from keras.Input; L2 regularizer; BatchNormalization; accuracy metric; legacy Adam."""
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-3)),
        layers.BatchNormalization(),
        layers.Dense(3, activation="softmax"),
    ], name="sequential_mlp")
    model.compile(legacy.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    save("sequential_mlp", model, normal(N, 4), one_hot(3))


def functional_two_io():
    """Two inputs, a shared layer, two outputs with per-output losses, loss weights and metrics."""
    a = keras.Input(shape=(4,), name="in_a")
    b = keras.Input(shape=(3,), name="in_b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    merged = layers.Concatenate(name="merged")([shared(a), layers.Dense(5, name="proj_b")(b)])
    out_a = layers.Dense(1, activation="sigmoid", name="out_a")(merged)
    out_b = layers.Dense(2, name="out_b")(layers.Add(name="add")([shared(a), layers.Dense(5)(b)]))
    model = keras.Model([a, b], [out_a, out_b], name="functional_two_io")
    model.compile(legacy.RMSprop(0.005),
                  loss={"out_a": "binary_crossentropy", "out_b": "mse"},
                  loss_weights={"out_a": 1.0, "out_b": 0.5},
                  metrics={"out_a": ["accuracy"], "out_b": ["mae"]})
    ya = rng.integers(0, 2, (N, 1)).astype("float32")
    save("functional_two_io", model, [normal(N, 4), normal(N, 3)], [ya, normal(N, 2)])


def _two_io_model(name):
    a = keras.Input(shape=(4,), name="in_a")
    b = keras.Input(shape=(3,), name="in_b")
    out_a = layers.Dense(1, activation="sigmoid", name="out_a")(layers.Concatenate()([a, b]))
    out_b = layers.Dense(2, activation="softmax", name="out_b")(layers.Dense(4, activation="relu")(b))
    return keras.Model([a, b], [out_a, out_b], name=name)


def _two_io_data():
    ya = rng.integers(0, 2, (N, 1)).astype("float32")
    return [normal(N, 4), normal(N, 3)], [ya, one_hot(2)]


def two_io_list_losses():
    """Losses and loss weights as lists; one metric name for both outputs (binary / categorical accuracy)."""
    model = _two_io_model("two_io_list_losses")
    model.compile(legacy.SGD(0.1, momentum=0.5), loss=["binary_crossentropy", "categorical_crossentropy"],
                  loss_weights=[0.3, 1.0], metrics=["accuracy"])
    save("two_io_list_losses", model, *_two_io_data())


def two_io_partial_metrics():
    """Metrics for one output only (tf.keras writes [[...], [null]]) and weighted metrics."""
    model = _two_io_model("two_io_partial_metrics")
    model.compile(legacy.Adam(0.01), loss={"out_a": "binary_crossentropy", "out_b": "categorical_crossentropy"},
                  loss_weights={"out_a": 2.0, "out_b": 0.5}, metrics={"out_a": "accuracy"},
                  weighted_metrics={"out_b": ["mae"]})
    save("two_io_partial_metrics", model, *_two_io_data())


def conv2d():
    """Dilated Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, pooling with and without keepdims."""
    x = keras.Input(shape=(8, 8, 2))
    h = layers.Conv2D(3, 3, dilation_rate=2, padding="same", activation="relu")(x)
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=True)(h)
    h = layers.BatchNormalization()(h)
    h = layers.SeparableConv2D(4, 3, depth_multiplier=1, padding="valid", activation="relu")(h)
    h = layers.Conv2DTranspose(3, 3, strides=2, padding="same")(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.AveragePooling2D(2, padding="same")(h)
    kept = layers.Flatten()(layers.GlobalAveragePooling2D(keepdims=True)(h))
    dropped = layers.GlobalMaxPooling2D()(h)
    out = layers.Dense(2, activation="softmax")(layers.Concatenate()([kept, dropped]))
    model = keras.Model(x, out, name="conv2d")
    model.compile(legacy.SGD(0.05, momentum=0.9, nesterov=True), "categorical_crossentropy",
                  metrics=["accuracy"])
    save("conv2d", model, normal(N, 8, 8, 2), one_hot(2))


def conv1d():
    """Causal dilated Conv1D, SeparableConv1D, 1D pooling, global pooling with keepdims."""
    model = keras.Sequential([
        keras.Input(shape=(10, 3)),
        layers.Conv1D(4, 3, dilation_rate=2, padding="causal", activation="relu"),
        layers.SeparableConv1D(4, 3, padding="same", depth_multiplier=2),
        layers.MaxPooling1D(2),
        layers.GlobalAveragePooling1D(keepdims=True),
        layers.Flatten(),
        layers.Dense(2),
    ], name="conv1d")
    model.compile(legacy.Adagrad(0.05), "mse")
    save("conv1d", model, normal(N, 10, 3), normal(N, 2))


def global_pool_keepdims():
    """Global max / average pooling over 1D and 2D inputs with keepdims=True: the shapes keep the axes."""
    a = keras.Input(shape=(5, 3), name="seq")
    b = keras.Input(shape=(4, 4, 2), name="img")
    pa = layers.GlobalMaxPooling1D(keepdims=True)(a)        # (None, 1, 3)
    pb = layers.GlobalAveragePooling2D(keepdims=True)(b)    # (None, 1, 1, 2)
    pb = layers.Reshape((1, 2))(pb)
    out = layers.Dense(1)(layers.Flatten()(layers.Concatenate()([pa, pb])))
    model = keras.Model([a, b], out, name="global_pool_keepdims")
    model.compile(legacy.Adam(0.01), "mse")
    save("global_pool_keepdims", model, [normal(N, 5, 3), normal(N, 4, 4, 2)], normal(N, 1))


def rnn_masking():
    """Masking before LSTM and GRU (reset_after both ways); trailing time steps masked."""
    x = normal(N, 6, 3)
    for i in range(N):
        x[i, 6 - (i % 3):] = 0.0
    model = keras.Sequential([
        keras.Input(shape=(6, 3)),
        layers.Masking(0.0),
        layers.LSTM(5, return_sequences=True),
        layers.GRU(4, return_sequences=True, reset_after=True),
        layers.GRU(3, reset_after=False),
        layers.Dense(1),
    ], name="rnn_masking")
    model.compile(legacy.Adam(0.01), "mse")
    save("rnn_masking", model, x, normal(N, 1))


def embedding_lstm():
    """Embedding(mask_zero=True) feeding an LSTM; binary accuracy; legacy Adamax."""
    x = rng.integers(1, 20, (N, 7)).astype("int32")
    for i in range(N):
        x[i, 7 - (i % 4):] = 0
    model = keras.Sequential([
        keras.Input(shape=(7,), dtype="int32"),
        layers.Embedding(20, 4, mask_zero=True),
        layers.LSTM(3),
        layers.Dense(1, activation="sigmoid"),
    ], name="embedding_lstm")
    model.compile(legacy.Adamax(0.02), "binary_crossentropy", metrics=["accuracy"])
    save("embedding_lstm", model, x, rng.integers(0, 2, (N, 1)).astype("float32"))


def new_optimizer():
    """The non-legacy Adam (the default since tf.keras 2.11): its h5 state is ordered per variable."""
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(6, activation="relu"),
        layers.Dense(2),
    ], name="new_optimizer")
    model.compile(keras.optimizers.Adam(0.01), "mse")
    save("new_optimizer", model, normal(N, 4), normal(N, 2))


@keras.utils.register_keras_serializable(package="MyPackage")
def scaled_tanh(x):
    return 2.0 * tf.math.tanh(x)


@keras.utils.register_keras_serializable(package="MyPackage")
def my_loss(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1) * 2.0


@keras.utils.register_keras_serializable(package="MyPackage")
class ScaledL2(keras.regularizers.Regularizer):
    def __init__(self, factor=0.01):
        self.factor = factor

    def __call__(self, weights):
        return self.factor * tf.reduce_sum(tf.square(weights))

    def get_config(self):
        return {"factor": self.factor}


def custom_objects():
    """Components registered by name ("MyPackage>..."): an activation, a regularizer, a loss."""
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(5, activation=scaled_tanh, kernel_regularizer=ScaledL2(0.01)),
        layers.Dense(2),
    ], name="custom_objects")
    model.compile(legacy.SGD(0.05), my_loss)
    save("custom_objects", model, normal(N, 4), normal(N, 2))


# -- TF ops on graph tensors (TFOpLambda / SlicingOpLambda layers) and nested models -------------------
K = keras.backend


def tf_ops():
    """A spread of TF ops and operators on graph tensors: constants on either side, reductions, reshape,
    slicing, concat, tf.nn.relu, keyword arguments, and Keras backend functions."""
    x = keras.Input(shape=(6,), name="x")
    h = layers.Dense(6, name="hidden")(x)
    scaled = h * 2.0 + 1.0                                   # __operators__.add / math.multiply
    flipped = 1.0 - h / 3.0                                  # a constant as the first argument
    square = tf.math.square(h)
    total = tf.math.reduce_sum(square, axis=-1, keepdims=True)
    mean = tf.reduce_mean(h, axis=1, keepdims=True)
    peak = tf.math.reduce_max(tf.math.abs(h), axis=-1, keepdims=True)
    soft = tf.math.log(1.0 + tf.math.exp(-tf.math.abs(h)))
    root = tf.math.sqrt(square + 1.0)
    grid = tf.reshape(h, (-1, 2, 3))
    row = tf.reshape(grid[:, 1, :], [-1, 3])                # SlicingOpLambda with an int index
    window = h[:, 1:3]
    relu = tf.nn.relu(h - 0.1)
    backend = K.square(K.tanh(h)) - K.mean(h, axis=-1, keepdims=True)
    powered = tf.math.pow(tf.math.sigmoid(h), 2.0) * tf.math.maximum(h, -0.5)
    joined = tf.concat([scaled, flipped, total, mean, peak, soft, root, row, window, relu, backend, powered],
                       axis=-1)
    out = layers.Dense(2, name="out")(joined)
    model = keras.Model(x, out, name="tf_ops")
    model.compile(legacy.Adam(0.01), "mse")
    save("tf_ops", model, normal(N, 6), normal(N, 2))


def vae_add_loss():
    """A VAE in one graph: the noise is an input (so every value is deterministic), the reconstruction
    and KL losses are written with Keras backend functions and tf ops, and added with add_loss."""
    x = keras.Input(shape=(6,), name="x")
    eps = keras.Input(shape=(2,), name="eps")
    h = layers.Dense(5, activation="relu", name="enc")(x)
    z_mean = layers.Dense(2, name="z_mean")(h)
    z_log_var = layers.Dense(2, name="z_log_var")(h)
    z = z_mean + K.exp(0.5 * z_log_var) * eps
    recon = layers.Dense(6, activation="sigmoid", name="dec")(layers.Dense(5, activation="relu")(z))
    model = keras.Model([x, eps], recon, name="vae_add_loss")
    reconstruction = 6 * K.mean(K.binary_crossentropy(x, recon), axis=-1)
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - tf.exp(z_log_var), axis=-1)
    model.add_loss(K.mean(reconstruction + kl))
    model.compile(legacy.RMSprop(0.01))
    data = rng.uniform(size=(N, 6)).astype("float32")
    save("vae_add_loss", model, [data, normal(N, 2)], None)


def vae_nested():
    """Encoder and decoder functional models called as layers of the VAE; the KL term on the encoder's
    outputs (add_loss), the reconstruction as a compiled loss; the non-legacy Adam."""
    x = keras.Input(shape=(6,), name="x")
    h = layers.Dense(5, activation="relu", name="enc_hidden")(x)
    encoder = keras.Model(x, [layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h)],
                          name="encoder")
    z_in = keras.Input(shape=(2,), name="z")
    d = layers.Dense(5, activation="relu", name="dec_hidden")(z_in)
    decoder = keras.Model(z_in, layers.Dense(6, name="dec_out")(d), name="decoder")
    inputs = keras.Input(shape=(6,), name="vae_x")
    eps = keras.Input(shape=(2,), name="eps")
    z_mean, z_log_var = encoder(inputs)
    z = z_mean + tf.exp(0.5 * z_log_var) * eps
    model = keras.Model([inputs, eps], decoder(z), name="vae_nested")
    kl = -0.5 * tf.reduce_mean(tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1))
    model.add_loss(0.1 * kl)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    data = normal(N, 6)
    save("vae_nested", model, [data, normal(N, 2)], data)


def vae_inner_loss():
    """keras/examples' variational_autoencoder.py pattern: the KL term uses the encoder's *inner* tensors,
    so tf.keras's add_loss lists the encoder's layers at the outer level too (shared objects in memory,
    repeated in the config and the weights file). No sampling: the decoder reads z_mean."""
    x = keras.Input(shape=(6,), name="vae_input")
    h = layers.Dense(5, activation="relu", name="inner_hidden")(x)
    z_mean = layers.Dense(2, name="inner_z_mean")(h)
    z_log_var = layers.Dense(2, name="inner_z_log_var")(h)
    encoder = keras.Model(x, [z_mean, z_log_var], name="inner_encoder")
    z_in = keras.Input(shape=(2,), name="inner_z")
    decoder = keras.Model(z_in, layers.Dense(6, name="inner_dec")(z_in), name="inner_decoder")
    model = keras.Model(x, decoder(encoder(x)[0]), name="vae_inner_loss")
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    model.add_loss(0.1 * K.mean(kl))
    model.compile(legacy.Adam(0.01), "mse")
    data = normal(N, 6)
    save("vae_inner_loss", model, data, data)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for make in (sequential_mlp, functional_two_io, two_io_list_losses, two_io_partial_metrics, conv2d, conv1d, global_pool_keepdims, rnn_masking,
                 embedding_lstm, new_optimizer, custom_objects, tf_ops, vae_add_loss, vae_nested, vae_inner_loss):
        make()
    with open(os.path.join(OUT, "VERSIONS.json"), "w") as handle:
        json.dump({"keras": VERSION, "tensorflow": tf.__version__, "numpy": np.__version__}, handle)
