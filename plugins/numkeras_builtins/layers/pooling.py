"""Pooling layers: Max/Average pooling in 1, 2 and 3 dimensions and their global versions.

Keras 1 names are accepted with a DeprecationWarning: ``pool_length`` / ``stride``
(1D), ``border_mode``, ``dim_ordering``.
"""

import numpy as np

from numkeras import backend as K
from numkeras.backend.ops import pooling as pool_ops
from numkeras.backend.ops.conv import conv_output_length
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check


@legacy.renames(legacy.POOLING)
class _Pooling(Layer):
    """Base of the windowed poolings: ``pool_mode`` over ``rank`` spatial axes."""

    rank = None
    pool_mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        owner = type(self).__name__
        super().__init__(**kwargs)
        self.pool_size = check.int_tuple(owner, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else check.int_tuple(owner, "strides", strides, self.rank)
        self.padding = check.padding(owner, padding)
        self.data_format = check.data_format(owner, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return pool_ops.pool(inputs, self.pool_size, self.strides, self.padding, self.data_format, self.pool_mode)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(conv_output_length(n, k, s, self.padding) for n, k, s in zip(spatial, self.pool_size, self.strides))
        if first:
            return input_shape[:2] + out
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


class _Pooling1D(_Pooling):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["pool_size"], config["strides"] = self.pool_size[0], self.strides[0]
        return config


class MaxPooling1D(_Pooling1D):
    """Max pooling over the steps of ``(batch, steps, features)``.

    Arguments:
        pool_size: window size (default 2). Keras 1: ``pool_length``.
        strides: step between windows; defaults to ``pool_size``. Keras 1: ``stride``.
        padding: ``'valid'`` or ``'same'``. Keras 1: ``border_mode``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    pool_mode = "max"


class AveragePooling1D(_Pooling1D):
    """Average pooling over the steps of ``(batch, steps, features)``; arguments as :class:`MaxPooling1D`."""

    pool_mode = "avg"


class _Pooling2D(_Pooling):
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling2D):
    """Max pooling over the rows and columns of images.

    Arguments:
        pool_size: int or pair (default ``(2, 2)``): the window, e.g. 2 halves each side.
        strides: int or pair; defaults to ``pool_size``.
        padding: ``'valid'`` or ``'same'``. Keras 1: ``border_mode``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default
            ``K.image_data_format()``). Keras 1: ``dim_ordering`` (``'tf'`` / ``'th'``).

    Example:
        >>> model.add(MaxPooling2D(pool_size=(2, 2)))
    """

    pool_mode = "max"


class AveragePooling2D(_Pooling2D):
    """Average pooling over images; arguments as :class:`MaxPooling2D`.

    With ``padding='same'`` each window is averaged over its real (unpadded) inputs only.
    """

    pool_mode = "avg"


class _Pooling3D(_Pooling):
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling3D):
    """Max pooling over volumes ``(batch, d1, d2, d3, channels)``; arguments as :class:`MaxPooling2D`."""

    pool_mode = "max"


class AveragePooling3D(_Pooling3D):
    """Average pooling over volumes; arguments as :class:`MaxPooling2D`."""

    pool_mode = "avg"


# -- global pooling ---------------------------------------------------------------------------------
@legacy.renames(legacy.SPATIAL)
class _GlobalPooling(Layer):
    """Reduces all spatial axes: ``(batch, *spatial, channels)`` → ``(batch, channels)``.

    ``keepdims=True`` (tf.keras 2.6+) keeps the reduced axes with length 1:
    ``(batch, 1, …, 1, channels)``. It is written to the config only when true, so
    numkeras's configs stay Keras 2.2's.
    """

    rank = None
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        owner = type(self).__name__
        super().__init__(**kwargs)
        self.data_format = check.data_format(owner, data_format)
        if not isinstance(keepdims, (bool, np.bool_)):
            raise TypeError(f"{owner}: keepdims must be True or False, got {keepdims!r}.")
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))

    def call(self, inputs):
        return self.reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            axes = self._axes()
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        channel = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        return (input_shape[0], channel)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.keepdims:
            config["keepdims"] = True
        return config


def _mean(x, axis, keepdims=False):
    return K.mean(x, axis=axis, keepdims=keepdims)


def _max(x, axis, keepdims=False):
    return K.max(x, axis=axis, keepdims=keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of ``(batch, steps, features)``: ``(batch, features)``.

    Supports masking: with a ``(batch, steps)`` mask (e.g. from ``Embedding(mask_zero=True)``)
    only the unmasked steps are averaged.
    """

    rank = 1
    reduce = staticmethod(_mean)

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = self._axes()[0]
        weights = K.cast(mask.data if hasattr(mask, "data") else mask, inputs.dtype)
        weights = K.expand_dims(weights, 1 if self.data_format == "channels_first" else -1)
        return K.sum(inputs * weights, axis=axis, keepdims=self.keepdims) / K.sum(weights, axis=axis,
                                                                                keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps of ``(batch, steps, features)``: ``(batch, features)``."""

    rank = 1
    reduce = staticmethod(_max)

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over the rows and columns of images: ``(batch, channels)``."""

    rank = 2
    reduce = staticmethod(_mean)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over the rows and columns of images: ``(batch, channels)``.

    Example:
        >>> model.add(GlobalMaxPooling2D())   # (None, 4, 4, 32) -> (None, 32)
    """

    rank = 2
    reduce = staticmethod(_max)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the three spatial axes of volumes: ``(batch, channels)``."""

    rank = 3
    reduce = staticmethod(_mean)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over the three spatial axes of volumes: ``(batch, channels)``."""

    rank = 3
    reduce = staticmethod(_max)
