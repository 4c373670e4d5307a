"""contrib/numkeras-numba: the compiled kernels give the NumPy references' numbers, and a fresh process uses them."""

import contextlib
import importlib
import importlib.util
import itertools
import math
import os
import sys
import threading
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from numkeras.backend import blas, kernels
from numkeras.backend.tensor import Tensor, gradients
from numkeras.backend.ops.conv import im2col

from numkeras.testing.gradcheck import check_layer_gradients, float64
from tests.helpers.formulas import GATES as GATE_FORMULAS
from .conftest import CONTRIB, elementwise_kernels, install_contrib, run_python

pytest.importorskip("numba", reason="the test extra installs numba where it has wheels")
PLUGIN_DIR = os.path.join(CONTRIB, "numkeras-numba")


@pytest.fixture(scope="module")
def numba_plugin():
    sys.path.insert(0, PLUGIN_DIR)
    try:
        module = importlib.import_module("numkeras_numba")
    finally:
        sys.path.remove(PLUGIN_DIR)
    assert os.path.dirname(module.__file__).startswith(PLUGIN_DIR), module.__file__
    return module


@pytest.fixture
def every_array(numba_plugin, monkeypatch):
    """The plugin with its small-array cut-off off, so that small test arrays reach the compiled loops."""
    monkeypatch.setattr(numba_plugin, "SMALL_ARRAY", 0)
    monkeypatch.setattr(numba_plugin, "SMALL_ARRAY_BESIDE_GEMM_PLUGIN", 0)
    return numba_plugin


@pytest.fixture
def compiled(every_array):
    previous = kernels.set_kernels(every_array.kernels())
    yield every_array
    kernels.set_kernels(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_bias_relu(every_array, rng, dtype, with_bias):
    y = rng.standard_normal((37, 5)).astype(dtype)
    y[3, 2] = np.nan
    bias = rng.standard_normal(5).astype(dtype) if with_bias else None
    mine, reference = y.copy(), y.copy()
    mask = every_array.bias_relu(mine, bias)
    np.testing.assert_array_equal(mask, kernels.bias_relu.reference(reference, bias))
    np.testing.assert_array_equal(mine, reference)  # NaN where the reference has NaN, too


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_grad(every_array, rng, dtype):
    g, mask = rng.standard_normal((6, 7, 3)).astype(dtype), rng.random((6, 7, 3)) > 0.4
    out = every_array.relu_grad(g, mask)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, kernels.relu_grad.reference(g, mask))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [1, 2, 37])
def test_relu_grad_sums(every_array, rng, dtype, rows):
    g, mask = rng.standard_normal((rows, 6)).astype(dtype), rng.random((rows, 6)) > 0.4
    g[0, 0] = np.nan  # NaN * False is NaN in the reference too
    out, sums = every_array.relu_grad_sums(g, mask)
    expected_out, expected_sums = kernels.relu_grad_sums.reference(g, mask)
    assert out.dtype == sums.dtype == dtype and sums.shape == (6,)
    np.testing.assert_array_equal(out, expected_out)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12  # summed in another order
    np.testing.assert_allclose(sums, expected_sums, rtol=tolerance, atol=tolerance)


POOLS = [  # shape, pool size, strides
    ((3, 8, 8, 4), (2, 2), (2, 2)),
    ((2, 9, 7, 3), (3, 2), (2, 1)),  # overlapping rows, a leftover row and column
    ((2, 6, 6, 2), (2, 2), (3, 3)),  # gaps between windows
    ((2, 11, 3), (3,), (2,)),  # 1-D
    ((1, 20, 20, 1), (17, 17), (1, 1)),  # 289 offsets: the winner needs 16 bits
    ((2, 9, 7, 3), (2, 2), (2, 2)),  # windows apart, a leftover row and column
    ((2, 11, 3), (2,), (2,)),  # 1-D, windows apart
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, size, strides", POOLS)
def test_max_pool_and_its_gradient(every_array, rng, dtype, shape, size, strides):
    # Small integers: many ties, so the first-offset rule is exercised.
    x = rng.integers(0, 4, shape).astype(dtype)
    x.reshape(-1)[5] = np.nan
    best, winner = every_array.max_pool(x, size, strides)
    expected_best, expected_winner = kernels.max_pool.reference(x, size, strides)
    np.testing.assert_array_equal(best, expected_best)
    assert winner.dtype == expected_winner.dtype
    np.testing.assert_array_equal(winner, expected_winner)
    np.testing.assert_array_equal(every_array.window_max(x, size, strides), expected_best)  # inference's
    g = rng.standard_normal(best.shape).astype(dtype)
    tolerance = 1e-6 if dtype == np.float32 else 1e-14  # overlapping windows: the same sums in another order
    np.testing.assert_allclose(every_array.max_pool_grad(g, winner, size, strides, x.shape),
                               kernels.max_pool_grad.reference(g, winner, size, strides, x.shape),
                               rtol=tolerance, atol=tolerance)


class _DirtyNumpy:
    """NumPy, except that ``empty`` returns arrays full of NaN (integers: their largest value),
    so that a kernel that leaves an element of an ``np.empty`` unwritten shows it."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float, **options):
        array = np.empty(shape, dtype, **options)
        array.fill(np.nan if np.dtype(dtype).kind == "f" else np.iinfo(np.dtype(dtype)).max)
        return array


@settings(max_examples=40, deadline=None)
@given(data=st.data(), rank=st.sampled_from([1, 2]), dtype=st.sampled_from(DTYPES))
def test_the_pooling_loops_are_the_references_on_special_values(numba_plugin, data, rank, dtype):
    """Inference and training pooling against the NumPy references on values with ties, signed
    zeros, infinities (padding is -inf) and NaNs anywhere in a window (after a NaN no offset wins:
    the gradient goes to the first maximum before it). Equal values and winners; not the sign of a
    maximum that ties +0 with -0, which IEEE leaves open and NumPy's own SIMD and scalar loops
    answer differently. The gradient, of small integers, infinities and NaNs (so that sums are
    exact): equal, its zeros' signs included; its arrays come from an ``np.empty`` that returns
    NaNs, so that an element left unwritten shows."""
    size = tuple(data.draw(st.integers(1, 3), label="size") for _ in range(rank))
    strides = tuple(data.draw(st.integers(1, 3), label="stride") for _ in range(rank))
    spatial = tuple(data.draw(st.integers(k, k + 6), label="length") for k in size)
    samples, channels = data.draw(st.integers(1, 3), label="samples"), data.draw(st.integers(1, 9), label="channels")
    shape = (samples,) + spatial + (channels,)
    values = st.sampled_from([-np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, np.inf, np.nan])
    size_of = math.prod(shape)
    x = np.array(data.draw(st.lists(values, min_size=size_of, max_size=size_of)), dtype).reshape(shape)
    expected = kernels.window_max.reference(x, size, strides)
    assert np.array_equal(expected, kernels.max_pool.reference(x, size, strides)[0], equal_nan=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba_plugin, "SMALL_ARRAY", 0)
        patch.setattr(numba_plugin, "SMALL_ARRAY_BESIDE_GEMM_PLUGIN", 0)
        mine = numba_plugin.window_max(x, size, strides)
        best, winner = numba_plugin.max_pool(x, size, strides)
    assert mine.shape == expected.shape and mine.dtype == dtype
    np.testing.assert_array_equal(mine, expected)
    np.testing.assert_array_equal(best, expected)
    expected_winner = kernels.max_pool.reference(x, size, strides)[1]
    assert winner.dtype == expected_winner.dtype
    np.testing.assert_array_equal(winner, expected_winner)
    gradients = st.sampled_from([-0.0, 0.0, -2.0, 1.0, 3.0, np.inf, -np.inf, np.nan])
    g = np.array(data.draw(st.lists(gradients, min_size=best.size, max_size=best.size)), dtype).reshape(best.shape)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba_plugin, "SMALL_ARRAY", 0)
        patch.setattr(numba_plugin, "SMALL_ARRAY_BESIDE_GEMM_PLUGIN", 0)
        patch.setattr(numba_plugin, "np", _DirtyNumpy())
        grad = numba_plugin.max_pool_grad(g, winner, size, strides, x.shape)
    with np.errstate(invalid="ignore"):  # inf - inf where overlapping windows add their gradients
        expected_grad = kernels.max_pool_grad.reference(g, winner, size, strides, x.shape)
    np.testing.assert_array_equal(grad, expected_grad)
    numbers = ~np.isnan(expected_grad)  # (a NaN's sign may depend on the order of the sums)
    np.testing.assert_array_equal(np.signbit(grad[numbers]), np.signbit(expected_grad[numbers]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kernel, strides, dilation", [
    ((2, 7, 6, 3), (3, 3), (1, 1), (1, 1)),
    ((2, 9, 8, 2), (2, 3), (2, 1), (1, 2)),
    ((3, 10, 2), (3,), (2,), (2,)),
])
def test_col2im(every_array, rng, dtype, shape, kernel, strides, dilation):
    rank = len(kernel)
    patches = im2col(np.zeros(shape, dtype), kernel, strides, dilation, ((0, 0),) * rank)
    cols = rng.standard_normal(patches.shape).astype(dtype)
    start = rng.standard_normal(shape).astype(dtype)
    mine, reference = start.copy(), start.copy()
    assert every_array.col2im(cols, mine, strides, dilation) is not None
    kernels.col2im.reference(cols, reference, strides, dilation)
    tolerance = 1e-6 if dtype == np.float32 else 1e-14  # the same sums, maybe added in another order
    np.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance)


def test_the_plugin_leaves_im2col_to_numpy(numba_plugin):
    """A copy, which NumPy makes in one pass: Numba's loop was the slower one beside OpenBLAS."""
    assert "im2col" not in numba_plugin.kernels() and "im2col" not in numba_plugin.LOOPS


def test_inference_pools_with_numpy_and_training_with_the_plugin(every_array, rng):
    """Inference needs no winners: NumPy's maximum, faster than the loop that also finds them."""
    from numkeras import backend as K
    from numkeras.backend.ops.pooling import pool

    calls = []
    table = dict(every_array.kernels())
    table["max_pool"] = lambda *args: calls.append(args[0].shape) or every_array.max_pool(*args)
    previous = kernels.set_kernels(table)
    try:
        x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
        expected = x.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4))  # each 2x2 window's maximum, by NumPy
        with K.no_tape():
            np.testing.assert_array_equal(pool(K.variable(x), 2).data, expected)
        assert calls == []
        with K.tape():
            np.testing.assert_array_equal(pool(K.variable(x), 2).data, expected)
        assert calls == [x.shape]
    finally:
        kernels.set_kernels(previous)


@pytest.fixture
def beside_a_gemm_plugin():
    """A GEMM kernel that declines every product (NumPy computes them): the Adam kernel runs only beside one."""
    previous = blas.set_gemm(lambda a, b, out: None)
    yield
    blas.set_gemm(previous)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
@given(size=st.integers(1, 300), beta_1=st.floats(0, 0.99), beta_2=st.floats(0, 0.9999),
       lr_t=st.floats(1e-5, 1.0), epsilon=st.floats(1e-8, 1e-3), seed=st.integers(0, 2**16))
@settings(max_examples=15, deadline=None)
def test_adam_update(numba_plugin, dtype, amsgrad, size, beta_1, beta_2, lr_t, epsilon, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(size).astype(dtype) for _ in range(3)]
    arrays += [np.abs(rng.standard_normal(size)).astype(dtype) for _ in range(2)]
    arrays[3][::7] = np.nan  # a NaN in v comes out of AMSGrad's maximum too
    expected, got = [a.copy() for a in arrays], [a.copy() for a in arrays]
    kernels.adam_update.reference(*expected[:4], expected[4] if amsgrad else None, beta_1, beta_2, lr_t, epsilon)
    with pytest.MonkeyPatch.context() as patch:  # (the fixture's monkeypatch is per test, not per example)
        patch.setattr(numba_plugin, "SMALL_ARRAY", 0)
        patch.setattr(numba_plugin, "SMALL_ARRAY_BESIDE_GEMM_PLUGIN", 0)
        patch.setattr(blas, "_kernel", [lambda a, b, out: None])  # beside a GEMM plugin (that declines)
        assert numba_plugin.adam_update(*got[:4], got[4] if amsgrad else None, beta_1, beta_2, lr_t, epsilon) is got[0]
    for index in (0, 2, 3, 4):  # param, m, v, vhat: the reference's numbers (grad is scratch)
        np.testing.assert_allclose(got[index], expected[index], rtol=2e-7 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@given(size=st.integers(1, 300), rho=st.floats(0, 0.999), lr=st.floats(1e-3, 2.0), epsilon=st.floats(1e-8, 1e-3),
       seed=st.integers(0, 2**16))
@settings(max_examples=15, deadline=None)
def test_adadelta_update(numba_plugin, dtype, size, rho, lr, epsilon, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(size).astype(dtype) for _ in range(2)]
    arrays += [np.abs(rng.standard_normal(size)).astype(dtype) for _ in range(2)]
    expected, got = [a.copy() for a in arrays], [a.copy() for a in arrays]
    kernels.adadelta_update.reference(*expected, rho, lr, epsilon)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba_plugin, "SMALL_ARRAY", 0)
        patch.setattr(numba_plugin, "SMALL_ARRAY_BESIDE_GEMM_PLUGIN", 0)
        patch.setattr(blas, "_kernel", [lambda a, b, out: None])  # beside a GEMM plugin (that declines)
        assert numba_plugin.adadelta_update(*got, rho, lr, epsilon) is got[0]
    for index in (0, 2, 3):  # param, accumulator, delta: the reference's numbers (grad is scratch)
        np.testing.assert_allclose(got[index], expected[index], rtol=2e-7 if dtype == np.float32 else 1e-15)


