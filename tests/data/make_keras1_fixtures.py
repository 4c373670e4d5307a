"""Writes tests/data/keras1/: weight files in the layouts Keras 1.2.2 and Keras 2.2.4's CuDNNLSTM wrote.

Keras 1.2.2 no longer installs on a current Python, so the files are written here with h5py,
in Keras 1's documented HDF5 layout (``layer_names`` on the root, one group per layer with
its ``weight_names`` and one dataset per weight, Keras 1's weight names and per-gate
arrays), with random weights. The expected predictions are computed in this script with
an independent NumPy implementation of Keras 1's layer formulas (Theano's convolution
really convolves, Keras 1's LSTM gates i, c, f, o arrays, hard_sigmoid …) — never with
numkeras. Each ``<name>.h5`` has a ``<name>.npz`` with the inputs ``x`` and the expected
outputs ``pred`` (``keras1_mlp_model.h5``, the same model as a whole-model file, uses
``keras1_mlp.npz``).

Run from the repository root (needs only numpy and h5py):

    python tests/data/make_keras1_fixtures.py
"""

import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras1")


# -- Keras 1's formulas, in NumPy (float64) ------------------------------------------------------
def hard_sigmoid(x):  # Keras 1 (both backends): clip(0.2 x + 0.5, 0, 1)
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.maximum(x, 0.0)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def dense(x, W, b):
    return x @ W + b


def theano_conv2d_th(x, W, b):
    """Keras 1 Convolution2D, dim_ordering 'th', border_mode 'valid', Theano backend: a true
    convolution (the kernel is flipped over both spatial axes). x (n, c, rows, cols),
    W (filters, c, kr, kc)."""
    n, c, rows, cols = x.shape
    filters, _, kr, kc = W.shape
    out = np.zeros((n, filters, rows - kr + 1, cols - kc + 1))
    for f in range(filters):
        for i in range(rows - kr + 1):
            for j in range(cols - kc + 1):
                for a in range(kr):
                    for d in range(kc):
                        out[:, f, i, j] += x[:, :, i + a, j + d] @ W[f, :, kr - 1 - a, kc - 1 - d]
    return out + b[None, :, None, None]


def theano_conv2d_tf(x, W, b):
    """Keras 1 Convolution2D, dim_ordering 'tf', Theano backend (a true convolution).
    x (n, rows, cols, c), W (kr, kc, c, filters)."""
    n, rows, cols, c = x.shape
    kr, kc, _, filters = W.shape
    out = np.zeros((n, rows - kr + 1, cols - kc + 1, filters))
    for i in range(rows - kr + 1):
        for j in range(cols - kc + 1):
            for a in range(kr):
                for d in range(kc):
                    out[:, i, j, :] += x[:, i + a, j + d, :] @ W[kr - 1 - a, kc - 1 - d]
    return out + b


def keras1_lstm(x, p, go_backwards=False):
    """Keras 1 LSTM (consume_less='cpu'): p holds W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f,
    W_o, U_o, b_o; activation tanh, inner_activation hard_sigmoid. Returns the last output."""
    n, steps, _ = x.shape
    units = p["U_i"].shape[0]
    h, c = np.zeros((n, units)), np.zeros((n, units))
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        xt = x[:, t]
        i = hard_sigmoid(xt @ p["W_i"] + h @ p["U_i"] + p["b_i"])
        f = hard_sigmoid(xt @ p["W_f"] + h @ p["U_f"] + p["b_f"])
        c = f * c + i * np.tanh(xt @ p["W_c"] + h @ p["U_c"] + p["b_c"])
        o = hard_sigmoid(xt @ p["W_o"] + h @ p["U_o"] + p["b_o"])
        h = o * np.tanh(c)
    return h


