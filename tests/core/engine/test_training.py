"""compile / fit / evaluate / predict semantics (Keras 2.2, as fixed in design.md)."""

import json
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.layers import Dense, Dropout, Input
from numkeras.models import Model, Sequential


def _data(n=40, features=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1))).astype("float32")
    return x, y


def _linear_model(features=5, units=1, lr=0.0, loss="mse", **compile_kwargs):
    model = Sequential([Dense(units, input_dim=features)])
    model.compile(numkeras.optimizers.SGD(lr=lr), loss, **compile_kwargs)
    return model


class Recorder(numkeras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attribute = object.__getattribute__(self, name)
        if name.startswith("on_"):
            def record(*args, **kwargs):
                self.calls.append((name, args, dict(kwargs.get("logs") or {})))
                return attribute(*args, **kwargs)
            return record
        return attribute


def test_one_sgd_step_matches_the_numpy_gradient():
    x, y = _data()
    model = _linear_model(lr=0.1)
    w, b = model.get_weights()
    model.train_on_batch(x, y)
    error = x @ w + b - y
    grad_w = 2 * x.T @ error / len(x)
    grad_b = 2 * error.mean(axis=0)
    new_w, new_b = model.get_weights()
    np.testing.assert_allclose(new_w, w - 0.1 * grad_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_b, b - 0.1 * grad_b, rtol=1e-5, atol=1e-6)


def test_fit_reduces_the_loss_and_history_is_json_serialisable():
    x, y = _data(200)
    model = _linear_model(lr=0.05)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] / 4
    assert all(type(v) is float for v in losses)
    json.dumps(history.history)
    assert history.epoch == [0, 1, 2, 3, 4]


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = _data(10)
    model = _linear_model(lr=0.0)  # weights stay put, so every batch sees the same model
    recorder = Recorder()
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    batch_logs = [logs for name, _, logs in recorder.calls if name == "on_batch_end"]
    assert [logs["size"] for logs in batch_logs] == [4, 4, 2]
    expected = sum(logs["loss"] * logs["size"] for logs in batch_logs) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)


def test_batch_logs_carry_batch_and_size_and_their_own_values():
    x, y = _data(8)
    model = _linear_model(lr=0.0)
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    begins = [logs for name, _, logs in recorder.calls if name == "on_batch_begin"]
    assert begins == [{"batch": 0, "size": 4}, {"batch": 1, "size": 4}]
    ends = [logs for name, _, logs in recorder.calls if name == "on_batch_end"]
    first = model.test_on_batch(x[:4], y[:4])
    assert ends[0]["loss"] == pytest.approx(first, rel=1e-6)


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = _data(50)
    model = _linear_model(lr=0.0)
    history = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0, shuffle=True)
    expected = model.evaluate(x[40:], y[40:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x[:40], y[:40], verbose=0), rel=1e-5)


def test_validation_data_with_sample_weights():
    x, y = _data(20)
    model = _linear_model(lr=0.0)
    weights = np.linspace(0.0, 2.0, 20).astype("float32")
    history = model.fit(x, y, validation_data=(x, y, weights), epochs=1, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x, y, sample_weight=weights, verbose=0, batch_size=20), rel=1e-5)


def test_sample_weights_follow_keras_2_2_weighted_objective():
    x, y = _data(6)
    model = _linear_model(lr=0.0)
    weights = np.array([0, 1, 2, 0, 1, 1], dtype="float32")
    loss = model.test_on_batch(x, y, sample_weight=weights)
    per_sample = ((model.predict(x) - y) ** 2).mean(axis=-1)
    expected = np.mean(per_sample * weights) / np.mean(weights != 0)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_class_weight_scales_the_loss_per_class():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4)).astype("float32")
    labels = np.array([0, 1, 2] * 4)
    y = numkeras.utils.to_categorical(labels, 3)
    model = _linear_model(features=4, units=3, loss="categorical_crossentropy")
    model.layers[0].activation = numkeras.activations.get("softmax")
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    loss = model.test_on_batch(x, y)
    weighted = model.train_on_batch(x, y, class_weight=class_weight)
    probabilities = model.predict(x)
    per_sample = -np.log(probabilities[np.arange(12), labels])
    w = np.array([class_weight[c] for c in labels])
    assert loss == pytest.approx(per_sample.mean(), rel=1e-4)
    assert weighted == pytest.approx(np.mean(per_sample * w), rel=1e-4)
    sparse = _linear_model(features=4, units=3, loss="sparse_categorical_crossentropy")
    sparse.set_weights(model.get_weights())
    sparse.layers[0].activation = numkeras.activations.get("softmax")
    assert sparse.test_on_batch(x, labels) == pytest.approx(loss, rel=1e-5)


