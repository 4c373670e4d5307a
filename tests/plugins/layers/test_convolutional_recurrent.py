"""ConvLSTM2D."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    (dict(filters=2, kernel_size=2), (1, 3, 4, 4, 2), (1, 3, 3, 2)),
    (dict(filters=2, kernel_size=3, padding="same", return_sequences=True), (1, 2, 3, 3, 1), (1, 2, 3, 3, 2)),
    (dict(filters=2, kernel_size=2, data_format="channels_first", go_backwards=True), (1, 2, 1, 3, 3),
     (1, 2, 2, 2)),
    (dict(filters=1, kernel_size=2, return_state=True), (1, 2, 3, 3, 1), [(1, 2, 2, 1)] * 3),
])
def test_layer(kwargs, input_shape, output_shape):
    layer_test("ConvLSTM2D", kwargs, input_shape, expected_output_shape=output_shape, atol=1e-5, rtol=1e-4)


def test_1x1_conv_lstm_equals_lstm_per_pixel():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 1, 1, 3)).astype("float32")
    conv = layers.ConvLSTM2D(5, 1, return_sequences=True)
    conv(x)
    lstm = layers.LSTM(5, return_sequences=True)
    lstm(x[:, :, 0, 0])
    weights = conv.get_weights()
    lstm.set_weights([weights[0][0, 0], weights[1][0, 0], weights[2]])
    np.testing.assert_allclose(conv(x).data[:, :, 0, 0], lstm(x[:, :, 0, 0]).data, rtol=1e-5, atol=1e-6)


def test_in_a_model_with_dropout_and_masking():
    model = numkeras.Sequential([
        layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, dropout=0.2, recurrent_dropout=0.2,
                          input_shape=(None, 5, 5, 1)),
        layers.BatchNormalization(),
        layers.ConvLSTM2D(2, 3, padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(1),
    ])
    model.compile("adam", "mse")
    model.fit(np.random.rand(4, 3, 5, 5, 1), np.random.rand(4, 1), epochs=1, verbose=0)
    assert model.output_shape == (None, 1)


def test_invalid():
    with pytest.raises(ValueError, match="filters"):
        layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match=r"conv_lst_m2d_\d+.*expected ndim=5"):
        layers.ConvLSTM2D(2, 3)(numkeras.Input((5, 5, 1)))