def test_adadelta_update_declines_what_it_cannot_take(every_array, beside_a_gemm_plugin):
    ones = np.ones((4, 6), np.float32)
    assert every_array.adadelta_update(ones.T, ones.T, ones.T, ones.T, 0.95, 1.0, 1e-7) is None
    assert every_array.adadelta_update(ones, ones.astype(np.float64), ones, ones, 0.95, 1.0, 1e-7) is None
    previous = blas.set_gemm(None)  # no GEMM plugin: NumPy's chunked reference runs, as for Adam
    try:
        assert every_array.adadelta_update(ones, ones.copy(), ones.copy(), ones.copy(), 0.95, 1.0, 1e-7) is None
    finally:
        blas.set_gemm(previous)
    np.testing.assert_array_equal(ones, 1)


def test_adam_update_declines_what_it_cannot_take(every_array, beside_a_gemm_plugin):
    ones = np.ones((4, 6), np.float32)
    assert every_array.adam_update(ones.T, ones.T, ones.T, ones.T, None, 0.9, 0.999, 0.1, 1e-7) is None
    assert every_array.adam_update(ones, ones.astype(np.float64), ones, ones, None, 0.9, 0.999, 0.1, 1e-7) is None
    assert every_array.adam_update(ones, ones, ones, ones, np.ones(3, np.float32), 0.9, 0.999, 0.1, 1e-7) is None
    np.testing.assert_array_equal(ones, 1)  # declined before changing anything


def test_adam_update_is_left_to_numpy_without_a_gemm_plugin(every_array):
    ones = np.ones(8, np.float32)
    previous = blas.set_gemm(None)
    try:
        assert every_array.adam_update(ones, ones.copy(), ones.copy(), ones.copy(), None, 0.9, 0.999, 0.1, 1e-7) is None
    finally:
        blas.set_gemm(previous)
    np.testing.assert_array_equal(ones, 1)


def test_adam_training_gives_numpys_numbers(compiled, beside_a_gemm_plugin, rng):
    import numkeras
    from numkeras.layers import LSTM, Dense, Embedding
    from numkeras.models import Sequential

    x, y = rng.integers(0, 50, (16, 7)), rng.random((16, 1)).astype(np.float32)

    def train():
        numkeras.utils.set_random_seed(0)
        model = Sequential([Embedding(50, 8), LSTM(6), Dense(1)])
        model.compile(optimizer=numkeras.optimizers.Adam(amsgrad=True), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    with_numba = train()
    with elementwise_kernels(None):
        with_numpy = train()
    for mine, reference in zip(with_numba, with_numpy):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-7)


def _lstm_arrays(rng, dtype, rows, units, spread):
    """The arrays of one LSTM step: pre-activations (two addends), state and gradients."""
    def array(*shape):
        return (rng.standard_normal(shape) * spread).astype(dtype)

    return dict(g=array(rows, 4 * units), z=array(rows, 4 * units), c_prev=array(rows, units),
                dh=array(rows, units), dc=array(rows, units))


# float32's spacing just below 1 (of the numbers in [1/2, 1)): the unit of the float32 cells' tolerances
EPS32 = 2.0 ** -24

RECURRENT_CASES = dict(rows=st.integers(1, 9), units=st.integers(1, 40), spread=st.sampled_from([0.1, 1.0, 30.0]),
                       special=st.sampled_from([None, np.nan, np.inf, -np.inf, 2.5]), seed=st.integers(0, 2**16))


def _lstm_case(rng, dtype, rows, units, spread, special):
    given_arrays = _lstm_arrays(rng, dtype, rows, units, spread)
    if special is not None:  # (2.5 - 0: a hard sigmoid's corner, where its slope jumps)
        given_arrays["g"].flat[rng.integers(0, given_arrays["g"].size)] = special
        given_arrays["z"].flat[rng.integers(0, given_arrays["z"].size)] = 0 if special == 2.5 else special
    return given_arrays


def _run_lstm_step(cell, given_arrays, gate):
    """``(gates, c, tanh(c), h)`` of one step of ``cell`` on copies of the arrays."""
    a = {name: value.copy() for name, value in given_arrays.items()}
    rows, units = a["c_prev"].shape
    c, c_act, h, scratch = (np.empty((rows, units), a["g"].dtype) for _ in range(4))
    assert cell(a["g"], a["z"], a["c_prev"], c, c_act, h, gate, scratch) is h
    return a["g"], c, c_act, h


def _run_lstm_step_grad(cell_grad, given_arrays, gate, step):
    """``(d(pre), dc, dc_prev)`` of ``cell_grad`` back through ``step`` (what :func:`_run_lstm_step` returned)."""
    a = {name: value.copy() for name, value in given_arrays.items()}
    gates, _, c_act, _ = step
    gates = gates.copy()
    rows, units = c_act.shape
    dc_prev = np.empty((rows, units), gates.dtype)
    assert cell_grad(gates, a["c_prev"], c_act, a["dh"], a["dc"], dc_prev, gate,
                     np.empty((rows, 3, units), gates.dtype)) is dc_prev
    return gates, a["dc"], dc_prev


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@given(**RECURRENT_CASES)
@settings(max_examples=25, deadline=None)
def test_the_float64_lstm_step_is_the_references_numbers(numba_plugin, gate, rows, units, spread, special, seed):
    given_arrays = _lstm_case(np.random.default_rng(seed), np.float64, rows, units, spread, special)
    want = _run_lstm_step(kernels.lstm_cell.reference, given_arrays, gate)
    got = _run_lstm_step(numba_plugin.lstm_cell, given_arrays, gate)
    for name, mine, reference in zip(["gates", "c", "tanh(c)", "h"], got, want):
        np.testing.assert_array_equal(mine, reference, err_msg=name)  # bit for bit (NaN where the reference has NaN)


def _assert_within(mine, formula, atol, name, nans):
    """NaN exactly where ``nans`` (the float32 reference's NaNs), elsewhere ``|mine - formula| <= atol``
    (``atol`` an array or a number). Not the formula's NaNs: a float32 sigmoid far enough below 0
    is 0, so ``0 * inf`` is NaN where float64's tiny gate times ``inf`` is not."""
    np.testing.assert_array_equal(np.isnan(mine), nans, err_msg=f"{name}: NaNs")
    with np.errstate(invalid="ignore"):
        excess = np.abs(mine - formula) - atol
    excess[nans] = 0
    assert not np.isnan(excess).any() and excess.max() <= 0, \
        f"{name}: off by {np.nanmax(excess)} more than allowed, at {np.unravel_index(np.nanargmax(excess), excess.shape)}"


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@given(**RECURRENT_CASES)
@settings(max_examples=25, deadline=None)
def test_the_float32_lstm_step_is_the_lstm_formula_within_a_few_ulps(numba_plugin, gate, rows, units, spread,
                                                                      special, seed):
    # The float32 cell computes tanh its own way (_loops._tanh32): checked against the LSTM's formula in
    # float64 on the same float32 numbers, with tolerances that follow the errors through the step: a
    # gate within 8 ulps (its tanh's error and the rounding of its argument), the state within those
    # of the gates times what they multiply, tanh(c) within the state's times tanh's slope there.
    given_arrays = _lstm_case(np.random.default_rng(seed), np.float32, rows, units, spread, special)
    gates, c, c_act, h = _run_lstm_step(numba_plugin.lstm_cell, given_arrays, gate)
    nans = [np.isnan(value) for value in _run_lstm_step(kernels.lstm_cell.reference, given_arrays, gate)]
    pre = given_arrays["g"].astype(np.float64) + given_arrays["z"]
    c_prev = given_arrays["c_prev"].astype(np.float64)
    gate64 = GATE_FORMULAS[gate]
    i, f, cell_input, o = gate64(pre[:, :units]), gate64(pre[:, units:2 * units]), \
        np.tanh(pre[:, 2 * units:3 * units]), gate64(pre[:, 3 * units:])
    want_c = f * c_prev + i * cell_input
    tol_gate = 8 * EPS32
    tol_c = tol_gate * (np.abs(c_prev) + 2) + 2 * EPS32 * (np.abs(f * c_prev) + np.abs(i * cell_input))
    with np.errstate(invalid="ignore"):
        tol_tanh = 2 * (1 - np.tanh(want_c) ** 2) * np.nan_to_num(tol_c) + tol_gate
    for name, mine, formula, atol, nan in zip(
            ["gates", "c", "tanh(c)", "h"], [gates, c, c_act, h],
            [np.concatenate([i, f, cell_input, o], axis=1), want_c, np.tanh(want_c), o * np.tanh(want_c)],
            [tol_gate, tol_c, tol_tanh, tol_gate + tol_tanh], nans):
        _assert_within(mine, formula, atol, name, nan)
    with np.errstate(invalid="ignore"):
        assert not (np.abs(gates) > 1).any()  # NaN aside, no gate beyond its range
    # the kernel ran the one pass (the loops around NumPy's tanh give other numbers)
    direct = {name: value.copy() for name, value in given_arrays.items()}
    outputs = [np.empty_like(c) for _ in range(3)]
    numba_plugin._imported["loops"].lstm_cell_float32(direct["g"], direct["z"], direct["c_prev"], *outputs,
                                                      gate == "hard_sigmoid", numba_plugin._gate_constants(c.dtype))
    for mine, straight in zip([gates, c, c_act, h], [direct["g"]] + outputs):
        np.testing.assert_array_equal(mine, straight)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@given(**RECURRENT_CASES)
@settings(max_examples=25, deadline=None)
def test_the_lstm_steps_gradient_is_the_references_numbers(numba_plugin, dtype, gate, rows, units, spread,
                                                           special, seed):
    given_arrays = _lstm_case(np.random.default_rng(seed), dtype, rows, units, spread, special)
    step = _run_lstm_step(kernels.lstm_cell.reference, given_arrays, gate)  # both from the same forward
    want = _run_lstm_step_grad(kernels.lstm_cell_grad.reference, given_arrays, gate, step)
    got = _run_lstm_step_grad(numba_plugin.lstm_cell_grad, given_arrays, gate, step)
    for name, mine, reference in zip(["d(pre)", "dc", "dc_prev"], got, want):
        np.testing.assert_array_equal(mine, reference, err_msg=name)  # bit for bit (NaN where the reference has NaN)


def _ulps(y, x):
    """``|y - tanh(x)|`` in units of float32's spacing at the exact value (fit_tanh.py's measure)."""
    exact = np.tanh(x.astype(np.float64))
    spacing = np.ldexp(1.0, np.maximum(np.frexp(exact)[1], -125) - 24)
    return np.abs(y - exact) / spacing


@pytest.mark.parametrize("values", ["every_41st_float32", "special"])
def test_the_float32_tanh_is_within_a_few_ulps_of_tanh(numba_plugin, values):
    loops = numba_plugin._imported["loops"] if numba_plugin._loops_import() else pytest.fail("Numba did not import")
    if values == "special":
        x = np.array([0.0, -0.0, 1e-45, -1e-40, 1e-20, np.nan, np.inf, -np.inf, 8.1999998, 8.2, 8.2000008,
                      8.734341, -9.03, 88.0, 1e30, -3.4e38], np.float32)
    else:  # every 41st bit pattern from the smallest positive float32 to past tanh's saturation
        x = np.arange(1, np.float32(10).view(np.int32), 41, dtype=np.int32).view(np.float32)
    y = np.empty_like(x)
    loops.tanh_float32(x, y)
    minus = np.empty_like(x)
    loops.tanh_float32(-x, minus)
    np.testing.assert_array_equal(minus, -y)  # odd, to the bit (and -0 for -0)
    with np.errstate(invalid="ignore"):
        assert np.nanmax(_ulps(y, x)) <= loops.TANH32_MAX_ULP
        assert not (np.abs(y) > 1).any()  # (past 8.22 the rational function itself would overshoot 1)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))
    saturated = np.abs(x) >= loops._TANH_SATURATES
    np.testing.assert_array_equal(y[saturated], np.sign(x[saturated]))
    tiny = np.abs(x) < 1e-19
    np.testing.assert_array_equal(y[tiny], x[tiny])
    np.testing.assert_array_equal(np.signbit(y[tiny]), np.signbit(x[tiny]))


