"""Rescaling and Normalization: tf_keras parity (values written by tf_keras 2.21), adapt, gradients, configs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numkeras
from numkeras import layers
from tests.helpers import tf_keras_references as references
from numkeras.testing import layer_test

CASES = references.layer_cases("rescaling") + references.layer_cases("normalization")


@pytest.mark.parametrize("name", CASES)
def test_matches_tf_keras(name):
    layer, outputs, expected = references.replay_layer(name)  # adapted weights are compared inside
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, err_msg=name, **references.TOLERANCE)
    assert len(outputs) == len(expected) == 1


@pytest.mark.parametrize("name, kwargs, shape", [
    ("Rescaling", {"scale": 0.5, "offset": -1.0}, (3, 4)),
    ("Rescaling", {"scale": [1.0, 2.0, 3.0]}, (2, 5, 3)),
    ("Normalization", {"mean": 1.0, "variance": 4.0}, (3, 4)),
    ("Normalization", {"mean": [1.0, 2.0, 0.0], "variance": [1.0, 9.0, 0.25], "invert": True}, (2, 5, 3)),
    ("Normalization", {"axis": None, "mean": 0.5, "variance": 2.0}, (3, 2)),
])
def test_layer_test(name, kwargs, shape):
    layer_test(name, kwargs, shape, expected_output_shape=(None,) + shape[1:])


def test_adapted_normalization_round_trips_its_weights_through_a_saved_model(tmp_path):
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 3)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(data)
    assert [w.name.split("/")[-1] for w in norm.weights] == ["mean:0", "variance:0", "count:0"]
    assert norm.trainable_weights == [] and int(norm.get_weights()[2]) == 50
    model = numkeras.Sequential([numkeras.Input((3,)), norm, layers.Dense(1)])
    out = model.predict(data[:4])
    path = str(tmp_path / "norm.h5")
    model.save(path)
    np.testing.assert_allclose(numkeras.models.load_model(path, compile=False).predict(data[:4]), out, rtol=1e-6)
    np.testing.assert_allclose(norm(data).data.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(norm(data).data.std(0), 1.0, rtol=1e-4)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(0, 2 ** 31 - 1))
def test_adapt_in_batches_equals_adapt_at_once(batch_sizes, seed):
    data = np.random.default_rng(seed).normal(size=(sum(batch_sizes), 2, 3)).astype("float32") * 5
    whole, batched = layers.Normalization(axis=(1, 2)), layers.Normalization(axis=(1, 2))
    whole.adapt(data)
    ends = np.cumsum(batch_sizes)[:-1]
    batched.adapt(iter(np.split(data, ends)))
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole.get_weights()[0], data.mean(0), rtol=1e-5, atol=1e-6)


def test_rescaling_casts_integer_images():
    images = np.arange(6, dtype="uint8").reshape(1, 6)
    out = layers.Rescaling(1 / 255.0)(images).data
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, images / 255.0, rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="mean and variance"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="cannot be adapted"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="scale"):
        layers.Rescaling("big")
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="no samples"):
        layers.Normalization().adapt(np.zeros((0, 3)))
