"""Built-in optimizers (plugins/numkeras_builtins/optimizers.py) against NumPy references of Keras 2.2.4's rules."""

import json
import math

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras import constraints, optimizers
from numkeras.layers import Dense
from numkeras.models import Sequential
from tests.helpers.components import assert_config_roundtrip, builtin_entry_points

EPS = 1e-7
SHAPES = [(3, 2), (4,)]


# -- NumPy references: one function per optimizer, written from Keras 2.2.4's get_updates ----------
# Each takes the parameter values, the per-step gradients and the arguments, and returns the
# parameters after every step. ``lr_at(t)`` is the decayed rate of update t (0-based).
def _lr_at(lr, decay, t):
    return lr / (1.0 + decay * t)


def _clip(grads, clipnorm=None, clipvalue=None):
    if clipnorm:
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
        if norm >= clipnorm:
            grads = [g * clipnorm / norm for g in grads]
    if clipvalue:
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def ref_sgd(params, steps, lr=0.01, momentum=0.0, decay=0.0, nesterov=False, clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    moments = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(steps):
        grads, lr_t = _clip(grads, clipnorm, clipvalue), _lr_at(lr, decay, t)
        for p, g, m in zip(params, grads, moments):
            v = momentum * m - lr_t * g
            m[...] = v
            p += momentum * v - lr_t * g if nesterov else v
    return params


def ref_rmsprop(params, steps, lr=0.001, rho=0.9, epsilon=EPS, decay=0.0, clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    accumulators = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(steps):
        grads, lr_t = _clip(grads, clipnorm, clipvalue), _lr_at(lr, decay, t)
        for p, g, a in zip(params, grads, accumulators):
            a[...] = rho * a + (1 - rho) * g ** 2
            p -= lr_t * g / (np.sqrt(a) + epsilon)
    return params


def ref_adagrad(params, steps, lr=0.01, epsilon=EPS, decay=0.0, clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    accumulators = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(steps):
        grads, lr_t = _clip(grads, clipnorm, clipvalue), _lr_at(lr, decay, t)
        for p, g, a in zip(params, grads, accumulators):
            a += g ** 2
            p -= lr_t * g / (np.sqrt(a) + epsilon)
    return params


def ref_adadelta(params, steps, lr=1.0, rho=0.95, epsilon=EPS, decay=0.0, clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    accumulators = [np.zeros_like(p) for p in params]
    deltas = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(steps):
        grads, lr_t = _clip(grads, clipnorm, clipvalue), _lr_at(lr, decay, t)
        for p, g, a, d in zip(params, grads, accumulators, deltas):
            a[...] = rho * a + (1 - rho) * g ** 2
            update = g * np.sqrt(d + epsilon) / np.sqrt(a + epsilon)
            p -= lr_t * update
            d[...] = rho * d + (1 - rho) * update ** 2
    return params


def ref_adam(params, steps, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=EPS, decay=0.0, amsgrad=False,
             clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    ms, vs, vhats = ([np.zeros_like(p) for p in params] for _ in range(3))
    for t, grads in enumerate(steps):
        grads = _clip(grads, clipnorm, clipvalue)
        step = t + 1
        lr_t = _lr_at(lr, decay, t) * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
        for p, g, m, v, vhat in zip(params, grads, ms, vs, vhats):
            m[...] = beta_1 * m + (1 - beta_1) * g
            v[...] = beta_2 * v + (1 - beta_2) * g ** 2
            if amsgrad:
                vhat[...] = np.maximum(vhat, v)
                p -= lr_t * m / (np.sqrt(vhat) + epsilon)
            else:
                p -= lr_t * m / (np.sqrt(v) + epsilon)
    return params


def ref_adamax(params, steps, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=EPS, decay=0.0, clipnorm=None,
               clipvalue=None):
    params = [p.copy() for p in params]
    ms, us = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    for t, grads in enumerate(steps):
        grads = _clip(grads, clipnorm, clipvalue)
        lr_t = _lr_at(lr, decay, t) / (1 - beta_1 ** (t + 1))
        for p, g, m, u in zip(params, grads, ms, us):
            m[...] = beta_1 * m + (1 - beta_1) * g
            u[...] = np.maximum(beta_2 * u, np.abs(g))
            p -= lr_t * m / (u + epsilon)
    return params


def ref_nadam(params, steps, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=EPS, schedule_decay=0.004,
              clipnorm=None, clipvalue=None):
    params = [p.copy() for p in params]
    ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    m_schedule = 1.0
    for t, grads in enumerate(steps):
        grads = _clip(grads, clipnorm, clipvalue)
        step = t + 1
        momentum_cache_t = beta_1 * (1 - 0.5 * 0.96 ** (step * schedule_decay))
        momentum_cache_t_1 = beta_1 * (1 - 0.5 * 0.96 ** ((step + 1) * schedule_decay))
        m_schedule_new = m_schedule * momentum_cache_t
        m_schedule_next = m_schedule * momentum_cache_t * momentum_cache_t_1
        m_schedule = m_schedule_new
        for p, g, m, v in zip(params, grads, ms, vs):
            g_prime = g / (1 - m_schedule_new)
            m[...] = beta_1 * m + (1 - beta_1) * g
            m_prime = m / (1 - m_schedule_next)
            v[...] = beta_2 * v + (1 - beta_2) * g ** 2
            v_prime = v / (1 - beta_2 ** step)
            m_bar = (1 - momentum_cache_t) * g_prime + momentum_cache_t_1 * m_prime
            p -= lr * m_bar / (np.sqrt(v_prime) + epsilon)
    return params


def ref_adamw(params, steps, lr=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=EPS, decay=0.0,
              amsgrad=False, clipnorm=None, clipvalue=None):
    """tf.keras 2.11+'s AdamW: ``p -= p * weight_decay * lr`` (this update's decayed rate), then Adam's step."""
    params = [p.copy() for p in params]
    ms, vs, vhats = ([np.zeros_like(p) for p in params] for _ in range(3))
    for t, grads in enumerate(steps):
        grads = _clip(grads, clipnorm, clipvalue)
        step, lr_now = t + 1, _lr_at(lr, decay, t)
        lr_t = lr_now * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
        for p, g, m, v, vhat in zip(params, grads, ms, vs, vhats):
            p -= p * weight_decay * lr_now
            m[...] = beta_1 * m + (1 - beta_1) * g
            v[...] = beta_2 * v + (1 - beta_2) * g ** 2
            vhat[...] = np.maximum(vhat, v)
            p -= lr_t * m / (np.sqrt(vhat if amsgrad else v) + epsilon)
    return params


REFERENCES = {"SGD": ref_sgd, "RMSprop": ref_rmsprop, "Adagrad": ref_adagrad, "Adadelta": ref_adadelta,
              "Adam": ref_adam, "Adamax": ref_adamax, "Nadam": ref_nadam, "AdamW": ref_adamw}

# (optimizer, constructor arguments): each row is run for several steps against its reference.
CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.1}),
    ("SGD", {"lr": 0.1, "clipnorm": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "clipvalue": 0.3}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "rho": 0.8, "decay": 0.2, "clipnorm": 1.0}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "epsilon": 1e-3, "decay": 0.05, "clipvalue": 0.4}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.9, "decay": 0.1, "clipnorm": 0.7}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "beta_1": 0.8, "decay": 0.1}),
    ("Adam", {"amsgrad": True, "clipnorm": 0.5}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "decay": 0.1, "clipvalue": 0.3}),
    ("Nadam", {}),
    ("Nadam", {"lr": 0.01, "beta_2": 0.99, "schedule_decay": 0.01, "clipnorm": 0.8}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.2, "decay": 0.1, "amsgrad": True, "clipnorm": 0.5}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0, "beta_1": 0.8}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "global_clipnorm": 0.5}),
    ("Adam", {"lr": 0.01, "global_clipnorm": 0.7, "clipvalue": 0.3}),
    ("AdamW", {"lr": 0.01, "global_clipnorm": 0.7}),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}" for name, kwargs in CASES]


