"""The ``Loss`` protocol: loss objects with a reduction, around per-sample loss functions."""

import numpy as np

from .. import backend as K
from ..registry import Namespace

REDUCTIONS = ("sum_over_batch_size", "auto", "sum", "none")

# numkeras.losses binds this surface (get, serialize …); made here so that the wrapper's
# get_config / from_config use it without importing their own package.
namespace = Namespace("losses")


class Loss:
    """Base class of loss objects.

    Subclasses implement ``call(y_true, y_pred)`` returning one loss value per sample
    (any trailing axes are averaged). Calling the object reduces it to a scalar, with
    optional per-sample weights. The training loop calls ``call`` and applies sample
    weights, class weights and masks itself (:mod:`numkeras.engine.objective`), as
    Keras 2.2 does for loss functions.

    Arguments:
        reduction: ``'sum_over_batch_size'`` (the mean; ``'auto'`` is the same),
            ``'sum'`` or ``'none'`` (the weighted per-sample values). ``compile``
            honours it: ``'sum'`` trains on the batch's sum instead of its mean, and
            ``'none'`` is refused there (training needs one number).
        name: the loss's name (default: the class name).

    Attributes:
        target_kind: what ``y_true`` holds, declared by the class (None by default):
            ``'sparse'`` (integer class labels), ``'one_hot'`` or ``'binary'``. It picks
            the accuracy for ``metrics=['acc']`` and the target-shape check in ``fit``.
            A loss function declares it as a function attribute.

    Returns (of calling it):
        A scalar Tensor, or the per-sample Tensor for ``reduction='none'``.

    Raises:
        ValueError: an unknown ``reduction``.

    Example:
        >>> class Huber(Loss):
        ...     def __init__(self, delta=1.0, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.delta = delta
        ...     def call(self, y_true, y_pred):
        ...         error = K.abs(y_true - y_pred)
        ...         quadratic = K.minimum(error, self.delta)
        ...         return K.mean(0.5 * quadratic ** 2 + self.delta * (error - quadratic), axis=-1)
        ...     def get_config(self):
        ...         return {**super().get_config(), 'delta': self.delta}
    """

    target_kind = None

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: unknown reduction {reduction!r}; expected one of "
                f"{', '.join(repr(r) for r in REDUCTIONS)}."
            )
        self.reduction = reduction
        self.name = name or type(self).__name__

    def call(self, y_true, y_pred):
        """One loss value per sample (a Tensor); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        if not isinstance(losses, K.Tensor):
            losses = K.Tensor(np.asarray(losses))
        if sample_weight is not None:
            losses = losses * _weights_like(sample_weight, losses)
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


def _weights_like(sample_weight, losses):
    """``sample_weight`` as an array that broadcasts against ``losses`` sample by sample.

    ``(samples,)`` weights get trailing axes for ``(samples, steps)`` losses, and a
    ``(samples, 1)`` weight column is squeezed for ``(samples,)`` losses (rather than
    broadcasting into a ``(samples, samples)`` matrix).
    """
    weight = np.asarray(K.eval(sample_weight) if isinstance(sample_weight, K.Tensor) else sample_weight,
                        dtype=losses.dtype if losses.dtype.kind == "f" else K.floatx())
    while weight.ndim > losses.ndim and weight.shape[-1] == 1:
        weight = weight[..., 0]
    while weight.ndim < losses.ndim:
        weight = weight[..., None]
    return weight


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Arguments:
        fn: the loss function.
        reduction, name: as for :class:`Loss` (``name`` defaults to ``fn.__name__``).
        **kwargs: passed to ``fn`` on every call (e.g. ``from_logits=True``).

    Example:
        >>> loss = LossFunctionWrapper(numkeras.losses.binary_crossentropy, from_logits=True)
        >>> loss([[1.0]], [[2.3]])
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    @property
    def target_kind(self):
        """The wrapped function's ``target_kind`` (``'sparse'``, ``'one_hot'``, ``'binary'`` or None)."""
        return getattr(self.fn, "target_kind", None)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is LossFunctionWrapper:
            config["fn"] = namespace.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            return cls(namespace.get(config.pop("fn")), **config)
        return cls(**config)
