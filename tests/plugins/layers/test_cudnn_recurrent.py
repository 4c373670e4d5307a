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


def test_cudnn_lstm_equals_lstm_with_summed_biases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    cudnn = layers.CuDNNLSTM(4)
    cudnn(x)
    kernel, recurrent, bias = [rng.standard_normal(w.shape).astype("float32") for w in cudnn.get_weights()]
    assert bias.shape == (32,)
    cudnn.set_weights([kernel, recurrent, bias])
    lstm = layers.LSTM(4, recurrent_activation="sigmoid")
    lstm(x)
    lstm.set_weights([kernel, recurrent, bias[:16] + bias[16:]])
    np.testing.assert_allclose(cudnn(x).data, lstm(x).data, rtol=1e-5, atol=1e-6)
    assert layers.CuDNNLSTM(4).get_config()["unit_forget_bias"] is True
    assert "activation" not in cudnn.get_config()


def test_cudnn_gru_equals_reset_after_gru():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    cudnn = layers.CuDNNGRU(4)
    cudnn(x)
    kernel, recurrent, bias = [rng.standard_normal(w.shape).astype("float32") for w in cudnn.get_weights()]
    assert bias.shape == (24,)
    cudnn.set_weights([kernel, recurrent, bias])
    gru = layers.GRU(4, recurrent_activation="sigmoid", reset_after=True)
    gru(x)
    gru.set_weights([kernel, recurrent, bias.reshape(2, 12)])
    np.testing.assert_allclose(cudnn(x).data, gru(x).data, rtol=1e-5, atol=1e-6)