def _reference_arguments(kwargs):
    """The references clip with Keras 2.2's ``clipnorm`` (the global norm), which is what ``global_clipnorm`` is."""
    kwargs = dict(kwargs)
    if "global_clipnorm" in kwargs:
        kwargs["clipnorm"] = kwargs.pop("global_clipnorm")
    return kwargs


def _problem(seed=0, steps=5):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=shape) for shape in SHAPES]
    grads = [[rng.normal(size=shape) for shape in SHAPES] for _ in range(steps)]
    return params, grads


def _run(optimizer, params, steps):
    variables = [K.Variable(p, dtype=p.dtype, name=f"w{i}:0") for i, p in enumerate(params)]
    for grads in steps:
        optimizer.apply_gradients([(g.astype(v.dtype), v) for g, v in zip(grads, variables)])
    return variables


@pytest.mark.parametrize("name,kwargs", CASES, ids=CASE_IDS)
def test_updates_match_the_keras_rule(name, kwargs, floatx64):
    params, steps = _problem()
    optimizer = getattr(optimizers, name)(**kwargs)
    variables = _run(optimizer, params, steps)
    expected = REFERENCES[name](params, steps, **_reference_arguments(kwargs))
    for variable, reference in zip(variables, expected):
        np.testing.assert_allclose(variable.data, reference, rtol=1e-10, atol=1e-12)
    assert int(optimizer.iterations.data) == len(steps)


