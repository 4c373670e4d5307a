"""Sequential: construction, deferred build, add/pop, summary."""

import numpy as np
import pytest

import numkeras
from numkeras.layers import Activation, Dense, Dropout
from numkeras.models import Sequential


def test_list_constructor_and_add_build_the_same_model():
    a = Sequential([Dense(4, input_shape=(3,)), Activation("relu"), Dense(2)])
    b = Sequential()
    b.add(Dense(4, input_dim=3))
    b.add(Activation("relu"))
    b.add(Dense(2))
    assert a.output_shape == b.output_shape == (None, 2)
    assert a.count_params() == b.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_batch_input_shape_fixes_the_batch_axis():
    model = Sequential([Dense(2, batch_input_shape=(8, 3))])
    assert model.input_shape == (8, 3)


def test_deferred_build_from_the_first_data():
    model = Sequential([Dense(4), Dense(1)])
    assert not model.built or not model.weights
    model.compile("sgd", "mse")
    model.fit(np.ones((6, 5)), np.ones((6, 1)), verbose=0)
    assert model.layers[0].get_weights()[0].shape == (5, 4)
    assert model.input_shape == (None, 5)


def test_build_with_an_explicit_shape():
    model = Sequential([Dense(4)])
    model.build((None, 7))
    assert model.count_params() == 7 * 4 + 4


def test_layers_excludes_the_implicit_input_layer_and_pop_removes_the_last():
    model = Sequential([Dense(4, input_dim=3), Dense(2), Dense(1)])
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense", "Dense"]
    model.pop()
    assert model.output_shape == (None, 2)


def test_duplicate_layer_names_and_non_layers_are_rejected():
    model = Sequential([Dense(2, input_dim=2, name="same")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="same"))
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("relu")


def test_summary_prints_the_keras_table():
    model = Sequential([Dense(32, input_dim=784, name="dense_a"), Dropout(0.2, name="drop"), Dense(10, name="dense_b")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0].startswith('Model: "sequential')
    assert "dense_a (Dense)              (None, 32)                25120" in text
    assert "Total params: 25,450" in text
    assert "Trainable params: 25,450" in text
    assert "Non-trainable params: 0" in text


def test_summary_of_an_unbuilt_model_explains_how_to_build_it():
    with pytest.raises(ValueError, match="not yet been built"):
        Sequential([Dense(2)]).summary()


def test_non_trainable_layers_are_counted_apart_and_not_updated():
    model = Sequential([Dense(3, input_dim=2), Dense(1)])
    model.layers[0].trainable = False
    model.compile(numkeras.optimizers.SGD(lr=0.5), "mse")
    frozen = model.layers[0].get_weights()
    model.fit(np.ones((4, 2)), np.ones((4, 1)) * 3, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 9" in "\n".join(lines)
