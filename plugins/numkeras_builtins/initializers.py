"""Built-in weight initializers (Keras 2.2.4 definitions); each is one entry point.

All randomness comes from ``numkeras.utils.random.generator``, so
``numkeras.utils.set_random_seed`` makes weights reproducible.
"""

import numpy as np

from numkeras.initializers import Initializer
from numkeras.utils.random import generator

# stddev of a standard normal truncated at two standard deviations.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _dtype(dtype):
    from numkeras import backend as K

    return np.dtype(dtype or K.floatx())


def _truncated_normal(shape, mean, stddev, seed):
    """Normal samples redrawn until all lie within two standard deviations of the mean."""
    rng = generator(seed)
    values = np.array(rng.normal(0.0, 1.0, size=shape), dtype=np.float64)
    outside = np.abs(values) > 2.0
    while np.any(outside):
        values[outside] = rng.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


def compute_fans(shape):
    """``(fan_in, fan_out)`` for a weight of ``shape`` (dense: (in, out); conv: (..., in, out))."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (3, 4, 5):
        receptive_field = int(np.prod(shape[:-2]))
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    root = np.sqrt(np.prod(shape)) if shape else 1.0
    return root, root


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element set to ``value``."""

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal distribution with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return generator(self.seed).normal(self.mean, self.stddev, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform distribution on ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return generator(self.seed).uniform(self.minval, self.maxval, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal distribution truncated (redrawn) beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.mean, self.stddev, self.seed).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Scale adapted to the weight's fans (Keras 2.2.4).

    ``n`` is fan_in, fan_out or their mean (``mode``; at least 1); ``'normal'`` (also
    spelled ``'truncated_normal'``) draws a normal truncated at two standard deviations
    with stddev ``sqrt(scale / n) / .8796`` (so the truncated samples have variance
    ``scale / n``), ``'untruncated_normal'`` a plain normal with stddev ``sqrt(scale / n)``,
    ``'uniform'`` draws from ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``.
    Fans: ``(in, out)`` for a dense kernel; for a conv kernel ``(..., in, out)`` both
    are multiplied by the receptive field size; otherwise both are ``sqrt(size)``.

    Raises:
        ValueError: a non-positive ``scale`` or an unknown ``mode`` / ``distribution``.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="normal", seed=None):
        if not scale > 0.0:
            raise ValueError(f"VarianceScaling: scale must be a positive float, got {scale!r}.")
        mode = str(mode).lower()
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}.")
        distribution = str(distribution).lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(
                f"VarianceScaling: distribution must be 'normal', 'uniform', 'truncated_normal' or "
                f"'untruncated_normal', got {distribution!r}."
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution in ("normal", "truncated_normal"):
            values = _truncated_normal(shape, 0.0, np.sqrt(scale) / _TRUNCATED_NORMAL_STDDEV, self.seed)
        elif self.distribution == "untruncated_normal":
            values = generator(self.seed).normal(0.0, np.sqrt(scale), size=shape)
        else:
            limit = np.sqrt(3.0 * scale)
            values = generator(self.seed).uniform(-limit, limit, size=shape)
        return values.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class Orthogonal(Initializer):
    """A random orthogonal matrix (rows or columns orthonormal), times ``gain``."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        num_rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        num_cols = shape[-1]
        flat = generator(self.seed).normal(0.0, 1.0, size=(num_rows, num_cols))
        u, _, v = np.linalg.svd(flat, full_matrices=False)
        q = u if u.shape == flat.shape else v
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """The identity matrix times ``gain``, for 2D shapes (non-square: ``eye(rows, cols)``, as in tf.keras).

    Raises:
        ValueError: a shape that is not 2D.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, got {tuple(shape)}.")
        return (self.gain * np.eye(shape[0], shape[1])).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


def _variance_scaling_preset(name, scale, mode, distribution):
    class Preset(VarianceScaling):
        __doc__ = f"``VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})``."

        def __init__(self, seed=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

        def get_config(self):
            return {"seed": self.seed}

        @classmethod
        def from_config(cls, config):
            return cls(seed=config.get("seed"))

    Preset.__name__ = Preset.__qualname__ = name
    return Preset


GlorotUniform = _variance_scaling_preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling_preset("GlorotNormal", 1.0, "fan_avg", "normal")
HeUniform = _variance_scaling_preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_scaling_preset("HeNormal", 2.0, "fan_in", "normal")
LecunUniform = _variance_scaling_preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_scaling_preset("LecunNormal", 1.0, "fan_in", "normal")

# Keras 2's lowercase names are the same classes.
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
