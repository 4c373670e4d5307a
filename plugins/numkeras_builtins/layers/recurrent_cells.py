"""RNN cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells.

A cell is what the generic :class:`~numkeras_builtins.layers.recurrent.RNN` layer
iterates over time: ``call(inputs, states, training=None) -> (output, new_states)``
for one timestep, plus ``state_size``. The built-in cells also implement
``sequence(...)``, which runs the whole sequence at once: the input projection of all
timesteps in one matmul, then one fused recurrent op (``numkeras.backend.ops.recurrent``)
that loops only over time. The RNN layer uses it whenever it can (activations the fused
ops implement, no constants) and falls back to the per-step ``call`` otherwise; both
give the same numbers.

Weights and gate orders are Keras's (LSTM ``i, f, c, o``; GRU ``z, r, h``), so weights
exchange with Keras files. Dropout: one input mask and one recurrent mask per sequence,
shared by all gates (Keras's ``implementation=2``).
"""

import numpy as np

from numkeras import activations
from numkeras import backend as K
from numkeras.backend import ops
from numkeras.backend.ops import recurrent as recurrent_ops
from numkeras.engine.base_layer import Layer
from numkeras.utils.random import generator

from . import _arguments as check


def _activation_name(activation):
    try:
        name = activations.serialize(activation)
    except (ValueError, TypeError, KeyError):
        return None
    return name if isinstance(name, str) else None


class _Cell(Layer):
    """Shared arguments and dropout handling of the built-in cells."""

    gates = 1

    def __init__(self, units=None, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        owner = type(self).__name__
        if units is None:
            raise TypeError(f"{owner}: the number of units is required, e.g. {owner}(32).")
        super().__init__(**kwargs)
        self.units = check.positive_int(owner, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = check.flag(owner, "use_bias", use_bias)
        check.set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        check.set_weight_arguments(self, "recurrent", recurrent_initializer, recurrent_regularizer, recurrent_constraint)
        check.set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.dropout = check.fraction(owner, "dropout", dropout, clip=True)  # clipped to [0, 1], as Keras 2.2 does
        self.recurrent_dropout = check.fraction(owner, "recurrent_dropout", recurrent_dropout, clip=True)
        self._input_mask = self._recurrent_mask = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _build_kernels(self, input_dim, bias_shape=None):
        width = self.gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=bias_shape or (width,),
                                        initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} {self.name}: the last axis of the input (features) must be "
                             f"known, got input shape {tuple(input_shape)}.")
        self._build_kernels(input_dim)
        self.built = True

    # -- dropout -----------------------------------------------------------------------
    def reset_dropout_mask(self):
        """Forget the masks, so that the next sequence draws new ones (called by RNN per batch)."""
        self._input_mask = self._recurrent_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_mask = None

    @staticmethod
    def _draw(rate, shape, dtype):
        keep = 1.0 - rate
        return ((generator().random(shape) < keep) / keep).astype(dtype)

    def _masks(self, batch, input_dim, dtype, training):
        """The (input, recurrent) dropout multipliers for this sequence, drawn once."""
        if not training:
            return None, None
        if 0 < self.dropout < 1 and self._input_mask is None:
            self._input_mask = self._draw(self.dropout, (batch, input_dim), dtype)
        if 0 < self.recurrent_dropout < 1 and self._recurrent_mask is None:
            self._recurrent_mask = self._draw(self.recurrent_dropout, (batch, self.units), dtype)
        return (self._input_mask if 0 < self.dropout < 1 else None,
                self._recurrent_mask if 0 < self.recurrent_dropout < 1 else None)

    def _projection(self, inputs, input_mask):
        """``inputs @ kernel + bias`` (any leading axes), after input dropout."""
        return K.dense(self._dropped_inputs(inputs, input_mask), self._input_kernel(), self._input_bias())

    @staticmethod
    def _dropped_inputs(inputs, input_mask):
        if input_mask is None:
            return inputs
        return inputs * (input_mask if inputs.ndim == 2 else input_mask[:, None, :])

    # The weights as ``inputs @ kernel`` and ``h @ recurrent_kernel`` use them; a cell that
    # stores them in another layout (Keras's CuDNN layers) converts them here.
    def _input_kernel(self):
        return self.kernel

    def _recurrent_kernel(self):
        return self.recurrent_kernel

    def _input_bias(self):
        return self.bias

    def _fusable(self, *activation_list):
        return all(recurrent_ops.is_fusable(_activation_name(a)) for a in activation_list)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            **check.weight_config(self, "kernel", "recurrent", "bias"),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
        )
        return config


