"""Broadcasting arithmetic: values, gradients (float64 finite differences) and dtypes."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array

BINARY = [
    # name, op, NumPy formula
    ("add", ops.add, np.add),
    ("subtract", ops.subtract, np.subtract),
    ("multiply", ops.multiply, np.multiply),
    ("divide", ops.divide, np.divide),
    ("power", ops.power, np.power),
]

SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((3, 1), (1, 5)),
    ((), (2, 3)),
    ((2, 3), ()),
]


def _operands(shape_a, shape_b):
    # Positive values keep divide and power away from poles and complex results.
    return random_array(shape_a, 0.5, 2.0, seed=1), random_array(shape_b, 0.5, 2.0, seed=2)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name, op, formula", BINARY, ids=[row[0] for row in BINARY])
def test_binary_value_and_gradient(name, op, formula, shapes):
    a, b = _operands(*shapes)
    np.testing.assert_allclose(op(Tensor(a), Tensor(b)).data, formula(a, b))
    check_gradients(op, a, b)


def test_negative():
    x = random_array((3, 4))
    np.testing.assert_array_equal(ops.negative(Tensor(x)).data, -x)
    check_gradients(ops.negative, x)


@pytest.mark.parametrize("exponent", [3, 0.5, -1.5, 2])
def test_power_with_a_scalar_exponent(exponent):
    x = random_array((3, 4), 0.5, 2.0)
    check_gradients(lambda t: t ** exponent, x)
    check_gradients(lambda t: ops.power(t, exponent), x)


def test_power_with_a_tensor_exponent_on_the_right():
    check_gradients(lambda e: ops.power(2.0, e), random_array((5,)))


def test_power_gradient_of_the_exponent_is_zero_where_the_base_is_not_positive():
    base = Tensor(np.array([0.0, -2.0, 3.0]))
    exponent = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    ops.power(base, exponent).backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 0.0, 9 * np.log(3)])


@pytest.mark.parametrize("expression", [
    lambda t: t + 1, lambda t: 1 + t, lambda t: t - 0.5, lambda t: 2.5 - t, lambda t: t * 3.0,
    lambda t: 3.0 * t, lambda t: t / 2.0, lambda t: 2.0 / t, lambda t: t ** 2, lambda t: t ** 0.5,
    lambda t: 2.0 ** t, lambda t: -t, lambda t: t * np.float64(2.0), lambda t: np.float64(2.0) * t,
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_python_and_numpy_scalars_keep_the_tensor_dtype(expression, dtype):
    x = Tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
    y = expression(x)
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype


def test_mixed_float_arrays_promote_as_numpy_does():
    a = Tensor(np.ones(2, np.float32))
    b = Tensor(np.ones(2, np.float64))
    assert (a + b).dtype == np.float64


def test_integer_tensors_stay_integer():
    x = Tensor(np.array([1, 2, 3]))
    assert (x + 1).dtype == x.dtype
    assert (x * 2).dtype == x.dtype


def test_gradient_of_a_broadcast_operand_is_summed_to_its_shape():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3,)), requires_grad=True)
    (a * b).backward()
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])
    assert a.grad.shape == (2, 3)


def test_python_lists_take_the_tensor_dtype_and_floats_alone_become_floatx():
    x = Tensor(np.ones(2, np.float32))
    assert (x + [1.0, 2.0]).dtype == np.float32
    assert ops.multiply([1, 2], x).dtype == np.float32
    assert ops.add([1.0], [2.0]).dtype == np.float32
    assert ops.add(np.ones(1), 1.0).dtype == np.float64  # arrays keep their dtype
