"""Built-in metrics (plugins/numkeras_builtins/metrics.py): functions, stateful reductions, class forms, in fit."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras import losses, metrics
from numkeras.layers import Dense
from numkeras.models import Sequential
from tests.helpers.components import assert_config_roundtrip, builtin_entry_points

rng = np.random.default_rng(0)
PROBABILITIES = rng.uniform(size=(6, 4))
ONE_HOT = np.eye(4)[[0, 1, 2, 3, 1, 0]]
LABELS = np.array([0, 1, 2, 3, 1, 0])


# -- accuracy functions ------------------------------------------------------------------
def test_binary_accuracy_thresholds_at_one_half():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y_pred = np.array([[0.7, 0.2], [0.5, 0.49], [0.51, 0.9]])
    np.testing.assert_allclose(metrics.binary_accuracy(y_true, y_pred).data, [1.0, 0.5, 1.0])
    np.testing.assert_allclose(metrics.binary_accuracy(y_true, y_pred, threshold=0.8).data, [0.5, 0.5, 0.5])


def test_binary_accuracy_of_flat_targets_against_a_column_output():
    np.testing.assert_allclose(metrics.binary_accuracy(np.array([1.0, 0.0]), np.array([[0.9], [0.8]])).data, [1, 0])


def test_categorical_accuracy_compares_argmaxes():
    expected = (np.argmax(PROBABILITIES, -1) == LABELS).astype(np.float32)
    result = metrics.categorical_accuracy(ONE_HOT, PROBABILITIES)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result.data, expected)


@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_sparse_categorical_accuracy_takes_flat_or_column_labels(shape):
    expected = (np.argmax(PROBABILITIES, -1) == LABELS).astype(np.float32)
    result = metrics.sparse_categorical_accuracy(LABELS.reshape(shape).astype(np.float32), PROBABILITIES)
    np.testing.assert_array_equal(result.data, expected)


def _numpy_in_top_k(predictions, labels, k):
    return np.array([labels[i] in np.argsort(-row, kind="stable")[:k] for i, row in enumerate(predictions)], float)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_categorical_accuracy(k):
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(ONE_HOT, PROBABILITIES, k=k).data,
                                  _numpy_in_top_k(PROBABILITIES, LABELS, k))


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_sparse_top_k_categorical_accuracy(k, shape):
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(LABELS.reshape(shape), PROBABILITIES, k=k).data,
        _numpy_in_top_k(PROBABILITIES, LABELS, k))


def test_top_k_default_is_five_and_ties_at_the_boundary_count():
    scores = np.arange(6.0)[::-1][None]  # class 4 has the 5th largest score, class 5 the 6th
    assert metrics.top_k_categorical_accuracy(np.eye(6)[[4]], scores).data[0] == 1.0
    assert metrics.top_k_categorical_accuracy(np.eye(6)[[5]], scores).data[0] == 0.0
    # label 1 ties with label 0 for the largest score: in the top 1, as TF's in_top_k says
    assert metrics.sparse_top_k_categorical_accuracy(np.array([1]), np.array([[0.5, 0.5, 0.0]]), k=1).data[0] == 1


# -- every loss is a metric --------------------------------------------------------------
LOSS_NAMES = [name for name in builtin_entry_points("losses") if name[0].islower() or name.isupper()]


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_every_loss_name_is_a_metric(name):
    y_true, y_pred = rng.uniform(0.1, 1, (3, 4)), rng.uniform(0.1, 1, (3, 4))
    if name == "sparse_categorical_crossentropy":
        y_true = np.array([0, 3, 1])
    expected = losses.get(name)(y_true, y_pred).data
    value = metrics.get(name)(y_true, y_pred).data
    sign = -1.0 if name == "cosine_similarity" else 1.0  # tf.keras's metric is +cosine, its loss -cosine
    np.testing.assert_allclose(value, sign * expected)


# -- stateful reductions -------------------------------------------------------------------
def test_mean_accumulates_across_calls_as_seed_003_shows():
    mean_loss = metrics.Mean()
    for values in ([1, 3, 5, 7], [1, 3, 5, 7], [1, 1, 1, 1], [2, 2]):
        result = mean_loss(values)
    assert isinstance(result, K.Tensor) and result.dtype == np.float32
    expected = np.mean([1, 3, 5, 7, 1, 3, 5, 7, 1, 1, 1, 1, 2, 2])
    np.testing.assert_allclose(float(result), expected, rtol=1e-6)
    np.testing.assert_allclose(float(mean_loss.result()), expected, rtol=1e-6)  # result() is idempotent
    mean_loss.reset_states()
    assert float(mean_loss.result()) == 0.0
    assert float(mean_loss(1)) == 1.0  # a scalar is one value: Mean()(1), not Mean(1)
    assert mean_loss.name == "mean"


def test_mean_with_sample_weight():
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
    np.testing.assert_allclose(float(mean.result()), (1 + 6) / 3)
    mean.update_state([[1.0, 5.0], [2.0, 2.0]], sample_weight=[3.0, 1.0])  # one weight per row
    np.testing.assert_allclose(float(mean.result()), (7 + 3 * 6 + 4) / (3 + 6 + 2))
    with pytest.raises(ValueError, match="sample_weight"):
        mean.update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])


def test_sum_accumulates_weighted_values():
    total = metrics.Sum()
    total([1.0, 2.0])
    total(np.array([[3.0]]), sample_weight=[2.0])
    assert float(total.result()) == 9.0
    total.reset_states()
    assert float(total.result()) == 0.0


def test_accuracy_counts_exact_matches():
    accuracy = metrics.Accuracy()
    accuracy.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(accuracy.result()) == 0.75
    accuracy.update_state([[1], [2]], [[1], [0]], sample_weight=[1, 3])
    np.testing.assert_allclose(float(accuracy.result()), (3 + 1) / (4 + 4))


# -- class forms -------------------------------------------------------------------------------
METRIC_CLASSES = [
    ("BinaryAccuracy", metrics.binary_accuracy, "binary", {"threshold": 0.3}),
    ("CategoricalAccuracy", metrics.categorical_accuracy, "one_hot", {}),
    ("SparseCategoricalAccuracy", metrics.sparse_categorical_accuracy, "labels", {}),
    ("TopKCategoricalAccuracy", metrics.top_k_categorical_accuracy, "one_hot", {"k": 2}),
    ("SparseTopKCategoricalAccuracy", metrics.sparse_top_k_categorical_accuracy, "labels", {"k": 2}),
    ("MeanSquaredError", losses.mean_squared_error, "real", {}),
    ("MeanAbsoluteError", losses.mean_absolute_error, "real", {}),
    ("MeanAbsolutePercentageError", losses.mean_absolute_percentage_error, "real", {}),
    ("MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error, "real", {}),
    ("Hinge", losses.hinge, "real", {}),
    ("SquaredHinge", losses.squared_hinge, "real", {}),
    ("CategoricalHinge", losses.categorical_hinge, "one_hot", {}),
    ("LogCoshError", losses.logcosh, "real", {}),
    ("KLDivergence", losses.kullback_leibler_divergence, "one_hot", {}),
    ("Poisson", losses.poisson, "real", {}),
    ("CosineSimilarity", metrics.cosine_similarity, "real", {}),
    ("BinaryCrossentropy", losses.binary_crossentropy, "binary", {"label_smoothing": 0.1}),
    ("CategoricalCrossentropy", losses.categorical_crossentropy, "one_hot", {}),
    ("SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy, "labels", {}),
    ("Accuracy", metrics.accuracy, "binary", {}),
]


def _class_data(kind, seed):
    r = np.random.default_rng(seed)
    p = r.uniform(0.05, 0.95, (5, 4))
    if kind == "binary":
        return r.integers(0, 2, (5, 4)).astype(float), p
    if kind == "one_hot":
        return np.eye(4)[r.integers(0, 4, 5)], p
    if kind == "labels":
        return r.integers(0, 4, 5), p
    return r.uniform(0.05, 1, (5, 4)), p


def test_class_table_covers_every_wrapper_entry_point():
    classes = {name for name, value in builtin_entry_points("metrics").items()
               if name[0].isupper() and not name.isupper() and "metrics:" in value}
    assert classes - {row[0] for row in METRIC_CLASSES} == {"Mean", "Sum", "RootMeanSquaredError"}


@pytest.mark.parametrize("class_name,fn,kind,kwargs", METRIC_CLASSES, ids=[r[0] for r in METRIC_CLASSES])
def test_metric_class_is_the_running_weighted_mean_of_its_function(class_name, fn, kind, kwargs):
    metric = getattr(metrics, class_name)(**kwargs)
    assert isinstance(metric, metrics.MeanMetricWrapper)
    batches = [_class_data(kind, seed) for seed in (1, 2)]
    weights = [np.array([1.0, 2.0, 0.0, 1.0, 3.0]), None]
    total = count = 0.0
    for (y_true, y_pred), weight in zip(batches, weights):
        result = metric(y_true, y_pred, sample_weight=weight)
        values = fn(y_true, y_pred, **kwargs).data.astype(np.float64)
        w = np.ones(len(values)) if weight is None else weight
        w = w.reshape(w.shape + (1,) * (values.ndim - 1)) * np.ones_like(values)
        total, count = total + (values * w).sum(), count + w.sum()
    np.testing.assert_allclose(float(result), total / count, rtol=1e-6)
    rebuilt = assert_config_roundtrip("metrics", metric)
    assert float(rebuilt.result()) == 0.0  # a rebuilt metric starts empty
    metric.reset_states()
    assert float(metric.result()) == 0.0


def test_metric_classes_resolve_by_name_to_fresh_instances():
    first, second = metrics.get("BinaryAccuracy"), metrics.get("BinaryAccuracy")
    assert isinstance(first, metrics.BinaryAccuracy) and first is not second
    assert first.name == "binary_accuracy"
    with pytest.raises(TypeError, match="unexpected keyword"):
        metrics.BinaryAccuracy(k=3)


def test_root_mean_squared_error():
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    rmse.update_state([[0.0]], [[1.0]], sample_weight=[2.0])
    np.testing.assert_allclose(float(rmse.result()), np.sqrt((1 + 4 + 2) / 4))
    assert_config_roundtrip("metrics", rmse)


def test_mean_metric_wrapper_round_trips_its_function():
    metric = metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, k=1)
    metric.update_state(ONE_HOT, PROBABILITIES)
    rebuilt = assert_config_roundtrip("metrics", metric)
    assert rebuilt.fn is metrics.top_k_categorical_accuracy
    rebuilt.update_state(ONE_HOT, PROBABILITIES)
    assert float(rebuilt.result()) == float(metric.result())


# -- in compile / fit --------------------------------------------------------------------------
def mean_pred(y_true, y_pred):
    """The custom metric of seed 000."""
    return K.mean(y_pred)


@pytest.fixture(scope="module")
def binary_data():
    r = np.random.default_rng(7)
    x = r.normal(size=(24, 3)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype("float32")
    return x, y


def _binary_model():
    numkeras.utils.set_random_seed(1)
    return Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])


def test_custom_metric_function_in_compile_and_fit(binary_data):
    x, y = binary_data
    model = _binary_model()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy", mean_pred])
    history = model.fit(x, y, epochs=2, batch_size=24, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "mean_pred"}
    loss, accuracy, predicted_mean = model.evaluate(x, y, batch_size=24, verbose=0)
    predictions = model.predict(x)
    np.testing.assert_allclose(predicted_mean, predictions.mean(), rtol=1e-6)
    np.testing.assert_allclose(accuracy, np.mean((predictions > 0.5) == y), rtol=1e-6)


def test_loss_names_as_metrics_in_fit(binary_data):
    x, y = binary_data
    model = _binary_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "acc", metrics.categorical_accuracy])
    logs = model.fit(x, y, epochs=1, batch_size=24, verbose=0).history
    assert set(logs) == {"loss", "mae", "acc", "categorical_accuracy"}
    _, mae, _, _ = model.evaluate(x, y, batch_size=24, verbose=0)
    np.testing.assert_allclose(mae, np.abs(model.predict(x) - y).mean(), rtol=1e-5)


def test_metric_objects_in_fit_report_their_name(binary_data):
    x, y = binary_data
    model = _binary_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[metrics.BinaryAccuracy(threshold=0.5)])
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert "binary_accuracy" in history.history


def test_metric_objects_are_reset_before_evaluate(binary_data):
    x, y = binary_data
    model = _binary_model()
    model.compile(optimizer=numkeras.optimizers.SGD(lr=1.0), loss="binary_crossentropy",
                  metrics=[metrics.BinaryAccuracy()])
    model.layers[0].set_weights([-np.ones((3, 1), "float32"), np.zeros(1, "float32")])  # starts out wrong
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    _, accuracy = model.evaluate(x, y, batch_size=24, verbose=0)
    np.testing.assert_allclose(accuracy, np.mean((model.predict(x) > 0.5) == y), rtol=1e-6)