@pytest.mark.parametrize("name,kwargs", CASES, ids=CASE_IDS)
def test_float32_parameters_stay_float32(name, kwargs):
    params, steps = _problem(seed=1, steps=3)
    params = [p.astype(np.float32) for p in params]
    variables = _run(getattr(optimizers, name)(**kwargs), params, steps)
    expected = REFERENCES[name]([p.astype(np.float64) for p in params], steps,
                                **{k: (float(np.float32(v)) if k in ("lr", "decay") else v)
                                   for k, v in _reference_arguments(kwargs).items()})
    for variable, reference in zip(variables, expected):
        assert variable.dtype == np.float32
        np.testing.assert_allclose(variable.data, reference, rtol=2e-5, atol=2e-6)


def test_clipnorm_uses_the_global_norm_of_all_gradients():
    optimizer = optimizers.SGD(lr=1.0, clipnorm=1.0)
    a, b = K.Variable(np.zeros(1)), K.Variable(np.zeros(1))
    optimizer.apply_gradients([(np.array([3.0], np.float32), a), (np.array([4.0], np.float32), b)])
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.6, -0.8], rtol=1e-6)  # scaled by 1/5 together


# -- defaults, names, arguments --------------------------------------------------------------------
DEFAULTS = {"SGD": 0.01, "RMSprop": 0.001, "Adagrad": 0.01, "Adadelta": 1.0, "Adam": 0.001, "Adamax": 0.002,
            "Nadam": 0.002, "AdamW": 0.001}


@pytest.mark.parametrize("name,lr", sorted(DEFAULTS.items()))
def test_documented_default_learning_rate(name, lr):
    optimizer = optimizers.get(name.lower())
    assert isinstance(optimizer, getattr(optimizers, name))
    assert getattr(optimizers, name.lower()) is getattr(optimizers, name)
    np.testing.assert_allclose(K.get_value(optimizer.lr), lr, rtol=1e-7)
    assert optimizer.get_config()["epsilon" if name != "SGD" else "nesterov"] == (K.epsilon() if name != "SGD"
                                                                                  else False)


def test_every_entry_point_is_an_optimizer_class():
    for name in builtin_entry_points("optimizers"):
        assert issubclass(getattr(optimizers, name), optimizers.Optimizer)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_lr_and_learning_rate_are_both_accepted(name):
    cls = getattr(optimizers, name)
    assert float(K.get_value(cls(lr=0.5).lr)) == 0.5
    assert float(K.get_value(cls(learning_rate=0.5).lr)) == 0.5
    assert float(K.get_value(cls(0.25).learning_rate)) == 0.25  # positional, as tf.keras.optimizers.Adam(0.01)
    with pytest.raises(ValueError, match="lr or learning_rate"):
        cls(lr=0.1, learning_rate=0.2)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
