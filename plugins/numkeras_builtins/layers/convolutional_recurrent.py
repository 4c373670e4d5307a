"""ConvLSTM2D: an LSTM whose input and recurrent transformations are convolutions (Shi et al., 2015).

The input convolution of every timestep is one convolution call over ``batch * timesteps``
frames; only the recurrent convolution (``'same'`` padding, stride 1) runs per timestep.
"""

import numpy as np

from numkeras import activations
from numkeras import backend as K
from numkeras.backend import ops
from numkeras.backend.ops import conv as conv_ops
from numkeras.backend.tensor import Tensor
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils.random import generator

from . import _arguments as check


class ConvLSTM2D(Layer):
    """Convolutional LSTM over sequences of images.

    Input ``(batch, time, rows, cols, channels)`` (``channels_last``) or ``(batch, time,
    channels, rows, cols)`` (``channels_first``); output the last state ``(batch, new_rows,
    new_cols, filters)``, or every state ``(batch, time, new_rows, new_cols, filters)``
    with ``return_sequences``.

    Arguments:
        filters, kernel_size, strides, padding, data_format, dilation_rate: of the input
            convolution, as in :class:`Conv2D` (the recurrent convolution uses ``'same'``).
        activation (``tanh``), recurrent_activation (``hard_sigmoid``), use_bias,
        kernel_initializer, recurrent_initializer (``orthogonal``), bias_initializer,
        unit_forget_bias, the regularizers and constraints: as in :class:`LSTM`.
        return_sequences, return_state, go_backwards, stateful: as in :class:`RNN`.
        dropout, recurrent_dropout: fractions of the input / state channels to drop.

    Weights: ``kernel (kh, kw, channels, 4 * filters)``, ``recurrent_kernel (kh, kw,
    filters, 4 * filters)``, ``bias (4 * filters,)``, gates ``i, f, c, o``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        owner = "ConvLSTM2D"
        if filters is None or kernel_size is None:
            raise TypeError("ConvLSTM2D: filters and kernel_size are required, e.g. ConvLSTM2D(16, 3).")
        kwargs.pop("time_major", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check.positive_int(owner, "filters", filters)
        self.kernel_size = check.int_tuple(owner, "kernel_size", kernel_size, 2)
        self.strides = check.int_tuple(owner, "strides", strides, 2)
        self.padding = check.padding(owner, padding)
        self.data_format = check.data_format(owner, data_format)
        self.dilation_rate = check.int_tuple(owner, "dilation_rate", dilation_rate, 2)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = check.flag(owner, "use_bias", use_bias)
        check.set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        check.set_weight_arguments(self, "recurrent", recurrent_initializer, recurrent_regularizer, recurrent_constraint)
        check.set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.unit_forget_bias = check.flag(owner, "unit_forget_bias", unit_forget_bias)
        self.return_sequences = check.flag(owner, "return_sequences", return_sequences)
        self.return_state = check.flag(owner, "return_state", return_state)
        self.go_backwards = check.flag(owner, "go_backwards", go_backwards)
        self.stateful = check.flag(owner, "stateful", stateful)
        self.dropout = check.rate(owner, "dropout", dropout)
        self.recurrent_dropout = check.rate(owner, "recurrent_dropout", recurrent_dropout)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=5)
        self.states = None

    @property
    def _channel_axis(self):
        return 2 if self.data_format == "channels_first" else -1

    def _frame_output(self, input_shape):
        rows, cols = (input_shape[3:5] if self.data_format == "channels_first" else input_shape[2:4])
        return tuple(conv_ops.conv_output_length(n, k, s, self.padding, d)
                     for n, k, s, d in zip((rows, cols), self.kernel_size, self.strides, self.dilation_rate))

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"ConvLSTM2D layer {self.name}: the channel dimension of the inputs should be defined, "
                             f"got input shape {tuple(input_shape)}.")
        f = self.filters
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (channels, 4 * f),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=self.kernel_size + (f, 4 * f),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            base = self.bias_initializer

            def bias_initializer(shape, dtype=None):
                values = np.array(base(shape, dtype=dtype), dtype=dtype)
                if self.unit_forget_bias:
                    values[f:2 * f] = 1
                return values

            self.bias = self.add_weight(name="bias", shape=(4 * f,), initializer=bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._frame_spec = InputSpec(ndim=5, axes={self._channel_axis: channels})
        self.input_spec = self._frame_spec
        self.built = True

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        rows, cols = self._frame_output(input_shape)
        frame = (self.filters, rows, cols) if self.data_format == "channels_first" else (rows, cols, self.filters)
        output = (input_shape[0], input_shape[1]) + frame if self.return_sequences else (input_shape[0],) + frame
        if self.return_state:
            return [output, (input_shape[0],) + frame, (input_shape[0],) + frame]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def __call__(self, inputs, initial_state=None, **kwargs):
        spec = getattr(self, "_frame_spec", None) or InputSpec(ndim=5)
        if initial_state is None:
            self.input_spec = spec
            return super().__call__(inputs, **kwargs)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != 2:
            raise ValueError(f"ConvLSTM2D layer {self.name}: initial_state must be [h, c], got {len(states)} tensors.")
        self.input_spec = [spec, None, None]
        return super().__call__([inputs] + states, **kwargs)

    def call(self, inputs, mask=None, training=None):
        states = None
        if isinstance(inputs, (list, tuple)):
            inputs, states = inputs[0], list(inputs[1:])
        if isinstance(mask, list):
            mask = mask[0]
        if training is None:
            training = K.learning_phase()
        first = self.data_format == "channels_first"
        if first:  # (N, T, C, H, W) -> (N, T, H, W, C)
            inputs = ops.transpose(inputs, (0, 1, 3, 4, 2))
        n, steps = inputs.shape[:2]
        if training and self.dropout:
            keep = 1.0 - self.dropout
            drop = (generator().random((n, 1, 1, 1, inputs.shape[-1])) < keep) / keep
            inputs = inputs * drop.astype(inputs.dtype)
        frames = ops.reshape(inputs, (n * steps,) + tuple(inputs.shape[2:]))
        projected = conv_ops.convolution(frames, self.kernel, self.bias, self.strides, self.padding, "channels_last",
                                         self.dilation_rate)
        projected = ops.reshape(projected, (n, steps) + tuple(projected.shape[1:]))
        frame_shape = (n,) + tuple(projected.shape[2:4]) + (self.filters,)
        if states is not None:
            h, c = [ops.transpose(s, (0, 2, 3, 1)) if first else s for s in
                    (s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=inputs.dtype)) for s in states)]
        elif self.stateful and self.states is not None and self.states[0].shape == frame_shape:
            h, c = Tensor(self.states[0]), Tensor(self.states[1])
        else:
            h = c = Tensor(np.zeros(frame_shape, dtype=inputs.dtype))
        recurrent_mask = None
        if training and self.recurrent_dropout:
            keep = 1.0 - self.recurrent_dropout
            recurrent_mask = ((generator().random((n, 1, 1, self.filters)) < keep) / keep).astype(inputs.dtype)
        keep_steps = None if mask is None else np.asarray(mask.data if hasattr(mask, "data") else mask, dtype=bool)
        f = self.filters
        outputs = []
        times = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        for t in times:
            h_in = h if recurrent_mask is None else h * recurrent_mask
            z = projected[:, t] + conv_ops.convolution(h_in, self.recurrent_kernel, None, 1, "same", "channels_last")
            i = self.recurrent_activation(z[..., :f])
            forget = self.recurrent_activation(z[..., f:2 * f])
            g = self.activation(z[..., 2 * f:3 * f])
            o = self.recurrent_activation(z[..., 3 * f:])
            c_new = forget * c + i * g
            h_new = o * self.activation(c_new)
            if keep_steps is not None:
                keep = keep_steps[:, t].reshape(-1, 1, 1, 1)
                h_new, c_new = ops.where(keep, h_new, h), ops.where(keep, c_new, c)
            h, c = h_new, c_new
            outputs.append(h)
        if self.stateful:
            self.states = [np.array(h.data), np.array(c.data)]
        output = ops.stack(outputs, axis=1) if self.return_sequences else h
        if first:
            output = ops.transpose(output, (0, 1, 4, 2, 3) if self.return_sequences else (0, 3, 1, 2))
            h, c = ops.transpose(h, (0, 3, 1, 2)), ops.transpose(c, (0, 3, 1, 2))
        if self.return_state:
            return [output, h, c]
        return output

    def reset_states(self, states=None):
        if not self.stateful:
            raise AttributeError(f"Layer {self.name} must be stateful to reset its states.")
        self.states = None if states is None else [np.array(getattr(s, "data", s)) for s in states]

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation), use_bias=self.use_bias,
            **check.weight_config(self, "kernel", "recurrent", "bias"),
            unit_forget_bias=self.unit_forget_bias,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=self.stateful, dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
        )
        return config
