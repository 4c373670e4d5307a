"""Built-in initializers (plugins/numkeras_builtins/initializers.py): statistics, fans, seeds, configs."""

import numpy as np
import pytest

import numkeras
from numkeras import initializers
from numkeras.layers import Dense
from tests.helpers.components import assert_config_roundtrip, builtin_names

TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated at +-2
DENSE = (200, 300)  # fan_in 200, fan_out 300
CONV = (5, 5, 16, 32)  # receptive field 25: fan_in 400, fan_out 800
SEEDED = {"RandomNormal", "normal", "random_normal", "RandomUniform", "uniform", "random_uniform",
          "TruncatedNormal", "truncated_normal", "VarianceScaling", "variance_scaling", "Orthogonal", "orthogonal",
          "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
          "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"}


@pytest.mark.parametrize("name", builtin_names("initializers"))
def test_every_registered_name_builds_round_trips_and_respects_dtype(name):
    initializer = initializers.get(name)
    assert isinstance(initializer, initializers.Initializer)
    values = initializer((4, 4))
    assert values.shape == (4, 4) and values.dtype == np.float32
    assert initializer((4, 4), dtype="float64").dtype == np.float64
    rebuilt = assert_config_roundtrip("initializers", initializer)
    assert type(rebuilt) is type(initializer)


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_a_seed_makes_values_reproducible(name):
    cls = initializers.get(name).__class__
    a, b, c = cls(seed=7), cls(seed=7), cls(seed=8)
    np.testing.assert_array_equal(a((6, 5)), b((6, 5)))
    np.testing.assert_array_equal(a((6, 5)), a((6, 5)))  # Keras: a seeded initializer repeats itself
    assert not np.array_equal(a((6, 5)), c((6, 5)))
    rebuilt = assert_config_roundtrip("initializers", a)
    np.testing.assert_array_equal(rebuilt((6, 5)), a((6, 5)))


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_set_random_seed_makes_unseeded_initializers_reproducible(name):
    numkeras.utils.set_random_seed(123)
    first = initializers.get(name)((5, 4))
    numkeras.utils.set_random_seed(123)
    second = initializers.get(name)((5, 4))
    numkeras.utils.set_random_seed(124)
    third = initializers.get(name)((5, 4))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_set_random_seed_makes_a_layer_reproducible():
    numkeras.utils.set_random_seed(3)
    first = Dense(5, input_shape=(4,))
    first.build((None, 4))
    numkeras.utils.set_random_seed(3)
    second = Dense(5, input_shape=(4,))
    second.build((None, 4))
    np.testing.assert_array_equal(first.get_weights()[0], second.get_weights()[0])


def test_constants():
    np.testing.assert_array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("one")((2,)), np.ones(2))
    np.testing.assert_array_equal(initializers.Constant(value=0.3)((2, 2)), np.full((2, 2), 0.3, np.float32))
    assert initializers.get("zero").__class__ is initializers.Zeros


def test_random_uniform_and_normal_statistics():
    uniform = initializers.RandomUniform(minval=-0.2, maxval=0.6, seed=1)(DENSE)
    assert uniform.min() >= -0.2 and uniform.max() < 0.6
    np.testing.assert_allclose([uniform.mean(), uniform.std()], [0.2, 0.8 / np.sqrt(12)], rtol=0.02, atol=0.005)
    normal = initializers.RandomNormal(mean=1.0, stddev=0.5, seed=1)(DENSE)
    np.testing.assert_allclose([normal.mean(), normal.std()], [1.0, 0.5], rtol=0.02)
    defaults = initializers.get("uniform")(DENSE)
    assert np.abs(defaults).max() <= 0.05  # Keras's default range [-0.05, 0.05]


def test_truncated_normal_stays_within_two_stddev():
    values = initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=2)(DENSE)
    assert values.min() >= 0.5 - 0.2 - 1e-6 and values.max() <= 0.5 + 0.2 + 1e-6
    np.testing.assert_allclose(values.std(), 0.1 * TRUNCATED_STD, rtol=0.02)
    np.testing.assert_allclose(values.mean(), 0.5, atol=0.002)


