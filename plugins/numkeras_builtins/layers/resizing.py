"""Spatial resizing layers: ZeroPadding, Cropping and UpSampling in 1, 2 and 3 dimensions.

(Keras keeps them in ``keras.layers.convolutional``; they are found there too.)
"""

import numpy as np

from numkeras.backend import ops
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check


@legacy.renames(legacy.SPATIAL)
class _Spatial(Layer):
    """Base: ``rank`` spatial axes after the batch axis (channels last or first)."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check.data_format(type(self).__name__, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))

    def _resized(self, input_shape, function):
        shape = list(input_shape)
        for i, axis in enumerate(self._spatial_axes()):
            shape[axis] = None if shape[axis] is None else function(i, shape[axis])
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@legacy.renames({"dim_ordering": None})  # Keras 1 had no dim_ordering for 1D layers
class _Spatial1D(_Spatial):
    rank = 1

    def __init__(self, **kwargs):
        super().__init__("channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


# -- zero padding -----------------------------------------------------------------------------------
class _ZeroPadding:
    def _init_padding(self, padding):
        self.padding = check.pair_tuple(type(self).__name__, "padding", padding, self.rank)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding[0] if self.rank == 1 else self.padding
        return config

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes(), self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        return self._resized(input_shape, lambda i, n: n + sum(self.padding[i]))


class ZeroPadding1D(_ZeroPadding, _Spatial1D):
    """Pads the steps of ``(batch, steps, features)`` with zeros.

    Arguments:
        padding: int (both sides) or ``(before, after)``.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self._init_padding(padding if not isinstance(padding, (list, tuple)) or len(padding) != 2
                           or not check._is_int(padding[0]) else (tuple(padding),))


class ZeroPadding2D(_ZeroPadding, _Spatial):
    """Pads rows and columns of images with zeros.

    Arguments:
        padding: int, ``(rows, cols)`` (symmetric) or ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` or ``'channels_first'``.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_padding(padding)


class ZeroPadding3D(_ZeroPadding, _Spatial):
    """Pads the three spatial axes of volumes with zeros; ``padding`` as in :class:`ZeroPadding2D`."""

    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_padding(padding)


# -- cropping -----------------------------------------------------------------------------------------
class _Cropping:
    def _init_cropping(self, cropping):
        self.cropping = check.pair_tuple(type(self).__name__, "cropping", cropping, self.rank)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping[0] if self.rank == 1 else self.cropping
        return config

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            if before + after >= inputs.shape[axis]:
                raise ValueError(f"{type(self).__name__} layer {self.name}: cropping {self.cropping} removes all of "
                                 f"an axis of size {inputs.shape[axis]} (input shape {tuple(inputs.shape)}).")
            index[axis] = slice(before, inputs.shape[axis] - after)
        return ops.getitem(inputs, tuple(index))

    def compute_output_shape(self, input_shape):
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            if input_shape[axis] is not None and before + after >= input_shape[axis]:
                raise ValueError(f"{type(self).__name__} layer {self.name}: cropping {self.cropping} is too large "
                                 f"for an input of shape {tuple(input_shape)}.")
        return self._resized(input_shape, lambda i, n: n - sum(self.cropping[i]))


class Cropping1D(_Cropping, _Spatial1D):
    """Crops the steps of ``(batch, steps, features)``.

    Arguments:
        cropping: int (both ends) or ``(start, end)`` (default ``(1, 1)``).
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self._init_cropping(cropping if not isinstance(cropping, (list, tuple)) else (tuple(cropping),))


class Cropping2D(_Cropping, _Spatial):
    """Crops rows and columns of images.

    Arguments:
        cropping: int, ``(rows, cols)`` (symmetric) or ``((top, bottom), (left, right))``.

    Example:
        >>> model.add(Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))   # (None, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_cropping(cropping)


class Cropping3D(_Cropping, _Spatial):
    """Crops the three spatial axes of volumes; ``cropping`` as in :class:`Cropping2D`."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_cropping(cropping)


# -- upsampling ------------------------------------------------------------------------------------------
def _repeat_axes(x, axes, sizes):
    """Nearest-neighbour upsampling: each listed axis repeated ``size`` times, as one broadcast."""
    expanded, broadcast, final = [], [], []
    for axis, n in enumerate(x.shape):
        expanded.append(n)
        broadcast.append(n)
        if axis in axes:
            size = sizes[axes.index(axis)]
            expanded.append(1)
            broadcast.append(size)
            final.append(n * size)
        else:
            final.append(n)
    return ops.reshape(ops.broadcast_to(ops.reshape(x, expanded), broadcast), final)


def _bilinear_matrix(size, scale, dtype):
    """``(size * scale, size)`` interpolation weights of TF1's resize_bilinear (align_corners=False)."""
    out = size * scale
    source = np.arange(out) / scale
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size - 1)
    frac = source - low
    matrix = np.zeros((out, size), dtype=dtype)
    matrix[np.arange(out), low] += 1 - frac
    matrix[np.arange(out), high] += frac
    return matrix


class _UpSampling:
    def _init_size(self, size):
        self.size = check.int_tuple(type(self).__name__, "size", size, self.rank)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size[0] if self.rank == 1 else self.size
        return config

    def call(self, inputs):
        return _repeat_axes(inputs, list(self._spatial_axes()), list(self.size))

    def compute_output_shape(self, input_shape):
        return self._resized(input_shape, lambda i, n: n * self.size[i])


@legacy.renames(legacy.UPSAMPLING1D)
class UpSampling1D(_UpSampling, _Spatial1D):
    """Repeats each step of ``(batch, steps, features)`` ``size`` times (default 2)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self._init_size(size)


class UpSampling2D(_UpSampling, _Spatial):
    """Repeats the rows and columns of images ``size[0]`` and ``size[1]`` times.

    Arguments:
        size: int or pair (default ``(2, 2)``).
        data_format: ``'channels_last'`` or ``'channels_first'``.
        interpolation: ``'nearest'`` (default) or ``'bilinear'`` (TensorFlow 1's resize_bilinear,
            as Keras 2.2 uses).
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_size(size)
        check.check("UpSampling2D", interpolation=(interpolation, check.one_of("nearest", "bilinear")))
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        rows_axis, cols_axis = self._spatial_axes()
        rows = _bilinear_matrix(inputs.shape[rows_axis], self.size[0], inputs.dtype)
        cols = _bilinear_matrix(inputs.shape[cols_axis], self.size[1], inputs.dtype)
        # Interpolate along rows, then along columns, each a tensordot with a constant matrix.
        x = ops.tensordot(inputs, rows, axes=([rows_axis], [1]))  # rows moved last
        x = ops.tensordot(x, cols, axes=([cols_axis if cols_axis < rows_axis else cols_axis - 1], [1]))
        if self.data_format == "channels_first":  # (N, C, out_rows, out_cols)
            return x
        return ops.transpose(x, (0, 2, 3, 1))  # (N, C, out_rows, out_cols) -> (N, rows, cols, C)

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


class UpSampling3D(_UpSampling, _Spatial):
    """Repeats the three spatial axes of volumes ``size`` times each (default ``(2, 2, 2)``)."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._init_size(size)