@pytest.mark.parametrize("argument", ["lr", "decay", "clipnorm", "clipvalue", "epsilon"])
def test_negative_arguments_raise_naming_the_argument(name, argument):
    if argument == "epsilon" and name == "SGD":
        argument = "momentum"
    with pytest.raises(ValueError, match=f"{argument}"):
        getattr(optimizers, name)(**{argument: -0.1})


@pytest.mark.parametrize("name,argument,value", [
    ("Adam", "beta_1", 1.0), ("Adam", "beta_2", -0.5), ("Adamax", "beta_1", 1.5), ("Nadam", "beta_2", 1.0),
    ("RMSprop", "rho", -1.0), ("Adadelta", "rho", -1.0), ("Nadam", "schedule_decay", -1.0),
])
def test_invalid_specific_arguments(name, argument, value):
    with pytest.raises(ValueError, match=argument):
        getattr(optimizers, name)(**{argument: value})


def test_unknown_argument_is_a_type_error():
    with pytest.raises(TypeError, match="momentum_typo"):
        optimizers.SGD(momentum_typo=0.9)


def test_unknown_optimizer_lists_close_matches():
    with pytest.raises(ValueError, match="adam"):
        optimizers.get("adamm")


# -- configs and state --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs", CASES, ids=CASE_IDS)
def test_config_round_trip_gives_the_same_updates(name, kwargs, floatx64):
    optimizer = getattr(optimizers, name)(**kwargs)
    rebuilt = assert_config_roundtrip("optimizers", optimizer)
    again = type(optimizer).from_config(json.loads(json.dumps(optimizer.get_config())))
    params, steps = _problem(seed=2, steps=3)
    for other in (rebuilt, again):
        reference = _run(getattr(optimizers, name)(**kwargs), params, steps)
        for a, b in zip(reference, _run(other, params, steps)):
            np.testing.assert_array_equal(a.data, b.data)


def test_from_config_accepts_tf_keras_spelling():
    optimizer = optimizers.deserialize({"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
        "amsgrad": False}})
    assert isinstance(optimizer, optimizers.Adam)
    np.testing.assert_allclose(K.get_value(optimizer.lr), 0.01)
    adagrad = optimizers.Adagrad.from_config({"learning_rate": 0.1, "initial_accumulator_value": 0.1,
                                              "epsilon": 1e-7, "name": "Adagrad"})
    variable = K.Variable(np.zeros(2))
    adagrad.apply_gradients([(np.ones(2), variable)])
    np.testing.assert_allclose(variable.data, -0.1 / (np.sqrt(1.1) + 1e-7), rtol=1e-6)
    assert optimizers.RMSprop.from_config({"learning_rate": 0.01, "rho": 0.9, "momentum": 0.0, "centered": False})
    with pytest.raises(ValueError, match="centered"):
        optimizers.RMSprop(centered=True)


@pytest.mark.parametrize("name,kwargs", CASES, ids=CASE_IDS)
def test_weights_round_trip_gives_identical_subsequent_updates(name, kwargs):
    params, steps = _problem(seed=3, steps=6)
    first = getattr(optimizers, name)(**kwargs)
    variables = _run(first, params, steps[:3])
    weights = first.get_weights()
    assert int(weights[0]) == 3

    copies = [K.Variable(v.data, dtype=v.dtype, name=v.name) for v in variables]
    second = getattr(optimizers, name)(**kwargs)
    second.set_weights(weights, params=copies)
    assert all(np.array_equal(a, b) for a, b in zip(second.get_weights(), weights))
    for grads in steps[3:]:
        first.apply_gradients(zip(grads, variables))
        second.apply_gradients(zip(grads, copies))
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name,slots", [
    ("SGD", 1), ("RMSprop", 1), ("Adagrad", 1), ("Adadelta", 2), ("Adam", 3), ("Adamax", 2), ("Nadam", 2),
    ("AdamW", 3)])
