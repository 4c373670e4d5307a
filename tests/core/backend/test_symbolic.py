"""numkeras.backend.symbolic: backend functions and operators on graph tensors, K.placeholder / K.function.

The activation tests are Keras 2.2's ``tests/keras/activations_test.py``, ported: each
builds ``K.function([x], [activations.f(x)])`` on ``x = K.placeholder(ndim=2)`` and
compares with the formula, computed here in float64 NumPy.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numkeras import activations
from numkeras import backend as K
from numkeras.layers import Dense, Input


def standard_values():
    """Keras 2.2's ``get_standard_values``: a row of values in [0, 1]."""
    return np.array([[0, 0.1, 0.5, 0.9, 1.0]], dtype=K.floatx())


def _evaluate(activation, values, **kwargs):
    x = K.placeholder(ndim=2)
    f = K.function([x], [activation(x, **kwargs)])
    return f([values])[0]


def _softmax(values):
    m = values.max(axis=-1, keepdims=True)
    e = np.exp(values - m)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS = [  # (name, kwargs, formula) as in Keras 2.2's activations_test.py
    ("softmax", {}, _softmax),
    ("softplus", {}, lambda x: np.log(np.ones_like(x) + np.exp(x))),
    ("softsign", {}, lambda x: x / (np.ones_like(x) + np.absolute(x))),
    ("sigmoid", {}, _sigmoid),
    ("hard_sigmoid", {}, lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)),
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("elu", {"alpha": 0.5}, lambda x: _elu(x, 0.5)),
    ("selu", {}, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA)),
    ("tanh", {}, np.tanh),
    ("linear", {}, lambda x: x),
    ("exponential", {}, np.exp),
]


