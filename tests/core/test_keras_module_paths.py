"""Keras 2.2.4's public module paths: every name imports, and the names numkeras added for them behave as
Keras 2.2 documents. Expected values come from Keras 2.2's formulas worked here by hand (conv_output_length,
conv_input_length, deconv_length, the weighted masked objective), from NumPy (np.convolve for convert_kernel),
or from h5py reading the same file (HDF5Matrix)."""

import importlib
import os

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numkeras
from numkeras.layers import Conv1D, Conv2D, Dense, Flatten, Input
from numkeras.models import Model, Sequential

# Keras 2.2.4's module paths and the public names Keras code imports from them.
KERAS_MODULES = {
    "numkeras.engine.saving": [
        "save_model", "load_model", "model_from_config", "model_from_json", "model_from_yaml",
        "load_weights_from_hdf5_group", "load_weights_from_hdf5_group_by_name", "save_weights_to_hdf5_group",
        "preprocess_weights_for_loading",
    ],
    "numkeras.engine.training_utils": [
        "standardize_single_array", "standardize_input_data", "standardize_sample_or_class_weights",
        "standardize_class_weights", "standardize_sample_weights", "standardize_weights",
        "check_array_length_consistency", "check_loss_and_target_compatibility", "collect_metrics",
        "batch_shuffle", "make_batches", "weighted_masked_objective", "check_num_samples",
        "iter_sequence_infinite", "is_sequence",
    ],
    "numkeras.utils.generic_utils": [
        "custom_object_scope", "CustomObjectScope", "get_custom_objects", "serialize_keras_object",
        "deserialize_keras_object", "Progbar", "to_list", "unpack_singleton", "slice_arrays", "has_arg",
    ],
    "numkeras.utils.io_utils": ["HDF5Matrix"],
    "numkeras.utils.conv_utils": [
        "conv_output_length", "conv_input_length", "deconv_length", "normalize_tuple", "normalize_data_format",
        "normalize_padding", "convert_kernel",
    ],
    "numkeras.utils.layer_utils": ["count_params", "print_summary", "convert_all_kernels_in_model", "convert_kernel",
                                   "convert_dense_weights_data_format"],
    "numkeras.engine.network": ["Network", "get_source_inputs"],
    "numkeras.engine.topology": ["Layer", "Node", "InputSpec", "Input", "InputLayer", "Network", "get_source_inputs"],
    "numkeras.utils.data_utils": [
        "get_file", "Sequence", "OrderedEnqueuer", "GeneratorEnqueuer", "SequenceEnqueuer", "validate_file",
    ],
    "numkeras.utils": [
        "CustomObjectScope", "custom_object_scope", "get_custom_objects", "serialize_keras_object",
        "deserialize_keras_object", "Progbar", "HDF5Matrix", "Sequence", "GeneratorEnqueuer", "OrderedEnqueuer",
        "get_file", "to_categorical", "normalize", "print_summary", "convert_all_kernels_in_model", "plot_model",
    ],
}


@pytest.mark.parametrize("module, name", [(m, n) for m, names in KERAS_MODULES.items() for n in names])
def test_every_keras_2_2_name_imports_from_its_module(module, name):
    imported = importlib.import_module(module)
    assert callable(getattr(imported, name)), f"{module}.{name}"
    assert name in imported.__all__


# -- conv_utils -------------------------------------------------------------------------------------
def keras_conv_output_length(n, k, padding, stride, dilation):
    """Keras 2.2.4's documented formula, worked independently of numkeras."""
    k_eff = k + (k - 1) * (dilation - 1)
    length = {"same": n, "causal": n, "valid": n - k_eff + 1, "full": n + k_eff - 1}[padding]
    return (length + stride - 1) // stride


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), stride=st.integers(1, 4), dilation=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid", "full", "causal"]))
def test_conv_output_length_is_keras_formula(n, k, stride, dilation, padding):
    from numkeras.utils.conv_utils import conv_output_length

    expected = keras_conv_output_length(n, k, padding, stride, dilation)
    got = conv_output_length(n, k, padding, stride, dilation)
    if expected >= 0:
        assert got == expected
    else:  # Keras 2.2 gave a negative length for a window longer than a 'valid' input
        assert got == 0
    assert conv_output_length(None, k, padding, stride, dilation) is None