def _fans(shape):
    if len(shape) == 2:
        return shape
    receptive = np.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv2d"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["normal", "uniform", "untruncated_normal"])
def test_variance_scaling_statistics(shape, mode, distribution):
    scale = 2.0
    values = initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=3)(shape)
    fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = np.sqrt(scale / n)
    np.testing.assert_allclose(values.std(), std, rtol=0.03)  # every distribution has variance scale / n
    assert abs(values.mean()) < 0.05 * std
    if distribution == "uniform":
        limit = np.sqrt(3 * scale / n)
        assert np.abs(values).max() <= limit and np.abs(values).max() > 0.99 * limit
    elif distribution == "normal":
        assert np.abs(values).max() <= 2 * std / TRUNCATED_STD + 1e-6  # truncated at 2 stddev of the draw


@pytest.mark.parametrize("name,scale,mode,distribution", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"), ("glorot_normal", 1.0, "fan_avg", "normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"), ("he_normal", 2.0, "fan_in", "normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"), ("lecun_normal", 1.0, "fan_in", "normal"),
])
def test_presets_are_variance_scaling(name, scale, mode, distribution):
    preset = initializers.get(name)
    assert isinstance(preset, initializers.VarianceScaling)
    assert (preset.scale, preset.mode, preset.distribution) == (scale, mode, distribution)
    seeded = type(preset)(seed=4)
    np.testing.assert_array_equal(seeded(CONV), initializers.VarianceScaling(scale, mode, distribution, seed=4)(CONV))
    assert getattr(initializers, name) is type(preset)


def test_glorot_uniform_limit():
    values = initializers.glorot_uniform(seed=5)(DENSE)
    limit = np.sqrt(6 / sum(DENSE))
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.99 * limit


@pytest.mark.parametrize("shape,expected", [
    ((7,), (np.sqrt(7), np.sqrt(7))), ((3, 4), (3, 4)), ((3, 5, 6), (15, 18)), ((2, 2, 3, 4), (12, 16)),
    ((2, 2, 2, 3, 4), (24, 32)), ((2, 3, 4, 5, 6, 7), (np.sqrt(5040), np.sqrt(5040))),
])
def test_fan_computation(shape, expected):
    from numkeras_builtins.initializers import compute_fans

    np.testing.assert_allclose(compute_fans(shape), expected)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 3, 4, 8)])
def test_orthogonal(shape):
    values = initializers.Orthogonal(gain=1.5, seed=6)(shape).astype(np.float64)
    flat = values.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, 2.25 * np.eye(flat.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, 2.25 * np.eye(flat.shape[0]), atol=1e-5)


def test_identity():
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((3, 3)), 2 * np.eye(3))
    np.testing.assert_array_equal(initializers.get("identity")((2, 3)), np.eye(2, 3))
    with pytest.raises(ValueError, match="2D"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("kwargs,message", [
    ({"scale": 0.0}, "scale"), ({"mode": "fan_sideways"}, "mode"), ({"distribution": "cauchy"}, "distribution"),
])
def test_variance_scaling_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.VarianceScaling(**kwargs)


def test_variance_scaling_arguments_are_case_insensitive():
    assert initializers.VarianceScaling(mode="FAN_AVG", distribution="Uniform").get_config()["mode"] == "fan_avg"


def test_deserialize_keras_2_config():
    config = {"class_name": "VarianceScaling",
              "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
    assert isinstance(initializers.deserialize(config), initializers.VarianceScaling)
    tf_keras = {"class_name": "GlorotUniform", "config": {"seed": 3, "dtype": "float32"}}
    assert initializers.deserialize(tf_keras).seed == 3


def test_unknown_initializer_lists_close_matches():
    with pytest.raises(ValueError, match="glorot_uniform|GlorotUniform"):
        initializers.get("glorot_unifrom")