@pytest.mark.parametrize("loss, units, expected", [
    ("binary_crossentropy", 1, "binary_accuracy"),
    ("mse", 1, "binary_accuracy"),
    ("categorical_crossentropy", 3, "categorical_accuracy"),
    ("sparse_categorical_crossentropy", 3, "sparse_categorical_accuracy"),
])
@pytest.mark.parametrize("spelling", ["acc", "accuracy"])
def test_acc_resolves_from_the_loss_and_output_shape(loss, units, expected, spelling):
    model = _linear_model(units=units, loss=loss, metrics=[spelling])
    assert model.metrics_names == ["loss", spelling]
    bound, = model.objective.metrics
    assert bound.name == spelling
    assert bound.metric is numkeras.metrics.get(expected)


def test_loss_weights_and_per_output_losses():
    a = Input(shape=(3,), name="a")
    out1 = Dense(1, name="out1")(a)
    out2 = Dense(2, name="out2")(a)
    model = Model(a, [out1, out2])
    model.compile(numkeras.optimizers.SGD(lr=0.0), loss={"out1": "mse", "out2": "mae"}, loss_weights=[2.0, 0.5])
    x = np.ones((4, 3), "float32")
    y1, y2 = np.zeros((4, 1), "float32"), np.ones((4, 2), "float32")
    total, l1, l2 = model.test_on_batch(x, [y1, y2])
    p1, p2 = model.predict(x)
    assert l1 == pytest.approx(np.mean(p1 ** 2), rel=1e-5)
    assert l2 == pytest.approx(np.mean(np.abs(p2 - 1)), rel=1e-5)
    assert total == pytest.approx(2.0 * l1 + 0.5 * l2, rel=1e-5)
    assert model.metrics_names == ["loss", "out1_loss", "out2_loss"]


def test_loss_list_of_the_wrong_length_is_rejected():
    a = Input(shape=(3,))
    model = Model(a, [Dense(1)(a), Dense(1)(a)])
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("sgd", loss=["mse"])


def test_custom_metric_function_and_regularization_losses():
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)

    x, y = _data(8)
    model = Sequential([Dense(1, input_dim=5, kernel_regularizer=numkeras.regularizers.L1L2(l2=0.5))])
    model.compile(numkeras.optimizers.SGD(lr=0.0), "mse", metrics=[mean_pred])
    loss, value = model.evaluate(x, y, verbose=0, batch_size=8)
    prediction = model.predict(x)
    kernel = model.get_weights()[0]
    assert value == pytest.approx(prediction.mean(), rel=1e-5)
    assert loss == pytest.approx(np.mean((prediction - y) ** 2) + 0.5 * np.sum(kernel ** 2), rel=1e-5)


def test_stop_training_ends_fit_after_the_current_batch():
    class Stop(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = _data()
    history = _linear_model().fit(x, y, epochs=10, verbose=0, callbacks=[Stop()])
    assert history.epoch == [0, 1]


def test_initial_epoch_and_legacy_nb_epoch():
    x, y = _data()
    history = _linear_model().fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]
    with pytest.warns(DeprecationWarning, match="'epochs'"):
        history = _linear_model().fit(x, y, nb_epoch=2, verbose=0)
    assert history.epoch == [0, 1]


def _no_effect_warnings(caught, name):
    return [w for w in caught if issubclass(w.category, DeprecationWarning)
            and f"'{name}'" in str(w.message) and "has no effect" in str(w.message)]


def test_keras0_class_mode_and_show_accuracy_warn_and_change_nothing():
    """compile(class_mode=...) and fit/evaluate(show_accuracy=...) from Keras 0.x tutorials: warned, ignored."""
    x, y = _data()
    reference = Sequential([Dense(1, input_dim=5, kernel_initializer="ones")])
    reference.compile(numkeras.optimizers.SGD(lr=0.01), "mse")
    expected_history = reference.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    expected_eval = reference.evaluate(x, y, verbose=0)

    model = Sequential([Dense(1, input_dim=5, kernel_initializer="ones")])
    with pytest.warns(DeprecationWarning) as caught:
        model.compile(numkeras.optimizers.SGD(lr=0.01), "mse", class_mode="binary")
    assert len(_no_effect_warnings(caught, "class_mode")) == 1
    assert "Model.compile" in str(_no_effect_warnings(caught, "class_mode")[0].message)
    with pytest.warns(DeprecationWarning) as caught:
        history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, show_accuracy=True)
    assert len(_no_effect_warnings(caught, "show_accuracy")) == 1
    assert "metrics=['accuracy']" in str(_no_effect_warnings(caught, "show_accuracy")[0].message)
    with pytest.warns(DeprecationWarning) as caught:
        result = model.evaluate(x, y, verbose=0, show_accuracy=True)
    assert len(_no_effect_warnings(caught, "show_accuracy")) == 1
    assert history.history == expected_history
    assert result == expected_eval
    np.testing.assert_array_equal(model.get_weights()[0], reference.get_weights()[0])
    # the warning points at this file, not at numkeras's own frames
    assert caught[0].filename == __file__


