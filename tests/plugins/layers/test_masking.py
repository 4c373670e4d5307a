"""Masking."""

import numpy as np

from numkeras import layers
from numkeras.testing import layer_test


def test_layer():
    layer_test("Masking", dict(mask_value=0.5), (2, 4, 3))


def test_mask_and_zeroed_output():
    x = np.array([[[1, 2], [0, 0], [3, 0]]], dtype="float32")
    layer = layers.Masking()
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    np.testing.assert_array_equal(layer(x).data, x)
    x[0, 1] = [5, 5]
    np.testing.assert_array_equal(layers.Masking(5.0)(x).data[0, 1], [0, 0])
