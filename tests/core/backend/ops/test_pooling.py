"""Pooling ops: forward against a direct loop, gradients against finite differences."""

import itertools

import numpy as np
import pytest

from numkeras.backend.ops import pooling
from numkeras.backend.ops.conv import padding_amounts
from numkeras.testing.gradcheck import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def reference_pool(x, size, strides, padding, mode):
    rank = x.ndim - 2
    pads = [padding_amounts(n, k, s, 1, padding) for n, k, s in zip(x.shape[1:-1], size, strides)]
    fill = -np.inf if mode == "max" else np.nan
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    out = [(n - k) // s + 1 for n, k, s in zip(xp.shape[1:-1], size, strides)]
    y = np.zeros([x.shape[0]] + out + [x.shape[-1]])
    for position in itertools.product(*[range(n) for n in out]):
        index = (slice(None),) + tuple(slice(p * s, p * s + k) for p, s, k in zip(position, strides, size))
        window = xp[index].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + position] = window.max(axis=1) if mode == "max" else np.nanmean(window, axis=1)
    return y


CASES = [
    (1, 2, None, "valid"), (1, 3, 1, "same"), (2, 2, None, "valid"), (2, 3, 2, "same"), (2, (2, 3), (1, 2), "valid"),
    (2, 3, None, "valid"), (3, 2, None, "same"), (2, 1, None, "valid"),  # 1x1: one window offset
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("rank, size, strides, padding", CASES)
def test_pooling_matches_direct_loop_and_finite_differences(rank, size, strides, padding, mode, rng):
    x = rng.standard_normal((2,) + (7, 6, 5)[:rank] + (3,))
    size_t = (size,) * rank if isinstance(size, int) else size
    strides_t = size_t if strides is None else ((strides,) * rank if isinstance(strides, int) else strides)
    y = pooling.pool(x, size, strides, padding, "channels_last", mode).data
    np.testing.assert_allclose(y, reference_pool(x, size_t, strides_t, padding, mode), atol=1e-12)
    small = rng.standard_normal((1,) + (5, 4, 4)[:rank] + (2,))
    check_gradients(lambda a: pooling.pool(a, size, strides, padding, "channels_last", mode), small)


def test_max_pooling_sends_the_gradient_to_the_first_maximum():
    from numkeras.backend.tensor import Tensor, gradients

    x = Tensor(np.ones((1, 2, 2, 1)), requires_grad=True)
    (grad,) = gradients(pooling.pool(x, 2).sum(), [x])
    np.testing.assert_array_equal(grad.reshape(-1), [1, 0, 0, 0])


def test_max_pooling_lets_a_nan_through():
    x = np.array([1.0, np.nan, 3.0, 2.0]).reshape(1, 4, 1)
    np.testing.assert_array_equal(pooling.pool(x, 2).data.reshape(-1), [np.nan, 3.0])


@pytest.mark.parametrize("rank, size, strides, padding", CASES)
def test_max_pooling_for_inference_and_for_training_agree(rank, size, strides, padding, rng):
    """Inference (``window_max``, no winners) and training (``max_pool``) forwards, with NaNs:
    against the direct loop where a window has none, NaN where it has one."""
    from numkeras.backend.tensor import Tensor

    x = rng.standard_normal((2,) + (7, 6, 5)[:rank] + (3,))
    x.reshape(-1)[::7] = np.nan
    inference = pooling.pool(x, size, strides, padding).data
    training = pooling.pool(Tensor(x, requires_grad=True), size, strides, padding).data
    np.testing.assert_array_equal(inference, training)
    size_t = (size,) * rank if isinstance(size, int) else size
    strides_t = size_t if strides is None else ((strides,) * rank if isinstance(strides, int) else strides)
    has_nan = reference_pool(np.isnan(x) * 1.0, size_t, strides_t, padding, "max") > 0
    expected = reference_pool(np.where(np.isnan(x), -np.inf, x), size_t, strides_t, padding, "max")
    np.testing.assert_array_equal(np.isnan(inference), has_nan)
    np.testing.assert_array_equal(inference[~has_nan], expected[~has_nan])


def test_max_pooling_routes_the_gradient_in_windows_of_more_than_256_offsets():
    from numkeras.backend.tensor import Tensor, gradients

    values = np.zeros((1, 600, 1))
    values[0, 299, 0] = values[0, 301, 0] = 1.0  # the last offset of window 1, the 2nd of window 2
    x = Tensor(values, requires_grad=True)
    (grad,) = gradients(pooling.pool(x, 300).sum(), [x])
    assert np.flatnonzero(grad).tolist() == [299, 301]


def test_channels_first(rng):
    x = rng.standard_normal((2, 3, 4, 6))
    y = pooling.pool2d(x, (2, 2), (2, 2), data_format="channels_first").data
    expected = pooling.pool2d(x.transpose(0, 2, 3, 1), (2, 2), (2, 2)).data.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(y, expected)


def test_bad_arguments():
    with pytest.raises(ValueError, match="pool_mode"):
        pooling.pool(np.zeros((1, 4, 4, 1)), 2, pool_mode="median")
    with pytest.raises(ValueError, match="padding"):
        pooling.pool(np.zeros((1, 4, 4, 1)), 2, padding="full")
    with pytest.raises(ValueError, match="larger than"):
        pooling.pool(np.zeros((1, 1, 4, 1)), 2)
