"""numkeras.engine.tf_op_layers: tf.keras 2's TFOpLambda / SlicingOpLambda configs load as BackendOp nodes.

The configs are written here in tf.keras 2's form (a layer naming the TF symbol; the call's
arguments in its inbound node: keyword arguments by TF's names, tensors as [layer, node, tensor],
a constant first argument as ["_CONSTANT_VALUE", -1, value, kwargs]); the expected values are
NumPy formulas. tests/core/saving/test_tf_keras_releases.py loads files tf.keras itself wrote.
"""

import json

import numpy as np
import pytest

from numkeras.engine.config_keys import UnsupportedConfigError
from numkeras.engine.tf_op_layers import TF_FUNCTIONS
from numkeras.models import model_from_config, model_from_json

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 2, 4)).astype("float32")
POSITIVE = np.abs(X) + 0.5
A = rng.normal(size=(3, 4)).astype("float32")
B = rng.normal(size=(3, 4)).astype("float32")


def _input(name, shape):
    return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
            "config": {"batch_input_shape": [None, *shape], "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name}}


def _op(name, symbol, node, class_name="TFOpLambda"):
    return {"class_name": class_name, "name": name, "inbound_nodes": [node],
            "config": {"name": name, "trainable": True, "dtype": "float32", "function": symbol}}


def _model(layers, inputs, output="op"):
    config = {"class_name": "Functional", "config": {
        "name": "m", "layers": layers, "input_layers": [[name, 0, 0] for name in inputs],
        "output_layers": [[output, 0, 0]]}}
    return model_from_config(config)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _slices(*items):
    return [{"start": s.start, "stop": s.stop, "step": s.step} if isinstance(s, slice) else s for s in items]


WHOLE = slice(None)
# (symbol, the call's keyword arguments as tf.keras writes them, input, NumPy formula)
ONE_INPUT = [
    ("math.square", {"name": None}, X, np.square),
    ("math.sqrt", {}, POSITIVE, np.sqrt),
    ("math.exp", {}, X, np.exp),
    ("math.log", {"name": None}, POSITIVE, np.log),
    ("math.log1p", {}, POSITIVE, np.log1p),
    ("math.abs", {}, X, np.abs),
    ("math.negative", {"name": None}, X, np.negative),
    ("math.tanh", {}, X, np.tanh),
    ("math.sigmoid", {}, X, lambda x: 1 / (1 + np.exp(-x))),
    ("math.softplus", {}, X, lambda x: np.log1p(np.exp(x))),
    ("math.sin", {}, X, np.sin),
    ("math.cos", {}, X, np.cos),
    ("nn.relu", {"name": None}, X, lambda x: np.maximum(x, 0)),
    ("nn.elu", {}, X, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("nn.softmax", {"axis": 1}, X, lambda x: _softmax(x, 1)),
    ("nn.log_softmax", {}, X, lambda x: np.log(_softmax(x))),
    ("__operators__.add", {"y": 1.5, "name": None}, X, lambda x: x + 1.5),
    ("math.add", {"y": -1.0}, X, lambda x: x - 1.0),
    ("math.subtract", {"y": 0.5, "name": None}, X, lambda x: x - 0.5),
    ("math.multiply", {"y": 2.0}, X, lambda x: x * 2.0),
    ("math.truediv", {"y": 4.0}, X, lambda x: x / 4.0),
    ("math.pow", {"y": 3.0}, X, lambda x: x ** 3),
    ("math.maximum", {"y": 0.1}, X, lambda x: np.maximum(x, 0.1)),
    ("math.minimum", {"y": 0.1}, X, lambda x: np.minimum(x, 0.1)),
    ("math.reduce_sum", {"axis": -1, "keepdims": True}, X, lambda x: x.sum(-1, keepdims=True)),
    ("math.reduce_mean", {"axis": 1}, X, lambda x: x.mean(1)),
    ("math.reduce_max", {"axis": [1, 2], "keepdims": False}, X, lambda x: x.max((1, 2))),
    ("math.reduce_min", {"axis": -1}, X, lambda x: x.min(-1)),
    ("math.reduce_prod", {"axis": -1}, X, lambda x: x.prod(-1)),
    ("math.reduce_std", {"axis": -1}, X, lambda x: x.std(-1)),
    ("math.reduce_variance", {"axis": 2, "keepdims": True}, X, lambda x: x.var(2, keepdims=True)),
    ("math.reduce_logsumexp", {"axis": -1}, X, lambda x: np.log(np.exp(x).sum(-1))),
    ("math.argmax", {"axis": -1}, X, lambda x: np.argmax(x, -1)),
    ("math.greater", {"y": 0.0}, X, lambda x: x > 0),
    ("reshape", {"shape": [-1, 8]}, X, lambda x: x.reshape(-1, 8)),
    ("expand_dims", {"axis": 1}, X, lambda x: x[:, None]),
    ("transpose", {"perm": [0, 2, 1]}, X, lambda x: x.transpose(0, 2, 1)),
    ("tile", {"multiples": [1, 2, 1]}, X, lambda x: np.tile(x, (1, 2, 1))),
    ("clip_by_value", {"clip_value_min": -0.5, "clip_value_max": 0.5}, X, lambda x: np.clip(x, -0.5, 0.5)),
    ("cast", {"dtype": "float64"}, X, lambda x: x.astype("float64")),
    ("math.cumsum", {"axis": 1}, X, lambda x: np.cumsum(x, 1)),
    ("nn.l2_normalize", {"axis": -1}, X, lambda x: x / np.sqrt((x ** 2).sum(-1, keepdims=True))),
    ("keras.backend.mean", {"axis": -1, "keepdims": True}, X, lambda x: x.mean(-1, keepdims=True)),
    ("__operators__.getitem", {"slice_spec": _slices(WHOLE, 1, slice(1, 3))}, X, lambda x: x[:, 1, 1:3]),
    ("__operators__.getitem", {"slice_spec": _slices({"class_name": "__ellipsis__"}, 0)}, X, lambda x: x[..., 0]),
    ("__operators__.getitem", {"slice_spec": _slices(WHOLE, None, slice(None, None, 2))}, X,
     lambda x: x[:, None, ::2]),
]


@pytest.mark.parametrize("symbol, kwargs, data, formula", ONE_INPUT,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(ONE_INPUT)])
def test_a_tf_function_computes_its_numpy_formula_and_saves_as_a_backend_op(symbol, kwargs, data, formula):
    class_name = "SlicingOpLambda" if symbol == "__operators__.getitem" else "TFOpLambda"
    model = _model([_input("x", data.shape[1:]), _op("op", symbol, ["x", 0, 0, kwargs], class_name)], ["x"])
    expected = formula(data.astype("float64"))
    output = model.predict(data)
    assert output.shape == expected.shape
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)
    assert tuple(model.output_shape[1:]) == expected.shape[1:]
    again = model_from_json(model.to_json())  # numkeras's own form: a BackendOp config, in safe mode
    np.testing.assert_allclose(again.predict(data), output, rtol=1e-6)


