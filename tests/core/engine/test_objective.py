"""The training objective against Keras 2.2's weighted, masked objective, worked by hand in NumPy.

Keras 2.2 (``keras/engine/training_utils.py::weighted_masked_objective``), for one output::

    score = fn(y_true, y_pred)              # per sample and timestep
    score = score * mask / mean(mask)
    score = mean of score over the axes the weights lack
    score = score * weights / mean(weights != 0)
    loss  = mean(score)

Each expected value below is that formula applied by hand to the model's own
predictions, never a number numkeras reports about itself.
"""

import numpy as np
import pytest

import numkeras
from numkeras import Input, Model, Sequential
from numkeras.engine.objective import Objective, OutputLoss, target_kind, weighted_masked_mean
from numkeras.layers import LSTM, Dense, Embedding, Layer, Masking, TimeDistributed

STEPS, FEATURES = 4, 3


def keras22_objective(score, mask=None, weights=None):
    """Keras 2.2's weighted_masked_objective on a NumPy score array (float64)."""
    score = np.asarray(score, dtype=np.float64)
    if mask is not None:
        mask = np.asarray(mask, dtype=np.float64)
        score = score * mask / mask.mean()
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        score = score.mean(axis=tuple(range(weights.ndim, score.ndim))) if score.ndim > weights.ndim else score
        score = score * weights / np.mean(weights != 0)
    return score.mean()


def _padded_sequences(samples=6, seed=0):
    """Inputs whose last steps are zero padding (as pad_sequences writes), and targets for every step."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, STEPS, FEATURES)).astype("float32")
    lengths = rng.integers(1, STEPS + 1, size=samples)
    lengths[0] = 2  # the case: the last two of four steps padded
    mask = np.arange(STEPS)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    y = rng.normal(size=(samples, STEPS, 2)).astype("float32")
    return x, y, mask


def _masked_model(loss="mse", **compile_kwargs):
    numkeras.utils.set_random_seed(1)
    model = Sequential([
        Masking(mask_value=0.0, input_shape=(STEPS, FEATURES)),
        LSTM(5, return_sequences=True),
        TimeDistributed(Dense(2)),
    ])
    model.compile("sgd", loss, **compile_kwargs)
    return model


def test_masked_mse_is_keras22_mean_over_the_unpadded_steps():
    x, y, mask = _padded_sequences()
    model = _masked_model()
    squared = ((model.predict(x) - y) ** 2).mean(axis=-1)  # mse per sample and step
    expected = keras22_objective(squared, mask)
    unmasked = squared.mean()
    assert abs(expected - unmasked) > 1e-3  # the mask changes the answer on this data
    assert model.evaluate(x, y, verbose=0, batch_size=len(x)) == pytest.approx(expected, rel=1e-5)
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


def test_masked_loss_with_temporal_sample_weights():
    x, y, mask = _padded_sequences()
    weights = np.random.default_rng(2).uniform(0.0, 2.0, size=(len(x), STEPS)).astype("float32")
    weights[1, 0] = 0.0  # a zero weight counts in Keras 2.2's mean(weights != 0)
    model = _masked_model(sample_weight_mode="temporal")
    squared = ((model.predict(x) - y) ** 2).mean(axis=-1)
    expected = keras22_objective(squared, mask, weights)
    value = model.evaluate(x, y, sample_weight=weights, verbose=0, batch_size=len(x))
    assert value == pytest.approx(expected, rel=1e-5)


def test_masked_loss_with_per_sample_weights():
    x, y, mask = _padded_sequences()
    weights = np.array([1.0, 0.5, 0.0, 2.0, 1.0, 3.0], dtype="float32")
    model = _masked_model()
    squared = ((model.predict(x) - y) ** 2).mean(axis=-1)
    expected = keras22_objective(squared, mask, weights)
    value = model.evaluate(x, y, sample_weight=weights, verbose=0, batch_size=len(x))
    assert value == pytest.approx(expected, rel=1e-5)


def test_masked_metric_functions_and_stateful_metrics_skip_the_padding():
    x, y, mask = _padded_sequences()
    model = _masked_model(metrics=["mae", numkeras.metrics.MeanAbsoluteError(name="stateful_mae")])
    absolute = np.abs(model.predict(x) - y).mean(axis=-1)
    expected = absolute[mask].mean()  # the mean over unmasked steps: what both forms must give
    assert keras22_objective(absolute, mask) == pytest.approx(expected)
    logs = model.evaluate(x, y, verbose=0, batch_size=len(x), return_dict=True)
    assert logs["mae"] == pytest.approx(expected, rel=1e-5)
    assert logs["stateful_mae"] == pytest.approx(expected, rel=1e-5)


def test_embedding_mask_zero_reaches_a_sparse_loss():
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 10, size=(5, STEPS))
    tokens[0, 2:] = 0
    tokens[3, 1:] = 0
    labels = rng.integers(0, 3, size=(5, STEPS))
    numkeras.utils.set_random_seed(4)
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=STEPS),
                        LSTM(6, return_sequences=True), TimeDistributed(Dense(3, activation="softmax"))])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    probabilities = model.predict(tokens).astype(np.float64)
    picked = np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0]
    mask = tokens != 0
    expected_loss = keras22_objective(-np.log(picked), mask)
    expected_acc = keras22_objective(probabilities.argmax(-1) == labels, mask)
    loss, acc = model.evaluate(tokens, labels[..., None], verbose=0, batch_size=5)
    assert model.metrics_names == ["loss", "acc"]
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert acc == pytest.approx(expected_acc, rel=1e-6)


class PositiveFirstFeatureMask(Layer):
    """An identity layer whose mask is ``inputs[..., 0] > 0``, from its own compute_mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.produces_mask = True

    def call(self, inputs, mask=None):
        return inputs

    def compute_mask(self, inputs, mask=None):
        values = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
        return values[..., 0] > 0


