"""``model.save`` / ``load_model`` in HDF5: the Keras 2 layout, round trips, optimizer state, errors."""

import json
import os
import warnings

import h5py
import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import Dense
from numkeras.models import Sequential, load_model
from numkeras.saving import ModelFileError, MissingComponentError

from tests.helpers.arrays import assert_same_arrays

from .helpers import as_list, data, fit_args, functional_model, sequential_model, subclassed_model


@pytest.fixture
def d():
    return data()


def _train(model, kind, d, epochs=1):
    x, y = fit_args(kind, d)
    model.fit(x, y, epochs=epochs, batch_size=4, verbose=0, shuffle=False)


# -- layout -----------------------------------------------------------------------------------
def test_file_has_the_keras2_layout(tmp_path, d):
    model = sequential_model()
    _train(model, "sequential", d)
    path = tmp_path / "model.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["keras_version"] == "2.2.4"
        assert f.attrs["backend"] == "numpy"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [l["class_name"] for l in config["config"]["layers"]] == ["Dense", "Dense"]
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "categorical_crossentropy"
        assert training["metrics"] == ["acc"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert set(training) >= {"loss", "metrics", "loss_weights", "sample_weight_mode", "optimizer_config"}
        weights = f["model_weights"]
        assert [n.decode() for n in weights.attrs["layer_names"]] == ["dense_1", "dense_2"]
        assert [n.decode() for n in weights["dense_1"].attrs["weight_names"]] == ["dense_1/kernel:0", "dense_1/bias:0"]
        np.testing.assert_array_equal(f["model_weights/dense_1/dense_1/kernel:0"][()], model.layers[0].get_weights()[0])
        optimizer = f["optimizer_weights"]
        names = [n.decode() for n in optimizer.attrs["weight_names"]]
        assert len(names) == 1 + 3 * 4  # iterations + Adam's ms, vs, vhats for 4 weights
        assert int(optimizer[names[0]][()]) == 3  # 12 samples / batch 4
        components = json.loads(f.attrs["numkeras_components"])
        assert components["layers"]["Dense"]["distribution"] == "numkeras"
        assert components["losses"]["categorical_crossentropy"]["version"] == numkeras.__version__


def test_functional_config_and_weights_of_nested_model(tmp_path, d):
    model = functional_model()
    path = tmp_path / "multi.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])["config"]
        by_name = {l["name"]: l for l in config["layers"]}
        assert by_name["shared"]["inbound_nodes"] == [[["in_a", 0, 0, {}]], [["in_b", 0, 0, {}]]]
        assert by_name["out1"]["inbound_nodes"] == [[["inner", 1, 0, {}]]]  # Keras: nested models start at 1
        assert config["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
        assert "model_weights/inner/inner_dense/kernel:0" in f


# -- round trips in-process ----------------------------------------------------------------------
@pytest.mark.parametrize("kind, build", [("sequential", sequential_model), ("functional", functional_model)])
def test_round_trip_predicts_and_trains_the_same(tmp_path, d, kind, build):
    model = build()
    _train(model, kind, d)
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = load_model(path)
    x, _ = fit_args(kind, d)
    assert_same_arrays(as_list(loaded.predict(x)), as_list(model.predict(x)), "outputs")
    assert loaded.metrics_names == model.metrics_names
    _train(model, kind, d, epochs=2)
    _train(loaded, kind, d, epochs=2)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")
    assert_same_arrays(loaded.optimizer.get_weights(), model.optimizer.get_weights(), "optimizer weights")


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam",
                                       numkeras.optimizers.get({"class_name": "SGD", "config": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.01}})])
def test_every_optimizer_state_resumes_exactly(tmp_path, d, optimizer):
    model = sequential_model(optimizer)
    _train(model, "sequential", d)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    _train(model, "sequential", d, epochs=2)
    _train(loaded, "sequential", d, epochs=2)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")


