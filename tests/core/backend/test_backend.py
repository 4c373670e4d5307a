"""The Keras backend functions (``numkeras.backend as K``), each against its NumPy formula."""

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.backend import Tensor, Variable
from numkeras.testing.gradcheck import check_gradients, random_array


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ANY = (-2, 2)
POSITIVE = (0.2, 2)

# id, K expression, NumPy formula, input ranges, kinks to avoid. Every row is also gradient-checked.
FUNCTIONS = [
    ("mean", lambda x: K.mean(x), np.mean, [ANY], ()),
    ("mean_axis", lambda x: K.mean(x, axis=1, keepdims=True), lambda x: np.mean(x, 1, keepdims=True), [ANY], ()),
    ("mean_axes", lambda x: K.mean(x, axis=[0, 1]), lambda x: np.mean(x, (0, 1)), [ANY], ()),
    ("sum", lambda x: K.sum(x, axis=-1), lambda x: np.sum(x, -1), [ANY], ()),
    ("prod", lambda x: K.prod(x, axis=0), lambda x: np.prod(x, 0), [ANY], ()),
    ("max", lambda x: K.max(x, axis=1), lambda x: np.max(x, 1), [ANY], ()),
    ("min", lambda x: K.min(x), np.min, [ANY], ()),
    ("var", lambda x: K.var(x, axis=0), lambda x: np.var(x, 0), [ANY], ()),
    ("std", lambda x: K.std(x, axis=-1, keepdims=True), lambda x: np.std(x, -1, keepdims=True), [ANY], ()),
    ("logsumexp", lambda x: K.logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(1)), [ANY], ()),
    ("cumsum", lambda x: K.cumsum(x, axis=1), lambda x: np.cumsum(x, 1), [ANY], ()),
    ("cumprod", lambda x: K.cumprod(x), lambda x: np.cumprod(x, 0), [ANY], ()),
    ("square", K.square, np.square, [ANY], ()),
    ("abs", K.abs, np.abs, [ANY], (0,)),
    ("sqrt", K.sqrt, np.sqrt, [POSITIVE], ()),
    ("exp", K.exp, np.exp, [ANY], ()),
    ("log", K.log, np.log, [POSITIVE], ()),
    ("log1p", K.log1p, np.log1p, [POSITIVE], ()),
    ("sin", K.sin, np.sin, [ANY], ()),
    ("cos", K.cos, np.cos, [ANY], ()),
    ("pow", lambda x: K.pow(x, 3), lambda x: x ** 3, [ANY], ()),
    ("clip", lambda x: K.clip(x, -0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0), [ANY], (-0.5, 1.0)),
    ("maximum", K.maximum, np.maximum, [ANY, ANY], ()),
    ("minimum", K.minimum, np.minimum, [ANY, ANY], ()),
    ("relu", K.relu, lambda x: np.maximum(x, 0), [ANY], (0,)),
    ("relu_alpha", lambda x: K.relu(x, alpha=0.3), lambda x: np.where(x > 0, x, 0.3 * x), [ANY], (0,)),
    ("relu_max_value", lambda x: K.relu(x, max_value=1.0), lambda x: np.clip(x, 0, 1.0), [ANY], (0, 1)),
    ("relu_threshold", lambda x: K.relu(x, threshold=0.5), lambda x: np.where(x >= 0.5, x, 0), [ANY], (0.5,)),
    ("sigmoid", K.sigmoid, _sigmoid, [ANY], ()),
    ("hard_sigmoid", K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), [(-3, 3)], (-2.5, 2.5)),
    ("tanh", K.tanh, np.tanh, [ANY], ()),
    ("softplus", K.softplus, lambda x: np.log(1 + np.exp(x)), [ANY], ()),
    ("softsign", K.softsign, lambda x: x / (1 + np.abs(x)), [ANY], ()),
    ("softmax", K.softmax, _softmax, [ANY], ()),
    ("softmax_axis", lambda x: K.softmax(x, axis=0), lambda x: _softmax(x, 0), [ANY], ()),
    ("elu", K.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1), [ANY], (0,)),
    ("elu_alpha", lambda x: K.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), [ANY], (0,)),
    ("l2_normalize", lambda x: K.l2_normalize(x, axis=-1),
     lambda x: x / np.sqrt(np.sum(x ** 2, -1, keepdims=True)), [ANY], ()),
    ("dot", lambda x, y: K.dot(x, K.transpose(y)), lambda x, y: x @ y.T, [ANY, ANY], ()),
    ("transpose", K.transpose, np.transpose, [ANY], ()),
    ("reshape", lambda x: K.reshape(x, (2, 6)), lambda x: x.reshape(2, 6), [ANY], ()),
    ("permute_dimensions", lambda x: K.permute_dimensions(K.expand_dims(x), (2, 0, 1)),
     lambda x: x[..., None].transpose(2, 0, 1), [ANY], ()),
    ("expand_dims", lambda x: K.expand_dims(x, 1), lambda x: x[:, None], [ANY], ()),
    ("squeeze", lambda x: K.squeeze(K.expand_dims(x, 0), 0), lambda x: x, [ANY], ()),
    ("concatenate", lambda x, y: K.concatenate([x, y]), lambda x, y: np.concatenate([x, y], -1), [ANY, ANY], ()),
    ("concatenate_axis0", lambda x, y: K.concatenate([x, y], axis=0), lambda x, y: np.concatenate([x, y]), [ANY, ANY], ()),
    ("stack", lambda x, y: K.stack([x, y]), lambda x, y: np.stack([x, y]), [ANY, ANY], ()),
    ("switch", lambda x, y: K.switch(K.greater(x, 0), x, y), lambda x, y: np.where(x > 0, x, y), [ANY, ANY], (0,)),
    ("tile", lambda x: K.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), [ANY], ()),
    ("repeat_elements", lambda x: K.repeat_elements(x, 2, axis=1), lambda x: np.repeat(x, 2, 1), [ANY], ()),
    ("batch_flatten", lambda x: K.batch_flatten(K.expand_dims(x)), lambda x: x.reshape(3, -1), [ANY], ()),
    ("flatten", K.flatten, lambda x: x.reshape(-1), [ANY], ()),
    ("gather", lambda x: K.gather(x, [2, 0, 2]), lambda x: x[[2, 0, 2]], [ANY], ()),
    ("reverse", lambda x: K.reverse(x, 1), lambda x: x[:, ::-1], [ANY], ()),
    ("identity", K.identity, lambda x: x, [ANY], ()),
    ("bias_add", lambda x, b: K.bias_add(x, b[0]), lambda x, b: x + b[0], [ANY, ANY], ()),
    ("cast", lambda x: K.cast(x, "float64"), lambda x: x, [ANY], ()),
]