def keras1_gru(x, p):
    """Keras 1 GRU: p holds W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h; the reset gate scales
    the state before the recurrent product; h = z * h + (1 - z) * hh."""
    n, steps, _ = x.shape
    h = np.zeros((n, p["U_z"].shape[0]))
    for t in range(steps):
        xt = x[:, t]
        z = hard_sigmoid(xt @ p["W_z"] + h @ p["U_z"] + p["b_z"])
        r = hard_sigmoid(xt @ p["W_r"] + h @ p["U_r"] + p["b_r"])
        hh = np.tanh(xt @ p["W_h"] + (r * h) @ p["U_h"] + p["b_h"])
        h = z * h + (1 - z) * hh
    return h


def keras1_batchnorm(x, gamma, beta, running_mean, running_std, epsilon=1e-3):
    """Keras 1 BatchNormalization (mode 0) at test time: ``running_std`` holds the moving variance."""
    return (x - running_mean) / np.sqrt(running_std + epsilon) * gamma + beta


def cudnn_lstm(x, W, R, b_w, b_r):
    """cuDNN's LSTM: gates i, f, c, o; W[g] (units, input_dim), R[g] (units, units); sigmoid, tanh."""
    n, steps, _ = x.shape
    units = R.shape[1]
    h, c = np.zeros((n, units)), np.zeros((n, units))
    for t in range(steps):
        z = [x[:, t] @ W[g].T + h @ R[g].T + b_w[g] + b_r[g] for g in range(4)]
        c = sigmoid(z[1]) * c + sigmoid(z[0]) * np.tanh(z[2])
        h = sigmoid(z[3]) * np.tanh(c)
    return h


# -- Keras 1's HDF5 layout -----------------------------------------------------------------------
def write_weights_group(group, layers, keras_version, backend):
    """``layers``: [(layer name, [(weight name, float32 array), ...]), ...] — Keras 1's save_weights
    layout: ``layer_names`` on the group, per layer a group with ``weight_names`` and datasets."""
    group.attrs["layer_names"] = [name.encode("utf8") for name, _ in layers]
    if keras_version is not None:
        group.attrs["keras_version"] = keras_version.encode("utf8")
    if backend is not None:
        group.attrs["backend"] = backend.encode("utf8")
    for name, weights in layers:
        layer_group = group.create_group(name)
        layer_group.attrs["weight_names"] = [weight_name.encode("utf8") for weight_name, _ in weights]
        for weight_name, value in weights:
            layer_group.create_dataset(weight_name, data=value)


def save(name, layers, x, pred, keras_version="1.2.2", backend="tensorflow", model_config=None):
    path = os.path.join(OUT, name + ".h5")
    with h5py.File(path, "w", libver="latest") as f:
        if model_config is None:
            write_weights_group(f, layers, keras_version, backend)
        else:  # Keras 1's save_model: versions on the root, none on model_weights
            f.attrs["keras_version"] = keras_version.encode("utf8")
            f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
            write_weights_group(f.create_group("model_weights"), layers, None, None)
    if model_config is None:  # a model file predicts what the weights file of the same model does
        np.savez(os.path.join(OUT, name + ".npz"), x=x.astype("float32"), pred=pred)


def random(rng, *shape, scale=0.5):
    """float32 weights, as Keras 1 saved them; the formulas above read them as float64."""
    return (scale * rng.standard_normal(shape)).astype("float32")


def as64(arrays):
    return {key: value.astype("float64") for key, value in arrays.items()}


# -- the fixtures ------------------------------------------------------------------------------------
def mlp(rng):
    """Dense(8, relu, input_dim=4) -> Dense(3, softmax); also as a Keras 1 whole-model file."""
    W1, b1, W2, b2 = random(rng, 4, 8), random(rng, 8), random(rng, 8, 3), random(rng, 3)
    x = rng.standard_normal((5, 4)).astype("float32")
    pred = softmax(dense(relu(dense(x.astype("float64"), W1.astype("float64"), b1.astype("float64"))),
                         W2.astype("float64"), b2.astype("float64")))
    layers = [("dense_1", [("dense_1_W", W1), ("dense_1_b", b1)]),
              ("dense_2", [("dense_2_W", W2), ("dense_2_b", b2)])]
    save("keras1_mlp", layers, x, pred)
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 8, "input_dim": 4, "activation": "relu",
                                           "init": "glorot_uniform", "bias": True, "trainable": True,
                                           "batch_input_shape": [None, 4], "input_dtype": "float32"}},
        {"class_name": "Dense", "config": {"name": "dense_2", "output_dim": 3, "activation": "softmax",
                                           "init": "glorot_uniform", "bias": True, "trainable": True}},
    ]}
    save("keras1_mlp_model", layers, x, pred, model_config=config)


