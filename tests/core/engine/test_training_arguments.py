"""fit arguments of issue 4: validation_freq, shuffle='batch', temporal sample weights, weighted_metrics,
class_weight (one-hot and sparse), dict / list inputs and outputs by layer name."""

import numpy as np
import pytest

import numkeras
from numkeras.engine import data_adapter
from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential
from numkeras.utils import set_random_seed, to_categorical

rng = np.random.default_rng(42)
X = rng.random((24, 3)).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 1.5).astype("float32")
LABELS = rng.integers(0, 3, 24)


def _regressor(**compile_kwargs):
    set_random_seed(1)
    model = Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile(numkeras.optimizers.SGD(lr=0.05), "mse", **compile_kwargs)
    return model


# -- validation_freq ------------------------------------------------------------------------------------
@pytest.mark.parametrize("freq, validated", [(2, [1, 3]), ([1, 4], [0, 3]), (1, [0, 1, 2, 3])])
def test_validation_freq_int_or_list(freq, validated):
    passes = []
    recorder = numkeras.callbacks.LambdaCallback(on_test_begin=lambda logs: passes.append(len(epochs)),
                                                 on_epoch_end=lambda epoch, logs: epochs.append(
                                                     (epoch, "val_loss" in logs)))
    epochs = []
    history = _regressor().fit(X, Y, epochs=4, verbose=0, validation_data=(X, Y), validation_freq=freq,
                               callbacks=[recorder])
    assert [epoch for epoch, has_val in epochs if has_val] == validated
    assert passes == validated  # on_test_begin ran once per validated epoch, before its epoch end
    assert len(history.history["val_loss"]) == len(validated) and len(history.history["loss"]) == 4


def test_validation_freq_must_be_positive():
    with pytest.raises(ValueError, match="validation_freq"):
        _regressor().fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y), validation_freq=0)


# -- shuffle ---------------------------------------------------------------------------------------------------
def test_shuffle_batch_shuffles_whole_batch_sized_chunks():
    set_random_seed(0)
    index = np.arange(23)[:, None]
    chunks = [xs[0][:, 0].tolist() for xs, _, _ in
              data_adapter.ArrayBatches([index], [index], [None], 5, shuffle="batch").epoch()]
    assert sorted(map(tuple, chunks)) == [tuple(range(s, min(s + 5, 23))) for s in range(0, 23, 5)]
    assert [c[0] for c in chunks] != [0, 5, 10, 15, 20] and chunks[-1] == [20, 21, 22]  # partial batch last
    history = _regressor().fit(X, Y, batch_size=5, epochs=2, shuffle="batch", verbose=0)
    assert len(history.history["loss"]) == 2


# -- temporal sample weights ---------------------------------------------------------------------------------
def _temporal_model(**compile_kwargs):
    set_random_seed(2)
    inputs = Input(shape=(5, 3))
    model = Model(inputs, Dense(2)(inputs))
    model.compile("sgd", "mse", sample_weight_mode="temporal", **compile_kwargs)
    return model


