"""Each component against its formula: numbers from scikit-learn and TensorFlow (committed files
written by the scripts in reference/), or worked by hand from the papers' definitions."""

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import numkeras
from numkeras import backend as K
from numkeras.layers import Dense
from numkeras_extras import (
    AUC, LAMB, BinaryFocalLoss, CategoricalFocalLoss, CosineDecayRestarts, F1Score, Lookahead, OneCycleLR,
    Precision, Recall, binary_focal_loss, categorical_focal_loss, gelu, mish, swish,
)

REFERENCE = pathlib.Path(__file__).with_name("reference")
SKLEARN = json.loads((REFERENCE / "sklearn_metrics.json").read_text())["cases"]
TF = json.loads((REFERENCE / "tf_reference.json").read_text())


def value(x):
    return np.asarray(K.eval(x) if isinstance(x, K.Tensor) else x)


# -- focal losses ----------------------------------------------------------------------
@pytest.mark.parametrize("case", TF["focal"], ids=lambda c: f"{c['kind']}-g{c['gamma']}-a{c['alpha']}-"
                                                            f"{'logits' if c['from_logits'] else 'probs'}")
def test_focal_losses_match_tensorflow(case):
    y_true, y_pred = np.array(case["y_true"]), np.array(case["y_pred"])
    function, cls = ((binary_focal_loss, BinaryFocalLoss) if case["kind"] == "binary"
                     else (categorical_focal_loss, CategoricalFocalLoss))
    arguments = {"gamma": case["gamma"], "alpha": case["alpha"], "from_logits": case["from_logits"]}
    # tf.keras takes log(p + 1e-7) of clipped probabilities; Keras 2.2 (and numkeras's
    # cross-entropies, and these losses) take log(p): a relative difference up to about
    # 1e-7 / min(p, 1 - p) (here under 1e-5). From logits both are exact.
    rtol = 1e-12 if case["from_logits"] or case["kind"] == "categorical" else 1e-5
    np.testing.assert_allclose(value(function(y_true, y_pred, **arguments)), case["loss"], rtol=rtol)
    per_sample = cls(reduction="none", **arguments)(y_true, y_pred)
    np.testing.assert_allclose(value(per_sample), case["loss"], rtol=rtol)
    np.testing.assert_allclose(value(cls(**arguments)(y_true, y_pred)), np.mean(case["loss"]), rtol=rtol)


def test_focal_loss_by_hand_and_its_limits():
    # One element, y = 1, p = 0.9: -0.25 * 0.1**2 * log(0.9); y = 0, p = 0.9: -0.75 * 0.9**2 * log(0.1).
    hand = [-0.25 * 0.1 ** 2 * math.log(0.9), -0.75 * 0.9 ** 2 * math.log(0.1)]
    np.testing.assert_allclose(value(binary_focal_loss([[1.0], [0.0]], np.array([[0.9], [0.9]]))), hand, rtol=1e-12)
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 2, (5, 3)).astype(float), rng.uniform(0.05, 0.95, (5, 3))
    # gamma = 0 and alpha = 1/2 give half the cross-entropy.
    np.testing.assert_allclose(value(binary_focal_loss(y_true, y_pred, gamma=0.0, alpha=0.5)),
                               0.5 * value(numkeras.losses.binary_crossentropy(y_true, y_pred)), rtol=1e-9)
    one_hot, probabilities = np.eye(4)[[0, 3, 1]], rng.dirichlet(np.ones(4), 3)
    np.testing.assert_allclose(value(categorical_focal_loss(one_hot, probabilities, gamma=0.0, alpha=1.0)),
                               value(numkeras.losses.categorical_crossentropy(one_hot, probabilities)), rtol=1e-9)
    # Focusing: well-classified examples lose more of their loss than hard ones.
    easy, hard = (value(binary_focal_loss([[1.0]], np.array([[p]]))) / -math.log(p) for p in (0.95, 0.3))
    assert easy < 0.01 * hard


def test_focal_loss_arguments_are_checked():
    with pytest.raises(ValueError, match="BinaryFocalLoss: gamma must be"):
        BinaryFocalLoss(gamma=-1.0)
    with pytest.raises(ValueError, match="CategoricalFocalLoss: alpha must be"):
        CategoricalFocalLoss(alpha=1.5)
    with pytest.raises(TypeError, match="from_logits"):
        BinaryFocalLoss(from_logits="yes")


