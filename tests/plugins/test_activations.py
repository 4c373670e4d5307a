"""Built-in activations (plugins/numkeras_builtins/activations.py) against NumPy formulas, with gradient checks."""

import numpy as np
import pytest

from numkeras import activations
from numkeras import backend as K
from tests.helpers.components import assert_config_roundtrip, builtin_names
from numkeras.testing.gradcheck import check_gradients, random_array

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def np_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2.2.4's K.relu: x above threshold, alpha * (x - threshold) below, capped at max_value."""
    y = np.where(x > threshold, x, alpha * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


# One row per case: (name, kwargs, NumPy formula, kinks to keep finite differences away from).
ACTIVATIONS = [
    ("softmax", {}, np_softmax, ()),
    ("softmax", {"axis": 0}, lambda x: np_softmax(x, axis=0), ()),
    ("elu", {}, np_elu, (0.0,)),
    ("elu", {"alpha": 0.5}, lambda x: np_elu(x, 0.5), (0.0,)),
    ("selu", {}, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA), (0.0,)),
    ("softplus", {}, lambda x: np.log(np.exp(x) + 1), ()),
    ("softsign", {}, lambda x: x / (np.abs(x) + 1), (0.0,)),
    ("relu", {}, lambda x: np.maximum(x, 0), (0.0,)),
    ("relu", {"alpha": 0.1}, lambda x: np_relu(x, alpha=0.1), (0.0,)),
    ("relu", {"max_value": 1.0}, lambda x: np_relu(x, max_value=1.0), (0.0, 1.0)),
    ("relu", {"threshold": 0.5}, lambda x: np_relu(x, threshold=0.5), (0.5,)),
    ("relu", {"alpha": 0.2, "max_value": 1.5, "threshold": 0.5},
     lambda x: np_relu(x, 0.2, 1.5, 0.5), (0.5, 1.5)),
    ("tanh", {}, np.tanh, ()),
    ("sigmoid", {}, lambda x: 1 / (1 + np.exp(-x)), ()),
    ("hard_sigmoid", {}, lambda x: np.clip(0.2 * x + 0.5, 0, 1), (-2.5, 2.5)),
    ("exponential", {}, np.exp, ()),
    ("linear", {}, lambda x: x, ()),
]
IDS = [f"{name}{kwargs or ''}" for name, kwargs, _, _ in ACTIVATIONS]


def test_the_table_covers_every_registered_activation():
    assert {row[0] for row in ACTIVATIONS} == set(builtin_names("activations"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,formula,kinks", ACTIVATIONS, ids=IDS)
def test_value_matches_numpy_formula(name, kwargs, formula, kinks, dtype):
    x = random_array((3, 4), low=-4, high=4, avoid=kinks, seed=1).astype(dtype)
    result = activations.get(name)(K.Tensor(x), **kwargs)
    assert result.shape == x.shape and result.dtype == np.dtype(dtype)
    tolerance = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.data, formula(x.astype(np.float64)), **tolerance)


@pytest.mark.parametrize("name,kwargs,formula,kinks", ACTIVATIONS, ids=IDS)
def test_gradient_matches_finite_differences(name, kwargs, formula, kinks):
    x = random_array((3, 4), low=-4, high=4, avoid=kinks, seed=2)
    check_gradients(lambda t: activations.get(name)(t, **kwargs), x)


def test_softmax_rows_sum_to_one_and_survive_large_inputs():
    x = np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])
    result = activations.softmax(K.Tensor(x)).data
    np.testing.assert_allclose(result.sum(-1), 1.0)
    np.testing.assert_allclose(result[0], [0.5, 0.5, 0.0])


def test_softmax_on_three_dimensions_normalises_the_given_axis():
    x = random_array((2, 3, 4), seed=3)
    np.testing.assert_allclose(activations.softmax(K.Tensor(x), axis=1).data, np_softmax(x, axis=1))


def test_softmax_of_a_1d_tensor_raises():
    with pytest.raises(ValueError, match="1D"):
        activations.softmax(K.Tensor(np.ones(3)))


def test_get_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear
    assert activations.get(K.tanh) is K.tanh
    with pytest.raises(ValueError, match="sigmoid"):
        activations.get("sigmod")


@pytest.mark.parametrize("name", builtin_names("activations"))
def test_serialize_by_name(name):
    function = activations.get(name)
    assert activations.serialize(function) == name
    assert_config_roundtrip("activations", function)


def test_plain_arrays_are_accepted():
    np.testing.assert_allclose(activations.relu(np.array([-1.0, 2.0])).data, [0.0, 2.0])
