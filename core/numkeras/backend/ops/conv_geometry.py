"""The geometry of sliding windows: output sizes and padding, one spatial axis at a time.

Plain integer arithmetic, shared by the convolution and pooling ops and by the
layers' ``compute_output_shape``; nothing here touches an array's values.
Padding follows Keras (TensorFlow): ``'same'`` puts the smaller half first.
"""

import numpy as np

PADDINGS = ("valid", "same", "full", "causal")


# -- geometry --------------------------------------------------------------------------
def normalize_tuple(value, rank, name):
    """``value`` (an int or a sequence of ``rank`` ints) as a tuple of ``rank`` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    value = tuple(value)
    if len(value) != rank or not all(isinstance(v, (int, np.integer)) for v in value):
        raise ValueError(f"The {name} argument must be an int or a tuple of {rank} ints; got {value!r}.")
    return tuple(int(v) for v in value)


def effective_kernel_size(kernel, dilation):
    """The extent of a dilated kernel: ``(k - 1) * d + 1``."""
    return (kernel - 1) * dilation + 1


def padding_amounts(size, kernel, stride, dilation, padding):
    """``(before, after)`` zero padding of one spatial axis, as Keras (TensorFlow) pads it.

    ``'same'`` pads ``max((ceil(n / s) - 1) * s + k_eff - n, 0)`` in total, the smaller
    half first; ``'full'`` pads ``k_eff - 1`` on both sides (Keras 1); ``'causal'`` pads
    ``k_eff - 1`` before (Conv1D).
    """
    extent = effective_kernel_size(kernel, dilation)
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        total = max((-(-size // stride) - 1) * stride + extent - size, 0)
        return (total // 2, total - total // 2)
    if padding == "full":
        return (extent - 1, extent - 1)
    if padding == "causal":
        return (extent - 1, 0)
    raise ValueError(f"Unknown padding {padding!r}: expected one of {', '.join(map(repr, PADDINGS))}.")


def conv_output_length(size, kernel, stride, padding, dilation=1):
    """The output length of a convolution along one axis (None stays None)."""
    if size is None:
        return None
    lo, hi = padding_amounts(size, kernel, stride, dilation, padding)
    return max((size + lo + hi - effective_kernel_size(kernel, dilation)) // stride + 1, 0)


def deconv_output_length(size, kernel, stride, padding, output_padding=None, dilation=1):
    """The output length of a transposed convolution along one axis (Keras's ``deconv_length``)."""
    if size is None:
        return None
    extent = effective_kernel_size(kernel, dilation)
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(extent - stride, 0)
        if padding == "full":
            return size * stride - (stride + extent - 2)
        if padding == "same":
            return size * stride
        raise ValueError(f"Unknown padding {padding!r} for a transposed convolution.")
    pad = {"same": extent // 2, "valid": 0, "full": extent - 1}[padding]
    return (size - 1) * stride + extent - 2 * pad + output_padding


def _deconv_pads(size, out, kernel, stride, dilation, padding):
    """The padding of the forward convolution that maps ``out`` back to ``size``."""
    extent = effective_kernel_size(kernel, dilation)
    if padding == "full":
        before = extent - 1
    elif padding == "same":
        before = max((size - 1) * stride + extent - out, 0) // 2
    else:
        before = 0
    after = max((size - 1) * stride + extent - before - out, 0)
    return (before, after)


def window_geometry(x, rank, kernel, strides, padding, dilation_rate, what):
    """``(kernel, strides, dilation, pads)`` of a window op over channels-last ``x``, each a tuple per spatial axis.

    Checks the rank of ``x`` (``what`` names the op in the error) and the arguments.
    """
    if x.ndim != rank + 2:
        raise ValueError(
            f"{what}: expected an input of rank {rank + 2} (batch, {rank} spatial axes, channels), "
            f"got shape {x.shape}."
        )
    kernel = normalize_tuple(kernel, rank, "kernel_size")
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    pads = tuple(padding_amounts(n, k, s, d, padding)
                 for n, k, s, d in zip(x.shape[1:-1], kernel, strides, dilation))
    return kernel, strides, dilation, pads
