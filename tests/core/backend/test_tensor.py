"""Tensor, Variable and the tape: accumulation, shared nodes, depth, no_tape, gradients()."""

import sys

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.backend import Tensor, Variable, ops
from numkeras.backend.tensor import gradients, is_recording, no_tape, tape


def test_python_floats_become_floatx_and_arrays_keep_their_dtype():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64
    assert Tensor([1, 2]).dtype.kind == "i"


def test_floatx_float64_changes_the_default(floatx64):
    assert Tensor(1.5).dtype == np.float64


def test_backward_twice_accumulates_into_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.sum(x * x)
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y.backward()  # the graph is kept; leaf gradients add up, as in PyTorch
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.grad = None
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_backward_with_an_explicit_seed_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).backward(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [3.0, -3.0])


def test_backward_broadcasts_a_scalar_seed():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).backward(2.0)
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_a_node_used_twice_sums_its_gradients():
    x = Tensor(np.array(3.0), requires_grad=True)
    (x * x).backward()
    assert x.grad == 6.0
    x.grad = None
    (x + x + x).backward()
    assert x.grad == 3.0


def test_diamond_graph_sums_both_paths():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = ops.tanh(x)
    y = ops.sum(h * 2.0 + ops.exp(h))  # h used by two ops
    y.backward()
    expected = (2.0 + np.exp(np.tanh(x.data))) * (1 - np.tanh(x.data) ** 2)
    np.testing.assert_allclose(x.grad, expected)


def test_a_deep_chain_does_not_hit_the_recursion_limit():
    depth = max(5000, sys.getrecursionlimit() + 100)
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** depth)


def test_no_tape_records_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_tape():
        assert not is_recording()
        y = ops.exp(x) * 2.0 + x
    assert is_recording()
    assert y.requires_grad is False and y.creator is None
    with pytest.raises(RuntimeError, match="does not require gradients"):
        y.backward()


def test_tape_inside_no_tape_records_again_and_state_survives_errors():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_tape():
        with tape():
            assert ops.exp(x).requires_grad
        assert not is_recording()
    with pytest.raises(ZeroDivisionError):
        with no_tape():
            1 / 0
    assert is_recording()


def test_constants_do_not_require_gradients():
    y = ops.exp(Tensor(np.ones(2))) + np.ones(2)
    assert not y.requires_grad


def test_gradients_returns_none_for_unconnected_variables():
    x = K.variable(np.ones(2))
    unused = K.variable(np.ones(3))
    loss = ops.sum(x * 2.0)
    gx, gu = K.gradients(loss, [x, unused])
    np.testing.assert_array_equal(gx, [2.0, 2.0])
    assert gu is None


def test_gradients_of_a_constant_loss_are_none():
    x = K.variable(np.ones(2))
    assert K.gradients(Tensor(np.array(1.0)), [x]) == [None]


def test_gradients_with_respect_to_intermediate_tensors():
    x = K.variable(np.array([0.3, -0.7]))
    h = ops.tanh(x)
    z = h * 3.0
    loss = ops.sum(ops.square(z) + h)
    gh, gz, gx = gradients(loss, [h, z, x])
    np.testing.assert_allclose(gz, 2 * z.data)
    np.testing.assert_allclose(gh, 2 * z.data * 3.0 + 1.0)
    np.testing.assert_allclose(gx, gh * (1 - h.data ** 2))


def test_gradients_do_not_touch_grad():
    x = K.variable(np.ones(2))
    gradients(ops.sum(x * x), [x])
    assert x.grad is None


def test_gradients_with_a_seed():
    x = K.variable(np.ones(2))
    (g,) = gradients(x * 3.0, [x], grad_output=np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [3.0, 6.0])


def test_detach_cuts_the_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    d = (x * 2.0).detach()
    assert not d.requires_grad
    loss = ops.sum(d * x)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_variable_assign_keeps_dtype_and_checks_shape():
    v = Variable(np.zeros((2, 2)), dtype="float32", name="w")
    v.assign(np.ones((2, 2)))
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v.data, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"shape \(3,\).*w.*\(2, 2\)"):
        v.assign(np.ones(3))


def test_variable_copies_its_initial_value():
    value = np.zeros(2, dtype=np.float32)
    v = Variable(value)
    v.assign([1.0, 1.0])
    assert value[0] == 0.0


def test_array_protocol_and_python_conversions():
    t = Tensor(np.array([[1.0, 2.0]]))
    assert np.asarray(t) is t.data
    assert float(Tensor(np.array(2.5))) == 2.5 and int(Tensor(np.array(3))) == 3
    assert len(t) == 1 and [row.shape for row in t] == [(2,)]
    assert "requires_grad=True" in repr(Tensor(np.ones(1), requires_grad=True))