@pytest.mark.parametrize("n, k, padding, stride, dilation", [
    (10, 3, "valid", 1, 1), (10, 3, "valid", 2, 1), (11, 3, "same", 2, 1), (9, 2, "causal", 1, 3),
    (12, 3, "valid", 1, 2), (13, 4, "full", 1, 1),
])
def test_conv_output_length_matches_the_length_a_conv1d_computes(n, k, padding, stride, dilation):
    from numkeras.utils.conv_utils import conv_output_length

    layer = Conv1D(1, k, strides=stride, padding=padding, dilation_rate=dilation)
    out = layer(np.zeros((1, n, 1), "float32"))
    assert out.shape[1] == conv_output_length(n, k, padding, stride, dilation)


def test_conv_input_and_deconv_lengths_are_keras_formulas():
    from numkeras.utils.conv_utils import conv_input_length, deconv_length

    # (output - 1) * stride - 2 * pad + filter, pad = filter // 2 ('same'), 0 ('valid'), filter - 1 ('full')
    assert conv_input_length(5, 3, "same", 2) == 4 * 2 - 2 * 1 + 3
    assert conv_input_length(5, 3, "valid", 2) == 4 * 2 + 3
    assert conv_input_length(5, 3, "full", 1) == 4 - 2 * 2 + 3
    assert conv_input_length(None, 3, "same", 1) is None
    # no output_padding: n * s + max(k - s, 0) ('valid'), n * s ('same'), n * s - (s + k - 2) ('full')
    assert deconv_length(4, 2, 3, "valid", None) == 4 * 2 + 1
    assert deconv_length(4, 2, 3, "same", None) == 8
    assert deconv_length(4, 2, 3, "full", None) == 8 - 3
    # with output_padding: (n - 1) * s + k - 2 * pad + output_padding
    assert deconv_length(4, 2, 3, "same", 1) == 3 * 2 + 3 - 2 * 1 + 1
    assert deconv_length(4, 1, 3, "valid", 0, dilation=2) == 3 + 5
    assert deconv_length(None, 2, 3, "same", None) is None


def test_normalizers_check_their_values():
    from numkeras.utils import conv_utils

    assert conv_utils.normalize_tuple(3, 2, "kernel_size") == (3, 3)
    assert conv_utils.normalize_tuple([1, 2], 2, "strides") == (1, 2)
    with pytest.raises(ValueError, match="strides"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "strides")
    assert conv_utils.normalize_padding("SAME") == "same"
    with pytest.raises(ValueError, match="padding"):
        conv_utils.normalize_padding("middle")
    assert conv_utils.normalize_data_format("Channels_First") == "channels_first"
    assert conv_utils.normalize_data_format(None) == numkeras.backend.image_data_format()
    with pytest.raises(ValueError, match="data_format"):
        conv_utils.normalize_data_format("th")


def test_convert_kernel_turns_cross_correlation_into_convolution():
    from numkeras.utils.conv_utils import convert_kernel

    rng = np.random.default_rng(0)
    x, w = rng.normal(size=12), rng.normal(size=4)
    layer = Conv1D(1, 4, use_bias=False)
    layer.build((None, 12, 1))
    layer.set_weights([convert_kernel(w.reshape(4, 1, 1))])
    got = np.asarray(layer(x.reshape(1, 12, 1).astype("float32")).data).ravel()
    np.testing.assert_allclose(got, np.convolve(x, w, mode="valid"), rtol=1e-5, atol=1e-5)
    kernel = rng.normal(size=(2, 3, 4, 5))
    np.testing.assert_array_equal(convert_kernel(kernel), kernel[::-1, ::-1])
    with pytest.raises(ValueError, match="convolution kernel"):
        convert_kernel(np.ones((3, 3)))


