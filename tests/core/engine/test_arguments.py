"""A hurried user's mistakes: each is a clear error that names the problem and the fix, and changes nothing.

After every rejected call the model's weights, the optimizer's state and its
``iterations`` are byte-identical to what they were before it.
"""

import copy
import json

import numpy as np
import pytest

import numkeras
from numkeras import Input, Model, Sequential
from numkeras.layers import Dense
from numkeras.utils.validation import ArgumentTypeError, ArgumentValueError

rng = np.random.default_rng(0)
X = rng.normal(size=(20, 3)).astype("float32")
Y = rng.normal(size=(20, 1)).astype("float32")
ONE_HOT = np.eye(3, dtype="float32")[np.arange(20) % 3]


def trained_model(loss="mse", units=1, activation=None, metrics=None):
    """A model whose optimizer already has state (iterations > 0, Adam's moments)."""
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(units, activation=activation, input_shape=(3,))])
    model.compile("adam", loss, metrics=metrics)
    model.fit(X, Y if units == 1 else ONE_HOT, epochs=1, batch_size=10, verbose=0)
    return model


def snapshot(model):
    weights = [w.tobytes() for w in model.get_weights()]
    optimizer = [np.asarray(w).tobytes() for w in model.optimizer.get_weights()]
    return weights, optimizer, int(model.optimizer.iterations.data)


def rejected(model, call, error, match):
    before = snapshot(model)
    with pytest.raises(error, match=match):
        call(model)
    assert snapshot(model) == before


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.fit(X, Y, batch_size=2.5, verbose=0), ArgumentTypeError,
     r"fit: batch_size must be a positive integer or None, got 2\.5 \(a float\)"),
    (lambda m: m.fit(X, Y, batch_size=32.0, verbose=0), ArgumentTypeError, r"got 32\.0 \(a float\)\. Pass an int: 32"),
    (lambda m: m.fit(X, Y, batch_size="32", verbose=0), ArgumentTypeError, r"batch_size must be a positive integer"),
    (lambda m: m.fit(X, Y, batch_size=0, verbose=0), ArgumentValueError, r"batch_size must be a positive integer"),
    (lambda m: m.fit(X, Y, epochs=-1, verbose=0), ArgumentValueError, r"epochs must be a non-negative integer, got -1"),
    (lambda m: m.fit(X, Y, epochs=True, verbose=0), ArgumentTypeError, r"epochs must be a non-negative integer, got True"),
    (lambda m: m.fit(X, Y, validation_split=-0.1, verbose=0), ArgumentValueError, r"validation_split must be a number in \[0, 1\)"),
    (lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ArgumentValueError, r"validation_split"),
    (lambda m: m.fit(X, Y, verbose=5), ArgumentValueError, r"verbose must be one of 0, 1, 2"),
    (lambda m: m.fit(X, Y, shuffle="yes", verbose=0), ArgumentValueError, r"shuffle must be one of True, False, 'batch'"),
    (lambda m: m.fit(X, Y, initial_epoch="1", verbose=0), ArgumentTypeError, r"initial_epoch must be a non-negative integer"),
    (lambda m: m.fit(X, Y, workers=-1, verbose=0), ArgumentValueError, r"workers must be a non-negative integer"),
    (lambda m: m.fit(X, Y, use_multiprocessing="no", verbose=0), ArgumentTypeError, r"use_multiprocessing must be True or False"),
    (lambda m: m.fit(X, Y, validation_freq=0, validation_split=0.2, verbose=0), ArgumentValueError, r"validation_freq"),
    (lambda m: m.fit(X, Y, validation_freq=[1, "2"], validation_split=0.2, verbose=0), ArgumentTypeError,
     r"validation_freq must be a positive integer or a list of epoch numbers"),
    (lambda m: m.fit(X, Y, steps_per_epoch=0, verbose=0), ArgumentValueError, r"steps_per_epoch must be a positive integer"),
    (lambda m: m.fit(X, Y, callbacks=[object()], verbose=0), ArgumentTypeError,
     r"callbacks must be a list of Callback instances.*Item 0 is .*not a Callback"),
    (lambda m: m.fit(X, Y, callbacks=[numkeras.callbacks.EarlyStopping], verbose=0), ArgumentTypeError,
     r"Item 0 is the class EarlyStopping: pass an instance, EarlyStopping\(\.\.\.\)"),
    (lambda m: m.fit(X, Y, callbacks=numkeras.callbacks.History(), verbose=0), ArgumentTypeError,
     r"Pass a list: callbacks=\[History\(\.\.\.\)\]"),
    (lambda m: m.fit(X, Y, class_weight="balanced", verbose=0), ArgumentTypeError, r"class_weight must be a dict"),
    (lambda m: m.fit(X[:0], Y[:0], verbose=0), ValueError, r"0 samples"),
    (lambda m: m.fit(X, Y[:5], verbose=0), ValueError, r"20 input samples and 5 target samples"),
    (lambda m: m.fit(X, Y, sample_weight=np.ones(5), verbose=0), ValueError, r"sample_weight has 5 entries but x has 20"),
    (lambda m: m.fit(X, Y, sample_weight="balanced", verbose=0), TypeError,
     r"sample_weight for output .* must be an array of numbers"),
    (lambda m: m.fit(X, Y, sample_weight=np.full(20, np.nan), verbose=0), ValueError, r"NaN or infinite"),
    (lambda m: m.fit(X, Y, sample_weight={"nope": np.ones(20)}, verbose=0), ValueError, r"not outputs of the model"),
    (lambda m: m.fit(np.array([["a", "b", "c"]] * 20), Y, verbose=0), TypeError, r"holds strings"),
    (lambda m: m.fit(np.array([object()] * 20), Y, verbose=0), TypeError, r"is not an array of numbers"),
    (lambda m: m.fit(X, Y, nb_epochs=3, verbose=0), TypeError, r"unexpected keyword argument\(s\): \['nb_epochs'\]"),
    (lambda m: m.evaluate(X, Y, steps=0, verbose=0), ArgumentValueError, r"evaluate: steps must be a positive integer"),
    (lambda m: m.evaluate(X, Y, return_dict="yes", verbose=0), ArgumentTypeError, r"return_dict must be True or False"),
    (lambda m: m.evaluate(X[:0], Y[:0], verbose=0), ValueError, r"0 samples"),
    (lambda m: m.predict(X, batch_size=0), ArgumentValueError, r"predict: batch_size must be a positive integer"),
    (lambda m: m.predict(X, verbose="loud"), ArgumentValueError, r"predict: verbose must be one of"),
    (lambda m: m.train_on_batch(X, Y, class_weight=np.ones((2, 2))), ArgumentTypeError, r"train_on_batch: class_weight"),
])
def test_rejected_fit_evaluate_predict_calls_change_nothing(call, error, match):
    rejected(trained_model(), call, error, match)


