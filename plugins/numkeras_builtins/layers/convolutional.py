"""Convolution layers: Conv1D/2D/3D, their transposes, separable and depthwise convolutions,
and the Keras 1 names (Convolution2D(nb_filter, nb_row, nb_col, border_mode=, subsample=, …)).

Each layer is one ``convolution`` op of the backend (im2col + one matmul, bias fused)
followed by its activation; weights use Keras's layouts, so they exchange with Keras files.
"""

import warnings

from numkeras import activations, constraints, initializers, regularizers
from numkeras.backend.ops import conv as conv_ops
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check
from ._arguments import set_weight_arguments, weight_config

_RELU = activations.get("relu")


@legacy.renames(legacy.WEIGHTS, legacy.CONVOLUTION)
class _Conv(Layer):
    """Base of the N-D convolutions (``rank`` spatial axes). See :class:`Conv2D` for the arguments."""

    rank = None
    paddings = ("valid", "same", "full")

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        owner = type(self).__name__
        if filters is None or kernel_size is None:
            raise TypeError(f"{owner}: filters and kernel_size are required, e.g. {owner}(32, 3).")
        self._take_input_length(kwargs)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check.positive_int(owner, "filters", filters)
        self.kernel_size = check.int_tuple(owner, "kernel_size", kernel_size, self.rank)
        self.strides = check.int_tuple(owner, "strides", strides, self.rank)
        self.padding = check.padding(owner, padding, self.paddings)
        self.data_format = check.data_format(owner, data_format)
        self.dilation_rate = check.int_tuple(owner, "dilation_rate", dilation_rate, self.rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: strides > 1 cannot be combined with dilation_rate > 1 "
                             f"(got strides={self.strides}, dilation_rate={self.dilation_rate}).")
        self.activation = activations.get(activation)
        self.use_bias = check.flag(owner, "use_bias", use_bias)
        set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _take_input_length(self, kwargs):
        """Conv1D's Keras 1 ``input_dim`` / ``input_length`` describe a (steps, channels) input."""

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name}: the channel dimension of the inputs should be "
                f"defined (data_format={self.data_format!r}), got input shape {tuple(input_shape)}."
            )
        return channels

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels, self.filters)

    def _add_bias(self):
        """``self.bias``: one value per filter, or None without ``use_bias``."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias()
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        if self.activation is _RELU:  # fused into the convolution op
            return conv_ops.convolution(inputs, self.kernel, self.bias, self.strides, self.padding,
                                        self.data_format, self.dilation_rate, relu=True)
        outputs = conv_ops.convolution(inputs, self.kernel, self.bias, self.strides, self.padding,
                                       self.data_format, self.dilation_rate)
        return self.activation(outputs)

    def _spatial(self, input_shape):
        return input_shape[2:] if self.data_format == "channels_first" else input_shape[1:-1]

    def _output_spatial(self, spatial):
        return tuple(conv_ops.conv_output_length(n, k, s, self.padding, d)
                     for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._output_spatial(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + spatial
        return (input_shape[0],) + spatial + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            **weight_config(self, "kernel", "bias"),
        )
        return config


class Conv1D(_Conv):
    """1D convolution over ``(batch, steps, channels)`` (temporal convolution).

    Arguments are those of :class:`Conv2D` with one value per axis, plus ``padding='causal'``
    (output step ``t`` sees only inputs up to ``t``). Keras 1: ``Convolution1D(nb_filter,
    filter_length, border_mode=, subsample_length=, input_dim=, input_length=)``.

    Example:
        >>> model.add(Conv1D(64, 3, activation='relu', input_shape=(100, 16)))
    """

    rank = 1
    paddings = ("valid", "same", "causal", "full")

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _take_input_length(self, kwargs):
        if "input_length" in kwargs or ("input_dim" in kwargs and "input_shape" not in kwargs):
            length, dim = kwargs.pop("input_length", None), kwargs.pop("input_dim", None)
            warnings.warn(f"{type(self).__name__}: the Keras 1 arguments input_dim / input_length are "
                          f"deprecated; use input_shape=({length}, {dim}) instead.", DeprecationWarning,
                          stacklevel=4)
            kwargs["input_shape"] = (length, dim)


class Conv2D(_Conv):
    """2D convolution over images ``(batch, rows, cols, channels)`` (or channels-first).

    Arguments:
        filters: positive int, the number of output channels.
        kernel_size: int or pair, the window size.
        strides: int or pair (default 1).
        padding: ``'valid'`` (default), ``'same'`` (output size ``ceil(input / strides)``)
            or ``'full'`` (Keras 1).
        data_format: ``'channels_last'`` or ``'channels_first'`` (default ``K.image_data_format()``).
        dilation_rate: int or pair, for atrous convolution.
        activation: applied to the output (default linear).
        use_bias: add a bias per filter.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as for Dense.

    Keras 1 names (``nb_filter``, ``border_mode``, ``subsample``, ``dim_ordering``, ``init``,
    ``W_regularizer``, ``bias`` …) are accepted with a DeprecationWarning; the Keras 1
    positional form ``Convolution2D(64, 3, 3)`` is :class:`Convolution2D`.

    Raises:
        ValueError: non-positive filters / kernel_size / strides, an unknown padding or
            data_format (at construction); an input of the wrong rank or channel count
            (when called).

    Example:
        >>> model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
        >>> model.output_shape
        (None, 26, 26, 32)
    """

    rank = 2

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3D(_Conv):
    """3D convolution over volumes ``(batch, dim1, dim2, dim3, channels)``; arguments as :class:`Conv2D`."""

    rank = 3

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# -- Keras 1 names -------------------------------------------------------------------------
def _keras1_kernel(owner, rank, filters, args, kwargs, names):
    """Reads the Keras 1 call ``owner(nb_filter, k1, …, kr)`` (or ``nb_row=``/``nb_col=`` keywords).

    Returns ``filters``; the kernel size, when given, is put into ``kwargs['kernel_size']``.
    (``nb_filter=`` as a keyword was already renamed by the ``legacy.CONVOLUTION`` table.)
    """
    sizes = list(args[:rank])
    if len(args) > rank:
        raise TypeError(f"{owner} takes at most {rank + 1} positional arguments (filters and {rank} kernel "
                        f"sizes); pass the others by keyword.")
    for name in names[len(sizes):]:
        if name in kwargs:
            sizes.append(kwargs.pop(name))
    if not sizes:
        return filters
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        kwargs["kernel_size"] = sizes[0]  # a Keras 2 kernel_size tuple given positionally
        return filters
    if len(sizes) != rank:
        raise TypeError(f"{owner}: the Keras 1 form needs {rank} kernel sizes ({', '.join(names)}), got {sizes}.")
    legacy.deprecated(owner, tuple(names), "kernel_size", tuple(sizes))
    kwargs["kernel_size"] = tuple(sizes)
    return filters


class Convolution1D(Conv1D):
    """Keras 1 ``Convolution1D(nb_filter, filter_length, …)``: :class:`Conv1D` under its old name."""

    def __init__(self, filters=None, *args, **kwargs):
        if args:
            kwargs["kernel_size"] = args[0]
            if len(args) > 1:
                raise TypeError("Convolution1D takes at most 2 positional arguments (nb_filter, filter_length).")
        super().__init__(filters, **kwargs)


class Convolution2D(Conv2D):
    """Keras 1 ``Convolution2D(nb_filter, nb_row, nb_col, border_mode=, subsample=, dim_ordering=, …)``.

    The third positional argument is the kernel's second size (Keras 1), not strides.
    ``dim_ordering='th'`` means channels-first input ``(channels, rows, cols)``.

    Example:
        >>> model.add(Convolution2D(64, 3, 3, border_mode='same', dim_ordering='th', input_shape=(3, 256, 256)))
        >>> model.output_shape
        (None, 64, 256, 256)
    """

    def __init__(self, filters=None, *args, **kwargs):
        filters = _keras1_kernel(type(self).__name__, 2, filters, args, kwargs, ("nb_row", "nb_col"))
        super().__init__(filters, **kwargs)


class Convolution3D(Conv3D):
    """Keras 1 ``Convolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, …)``."""

    def __init__(self, filters=None, *args, **kwargs):
        filters = _keras1_kernel(type(self).__name__, 3, filters, args, kwargs,
                                 ("kernel_dim1", "kernel_dim2", "kernel_dim3"))
        super().__init__(filters, **kwargs)


class AtrousConvolution1D(Convolution1D):
    """Keras 1 ``AtrousConvolution1D(nb_filter, filter_length, atrous_rate=)``: a dilated Conv1D."""


class AtrousConvolution2D(Convolution2D):
    """Keras 1 ``AtrousConvolution2D(nb_filter, nb_row, nb_col, atrous_rate=)``: a dilated Conv2D."""


# -- transposed convolutions --------------------------------------------------------------------
class _ConvTranspose(_Conv):
    paddings = ("valid", "same", "full")

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        if kwargs.pop("output_shape", None) is not None:
            warnings.warn(f"{type(self).__name__}: the Keras 1 argument output_shape is ignored; the output "
                          f"shape is computed from the input shape, strides and padding.", DeprecationWarning,
                          stacklevel=3)
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = check.int_tuple(type(self).__name__, "output_padding", output_padding,
                                                  self.rank, allow_zero=True)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"{type(self).__name__}: output_padding {self.output_padding} must be "
                                     f"smaller than strides {self.strides} on every axis.")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _output_spatial(self, spatial):
        paddings = self.output_padding or (None,) * self.rank
        return tuple(conv_ops.deconv_output_length(n, k, s, self.padding, p, d)
                     for n, k, s, p, d in zip(spatial, self.kernel_size, self.strides, paddings, self.dilation_rate))

    def call(self, inputs):
        outputs = conv_ops.convolution_transpose(inputs, self.kernel, None, self.bias, self.strides, self.padding,
                                                 self.data_format, self.dilation_rate, self.output_padding)
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution ("deconvolution"): the gradient of Conv2D with respect to its input.

    Arguments are those of :class:`Conv2D`, plus ``output_padding`` (int or pair, each smaller
    than the stride) to pick among the output sizes that map back to the input size. The
    kernel has shape ``(kh, kw, filters, in_channels)``, as in Keras.

    Example:
        >>> Conv2DTranspose(16, 3, strides=2, padding='same')  # (None, 8, 8, c) -> (None, 16, 16, 16)
    """

    rank = 2

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution; arguments as :class:`Conv2DTranspose`."""

    rank = 3

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         **kwargs)


class Deconvolution2D(Conv2DTranspose):
    """Keras 1 ``Deconvolution2D(nb_filter, nb_row, nb_col, output_shape, …)``; ``output_shape`` is ignored."""

    def __init__(self, filters=None, *args, **kwargs):
        if len(args) == 3:  # Keras 1 passed output_shape positionally
            args, kwargs["output_shape"] = args[:2], args[2]
        filters = _keras1_kernel(type(self).__name__, 2, filters, args, kwargs, ("nb_row", "nb_col"))
        super().__init__(filters, **kwargs)


class Deconvolution3D(Conv3DTranspose):
    """Keras 1 ``Deconvolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, output_shape, …)``."""

    def __init__(self, filters=None, *args, **kwargs):
        if len(args) == 4:
            args, kwargs["output_shape"] = args[:3], args[3]
        filters = _keras1_kernel(type(self).__name__, 3, filters, args, kwargs,
                                 ("kernel_dim1", "kernel_dim2", "kernel_dim3"))
        super().__init__(filters, **kwargs)


# -- depthwise and separable convolutions ----------------------------------------------------------
#: tf.keras's DepthwiseConv2D / SeparableConv* configs repeat the ``kernel_*`` arguments of their
#: Conv base class, which those layers never use (their kernels are ``depthwise_*`` / ``pointwise_*``).
_UNUSED_CONV_KEYS = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")


def _without_unused_conv_keys(config):
    return {key: value for key, value in config.items() if key not in _UNUSED_CONV_KEYS}


class DepthwiseConv2D(_Conv):
    """Depthwise 2D convolution: each input channel gets its own ``depth_multiplier`` filters.

    Arguments:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias: as Conv2D.
        depth_multiplier: output channels per input channel (output has ``channels * depth_multiplier``).
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the
            ``(kh, kw, channels, depth_multiplier)`` kernel.
    """

    rank = 2

    def __init__(self, kernel_size=None, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 activation=None, use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(1, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.depth_multiplier = check.positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.filters = channels * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._add_bias()
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        outputs = conv_ops.depthwise_convolution(inputs, self.depthwise_kernel, self.bias, self.strides,
                                                 self.padding, self.data_format, self.dilation_rate)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        self.filters = self._input_channels(input_shape) * self.depth_multiplier
        return super().compute_output_shape(input_shape)

    @classmethod
    def from_config(cls, config):
        return cls(**_without_unused_conv_keys(config))

    def get_config(self):
        config = super().get_config()
        for name in ("filters",):
            config.pop(name)
        config["depth_multiplier"] = self.depth_multiplier
        config["depthwise_initializer"] = config.pop("kernel_initializer")
        config["depthwise_regularizer"] = config.pop("kernel_regularizer")
        config["depthwise_constraint"] = config.pop("kernel_constraint")
        return config


class _SeparableConv(_Conv):
    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         pointwise_initializer, bias_initializer, pointwise_regularizer, bias_regularizer,
                         activity_regularizer, pointwise_constraint, bias_constraint, **kwargs)
        self.depth_multiplier = check.positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)
        set_weight_arguments(self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._add_bias()
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        outputs = conv_ops.separable_convolution(inputs, self.depthwise_kernel, self.pointwise_kernel, self.bias,
                                                 self.strides, self.padding, self.data_format, self.dilation_rate)
        return self.activation(outputs)

    @classmethod
    def from_config(cls, config):
        return cls(**_without_unused_conv_keys(config))

    def get_config(self):
        config = super().get_config()
        config["depth_multiplier"] = self.depth_multiplier
        config["pointwise_initializer"] = config.pop("kernel_initializer")
        config["pointwise_regularizer"] = config.pop("kernel_regularizer")
        config["pointwise_constraint"] = config.pop("kernel_constraint")
        config["depthwise_initializer"] = initializers.serialize(self.depthwise_initializer)
        config["depthwise_regularizer"] = regularizers.serialize(self.depthwise_regularizer)
        config["depthwise_constraint"] = constraints.serialize(self.depthwise_constraint)
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1D convolution: a per-channel convolution, then a pointwise (1x1) one.

    Arguments are those of :class:`Conv1D`, plus ``depth_multiplier`` and the
    ``depthwise_*`` / ``pointwise_*`` initializers, regularizers and constraints.
    """

    rank = 1

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, depth_multiplier=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         **kwargs)


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2D convolution; see :class:`SeparableConv1D`.

    Example:
        >>> SeparableConv2D(64, 3, padding='same', depth_multiplier=2)
    """

    rank = 2

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         **kwargs)


class SeparableConvolution2D(SeparableConv2D):
    """Keras 1 ``SeparableConvolution2D(nb_filter, nb_row, nb_col, …)``."""

    def __init__(self, filters=None, *args, **kwargs):
        filters = _keras1_kernel(type(self).__name__, 2, filters, args, kwargs,
                                 ("nb_row", "nb_col"))
        super().__init__(filters, **kwargs)
