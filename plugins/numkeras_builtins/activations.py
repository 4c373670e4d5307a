"""Built-in activation functions (Keras 2.2 definitions); each is one entry point."""

from numkeras import backend as K

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def softmax(x, axis=-1):
    """Softmax over ``axis``: ``exp(x) / sum(exp(x), axis)``, computed without overflow.

    Arguments:
        x: a tensor of rank >= 2.
        axis: the axis normalised over (the last by default).

    Raises:
        ValueError: for a 1D input (its only axis is the batch), as in Keras.
    """
    if K.ndim(x) == 1:
        raise ValueError(
            f"Cannot apply softmax to a tensor that is 1D (shape {K.int_shape(x)}): the input needs "
            f"a feature axis besides the batch axis."
        )
    return K.softmax(x, axis=axis)


def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return K.elu(x, alpha)


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    return K.elu(x, _SELU_ALPHA) * _SELU_SCALE


def softplus(x):
    """``log(exp(x) + 1)``."""
    return K.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return K.softsign(x)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)``, with optional leak, cap and threshold.

    ``x`` above ``threshold``, else ``alpha * (x - threshold)``; capped at ``max_value``.
    """
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def tanh(x):
    """Hyperbolic tangent."""
    return K.tanh(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return K.sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    return K.hard_sigmoid(x)


def exponential(x):
    """``exp(x)``."""
    return K.exp(x)


def linear(x):
    """The identity."""
    return x


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np", "K")]
