"""Noise and regularization layers: GaussianNoise, GaussianDropout, AlphaDropout,
SpatialDropout1D/2D/3D and ActivityRegularization. Each is the identity at inference."""

import numpy as np

from numkeras import regularizers
from numkeras.engine.base_layer import InputSpec, Layer
from numkeras.utils import legacy
from numkeras.utils.random import generator

from . import _arguments as check
from .core import Dropout


class _Noise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def _rng(self, seed=None):
        if seed is None:
            return generator()
        if getattr(self, "_seeded_rng", None) is None:
            self._seeded_rng = np.random.default_rng(seed)
        return self._seeded_rng


@legacy.renames(legacy.GAUSSIAN_NOISE)
class GaussianNoise(_Noise):
    """Adds zero-centered Gaussian noise of standard deviation ``stddev`` in training (a regularizer).

    Keras 1: ``sigma`` is ``stddev``.
    """

    def __init__(self, stddev=None, **kwargs):
        if stddev is None:
            raise TypeError("GaussianNoise: stddev is required, e.g. GaussianNoise(0.1).")
        self.stddev = check.non_negative_number("GaussianNoise", "stddev", stddev)
        super().__init__(**kwargs)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = self._rng().normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        return inputs + noise

    def get_config(self):
        config = super().get_config()
        config["stddev"] = self.stddev
        return config


@legacy.renames(legacy.DROPOUT)
class GaussianDropout(_Noise):
    """Multiplies the inputs by ``1``-centered Gaussian noise of stddev ``sqrt(rate / (1 - rate))`` in training.

    Keras 1: ``p`` is ``rate``.
    """

    def __init__(self, rate=None, **kwargs):
        if rate is None:
            raise TypeError("GaussianDropout: rate is required, e.g. GaussianDropout(0.2).")
        super().__init__(**kwargs)
        self.rate = check.rate("GaussianDropout", "rate", rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = np.sqrt(self.rate / (1.0 - self.rate))
        return inputs * self._rng().normal(1.0, stddev, inputs.shape).astype(inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config["rate"] = self.rate
        return config


class AlphaDropout(_Noise):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    Dropped units are set to SELU's negative saturation value, then an affine map restores
    mean and variance (Klambauer et al., 2017). Identity at inference.

    Arguments:
        rate: drop probability in [0, 1).
        noise_shape: shape of the binary mask (``None`` entries take the input's size).
        seed: random seed.
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate=None, noise_shape=None, seed=None, **kwargs):
        if rate is None:
            raise TypeError("AlphaDropout: rate is required, e.g. AlphaDropout(0.1).")
        super().__init__(**kwargs)
        self.rate = check.rate("AlphaDropout", "rate", rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or not 0 < self.rate < 1:
            return inputs
        shape = inputs.shape if self.noise_shape is None else tuple(
            n if d is None else d for d, n in zip(self.noise_shape, inputs.shape))
        alpha_p = -self._ALPHA * self._SCALE
        kept = (self._rng(self.seed).random(shape) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        dropped = (alpha_p * (1 - kept)).astype(inputs.dtype)
        return inputs * (kept * np.asarray(a, inputs.dtype)) + (a * dropped + b).astype(inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one mask value per sample and channel."""

    rank = None

    def __init__(self, rate=None, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = check.data_format(type(self).__name__, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _mask_shape(self, inputs):
        n, ones = inputs.shape[0], (1,) * self.rank
        if self.data_format == "channels_first":
            return (n, inputs.shape[1]) + ones
        return (n,) + ones + (inputs.shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config.pop("seed", None)
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops entire 1D feature maps (channels of ``(batch, steps, channels)``) with probability ``rate``."""

    rank = 1

    def __init__(self, rate=None, **kwargs):
        super().__init__(rate, data_format="channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2D feature maps (channels of images) with probability ``rate``."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3D feature maps (channels of volumes) with probability ``rate``."""

    rank = 3


class ActivityRegularization(Layer):
    """Identity that adds ``l1 * sum(|x|) + l2 * sum(x²)`` of its input to the model loss."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError(f"ActivityRegularization: l1 and l2 must be >= 0, got l1={l1!r}, l2={l2!r}.")
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update(l1=self.l1, l2=self.l2)
        return config