def test_convert_all_kernels_in_model_flips_convolutions_only():
    from numkeras.utils.layer_utils import convert_all_kernels_in_model

    model = Sequential([Conv2D(2, 3, input_shape=(5, 5, 1)), Flatten(), Dense(2)])
    before = model.get_weights()
    convert_all_kernels_in_model(model)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], before[0][::-1, ::-1])
    for old, new in zip(before[1:], after[1:]):
        np.testing.assert_array_equal(old, new)
    convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(model.get_weights()[0], before[0])


def test_convert_dense_weights_data_format_keeps_the_dense_output():
    """The feature map flattened in the other order, through the converted Dense, gives the same output."""
    from numkeras.utils.layer_utils import convert_dense_weights_data_format

    rng = np.random.default_rng(2)
    feature_map = rng.normal(size=(1, 2, 3, 4)).astype("float32")  # (batch, rows, cols, channels)
    dense = Dense(5)
    dense.build((None, 24))
    expected = np.asarray(dense(feature_map.reshape(1, -1)).data)
    convert_dense_weights_data_format(dense, (4, 2, 3), "channels_first")
    channels_first = feature_map.transpose(0, 3, 1, 2).reshape(1, -1)
    np.testing.assert_allclose(np.asarray(dense(channels_first).data), expected, rtol=1e-5, atol=1e-6)
    convert_dense_weights_data_format(dense, (2, 3, 4), "channels_last")
    np.testing.assert_allclose(np.asarray(dense(feature_map.reshape(1, -1)).data), expected, rtol=1e-5, atol=1e-6)


def test_get_source_inputs_walks_back_to_the_inputs():
    from numkeras.engine.topology import get_source_inputs
    from numkeras.layers import Concatenate

    a, b, c = Input((2,)), Input((2,)), Input((2,))
    shared = Dense(2)
    merged = Concatenate()([shared(b), shared(a), Dense(2)(b)])
    sources = get_source_inputs(merged)
    assert len(sources) == 2 and sources[0] is b and sources[1] is a
    assert get_source_inputs(c) == [c]
    plain = np.ones(2)
    assert get_source_inputs(plain)[0] is plain


# -- layer_utils ---------------------------------------------------------------------------------------
def test_count_params_and_print_summary():
    from numkeras.utils.layer_utils import count_params, print_summary

    model = Sequential([Dense(3, input_shape=(4,)), Dense(2)])
    assert count_params(model.trainable_weights) == 4 * 3 + 3 + 3 * 2 + 2
    shared = model.layers[0].kernel
    assert count_params([shared, shared]) == 12
    lines, expected = [], []
    print_summary(model, line_length=70, print_fn=lines.append)
    model.summary(line_length=70, print_fn=expected.append)
    assert lines == expected and any("Total params: 23" in line for line in lines)


# -- io_utils.HDF5Matrix ---------------------------------------------------------------------------
@pytest.fixture
def h5_data(tmp_path):
    path = tmp_path / "data.h5"
    x = np.arange(60, dtype="float32").reshape(20, 3)
    y = (x.sum(axis=1, keepdims=True) / 100).astype("float32")
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = x, y
    return path, x, y


def test_hdf5matrix_reads_rows_relative_to_start(h5_data):
    from numkeras.utils.io_utils import HDF5Matrix

    path, x, _ = h5_data
    with HDF5Matrix(path, "x", start=5, end=15) as m:
        view = x[5:15]
        assert len(m) == 10 and m.shape == (10, 3) and m.dtype == np.float32 and m.ndim == 2 and m.size == 30
        np.testing.assert_array_equal(m[0], view[0])
        np.testing.assert_array_equal(m[-1], view[-1])
        np.testing.assert_array_equal(m[2:6], view[2:6])
        np.testing.assert_array_equal(m[:], view)
        np.testing.assert_array_equal(m[[7, 1, 1, 4]], view[[7, 1, 1, 4]])
        np.testing.assert_array_equal(m[np.array([3, 0])], view[[3, 0]])
        np.testing.assert_array_equal(np.asarray(m), view)
        for bad in (10, -11, [0, 10]):
            with pytest.raises(IndexError):
                m[bad]
    with HDF5Matrix(path, "x", normalizer=lambda rows: rows / 2) as m:
        np.testing.assert_array_equal(m[3:5], x[3:5] / 2)
    with pytest.raises(KeyError, match="no dataset 'z'"):
        HDF5Matrix(path, "z")
    with pytest.raises(ValueError, match="start"):
        HDF5Matrix(path, "x", start=5, end=30)