def test_two_graph_tensors_constants_first_and_lists_of_tensors():
    layers = [
        _input("a", (4,)), _input("b", (4,)),
        _op("add", "__operators__.add", ["a", 0, 0, {"y": ["b", 0, 0], "name": None}]),
        _op("rsub", "math.subtract", ["_CONSTANT_VALUE", -1, 1.0, {"y": ["add", 0, 0], "name": None}]),
        _op("bce", "keras.backend.binary_crossentropy", ["a", 0, 0, {"output": ["sig", 0, 0]}]),
        _op("sig", "math.sigmoid", ["b", 0, 0, {}]),
        _op("stack", "stack", [["rsub", 0, 0, {"axis": 1}], ["bce", 0, 0, {"axis": 1}]]),
        _op("op", "concat", [["stack", 0, 0, {"axis": -1}], ["stack", 0, 0, {"axis": -1}]]),
    ]
    model = _model(layers, ["a", "b"])
    target = (A > 0).astype("float64")
    p = 1 / (1 + np.exp(-B.astype("float64")))
    bce = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    stacked = np.stack([1.0 - (target + B), bce], axis=1)
    np.testing.assert_allclose(model.predict([target.astype("float32"), B]), np.concatenate([stacked, stacked], -1),
                               rtol=1e-5, atol=1e-6)


