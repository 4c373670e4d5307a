"""Pooling layers: table rows through ``layer_test``, the seed 004 summary, Keras 1 names and errors."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("MaxPooling1D", dict(), (2, 6, 3), (2, 3, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 5, 3), (2, 5, 3)),
    ("AveragePooling1D", dict(pool_size=2, strides=1), (2, 5, 3), (2, 4, 3)),
    ("MaxPooling2D", dict(), (2, 4, 6, 3), (2, 2, 3, 3)),
    ("MaxPooling2D", dict(pool_size=3), (2, 7, 7, 2), (2, 2, 2, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding="same", data_format="channels_first"),
     (2, 2, 5, 5), (2, 2, 5, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 5, 5, 2), (2, 3, 3, 2)),
    ("AveragePooling2D", dict(data_format="channels_first"), (2, 2, 4, 4), (2, 2, 2, 2)),
    ("MaxPooling3D", dict(), (1, 4, 4, 4, 2), (1, 2, 2, 2, 2)),
    ("AveragePooling3D", dict(pool_size=2, strides=1, padding="same"), (1, 3, 3, 3, 2), (1, 3, 3, 3, 2)),
    ("GlobalMaxPooling1D", dict(), (2, 5, 3), (2, 3)),
    ("GlobalAveragePooling1D", dict(), (2, 5, 3), (2, 3)),
    ("GlobalMaxPooling2D", dict(), (2, 4, 3, 3), (2, 3)),
    ("GlobalAveragePooling2D", dict(data_format="channels_first"), (2, 3, 4, 4), (2, 3)),
    ("GlobalMaxPooling3D", dict(), (1, 2, 3, 2, 3), (1, 3)),
    ("GlobalAveragePooling3D", dict(), (1, 2, 3, 2, 3), (1, 3)),
    ("MaxPool2D", dict(), (1, 4, 4, 1), (1, 2, 2, 1)),
    # keepdims (tf.keras 2.6+): the reduced axes stay, with length 1
    ("GlobalMaxPooling1D", dict(keepdims=True), (2, 5, 3), (2, 1, 3)),
    ("GlobalAveragePooling1D", dict(keepdims=True), (2, 5, 3), (2, 1, 3)),
    ("GlobalAveragePooling2D", dict(keepdims=True, data_format="channels_first"), (2, 3, 4, 4), (2, 3, 1, 1)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 4, 3, 3), (2, 1, 1, 3)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 2, 3, 2, 3), (1, 1, 1, 1, 3)),
]


@pytest.mark.parametrize("name, kwargs, input_shape, output_shape", CASES)
def test_layer(name, kwargs, input_shape, output_shape):
    layer_test(name, kwargs, input_shape, expected_output_shape=output_shape)


def test_seed_004_summary_shapes_and_parameter_count():
    model = numkeras.Sequential()
    model.add(numkeras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    expected = [
        ("conv2d_1 (Conv2D)", "(None, 123, 123, 32)", "2432"),
        ("conv2d_2 (Conv2D)", "(None, 121, 121, 32)", "9248"),
        ("max_pooling2d_1 (MaxPooling2", "(None, 40, 40, 32)", "0"),
        ("conv2d_3 (Conv2D)", "(None, 38, 38, 32)", "9248"),
        ("conv2d_4 (Conv2D)", "(None, 36, 36, 32)", "9248"),
        ("max_pooling2d_2 (MaxPooling2", "(None, 12, 12, 32)", "0"),
        ("conv2d_5 (Conv2D)", "(None, 10, 10, 32)", "9248"),
        ("conv2d_6 (Conv2D)", "(None, 8, 8, 32)", "9248"),
        ("max_pooling2d_3 (MaxPooling2", "(None, 4, 4, 32)", "0"),
        ("global_max_pooling2d_1 (Globa", "(None, 32)", "0"),
        ("dense_1 (Dense)", "(None, 10)", "330"),
    ]
    rows = [line for line in lines if line and line[0].isalpha() and "(" in line and "Model" not in line]
    for (name, shape, params), row in zip(expected, rows[1:]):
        assert row.split()[0] == name.split()[0], row
        assert shape in row and row.rstrip().endswith(params), row
    assert "Total params: 49,002" in text
    assert "Trainable params: 49,002" in text
    out = model.predict(np.random.rand(2, 250, 250, 3).astype("float32"))
    assert out.shape == (2, 10)


def test_masked_global_average_pooling_1d():
    x = np.arange(12, dtype="float32").reshape(1, 4, 3)
    mask = np.array([[True, True, False, False]])
    out = layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(out.data, x[:, :2].mean(axis=1))


def test_masked_global_average_pooling_1d_keepdims():
    x = np.arange(12, dtype="float32").reshape(1, 4, 3)
    mask = np.array([[True, False, True, False]])
    out = layers.GlobalAveragePooling1D(keepdims=True)(x, mask=mask)
    np.testing.assert_allclose(out.data, x[:, [0, 2]].mean(axis=1, keepdims=True))


def test_keepdims_must_be_a_bool():
    with pytest.raises(TypeError, match="keepdims"):
        layers.GlobalMaxPooling2D(keepdims="yes")


def test_keras1_pooling_arguments():
    with pytest.warns(DeprecationWarning, match="border_mode"):
        layer = layers.MaxPooling2D(pool_size=(2, 2), border_mode="same", dim_ordering="th")
    assert layer.padding == "same" and layer.data_format == "channels_first"
    assert layer.compute_output_shape((None, 3, 5, 5)) == (None, 3, 3, 3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(pool_size=0), "pool_size"),
    (dict(pool_size=2, strides=0), "strides"),
    (dict(padding="full"), "padding"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.MaxPooling2D(**kwargs)


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"max_pooling2d_1.*expected ndim=4, found ndim=3"):
        layers.MaxPooling2D()(numkeras.Input(shape=(8, 8)))