@pytest.mark.slow
def test_the_float32_tanh_is_within_a_few_ulps_of_tanh_on_every_float32(numba_plugin):
    import importlib.util

    # fit_tanh.py's check (about 20 s): every float32 up to the saturation point, against libm's float64 tanh
    spec = importlib.util.spec_from_file_location("fit_tanh", os.path.join(PLUGIN_DIR, "fit_tanh.py"))
    fit_tanh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit_tanh)
    largest, where = fit_tanh.worst_error_in_ulps()
    assert largest <= numba_plugin._imported["loops"].TANH32_MAX_ULP, f"{largest} ulp at {where}"


def _gru_case(seed, dtype, rows, units, spread, special):
    rng = np.random.default_rng(seed)
    x, inner = ((rng.standard_normal((rows, 3 * units)) * spread).astype(dtype) for _ in range(2))
    h_prev = (rng.standard_normal((rows, units)) * spread).astype(dtype)
    if special is not None:  # (2.5 + 0: a hard sigmoid's corner)
        x.flat[rng.integers(0, x.size)] = special
        inner.flat[rng.integers(0, inner.size)] = 0 if special == 2.5 else special
    return x, inner, h_prev


def _run_gru_step(cell, x, inner, h_prev, gate):
    rows, units = h_prev.shape
    g, scratch = np.empty((rows, 3 * units), x.dtype), np.empty((rows, 3 * units), x.dtype)
    inner_h, h = np.empty((rows, units), x.dtype), np.empty((rows, units), x.dtype)
    assert cell(x, inner, h_prev, g, inner_h, h, gate, scratch) is h
    return g, inner_h, h


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@given(**RECURRENT_CASES)
@settings(max_examples=25, deadline=None)
def test_the_float64_gru_step_is_the_references_numbers(numba_plugin, gate, rows, units, spread, special, seed):
    x, inner, h_prev = _gru_case(seed, np.float64, rows, units, spread, special)
    want = _run_gru_step(kernels.gru_cell.reference, x, inner, h_prev, gate)
    got = _run_gru_step(numba_plugin.gru_cell, x, inner, h_prev, gate)
    for name, mine, reference in zip(["gates", "inner_h", "h"], got, want):
        np.testing.assert_array_equal(mine, reference, err_msg=name)


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@given(**RECURRENT_CASES)
@example(rows=4, units=17, spread=30.0, special=np.inf, seed=44)  # a reset gate of 0 times an infinite term
@settings(max_examples=25, deadline=None)
def test_the_float32_gru_step_is_the_gru_formula_within_a_few_ulps(numba_plugin, gate, rows, units, spread, special,
                                                                    seed):
    # As the float32 LSTM step's test: the formula (reset gate after the product) in float64.
    x, inner, h_prev = _gru_case(seed, np.float32, rows, units, spread, special)
    g, inner_h, h = _run_gru_step(numba_plugin.gru_cell, x, inner, h_prev, gate)
    nan_g, _, nan_h = (np.isnan(value) for value in _run_gru_step(kernels.gru_cell.reference, x, inner, h_prev, gate))
    pre, previous = x.astype(np.float64) + inner, h_prev.astype(np.float64)
    gate64 = GATE_FORMULAS[gate]
    update, reset = gate64(pre[:, :units]), gate64(pre[:, units:2 * units])
    recurrent, x_h = inner[:, 2 * units:].astype(np.float64), x[:, 2 * units:].astype(np.float64)
    # The plugin's sigmoid is 0 from -16.4 down (its tanh is -1 from -8.2), NumPy's float32 one from
    # about -18.02: in between, the reset gate times an infinite recurrent term is NaN here, +-inf there.
    zero_times_infinity = (g[:, units:2 * units] == 0) & np.isinf(recurrent)
    nan_g[:, 2 * units:] |= zero_times_infinity
    nan_h |= zero_times_infinity
    argument = x_h + reset * recurrent
    candidate = np.tanh(argument)
    tol_gate = 8 * EPS32
    with np.errstate(invalid="ignore"):
        tol_argument = tol_gate * np.abs(recurrent) + 2 * EPS32 * (np.abs(x_h) + np.abs(reset * recurrent))
        tol_candidate = 2 * (1 - candidate ** 2) * np.nan_to_num(tol_argument) + tol_gate
        tol_h = tol_gate * np.abs(previous - candidate) + tol_candidate + 4 * EPS32 * (np.abs(previous) + 1)
    np.testing.assert_array_equal(inner_h, inner[:, 2 * units:])
    _assert_within(g[:, :2 * units], np.concatenate([update, reset], axis=1), tol_gate, "gates", nan_g[:, :2 * units])
    _assert_within(g[:, 2 * units:], candidate, tol_candidate, "candidate", nan_g[:, 2 * units:])
    _assert_within(h, update * previous + (1 - update) * candidate, tol_h, "h", nan_h)
    with np.errstate(invalid="ignore"):
        assert not (np.abs(g) > 1).any()
    # the kernel ran the one pass (the loops around NumPy's tanh give other numbers)
    direct = [np.empty_like(g), np.empty_like(inner_h), np.empty_like(h)]
    numba_plugin._imported["loops"].gru_cell_float32(x, inner, h_prev, *direct, gate == "hard_sigmoid",
                                                     numba_plugin._gate_constants(g.dtype))
    for mine, straight in zip([g, inner_h, h], direct):
        np.testing.assert_array_equal(mine, straight)


def test_the_gru_kernel_declines_what_it_cannot_take(numba_plugin):
    x, state = np.ones((4, 9), np.float32), np.ones((4, 3), np.float32)
    g, inner_h, h = np.empty_like(x), np.empty_like(state), np.empty_like(state)
    cell = numba_plugin.gru_cell
    assert cell(x, x, state, g, inner_h, h, "relu", x) is None  # another gate
    assert cell(x, x[:, :6], state, g, inner_h, h, "sigmoid", x) is None
    assert cell(x, x, state[:2], g, inner_h, h, "sigmoid", x) is None
    assert cell(x, x.astype(np.float64), state, g, inner_h, h, "sigmoid", x) is None
    assert cell(x, x, np.asfortranarray(state), g, inner_h, h, "sigmoid", x) is None
    assert cell(x.astype(np.int64), x, state, g, inner_h, h, "sigmoid", x) is None
    assert cell(x, x, state, g[:, :6].copy(), inner_h, h, "sigmoid", x) is None  # outputs of the wrong shape
    assert cell(x, x, state, g, inner_h[:, :2].copy(), h, "sigmoid", x) is None
    assert cell(x, x, state, g, inner_h, h[:3].copy(), "sigmoid", x) is None
    np.testing.assert_array_equal(x, 1)  # a declined call changes nothing
    np.testing.assert_array_equal(state, 1)


# The time loops' cases: from two rows and two units (one of either is left to the reference's loop: see
# numkeras_numba.lstm_sequence).
SEQUENCE_CASES = dict(steps=st.integers(1, 7), rows=st.integers(2, 9), units=st.integers(2, 24), masked=st.booleans(),
                      biased=st.booleans(), seed=st.integers(0, 2**16))


def _assert_same_bits(names, mine, theirs):
    """Each pair of arrays the same numbers bit for bit, the signs of zeros included."""
    for name, a, b in zip(names, mine, theirs):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"), err_msg=name)


def _lstm_sequence_arrays(seed, steps, rows, units, masked, biased, dtype=np.float32):
    """The arguments of kernel lstm_sequence (no recurrent dropout, lstm_cell's steps) but its gate."""
    rng = np.random.default_rng(seed)

    def array(*shape, spread=1.0):
        return (rng.standard_normal(shape) * spread).astype(dtype)

    return dict(gates=array(steps, rows, 4 * units), bias=array(4 * units) if biased else None,
                h0=array(rows, units), c0=array(rows, units), kernel=array(units, 4 * units, spread=units ** -0.5),
                keep=rng.random((steps, rows)) < 0.7 if masked else None)


