"""Merge layers and their functional forms."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test

CASES = [
    ("Add", {}, [(2, 3, 4), (2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ("Subtract", {}, [(2, 4), (2, 4)], (2, 4)),
    ("Multiply", {}, [(2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ("Average", {}, [(2, 4), (2, 4), (2, 4)], (2, 4)),
    ("Maximum", {}, [(2, 4), (2, 4)], (2, 4)),
    ("Minimum", {}, [(2, 4), (2, 4)], (2, 4)),
    ("Add", {}, [(2, 3, 4), (2, 4)], (2, 3, 4)),
    ("Concatenate", {}, [(2, 3, 4), (2, 3, 2)], (2, 3, 6)),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 1, 4)], (2, 4, 4)),
    ("Dot", {"axes": 1}, [(2, 4), (2, 4)], (2, 1)),
    ("Dot", {"axes": 1, "normalize": True}, [(2, 4), (2, 4)], (2, 1)),
    ("Dot", {"axes": (2, 2)}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ("Dot", {"axes": (1, 2)}, [(2, 3), (2, 4, 3)], (2, 4)),
]


@pytest.mark.parametrize("name, kwargs, input_shapes, output_shape", CASES)
def test_layer(name, kwargs, input_shapes, output_shape):
    layer_test(name, kwargs, input_shapes, expected_output_shape=output_shape)


def test_values():
    a = np.array([[1.0, 5.0]], dtype="float32")
    b = np.array([[3.0, 2.0]], dtype="float32")
    assert layers.Add()([a, b]).data.tolist() == [[4, 7]]
    assert layers.Subtract()([a, b]).data.tolist() == [[-2, 3]]
    assert layers.Average()([a, b]).data.tolist() == [[2, 3.5]]
    assert layers.Maximum()([a, b]).data.tolist() == [[3, 5]]
    assert layers.Minimum()([a, b]).data.tolist() == [[1, 2]]
    assert layers.Dot(axes=1)([a, b]).data.tolist() == [[13]]
    np.testing.assert_allclose(layers.Dot(axes=1, normalize=True)([a, a]).data, [[1]], rtol=1e-6)


@pytest.mark.parametrize("function, expected_shape", [
    ("add", (None, 8)), ("subtract", (None, 8)), ("multiply", (None, 8)), ("average", (None, 8)),
    ("maximum", (None, 8)), ("minimum", (None, 8)), ("concatenate", (None, 16)),
])
def test_functional_forms(function, expected_shape):
    a, b = numkeras.Input((8,)), numkeras.Input((8,))
    merged = getattr(numkeras.layers, function)([a, b])
    assert merged.shape == expected_shape
    model = numkeras.Model([a, b], merged)
    assert model.predict([np.ones((2, 8)), np.ones((2, 8))]).shape == (2,) + expected_shape[1:]


def test_dot_function():
    a, b = numkeras.Input((8,)), numkeras.Input((8,))
    assert numkeras.layers.dot([a, b], axes=1).shape == (None, 1)


def test_keras1_merge():
    a, b = numkeras.Input((4,)), numkeras.Input((4,))
    with pytest.warns(DeprecationWarning, match="Concatenate"):
        merged = numkeras.layers.merge([a, b], mode="concat", concat_axis=-1)
    assert merged.shape == (None, 8)
    with pytest.warns(DeprecationWarning):
        assert numkeras.layers.merge([a, b], mode="cos", dot_axes=1).shape == (None, 1)
    with pytest.raises(ValueError, match="unknown mode"):
        numkeras.layers.merge([a, b], mode="xor")


def test_masks_are_combined():
    x = np.zeros((1, 3, 2), dtype="float32")
    m1, m2 = np.array([[True, True, False]]), np.array([[True, False, True]])
    np.testing.assert_array_equal(layers.Add().compute_mask([x, x], [m1, m2]), [[True, False, False]])
    np.testing.assert_array_equal(layers.Concatenate().compute_mask([x, x], [m1, None]), m1)
    np.testing.assert_array_equal(layers.Concatenate(axis=1).compute_mask([x, x], [m1, m2]),
                                  [[True, True, False, True, False, True]])


@pytest.mark.parametrize("layer, shapes, message", [
    (layers.Add, [(None, 3), (None, 4)], "could not be broadcast"),
    (layers.Subtract, [(None, 3), (None, 3), (None, 3)], "exactly 2"),
    (layers.Concatenate, [(None, 3, 2), (None, 4, 2)], "matching shapes"),
    (layers.Add, [(None, 3)], "at least 2"),
])
def test_incompatible_inputs(layer, shapes, message):
    with pytest.raises(ValueError, match=message):
        layer()([numkeras.Input(s[1:]) for s in shapes])


def test_single_input_is_rejected():
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(numkeras.Input((3,)))
    with pytest.raises(ValueError, match="dimension incompatibility"):
        layers.Dot(axes=1)([numkeras.Input((3,)), numkeras.Input((4,))])
