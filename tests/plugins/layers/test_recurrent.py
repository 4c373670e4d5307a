"""Recurrent layers: table rows through ``layer_test``, fused vs per-step equality, states, masking,
Keras 1 names, and a small learning task."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("SimpleRNN", dict(units=3), (2, 4, 3), (2, 3)),
    ("SimpleRNN", dict(units=3, return_sequences=True, activation="relu", go_backwards=True), (2, 4, 3), (2, 4, 3)),
    ("LSTM", dict(units=3), (2, 4, 3), (2, 3)),
    ("LSTM", dict(units=3, return_sequences=True, recurrent_activation="sigmoid"), (2, 4, 3), (2, 4, 3)),
    ("LSTM", dict(units=2, return_state=True, go_backwards=True), (2, 4, 3), [(2, 2), (2, 2), (2, 2)]),
    ("LSTM", dict(units=2, activation="softsign"), (2, 3, 3), (2, 2)),  # not fusable: per-step path
    ("GRU", dict(units=3), (2, 4, 3), (2, 3)),
    ("GRU", dict(units=3, reset_after=True, recurrent_activation="sigmoid", return_sequences=True), (2, 4, 3),
     (2, 4, 3)),
    ("GRU", dict(units=2, use_bias=False, return_state=True), (2, 4, 3), [(2, 2), (2, 2)]),
]


@pytest.mark.parametrize("name, kwargs, input_shape, output_shape", CASES)
def test_layer(name, kwargs, input_shape, output_shape):
    layer_test(name, kwargs, input_shape, expected_output_shape=output_shape)


@pytest.mark.parametrize("cell_class, kwargs", [
    ("SimpleRNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"reset_after": True}),
    ("LSTMCell", {"recurrent_activation": "sigmoid"}),
])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_fused_sequence_equals_per_step_cell_calls(cell_class, kwargs, go_backwards):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    mask = rng.random((3, 5)) > 0.3
    cell = getattr(layers, cell_class)(3, **kwargs)
    fused = layers.RNN(cell, return_sequences=True, return_state=True, go_backwards=go_backwards)
    fused_out = fused(x, mask=mask)
    bias = cell.bias
    if bias is not None:
        bias.assign(rng.standard_normal(bias.shape))
    fused_out = fused(x, mask=mask)
    stepwise = layers.RNN(cell, return_sequences=True, return_state=True, go_backwards=go_backwards)
    cell.sequence = lambda *args, **kw: None
    step_out = stepwise(x, mask=mask)
    for a, b in zip(fused_out, step_out):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-5, atol=1e-6)


def test_keras_weight_layout_and_forget_bias():
    layer = layers.LSTM(4)
    layer(np.zeros((1, 2, 3), dtype="float32"))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 16) and recurrent.shape == (4, 16) and bias.shape == (16,)
    np.testing.assert_array_equal(bias, [0] * 4 + [1] * 4 + [0] * 8)
    gru = layers.GRU(4, reset_after=True)
    gru(np.zeros((1, 2, 3), dtype="float32"))
    assert [w.shape for w in gru.get_weights()] == [(3, 12), (4, 12), (2, 12)]


def test_lstm_matches_a_numpy_reference():
    rng = np.random.default_rng(1)
    layer = layers.LSTM(3, recurrent_activation="hard_sigmoid")
    x = rng.standard_normal((2, 4, 2)).astype("float32")
    layer(x)
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    kernel, recurrent, bias = weights
    h = c = np.zeros((2, 3), dtype="float32")

    def hard_sigmoid(z):
        return np.clip(0.2 * z + 0.5, 0, 1)

    for t in range(4):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = hard_sigmoid(z[:, :3]), hard_sigmoid(z[:, 3:6]), np.tanh(z[:, 6:9]), hard_sigmoid(z[:, 9:])
        c = f * c + i * g
        h = o * np.tanh(c)
    np.testing.assert_allclose(layer(x).data, h, rtol=1e-5, atol=1e-6)


def test_masked_timesteps_carry_the_state():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    padded = x.copy()
    padded[:, 3:] = 0
    model = numkeras.Sequential([layers.Masking(0.0, input_shape=(5, 3)), layers.LSTM(4)])
    short = numkeras.Sequential([layers.LSTM(4, input_shape=(3, 3))])
    short.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(padded), short.predict(x[:, :3]), rtol=1e-5, atol=1e-6)


def test_embedding_mask_zero_reaches_the_lstm():
    model = numkeras.Sequential([layers.Embedding(10, 4, mask_zero=True), layers.GRU(3)])
    ids = np.array([[5, 2, 7, 0, 0], [1, 3, 0, 0, 0]])
    full = model.predict(ids)
    trimmed = np.array([[5, 2, 7, 0, 0]])
    np.testing.assert_allclose(model.predict(trimmed)[0], full[0], rtol=1e-5)
    np.testing.assert_allclose(model.predict(np.array([[5, 2, 7]]))[0], full[0], rtol=1e-5)


def test_stateful_layer_continues_and_resets():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    stateful = layers.LSTM(4, stateful=True, batch_input_shape=(2, 3, 3))
    model = numkeras.Sequential([stateful])
    whole = numkeras.Sequential([layers.LSTM(4, input_shape=(6, 3))])
    whole.set_weights(model.get_weights())
    model.predict(x[:, :3], batch_size=2)
    continued = model.predict(x[:, 3:], batch_size=2)
    np.testing.assert_allclose(continued, whole.predict(x), rtol=1e-5, atol=1e-6)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x[:, :3], batch_size=2), _fresh_run(model.get_weights(), x[:, :3]),
                               rtol=1e-5, atol=1e-6)
    stateful.reset_states([np.ones((2, 4)), np.zeros((2, 4))])
    np.testing.assert_array_equal(stateful.states[0], np.ones((2, 4)))
    with pytest.raises(ValueError, match="expects 2 states"):
        stateful.reset_states([np.ones((2, 4))])


def _fresh_run(weights, x):
    model = numkeras.Sequential([layers.LSTM(4, input_shape=x.shape[1:])])
    model.set_weights(weights)
    return model.predict(x)


def test_initial_state_and_return_state_in_the_functional_api():
    encoder_inputs = numkeras.Input(shape=(None, 3))
    _, h, c = layers.LSTM(4, return_state=True)(encoder_inputs)
    decoder_inputs = numkeras.Input(shape=(None, 2))
    decoded = layers.LSTM(4, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    model = numkeras.Model([encoder_inputs, decoder_inputs], layers.Dense(2)(decoded))
    assert model.output_shape == (None, None, 2)
    out = model.predict([np.random.rand(2, 5, 3), np.random.rand(2, 4, 2)])
    assert out.shape == (2, 4, 2)
    model.compile("adam", "mse")
    model.fit([np.random.rand(4, 5, 3), np.random.rand(4, 4, 2)], np.random.rand(4, 4, 2), epochs=1, verbose=0)


def test_initial_state_gradient_and_wrong_count():
    from numkeras.testing.gradcheck import check_gradients

    layer = layers.GRU(2)
    x = np.random.default_rng(0).standard_normal((2, 3, 2))
    layer(x, initial_state=[np.zeros((2, 2))])
    check_gradients(lambda a, h: layer(a, initial_state=[h]), x, np.random.rand(2, 2), atol=1e-4, rtol=1e-3)
    with pytest.raises(ValueError, match="initial_state of 2"):
        layers.GRU(2)(x, initial_state=[np.zeros((2, 2)), np.zeros((2, 2))])


class MinimalRNNCell(numkeras.layers.Layer):
    """The custom cell of the Keras documentation."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.state_size = units
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = K.dot(inputs, self.kernel)
        output = h + K.dot(prev_output, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def test_user_cell_and_stacked_cells():
    x = numkeras.Input((None, 5))
    y = layers.RNN(MinimalRNNCell(32))(x)
    assert y.shape == (None, 32)
    stacked = layers.RNN([MinimalRNNCell(8), MinimalRNNCell(4)], return_state=True)
    outputs = stacked(x)
    assert [tuple(o.shape) for o in outputs] == [(None, 4), (None, 4), (None, 8)]
    eager = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_sequences=True)
    assert eager(np.random.rand(2, 4, 3)).shape == (2, 4, 2)
    assert len(eager.trainable_weights) == 6


