"""Weights in Keras 1's, Theano's and cuDNN's layouts load converted (Keras 2.2.4's preprocess_weights_for_loading).

Expected values come from outside numkeras: the files in tests/data/keras1/ and their predictions
were written by tests/data/make_keras1_fixtures.py with an independent NumPy implementation of
Keras 1's formulas, and the files in tests/data/tf_keras_cudnn/ by tf_keras 2.17's CuDNN layers
and its own conversion (see tests/data/README.md); the unit tests check each conversion against
the layout worked by hand here, element by element.
"""

import json
import warnings

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numkeras import layers
from numkeras.engine.saving import (
    load_weights_from_hdf5_group, load_weights_from_hdf5_group_by_name, preprocess_weights_for_loading,
)
from numkeras.models import Sequential, load_model, model_from_json
from numkeras.saving import WeightConversionError
from numkeras.saving.hdf5 import writer_attributes
from numkeras.saving.legacy_weights import convert_rnn_weights, is_keras_1, kernel_flip_needed

from .helpers import DATA

KERAS1 = DATA / "keras1"


def built(layer, input_shape):
    """``layer`` built for inputs of ``input_shape`` (without the batch axis)."""
    Sequential([layers.InputLayer(input_shape=input_shape), layer])
    return layer


def rand(rng, *shape):
    return rng.standard_normal(shape).astype("float32")


# -- the fixtures: each loads into a Keras 2 model built the same way and predicts as Keras 1 did ----
FIXTURES = {
    "keras1_mlp": lambda: Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                                      layers.Dense(3, activation="softmax")]),
    "keras1_conv2d_th_theano": lambda: Sequential([
        layers.Conv2D(3, (3, 2), data_format="channels_first", input_shape=(2, 6, 5)), layers.Flatten(),
        layers.Dense(2)]),
    "keras1_conv2d_tf_theano": lambda: Sequential([layers.Conv2D(3, (3, 2), input_shape=(6, 5, 2))]),
    "keras1_lstm": lambda: Sequential([layers.LSTM(4, input_shape=(5, 3)), layers.Dense(2)]),
    "keras1_gru": lambda: Sequential([layers.GRU(4, input_shape=(5, 3))]),
    "keras1_bidirectional_lstm": lambda: Sequential([layers.Bidirectional(layers.LSTM(3), input_shape=(4, 2)),
                                                     layers.Dense(2)]),
    "keras1_batchnorm": lambda: Sequential([layers.Dense(5, input_shape=(4,)), layers.BatchNormalization(),
                                            layers.Dense(2)]),
    # Keras 2.2.4 CuDNNLSTM weights into an LSTM with cuDNN's activations, and into CuDNNLSTM
    "keras224_cudnn_lstm": lambda: Sequential([layers.LSTM(4, recurrent_activation="sigmoid", input_shape=(5, 3))]),
    "keras224_cudnn_lstm-into-CuDNNLSTM": lambda: Sequential([layers.CuDNNLSTM(4, input_shape=(5, 3))]),
}


def _expected(name):
    archive = np.load(KERAS1 / f"{name.split('-')[0]}.npz")
    return archive["x"], archive["pred"]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_predicts_what_keras_1_computed(name):
    model = FIXTURES[name]()
    x, expected = _expected(name)
    before = model.predict(x)
    model.load_weights(str(KERAS1 / f"{name.split('-')[0]}.h5"))
    assert not np.allclose(before, expected, atol=1e-3)  # the file's weights made the difference
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["keras1_mlp", "keras1_lstm", "keras1_conv2d_th_theano"])
def test_fixture_loads_by_name_and_through_the_group_functions(name):
    x, expected = _expected(name)
    model = FIXTURES[name]()
    for layer, saved_name in zip([l for l in model.layers if l.weights],
                                 {"keras1_mlp": ["dense_1", "dense_2"], "keras1_lstm": ["lstm_1", "dense_1"],
                                  "keras1_conv2d_th_theano": ["convolution2d_1", "dense_1"]}[name]):
        layer.name = saved_name
    model.load_weights(str(KERAS1 / f"{name}.h5"), by_name=True)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)
    for load in (load_weights_from_hdf5_group, load_weights_from_hdf5_group_by_name):
        fresh = FIXTURES[name]()
        for layer, renamed in zip(fresh.layers, model.layers):
            layer.name = renamed.name
        with h5py.File(KERAS1 / f"{name}.h5", "r") as f:
            load(f, fresh.layers)
        np.testing.assert_allclose(fresh.predict(x), expected, rtol=1e-5, atol=1e-5)


