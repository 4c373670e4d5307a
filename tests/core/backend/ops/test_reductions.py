"""Reductions: values against NumPy, float64 gradient checks over several axes, zeros and ties."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array

REDUCTIONS = [
    ("sum", ops.sum, np.sum),
    ("mean", ops.mean, np.mean),
    ("prod", ops.prod, np.prod),
    ("max", ops.max, np.max),
    ("min", ops.min, np.min),
    ("logsumexp", ops.logsumexp, lambda x, axis=None, keepdims=False: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))),
    ("var", ops.var, np.var),
    ("std", ops.std, np.std),
]
AXES = [None, 0, -1, (0, 2), (1,), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name, op, formula", REDUCTIONS, ids=[row[0] for row in REDUCTIONS])
def test_reduction_value_and_gradient(name, op, formula, axis, keepdims):
    if axis == () and name in ("std",):
        pytest.skip("std over no axis is sqrt(0): no finite gradient")
    x = random_array((2, 3, 4), 0.5, 1.5)
    np.testing.assert_allclose(op(Tensor(x), axis=axis, keepdims=keepdims).data,
                               formula(x, axis=axis, keepdims=keepdims), rtol=1e-12)
    check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name, op, formula", REDUCTIONS, ids=[row[0] for row in REDUCTIONS])
def test_reduction_of_a_scalar(name, op, formula):
    x = np.array(0.7)
    np.testing.assert_allclose(op(Tensor(x)).data, formula(x))


@pytest.mark.parametrize("name, op, formula", REDUCTIONS, ids=[row[0] for row in REDUCTIONS])
def test_reduction_keeps_float32(name, op, formula):
    x = Tensor(random_array((3, 4), 0.5, 1.5).astype(np.float32), requires_grad=True)
    y = op(x, axis=1)
    assert y.dtype == np.float32
    ops.sum(y).backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("values", [
    [[2.0, 0.0, 3.0], [1.0, 4.0, 5.0]],  # one zero in a row
    [[0.0, 0.0, 3.0], [1.0, 4.0, 5.0]],  # two zeros in a row
    [[0.0, 2.0, 3.0], [0.0, 4.0, 0.0]],  # zeros in every row
])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_gradient_with_zeros(values, axis):
    x = np.array(values)
    check_gradients(lambda t: ops.prod(t, axis=axis), x)


def test_prod_gradient_with_zeros_is_the_product_of_the_others():
    x = Tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    ops.prod(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 6.0, 0.0])


@pytest.mark.parametrize("op", [ops.max, ops.min])
def test_max_min_ties_split_the_gradient_evenly(op):
    x = Tensor(np.array([[3.0, 3.0, 1.0], [3.0, 3.0, 3.0]]) * (1 if op is ops.max else -1), requires_grad=True)
    op(x, axis=1).backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_max_with_two_ties_matches_finite_differences():
    # A central difference at a two-way tie sees half the slope on each side: 0.5 each.
    check_gradients(lambda t: ops.max(t, axis=-1), np.array([[1.0, 2.0, 2.0], [0.5, 0.1, 0.5]]))


def test_logsumexp_is_stable_for_large_inputs():
    x = np.array([1000.0, 1000.0])
    np.testing.assert_allclose(ops.logsumexp(x).data, 1000 + np.log(2))


def test_mean_gradient_divides_by_the_reduced_count():
    x = Tensor(np.ones((2, 5)), requires_grad=True)
    ops.mean(x, axis=1).backward()
    np.testing.assert_allclose(x.grad, np.full((2, 5), 0.2))


def test_var_and_std_with_ddof_match_numpy():
    x = random_array((4, 3))
    np.testing.assert_allclose(ops.var(x, axis=0, ddof=1).data, np.var(x, axis=0, ddof=1))
    np.testing.assert_allclose(ops.std(x, ddof=1).data, np.std(x, ddof=1))
    check_gradients(lambda t: ops.std(t, axis=0, ddof=1), x)
