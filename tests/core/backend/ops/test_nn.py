"""softmax / log_softmax / sigmoid and the fused cross-entropies, against their unfused formulas."""

import gc

import numpy as np
import pytest

from numkeras.backend import Tensor, no_tape, ops
from numkeras.backend.ops import nn
from numkeras.backend.tensor import gradients
from numkeras.testing.gradcheck import check_gradients, random_array

EPS = 1e-7


def _np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_value_and_gradient(axis):
    z = random_array((3, 4, 2), -2, 2)
    np.testing.assert_allclose(ops.softmax(Tensor(z), axis=axis).data, _np_softmax(z, axis))
    check_gradients(lambda t: ops.softmax(t, axis=axis), z)


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_value_and_gradient(axis):
    z = random_array((3, 4), -2, 2)
    np.testing.assert_allclose(ops.log_softmax(Tensor(z), axis=axis).data, np.log(_np_softmax(z, axis)))
    check_gradients(lambda t: ops.log_softmax(t, axis=axis), z)


def test_softmax_and_log_softmax_are_stable():
    z = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(ops.softmax(z).data, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(ops.log_softmax(z).data, [[0.0, -1000.0, -2000.0]])


def test_sigmoid_value_and_gradient():
    z = random_array((3, 4), -4, 4)
    np.testing.assert_allclose(ops.sigmoid(Tensor(z)).data, 1 / (1 + np.exp(-z)))
    check_gradients(ops.sigmoid, z)


def _soft_targets(shape, seed=7):
    t = random_array(shape, 0.1, 1.0, seed=seed)
    return t / t.sum(axis=-1, keepdims=True)


# -- categorical ----------------------------------------------------------------------
def _unfused_categorical(target, z, axis=-1):
    """Keras 2.2's formula on the softmax probabilities."""
    p = ops.softmax(z, axis=axis)
    p = ops.divide(p, ops.sum(p, axis=axis, keepdims=True))
    return ops.negative(ops.sum(ops.multiply(target, ops.log(ops.clip(p, EPS, 1 - EPS))), axis=axis))


@pytest.mark.parametrize("targets", ["one_hot", "soft"])
def test_fused_categorical_crossentropy_matches_the_unfused_formula(targets):
    z = random_array((4, 5), -2, 2)
    t = np.eye(5)[[0, 3, 4, 1]] if targets == "one_hot" else _soft_targets((4, 5))
    logits_fused, logits_plain = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    fused = ops.categorical_crossentropy(t, ops.softmax(logits_fused))
    plain = _unfused_categorical(t, logits_plain)
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-6)
    g_fused = gradients(ops.sum(fused), [logits_fused])[0]
    g_plain = gradients(ops.sum(plain), [logits_plain])[0]
    np.testing.assert_allclose(g_fused, g_plain, rtol=1e-6, atol=1e-9)


def test_categorical_crossentropy_from_logits_matches_log_softmax():
    z, t = random_array((4, 5), -2, 2), _soft_targets((4, 5))
    expected = -np.sum(t * np.log(_np_softmax(z)), axis=-1)
    np.testing.assert_allclose(ops.categorical_crossentropy(t, Tensor(z), from_logits=True).data, expected)


@pytest.mark.parametrize("path", ["fused", "from_logits", "probabilities"])
def test_categorical_crossentropy_gradients(path):
    z, t = random_array((3, 4), -2, 2), _soft_targets((3, 4))
    if path == "fused":
        fn = lambda logits, target: ops.categorical_crossentropy(target, ops.softmax(logits))  # noqa: E731
    elif path == "from_logits":
        fn = lambda logits, target: ops.categorical_crossentropy(target, logits, from_logits=True)  # noqa: E731
    else:
        z = _soft_targets((3, 4), seed=3)  # plain probabilities: the clipped Keras formula
        fn = lambda p, target: ops.categorical_crossentropy(target, p)  # noqa: E731
    check_gradients(fn, z, t)


def test_categorical_crossentropy_on_plain_probabilities_is_the_keras_formula():
    p, t = _soft_targets((3, 4), seed=3), _soft_targets((3, 4))
    p[0, 0] = 0.0  # clipped to epsilon, not log(0)
    p = p / p.sum(-1, keepdims=True)
    expected = -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)
    np.testing.assert_allclose(ops.categorical_crossentropy(t, Tensor(p)).data, expected, rtol=1e-6)


def test_fused_categorical_crossentropy_is_exact_where_the_probability_underflows():
    z = np.array([[0.0, 200.0]])
    loss = ops.categorical_crossentropy(np.array([[1.0, 0.0]]), ops.softmax(Tensor(z)))
    np.testing.assert_allclose(loss.data, [200.0])


