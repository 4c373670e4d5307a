"""Convolution layers: one table row per configuration through ``layer_test``, plus Keras 1 names and errors."""

import warnings

import numpy as np
import pytest

import numkeras
from numkeras.layers import Conv1D, Conv2D, Input
from numkeras.testing import layer_test

CASES = [
    ("Conv1D", dict(filters=2, kernel_size=3), (2, 6, 3), (2, 4, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2, activation="tanh"), (2, 6, 3), (2, 6, 2)),
    ("Conv1D", dict(filters=2, kernel_size=2, strides=2, padding="same", use_bias=False), (2, 5, 3), (2, 3, 2)),
    ("Conv2D", dict(filters=2, kernel_size=3), (2, 5, 6, 3), (2, 3, 4, 2)),
    ("Conv2D", dict(filters=3, kernel_size=2, activation="relu"), (2, 4, 4, 2), (2, 3, 3, 3)),
    ("Conv2D", dict(filters=2, kernel_size=(3, 2), strides=2, padding="same", activation="tanh"), (2, 5, 5, 3), (2, 3, 3, 2)),
    ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (2, 5, 5, 2), (2, 5, 5, 2)),
    ("Conv2D", dict(filters=2, kernel_size=3, data_format="channels_first"), (2, 3, 5, 5), (2, 2, 3, 3)),
    ("Conv2D", dict(filters=2, kernel_size=2, padding="full"), (2, 3, 3, 2), (2, 4, 4, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2, padding="same"), (1, 3, 3, 3, 2), (1, 3, 3, 3, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first"), (1, 2, 3, 4, 3), (1, 2, 2, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 3, 3, 3), (2, 6, 6, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2), (2, 3, 3, 3), (2, 7, 7, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same", output_padding=1), (2, 3, 3, 2), (2, 6, 6, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 3, 3, 3), (2, 2, 4, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (1, 2, 2, 2, 2), (1, 4, 4, 4, 2)),
    ("SeparableConv1D", dict(filters=2, kernel_size=3, depth_multiplier=2, padding="same"), (2, 5, 3), (2, 5, 2)),
    ("SeparableConv2D", dict(filters=2, kernel_size=3, depth_multiplier=2), (2, 5, 5, 3), (2, 3, 3, 2)),
    ("SeparableConv2D", dict(filters=2, kernel_size=3, strides=2, data_format="channels_first"), (2, 2, 5, 5), (2, 2, 2, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 4, 4, 3), (2, 4, 4, 6)),
    ("DepthwiseConv2D", dict(kernel_size=2, strides=2, data_format="channels_first"), (2, 3, 4, 4), (2, 3, 2, 2)),
]


@pytest.mark.parametrize("name, kwargs, input_shape, output_shape", CASES)
def test_layer(name, kwargs, input_shape, output_shape):
    layer_test(name, kwargs, input_shape, expected_output_shape=output_shape)


def test_seed_001_keras1_convolution2d_th_ordering():
    model = numkeras.Sequential()
    with pytest.warns(DeprecationWarning, match="border_mode"):
        model.add(numkeras.layers.Convolution2D(64, 3, 3, border_mode="same", dim_ordering="th",
                                                input_shape=(3, 256, 256)))
    assert model.output_shape == (None, 64, 256, 256)
    assert model.layers[0].kernel.shape == (3, 3, 3, 64)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(nb_filter=4, nb_row=3, nb_col=2, subsample=(2, 2), init="he_normal", W_regularizer="l2", bias=False),
     dict(filters=4, kernel_size=(3, 2), strides=(2, 2), use_bias=False)),
    (dict(nb_filter=4, nb_row=3, nb_col=3, border_mode="valid", dim_ordering="tf", b_constraint="non_neg"),
     dict(filters=4, kernel_size=(3, 3), padding="valid", data_format="channels_last")),
])
def test_keras1_keywords_are_converted_with_warnings(kwargs, expected):
    with pytest.warns(DeprecationWarning):
        layer = numkeras.layers.Convolution2D(**kwargs)
    config = layer.get_config()
    for key, value in expected.items():
        assert config[key] == value
    if "W_regularizer" in kwargs:
        assert layer.kernel_regularizer is not None


def test_keras1_convolution1d_and_pooling1d():
    with pytest.warns(DeprecationWarning):
        conv = numkeras.layers.Convolution1D(nb_filter=8, filter_length=3, subsample_length=1, border_mode="same",
                                             input_dim=5, input_length=20, activation="relu")
        pool = numkeras.layers.MaxPooling1D(pool_length=2, stride=2)
    model = numkeras.Sequential([conv, pool])
    assert model.output_shape == (None, 10, 8)


