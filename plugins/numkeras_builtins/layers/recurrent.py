"""Recurrent layers: the generic ``RNN`` over any cell, and SimpleRNN, LSTM, GRU.

``RNN(cell)`` runs a cell over the time axis of ``(batch, timesteps, features)``
inputs. It supports ``return_sequences``, ``return_state``, ``go_backwards``,
``stateful`` (with ``reset_states``), ``initial_state`` (also as extra inputs in the
functional API), ``constants``, dropout inside the built-in cells, and masking (masked
timesteps carry the previous state over). Built-in cells run fused: one matmul for the
input projection of all timesteps and one op that loops only over time.

Keras 1 names (``output_dim``, ``init``, ``inner_init``, ``inner_activation``,
``forget_bias_init``, ``W/U/b_regularizer``, ``dropout_W``, ``dropout_U``,
``consume_less``, ``input_dim`` / ``input_length``) are accepted with a DeprecationWarning.
"""

import inspect
import warnings

import numpy as np

from numkeras import backend as K
from numkeras.backend.ops.recurrent import rnn as generic_rnn
from numkeras.backend.tensor import Tensor
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check
from .recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells

# tf.keras config keys that carry no meaning here (with the only value numkeras supports).
_IGNORED = {"time_major": False, "zero_output_for_mask": None}


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}


def _sizes(state_size):
    return list(state_size) if hasattr(state_size, "__len__") else [state_size]


def _take_keras1_input_shape(owner, kwargs):
    """Keras 1 recurrent layers took ``input_dim`` and ``input_length``: input_shape=(length, dim)."""
    if "input_length" in kwargs or ("input_dim" in kwargs and "input_shape" not in kwargs):
        length, dim = kwargs.pop("input_length", None), kwargs.pop("input_dim", None)
        warnings.warn(f"{owner}: the Keras 1 arguments input_dim / input_length are deprecated; use "
                      f"input_shape=({length}, {dim}) instead.", DeprecationWarning, stacklevel=4)
        kwargs["input_shape"] = (length, dim)


def _pop_ignored(owner, kwargs):
    for key, supported in _IGNORED.items():
        if key in kwargs:
            value = kwargs.pop(key)
            if supported is not None and value != supported:
                raise ValueError(f"{owner}: {key}={value!r} is not supported (only {supported!r}).")


