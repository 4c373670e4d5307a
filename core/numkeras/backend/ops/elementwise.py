"""Elementwise math: exp, log, sqrt, square, abs, sin, cos, tanh, sigmoid, relu and friends."""

import numpy as np

from .. import kernels
from ..tensor import Function, Tensor, unbroadcast
from ._util import binary_operands, operand


class Exp(Function):
    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, g):
        return (g * self.y,)


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        return (g / self.x,)


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, g):
        return (g / (1 + self.x),)


class Sqrt(Function):
    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, g):
        return (g / (2 * self.y),)


class Square(Function):
    def forward(self, x):
        self.x = x
        return np.square(x)

    def backward(self, g):
        return (2 * g * self.x,)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return (g * np.sign(self.x),)


class Sin(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, g):
        return (g * np.cos(self.x),)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, g):
        return (-g * np.sin(self.x),)


class Tanh(Function):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return (g * (1 - self.y * self.y),)


def _float(x):
    """``x``, or an integer or boolean array as the float type NumPy's ``exp`` makes of it.

    For the ops whose values are fractions (sigmoid, ELU, ...): cast back to the integer
    type, sigmoid([1, 2]) was [0, 0].
    """
    return x.astype(np.result_type(x.dtype, np.float16)) if x.dtype.kind in "biu" else x


def stable_sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow: exp only ever sees non-positive numbers.

    With ``e = exp(-|x|)``: ``1 / (1 + e)`` where ``x >= 0``, ``e * (1 / (1 + e))`` elsewhere,
    each as accurate as ``e`` (no cancellation). ``e`` and the quotient are computed in
    place: two arrays instead of six (besides the sign test and the result), 0.48 against
    1.07 ms on 128x512 float32, the same numbers bit for bit.
    Integers (and booleans) become the float type NumPy's ``exp`` gives them.
    """
    x = _float(np.asarray(x))
    if x.ndim == 0:  # NumPy's ufuncs answer a 0-d array with a scalar, which cannot be written into
        return stable_sigmoid(x.reshape(1)).reshape(())
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    y = e + 1
    np.divide(1, y, out=y)
    return np.where(x >= 0, y, np.multiply(e, y, out=e))


class Sigmoid(Function):
    def forward(self, x):
        # Split by sign so exp never overflows.
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, g):
        return (g * self.y * (1 - self.y),)


class HardSigmoid(Function):
    def forward(self, x):
        self.x = x = _float(x)
        return np.clip(0.2 * x + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, g):
        inside = (self.x > -2.5) & (self.x < 2.5)
        return (g * 0.2 * inside,)


class Relu(Function):
    """Keras 2.2.4's ``relu(x, alpha, max_value, threshold)``, term by term::

        y = x where x > threshold else 0        (plain max(x, 0) when threshold == 0)
        y = clip(y, 0, max_value)               (when max_value is given)
        y = y - alpha * max(threshold - x, 0)   (the leak below the threshold)
    """

    def __init__(self, alpha=0.0, max_value=None, threshold=0.0):
        self.alpha, self.max_value, self.threshold = alpha, max_value, threshold

    def forward(self, x):
        if not self.alpha and self.max_value is None and not self.threshold:
            self.x = x
            return kernels.relu(x)  # integers stay integers: max(x, 0) is one
        self.x = x = _float(x)  # a leak, a cap or a threshold may be a fraction
        dtype = x.dtype
        y = np.where(x > self.threshold, x, 0) if self.threshold else kernels.relu(x)
        if self.max_value is not None:
            y = np.clip(y, 0, self.max_value)
        if self.alpha:
            y = y - self.alpha * np.maximum(self.threshold - x, 0)
        return y.astype(dtype, copy=False)

    def backward(self, g):
        x = self.x
        if not self.alpha and self.max_value is None and not self.threshold:
            return (g * (x > 0),)
        slope = (x > self.threshold).astype(g.dtype) if self.threshold else (x > 0).astype(g.dtype)
        if self.max_value is not None:
            slope *= x < self.max_value
        if self.alpha:
            slope += self.alpha * (x < self.threshold)
        return ((g * slope).astype(g.dtype, copy=False),)


class Elu(Function):
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.x = x = _float(x)
        self.neg = self.alpha * np.expm1(np.minimum(x, 0))
        return np.where(x > 0, x, self.neg).astype(x.dtype, copy=False)

    def backward(self, g):
        return (g * np.where(self.x > 0, 1, self.neg + self.alpha).astype(g.dtype, copy=False),)


class Softplus(Function):
    def forward(self, x):
        self.x = x = _float(x)
        return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)

    def backward(self, g):
        return (g * Sigmoid().forward(self.x),)


class Softsign(Function):
    def forward(self, x):
        self.x = x
        return x / (1 + np.abs(x))

    def backward(self, g):
        d = 1 + np.abs(self.x)
        return (g / (d * d),)


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.x = x
        # maximum/minimum rather than np.clip: same result, a fraction of the call overhead.
        y = x if np.ndim(self.low) == 0 and self.low == -np.inf else np.maximum(x, self.low)
        y = y if np.ndim(self.high) == 0 and self.high == np.inf else np.minimum(y, self.high)
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        inside = (self.x >= self.low) & (self.x <= self.high)
        # where, not g * inside: an infinite g outside the range (sqrt at 0) must give 0, not nan.
        return (np.where(inside, g, np.zeros((), g.dtype)),)


class Maximum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        pick_a = a >= b
        ga = unbroadcast(g * pick_a, np.shape(a)) if self.needs_grad[0] else None
        gb = unbroadcast(g * ~pick_a, np.shape(b)) if self.needs_grad[1] else None
        return ga, gb


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        pick_a = a <= b
        ga = unbroadcast(g * pick_a, np.shape(a)) if self.needs_grad[0] else None
        gb = unbroadcast(g * ~pick_a, np.shape(b)) if self.needs_grad[1] else None
        return ga, gb


class Where(Function):
    """``where(condition, a, b)``; the condition carries no gradient."""

    def forward(self, condition, a, b):
        self.condition = np.asarray(condition, dtype=bool)
        self.shapes = (np.shape(a), np.shape(b))
        return np.where(self.condition, a, b)

    def backward(self, g):
        zero = np.zeros((), g.dtype)
        ga = unbroadcast(np.where(self.condition, g, zero), self.shapes[0]) if self.needs_grad[1] else None
        gb = unbroadcast(np.where(self.condition, zero, g), self.shapes[1]) if self.needs_grad[2] else None
        return None, ga, gb


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return (g.astype(self.source) if self.source.kind == "f" else None,)


def _unary(function_class):
    """The public function of a one-input op, named after it (``K.square.__name__ == 'square'``)."""

    def apply(x, *args, **kwargs):
        return function_class(*args, **kwargs).apply(operand(x))

    name = function_class.__name__.lower().replace("hardsigmoid", "hard_sigmoid")
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Elementwise ``{name}`` (differentiable)."
    return apply


exp = _unary(Exp)
log = _unary(Log)
log1p = _unary(Log1p)
sqrt = _unary(Sqrt)
square = _unary(Square)
abs = _unary(Abs)  # noqa: A001 - mirrors K.abs
sin = _unary(Sin)
cos = _unary(Cos)
tanh = _unary(Tanh)
sigmoid = _unary(Sigmoid)
hard_sigmoid = _unary(HardSigmoid)
softplus = _unary(Softplus)
softsign = _unary(Softsign)
elu = _unary(Elu)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with optional leak ``alpha``, cap ``max_value`` and ``threshold``."""
    return Relu(alpha, max_value, threshold).apply(operand(x))


