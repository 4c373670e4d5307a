"""GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D, ActivityRegularization."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("GaussianNoise", dict(stddev=0.5), (2, 3, 4)),
    ("GaussianDropout", dict(rate=0.3), (2, 3, 4)),
    ("AlphaDropout", dict(rate=0.2), (2, 3, 4)),
    ("SpatialDropout1D", dict(rate=0.5), (2, 3, 4)),
    ("SpatialDropout2D", dict(rate=0.5), (2, 3, 3, 4)),
    ("SpatialDropout2D", dict(rate=0.5, data_format="channels_first"), (2, 4, 3, 3)),
    ("SpatialDropout3D", dict(rate=0.5), (1, 2, 2, 2, 3)),
    ("ActivityRegularization", dict(l1=0.1, l2=0.2), (2, 4)),
]


@pytest.mark.parametrize("name, kwargs, input_shape", CASES)
def test_layer_is_identity_at_inference(name, kwargs, input_shape):
    x = np.random.default_rng(0).uniform(-1, 1, input_shape).astype("float32")
    output = layer_test(name, kwargs, input_data=x, expected_output_shape=input_shape)
    np.testing.assert_array_equal(output, x)


def test_training_statistics():
    rng_x = np.ones((200, 50), dtype="float32")
    noisy = layers.GaussianNoise(0.5)(rng_x, training=True).data
    assert abs(noisy.std() - 0.5) < 0.05 and abs(noisy.mean() - 1) < 0.05
    dropped = layers.GaussianDropout(0.5)(rng_x, training=True).data
    assert abs(dropped.std() - 1.0) < 0.05 and abs(dropped.mean() - 1) < 0.05
    selu = np.random.default_rng(0).standard_normal((400, 100)).astype("float32")
    alpha = layers.AlphaDropout(0.2)(selu, training=True).data
    assert abs(alpha.mean()) < 0.05 and abs(alpha.std() - 1) < 0.05


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((4, 6, 6, 8), dtype="float32")
    y = layers.SpatialDropout2D(0.5)(x, training=True).data
    per_channel = y.reshape(4, 36, 8)
    assert np.all(per_channel.min(axis=1) == per_channel.max(axis=1))
    assert set(np.unique(y)) <= {0.0, 2.0}
    y1 = layers.SpatialDropout1D(0.5)(np.ones((4, 5, 8), dtype="float32"), training=True).data
    assert np.all(y1.min(axis=1) == y1.max(axis=1))


def test_activity_regularization_adds_its_loss():
    layer = layers.ActivityRegularization(l1=0.5, l2=0.0)
    layer(np.array([[1.0, -2.0]], dtype="float32"))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0].data), 1.5)
    model = numkeras.Sequential([layers.Dense(2, input_shape=(3,)), layers.ActivityRegularization(l2=0.1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)


@pytest.mark.parametrize("factory", [
    lambda: layers.GaussianDropout(1.5), lambda: layers.AlphaDropout(-0.1), lambda: layers.SpatialDropout2D(1.0),
    lambda: layers.GaussianNoise(-1.0), lambda: layers.ActivityRegularization(l1=-1),
])
def test_invalid_arguments(factory):
    with pytest.raises(ValueError):
        factory()
