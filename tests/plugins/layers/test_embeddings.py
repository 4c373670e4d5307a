"""Embedding: lookups, masks, input_length, Keras 1 names, weight gradients."""

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.testing import layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    (dict(input_dim=10, output_dim=3), (2, 4), (2, 4, 3)),
    (dict(input_dim=10, output_dim=3, input_length=4), (2, 4), (2, 4, 3)),
    (dict(input_dim=10, output_dim=2, mask_zero=True), (3, 5), (3, 5, 2)),
    (dict(input_dim=10, output_dim=2, input_length=(2, 3)), (2, 2, 3), (2, 2, 3, 2)),
])
def test_layer(kwargs, input_shape, output_shape):
    layer_test("Embedding", kwargs, input_shape, input_dtype="int32", expected_output_shape=output_shape,
               expected_output_dtype="float32")


def test_lookup_values_and_repeated_ids_gradient():
    from numkeras.backend.ops.embedding import embedding_lookup
    from numkeras.testing.gradcheck import check_gradients

    table = np.arange(12, dtype="float32").reshape(4, 3)
    ids = np.array([[1, 1, 3], [0, 1, 2]])
    np.testing.assert_array_equal(embedding_lookup(table, ids).data, table[ids])
    check_gradients(lambda t: embedding_lookup(t, ids), table)


def test_first_layer_shape_from_input_length():
    model = numkeras.Sequential([layers.Embedding(1000, 64, input_length=10)])
    assert model.output_shape == (None, 10, 64)
    model = numkeras.Sequential([layers.Embedding(1000, 64), layers.LSTM(4)])
    assert model.output_shape == (None, 4)
    out = model.predict(np.random.randint(0, 1000, size=(3, 7)))
    assert out.shape == (3, 4)


def test_mask_zero_produces_a_mask():
    layer = layers.Embedding(5, 2, mask_zero=True)
    ids = np.array([[1, 2, 0], [0, 0, 3]])
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert layers.Embedding(5, 2).compute_mask(ids) is None


def test_keras1_arguments():
    with pytest.warns(DeprecationWarning):
        layer = layers.Embedding(100, 8, init="normal", W_regularizer="l2", dropout=0.5, input_length=4)
    model = numkeras.Sequential([layer])
    assert model.output_shape == (None, 4, 8)
    ids = np.random.randint(0, 100, (6, 4))
    out = layer(ids, training=True).data
    zero_rows = np.all(out == 0, axis=-1)
    assert zero_rows.any()
    assert len(layer.losses) == 1


def test_out_of_range_and_bad_arguments():
    layer = layers.Embedding(5, 2, name="words")
    with pytest.raises(ValueError, match=r"words.*id 7 is out of range"):
        layer(np.array([[1, 7]]))
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 2)
    with pytest.raises(TypeError, match="required"):
        layers.Embedding(10)


def test_training_with_float_ids_from_fit():
    model = numkeras.Sequential([layers.Embedding(20, 4, input_length=3), layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(np.random.randint(0, 20, (16, 3)), np.random.rand(16, 1), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