class _Averaging(numkeras.optimizers.Optimizer):
    """A wrapper with its own state layout: a running average of each weight, then its inner
    optimizer's state (as Lookahead-style wrappers save theirs)."""

    slot_names = ("average",)

    def __init__(self, inner="adam", **kwargs):
        self.inner = numkeras.optimizers.get(inner)
        super().__init__(**kwargs)

    def apply_gradients(self, grads_and_vars, consume=False):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self.build([v for _, v in pairs])
        self.inner.apply_gradients(pairs)
        for _, v in pairs:
            self._slots[id(v)]["average"] += 0.5 * (v.data - self._slots[id(v)]["average"])
        self.iterations.data[...] += 1

    def build(self, params):
        super().build(params)
        self.inner.build(params)

    def get_weights(self):
        return super().get_weights() + self.inner.get_weights()

    def set_weights(self, weights, params=None):
        if params is not None:
            self.build(params)
        own = 1 + len(self._params)
        super().set_weights(list(weights)[:own])
        self.inner.set_weights(list(weights)[own:])

    def get_config(self):
        return {"inner": numkeras.optimizers.serialize(self.inner)}


def test_an_optimizer_with_its_own_state_layout_resumes_exactly(tmp_path, d):
    model = sequential_model(_Averaging("adam"))
    _train(model, "sequential", d)
    model.save(tmp_path / "m.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a state that does not fit would warn and start fresh
        loaded = load_model(tmp_path / "m.h5", custom_objects={"_Averaging": _Averaging})
    assert_same_arrays(loaded.optimizer.get_weights(), model.optimizer.get_weights(), "optimizer state")
    assert int(loaded.optimizer.inner.iterations.data) == int(model.optimizer.inner.iterations.data) > 0
    _train(model, "sequential", d, epochs=2)
    _train(loaded, "sequential", d, epochs=2)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")


def test_untrained_optimizer_and_without_optimizer(tmp_path, d):
    model = sequential_model()
    model.save(tmp_path / "fresh.h5")
    loaded = load_model(tmp_path / "fresh.h5")
    _train(model, "sequential", d)
    _train(loaded, "sequential", d)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")

    model.save(tmp_path / "no_opt.h5", include_optimizer=False)
    with h5py.File(tmp_path / "no_opt.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match="not.*compiled"):
        loaded = load_model(tmp_path / "no_opt.h5")
    assert loaded.objective is None
    np.testing.assert_array_equal(loaded.predict(d["x"]), model.predict(d["x"]))


def test_compile_false_and_uncompiled_model(tmp_path, d):
    model = Sequential([Dense(3, input_shape=(4,))])
    model.save(tmp_path / "u.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(tmp_path / "u.h5", compile=False)
    assert loaded.objective is None
    np.testing.assert_array_equal(loaded.predict(d["x"]), model.predict(d["x"]))


def test_sequential_built_without_declared_input_shape(tmp_path, d):
    model = Sequential([Dense(3), Dense(2)])
    model.build((None, 4))
    model.save(tmp_path / "b.h5")
    loaded = load_model(tmp_path / "b.h5", compile=False)
    np.testing.assert_array_equal(loaded.predict(d["x"]), model.predict(d["x"]))


def test_nested_sequential_inside_sequential(tmp_path, d):
    inner = Sequential([Dense(5, activation="relu", input_dim=4)], name="inner_seq")
    model = Sequential([inner, Dense(2)], name="outer")
    model.save(tmp_path / "n.h5")
    loaded = load_model(tmp_path / "n.h5", compile=False)
    np.testing.assert_allclose(loaded.predict(d["x"]), model.predict(d["x"]), rtol=0, atol=0)


def test_save_into_an_open_h5py_file(tmp_path, d):
    model = sequential_model()
    with h5py.File(tmp_path / "g.h5", "w") as f:
        model.save(f)
    with h5py.File(tmp_path / "g.h5", "r") as f:
        loaded = load_model(f)
    np.testing.assert_array_equal(loaded.predict(d["x"]), model.predict(d["x"]))


def test_overwrite_false_refuses_without_a_terminal(tmp_path, monkeypatch):
    import io

    model = sequential_model()
    path = tmp_path / "m.h5"
    model.save(path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(path, overwrite=False)


# -- subclassed ----------------------------------------------------------------------------------
def test_subclassed_model_save_and_to_json_say_use_weights(tmp_path, d):
    model = subclassed_model()
    _train(model, "subclassed", d)
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.save(tmp_path / "s.h5")
    with pytest.raises(NotImplementedError, match="subclassed"):
        model.to_json()
    assert not os.listdir(tmp_path)


def test_unbuilt_sequential_cannot_be_saved(tmp_path):
    model = Sequential([Dense(3)])
    with pytest.raises(ValueError, match="not built"):
        model.save(tmp_path / "x.h5")


# -- plugin components by name -------------------------------------------------------------------
def test_runtime_registered_components_load_without_custom_objects(tmp_path, d):
    @numkeras.losses.register("doubled_mse")
    def doubled_mse(y_true, y_pred):
        return 2.0 * K.mean(K.square(y_pred - y_true), axis=-1)

    class Scale(numkeras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    numkeras.layers.register("ScaleForSaving", Scale)
    try:
        model = Sequential([Dense(2, input_dim=4), Scale(3.0)])
        model.compile("sgd", "doubled_mse")
        model.save(tmp_path / "r.h5")
        with h5py.File(tmp_path / "r.h5", "r") as f:
            config = json.loads(f.attrs["model_config"])
            components = json.loads(f.attrs["numkeras_components"])
        assert config["config"]["layers"][1]["class_name"] == "ScaleForSaving"
        assert components["layers"]["ScaleForSaving"]["distribution"] is None
        assert components["losses"]["doubled_mse"]["module"] == __name__
        loaded = load_model(tmp_path / "r.h5")
        np.testing.assert_allclose(loaded.predict(d["x"]), model.predict(d["x"]))
        assert loaded.objective.losses[0].fn is doubled_mse
    finally:
        numkeras.registry.registry("layers").unregister("ScaleForSaving")
        numkeras.registry.registry("losses").unregister("doubled_mse")
    with pytest.raises(MissingComponentError, match="ScaleForSaving") as info:
        load_model(tmp_path / "r.h5")
    assert info.value.kind == "layers" and "registered at runtime" in str(info.value)
    loaded = load_model(tmp_path / "r.h5", custom_objects={"ScaleForSaving": Scale, "doubled_mse": doubled_mse})
    np.testing.assert_allclose(loaded.predict(d["x"]), model.predict(d["x"]))
    with numkeras.custom_object_scope({"ScaleForSaving": Scale, "doubled_mse": doubled_mse}):
        load_model(tmp_path / "r.h5")


def test_unregistered_custom_layer_needs_custom_objects(tmp_path, d):
    class Twice(numkeras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    model = Sequential([Dense(2, input_dim=4), Twice()])
    model.save(tmp_path / "c.h5")
    warnings.simplefilter("ignore")  # not compiled
    with pytest.raises(MissingComponentError, match=r"custom_objects=\{'Twice'"):
        load_model(tmp_path / "c.h5")
    loaded = load_model(tmp_path / "c.h5", custom_objects={"Twice": Twice})
    np.testing.assert_allclose(loaded.predict(d["x"]), model.predict(d["x"]))


# -- hooks -----------------------------------------------------------------------------------------
def test_save_and_load_hooks_store_plugin_data(tmp_path):
    seen = {}

    class Tracker:
        @hookimpl
        def numkeras_save_model(self, model, attributes):
            attributes["tracker"] = {"run": 7, "model": model.name}

        @hookimpl
        def numkeras_load_model(self, model, attributes):
            seen["attributes"] = attributes
            seen["model"] = model

    tracker = Tracker()
    plugin_manager().register(tracker)
    try:
        model = sequential_model()
        model.save(tmp_path / "h.h5")
        loaded = load_model(tmp_path / "h.h5")
    finally:
        plugin_manager().unregister(tracker)
    with h5py.File(tmp_path / "h.h5", "r") as f:
        assert json.loads(f.attrs["numkeras_plugin_data"]) == {"tracker": {"run": 7, "model": "seq"}}
    assert seen == {"attributes": {"tracker": {"run": 7, "model": "seq"}}, "model": loaded}


# -- bad files ----------------------------------------------------------------------------------------
def _saved(tmp_path):
    path = tmp_path / "good.h5"
    sequential_model().save(path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        load_model(tmp_path / "nope.h5")


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"this is not an hdf5 file at all" * 10, "not an HDF5 file"),
    (b"PK\x03\x04 zip archive", "zip archive"),
])
def test_not_hdf5(tmp_path, content, message):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(path)
    assert "bad.h5" in str(info.value)
    assert isinstance(info.value, OSError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6, 0.9])
def test_truncated_file(tmp_path, fraction):
    good = _saved(tmp_path).read_bytes()
    path = tmp_path / "truncated.h5"
    path.write_bytes(good[: int(len(good) * fraction)])
    with pytest.raises(ModelFileError, match="truncated.h5"):
        load_model(path)


def test_hdf5_file_that_is_not_a_keras_model(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=np.arange(3))
    with pytest.raises(ModelFileError, match="not a Keras model file"):
        load_model(path)


def test_weights_file_given_to_load_model(tmp_path):
    path = tmp_path / "w.h5"
    sequential_model().save_weights(path)
    with pytest.raises(ModelFileError, match="weights file"):
        load_model(path)


def test_corrupt_config_and_missing_weights_group(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = "{not json"
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        first = f["model_weights"].attrs["layer_names"][0].decode()
        del f[f"model_weights/{first}/{first}/kernel:0"]
    with pytest.raises(ModelFileError, match=first):
        load_model(path)
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        del f["model_weights"]
    with pytest.raises(ModelFileError, match="model_weights"):
        load_model(path)


def test_corrupted_bytes_inside_the_file(tmp_path):
    good = bytearray(_saved(tmp_path).read_bytes())
    rng = np.random.default_rng(0)
    for trial in range(12):
        damaged = bytearray(good)
        start = int(rng.integers(0, 2048))
        damaged[start:start + 64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
        path = tmp_path / f"damaged{trial}.h5"
        path.write_bytes(bytes(damaged))
        try:
            load_model(path)
        except (OSError, ValueError):
            pass  # ModelFileError, or a config / shape error; a KeyError or RuntimeError fails the test


def test_a_failed_save_leaves_the_old_file(tmp_path, d):
    model = sequential_model()
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()

    class Broken:
        @hookimpl
        def numkeras_save_model(self, model, attributes):
            raise RuntimeError("plugin failed while saving")

    broken = Broken()
    plugin_manager().register(broken)
    try:
        with pytest.raises(RuntimeError, match="plugin failed"):
            model.save(path)
    finally:
        plugin_manager().unregister(broken)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.h5"]  # no temporary file left behind


# -- many layer kinds -------------------------------------------------------------------------------
def _layer_models():
    L = numkeras.layers
    yield "cnn_bn", lambda: Sequential([
        L.Conv2D(3, 3, padding="same", input_shape=(6, 6, 2)), L.BatchNormalization(), L.Activation("relu"),
        L.MaxPooling2D(2), L.Flatten(), L.Dense(2)]), (8, 6, 6, 2), (8, 2)
    yield "recurrent", lambda: Sequential([
        L.LSTM(4, return_sequences=True, input_shape=(5, 3)), L.GRU(3, return_sequences=True),
        L.TimeDistributed(L.Dense(2)), L.Bidirectional(L.SimpleRNN(2)), L.Dense(1)]), (8, 5, 3), (8, 1)
    yield "embedding", lambda: Sequential([
        L.Embedding(10, 3, input_length=4), L.Flatten(), L.Dropout(0.0), L.Dense(1)]), "int", (8, 1)


@pytest.mark.parametrize("name, build, x_shape, y_shape", list(_layer_models()), ids=lambda v: v if isinstance(v, str) else "")
def test_layer_kinds_round_trip_and_resume(tmp_path, name, build, x_shape, y_shape):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, (8, 4)) if x_shape == "int" else rng.normal(size=x_shape).astype("float32")
    y = rng.normal(size=y_shape).astype("float32")
    model = build()
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    model.save(tmp_path / f"{name}.h5")
    loaded = load_model(tmp_path / f"{name}.h5")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")


def test_loss_and_metric_objects_round_trip(tmp_path, d):
    loss = numkeras.losses.get({"class_name": "MeanSquaredError", "config": {}})
    metric = numkeras.metrics.get({"class_name": "MeanAbsoluteError", "config": {"name": "my_mae"}})
    model = Sequential([Dense(2, input_dim=4)])
    model.compile("sgd", loss=loss, metrics=[metric])
    model.save(tmp_path / "objects.h5")
    with h5py.File(tmp_path / "objects.h5", "r") as f:
        training = json.loads(f.attrs["training_config"])
    assert training["loss"]["class_name"] == "MeanSquaredError"
    loaded = load_model(tmp_path / "objects.h5")
    assert loaded.metrics_names == model.metrics_names
    assert loaded.evaluate(d["x"], d["y_reg"], verbose=0) == pytest.approx(model.evaluate(d["x"], d["y_reg"], verbose=0))


def test_keras_2_2_4_style_file(tmp_path, d):
    """Keras 2.2.4 wrote byte-string attributes and Adam 'vhats' as one-element placeholders."""
    model = sequential_model()
    _train(model, "sequential", d)
    path = tmp_path / "old.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        for key in ("model_config", "training_config", "keras_version", "backend"):
            f.attrs[key] = np.bytes_(f.attrs[key].encode("utf8"))
        for key in ("numkeras_components", "numkeras_plugin_data", "numkeras_version"):
            del f.attrs[key]
        group = f["optimizer_weights"]
        names = [n.decode() for n in group.attrs["weight_names"]]
        for name in names[-4:]:  # the vhats of the 4 weights
            del group[name]
            group.create_dataset(name, data=np.zeros(1, dtype="float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(path)
    _train(model, "sequential", d)
    _train(loaded, "sequential", d)
    assert_same_arrays(loaded.get_weights(), model.get_weights(), "weights")


def test_mismatched_optimizer_state_warns_and_starts_fresh(tmp_path, d):
    model = sequential_model()
    _train(model, "sequential", d)
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        group = f["optimizer_weights"]
        names = [n.decode() for n in group.attrs["weight_names"]]
        del group[names[1]]
        group.create_dataset(names[1], data=np.zeros((7, 7), dtype="float32"))
    with pytest.warns(UserWarning, match="freshly initialized optimizer"):
        loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(d["x"]), model.predict(d["x"]))
    assert loaded.optimizer.get_weights()[0] == 0  # nothing half-restored


# -- damaged files, generated ------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_GOOD_BYTES = {}


def _good_bytes(kind):
    """The bytes of a small saved model (or weights) file, made once."""
    if kind not in _GOOD_BYTES:
        import tempfile

        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "good.h5")
            model = sequential_model()
            model.fit(np.ones((4, 4)), np.eye(3)[[0, 1, 2, 0]], epochs=1, verbose=0)
            model.save(path) if kind == "model" else model.save_weights(path)
            with open(path, "rb") as handle:
                _GOOD_BYTES[kind] = handle.read()
    return _GOOD_BYTES[kind]


@st.composite
def damaged(draw, kind):
    """A saved file truncated, replaced by random bytes, or with its model config text edited.

    Random byte flips in HDF5's own metadata are left out: libhdf5 (2.0.0 here) can crash
    the process on some of them (a segmentation fault inside the C library), which no
    Python code around it can turn into an error.
    """
    content = bytearray(_good_bytes(kind))
    how = draw(st.sampled_from(["truncate", "garbage", "config_edit"] if kind == "model" else
                               ["truncate", "garbage"]))
    if how == "truncate":
        return how, bytes(content[:draw(st.integers(0, len(content) - 1))])
    if how == "garbage":
        return how, draw(st.sampled_from([b"", b"PK\x03\x04", b"\x89HDF\r\n\x1a\n"])) + draw(st.binary(max_size=64))
    start = bytes(content).index(b'{"class_name"')
    end = start + bytes(content)[start:].index(b"\x00")
    for _ in range(draw(st.integers(1, 3))):
        content[draw(st.integers(start, end - 1))] = draw(st.sampled_from(b'{}[]",:0123456789abcxyz_ '))
    return how, bytes(content)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=damaged("model"), target=st.sampled_from(["load_model", "load_weights"]))
def test_property_a_damaged_file_loads_or_raises_a_file_error_naming_it(tmp_path, damage, target):
    """Never h5py's raw error, a KeyError or an AttributeError: an OSError / ValueError naming the file."""
    _, content = damage
    path = tmp_path / "damaged_model.h5"
    path.write_bytes(content)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if target == "load_model":
                load_model(path)
            else:
                sequential_model().load_weights(path)
    except (OSError, ValueError) as error:
        assert "damaged_model.h5" in str(error), f"{type(error).__name__}: {error}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=damaged("weights"))
def test_property_a_damaged_weights_file_raises_a_file_error_naming_it(tmp_path, damage):
    _, content = damage
    path = tmp_path / "damaged_weights.h5"
    path.write_bytes(content)
    try:
        sequential_model().load_weights(path)
    except (OSError, ValueError) as error:
        assert "damaged_weights.h5" in str(error), f"{type(error).__name__}: {error}"
