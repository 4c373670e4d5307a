"""NumPy functions applied to Tensors are recorded on the tape; unsupported ones raise TypeError."""

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.backend import Tensor
from numkeras.backend.numpy_dispatch import FUNCTIONS, UFUNCS
from numkeras.testing.gradcheck import check_gradients, random_array

POSITIVE = (0.5, 1.5)

# id, expression on NumPy functions, input ranges (one per input), kinks
DIFFERENTIABLE = [
    ("mean", lambda x: np.mean(x), [(-1, 1)]),
    ("mean_axis", lambda x: np.mean(x, axis=-1, keepdims=True), [(-1, 1)]),
    ("sum", lambda x: np.sum(x, axis=0), [(-1, 1)]),
    ("prod", lambda x: np.prod(x, axis=1), [POSITIVE]),
    ("max", lambda x: np.max(x, axis=1), [(-1, 1)]),
    ("amin", lambda x: np.amin(x), [(-1, 1)]),
    ("var", lambda x: np.var(x, axis=0), [(-1, 1)]),
    ("std", lambda x: np.std(x, ddof=1), [(-1, 1)]),
    ("cumsum", lambda x: np.cumsum(x, axis=1), [(-1, 1)]),
    ("cumprod", lambda x: np.cumprod(x, axis=0), [POSITIVE]),
    ("square", np.square, [(-1, 1)]),
    ("abs", np.abs, [(-1, 1)]),
    ("log", np.log, [POSITIVE]),
    ("log1p", np.log1p, [POSITIVE]),
    ("exp", np.exp, [(-1, 1)]),
    ("sqrt", np.sqrt, [POSITIVE]),
    ("sin", np.sin, [(-1, 1)]),
    ("cos", np.cos, [(-1, 1)]),
    ("tanh", np.tanh, [(-1, 1)]),
    ("negative", np.negative, [(-1, 1)]),
    ("clip", lambda x: np.clip(x, -0.5, 0.5), [(-1, 1)]),
    ("maximum", lambda x: np.maximum(x, 0.1), [(-1, 1)]),
    ("maximum_two", np.maximum, [(-1, 1), (-1, 1)]),
    ("minimum_two", np.minimum, [(-1, 1), (-1, 1)]),
    ("where", lambda x, y: np.where(x > 0, x, y), [(-1, 1), (-1, 1)]),
    ("add", np.add, [(-1, 1), (-1, 1)]),
    ("subtract", np.subtract, [(-1, 1), (-1, 1)]),
    ("multiply", np.multiply, [(-1, 1), (-1, 1)]),
    ("divide", np.divide, [(-1, 1), POSITIVE]),
    ("power", np.power, [POSITIVE, (-1, 1)]),
    ("reshape", lambda x: np.reshape(x, (4, 3)), [(-1, 1)]),
    ("transpose", np.transpose, [(-1, 1)]),
    ("moveaxis", lambda x: np.moveaxis(x, 0, -1), [(-1, 1)]),
    ("swapaxes", lambda x: np.swapaxes(x, 0, 1), [(-1, 1)]),
    ("expand_dims", lambda x: np.expand_dims(x, (0, 2)), [(-1, 1)]),
    ("squeeze", lambda x: np.squeeze(np.expand_dims(x, 1)), [(-1, 1)]),
    ("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), [(-1, 1)]),
    ("tile", lambda x: np.tile(x, (2, 1)), [(-1, 1)]),
    ("concatenate", lambda x, y: np.concatenate([x, y], axis=1), [(-1, 1), (-1, 1)]),
    ("stack", lambda x, y: np.stack([x, y], axis=-1), [(-1, 1), (-1, 1)]),
    ("dot", lambda x, y: np.dot(x, y.T), [(-1, 1), (-1, 1)]),
    ("matmul", lambda x, y: np.matmul(x, y.T), [(-1, 1), (-1, 1)]),
    ("matmul_operator", lambda x, y: x @ y.T, [(-1, 1), (-1, 1)]),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=([1], [1])), [(-1, 1), (-1, 1)]),
]