def test_keras_1_model_file_loads_whole_and_predicts_what_keras_1_computed():
    """Keras 1's Sequential config is the list of its layers, with Keras 1 argument names."""
    x, expected = _expected("keras1_mlp")
    with pytest.warns(DeprecationWarning, match="output_dim"):
        model = load_model(str(KERAS1 / "keras1_mlp_model.h5"))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


def test_a_config_keras_1_1_wrote_rebuilds_the_model_it_describes():
    """A published Keras 1.1.0 JSON (tests/data/README.md): every Keras 1 key translates, and the
    parameter counts are Keras's formulas: LSTM 4 * (99 * 256 + 256 * 256 + 256), Dense 256 * 99 + 99."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = model_from_json((KERAS1 / "keras1_1_0_lstm_model.json").read_text())
    lstm, dense, softmax = model.layers
    assert [lstm.count_params(), dense.count_params(), softmax.count_params()] == [
        4 * (99 * 256 + 256 * 256 + 256), 256 * 99 + 99, 0]
    assert model.input_shape == (None, 20, 99) and model.output_shape == (None, 99)
    assert lstm.recurrent_activation.__name__ == "hard_sigmoid" and lstm.unit_forget_bias  # forget_bias_init='one'
    assert (lstm.name, dense.name, softmax.name) == ("lstm_1", "dense_1", "activation_1")


def test_only_a_sequential_config_may_be_a_list():
    config = {"class_name": "Dense", "config": [{"class_name": "Dense", "config": {"units": 2}}]}
    with pytest.raises(ValueError, match="only a Sequential"):
        model_from_json(json.dumps(config))
    with pytest.raises(TypeError, match="input_dtype"):
        layers.Dense(2, input_dtype="float32", dtype="float64")


def test_keras_1_model_file_weights_version_on_the_root_only():
    # Keras 1's save_model wrote keras_version on the file's root, none on model_weights.
    with h5py.File(KERAS1 / "keras1_mlp_model.h5", "r") as f:
        assert "keras_version" not in f["model_weights"].attrs
        assert writer_attributes(f["model_weights"]) == ("1.2.2", None)
    with h5py.File(KERAS1 / "keras1_gru.h5", "r") as f:  # Keras 1.0: no attributes at all
        assert writer_attributes(f) == ("1", None)
    with h5py.File(KERAS1 / "keras1_conv2d_th_theano.h5", "r") as f:
        assert writer_attributes(f) == ("1.2.2", "theano")
    x, expected = _expected("keras1_mlp")
    model = FIXTURES["keras1_mlp"]()
    model.load_weights(str(KERAS1 / "keras1_mlp_model.h5"))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make_cudnn, make_plain", [
    (lambda: layers.CuDNNLSTM(5, input_shape=(6, 3)),
     lambda: layers.LSTM(5, recurrent_activation="sigmoid", input_shape=(6, 3))),
    (lambda: layers.CuDNNGRU(5, input_shape=(6, 3)),
     lambda: layers.GRU(5, recurrent_activation="sigmoid", reset_after=True, input_shape=(6, 3))),
], ids=["lstm", "gru"])
def test_cudnn_weights_saved_by_numkeras_load_into_lstm_gru_and_back(make_cudnn, make_plain, tmp_path):
    rng = np.random.default_rng(3)
    x = rand(rng, 2, 6, 3)
    cudnn = Sequential([make_cudnn()])
    cudnn.set_weights([rand(rng, *w.shape) for w in cudnn.get_weights()])
    cudnn.save_weights(str(tmp_path / "cudnn.h5"))
    plain = Sequential([make_plain()])
    plain.load_weights(str(tmp_path / "cudnn.h5"))
    np.testing.assert_allclose(plain.predict(x), cudnn.predict(x), rtol=1e-5, atol=1e-5)
    plain.save_weights(str(tmp_path / "plain.h5"))
    again = Sequential([make_cudnn()])
    again.load_weights(str(tmp_path / "plain.h5"))
    np.testing.assert_allclose(again.predict(x), cudnn.predict(x), rtol=1e-5, atol=1e-5)


# -- numkeras 0.1's CuDNN files: LSTM / GRU matrices under cuDNN's names, no cudnn_layout mark ------------
def _as_numkeras_0_1_file(path, plain_arrays_by_dataset):
    """Rewrites a numkeras weights file as numkeras 0.1 wrote it: its CuDNN arrays in the plain
    LSTM / GRU layout, and no ``cudnn_layout`` attribute (0.1 wrote none)."""
    if path.endswith(".npz"):
        import json

        with np.load(path) as archive:
            arrays = dict(archive)
        metadata = json.loads(str(arrays["__numkeras_weights__"]))
        del metadata["cudnn_layout"]
        arrays["__numkeras_weights__"] = np.asarray(json.dumps(metadata))
        for index, value in plain_arrays_by_dataset.items():
            arrays[f"w{index}"] = value
        np.savez(path, **arrays)
        return
    with h5py.File(path, "r+") as f:
        del f.attrs["cudnn_layout"]
        datasets = [f"{layer.decode()}/{weight.decode()}" for layer in f.attrs["layer_names"]
                    for weight in f[layer.decode()].attrs["weight_names"]]  # the weights in Keras's order
        for index, value in plain_arrays_by_dataset.items():
            f[datasets[index]][...] = value


@pytest.mark.parametrize("suffix", [".h5", ".npz"])
@pytest.mark.parametrize("gates, make_cudnn, make_plain", [
    (4, lambda: layers.CuDNNLSTM(5), lambda: layers.LSTM(5, recurrent_activation="sigmoid")),
    (3, lambda: layers.CuDNNGRU(5), lambda: layers.GRU(5, recurrent_activation="sigmoid", reset_after=True)),
], ids=["lstm", "gru"])
def test_cudnn_weights_numkeras_0_1_wrote_compute_what_they_computed_then(gates, make_cudnn, make_plain, suffix,
                                                                          tmp_path):
    """numkeras 0.1's CuDNNLSTM / CuDNNGRU computed an LSTM / GRU of the arrays it stored; such a file
    loads into today's CuDNN layer (which stores cuDNN's layout) and predicts what it predicted then."""
    rng = np.random.default_rng(5)
    x = rand(rng, 2, 6, 3)
    kernel, recurrent, bias = rand(rng, 3, gates * 5), rand(rng, 5, gates * 5), rand(rng, 2 * gates * 5)
    path = str(tmp_path / f"old{suffix}")
    cudnn = Sequential([layers.Bidirectional(make_cudnn(), input_shape=(6, 3))])
    cudnn.save_weights(path)
    _as_numkeras_0_1_file(path, {0: kernel, 1: recurrent, 2: bias, 3: kernel, 4: recurrent, 5: bias})
    cudnn.load_weights(path)
    then = Sequential([layers.Bidirectional(make_plain(), input_shape=(6, 3))])
    plain_bias = bias[:4 * 5] + bias[4 * 5:] if gates == 4 else bias.reshape(2, 3 * 5)
    then.set_weights([kernel, recurrent, plain_bias] * 2)
    np.testing.assert_allclose(cudnn.predict(x), then.predict(x), rtol=1e-5, atol=1e-5)


# -- tf_keras 2.17's CuDNN layers (same layout as Keras 2.2.4's): its conversion, both ways ----------
TF_KERAS_CUDNN = {
    "cudnn_lstm": (lambda: layers.LSTM(4, recurrent_activation="sigmoid"), lambda: layers.CuDNNLSTM(4)),
    "cudnn_gru": (lambda: layers.GRU(4, recurrent_activation="sigmoid", reset_after=True),
                  lambda: layers.CuDNNGRU(4)),
}


@pytest.mark.parametrize("name", sorted(TF_KERAS_CUDNN))
def test_tf_keras_cudnn_weights_convert_and_predict_as_tf_keras(name, tmp_path):
    archive = np.load(DATA / "tf_keras_cudnn" / f"{name}.npz")
    path = str(DATA / "tf_keras_cudnn" / f"{name}.h5")
    make_plain, make_cudnn = TF_KERAS_CUDNN[name]
    plain = Sequential([layers.InputLayer(input_shape=(5, 3)), make_plain()])
    plain.load_weights(path)
    for index, weight in enumerate(plain.get_weights()):  # the arrays tf_keras converted to
        np.testing.assert_allclose(weight, archive[f"plain{index}"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(plain.predict(archive["x"]), archive["pred"], rtol=1e-5, atol=1e-5)
    # numkeras's CuDNN layer reads tf_keras's file as it is and computes what tf_keras's converted LSTM did
    cudnn = Sequential([layers.InputLayer(input_shape=(5, 3)), make_cudnn()])
    cudnn.load_weights(path)
    np.testing.assert_allclose(cudnn.predict(archive["x"]), archive["pred"], rtol=1e-5, atol=1e-5)
    # and back: an LSTM / GRU file into a CuDNN layer gives the arrays tf_keras's CuDNN layer holds
    plain.save_weights(str(tmp_path / "plain.h5"))
    cudnn.load_weights(str(tmp_path / "plain.h5"))
    for index, weight in enumerate(cudnn.get_weights()):
        np.testing.assert_allclose(weight, archive[f"cudnn{index}"], rtol=1e-6, atol=1e-7)


# -- each conversion, against the layout worked by hand -------------------------------------------
def test_keras_1_lstm_gates_i_c_f_o_become_i_f_c_o():
    rng = np.random.default_rng(0)
    lstm = built(layers.LSTM(2), (4, 3))
    saved = {f"{kind}_{gate}": rand(rng, *shape) for gate in "icfo"
             for kind, shape in (("W", (3, 2)), ("U", (2, 2)), ("b", (2,)))}
    order = [saved[f"{kind}_{gate}"] for gate in "icfo" for kind in "WUb"]
    kernel, recurrent, bias = preprocess_weights_for_loading(lstm, order, "1.2.2")
    for position, gate in enumerate("ifco"):
        block = slice(2 * position, 2 * position + 2)
        np.testing.assert_array_equal(kernel[:, block], saved[f"W_{gate}"])
        np.testing.assert_array_equal(recurrent[:, block], saved[f"U_{gate}"])
        np.testing.assert_array_equal(bias[block], saved[f"b_{gate}"])


def test_keras_1_gru_gates_z_r_h_are_concatenated():
    rng = np.random.default_rng(1)
    gru = built(layers.GRU(2), (4, 3))
    saved = [rand(rng, *shape) for _ in "zrh" for shape in ((3, 2), (2, 2), (2,))]
    kernel, recurrent, bias = preprocess_weights_for_loading(gru, saved, "1")
    np.testing.assert_array_equal(kernel, np.hstack([saved[0], saved[3], saved[6]]))
    np.testing.assert_array_equal(recurrent, np.hstack([saved[1], saved[4], saved[7]]))
    np.testing.assert_array_equal(bias, np.hstack([saved[2], saved[5], saved[8]]))


def test_keras_1_lists_load_only_for_keras_1_files():
    rng = np.random.default_rng(2)
    gru = built(layers.GRU(2), (4, 3))
    saved = [rand(rng, *shape) for _ in "zrh" for shape in ((3, 2), (2, 2), (2,))]
    assert len(preprocess_weights_for_loading(gru, saved, "2.2.4")) == 9  # left for the count check


def test_simple_rnn_dense_and_batchnorm_keep_keras_1_arrays():
    rng = np.random.default_rng(5)
    for layer, shape in ((layers.SimpleRNN(2), (4, 3)), (layers.Dense(2), (3,)),
                         (layers.BatchNormalization(), (3,))):
        built(layer, shape)
        saved = [rand(rng, *w.shape) for w in layer.weights]
        for got, want in zip(preprocess_weights_for_loading(layer, saved, "1.2.2", "theano"), saved):
            np.testing.assert_array_equal(got, want)


_dims = st.integers(1, 4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filters=_dims, channels=_dims, rows=_dims, cols=_dims)
def test_keras_1_th_kernels_transpose_to_keras_2(filters, channels, rows, cols):
    rng = np.random.default_rng(filters * 64 + channels * 16 + rows * 4 + cols)
    saved = rand(rng, filters, channels, rows, cols)  # Keras 1 'th': (filters, channels, rows, cols)
    conv = built(layers.Conv2D(filters, (rows, cols), data_format="channels_first"), (channels, 6, 6))
    kernel = preprocess_weights_for_loading(conv, [saved, rand(rng, filters)], "1.2.2")[0]
    deconv = built(layers.Conv2DTranspose(filters, (rows, cols), data_format="channels_first"), (channels, 6, 6))
    deconv_kernel = preprocess_weights_for_loading(deconv, [saved, rand(rng, channels)], "1.2.2")[0]
    for f, c, r, k in np.ndindex(saved.shape):
        assert kernel[r, k, c, f] == saved[f, c, r, k]
        assert deconv_kernel[r, k, f, c] == saved[f, c, r, k]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filters=_dims, channels=_dims, depth=_dims, rows=_dims)
def test_keras_1_th_conv3d_kernels_transpose(filters, channels, depth, rows):
    rng = np.random.default_rng(7)
    saved = rand(rng, filters, channels, depth, rows, 2)
    conv = built(layers.Conv3D(filters, (depth, rows, 2), data_format="channels_first"), (channels, 5, 5, 5))
    kernel = preprocess_weights_for_loading(conv, [saved, rand(rng, filters)], "1.2.2")[0]
    for f, c, d, r, k in np.ndindex(saved.shape):
        assert kernel[d, r, k, c, f] == saved[f, c, d, r, k]


def test_keras_1_tf_ordered_deconvolution_swaps_its_channel_axes():
    rng = np.random.default_rng(8)
    saved = rand(rng, 3, 2, 4, 5)  # Keras 1 'tf' Deconvolution2D: (rows, cols, channels, filters)
    deconv = built(layers.Conv2DTranspose(5, (3, 2)), (6, 6, 4))
    kernel = preprocess_weights_for_loading(deconv, [saved, rand(rng, 5)], "1.2.2")[0]
    np.testing.assert_array_equal(kernel, saved.transpose(0, 1, 3, 2))


def test_keras_1_tf_ordered_kernel_in_a_channels_first_model_stays():
    # A (rows, cols, channels, filters) kernel already has the layer's shape; the 'th'
    # transpose would not give it, so the kernel is Keras 1 'tf'-ordered and stays.
    rng = np.random.default_rng(9)
    saved = rand(rng, 3, 2, 4, 5)
    conv = built(layers.Conv2D(5, (3, 2), data_format="channels_first"), (4, 6, 6))
    np.testing.assert_array_equal(preprocess_weights_for_loading(conv, [saved, rand(rng, 5)], "1.2.2")[0], saved)


def test_keras_1_conv1d_kernels_of_keras_1_2_and_1_1():
    rng = np.random.default_rng(10)
    conv = built(layers.Conv1D(5, 3), (8, 4))
    keras_1_2 = rand(rng, 3, 1, 4, 5)  # (length, 1, channels, filters)
    np.testing.assert_array_equal(preprocess_weights_for_loading(conv, [keras_1_2, rand(rng, 5)], "1.2.2")[0],
                                  keras_1_2[:, 0])
    keras_1_1 = rand(rng, 5, 4, 3, 1)  # (filters, channels, length, 1)
    kernel = preprocess_weights_for_loading(conv, [keras_1_1, rand(rng, 5)], "1.1.0")[0]
    for f, c, t in np.ndindex(5, 4, 3):
        assert kernel[t, c, f] == keras_1_1[f, c, t, 0]
    with pytest.raises(WeightConversionError, match="Conv1D layer .*neither Keras 1.2's"):
        preprocess_weights_for_loading(conv, [rand(rng, 2, 2, 2, 2), rand(rng, 5)], "1.2.2")


def test_keras_1_conv_lstm_gates_transposed_then_stacked():
    rng = np.random.default_rng(11)
    conv_lstm = built(layers.ConvLSTM2D(2, (3, 2), data_format="channels_first"), (4, 3, 6, 6))
    saved = []
    for _ in "icfo":
        saved += [rand(rng, 2, 3, 3, 2), rand(rng, 2, 2, 3, 2), rand(rng, 2)]  # 'th' W, U, b
    kernel, recurrent, bias = preprocess_weights_for_loading(conv_lstm, saved, "1.2.2")
    assert kernel.shape == (3, 2, 3, 8) and recurrent.shape == (3, 2, 2, 8)
    for position, gate in enumerate((0, 2, 1, 3)):  # i, f, c, o from Keras 1's i, c, f, o
        W, U, b = saved[3 * gate:3 * gate + 3]
        np.testing.assert_array_equal(kernel[..., 2 * position:2 * position + 2], W.transpose(2, 3, 1, 0))
        np.testing.assert_array_equal(recurrent[..., 2 * position:2 * position + 2], U.transpose(2, 3, 1, 0))
        np.testing.assert_array_equal(bias[2 * position:2 * position + 2], b)


def test_theano_kernels_are_flipped_over_their_spatial_axes():
    rng = np.random.default_rng(12)
    conv = built(layers.Conv2D(3, (3, 2)), (6, 6, 4))
    saved = rand(rng, 3, 2, 4, 3)
    kernel = preprocess_weights_for_loading(conv, [saved, rand(rng, 3)], "2.2.4", "theano")[0]
    for r, k, c, f in np.ndindex(saved.shape):
        assert kernel[r, k, c, f] == saved[2 - r, 1 - k, c, f]
    for backend in ("tensorflow", "cntk", "numpy", None):
        np.testing.assert_array_equal(preprocess_weights_for_loading(conv, [saved, rand(rng, 3)], "2.2.4",
                                                                     backend)[0], saved)
    conv_lstm = built(layers.ConvLSTM2D(2, (3, 2)), (3, 6, 6, 4))
    saved = [rand(rng, *w.shape) for w in conv_lstm.weights]
    converted = preprocess_weights_for_loading(conv_lstm, saved, "2.2.4", "theano")
    np.testing.assert_array_equal(converted[0], saved[0][::-1, ::-1])
    np.testing.assert_array_equal(converted[1], saved[1][::-1, ::-1])
    np.testing.assert_array_equal(converted[2], saved[2])


def test_version_and_backend_rules():
    assert is_keras_1("1") and is_keras_1("1.2.2") and is_keras_1(b"1.0.8".decode())
    assert not is_keras_1(None) and not is_keras_1("2.2.4") and not is_keras_1("10.0")
    assert kernel_flip_needed("theano")
    assert not any(kernel_flip_needed(b) for b in ("tensorflow", "cntk", "numpy", "mxnet", None))


def _cudnn_lstm_weights(rng, input_dim, units):
    """cuDNN's per-gate matrices and the arrays Keras's CuDNNLSTM stores for them."""
    W, R = rand(rng, 4, units, input_dim), rand(rng, 4, units, units)
    stored = [np.hstack([w.reshape(input_dim, units) for w in W]), np.hstack(list(R)), rand(rng, 8 * units)]
    return W, R, stored


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(input_dim=_dims, units=_dims)
def test_cudnn_lstm_weights_to_lstm_by_hand(input_dim, units):
    rng = np.random.default_rng(input_dim * 8 + units)
    W, R, stored = _cudnn_lstm_weights(rng, input_dim, units)
    lstm = built(layers.LSTM(units), (3, input_dim))
    kernel, recurrent, bias = convert_rnn_weights(lstm, stored)
    for g in range(4):
        np.testing.assert_array_equal(kernel[:, g * units:(g + 1) * units], W[g].T)
        np.testing.assert_array_equal(recurrent[:, g * units:(g + 1) * units], R[g].T)
    np.testing.assert_allclose(bias, stored[2][:4 * units] + stored[2][4 * units:])
    back = convert_rnn_weights(built(layers.CuDNNLSTM(units), (3, input_dim)), [kernel, recurrent, bias])
    np.testing.assert_array_equal(back[0], stored[0])
    np.testing.assert_array_equal(back[1], stored[1])
    np.testing.assert_allclose(back[2][:4 * units] + back[2][4 * units:], bias)
    np.testing.assert_array_equal(back[2][:4 * units], back[2][4 * units:])  # split in equal halves


def test_cudnn_gru_bias_and_incompatible_gru():
    rng = np.random.default_rng(13)
    stored = [rand(rng, 3, 6), rand(rng, 2, 6), rand(rng, 12)]
    converted = convert_rnn_weights(built(layers.GRU(2, reset_after=True), (4, 3)), stored)
    np.testing.assert_array_equal(converted[2], stored[2].reshape(2, 6))
    with pytest.raises(WeightConversionError, match=r"'plain'.*CuDNNGRU cannot load into GRU\(reset_after=False\)"):
        convert_rnn_weights(built(layers.GRU(2, name="plain"), (4, 3)), stored)
    with pytest.raises(WeightConversionError, match=r"GRU\(reset_after=False\) cannot load into CuDNNGRU"):
        convert_rnn_weights(built(layers.CuDNNGRU(2), (4, 3)), stored[:2] + [rand(rng, 6)])


def test_rnn_without_bias_and_same_kind_are_unchanged():
    rng = np.random.default_rng(14)
    lstm = built(layers.LSTM(2, use_bias=False), (4, 3))
    saved = [rand(rng, 3, 8), rand(rng, 2, 8)]
    assert all(a is b for a, b in zip(convert_rnn_weights(lstm, saved), saved))
    lstm = built(layers.LSTM(2), (4, 3))
    saved = [rand(rng, 3, 8), rand(rng, 2, 8), rand(rng, 8)]
    for got, want in zip(convert_rnn_weights(lstm, saved), saved):
        np.testing.assert_array_equal(got, want)


def test_wrappers_and_nested_models_convert_what_they_hold():
    rng = np.random.default_rng(15)
    inner = Sequential([layers.Conv2D(3, (2, 2), data_format="channels_first", input_shape=(2, 5, 5)),
                        layers.BatchNormalization(axis=1), layers.Flatten(), layers.Dense(1)])
    outer = Sequential([inner])
    th_kernel = rand(rng, 3, 2, 2, 2)
    # a model's list: its layers' trainable weights, then their non-trainable ones (Keras)
    saved = [th_kernel, rand(rng, 3), rand(rng, 3), rand(rng, 3), rand(rng, 48, 1), rand(rng, 1),
             rand(rng, 3), rand(rng, 3)]
    for model in (inner, outer):
        converted = preprocess_weights_for_loading(model, saved, "1.2.2")
        np.testing.assert_array_equal(converted[0], th_kernel.transpose(2, 3, 1, 0))
        for got, want in zip(converted[1:], saved[1:]):
            np.testing.assert_array_equal(got, want)
    # TimeDistributed converts its layer once (Keras 2.2.4 converts it twice for Keras 1 files)
    wrapped = built(layers.TimeDistributed(layers.Conv2D(3, (2, 2), data_format="channels_first")), (5, 2, 6, 6))
    saved = rand(rng, 3, 2, 2, 2)
    kernel = preprocess_weights_for_loading(wrapped, [saved, rand(rng, 3)], "1.2.2")[0]
    np.testing.assert_array_equal(kernel, saved.transpose(2, 3, 1, 0))


# -- reshape ------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
       seed=st.integers(0, 2 ** 16))
def test_reshape_fits_a_kernel_of_the_same_size(shape, seed):
    rows, cols, channels, filters = shape
    rng = np.random.default_rng(seed)
    conv = built(layers.Conv2D(filters, (rows, cols)), (4, 4, channels))
    flat = rand(rng, rows * cols * channels * filters)
    kernel = preprocess_weights_for_loading(conv, [flat, rand(rng, filters)], "2.2.4", reshape=True)[0]
    np.testing.assert_array_equal(kernel, flat.reshape(shape))
    unchanged = preprocess_weights_for_loading(conv, [flat, rand(rng, filters)], "2.2.4")[0]
    assert unchanged.shape == flat.shape  # without reshape, left for the shape check to report


def test_reshape_through_load_weights(tmp_path):
    rng = np.random.default_rng(16)
    model = Sequential([layers.Conv2D(2, (3, 3), input_shape=(5, 5, 1))])
    kernel = rand(rng, 3, 3, 1, 2)
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs["layer_names"] = [b"conv"]
        f.attrs["keras_version"], f.attrs["backend"] = b"2.2.4", b"tensorflow"
        group = f.create_group("conv")
        group.attrs["weight_names"] = [b"conv/kernel:0", b"conv/bias:0"]
        group["conv/kernel:0"] = kernel.reshape(9, 2)
        group["conv/bias:0"] = np.zeros(2, "float32")
    with pytest.raises(ValueError, match="shape"):
        model.load_weights(str(tmp_path / "w.h5"))
    model.load_weights(str(tmp_path / "w.h5"), reshape=True)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)


def test_reshape_of_another_size_is_an_error_naming_the_layer():
    conv = built(layers.Conv2D(2, (3, 3), name="edges"), (5, 5, 1))
    with pytest.raises(WeightConversionError, match=r"Conv2D layer 'edges'.*\(3, 3, 1, 2\) \(18 values\).*\(17,\)"):
        preprocess_weights_for_loading(conv, [np.zeros(17, "float32"), np.zeros(2, "float32")], reshape=True)


# -- errors -------------------------------------------------------------------------------------------
def test_bias_no_lstm_writes_is_an_error():
    rng = np.random.default_rng(17)
    with pytest.raises(WeightConversionError, match=r"LSTM layer 'seq'.*bias has shape \(5,\)"):
        convert_rnn_weights(built(layers.LSTM(2, name="seq"), (4, 3)), [rand(rng, 3, 8), rand(rng, 2, 8),
                                                                         rand(rng, 5)])


def test_odd_bidirectional_list_is_an_error():
    layer = built(layers.Bidirectional(layers.LSTM(2), name="both"), (4, 3))
    with pytest.raises(WeightConversionError, match="Bidirectional layer 'both'.*odd"):
        preprocess_weights_for_loading(layer, [np.zeros((3, 8))] * 5)


def test_theano_weight_that_is_no_kernel_is_an_error():
    conv = built(layers.Conv2D(2, (3, 3), name="c"), (5, 5, 1))
    with pytest.raises(WeightConversionError, match="Conv2D layer 'c'.*Theano"):
        preprocess_weights_for_loading(conv, [np.zeros((9, 2)), np.zeros(2)], "2.2.4", "theano")


def test_failed_conversion_leaves_the_model_unchanged_or_is_skipped_by_name(tmp_path):
    rng = np.random.default_rng(18)
    model = Sequential([layers.GRU(2, input_shape=(4, 3), name="gru_1")])
    before = model.get_weights()
    cudnn = Sequential([layers.CuDNNGRU(2, input_shape=(4, 3), name="gru_1")])
    cudnn.set_weights([rand(rng, *w.shape) for w in cudnn.get_weights()])
    cudnn.save_weights(str(tmp_path / "cudnn.h5"))
    with pytest.raises(WeightConversionError, match="reset_after"):
        model.load_weights(str(tmp_path / "cudnn.h5"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_weights(str(tmp_path / "cudnn.h5"), by_name=True, skip_mismatch=True)
    assert any("Skipping loading of weights for layer gru_1" in str(w.message) for w in caught)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