# -- metrics ---------------------------------------------------------------------------
METRICS = {"precision": Precision, "recall": Recall, "f1": F1Score, "auc": AUC}


@pytest.mark.parametrize("case_name", sorted(SKLEARN))
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_metrics_match_scikit_learn_when_fed_in_uneven_batches(case_name, metric):
    case = SKLEARN[case_name]
    y_true, y_pred = np.array(case["y_true"], dtype=float), np.array(case["y_pred"])
    weights = None if case["sample_weight"] is None else np.array(case["sample_weight"])
    arguments = {"class_id": case.get("class_id"), "dtype": "float64"}
    if metric != "auc":
        arguments["threshold"] = case["threshold"]
    instance = METRICS[metric](**arguments)
    cuts = [0, 3, len(y_true) // 2, len(y_true)]
    for start, stop in zip(cuts, cuts[1:]):
        instance.update_state(y_true[start:stop], y_pred[start:stop],
                              sample_weight=None if weights is None else weights[start:stop])
    assert float(value(instance.result())) == pytest.approx(case[metric], rel=1e-9, abs=1e-12)


def test_metrics_before_any_positive_are_zero_and_reset():
    precision, auc = Precision(), AUC()
    assert float(value(precision.result())) == 0.0 and float(value(auc.result())) == 0.0
    precision.update_state([[0.0], [0.0]], [[0.2], [0.4]])  # no positive prediction yet
    auc.update_state([[1.0], [1.0]], [[0.2], [0.4]])  # one class only: the area is undefined
    assert float(value(precision.result())) == 0.0 and float(value(auc.result())) == 0.0
    auc.update_state([[0.0]], [[0.3]])
    assert float(value(auc.result())) == pytest.approx(0.5)  # one of the two positives ranks above it
    auc.reset_states()
    assert float(value(auc.result())) == 0.0


def test_metrics_refuse_mismatched_shapes_with_a_clear_error():
    with pytest.raises(ValueError, match=r"y_true of shape \(2, 2\) does not match y_pred of shape \(2, 3\)"):
        F1Score().update_state(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Precision: threshold"):
        Precision(threshold=2)


# -- activations -----------------------------------------------------------------------
@pytest.mark.parametrize("name, function", [("gelu", gelu), ("swish", swish), ("mish", mish)])
def test_activations_match_tensorflow(name, function):
    x = np.array(TF["activations"]["x"])
    # TensorFlow's exact GELU is 0.5 x (1 + erf(x / sqrt 2)), which cancels for x << 0 (5e-7
    # relative at x = -5.5); this one uses erfc there and keeps full precision (checked below).
    rtol = 1e-6 if name == "gelu" else 1e-12
    np.testing.assert_allclose(value(function(K.Tensor(x))), TF["activations"][name], rtol=rtol, atol=1e-14)


def test_activations_by_hand():
    for x in (1.0, -0.3, -5.5, -12.0):
        expected = 0.5 * x * math.erfc(-x / math.sqrt(2))
        assert float(value(gelu(K.Tensor(np.array(x))))) == pytest.approx(expected, rel=1e-14)
    assert float(value(swish(K.Tensor(np.array(2.0))))) == pytest.approx(2 / (1 + math.exp(-2)))
    assert float(value(mish(K.Tensor(np.array(1.0))))) == pytest.approx(math.tanh(math.log1p(math.e)))


# -- optimizers ------------------------------------------------------------------------
def test_lamb_matches_keras_3():
    reference = TF["lamb"]
    variable = K.variable(np.array(reference["initial"]), dtype="float64")
    optimizer = LAMB(lr=reference["lr"], beta_1=reference["beta_1"], beta_2=reference["beta_2"],
                     epsilon=reference["epsilon"])
    for gradient, expected in zip(reference["gradients"], reference["weights_after_each_step"]):
        optimizer.apply_gradients([(np.array(gradient), variable)])
        np.testing.assert_allclose(variable.data, expected, rtol=1e-9, atol=1e-12)


@pytest.fixture
def float64_rates():
    """Learning rates (Variables in K.floatx()) exactly as written, for the worked examples."""
    K.set_floatx("float64")
    yield
    K.set_floatx("float32")


def test_lamb_weight_decay_and_trust_ratio_by_hand(float64_rates):
    # First step: m_hat = g, v_hat = g**2, so r = g / (|g| + eps) + wd * w. With w = (3, 4)
    # (norm 5), g = (1, -1), wd = 0.1: r = (1 + .3, -1 + .4) (eps 0) and w -= lr * 5 / |r| * r.
    w = np.array([3.0, 4.0])
    variable = K.variable(w.copy(), dtype="float64")
    LAMB(lr=0.01, epsilon=0.0, weight_decay=0.1).apply_gradients([(np.array([1.0, -1.0]), variable)])
    r = np.array([1.3, -0.6])
    np.testing.assert_allclose(variable.data, w - 0.01 * 5.0 / np.linalg.norm(r) * r, rtol=1e-12)
    # A zero weight tensor takes a plain Adam-like step (trust ratio 1).
    zero = K.variable(np.zeros(2), dtype="float64")
    LAMB(lr=0.01, epsilon=0.0).apply_gradients([(np.array([2.0, -0.5]), zero)])
    np.testing.assert_allclose(zero.data, [-0.01, 0.01], rtol=1e-12)


def test_lookahead_by_hand(float64_rates):
    # f(w) = w**2 / 2, inner SGD lr 0.1 (w *= 0.9 a step), k = 2, alpha = 0.5, from w = 1:
    # fast 0.9, 0.81 -> slow 1 + 0.5 (0.81 - 1) = 0.905; fast 0.8145, 0.73305 -> 0.819025.
    variable = K.variable(np.array([1.0]), dtype="float64")
    optimizer = Lookahead(numkeras.optimizers.SGD(lr=0.1), sync_period=2, slow_step_size=0.5)
    seen = []
    for _ in range(4):
        optimizer.apply_gradients([(variable.data.copy(), variable)])
        seen.append(float(variable.data[0]))
    np.testing.assert_allclose(seen, [0.9, 0.905, 0.8145, 0.819025], rtol=1e-12)
    assert int(optimizer.iterations.data) == 4 and int(optimizer.optimizer.iterations.data) == 4


def test_lookahead_shares_its_learning_rate_and_round_trips_its_state(tmp_path):
    optimizer = Lookahead("adam", sync_period=3)
    K.set_value(optimizer.lr, 0.05)
    assert float(K.get_value(optimizer.optimizer.lr)) == pytest.approx(0.05)
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer, "mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, x[:, :2], epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "model.h5")
    loaded = numkeras.models.load_model(tmp_path / "model.h5")
    assert isinstance(loaded.optimizer, Lookahead) and loaded.optimizer.sync_period == 3
    assert type(loaded.optimizer.optimizer).__name__ == "Adam"
    for a, b in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="Lookahead: optimizer must be a numkeras Optimizer"):
        Lookahead(optimizer=3)


# -- learning-rate schedules -------------------------------------------------------------
def _rates_seen_in_fit(schedule, steps, batch_size=2):
    model = numkeras.Sequential([Dense(1, input_shape=(2,))])
    model.compile(numkeras.optimizers.SGD(lr=1.0), "mse")
    seen = []
    recorder = numkeras.callbacks.LambdaCallback(
        on_batch_begin=lambda batch, logs: seen.append(float(K.get_value(model.optimizer.lr))))
    x = np.zeros((batch_size * steps, 2), "float32")
    history = model.fit(x, x[:, :1], batch_size=batch_size, epochs=1, verbose=0, callbacks=[schedule, recorder])
    return seen, history.history


def test_cosine_decay_restarts_matches_tensorflow_step_by_step():
    reference = TF["cosine_decay_restarts"]
    arguments = dict(reference["arguments"])
    schedule = CosineDecayRestarts(arguments.pop("initial_learning_rate"), **arguments)
    np.testing.assert_allclose([schedule.learning_rate(s) for s in reference["steps"]], reference["lr"], rtol=1e-6)
    seen, history = _rates_seen_in_fit(schedule, steps=25)
    np.testing.assert_allclose(seen, reference["lr"][:25], rtol=1e-6)
    assert history["lr"] == [pytest.approx(seen[-1])]


def test_one_cycle_by_hand_and_continues_across_fits():
    # max 1, 10 steps, 30% rising, start 1/25, end 1/25/1e4: the peak is step 0.3*10 - 1 = 2,
    # step 1 is halfway up the half-cosine, the last step (9) the final rate, and after it stays.
    schedule = OneCycleLR(1.0, total_steps=10, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    start, final = 0.04, 0.04 / 1e4
    assert schedule.learning_rate(0) == pytest.approx(start)
    assert schedule.learning_rate(1) == pytest.approx((start + 1.0) / 2)
    assert schedule.learning_rate(2) == pytest.approx(1.0)
    assert schedule.learning_rate(9) == pytest.approx(final) and schedule.learning_rate(50) == pytest.approx(final)
    middle = 2 + (9 - 2) / 2  # halfway down
    assert schedule.learning_rate(middle) == pytest.approx((1.0 + final) / 2)
    rates = [schedule.learning_rate(s) for s in range(10)]
    assert rates[:3] == sorted(rates[:3]) and rates[2:] == sorted(rates[2:], reverse=True)
    seen, _ = _rates_seen_in_fit(schedule, steps=4)
    np.testing.assert_allclose(seen, rates[:4], rtol=1e-6)


def test_schedules_check_their_arguments_and_need_an_optimizer():
    with pytest.raises(ValueError, match="OneCycleLR: pct_start"):
        OneCycleLR(0.1, total_steps=10, pct_start=1.0)
    with pytest.raises(ValueError, match="CosineDecayRestarts: first_decay_steps"):
        CosineDecayRestarts(0.1, first_decay_steps=0)
    schedule = CosineDecayRestarts(0.1, first_decay_steps=2)
    schedule.set_model(numkeras.Sequential([Dense(1, input_shape=(2,))]))  # not compiled
    with pytest.raises(ValueError, match="must be compiled with a numkeras optimizer"):
        schedule.on_batch_begin(0, {})


# -- properties over varied inputs -------------------------------------------------------
@st.composite
def scored_labels(draw):
    """Labels with both classes, scores on a coarse grid (many ties), positive weights."""
    n = draw(st.integers(2, 30))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    labels[0], labels[1] = 0, 1
    scores = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 8))) / 8.0
    weights = draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 3.0)))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return labels.astype(float), scores, weights, cuts


