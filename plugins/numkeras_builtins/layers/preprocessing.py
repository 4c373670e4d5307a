"""tf.keras 2's numeric preprocessing layers: ``Rescaling`` and ``Normalization`` (with ``adapt``).

Keras 2.2 has neither; tutorials written for tf.keras 2 put them first in a model.
Both compute in the layer's dtype and have no trainable weights.
"""

import numpy as np

from numkeras import backend as K
from numkeras.backend import ops
from numkeras.backend.tensor import Tensor
from numkeras.engine.base_layer import Layer

from . import _arguments as check


def _number_or_numbers(owner, name, value):
    """A number, or a (nested) list of numbers, as JSON-friendly Python values."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind not in "biuf" or not np.all(np.isfinite(array)):
        raise check.ArgumentValueError(
            f"{owner}: {name} must be a finite number or a list of finite numbers, got {value!r}.")
    return array.item() if array.ndim == 0 else array.tolist()


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``: ``y = x * scale + offset``.

    Arguments:
        scale: a number (or a list of numbers broadcast against the last axes), e.g. ``1 / 255``.
        offset: likewise, default 0. ``Rescaling(1 / 127.5, offset=-1)`` maps ``[0, 255]`` to ``[-1, 1]``.

    Integer inputs are cast to the layer's dtype first, as in tf.keras.

    Example:
        >>> model = Sequential([Rescaling(1.0 / 255, input_shape=(28, 28, 1)), Conv2D(8, 3)])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _number_or_numbers("Rescaling", "scale", scale)
        self.offset = _number_or_numbers("Rescaling", "offset", offset)
        self.supports_masking = True

    def call(self, inputs):
        dtype = np.dtype(self.dtype)
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        return inputs * np.asarray(self.scale, dtype=dtype) + np.asarray(self.offset, dtype=dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config


class Normalization(Layer):
    """Shifts and scales the inputs to zero mean and unit variance: ``(x - mean) / sqrt(variance)``.

    The statistics come from the constructor (``mean`` / ``variance``) or from
    :meth:`adapt`, which computes them from data, one value per position of the kept
    ``axis`` (tf.keras 2's layer). The denominator is ``max(sqrt(variance), K.epsilon())``.

    Arguments:
        axis: the axis or axes that keep their own statistics (default -1, the features);
            ``None`` for one mean and variance over everything.
        mean, variance: fixed statistics (numbers or lists broadcast against the kept
            axes); give both or neither. A layer built with them cannot be adapted.
        invert: compute the inverse, ``mean + x * sqrt(variance)``.

    Weights of an adaptable layer (non-trainable, as tf.keras saves them): ``mean``,
    ``variance`` (the kept axes' shape) and ``count`` (int64, the number of values
    each statistic was computed from).

    Example:
        >>> norm = Normalization()
        >>> norm.adapt(x_train)
        >>> model = Sequential([norm, Dense(1)])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        owner = "Normalization"
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif check.is_integer(axis):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(check.is_integer(a) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise check.ArgumentTypeError(f"{owner}: axis must be an integer, a list of integers or None, "
                                          f"got {axis!r}.")
        self.axis = axis
        if (mean is None) != (variance is None):
            raise check.ArgumentValueError(
                f"{owner}: give both mean and variance, or neither (and call adapt()); got mean={mean!r}, "
                f"variance={variance!r}.")
        self.input_mean = None if mean is None else _number_or_numbers(owner, "mean", mean)
        self.input_variance = None if variance is None else _number_or_numbers(owner, "variance", variance)
        if self.input_variance is not None and np.any(np.asarray(self.input_variance) < 0):
            raise check.ArgumentValueError(f"{owner}: variance must not be negative, got {variance!r}.")
        self.invert = check.flag(owner, "invert", invert)
        self.supports_masking = True

    def _kept_axes(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Normalization layer {self.name}: axis {list(self.axis)} is out of range for inputs "
                             f"of rank {ndim} (each must be in [-{ndim}, {ndim})).")
        kept = sorted({a % ndim for a in self.axis})
        for a in kept:
            if input_shape[a] is None:
                raise ValueError(f"Normalization layer {self.name}: the kept axis {a} must have a known size, "
                                 f"but the input shape is {tuple(input_shape)}.")
        return kept

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"Normalization layer {self.name} takes a single input, got {len(input_shape)}; "
                             f"pass one array (np.asarray a Python list first).")
        kept = self._kept_axes(input_shape)
        self._broadcast_shape = [input_shape[a] if a in kept else 1 for a in range(len(input_shape))]
        shape = tuple(input_shape[a] for a in kept)
        self._reduce_axes = tuple(a for a in range(len(input_shape)) if a not in kept)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape, initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros",
                                         trainable=False)
        else:
            try:
                self._fixed = tuple(np.broadcast_to(np.asarray(v, dtype=self.dtype), shape)
                                    for v in (self.input_mean, self.input_variance))
            except ValueError:
                raise ValueError(f"Normalization layer {self.name}: mean / variance of shape "
                                 f"{np.shape(self.input_mean)} / {np.shape(self.input_variance)} do not broadcast "
                                 f"to the kept axes' shape {shape}.") from None
        self.built = True

    def _statistics(self):
        if self.input_mean is None:
            mean, variance = self.adapt_mean.data, self.adapt_variance.data
        else:
            mean, variance = self._fixed
        shape = self._broadcast_shape
        return mean.reshape(shape), variance.reshape(shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Computes ``mean`` and ``variance`` (the biased one) of ``data`` for each position of the kept axes.

        Arguments:
            data: an array (the whole data set, with the batch axis first), or an iterable
                of such batches (a generator or ``Sequence`` of input arrays).
            batch_size: accepted for tf.keras compatibility (the statistics are exact whatever it is).
            steps: how many batches to read from a generator (required for an endless one).

        Raises:
            ValueError: the layer was given fixed ``mean`` / ``variance``, or ``data`` is empty.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization layer {self.name} was built with fixed mean and variance; it cannot "
                             f"be adapted. Create it without mean= / variance= to adapt it.")
        arrays = [np.asarray(b.data if isinstance(b, Tensor) else b) for b in _batches(data, steps)]
        if not arrays or any(a.dtype.kind not in "biuf" for a in arrays):
            raise ValueError(f"Normalization.adapt: data must be numeric arrays, got {type(data).__name__}.")
        if not self.built:
            self._maybe_build((None,) + arrays[0].shape[1:])
        total, mean, variance = 0, 0.0, 0.0
        for array in arrays:  # Chan et al.'s pairwise update, in float64
            array = array.astype(np.float64)
            count = int(np.prod([array.shape[a] for a in self._reduce_axes])) if self._reduce_axes else 1
            if count == 0:
                continue
            batch_mean = array.mean(axis=self._reduce_axes)
            batch_variance = array.var(axis=self._reduce_axes)
            new_total = total + count
            weight = count / new_total
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = (variance + (mean - new_mean) ** 2) * (1 - weight) + \
                (batch_variance + (batch_mean - new_mean) ** 2) * weight
            mean, total = new_mean, new_total
        if total == 0:
            raise ValueError("Normalization.adapt: data holds no samples.")
        self.adapt_mean.data[...] = mean
        self.adapt_variance.data[...] = variance
        self.count.data[...] = total

    def call(self, inputs):
        dtype = np.dtype(self.dtype)
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        mean, variance = self._statistics()
        deviation = np.maximum(np.sqrt(variance), K.epsilon()).astype(dtype)
        if self.invert:
            return mean.astype(dtype) + inputs * deviation
        return (inputs - mean.astype(dtype)) / deviation

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=list(self.axis), invert=self.invert, mean=self.input_mean, variance=self.input_variance)
        return config


def _batches(data, steps):
    """The input arrays of ``data``: one array, a ``Sequence`` (by index) or an iterator of batches."""
    from itertools import islice

    if isinstance(data, (np.ndarray, Tensor, list, tuple)):
        return [data]
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        count = len(data) if steps is None else min(int(steps), len(data))
        items = [data[i] for i in range(count)]
    else:
        items = list(data if steps is None else islice(data, int(steps)))
    return [item[0] if isinstance(item, tuple) else item for item in items]
