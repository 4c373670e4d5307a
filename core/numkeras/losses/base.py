"""The ``Loss`` protocol."""

import numpy as np

from .. import backend as K


class Loss:
    """Base class of loss objects.

    Subclasses implement ``call(y_true, y_pred)`` returning one loss value per sample
    (any trailing axes are averaged). Calling the object reduces it to a scalar, with
    optional per-sample weights. The training loop calls ``call`` and applies sample
    weights, class weights and masks itself.

    Arguments:
        reduction: ``'sum_over_batch_size'`` (mean, default), ``'sum'`` or ``'none'``.
        name: the loss's name.

    Example:
        >>> class Huber(Loss):
        ...     def __init__(self, delta=1.0, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.delta = delta
        ...     def call(self, y_true, y_pred):
        ...         error = K.abs(y_true - y_pred)
        ...         quadratic = K.minimum(error, self.delta)
        ...         return K.mean(0.5 * quadratic ** 2 + self.delta * (error - quadratic), axis=-1)
    """

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in ("sum_over_batch_size", "auto", "sum", "none"):
            raise ValueError(
                f"Unknown reduction {reduction!r}: expected 'sum_over_batch_size', 'sum' or 'none'."
            )
        self.reduction = reduction
        self.name = name or type(self).__name__

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=K.floatx())
            while weight.ndim < losses.ndim:
                weight = weight[..., None]
            losses = losses * weight
        if self.reduction == "none":
            return losses
        if self.reduction == "sum":
            return K.sum(losses)
        return K.mean(losses)

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config