@settings(max_examples=60, deadline=None)
@given(scored_labels())
def test_auc_is_the_weighted_probability_that_a_positive_outranks_a_negative(data):
    # The Mann-Whitney form of the ROC area, pair by pair (ties count one half): an
    # independent definition of what the trapezoids compute.
    labels, scores, weights, cuts = data
    positive, negative = labels == 1, labels == 0
    pair_weights = np.outer(weights[positive], weights[negative])
    wins = (scores[positive][:, None] > scores[negative][None, :]) + 0.5 * (
        scores[positive][:, None] == scores[negative][None, :])
    expected = float((pair_weights * wins).sum() / pair_weights.sum())
    metric = AUC(dtype="float64")
    for start, stop in zip([0, *cuts], [*cuts, len(labels)]):
        metric.update_state(labels[start:stop, None], scores[start:stop, None], sample_weight=weights[start:stop])
    assert float(value(metric.result())) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(scored_labels())
def test_precision_recall_f1_from_their_counts_whatever_the_batches(data):
    labels, scores, weights, cuts = data
    predicted = scores > 0.5
    tp = weights[(labels == 1) & predicted].sum()
    fp = weights[(labels == 0) & predicted].sum()
    fn = weights[(labels == 1) & ~predicted].sum()
    expected = {Precision: tp / (tp + fp) if tp + fp else 0.0, Recall: tp / (tp + fn) if tp + fn else 0.0,
                F1Score: 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0}
    for cls, number in expected.items():
        metric = cls(dtype="float64")
        for start, stop in zip([0, *cuts], [*cuts, len(labels)]):
            metric.update_state(labels[start:stop, None], scores[start:stop, None], weights[start:stop])
        assert float(value(metric.result())) == pytest.approx(number, rel=1e-12, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, (4, 3), elements=st.floats(0.01, 0.99)), st.floats(0.0, 5.0), st.floats(0.0, 1.0),
       st.integers(0, 2 ** 12 - 1))
def test_the_focal_loss_never_exceeds_the_weighted_cross_entropy(y_pred, gamma, alpha, label_bits):
    y_true = ((label_bits >> np.arange(12)) & 1).reshape(4, 3).astype(float)
    alpha_t = y_true * alpha + (1 - y_true) * (1 - alpha)
    cross_entropy = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    focal = value(binary_focal_loss(y_true, y_pred, gamma=gamma, alpha=alpha))
    assert np.all(focal <= (alpha_t * cross_entropy).mean(axis=-1) * (1 + 1e-12) + 1e-300)
    assert np.all(focal >= 0)
