"""Built-in losses (plugins/numkeras_builtins/losses.py) against independent NumPy formulas (seed 003)."""

import json

import numpy as np
import pytest

import numkeras
from numkeras import activations, losses
from numkeras import backend as K
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.registry import UnknownComponentError
from tests.helpers.components import assert_config_roundtrip, builtin_entry_points, numerical_gradient
from numkeras.testing.gradcheck import check_gradients

EPS = 1e-7
N, C = 4, 5


# -- NumPy references, written from the formulas of seed 003 ----------------------------
def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_mse(t, p):
    return np.mean(np.square(p - t), axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(p - t), axis=-1)


def ref_mape(t, p):
    return 100.0 * np.mean(np.abs((t - p) / np.clip(np.abs(t), EPS, None)), axis=-1)


def ref_msle(t, p):
    return np.mean(np.square(np.log(np.clip(p, EPS, None) + 1) - np.log(np.clip(t, EPS, None) + 1)), axis=-1)


def ref_squared_hinge(t, p):
    return np.mean(np.square(np.maximum(1.0 - t * p, 0.0)), axis=-1)


def ref_hinge(t, p):
    return np.mean(np.maximum(1.0 - t * p, 0.0), axis=-1)


def ref_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1.0 - t) * p, axis=-1)
    return np.maximum(0.0, neg - pos + 1.0)


def ref_logcosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def ref_categorical_crossentropy(t, p):
    p = p / p.sum(axis=-1, keepdims=True)
    return -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)


def ref_sparse_categorical_crossentropy(labels, p):
    labels = np.asarray(labels).reshape(p.shape[:-1]).astype(int)
    return ref_categorical_crossentropy(np.eye(p.shape[-1])[labels], p)


def ref_binary_crossentropy(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def ref_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def ref_cosine_proximity(t, p):
    def normalize(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))

    return -np.sum(normalize(t) * normalize(p), axis=-1)


# -- data: one generator per kind of target --------------------------------------------
def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=(N, C)), rng.normal(size=(N, C))
    if kind == "positive":
        return rng.uniform(0.2, 2.0, (N, C)), rng.uniform(0.2, 2.0, (N, C))
    if kind == "signs":  # hinge targets are -1 / 1; keep 1 - t*p away from the kink at 0
        t = rng.choice([-1.0, 1.0], (N, C))
        p = rng.uniform(-2, 2, (N, C))
        p = np.where(np.abs(1 - t * p) < 0.1, p + 0.3, p)
        return t, p
    if kind == "one_hot":
        return np.eye(C)[rng.integers(0, C, N)], rng.normal(size=(N, C))
    if kind == "distribution":  # soft targets, unnormalised positive predictions
        return _softmax(rng.normal(size=(N, C))), rng.uniform(0.05, 1.0, (N, C))
    if kind == "binary":
        return rng.integers(0, 2, (N, C)).astype(float), rng.uniform(0.05, 0.95, (N, C))
    if kind == "labels":
        return rng.integers(0, C, N), rng.uniform(0.05, 1.0, (N, C))
    raise ValueError(kind)


# One row per loss: (registered name, NumPy reference, kind of data).
LOSSES = [
    ("mean_squared_error", ref_mse, "real"),
    ("mean_absolute_error", ref_mae, "real"),
    ("mean_absolute_percentage_error", ref_mape, "real"),
    ("mean_squared_logarithmic_error", ref_msle, "positive"),
    ("squared_hinge", ref_squared_hinge, "signs"),
    ("hinge", ref_hinge, "signs"),
    ("categorical_hinge", ref_categorical_hinge, "one_hot"),
    ("logcosh", ref_logcosh, "real"),
    ("categorical_crossentropy", ref_categorical_crossentropy, "distribution"),
    ("sparse_categorical_crossentropy", ref_sparse_categorical_crossentropy, "labels"),
    ("binary_crossentropy", ref_binary_crossentropy, "binary"),
    ("kullback_leibler_divergence", ref_kld, "distribution"),
    ("poisson", ref_poisson, "positive"),
    ("cosine_proximity", ref_cosine_proximity, "real"),
]
LOSS_IDS = [row[0] for row in LOSSES]

