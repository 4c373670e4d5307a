"""LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.testing.gradcheck import random_array
from numkeras.testing import layer_test

X = random_array((2, 3, 4), avoid=(0.0, 0.5, 0.2), seed=1)

CASES = [
    ("LeakyReLU", dict(alpha=0.2)),
    ("PReLU", dict()),
    ("PReLU", dict(shared_axes=[1], alpha_initializer="ones")),
    ("ELU", dict(alpha=0.5)),
    ("ThresholdedReLU", dict(theta=0.5)),
    ("Softmax", dict()),
    ("Softmax", dict(axis=1)),
    ("ReLU", dict()),
    ("ReLU", dict(max_value=0.5, negative_slope=0.1, threshold=0.2)),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_layer(name, kwargs):
    layer_test(name, kwargs, input_data=X.astype("float32"), expected_output_shape=X.shape)


def test_values():
    x = np.array([[-2.0, -0.5, 0.5, 2.0]], dtype="float32")
    np.testing.assert_allclose(layers.LeakyReLU(0.1)(x).data, [[-0.2, -0.05, 0.5, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(layers.ELU(1.0)(x).data, [[np.expm1(-2), np.expm1(-0.5), 0.5, 2]], rtol=1e-6)
    np.testing.assert_allclose(layers.ThresholdedReLU(1.0)(x).data, [[0, 0, 0, 2]])
    np.testing.assert_allclose(layers.ReLU(max_value=1.0)(x).data, [[0, 0, 0.5, 1]])
    np.testing.assert_allclose(layers.Softmax()(x).data.sum(), 1, rtol=1e-6)
    prelu = layers.PReLU(alpha_initializer="ones")
    np.testing.assert_allclose(prelu(x).data, x)
    assert prelu.get_weights()[0].shape == (4,)


def test_prelu_shared_axes_weight_shape():
    layer = layers.PReLU(shared_axes=[1, 2])
    layer(np.zeros((2, 5, 5, 3), dtype="float32"))
    assert layer.alpha.shape == (1, 1, 3)


@pytest.mark.parametrize("factory, error", [
    (lambda: layers.LeakyReLU(alpha=-1), ValueError),
    (lambda: layers.ReLU(max_value=-1), ValueError),
    (lambda: layers.ThresholdedReLU(theta=-0.1), ValueError),
    (lambda: layers.PReLU(shared_axes=[0]), ValueError),
    (lambda: layers.Softmax(axis="last"), TypeError),
])
def test_invalid_arguments(factory, error):
    with pytest.raises(error):
        factory()
