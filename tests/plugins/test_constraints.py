"""Built-in constraints (plugins/numkeras_builtins/constraints.py) against Keras 2.2.4's formulas."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras import constraints
from numkeras.layers import Dense
from numkeras.models import Sequential
from tests.helpers.components import assert_config_roundtrip, builtin_names

EPS = 1e-7
rng = np.random.default_rng(0)
KERNEL = rng.normal(scale=2.0, size=(5, 4)).astype(np.float32)
CONV_KERNEL = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)


def norms(w, axis):
    return np.sqrt(np.sum(np.square(w, dtype=np.float64), axis=axis, keepdims=True))


def ref_max_norm(w, max_value=2, axis=0):
    n = norms(w, axis)
    return w * (np.clip(n, 0, max_value) / (EPS + n))


def ref_non_neg(w):
    return w * (w >= 0)


def ref_unit_norm(w, axis=0):
    return w / (EPS + norms(w, axis))


def ref_min_max_norm(w, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    n = norms(w, axis)
    desired = rate * np.clip(n, min_value, max_value) + (1 - rate) * n
    return w * (desired / (EPS + n))


# (identifier, constructor arguments, NumPy formula, weight)
CASES = [
    ("MaxNorm", {}, ref_max_norm, KERNEL),
    ("max_norm", {"max_value": 1.5, "axis": 1}, lambda w: ref_max_norm(w, 1.5, 1), KERNEL),
    ("MaxNorm", {"axis": [0, 1, 2]}, lambda w: ref_max_norm(w, axis=(0, 1, 2)), CONV_KERNEL),
    ("NonNeg", {}, ref_non_neg, KERNEL),
    ("UnitNorm", {}, ref_unit_norm, KERNEL),
    ("unit_norm", {"axis": -1}, lambda w: ref_unit_norm(w, -1), KERNEL),
    ("MinMaxNorm", {}, ref_min_max_norm, KERNEL),
    ("min_max_norm", {"min_value": 2.0, "max_value": 3.0, "rate": 0.5},
     lambda w: ref_min_max_norm(w, 2.0, 3.0, 0.5), KERNEL),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "axis": [0, 1, 2]},
     lambda w: ref_min_max_norm(w, 0.5, 1.0, axis=(0, 1, 2)), CONV_KERNEL),
]
IDS = [f"{name}{kwargs or ''}" for name, kwargs, _, _ in CASES]
ALIASES = {"max_norm": "MaxNorm", "maxnorm": "MaxNorm", "non_neg": "NonNeg", "nonneg": "NonNeg",
           "unit_norm": "UnitNorm", "unitnorm": "UnitNorm", "min_max_norm": "MinMaxNorm"}


def test_every_registered_name_is_covered():
    assert set(builtin_names("constraints")) == set(ALIASES) | set(ALIASES.values())


@pytest.mark.parametrize("alias,name", sorted(ALIASES.items()))
def test_aliases_resolve_to_the_class(alias, name):
    assert type(constraints.get(alias)) is getattr(constraints, name)
    assert getattr(constraints, alias) is getattr(constraints, name)


@pytest.mark.parametrize("name,kwargs,formula,w", CASES, ids=IDS)
def test_ndarray_in_ndarray_out(name, kwargs, formula, w):
    constraint = getattr(constraints, name)(**kwargs)
    original = w.copy()
    result = constraint(w)
    assert isinstance(result, np.ndarray) and result.dtype == w.dtype and result.shape == w.shape
    np.testing.assert_allclose(result, formula(w), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(w, original)  # the input is left alone
    assert_config_roundtrip("constraints", constraint)


@pytest.mark.parametrize("name,kwargs,formula,w", CASES, ids=IDS)
def test_tensor_in_tensor_out(name, kwargs, formula, w):
    result = getattr(constraints, name)(**kwargs)(K.Tensor(w.astype(np.float64)))
    assert isinstance(result, K.Tensor)
    np.testing.assert_allclose(result.data, formula(w.astype(np.float64)), rtol=1e-12)


def test_max_norm_leaves_small_columns_alone_and_caps_large_ones():
    w = np.array([[3.0, 0.3], [4.0, 0.4]], np.float32)
    result = constraints.MaxNorm(max_value=2)(w)
    np.testing.assert_allclose(np.linalg.norm(result, axis=0), [2.0, 0.5], rtol=1e-5)


def test_keras_1_max_norm_argument_warns():
    with pytest.warns(DeprecationWarning, match="max_value"):
        assert constraints.MaxNorm(m=3).max_value == 3


@pytest.mark.parametrize("kwargs,message", [({"rate": 2.0}, "rate"), ({"min_value": 2.0, "max_value": 1.0},
                                                                      "min_value")])
def test_min_max_norm_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        constraints.MinMaxNorm(**kwargs)


def test_constraint_holds_after_fit():
    rng_data = np.random.default_rng(1)
    x = rng_data.normal(size=(32, 3)).astype("float32")
    y = x @ np.full((3, 4), 5.0, "float32")  # the unconstrained fit has column norms near 8.7
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(4, input_shape=(3,), kernel_regularizer="l2", kernel_constraint="max_norm",
                              bias_constraint=constraints.NonNeg())])
    model.compile(optimizer=numkeras.optimizers.SGD(lr=0.5), loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    kernel, bias = model.layers[0].get_weights()
    assert np.linalg.norm(kernel, axis=0).max() <= 2.0 + 1e-5
    assert np.linalg.norm(kernel, axis=0).max() > 1.9  # the constraint was binding
    assert bias.min() >= 0.0
