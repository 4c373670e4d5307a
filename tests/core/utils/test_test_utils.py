"""Keras 2.2's helpers at numkeras.utils.test_utils: their signatures, and that they can fail."""

import inspect

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.layers import Layer
from numkeras.utils.test_utils import get_test_data, keras_test, layer_test


def test_signatures_are_keras_2_2s():
    assert list(inspect.signature(layer_test).parameters) == [
        "layer_cls", "kwargs", "input_shape", "input_dtype", "input_data", "expected_output",
        "expected_output_dtype", "fixed_batch_size"]
    assert list(inspect.signature(get_test_data).parameters) == [
        "num_train", "num_test", "input_shape", "output_shape", "classification", "num_classes"]


def test_layer_test_returns_the_output_and_compares_it():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    out = layer_test(numkeras.layers.Activation, kwargs={"activation": "relu"}, input_data=x - 2.0,
                     expected_output=np.maximum(x - 2.0, 0))
    np.testing.assert_allclose(out, np.maximum(x - 2.0, 0))
    with pytest.raises(AssertionError):
        layer_test(numkeras.layers.Activation, kwargs={"activation": "relu"}, input_data=x, expected_output=-x)


def test_layer_test_catches_a_wrong_compute_output_shape():
    class Doubling(Layer):
        def call(self, inputs):
            return K.concatenate([inputs, inputs], axis=-1)

        def compute_output_shape(self, input_shape):
            return input_shape  # wrong: the last axis doubles

    with pytest.raises(AssertionError, match="compute_output_shape"):
        layer_test(Doubling, input_shape=(2, 3), fixed_batch_size=True)


def test_get_test_data_shapes_and_learnable_classes():
    np.random.seed(0)
    (x_train, y_train), (x_test, y_test) = get_test_data(num_train=200, num_test=50, input_shape=(4,),
                                                         classification=True, num_classes=3)
    assert x_train.shape == (200, 4) and x_test.shape == (50, 4) and y_train.shape == (200,)
    assert set(np.unique(y_train)) <= {0, 1, 2}
    # features are centred on the class index: class 2's mean is near 2, class 0's near 0
    assert abs(x_train[y_train == 2].mean() - 2) < 0.3 and abs(x_train[y_train == 0].mean()) < 0.3
    (_, y_reg), _ = get_test_data(num_train=10, num_test=5, output_shape=(2,), classification=False)
    assert y_reg.shape == (10, 2)


def test_keras_test_clears_the_session_even_on_failure():
    @keras_test
    def make_layer():
        return numkeras.layers.Dense(1).name

    assert make_layer() == make_layer() == "dense_1"  # the name counter starts again

    @keras_test
    def failing():
        numkeras.layers.Dense(1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert numkeras.layers.Dense(1).name == "dense_1"
