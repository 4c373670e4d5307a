"""The config keys of other Keras releases: which are tolerated, renamed, honoured or refused.

One row per key and value, as docs/architecture.md ("Config keys from other Keras
releases") lists them. Each row deserializes a real layer config through
``deserialize_layer`` (the path of load_model / model_from_json / model_from_config)
and checks the layer computes what the key asks for, or that the error names the layer,
the key and the value.
"""

import numpy as np
import pytest

from numkeras.engine import config_keys
from numkeras.engine.config_keys import UnsupportedConfigError
from numkeras.engine.serialization import deserialize_layer
from numkeras.saving.training_config import deserialize_optimizer

INIT = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
        "registered_name": None}

# (class_name, extra config keys, what must hold of the rebuilt layer)
TOLERATED = [
    ("InputLayer", {"batch_input_shape": [None, 3], "optional": False}, None),
    ("InputLayer", {"batch_input_shape": [None, 3], "optional": True}, None),
    ("InputLayer", {"batch_input_shape": [None, 3], "ragged": False}, None),
    ("InputLayer", {"batch_shape": [None, 3]}, lambda l: l._batch_input_shape == (None, 3)),
    ("Dense", {"units": 2, "module": "keras.layers", "registered_name": None}, None),
    ("Dense", {"units": 2, "build_config": {"input_shape": [None, 3]}}, None),
    ("Dense", {"units": 2, "compile_config": {}}, None),
    ("Conv2D", {"filters": 2, "kernel_size": 3, "groups": 1}, None),
    ("LSTM", {"units": 2, "time_major": False}, None),
    ("BatchNormalization", {"synchronized": True}, None),
    ("BatchNormalization", {"fused": True, "renorm": False, "virtual_batch_size": None, "adjustment": None}, None),
    ("Embedding", {"input_dim": 5, "output_dim": 2, "sparse": True}, None),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 3, "kernel_initializer": INIT, "kernel_regularizer": None,
                         "kernel_constraint": None, "pointwise_initializer": INIT}, None),
    ("DepthwiseConv2D", {"kernel_size": 3, "kernel_initializer": INIT, "depthwise_initializer": INIT}, None),
    ("GlobalMaxPooling2D", {"keepdims": True}, lambda l: l.keepdims is True),
    ("GlobalAveragePooling1D", {"keepdims": False}, lambda l: l.keepdims is False),
]

REFUSED = [
    ("InputLayer", {"batch_input_shape": [None, 3], "ragged": True}, "ragged", True),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, "groups", 2),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "groups": 4}, "groups", 4),
    ("GRU", {"units": 2, "time_major": True}, "time_major", True),
    ("BatchNormalization", {"renorm": True}, "renorm", True),
    ("BatchNormalization", {"virtual_batch_size": 2}, "virtual_batch_size", 2),
]


@pytest.mark.parametrize("class_name, extra, holds", TOLERATED,
                         ids=[f"{c}-{'-'.join(e)}" for c, e, _ in TOLERATED])
def test_tolerated_keys_load(class_name, extra, holds):
    layer = deserialize_layer({"class_name": class_name, "config": {"name": "the_layer", **extra}})
    assert layer.name == "the_layer"
    if holds is not None:
        assert holds(layer)


@pytest.mark.parametrize("class_name, extra, key, value", REFUSED, ids=[f"{c}-{k}={v}" for c, _, k, v in REFUSED])
def test_refused_keys_name_the_layer_key_and_value(class_name, extra, key, value):
    with pytest.raises(UnsupportedConfigError) as info:
        deserialize_layer({"class_name": class_name, "config": {"name": "the_layer", **extra}})
    message = str(info.value)
    assert "'the_layer'" in message and class_name in message and f"{key}={value!r}" in message
    assert (info.value.layer, info.value.class_name, info.value.key, info.value.value) == \
        ("the_layer", class_name, key, value)


def test_every_table_key_has_a_row_here():
    rows = {key for _, extra, _ in TOLERATED for key in extra} | {key for _, _, key, _ in REFUSED}
    listed = set(config_keys.TOLERATED) | set(config_keys.RENAMED) | set(config_keys.NEUTRAL)
    untested = listed - rows - {"shared_object_id", "renorm_clipping", "renorm_momentum"}
    assert not untested, f"keys in numkeras.engine.config_keys without a row in this table: {sorted(untested)}"


def test_a_key_the_layer_takes_is_passed_to_it_whatever_the_table_says():
    from numkeras.engine.base_layer import Layer

    class Grouped(Layer):
        def __init__(self, groups=1, **kwargs):
            super().__init__(**kwargs)
            self.groups = groups

    assert config_keys.apply_key_rules({"groups": 3}, Grouped) == {"groups": 3}


def test_unknown_key_is_an_error_naming_the_layer_and_key():
    with pytest.raises(TypeError, match="Dense: unexpected keyword argument 'frobnicate'"):
        deserialize_layer({"class_name": "Dense", "config": {"units": 2, "frobnicate": 1}})


def test_keepdims_is_honoured_not_dropped():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    kept = deserialize_layer({"class_name": "GlobalMaxPooling1D", "config": {"keepdims": True}})
    dropped = deserialize_layer({"class_name": "GlobalMaxPooling1D", "config": {"keepdims": False}})
    np.testing.assert_array_equal(kept(x).data if hasattr(kept(x), "data") else kept(x), x.max(axis=1, keepdims=True))
    np.testing.assert_array_equal(dropped(x).data if hasattr(dropped(x), "data") else dropped(x), x.max(axis=1))
    assert kept.compute_output_shape((None, 3, 4)) == (None, 1, 4)
    assert "keepdims" not in dropped.get_config()  # numkeras writes Keras 2.2's config
    assert kept.get_config()["keepdims"] is True


# -- optimizers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    {"class_name": "Custom>Adam", "config": {"name": "Adam", "weight_decay": None, "clipnorm": None,
                                             "global_clipnorm": None, "clipvalue": None, "use_ema": False,
                                             "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                                             "jit_compile": False, "is_legacy_optimizer": False,
                                             "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999,
                                             "epsilon": 1e-07, "amsgrad": False}},
    {"class_name": "RMSprop", "config": {"name": "RMSprop", "learning_rate": 0.005, "decay": 0.0, "rho": 0.9,
                                         "momentum": 0.0, "epsilon": 1e-07, "centered": False}},
    {"class_name": "Adagrad", "config": {"name": "Adagrad", "learning_rate": 0.05, "decay": 0.0,
                                         "initial_accumulator_value": 0.1, "epsilon": 1e-07}},
])
def test_tf_keras_optimizer_configs_at_neutral_values_load(config):
    optimizer = deserialize_optimizer(config)
    np.testing.assert_allclose(float(optimizer.lr.data), config["config"]["learning_rate"], rtol=1e-6)


@pytest.mark.parametrize("key, value", [("use_ema", True), ("centered", True), ("momentum", 0.9),
                                        ("weight_decay", 0.004)])
def test_tf_keras_optimizer_keys_that_change_training_are_refused(key, value):
    # numkeras's RMSprop takes momentum / centered itself and refuses non-neutral values;
    # for the keys it does not take, deserialize_optimizer raises UnsupportedConfigError
    with pytest.raises(ValueError) as info:
        deserialize_optimizer({"class_name": "RMSprop", "config": {"learning_rate": 0.01, key: value}})
    assert f"{key}={value!r}" in str(info.value) and "RMSprop" in str(info.value)
