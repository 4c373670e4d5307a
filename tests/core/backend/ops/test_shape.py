"""Shape and indexing ops: values against NumPy and float64 gradient checks."""

import numpy as np
import pytest

from numkeras.backend import Tensor, ops
from numkeras.testing.gradcheck import check_gradients, random_array

UNARY = [
    # id, op, NumPy formula, input shape
    ("reshape", lambda x: ops.reshape(x, (4, 6)), lambda x: x.reshape(4, 6), (2, 3, 4)),
    ("reshape_-1", lambda x: ops.reshape(x, (-1, 2)), lambda x: x.reshape(-1, 2), (2, 3, 4)),
    ("transpose", ops.transpose, np.transpose, (2, 3, 4)),
    ("transpose_axes", lambda x: ops.transpose(x, (1, 2, 0)), lambda x: x.transpose(1, 2, 0), (2, 3, 4)),
    ("transpose_negative", lambda x: ops.transpose(x, (0, -1, 1)), lambda x: x.transpose(0, -1, 1), (2, 3, 4)),
    ("expand_dims_0", lambda x: ops.expand_dims(x, 0), lambda x: np.expand_dims(x, 0), (2, 3)),
    ("expand_dims_-1", lambda x: ops.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), (2, 3)),
    ("expand_dims_1", lambda x: ops.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), (2, 3)),
    ("squeeze", ops.squeeze, np.squeeze, (2, 1, 3, 1)),
    ("squeeze_axis", lambda x: ops.squeeze(x, 1), lambda x: np.squeeze(x, 1), (2, 1, 3, 1)),
    ("tile", lambda x: ops.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3)), (2, 3)),
    ("tile_short_reps", lambda x: ops.tile(x, 2), lambda x: np.tile(x, 2), (2, 3)),
    ("tile_long_reps", lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (2, 3)),
    ("broadcast_to", lambda x: ops.broadcast_to(x, (4, 2, 3)), lambda x: np.broadcast_to(x, (4, 2, 3)), (2, 1)),
    ("pad", lambda x: ops.pad(x, ((1, 0), (2, 1))), lambda x: np.pad(x, ((1, 0), (2, 1))), (2, 3)),
    ("pad_constant", lambda x: ops.pad(x, ((0, 1), (1, 1)), 0.5),
     lambda x: np.pad(x, ((0, 1), (1, 1)), constant_values=0.5), (2, 3)),
]


@pytest.mark.parametrize("name, op, formula, shape", UNARY, ids=[row[0] for row in UNARY])
def test_shape_op_value_and_gradient(name, op, formula, shape):
    x = random_array(shape)
    np.testing.assert_array_equal(op(Tensor(x)).data, formula(x))
    check_gradients(op, x)


INDICES = [
    ("int", 1),
    ("negative_int", -1),
    ("slice", slice(1, None)),
    ("step", slice(None, None, -2)),
    ("tuple", (slice(None), 2)),
    ("ellipsis_newaxis", (Ellipsis, None, 1)),
    ("list", [0, 2]),
    ("repeated_list", [0, 0, 2, 0]),
    ("repeated_array", np.array([[1, 1], [2, 1]])),
    ("repeated_pair", ([0, 0, 1], [1, 1, 3])),
    ("boolean_mask", np.array([True, False, True])),
    ("mixed", (np.array([2, 2]), slice(0, 3))),
]


@pytest.mark.parametrize("name, index", INDICES, ids=[row[0] for row in INDICES])
def test_getitem_value_and_gradient(name, index):
    x = random_array((3, 4))
    np.testing.assert_array_equal(ops.getitem(Tensor(x), index).data, x[index])
    check_gradients(lambda t: t[index], x)


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.zeros(3), requires_grad=True)
    ops.sum(x[[0, 0, 2, 0]]).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_getitem_with_a_tensor_index():
    x = random_array((4, 2))
    index = Tensor(np.array([3, 3, 0]))
    np.testing.assert_array_equal(ops.getitem(Tensor(x), index).data, x[[3, 3, 0]])
    check_gradients(lambda t: ops.getitem(t, index), x)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_value_and_gradient(axis):
    shapes = [(2, 3), (2, 3), (2, 3)]
    if axis == 0:
        shapes = [(1, 3), (2, 3), (3, 3)]
    else:
        shapes = [(2, 1), (2, 3), (2, 2)]
    xs = [random_array(s, seed=i) for i, s in enumerate(shapes)]
    np.testing.assert_array_equal(ops.concatenate([Tensor(x) for x in xs], axis).data, np.concatenate(xs, axis))
    check_gradients(lambda *ts: ops.concatenate(list(ts), axis=axis), *xs)


def test_concatenate_mixes_tensors_and_arrays():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = ops.concatenate([x, np.zeros((2, 1))], axis=-1)
    assert y.shape == (2, 3)
    ops.sum(y).backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_value_and_gradient(axis):
    xs = [random_array((2, 3), seed=i) for i in range(3)]
    np.testing.assert_array_equal(ops.stack([Tensor(x) for x in xs], axis).data, np.stack(xs, axis))
    check_gradients(lambda *ts: ops.stack(list(ts), axis=axis), *xs)


def test_shape_ops_keep_float32():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = ops.concatenate([ops.transpose(ops.reshape(x, (3, 2))), ops.tile(x[:, :1], (1, 2))], axis=-1)
    assert y.dtype == np.float32
    ops.sum(y).backward()
    assert x.grad.dtype == np.float32