class RNN(Layer):
    """Base class for recurrent layers: runs ``cell`` over the timesteps of its input.

    Arguments:
        cell: an RNN cell (``call(inputs, states) -> (output, new_states)`` and ``state_size``),
            or a list of cells (stacked).
        return_sequences: return the output of every timestep ``(batch, timesteps, units)``
            instead of the last one ``(batch, units)``.
        return_state: also return the final states: ``[output, state_1, …]``.
        go_backwards: process the sequence backwards (outputs in processing order).
        stateful: the final states of batch ``i`` are the initial states of batch ``i`` of
            the next call (fix the batch size with ``batch_input_shape``); ``reset_states()``
            zeroes them.
        unroll: accepted for compatibility (numkeras always loops).

    Call arguments: ``mask`` (``(batch, timesteps)`` booleans), ``training``,
    ``initial_state`` (a list of tensors, one per state), ``constants`` (tensors passed to
    every step of a cell whose ``call`` takes ``constants``).

    Example:
        >>> x = Input((None, 5))
        >>> y = RNN(LSTMCell(32))(x)                        # (None, 32)
        >>> y, h, c = RNN(LSTMCell(32), return_state=True)(x)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, **kwargs):
        owner = type(self).__name__
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call"):
            raise ValueError(f"{owner}: the cell should have a call method; got {cell!r}.")
        if not hasattr(cell, "state_size"):
            raise ValueError(f"{owner}: the cell should have a state_size attribute (an int, or one int per "
                             f"state); got {cell!r}.")
        _pop_ignored(owner, kwargs)
        _take_keras1_input_shape(owner, kwargs)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = check.flag(owner, "return_sequences", return_sequences)
        self.return_state = check.flag(owner, "return_state", return_state)
        self.go_backwards = check.flag(owner, "go_backwards", go_backwards)
        self.stateful = check.flag(owner, "stateful", stateful)
        self.unroll = check.flag(owner, "unroll", unroll)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.states = None
        self._num_constants = 0
        self._num_state_inputs = 0

    # -- shapes --------------------------------------------------------------------------
    @property
    def _state_sizes(self):
        return _sizes(self.cell.state_size)

    def _output_size(self):
        return getattr(self.cell, "output_size", self._state_sizes[0])

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self._output_size()) if self.return_sequences else (batch, self._output_size())
        if self.return_state:
            return [tuple(output)] + [(batch, size) for size in self._state_sizes]
        return tuple(output)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_sizes)
        return output_mask

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected an input of rank 3 (batch, "
                             f"timesteps, features), got shape {tuple(input_shape)}.")
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
            self._name_cell_weights()
        self.built = True

    def _name_cell_weights(self):
        """Keras names a recurrent layer's weights after the layer (``lstm_1/kernel:0``)."""
        if isinstance(self.cell, StackedRNNCells):
            return
        for w in self.cell.weights:
            short = (w.name or "").split("/")[-1]
            w.name = f"{self.name}/{short}"

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        if isinstance(inputs, (list, tuple)) and initial_state is None and constants is None:
            # [x, state_1, …] as one list (the functional API's way of passing initial states).
            inputs, rest = inputs[0], list(inputs[1:])
            n_states = len(self._state_sizes)
            initial_state, constants = rest[:n_states] or None, rest[n_states:] or None
        if initial_state is None and constants is None:
            self._num_state_inputs = self._num_constants = 0
            self.input_spec = InputSpec(ndim=3)
            return super().__call__(inputs, **kwargs)
        initial_state = [] if initial_state is None else (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state])
        constants = [] if constants is None else (
            list(constants) if isinstance(constants, (list, tuple)) else [constants])
        if initial_state and len(initial_state) != len(self._state_sizes):
            raise ValueError(
                f"{type(self).__name__} layer {self.name} has {len(self._state_sizes)} state(s) "
                f"(state sizes {self._state_sizes}), but it was passed an initial_state of {len(initial_state)} "
                f"tensor(s)."
            )
        self._num_state_inputs, self._num_constants = len(initial_state), len(constants)
        self.input_spec = [InputSpec(ndim=3)] + [None] * (len(initial_state) + len(constants))
        return super().__call__([inputs] + initial_state + constants, **kwargs)

    def _split_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            return inputs, None, []
        inputs = list(inputs)
        x = inputs[0]
        states = inputs[1:1 + self._num_state_inputs] or None
        constants = inputs[1 + self._num_state_inputs:]
        return x, states, constants

    def get_initial_state(self, inputs):
        """Zero states, one ``(batch, size)`` array per state."""
        return [Tensor(np.zeros((inputs.shape[0], size), dtype=inputs.dtype)) for size in self._state_sizes]

    def _stateful_states(self, inputs):
        batch = inputs.shape[0]
        if self.states is None or any(s is None or s.shape[0] != batch for s in self.states):
            if self.states is not None and any(s is not None and s.shape[0] != batch for s in self.states):
                raise ValueError(
                    f"Stateful layer {self.name} was built for batches of {self.states[0].shape[0]} samples, but "
                    f"it received a batch of {batch}. Feed every batch with the same size (batch_input_shape) or "
                    f"call reset_states()."
                )
            self.states = [np.zeros((batch, size), dtype=inputs.dtype) for size in self._state_sizes]
        return [Tensor(s) for s in self.states]

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        x, states, extra = self._split_inputs(inputs)
        initial_state = initial_state if initial_state is not None else states
        constants = list(constants or []) + list(extra)
        if isinstance(mask, list):
            mask = mask[0]
        if mask is not None:
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} layer {self.name}: expected an input of rank 3 (batch, "
                             f"timesteps, features), got shape {tuple(x.shape)}.")
        if x.shape[1] == 0:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the input sequence has no timesteps.")
        if initial_state is None:
            initial_state = self._stateful_states(x) if self.stateful else self.get_initial_state(x)
        else:
            initial_state = [s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=x.dtype)) for s in initial_state]
        if training is None:
            training = K.learning_phase()
        if hasattr(self.cell, "reset_dropout_mask"):
            self.cell.reset_dropout_mask()

        result = None
        if not constants and hasattr(self.cell, "sequence"):
            result = self.cell.sequence(x, initial_state, mask=mask, training=training,
                                        go_backwards=self.go_backwards, return_sequences=self.return_sequences)
        if result is not None:
            outputs, last_output, states = result
        else:
            last_output, outputs, states = self._run_steps(x, initial_state, constants, mask, training)
        if self.stateful:
            self.states = [np.array(s.data) for s in states]
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def _run_steps(self, x, initial_state, constants, mask, training):
        parameters = _parameters(self.cell.call)
        kwargs = {}
        if "training" in parameters:
            kwargs["training"] = training
        n_states = len(initial_state)

        def step(inputs, states):
            if constants:
                return self.cell.call(inputs, states[:n_states], constants=states[n_states:], **kwargs)
            return self.cell.call(inputs, states, **kwargs)

        if constants and "constants" not in parameters:
            raise ValueError(f"RNN layer {self.name}: constants were given, but the cell's call does not take a "
                             f"`constants` argument.")
        return generic_rnn(step, x, initial_state, go_backwards=self.go_backwards, mask=mask, constants=constants)

    def reset_states(self, states=None):
        """Zeroes the states of a stateful layer, or sets them to ``states`` (one array per state)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name} must be stateful to reset its states.")
        if states is None:
            if self.states is not None:
                self.states = [np.zeros_like(s) for s in self.states]
            else:
                batch = (self._batch_input_shape or (None,))[0]
                if batch is not None:
                    self.states = [np.zeros((batch, size), dtype=self.dtype) for size in self._state_sizes]
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != len(self._state_sizes):
            raise ValueError(f"Layer {self.name} expects {len(self._state_sizes)} states, but it received "
                             f"{len(states)} state values.")
        values = []
        for value, size in zip(states, self._state_sizes):
            value = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=self.dtype)
            if value.ndim != 2 or value.shape[1] != size:
                raise ValueError(f"Layer {self.name}: a state value has shape {value.shape}; expected "
                                 f"(batch, {size}).")
            values.append(value.copy())
        self.states = values

    # -- config -------------------------------------------------------------------------------
    def get_config(self):
        from numkeras import layers

        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll)
        if self._num_constants:
            config["num_constants"] = self._num_constants
        if type(self) is RNN:
            config["cell"] = layers.serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras import layers

        config = dict(config)
        num_constants = config.pop("num_constants", 0)
        cell = layers.deserialize(config.pop("cell"), custom_objects=custom_objects)
        layer = cls(cell, **config)
        layer._num_constants = num_constants
        return layer


@legacy.renames(legacy.WEIGHTS, legacy.RECURRENT)
class _CellLayer(RNN):
    """A recurrent layer defined by its built-in cell class; the cell's arguments are the layer's."""

    cell_class = None

    def __init__(self, units=None, **kwargs):
        owner = type(self).__name__
        cell_params = [p for p in _parameters(self.cell_class.__init__) if p not in ("self", "kwargs")]
        cell_kwargs = {name: kwargs.pop(name) for name in list(kwargs) if name in cell_params}
        cell_kwargs["units"] = units
        if cell_kwargs["units"] is None:
            raise TypeError(f"{owner}: the number of units is required, e.g. {owner}(32).")
        if cell_kwargs.get("implementation") == 0:
            cell_kwargs["implementation"] = 1
        cell = self.cell_class(dtype=kwargs.get("dtype"), **cell_kwargs)
        super().__init__(cell, **kwargs)

    def __getattr__(self, name):
        # units, activation, dropout … read through to the cell, as Keras's properties do.
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and hasattr(cell, name):
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            config.pop(key, None)
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("num_constants", None)
        return cls(**config)


class SimpleRNN(_CellLayer):
    """Fully-connected RNN whose output is fed back as input: ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    Arguments: those of :class:`~numkeras_builtins.layers.recurrent_cells.SimpleRNNCell`
    (``units``, ``activation``, ``use_bias``, initializers, regularizers, constraints,
    ``dropout``, ``recurrent_dropout``) and of :class:`RNN` (``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``, ``unroll``).

    Example:
        >>> model.add(SimpleRNN(32, input_shape=(10, 8)))
    """

    cell_class = SimpleRNNCell


class LSTM(_CellLayer):
    """Long Short-Term Memory layer (Hochreiter, 1997).

    Arguments: those of :class:`~numkeras_builtins.layers.recurrent_cells.LSTMCell`
    (``units``, ``activation='tanh'``, ``recurrent_activation='hard_sigmoid'``,
    ``unit_forget_bias=True``, ``dropout``, ``recurrent_dropout`` …) and of :class:`RNN`.
    Keras 1: ``LSTM(output_dim, init=, inner_init=, inner_activation=, forget_bias_init=,
    W_regularizer=, U_regularizer=, b_regularizer=, dropout_W=, dropout_U=, consume_less=)``.

    Example:
        >>> model = Sequential([Embedding(20000, 128), LSTM(128, dropout=0.2, recurrent_dropout=0.2),
        ...                     Dense(1, activation='sigmoid')])
    """

    cell_class = LSTMCell


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al., 2014); ``reset_after=True`` is the CuDNN-compatible variant.

    Arguments: those of :class:`~numkeras_builtins.layers.recurrent_cells.GRUCell` and of :class:`RNN`.
    """

    cell_class = GRUCell
