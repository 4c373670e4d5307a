"""TimeDistributed, Bidirectional, TimeDistributedDense."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    (dict(layer=layers.Dense(3)), (2, 4, 5), (2, 4, 3)),
    (dict(layer=layers.Conv2D(2, 2)), (2, 3, 4, 4, 1), (2, 3, 3, 3, 2)),
])
def test_time_distributed(kwargs, input_shape, output_shape):
    layer_test("TimeDistributed", kwargs, input_shape, expected_output_shape=output_shape)


@pytest.mark.parametrize("merge_mode, sequences, output_shape", [
    ("concat", False, (2, 6)), ("sum", True, (2, 4, 3)), ("ave", False, (2, 3)), ("mul", True, (2, 4, 3)),
    (None, False, [(2, 3), (2, 3)]),
])
def test_bidirectional(merge_mode, sequences, output_shape):
    layer_test("Bidirectional", dict(layer=layers.LSTM(3, return_sequences=sequences), merge_mode=merge_mode),
               (2, 4, 3), expected_output_shape=output_shape)


def test_bidirectional_equals_forward_and_reversed_backward():
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    bi = layers.Bidirectional(layers.GRU(4, return_sequences=True))
    y = bi(x).data
    forward = layers.GRU(4, return_sequences=True)
    backward = layers.GRU(4, return_sequences=True)
    forward(x), backward(x)
    weights = bi.get_weights()
    forward.set_weights(weights[:3])
    backward.set_weights(weights[3:])
    np.testing.assert_allclose(y[..., :4], forward(x).data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[..., 4:], backward(x[:, ::-1]).data[:, ::-1], rtol=1e-5, atol=1e-6)


def test_bidirectional_with_states_masks_and_training():
    inputs = numkeras.Input((None, 3))
    outputs = layers.Bidirectional(layers.LSTM(4, return_state=True))(inputs)
    assert [tuple(o.shape) for o in outputs] == [(None, 8)] + [(None, 4)] * 4
    model = numkeras.Sequential([layers.Embedding(10, 3, mask_zero=True),
                                 layers.Bidirectional(layers.LSTM(4)), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.random.randint(0, 10, (8, 5)), np.random.rand(8, 1), epochs=1, verbose=0)
    assert len(model.layers[1].trainable_weights) == 6


def test_bidirectional_initial_state():
    x, h1, c1, h2, c2 = (numkeras.Input((5, 3)),) + tuple(numkeras.Input((4,)) for _ in range(4))
    y = layers.Bidirectional(layers.LSTM(4))(x, initial_state=[h1, c1, h2, c2])
    model = numkeras.Model([x, h1, c1, h2, c2], y)
    data = [np.random.rand(2, 5, 3)] + [np.zeros((2, 4))] * 4
    plain = layers.Bidirectional(layers.LSTM(4))
    plain(data[0])
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(data), plain(data[0].astype("float32")).data, rtol=1e-5, atol=1e-6)


def test_bidirectional_invalid():
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(2))


def test_time_distributed_dense_keras1():
    with pytest.warns(DeprecationWarning, match="TimeDistributed"):
        layer = layers.TimeDistributedDense(5, input_dim=3, input_length=7)
    model = numkeras.Sequential([layer])
    assert model.output_shape == (None, 7, 5)


def test_time_distributed_errors():
    with pytest.raises(TypeError, match="Layer instance"):
        layers.TimeDistributed("dense")
    with pytest.raises(ValueError, match=r"time_distributed_\d+.*min_ndim=3"):
        layers.TimeDistributed(layers.Dense(2))(numkeras.Input((4,)))
