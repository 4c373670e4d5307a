"""The protocol base classes: Loss, Metric / Reduce / MeanMetricWrapper, Optimizer, Initializer,
Regularizer, Constraint (core/numkeras/*/base.py). Only core code and test-local subclasses are used."""

import json

import numpy as np
import pytest

from numkeras import backend as K
from numkeras import constraints, initializers, losses, metrics, optimizers, regularizers
from numkeras.constraints import Constraint
from numkeras.initializers import Initializer
from numkeras.losses import Loss, LossFunctionWrapper
from numkeras.metrics import MeanMetricWrapper, Metric
from numkeras.metrics.base import Reduce, weighted_total
from numkeras.optimizers import Optimizer
from numkeras.optimizers.base import check_fraction, check_non_negative
from numkeras.regularizers import Regularizer


def squared_error(y_true, y_pred, scale=1.0):
    return scale * K.mean(K.square(K.Tensor(y_pred) - y_true), axis=-1)


@pytest.fixture
def registered_squared_error():
    losses.register("protocol_squared_error", squared_error)
    metrics.register("protocol_squared_error", squared_error)
    yield
    losses._namespace.registry.unregister("protocol_squared_error")
    metrics._namespace.registry.unregister("protocol_squared_error")


# -- Loss -----------------------------------------------------------------------------------
class Huber(Loss):
    def __init__(self, delta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        error = K.abs(K.Tensor(y_pred) - y_true)
        quadratic = K.minimum(error, self.delta)
        return K.mean(0.5 * quadratic ** 2 + self.delta * (error - quadratic), axis=-1)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


Y_TRUE = np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])
Y_PRED = np.array([[0.5, 1.0], [0.0, 0.0], [1.0, 4.0]])


def huber_per_sample(delta=1.0):
    error = np.abs(Y_PRED - Y_TRUE)
    quadratic = np.minimum(error, delta)
    return np.mean(0.5 * quadratic ** 2 + delta * (error - quadratic), axis=-1)


def test_loss_subclass_reductions():
    per_sample = huber_per_sample()
    np.testing.assert_allclose(float(Huber()(Y_TRUE, Y_PRED)), per_sample.mean())
    np.testing.assert_allclose(float(Huber(reduction="auto")(Y_TRUE, Y_PRED)), per_sample.mean())
    np.testing.assert_allclose(float(Huber(reduction="sum")(Y_TRUE, Y_PRED)), per_sample.sum())
    np.testing.assert_allclose(Huber(reduction="none")(Y_TRUE, Y_PRED).data, per_sample)
    assert Huber().name == "Huber"


@pytest.mark.parametrize("weight_shape", [(3,), (3, 1)])
def test_loss_sample_weight_per_sample(weight_shape):
    weights = np.array([1.0, 0.0, 2.0])
    result = Huber(reduction="none")(Y_TRUE, Y_PRED, sample_weight=weights.reshape(weight_shape))
    assert result.shape == (3,)  # a (3, 1) weight column is not broadcast into (3, 3)
    np.testing.assert_allclose(result.data, huber_per_sample() * weights)


def test_loss_sample_weight_for_per_timestep_losses():
    class PerStep(Loss):
        def call(self, y_true, y_pred):
            return K.square(K.Tensor(y_pred) - y_true)

    result = PerStep(reduction="sum")(Y_TRUE, Y_PRED, sample_weight=[1.0, 2.0, 0.0])
    np.testing.assert_allclose(float(result), ((Y_PRED - Y_TRUE) ** 2 * [[1], [2], [0]]).sum())


def test_loss_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction 'mean'"):
        Huber(reduction="mean")


def test_loss_config_round_trip():
    loss = Huber(delta=0.5, reduction="sum", name="huber_half")
    rebuilt = Huber.from_config(json.loads(json.dumps(loss.get_config())))
    assert rebuilt.get_config() == loss.get_config()
    with pytest.raises(NotImplementedError, match="call"):
        Loss()(Y_TRUE, Y_PRED)


def test_loss_function_wrapper(registered_squared_error):
    wrapper = LossFunctionWrapper(squared_error, reduction="none", scale=2.0)
    assert wrapper.name == "squared_error"
    np.testing.assert_allclose(wrapper(Y_TRUE, Y_PRED).data, 2 * np.mean((Y_PRED - Y_TRUE) ** 2, -1))
    wrapper = LossFunctionWrapper(losses.get("protocol_squared_error"), scale=3.0)
    config = json.loads(json.dumps(wrapper.get_config()))
    assert config["fn"] == "protocol_squared_error" and config["scale"] == 3.0
    rebuilt = LossFunctionWrapper.from_config(config)
    assert rebuilt.fn is squared_error and float(rebuilt(Y_TRUE, Y_PRED)) == float(wrapper(Y_TRUE, Y_PRED))


