"""Elementwise ops: values against NumPy formulas, float64 gradient checks, dtypes, kinks."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _keras_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2.2's documented relu: alpha * (x - threshold) below threshold, x up to max_value."""
    y = np.where(x >= threshold, x, alpha * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


UNARY = [
    # id, op, NumPy formula, input range (low, high), kinks to keep away from
    ("exp", ops.exp, np.exp, (-2, 2), ()),
    ("log", ops.log, np.log, (0.1, 3), ()),
    ("log1p", ops.log1p, np.log1p, (-0.5, 3), ()),
    ("sqrt", ops.sqrt, np.sqrt, (0.1, 3), ()),
    ("square", ops.square, np.square, (-2, 2), ()),
    ("abs", ops.abs, np.abs, (-2, 2), (0,)),
    ("sin", ops.sin, np.sin, (-3, 3), ()),
    ("cos", ops.cos, np.cos, (-3, 3), ()),
    ("tanh", ops.tanh, np.tanh, (-3, 3), ()),
    ("sigmoid", ops.sigmoid, _sigmoid, (-6, 6), ()),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), (-4, 4), (-2.5, 2.5)),
    ("softplus", ops.softplus, lambda x: np.log(np.exp(x) + 1), (-5, 5), ()),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), (-3, 3), ()),
    ("relu", ops.relu, _keras_relu, (-2, 2), (0,)),
    ("relu_alpha", lambda x: ops.relu(x, alpha=0.1), lambda x: _keras_relu(x, 0.1), (-2, 2), (0,)),
    ("relu_max_value", lambda x: ops.relu(x, max_value=1.0),
     lambda x: _keras_relu(x, max_value=1.0), (-2, 2), (0, 1)),
    ("relu_threshold", lambda x: ops.relu(x, threshold=0.5),
     lambda x: _keras_relu(x, threshold=0.5), (-2, 2), (0.5,)),
    ("relu_all", lambda x: ops.relu(x, alpha=0.2, max_value=1.2, threshold=-0.3),
     lambda x: _keras_relu(x, 0.2, 1.2, -0.3), (-2, 2), (-0.3, 1.2)),
    ("elu", ops.elu, _elu, (-3, 3), (0,)),
    ("elu_alpha", lambda x: ops.elu(x, 0.5), lambda x: _elu(x, 0.5), (-3, 3), (0,)),
    ("clip", lambda x: ops.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), (-2, 2), (-0.5, 0.7)),
    ("clip_low_only", lambda x: ops.clip(x, 0.1, None), lambda x: np.maximum(x, 0.1), (-2, 2), (0.1,)),
]
UNARY_IDS = [row[0] for row in UNARY]


@pytest.mark.parametrize("name, op, formula, bounds, kinks", UNARY, ids=UNARY_IDS)
def test_unary_value_and_gradient(name, op, formula, bounds, kinks):
    x = random_array((3, 5), *bounds, avoid=kinks)
    np.testing.assert_allclose(op(Tensor(x)).data, formula(x), rtol=1e-12, atol=1e-12)
    check_gradients(op, x)


