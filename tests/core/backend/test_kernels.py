"""numkeras.backend.kernels: the NumPy references against their formulas, and the plugin seam."""

import numpy as np
import pytest

import numkeras
from numkeras.backend import kernels
from numkeras.backend.ops.conv import im2col
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import GRU, LSTM, Conv1D, Conv2D, Dense, Flatten, MaxPooling1D, MaxPooling2D, Reshape
from numkeras.models import Sequential
from tests.helpers.formulas import GATES


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def numpy_only():
    previous = kernels.set_kernels(None)
    yield
    kernels.set_kernels(previous)


# -- the references -----------------------------------------------------------------------------

def _adam_by_formula(param, grad, m, v, vhat, beta_1, beta_2, lr_t, epsilon):
    """Adam's step written out in float64, independently of the kernel: the expected values."""
    m = beta_1 * m.astype(np.float64) + (1 - beta_1) * grad.astype(np.float64)
    v = beta_2 * v.astype(np.float64) + (1 - beta_2) * np.square(grad.astype(np.float64))
    if vhat is not None:
        vhat = np.maximum(vhat.astype(np.float64), v)
    used = v if vhat is None else vhat
    return param - lr_t * m / (np.sqrt(used) + epsilon), m, v, vhat


def _adadelta_by_formula(param, grad, accumulator, delta, rho, lr, epsilon):
    """Adadelta's step as Zeiler's paper and Keras 2.2 write it, in float64: the expected values."""
    param, grad, accumulator, delta = (a.astype(np.float64) for a in (param, grad, accumulator, delta))
    accumulator = rho * accumulator + (1 - rho) * grad ** 2
    update = grad * np.sqrt(delta + epsilon) / np.sqrt(accumulator + epsilon)
    return param - lr * update, accumulator, rho * delta + (1 - rho) * update ** 2


UPDATE_DTYPES = pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 2e-6)])
UPDATE_LAYOUTS = pytest.mark.parametrize("shape, layout", [
    ((3, 4), "C"), ((), "C"), ((kernels._UPDATE_CHUNK + 7,), "C"), ((kernels._UPDATE_CHUNK + 7,), "view"),
    ((9, 6), "transposed")])


def _update_array(rng, shape, dtype, layout, positive=False):
    """An optimizer kernel's operand: C order, every other element of a wider array, or a transpose."""
    values = rng.standard_normal(shape)
    values = np.array(np.abs(values) if positive else values, dtype=dtype)  # for (): a 0-d array, not a scalar
    if layout == "view":
        wide = np.zeros(2 * values.size, dtype=dtype)
        wide[::2] = values
        return wide[::2]
    return values.T if layout == "transposed" else values


@UPDATE_DTYPES
@pytest.mark.parametrize("amsgrad", [False, True])
@UPDATE_LAYOUTS
def test_adam_update_is_adams_formula(rng, numpy_only, dtype, tolerance, amsgrad, shape, layout):
    def array(positive=False):
        return _update_array(rng, shape, dtype, layout, positive)

    param, grad, m, v, vhat = array(), array(), array(), array(positive=True), array(positive=True)
    expected = _adam_by_formula(param, grad, m, v, vhat if amsgrad else None, 0.8, 0.99, 0.01, 1e-4)
    out = kernels.adam_update(param, grad, m, v, vhat if amsgrad else None, 0.8, 0.99, 0.01, 1e-4)
    assert out is param
    for got, want in zip((param, m, v) + ((vhat,) if amsgrad else ()), expected):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


@UPDATE_DTYPES
@UPDATE_LAYOUTS
def test_adadelta_update_is_zeilers_formula(rng, numpy_only, dtype, tolerance, shape, layout):
    param, grad = _update_array(rng, shape, dtype, layout), _update_array(rng, shape, dtype, layout)
    accumulator, delta = (_update_array(rng, shape, dtype, layout, positive=True) for _ in range(2))
    expected = _adadelta_by_formula(param, grad, accumulator, delta, 0.95, 0.5, 1e-6)
    assert kernels.adadelta_update(param, grad, accumulator, delta, 0.95, 0.5, 1e-6) is param
    for got, want in zip((param, accumulator, delta), expected):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)