# -- Metric -------------------------------------------------------------------------------------
class Largest(Metric):
    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.largest = self.add_weight("largest", initializer=lambda shape, dtype: np.full(shape, -np.inf, dtype))

    def update_state(self, values, sample_weight=None):
        self.largest.data[...] = max(float(self.largest.data), float(np.max(values)))

    def result(self):
        return K.constant(self.largest.data)


def test_metric_subclass_state_and_reset_to_initial_value():
    metric = Largest()
    assert metric.name == "largest" and metric.dtype == "float32"
    assert float(metric([1.0, 5.0])) == 5.0
    assert float(metric([3.0])) == 5.0
    assert [w.name for w in metric.weights] == ["largest/largest:0"]
    metric.reset_states()
    assert float(metric.result()) == -np.inf
    metric([2.0])
    metric.reset_state()
    assert float(metric.result()) == -np.inf
    rebuilt = Largest.from_config(json.loads(json.dumps(metric.get_config())))
    assert rebuilt.get_config() == {"name": "largest", "dtype": "float32"}


def test_metric_call_records_nothing_on_the_tape():
    x = K.Variable(np.array([1.0, 2.0]))

    class Doubled(Metric):
        def update_state(self, values):
            self.last = values * 2.0

        def result(self):
            return self.last

    assert not Doubled()(x).requires_grad


def test_metric_base_methods_are_required():
    with pytest.raises(NotImplementedError, match="update_state"):
        Metric().update_state(1)
    with pytest.raises(NotImplementedError, match="result"):
        Metric().result()


@pytest.mark.parametrize("values,weights,expected", [
    ([1.0, 2.0, 3.0], None, (6.0, 3.0)),
    ([1.0, 2.0, 3.0], [1.0, 0.0, 2.0], (7.0, 3.0)),
    ([1.0, 2.0, 3.0], [[1.0], [0.0], [2.0]], (7.0, 3.0)),
    ([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], (17.0, 6.0)),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], (5.0, 2.0)),
    (4.0, 2.0, (8.0, 2.0)),
    (4.0, [1.0, 3.0], (16.0, 4.0)),  # one value (a batch mean) counts once per weight
])
def test_weighted_total(values, weights, expected):
    assert weighted_total(values, weights) == expected


def test_weighted_total_rejects_mismatched_weights():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        weighted_total([1.0, 2.0], [1.0, 2.0, 3.0])


def test_reduce_sum_and_weighted_mean():
    total, mean = Reduce("sum", name="total"), Reduce("weighted_mean", name="average")
    for metric in (total, mean):
        metric.update_state([1.0, 2.0], sample_weight=[1.0, 3.0])
        metric.update_state(np.array([[4.0]]))
    assert float(total.result()) == 11.0
    assert float(mean.result()) == pytest.approx(11.0 / 5.0)
    with pytest.raises(ValueError, match="reduction"):
        Reduce("max")


def test_reduce_keeps_precision_over_many_updates():
    mean = Reduce("weighted_mean")
    for _ in range(1000):
        mean.update_state(np.full(1000, 0.1, np.float32))
    np.testing.assert_allclose(float(mean.result()), 0.1, rtol=1e-6)
    assert mean.result().dtype == np.float32


def test_mean_metric_wrapper(registered_squared_error):
    metric = MeanMetricWrapper(squared_error, scale=2.0)
    assert metric.name == "squared_error"
    metric.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 1.0, 0.0])
    expected = 2 * np.mean((Y_PRED - Y_TRUE) ** 2, -1)[:2].mean()
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-6)
    wrapped = MeanMetricWrapper(metrics.get("protocol_squared_error"))
    config = json.loads(json.dumps(wrapped.get_config()))
    assert config == {"name": "squared_error", "dtype": "float32", "fn": "protocol_squared_error"}
    assert MeanMetricWrapper.from_config(config).fn is squared_error


# -- Optimizer -----------------------------------------------------------------------------------
class PlainSGD(Optimizer):
    slot_names = ()

    def update_step(self, param, grad, slots, lr):
        param.data -= lr * grad


