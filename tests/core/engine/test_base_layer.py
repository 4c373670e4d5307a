"""The Layer base class: naming, weights, custom subclasses, input checks."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.engine import InputSpec, Layer
from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential


class MyLayer(Layer):
    """The seed's custom layer: a trainable matrix product."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                      initializer="uniform", trainable=True)
        super().build(input_shape)

    def call(self, x):
        return K.dot(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config["output_dim"] = self.output_dim
        return config


def test_custom_layer_builds_trains_and_round_trips_its_config():
    model = Sequential([MyLayer(2, input_shape=(3,))])
    model.compile(numkeras.optimizers.SGD(lr=0.1), "mse")
    assert model.output_shape == (None, 2)
    kernel = model.layers[0].kernel
    assert kernel.name.endswith("/kernel:0")
    before = kernel.data.copy()
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), verbose=0)
    assert not np.allclose(before, kernel.data)
    clone = MyLayer.from_config(model.layers[0].get_config())
    assert clone.output_dim == 2


def test_output_shape_is_inferred_by_running_call_when_not_declared():
    class Double(Layer):
        def call(self, x):
            return K.concatenate([x, x], axis=-1)

    out = Double()(Input(shape=(3,)))
    assert out.shape == (None, 6)


def test_automatic_names_count_per_class():
    K.clear_session()
    assert Dense(1).name == "dense_1"
    assert Dense(1).name == "dense_2"
    assert MyLayer(1).name == "my_layer_1"


def test_unknown_constructor_argument_names_the_layer_and_suggests():
    with pytest.raises(TypeError, match="input_shap.*input_shape"):
        Dense(2, input_shap=(3,))


def test_set_weights_checks_count_and_shapes():
    layer = Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="has 2 weight"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 2\)"):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_input_spec_errors_name_layer_expected_and_received():
    layer = Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"dense_\d+.*axis -1.*size 3.*size 4"):
        layer(np.ones((1, 4), "float32"))


def test_weights_argument_sets_initial_values():
    values = [np.full((2, 1), 3.0), np.array([1.0])]
    model = Sequential([Dense(1, input_dim=2, weights=values)])
    np.testing.assert_allclose(model.predict(np.ones((1, 2))), [[7.0]])


def test_activity_regularizer_adds_to_losses_during_a_call():
    layer = Dense(2, kernel_initializer="ones", activity_regularizer=numkeras.regularizers.L1L2(l1=1.0))
    layer(np.ones((1, 2), "float32"))
    assert len(layer.losses) == 1 and float(layer.losses[0].data) == pytest.approx(4.0 * 1.0)


def test_nested_layers_in_a_custom_layer_contribute_weights():
    class Block(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Dense(3)

        def call(self, x):
            return self.inner(x)

    block = Block()
    block(np.ones((1, 2), "float32"))
    assert len(block.trainable_weights) == 2


def test_subclassed_model_tracks_layers_and_trains():
    class MyModel(Model):
        def __init__(self):
            super().__init__(name="my_model")
            self.dense_1 = Dense(8, activation="relu")
            self.dense_2 = Dense(1)

        def call(self, inputs):
            return self.dense_2(self.dense_1(inputs))

    model = MyModel()
    model.compile(numkeras.optimizers.SGD(lr=0.05), "mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    history = model.fit(x, x[:, :1] * 2, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 4
    assert model.predict(x).shape == (32, 1)


def test_input_spec_repr_lists_constraints():
    assert "ndim=3" in repr(InputSpec(ndim=3))
