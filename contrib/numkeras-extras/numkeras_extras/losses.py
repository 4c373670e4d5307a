"""Focal loss (Lin et al., "Focal Loss for Dense Object Detection", 2017), binary and categorical.

With ``p_t`` the probability the model gives the true class, the focal loss of one
prediction is ``-alpha_t * (1 - p_t)**gamma * log(p_t)``: the cross-entropy, scaled down
for examples that are already classified well (``p_t`` near 1) so that training attends
to the hard ones. ``gamma = 0`` and ``alpha_t = 1`` give the cross-entropy back.
"""

from numkeras import backend as K
from numkeras.losses import Loss
from numkeras.utils.validation import boolean, check, number


def _tensors(y_true, y_pred):
    """Both as Tensors of ``y_pred``'s float dtype (``K.floatx()`` for integers or lists)."""
    y_pred = y_pred if isinstance(y_pred, K.Tensor) else K.Tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = K.cast(y_pred, K.floatx())
    y_true = y_true if isinstance(y_true, K.Tensor) else K.Tensor(y_true)
    return (y_true if y_true.dtype == y_pred.dtype else K.cast(y_true, y_pred.dtype)), y_pred


def binary_focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25, from_logits=False):
    """The binary focal loss, one value per sample (the mean over the last axis).

    ``p_t = p`` where ``y_true = 1`` and ``1 - p`` where it is 0; ``alpha_t = alpha``
    and ``1 - alpha`` likewise; each element's loss is
    ``-alpha_t * (1 - p_t)**gamma * log(p_t)``, with ``p`` clipped to
    ``[eps, 1 - eps]`` as Keras clips it for the cross-entropy. (For soft targets,
    ``-log(p_t)`` is the cross-entropy ``-(y log p + (1 - y) log(1 - p))``; with
    ``from_logits`` it is computed from the logits, without clipping.)

    Arguments:
        y_true: 0/1 targets, ``(samples, ...)``.
        y_pred: probabilities (or logits, with ``from_logits=True``), same shape.
        gamma: the focusing parameter, ``>= 0`` (2 in the paper).
        alpha: the weight of the positive class, in ``[0, 1]`` (0.25 in the paper).
        from_logits: ``y_pred`` are logits (a sigmoid is applied first).

    Example:
        >>> model.compile('adam', loss='binary_focal_loss')
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if from_logits:  # the cross-entropy from the logits directly: exact where sigmoid saturates
        p = K.sigmoid(y_pred)
        cross_entropy = y_true * K.softplus(-y_pred) + (1.0 - y_true) * K.softplus(y_pred)
    else:
        p = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())
        cross_entropy = -(y_true * K.log(p) + (1.0 - y_true) * K.log(1.0 - p))
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    alpha_t = y_true * alpha + (1.0 - y_true) * (1.0 - alpha)
    return K.mean(alpha_t * K.pow(1.0 - p_t, gamma) * cross_entropy, axis=-1)


binary_focal_loss.target_kind = "binary"


def categorical_focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25, from_logits=False):
    """The categorical focal loss, one value per sample (the sum over the classes).

    ``sum_c -alpha * y_c * (1 - p_c)**gamma * log(p_c)``, with the probabilities
    renormalised to sum to 1 and clipped to ``[eps, 1 - eps]`` (as Keras's categorical
    cross-entropy does). For one-hot targets this is ``-alpha (1 - p_t)**gamma log(p_t)``.

    Arguments:
        y_true: one-hot (or soft) targets, ``(samples, classes)``.
        y_pred: probabilities (or logits, with ``from_logits=True``), same shape.
        gamma: the focusing parameter, ``>= 0``.
        alpha: a weight on every class, in ``[0, 1]``.
        from_logits: ``y_pred`` are logits (a softmax is applied first).
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if from_logits:
        y_pred = K.softmax(y_pred)
    else:
        y_pred = y_pred / K.sum(y_pred, axis=-1, keepdims=True)
    p = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())
    return K.sum(-alpha * y_true * K.pow(1.0 - p, gamma) * K.log(p), axis=-1)


categorical_focal_loss.target_kind = "one_hot"


class _FocalLoss(Loss):
    function = None

    def __init__(self, gamma=2.0, alpha=0.25, from_logits=False, reduction="sum_over_batch_size", name=None):
        check(type(self).__name__, gamma=(gamma, number(0)), alpha=(alpha, number(0, 1)),
              from_logits=(from_logits, boolean()))
        self.gamma, self.alpha, self.from_logits = float(gamma), float(alpha), from_logits
        super().__init__(reduction=reduction, name=name or self.function.__name__)

    @property
    def target_kind(self):
        return self.function.target_kind

    def call(self, y_true, y_pred):
        return type(self).function(y_true, y_pred, gamma=self.gamma, alpha=self.alpha, from_logits=self.from_logits)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha, "from_logits": self.from_logits}


class BinaryFocalLoss(_FocalLoss):
    """:func:`binary_focal_loss` as a Loss object, with its ``gamma``, ``alpha``, ``from_logits``.

    Example:
        >>> model.compile('adam', loss=BinaryFocalLoss(gamma=2.0, alpha=0.25))
    """

    function = staticmethod(binary_focal_loss)


class CategoricalFocalLoss(_FocalLoss):
    """:func:`categorical_focal_loss` as a Loss object, with its ``gamma``, ``alpha``, ``from_logits``."""

    function = staticmethod(categorical_focal_loss)