def test_keras1_convolution3d_and_deconvolution2d():
    with pytest.warns(DeprecationWarning):
        conv = numkeras.layers.Convolution3D(4, 2, 2, 2, border_mode="same")
    assert conv.kernel_size == (2, 2, 2)
    with pytest.warns(DeprecationWarning):
        deconv = numkeras.layers.Deconvolution2D(3, 3, 3, output_shape=(None, 8, 8, 3), subsample=(2, 2),
                                                 border_mode="same")
    assert deconv.compute_output_shape((None, 4, 4, 2)) == (None, 8, 8, 3)


def test_atrous_convolution2d_is_dilated():
    with pytest.warns(DeprecationWarning, match="atrous_rate"):
        layer = numkeras.layers.AtrousConvolution2D(2, 3, 3, atrous_rate=(2, 2))
    assert layer.dilation_rate == (2, 2)
    assert layer.compute_output_shape((None, 9, 9, 1)) == (None, 5, 5, 2)


def test_keras2_positional_strides_are_strides():
    layer = Conv2D(8, 3, 2)
    assert layer.kernel_size == (3, 3) and layer.strides == (2, 2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=-1, kernel_size=3), "filters must be a positive integer"),
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=2, kernel_size=(3, 0)), "kernel_size"),
    (dict(filters=2, kernel_size=3, strides=0), "strides"),
    (dict(filters=2, kernel_size=3, padding="sideways"), "padding must be one of"),
    (dict(filters=2, kernel_size=3, data_format="channels_middle"), "data_format"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate"),
])
def test_invalid_arguments_raise_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(**kwargs)


def test_missing_arguments():
    with pytest.raises(TypeError, match="filters and kernel_size"):
        Conv2D(8)


def test_wrong_rank_names_layer_and_shapes():
    layer = Conv2D(4, 3, name="my_conv")
    with pytest.raises(ValueError, match=r"my_conv.*expected ndim=4, found ndim=3"):
        layer(Input(shape=(28, 28)))
    with pytest.raises(ValueError, match=r"my_conv.*expected ndim=4.*found ndim=3"):
        layer(np.zeros((2, 28, 28), dtype="float32"))


def test_wrong_channels_names_layer_and_shapes():
    layer = Conv2D(4, 3, name="rgb_conv")
    layer(np.zeros((1, 8, 8, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"rgb_conv.*axis -1 .* size 3, but it has size 1"):
        layer(np.zeros((1, 8, 8, 1), dtype="float32"))


def test_unknown_channels():
    with pytest.raises(ValueError, match="channel dimension"):
        Conv1D(2, 3)(Input(shape=(10, None)))


def test_legacy_module_path():
    from numkeras.layers.convolutional import Convolution2D as Old

    assert issubclass(Old, numkeras.layers.Conv2D)


def test_regularizers_and_constraints_apply():
    layer = Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer="l1", kernel_constraint="non_neg")
    layer(np.ones((1, 4, 4, 1), dtype="float32"))
    assert len(layer.losses) == 2
    assert layer.kernel.constraint is not None


def test_float32_end_to_end():
    layer = Conv2D(2, 3, padding="same", activation="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layer(np.ones((1, 4, 4, 1)))
    assert out.dtype == np.float32


@pytest.mark.slow
def test_keras_mnist_cnn_reaches_98_percent():
    """Done-when: Keras's mnist_cnn example (Adadelta, batch 128) on the 8,000 / 2,000 t10k split.

    Keras trains 12 epochs on 60,000 images. On 8,000 the test accuracy first passes 98%
    after 4 epochs but wobbles by half a point from epoch to epoch until about the 9th:
    after 8 it measured 98.25% with NumPy's BLAS and 97.95% with oneMKL's (the same
    seed; only rounding differs), after 10 it was 98.85% with both. 10 epochs keep the
    threshold clear of that wobble. Several minutes.
    """
    from numkeras.datasets import mnist
    from numkeras.utils import to_categorical

    numkeras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    model = numkeras.Sequential([
        numkeras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        numkeras.layers.Conv2D(64, (3, 3), activation="relu"),
        numkeras.layers.MaxPooling2D(pool_size=(2, 2)),
        numkeras.layers.Dropout(0.25),
        numkeras.layers.Flatten(),
        numkeras.layers.Dense(128, activation="relu"),
        numkeras.layers.Dropout(0.5),
        numkeras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=numkeras.optimizers.Adadelta(), metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=10, verbose=0, validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.98, f"test accuracy {accuracy:.4f}"
