"""CuDNNLSTM and CuDNNGRU: Keras's GPU-only layers, run here as LSTM / GRU with cuDNN's settings.

cuDNN's recurrences use ``tanh`` and ``sigmoid``, separate input and recurrent biases
(``bias`` of shape ``(8 * units,)`` for LSTM and ``(6 * units,)`` for GRU) and, for GRU,
the reset gate after the recurrent matmul (``reset_after=True``).

The weights are stored as Keras 2.2.4's CuDNN layers store them, so that files move
between Keras and numkeras unchanged: ``kernel (input_dim, gates * units)`` and
``recurrent_kernel (units, gates * units)`` in Keras's gate order (LSTM ``i, f, c, o``,
GRU ``z, r, h``), but each gate's block holds, row-major, cuDNN's matrix (Keras copies
the blocks as they are into cuDNN's parameter buffer): the input matrix of a gate is
its block read as ``(units, input_dim)``, the recurrent matrix its block read as it is.
As ``inputs @ kernel`` the cells use each block re-read as ``(units, input_dim)`` and
transposed, and each recurrent block transposed — the conversion Keras 2.2.4 applies
when it loads CuDNNLSTM weights into an LSTM
(``numkeras.saving.legacy_weights.convert_rnn_weights``).
"""

from numkeras.backend import ops

from ._arguments import weight_config
from .recurrent import GRU, LSTM, RNN
from .recurrent_cells import GRUCell, LSTMCell


class _CuDNNLayout:
    """The kernels of Keras's CuDNN layers, as ``inputs @ kernel`` and ``h @ recurrent_kernel`` use them."""

    def _input_kernel(self):
        input_dim, gates, units = self.kernel.shape[0], self.gates, self.units
        # block g (input_dim, units), C-ordered, is cuDNN's (units, input_dim) matrix W_g;
        # the Keras-layout block is W_g.T.
        blocks = ops.reshape(ops.transpose(ops.reshape(self.kernel, (input_dim, gates, units)), (1, 0, 2)),
                             (gates, units, input_dim))
        return ops.reshape(ops.transpose(blocks, (2, 0, 1)), (input_dim, gates * units))

    def _recurrent_kernel(self):
        gates, units = self.gates, self.units
        blocks = ops.reshape(self.recurrent_kernel, (units, gates, units))
        return ops.reshape(ops.transpose(blocks, (2, 1, 0)), (units, gates * units))


class _CuDNNLSTMCell(_CuDNNLayout, LSTMCell):
    def __init__(self, units=None, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(units, "tanh", "sigmoid", True, kernel_initializer, recurrent_initializer,
                         bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        self._build_kernels(input_shape[-1], (8 * self.units,))
        self.built = True

    def _bias_initializer(self):
        units, base, forget = self.units, self.bias_initializer, self.unit_forget_bias

        def bias_initializer(shape, dtype=None):
            import numpy as np

            values = np.array(base((8 * units,), dtype=dtype), dtype=dtype)
            if forget:  # Keras: ones on the recurrent bias of the forget gate
                values[5 * units:6 * units] = 1
            return values

        return bias_initializer

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[:4 * self.units] + self.bias[4 * self.units:]


class _CuDNNGRUCell(_CuDNNLayout, GRUCell):
    def __init__(self, units=None, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(units, "tanh", "sigmoid", True, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, reset_after=True, **kwargs)

    def build(self, input_shape):
        self._build_kernels(input_shape[-1], (6 * self.units,))
        self.built = True

    def _input_bias(self):
        return None if self.bias is None else self.bias[:3 * self.units]

    def _recurrent_bias(self):
        return None if self.bias is None else self.bias[3 * self.units:]


def _config(layer, extra=()):
    cell = layer.cell
    config = {key: value for key, value in RNN.get_config(layer).items()
              if key in ("name", "trainable", "dtype", "batch_input_shape", "return_sequences", "return_state",
                         "go_backwards", "stateful")}
    config.update(units=cell.units, **weight_config(cell, "kernel", "recurrent", "bias"))
    for key in extra:
        config[key] = getattr(cell, key)
    return config


class CuDNNLSTM(LSTM):
    """Keras's ``CuDNNLSTM``: an LSTM with ``tanh`` / ``sigmoid`` and separate input and recurrent biases.

    Arguments: ``units``, ``kernel_initializer``, ``recurrent_initializer``, ``bias_initializer``,
    ``unit_forget_bias``, the regularizers and constraints, ``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``. No dropout (as in Keras).
    """

    cell_class = _CuDNNLSTMCell

    def get_config(self):
        return _config(self, extra=("unit_forget_bias",))


class CuDNNGRU(GRU):
    """Keras's ``CuDNNGRU``: a GRU with ``reset_after=True``, ``tanh`` / ``sigmoid``, bias ``(6 * units,)``.

    Arguments as :class:`CuDNNLSTM` (without ``unit_forget_bias``).
    """

    cell_class = _CuDNNGRUCell

    def get_config(self):
        return _config(self)
