"""Locally-connected layers: convolutions whose weights are not shared across positions."""

from numkeras import activations
from numkeras import backend as K
from numkeras.backend.ops import conv as conv_ops
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check
from ._arguments import set_weight_arguments, weight_config


@legacy.renames(legacy.WEIGHTS, legacy.LOCALLY_CONNECTED)
class _LocallyConnected(Layer):
    rank = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format=None,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        owner = type(self).__name__
        if filters is None or kernel_size is None:
            raise TypeError(f"{owner}: filters and kernel_size are required, e.g. {owner}(16, 3).")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check.positive_int(owner, "filters", filters)
        self.kernel_size = check.int_tuple(owner, "kernel_size", kernel_size, self.rank)
        self.strides = check.int_tuple(owner, "strides", strides, self.rank)
        self.padding = check.padding(owner, padding, ("valid",))
        self.data_format = check.data_format(owner, data_format)
        self.activation = activations.get(activation)
        self.use_bias = check.flag(owner, "use_bias", use_bias)
        set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _split(self, shape):
        if self.data_format == "channels_first":
            return shape[1], tuple(shape[2:])
        return shape[-1], tuple(shape[1:-1])

    def _output_spatial(self, spatial):
        return tuple(conv_ops.conv_output_length(n, k, s, "valid")
                     for n, k, s in zip(spatial, self.kernel_size, self.strides))

    def build(self, input_shape):
        channels, spatial = self._split(input_shape)
        if channels is None or any(n is None for n in spatial):
            raise ValueError(f"{type(self).__name__} layer {self.name}: every non-batch dimension of the input must be "
                             f"known (weights are not shared across positions); got {tuple(input_shape)}.")
        out = self._output_spatial(spatial)
        positions = 1
        for n in out:
            positions *= n
        window = channels
        for k in self.kernel_size:
            window *= k
        self.kernel = self.add_weight(name="kernel", shape=(positions, window, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=out + (self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        outputs = conv_ops.local_convolution(inputs, self.kernel, None, self.kernel_size, self.strides,
                                             self.data_format)
        if self.bias is not None:
            outputs = K.bias_add(outputs, self.bias, data_format=self.data_format)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        _, spatial = self._split(input_shape)
        out = self._output_spatial(spatial)
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + out
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
            data_format=self.data_format, activation=activations.serialize(self.activation), use_bias=self.use_bias,
            **weight_config(self, "kernel", "bias"),
        )
        return config


class LocallyConnected1D(_LocallyConnected):
    """Like Conv1D, but with a different set of weights at every output step.

    Arguments are those of :class:`Conv1D` (``padding='valid'`` only). Weights:
    ``kernel (output_length, kernel_size * channels, filters)``, ``bias (output_length, filters)``.
    The input length must be known.

    Example:
        >>> model.add(LocallyConnected1D(64, 3, input_shape=(10, 32)))   # (None, 8, 64)
    """

    rank = 1

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, **kwargs)


class LocallyConnected2D(_LocallyConnected):
    """Like Conv2D, but with a different set of weights at every output position.

    Weights: ``kernel (rows * cols, kh * kw * channels, filters)``, ``bias (rows, cols, filters)``
    (output rows and columns), as in Keras.

    Example:
        >>> model.add(LocallyConnected2D(64, (3, 3), input_shape=(32, 32, 3)))   # (None, 30, 30, 64)
    """

    rank = 2

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid", data_format=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, **kwargs)