def test_weights_are_iterations_then_slots_in_keras_order(name, slots):
    optimizer = getattr(optimizers, name)()
    variables = _run(optimizer, *_problem(seed=4, steps=1))
    weights = optimizer.get_weights()
    assert len(weights) == 1 + slots * len(variables)
    assert [w.shape for w in weights[1:3]] == [v.shape for v in variables]  # slot 1 of each parameter first
    assert [w.name for w in optimizer.weights][:2] == ["iterations:0", "w0/" + optimizer.slot_names[0] + ":0"]
    if name in ("Adam", "AdamW"):
        assert weights[-1].shape == (1,)  # Keras 2.2 keeps a (1,) placeholder vhat without amsgrad


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adadelta"])
def test_keras_224_weights_without_iterations_are_accepted(name):
    params, steps = _problem(seed=5, steps=2)
    first = getattr(optimizers, name)()
    variables = _run(first, params, steps)
    second = getattr(optimizers, name)()
    second.set_weights(first.get_weights()[1:], params=[K.Variable(v.data, dtype=v.dtype) for v in variables])
    assert all(np.array_equal(a, b) for a, b in zip(second.get_weights()[1:], first.get_weights()[1:]))


def test_set_weights_reports_mismatches_and_changes_nothing():
    optimizer = optimizers.Adam()
    _run(optimizer, *_problem(seed=6, steps=1))
    before = optimizer.get_weights()
    with pytest.raises(ValueError, match="expected 7 arrays"):
        optimizer.set_weights(before[:-1])
    wrong = [np.zeros_like(w) for w in before]
    wrong[2] = np.zeros((9, 9))
    with pytest.raises(ValueError, match=r"slot 'ms' of w1:0 has shape \(4,\)"):
        optimizer.set_weights(wrong)
    assert all(np.array_equal(a, b) for a, b in zip(optimizer.get_weights(), before))
    with pytest.raises(ValueError, match="params="):
        optimizers.Adam().set_weights(before)


def test_constraint_is_applied_after_each_update():
    variable = K.Variable(np.array([0.5, -0.5, 2.0]), constraint=constraints.get("non_neg"))
    optimizers.SGD(lr=1.0).apply_gradients([(np.array([1.0, -1.0, 1.0]), variable)])
    np.testing.assert_allclose(variable.data, [0.0, 0.5, 1.0])


def test_nadam_restores_its_momentum_schedule_from_iterations():
    params, steps = _problem(seed=7, steps=4)
    first = optimizers.Nadam()
    variables = _run(first, params, steps)
    second = optimizers.Nadam()
    second.set_weights(first.get_weights(), params=[K.Variable(v.data, dtype=v.dtype) for v in variables])
    np.testing.assert_allclose(K.get_value(second.m_schedule), K.get_value(first.m_schedule))
    assert "decay" not in first.get_config()  # Keras 2.2's Nadam config has no decay


def test_get_updates_is_the_keras_2_api():
    variable = K.Variable(np.array([1.0, 2.0]))
    loss = K.sum(K.square(variable))
    assert optimizers.SGD(lr=0.1).get_updates(loss, [variable]) == []
    np.testing.assert_allclose(variable.data, [0.8, 1.6])


# -- in a model --------------------------------------------------------------------------------------------
def test_learning_rate_of_a_compiled_model_is_a_variable():
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_allclose(K.get_value(model.optimizer.lr), 0.01)
    K.set_value(model.optimizer.lr, 0.5)
    assert K.get_value(model.optimizer.lr) == 0.5
    assert model.optimizer.get_config()["lr"] == 0.5
    kernel_before = model.layers[0].get_weights()[0]
    x, y = np.ones((1, 3), "float32"), np.zeros((1, 2), "float32")
    bias = model.layers[0].get_weights()[1]
    prediction = model.predict(x)
    model.train_on_batch(x, y)
    # mse gradient w.r.t. the kernel: x.T @ (2 * (prediction - y) / outputs)
    expected = kernel_before - 0.5 * (x.T @ (2 * (prediction - y) / 2))
    np.testing.assert_allclose(model.layers[0].get_weights()[0], expected, rtol=1e-5)
    assert bias.shape == (2,)