def test_a_class_missing_from_class_weight_is_refused_as_keras_2_2_does():
    model = trained_model("categorical_crossentropy", units=3, activation="softmax")
    rejected(model, lambda m: m.fit(X, ONE_HOT, class_weight={0: 1.0, 1: 2.0}, verbose=0), ValueError,
             r"the classes \[2\] exist in the targets .* but not in class_weight \(which has \[0, 1\]\)")
    rejected(model, lambda m: m.fit(X, ONE_HOT, class_weight={0: 1.0, 1: 2.0, "two": 1.0}, verbose=0), TypeError,
             r"class_weight keys must be class indices")
    rejected(model, lambda m: m.fit(X, ONE_HOT, class_weight={0: 1.0, 1: "2", 2: 1.0}, verbose=0), TypeError,
             r"class_weight\[1\] must be a finite number")


def test_class_weight_gives_each_sample_its_class_weight():
    """Keras 2.2's formula by hand: mean(w * loss) / mean(w != 0), w from each sample's class."""
    model = trained_model("categorical_crossentropy", units=3, activation="softmax")
    weights = {0: 0.5, 1: 2.0, 2: 1.0}
    probabilities = model.predict(X).astype(np.float64)
    per_sample = -np.log((probabilities * ONE_HOT).sum(axis=1))
    w = np.array([weights[c] for c in ONE_HOT.argmax(axis=1)])
    before = snapshot(model)
    loss = model.test_on_batch(X, ONE_HOT, sample_weight=w)
    assert loss == pytest.approx((per_sample * w).mean(), rel=1e-5)
    assert snapshot(model) == before


@pytest.mark.parametrize("metric, match", [
    (lambda y_true, y_pred: None, r"metric '<lambda>' returned None"),
    (lambda y_true, y_pred: "high", r"metric '<lambda>' returned 'high'"),
    (lambda y_true, y_pred: np.ones(3), r"metric '<lambda>' returned values of shape \(3,\) for a batch of 10"),
])
def test_a_metric_that_returns_no_per_sample_values_fails_before_any_update(metric, match):
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("adam", "mse", metrics=[metric])
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises((TypeError, ValueError), match=match):
        model.fit(X, Y, batch_size=10, epochs=1, verbose=0)
    assert len(model.get_weights()) == len(weights)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.data) == 0


