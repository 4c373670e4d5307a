"""predict / predict_on_batch: no tape work and no gradient-only buffers, and the same predictions.

With the tape off (or no input needing a gradient) an op is not recorded, and its forward
skips what only its backward reads: a ReLU's mask (Dense and convolutions with
``activation='relu'``) and max pooling's winners. The predictions must be the very numbers
of the recorded forward pass.
"""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.backend import kernels
from numkeras.backend import tensor as tensor_module
from numkeras.engine import loop
from numkeras.layers import GRU, LSTM, Conv2D, Dense, Embedding, Flatten, MaxPooling2D, SimpleRNN
from numkeras.models import Sequential


def _mlp():
    return Sequential([Dense(16, activation="relu", input_shape=(6,)), Dense(8, activation="relu"), Dense(3)])


def _cnn():
    return Sequential([Conv2D(4, 3, activation="relu", input_shape=(9, 9, 2)), MaxPooling2D(2),
                       Conv2D(3, 2, activation="relu"), Flatten(), Dense(2, activation="softmax")])


def _rnn():
    return Sequential([Embedding(11, 5, input_length=7, mask_zero=True), LSTM(4, return_sequences=True),
                       GRU(3, return_sequences=True), SimpleRNN(2)])


def _inputs(model, rng, n=10):
    shape = model.input_shape
    if len(shape) == 2 and model.layers[0].__class__.__name__ == "Embedding":
        x = rng.integers(0, 11, (n,) + tuple(shape[1:]))
        x[:, -2:] = 0  # masked steps
        return x
    return rng.standard_normal((n,) + tuple(shape[1:])).astype(np.float32)


def _recorded_forward(model, x):
    """The outputs of the forward pass as training records it (inputs that need a gradient, tape on)."""
    with K.tape():
        outputs, _ = loop.forward(model, [K.variable(x)], training=False)
    assert outputs[0].creator is not None, "the reference pass was not recorded"
    return outputs[0].data


@pytest.fixture
def spies(monkeypatch):
    """Counts recorded ops and the gradient-only kernels called."""
    counts = {"recorded": 0, "bias_relu": 0, "max_pool": 0}
    from_op = tensor_module.Tensor._from_op.__func__

    def counting_from_op(cls, data, op):
        counts["recorded"] += op is not None
        return from_op(cls, data, op)

    monkeypatch.setattr(tensor_module.Tensor, "_from_op", classmethod(counting_from_op))
    for name in ("bias_relu", "max_pool"):
        original = getattr(kernels, name)

        def counting(*args, _original=original, _name=name):
            counts[_name] += 1
            return _original(*args)

        monkeypatch.setattr(kernels, name, counting)
    return counts


@pytest.mark.parametrize("build", [_mlp, _cnn, _rnn], ids=["mlp", "cnn", "rnn"])
def test_predictions_are_the_recorded_forward_pass_and_record_nothing(build, spies):
    numkeras.utils.set_random_seed(3)
    model = build()
    x = _inputs(model, np.random.default_rng(0))
    expected = _recorded_forward(model, x)
    assert spies["recorded"] > 0
    if build is not _rnn:
        assert spies["bias_relu"] > 0  # the recorded pass computes the masks

    for counter in spies:
        spies[counter] = 0
    predicted = model.predict(x, batch_size=4)
    on_batch = model.predict_on_batch(x)
    np.testing.assert_array_equal(predicted, expected)
    np.testing.assert_array_equal(on_batch, expected)
    assert spies == {"recorded": 0, "bias_relu": 0, "max_pool": 0}


def test_predict_after_training_is_unchanged_and_training_still_gets_its_masks(spies):
    numkeras.utils.set_random_seed(4)
    model = _cnn()
    model.compile("sgd", "categorical_crossentropy")
    rng = np.random.default_rng(1)
    x, y = _inputs(model, rng, 8), np.eye(2)[rng.integers(0, 2, 8)]
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert spies["bias_relu"] > 0 and spies["max_pool"] > 0 and spies["recorded"] > 0
    np.testing.assert_array_equal(model.predict(x), _recorded_forward(model, x))


def test_a_compiled_bias_relu_still_runs_in_predict():
    """A plugin's kernel fuses the mask into the ReLU's pass: inference keeps using it (and drops the mask)."""
    calls = []

    def compiled(y, bias):
        calls.append(y.shape)
        return kernels.bias_relu.reference(y, bias)

    numkeras.utils.set_random_seed(5)
    model = _mlp()
    x = _inputs(model, np.random.default_rng(2))
    expected = _recorded_forward(model, x)
    previous = kernels.set_kernels({"bias_relu": compiled})
    try:
        np.testing.assert_array_equal(model.predict(x), expected)
    finally:
        kernels.set_kernels(previous)
    assert calls


def test_a_compiled_bias_relu_that_declines_leaves_predict_without_the_mask(spies):
    """Declined (small arrays): predict takes NumPy's passes without the mask, not the masking reference."""
    calls = []
    numkeras.utils.set_random_seed(6)
    model = _mlp()
    x = _inputs(model, np.random.default_rng(3))
    expected = _recorded_forward(model, x)
    spies["bias_relu"] = 0
    previous = kernels.set_kernels({"bias_relu": lambda y, bias: calls.append(y.shape)})  # declines: None
    try:
        np.testing.assert_array_equal(model.predict(x), expected)
    finally:
        kernels.set_kernels(previous)
    assert calls and spies["bias_relu"] == 0


def test_an_op_outside_the_tape_keeps_no_mask():
    from numkeras.backend.ops.fused import Dense as DenseOp

    rng = np.random.default_rng(6)
    x, kernel, bias = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    recorded = DenseOp(relu=True)
    with K.tape():
        out = recorded.apply(K.variable(x), K.variable(kernel), K.variable(bias))
    assert recorded.recorded and recorded.active.dtype == bool
    skipped = DenseOp(relu=True)
    with K.no_tape():
        plain = skipped.apply(K.variable(x), K.variable(kernel), K.variable(bias))
    assert not skipped.recorded and skipped.active is None and plain.creator is None
    np.testing.assert_array_equal(plain.data, out.data)
    np.testing.assert_allclose(plain.data, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


def _two_output_model():
    from numkeras.layers import Input
    from numkeras.models import Model

    inputs = Input((6,))
    hidden = Dense(5, activation="relu")(inputs)
    return Model(inputs, [Dense(3)(hidden), Dense(1, activation="sigmoid")(hidden)])


@pytest.mark.parametrize("feed", ["arrays", "steps", "generator"])
def test_predict_gathers_every_batch_in_order(feed):
    """Arrays go into outputs allocated once; fewer steps or a generator (no known total) still come out whole."""
    numkeras.utils.set_random_seed(7)
    model = _two_output_model()
    x = np.random.default_rng(3).standard_normal((11, 6)).astype(np.float32)
    batches = [model.predict_on_batch(x[i:i + 4]) for i in range(0, 11, 4)]
    expected = [np.concatenate([b[k] for b in batches]) for k in range(2)]
    if feed == "arrays":
        predicted = model.predict(x, batch_size=4)
    elif feed == "steps":
        predicted = model.predict(x, batch_size=4, steps=2)
        expected = [e[:8] for e in expected]
    else:
        predicted = model.predict((x[i:i + 4] for i in range(0, 11, 4)), steps=3)
    for mine, reference in zip(predicted, expected):
        assert mine.shape == reference.shape and mine.flags.owndata
        np.testing.assert_array_equal(mine, reference)
