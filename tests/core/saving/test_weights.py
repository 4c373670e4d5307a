"""``save_weights`` / ``load_weights``: HDF5 and ``.npz``, topological order and ``by_name``."""

import json

import h5py
import numpy as np
import pytest

from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.saving import ModelFileError

from tests.helpers.arrays import assert_same_arrays

from .helpers import SubModel, data, functional_model, sequential_model

FORMATS = ["w.h5", "w.npz"]


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])


def _same(a, b):
    assert a.get_weights(), "a model without weights proves nothing"
    assert_same_arrays(b.get_weights(), a.get_weights(), "weights")


@pytest.mark.parametrize("filename", FORMATS)
@pytest.mark.parametrize("build", [sequential_model, functional_model])
def test_round_trip(tmp_path, filename, build):
    source, target = build(), build()
    _randomize(source, 1)
    source.save_weights(tmp_path / filename)
    target.load_weights(tmp_path / filename)
    _same(source, target)


def test_hdf5_weights_layout(tmp_path):
    model = sequential_model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert [n.decode() for n in f.attrs["layer_names"]] == ["dense_1", "dense_2"]
        assert f.attrs["keras_version"] == "2.2.4"
        assert f["dense_2/dense_2/bias:0"].shape == (3,)


def test_npz_is_plain_numpy(tmp_path):
    model = sequential_model()
    model.save_weights(tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        metadata = json.loads(str(archive["__numkeras_weights__"]))
        assert metadata["layers"][0] == ["dense_1", ["dense_1/kernel:0", "dense_1/bias:0"]]
        np.testing.assert_array_equal(archive["w0"], model.layers[0].get_weights()[0])


@pytest.mark.parametrize("filename", FORMATS)
def test_subclassed_model_weights(tmp_path, filename):
    d = data()
    source = SubModel()
    source.predict(d["x"])
    _randomize(source, 2)
    source.save_weights(tmp_path / filename)
    target = SubModel()
    with pytest.raises(ValueError, match="not built"):
        target.load_weights(tmp_path / filename)
    target.predict(d["x"])
    target.load_weights(tmp_path / filename)
    np.testing.assert_array_equal(target.predict(d["x"]), source.predict(d["x"]))


def test_topological_order_ignores_names_and_weightless_layers(tmp_path):
    a = Sequential([Dense(3, input_dim=4, name="first"), Dense(2, name="second")])
    from numkeras.layers import Activation

    b = Sequential([Dense(3, input_dim=4, name="x"), Activation("relu"), Dense(2, name="y")])
    _randomize(a, 3)
    a.save_weights(tmp_path / "w.h5")
    b.load_weights(tmp_path / "w.h5")
    _same(a, b)


@pytest.mark.parametrize("filename", FORMATS)
def test_topological_mismatch_is_rejected_and_changes_nothing(tmp_path, filename):
    a = Sequential([Dense(3, input_dim=4), Dense(2)])
    a.save_weights(tmp_path / filename)
    b = Sequential([Dense(3, input_dim=4), Dense(2), Dense(1)])
    before = b.get_weights()
    with pytest.raises(ValueError, match="2 layers with weights into a model with 3"):
        b.load_weights(tmp_path / filename)
    assert_same_arrays(b.get_weights(), before, "weights after a rejected load")
    c = Sequential([Dense(3, input_dim=4), Dense(5)])
    before = c.get_weights()
    with pytest.raises(ValueError, match="shape"):
        c.load_weights(tmp_path / filename)
    # The first layer fitted, but nothing was assigned.
    assert_same_arrays(c.get_weights(), before, "weights after a rejected load")


@pytest.mark.parametrize("filename", FORMATS)
def test_by_name_and_skip_mismatch(tmp_path, filename):
    a = Sequential([Dense(3, input_dim=4, name="shared_name"), Dense(2, name="head")])
    _randomize(a, 4)
    a.save_weights(tmp_path / filename)
    b = Sequential([Dense(3, input_dim=4, name="shared_name"), Dense(7, name="other"), Dense(2, name="new_head")])
    untouched = b.get_layer("other").get_weights()
    b.load_weights(tmp_path / filename, by_name=True)
    assert_same_arrays(b.get_layer("shared_name").get_weights(), a.get_layer("shared_name").get_weights(),
                       "shared_name's weights")
    np.testing.assert_array_equal(untouched[0], b.get_layer("other").get_weights()[0])

    c = Sequential([Dense(3, input_dim=4, name="shared_name"), Dense(5, name="head")])
    with pytest.raises(ValueError, match="head"):
        c.load_weights(tmp_path / filename, by_name=True)
    head_before = c.get_layer("head").get_weights()
    with pytest.warns(UserWarning, match="Skipping loading of weights for layer head"):
        c.load_weights(tmp_path / filename, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(head_before[0], c.get_layer("head").get_weights()[0])
    np.testing.assert_array_equal(a.get_layer("shared_name").get_weights()[0],
                                  c.get_layer("shared_name").get_weights()[0])
    with pytest.raises(ValueError, match="by_name"):
        c.load_weights(tmp_path / filename, skip_mismatch=True)


def test_load_weights_from_a_whole_model_file(tmp_path):
    a = functional_model()
    _randomize(a, 5)
    a.save(tmp_path / "m.h5")
    b = functional_model()
    b.load_weights(tmp_path / "m.h5")
    _same(a, b)


def test_chunked_layer_names_attribute(tmp_path):
    """Keras splits attributes over 64 KB into layer_names0, layer_names1 …; both directions work."""
    from numkeras.saving.hdf5 import load_attributes, save_attributes

    names = [f"a_long_layer_name_{'x' * 80}_{i:04d}" for i in range(1000)]
    with h5py.File(tmp_path / "big.h5", "w") as f:
        save_attributes(f, "layer_names", names)
        save_attributes(f, "short", ["a", "b"])
    with h5py.File(tmp_path / "big.h5", "r") as f:
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert load_attributes(f, "layer_names") == names
        assert load_attributes(f, "short") == ["a", "b"]


@pytest.mark.parametrize("filename, content", [("w.npz", b"PK\x03\x04garbage"), ("w.npz", b"not a zip"),
                                               ("w.h5", b"garbage")])
def test_bad_weights_files(tmp_path, filename, content):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=filename):
        sequential_model().load_weights(path)


def test_truncated_npz(tmp_path):
    sequential_model().save_weights(tmp_path / "w.npz")
    content = (tmp_path / "w.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(content[: len(content) // 2])
    with pytest.raises(ModelFileError, match="t.npz"):
        sequential_model().load_weights(tmp_path / "t.npz")