@pytest.mark.parametrize("name, expression, formula, ranges, kinks", FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_backend_function_value_and_gradient(name, expression, formula, ranges, kinks):
    arrays = [random_array((3, 4), *bounds, avoid=kinks, seed=i) for i, bounds in enumerate(ranges)]
    np.testing.assert_allclose(K.eval(expression(*[K.variable(a, dtype="float64") for a in arrays])),
                               formula(*arrays), rtol=1e-10, atol=1e-12)
    check_gradients(expression, *arrays)


@pytest.mark.parametrize("name, expression, formula, ranges, kinks", FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_backend_function_keeps_float32(name, expression, formula, ranges, kinks):
    if name == "cast":
        pytest.skip("casts on purpose")
    arrays = [K.variable(random_array((3, 4), *bounds, avoid=kinks, seed=i)) for i, bounds in enumerate(ranges)]
    assert expression(*arrays).dtype == np.float32


def test_epsilon_is_1e_7_and_settable():
    assert K.epsilon() == 1e-7
    K.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5


def test_floatx_defaults_to_float32_and_rejects_unknown_types():
    assert K.floatx() == "float32"
    K.set_floatx("float64")
    assert K.variable(1.0).dtype == np.float64
    with pytest.raises(ValueError, match="float128"):
        K.set_floatx("float128")


def test_sqrt_clips_negative_inputs_to_zero_like_keras():
    np.testing.assert_array_equal(K.eval(K.sqrt(K.variable([-4.0, 4.0]))), [0.0, 2.0])


def test_mean_of_booleans_is_floatx():
    assert K.mean(K.equal(K.variable([1.0, 2.0]), 1.0)).dtype == np.float32


# -- batch_dot ------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, y_shape, axes, expected", [
    ((32, 20), (32, 30, 20), (1, 2), (32, 30)),
    ((32, 20, 1), (32, 30, 20), [1, 2], (32, 1, 30)),
    ((32, 20), (32, 20), 1, (32, 1)),
    ((32, 10, 20), (32, 20, 5), None, (32, 10, 5)),
])
def test_batch_dot_shapes_from_the_keras_docs(x_shape, y_shape, axes, expected):
    assert K.int_shape(K.batch_dot(K.ones(x_shape), K.ones(y_shape), axes=axes)) == expected