def test_a_custom_compute_mask_reaches_the_loss_of_a_functional_model():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, STEPS, FEATURES)).astype("float32")
    y = rng.normal(size=(7, STEPS, 1)).astype("float32")
    inputs = Input(shape=(STEPS, FEATURES))
    outputs = TimeDistributed(Dense(1))(PositiveFirstFeatureMask()(inputs))
    model = Model(inputs, outputs)
    model.compile("sgd", "mae")
    mask = x[..., 0] > 0
    expected = keras22_objective(np.abs(model.predict(x) - y).mean(axis=-1), mask)
    assert model.evaluate(x, y, verbose=0, batch_size=7) == pytest.approx(expected, rel=1e-5)


class DropMask(Layer):
    """An identity layer that ends the mask: what the objective saw before masks reached it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return None


def test_training_on_the_masked_objective_reaches_a_lower_masked_loss():
    """The same model, data and seed, trained with and without the mask in the objective."""
    rng = np.random.default_rng(6)
    x, _, mask = _padded_sequences(samples=64, seed=7)
    y = np.repeat(x.sum(axis=-1, keepdims=True), 2, axis=-1)
    y[~mask] = rng.normal(scale=3.0, size=(int((~mask).sum()), 2))  # noise on the padded steps

    def trained(drop_mask):
        numkeras.utils.set_random_seed(8)
        layers = [Masking(0.0, input_shape=(STEPS, FEATURES)), LSTM(8, return_sequences=True),
                  TimeDistributed(Dense(2))]
        if drop_mask:
            layers.append(DropMask())
        model = Sequential(layers)
        model.compile(numkeras.optimizers.Adam(0.02), "mse")
        model.fit(x, y, epochs=30, batch_size=16, verbose=0, shuffle=False)
        return keras22_objective(((model.predict(x) - y) ** 2).mean(axis=-1), mask)

    assert trained(drop_mask=False) < 0.8 * trained(drop_mask=True)


def test_a_mask_that_does_not_fit_the_loss_values_is_a_clear_error():
    score = numkeras.backend.constant(np.ones((4,), dtype="float32"))
    with pytest.raises(ValueError, match=r"mask has shape \(4, 3\).*values of shape \(4,\)"):
        weighted_masked_mean(score, mask=np.ones((4, 3), dtype=bool))


def test_all_masked_or_all_zero_weights_give_zero_not_nan():
    score = numkeras.backend.constant(np.full((2, 3), 5.0, dtype="float32"))
    assert float(weighted_masked_mean(score, mask=np.zeros((2, 3), dtype=bool)).data) == 0.0
    assert float(weighted_masked_mean(score, sample_weight=np.zeros(2)).data) == 0.0


# -- a Loss instance's reduction ------------------------------------------------------------------
def _dense_model(loss):
    numkeras.utils.set_random_seed(9)
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", loss)
    return model


def test_a_loss_instance_reduction_sum_trains_on_the_sum():
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = _dense_model(numkeras.losses.MeanSquaredError(reduction="sum"))
    per_sample = ((model.predict(x) - y) ** 2).mean(axis=-1)
    assert model.evaluate(x, y, verbose=0, batch_size=8) == pytest.approx(per_sample.sum(), rel=1e-5)
    mean_model = _dense_model(numkeras.losses.MeanSquaredError())
    assert mean_model.evaluate(x, y, verbose=0, batch_size=8) == pytest.approx(per_sample.mean(), rel=1e-5)
    # the gradient of the sum is batch-size times that of the mean: one SGD step moves 8x as far
    before = model.get_weights()[0].copy()
    model.train_on_batch(x, y)
    mean_model.train_on_batch(x, y)
    np.testing.assert_allclose(model.get_weights()[0] - before, 8 * (mean_model.get_weights()[0] - before),
                               rtol=1e-4, atol=1e-6)


def test_a_loss_instance_with_reduction_none_is_refused_at_compile():
    with pytest.raises(ValueError, match="reduction='none'.*single number"):
        _dense_model(numkeras.losses.MeanSquaredError(reduction="none"))


# -- kinds are declared, never guessed from names ----------------------------------------------------
def test_builtin_losses_declare_their_target_kind():
    assert target_kind(numkeras.losses.get("sparse_categorical_crossentropy")) == "sparse"
    assert target_kind(numkeras.losses.get("categorical_crossentropy")) == "one_hot"
    assert target_kind(numkeras.losses.get("binary_crossentropy")) == "binary"
    assert target_kind(numkeras.losses.SparseCategoricalCrossentropy()) == "sparse"
    assert target_kind(numkeras.losses.get("mse")) is None


def test_a_loss_named_sparse_is_not_taken_for_a_sparse_loss():
    def sparse_penalty(y_true, y_pred):
        return numkeras.backend.mean(numkeras.backend.abs(y_true - y_pred), axis=-1)

    loss = OutputLoss(sparse_penalty)
    assert loss.kind is None
    with pytest.raises(ValueError, match=r"expected out to have shape \(3,\)"):
        loss.check_targets(np.zeros((4, 1)), (None, 3), "out")


def test_a_custom_sparse_loss_declares_its_kind_and_gets_sparse_accuracy():
    def my_sparse_loss(y_true, y_pred):
        return numkeras.backend.sparse_categorical_crossentropy(y_true, y_pred)

    my_sparse_loss.target_kind = "sparse"
    objective = Objective(["out"], [(None, 3)], my_sparse_loss, metrics=["acc"])
    assert objective.metrics[0].metric is numkeras.metrics.get("sparse_categorical_accuracy")
    objective.check_targets([np.zeros((4, 1))], [(None, 3)])  # integer labels pass the check


def test_an_unknown_target_kind_is_a_clear_error():
    def odd(y_true, y_pred):
        return y_pred

    odd.target_kind = "onehot"
    with pytest.raises(ValueError, match="target_kind='onehot'.*'sparse', 'one_hot', 'binary'"):
        OutputLoss(odd)


@pytest.mark.parametrize("weighted", [False, True])
def test_one_stateful_metric_instance_named_for_two_outputs_keeps_two_states(weighted):
    """``metrics=[RootMeanSquaredError()]`` on two outputs: each output's value is its own RMSE by hand."""
    x = Input((3,))
    model = Model(x, [Dense(1, name="a")(x), Dense(1, name="b")(x)])
    metric = numkeras.metrics.RootMeanSquaredError()
    model.compile("sgd", "mse", **{"weighted_metrics" if weighted else "metrics": [metric]})
    data = np.random.RandomState(0).randn(8, 3).astype("float32")
    targets = [np.zeros((8, 1), "float32"), 100 * np.ones((8, 1), "float32")]
    logs = dict(zip(model.metrics_names, model.evaluate(data, targets, batch_size=4, verbose=0)))
    for name, prediction, target in zip("ab", model.predict(data), targets):
        key = f"{name}_{'weighted_' if weighted else ''}root_mean_squared_error"
        expected = np.sqrt(np.mean((prediction.astype(np.float64) - target) ** 2))
        np.testing.assert_allclose(logs[key], expected, rtol=1e-5)
