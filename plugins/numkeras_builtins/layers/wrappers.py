"""Layer wrappers: TimeDistributed, Bidirectional, and Keras 1's TimeDistributedDense."""

import warnings

from numkeras.backend import ops
from numkeras.engine.base_layer import InputSpec, Layer

from .core import Dense


class Wrapper(Layer):
    """Base of the layers that wrap another layer (``self.layer``); its weights are the wrapped layer's."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}: the wrapped layer must be a Layer instance, got {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        from numkeras import layers

        config = super().get_config()
        config["layer"] = layers.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras import layers

        config = dict(config)
        layer = layers.deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)

    def reset_states(self):
        for layer in self._sublayers:
            if getattr(layer, "stateful", False):
                layer.reset_states()


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every temporal slice (axis 1) of its input.

    The input ``(batch, timesteps, …)`` is reshaped to ``(batch * timesteps, …)``, run
    through the layer once, and reshaped back: one call, not one per timestep.

    Example:
        >>> model.add(TimeDistributed(Dense(8), input_shape=(10, 16)))   # (None, 10, 8)
        >>> model.add(TimeDistributed(Conv2D(64, (3, 3))))              # per-frame convolution
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    @staticmethod
    def _inner_shape(input_shape):
        return (None,) + tuple(input_shape[2:])

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed layer {self.name}: the input should be at least 3D (batch, "
                             f"timesteps, …), got shape {tuple(input_shape)}.")
        if not self.layer.built:
            self.layer._maybe_build(self._inner_shape(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        flat = ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        kwargs = {} if training is None else {"training": training}
        outputs = self.layer(flat, **kwargs)
        return ops.reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))

    def compute_mask(self, inputs, mask=None):
        return mask


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    Arguments:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``RNN`` …).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or ``None`` (a list
            of the two outputs).
        backward_layer: optional explicit backward layer (else a copy of ``layer`` with
            ``go_backwards`` flipped).

    With ``return_sequences`` the backward outputs are reversed back into input order.
    Weights: the forward layer's, then the backward layer's. Initial states: the forward
    states then the backward ones.

    Example:
        >>> model.add(Bidirectional(LSTM(10, return_sequences=True), input_shape=(5, 10)))
    """

    MERGE_MODES = ("sum", "mul", "ave", "concat", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if merge_mode not in self.MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}; merge mode should be one of "
                             f"{{'sum', 'mul', 'ave', 'concat', None}}.")
        if not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: the wrapped layer must be a recurrent layer (with go_backwards); "
                             f"got {type(layer).__name__}.")
        super().__init__(layer, **kwargs)
        config = layer.get_config()
        if backward_layer is None:
            config["go_backwards"] = not config.get("go_backwards", False)
            config["name"] = "backward_" + layer.name
            backward_layer = type(layer).from_config(config)
        self._wrapped_name = layer.name
        self.forward_layer = layer
        self.forward_layer.name = "forward_" + layer.name
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = getattr(layer, "return_sequences", False)
        self.return_state = getattr(layer, "return_state", False)
        self.stateful = getattr(layer, "stateful", False)
        self.supports_masking = True
        self._initial_weights = weights
        self._num_state_inputs = 0

    def _state_shapes(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        return shape[1:] if self.return_state else []

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            output = shape[:-1] + (None if shape[-1] is None else shape[-1] * 2,)
        elif self.merge_mode is None:
            output = [shape, shape]
        else:
            output = shape
        if self.return_state:
            outputs = output if isinstance(output, list) else [output]
            return outputs + states * 2
        return output

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer._maybe_build(input_shape)
        self.built = True

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is None:
            self._num_state_inputs = 0
            self.input_spec = None
            return super().__call__(inputs, **kwargs)
        initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(initial_state) % 2:
            raise ValueError(f"Bidirectional layer {self.name}: initial_state must hold the forward states then the "
                             f"backward states (an even number), got {len(initial_state)}.")
        self._num_state_inputs = len(initial_state)
        self.input_spec = [None] * (1 + len(initial_state))
        return super().__call__([inputs] + initial_state, **kwargs)

    def call(self, inputs, training=None, mask=None):
        if isinstance(inputs, (list, tuple)):
            inputs, states = inputs[0], list(inputs[1:])
        else:
            states = []
        if isinstance(mask, list):
            mask = mask[0]
        kwargs = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            kwargs["mask"] = mask
        half = len(states) // 2
        forward_states = {"initial_state": states[:half]} if states else {}
        backward_states = {"initial_state": states[half:]} if states else {}
        y = self.forward_layer(inputs, **forward_states, **kwargs)
        y_rev = self.backward_layer(inputs, **backward_states, **kwargs)
        if self.return_state:
            y, forward_out_states = y[0], list(y[1:])
            y_rev, backward_out_states = y_rev[0], list(y_rev[1:])
        if self.return_sequences:
            y_rev = ops.getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            outputs = output if isinstance(output, list) else [output]
            return outputs + forward_out_states + backward_out_states
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            n_states = len(self.forward_layer._state_sizes) if hasattr(self.forward_layer, "_state_sizes") else 0
            return masks + [None] * (2 * n_states)
        return masks if self.merge_mode is None else output_mask

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        config = super().get_config()
        config["layer"]["config"]["name"] = self._wrapped_name
        config["merge_mode"] = self.merge_mode
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras import layers

        config = dict(config)
        layer = layers.deserialize(config.pop("layer"), custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = layers.deserialize(backward, custom_objects=custom_objects)
        return cls(layer, backward_layer=backward, **config)


class TimeDistributedDense(Dense):
    """Keras 1 ``TimeDistributedDense(output_dim, …, input_dim=, input_length=)``: a Dense layer applied to
    every timestep of ``(batch, timesteps, input_dim)``; use ``TimeDistributed(Dense(…))`` in Keras 2."""

    def __init__(self, units=None, input_dim=None, input_length=None, **kwargs):
        warnings.warn("TimeDistributedDense is deprecated (Keras 1); use TimeDistributed(Dense(...)) instead.",
                      DeprecationWarning, stacklevel=2)
        if "output_dim" in kwargs and units is None:
            units = kwargs.pop("output_dim")
        if input_dim is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length, input_dim)
        super().__init__(units, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