@pytest.mark.parametrize("name, kwargs, formula", ACTIVATIONS, ids=[row[0] for row in ACTIVATIONS])
def test_activation_through_a_placeholder_function(name, kwargs, formula):
    values = standard_values()
    result = _evaluate(activations.get(name), values, **kwargs)
    np.testing.assert_allclose(result, formula(values.astype(np.float64)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, kwargs, formula", ACTIVATIONS[:3], ids=[row[0] for row in ACTIVATIONS[:3]])
def test_activation_on_negative_and_large_values(name, kwargs, formula):
    values = np.array([[-40.0, -1.0, 0.0, 3.0, 20.0]], dtype=K.floatx())  # Keras 2.2 tests large inputs too
    result = _evaluate(activations.get(name), values, **kwargs)
    np.testing.assert_allclose(result, formula(values.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_relu_with_max_value_and_threshold():
    values = np.array([[-1.0, 0.2, 0.6, 1.5, 8.0]], dtype=K.floatx())
    result = _evaluate(activations.relu, values, max_value=1.0, threshold=0.5)
    np.testing.assert_allclose(result, np.array([[0.0, 0.0, 0.6, 1.0, 1.0]]), rtol=1e-6)


# -- operators and backend functions on graph tensors, against NumPy ------------------------------
EXPRESSIONS = {  # name: (the expression on a graph tensor / an array, the NumPy equivalent)
    "radd": (lambda x: 1 + x, lambda a: 1 + a),
    "sub": (lambda x: x - 2.5, lambda a: a - 2.5),
    "rsub": (lambda x: 2 - x, lambda a: 2 - a),
    "mul": (lambda x: x * 3, lambda a: a * 3),
    "rmul": (lambda x: -0.5 * x, lambda a: -0.5 * a),
    "div": (lambda x: x / 4, lambda a: a / 4),
    "rdiv": (lambda x: 1 / (K.square(x) + 1), lambda a: 1 / (a ** 2 + 1)),
    "pow": (lambda x: K.abs(x) ** 1.5, lambda a: np.abs(a) ** 1.5),
    "neg": (lambda x: -x, lambda a: -a),
    "abs": (lambda x: abs(x), np.abs),
    "slice": (lambda x: x[:, 1], lambda a: a[:, 1]),
    "reverse": (lambda x: x[..., ::-1], lambda a: a[..., ::-1]),
    "newaxis": (lambda x: x[:, None, 1:3], lambda a: a[:, None, 1:3]),
    "greater": (lambda x: x > 0.25, lambda a: a > 0.25),
    "less_equal": (lambda x: x <= 0, lambda a: a <= 0),
    "kl": (lambda x: -0.5 * K.sum(1 + x - K.square(x) - K.exp(x), axis=-1),
           lambda a: -0.5 * np.sum(1 + a - a ** 2 - np.exp(a), axis=-1)),
    "mean_all": (lambda x: K.mean(x), np.mean),
    "sum_batch": (lambda x: K.sum(x, axis=0), lambda a: a.sum(axis=0)),
    "max_keepdims": (lambda x: K.max(x, axis=1, keepdims=True), lambda a: a.max(axis=1, keepdims=True)),
    "concatenate": (lambda x: K.concatenate([x, 2 * x], axis=-1), lambda a: np.concatenate([a, 2 * a], -1)),
    "reshape": (lambda x: K.reshape(x, (-1, 2, 2)), lambda a: a.reshape(-1, 2, 2)),
    "dot": (lambda x: K.dot(x, np.eye(4, 2, dtype=K.floatx())), lambda a: a @ np.eye(4, 2)),
    "clip": (lambda x: K.clip(x, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    "cast": (lambda x: K.cast(x > 0, "float32") * x, lambda a: (a > 0) * a),
    "np_ufuncs": (lambda x: np.tanh(x) + np.maximum(x, 0.5), lambda a: np.tanh(a) + np.maximum(a, 0.5)),
    "np_functions": (lambda x: np.mean(np.square(x), axis=-1, keepdims=True) + np.clip(x, 0, 1),
                     lambda a: np.mean(a ** 2, axis=-1, keepdims=True) + np.clip(a, 0, 1)),
    "array_left": (lambda x: np.arange(4, dtype="float32") - x, lambda a: np.arange(4) - a),
    "variable_left": (lambda x: K.variable([1.0, 2.0, 3.0, 4.0]) * x + K.constant(0.5),
                      lambda a: np.array([1.0, 2.0, 3.0, 4.0]) * a + 0.5),
}


@settings(max_examples=15, deadline=None)
@given(values=hnp.arrays(np.float32, st.tuples(st.integers(1, 5), st.just(4)),
                         elements=st.floats(-3, 3, width=32)))
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_expression_on_graph_tensors_matches_numpy(name, values):
    expression, reference = EXPRESSIONS[name]
    x = Input((4,))
    f = K.function([x], [expression(x)])
    np.testing.assert_allclose(f([values])[0], reference(values.astype(np.float64)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, shape, dtype", [
    ("mean_all", (), "float32"), ("sum_batch", (4,), "float32"), ("slice", (None,), "float32"),
    ("newaxis", (None, 1, 2), "float32"), ("greater", (None, 4), "bool"), ("reshape", (None, 2, 2), "float32"),
    ("kl", (None,), "float32"),
])
def test_static_shape_and_dtype_of_graph_expressions(name, shape, dtype):
    out = EXPRESSIONS[name][0](Input((4,)))
    assert out.shape == shape
    assert out.dtype == np.dtype(dtype)


def test_numpy_shape_functions_read_the_static_shape():
    x = Input((3, 4))
    assert np.shape(x) == (None, 3, 4) and np.ndim(x) == 3


def test_numpy_function_numkeras_does_not_implement_is_a_type_error():
    with pytest.raises(TypeError):
        np.fft.fft(Input((4,)))


def test_ndarray_on_the_left_defers_to_the_graph_tensor():
    x = Input((2,))
    out = np.array([1.0, 2.0], dtype="float32") * x
    assert isinstance(out, K.SymbolicTensor)
    assert K.function([x], [out])([np.array([[3.0, 4.0]])])[0].tolist() == [[3.0, 8.0]]


@pytest.mark.parametrize("use", [bool, float, np.asarray, list, len])
def test_graph_tensor_has_no_value_and_says_so(use):
    x = Input((2,))
    with pytest.raises(TypeError, match="symbolic tensor"):
        use(x)


def test_equality_stays_identity_so_graph_tensors_can_be_listed():
    a, b = Input((2,)), Input((2,))
    assert a == a and a != b and [a, b].index(b) == 1


def test_eager_calls_are_unchanged():
    assert isinstance(K.square(K.variable([1.0, 2.0])), K.Tensor)
    assert K.eval(K.sum(np.array([1.0, 2.0]))) == 3.0
    assert K.square.symbolic_aware and K.square.__name__ == "square"


# -- K.placeholder ----------------------------------------------------------------------------------
def test_placeholder_shapes():
    assert K.int_shape(K.placeholder(shape=(None, 4, 5))) == (None, 4, 5)
    assert K.int_shape(K.placeholder(ndim=3)) == (None, None, None)
    assert K.placeholder(ndim=2, dtype="int32").dtype == np.dtype("int32")
    assert K.is_keras_tensor(K.placeholder(ndim=1)) and K.is_placeholder(K.placeholder(ndim=1))
    assert not K.is_keras_tensor(K.variable([1.0]))


def test_placeholder_needs_a_shape_or_ndim():
    with pytest.raises(ValueError, match="shape .* or an ndim"):
        K.placeholder()


# -- K.function ---------------------------------------------------------------------------------------
def test_function_checks_its_inputs_and_values():
    x = K.placeholder(shape=(None, 3))
    with pytest.raises(TypeError, match="graph inputs"):
        K.function([Dense(2)(x)], [x])
    f = K.function([x], [K.sum(x, axis=-1)])
    with pytest.raises(ValueError, match="takes 1 input value"):
        f([np.ones((1, 3)), np.ones((1, 3))])
    with pytest.raises(ValueError, match="expects shape"):
        f([np.ones((1, 4))])


def test_function_with_one_output_returns_one_array():
    x = K.placeholder(ndim=2)
    assert K.function([x], K.sum(x))([np.ones((2, 3))]) == 6.0


def test_function_updates_assign_after_the_call():
    x = K.placeholder(ndim=2)
    total = K.variable(0.0)
    f = K.function([x], [K.sum(x)], updates=[(total, K.sum(x) * 2)])
    assert f([np.ones((2, 2))])[0] == 4.0
    assert K.get_value(total) == 8.0
    with pytest.raises(TypeError, match="pair"):
        K.function([x], [x], updates=[K.sum(x)])


# -- K.gradients -------------------------------------------------------------------------------------
def test_gradients_of_one_tensor_eagerly_is_a_list():
    v = K.variable([1.0, -2.0, 3.0])
    with K.tape():
        loss = K.sum(K.square(v))
    grads = K.gradients(loss, v)
    assert isinstance(grads, list) and len(grads) == 1
    np.testing.assert_allclose(grads[0], [2.0, -4.0, 6.0])


def test_gradients_of_a_placeholder_expression_match_the_formula():
    x = K.placeholder(ndim=2)
    loss = K.sum(K.square(x) * 3 + K.exp(x))
    f = K.function([x], K.gradients(loss, x))
    values = np.array([[0.5, -1.0], [2.0, 0.0]], dtype="float32")
    np.testing.assert_allclose(f([values])[0], 6 * values + np.exp(values), rtol=1e-5)