def test_fit_on_hdf5matrix_equals_fit_on_its_arrays(h5_data):
    from numkeras.utils.io_utils import HDF5Matrix

    path, x, y = h5_data

    def trained(x_data, y_data):
        model = Sequential([Dense(1, input_shape=(3,), kernel_initializer="zeros")])
        model.compile(numkeras.optimizers.SGD(lr=0.001), "mse")
        model.fit(x_data, y_data, batch_size=4, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), model.predict(x_data)

    with HDF5Matrix(path, "x") as hx, HDF5Matrix(path, "y") as hy:
        got = trained(hx, hy)
    expected = trained(x, y)
    for a, b in zip(got[0] + [got[1]], expected[0] + [expected[1]]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# -- engine.training_utils -------------------------------------------------------------------------
def test_standardize_input_data_follows_keras():
    from numkeras.engine.training_utils import standardize_input_data

    a, b = np.ones((4, 2)), np.zeros((4,))
    out = standardize_input_data({"b": b, "a": a}, ["a", "b"], [(None, 2), (None, 1)], exception_prefix="input")
    assert out[0] is not None and out[1].shape == (4, 1)
    assert [o.shape for o in standardize_input_data([a, b], ["a", "b"])] == [(4, 2), (4, 1)]
    assert standardize_input_data([1.0, 2.0, 3.0], ["a"])[0].shape == (3, 1)
    assert standardize_input_data(None, ["a", "b"]) == [None, None]
    assert standardize_input_data(None, []) == []
    with pytest.raises(ValueError, match="expected no data"):
        standardize_input_data([a], [])
    with pytest.raises(ValueError, match="No data provided for 'b'"):
        standardize_input_data({"a": a}, ["a", "b"])
    with pytest.raises(ValueError, match="expects 2 array"):
        standardize_input_data([a], ["a", "b"])
    with pytest.raises(ValueError, match=r"expected a to have 3 dimensions, but got array with shape \(4, 2\)"):
        standardize_input_data(a, ["a"], [(None, 2, 1)], exception_prefix="input")
    with pytest.raises(ValueError, match=r"expected a to have shape \(5, 2\)"):
        standardize_input_data(a, ["a"], [(5, 2)], exception_prefix="input")
    assert standardize_input_data(a, ["a"], [(5, 2)], check_batch_axis=False)[0].shape == (4, 2)


def test_weight_standardization_follows_keras():
    from numkeras.engine import training_utils as tu

    assert tu.standardize_sample_weights(None, ["o"]) == [None]
    assert tu.standardize_class_weights({"o": {0: 1.0}}, ["o"]) == [{0: 1.0}]
    assert tu.standardize_class_weights({0: 1.0, 1: 2.0}, ["o"]) == [{0: 1.0, 1: 2.0}]
    assert tu.standardize_class_weights({"a": {0: 2.0}}, ["a", "b"]) == [{0: 2.0}, None]
    with pytest.raises(ValueError, match="list of 1 elements, but the model has 2 outputs"):
        tu.standardize_sample_weights([np.ones(3)], ["a", "b"])
    with pytest.raises(TypeError, match="list or a dict"):
        tu.standardize_sample_weights(np.ones(3), ["a", "b"])
    y = np.array([[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(tu.standardize_weights(y, class_weight={0: 3.0, 1: 0.5}), [0.5, 3.0, 0.5])
    np.testing.assert_array_equal(tu.standardize_weights(y), np.ones(3))
    np.testing.assert_array_equal(tu.standardize_weights(np.zeros((3, 4, 2)), sample_weight_mode="temporal"),
                                  np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"classes \[1\]"):
        tu.standardize_weights(y, class_weight={0: 1.0})


def test_weighted_masked_objective_is_keras_formula():
    from numkeras.engine.training_utils import weighted_masked_objective

    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))
    weights = np.array([1.0, 0.0, 2.0, 0.5])
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]], dtype=float)
    fn = weighted_masked_objective(numkeras.losses.get("mse"))
    # Keras 2.2: score * mask / mean(mask) -> mean over time -> * weights / mean(weights != 0) -> mean
    score = np.mean((y_pred - y_true) ** 2, axis=-1) * mask / mask.mean()
    expected = np.mean(score.mean(axis=1) * weights / np.mean(weights != 0))
    K = numkeras.backend
    got = fn(K.constant(y_true, dtype="float64"), K.constant(y_pred, dtype="float64"), weights, mask)
    np.testing.assert_allclose(float(np.asarray(got.data)), expected, rtol=1e-10)
    assert weighted_masked_objective(None) is None