if np.lib.NumpyVersion(np.__version__) >= "2.1.0":  # np.clip's min= and max= keywords
    DIFFERENTIABLE.append(("clip_keywords", lambda x: np.clip(x, min=-0.5, max=None), [(-1, 1)]))


@pytest.mark.parametrize("name, expression, ranges", DIFFERENTIABLE, ids=[row[0] for row in DIFFERENTIABLE])
def test_numpy_function_on_a_tensor_is_differentiable_and_matches_numpy(name, expression, ranges):
    arrays = [random_array((3, 4), *bounds, avoid=(0, 0.1, 0.5, -0.5), seed=i) for i, bounds in enumerate(ranges)]
    result = expression(*[Tensor(a, requires_grad=True) for a in arrays])
    assert isinstance(result, Tensor) and result.requires_grad
    np.testing.assert_allclose(result.data, expression(*arrays), rtol=1e-12)
    check_gradients(expression, *arrays)


def test_mixing_arrays_and_tensors_dispatches_from_either_side():
    t = Tensor(np.ones(3), requires_grad=True)
    for result in (np.ones(3) + t, t + np.ones(3), np.float64(2.0) * t, np.maximum(np.zeros(3), t)):
        assert isinstance(result, Tensor) and result.requires_grad


def test_python_scalars_in_numpy_calls_keep_float32():
    t = Tensor(np.ones(3, np.float32), requires_grad=True)
    for result in (np.clip(t, 1e-7, 1 - 1e-7), np.maximum(t, 0.5), np.power(t, 2.0), np.mean(t), np.where(t > 0, t, 0.0)):
        assert result.dtype == np.float32


def test_a_custom_loss_written_with_numpy_is_differentiable():
    def loss(y_true, y_pred):
        y_pred = np.clip(y_pred, K.epsilon(), 1 - K.epsilon())
        per_sample = -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred), axis=-1)
        return np.mean(np.square(np.maximum(per_sample, 0.0))) + np.sum(np.abs(y_pred)) * 1e-3

    y_true = (random_array((4, 3), seed=1) > 0).astype(float)
    y_pred = random_array((4, 3), 0.05, 0.95, seed=2)

    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    bce = -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=-1)
    expected = np.mean(np.square(np.maximum(bce, 0.0))) + np.sum(np.abs(p)) * 1e-3
    value = loss(y_true, Tensor(y_pred))
    np.testing.assert_allclose(value.data, expected)
    check_gradients(lambda pred: loss(y_true, pred), y_pred)


def test_numpy_dtype_argument_casts():
    t = Tensor(np.ones(3, np.float32), requires_grad=True)
    assert np.mean(t, dtype=np.float64).dtype == np.float64


def test_non_differentiable_functions_return_constant_tensors():
    t = Tensor(np.array([[0.2, 0.9], [0.7, 0.1]]), requires_grad=True)
    for result in (t > 0.5, np.greater(t, 0.5), np.floor(t), np.sign(t), np.argmax(t, axis=-1), np.round(t)):
        assert isinstance(result, Tensor) and not result.requires_grad
    np.testing.assert_array_equal(np.argmax(t, axis=-1).data, [1, 0])
    assert np.allclose(t, t.data) is True
    assert [a.tolist() for a in np.where(t > 0.5)] == [[0, 1], [1, 0]]


@pytest.mark.parametrize("call", [
    lambda t: np.median(t),
    lambda t: np.sort(t),
    lambda t: np.linalg.norm(t),
    lambda t: np.arctan(t),
    lambda t: np.add.reduce(t),
    lambda t: np.sum(t, initial=1.0),
    lambda t: np.exp(t, out=np.empty(3)),
    lambda t: np.mean(t, out=np.empty(())),
    lambda t: np.add(t, t, dtype=np.float32),
], ids=["median", "sort", "linalg.norm", "arctan", "ufunc.reduce", "initial=", "ufunc out=", "out=", "dtype="])
def test_unsupported_numpy_calls_raise_type_error(call):
    t = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError):
        call(t)


def test_every_table_entry_is_a_numpy_callable():
    assert all(isinstance(u, np.ufunc) for u in UFUNCS)
    assert all(callable(f) for f in FUNCTIONS)
