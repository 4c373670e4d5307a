"""Model configs in Keras 2's format (numkeras/engine/serialization.py)."""

import json

import numpy as np
import pytest

from numkeras.engine import serialization
from numkeras.layers import Dense, Input, InputLayer
from numkeras.models import Model, Sequential
from numkeras.registry import UnknownComponentError


def _weights_equal(a, b):
    b.set_weights(a.get_weights())


def test_functional_config_format():
    a = Input(shape=(4,), name="a")
    b = Input(shape=(4,), name="b")
    shared = Dense(3, name="shared")
    out = Dense(1, name="out")(shared(b))
    model = Model([a, b], [shared(a), out], name="m")
    config = model.get_config()
    assert config["name"] == "m"
    assert [l["name"] for l in config["layers"]] == ["a", "b", "shared", "out"]
    entry = config["layers"][2]
    assert entry["class_name"] == "Dense" and entry["config"]["units"] == 3
    assert entry["inbound_nodes"] == [[["b", 0, 0, {}]], [["a", 0, 0, {}]]]
    assert config["layers"][0]["inbound_nodes"] == []
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["shared", 1, 0], ["out", 0, 0]]
    json.dumps(config)


def test_functional_round_trip_with_shared_layers_and_nested_models():
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    x = Input(shape=(3,), name="x")
    y = inner(x)
    z = inner(Dense(3, name="back")(x))
    model = Model(x, [y, z])
    config = model.get_config()
    inbound = {l["name"]: l["inbound_nodes"] for l in config["layers"]}
    assert inbound["inner"] == [[["x", 0, 0, {}]], [["back", 0, 0, {}]]]
    assert config["output_layers"] == [["inner", 1, 0], ["inner", 2, 0]]  # Keras numbers nested calls from 1
    rebuilt = Model.from_config(config)
    _weights_equal(model, rebuilt)
    data = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    for p, q in zip(model.predict(data), rebuilt.predict(data)):
        np.testing.assert_array_equal(p, q)


def test_call_kwargs_are_kept():
    class Scale(Dense):
        def call(self, inputs, factor=1.0):
            return super().call(inputs) * factor

    from numkeras.registry import custom_object_scope

    x = Input(shape=(2,))
    model = Model(x, Scale(2, name="scale")(x, factor=3.0))
    config = model.get_config()
    assert config["layers"][1]["inbound_nodes"] == [[[x._keras_history[0].name, 0, 0, {"factor": 3.0}]]]
    with custom_object_scope({"Scale": Scale}):
        rebuilt = Model.from_config(config)
    _weights_equal(model, rebuilt)
    data = np.ones((2, 2), dtype="float32")
    np.testing.assert_array_equal(model.predict(data), rebuilt.predict(data))


def test_sequential_config_formats():
    model = Sequential([Dense(3, input_dim=2, name="d1"), Dense(1, name="d2")], name="s")
    config = model.get_config()
    assert config["name"] == "s"
    assert [l["class_name"] for l in config["layers"]] == ["Dense", "Dense"]
    assert config["layers"][0]["config"]["batch_input_shape"] == [None, 2]
    assert "build_input_shape" not in config
    keras21 = config["layers"]  # Keras <= 2.1 wrote the bare list
    for form in (config, keras21):
        rebuilt = Sequential.from_config(form)
        assert rebuilt._is_graph_network and [l.name for l in rebuilt.layers] == ["d1", "d2"]
    tf_keras = {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "d1_input"}},
        *config["layers"]]}
    rebuilt = Sequential.from_config(tf_keras)
    assert rebuilt.inputs[0].shape == (None, 2) and len(rebuilt.layers) == 2


def test_sequential_built_from_build_records_the_shape():
    model = Sequential([Dense(3), Dense(1)])
    model.build((None, 5))
    config = model.get_config()
    assert config["build_input_shape"] == [None, 5]
    assert Sequential.from_config(config).inputs[0].shape == (None, 5)
    unbuilt = Sequential([Dense(3)])
    assert "build_input_shape" not in unbuilt.get_config()
    assert not Sequential.from_config(unbuilt.get_config())._is_graph_network


def test_deserialize_layer_and_class_names():
    layer = serialization.deserialize_layer({"class_name": "Dense", "config": {"units": 2, "name": "q"}})
    assert isinstance(layer, Dense) and layer.name == "q"
    assert serialization.class_name_of(layer) == "Dense"
    assert serialization.class_name_of(Sequential()) == "Sequential"
    x = Input(shape=(1,))
    assert serialization.class_name_of(Model(x, x)) == "Model"
    assert serialization.layer_class("Functional") is Model
    assert isinstance(serialization.deserialize_layer(
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "ragged": False}}), InputLayer)
    with pytest.raises(UnknownComponentError) as info:
        serialization.deserialize_layer({"class_name": "Dense2", "config": {}})
    assert info.value.kind == "layers" and info.value.name == "Dense2"
    with pytest.raises(ValueError, match="class_name"):
        serialization.deserialize_layer(["Dense"])


def test_tf_keras_dtype_policy_and_defaults():
    config = serialization.compatible_config(
        {"dtype": {"class_name": "Policy", "config": {"name": "float32"}}, "groups": 1, "units": 2})
    assert config == {"dtype": "float32", "units": 2}
    assert serialization.compatible_config({"groups": 2}) == {"groups": 2}  # meaningful values stay


@pytest.mark.parametrize("broken, message", [
    ({"layers": []}, "input_layers"),
    ({"layers": [{"name": "d", "class_name": "Dense", "config": {"units": 1},
                  "inbound_nodes": [[["ghost", 0, 0, {}]]]}], "input_layers": [], "output_layers": []}, "ghost"),
    ({"layers": [{"name": "i", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 1]},
                  "inbound_nodes": []},
                 {"name": "d", "class_name": "Dense", "config": {"units": 1},
                  "inbound_nodes": [[["i", 5, 0, {}]]]}],
      "input_layers": [["i", 0, 0]], "output_layers": [["d", 0, 0]]}, "can never be computed"),
    ({"layers": [{"name": "i", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 1]},
                  "inbound_nodes": []},
                 {"name": "d", "class_name": "Dense", "config": {"units": 1},
                  "inbound_nodes": [[["i", 0]]]}],
      "input_layers": [["i", 0, 0]], "output_layers": [["d", 0, 0]]}, "inbound entry"),
])
def test_malformed_functional_configs(broken, message):
    with pytest.raises(ValueError, match=message):
        Model.from_config(broken)


def test_a_layer_entry_resolves_by_its_registered_name_first():
    """tf.keras 2.13+ writes {"module", "class_name", "config", "registered_name"} for layers too."""
    from numkeras.layers import Layer
    from numkeras.registry import custom_object_scope

    class MyLayer(Layer):
        pass

    entry = {"module": "my_package.layers", "class_name": "MyLayer", "config": {"name": "mine"},
             "registered_name": "MyPackage>MyLayer", "build_config": {"input_shape": [None, 2]}}
    with custom_object_scope({"MyPackage>MyLayer": MyLayer}):
        layer = serialization.deserialize_layer(entry)
    assert type(layer) is MyLayer and layer.name == "mine"
    with pytest.raises(UnknownComponentError, match="MyPackage>MyLayer"):
        serialization.deserialize_layer(entry)
