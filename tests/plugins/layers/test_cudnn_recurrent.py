"""CuDNNLSTM / CuDNNGRU run as LSTM / GRU with cuDNN's settings and Keras's cuDNN weight shapes."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.testing import layer_test


@pytest.mark.parametrize("name, kwargs, output_shape", [
    ("CuDNNLSTM", dict(units=3), (2, 3)),
    ("CuDNNLSTM", dict(units=2, return_sequences=True, go_backwards=True), (2, 4, 2)),
    ("CuDNNGRU", dict(units=3, return_state=True), [(2, 3), (2, 3)]),
])
def test_layer(name, kwargs, output_shape):
    layer_test(name, kwargs, (2, 4, 3), expected_output_shape=output_shape)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _cudnn_buffers(rng, gates, units, input_dim):
    """cuDNN's own parameters per gate — W_g (units, input_dim), R_g (units, units), input and
    recurrent biases — and the arrays Keras 2.2.4's CuDNN layers store for them: each gate's
    block of ``kernel`` (input_dim, units) holds W_g's values row-major, each block of
    ``recurrent_kernel`` holds R_g as it is (Keras copies the blocks into cuDNN's buffer)."""
    W = rng.standard_normal((gates, units, input_dim))
    R = rng.standard_normal((gates, units, units))
    b_w, b_r = rng.standard_normal((gates, units)), rng.standard_normal((gates, units))
    kernel = np.concatenate([w.reshape(input_dim, units) for w in W], axis=1)
    recurrent = np.concatenate(list(R), axis=1)
    return (W, R, b_w, b_r), [kernel, recurrent, np.concatenate([b_w.ravel(), b_r.ravel()])]


def test_cudnn_lstm_computes_cudnns_lstm_from_keras_cudnn_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3))
    (W, R, b_w, b_r), stored = _cudnn_buffers(rng, 4, 4, 3)
    h = c = np.zeros((2, 4))
    for t in range(5):  # cuDNN's LSTM, gates i, f, c, o
        z = [x[:, t] @ W[g].T + h @ R[g].T + b_w[g] + b_r[g] for g in range(4)]
        c = _sigmoid(z[1]) * c + _sigmoid(z[0]) * np.tanh(z[2])
        h = _sigmoid(z[3]) * np.tanh(c)
    cudnn = layers.CuDNNLSTM(4)
    cudnn(x.astype("float32"))
    assert [w.shape for w in cudnn.get_weights()] == [(3, 16), (4, 16), (32,)]
    cudnn.set_weights([w.astype("float32") for w in stored])
    np.testing.assert_allclose(cudnn(x.astype("float32")).data, h, rtol=1e-4, atol=1e-5)
    assert layers.CuDNNLSTM(4).get_config()["unit_forget_bias"] is True
    assert "activation" not in cudnn.get_config()


def test_cudnn_gru_computes_cudnns_gru_from_keras_cudnn_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3))
    (W, R, b_w, b_r), stored = _cudnn_buffers(rng, 3, 4, 3)
    h = np.zeros((2, 4))
    for t in range(5):  # cuDNN's GRU, gates z, r, h in Keras's order; reset after the recurrent matmul
        z = _sigmoid(x[:, t] @ W[0].T + b_w[0] + h @ R[0].T + b_r[0])
        r = _sigmoid(x[:, t] @ W[1].T + b_w[1] + h @ R[1].T + b_r[1])
        hh = np.tanh(x[:, t] @ W[2].T + b_w[2] + r * (h @ R[2].T + b_r[2]))
        h = z * h + (1 - z) * hh
    cudnn = layers.CuDNNGRU(4)
    cudnn(x.astype("float32"))
    assert [w.shape for w in cudnn.get_weights()] == [(3, 12), (4, 12), (24,)]
    cudnn.set_weights([w.astype("float32") for w in stored])
    np.testing.assert_allclose(cudnn(x.astype("float32")).data, h, rtol=1e-4, atol=1e-5)