ALIASES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kullback_leibler_divergence", "KLD": "kullback_leibler_divergence",
    "kl_divergence": "kullback_leibler_divergence",
    "cosine": "cosine_proximity", "cosine_similarity": "cosine_proximity", "log_cosh": "logcosh",
}


def test_the_table_covers_every_function_entry_point():
    functions = {value.split(":")[1] for value in builtin_entry_points("losses").values()
                 if value.split(":")[1][0].islower()}
    assert functions == set(LOSS_IDS)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,reference,kind", LOSSES, ids=LOSS_IDS)
def test_value_matches_numpy_formula(name, reference, kind, dtype):
    y_true, y_pred = _data(kind)
    y_pred = y_pred.astype(dtype)
    y_true = y_true if kind == "labels" else y_true.astype(dtype)
    result = losses.get(name)(y_true, y_pred)
    assert isinstance(result, K.Tensor)
    assert result.shape == (N,)
    assert result.dtype == np.dtype(dtype)
    tolerance = dict(rtol=2e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.data, reference(y_true.astype(np.float64) if kind != "labels" else y_true,
                                                      y_pred.astype(np.float64)), **tolerance)


@pytest.mark.parametrize("name,reference,kind", LOSSES, ids=LOSS_IDS)
def test_gradient_wrt_y_pred_matches_finite_differences(name, reference, kind):
    y_true, y_pred = _data(kind, seed=1)
    check_gradients(losses.get(name), y_true, y_pred, wrt=[1], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name,reference,kind", LOSSES, ids=LOSS_IDS)
def test_targets_of_three_dimensions_reduce_the_last_axis(name, reference, kind):
    y_true, y_pred = _data(kind, seed=2)
    y_true3 = y_true.reshape((2, 2) + y_true.shape[1:])
    y_pred3 = y_pred.reshape(2, 2, C)
    result = losses.get(name)(y_true3, y_pred3)
    assert result.shape == (2, 2)
    np.testing.assert_allclose(result.data.reshape(-1), reference(y_true, y_pred), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alias,canonical", sorted(ALIASES.items()))
def test_every_alias_resolves_to_its_function(alias, canonical):
    assert losses.get(alias) is losses.get(canonical)
    assert getattr(losses, alias) is getattr(losses, canonical)


def test_seed_example_mean_squared_error_of_ints():
    assert float(losses.mean_squared_error([1, 1, 1, 1], [2, 2, 2, 2])) == 1.0


def test_python_lists_compute_in_floatx():
    assert losses.mean_squared_error([[1.0, 2.0]], [[2.0, 2.0]]).dtype == np.float32


def test_unknown_loss_lists_close_matches():
    with pytest.raises(UnknownComponentError, match="mean_squared_error|MeanSquaredError"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="numkeras.losses"):
        losses.get("no_such_loss_at_all")


# -- fused softmax / sigmoid + cross-entropy -------------------------------------------------
def _logits(seed=3, scale=2.0):
    return np.random.default_rng(seed).normal(scale=scale, size=(N, C))


def _grad_through(activation, loss_fn, y_true, logits, **kwargs):
    z = K.Tensor(np.array(logits), requires_grad=True)
    value = K.sum(loss_fn(y_true, activation(z), **kwargs))
    return value, K.gradients(value, [z])[0]


def test_softmax_output_categorical_crossentropy_matches_the_unfused_formula():
    y_true, logits = _data("distribution")[0], _logits()
    value, grad = _grad_through(activations.softmax, losses.categorical_crossentropy, y_true, logits)

    def unfused(z):
        return ref_categorical_crossentropy(y_true, _softmax(z)).sum()

    np.testing.assert_allclose(float(value), unfused(logits), rtol=1e-10)
    np.testing.assert_allclose(grad, numerical_gradient(unfused, logits), rtol=1e-6, atol=1e-8)


def test_sigmoid_output_binary_crossentropy_matches_the_unfused_formula():
    y_true, logits = _data("binary")[0], _logits()
    value, grad = _grad_through(activations.sigmoid, losses.binary_crossentropy, y_true, logits)

    def unfused(z):
        return ref_binary_crossentropy(y_true, _sigmoid(z)).sum()

    np.testing.assert_allclose(float(value), unfused(logits), rtol=1e-10)
    np.testing.assert_allclose(grad, numerical_gradient(unfused, logits), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("labels_shape", [(N,), (N, 1)])
def test_softmax_output_sparse_categorical_crossentropy_matches_the_unfused_formula(labels_shape):
    labels = _data("labels")[0].reshape(labels_shape)
    logits = _logits()
    value, grad = _grad_through(activations.softmax, losses.sparse_categorical_crossentropy, labels, logits)

    def unfused(z):
        return ref_sparse_categorical_crossentropy(labels, _softmax(z)).sum()

    np.testing.assert_allclose(float(value), unfused(logits), rtol=1e-10)
    np.testing.assert_allclose(grad, numerical_gradient(unfused, logits), rtol=1e-6, atol=1e-8)


def test_fused_crossentropy_stays_exact_where_keras_would_clip():
    # log(softmax) of a logit 40 below the rest underflows to log(eps) unfused; fused it is exact.
    logits = np.array([[40.0, 0.0, 0.0]])
    value = losses.categorical_crossentropy(np.array([[0.0, 1.0, 0.0]]), activations.softmax(K.Tensor(logits)))
    np.testing.assert_allclose(float(value[0]), 40.0 + np.log1p(2 * np.exp(-40.0)), rtol=1e-12)
    value = losses.binary_crossentropy(np.array([[0.0]]), activations.sigmoid(K.Tensor(np.array([[50.0]]))))
    np.testing.assert_allclose(float(value[0]), 50.0, rtol=1e-12)


def test_from_logits_categorical_crossentropy():
    y_true, logits = _data("distribution")[0], _logits()
    result = losses.categorical_crossentropy(y_true, logits, from_logits=True)
    log_p = logits - logits.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    np.testing.assert_allclose(result.data, -np.sum(y_true * log_p, -1), rtol=1e-10)
    check_gradients(lambda t, z: losses.categorical_crossentropy(t, z, from_logits=True), y_true, logits, wrt=[1])


@pytest.mark.parametrize("labels_shape", [(N,), (N, 1)])
def test_from_logits_sparse_categorical_crossentropy(labels_shape):
    labels, logits = _data("labels")[0], _logits()
    result = losses.sparse_categorical_crossentropy(labels.reshape(labels_shape), logits, from_logits=True)
    expected = losses.categorical_crossentropy(np.eye(C)[labels], logits, from_logits=True)
    np.testing.assert_allclose(result.data, expected.data, rtol=1e-12)
    check_gradients(lambda z: losses.sparse_categorical_crossentropy(labels.reshape(labels_shape), z,
                                                                     from_logits=True), logits)


def test_from_logits_binary_crossentropy():
    y_true, logits = _data("binary")[0], _logits(scale=5.0)
    result = losses.binary_crossentropy(y_true, logits, from_logits=True)
    expected = np.mean(np.maximum(logits, 0) - logits * y_true + np.log1p(np.exp(-np.abs(logits))), axis=-1)
    np.testing.assert_allclose(result.data, expected, rtol=1e-10)
    check_gradients(lambda t, z: losses.binary_crossentropy(t, z, from_logits=True), y_true, logits, wrt=[1])


@pytest.mark.parametrize("labels_shape", [(N,), (N, 1)])
def test_sparse_categorical_crossentropy_equals_categorical_on_one_hot(labels_shape):
    labels, probabilities = _data("labels")
    sparse = losses.sparse_categorical_crossentropy(labels.reshape(labels_shape), probabilities)
    dense = losses.categorical_crossentropy(np.eye(C)[labels], probabilities)
    np.testing.assert_allclose(sparse.data, dense.data, rtol=1e-10)


def test_sparse_categorical_crossentropy_rejects_bad_labels():
    with pytest.raises(ValueError, match="labels must be in"):
        losses.sparse_categorical_crossentropy(np.array([0, 7, 1, 2]), _data("labels")[1])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_label_smoothing(smoothing):
    y_true, logits = _data("one_hot")[0], _logits()
    result = losses.categorical_crossentropy(y_true, logits, from_logits=True, label_smoothing=smoothing)
    expected = losses.categorical_crossentropy(y_true * (1 - smoothing) + smoothing / C, logits, from_logits=True)
    np.testing.assert_allclose(result.data, expected.data)


# -- tf.keras class forms ------------------------------------------------------------------
LOSS_CLASSES = [
    ("MeanSquaredError", "mean_squared_error", "real", {}),
    ("MeanAbsoluteError", "mean_absolute_error", "real", {}),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", "real", {}),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "positive", {}),
    ("Hinge", "hinge", "signs", {}),
    ("SquaredHinge", "squared_hinge", "signs", {}),
    ("CategoricalHinge", "categorical_hinge", "one_hot", {}),
    ("LogCosh", "logcosh", "real", {}),
    ("BinaryCrossentropy", "binary_crossentropy", "binary", {"from_logits": True}),
    ("CategoricalCrossentropy", "categorical_crossentropy", "distribution", {"label_smoothing": 0.1}),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "labels", {}),
    ("KLDivergence", "kullback_leibler_divergence", "distribution", {}),
    ("Poisson", "poisson", "positive", {}),
    ("CosineSimilarity", "cosine_proximity", "real", {}),
]


def test_class_table_covers_every_class_entry_point():
    classes = {name for name, value in builtin_entry_points("losses").items() if name[0].isupper()
               and name not in ("MSE", "MAE", "MAPE", "MSLE", "KLD")}
    assert classes == {row[0] for row in LOSS_CLASSES}


@pytest.mark.parametrize("class_name,function_name,kind,kwargs", LOSS_CLASSES, ids=[r[0] for r in LOSS_CLASSES])
def test_loss_class_reduces_its_function(class_name, function_name, kind, kwargs):
    y_true, y_pred = _data(kind, seed=4)
    loss = getattr(losses, class_name)(**kwargs)
    per_sample = losses.get(function_name)(y_true, y_pred, **kwargs).data
    np.testing.assert_allclose(float(loss(y_true, y_pred)), per_sample.mean(), rtol=1e-10)
    weights = np.array([1.0, 0.0, 2.0, 0.5])
    np.testing.assert_allclose(float(loss(y_true, y_pred, sample_weight=weights)), (per_sample * weights).mean(),
                               rtol=1e-10)
    summed = getattr(losses, class_name)(reduction="sum", **kwargs)
    np.testing.assert_allclose(float(summed(y_true, y_pred)), per_sample.sum(), rtol=1e-10)
    rebuilt = assert_config_roundtrip("losses", loss)
    np.testing.assert_allclose(float(rebuilt(y_true, y_pred)), float(loss(y_true, y_pred)))


def test_loss_class_by_name_is_an_instance_with_a_snake_case_name():
    loss = losses.get("BinaryCrossentropy")
    assert isinstance(loss, losses.BinaryCrossentropy)
    assert loss.name == "binary_crossentropy"
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=2)


def test_function_serializes_to_its_name():
    assert losses.serialize(losses.mean_squared_error) == "mean_squared_error"
    assert losses.deserialize("mse") is losses.mean_squared_error
    assert json.dumps(losses.serialize(losses.CategoricalCrossentropy(from_logits=True)))


# -- in a model ----------------------------------------------------------------------------------
COMPILE_NAMES = ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "cosine",
                 "cosine_similarity", "log_cosh", "logcosh", "categorical_crossentropy", "MeanSquaredError"]


@pytest.fixture(scope="module")
def softmax_model_data():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4)).astype("float32")
    y = _softmax(rng.normal(size=(6, 3))).astype("float32")
    return x, y


@pytest.mark.parametrize("identifier", COMPILE_NAMES)
def test_compile_by_name_uses_that_loss(identifier, softmax_model_data):
    x, y = softmax_model_data
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss=identifier)
    predictions = model.predict(x).astype(np.float64)
    function = losses.get(identifier)
    function = function.call if isinstance(function, losses.Loss) else function
    expected = np.mean(function(y.astype(np.float64), predictions).data)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=6, verbose=0), expected, rtol=1e-5)


def test_compile_with_a_loss_object_from_logits():
    rng = np.random.default_rng(6)
    x, labels = rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 3, 8)
    model = Sequential([Dense(3, input_shape=(4,))])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    expected = losses.sparse_categorical_crossentropy(labels, model.predict(x).astype(np.float64),
                                                      from_logits=True).data.mean()
    np.testing.assert_allclose(model.evaluate(x, labels, batch_size=8, verbose=0), expected, rtol=1e-5)
    first = model.fit(x, labels, epochs=5, batch_size=8, verbose=0).history["loss"]
    assert first[-1] < first[0]