class TwoSlots(Optimizer):
    """Counts gradients in ``first`` and squares in ``second``, to check the slot layout."""

    slot_names = ("first", "second")
    default_lr = 0.5
    legacy_weights_without_iterations = True

    def update_step(self, param, grad, slots, lr):
        slots["first"] += grad
        slots["second"] += grad ** 2
        param.data -= lr * slots["first"]

    def weights_restored(self):
        self.restored_at = int(self.iterations.data)


def _variables(*values):
    return [K.Variable(np.array(v, dtype=np.float64), dtype="float64", name=f"v{i}:0")
            for i, v in enumerate(values)]


def test_optimizer_applies_update_step_with_the_decayed_rate():
    optimizer = PlainSGD(lr=1.0, decay=0.5)
    (w,) = _variables([0.0])
    for _ in range(3):
        optimizer.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.data, -(1 + 1 / 1.5 + 1 / 2.0))
    assert int(optimizer.iterations.data) == 3
    np.testing.assert_allclose(optimizer.current_lr(), 1 / 2.5)


def test_optimizer_clipnorm_is_global_and_clipvalue_elementwise():
    a, b = _variables([0.0, 0.0], [0.0])
    PlainSGD(lr=1.0, clipnorm=1.0).apply_gradients([(np.array([3.0, 0.0]), a), (np.array([4.0]), b)])
    np.testing.assert_allclose(np.concatenate([a.data, b.data]), [-0.6, 0.0, -0.8])
    (c,) = _variables([0.0, 0.0])
    PlainSGD(lr=1.0, clipvalue=0.5).apply_gradients([(np.array([3.0, -0.2]), c)])
    np.testing.assert_allclose(c.data, [-0.5, 0.2])
    (d,) = _variables([0.0])
    PlainSGD(lr=1.0, clipnorm=0.0, clipvalue=0.0).apply_gradients([(np.array([3.0]), d)])  # 0: no clipping
    np.testing.assert_allclose(d.data, [-3.0])


def test_optimizer_skips_missing_gradients_and_applies_constraints():
    a, b = _variables([1.0], [1.0])
    b.constraint = lambda w: np.clip(w, 0.5, None)
    PlainSGD(lr=1.0).apply_gradients([(None, a), (np.array([2.0]), b)])
    assert a.data[0] == 1.0 and b.data[0] == 0.5


def test_get_gradients_names_unconnected_parameters():
    a, b = _variables([1.0], [2.0])
    with pytest.raises(ValueError, match="v1:0"):
        PlainSGD().get_gradients(K.sum(a * a), [a, b])


def test_learning_rate_is_a_variable_under_both_names():
    optimizer = PlainSGD(learning_rate=0.3)
    assert optimizer.lr is optimizer.learning_rate and isinstance(optimizer.lr, K.Variable)
    K.set_value(optimizer.lr, 0.2)
    np.testing.assert_allclose(optimizer.get_config()["lr"], 0.2)
    optimizer.lr = 0.1  # assignment writes into the variable
    assert isinstance(optimizer.lr, K.Variable)
    np.testing.assert_allclose(K.get_value(optimizer.learning_rate), 0.1)
    assert float(K.get_value(PlainSGD().lr)) == pytest.approx(0.01)  # the class default


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1.0}, "lr must be >= 0"), ({"decay": -0.1}, "decay must be >= 0"),
    ({"clipnorm": -1.0}, "clipnorm must be >= 0"), ({"clipvalue": -1.0}, "clipvalue must be >= 0"),
    ({"lr": 0.1, "learning_rate": 0.2}, "either lr or learning_rate"), ({"lr": "fast"}, "lr must be a number"),
])
def test_optimizer_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PlainSGD(**kwargs)


def test_optimizer_rejects_unknown_arguments():
    with pytest.raises(TypeError, match="momentun"):
        PlainSGD(momentun=0.9)


def test_argument_checks():
    check_non_negative("X", a=0.0, b=None)
    with pytest.raises(ValueError, match="X: b must be >= 0"):
        check_non_negative("X", b=float("nan"))
    check_fraction("X", beta=0.0)
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        check_fraction("X", beta=1.0)


