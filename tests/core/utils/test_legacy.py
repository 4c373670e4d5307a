"""The Keras 1 rename table (numkeras.utils.legacy): every row, checked against the component that declares it."""

import importlib
import pkgutil
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numkeras
from numkeras.engine.base_layer import Layer
from numkeras.utils import legacy

# Every class that declares rows, with a concrete layer that inherits them and its required arguments.
LAYER_OWNERS = {
    "Dense": ("Dense", dict(units=2)),
    "Dropout": ("Dropout", dict(rate=0.5)),
    "_Conv": ("Conv2D", dict(filters=2, kernel_size=3)),
    "_LocallyConnected": ("LocallyConnected2D", dict(filters=2, kernel_size=3)),
    "_Pooling": ("MaxPooling2D", {}),
    "_GlobalPooling": ("GlobalAveragePooling2D", {}),
    "_Spatial": ("ZeroPadding2D", {}),
    "_Spatial1D": ("ZeroPadding1D", {}),
    "UpSampling1D": ("UpSampling1D", {}),
    "_CellLayer": ("LSTM", dict(units=2)),
    "BatchNormalization": ("BatchNormalization", {}),
    "Embedding": ("Embedding", dict(input_dim=5, output_dim=2)),
    "PReLU": ("PReLU", {}),
    "GaussianNoise": ("GaussianNoise", dict(stddev=0.1)),
    "GaussianDropout": ("GaussianDropout", dict(rate=0.1)),
}
FUNCTION_OWNERS = {"Network.__init__", "Model.compile", "Model.fit", "Model.evaluate", "Model.fit_generator", "Model.evaluate_generator",
                   "Model.predict_generator", "load_data"}  # load_data: imdb and reuters (nb_words)

# Keras 1 values of the rows that convert them; every other row passes a valid Keras 2 value unchanged.
KERAS1_VALUES = {
    "dim_ordering": st.sampled_from(["th", "tf"]),
    "forget_bias_init": st.sampled_from(["one", "zero"]),
    "consume_less": st.sampled_from(["cpu", "mem", "gpu"]),
}
_small = st.integers(1, 2)
KERAS2_VALUES = {
    "units": _small, "filters": _small, "kernel_size": _small, "strides": _small, "pool_size": _small,
    "dilation_rate": _small, "size": _small, "use_bias": st.booleans(),
    "padding": st.sampled_from(["valid", "same"]),
    "rate": st.floats(0.0, 0.9), "stddev": st.floats(0.0, 1.0),
    "dropout": st.floats(0.0, 0.9), "recurrent_dropout": st.floats(0.0, 0.9),
    "recurrent_activation": st.sampled_from(["sigmoid", "hard_sigmoid", "tanh"]),
}
for _prefix in ("kernel", "bias", "recurrent", "embeddings", "alpha", "beta", "gamma"):
    KERAS2_VALUES[f"{_prefix}_initializer"] = st.sampled_from(["zeros", "ones", "glorot_uniform"])
    KERAS2_VALUES[f"{_prefix}_regularizer"] = st.sampled_from([None, "l1", "l2"])
    KERAS2_VALUES[f"{_prefix}_constraint"] = st.sampled_from([None, "non_neg", "unit_norm"])
PER_LAYER = {"LocallyConnected2D": {"padding": st.just("valid")}}


def _import_builtin_layers():
    import numkeras_builtins.layers as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


_import_builtin_layers()


def _builtin_owners():
    """The owners numkeras declares (this file's plugin-style layers are left out)."""
    return [o for o in legacy.owners() if o.__module__.split(".")[0] in ("numkeras", "numkeras_builtins")]


def _owner_key(owner):
    return owner.__name__ if isinstance(owner, type) else owner.__qualname__


def _value_strategy(layer_name, old, row):
    if old in KERAS1_VALUES:
        return KERAS1_VALUES[old]
    return PER_LAYER.get(layer_name, {}).get(row.new, KERAS2_VALUES[row.new])


def _layer_cases():
    cases = []
    for owner in _builtin_owners():
        if isinstance(owner, type):
            layer_name, required = LAYER_OWNERS[owner.__name__]
            for old, row in legacy.table_for(owner).items():
                cases.append(pytest.param(layer_name, required, old, row, id=f"{layer_name}-{old}"))
    return cases


