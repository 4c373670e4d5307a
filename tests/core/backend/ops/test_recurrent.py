"""Whole-sequence recurrent ops against step-by-step NumPy references and finite differences."""

import numpy as np
import pytest

from numkeras.backend.ops import recurrent
from numkeras.testing.gradcheck import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_lstm(xp, h, c, kernel, mask=None, backwards=False, dropout=1):
    u = h.shape[1]
    hs, cs = [], []
    times = range(xp.shape[1] - 1, -1, -1) if backwards else range(xp.shape[1])
    for t in times:
        z = xp[:, t] + (h * dropout) @ kernel
        i, f, g, o = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t, None]
            h_new, c_new = np.where(keep, h_new, h), np.where(keep, c_new, c)
        h, c = h_new, c_new
        hs.append(h)
        cs.append(c)
    return np.concatenate([np.stack(hs, 1), np.stack(cs, 1)], axis=-1)


def reference_gru(xp, h, kernel, bias=None, reset_after=False, dropout=1):
    u = h.shape[1]
    hs = []
    for t in range(xp.shape[1]):
        x = xp[:, t]
        h_in = h * dropout
        if reset_after:
            inner = h_in @ kernel + (0 if bias is None else bias)
            z, r = sigmoid(x[:, :u] + inner[:, :u]), sigmoid(x[:, u:2 * u] + inner[:, u:2 * u])
            hh = np.tanh(x[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            z = sigmoid(x[:, :u] + h_in @ kernel[:, :u])
            r = sigmoid(x[:, u:2 * u] + h_in @ kernel[:, u:2 * u])
            hh = np.tanh(x[:, 2 * u:] + (r * h_in) @ kernel[:, 2 * u:])
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.stack(hs, 1)


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_sequence(backwards, masked, rng):
    n, t, u = 3, 4, 2
    xp, h0, c0 = rng.standard_normal((n, t, 4 * u)), rng.standard_normal((n, u)), rng.standard_normal((n, u))
    kernel = rng.standard_normal((u, 4 * u))
    mask = rng.random((n, t)) > 0.3 if masked else None
    y = recurrent.lstm_sequence(xp, h0, c0, kernel, "tanh", "sigmoid", mask=mask, go_backwards=backwards).data
    np.testing.assert_allclose(y, reference_lstm(xp, h0, c0, kernel, mask, backwards), atol=1e-6)
    check_gradients(lambda *a: recurrent.lstm_sequence(*a, "tanh", "hard_sigmoid", mask=mask,
                                                       go_backwards=backwards), xp, h0, c0, kernel)


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_lstm_sequence_projecting_its_inputs(backwards, masked, return_sequences, rng):
    """With ``kernel`` (and ``bias``) the op projects the inputs itself: the same numbers as the formula."""
    n, t, d, u = 3, 4, 3, 2
    x, h0, c0 = rng.standard_normal((n, t, d)), rng.standard_normal((n, u)), rng.standard_normal((n, u))
    recurrent_kernel, kernel, bias = rng.standard_normal((u, 4 * u)), rng.standard_normal((d, 4 * u)), rng.standard_normal(4 * u)
    mask = rng.random((n, t)) > 0.3 if masked else None
    y = recurrent.lstm_sequence(x, h0, c0, recurrent_kernel, "tanh", "sigmoid", mask=mask, go_backwards=backwards,
                                kernel=kernel, bias=bias, return_sequences=return_sequences).data
    expected = reference_lstm(x @ kernel + bias, h0, c0, recurrent_kernel, mask, backwards)
    np.testing.assert_allclose(y, expected if return_sequences else expected[:, -1], atol=1e-6)
    check_gradients(lambda *a: recurrent.lstm_sequence(*a[:4], "tanh", "hard_sigmoid", mask=mask,
                                                       go_backwards=backwards, kernel=a[4], bias=a[5],
                                                       return_sequences=return_sequences),
                    x, h0, c0, recurrent_kernel, kernel, bias)


@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_gru_sequence_projecting_its_inputs(reset_after, return_sequences, rng):
    n, t, d, u = 3, 4, 3, 2
    x, h0 = rng.standard_normal((n, t, d)), rng.standard_normal((n, u))
    recurrent_kernel, kernel, bias = rng.standard_normal((u, 3 * u)), rng.standard_normal((d, 3 * u)), rng.standard_normal(3 * u)
    recurrent_bias = rng.standard_normal(3 * u) if reset_after else None
    y = recurrent.gru_sequence(x, h0, recurrent_kernel, recurrent_bias, "tanh", "sigmoid", reset_after, kernel=kernel,
                               bias=bias, return_sequences=return_sequences).data
    expected = reference_gru(x @ kernel + bias, h0, recurrent_kernel, recurrent_bias, reset_after)
    np.testing.assert_allclose(y, expected if return_sequences else expected[:, -1], atol=1e-6)
    mask = rng.random((n, t)) > 0.3
    dropout = rng.random((n, u)) * 2
    inputs = (x, h0, recurrent_kernel, kernel, bias) + ((recurrent_bias,) if reset_after else ())
    check_gradients(lambda *a: recurrent.gru_sequence(a[0], a[1], a[2], a[5] if reset_after else None, "tanh",
                                                      "hard_sigmoid", reset_after, mask=mask, recurrent_mask=dropout,
                                                      go_backwards=True, kernel=a[3], bias=a[4],
                                                      return_sequences=return_sequences), *inputs)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_simple_rnn_sequence_projecting_its_inputs(return_sequences, rng):
    x, h0 = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 2))
    recurrent_kernel, kernel, bias = rng.standard_normal((2, 2)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    h, expected = h0, []
    for t in range(5):
        h = np.tanh(x[:, t] @ kernel + bias + h @ recurrent_kernel)
        expected.append(h)
    expected = np.stack(expected, 1)
    y = recurrent.simple_rnn_sequence(x, h0, recurrent_kernel, kernel=kernel, bias=bias,
                                      return_sequences=return_sequences).data
    np.testing.assert_allclose(y, expected if return_sequences else expected[:, -1], atol=1e-6)
    mask = rng.random((3, 5)) > 0.3
    dropout = rng.random((3, 2)) * 2
    check_gradients(lambda *a: recurrent.simple_rnn_sequence(a[0], a[1], a[2], "relu", mask=mask, recurrent_mask=dropout,
                                                             kernel=a[3], bias=a[4], return_sequences=return_sequences),
                    x, h0, recurrent_kernel, kernel, bias)


def test_lstm_sequence_projecting_without_bias_and_with_recurrent_dropout(rng):
    n, t, d, u = 2, 3, 3, 2
    dropout = (rng.random((n, u)) > 0.5) * 2.0
    check_gradients(lambda *a: recurrent.lstm_sequence(*a[:4], "relu", "sigmoid", recurrent_mask=dropout,
                                                       kernel=a[4], return_sequences=False),
                    rng.standard_normal((n, t, d)), rng.standard_normal((n, u)), rng.standard_normal((n, u)),
                    rng.standard_normal((u, 4 * u)), rng.standard_normal((d, 4 * u)))


def test_lstm_sequence_gives_the_same_gradients_on_a_second_backward_pass(rng):
    """The backward pass overwrites the saved gates with their gradients: a second one must not read those."""
    from numkeras.backend.tensor import Variable, gradients

    n, t, d, u = 2, 5, 3, 4
    x = Variable(rng.standard_normal((n, t, d)), dtype="float64")
    weights = [Variable(rng.standard_normal(shape) * 0.5, dtype="float64") for shape in ((u, 4 * u), (d, 4 * u), (4 * u,))]
    h0, c0 = np.zeros((n, u)), np.zeros((n, u))
    y = recurrent.lstm_sequence(x, h0, c0, weights[0], kernel=weights[1], bias=weights[2])
    loss = (y * y).sum()
    first = [g.copy() for g in gradients(loss, [x] + weights)]
    second = gradients(loss, [x] + weights)
    for a, b in zip(first, second):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("n, t", [(1, 3), (2, 1), (1, 1)])
@pytest.mark.parametrize("op", ["lstm", "gru", "simple_rnn"])
def test_the_ops_leave_a_projected_input_unchanged(n, t, op, rng):
    """With one sample or one step the time-major view of the input is the input: the op must not write into it."""
    u = 2
    width = {"lstm": 4, "gru": 3, "simple_rnn": 1}[op] * u
    x_proj, h0 = rng.standard_normal((n, t, width)), rng.standard_normal((n, u))
    kernel = rng.standard_normal((u, width))
    before = x_proj.copy()
    from numkeras.backend.tensor import Variable, gradients

    x = Variable(x_proj, dtype="float64")
    if op == "lstm":
        y = recurrent.lstm_sequence(x, h0, np.zeros((n, u)), kernel, "tanh", "sigmoid")
        expected = reference_lstm(before, h0, np.zeros((n, u)), kernel)
    elif op == "gru":
        y = recurrent.gru_sequence(x, h0, kernel, None, "tanh", "sigmoid")
        expected = reference_gru(before, h0, kernel)
    else:
        y = recurrent.simple_rnn_sequence(x, h0, kernel)
        expected = None
    gradients((y * y).sum(), [x])
    np.testing.assert_array_equal(x.data, before)
    if expected is not None:
        np.testing.assert_allclose(y.data, expected, atol=1e-6)


@pytest.mark.parametrize("op", ["lstm", "gru", "simple_rnn"])
def test_integer_inputs_give_what_the_same_numbers_as_floats_give(op, rng):
    """The ops compute in the float dtype of their operands: an integer input is no reason to truncate
    the recurrent dropout mask (1 / 0.7) or to fail."""
    n, t, d, u = 2, 3, 4, 2
    gates = {"lstm": 4, "gru": 3, "simple_rnn": 1}[op]
    x = rng.integers(-3, 4, size=(n, t, d))
    h0, kernel = rng.standard_normal((n, u)), rng.standard_normal((d, gates * u)) * 0.3
    recurrent_kernel = rng.standard_normal((u, gates * u)) * 0.3
    dropout = (rng.random((n, u)) > 0.3) / 0.7

    def run(inputs):
        if op == "lstm":
            return recurrent.lstm_sequence(inputs, h0, h0, recurrent_kernel, "tanh", "sigmoid", recurrent_mask=dropout,
                                           kernel=kernel)
        if op == "gru":
            return recurrent.gru_sequence(inputs, h0, recurrent_kernel, None, "tanh", "sigmoid",
                                          recurrent_mask=dropout, kernel=kernel)
        return recurrent.simple_rnn_sequence(inputs, h0, recurrent_kernel, recurrent_mask=dropout, kernel=kernel)

    as_float = run(x.astype(np.float64)).data
    as_int = run(x).data
    assert as_int.dtype == np.float64
    np.testing.assert_allclose(as_int, as_float, rtol=1e-12)
    projected = x.astype(np.float64) @ kernel
    if op == "lstm":
        expected = reference_lstm(projected, h0, h0, recurrent_kernel, dropout=dropout)
    elif op == "gru":
        expected = reference_gru(projected, h0, recurrent_kernel, dropout=dropout)
    else:
        h, expected = h0, []
        for t in range(projected.shape[1]):
            h = np.tanh(projected[:, t] + (h * dropout) @ recurrent_kernel)
            expected.append(h)
        expected = np.stack(expected, 1)
    np.testing.assert_allclose(as_int, expected, rtol=1e-10, atol=1e-12)


def test_lstm_sequence_computes_in_the_wider_dtype_of_its_operands(rng):
    """float32 inputs with float64 weights run in float64 (as a Dense layer's product would)."""
    n, t, d, u = 2, 3, 3, 2
    x = rng.standard_normal((n, t, d)).astype(np.float32)
    h0, c0 = np.zeros((n, u)), np.zeros((n, u))
    recurrent_kernel, kernel, bias = rng.standard_normal((u, 4 * u)), rng.standard_normal((d, 4 * u)), rng.standard_normal(4 * u)
    y = recurrent.lstm_sequence(x, h0, c0, recurrent_kernel, "tanh", "sigmoid", kernel=kernel, bias=bias).data
    assert y.dtype == np.float64
    expected = reference_lstm(x.astype(np.float64) @ kernel + bias, h0, c0, recurrent_kernel)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_a_float64_output_gradient_of_a_float32_lstm_gives_float64_gradients(rng):
    """The gate gradients are written where the gates were: in the wider of the two dtypes, not rounded to float32."""
    from numkeras.backend.tensor import Variable

    n, t, d, u = 2, 4, 3, 2
    arrays = [rng.standard_normal(shape) for shape in ((n, t, d), (u, 4 * u), (d, 4 * u), (4 * u,))]
    results = []
    for dtype in ("float32", "float64"):
        x, recurrent_kernel, kernel, bias = [Variable(a, dtype=dtype) for a in arrays]
        zeros = np.zeros((n, u), dtype=dtype)
        y = recurrent.lstm_sequence(x, zeros, zeros, recurrent_kernel, kernel=kernel, bias=bias)
        seed = np.linspace(-1, 1, y.data.size).reshape(y.shape)  # float64, as from a float64 op downstream
        grads = y.creator.backward(seed)
        results.append([grads[i] for i in (0, 3, 4, 5)])
    for single, double in zip(*results):
        assert single.dtype == np.float64
        np.testing.assert_allclose(single, double, rtol=1e-5, atol=1e-6)


def test_lstm_sequence_refuses_a_bias_without_a_kernel(rng):
    with pytest.raises(ValueError, match="a bias without a kernel"):
        recurrent.lstm_sequence(np.zeros((1, 2, 8)), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((2, 8)),
                                bias=np.zeros(8))


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_sequence(reset_after, rng):
    n, t, u = 3, 4, 2
    xp, h0, kernel = rng.standard_normal((n, t, 3 * u)), rng.standard_normal((n, u)), rng.standard_normal((u, 3 * u))
    bias = rng.standard_normal(3 * u) if reset_after else None
    y = recurrent.gru_sequence(xp, h0, kernel, bias, "tanh", "sigmoid", reset_after).data
    np.testing.assert_allclose(y, reference_gru(xp, h0, kernel, bias, reset_after), atol=1e-6)
    mask = rng.random((n, t)) > 0.3
    dropout = rng.random((n, u)) * 2
    inputs = (xp, h0, kernel) + ((bias,) if reset_after else ())
    check_gradients(lambda *a: recurrent.gru_sequence(*a[:3], a[3] if reset_after else None, "tanh", "sigmoid",
                                                      reset_after, mask=mask, recurrent_mask=dropout,
                                                      go_backwards=True), *inputs)


def test_simple_rnn_sequence(rng):
    xp, h0, kernel = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    h, expected = h0, []
    for t in range(5):
        h = np.tanh(xp[:, t] + h @ kernel)
        expected.append(h)
    np.testing.assert_allclose(recurrent.simple_rnn_sequence(xp, h0, kernel).data, np.stack(expected, 1), atol=1e-6)
    mask = rng.random((3, 5)) > 0.3
    check_gradients(lambda *a: recurrent.simple_rnn_sequence(*a, "relu", mask=mask), xp, h0, kernel)


@pytest.mark.parametrize("activation, recurrent_activation", [("tanh", "sigmoid"), ("relu", "hard_sigmoid"),
                                                              ("linear", "sigmoid")])
def test_lstm_activation_pairs(activation, recurrent_activation, rng):
    n, t, u = 2, 3, 2
    mask = rng.random((n, t)) > 0.3
    check_gradients(lambda *a: recurrent.lstm_sequence(*a, activation, recurrent_activation, mask=mask),
                    rng.standard_normal((n, t, 4 * u)), rng.standard_normal((n, u)), rng.standard_normal((n, u)),
                    rng.standard_normal((u, 4 * u)) * 0.5)


@pytest.mark.parametrize("activation, recurrent_activation", [("relu", "hard_sigmoid"), ("linear", "sigmoid"),
                                                              ("tanh", "relu")])
def test_reset_after_gru_activation_pairs(activation, recurrent_activation, rng):
    # (tanh with sigmoid or hard_sigmoid gates go through kernels.gru_cell; these through the op's own steps)
    n, t, u = 2, 3, 2
    mask = rng.random((n, t)) > 0.3
    check_gradients(lambda *a: recurrent.gru_sequence(*a, activation=activation,
                                                      recurrent_activation=recurrent_activation, reset_after=True,
                                                      mask=mask),
                    rng.standard_normal((n, t, 3 * u)), rng.standard_normal((n, u)),
                    rng.standard_normal((u, 3 * u)) * 0.5, rng.standard_normal(3 * u))


def test_lstm_recurrent_dropout_gradients(rng):
    n, t, u = 2, 3, 2
    dropout = (rng.random((n, u)) > 0.5) * 2.0
    check_gradients(lambda *a: recurrent.lstm_sequence(*a, recurrent_mask=dropout),
                    rng.standard_normal((n, t, 4 * u)), rng.standard_normal((n, u)), rng.standard_normal((n, u)),
                    rng.standard_normal((u, 4 * u)))


def test_generic_rnn_matches_the_fused_op(rng):
    from numkeras.backend.ops import matmul, tanh

    xp, h0, kernel = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    mask = rng.random((3, 4)) > 0.3

    def step(x_t, states):
        h = tanh(x_t + matmul(states[0], kernel))
        return h, [h]

    last, outputs, states = recurrent.rnn(step, xp, [h0], mask=mask, go_backwards=True)
    fused = recurrent.simple_rnn_sequence(xp, h0, kernel, mask=mask, go_backwards=True).data
    np.testing.assert_allclose(states[0].data, fused[:, -1], atol=1e-6)
    np.testing.assert_allclose(outputs.data, fused, atol=1e-6)
    assert outputs.shape == (3, 4, 2)
    check_gradients(lambda a, h: recurrent.rnn(step, a, [h], mask=mask)[1], xp, h0)


def test_unknown_activation():
    with pytest.raises(ValueError, match="activations"):
        recurrent.SimpleRNNSequence("swish")