def _lstm_step_by_formula(pre, c_prev, gate):
    """An LSTM step (Hochreiter and Schmidhuber, with forget gate; Keras's gate order i, f, c, o) in float64."""
    i, f, cell_input, o = np.split(pre.astype(np.float64), 4, axis=1)
    sigma = GATES[gate]
    c = sigma(f) * c_prev + sigma(i) * np.tanh(cell_input)
    return c, sigma(o) * np.tanh(c)


def _lstm_cell(pre, c_prev, gate):
    """``kernels.lstm_cell`` on the pre-activations ``pre`` (given as its two addends): ``(g, c, c_act, h)``."""
    g, z = pre * 0.25, pre - pre * 0.25  # the projected inputs and the recurrent product
    c, c_act, h, scratch = (np.empty_like(c_prev) for _ in range(4))
    assert kernels.lstm_cell(g, z, c_prev, c, c_act, h, gate, scratch) is h
    return g, c, c_act, h


@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 2e-6), (np.float64, 1e-14)])
def test_lstm_cell_is_the_lstm_step_of_the_formula(rng, numpy_only, gate, dtype, tolerance):
    pre, c_prev = (rng.standard_normal((5, 12)) * 3).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    g, c, c_act, h = _lstm_cell(pre, c_prev, gate)
    want_c, want_h = _lstm_step_by_formula(pre, c_prev, gate)
    np.testing.assert_allclose(c, want_c, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h, want_h, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(c_act, np.tanh(want_c), rtol=tolerance, atol=tolerance)
    i, f, cell_input, o = np.split(pre.astype(np.float64), 4, axis=1)
    sigma = GATES[gate]
    want_g = np.concatenate([sigma(i), sigma(f), np.tanh(cell_input), sigma(o)], axis=1)
    np.testing.assert_allclose(g, want_g, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("gate", sorted(GATES))
def test_lstm_cell_grad_is_the_derivative_of_the_step(rng, numpy_only, gate):
    """Central differences of ``sum(wh h) + sum(wc c)`` (float64) against the kernel's gradients."""
    rows, units = 3, 2
    pre, c_prev = rng.standard_normal((rows, 4 * units)) * 2, rng.standard_normal((rows, units))
    pre[np.abs(0.2 * pre) > 0.49] = 0.1  # hard sigmoids away from their kinks, where the slope jumps
    wh, wc = rng.standard_normal((rows, units)), rng.standard_normal((rows, units))

    def loss(pre, c_prev):
        c, h = _lstm_step_by_formula(pre, c_prev, gate)
        return np.sum(wh * h) + np.sum(wc * c)

    def numerical(x, other, first):
        grad, step = np.zeros_like(x), 1e-6
        for index in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[index] += step
            down[index] -= step
            grad[index] = ((loss(up, other) - loss(down, other)) if first else
                           (loss(other, up) - loss(other, down))) / (2 * step)
        return grad

    g, c, c_act, h = _lstm_cell(pre, c_prev, gate)
    dc, dc_prev, factors = wc.copy(), np.empty_like(wc), np.empty((rows, 3, units))
    assert kernels.lstm_cell_grad(g, c_prev, c_act, wh.copy(), dc, dc_prev, gate, factors) is dc_prev
    np.testing.assert_allclose(g, numerical(pre, c_prev, True), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dc_prev, numerical(c_prev, pre, False), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 2e-6), (np.float64, 1e-14)])