def test_batch_dot_values_and_gradient():
    x, y = random_array((3, 4), seed=1), random_array((3, 2, 4), seed=2)
    np.testing.assert_allclose(K.eval(K.batch_dot(x, y, axes=(1, 2))), np.einsum("bk,bnk->bn", x, y))
    check_gradients(lambda a, b: K.batch_dot(a, b, axes=(1, 2)), x, y)


# -- creation and values --------------------------------------------------------------
def test_variable_defaults_to_floatx_like_keras():
    v = K.variable([[1, 2], [3, 4]], name="v")
    assert isinstance(v, Variable) and v.dtype == np.float32 and v.name == "v"
    assert K.variable(np.ones(2)).dtype == np.float32
    assert K.variable([1, 2], dtype="int32").dtype == np.int32


def test_constant_zeros_ones():
    np.testing.assert_array_equal(K.eval(K.constant(2.0, shape=(2, 3))), np.full((2, 3), 2.0))
    assert K.constant([1, 2]).dtype == np.float32
    assert K.eval(K.zeros((2, 3))).tolist() == np.zeros((2, 3)).tolist()
    assert K.ones((2,), dtype="int32").dtype == np.int32
    assert K.zeros((1,)).dtype == np.float32


def test_eval_get_value_set_value_batch_get_value():
    v = K.variable(np.zeros((2, 2)))
    value = K.get_value(v)
    value[0, 0] = 5.0  # a copy: the variable is untouched
    assert K.eval(v)[0, 0] == 0.0
    K.set_value(v, np.ones((2, 2)))
    np.testing.assert_array_equal(K.eval(v), np.ones((2, 2)))
    assert v.dtype == np.float32
    w = K.variable([1.0])
    assert [a.tolist() for a in K.batch_get_value([v, w])] == [[[1.0, 1.0], [1.0, 1.0]], [1.0]]
    K.batch_set_value([(w, [3.0])])
    assert K.get_value(w).tolist() == [3.0]
    with pytest.raises(ValueError, match="shape"):
        K.set_value(v, np.ones(3))


def test_eval_of_arrays_and_scalars():
    assert K.eval(np.ones(2)).tolist() == [1.0, 1.0]
    assert K.eval(K.square(K.variable(3.0))) == 9.0


def test_shape_functions():
    x = K.variable(np.zeros((2, 3, 4)))
    assert K.int_shape(x) == (2, 3, 4)
    assert K.shape(x) == (2, 3, 4) and K.shape(x)[0] == 2
    assert K.ndim(x) == 3
    assert K.count_params(x) == 24
    assert K.dtype(x) == "float32"
    assert K.int_shape(np.zeros((5,))) == (5,)
    assert K.get_variable_shape(x) == (2, 3, 4)


def test_update_functions():
    v = K.variable([1.0, 2.0])
    K.update_add(v, [1.0, 1.0])
    K.update_sub(v, [0.5, 0.5])
    assert K.get_value(v).tolist() == [1.5, 2.5]
    K.update(v, [0.0, 0.0])
    K.moving_average_update(v, np.array([10.0, 20.0]), 0.9)
    np.testing.assert_allclose(K.get_value(v), [1.0, 2.0], rtol=1e-6)


# -- non-differentiable functions -------------------------------------------------------
def test_one_hot():
    out = K.one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(K.eval(out), np.eye(3)[[[0, 2], [1, 1]]])


def test_argmax_argmin():
    x = np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])
    assert K.eval(K.argmax(x)).tolist() == [1, 0]
    assert K.eval(K.argmin(x, axis=0)).tolist() == [0, 1, 1]


