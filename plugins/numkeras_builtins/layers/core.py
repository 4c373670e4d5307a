"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, Lambda, RepeatVector."""

import inspect

import numpy as np

from numkeras import activations
from numkeras import backend as K
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy
from numkeras.utils.random import generator

from ._arguments import flag, set_weight_arguments, weight_config
from ._arguments import data_format as data_format_check
from ._arguments import rate as rate_check
from ._arguments import shape as shape_check

_RELU = activations.get("relu")


def _serialize_activation(activation):
    return activations.serialize(activation)


@legacy.renames(legacy.WEIGHTS, legacy.DENSE)
class Dense(Layer):
    """Densely-connected layer: ``activation(dot(input, kernel) + bias)``.

    Arguments:
        units: positive int, the output dimension.
        activation: name or function (default linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (default glorot_uniform / zeros).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    Inputs of rank > 2 are contracted on their last axis. Keras 1 names
    (``output_dim``, ``init``, ``W_regularizer``, ``bias`` …) are accepted with a
    DeprecationWarning.

    Example:
        >>> model.add(Dense(64, activation='relu', input_dim=20))
    """

    def __init__(self, units=None, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        if units is None:
            raise TypeError("Dense: the number of units is required, e.g. Dense(64).")
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = flag("Dense", "use_bias", use_bias)
        set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense layer {self.name}: the last dimension of the input must be known, got {input_shape}.")
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        if self.activation is _RELU:  # fused into the dense op
            return K.dense(inputs, self.kernel, self.bias, relu=True)
        return self.activation(K.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=_serialize_activation(self.activation),
            use_bias=self.use_bias,
            **weight_config(self, "kernel", "bias"),
        )
        return config


class Activation(Layer):
    """Applies an activation function (a name such as ``'relu'``, or a callable) to its input."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = _serialize_activation(self.activation)
        return config


@legacy.renames(legacy.DROPOUT)
class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 during training, scaling the rest by ``1 / (1 - rate)``.

    Arguments:
        rate: float in [0, 1), the fraction to drop. (Keras 1: ``p``.)
        noise_shape: shape of the binary mask, broadcast against the input
            (``None`` entries take the input's size).
        seed: random seed.
    """

    def __init__(self, rate=None, noise_shape=None, seed=None, **kwargs):
        if rate is None:
            raise TypeError("Dropout: the dropout rate is required, e.g. Dropout(0.5).")
        self.rate = rate_check(type(self).__name__, "rate", rate)
        super().__init__(**kwargs)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def _mask_shape(self, inputs):
        if self.noise_shape is None:
            return inputs.shape
        return tuple(s if n is None else n for n, s in zip(self.noise_shape, inputs.shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        rng = generator(self.seed) if self.seed is None else _seeded(self)
        dtype = inputs.dtype if inputs.dtype.kind == "f" else np.dtype(np.float32)
        uniform = rng.random(self._mask_shape(inputs), dtype=np.float64 if dtype == np.float64 else np.float32)
        mask = np.less(uniform, keep, out=uniform.astype(dtype, copy=False))  # 1.0 where kept, else 0.0
        mask *= np.asarray(1.0 / keep, dtype=dtype)
        return inputs * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config


def _seeded(layer):
    """A per-layer generator seeded once from ``seed``, so successive calls draw new masks."""
    rng = getattr(layer, "_rng", None)
    if rng is None:
        rng = layer._rng = np.random.default_rng(layer.seed)
    return rng


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, d1, d2, …)`` → ``(batch, d1*d2*…)``.

    Arguments:
        data_format: ``'channels_first'`` moves channels last before flattening (as Keras does),
            so weights exchange between data formats.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_check("Flatten", data_format)
        self.input_spec = InputSpec(min_ndim=2)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = K.permute_dimensions(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return K.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            raise ValueError(
                f"Flatten layer {self.name}: the shape of the input is not fully defined "
                f"(got {tuple(rest)}). Make sure to pass a complete input_shape."
            )
        return (input_shape[0], int(np.prod(rest)))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = shape_check("Reshape", "target_shape", target_shape, allow_unknown=True)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(f"Reshape: at most one dimension can be -1, got {self.target_shape}.")

    def _resolve(self, input_shape):
        total = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(total // known if d == -1 else d for d in self.target_shape)
        if (-1 not in self.target_shape and known != total) or (known and total % known):
            raise ValueError(
                f"Reshape layer {self.name}: total size of the new array must be unchanged; cannot "
                f"reshape an input of shape {tuple(input_shape)} ({total} values) to {self.target_shape}."
            )
        return shape

    def call(self, inputs):
        return K.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` are 1-based, e.g. ``(2, 1)`` swaps the first two."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = shape_check("Permute", "dims", dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: dims must be a permutation of 1..{len(self.dims)} (1-based, the batch axis "
                f"excluded); got {self.dims}."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"RepeatVector: n must be a positive integer, got {n!r}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return K.repeat(inputs, self.n)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


class Lambda(Layer):
    """Wraps an arbitrary function of its input as a layer.

    Arguments:
        function: ``function(inputs, **arguments)``.
        output_shape: the output shape without the batch axis (tuple), or a function of the
            input shape; inferred by running the function when omitted.
        mask: a mask (or function of inputs and mask) to output.
        arguments: extra keyword arguments for ``function``.

    Saving: the function is saved by name when it has one, and resolved on load
    through the registries (``numkeras.activations.register``) or ``custom_objects``;
    backend functions and NumPy ufuncs always resolve. An importable module path or
    a lambda's bytecode is only used when loading with ``safe_mode=False``, because
    it would let the file choose which code runs.

    Example:
        >>> model.add(Lambda(lambda x: x ** 2))
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, (list, tuple)) else output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self._accepts_mask = "mask" in _parameters(function)

    def call(self, inputs, mask=None):
        arguments = dict(self.arguments)
        if self._accepts_mask:
            arguments["mask"] = mask
        return self.function(inputs, **arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return self._infer_output_shape(input_shape)
        if callable(self._output_shape):
            shape = self._output_shape(input_shape)
            return tuple(shape) if not isinstance(shape, list) else shape
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + tuple(self._output_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        from numkeras.saving.functions import serialize_function

        config = super().get_config()
        config["function"] = serialize_function(self.function)
        config["arguments"] = self.arguments
        if self._output_shape is not None:
            config["output_shape"] = (
                serialize_function(self._output_shape) if callable(self._output_shape) else list(self._output_shape)
            )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        from numkeras.saving.functions import deserialize_function

        config = dict(config)
        config["function"] = deserialize_function(config["function"], custom_objects, safe_mode)
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = deserialize_function(config["output_shape"], custom_objects, safe_mode)
        config.pop("output_shape_type", None)
        config.pop("function_type", None)
        return cls(**config)


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
