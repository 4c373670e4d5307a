"""cumsum and cumprod: values against NumPy and float64 gradient checks, zeros included."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array


@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("name, op, formula", [
    ("cumsum", ops.cumsum, np.cumsum), ("cumprod", ops.cumprod, np.cumprod),
], ids=["cumsum", "cumprod"])
def test_scan_value_and_gradient(name, op, formula, axis):
    x = random_array((3, 4), 0.5, 1.5)
    np.testing.assert_allclose(op(Tensor(x), axis=axis).data, formula(x, axis=axis))
    check_gradients(lambda t: op(t, axis=axis), x)


def test_keras_default_axis_is_the_first():
    x = random_array((3, 4))
    np.testing.assert_allclose(ops.cumsum(x).data, np.cumsum(x, axis=0))
    np.testing.assert_allclose(ops.cumprod(x).data, np.cumprod(x, axis=0))


@pytest.mark.parametrize("values", [
    [[2.0, 0.0, 3.0, 0.5], [1.0, 4.0, 0.0, 0.0]],
    [[0.0, 1.5, 2.0, 0.7], [0.3, 0.0, 0.0, 2.0]],
])
@pytest.mark.parametrize("axis", [0, 1])
def test_cumprod_gradient_with_zeros(values, axis):
    check_gradients(lambda t: ops.cumprod(t, axis=axis), np.array(values))


@pytest.mark.parametrize("op", [ops.cumsum, ops.cumprod])
def test_scan_keeps_float32(op):
    x = Tensor(np.array([[1.0, 0.0], [2.0, 3.0]], np.float32), requires_grad=True)
    y = op(x, axis=1)
    assert y.dtype == np.float32
    ops.sum(y).backward()
    assert x.grad.dtype == np.float32
