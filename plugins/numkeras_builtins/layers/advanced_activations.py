"""Activation layers with parameters: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU."""

import numpy as np

from numkeras import constraints, initializers, regularizers
from numkeras.backend import ops
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


def _number(owner, name, value, minimum=None):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}.")
    return number


class LeakyReLU(_Elementwise):
    """Leaky ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise.

    Arguments:
        alpha: float >= 0, the negative slope (default 0.3).
    """

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("LeakyReLU", "alpha", alpha, minimum=0.0)

    def call(self, inputs):
        return ops.relu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@legacy.renames(legacy.PRELU)
class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise, with ``alpha`` learned per unit.

    Arguments:
        alpha_initializer, alpha_regularizer, alpha_constraint: for ``alpha`` (default zeros).
        shared_axes: axes (1-based, batch excluded) along which ``alpha`` is shared, e.g.
            ``[1, 2]`` for one alpha per channel of ``(batch, rows, cols, channels)`` feature maps.

    Keras 1: ``init`` is ``alpha_initializer``.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif check._is_int(shared_axes):
            self.shared_axes = [int(shared_axes)]
        else:
            check.check("PReLU", shared_axes=(shared_axes, check.sequence_of(
                check.integer(), "an axis or a list of axes (1-based)", optional=True)))
            self.shared_axes = [int(a) for a in shared_axes]
        if self.shared_axes and min(self.shared_axes) < 1:
            raise ValueError(f"PReLU: shared_axes are 1-based (the batch axis cannot be shared), got {shared_axes!r}.")

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ValueError(f"PReLU layer {self.name}: shared axis {axis} does not exist for inputs of shape "
                                 f"{tuple(input_shape)}.")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU layer {self.name}: every non-shared axis must be known; got input shape "
                             f"{tuple(input_shape)}. Use shared_axes for variable-size axes.")
        self.alpha = self.add_weight(name="alpha", shape=tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        axes = {}
        if self.shared_axes:
            axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in self.shared_axes}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) + self.alpha * ops.minimum(inputs, 0.0)

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=initializers.serialize(self.alpha_initializer),
                      alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                      alpha_constraint=constraints.serialize(self.alpha_constraint),
                      shared_axes=self.shared_axes)
        return config


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise (``alpha`` default 1)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha)

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ThresholdedReLU(_Elementwise):
    """``x`` where ``x > theta``, 0 elsewhere (``theta`` >= 0, default 1)."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _number("ThresholdedReLU", "theta", theta, minimum=0.0)

    def call(self, inputs):
        data = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
        return inputs * (data > self.theta).astype(data.dtype)

    def get_config(self):
        config = super().get_config()
        config["theta"] = self.theta
        return config


class Softmax(_Elementwise):
    """Softmax over ``axis`` (default -1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: axis must be an integer, got {axis!r}.")
        self.axis = int(axis)

    def call(self, inputs):
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class ReLU(_Elementwise):
    """Rectified linear unit: ``min(max_value, x)`` for ``x >= threshold``, ``negative_slope * (x - threshold)`` below.

    Arguments:
        max_value: float >= 0 or None (no cap), e.g. 6 for ReLU6.
        negative_slope: float >= 0 (default 0).
        threshold: float (default 0).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number("ReLU", "max_value", max_value, minimum=0.0)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope, minimum=0.0)
        self.threshold = _number("ReLU", "threshold", threshold)

    def call(self, inputs):
        return ops.relu(inputs, alpha=self.negative_slope, max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config