def test_batch_helpers_follow_keras():
    from numkeras.engine import training_utils as tu

    assert tu.make_batches(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert tu.make_batches(8, 4) == [(0, 4), (4, 8)]
    numkeras.utils.set_random_seed(3)
    shuffled = tu.batch_shuffle(np.arange(10), 3)
    assert sorted(shuffled) == list(range(10)) and list(shuffled[-1:]) == [9]
    chunks = shuffled[:9].reshape(3, 3)
    assert all(list(c) == list(range(c[0], c[0] + 3)) and c[0] % 3 == 0 for c in chunks)
    assert tu.check_num_samples([np.ones((7, 2))]) == 7
    assert tu.check_num_samples([np.ones((7, 2))], steps=3) is None
    with pytest.raises(ValueError, match="batch_size must be None"):
        tu.check_num_samples([np.ones((7, 2))], batch_size=2, steps=3)
    tu.check_array_length_consistency([np.ones(3)], [np.ones(3)], [np.ones(3)])
    with pytest.raises(ValueError, match="same number of samples"):
        tu.check_array_length_consistency([np.ones(3)], [np.ones(4)])
    assert tu.collect_metrics(None, ["a", "b"]) == [[], []]
    assert tu.collect_metrics(["acc"], ["a", "b"]) == [["acc"], ["acc"]]
    assert tu.collect_metrics({"b": "mae"}, ["a", "b"]) == [[], ["mae"]]
    with pytest.raises(TypeError, match="list or a dict"):
        tu.collect_metrics("acc", ["a"])
    assert tu.is_sequence(numkeras.utils.Sequence()) and not tu.is_sequence([1, 2])
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        tu.check_loss_and_target_compatibility([np.zeros((3, 1))], ["categorical_crossentropy"], [(None, 4)])


# -- generic_utils -----------------------------------------------------------------------------------
def test_keras_object_serialization_round_trips_through_module_and_custom_objects():
    from numkeras.utils import generic_utils as gu

    layer = Dense(3, name="d")
    config = gu.serialize_keras_object(layer)
    assert config == {"class_name": "Dense", "config": layer.get_config()}
    rebuilt = gu.deserialize_keras_object(config, module_objects={"Dense": type(layer)})
    assert rebuilt.get_config() == layer.get_config()

    def swish(x):
        return x

    assert gu.serialize_keras_object(swish) == "swish" and gu.serialize_keras_object(None) is None
    assert gu.deserialize_keras_object("swish", custom_objects={"swish": swish}) is swish
    with gu.custom_object_scope({"swish": swish}):
        assert gu.deserialize_keras_object("swish") is swish
        assert gu.get_custom_objects()["swish"] is swish
    with pytest.raises(ValueError, match="Unknown activation: 'swish'"):
        gu.deserialize_keras_object("swish", printable_module_name="activation")
    with pytest.raises(ValueError, match="Improper config"):
        gu.deserialize_keras_object({"class_name": "Dense"})
    with pytest.raises(ValueError, match="Cannot serialize"):
        gu.serialize_keras_object(3)


@pytest.fixture
def global_custom_objects():
    from numkeras.registry import global_custom_objects

    before = dict(global_custom_objects())
    yield global_custom_objects()
    global_custom_objects().clear()
    global_custom_objects().update(before)


def test_get_custom_objects_outside_a_scope_is_keras_global_dict(global_custom_objects, tmp_path):
    """Keras 2 code registers with ``get_custom_objects().update(...)``; the names then resolve everywhere."""
    from numkeras.utils.generic_utils import custom_object_scope, get_custom_objects

    def scaled_tanh(x):
        return numkeras.backend.tanh(x) * 2.0

    class Doubler(numkeras.engine.Layer):
        def call(self, inputs):
            return inputs * 2.0

    assert get_custom_objects() is global_custom_objects
    get_custom_objects().update({"scaled_tanh": scaled_tanh, "Doubler": Doubler})
    with custom_object_scope({"other": abs}):
        get_custom_objects()["scope_only"] = abs  # inside a scope: that scope's dict
        assert numkeras.activations.get("scaled_tanh") is scaled_tanh  # the global dict is still searched
    assert "scope_only" not in global_custom_objects and "other" not in global_custom_objects

    model = Sequential([Dense(2, activation="scaled_tanh", input_shape=(3,)), Doubler()])
    x = np.ones((1, 3), "float32")
    expected = np.tanh(x @ model.get_weights()[0] + model.get_weights()[1]) * 4.0
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)
    path = str(tmp_path / "m.h5")
    model.save(path)
    np.testing.assert_allclose(numkeras.models.load_model(path, compile=False).predict(x), expected, rtol=1e-5)
    global_custom_objects.clear()
    with pytest.raises(Exception, match="scaled_tanh"):
        numkeras.activations.get("scaled_tanh")