def test_optimizers_train_a_model():
    numkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    for name in DEFAULTS:
        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizer=getattr(optimizers, name)(lr=0.05 if name != "Adadelta" else 1.0), loss="mse")
        history = model.fit(x, y, epochs=5, batch_size=8, verbose=0).history["loss"]
        assert history[-1] < history[0], name


# -- tf.keras 2: global_clipnorm, AdamW, against values written by tf_keras 2.21 ----------------------
from tests.helpers import tf_keras_references as references  # noqa: E402


@pytest.mark.parametrize("case", references.optimizer_cases())
def test_updates_match_tf_keras(case):
    for step, params, expected in references.replay_optimizer(case):
        for got, want in zip(params, expected):
            np.testing.assert_allclose(got, want, err_msg=f"{case}, step {step}", **references.TOLERANCE)


@pytest.mark.parametrize("case", references.optimizer_cases("sgd_global") + references.optimizer_cases("adam_global"))
def test_tf_keras_global_clipnorm_cases_do_clip(case):
    # The recorded gradients are larger than the limit, so these cases would fail without the clipping.
    config = references.case(case)["serialized"]["config"]
    grads = [references.array(case, f"g0_{i}") for i in range(2)]
    assert np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)) > 2 * config["global_clipnorm"]


def test_global_clipnorm_and_clipnorm_together_are_refused_as_in_tf_keras():
    messages = references.case("clipnorm_and_global_clipnorm_errors")["messages"]
    assert all("clipnorm" in m and "global_clipnorm" in m for m in messages)  # what tf_keras says
    for name in sorted(DEFAULTS):
        with pytest.raises(ValueError, match="both clipnorm and global_clipnorm"):
            getattr(optimizers, name)(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="global_clipnorm"):
        optimizers.SGD(global_clipnorm=-1.0)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_global_clipnorm_is_in_the_config(name):
    optimizer = getattr(optimizers, name)(global_clipnorm=0.25)
    assert_config_roundtrip("optimizers", optimizer)
    clone = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert clone.global_clipnorm == 0.25 and clone.clipnorm is None


def test_adamw_excludes_variables_from_weight_decay():
    optimizer = optimizers.AdamW(lr=0.1, weight_decay=0.5)
    decayed, by_list, by_name = (K.Variable(np.ones(2), name=n) for n in ("dense/kernel:0", "a:0", "dense/bias:0"))
    optimizer.exclude_from_weight_decay(var_list=[by_list], var_names=["bias"])
    zero = np.zeros(2)
    optimizer.apply_gradients([(zero, decayed), (zero, by_list), (zero, by_name)])
    np.testing.assert_allclose(decayed.data, 1 - 0.5 * 0.1, rtol=1e-6)  # a zero gradient: only the decay moves it
    np.testing.assert_array_equal(by_list.data, 1.0)
    np.testing.assert_array_equal(by_name.data, 1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=-0.1)


def test_adamw_exclusion_takes_one_name_or_one_variable_as_tf_keras_does():
    """A single string is one name part, not its characters: "bias" must not exclude "dense/kernel:0"."""
    optimizer = optimizers.AdamW(lr=0.1, weight_decay=0.5)
    kernel, bias, other = (K.Variable(np.ones(2), name=n) for n in ("dense/kernel:0", "dense/bias:0", "b:0"))
    optimizer.exclude_from_weight_decay(var_list=other, var_names="bias")
    zero = np.zeros(2)
    optimizer.apply_gradients([(zero, kernel), (zero, bias), (zero, other)])
    np.testing.assert_allclose(kernel.data, 1 - 0.5 * 0.1, rtol=1e-6)
    np.testing.assert_array_equal(bias.data, 1.0)
    np.testing.assert_array_equal(other.data, 1.0)
    with pytest.raises(TypeError, match="var_names"):
        optimizer.exclude_from_weight_decay(var_names=[3])


def test_tf_keras_optimizer_configs_with_ema_are_refused():
    config = dict(references.case("adamw")["serialized"]["config"], use_ema=True)
    with pytest.raises(ValueError, match="use_ema"):
        optimizers.AdamW.from_config(config)
