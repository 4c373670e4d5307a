"""Architecture only: JSON, YAML, ``model_from_config`` and ``clone_model``."""

import json
import sys

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense, Input, Lambda
from numkeras.models import (Model, Sequential, clone_model, model_from_config, model_from_json,
                             model_from_yaml)
from numkeras.saving import MissingComponentError

from tests.helpers.arrays import assert_same_arrays

from .helpers import SubModel, as_list, data, fit_args, functional_model, sequential_model


def _copy_weights(source, target):
    target.set_weights(source.get_weights())


@pytest.mark.parametrize("kind, build", [("sequential", sequential_model), ("functional", functional_model)])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_round_trip_rebuilds_the_architecture(kind, build, fmt):
    model = build()
    text = model.to_json() if fmt == "json" else model.to_yaml()
    rebuilt = model_from_json(text) if fmt == "json" else model_from_yaml(text)
    assert type(rebuilt) is type(model)
    assert [l.name for l in rebuilt.layers] == [l.name for l in model.layers]
    assert rebuilt.get_config() == model.get_config()
    _copy_weights(model, rebuilt)
    x, _ = fit_args(kind, data())
    assert_same_arrays(as_list(rebuilt.predict(x)), as_list(model.predict(x)), "outputs")


def test_json_has_keras_envelope():
    config = json.loads(sequential_model().to_json(indent=2))
    assert config["class_name"] == "Sequential"
    assert config["keras_version"] == "2.2.4" and config["backend"] == "numpy"


def test_yaml_is_plain_and_read_with_safe_load():
    text = functional_model().to_yaml()
    assert "!!python" not in text
    hostile = "!!python/object/apply:os.system ['echo hacked']"
    with pytest.raises(ValueError, match="safe"):
        model_from_yaml(hostile)


def test_yaml_without_pyyaml_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r"numkeras\[yaml\]"):
        sequential_model().to_yaml()
    with pytest.raises(ImportError, match=r"numkeras\[yaml\]"):
        model_from_yaml("a: 1")


def test_model_from_config_errors():
    with pytest.raises(TypeError, match="expects a dictionary"):
        model_from_config([])
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{nope")
    config = json.loads(sequential_model().to_json())
    config["config"]["layers"][0]["class_name"] = "NoSuchLayer"
    with pytest.raises(MissingComponentError, match="NoSuchLayer"):
        model_from_config(config)


def test_subclassed_to_json_is_not_implemented():
    with pytest.raises(NotImplementedError, match="save_weights"):
        SubModel().to_json()


def test_shared_layer_called_at_several_depths():
    """A(B(A(x))): the shared layer's second call waits until B's call exists."""
    inputs = Input(shape=(3,))
    a = Dense(3, name="a")
    b = Dense(3, name="b")
    outputs = a(b(a(inputs)))
    model = Model(inputs, outputs)
    rebuilt = Model.from_config(model.get_config())
    _copy_weights(model, rebuilt)
    x = data()["x"][:, :3]
    np.testing.assert_array_equal(model.predict(x), rebuilt.predict(x))
    assert len(rebuilt.get_layer("a")._inbound_nodes) == 2


def test_layer_shared_between_two_models_keeps_its_own_node_numbering():
    shared = Dense(2, name="shared")
    x1 = Input(shape=(4,))
    x2 = Input(shape=(4,))
    Model(x1, shared(x1))
    second = Model(x2, Dense(1, name="head")(shared(x2)))
    config = second.get_config()
    by_name = {l["name"]: l for l in config["layers"]}
    assert by_name["head"]["inbound_nodes"] == [[["shared", 0, 0, {}]]]
    assert by_name["shared"]["inbound_nodes"] == [[[x2._keras_history[0].name, 0, 0, {}]]]
    Model.from_config(config)


# -- clone_model ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, build", [("sequential", sequential_model), ("functional", functional_model)])
def test_clone_has_new_weights_and_same_behaviour_once_copied(kind, build):
    model = build()
    clone = clone_model(model)
    assert type(clone) is type(model)
    assert len(clone.weights) == len(model.weights) > 0
    assert not {id(w) for w in clone.weights} & {id(w) for w in model.weights}
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert clone.get_config() == model.get_config()
    _copy_weights(model, clone)
    x, _ = fit_args(kind, data())
    assert_same_arrays(as_list(clone.predict(x)), as_list(model.predict(x)), "outputs")


def test_clone_keeps_shared_layers_shared_and_nested_models_nested():
    model = functional_model()
    clone = clone_model(model)
    assert len(clone.get_layer("shared")._inbound_nodes) == 2
    assert isinstance(clone.get_layer("inner"), Model)
    assert clone.get_layer("inner") is not model.get_layer("inner")
    assert len(clone.trainable_weights) == len(model.trainable_weights)


def test_clone_with_input_tensors_and_clone_function():
    model = functional_model()
    new_inputs = [Input(shape=(4,), name="new_a"), Input(shape=(4,), name="new_b")]
    renamed = clone_model(model, input_tensors=new_inputs,
                          clone_function=lambda layer: type(layer).from_config(
                              {**layer.get_config(), "name": layer.name + "_c"}) if not isinstance(layer, Model)
                          else clone_model(layer))
    assert renamed.input_names == ["new_a", "new_b"]
    assert "shared_c" in [l.name for l in renamed.layers]
    seq = sequential_model()
    cloned = clone_model(seq, input_tensors=Input(shape=(4,), name="fresh"))
    assert cloned.inputs[0]._keras_history[0].name == "fresh"


def test_clone_of_a_lambda_keeps_the_function_object():
    offset = np.float32(1.0)
    layer = Lambda(lambda t: t + offset)
    model = Sequential([Dense(2, input_dim=4), layer])
    clone = clone_model(model)
    assert clone.layers[1].function is layer.function


def test_clone_of_subclassed_model():
    with pytest.raises(ValueError, match="subclassed"):
        clone_model(SubModel())

    class Configurable(SubModel):
        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    assert isinstance(clone_model(Configurable()), Configurable)
    with pytest.raises(ValueError, match="Model instance"):
        clone_model(Dense(2))


def test_registered_plugin_model_class_round_trips():
    class Wide(Model):
        pass

    numkeras.layers.register("WideModelForSaving", Wide)
    try:
        inputs = Input(shape=(4,))
        model = Wide(inputs, Dense(2)(inputs))
        config = json.loads(model.to_json())
        assert config["class_name"] == "WideModelForSaving"
        assert type(model_from_json(model.to_json())) is Wide
    finally:
        numkeras.registry.registry("layers").unregister("WideModelForSaving")


def test_json_and_yaml_configs_do_not_import_h5py():
    """Architecture-only saving needs no HDF5: a fresh process never imports h5py for it."""
    import subprocess
    import textwrap

    script = textwrap.dedent("""
        import sys
        import numkeras
        from numkeras.layers import Dense
        model = numkeras.Sequential([Dense(2, input_shape=(3,))])
        text = model.to_json()
        rebuilt = numkeras.models.model_from_json(text)
        assert rebuilt.get_config() == model.get_config()
        print('h5py' in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", "model.to_json() / model_from_json imported h5py"
