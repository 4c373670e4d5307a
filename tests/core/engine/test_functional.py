"""The functional API: Input, graphs, shared layers, several inputs/outputs, models as layers."""

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential


def test_graph_runs_layers_in_topological_order():
    inputs = Input(shape=(4,))
    hidden = Dense(3, name="hidden")(inputs)
    out = Dense(2, name="out")(hidden)
    model = Model(inputs=inputs, outputs=out)
    assert [layer.name for layer in model.layers][1:] == ["hidden", "out"]
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    w1, b1, w2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(x), (x @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)
    assert out.shape == (None, 2)
    assert model.get_layer("hidden").output_shape == (None, 3)


def test_shared_layer_has_one_set_of_weights_and_two_nodes():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = Dense(2)
    model = Model([a, b], [shared(a), shared(b)])
    assert len(model.trainable_weights) == 2
    assert len(shared._inbound_nodes) == 2
    x = np.ones((2, 3), "float32")
    first, second = model.predict([x, 2 * x])
    np.testing.assert_allclose(second - shared.get_weights()[1], 2 * (first - shared.get_weights()[1]), rtol=1e-5)


def test_multi_output_training_updates_every_branch():
    inputs = Input(shape=(3,))
    model = Model(inputs, [Dense(1, name="a")(inputs), Dense(1, name="b")(inputs)])
    model.compile(numkeras.optimizers.SGD(lr=0.1), "mse")
    before = model.get_weights()
    model.fit(np.ones((4, 3)), [np.ones((4, 1)), np.zeros((4, 1))], verbose=0)
    assert all(not np.allclose(w0, w1) for w0, w1 in zip(before, model.get_weights()))


def test_model_used_as_a_layer_shares_its_weights():
    inner_input = Input(shape=(3,))
    inner = Model(inner_input, Dense(2)(inner_input), name="inner")
    outer_input = Input(shape=(3,))
    outer = Model(outer_input, Dense(1)(inner(outer_input)))
    assert len(outer.trainable_weights) == 4
    x = np.ones((2, 3), "float32")
    w, b = outer.layers[-1].get_weights()
    np.testing.assert_allclose(outer.predict(x), inner.predict(x) @ w + b, rtol=1e-5)
    outer.compile(numkeras.optimizers.SGD(lr=0.1), "mse")
    before = inner.get_weights()[0].copy()
    outer.fit(x, np.ones((2, 1)), verbose=0)
    assert not np.allclose(before, inner.get_weights()[0])


def test_sequential_inside_functional_and_functional_inside_sequential():
    seq = Sequential([Dense(4, input_dim=3), Dense(2)])
    i = Input(shape=(3,))
    model = Model(i, seq(i))
    np.testing.assert_allclose(model.predict(np.ones((1, 3))), seq.predict(np.ones((1, 3))), rtol=1e-6)
    outer = Sequential([model, Dense(1)])
    assert outer.output_shape == (None, 1)


def test_graph_disconnected_names_the_missing_input():
    a, b = Input(shape=(2,), name="a_in"), Input(shape=(2,), name="b_in")
    out = Dense(1)(numkeras.layers.concatenate([a, b]) if "concatenate" in numkeras.layers.__dir__() else Dense(2)(b))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)


def test_model_inputs_must_be_input_tensors():
    a = Input(shape=(2,))
    hidden = Dense(2)(a)
    with pytest.raises(ValueError, match="must come from Input"):
        Model(hidden, Dense(1)(hidden))


def test_mixing_symbolic_and_real_inputs_is_a_type_error():
    with pytest.raises(TypeError, match="Input"):
        layer = Dense(1)
        layer([Input(shape=(2,)), np.ones((1, 2))])


def test_keras1_input_output_keywords():
    a = Input(shape=(2,))
    with pytest.warns(DeprecationWarning, match="'inputs'"):
        model = Model(input=a, output=Dense(1)(a))
    assert model.output_shape == (None, 1)


def test_wrong_number_of_inputs_at_call_time():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    model = Model([a, b], Dense(1)(a) if False else [Dense(1)(a), Dense(1)(b)])
    with pytest.raises(ValueError, match="expects 2"):
        model.predict(np.ones((1, 2)))


# -- Keras's layer order (what Keras's weights files list) -----------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

from numkeras.engine.functional import keras_layer_order  # noqa: E402


def test_keras_layer_order_is_by_depth_then_by_first_meeting_from_the_outputs():
    """The order tf.keras 2.21 wrote for this graph (tests/data/tf_keras/*/functional_two_io)."""
    from numkeras.layers import Add, Concatenate

    a, b = Input(shape=(4,), name="in_a"), Input(shape=(3,), name="in_b")
    shared = Dense(5, name="shared")
    merged = Concatenate(name="merged")([shared(a), Dense(5, name="proj_b")(b)])
    added = Add(name="add")([shared(a), Dense(5, name="dense_2")(b)])
    outputs = [Dense(1, name="out_a")(merged), Dense(2, name="out_b")(added)]
    assert [layer.name for layer in keras_layer_order(outputs)] == \
        ["in_a", "in_b", "shared", "proj_b", "dense_2", "merged", "add", "out_a", "out_b"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=1, max_size=3), min_size=1, max_size=8))
def test_keras_layer_order_lists_every_layer_once_after_the_layers_feeding_it(wiring):
    """Random graphs: layer i adds some earlier tensors (chosen by the integers modulo i + 1)."""
    from numkeras.layers import Add

    tensors = [Input(shape=(3,))]
    for picks in wiring:
        chosen = list({id(tensors[p % len(tensors)]): tensors[p % len(tensors)] for p in picks}.values())
        tensors.append(Dense(3)(chosen[0]) if len(chosen) == 1 else Add()(chosen))
    model = Model(tensors[0], tensors[-1])
    order = keras_layer_order(model.outputs)
    assert sorted(map(id, order)) == sorted(map(id, model.layers))
    position = {id(layer): i for i, layer in enumerate(order)}
    for layer in order:
        for node in layer._inbound_nodes:
            for inbound in node.inbound_layers:
                if id(inbound) in position and id(layer) in position:
                    assert position[id(inbound)] < position[id(layer)]


def test_model_called_on_a_more_specific_input_keeps_the_known_axes():
    """keras/examples/babi_memnn.py: Sequential encoders built for (None, None) called on (None, 68);
    the recurrent layer after dot / add / Permute / concatenate learns its feature axis."""
    from numkeras.layers import LSTM, Activation, Dropout, Embedding, Permute, add, concatenate, dot

    story, query = Input((68,)), Input((4,))

    def encoder(output_dim, **kwargs):
        return Sequential([Embedding(input_dim=22, output_dim=output_dim, **kwargs), Dropout(0.3)])

    m, c, q = encoder(64)(story), encoder(4)(story), encoder(64, input_length=4)(query)
    assert (m.shape, c.shape, q.shape) == ((None, 68, 64), (None, 68, 4), (None, 4, 64))
    match = Activation("softmax")(dot([m, q], axes=(2, 2)))
    response = Permute((2, 1))(add([match, c]))
    answer = concatenate([response, q])
    assert (match.shape, response.shape, answer.shape) == ((None, 68, 4), (None, 4, 68), (None, 4, 132))
    model = Model([story, query], Dense(22, activation="softmax")(LSTM(32)(answer)))
    x = [np.random.RandomState(0).randint(0, 22, size=(3, 68)), np.random.RandomState(1).randint(0, 22, size=(3, 4))]
    assert model.predict(x).shape == (3, 22)