class SimpleRNNCell(_Cell):
    """Cell of a fully-connected RNN: ``h = activation(x @ kernel + h @ recurrent_kernel + bias)``.

    Arguments:
        units: dimensionality of the output / state.
        activation: default ``tanh``.
        use_bias, kernel_initializer (``glorot_uniform``), recurrent_initializer
            (``orthogonal``), bias_initializer (``zeros``), and the regularizers and constraints
            of ``kernel``, ``recurrent_kernel`` and ``bias``.
        dropout: fraction of the input units to drop (training only).
        recurrent_dropout: fraction of the recurrent state units to drop.
    """

    def call(self, inputs, states, training=None):
        h = states[0]
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        if recurrent_mask is not None:
            h = h * recurrent_mask
        output = self.activation(self._projection(inputs, input_mask) + ops.matmul(h, self.recurrent_kernel))
        return output, [output]

    def sequence(self, inputs, states, mask=None, training=None, go_backwards=False, return_sequences=True):
        if not self._fusable(self.activation):
            return None
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        hs = recurrent_ops.simple_rnn_sequence(
            self._dropped_inputs(inputs, input_mask), states[0], self.recurrent_kernel, _activation_name(self.activation),
            mask, recurrent_mask, go_backwards, kernel=self._input_kernel(), bias=self._input_bias(),
            return_sequences=return_sequences)
        return _sequence_result(hs, return_sequences)


def _sequence_result(hs, return_sequences):
    """A one-state cell's ``sequence`` result from its op's output: every step's states, or the last's."""
    last = hs[:, -1] if return_sequences else hs
    return (hs if return_sequences else None), last, [last]


class LSTMCell(_Cell):
    """Cell of a Long Short-Term Memory layer (Hochreiter, 1997); states ``[h, c]``.

    Arguments are those of :class:`SimpleRNNCell`, plus:
        recurrent_activation: of the gates (default ``hard_sigmoid``, as in Keras 2.2).
        unit_forget_bias: add 1 to the forget-gate bias at initialization (Jozefowicz et al.).
        implementation: accepted for compatibility (1 or 2); numkeras always fuses.

    Weights: ``kernel (input_dim, 4 * units)``, ``recurrent_kernel (units, 4 * units)``,
    ``bias (4 * units,)``, gates in the order ``i, f, c, o``.
    """

    gates = 4

    def __init__(self, units=None, activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, implementation=1, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = implementation

    @property
    def state_size(self):
        return (self.units, self.units)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def bias_initializer(shape, dtype=None):
            # Keras: [init(units), ones(units), init(2 * units)] for the gates i, f, c, o.
            values = np.array(base((4 * units,), dtype=dtype), dtype=dtype)
            values[units:2 * units] = 1
            return values.reshape(shape)

        return bias_initializer

    def call(self, inputs, states, training=None):
        h, c = states[0], states[1]
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = self._projection(inputs, input_mask) + ops.matmul(h, self._recurrent_kernel())
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]

    def sequence(self, inputs, states, mask=None, training=None, go_backwards=False, return_sequences=True):
        if not self._fusable(self.activation, self.recurrent_activation):
            return None
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        # The ops project the inputs themselves (less memory than a projection before them).
        states_out = recurrent_ops.lstm_sequence(
            self._dropped_inputs(inputs, input_mask), states[0], states[1], self._recurrent_kernel(),
            _activation_name(self.activation), _activation_name(self.recurrent_activation), mask, recurrent_mask,
            go_backwards, kernel=self._input_kernel(), bias=self._input_bias(), return_sequences=return_sequences)
        u = self.units
        last = states_out[:, -1] if return_sequences else states_out
        h, c = last[:, :u], last[:, u:]
        return (states_out[:, :, :u] if return_sequences else None), h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias, implementation=self.implementation)
        return config