def test_unknown_fit_argument_is_a_type_error():
    x, y = _data()
    with pytest.raises(TypeError, match="nb_epochs"):
        _linear_model().fit(x, y, nb_epochs=2, verbose=0)


def test_training_flag_reaches_dropout_only_in_fit():
    model = Sequential([Dropout(0.5, input_shape=(100,))])
    model.compile("sgd", "mse")
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(model.predict(x), x)
    seen = []

    class Probe(numkeras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model.fit(x, x, verbose=0, callbacks=[Probe()])
    assert seen[0] > 0.1  # half the units were dropped, the other half doubled


def test_predict_and_on_batch_variants():
    x, y = _data(10)
    model = _linear_model(lr=0.1)
    prediction = model.predict(x, batch_size=3)
    np.testing.assert_allclose(prediction, model.predict_on_batch(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(prediction, x @ model.get_weights()[0] + model.get_weights()[1], rtol=1e-5)
    assert prediction.dtype == np.float32
    before = model.test_on_batch(x, y)
    model.train_on_batch(x, y)
    assert model.test_on_batch(x, y) < before


def test_predict_classes_and_proba():
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    np.testing.assert_array_equal(model.predict_classes(x), model.predict(x).argmax(-1))
    binary = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    np.testing.assert_array_equal(binary.predict_classes(x)[:, 0], (binary.predict(x)[:, 0] > 0.5).astype("int32"))
    np.testing.assert_allclose(model.predict_proba(x), model.predict(x))
    linear = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", bias_initializer=numkeras.initializers.Constant(5))])
    with pytest.warns(UserWarning, match="invalid probability"):
        linear.predict_proba(x)


def test_fit_without_compile_is_a_clear_error():
    with pytest.raises(RuntimeError, match="compile"):
        Sequential([Dense(1, input_dim=2)]).fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)


def test_shape_errors_name_the_layer_and_both_shapes():
    model = _linear_model()
    with pytest.raises(ValueError, match=r"expected dense_\d+_input to have shape \(5,\) but got array with shape \(4,\)"):
        model.fit(np.zeros((3, 4)), np.zeros((3, 1)), verbose=0)
    with pytest.raises(ValueError, match="3 input samples and 2 target samples"):
        model.fit(np.zeros((3, 5)), np.zeros((2, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"expected dense_\d+ to have shape \(1,\) but got array with shape \(2,\)"):
        model.fit(np.zeros((3, 5)), np.zeros((3, 2)), verbose=0)


def test_categorical_crossentropy_with_integer_targets_suggests_the_fix():
    model = _linear_model(units=4, loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="to_categorical"):
        model.fit(np.zeros((3, 5)), np.array([[0], [1], [2]]), verbose=0)


def test_check_numerics_rejects_nan_inputs_on_request():
    x, y = _data()
    x[3, 2] = np.nan
    model = _linear_model(check_numerics=True)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(x, y, verbose=0)
    _linear_model().fit(x, y, verbose=0)  # unchecked by default, as in Keras


def test_a_rejected_call_leaves_the_model_trainable():
    x, y = _data()
    model = _linear_model(lr=0.05)
    weights = model.get_weights()
    with pytest.raises(ValueError):
        model.fit(x[:, :4], y, verbose=0)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_dict_inputs_by_input_name():
    a, b = Input(shape=(2,), name="left"), Input(shape=(3,), name="right")
    merged = Dense(1, name="out")(a)
    model = Model([a, b], [merged, Dense(1, name="other")(b)])
    model.compile("sgd", "mse")
    x = {"left": np.ones((4, 2), "float32"), "right": np.ones((4, 3), "float32")}
    y = {"out": np.zeros((4, 1), "float32"), "other": np.zeros((4, 1), "float32")}
    model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="No data provided for 'right'"):
        model.fit({"left": x["left"]}, y, verbose=0)


def test_no_deprecation_warnings_in_plain_keras2_usage():
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        _linear_model().fit(x, y, epochs=1, verbose=0)