@pytest.mark.parametrize("name, op, formula, bounds, kinks", UNARY, ids=UNARY_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_keeps_dtype_in_value_and_gradient(name, op, formula, bounds, kinks, dtype):
    x = Tensor(random_array((4,), *bounds, avoid=kinks).astype(dtype), requires_grad=True)
    y = op(x)
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype


def test_unary_ops_accept_arrays_and_python_scalars():
    assert ops.exp(np.zeros(2, np.float32)).dtype == np.float32
    assert ops.exp(0.0).dtype == np.float32  # Python floats are floatx
    np.testing.assert_allclose(ops.exp(1.0).data, np.e, rtol=1e-6)


def test_sigmoid_and_softplus_do_not_overflow():
    x = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(ops.sigmoid(x).data, [0.0, 0.5, 1.0])
        np.testing.assert_allclose(ops.softplus(x).data, [0.0, np.log(2), 1000.0])


@pytest.mark.parametrize("dtype, reference", [(np.float16, np.float64), (np.float32, np.float64),
                                              (np.float64, np.longdouble)])
def test_sigmoid_is_accurate_to_its_last_bits_over_the_whole_range(dtype, reference):
    """Within 3 ulps of the sigmoid in a wider type (measured: 2.45 for float32; exp, a division and
    a product round), also where it is tiny (x far below 0) and a formula through tanh or 1 - e
    would lose every digit."""
    if np.finfo(reference).eps >= np.finfo(dtype).eps:
        pytest.skip("this platform's long double is no wider than float64")
    info = np.finfo(dtype)
    low = np.log(np.asarray(info.tiny, reference))  # below this the result is subnormal
    x = np.concatenate([np.linspace(float(low), -float(low), 20001), [0.0, -0.0]]).astype(dtype)
    wide = x.astype(reference)
    truth = np.where(wide >= 0, 1 / (1 + np.exp(-wide)), np.exp(wide) / (1 + np.exp(wide)))
    y = ops.sigmoid(x).data
    assert y.dtype == dtype
    spacing = np.spacing(truth.astype(dtype)).astype(reference)
    assert np.all(np.abs(y.astype(reference) - truth) <= 3 * spacing)
    assert np.all(y[x == 0] == 0.5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_gives_the_bits_of_its_textbook_branches(dtype):
    """exp(-|x|) = e, then 1 / (1 + e) where x >= 0 and e * (1 / (1 + e)) elsewhere: the in-place
    version computes those very numbers (signs of zero, NaNs and all), also for a strided input."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(4000) * rng.choice([1, 10, 100, 1000], 4000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30]]).astype(dtype)
    x = np.stack([x, -x], axis=1)[:, ::-1].T  # not contiguous
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
        y = 1 / (1 + e)
        expected = np.where(x >= 0, y, e * y)
    got = ops.sigmoid(x).data
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)  # NaN where NaN
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_sigmoid_of_special_values_and_of_integers():
    x = np.array([np.inf, -np.inf, np.nan, 1e30, -1e30])
    np.testing.assert_array_equal(ops.sigmoid(x).data, [1.0, 0.0, np.nan, 1.0, 0.0])
    untouched = np.array([-3.0, 0.5])
    ops.sigmoid(untouched)
    np.testing.assert_array_equal(untouched, [-3.0, 0.5])  # computed beside the input, not in it
    assert ops.sigmoid(np.float32(2.0)).data.shape == ()
    ints = ops.sigmoid(np.array([1, 2, -3])).data  # not truncated back to integers
    np.testing.assert_allclose(ints, _sigmoid(np.array([1.0, 2.0, -3.0])), rtol=1e-15)
    assert ints.dtype == np.float64


INTEGER_ACTIVATIONS = {  # id: (the op, its formula in float64 NumPy, written out here)
    "sigmoid": (ops.sigmoid, _sigmoid),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x))),
    "elu": (ops.elu, _elu),
    "tanh": (ops.tanh, np.tanh),
    "exp": (ops.exp, np.exp),
    "leaky_relu": (lambda x: ops.relu(x, alpha=0.1), lambda x: _keras_relu(x, alpha=0.1)),
    "relu6ish": (lambda x: ops.relu(x, max_value=1.5), lambda x: _keras_relu(x, max_value=1.5)),
    "thresholded": (lambda x: ops.relu(x, threshold=0.5), lambda x: _keras_relu(x, threshold=0.5)),
}


@pytest.mark.parametrize("name", list(INTEGER_ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.bool_])
def test_activations_of_integers_are_not_truncated_to_integers(name, dtype):
    """As NumPy's exp does, integers become floats; these ops cast their result back to the input's type,
    and sigmoid([1, 2]) was [0, 0]."""
    activation, formula = INTEGER_ACTIVATIONS[name]
    x = np.array([1, 2, 0, 3, 1]).astype(dtype) if dtype in (np.uint8, np.bool_) else np.array([1, 2, -3, 0, 3], dtype)
    y = activation(x).data
    assert y.dtype.kind == "f"
    np.testing.assert_allclose(y, formula(x.astype(np.float64)), rtol=2e-3)  # float16 for int8, bool


def test_a_plain_relu_of_integers_stays_integer():
    np.testing.assert_array_equal(ops.relu(np.array([1, -2, 3])).data, np.array([1, 0, 3]))


def test_clip_swaps_crossed_scalar_bounds_like_keras():
    np.testing.assert_array_equal(ops.clip(np.array([-1.0, 0.5, 2.0]), 1.0, 0.0).data, [1.0, 1.0, 1.0])


def test_clip_with_array_and_tensor_bounds():
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(ops.clip(x, np.array([0.0, 0.0, 0.0]), Tensor(np.ones(3))).data, [0, 0.5, 1])


def test_clip_gradient_is_zero_outside_and_one_inside_including_the_bounds():
    x = Tensor(np.array([-2.0, 0.0, 0.5, 1.0, 3.0]), requires_grad=True)
    ops.clip(x, 0.0, 1.0).backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0])


def test_clip_outside_the_range_blocks_an_infinite_gradient():
    x = Tensor(np.array([-1.0, 4.0]), requires_grad=True)
    with np.errstate(divide="ignore"):  # sqrt's gradient at 0 is inf, and clip must stop it
        ops.sqrt(ops.clip(x, 0.0, None)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.25])


BINARY = [
    ("maximum", ops.maximum, np.maximum),
    ("minimum", ops.minimum, np.minimum),
]


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((3,), ())], ids=str)
@pytest.mark.parametrize("name, op, formula", BINARY, ids=[row[0] for row in BINARY])
def test_maximum_minimum_value_and_gradient(name, op, formula, shapes):
    a, b = random_array(shapes[0], seed=1), random_array(shapes[1], seed=2)
    np.testing.assert_array_equal(op(Tensor(a), Tensor(b)).data, formula(a, b))
    check_gradients(op, a, b)


@pytest.mark.parametrize("op", [ops.maximum, ops.minimum])
def test_maximum_minimum_ties_send_the_whole_gradient_to_the_first_argument(op):
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 0.0, 3.0]) if op is ops.maximum else np.array([1.0, 5.0, 3.0]), requires_grad=True)
    op(a, b).backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 0.0, 0.0])


def test_maximum_with_a_python_scalar_keeps_float32():
    assert ops.maximum(Tensor(np.ones(2, np.float32)), 0.5).dtype == np.float32
    assert ops.minimum(0.5, Tensor(np.ones(2, np.float32))).dtype == np.float32


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((3, 1), (3, 4), ())], ids=str)
def test_where_value_and_gradient(shapes):
    condition = random_array(shapes[0], seed=3) > 0
    a, b = random_array(shapes[1], seed=4), random_array(shapes[2], seed=5)
    np.testing.assert_array_equal(ops.where(condition, Tensor(a), Tensor(b)).data, np.where(condition, a, b))
    check_gradients(lambda x, y: ops.where(condition, x, y), a, b)


def test_where_takes_a_tensor_condition_and_python_scalars():
    x = Tensor(np.array([-1.0, 2.0], np.float32), requires_grad=True)
    y = ops.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    y.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_cast_converts_and_passes_gradients_back_in_the_source_dtype():
    x = Tensor(np.array([1.5, 2.5], np.float32), requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.dtype == np.float64
    (y * y).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [3.0, 5.0])


def test_cast_to_the_same_dtype_is_the_tensor_itself():
    x = Tensor(np.ones(2, np.float32))
    assert ops.cast(x, np.float32) is x


def test_cast_to_int_and_from_int_carry_no_gradient():
    x = Tensor(np.array([1.7, -2.2]), requires_grad=True)
    y = ops.cast(x, "int32")
    np.testing.assert_array_equal(y.data, [1, -2])
    assert ops.cast(Tensor(np.array([1, 2])), "float32").requires_grad is False


def test_sign_has_no_gradient():
    y = ops.sign(Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True))
    np.testing.assert_array_equal(y.data, [-1, 0, 1])
    assert not y.requires_grad


def test_cast_round_trip_gradient_matches_finite_differences():
    # float32 in the middle: coarse step and tolerance.
    check_gradients(lambda x: ops.cast(ops.cast(x, "float32") * 3.0, "float64"), random_array((5,)),
                    eps=1e-2, atol=1e-3, rtol=1e-3)