class GRUCell(_Cell):
    """Cell of a Gated Recurrent Unit layer (Cho et al., 2014).

    Arguments are those of :class:`LSTMCell` (without ``unit_forget_bias``), plus:
        reset_after: apply the reset gate after the recurrent matmul (``False``, Keras 2.2's
            default) or before it (``True``, the CuDNN-compatible variant, with separate input
            and recurrent biases: ``bias`` has shape ``(2, 3 * units)``).

    Weights: ``kernel (input_dim, 3 * units)``, ``recurrent_kernel (units, 3 * units)``,
    ``bias``, gates in the order ``z, r, h``.
    """

    gates = 3

    def __init__(self, units=None, activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 implementation=1, reset_after=False, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = implementation
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"GRUCell {self.name}: the last axis of the input must be known, got {tuple(input_shape)}.")
        self._build_kernels(input_dim, (2, 3 * self.units) if self.reset_after else None)
        self.built = True

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def _recurrent_bias(self):
        if self.bias is None or not self.reset_after:
            return None
        return self.bias[1]

    def call(self, inputs, states, training=None):
        h = states[0]
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        h_in = h if recurrent_mask is None else h * recurrent_mask
        x = self._projection(inputs, input_mask)
        u, recurrent_kernel = self.units, self._recurrent_kernel()
        if self.reset_after:
            inner = ops.matmul(h_in, recurrent_kernel)
            if self.bias is not None:
                inner = inner + self._recurrent_bias()
            z = self.recurrent_activation(x[:, :u] + inner[:, :u])
            r = self.recurrent_activation(x[:, u:2 * u] + inner[:, u:2 * u])
            hh = self.activation(x[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            zr = ops.matmul(h_in, recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(x[:, :u] + zr[:, :u])
            r = self.recurrent_activation(x[:, u:2 * u] + zr[:, u:])
            hh = self.activation(x[:, 2 * u:] + ops.matmul(r * h_in, recurrent_kernel[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h]

    def sequence(self, inputs, states, mask=None, training=None, go_backwards=False, return_sequences=True):
        if not self._fusable(self.activation, self.recurrent_activation):
            return None
        input_mask, recurrent_mask = self._masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        hs = recurrent_ops.gru_sequence(
            self._dropped_inputs(inputs, input_mask), states[0], self._recurrent_kernel(), self._recurrent_bias(),
            _activation_name(self.activation), _activation_name(self.recurrent_activation), self.reset_after, mask,
            recurrent_mask, go_backwards, kernel=self._input_kernel(), bias=self._input_bias(),
            return_sequences=return_sequences)
        return _sequence_result(hs, return_sequences)

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      implementation=self.implementation, reset_after=self.reset_after)
        return config


class StackedRNNCells(Layer):
    """Several cells run as one: the output of each is the input of the next.

    States are a flat list in reverse order of the stack (Keras 2.2), so that
    ``state_size[0]`` is the output size: a 2-layer LSTM has states ``[h2, c2, h1, c1]``.

    Example:
        >>> RNN(StackedRNNCells([LSTMCell(32), LSTMCell(16)]))   # same as RNN([LSTMCell(32), LSTMCell(16)])
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise TypeError(f"StackedRNNCells: cells must be a non-empty list of RNN cells, got {cells!r}.")
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs a call method and a state_size attribute; "
                                 f"got {cell!r}.")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @staticmethod
    def _sizes(cell):
        size = cell.state_size
        return list(size) if hasattr(size, "__len__") else [size]

    @property
    def state_size(self):
        sizes = []
        for cell in self.cells[::-1]:
            sizes += self._sizes(cell)
        return tuple(sizes)

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", self._sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (shape[0], getattr(cell, "output_size", self._sizes(cell)[0]))
        self.built = True

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def _per_cell(self, states):
        """The reversed flat list of states as one list per cell, in stack order."""
        per_cell, position = [], 0
        for cell in self.cells[::-1]:
            n = len(self._sizes(cell))
            per_cell.append(list(states[position:position + n]))
            position += n
        return per_cell[::-1]

    def sequence(self, inputs, states, mask=None, training=None, go_backwards=False, return_sequences=True):
        """Each cell's fused whole-sequence op in turn, the outputs of one the inputs of the next.

        What the per-step loop computes: the first cell reads the input in processing order
        (backwards with ``go_backwards``), and the next cells read their predecessor's outputs,
        which are already in that order (so the mask is too). At a masked step every cell keeps
        its states, so the stack's output is its previous one, as in the per-step loop.
        ``None`` (the per-step loop runs) when a cell has no fused op for its settings.
        """
        if not all(hasattr(cell, "sequence") for cell in self.cells):
            return None
        outputs, new_states = inputs, []
        for index, (cell, cell_states) in enumerate(zip(self.cells, self._per_cell(states))):
            first, last = index == 0, index == len(self.cells) - 1
            result = cell.sequence(outputs, cell_states, mask=mask, training=training,
                                   go_backwards=go_backwards and first, return_sequences=return_sequences or not last)
            if result is None:
                return None
            outputs, last_output, cell_states = result
            new_states.append(list(cell_states))
            if first and go_backwards and mask is not None:
                mask = mask[:, ::-1]
        flat = []
        for cell_states in new_states[::-1]:
            flat += cell_states
        return outputs, last_output, flat

    def call(self, inputs, states, training=None, constants=None):
        per_cell = self._per_cell(states)
        new_states = []
        for cell, cell_states in zip(self.cells, per_cell):
            kwargs = {}
            if "training" in _parameters(cell.call):
                kwargs["training"] = training
            if constants is not None and "constants" in _parameters(cell.call):
                kwargs["constants"] = constants
            inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            new_states.append(list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states])
        flat = []
        for cell_states in new_states[::-1]:
            flat += cell_states
        return inputs, flat

    def get_config(self):
        from numkeras import layers

        config = super().get_config()
        config["cells"] = [layers.serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras import layers

        config = dict(config)
        cells = [layers.deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _parameters(function):
    import inspect

    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