def test_temporal_sample_weights_weight_each_timestep():
    x = rng.random((6, 5, 3)).astype("float32")
    y = rng.random((6, 5, 2)).astype("float32")
    weights = np.ones((6, 5), "float32")
    weights[:, 3:] = 0.0
    weights[0, :3] = 2.0
    model = _temporal_model(weighted_metrics=["mae"])
    prediction = model.predict(x)
    per_step = ((prediction - y) ** 2).mean(axis=-1)
    expected_loss = (per_step * weights).mean() / (weights != 0).mean()  # Keras 2.2's weighted objective
    per_step_mae = np.abs(prediction - y).mean(axis=-1)
    expected_mae = (per_step_mae * weights).mean() / (weights != 0).mean()  # same objective in Keras 2.2
    loss, weighted_mae = model.evaluate(x, y, sample_weight=weights, verbose=0)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert weighted_mae == pytest.approx(expected_mae, rel=1e-5)
    # what the zero-weighted timesteps hold does not matter
    y_changed = y.copy()
    y_changed[:, 3:] += 100.0
    assert model.evaluate(x, y_changed, sample_weight=weights, verbose=0)[0] == pytest.approx(loss, rel=1e-6)
    history = model.fit(x, y, sample_weight=weights, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_sample_weight_shapes_must_match_the_mode():
    x, y = rng.random((4, 5, 3)), rng.random((4, 5, 2))
    with pytest.raises(ValueError, match="temporal.*2D sample weights"):
        _temporal_model().fit(x, y, sample_weight=np.ones(4), verbose=0)
    set_random_seed(2)
    inputs = Input(shape=(5, 3))
    plain = Model(inputs, Dense(2)(inputs))
    plain.compile("sgd", "mse")
    with pytest.raises(ValueError, match="sample_weight_mode='temporal'"):
        plain.fit(x, y, sample_weight=np.ones((4, 5)), verbose=0)


# -- weighted_metrics -------------------------------------------------------------------------------------
def test_weighted_metrics_use_the_sample_weights_and_plain_metrics_do_not():
    model = _regressor(metrics=["mae"], weighted_metrics=["mae"])
    weights = np.linspace(0.0, 2.0, len(X)).astype("float32")
    loss, mae, weighted_mae = model.evaluate(X, Y, sample_weight=weights, batch_size=len(X), verbose=0)
    errors = np.abs(model.predict(X) - Y)[:, 0]
    assert model.metrics_names == ["loss", "mae", "weighted_mae"]
    assert mae == pytest.approx(errors.mean(), rel=1e-5)
    # Keras 2.2 weights metrics with the loss's objective: mean(v * w) / mean(w != 0).
    assert weighted_mae == pytest.approx((errors * weights).mean() / (weights != 0).mean(), rel=1e-5)


# -- class_weight ---------------------------------------------------------------------------------------------
def _classifier(loss):
    set_random_seed(3)
    model = Sequential([Dense(3, input_shape=(3,), activation="softmax")])
    model.compile(numkeras.optimizers.SGD(lr=0.0), loss)
    return model


@pytest.mark.parametrize("loss, targets", [
    ("sparse_categorical_crossentropy", LABELS),
    ("sparse_categorical_crossentropy", LABELS[:, None]),
    ("categorical_crossentropy", to_categorical(LABELS, 3)),
])
def test_class_weight_equals_the_matching_sample_weights(loss, targets):
    class_weight = {0: 0.5, 1: 2.0, 2: 4.0}
    as_sample_weights = np.array([class_weight[c] for c in LABELS], "float32")
    weighted = _classifier(loss).fit(X, targets, batch_size=len(X), epochs=1, verbose=0,
                                     class_weight=class_weight).history["loss"][0]
    expected = _classifier(loss).evaluate(X, targets, sample_weight=as_sample_weights, batch_size=len(X), verbose=0)
    unweighted = _classifier(loss).evaluate(X, targets, batch_size=len(X), verbose=0)
    assert weighted == pytest.approx(expected, rel=1e-5)
    assert weighted != pytest.approx(unweighted, rel=1e-3)


def test_class_weight_and_sample_weight_multiply():
    class_weight = {0: 0.5, 1: 2.0, 2: 4.0}
    sample_weight = np.linspace(0.5, 1.5, len(X)).astype("float32")
    combined = sample_weight * np.array([class_weight[c] for c in LABELS], "float32")
    loss = _classifier("sparse_categorical_crossentropy").fit(
        X, LABELS, batch_size=len(X), epochs=1, verbose=0, class_weight=class_weight,
        sample_weight=sample_weight).history["loss"][0]
    expected = _classifier("sparse_categorical_crossentropy").evaluate(X, LABELS, sample_weight=combined,
                                                                       batch_size=len(X), verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)


# -- dict and list inputs / outputs -----------------------------------------------------------------------------
def _two_in_two_out():
    set_random_seed(4)
    first, second = Input(shape=(3,), name="first"), Input(shape=(2,), name="second")
    value = Dense(1, name="value")(Dense(4, activation="relu")(first))
    kind = Dense(3, activation="softmax", name="kind")(second)
    model = Model([first, second], [value, kind])
    model.compile("sgd", {"value": "mse", "kind": "sparse_categorical_crossentropy"},
                  metrics={"kind": ["acc"]}, loss_weights={"value": 1.0, "kind": 0.5})
    return model


def test_dict_inputs_and_outputs_by_layer_name_equal_lists():
    second = rng.random((24, 2)).astype("float32")
    by_name = _two_in_two_out()
    history = by_name.fit({"second": second, "first": X}, {"kind": LABELS, "value": Y}, epochs=2, batch_size=6,
                          shuffle=False, verbose=0, validation_data=({"first": X, "second": second},
                                                                     {"value": Y, "kind": LABELS}))
    by_list = _two_in_two_out()
    expected = by_list.fit([X, second], [Y, LABELS], epochs=2, batch_size=6, shuffle=False, verbose=0,
                           validation_data=([X, second], [Y, LABELS]))
    assert history.history.keys() == expected.history.keys()
    for key, values in expected.history.items():
        assert history.history[key] == pytest.approx(values), key
    assert sorted(history.history) == sorted(["loss", "value_loss", "kind_loss", "kind_acc", "val_loss",
                                              "val_value_loss", "val_kind_loss", "val_kind_acc"])
    for a, b in zip(by_name.get_weights(), by_list.get_weights()):
        np.testing.assert_array_equal(a, b)
    predictions = by_name.predict({"first": X, "second": second})
    assert [p.shape for p in predictions] == [(24, 1), (24, 3)]
    with pytest.raises(ValueError, match="No data provided for 'second'"):
        by_name.fit({"first": X}, [Y, LABELS], verbose=0)
    with pytest.raises(ValueError, match="expects 2 array"):
        by_name.fit([X], [Y, LABELS], verbose=0)
