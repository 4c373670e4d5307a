"""BatchNormalization: statistics, moving averages (unbiased variance), inference, Keras 1 names."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    (dict(), (4, 3)),
    (dict(axis=1), (3, 2, 4, 4)),
    (dict(center=False, momentum=0.5), (3, 4, 4, 2)),
    (dict(scale=False, epsilon=0.1), (4, 5, 3)),
    (dict(axis=[1, 2]), (3, 2, 2, 2)),
]


@pytest.mark.parametrize("kwargs, input_shape", CASES)
@pytest.mark.parametrize("training", [False, True])
def test_layer(kwargs, input_shape, training):
    layer_test("BatchNormalization", kwargs, input_shape, expected_output_shape=input_shape,
               call_kwargs={"training": training} if training else None, functional=not training,
               atol=1e-5, rtol=1e-4)


def test_training_normalizes_and_updates_moving_statistics_with_unbiased_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(16, 4)).astype("float32")
    layer = layers.BatchNormalization(momentum=0.9)
    y = layer(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-4)
    gamma, beta, mean, variance = layer.get_weights()
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(variance, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)


def test_inference_uses_moving_statistics():
    layer = layers.BatchNormalization(epsilon=0.0 + 1e-3)
    x = np.ones((2, 3), dtype="float32")
    layer(x)
    layer.set_weights([np.full(3, 2.0), np.full(3, 1.0), np.full(3, 0.5), np.full(3, 4.0)])
    np.testing.assert_allclose(layer(x).data, (1 - 0.5) / np.sqrt(4 + 1e-3) * 2 + 1, rtol=1e-6)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma:0", "beta:0", "moving_mean:0",
                                                              "moving_variance:0"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2


def test_fit_updates_moving_statistics_and_predict_does_not():
    model = numkeras.Sequential([layers.Dense(3, input_shape=(2,)), layers.BatchNormalization(),
                                 layers.Dense(1)])
    model.compile("sgd", "mse")
    before = model.layers[1].get_weights()[2].copy()
    model.predict(np.random.rand(8, 2).astype("float32"))
    np.testing.assert_array_equal(model.layers[1].get_weights()[2], before)
    model.fit(np.random.rand(8, 2), np.random.rand(8, 1), epochs=1, batch_size=4, verbose=0)
    assert not np.allclose(model.layers[1].get_weights()[2], before)


def test_keras1_arguments():
    with pytest.warns(DeprecationWarning):
        layer = layers.BatchNormalization(epsilon=1e-06, mode=0, axis=-1, momentum=0.9, beta_init="zero",
                                          gamma_init="one")
    assert layer.momentum == 0.9 and layer.epsilon == 1e-6
    with pytest.warns(DeprecationWarning):
        samplewise = layers.BatchNormalization(mode=1)
    x = np.random.rand(4, 5).astype("float32") * 3
    y = samplewise(x).data
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    with pytest.raises(ValueError, match="mode"):
        layers.BatchNormalization(mode=3)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="momentum"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="axis"):
        layers.BatchNormalization(axis=0)(np.zeros((2, 3), dtype="float32"))
    layer = layers.BatchNormalization(name="bn")
    layer(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"bn.*axis 1.*size 3, but it has size 4"):
        layer(np.zeros((2, 4), dtype="float32"))


# -- LayerNormalization ------------------------------------------------------------------------
from tests.helpers import tf_keras_references as references  # noqa: E402

LAYER_NORM_CASES = [
    (dict(), (4, 3)),
    (dict(axis=1, epsilon=1e-5), (3, 2, 4)),
    (dict(axis=[1, 2], center=False), (3, 4, 4, 2)),
    (dict(axis=[-2, -1], scale=False, epsilon=0.1), (2, 5, 3)),
]


@pytest.mark.parametrize("kwargs, input_shape", LAYER_NORM_CASES)
def test_layer_normalization(kwargs, input_shape):
    layer_test("LayerNormalization", kwargs, input_shape, expected_output_shape=input_shape, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", references.layer_cases("layer_normalization"))
def test_layer_normalization_matches_tf_keras(name):
    _, outputs, expected = references.replay_layer(name)
    np.testing.assert_allclose(outputs[0], expected[0], err_msg=name, **references.TOLERANCE)


def test_layer_normalization_normalizes_each_sample_alone():
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(3, 6)).astype("float32")
    y = layers.LayerNormalization(epsilon=1e-6)(x).data
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(layers.LayerNormalization()(x[:1]).data, layers.LayerNormalization()(x).data[:1],
                               rtol=1e-6)


def test_layer_normalization_bad_axis():
    with pytest.raises(ValueError, match="axis"):
        layers.LayerNormalization(axis=0)(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
