"""Attention, AdditiveAttention, MultiHeadAttention: tf_keras parity (values written by tf_keras 2.21),
masks as tf.keras applies them, float64 gradient checks, configs and the functional API."""

import json

import numpy as np
import pytest

import numkeras
from numkeras import layers
from tests.helpers import tf_keras_references as references
from numkeras.testing import check_layer_gradients, float64
from numkeras.testing import layer_test

ATTENTION_CASES = references.layer_cases("attention") + references.layer_cases("additive_attention")
MHA_CASES = references.layer_cases("mha")


@pytest.mark.parametrize("name", ATTENTION_CASES + MHA_CASES)
def test_matches_tf_keras(name):
    layer, outputs, expected = references.replay_layer(name)
    assert len(outputs) == len(expected), f"{name}: {len(outputs)} outputs, tf_keras gave {len(expected)}"
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, err_msg=name, **references.TOLERANCE)


@pytest.mark.parametrize("name", ATTENTION_CASES + MHA_CASES)
def test_weights_are_laid_out_as_in_tf_keras(name):
    layer, _, _ = references.replay_layer(name)
    tf_shapes = [w.shape for w in references._series(name, "w")]
    assert [tuple(w.shape) for w in layer.weights] == [tuple(s) for s in tf_shapes]


def test_reference_masks_really_mask_something():
    # Otherwise the parity tests above would not test the masking at all.
    for name in ("attention_dot", "attention_concat", "additive_attention", "mha_cross_masks"):
        masks = references._series(name, "mask")
        assert any(not m.all() for m in masks), name
    assert not references.array("mha_self", "attention_mask").all()


def test_masked_values_get_no_weight_and_masked_queries_give_zeros():
    rng = np.random.default_rng(0)
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    query_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    value_mask = np.array([[1, 0, 1, 0, 1], [1, 1, 1, 1, 0]], bool)
    for layer in (layers.Attention(), layers.AdditiveAttention()):
        out, scores = layer([q, v], mask=[query_mask, value_mask], return_attention_scores=True)
        scores = scores.data
        assert np.all(scores[~np.broadcast_to(value_mask[:, None, :], scores.shape)] < 1e-6)
        np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(out.data[0, 2], 0.0)
        unmasked = layer([q, v], mask=[None, value_mask]).data
        assert np.all(unmasked[0, 2] != 0)  # the query mask, and only it, zeroes that row


def test_causal_mask_attends_only_to_the_past():
    x = np.random.default_rng(1).normal(size=(1, 4, 3)).astype("float32")
    _, scores = layers.Attention()([x, x], use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(scores.data[0], k=1) == 0)
    _, scores = layers.Attention(causal=True)([x, x], return_attention_scores=True)
    assert np.all(np.triu(scores.data[0], k=1) == 0)
    _, scores = layers.MultiHeadAttention(2, 2)(x, x, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(scores.data[0, 1], k=1) == 0)


def test_masks_flow_through_a_functional_model_as_in_eager_calls():
    tokens = numkeras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 4, mask_zero=True)(tokens)
    attended = layers.Attention(name="att")([embedded, embedded])
    mha = layers.MultiHeadAttention(2, 3, name="mha")(embedded, embedded)
    model = numkeras.Model(tokens, [attended, mha])
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]])
    att_graph, mha_graph = model.predict(ids)
    vectors = model.layers[1](ids).data
    mask = ids != 0
    att_eager = model.get_layer("att")([vectors, vectors], mask=[mask, mask]).data
    mha_eager = model.get_layer("mha")(vectors, vectors, mask=[mask, mask]).data
    np.testing.assert_allclose(att_graph, att_eager, rtol=1e-6)
    np.testing.assert_allclose(mha_graph, mha_eager, rtol=1e-6)
    np.testing.assert_array_equal(att_graph[1, 2:], 0.0)  # masked queries
    unmasked = model.get_layer("mha")(vectors, vectors).data
    assert not np.allclose(mha_graph, unmasked)


@pytest.mark.parametrize("kwargs", [{}, {"use_scale": True}, {"score_mode": "concat", "use_scale": True},
                                    {"score_mode": "concat"}])
def test_attention_layer_test(kwargs):
    layer_test("Attention", kwargs, [(2, 3, 4), (2, 5, 4)], expected_output_shape=(None, 3, 4))
    layer_test("Attention", kwargs, [(2, 3, 4), (2, 5, 4), (2, 5, 4)], expected_output_shape=(None, 3, 4))


@pytest.mark.parametrize("kwargs", [{}, {"use_scale": False}])
def test_additive_attention_layer_test(kwargs):
    layer_test("AdditiveAttention", kwargs, [(2, 3, 4), (2, 5, 4), (2, 5, 4)], expected_output_shape=(None, 3, 4))


@pytest.mark.parametrize("cls, kwargs", [("Attention", {"use_scale": True}), ("Attention", {"score_mode": "concat"}),
                                         ("AdditiveAttention", {})])
def test_gradients_with_masks_and_causal(cls, kwargs):
    rng = np.random.default_rng(2)
    with float64():
        layer = getattr(layers, cls)(**kwargs)
        inputs = [rng.normal(size=(2, 4, 3)) for _ in range(3)]
        masks = [np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool), np.array([[1, 0, 1, 1], [1, 1, 0, 1]], bool)]
        layer(inputs)
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
        check_layer_gradients(layer, inputs, mask=masks, use_causal_mask=True)


