"""CuDNNLSTM and CuDNNGRU: Keras's GPU-only layers, run here as LSTM / GRU with cuDNN's settings.

cuDNN's recurrences use ``tanh`` and ``sigmoid``, separate input and recurrent biases
(``bias`` of shape ``(8 * units,)`` for LSTM and ``(6 * units,)`` for GRU) and, for GRU,
the reset gate after the recurrent matmul (``reset_after=True``). Weights have Keras's
shapes and gate orders, so models saved with these layers load and run on the CPU.
"""

from ._arguments import weight_config
from .recurrent import GRU, LSTM, RNN
from .recurrent_cells import GRUCell, LSTMCell


class _CuDNNLSTMCell(LSTMCell):
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


class _CuDNNGRUCell(GRUCell):
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