def test_gru_cell_is_the_gru_step_of_the_formula(rng, numpy_only, gate, dtype, tolerance):
    """Cho et al.'s GRU with the reset gate applied after the recurrent product (CuDNN's, Keras's reset_after)."""
    rows, units = 4, 3
    x, inner = ((rng.standard_normal((rows, 3 * units)) * 3).astype(dtype) for _ in range(2))
    h_prev = rng.standard_normal((rows, units)).astype(dtype)
    g, inner_h, h = np.empty((rows, 3 * units), dtype), np.empty((rows, units), dtype), np.empty((rows, units), dtype)
    assert kernels.gru_cell(x, inner, h_prev, g, inner_h, h, gate, np.empty_like(g)) is h
    x_z, x_r, x_h = np.split(x.astype(np.float64), 3, axis=1)
    i_z, i_r, i_h = np.split(inner.astype(np.float64), 3, axis=1)
    sigma = GATES[gate]
    z, r = sigma(x_z + i_z), sigma(x_r + i_r)
    hh = np.tanh(x_h + r * i_h)
    np.testing.assert_allclose(h, z * h_prev + (1 - z) * hh, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(g, np.concatenate([z, r, hh], axis=1), rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(inner_h, inner[:, 2 * units:])


def test_the_recurrent_kernels_refuse_other_gates(numpy_only):
    state, gates = np.zeros((2, 3)), np.zeros((2, 12))
    with pytest.raises(ValueError, match="'sigmoid' or 'hard_sigmoid', not 'relu'"):
        kernels.lstm_cell(gates, gates, state, state, state, state, "relu", state)
    with pytest.raises(ValueError, match="not 'tanh'"):
        kernels.lstm_cell_grad(gates, state, state, state, state, state, "tanh", np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="not 'linear'"):
        kernels.gru_cell(gates[:, :9], gates[:, :9], state, gates[:, :9].copy(), state, state, "linear", gates[:, :9])


def test_bias_relu_is_max_of_y_plus_bias_and_zero_in_place(rng, numpy_only):
    y = rng.standard_normal((6, 4))
    y[0, 0] = np.nan
    bias = rng.standard_normal(4)
    expected = np.where(np.isnan(y + bias), np.nan, np.maximum(y + bias, 0))
    out = y  # the same array: the kernel works in place
    mask = kernels.bias_relu(out, bias)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(mask, expected > 0)
    assert not mask[0, 0]


def test_bias_relu_without_bias(rng, numpy_only):
    y = rng.standard_normal((5, 3))
    expected = np.maximum(y, 0)
    mask = kernels.bias_relu(y, None)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(mask, expected > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["one chunk", "several chunks", "not contiguous"])
def test_relu_is_numpys_maximum_with_zero_bit_for_bit(rng, dtype, layout):
    size = 3 * kernels._ZERO_CHUNK + 5 if layout == "several chunks" else 1000
    y = rng.standard_normal(size).astype(dtype)
    y[:6] = [np.nan, -np.nan, -0.0, 0.0, -np.inf, np.inf]
    y[-1] = np.nan  # in the last, partial chunk
    if layout == "not contiguous":
        y = y.reshape(40, 25).T
    expected = np.maximum(y, 0)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    fresh = kernels.relu(y)  # into a new array
    np.testing.assert_array_equal(np.ascontiguousarray(fresh).view(bits), expected.view(bits))
    assert kernels.relu(y, out=y) is y  # in place
    np.testing.assert_array_equal(y.view(bits) if y.flags.c_contiguous else y.copy().view(bits), expected.view(bits))


def test_relu_grad_is_g_where_the_mask_holds(rng, numpy_only):
    g, mask = rng.standard_normal((4, 5)), rng.random((4, 5)) > 0.5
    np.testing.assert_array_equal(kernels.relu_grad(g, mask), np.where(mask, g, 0.0))

def test_relu_grad_sums_is_the_masked_gradient_and_its_column_sums(rng, numpy_only):
    g, mask = rng.standard_normal((6, 5)), rng.random((6, 5)) > 0.5
    grad, sums = kernels.relu_grad_sums(g, mask)
    np.testing.assert_array_equal(grad, np.where(mask, g, 0.0))
    np.testing.assert_allclose(sums, np.where(mask, g, 0.0).sum(axis=0), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-6), (np.float64, 1e-14)])