@pytest.mark.parametrize("kwargs, shapes", [
    ({"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 5, 6), (2, 5, 6)]),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 5}, [(2, 3, 6), (2, 5, 4), (2, 5, 7)]),
    ({"num_heads": 1, "key_dim": 2, "use_bias": False, "output_shape": (2, 3)}, [(2, 3, 4)] * 3),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, [(2, 3, 2, 4)] * 3),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": 2}, [(2, 3, 2, 4)] * 3),
])
def test_multi_head_attention_layer_test(kwargs, shapes):
    expected = (None,) + shapes[0][1:-1] + (kwargs.get("output_shape") if isinstance(kwargs.get("output_shape"), tuple)
                                             else (kwargs.get("output_shape") or shapes[0][-1],))
    layer_test("MultiHeadAttention", kwargs, shapes, expected_output_shape=expected, atol=1e-5, rtol=1e-4)


def test_multi_head_attention_gradients_with_masks():
    rng = np.random.default_rng(3)
    with float64():
        layer = layers.MultiHeadAttention(2, 3, value_dim=2)
        q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
        attention_mask = np.ones((2, 3, 5), bool)
        attention_mask[0, :, 3:] = False
        layer([q, v, v, attention_mask])
        layer.set_weights([rng.uniform(-0.7, 0.7, w.shape) for w in layer.get_weights()])
        # A masked query masks its whole row, whose scores then sit at -1e9, where float64 cannot resolve
        # finite differences: the value and key masks are checked, with the causal mask.
        value_mask = np.array([[1, 1, 0, 1, 0], [1, 0, 1, 1, 1]], bool)
        check_layer_gradients(layer, [q, v, v], mask=[None, value_mask, value_mask], use_causal_mask=True)


def test_multi_head_attention_functional_model_saves_and_loads(tmp_path):
    query, value = numkeras.Input((4, 6)), numkeras.Input((5, 6))
    mask = numkeras.Input((4, 5), dtype="bool")
    output, scores = layers.MultiHeadAttention(2, 3, name="mha")(query, value, attention_mask=mask,
                                                                 return_attention_scores=True)
    model = numkeras.Model([query, value, mask], [output, scores])
    assert scores.shape == (None, 2, 4, 5)
    rng = np.random.default_rng(4)
    data = [rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 5, 6)), rng.uniform(size=(2, 4, 5)) < 0.7]
    data[2][..., 0] = True
    expected = model.predict(data)
    path = str(tmp_path / "mha.h5")
    model.save(path)
    loaded = numkeras.models.load_model(path, compile=False)
    for got, want in zip(loaded.predict(data), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    clone = numkeras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(data)[0], expected[0], rtol=1e-6)


def test_config_holds_tf_keras_keys_and_round_trips_through_json():
    layer = layers.MultiHeadAttention(2, 3, output_shape=4)
    x = np.zeros((1, 3, 5), "float32")
    layer(x, x)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["query_shape"] == [1, 3, 5] and config["attention_axes"] == [1] and config["value_dim"] == 3
    clone = layers.MultiHeadAttention.from_config(config)
    assert clone.built and [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_dropout_only_in_training():
    x = np.random.default_rng(5).normal(size=(2, 6, 4)).astype("float32")
    layer = layers.Attention(dropout=0.5)
    np.testing.assert_array_equal(layer([x, x]).data, layer([x, x]).data)
    assert not np.allclose(layer([x, x], training=True).data, layer([x, x]).data)
    mha = layers.MultiHeadAttention(2, 2, dropout=0.5)
    np.testing.assert_array_equal(mha(x, x).data, mha(x, x).data)
    assert not np.allclose(mha(x, x, training=True).data, mha(x, x).data)


def test_bad_arguments_and_inputs():
    x = np.zeros((2, 3, 4), "float32")
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"\[query, value\]"):
        layers.Attention()(x)
    with pytest.raises(ValueError, match="mask"):
        layers.Attention()([x, x], mask=[None])
    with pytest.raises(ValueError, match="dropout"):
        layers.MultiHeadAttention(2, 2, dropout=1.5)
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 2)
    with pytest.raises(TypeError, match="value"):
        layers.MultiHeadAttention(2, 2)(x)
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(0,))
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(2,))(x, x)


def test_a_tf_keras_functional_model_config_with_tensor_call_arguments_loads_and_predicts():
    # tf_keras 2.21 records MultiHeadAttention's value and attention_mask inside its node's kwargs.
    name = "functional_attention_model"
    entry = references.case(name)
    config = json.loads(entry["model_json"])
    for layer in config["config"]["layers"]:  # InputLayer's `optional` (always False) is the config reader's
        if layer["class_name"] == "InputLayer" and layer["config"].get("optional") is False:  # business
            del layer["config"]["optional"]
    model = numkeras.models.model_from_json(json.dumps(config))
    assert [type(l).__name__ for l in model.layers][-4:] == ["LayerNormalization", "Attention",
                                                             "MultiHeadAttention", "Rescaling"]
    model.set_weights([references.array(name, f"w{i}") for i in range(entry["weights"])])
    inputs = [references.array(name, f"x{i}") for i in range(entry["inputs"])]
    np.testing.assert_allclose(model.predict(inputs), references.array(name, "y0"), **references.TOLERANCE)