def conv2d_th_theano(rng):
    """Convolution2D(3, 3, 2, dim_ordering='th') on (2, 6, 5), Theano -> Flatten -> Dense(2)."""
    W, b = random(rng, 3, 2, 3, 2), random(rng, 3)
    x = rng.standard_normal((4, 2, 6, 5)).astype("float32")
    features = theano_conv2d_th(x.astype("float64"), W.astype("float64"), b.astype("float64"))
    W2, b2 = random(rng, features[0].size, 2), random(rng, 2)
    pred = dense(features.reshape(len(x), -1), W2.astype("float64"), b2.astype("float64"))  # th: (c, r, k) flat
    layers = [("convolution2d_1", [("convolution2d_1_W", W), ("convolution2d_1_b", b)]),
              ("flatten_1", []),
              ("dense_1", [("dense_1_W", W2), ("dense_1_b", b2)])]
    save("keras1_conv2d_th_theano", layers, x, pred, backend="theano")


def conv2d_tf_theano(rng):
    """Convolution2D(3, 3, 2, dim_ordering='tf') on (6, 5, 2), Theano (kernel flipped only)."""
    W, b = random(rng, 3, 2, 2, 3), random(rng, 3)
    x = rng.standard_normal((4, 6, 5, 2)).astype("float32")
    pred = theano_conv2d_tf(x.astype("float64"), W.astype("float64"), b.astype("float64"))
    save("keras1_conv2d_tf_theano", [("convolution2d_1", [("convolution2d_1_W", W), ("convolution2d_1_b", b)])],
         x, pred, backend="theano")


def lstm_arrays(rng, prefix, input_dim, units):
    """Keras 1 LSTM's 12 arrays, in its order (gates i, c, f, o)."""
    arrays = []
    for gate in "icfo":
        arrays += [(f"{prefix}_W_{gate}", random(rng, input_dim, units)),
                   (f"{prefix}_U_{gate}", random(rng, units, units)),
                   (f"{prefix}_b_{gate}", random(rng, units))]
    return arrays


def by_gate(arrays, prefix):
    return as64({name[len(prefix) + 1:]: value for name, value in arrays})


def lstm(rng):
    """LSTM(4, input_shape=(5, 3)) -> Dense(2)."""
    arrays = lstm_arrays(rng, "lstm_1", 3, 4)
    W2, b2 = random(rng, 4, 2), random(rng, 2)
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    pred = dense(keras1_lstm(x.astype("float64"), by_gate(arrays, "lstm_1")), W2.astype("float64"),
                 b2.astype("float64"))
    save("keras1_lstm", [("lstm_1", arrays), ("dense_1", [("dense_1_W", W2), ("dense_1_b", b2)])], x, pred)


def gru(rng):
    """GRU(4, input_shape=(5, 3)), written as Keras 1.0 wrote weights: no keras_version, no backend."""
    arrays = []
    for gate in "zrh":
        arrays += [(f"gru_1_W_{gate}", random(rng, 3, 4)), (f"gru_1_U_{gate}", random(rng, 4, 4)),
                   (f"gru_1_b_{gate}", random(rng, 4))]
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    pred = keras1_gru(x.astype("float64"), by_gate(arrays, "gru_1"))
    save("keras1_gru", [("gru_1", arrays)], x, pred, keras_version=None, backend=None)


