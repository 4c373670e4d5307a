"""LocallyConnected1D / 2D."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("LocallyConnected1D", dict(filters=2, kernel_size=2), (2, 5, 3), (2, 4, 2)),
    ("LocallyConnected1D", dict(filters=2, kernel_size=3, strides=2, activation="tanh"), (2, 7, 2), (2, 3, 2)),
    ("LocallyConnected2D", dict(filters=2, kernel_size=2), (2, 4, 3, 2), (2, 3, 2, 2)),
    ("LocallyConnected2D", dict(filters=2, kernel_size=(2, 1), strides=(2, 1), data_format="channels_first"),
     (2, 2, 4, 3), (2, 2, 2, 3)),
]


@pytest.mark.parametrize("name, kwargs, input_shape, output_shape", CASES)
def test_layer(name, kwargs, input_shape, output_shape):
    layer_test(name, kwargs, input_shape, expected_output_shape=output_shape)


def test_keras_weight_shapes_and_unshared_weights():
    layer = layers.LocallyConnected2D(4, 3)
    x = np.random.rand(2, 5, 6, 3).astype("float32")
    y = layer(x)
    assert [w.shape for w in layer.get_weights()] == [(3 * 4, 27, 4), (3, 4, 4)]
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y.data[:, 1, 2], x[:, 1:4, 2:5].reshape(2, -1) @ kernel[1 * 4 + 2] + bias[1, 2],
                               rtol=1e-5)


def test_only_valid_padding_and_known_shape():
    with pytest.raises(ValueError, match="padding"):
        layers.LocallyConnected1D(2, 3, padding="same")
    import numkeras

    with pytest.raises(ValueError, match="must be known"):
        layers.LocallyConnected1D(2, 3)(numkeras.Input((None, 4)))
