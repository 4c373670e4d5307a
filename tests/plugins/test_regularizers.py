"""Built-in regularizers (plugins/numkeras_builtins/regularizers.py): formulas, gradients, in a Dense layer."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras import regularizers
from numkeras.layers import Dense
from numkeras.models import Sequential
from tests.helpers.components import assert_config_roundtrip, builtin_names
from numkeras.testing.gradcheck import check_gradients, random_array

W = random_array((3, 4), avoid=(0.0,), seed=0)


def penalty(w, l1=0.0, l2=0.0):
    return l1 * np.abs(w).sum() + l2 * np.square(w).sum()


# (identifier, l1, l2): what each registered name gives with its defaults.
DEFAULTS = [("l1", 0.01, 0.0), ("l2", 0.0, 0.01), ("l1_l2", 0.01, 0.01), ("L1L2", 0.0, 0.0),
            ("L1", 0.01, 0.0), ("L2", 0.0, 0.01), ("l1l2", 0.01, 0.01), ("activity_l1", 0.01, 0.0),
            ("activity_l2", 0.0, 0.01), ("activity_l1l2", 0.01, 0.01)]


def test_the_table_covers_every_registered_name():
    assert {row[0] for row in DEFAULTS} == set(builtin_names("regularizers"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name,l1,l2", DEFAULTS)
def test_get_by_name_gives_the_keras_defaults(name, l1, l2):
    regularizer = regularizers.get(name)
    assert isinstance(regularizer, regularizers.L1L2)
    assert (regularizer.l1, regularizer.l2) == (l1, l2)
    value = regularizer(K.Tensor(W))
    np.testing.assert_allclose(float(value), penalty(W, l1, l2), rtol=1e-12)
    assert_config_roundtrip("regularizers", regularizer)


@pytest.mark.parametrize("l1,l2", [(0.3, 0.0), (0.0, 0.2), (0.1, 0.05)])
def test_penalty_gradient_matches_finite_differences(l1, l2):
    regularizer = regularizers.l1_l2(l1=l1, l2=l2)
    check_gradients(regularizer, W)
    weight = K.Variable(W, dtype="float64")
    gradient = K.gradients(regularizer(weight), [weight])[0]
    np.testing.assert_allclose(gradient, l1 * np.sign(W) + 2 * l2 * W, rtol=1e-12)


def test_factories_take_keras_arguments():
    assert regularizers.l1(0.5).get_config() == {"l1": 0.5, "l2": 0.0}
    assert regularizers.l2(l=0.5).get_config() == {"l1": 0.0, "l2": 0.5}
    assert regularizers.l1_l2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert regularizers.L2(l2=0.3).get_config() == {"l2": 0.3}


def test_zero_factors_give_no_penalty():
    assert regularizers.L1L2()(K.Tensor(W)) == 0.0


def test_keras_1_names_warn():
    with pytest.warns(DeprecationWarning, match="l1_l2"):
        regularizers.l1l2(l1=0.1)
    with pytest.warns(DeprecationWarning, match="l2"):
        assert regularizers.activity_l2(0.2).l2 == 0.2


def test_negative_factor_raises_naming_it():
    with pytest.raises(ValueError, match="l2"):
        regularizers.L1L2(l2=-1.0)


def test_a_plain_function_is_a_regularizer():
    def custom(w):
        return 0.1 * K.sum(K.abs(w))

    assert regularizers.get(custom) is custom


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 4)).astype("float32")


def _model(**dense_kwargs):
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(4, input_shape=(3,), **dense_kwargs)])
    model.compile(optimizer=numkeras.optimizers.SGD(lr=0.1), loss="mse")
    return model


def test_dense_kernel_regularizer_adds_to_the_training_loss(data):
    x, y = data
    plain, regularized = _model(), _model(kernel_regularizer="l2", kernel_constraint="max_norm")
    kernel = regularized.layers[0].get_weights()[0]
    assert len(regularized.losses) == 1 and len(plain.losses) == 0
    np.testing.assert_allclose(float(regularized.losses[0]), 0.01 * np.square(kernel).sum(), rtol=1e-6)
    mse = plain.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(regularized.evaluate(x, y, batch_size=16, verbose=0),
                               mse + 0.01 * np.square(kernel).sum(), rtol=1e-6)
    plain.train_on_batch(x, y)
    regularized.train_on_batch(x, y)
    assert not np.allclose(plain.layers[0].get_weights()[0], regularized.layers[0].get_weights()[0])


def test_activity_regularizer_penalises_the_output(data):
    x, y = data
    model = _model(activity_regularizer=regularizers.l1(0.1))
    plain = _model()
    output = plain.predict(x)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=16, verbose=0),
                               plain.evaluate(x, y, batch_size=16, verbose=0) + 0.1 * np.abs(output).sum(),
                               rtol=1e-5)
