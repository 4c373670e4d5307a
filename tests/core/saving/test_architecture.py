"""Saves validate before they write: a layer whose config cannot be written is an error at
save time naming the layer and the fix, and the previous file stays byte-identical."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numkeras.engine import Layer
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import Dense, TimeDistributed
from numkeras.models import Sequential, load_model
from numkeras.saving import LayerConfigError
from numkeras.saving import hdf5


class Tagged(Layer):
    """Passes its input through; carries one config value chosen by the test."""

    def __init__(self, tag=None, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = super().get_config()
        config["tag"] = self.tag
        return config


class ForgotGetConfig(Layer):
    """Takes a required argument but does not return it from get_config()."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return inputs


def _good_file(path):
    model = Sequential([Dense(3, input_dim=2, name="first")])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 3)), epochs=1, verbose=0)
    model.save(path)
    return path.read_bytes()


def _assert_only(directory, names):
    assert sorted(os.listdir(directory)) == sorted(names)  # no temporary file left behind


def test_a_config_value_json_cannot_encode_is_named_and_the_old_file_kept(tmp_path):
    path = tmp_path / "model.h5"
    before = _good_file(path)
    model = Sequential([Dense(3, input_dim=2), Tagged(tag=object(), name="tagger")])
    with pytest.raises(LayerConfigError) as info:
        model.save(path)
    message = str(info.value)
    assert "'tagger'" in message and "Tagged" in message and "'tag'" in message
    assert "cannot be encoded as JSON" in message and "get_config()" in message
    assert isinstance(info.value, ValueError) and info.value.key == "tag" and info.value.layer == "tagger"
    assert path.read_bytes() == before
    _assert_only(tmp_path, ["model.h5"])


def test_a_required_argument_missing_from_get_config_is_named(tmp_path):
    path = tmp_path / "model.h5"
    before = _good_file(path)
    model = Sequential([Dense(3, input_dim=2), ForgotGetConfig(4, name="forgetful")])
    with pytest.raises(LayerConfigError) as info:
        model.save(path)
    message = str(info.value)
    assert "'forgetful'" in message and "ForgotGetConfig" in message and "'units'" in message
    assert "Add it to get_config()" in message
    assert path.read_bytes() == before
    with pytest.raises(LayerConfigError, match="'units'"):
        model.to_json()


def test_a_wrapped_layer_is_checked_too(tmp_path):
    model = Sequential([TimeDistributed(Tagged(tag={1, object()}, name="inner"), input_shape=(2, 3))])
    with pytest.raises(LayerConfigError, match="'inner'"):
        model.to_json()


def test_to_json_and_to_yaml_raise_instead_of_returning_a_broken_string():
    pytest.importorskip("yaml")
    model = Sequential([Dense(3, input_dim=2), Tagged(tag=b"raw bytes", name="tagger")])
    for serialize in (model.to_json, model.to_yaml):
        with pytest.raises(LayerConfigError, match="'tagger'.*'tag'"):
            serialize()


def test_a_good_custom_config_still_saves(tmp_path):
    model = Sequential([Dense(3, input_dim=2), Tagged(tag={"a": [1, 2.5, None]}, name="tagger")])
    model.save(tmp_path / "model.h5")
    assert load_model(tmp_path / "model.h5", custom_objects={"Tagged": Tagged}).layers[1].tag == {"a": [1, 2.5, None]}


def test_everything_is_gathered_before_the_temporary_file_is_opened(tmp_path, monkeypatch):
    """Weights changed, and a save hook run, once the file is open would not reach the file."""
    model = Sequential([Dense(3, input_dim=2)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 3)), epochs=1, verbose=0)
    saved = model.get_weights()
    hook_saw_temp_files = []

    class Watcher:
        @hookimpl
        def numkeras_save_model(self, model, attributes):
            hook_saw_temp_files.append([n for n in os.listdir(tmp_path) if n.endswith(".numkeras-tmp")])

    real_atomic_write = hdf5.atomic_write

    def atomic_write_that_changes_the_model(path):
        model.set_weights([np.zeros_like(w) for w in saved])  # after this, nothing may be gathered
        model.optimizer.iterations.assign(np.asarray(999, dtype=model.optimizer.iterations.dtype))
        return real_atomic_write(path)

    watcher = Watcher()
    plugin_manager().register(watcher)
    monkeypatch.setattr(hdf5, "atomic_write", atomic_write_that_changes_the_model)
    try:
        model.save(tmp_path / "model.h5")
        loaded = load_model(tmp_path / "model.h5")
        for got, expected in zip(loaded.get_weights(), saved):
            np.testing.assert_array_equal(got, expected)
        assert int(loaded.optimizer.iterations.data) == 1
        model.set_weights(saved)
        model.save_weights(tmp_path / "weights.h5")
        model.load_weights(tmp_path / "weights.h5")
        for got, expected in zip(model.get_weights(), saved):
            np.testing.assert_array_equal(got, expected)
    finally:
        plugin_manager().unregister(watcher)
    assert hook_saw_temp_files == [[]]


def test_save_weights_gathers_first_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "weights.h5"
    good = Sequential([Dense(3, input_dim=2, name="a")])
    good.save_weights(path)
    before = path.read_bytes()
    twins = Sequential([Dense(3, input_dim=2, name="twin"), Dense(3, name="twin_b")])
    twins.layers[1].name = "twin"
    with pytest.raises(ValueError, match="two layers are named 'twin'"):
        twins.save_weights(path)
    assert path.read_bytes() == before
    _assert_only(tmp_path, ["weights.h5"])


UNENCODABLE = st.one_of(
    st.builds(object), st.binary(min_size=1, max_size=8), st.complex_numbers(allow_nan=False),
    st.builds(lambda: np.random.RandomState(0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=UNENCODABLE, nested=st.sampled_from(["plain", "in_list", "in_dict"]))
def test_property_a_failing_save_never_damages_the_previous_file(tmp_path, value, nested):
    path = tmp_path / "model.h5"
    if not path.exists():
        _good_file(path)
    before = path.read_bytes()
    tag = {"plain": value, "in_list": [1, value], "in_dict": {"k": value}}[nested]
    model = Sequential([Dense(3, input_dim=2), Tagged(tag=tag, name="tagger")])
    with pytest.raises(LayerConfigError, match="'tagger'"):
        model.save(path)
    assert path.read_bytes() == before
    _assert_only(tmp_path, ["model.h5"])