def test_list_helpers_follow_keras():
    from numkeras.utils import generic_utils as gu

    assert gu.to_list(1) == [1] and gu.to_list([1]) == [1] and gu.to_list((1,)) == [(1,)]
    assert gu.to_list((1, 2), allow_tuple=True) == [1, 2]
    assert gu.unpack_singleton([5]) == 5 and gu.unpack_singleton([5, 6]) == [5, 6]
    a = np.arange(10)
    np.testing.assert_array_equal(gu.slice_arrays(a, 2, 5), a[2:5])
    assert [list(s) for s in gu.slice_arrays([a, a], [1, 3])] == [[1, 3], [1, 3]]
    assert gu.slice_arrays([a, None], 0, 2)[1] is None
    assert gu.has_arg(lambda x, y=1: 0, "y") and not gu.has_arg(lambda x, **kw: 0, "y")
    assert gu.has_arg(lambda x, **kw: 0, "y", accept_all=True)


# -- engine.saving -----------------------------------------------------------------------------------
def test_engine_saving_paths_save_and_load(tmp_path):
    from numkeras.engine import saving

    inputs = Input((3,))
    model = Model(inputs, Dense(2, name="out")(Dense(4, name="hidden")(inputs)))
    model.compile("sgd", "mse")
    path = str(tmp_path / "m.h5")
    saving.save_model(model, path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(saving.load_model(path).predict(x), model.predict(x), rtol=1e-6)
    assert saving.model_from_json(model.to_json()).count_params() == model.count_params()

    other = saving.model_from_config({"class_name": "Model", "config": model.get_config()})
    with h5py.File(path, "r") as f:
        saving.load_weights_from_hdf5_group(f["model_weights"], other.layers)
    np.testing.assert_allclose(other.predict(x), model.predict(x), rtol=1e-6)

    weights_path = str(tmp_path / "w.h5")
    with h5py.File(weights_path, "w") as f:
        saving.save_weights_to_hdf5_group(f, model.layers)
    renamed = Sequential([Dense(4, input_shape=(3,), name="hidden"), Dense(7, name="unrelated")])
    with h5py.File(weights_path, "r") as f:
        saving.load_weights_from_hdf5_group_by_name(f, renamed.layers)
    np.testing.assert_array_equal(renamed.layers[0].get_weights()[0], model.get_layer("hidden").get_weights()[0])
    assert os.path.getsize(weights_path) > 0