def _run_lstm_sequence(sequence, arrays, gate):
    """``(gates, cs, c_act, hs)`` after ``sequence`` (kernel lstm_sequence's signature) ran on copies of ``arrays``,
    or ``None`` where it declined (after checking that it changed nothing)."""
    a = {name: None if value is None else value.copy(order="K") for name, value in arrays.items()}
    steps, rows, width = a["gates"].shape
    cs, c_act, hs = (np.full((steps, rows, width // 4), np.nan, a["gates"].dtype) for _ in range(3))
    result = sequence(a["gates"], a["bias"], a["h0"], a["c0"], a["kernel"], a["keep"], None, kernels.lstm_cell, gate,
                      cs, c_act, hs)
    if result is None:
        np.testing.assert_array_equal(a["gates"], arrays["gates"])
        assert np.isnan(hs).all()
        return None
    assert result is hs
    return a["gates"], cs, c_act, hs


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@settings(max_examples=30, deadline=None)
@given(**SEQUENCE_CASES)
def test_the_float32_lstm_sequence_is_the_python_loops_numbers_bit_for_bit(numba_plugin, gate, steps, rows, units,
                                                                           masked, biased, seed):
    """The compiled time loop runs lstm_cell's float32 steps and the product the reference's loop multiplies
    with (NumPy's OpenBLAS for these small products, called at the same address): the same numbers."""
    arrays = _lstm_sequence_arrays(seed, steps, rows, units, masked, biased)
    with elementwise_kernels({"lstm_cell": numba_plugin.lstm_cell}):  # its steps, and the reference's loop's
        compiled = _run_lstm_sequence(numba_plugin.lstm_sequence, arrays, gate)
        reference = _run_lstm_sequence(kernels.lstm_sequence.reference, arrays, gate)
    assert compiled is not None, "declined"
    _assert_same_bits(("gates", "cs", "c_act", "hs"), compiled, reference)


@pytest.fixture
def onemkl_products():
    """numkeras-mkl's GEMM kernel for every product in the test (skipped where oneMKL is not installed)."""
    spec = importlib.util.spec_from_file_location(
        "numkeras_mkl_beside_numba", os.path.join(CONTRIB, "numkeras-mkl", "numkeras_mkl", "__init__.py"))
    mkl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mkl)
    if not mkl.available() or mkl.kernel() is None:
        pytest.skip("oneMKL is not installed or not on here (the test extra installs it on x86-64)")
    previous = blas.set_gemm(mkl.kernel())
    yield mkl.kernel()
    blas.set_gemm(previous)


def _packs(monkeypatch, gemm):
    """The shapes of the matrices ``gemm``'s packed routine packs from now on (it still packs them)."""
    packed = []
    routine = gemm.packed_cblas_gemm

    def recorded(dtype):
        address, index_bytes, pack = routine(dtype)
        return address, index_bytes, lambda b, rows: packed.append((b.shape, rows)) or pack(b, rows)

    monkeypatch.setattr(gemm, "packed_cblas_gemm", recorded)
    return packed


def _assert_packed_and_unpacked(monkeypatch, numba_plugin, gemm, run, names, kernel_shape, formula_hs):
    """``run(loop)``: a time loop's arrays after the ``"compiled"`` or the ``"reference"`` loop ran on
    the same short sequence. Below ``PACK_FROM_STEPS`` steps, and where the packing declines, the
    compiled loop calls oneMKL's ``?gemm``, the routine the Python loop's products call: its numbers
    bit for bit. From there on it packs the kernel once, and gets them to rounding (a packed product's
    sums are oneMKL's to round), and its states are ``formula_hs``, Keras's formula in float64, to
    float32's rounding carried through the steps."""
    packed = _packs(monkeypatch, gemm)
    reference = run("reference")
    _assert_same_bits(names, run("compiled"), reference)
    assert packed == []  # a short sequence
    monkeypatch.setattr(numba_plugin, "PACK_FROM_STEPS", 1)
    with_packing = run("compiled")
    assert packed == [(kernel_shape, 32)]
    for name, a, b in zip(names, with_packing, reference):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(with_packing[-1], formula_hs, rtol=0, atol=5e-5)
    routine = gemm.packed_cblas_gemm
    monkeypatch.setattr(gemm, "packed_cblas_gemm", lambda dtype: routine(dtype)[:2] + (lambda b, rows: None,))
    _assert_same_bits(names, run("compiled"), reference)  # a packing that declines
    monkeypatch.setattr(gemm, "packed_cblas_gemm", lambda dtype: None)
    _assert_same_bits(names, run("compiled"), reference)


@pytest.mark.parametrize("masked, biased, gate", [(False, True, "sigmoid"), (True, False, "hard_sigmoid")])
def test_the_lstm_sequence_calls_the_gemm_plugins_routine_for_its_products(numba_plugin, onemkl_products, monkeypatch,
                                                                           masked, biased, gate):
    """LSTM(128) at batch 32, whose products oneMKL takes: the compiled loop calls its routines (both loops
    on one thread, whatever the load)."""
    monkeypatch.setenv(blas.STEP_THREADS_VARIABLE, "1")
    gemm = onemkl_products
    arrays = _lstm_sequence_arrays(7, 6, 32, 128, masked, biased)
    assert blas.step_gemm(32 * 128 * 512, np.float32) == gemm.cblas_gemm(np.float32)
    assert blas.step_packed_gemm(32 * 128 * 512, np.float32)[0] == gemm.packed_cblas_gemm(np.float32)[0]
    loops = {"compiled": numba_plugin.lstm_sequence, "reference": kernels.lstm_sequence.reference}

    def run(loop):
        with elementwise_kernels({"lstm_cell": numba_plugin.lstm_cell}):
            result = _run_lstm_sequence(loops[loop], arrays, gate)
        assert result is not None, "declined"
        return result

    _assert_packed_and_unpacked(monkeypatch, numba_plugin, gemm, run, ("gates", "cs", "c_act", "hs"), (128, 512),
                                _lstm_formula(arrays, gate)[0])


def test_the_lstm_sequence_declines_what_it_cannot_take(numba_plugin, monkeypatch):
    arrays = _lstm_sequence_arrays(1, 3, 4, 5, masked=True, biased=True)
    sequence = numba_plugin.lstm_sequence
    monkeypatch.setattr(kernels, "_compiled", [{"lstm_cell": numba_plugin.lstm_cell}])  # its own steps
    assert _run_lstm_sequence(sequence, arrays, "sigmoid") is not None  # what the cases below change
    assert _run_lstm_sequence(sequence, arrays, "relu") is None  # another gate
    one_row = dict(arrays, gates=arrays["gates"][:, :1], h0=arrays["h0"][:1], c0=arrays["c0"][:1],
                   keep=arrays["keep"][:, :1])
    assert _run_lstm_sequence(sequence, one_row, "sigmoid") is None  # a gemv in NumPy (see the kernel)
    assert _run_lstm_sequence(sequence, _lstm_sequence_arrays(1, 3, 4, 1, True, True), "sigmoid") is None  # one unit
    with elementwise_kernels({"lstm_cell": lambda *args: None}):  # another lstm_cell than this plugin's
        assert _run_lstm_sequence(sequence, arrays, "sigmoid") is None
    assert _run_lstm_sequence(sequence, _lstm_sequence_arrays(1, 3, 4, 5, True, True, np.float64), "sigmoid") is None
    for name, wrong in [("bias", arrays["bias"][:-1]), ("bias", arrays["bias"].astype(np.float64)),
                        ("keep", arrays["keep"][:, :2]), ("keep", arrays["keep"].astype(np.float32)),
                        ("keep", np.asfortranarray(arrays["keep"])), ("h0", arrays["h0"][:, :3]),
                        ("c0", np.asfortranarray(arrays["c0"])), ("kernel", arrays["kernel"][:, :16])]:
        assert _run_lstm_sequence(sequence, {**arrays, name: wrong}, "sigmoid") is None, name

    def other_cell(*args):
        return kernels.lstm_cell(*args)

    steps, rows, width = arrays["gates"].shape
    outputs = [np.empty((steps, rows, width // 4), np.float32) for _ in range(3)]
    common = (arrays["gates"].copy(), arrays["bias"], arrays["h0"], arrays["c0"], arrays["kernel"], arrays["keep"])
    assert sequence(*common, np.ones_like(arrays["h0"]), kernels.lstm_cell, "sigmoid", *outputs) is None  # dropout
    assert sequence(*common, None, other_cell, "sigmoid", *outputs) is None  # other activations' steps
    monkeypatch.setattr(blas, "step_gemm", lambda largest, dtype: None)  # no routine known for the product
    assert _run_lstm_sequence(sequence, arrays, "sigmoid") is None


def _lstm_formula(arrays, gate):
    """``(hs, cs)`` of Keras's LSTM written out in float64 (gates ``i, f, c, o``), masked steps keeping the
    previous states: the expected values of the whole loop, from outside numkeras."""
    gate64, f64 = GATE_FORMULAS[gate], (lambda a: a.astype(np.float64))
    x = f64(arrays["gates"]) + (0 if arrays["bias"] is None else f64(arrays["bias"]))
    h, c, kernel = f64(arrays["h0"]), f64(arrays["c0"]), f64(arrays["kernel"])
    hs, cs = [], []
    for k, x_k in enumerate(x):
        pre = x_k + h @ kernel
        i, f, cell, o = np.split(pre, 4, axis=1)
        c_new = gate64(f) * c + gate64(i) * np.tanh(cell)
        h_new = gate64(o) * np.tanh(c_new)
        keep = True if arrays["keep"] is None else arrays["keep"][k][:, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def _gru_formula(arrays, gate):
    """``hs`` of a ``reset_after`` GRU (CuDNN's, tf.keras 2's) written out in float64, as :func:`_lstm_formula`."""
    gate64, f64 = GATE_FORMULAS[gate], (lambda a: a.astype(np.float64))
    h, kernel = f64(arrays["h0"]), f64(arrays["kernel"])
    bias = 0 if arrays["recurrent_bias"] is None else f64(arrays["recurrent_bias"])
    hs = []
    for k, x_k in enumerate(f64(arrays["x_steps"])):
        inner = h @ kernel + bias
        (x_z, x_r, x_h), (u_z, u_r, u_h) = np.split(x_k, 3, axis=1), np.split(inner, 3, axis=1)
        z, r = gate64(x_z + u_z), gate64(x_r + u_r)
        h_new = z * h + (1 - z) * np.tanh(x_h + r * u_h)
        h = np.where(True if arrays["keep"] is None else arrays["keep"][k][:, None], h_new, h)
        hs.append(h)
    return np.array(hs)


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@pytest.mark.parametrize("masked, biased", [(False, False), (True, True)])
def test_the_compiled_time_loops_are_the_lstm_and_gru_formulas(numba_plugin, gate, masked, biased):
    """Seven steps of LSTM(24) and GRU(24) at batch 6 against Keras's formulas in float64: within float32's
    rounding carried through the steps (a bias added twice or not at all, a step out of order, or a mask
    applied to the wrong rows is off by 1e-2 or more)."""
    lstm = _lstm_sequence_arrays(21, 7, 6, 24, masked, biased)
    gru = _gru_sequence_arrays(22, 7, 6, 24, masked, biased)
    with elementwise_kernels({"lstm_cell": numba_plugin.lstm_cell, "gru_cell": numba_plugin.gru_cell}):
        _, cs, _, hs = _run_lstm_sequence(numba_plugin.lstm_sequence, lstm, gate)
        _, _, gru_hs = _run_gru_sequence(numba_plugin.gru_sequence, gru, gate)
    want_hs, want_cs = _lstm_formula(lstm, gate)
    np.testing.assert_allclose(hs, want_hs, rtol=0, atol=2e-5)
    np.testing.assert_allclose(cs, want_cs, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(gru_hs, _gru_formula(gru, gate), rtol=0, atol=2e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_float64_lstm_gradients_through_the_compiled_backward_loop_are_the_numerical_ones(compiled, rng,
                                                                                          go_backwards):
    """Central differences (numkeras.testing.gradcheck) against the compiled backward loop, with a mask
    that drops steps of one sample (the loop must have run: it is counted)."""
    from numkeras.layers import LSTM

    calls = []
    plugin_grad = compiled.lstm_sequence_grad

    def counted(*args):
        result = plugin_grad(*args)
        calls.append(result is not None)
        return result

    kernels.set_kernels(dict(compiled.kernels(), lstm_sequence_grad=counted))
    mask = np.ones((3, 5), dtype=bool)
    mask[1, 3:] = False
    with float64():
        check_layer_gradients(LSTM(4, recurrent_activation="sigmoid", return_sequences=True,
                                   go_backwards=go_backwards), rng.standard_normal((3, 5, 2)), mask=mask)
    assert calls and all(calls), calls


def _run_lstm_sequence_grad(sequence_grad, arrays, gate, with_sequences):
    """``(gradient of the pre-activations, dh0, dc0)`` from ``sequence_grad`` (kernel lstm_sequence_grad's
    signature) back through what the reference's forward loop computed from ``arrays``; ``None`` where it
    declined. ``with_sequences``: a gradient for every step's states (a third of the steps without one),
    else for the last step's only."""
    rng = np.random.default_rng(arrays["gates"].size)
    gates, cs, c_act, _ = _run_lstm_sequence(kernels.lstm_sequence.reference, arrays, gate)
    steps, rows, units = cs.shape
    dtype = cs.dtype
    grad = None
    dh, dc = (rng.standard_normal((rows, units)).astype(dtype) for _ in range(2))
    if with_sequences:
        grad = rng.standard_normal((rows, steps, 2 * units)).astype(dtype)
        grad[:, ::3, :units] = 0  # steps without a gradient of h, others without one of c
        grad[:, 1::3, units:] = 0
        dh, dc = np.zeros_like(dh), np.zeros_like(dc)
    c0 = arrays["c0"]
    kernel_t = np.ascontiguousarray(arrays["kernel"].T)
    result = sequence_grad(gates, c0, cs, c_act, kernel_t, grad, arrays["keep"], None, kernels.lstm_cell_grad, gate,
                           dh, dc)
    return None if result is None else (gates,) + tuple(result)


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20, deadline=None)
@given(**SEQUENCE_CASES)
def test_the_lstm_sequence_gradient_is_the_python_loops_numbers_bit_for_bit(numba_plugin, gate, dtype, steps, rows,
                                                                            units, masked, biased, seed):
    """In either dtype: the gradient steps are lstm_cell_grad's, the reference's numbers (``biased`` here:
    a gradient for every step's states, else the last step's only)."""
    arrays = _lstm_sequence_arrays(seed, steps, rows, units, masked, biased=False, dtype=dtype)
    with elementwise_kernels({"lstm_cell_grad": numba_plugin.lstm_cell_grad}):
        compiled = _run_lstm_sequence_grad(numba_plugin.lstm_sequence_grad, arrays, gate, biased)
        reference = _run_lstm_sequence_grad(kernels.lstm_sequence_grad.reference, arrays, gate, biased)
    assert compiled is not None, "declined"
    _assert_same_bits(("d_gates", "dh0", "dc0"), compiled, reference)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_lstm_sequence_gradient_calls_the_gemm_plugins_routine(numba_plugin, onemkl_products, monkeypatch, dtype):
    monkeypatch.setenv(blas.STEP_THREADS_VARIABLE, "1")
    assert blas.step_gemm(32 * 128 * 512, dtype) == onemkl_products.cblas_gemm(dtype)
    arrays = _lstm_sequence_arrays(4, 5, 32, 128, masked=True, biased=False, dtype=dtype)
    with elementwise_kernels({"lstm_cell_grad": numba_plugin.lstm_cell_grad}):
        compiled = _run_lstm_sequence_grad(numba_plugin.lstm_sequence_grad, arrays, "sigmoid", True)
        reference = _run_lstm_sequence_grad(kernels.lstm_sequence_grad.reference, arrays, "sigmoid", True)
    assert compiled is not None, "declined"
    _assert_same_bits(("d_gates", "dh0", "dc0"), compiled, reference)


def test_the_lstm_sequence_gradient_declines_what_it_cannot_take(numba_plugin, monkeypatch):
    arrays = _lstm_sequence_arrays(3, 3, 4, 5, masked=True, biased=False)
    gates, cs, c_act, _ = _run_lstm_sequence(kernels.lstm_sequence.reference, arrays, "sigmoid")
    kernel_t = np.ascontiguousarray(arrays["kernel"].T)
    given_arguments = dict(gates=gates, c0=arrays["c0"], cs=cs, c_act=c_act, kernel_t=kernel_t, grad=None,
                           keep=arrays["keep"], recurrent_mask=None, cell_grad=kernels.lstm_cell_grad, gate="sigmoid",
                           dh=np.ones((4, 5), np.float32), dc=np.ones((4, 5), np.float32))
    monkeypatch.setattr(kernels, "_compiled", [{"lstm_cell_grad": numba_plugin.lstm_cell_grad}])

    def declines(**changes):
        arguments = dict(given_arguments, **changes)
        arguments.update({name: arguments[name].copy() for name in ("gates", "dh", "dc")})  # what it writes
        if numba_plugin.lstm_sequence_grad(**arguments) is not None:
            return False
        for name in ("gates", "dh", "dc"):  # nothing written
            np.testing.assert_array_equal(arguments[name], dict(given_arguments, **changes)[name], err_msg=name)
        return True

    assert not declines()  # what the cases below change
    assert declines(gate="relu") and declines(recurrent_mask=np.ones((4, 5), np.float32))
    assert declines(cell_grad=lambda *args: kernels.lstm_cell_grad(*args))
    assert declines(dh=np.ones((4, 5)), dc=np.ones((4, 5)))  # float64 gradients of float32 states
    assert declines(grad=np.ones((4, 3, 20), np.float32)[:, :, ::2])  # not C-contiguous
    assert declines(grad=np.ones((4, 2, 10), np.float32)) and declines(kernel_t=kernel_t[:, :4].copy())
    one_unit = _lstm_sequence_arrays(3, 3, 4, 1, masked=False, biased=False)
    gates_1, cs_1, c_act_1, _ = _run_lstm_sequence(kernels.lstm_sequence.reference, one_unit, "sigmoid")
    assert declines(gates=gates_1, c0=one_unit["c0"], cs=cs_1, c_act=c_act_1, keep=None,
                    kernel_t=np.ascontiguousarray(one_unit["kernel"].T), dh=np.ones((4, 1), np.float32),
                    dc=np.ones((4, 1), np.float32))  # one unit: a one-column product, a gemv in NumPy
    assert declines(gates=gates[:, :1].copy(), c0=arrays["c0"][:1], cs=cs[:, :1].copy(), c_act=c_act[:, :1].copy(),
                    keep=arrays["keep"][:, :1].copy(), dh=np.ones((1, 5), np.float32),
                    dc=np.ones((1, 5), np.float32))  # one row: a gemv in NumPy
    with elementwise_kernels({"lstm_cell_grad": lambda *args: None}):
        assert declines()
    monkeypatch.setattr(blas, "step_gemm", lambda largest, dtype: None)
    assert declines()


def _gru_sequence_arrays(seed, steps, rows, units, masked, biased, dtype=np.float32):
    """The arguments of kernel gru_sequence (no recurrent dropout, gru_cell's steps) but its gate."""
    rng = np.random.default_rng(seed)

    def array(*shape, spread=1.0):
        return (rng.standard_normal(shape) * spread).astype(dtype)

    return dict(x_steps=array(steps, rows, 3 * units), h0=array(rows, units),
                kernel=array(units, 3 * units, spread=units ** -0.5), recurrent_bias=array(3 * units) if biased else None,
                keep=rng.random((steps, rows)) < 0.7 if masked else None)


def _run_gru_sequence(sequence, arrays, gate):
    """``(gates, inner, hs)`` after ``sequence`` (kernel gru_sequence's signature) ran on copies of ``arrays``,
    or ``None`` where it declined (after checking that it wrote nothing)."""
    a = {name: None if value is None else value.copy(order="K") for name, value in arrays.items()}
    (steps, rows), units = a["x_steps"].shape[:2], a["kernel"].shape[0]
    gates = np.full((steps, rows, 3 * units), np.nan, a["x_steps"].dtype)
    inner, hs = (np.full((steps, rows, units), np.nan, a["x_steps"].dtype) for _ in range(2))
    result = sequence(a["x_steps"], a["h0"], a["kernel"], a["recurrent_bias"], a["keep"], None, kernels.gru_cell,
                      gate, gates, inner, hs)
    if result is None:
        assert np.isnan(hs).all() and np.isnan(gates).all()
        return None
    assert result is hs
    return gates, inner, hs


@pytest.mark.parametrize("gate", ["sigmoid", "hard_sigmoid"])
@settings(max_examples=30, deadline=None)
@given(**SEQUENCE_CASES)
def test_the_float32_gru_sequence_is_the_python_loops_numbers_bit_for_bit(numba_plugin, gate, steps, rows, units,
                                                                          masked, biased, seed):
    arrays = _gru_sequence_arrays(seed, steps, rows, units, masked, biased)
    with elementwise_kernels({"gru_cell": numba_plugin.gru_cell}):
        compiled = _run_gru_sequence(numba_plugin.gru_sequence, arrays, gate)
        reference = _run_gru_sequence(kernels.gru_sequence.reference, arrays, gate)
    assert compiled is not None, "declined"
    _assert_same_bits(("gates", "inner", "hs"), compiled, reference)


def test_the_gru_sequence_calls_the_gemm_plugins_routine_for_its_products(numba_plugin, onemkl_products, monkeypatch):
    monkeypatch.setenv(blas.STEP_THREADS_VARIABLE, "1")
    assert blas.step_gemm(32 * 128 * 384, np.float32) == onemkl_products.cblas_gemm(np.float32)
    assert blas.step_packed_gemm(32 * 128 * 384, np.float32)[0] == onemkl_products.packed_cblas_gemm(np.float32)[0]
    arrays = _gru_sequence_arrays(9, 6, 32, 128, masked=True, biased=True)
    loops = {"compiled": numba_plugin.gru_sequence, "reference": kernels.gru_sequence.reference}

    def run(loop):
        with elementwise_kernels({"gru_cell": numba_plugin.gru_cell}):
            result = _run_gru_sequence(loops[loop], arrays, "sigmoid")
        assert result is not None, "declined"
        return result

    _assert_packed_and_unpacked(monkeypatch, numba_plugin, onemkl_products, run, ("gates", "inner", "hs"), (128, 384),
                                _gru_formula(arrays, "sigmoid"))


def test_the_gru_sequence_declines_what_it_cannot_take(numba_plugin, monkeypatch):
    arrays = _gru_sequence_arrays(2, 3, 4, 5, masked=True, biased=True)
    sequence = numba_plugin.gru_sequence
    monkeypatch.setattr(kernels, "_compiled", [{"gru_cell": numba_plugin.gru_cell}])
    assert _run_gru_sequence(sequence, arrays, "sigmoid") is not None  # what the cases below change
    assert _run_gru_sequence(sequence, arrays, "relu") is None
    assert _run_gru_sequence(sequence, _gru_sequence_arrays(2, 3, 4, 1, True, True), "sigmoid") is None  # one unit
    assert _run_gru_sequence(sequence, _gru_sequence_arrays(2, 3, 4, 5, True, True, np.float64), "sigmoid") is None
    for name, wrong in [("h0", arrays["h0"][:1]),  # a row that broadcasts: the reference's loop takes it
                        ("x_steps", arrays["x_steps"][:, :, :-1]), ("recurrent_bias", arrays["recurrent_bias"][:-1]),
                        ("recurrent_bias", arrays["recurrent_bias"].astype(np.float64)),
                        ("keep", arrays["keep"][:, :2]), ("kernel", np.asfortranarray(arrays["kernel"]))]:
        assert _run_gru_sequence(sequence, {**arrays, name: wrong}, "sigmoid") is None, name
    steps, rows, width = arrays["x_steps"].shape
    outputs = (np.empty((steps, rows, width), np.float32),) + tuple(np.empty((steps, rows, width // 3), np.float32)
                                                                    for _ in range(2))
    common = (arrays["x_steps"], arrays["h0"], arrays["kernel"], arrays["recurrent_bias"], arrays["keep"])
    assert sequence(*common, np.ones_like(arrays["h0"]), kernels.gru_cell, "sigmoid", *outputs) is None  # dropout
    with elementwise_kernels({"gru_cell": lambda *args: None}):  # another gru_cell than this plugin's
        assert _run_gru_sequence(sequence, arrays, "sigmoid") is None
    monkeypatch.setattr(blas, "step_gemm", lambda largest, dtype: None)
    assert _run_gru_sequence(sequence, arrays, "sigmoid") is None


def _assert_recurrent_training_gives_numpys_numbers(rng, recurrent, masked, float32=False):
    """Trains Embedding → ``recurrent()`` (a list of layers) → Dense with SGD (no compiled optimizer kernel
    in the way), with the compiled kernels and then NumPy's: the same weights and predictions, bit for bit
    in float64; in float32 (``float32``), whose compiled cells compute tanh their own way, within 1e-5."""
    import numkeras
    from numkeras.layers import Dense, Embedding
    from numkeras.models import Sequential

    x, y = rng.integers(0, 30, (12, 9)), rng.random((12, 1)).astype(np.float32)
    x[:4, 6:] = 0  # padding, masked where the embedding says so

    def train():
        numkeras.utils.set_random_seed(0)
        model = Sequential([Embedding(30, 6, mask_zero=masked)] + recurrent() + [Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        return model.get_weights() + [model.predict(x, verbose=0)]

    with_numba = train()
    with elementwise_kernels(None):
        with_numpy = train()
    for mine, reference in zip(with_numba, with_numpy):
        assert mine.dtype == (np.float32 if float32 else np.float64)
        if float32:
            np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(mine, reference)


def _grus(gate):
    from numkeras.layers import GRU

    return lambda: [GRU(5, recurrent_activation=gate, reset_after=True, return_sequences=True),
                    GRU(4, recurrent_activation=gate, reset_after=True, go_backwards=True)]


def _lstms(layers):
    from numkeras.layers import LSTM

    return {"sequences": lambda: [LSTM(5, recurrent_activation="sigmoid", return_sequences=True),
                                  LSTM(4, recurrent_activation="sigmoid")],
            "backwards": lambda: [LSTM(5, recurrent_activation="sigmoid", go_backwards=True)],
            "keras22_defaults": lambda: [LSTM(5, return_sequences=True), LSTM(4)]}[layers]  # hard-sigmoid gates


@pytest.mark.parametrize("gate, masked", [("sigmoid", True), ("hard_sigmoid", False)])
def test_float64_gru_training_gives_numpys_numbers_bit_for_bit(compiled, floatx64, rng, gate, masked):
    _assert_recurrent_training_gives_numpys_numbers(rng, _grus(gate), masked)


@pytest.mark.parametrize("layers, masked", [("sequences", False), ("backwards", True), ("keras22_defaults", False)])
def test_float64_lstm_training_gives_numpys_numbers_bit_for_bit(compiled, floatx64, rng, layers, masked):
    _assert_recurrent_training_gives_numpys_numbers(rng, _lstms(layers), masked)


@pytest.mark.parametrize("layers, masked", [("gru_sigmoid", True), ("gru_hard_sigmoid", False), ("sequences", False),
                                           ("backwards", True), ("keras22_defaults", True)])
def test_float32_recurrent_training_gives_numpys_numbers_within_their_rounding(compiled, rng, layers, masked):
    recurrent = _grus(layers[4:]) if layers.startswith("gru_") else _lstms(layers)
    _assert_recurrent_training_gives_numpys_numbers(rng, recurrent, masked, float32=True)


def test_what_the_kernels_decline(numba_plugin, every_array):
    plugin = every_array
    y = np.ones((4, 6), np.float32)
    assert plugin.bias_relu(y.T, None) is None  # not C-contiguous
    assert plugin.bias_relu(y.astype(np.int32), None) is None  # not float
    assert plugin.bias_relu(y, np.ones(6, np.float64)) is None  # bias of another dtype
    assert plugin.bias_relu(np.ones((2, 3, 4), np.float32), None) is None  # not 2-D
    assert plugin.relu_grad(y, np.ones((4, 6), np.float32)) is None  # a float mask
    assert plugin.relu_grad_sums(y, np.ones((4, 6), np.float32)) is None  # a float mask
    assert plugin.relu_grad_sums(np.ones((2, 3, 4)), np.ones((2, 3, 4), bool)) is None  # not 2-D
    assert plugin.relu_grad_sums(y.T, y.T > 0) is None  # not C-contiguous
    assert plugin.max_pool(np.ones((1, 4, 4, 4, 1), np.float32), (2, 2, 2), (2, 2, 2)) is None  # 3-D pooling
    cols = np.ones((1, 2, 2, 2, 2, 2, 2, 1), np.float32)
    assert plugin.col2im(cols, np.zeros((1, 3, 3, 3, 1), np.float32), (1, 1, 1), (1, 1, 1)) is None  # 3-D
    image = np.zeros((1, 5, 4, 2), np.float32)
    assert plugin.col2im(np.ones((1, 3, 4, 2, 1, 2), np.float32), image.transpose(0, 2, 1, 3), (1, 1), (1, 1)) is None
    untouched = y.copy()
    plugin.bias_relu(untouched.T, None)
    np.testing.assert_array_equal(untouched, y)  # a declined call changes nothing


def test_a_numba_that_cannot_be_imported_warns_once_and_every_kernel_declines(numba_plugin, monkeypatch):
    monkeypatch.setattr(numba_plugin, "_imported", {})  # as in a process that has not run a loop yet
    monkeypatch.delattr(numba_plugin, "_loops", raising=False)
    monkeypatch.setitem(sys.modules, "numkeras_numba._loops", None)  # importing it now fails
    assert numba_plugin.numkeras_kernels() == numba_plugin.kernels()  # the hook imports nothing
    big = np.ones(numba_plugin.SMALL_ARRAY)
    with pytest.warns(RuntimeWarning, match="Numba could not be imported.*pip install numba"):
        assert numba_plugin.relu_grad(big, big > 0) is None
    rows = big.reshape(-1, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per process
        assert numba_plugin.bias_relu(rows, None) is None
        assert numba_plugin.relu_grad_sums(rows, rows > 0) is None
    np.testing.assert_array_equal(rows, 1.0)  # a declined call changes nothing
    status = numba_plugin.status()
    assert status["active"] is False and "Numba failed to import" in status["detail"]


def _raise(error):
    def failing():
        raise error
    return failing


@pytest.mark.parametrize("error", [ImportError("no numba"), AttributeError("numpy.core has no attribute x")],
                         ids=["ImportError", "AttributeError"])
def test_status_of_a_fresh_process_whose_numba_fails_to_import(numba_plugin, monkeypatch, error):
    """`numkeras plugins` runs no kernel: status() itself must find out, whatever the import raises."""
    monkeypatch.setattr(numba_plugin, "_imported", {})
    monkeypatch.setattr(numba_plugin, "_import_loops", _raise(error))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said in the status, not warned
        status = numba_plugin.status()
    assert status["active"] is False and type(error).__name__ in status["detail"] and str(error) in status["detail"]
    big = np.ones(numba_plugin.SMALL_ARRAY)
    assert numba_plugin.relu_grad(big, big > 0) is None  # and the kernels decline


def test_status_names_each_loop_of_a_kernel_that_runs_two(numba_plugin):
    kernels_state = numba_plugin.status()["kernels"]
    assert set(kernels_state) == set(numba_plugin.kernels())
    assert kernels_state["conv3x3"].startswith("winograd_input: ") and "; winograd_output: " in kernels_state["conv3x3"]
    assert ":" not in kernels_state["relu_grad"].split("(")[0]  # one loop: its state alone


LAZY_IMPORT = """
import sys
import numpy as np
import numkeras
from numkeras.backend import kernels
from numkeras.layers import Dense
from numkeras.models import Sequential

model = Sequential([Dense(16, activation="relu", input_shape=(4,)), Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((64, 4)), np.ones((64, 1)), batch_size=16, verbose=0)
model.predict(np.ones((8, 4)), verbose=0)
# A big 3x3 convolution that Winograd's kernel declines by its shape alone (6x6 maps fill 56% of
# their 4x4 blocks), with no other kernel to run: nothing to import Numba for either.
from numkeras.layers import Conv2D
Sequential([Conv2D(16, 3, padding="same", input_shape=(6, 6, 16))]).predict(np.ones((1024, 6, 6, 16)), verbose=0)
print("AFTER SMALL MODEL", "numba" in sys.modules, kernels.compiled("relu_grad"))
big = np.linspace(-1.0, 1.0, 1 << 20)
grad = kernels.relu_grad(big, big > 0)
print("AFTER BIG ARRAY", "numba" in sys.modules, bool(np.array_equal(grad, big * (big > 0))))
"""


def test_numba_is_imported_by_the_first_loop_that_runs_not_by_the_hook():
    """With the plugin on, a model whose arrays all stay below the cut-off never imports Numba
    (0.35 s and 57 MB that a small model's first fit paid for nothing)."""
    import numkeras_numba

    result = run_python(LAZY_IMPORT, [], {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None}, cwd=os.getcwd())
    assert result.returncode == 0, result.stderr
    assert "AFTER SMALL MODEL False True" in result.stdout, result.stdout  # the plugin is on, Numba not loaded
    assert "AFTER BIG ARRAY True True" in result.stdout, result.stdout
    assert numkeras_numba.SMALL_ARRAY <= 1 << 20


def test_without_numba_the_plugin_is_silently_off_and_says_why(numba_plugin, monkeypatch):
    """numkeras ships the plugin; without the `fast` extra's Numba it must not warn."""
    monkeypatch.setitem(sys.modules, "numba", None)  # as if not installed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert numba_plugin.numkeras_kernels() is None
    status = numba_plugin.status()
    assert status["active"] is False and "numkeras[fast]" in status["detail"]


JIT_DISABLED = """
import warnings
import numpy as np
import numkeras_numba as plugin
from numkeras.backend import kernels

warnings.simplefilter("error")  # said by status(), not warned: the user disabled Numba's compiler
plugin.SMALL_ARRAY = 0
kernels.set_kernels(plugin.kernels())
y = np.linspace(-1.0, 1.0, 60).reshape(6, 10)
out = y.copy()
mask = kernels.bias_relu(out, None)
print("DECLINED", plugin.bias_relu(y.copy(), None) is None,
      "RIGHT", bool(np.array_equal(out, np.maximum(y, 0)) and np.array_equal(mask, y > 0)))
print("STATUS", plugin.status())
"""


def test_with_numbas_compiler_disabled_the_kernels_decline():
    """NUMBA_DISABLE_JIT (set to debug one's own Numba code) runs njit functions as Python: the
    loops would take about a thousand times NumPy's time."""
    result = run_python(JIT_DISABLED, [PLUGIN_DIR], {"NUMBA_DISABLE_JIT": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DECLINED True RIGHT True" in result.stdout, result.stdout
    assert "'active': False" in result.stdout and "NUMBA_DISABLE_JIT is set" in result.stdout


# -- threads and processes: what Numba's threading layers do not survive -------------------------------

TWO_THREADS = """
import threading
import numpy as np
import numba
import numkeras_numba as plugin

plugin.SMALL_ARRAY = 0
errors, start = [], threading.Barrier(2)

def work(seed):
    y = np.random.default_rng(seed).standard_normal((64, 256)).astype(np.float32)
    expected, expected_mask = np.maximum(y, 0), y > 0  # bias + ReLU written out
    start.wait()
    for _ in range(400):
        out = y.copy()
        mask = plugin.bias_relu(out, None)
        if mask is None or not (np.array_equal(out, expected) and np.array_equal(mask, expected_mask)):
            errors.append(seed)
            return

threads = [threading.Thread(target=work, args=(seed,)) for seed in (1, 2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("LAYER", numba.threading_layer(), "ERRORS", errors)
"""


def test_two_threads_may_run_the_loops_at_once_on_the_workqueue_layer():
    """Numba's workqueue layer (its fallback where neither TBB nor OpenMP loads) aborts the process
    when two threads are in its parallel loops at once; the plugin runs one loop at a time."""
    result = run_python(TWO_THREADS, [PLUGIN_DIR], {"NUMBA_THREADING_LAYER": "workqueue"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LAYER workqueue ERRORS []" in result.stdout, result.stdout


FORKED_CHILD = """
import os, signal
import numpy as np
import numba
import numkeras_numba as plugin
from numkeras.backend import kernels

plugin.SMALL_ARRAY = 0
kernels.set_kernels(plugin.kernels())
y = np.linspace(-1.0, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64)
assert plugin.bias_relu(y.copy(), None) is not None  # a loop ran: Numba's threads started
layer, vendor = numba.threading_layer(), None
if layer == "omp":
    from numba.np.ufunc import omppool
    vendor = omppool.openmp_vendor
print("PARENT", layer, vendor, flush=True)
pid = os.fork()
if pid == 0:
    signal.alarm(60)
    declined = plugin.bias_relu(y.copy(), None) is None
    out = y.copy()
    mask = kernels.bias_relu(out, None)  # the plugin's, or NumPy's where it declines
    right = bool(np.array_equal(out, np.maximum(y, 0)) and np.array_equal(mask, y > 0))
    print("CHILD declined", declined, "right", right, "status", plugin.status()["detail"], flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("CHILD EXIT", os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("layer", [None, "workqueue"], ids=["default-layer", "workqueue"])
def test_a_process_forked_after_the_loops_ran_gets_its_kernels_right(layer):
    """GNU OpenMP's threads (Numba's 'omp' layer on Linux) do not survive a fork: a child forked after
    a loop ran was terminated by its first parallel loop. Such a child leaves the kernels to NumPy;
    a child of a fork-safe layer (workqueue, TBB, Intel's OpenMP) keeps the compiled loops."""
    result = run_python(FORKED_CHILD, [PLUGIN_DIR], {"NUMBA_THREADING_LAYER": layer}, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CHILD EXIT 0" in result.stdout, result.stdout + result.stderr[-2000:]
    layer, vendor = result.stdout.split("PARENT ", 1)[1].split("\n")[0].split()
    safe = layer in ("tbb", "workqueue") or (layer, vendor) == ("omp", "Intel")  # Numba's documentation
    assert f"CHILD declined {not safe} right True" in result.stdout, result.stdout
    if not safe:
        assert "forked from one whose Numba threads had started" in result.stdout


@contextlib.contextmanager
def held_by_another_thread(*locks):
    """Within the block another thread holds ``locks`` (as a thread in a loop, an import or a compile would)."""
    held, release = threading.Event(), threading.Event()

    def hold():
        with contextlib.ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join()


CHILD_STARTS_ITS_OWN_THREADS = """
import os, signal
import numpy as np
import numba
import numkeras_numba as plugin

plugin.SMALL_ARRAY = 0
pid = os.fork()  # no loop has run here: Numba's threads have not started
if pid == 0:
    signal.alarm(60)
    numba.get_num_threads()  # the child starts its own threads before its first kernel
    y = np.linspace(-1.0, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64)
    out = y.copy()
    mask = plugin.bias_relu(out, None)
    print("CHILD ran", mask is not None, "right", bool(np.array_equal(out, np.maximum(y, 0))), flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("CHILD EXIT", os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_child_forked_before_numbas_threads_started_keeps_the_compiled_kernels():
    """The decision is the parent's state at the fork, not the child's at its first kernel call."""
    result = run_python(CHILD_STARTS_ITS_OWN_THREADS, [PLUGIN_DIR], timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CHILD ran True right True" in result.stdout and "CHILD EXIT 0" in result.stdout, result.stdout


def test_the_plugin_imports_where_os_has_no_fork_handlers():
    """Windows has no os.register_at_fork; the plugin failed to import there."""
    code = ("import os, random\nimport numpy as np\nimport numkeras.backend\ndel os.register_at_fork, os.fork\n"
            "import numkeras_numba as plugin\n"
            "plugin.SMALL_ARRAY = 0\nprint('RAN', plugin.relu_grad(np.ones(8), np.ones(8, bool)) is not None)")
    result = run_python(code, [PLUGIN_DIR])
    assert result.returncode == 0 and "RAN True" in result.stdout, result.stderr[-2000:]


@pytest.mark.parametrize("layer, serial", [("omp", False), ("tbb", False), ("workqueue", True)])
def test_loops_wait_for_each_other_only_on_the_workqueue_layer(every_array, monkeypatch, layer, serial):
    plugin = every_array
    assert plugin._loops_import()
    monkeypatch.setattr(plugin, "_loop_lock", [threading.RLock()])
    monkeypatch.setattr(plugin, "_threading_layer", lambda: layer)
    g = np.ones(64)
    caller = threading.Thread(target=plugin.relu_grad, args=(g, g > 0))
    with held_by_another_thread(plugin._loop_lock[0]):  # as if another thread were in a loop
        caller.start()
        caller.join(0.5 if serial else 30)
        assert caller.is_alive() is serial
    caller.join(30)
    assert not caller.is_alive()


def test_a_child_forked_while_numba_compiled_or_was_imported_declines(every_array, monkeypatch):
    """A thread that held Numba's compiler lock, or was importing a Numba module, at the fork does not
    exist in the child: the first compile there (or the import) would wait for it forever."""
    import types

    from numba.core.compiler_lock import global_compiler_lock

    plugin = every_array
    monkeypatch.setattr(plugin, "_forked", dict(plugin._forked))
    with held_by_another_thread(global_compiler_lock):
        plugin._after_fork_in_child()
    assert "compiler lock" in plugin._forked["off"]
    assert plugin.relu_grad(np.ones(64), np.ones(64, bool)) is None

    monkeypatch.setattr(plugin, "_forked", {"off": ""})
    half = types.ModuleType("numba._being_imported")
    half.__spec__ = types.SimpleNamespace(_initializing=True)
    monkeypatch.setitem(sys.modules, "numba._being_imported", half)
    plugin._after_fork_in_child()
    assert "importing Numba" in plugin._forked["off"]


@pytest.mark.parametrize("layer, vendor, safe", [("omp", "GNU", False), ("omp", None, False), ("omp", "Intel", True),
                                                 ("tbb", None, True), ("workqueue", None, True)])
def test_which_threading_layers_survive_a_fork(numba_plugin, layer, vendor, safe):
    """After Numba's documentation: TBB and workqueue are fork-safe, OpenMP is except GNU's."""
    assert numba_plugin.fork_safe(layer, vendor) is safe


@pytest.mark.parametrize("layer, vendor, importing",
                         [("omp", "GNU", False), ("omp", "Intel", False), ("workqueue", None, False),
                          (None, None, False), (None, None, True)],
                         ids=["gnu-omp", "intel-omp", "workqueue", "no-threads", "while-importing"])
def test_at_a_fork_the_child_decides_from_the_parents_state_and_gets_free_locks(every_array, monkeypatch, layer,
                                                                               vendor, importing):
    """The child's decision is the parent's state at the fork (off after GNU OpenMP's threads started,
    or while another thread was importing Numba); locks that another thread held then (it does not
    exist in the child) are new in the child, so a kernel call does not wait forever."""
    plugin = every_array
    cache = sys.modules[plugin.__name__ + "._cache"]
    for module, name in ((plugin, "_loop_lock"), (plugin, "_import_lock"), (cache, "_lock")):
        monkeypatch.setattr(module, name, list(getattr(module, name)))
    monkeypatch.setattr(plugin, "_forked", dict(plugin._forked))
    assert plugin._loops_import()
    monkeypatch.setattr(plugin, "_imported", dict(plugin._imported, **({"importing": True} if importing else {})))
    monkeypatch.setattr(plugin, "_threading_layer", lambda: layer)
    monkeypatch.setattr(plugin, "_openmp_vendor", lambda: vendor)
    with held_by_another_thread(plugin._loop_lock[0], plugin._import_lock[0], cache._lock[0]):  # across the "fork"
        plugin._after_fork_in_child()
        y = np.linspace(-1.0, 1.0, 60, dtype=np.float32).reshape(6, 10)
        out, answer = y.copy(), []
        caller = threading.Thread(target=lambda: answer.append(plugin.bias_relu(out, None)))
        caller.start()
        caller.join(30)
        assert not caller.is_alive(), "a kernel call in the child waited for a lock the parent's other thread held"
    off = (layer, vendor) == ("omp", "GNU") or importing
    assert (answer[0] is None) is off
    if not off:
        np.testing.assert_array_equal(out, np.maximum(y, 0))
    status = plugin.status()
    assert status["active"] is not off and ("forked" in status["detail"]) is off
    assert ("importing Numba" in status["detail"]) is importing


BAD_LAYER = """
import warnings
import numpy as np
import numkeras_numba as plugin
from numkeras.backend import kernels

plugin.SMALL_ARRAY = 0
kernels.set_kernels(plugin.kernels())
y = np.linspace(-1.0, 1.0, 60).reshape(6, 10)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out = y.copy()
    mask = kernels.bias_relu(out, None)
print("RIGHT", bool(np.array_equal(out, np.maximum(y, 0)) and np.array_equal(mask, y > 0)),
      "DECLINED", plugin.bias_relu(y.copy(), None) is None)
print("WARNINGS", [str(w.message) for w in caught])
print("STATUS", plugin.status())
import os
print("SPIN", os.environ.get("GOMP_SPINCOUNT"))
"""


def test_a_threading_layer_that_does_not_load_leaves_the_kernels_to_numpy_with_a_warning():
    """NUMBA_THREADING_LAYER=openmp (Numba's name is omp), or tbb where TBB does not load: Numba raises
    from every parallel loop; the plugin warns once and declines."""
    result = run_python(BAD_LAYER, [PLUGIN_DIR], {"NUMBA_THREADING_LAYER": "openmp", "GOMP_SPINCOUNT": None})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "RIGHT True DECLINED True" in result.stdout, result.stdout
    assert "SPIN None" in result.stdout, result.stdout  # threads that failed to start leave no setting behind
    assert result.stdout.count("could not start its threads") == 2, result.stdout  # the warning, the status
    assert "'active': False" in result.stdout and "openmp" in result.stdout


SPIN_COUNT = """
import os
import numpy as np
import numba.np.ufunc.parallel as parallel
import numkeras_numba as plugin
from numkeras.backend import kernels

seen = []
launch = parallel._launch_threads
def spy():
    seen.append(os.environ.get("GOMP_SPINCOUNT"))
    return launch()
parallel._launch_threads = spy
plugin.SMALL_ARRAY = plugin.SMALL_ARRAY_BESIDE_GEMM_PLUGIN = 0
kernels.set_kernels(plugin.kernels())
y = np.linspace(-1.0, 1.0, 60).reshape(6, 10)
mask = kernels.bias_relu(y.copy(), None)
print("COMPILED", plugin._loops_import(), "LAUNCHED WITH", seen[0], "AFTER", os.environ.get("GOMP_SPINCOUNT"))
"""


@pytest.mark.parametrize("users, launched_with", [(None, "0"), ("20000", "20000")])
def test_openmp_threads_sleep_but_the_setting_does_not_outlive_their_start(users, launched_with):
    """GOMP_SPINCOUNT=0 while Numba starts its threads (GNU OpenMP reads it then), unless the user set
    it; afterwards the environment is the user's again, so that processes started later, and libraries
    loaded later (PyTorch's own OpenMP: a one-sample forward took 3.7x as long), do not inherit it."""
    result = run_python(SPIN_COUNT, [PLUGIN_DIR], {"GOMP_SPINCOUNT": users})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"COMPILED True LAUNCHED WITH {launched_with} AFTER {users}" in result.stdout, result.stdout


@pytest.mark.parametrize("gemm_plugin", [False, True])
def test_small_arrays_are_left_to_numpy(numba_plugin, gemm_plugin):
    """The cut-off is lower while a plugin computes the products (NumPy's OpenBLAS threads keep the cores)."""
    assert 0 < numba_plugin.SMALL_ARRAY_BESIDE_GEMM_PLUGIN < numba_plugin.SMALL_ARRAY
    small = numba_plugin.SMALL_ARRAY_BESIDE_GEMM_PLUGIN if gemm_plugin else numba_plugin.SMALL_ARRAY
    previous = blas.set_gemm((lambda a, b, out: None) if gemm_plugin else None)
    try:
        below, at = np.ones(small - 1), np.ones(small)
        assert numba_plugin.relu_grad(below, below > 0) is None
        np.testing.assert_array_equal(numba_plugin.relu_grad(at, at > 0), at)
        middle = np.ones(numba_plugin.SMALL_ARRAY_BESIDE_GEMM_PLUGIN)
        assert (numba_plugin.relu_grad(middle, middle > 0) is None) is not gemm_plugin
    finally:
        blas.set_gemm(previous)


@pytest.mark.parametrize("layer", ["dense", "conv2d", "conv1d", "pool2d", "pool1d", "lstm", "lstm_hard_sigmoid",
                                   "gru"])
def test_layer_gradients_with_compiled_kernels(compiled, rng, layer):
    from numkeras.layers import GRU, LSTM, Conv1D, Conv2D, Dense, MaxPooling1D, MaxPooling2D

    with float64():
        if layer == "dense":
            check_layer_gradients(Dense(4, activation="relu"), rng.standard_normal((3, 5)))
        elif layer == "conv2d":
            check_layer_gradients(Conv2D(3, 3, activation="relu", dilation_rate=(1, 2)), rng.standard_normal((2, 6, 7, 2)))
        elif layer == "conv1d":
            check_layer_gradients(Conv1D(3, 2, strides=2, activation="relu"), rng.standard_normal((2, 7, 2)))
        elif layer == "pool2d":
            check_layer_gradients(MaxPooling2D((2, 3), strides=(1, 2)), rng.standard_normal((2, 5, 7, 2)))
        elif layer == "lstm":
            check_layer_gradients(LSTM(3, recurrent_activation="sigmoid", return_sequences=True),
                                  rng.standard_normal((2, 4, 3)))
        elif layer == "lstm_hard_sigmoid":  # small inputs: no gate near a kink of the hard sigmoid
            check_layer_gradients(LSTM(3, return_sequences=True), rng.standard_normal((2, 4, 3)) * 0.1)
        elif layer == "gru":
            check_layer_gradients(GRU(3, recurrent_activation="sigmoid", reset_after=True, return_sequences=True),
                                  rng.standard_normal((2, 4, 3)))
        else:
            check_layer_gradients(MaxPooling1D(3, padding="same"), rng.standard_normal((2, 7, 2)))


def test_training_gives_numpys_numbers(every_array, rng):
    import numkeras
    from numkeras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from numkeras.models import Sequential

    x, y = rng.random((16, 10, 10, 1), dtype=np.float32), np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]

    def train():
        numkeras.utils.set_random_seed(0)
        model = Sequential([Conv2D(6, 3, activation="relu", input_shape=(10, 10, 1)), Conv2D(8, 3, activation="relu"),
                            MaxPooling2D(2), Dropout(0.25), Flatten(), Dense(16, activation="relu"),
                            Dense(3, activation="softmax")])
        model.compile(optimizer="adadelta", loss="categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
        return history.history["loss"], model.get_weights()

    previous = kernels.set_kernels(every_array.kernels())
    try:
        numba_loss, numba_weights = train()
    finally:
        kernels.set_kernels(previous)
    numpy_loss, numpy_weights = train()
    np.testing.assert_allclose(numba_loss, numpy_loss, rtol=1e-5)
    for mine, reference in zip(numba_weights, numpy_weights):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


CHECK_KERNELS = """
from numkeras.backend import blas, kernels
import numkeras_numba
table = kernels.get_kernels()  # (another installed plugin may add kernels numkeras-numba leaves alone)
print("KERNELS", all(table.get(name) is kernel for name, kernel in numkeras_numba.kernels().items()))
"""


@pytest.mark.slow
def test_installed_plugin_is_used_by_a_fresh_process(tmp_path):
    site = tmp_path / "site"
    install_contrib(site, "numkeras-numba")
    # numba itself comes from the test environment (sys.path of this interpreter)
    paths = [site] + [p for p in sys.path if p and os.path.isdir(p)]
    on = run_python(CHECK_KERNELS, paths, {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None}, cwd=tmp_path)
    assert on.returncode == 0, on.stderr
    assert "KERNELS True" in on.stdout
    off = run_python(CHECK_KERNELS.replace("all(", "not any("), paths,
                     {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": "1"}, cwd=tmp_path)
    assert off.returncode == 0, off.stderr
    assert "KERNELS True" in off.stdout


# -- Winograd's F(4x4, 3x3) for inference convolutions --------------------------------------------

def _correlation(x, kernel):
    """A 3x3 'valid' cross-correlation in float64 (sliding windows), independent of numkeras's ops."""
    windows = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (3, 3), axis=(1, 2))
    return np.einsum("nijcab,abcf->nijf", windows, kernel.astype(np.float64), optimize=True)


@pytest.mark.parametrize("points", [None, (0, 1, -1, 2, -2), (0, 1, -1, 3, -3)], ids=["default", "lavin", "other"])
def test_winograd_matrices_make_a_correlation(numba_plugin, points, rng):
    """The 1-D identity behind the transforms: A^T ((G g) * (B^T d)) is the correlation of d with g."""
    at, g, bt = numba_plugin.winograd_matrices() if points is None else numba_plugin.winograd_matrices(points)
    assert (at.shape, g.shape, bt.shape) == ((4, 6), (6, 3), (6, 6))
    for _ in range(5):
        taps, data = rng.standard_normal(3), rng.standard_normal(6)
        expected = [taps @ data[i:i + 3] for i in range(4)]
        np.testing.assert_allclose(at @ ((g @ taps) * (bt @ data)), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="distinct"):
        numba_plugin.winograd_matrices((0, 1, 1, 2, -2))


def test_the_written_out_tile_transforms_are_the_matrices(every_array, rng):
    """_loops writes B^T and A^T out by hand; they must be winograd_matrices()'s, whose identity is tested above."""
    at, _, bt = every_array.winograd_matrices()
    assert every_array._loops_import()
    loops = every_array._imported["loops"]
    x = rng.standard_normal((1, 6, 6, 1))
    v = np.empty((1, 36, 1))
    loops.winograd_input(x, v, 1, np.array(loops.WINOGRAD_CONSTANTS))
    np.testing.assert_allclose(v.reshape(6, 6), bt @ x[0, :, :, 0] @ bt.T, rtol=1e-12, atol=1e-12)
    m = rng.standard_normal((36, 1, 1))
    y = np.empty((1, 4, 4, 1))
    loops.winograd_output(m, np.zeros(1), False, y, 1, np.array(loops.WINOGRAD_CONSTANTS))
    np.testing.assert_allclose(y[0, :, :, 0], at @ m.reshape(6, 6) @ at.T, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(samples=st.integers(1, 3), height=st.integers(3, 19), width=st.integers(3, 19),
       channels=st.sampled_from([8, 16, 32]), filters=st.sampled_from([1, 3, 17]),
       dtype=st.sampled_from(DTYPES), with_bias=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**16),
       pads=st.sampled_from([((0, 0), (0, 0)), ((1, 1), (1, 1)), ((2, 0), (0, 1))]),
       chunk=st.integers(1, 3))
def test_winograd_convolution_is_a_3x3_correlation_within_rounding(numba_plugin, samples, height, width, channels,
                                                                   filters, dtype, with_bias, relu, seed, pads, chunk):
    """Against a float64 correlation: every output within 32 ulps of the sum of its terms' magnitudes
    (measured: at most 7). Output sizes that are not multiples of 4 leave partial tiles; the batch
    goes through in chunks of ``chunk`` samples, the last one maybe shorter."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, height, width, channels)).astype(dtype)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype) if with_bias else None
    tiles = math.prod(-(-(n + sum(pad) - 2) // 4) for n, pad in zip((height, width), pads))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba_plugin, "SMALL_ARRAY", 0)
        patch.setattr(numba_plugin, "WINOGRAD_MIN_FILL", 0)  # every output size, partial blocks and all
        patch.setattr(numba_plugin, "_WINOGRAD_BYTES", chunk * 36 * tiles * (channels + filters) * x.itemsize)
        y = numba_plugin.conv3x3(x, pads, kernel, bias, relu)
    padded = np.pad(x, ((0, 0),) + pads + ((0, 0),))
    offset = 0 if bias is None else bias.astype(np.float64)
    truth = _correlation(padded, kernel) + offset
    scale = _correlation(np.abs(padded), np.abs(kernel)) + np.abs(offset)
    if relu:
        truth = np.maximum(truth, 0)
    assert y.shape == truth.shape and y.dtype == dtype and y.flags.c_contiguous
    assert np.all(np.abs(y - truth) <= 32 * np.finfo(dtype).eps * scale)


VALID = ((0, 0), (0, 0))


def test_the_winograd_products_are_one_batch_for_a_gemm_kernel_that_takes_batches(every_array, rng):
    """A GEMM plugin's ``batched`` (numkeras-mkl's oneMKL batch) gets each chunk's 36 products in one call."""
    x = rng.standard_normal((3, 10, 10, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
    batches = []

    def gemm(a, b, out):
        return None

    def batched(a, b, out):
        batches.append((a.shape, b.shape))
        return np.matmul(a, b, out=out)

    gemm.batched = batched
    previous = blas.set_gemm(gemm)
    try:
        y = every_array.conv3x3(x, VALID, kernel, None, False)
    finally:
        blas.set_gemm(previous)
    assert batches == [((36, 3 * 4, 8), (36, 8, 4))]  # one chunk: 3 samples of 2x2 tiles
    np.testing.assert_allclose(y, _correlation(x, kernel), rtol=1e-4, atol=1e-4)


def test_what_the_winograd_convolution_declines(every_array, monkeypatch, rng):
    plugin = every_array
    x = rng.standard_normal((2, 10, 10, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
    assert plugin.conv3x3(x, VALID, kernel, None, False) is not None
    assert plugin.conv3x3(x[:, :8, :8].copy(), VALID, kernel, None, False) is None  # 6x6 outputs fill 56% of 8x8
    assert plugin.conv3x3(x[:, :8, :8].copy(), ((1, 1), (1, 1)), kernel, None, False) is not None  # 8x8
    assert plugin.conv3x3(x[..., :4].copy(), VALID, kernel[:, :, :4], None, False) is None  # too few channels
    assert plugin.conv3x3(x, VALID, kernel.astype(np.float64), None, False) is None  # another dtype
    assert plugin.conv3x3(x.transpose(0, 2, 1, 3), VALID, kernel, None, False) is None  # not C-contiguous
    assert plugin.conv3x3(x, VALID, kernel, np.zeros(5, np.float32), False) is None  # a bias of another size
    for bad in (np.inf, np.nan):
        spoiled_kernel = kernel.copy()
        spoiled_kernel[2, 2, 7, 3] = bad
        assert plugin.conv3x3(x, VALID, spoiled_kernel, None, False) is None
    monkeypatch.setenv("NUMKERAS_WINOGRAD", "0")
    assert plugin.conv3x3(x, VALID, kernel, None, False) is None
    monkeypatch.setattr(plugin, "SMALL_ARRAY", x.size + 1)
    monkeypatch.delenv("NUMKERAS_WINOGRAD")
    assert plugin.conv3x3(x, VALID, kernel, None, False) is None  # a small array


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_an_infinity_or_a_nan_anywhere_in_a_tile_declines(every_array, bad, rng):
    """Every one of a tile's 36 positions (the check reads two rows of B^T d, which must weigh all
    six inputs of each column), at the edge of the image and inside; the direct product then
    keeps IEEE's answer, where Winograd's differences would make NaN of an infinity."""
    x = rng.standard_normal((1, 10, 10, 8)).astype(np.float32)  # 2x2 tiles of 6x6, overlapping by 2
    kernel = rng.standard_normal((3, 3, 8, 2)).astype(np.float32)
    assert every_array._loops_import()
    loops = every_array._imported["loops"]
    constants = np.array(loops.WINOGRAD_CONSTANTS, np.float32)
    tiles = np.empty((4, 36, 8), np.float32)
    for row, column in itertools.product(range(10), range(10)):
        spoiled = x.copy()
        spoiled[0, row, column, 5] = bad
        with np.errstate(invalid="ignore", over="ignore"):
            # The input transform's own check (the output's would catch most of it too)...
            assert loops.winograd_input(spoiled, tiles, 2, constants) == 1, (row, column)  # one block of 4 tiles
            # ...and the kernel as a whole
            assert every_array.conv3x3(spoiled, VALID, kernel, None, True) is None, (row, column)


def test_every_block_is_checked(every_array, rng):
    """The loops take WINOGRAD_BLOCK tiles per parallel iteration and count the blocks holding an
    infinity or a NaN: spoiled tiles among 2 x 7 x 7 (several blocks, the last one partial),
    at either end of a block, are each found."""
    loops = every_array._imported["loops"] if every_array._loops_import() else None
    assert loops is not None and 2 * 49 > 2 * loops.WINOGRAD_BLOCK and 2 * 49 % loops.WINOGRAD_BLOCK
    constants = np.array(loops.WINOGRAD_CONSTANTS, np.float32)
    x = rng.standard_normal((2, 30, 30, 8)).astype(np.float32)  # 7x7 tiles of 6x6 a sample
    products = np.zeros((36, 98, 8), np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        assert loops.winograd_input(x, np.empty((98, 36, 8), np.float32), 7, constants) == 0
        for spoiled_tiles in ([0], [15], [16], [97], [0, 15, 16, 48, 49, 63, 97]):
            spoiled, spoiled_products = x.copy(), products.copy()
            for tile in spoiled_tiles:
                sample, row, column = tile // 49, tile % 49 // 7, tile % 7
                spoiled[sample, 4 * row + 2, 4 * column + 2, 3] = np.nan  # in that tile only (not where tiles overlap)
                spoiled_products[:, tile] = np.inf
            blocks = len({tile // loops.WINOGRAD_BLOCK for tile in spoiled_tiles})
            assert loops.winograd_input(spoiled, np.empty((98, 36, 8), np.float32), 7, constants) == blocks
            assert loops.winograd_output(spoiled_products, np.zeros(8, np.float32), True,
                                         np.empty((2, 28, 28, 8), np.float32), 7, constants) == blocks


def test_a_non_finite_value_in_a_later_chunk_declines_the_whole_batch(every_array, monkeypatch, rng):
    """One sample a chunk: the chunks before the spoiled one were computed, and are dropped."""
    x = rng.standard_normal((3, 10, 10, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 2)).astype(np.float32)
    monkeypatch.setattr(every_array, "_WINOGRAD_BYTES", 36 * 4 * (8 + 2) * 4)
    assert every_array.conv3x3(x, VALID, kernel, None, False) is not None
    x[2, 3, 3, 0] = np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        assert every_array.conv3x3(x, VALID, kernel, None, False) is None


def test_an_overflow_of_the_transforms_declines(every_array):
    """Finite inputs near float32's largest: the transforms overflow where the direct product
    (7.2e36 here) does not, so the kernel declines rather than answer NaN."""
    x = np.full((1, 10, 10, 8), 1e38, np.float32)
    kernel = np.full((3, 3, 8, 2), 1e-3, np.float32)
    assert every_array.conv3x3(x, VALID, kernel, None, False) is None
    assert every_array.conv3x3(x / 1e30, VALID, kernel, None, False) is not None


def test_the_winograd_relu_gives_positive_zeros_and_keeps_nans(every_array):
    """As np.maximum(y, 0): +0.0 where clamped (also for -inf from the bias), NaN kept from the bias."""
    x = np.zeros((1, 6, 6, 8), np.float32)
    kernel = np.zeros((3, 3, 8, 4), np.float32)
    bias = np.array([-1.0, -np.inf, np.nan, 2.0], np.float32)
    with np.errstate(invalid="ignore"):
        y = every_array.conv3x3(x, VALID, kernel, bias, True)
    assert y is not None
    np.testing.assert_array_equal(y[..., 0], 0.0)
    assert not np.signbit(y[..., :2]).any()
    np.testing.assert_array_equal(y[..., 1], 0.0)
    assert np.isnan(y[..., 2]).all()
    np.testing.assert_array_equal(y[..., 3], 2.0)


def _winograd_test_model():
    import numkeras
    from numkeras.layers import Conv2D, Flatten, Dense
    from numkeras.models import Sequential

    numkeras.utils.set_random_seed(0)
    model = Sequential([Conv2D(8, 3, activation="relu", input_shape=(9, 10, 8)), Conv2D(12, 3, padding="same"),
                        Flatten(), Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _counting(every_array, answered):
    def counting(*args):
        result = every_array.conv3x3(*args)
        answered.append(result is not None)
        return result

    return counting


def test_inference_convolves_by_winograd_within_rounding_of_the_product(every_array, rng):
    """predict goes through the Winograd kernel and gives the direct product's predictions within
    rounding; an infinity in the input gives plain numkeras's answer exactly."""
    answered = []
    model = _winograd_test_model()
    x = rng.random((6, 9, 10, 8), dtype=np.float32)
    spoiled = x.copy()
    spoiled[0, 4, 4, 2] = np.inf
    with np.errstate(invalid="ignore"):  # inf - inf in the products
        expected, expected_spoiled = model.predict(x, verbose=0), model.predict(spoiled, verbose=0)
        with elementwise_kernels({"conv3x3": _counting(every_array, answered)}):
            got = model.predict(x, verbose=0)
            assert answered == [True, True]
            got_spoiled = model.predict(spoiled, verbose=0)
            assert answered == [True, True, False, False]  # the second convolution's input holds infinities too
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got_spoiled, expected_spoiled)


def test_training_convolves_by_winograd_within_rounding_of_the_product(every_array, rng):
    """fit asks the kernel for each 3x3 convolution's forward pass (the backward pass takes the
    direct products) and trains to the direct products' weights within float32 rounding."""
    answered = []
    model = _winograd_test_model()
    start = model.get_weights()
    x, y = rng.random((6, 9, 10, 8), dtype=np.float32), rng.random((6, 3), dtype=np.float32)
    model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    expected = model.get_weights()
    model.set_weights(start)
    with elementwise_kernels({"conv3x3": _counting(every_array, answered)}):
        model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    assert answered == [True] * 8  # 4 batches of two forward passes
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("padding, relu", [("valid", True), ("same", False)])
def test_winograd_training_gradients_in_float64_are_the_products(every_array, rng, padding, relu):
    """In float64 the Winograd forward pass agrees with the direct product to about 1e-13, and the
    backward pass's mask of the fused ReLU is the direct one's: the gradients are the same."""
    from numkeras.backend import ops
    from numkeras.backend.ops.conv import convolution

    x = rng.standard_normal((3, 8, 9, 8))
    kernel, bias = rng.standard_normal((3, 3, 8, 5)), rng.standard_normal(5)
    weights = rng.standard_normal((3, 8, 9, 5) if padding == "same" else (3, 6, 7, 5))

    def outputs_and_gradients():
        inputs = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
        y = convolution(inputs[0], inputs[1], inputs[2], padding=padding, relu=relu)
        return [y.data] + gradients(ops.sum(y * weights), inputs)

    expected = outputs_and_gradients()
    answered = []
    with elementwise_kernels({"conv3x3": _counting(every_array, answered)}):
        got = outputs_and_gradients()
    assert answered == [True]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-11, atol=1e-11)
