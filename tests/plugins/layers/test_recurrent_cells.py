"""The RNN cells, run through the generic ``RNN`` layer (fused and per-step), one table row each."""

import numpy as np
import pytest

from numkeras import backend as K
from numkeras import layers
from numkeras.testing import layer_test
from numkeras.testing.gradcheck import check_layer_gradients, float64

CELLS = [
    ("SimpleRNNCell", dict(units=3)),
    ("SimpleRNNCell", dict(units=3, activation="softsign")),  # not fusable: per-step path
    ("LSTMCell", dict(units=2)),
    ("LSTMCell", dict(units=2, unit_forget_bias=False, use_bias=False)),
    ("GRUCell", dict(units=2)),
    ("GRUCell", dict(units=2, reset_after=True, recurrent_activation="sigmoid")),
]


@pytest.mark.parametrize("cell, kwargs", CELLS)
def test_cell_in_rnn(cell, kwargs):
    layer_test("RNN", dict(cell=getattr(layers, cell)(**kwargs), return_sequences=True), (2, 3, 4),
               expected_output_shape=(2, 3, kwargs["units"]))


@pytest.mark.parametrize("cell, kwargs", CELLS)
def test_single_step_call(cell, kwargs):
    layer = getattr(layers, cell)(**kwargs)
    layer.build((None, 4))
    sizes = layer.state_size if hasattr(layer.state_size, "__len__") else [layer.state_size]
    states = [np.zeros((2, s), dtype="float32") for s in sizes]
    output, new_states = layer.call(np.ones((2, 4), dtype="float32"), states)
    assert output.shape == (2, kwargs["units"]) and len(new_states) == len(sizes)


def test_stacked_cells_state_order_is_reversed_as_in_keras():
    stacked = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    assert stacked.state_size == (2, 3, 3)
    assert stacked.output_size == 2


def test_dropout_masks_are_reused_across_a_sequence_and_redrawn_per_batch():
    cell = layers.SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5)
    rnn = layers.RNN(cell)
    x = np.ones((4, 5, 2), dtype="float32")
    rnn(x, training=True)
    first = cell._input_mask.copy()
    rnn(x, training=True)
    assert cell._input_mask.shape == (4, 2)
    assert not np.array_equal(first, cell._input_mask) or first.all()



def _stack():
    return [layers.LSTMCell(3), layers.GRUCell(2, reset_after=True, recurrent_activation="sigmoid"),
            layers.SimpleRNNCell(4)]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_stacked_cells_run_fused_with_the_per_step_loops_numbers_and_gradients(go_backwards, return_sequences):
    rng = np.random.default_rng(3)
    x = K.variable(rng.standard_normal((3, 6, 4)))
    mask = rng.random((3, 6)) > 0.3
    mask[0] = False  # a sample with every step masked keeps its initial (zero) states
    layer = layers.RNN(_stack(), return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    results = []
    for fused in (True, False):
        if not fused:  # the stack's per-step loop: each cell's call, step by step, on the tape
            layer.cell.sequence = lambda *args, **kwargs: None
        outputs = layer(x, mask=mask)
        weights = [np.random.default_rng(i).standard_normal(o.shape) for i, o in enumerate(outputs)]
        loss = sum(K.sum(o * w) for o, w in zip(outputs, weights))
        grads = K.gradients(loss, [x] + layer.trainable_weights)
        results.append(([o.data for o in outputs], [g.data for g in grads]))
    (fused_outputs, fused_grads), (step_outputs, step_grads) = results
    for a, b in zip(fused_outputs + fused_grads, step_outputs + step_grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert fused_outputs[0].shape == ((3, 6, 4) if return_sequences else (3, 4))


def test_stacked_cells_fused_gradients_are_right_in_float64():
    rng = np.random.default_rng(4)
    mask = rng.random((2, 4)) > 0.3
    with float64():
        check_layer_gradients(layers.RNN(_stack(), return_sequences=True, go_backwards=True),
                              rng.standard_normal((2, 4, 3)), mask=mask)


def test_a_stack_with_a_cell_without_a_fused_op_runs_step_by_step():
    stack = layers.StackedRNNCells([layers.LSTMCell(3), layers.SimpleRNNCell(2, activation="softsign")])
    layer = layers.RNN(stack)
    x = K.variable(np.random.default_rng(5).standard_normal((2, 4, 3)))
    assert layer(x).shape == (2, 2)  # (built now)
    assert stack.sequence(x, layer.get_initial_state(x)) is None