@pytest.mark.parametrize("softmax_axis, loss_axis", [(-1, 0), (0, -1), (0, 1)])
def test_softmax_over_another_axis_is_not_fused(softmax_axis, loss_axis):
    z, t = random_array((3, 4), -2, 2), _soft_targets((3, 4))
    p = ops.softmax(Tensor(z), axis=softmax_axis)
    expected = -np.sum(t * np.log(p.data / p.data.sum(loss_axis, keepdims=True)), axis=loss_axis)
    np.testing.assert_allclose(ops.categorical_crossentropy(t, p, axis=loss_axis).data, expected, rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -2])
def test_categorical_crossentropy_over_a_matching_axis_is_fused(axis):
    z = random_array((3, 4), -2, 2)
    t = _soft_targets((4, 3)).T
    loss = ops.categorical_crossentropy(t, ops.softmax(Tensor(z), axis=axis), axis=axis)
    expected = -np.sum(t * np.log(_np_softmax(z, axis)), axis=axis)
    np.testing.assert_allclose(loss.data, expected)


def test_categorical_crossentropy_keeps_float32_with_float64_targets():
    z = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    loss = ops.categorical_crossentropy(np.eye(3)[:2], ops.softmax(z))
    assert loss.dtype == np.float32
    ops.sum(loss).backward()
    assert z.grad.dtype == np.float32


@pytest.mark.parametrize("recording", [True, False], ids=["tape", "no_tape"])
@pytest.mark.parametrize("loss", ["categorical", "sparse", "binary"])
def test_crossentropy_on_an_activation_output_is_computed_from_its_logits(loss, recording):
    """A logit of 30 makes the true loss 30; clipping the probability at 1e-7 would give about 16.1.

    With the tape off (``evaluate``) the output keeps no reference to its op: the fusion must not need one.
    """
    z = Tensor(np.array([[0.0, 30.0]], np.float32), requires_grad=True)
    if loss == "binary":
        activation = ops.sigmoid
        crossentropy = lambda p: ops.binary_crossentropy(np.array([[0.0, 0.0]]), p)  # noqa: E731
        expected, expected_grad = [[np.log(2.0), 30.0]], [[0.5, 1.0]]
    else:
        activation = ops.softmax
        if loss == "sparse":
            crossentropy = lambda p: ops.sparse_categorical_crossentropy(np.array([0]), p)  # noqa: E731
        else:
            crossentropy = lambda p: ops.categorical_crossentropy(np.array([[1.0, 0.0]]), p)  # noqa: E731
        expected, expected_grad = [30.0], [[-1.0, 1.0]]
    if recording:
        value = crossentropy(activation(z))
        ops.sum(value).backward()
        np.testing.assert_allclose(z.grad, expected_grad, rtol=1e-6)
    else:
        with no_tape():
            value = crossentropy(activation(z))
    np.testing.assert_allclose(value.data, expected, rtol=1e-6)


def test_an_activation_output_is_forgotten_when_it_is_freed():
    remembered = len(nn._origins._entries)
    probabilities = ops.softmax(Tensor(random_array((2, 3))))
    assert len(nn._origins._entries) == remembered + 1
    del probabilities
    gc.collect()
    assert len(nn._origins._entries) == remembered


# -- sparse categorical ---------------------------------------------------------------
@pytest.mark.parametrize("from_softmax", [True, False])
def test_sparse_matches_categorical_on_one_hot_targets(from_softmax):
    z = random_array((4, 5), -2, 2)
    labels = np.array([0, 3, 4, 1])
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    if from_softmax:
        sparse = ops.sparse_categorical_crossentropy(labels, ops.softmax(a))
        dense = ops.categorical_crossentropy(np.eye(5)[labels], ops.softmax(b))
    else:
        sparse = ops.sparse_categorical_crossentropy(labels, a, from_logits=True)
        dense = ops.categorical_crossentropy(np.eye(5)[labels], b, from_logits=True)
    np.testing.assert_allclose(sparse.data, dense.data)
    np.testing.assert_allclose(gradients(ops.sum(sparse), [a])[0], gradients(ops.sum(dense), [b])[0])


