"""The RNN cells, run through the generic ``RNN`` layer (fused and per-step), one table row each."""

import numpy as np
import pytest

from numkeras import layers
from numkeras.testing import layer_test

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
