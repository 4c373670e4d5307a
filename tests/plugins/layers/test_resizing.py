"""ZeroPadding, Cropping and UpSampling layers."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("ZeroPadding1D", dict(padding=2), (2, 3, 2), (2, 7, 2)),
    ("ZeroPadding1D", dict(padding=(1, 2)), (2, 3, 2), (2, 6, 2)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 1))), (2, 3, 3, 2), (2, 4, 6, 2)),
    ("ZeroPadding2D", dict(padding=1, data_format="channels_first"), (2, 2, 3, 3), (2, 2, 5, 5)),
    ("ZeroPadding3D", dict(padding=(1, 0, 1)), (1, 2, 2, 2, 1), (1, 4, 2, 4, 1)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 2), (2, 3, 2)),
    ("Cropping2D", dict(cropping=((1, 0), (1, 2))), (2, 4, 5, 2), (2, 3, 2, 2)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 2, 4, 4), (2, 2, 2, 2)),
    ("Cropping3D", dict(cropping=1), (1, 3, 4, 3, 1), (1, 1, 2, 1, 1)),
    ("UpSampling1D", dict(size=3), (2, 3, 2), (2, 9, 2)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 2, 2, 2), (2, 4, 6, 2)),
    ("UpSampling2D", dict(size=2, data_format="channels_first"), (2, 2, 2, 3), (2, 2, 4, 6)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear"), (2, 3, 2, 2), (2, 6, 4, 2)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear", data_format="channels_first"), (1, 2, 2, 3),
     (1, 2, 4, 9)),
    ("UpSampling3D", dict(size=2), (1, 2, 1, 2, 1), (1, 4, 2, 4, 1)),
]


@pytest.mark.parametrize("name, kwargs, input_shape, output_shape", CASES)
def test_layer(name, kwargs, input_shape, output_shape):
    layer_test(name, kwargs, input_shape, expected_output_shape=output_shape)


def test_values():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(layers.UpSampling2D()(x).data[0, :, :, 0],
                                  [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(layers.ZeroPadding2D(((1, 0), (0, 1)))(x).data[0, :, :, 0],
                                  [[0, 0, 0], [0, 1, 0], [2, 3, 0]])
    np.testing.assert_array_equal(layers.Cropping2D(((1, 0), (0, 1)))(x).data[0, :, :, 0], [[2]])
    bilinear = layers.UpSampling2D(interpolation="bilinear")(x).data[0, :, :, 0]
    np.testing.assert_allclose(bilinear[0], [0, 0.5, 1, 1])
    np.testing.assert_allclose(bilinear[:, 0], [0, 1, 2, 2])


@pytest.mark.parametrize("factory, message", [
    (lambda: layers.ZeroPadding2D(padding=-1), "padding"),
    (lambda: layers.Cropping2D(cropping=((1, 2, 3), (0, 0))), "cropping"),
    (lambda: layers.UpSampling2D(size=0), "size"),
    (lambda: layers.UpSampling2D(interpolation="cubic"), "interpolation"),
    (lambda: layers.ZeroPadding2D(data_format="nchw"), "data_format"),
])
def test_invalid_arguments(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_cropping_too_much():
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping1D(3)(np.zeros((1, 5, 1), dtype="float32"))