def clip(x, min_value, max_value):
    """Elementwise clip into ``[min_value, max_value]``; gradient 0 outside the range.

    Either bound may be None (unbounded). As in Keras, a scalar ``max_value`` below
    ``min_value`` is raised to it. Bounds are constants: no gradient flows to them.
    """
    low = -np.inf if min_value is None else _constant(min_value)
    high = np.inf if max_value is None else _constant(max_value)
    if np.ndim(low) == 0 and np.ndim(high) == 0 and high < low:
        high = low
    return Clip(low, high).apply(operand(x))


def _constant(value):
    return value.data if isinstance(value, Tensor) else value


def maximum(a, b):
    """Elementwise maximum; ties send the gradient to ``a``."""
    return Maximum().apply(*binary_operands(a, b))


def minimum(a, b):
    """Elementwise minimum; ties send the gradient to ``a``."""
    return Minimum().apply(*binary_operands(a, b))


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (differentiable in a and b)."""
    a, b = binary_operands(a, b)
    if isinstance(condition, Tensor):
        condition = condition.data
    return Where().apply(condition, a, b)


def cast(x, dtype):
    """``x`` converted to ``dtype``; gradients flow back between float types."""
    x = operand(x)
    if x.dtype == np.dtype(dtype):
        return x if isinstance(x, Tensor) else Tensor(x)
    return Cast(dtype).apply(x)


def sign(x):
    """Elementwise sign (no gradient)."""
    return Tensor(np.sign(operand(x).data if isinstance(x, Tensor) else operand(x)))