def test_a_tensor_inside_a_list_argument_is_resolved():
    def add_all(x, others):
        return x + others[0] * others[1]

    layers = [_input("a", (4,)), _input("b", (4,)),
              _op("op", "my.add_all", ["a", 0, 0, {"others": [["b", 0, 0], ["b", 0, 0]]}])]
    config = {"class_name": "Functional", "config": {"name": "m", "layers": layers, "input_layers": [["a", 0, 0], ["b", 0, 0]],
                                                     "output_layers": [["op", 0, 0]]}}
    model = model_from_config(config, custom_objects={"my.add_all": add_all})
    np.testing.assert_allclose(model.predict([A, B]), A + B * B, rtol=1e-6)


def test_an_untranslated_tf_function_names_the_layer_the_function_and_what_to_do():
    layers = [_input("x", (4,)), _op("tf.math.erf", "math.erf", ["x", 0, 0, {"name": None}])]
    with pytest.raises(UnsupportedConfigError) as info:
        _model(layers, ["x"], output="tf.math.erf")
    message = str(info.value)
    assert "'tf.math.erf'" in message and "TFOpLambda" in message and "tf.math.erf" in message
    assert "custom_objects" in message and "'math.erf'" in message and "Lambda" in message


def test_a_function_from_custom_objects_gets_tfs_arguments():
    from numkeras import backend as K

    def scaled_erf_stand_in(x, scale):
        return K.tanh(x) * scale

    layers = [_input("x", (4,)), _op("op", "math.erf", ["x", 0, 0, {"scale": 3.0, "name": None}])]
    for key in ("math.erf", "tf.math.erf"):
        config = {"class_name": "Functional", "config": {"name": "m", "layers": layers, "input_layers": [["x", 0, 0]],
                                                         "output_layers": [["op", 0, 0]]}}
        model = model_from_config(config, custom_objects={key: scaled_erf_stand_in})
        np.testing.assert_allclose(model.predict(A), np.tanh(A) * 3.0, rtol=1e-6)


def test_an_argument_numkeras_does_not_translate_is_named():
    layers = [_input("x", (4,)), _op("op", "math.reduce_sum", ["x", 0, 0, {"reduction_indices": 1}])]
    with pytest.raises(UnsupportedConfigError, match=r"reduction_indices=1.*input_tensor, axis, keepdims"):
        _model(layers, ["x"])


@pytest.mark.parametrize("class_name", ["ClassMethod", "InstanceMethod", "InstanceProperty"])
def test_ragged_and_sparse_tensor_methods_are_refused_by_name(class_name):
    entry = {"class_name": class_name, "name": "tf.RaggedTensor.from_tensor", "inbound_nodes": [["x", 0, 0, {}]],
             "config": {"name": "tf.RaggedTensor.from_tensor", "trainable": True, "dtype": "float32",
                        "cls_ref": "RaggedTensor", "method_name": "from_tensor"}}
    with pytest.raises(UnsupportedConfigError, match=r"'tf.RaggedTensor.from_tensor'.*ragged or sparse"):
        _model([_input("x", (4,)), entry], ["x"], output="tf.RaggedTensor.from_tensor")


def test_every_translation_names_a_function_that_saves_in_safe_mode_and_takes_its_arguments():
    import inspect

    from numkeras.engine.functions import TRUSTED_MODULE_PREFIXES, serialize_function

    for symbol, translation in TF_FUNCTIONS.items():
        parameters = inspect.signature(translation.function).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        assert takes_any or set(translation.renames.values()) <= set(parameters), symbol
        config = serialize_function(translation.function)
        assert config["registry"] is not None or str(config["module"]).startswith(TRUSTED_MODULE_PREFIXES), symbol
        json.dumps(config)