@pytest.mark.parametrize("loss, match", [
    (lambda y_true, y_pred: None, r"loss '<lambda>' returned None"),
    (lambda y_true, y_pred: np.ones((3, 3), "float32"), r"values of shape \(3, 3\) for a batch of 10"),
])
def test_a_loss_that_returns_no_per_sample_values_fails_before_any_update(loss, match):
    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("adam", loss)
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises((TypeError, ValueError), match=match):
        model.fit(X, Y, batch_size=10, epochs=1, verbose=0)
    assert len(model.get_weights()) == len(weights)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_a_batch_mean_loss_is_accepted_alone_but_not_with_sample_weights():
    def batch_mse(y_true, y_pred):
        return numkeras.backend.mean(numkeras.backend.square(y_pred - y_true))  # one value for the batch

    numkeras.utils.set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", batch_mse)
    expected = float(np.mean((model.predict(X) - Y) ** 2))
    assert model.evaluate(X, Y, batch_size=20, verbose=0) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"one value for the whole batch, so the sample weights.*axis=-1"):
        model.evaluate(X, Y, sample_weight=np.arange(20.0), verbose=0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(optimizer=numkeras.optimizers.Adam, loss="mse"), TypeError, r"got the class Adam\. Pass an instance, Adam\(\.\.\.\)"),
    (dict(optimizer=42, loss="mse"), TypeError, r"optimizer must be an optimizer name or a config dict or an Optimizer"),
    (dict(optimizer="sgd", loss=numkeras.losses.MeanSquaredError), TypeError,
     r"got the class MeanSquaredError\. Pass an instance, MeanSquaredError\(\)"),
    (dict(optimizer="sgd", loss=Dense(1, name="oops")), TypeError, r"got the layer 'oops' \(Dense\)"),
    (dict(optimizer="sgd", loss=3), TypeError, r"loss must be a loss name, function or Loss instance, got 3"),
    (dict(optimizer="sgd", loss="mse", metrics="acc"), TypeError, r"Pass metrics=\['acc'\]"),
    (dict(optimizer="sgd", loss="mse", metrics=[Dense(1, name="m")]), TypeError, r"got the layer 'm'"),
    (dict(optimizer="sgd", loss="mse", loss_weights="a"), TypeError, r"loss_weights must be a list or dict of numbers"),
    (dict(optimizer="sgd", loss="mse", sample_weight_mode="timewise"), ValueError, r"sample_weight_mode must be None or 'temporal'"),
    (dict(optimizer="sgd", loss="mse", check_numerics="yes"), TypeError, r"check_numerics must be True or False"),
    (dict(optimizer="sgd", loss="mean_squared_eror"), ValueError, r"mean_squared_error"),
])
def test_rejected_compile_calls_leave_the_model_as_it_was(kwargs, error, match):
    model = trained_model()
    optimizer, objective = model.optimizer, model.objective
    rejected(model, lambda m: m.compile(**kwargs), error, match)
    assert model.optimizer is optimizer and model.objective is objective


# -- graphs and configs ---------------------------------------------------------------------------------
def test_a_model_cannot_be_added_to_itself():
    model = Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match="Cannot add the model .* to itself"):
        model.add(model)
    outer = Sequential([model])
    with pytest.raises(ValueError, match=r"to itself \(through '.*', which contains it\)"):
        model.add(outer)


def test_duplicate_inputs_and_duplicate_layer_names_are_refused():
    a = Input((3,), name="a")
    with pytest.raises(ValueError, match=r"inputs passed to the model is redundant: \['a', 'a'\]"):
        Model([a, a], Dense(1)(a))
    x = Dense(2, name="twin")(a)
    with pytest.raises(ValueError, match=r"'twin' is used by several layers \('twin' x2\)"):
        Model(a, Dense(1, name="twin")(x))


def _config_with(inbound):
    a = Input((3,), name="a")
    model = Model(a, Dense(1, name="o")(Dense(4, name="h")(a)))
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["inbound_nodes"] = inbound
    return json.dumps(config)


@pytest.mark.parametrize("inbound, match", [
    ([[["o", 0, 0, {}]]], r"call each other in a cycle \(h -> o -> h\)"),
    ([[["ghost", 0, 0, {}]]], r"refers to 'ghost', which is not one of the model's layers \(a, h, o\)"),
    ([[["a", 3, 0, {}]]], r"'h' can never be computed: it takes its input from call #3 of layer 'a'"),
    ([[["a", "x", 0, {}]]], r"inbound entry \['a', 'x', 0, \{\}\] of layer 'h'"),
    ([[["a", 0, 5, {}]]], r"output #5 of 'a', which has 1 output"),
])
def test_broken_functional_configs_name_the_layers_involved(inbound, match):
    with pytest.raises(ValueError, match=match):
        numkeras.models.model_from_json(_config_with(inbound))


def test_yaml_aliases_that_expand_past_any_model_are_refused_quickly():
    pytest.importorskip("yaml")
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    text += "class_name: Sequential\nconfig: {name: x, layers: [*i]}\n"
    with pytest.raises(ValueError, match=r"expands to more than 1,000,000 values"):
        numkeras.models.model_from_yaml(text)


def test_deeply_nested_json_is_refused():
    with pytest.raises(ValueError, match="nested too deeply"):
        numkeras.models.model_from_json("[" * 100_000 + "]" * 100_000)
    nested = {"class_name": "Sequential", "config": {"layers": []}}
    for _ in range(300):
        nested = {"wrap": nested}
    with pytest.raises(ValueError, match="nested more than 200 levels"):
        numkeras.models.model_from_json(json.dumps(nested))


def test_a_real_model_config_is_far_inside_the_bounds():
    from numkeras.saving.model_config import check_config_size

    model = Sequential([Dense(4, input_shape=(3,)), Dense(1)])
    check_config_size(json.loads(model.to_json()), "test")
    config = copy.deepcopy(json.loads(model.to_json()))
    assert numkeras.models.model_from_json(json.dumps(config)).count_params() == model.count_params()