def _build(layer_name, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = getattr(numkeras.layers, layer_name)(name="probe", **kwargs)
    return layer, [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_every_owner_of_rows_is_covered_here():
    assert {_owner_key(o) for o in _builtin_owners()} == set(LAYER_OWNERS) | FUNCTION_OWNERS


def test_every_row_has_a_value_strategy():
    missing = [(_owner_key(owner), old) for owner in _builtin_owners() if isinstance(owner, type)
               for old, row in legacy.table_for(owner).items() if row.new is not None
               if old not in KERAS1_VALUES and row.new not in KERAS2_VALUES]
    assert missing == []


@pytest.mark.parametrize("layer_name, required, old, row", _layer_cases())
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_old_name_builds_the_same_layer_as_the_new_name(layer_name, required, old, row, data):
    value = data.draw(_value_strategy(layer_name, old, row))
    converted = row.convert(value) if row.convert else value
    base = {k: v for k, v in required.items() if k != row.new}
    new_layer, new_warnings = _build(layer_name, **base, **{row.new: converted})
    old_layer, old_warnings = _build(layer_name, **base, **{old: value})
    assert old_layer.get_config() == new_layer.get_config()
    assert new_warnings == []
    assert len(old_warnings) == 1
    message = str(old_warnings[0].message)
    assert f"'{old}'" in message and f"use '{row.new}'" in message and layer_name in message
    with pytest.raises(TypeError, match=f"'{old}'.*'{row.new}'"):
        getattr(numkeras.layers, layer_name)(**base, **{old: value, row.new: converted})


@pytest.mark.parametrize("function", [o for o in _builtin_owners() if not isinstance(o, type)], ids=_owner_key)
def test_method_rows_reach_the_method_under_their_new_names(function):
    table = legacy.table_for(function)
    assert table
    for old, row in table.items():
        received = legacy.renames(table, owner="probe")(lambda **kwargs: kwargs)
        if row.new is None:  # an argument with no effect any more: warned about and dropped
            with pytest.warns(DeprecationWarning, match=f"probe: .*'{old}' is deprecated and has no effect"):
                assert received(**{old: 3}) == {}
            continue
        with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated; use '{row.new}'"):
            assert received(**{old: 3}) == {row.new: 3}
        with pytest.raises(TypeError, match=f"'{old}'.*'{row.new}'"):
            received(**{old: 3, row.new: 3})


def test_th_and_tf_are_converted_once_for_every_data_format():
    assert legacy.dim_ordering("th") == "channels_first"
    assert legacy.dim_ordering("tf") == "channels_last"
    assert legacy.dim_ordering("default") is None
    assert legacy.dim_ordering("channels_last") == "channels_last"
    assert numkeras.layers.Conv2D(2, 3, data_format="th").data_format == "channels_first"


def test_two_keras1_spellings_of_one_name_are_a_type_error_naming_both():
    with pytest.raises(TypeError, match="'subsample'.*'subsample_length'.*'strides'"):
        numkeras.layers.Conv1D(2, 3, subsample=2, subsample_length=2)


def test_positional_keras2_argument_and_its_keras1_name_conflict():
    with pytest.raises(TypeError, match="'output_dim'.*'units'"):
        numkeras.layers.Dense(4, output_dim=4)
    with pytest.raises(TypeError, match="'nb_filter'.*'filters'"):
        numkeras.layers.Convolution2D(8, 3, 3, nb_filter=8)


def test_keras1_positional_convolution_still_works():
    with pytest.warns(DeprecationWarning) as record:
        layer = numkeras.layers.Convolution2D(8, 3, 2, border_mode="same", subsample=(2, 2))
    assert (layer.filters, layer.kernel_size, layer.strides, layer.padding) == (8, (3, 2), (2, 2), "same")
    messages = " ".join(str(w.message) for w in record)
    assert "'nb_row', 'nb_col' are deprecated; use 'kernel_size'" in messages


def test_the_warning_points_at_the_callers_line():
    with pytest.warns(DeprecationWarning) as record:
        numkeras.layers.Dense(output_dim=2)
    assert record[0].filename == __file__


def test_a_subclass_can_withdraw_an_inherited_row():
    assert "dim_ordering" in legacy.table_for(type(numkeras.layers.ZeroPadding2D()))
    assert "dim_ordering" not in legacy.table_for(type(numkeras.layers.ZeroPadding1D()))
    assert "length" in legacy.table_for(type(numkeras.layers.UpSampling1D()))


def test_keras2_names_pass_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        numkeras.layers.Conv2D(2, 3, padding="same", data_format="channels_first", kernel_initializer="zeros")


# -- a plugin declaring its own rows ------------------------------------------------------------------
@legacy.renames(legacy.WEIGHTS, {"nb_units": "units", "scale_mode": legacy.Rename("scale", lambda v: v == "on")})
class ScaledDense(Layer):
    """A third-party layer taking Keras 1 names: the shared WEIGHTS rows and two rows of its own."""

    def __init__(self, units=1, scale=False, kernel_initializer="ones", use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale
        self.kernel_initializer = numkeras.initializers.get(kernel_initializer)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), initializer=self.kernel_initializer)
        super().build(input_shape)

    def call(self, inputs):
        outputs = numkeras.backend.dot(inputs, self.kernel)
        return outputs * 2.0 if self.scale else outputs


class NamedScaledDense(ScaledDense):
    """A subclass with its own ``__init__`` still takes its parent's Keras 1 names."""

    def __init__(self, label, **kwargs):
        super().__init__(**kwargs)
        self.label = label


def test_a_plugin_layer_declares_its_own_keras1_names():
    with pytest.warns(DeprecationWarning) as record:
        layer = ScaledDense(nb_units=3, scale_mode="on", init="zeros", bias=False)
    messages = [str(w.message) for w in record]
    assert len(messages) == 4
    assert any("ScaledDense: the Keras 1 argument 'scale_mode' is deprecated; use 'scale' instead (scale=True)" in m
               for m in messages)
    assert (layer.units, layer.scale, layer.use_bias) == (3, True, False)
    out = layer(np.ones((2, 4), "float32"))
    assert out.shape == (2, 3) and not np.asarray(out.data).any()   # kernel_initializer='zeros' arrived


def test_a_plugin_subclass_inherits_the_rows():
    with pytest.warns(DeprecationWarning, match="NamedScaledDense: the Keras 1 argument 'nb_units'"):
        layer = NamedScaledDense("a", nb_units=5)
    assert layer.units == 5 and layer.label == "a"
    assert legacy.table_for(NamedScaledDense)["nb_units"].new == "units"
    with pytest.raises(TypeError, match="'nb_units'.*'units'"):
        NamedScaledDense("a", nb_units=5, units=5)
