"""Fused ops on the hot path: ``dense`` (matmul + bias, and optionally ReLU, in one node)."""

from .. import kernels
from ..blas import column_sums, matmul
from ..tensor import Function
from ._util import operand


class Dense(Function):
    """``x @ kernel + bias`` over the last axis of ``x``, optionally followed by ReLU.

    One BLAS call forward, two backward. With ``relu`` the activation happens in place
    on the product (no second output array, no separate node), as in the convolution op.
    """

    def __init__(self, relu=False):
        self.relu = relu

    def forward(self, x, kernel, bias=None):
        self.x, self.kernel = x, kernel
        flat = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = matmul(flat, kernel)
        if self.relu:
            self.active = bias_relu(self, out, bias)
        elif bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (kernel.shape[1],)) if x.ndim != 2 else out

    def backward(self, g):
        x, kernel = self.x, self.kernel
        g2, gb = _pre_activation_gradient(g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g, self)
        gx = gk = None
        if self.needs_grad[0]:
            gx = matmul(g2, kernel.T).reshape(x.shape)
        if self.needs_grad[1]:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gk = matmul(x2.T, g2)
        return (gx, gk, gb) if len(self.needs_grad) > 2 else (gx, gk)


def bias_relu(op, y, bias):
    """In place ``y = max(y + bias, 0)`` for ``op``'s forward; returns the ReLU's mask, or ``None``.

    The mask is only for the backward pass: an op that will not be recorded (inference)
    gets none, and NumPy saves the pass that computes it. A compiled ``bias_relu`` kernel
    writes the mask in the same pass as the ReLU, so it still runs (and its mask is dropped);
    where it declines the arguments (small arrays), NumPy's passes without the mask run.
    """
    if op.recorded:
        return kernels.bias_relu(y, bias)
    if kernels.compiled_result("bias_relu", y, bias) is not None:
        return None
    if bias is not None:
        y += bias
    kernels.relu(y, out=y)
    return None


def _pre_activation_gradient(g2, op):
    """``(gradient before op's ReLU, its bias's gradient or None)`` for the 2-D output gradient ``g2``.

    ``op`` is a product + bias (+ ReLU) op whose inputs are ``(x, kernel[, bias])``.
    """
    wants_bias = len(op.needs_grad) > 2 and op.needs_grad[2]
    if not op.relu:
        return g2, column_sums(g2) if wants_bias else None
    if wants_bias:
        return kernels.relu_grad_sums(g2, op.active)
    return kernels.relu_grad(g2, op.active), None


def dense(x, kernel, bias=None, relu=False):
    """``dot(x, kernel) + bias`` contracting the last axis of ``x`` (a Dense layer's linear part).

    ``relu=True`` applies ``max(·, 0)`` inside the same op (what ``Dense(activation='relu')`` uses).
    """
    x = operand(x)
    if bias is None:
        return Dense(relu).apply(x, operand(kernel))
    return Dense(relu).apply(x, operand(kernel), operand(bias))


def bias_add(x, bias, data_format=None):
    """Adds ``bias`` along the channel axis (last for channels_last, 1 for channels_first)."""
    from .arithmetic import add
    from .shape import reshape

    x = operand(x)
    if data_format == "channels_first" and x.ndim > 2:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return add(x, reshape(bias, shape))
    return add(x, bias)


__all__ = ["dense", "bias_add"]