def test_axpy_adds_alpha_times_x_to_y_in_place(rng, numpy_only, dtype, tolerance):
    x, y = rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    expected = y.astype(np.float64) - 0.01 * x.astype(np.float64)
    out = y
    assert kernels.axpy(-0.01, x.copy(), out) is out
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)  # values of order 1


def test_max_pool_records_the_first_offset_holding_the_maximum(numpy_only):
    x = np.array([[4.0, 4.0, 1.0, 7.0], [0.0, 4.0, 7.0, 2.0]]).reshape(1, 2, 4, 1)
    best, winner = kernels.max_pool(x, (2, 2), (2, 2))
    np.testing.assert_array_equal(best.reshape(-1), [4.0, 7.0])
    np.testing.assert_array_equal(winner.reshape(-1), [0, 1])  # ties go to the earlier offset
    grad = kernels.max_pool_grad(np.array([10.0, 20.0]).reshape(1, 1, 2, 1), winner, (2, 2), (2, 2), x.shape)
    np.testing.assert_array_equal(grad.reshape(2, 4), [[10.0, 0.0, 0.0, 20.0], [0.0, 0.0, 0.0, 0.0]])


def test_max_pool_grad_sums_over_overlapping_windows(numpy_only):
    x = np.array([0.0, 5.0, 1.0, 2.0]).reshape(1, 4, 1)
    best, winner = kernels.max_pool(x, (2,), (1,))
    np.testing.assert_array_equal(best.reshape(-1), [5.0, 5.0, 2.0])
    grad = kernels.max_pool_grad(np.array([1.0, 2.0, 4.0]).reshape(1, 3, 1), winner, (2,), (1,), x.shape)
    np.testing.assert_array_equal(grad.reshape(-1), [0.0, 3.0, 0.0, 4.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("side, size, strides", [(6, (2, 2), (2, 2)), (6, (2, 2), (3, 3)), (6, (2, 2), (1, 1)),
                                                 (7, (2, 2), (2, 2)), (18, (17, 17), (1, 1))])
@pytest.mark.parametrize("contiguous", [True, False])
def test_max_pool_grad_is_g_at_each_winner_and_plus_zero_elsewhere(numpy_only, dtype, side, size, strides,
                                                                   contiguous):
    """As TensorFlow's: a negative, infinite or NaN gradient stays at its winner, and every other
    element is +0 (g * won gave -0, and NaN from inf * 0, over the whole window). Windows tiling
    the input, with gaps between them or a leftover row and column, overlapping (where the
    winners' gradients add up), 289 offsets (16-bit winners); g contiguous or a strided view."""
    x = np.random.default_rng(0).permutation(side * side).astype(dtype).reshape(1, side, side, 1)
    best, winner = kernels.max_pool(x, size, strides)
    values = [-0.0, -1.5, np.inf, -np.inf, np.nan, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
              13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0]
    g = np.array(values[:best.size], dtype=dtype).reshape(best.shape)
    if not contiguous:
        g = np.repeat(g, 2, axis=-1)[..., ::2]
    with np.errstate(invalid="ignore"):  # inf - inf where overlapping windows' gradients add up
        grad = kernels.max_pool_grad(g, winner, size, strides, x.shape)
        expected = np.zeros(x.shape, dtype=dtype)  # a direct loop: each window's g at its winner, +0 elsewhere
        for r, q in np.ndindex(*best.shape[1:3]):
            i, j = divmod(int(winner[0, r, q, 0]), size[1])
            at = (0, r * strides[0] + i, q * strides[1] + j, 0)
            if strides == size or strides[0] > size[0]:  # windows apart: the window's g itself, a -0 included
                expected[at] = g[0, r, q, 0]
            else:
                expected[at] += g[0, r, q, 0]
    assert grad.dtype == dtype
    np.testing.assert_array_equal(grad, expected)
    np.testing.assert_array_equal(np.signbit(grad), np.signbit(expected))


@pytest.mark.parametrize("strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 2))])
def test_col2im_is_the_adjoint_of_im2col(rng, numpy_only, strides, dilation):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: the defining property of the adjoint.
    x = rng.standard_normal((2, 7, 6, 3))
    patches = im2col(x, (3, 2), strides, dilation, ((0, 0), (0, 0)))
    cols = rng.standard_normal(patches.shape)
    image = kernels.col2im(cols, np.zeros_like(x), strides, dilation)
    np.testing.assert_allclose(np.vdot(patches, cols), np.vdot(x, image), rtol=1e-12)


def test_im2col_copies_each_window(rng, numpy_only):
    x = rng.standard_normal((2, 7, 6, 3))
    out = np.empty((2, 3, 4, 2, 3, 3))  # strides (2, 1), dilation (2, 1): windows of 2x3 spanning 3x3
    assert kernels.im2col(x, (2, 1), (2, 1), out) is out
    for r, q, i, j in np.ndindex(3, 4, 2, 3):
        np.testing.assert_array_equal(out[:, r, q, i, j], x[:, 2 * r + 2 * i, q + j])


def test_col2im_adds_into_the_image_it_is_given(numpy_only):
    cols = np.ones((1, 2, 2, 1))  # one sample, two windows of width 2, one channel
    image = np.full((1, 3, 1), 10.0)
    assert kernels.col2im(cols, image, (1,), (1,)) is image
    np.testing.assert_array_equal(image.reshape(-1), [11.0, 12.0, 11.0])


# -- the seam ------------------------------------------------------------------------------------

class Recording:
    """A compiled-kernel stand-in: the reference, recording that it ran (or declining)."""

    def __init__(self, name, decline=False):
        self.reference, self.decline, self.calls = getattr(kernels, name).reference, decline, 0

    def __call__(self, *args):
        self.calls += 1
        return None if self.decline else self.reference(*args)


def _everything(decline=False):
    return {name: Recording(name, decline) for name in kernels.names()}


def _train(x, y):
    """The weights after training with SGD, Adam, then Adadelta: between them every kernel runs."""
    weights = []
    for optimizer in ("sgd", "adam", "adadelta"):
        numkeras.utils.set_random_seed(3)
        model = Sequential([Conv2D(4, 3, activation="relu", input_shape=x.shape[1:]),
                            Conv2D(3, 2, activation="relu"), MaxPooling2D(2), Reshape((-1, 3)),
                            LSTM(4, recurrent_activation="sigmoid", return_sequences=True),  # lstm_cell's gates
                            GRU(4, recurrent_activation="sigmoid", reset_after=True),  # gru_cell's
                            Dense(5, activation="relu", use_bias=False), Dense(2)])
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        weights += model.get_weights()
        weights.append(model.predict(x, verbose=0))  # inference: conv3x3 is asked (and, here, declines)
    return weights


@pytest.mark.parametrize("decline", [False, True], ids=["computing", "declining"])
def test_the_ops_use_the_kernels_and_get_the_references_numbers(rng, decline):
    x, y = rng.random((8, 9, 9, 2)), rng.random((8, 2))
    previous = kernels.set_kernels(None)
    try:
        expected = _train(x, y)
        supplied = _everything(decline)
        kernels.set_kernels(supplied)
        got = _train(x, y)
    finally:
        kernels.set_kernels(previous)
    assert all(kernel.calls for kernel in supplied.values()), {n: k.calls for n, k in supplied.items()}
    for mine, reference in zip(got, expected):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


def test_a_plugin_compiling_only_relu_grad_still_gets_the_biased_layers_gradient(rng):
    only = {"relu_grad": Recording("relu_grad")}
    previous = kernels.set_kernels(only)
    try:
        model = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(rng.random((8, 4)), rng.random((8, 1)), batch_size=4, epochs=1, verbose=0)
    finally:
        kernels.set_kernels(previous)
    assert only["relu_grad"].calls == 2


def test_one_dimensional_pooling_and_convolution_use_the_kernels_too(rng):
    supplied = _everything()
    previous = kernels.set_kernels(supplied)
    try:
        model = Sequential([Conv1D(3, 2, activation="relu", input_shape=(8, 2)),
                            Conv1D(2, 2, activation="relu", use_bias=False), MaxPooling1D(2), Flatten(), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(rng.random((4, 8, 2)), rng.random((4, 1)), epochs=1, verbose=0)
        model.predict(rng.random((4, 8, 2)), verbose=0)  # window_max: pooling without the winners
    finally:
        kernels.set_kernels(previous)
    # SGD here, no 2-D convolution (conv3x3's) at inference, and no recurrent layer
    calls = {name: kernel.calls for name, kernel in supplied.items()
             if name not in ("adam_update", "adadelta_update", "conv3x3", "lstm_cell", "lstm_cell_grad", "lstm_sequence",
                             "lstm_sequence_grad", "gru_cell", "gru_sequence")}
    assert all(calls.values()), calls


def test_a_hook_plugin_supplies_kernels_and_the_first_answer_wins(monkeypatch):
    first, second = Recording("relu_grad"), Recording("relu_grad")

    class Plugin:
        def __init__(self, answer):
            self.answer = answer

        @hookimpl
        def numkeras_kernels(self):
            return self.answer

    manager = plugin_manager()
    plugins = [Plugin({"relu_grad": second}), Plugin({"relu_grad": first}), Plugin(None)]
    for index, plugin in enumerate(plugins):
        manager.register(plugin, name=f"test-kernels-plugin-{index}")  # the last registered answers first
    monkeypatch.setattr(kernels, "_compiled", [])  # forget the table looked up earlier
    try:
        assert kernels.compiled("relu_grad") and not kernels.compiled("col2im")
        kernels.relu_grad(np.ones(3), np.ones(3, dtype=bool))
        assert (first.calls, second.calls) == (1, 0)
    finally:
        for plugin in plugins:
            manager.unregister(plugin)


def test_unknown_kernel_names_are_reported_and_ignored():
    with pytest.warns(RuntimeWarning, match="relu_gard.*known: bias_relu"):
        previous = kernels.set_kernels({"relu_gard": lambda g, mask: g})
    try:
        assert kernels.get_kernels() == {}
    finally:
        kernels.set_kernels(previous)


def test_without_a_plugin_only_the_references_run(monkeypatch):
    monkeypatch.setattr(kernels, "_compiled", [])
    assert kernels.get_kernels() == {}
    assert not kernels.compiled("col2im")


def test_compiled_result_is_the_plugins_answer_or_none():
    """``None`` without a plugin kernel or when it declines (the op then takes its own path), else its result."""
    previous = kernels.set_kernels({})
    try:
        y = np.array([[-1.0, 2.0]])
        assert kernels.compiled_result("bias_relu", y, None) is None  # no plugin: the reference does not run
        np.testing.assert_array_equal(y, [[-1.0, 2.0]])
        answer = np.array([[True, False]])
        kernels.set_kernels({"bias_relu": lambda y, bias: answer if bias is None else None})
        assert kernels.compiled_result("bias_relu", y, None) is answer
        assert kernels.compiled_result("bias_relu", y, np.zeros(2)) is None  # declined
        np.testing.assert_array_equal(kernels.bias_relu(y, np.zeros(2)), [[False, True]])  # the reference after it
    finally:
        kernels.set_kernels(previous)