def test_stacked_cells_round_trip():
    layer = layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)])
    x = np.random.rand(2, 4, 3).astype("float32")
    y = layer(x)
    clone = layers.RNN.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).data, y.data, rtol=1e-6)


def test_dropout_only_in_training():
    layer = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5)
    x = np.random.rand(3, 5, 2).astype("float32")
    a, b = layer(x).data, layer(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(layer(x, training=True).data, a)


def test_keras1_lstm_arguments():
    with pytest.warns(DeprecationWarning):
        layer = layers.LSTM(output_dim=8, init="he_normal", inner_init="orthogonal", inner_activation="sigmoid",
                            forget_bias_init="one", W_regularizer="l2", U_regularizer="l2", dropout_W=0.1,
                            dropout_U=0.2, consume_less="gpu", input_dim=3, input_length=10)
    assert layer.units == 8 and layer.dropout == 0.1 and layer.recurrent_dropout == 0.2
    assert layer.unit_forget_bias and layer.implementation == 2
    model = numkeras.Sequential([layer])
    assert model.output_shape == (None, 8)
    assert len(model.losses) == 2


def test_tf_keras_config_keys_are_accepted():
    layer = layers.LSTM.from_config(dict(units=3, time_major=False, implementation=2, zero_output_for_mask=True))
    assert layer.units == 3
    with pytest.raises(ValueError, match="time_major"):
        layers.GRU(3, time_major=True)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.LSTM(0)
    with pytest.raises(TypeError, match="units is required"):
        layers.GRU()
    with pytest.raises(ValueError, match=r"lstm_\d+.*expected ndim=3, found ndim=2"):
        layers.LSTM(3)(numkeras.Input((5,)))
    with pytest.raises(ValueError, match="call method"):
        layers.RNN(object())


def test_embedding_lstm_learns_to_detect_a_token():
    """Done-when: Embedding + LSTM detects whether token 1 occurs in a sequence (>= 95% accuracy)."""
    numkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, length, vocabulary = 1200, 12, 20
    x = rng.integers(2, vocabulary, size=(n, length))
    y = (rng.random(n) < 0.5).astype("float32")
    positions = rng.integers(0, length, size=n)
    x[y == 1, positions[y == 1]] = 1
    model = numkeras.Sequential([
        layers.Embedding(vocabulary, 8, input_length=length),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=numkeras.optimizers.Adam(lr=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:1000], y[:1000], batch_size=32, epochs=8, verbose=0)
    loss, accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)
    assert accuracy >= 0.95, accuracy
