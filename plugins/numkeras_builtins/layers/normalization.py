"""BatchNormalization (Ioffe & Szegedy, 2015), with Keras 1's ``mode=``, ``beta_init=``, ``gamma_init=``."""

import warnings

import numpy as np

from numkeras import backend as K
from numkeras import constraints, initializers, regularizers
from numkeras.backend import ops
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy

from . import _arguments as check


@legacy.renames(legacy.NORMALIZATION)
class BatchNormalization(Layer):
    """Normalizes each feature to zero mean and unit variance over the batch, then scales and shifts.

    In training (``training=True``, e.g. inside ``fit``) the batch statistics are used and
    the moving statistics updated: ``moving = momentum * moving + (1 - momentum) * batch``,
    with the *unbiased* batch variance (``n / (n - 1)`` times the biased one); a layer with
    ``trainable=False`` uses the batch statistics but keeps its moving ones (Keras 2.2.4
    drops a frozen layer's updates). In inference the moving statistics are used.

    Arguments:
        axis: the feature axis (default -1; 1 for channels-first images).
        momentum: of the moving averages (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center: learn a shift ``beta``; scale: learn a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: for the four weights.

    Weights, in Keras's order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable).

    Keras 1: ``beta_init`` / ``gamma_init`` are renamed with a DeprecationWarning;
    ``mode=0`` is this layer; ``mode=1`` normalizes each sample over its own features;
    ``mode=2`` is mode 0 but with batch statistics at inference too.

    Example:
        >>> model.add(Conv2D(32, 3))
        >>> model.add(BatchNormalization())
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        owner = "BatchNormalization"
        mode = kwargs.pop("mode", None)
        if mode is not None:
            if mode not in (0, 1, 2):
                raise ValueError(f"{owner}: the Keras 1 mode must be 0, 1 or 2, got {mode!r}.")
            warnings.warn(f"{owner}: the Keras 1 argument mode={mode} is deprecated; Keras 2 has only "
                          f"mode 0 (drop the argument).", DeprecationWarning, stacklevel=2)
        mode = mode or 0
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)) and not (
                isinstance(axis, (list, tuple)) and all(isinstance(x, (int, np.integer)) for x in axis)):
            raise TypeError(f"{owner}: axis must be an integer (or a list of integers), got {axis!r}.")
        self.axis = [int(x) for x in axis] if isinstance(axis, (list, tuple)) else int(axis)
        self.momentum = check.fraction(owner, "momentum", momentum)
        self.epsilon = check.positive_number(owner, "epsilon", epsilon)
        self.center = check.flag(owner, "center", center)
        self.scale = check.flag(owner, "scale", scale)
        self.mode = mode
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        normalized = [a % ndim for a in axes]
        if any(not -ndim <= a < ndim for a in axes) or 0 in normalized:
            raise ValueError(
                f"BatchNormalization layer {self.name}: axis {self.axis} is invalid for inputs of rank {ndim} "
                f"(it must name a feature axis, not the batch axis 0)."
            )
        return normalized

    def build(self, input_shape):
        shape = _build_gamma_and_beta(self, input_shape)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.built = True

    def _broadcast(self, value, ndim, axes):
        """A per-feature weight reshaped to broadcast against the input."""
        shape = [1] * ndim
        for a, n in zip(axes, value.shape):
            shape[a] = n
        return ops.reshape(value, shape) if tuple(shape) != tuple(value.shape) else value

    def call(self, inputs, training=None):
        if training is None:
            training = K.learning_phase()
        ndim = inputs.ndim
        axes = self._axes(ndim)
        reduction = tuple(a for a in range(ndim) if a not in axes)
        if self.mode == 1:
            return self._samplewise(inputs)
        use_batch = bool(training) or self.mode == 2
        if use_batch:
            mean = ops.mean(inputs, axis=reduction, keepdims=True)
            centered = inputs - mean
            variance = ops.mean(ops.square(centered), axis=reduction, keepdims=True)
            if training and self.trainable:  # a frozen layer keeps its statistics, as in Keras 2.2.4
                self._update_moving_statistics(mean.data, variance.data, inputs.shape, reduction)
        else:
            centered = inputs - self._broadcast(self.moving_mean, ndim, axes)
            variance = self._broadcast(self.moving_variance, ndim, axes)
        scale = ops.divide(1.0, ops.sqrt(variance + self.epsilon))
        if self.gamma is not None:
            scale = scale * self._broadcast(self.gamma, ndim, axes)
        outputs = centered * scale
        if self.beta is not None:
            outputs = outputs + self._broadcast(self.beta, ndim, axes)
        return outputs

    def _update_moving_statistics(self, mean, variance, shape, reduction):
        count = int(np.prod([shape[a] for a in reduction]))
        unbiased = variance * (count / max(count - 1, 1))
        feature_shape = self.moving_mean.shape
        momentum = self.momentum
        K.moving_average_update(self.moving_mean, mean.reshape(feature_shape), momentum)
        K.moving_average_update(self.moving_variance, unbiased.reshape(feature_shape), momentum)

    def _samplewise(self, inputs):
        """Keras 1 mode 1: each sample normalized over its own features."""
        mean = ops.mean(inputs, axis=-1, keepdims=True)
        centered = inputs - mean
        std = ops.sqrt(ops.mean(ops.square(centered), axis=-1, keepdims=True) + self.epsilon)
        outputs = centered / (std + self.epsilon)
        if self.gamma is not None:
            outputs = outputs * self.gamma
        if self.beta is not None:
            outputs = outputs + self.beta
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        if self.mode:
            config["mode"] = self.mode
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over its feature axes (Ba et al., 2016), then scales and shifts.

    ``y = (x - mean) / sqrt(variance + epsilon) * gamma + beta``, with the mean and
    (biased) variance taken over ``axis`` of each sample separately, so the result does
    not depend on the batch and training and inference compute the same thing.
    tf.keras 2's layer (Keras 2.2 has none); its configs and weights load unchanged.

    Arguments:
        axis: the axis or list of axes to normalize over (default -1; not the batch axis 0).
        epsilon: added to the variance (default 1e-3).
        center: learn a shift ``beta``; scale: learn a scale ``gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: for the two weights.

    Weights, in tf.keras's order: ``gamma``, ``beta``, each of the shape of the
    normalized axes.

    Example:
        >>> x = Dense(64)(inputs)
        >>> x = LayerNormalization(epsilon=1e-6)(x)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        owner = "LayerNormalization"
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and axis and all(check.is_integer(a) for a in axis):
            self.axis = [int(a) for a in axis]
        elif check.is_integer(axis):
            self.axis = int(axis)
        else:
            raise TypeError(f"{owner}: axis must be an integer or a non-empty list of integers, got {axis!r}.")
        self.epsilon = check.positive_number(owner, "epsilon", epsilon)
        self.center = check.flag(owner, "center", center)
        self.scale = check.flag(owner, "scale", scale)
        check.set_weight_arguments(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        check.set_weight_arguments(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.supports_masking = True

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes) or 0 in [a % ndim for a in axes] \
                or len({a % ndim for a in axes}) != len(axes):
            raise ValueError(
                f"LayerNormalization layer {self.name}: axis {self.axis} is invalid for inputs of rank {ndim} "
                f"(each must name a distinct feature axis, not the batch axis 0).")
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        _build_gamma_and_beta(self, input_shape)
        self.built = True

    def call(self, inputs):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        mean = ops.mean(inputs, axis=tuple(axes), keepdims=True)
        centered = inputs - mean
        variance = ops.mean(ops.square(centered), axis=tuple(axes), keepdims=True)
        outputs = centered * ops.divide(1.0, ops.sqrt(variance + self.epsilon))
        broadcast = [inputs.shape[a] if a in axes else 1 for a in range(ndim)]
        if self.gamma is not None:
            outputs = outputs * ops.reshape(self.gamma, broadcast)
        if self.beta is not None:
            outputs = outputs + ops.reshape(self.beta, broadcast)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                      **check.weight_config(self, "beta", "gamma"))
        return config


def _build_gamma_and_beta(layer, input_shape):
    """Checks the normalized axes of ``input_shape``, sets the input spec and creates ``gamma`` / ``beta``
    (as ``layer.scale`` / ``layer.center`` ask); returns the weights' shape."""
    ndim = len(input_shape)
    axes = layer._axes(ndim)
    for a in axes:
        if input_shape[a] is None:
            raise ValueError(
                f"{type(layer).__name__} layer {layer.name}: axis {a} of the input should have a defined "
                f"dimension, but the layer received an input with shape {tuple(input_shape)}."
            )
    shape = tuple(input_shape[a] for a in axes)
    layer.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})
    layer.gamma = layer.beta = None
    if layer.scale:
        layer.gamma = layer.add_weight(name="gamma", shape=shape, initializer=layer.gamma_initializer,
                                       regularizer=layer.gamma_regularizer, constraint=layer.gamma_constraint)
    if layer.center:
        layer.beta = layer.add_weight(name="beta", shape=shape, initializer=layer.beta_initializer,
                                      regularizer=layer.beta_regularizer, constraint=layer.beta_constraint)
    return shape
