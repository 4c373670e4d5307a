"""matmul, tensordot, and Keras's dot / batch_dot: shapes, values and float64 gradients."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((2, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_value_and_gradient(shapes):
    a, b = random_array(shapes[0], seed=1), random_array(shapes[1], seed=2)
    np.testing.assert_allclose(ops.matmul(Tensor(a), Tensor(b)).data, np.matmul(a, b))
    check_gradients(ops.matmul, a, b)


def test_matmul_operator():
    a, b = random_array((2, 3)), random_array((3, 2), seed=1)
    check_gradients(lambda x, y: x @ y, a, b)
    check_gradients(lambda x: b.T @ x, a.T)


TENSORDOT_CASES = [
    ((2, 3), (3, 4), 1),
    ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3), (4, 5), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((2, 3, 4), (4, 3, 5), ([2, 1], [0, 1])),
    ((3, 2, 4), (4, 5, 3), ([0, 2], [2, 0])),
    ((2, 3, 4), (5, 3), ([1], [1])),
    ((2, 3, 4), (4, 2), ([-1, 0], [0, -1])),
    ((2, 3), (3, 2), ([0, 1], [1, 0])),
]


@pytest.mark.parametrize("shape_a, shape_b, axes", TENSORDOT_CASES, ids=str)
def test_tensordot_value_and_gradient(shape_a, shape_b, axes):
    a, b = random_array(shape_a, seed=1), random_array(shape_b, seed=2)
    np.testing.assert_allclose(ops.tensordot(Tensor(a), Tensor(b), axes).data, np.tensordot(a, b, axes))
    check_gradients(lambda x, y: ops.tensordot(x, y, axes), a, b)


@pytest.mark.parametrize("shapes", [
    ((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (6, 4, 5)), ((2, 3), (6, 3, 5)), ((2, 3, 4), (4,)), ((), (2, 3)),
], ids=str)
def test_dot_follows_numpy_dot(shapes):
    a, b = random_array(shapes[0], seed=1), random_array(shapes[1], seed=2)
    np.testing.assert_allclose(ops.dot(Tensor(a), Tensor(b)).data, np.dot(a, b))
    check_gradients(ops.dot, a, b)


def test_dot_keras_docs_shape():
    # Keras docs: (2, 3) * (4, 3, 5) -> (2, 4, 5)
    assert ops.dot(np.ones((2, 3)), np.ones((4, 3, 5))).shape == (2, 4, 5)
    # and (32, 28, 3) * (3, 4) -> (32, 28, 4)
    assert ops.dot(np.ones((32, 28, 3)), np.ones((3, 4))).shape == (32, 28, 4)


BATCH_DOT_CASES = [
    # x shape, y shape, axes, expected shape, einsum of the intended product
    ((32, 20), (32, 30, 20), (1, 2), (32, 30), "bk,bnk->bn"),
    ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30), "bkm,bnk->bmn"),
    ((4, 5), (4, 5), 1, (4, 1), "bk,bk->b"),
    ((4, 5), (4, 5), (1, 1), (4, 1), "bk,bk->b"),
    ((4, 2, 3), (4, 3, 5), None, (4, 2, 5), "bmk,bkn->bmn"),
    ((4, 2, 3), (4, 3, 5), (2, 1), (4, 2, 5), "bmk,bkn->bmn"),
    ((4, 3, 2), (4, 3, 5), (1, 1), (4, 2, 5), "bkm,bkn->bmn"),
    ((4, 2, 3), (4, 5, 3), (2, 2), (4, 2, 5), "bmk,bnk->bmn"),
    ((4, 2, 3), (4, 5, 3), (-1, -1), (4, 2, 5), "bmk,bnk->bmn"),
    ((4, 2, 3), (4, 3), (2, 1), (4, 2), "bmk,bk->bm"),
    ((4, 2, 3), (4, 3), None, (4, 2), "bmk,bk->bm"),
    ((4, 3), (4, 3, 5), (1, 1), (4, 5), "bk,bkn->bn"),
    ((4, 6, 2, 3), (4, 6, 3, 5), (3, 2), (4, 6, 2, 5), "bhmk,bhkn->bhmn"),  # Keras 2.2 batched matmul
]


@pytest.mark.parametrize("x_shape, y_shape, axes, expected_shape, einsum", BATCH_DOT_CASES, ids=str)
def test_batch_dot_shapes_values_and_gradients(x_shape, y_shape, axes, expected_shape, einsum):
    x, y = random_array(x_shape, seed=1), random_array(y_shape, seed=2)
    out = ops.batch_dot(Tensor(x), Tensor(y), axes=axes)
    assert out.shape == expected_shape
    np.testing.assert_allclose(out.data, np.einsum(einsum, x, y).reshape(expected_shape))
    if np.prod(x_shape) <= 60:
        check_gradients(lambda a, b: ops.batch_dot(a, b, axes=axes), x, y)


def test_batch_dot_gradient_on_the_keras_docs_case():
    x, y = random_array((3, 4), seed=1), random_array((3, 2, 4), seed=2)
    check_gradients(lambda a, b: ops.batch_dot(a, b, axes=(1, 2)), x, y)


def test_batch_dot_2d_on_the_first_axis_follows_keras_2_2():
    # Keras 2.2 sums x * y over axis 0 and returns (features, 1).
    x, y = random_array((4, 3), seed=1), random_array((4, 3), seed=2)
    np.testing.assert_allclose(ops.batch_dot(x, y, axes=0).data, np.sum(x * y, axis=0)[:, None])


def test_batch_dot_rejects_nested_axes():
    with pytest.raises(ValueError, match="axes"):
        ops.batch_dot(np.ones((2, 3)), np.ones((2, 3)), axes=([1], [1]))


def test_matmul_keeps_float32():
    a = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = ops.matmul(a, np.ones((3, 4), np.float32))
    assert y.dtype == np.float32
    ops.sum(y).backward()
    assert a.grad.dtype == np.float32