def bidirectional_lstm(rng):
    """Bidirectional(LSTM(3), merge_mode='concat', input_shape=(4, 2)) -> Dense(2)."""
    forward = lstm_arrays(rng, "forward_lstm_1", 2, 3)
    backward = lstm_arrays(rng, "backward_lstm_1", 2, 3)
    W2, b2 = random(rng, 6, 2), random(rng, 2)
    x = rng.standard_normal((3, 4, 2)).astype("float32")
    x64 = x.astype("float64")
    both = np.concatenate([keras1_lstm(x64, by_gate(forward, "forward_lstm_1")),
                           keras1_lstm(x64, by_gate(backward, "backward_lstm_1"), go_backwards=True)], axis=-1)
    pred = dense(both, W2.astype("float64"), b2.astype("float64"))
    save("keras1_bidirectional_lstm", [("bidirectional_1", forward + backward),
                                       ("dense_1", [("dense_1_W", W2), ("dense_1_b", b2)])], x, pred)


def batchnorm(rng):
    """Dense(5, input_dim=4) -> BatchNormalization() -> Dense(2); Keras 1's gamma, beta,
    running_mean, running_std (a variance, despite its name)."""
    W1, b1, W2, b2 = random(rng, 4, 5), random(rng, 5), random(rng, 5, 2), random(rng, 2)
    gamma, beta, mean = random(rng, 5) + 1, random(rng, 5), random(rng, 5)
    variance = rng.uniform(0.5, 2.0, 5).astype("float32")
    x = rng.standard_normal((6, 4)).astype("float32")
    p = as64(dict(W1=W1, b1=b1, W2=W2, b2=b2, gamma=gamma, beta=beta, mean=mean, variance=variance))
    hidden = keras1_batchnorm(dense(x.astype("float64"), p["W1"], p["b1"]), p["gamma"], p["beta"], p["mean"],
                              p["variance"])
    pred = dense(hidden, p["W2"], p["b2"])
    layers = [("dense_1", [("dense_1_W", W1), ("dense_1_b", b1)]),
              ("batchnormalization_1", [("batchnormalization_1_gamma", gamma), ("batchnormalization_1_beta", beta),
                                        ("batchnormalization_1_running_mean", mean),
                                        ("batchnormalization_1_running_std", variance)]),
              ("dense_2", [("dense_2_W", W2), ("dense_2_b", b2)])]
    save("keras1_batchnorm", layers, x, pred)


def cudnn_lstm_weights(rng):
    """Keras 2.2.4 CuDNNLSTM(4, input_shape=(5, 3)): each gate's block of ``kernel`` holds cuDNN's
    (units, input_dim) matrix row-major, each block of ``recurrent_kernel`` cuDNN's recurrent
    matrix as it is, ``bias`` the input then the recurrent biases (Keras 2.2.4's
    keras/layers/cudnn_recurrent.py copies the blocks unchanged into cuDNN's buffer)."""
    units, input_dim = 4, 3
    W, R = random(rng, 4, units, input_dim), random(rng, 4, units, units)
    b_w, b_r = random(rng, 4, units), random(rng, 4, units)
    kernel = np.concatenate([w.reshape(input_dim, units) for w in W], axis=1)
    recurrent = np.concatenate(list(R), axis=1)
    bias = np.concatenate([b_w.ravel(), b_r.ravel()])
    x = rng.standard_normal((3, 5, input_dim)).astype("float32")
    pred = cudnn_lstm(x.astype("float64"), *(a.astype("float64") for a in (W, R, b_w, b_r)))
    save("keras224_cudnn_lstm", [("cu_dnnlstm_1", [("cu_dnnlstm_1/kernel:0", kernel),
                                                   ("cu_dnnlstm_1/recurrent_kernel:0", recurrent),
                                                   ("cu_dnnlstm_1/bias:0", bias)])],
         x, pred, keras_version="2.2.4", backend="tensorflow")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261205)
    for make in (mlp, conv2d_th_theano, conv2d_tf_theano, lstm, gru, bidirectional_lstm, batchnorm,
                 cudnn_lstm_weights):
        make(rng)
    print(f"wrote {len(os.listdir(OUT))} files to {OUT}")


if __name__ == "__main__":
    main()