@pytest.mark.parametrize("name, formula", [
    ("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("less", np.less), ("less_equal", np.less_equal),
])
def test_comparisons(name, formula):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    result = getattr(K, name)(K.variable(x), y)
    assert result.dtype == bool and not result.requires_grad
    np.testing.assert_array_equal(K.eval(result), formula(x, y))


def test_round_sign_any_all():
    x = np.array([-1.6, 0.0, 2.5])
    np.testing.assert_array_equal(K.eval(K.round(x)), np.round(x))
    np.testing.assert_array_equal(K.eval(K.sign(x)), np.sign(x))
    assert K.eval(K.any(x > 2)) and not K.eval(K.all(x > 2))


def test_cast():
    x = K.variable([1.7, -0.2])
    assert K.cast(x, "int32").dtype == np.int32
    assert K.cast(K.greater(x, 0), K.floatx()).dtype == np.float32
    assert K.cast_to_floatx([1, 2]).dtype == np.float32


def test_switch_expands_a_lower_rank_condition_and_calls_callables():
    x = np.arange(6.0).reshape(3, 2)
    result = K.switch(np.array([True, False, True]), lambda: K.variable(x), lambda: K.zeros((3, 2)))
    np.testing.assert_array_equal(K.eval(result), [[0, 1], [0, 0], [4, 5]])
    assert K.eval(K.switch(False, K.constant(1.0), K.constant(2.0))) == 2.0


def test_stop_gradient_blocks_the_gradient():
    x = K.variable([1.0, 2.0])
    assert K.gradients(K.sum(K.stop_gradient(x) * 2.0), [x]) == [None]


def test_gradients_function():
    x = K.variable([1.0, 2.0])
    y = K.variable([3.0])
    (gx, gy) = K.gradients(K.sum(K.square(x)), [x, y])
    np.testing.assert_allclose(gx, [2.0, 4.0])
    assert gy is None


def test_random_functions_shapes_dtypes_and_seeds():
    assert K.random_uniform((2, 3), seed=1).shape == (2, 3)
    np.testing.assert_array_equal(K.eval(K.random_normal((4,), seed=3)), K.eval(K.random_normal((4,), seed=3)))
    t = K.truncated_normal((1000,), mean=1.0, stddev=0.5, seed=0)
    assert t.dtype == np.float32 and np.all(np.abs(K.eval(t) - 1.0) <= 1.0 + 1e-6)
    assert set(np.unique(K.eval(K.random_binomial((100,), p=0.5, seed=0)))) <= {0.0, 1.0}


def test_dropout_scales_the_kept_entries():
    x = K.ones((1000,))
    y = K.eval(K.dropout(x, 0.25, seed=0))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.65 < np.mean(y > 0) < 0.85


def test_arange_and_padding():
    assert K.eval(K.arange(3)).tolist() == [0, 1, 2]
    assert K.temporal_padding(K.ones((2, 3, 4)), (1, 2)).shape == (2, 6, 4)
    assert K.spatial_2d_padding(K.ones((2, 3, 4, 5))).shape == (2, 5, 6, 5)
    assert K.spatial_2d_padding(K.ones((2, 3, 4, 5)), data_format="channels_first").shape == (2, 3, 6, 7)


def test_bias_add_channels_first():
    x, b = np.zeros((2, 3, 4, 4)), np.arange(3.0)
    np.testing.assert_array_equal(K.eval(K.bias_add(x, b, data_format="channels_first")),
                                  x + b[None, :, None, None])


def test_batch_normalization():
    x, m, v, beta, gamma = (random_array((4, 3), seed=i) for i in range(5))
    v = np.abs(v) + 0.1
    expected = (x - m) / np.sqrt(v + 1e-3) * gamma + beta
    np.testing.assert_allclose(K.eval(K.batch_normalization(x, m, v, beta, gamma)), expected)
    check_gradients(lambda *a: K.batch_normalization(*a), x, m, v, beta, gamma)


def test_learning_phase_and_in_train_phase():
    assert K.learning_phase() == 0
    K.set_learning_phase(1)
    assert K.in_train_phase(lambda: 1, 2) == 1 and K.in_test_phase(1, 2) == 2
    with pytest.raises(ValueError):
        K.set_learning_phase(2)


def test_misc_surface():
    assert K.backend() == "numpy"
    assert K.is_tensor(K.variable(1.0)) and not K.is_tensor(np.ones(1))
    assert K.get_uid("dense") + 1 == K.get_uid("dense")
    with K.name_scope("block"):
        pass
    assert isinstance(K.identity(np.ones(2)), Tensor)