def test_sparse_crossentropy_gradients_and_label_shapes():
    z = random_array((3, 2, 4), -2, 2)
    labels = np.array([[0, 3], [1, 1], [2, 0]])
    check_gradients(lambda t: ops.sparse_categorical_crossentropy(labels, t, from_logits=True), z)
    check_gradients(lambda t: ops.sparse_categorical_crossentropy(labels[..., None], ops.softmax(t)), z)
    check_gradients(lambda t: ops.sparse_categorical_crossentropy(labels[:, 0], ops.softmax(t)), z[:, 0])


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "categorical"])
def test_crossentropy_on_a_softmax_takes_its_log_probabilities_from_the_softmax(sparse, monkeypatch):
    z = random_array((6, 5), -30, 30)
    labels = np.array([0, 3, 4, 1, 1, 2])
    target = labels if sparse else np.eye(5)[labels]
    loss = ops.sparse_categorical_crossentropy if sparse else ops.categorical_crossentropy
    expected = loss(target, Tensor(z), from_logits=True).data
    recomputed, log_softmax = [], nn._log_softmax
    monkeypatch.setattr(nn, "_log_softmax", lambda *args: recomputed.append(1) or log_softmax(*args))
    probabilities = ops.softmax(Tensor(z))
    np.testing.assert_array_equal(loss(target, probabilities).data, expected)  # the same sums: the same numbers
    assert not recomputed
    probabilities.data = probabilities.data.copy()  # no longer the softmax's own values: computed afresh
    np.testing.assert_array_equal(loss(target, probabilities).data, expected)
    assert recomputed


def test_sparse_crossentropy_on_plain_probabilities():
    p = _soft_targets((3, 4), seed=3)
    labels = np.array([1, 0, 3])
    expected = -np.log(p[np.arange(3), labels])
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(labels, Tensor(p)).data, expected, rtol=1e-6)
    check_gradients(lambda t: ops.sparse_categorical_crossentropy(labels, t), p)


def test_sparse_crossentropy_over_a_non_last_axis():
    z = random_array((3, 4, 2), -2, 2)  # classes on axis 1
    labels = np.array([[0, 3], [1, 1], [2, 0]])
    expected = ops.sparse_categorical_crossentropy(labels, np.moveaxis(z, 1, -1), from_logits=True).data
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels, Tensor(z), from_logits=True, axis=1).data, expected)
    check_gradients(lambda t: ops.sparse_categorical_crossentropy(labels, t, from_logits=True, axis=1), z)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 4]), "labels must be in"),
    (np.array([0, -1]), "labels must be in"),
    (np.array([0, 1, 2]), "does not match"),
])
def test_sparse_crossentropy_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        ops.sparse_categorical_crossentropy(labels, np.full((2, 4), 0.25))


# -- binary -------------------------------------------------------------------------
def _unfused_binary(target, z):
    p = ops.clip(ops.sigmoid(z), EPS, 1 - EPS)
    return ops.negative(ops.add(ops.multiply(target, ops.log(p)),
                                ops.multiply(ops.subtract(1.0, target), ops.log(ops.subtract(1.0, p)))))


def test_fused_binary_crossentropy_matches_the_unfused_formula():
    z, t = random_array((4, 3), -3, 3), random_array((4, 3), 0, 1, seed=5)
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    fused = ops.binary_crossentropy(t, ops.sigmoid(a))
    plain = _unfused_binary(t, b)
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-6)
    np.testing.assert_allclose(gradients(ops.sum(fused), [a])[0], gradients(ops.sum(plain), [b])[0], rtol=1e-6)


@pytest.mark.parametrize("path", ["fused", "from_logits", "probabilities"])
def test_binary_crossentropy_gradients(path):
    z, t = random_array((3, 4), -3, 3), random_array((3, 4), 0, 1, seed=5)
    if path == "fused":
        fn = lambda logits, target: ops.binary_crossentropy(target, ops.sigmoid(logits))  # noqa: E731
    elif path == "from_logits":
        fn = lambda logits, target: ops.binary_crossentropy(target, logits, from_logits=True)  # noqa: E731
    else:
        z = random_array((3, 4), 0.05, 0.95, seed=6)
        fn = lambda p, target: ops.binary_crossentropy(target, p)  # noqa: E731
    check_gradients(fn, z, t)


def test_binary_crossentropy_on_plain_probabilities_is_the_keras_formula():
    p, t = np.array([0.0, 0.3, 1.0, 0.9]), np.array([1.0, 0.0, 1.0, 1.0])
    pc = np.clip(p, EPS, 1 - EPS)
    expected = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    np.testing.assert_allclose(ops.binary_crossentropy(t, Tensor(p)).data, expected, rtol=1e-5)


def test_fused_binary_crossentropy_is_stable_for_large_logits():
    z = Tensor(np.array([-100.0, 100.0]), requires_grad=True)
    loss = ops.binary_crossentropy(np.array([1.0, 0.0]), ops.sigmoid(z))
    np.testing.assert_allclose(loss.data, [100.0, 100.0])
    ops.sum(loss).backward()
    np.testing.assert_allclose(z.grad, [-1.0, 1.0])


# -- l2_normalize ---------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_l2_normalize(axis):
    x = random_array((3, 4))
    expected = x / np.sqrt(np.maximum(np.sum(x ** 2, axis=axis, keepdims=True), 1e-12))
    np.testing.assert_allclose(ops.l2_normalize(Tensor(x), axis=axis).data, expected)
    check_gradients(lambda t: ops.l2_normalize(t, axis=axis), x)