def test_optimizer_weights_layout_and_round_trip():
    optimizer = TwoSlots()
    a, b = _variables([1.0, 2.0], [3.0])
    optimizer.apply_gradients([(np.array([1.0, 1.0]), a), (np.array([2.0]), b)])
    weights = optimizer.get_weights()
    assert [w.tolist() for w in weights] == [1, [1.0, 1.0], [2.0], [1.0, 1.0], [4.0]]
    assert [w.name for w in optimizer.weights] == ["iterations:0", "v0/first:0", "v1/first:0", "v0/second:0",
                                                   "v1/second:0"]
    other = TwoSlots()
    copies = _variables(a.data, b.data)
    other.set_weights(weights, params=copies)
    assert other.restored_at == 1
    for optimizer_, params in ((optimizer, [a, b]), (other, copies)):
        optimizer_.apply_gradients(zip([np.array([0.5, 0.5]), np.array([1.0])], params))
    np.testing.assert_array_equal(a.data, copies[0].data)
    np.testing.assert_array_equal(b.data, copies[1].data)


def test_optimizer_accepts_the_layout_without_iterations_when_declared():
    optimizer = TwoSlots()
    optimizer.build(_variables([0.0], [0.0, 0.0]))
    optimizer.iterations.assign(5)
    optimizer.set_weights([np.ones(1), np.ones(2), np.full(1, 2.0), np.full(2, 2.0)])
    assert int(optimizer.iterations.data) == 5  # kept, as Keras 2.2.4 did not save it
    assert [w.tolist() for w in optimizer.get_weights()[1:]] == [[1.0], [1.0, 1.0], [2.0], [2.0, 2.0]]


def test_optimizer_config_round_trip():
    optimizer = PlainSGD(lr=0.25, decay=0.1, clipnorm=2.0, clipvalue=1.0)
    config = json.loads(json.dumps(optimizer.get_config()))
    assert config == {"lr": 0.25, "decay": pytest.approx(0.1), "clipnorm": 2.0, "clipvalue": 1.0}
    assert PlainSGD.from_config(config).get_config() == optimizer.get_config()
    tf_style = PlainSGD.from_config({"name": "PlainSGD", "learning_rate": 0.5, "decay": 0.0})
    assert float(K.get_value(tf_style.lr)) == 0.5


def test_optimizer_get_updates_applies_now():
    (w,) = _variables([2.0])
    assert PlainSGD(lr=0.25).get_updates(K.sum(w * w), [w]) == []
    np.testing.assert_allclose(w.data, [1.0])


def test_optimizer_update_step_is_required():
    with pytest.raises(NotImplementedError, match="update_step"):
        Optimizer().apply_gradients([(np.ones(1), _variables([0.0])[0])])


# -- Initializer, Regularizer, Constraint -----------------------------------------------------------
class Halves(Initializer):
    def __init__(self, value=0.5):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or K.floatx())

    def get_config(self):
        return {"value": self.value}


def test_initializer_protocol():
    assert Halves()((2,)).dtype == np.float32
    rebuilt = Halves.from_config({"value": 0.25, "dtype": "float32"})  # tf.keras 1.x configs carry a dtype
    assert rebuilt.value == 0.25 and repr(rebuilt) == "Halves(value=0.25)"
    assert initializers.get(rebuilt) is rebuilt
    with pytest.raises(NotImplementedError, match="__call__"):
        Initializer()((2,))


class SumOfSquares(Regularizer):
    def __init__(self, factor=0.01):
        self.factor = factor

    def __call__(self, x):
        return self.factor * K.sum(K.square(x))

    def get_config(self):
        return {"factor": self.factor}


def test_regularizer_protocol():
    assert Regularizer()(np.ones(3)) == 0.0
    w = K.Variable(np.array([1.0, -2.0]), dtype="float64")
    penalty = SumOfSquares(0.5)(w)
    np.testing.assert_allclose(K.gradients(penalty, [w])[0], [1.0, -2.0])
    assert SumOfSquares.from_config(SumOfSquares(0.5).get_config()).factor == 0.5
    assert regularizers.get(None) is None


class Clipped(Constraint):
    def __init__(self, limit=1.0):
        self.limit = limit

    def __call__(self, w):
        return K.clip(w, -self.limit, self.limit)

    def get_config(self):
        return {"limit": self.limit}


def test_constraint_protocol():
    w = np.array([0.5, 3.0])
    assert Constraint()(w) is w
    np.testing.assert_array_equal(K.eval(Clipped()(w)), [0.5, 1.0])
    assert Clipped.from_config({"limit": 2.0}).limit == 2.0
    assert repr(Clipped(2.0)) == "Clipped(limit=2.0)"
    assert constraints.get(None) is None


def test_public_modules_export_the_bases():
    assert optimizers.Optimizer is Optimizer and losses.Loss is Loss and metrics.Metric is Metric
    assert initializers.Initializer is Initializer and regularizers.Regularizer is Regularizer
    assert constraints.Constraint is Constraint
