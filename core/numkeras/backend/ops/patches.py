"""Image patches: :func:`im2col` copies the sliding windows of a channels-last image out,
:func:`col2im` (its adjoint) sums windows back into an image.

Both are kernels of ``numkeras.backend.kernels`` (NumPy: one copy out of a strided
view, one strided add per kernel offset; a plugin may compile them). These functions
add the padding, the output size and a recycled buffer for the big forward patches.
"""

import math
import sys
import threading

import numpy as np

from .. import kernels
from .conv_geometry import effective_kernel_size


def _pad(x, pads, value=0):
    if not any(lo or hi for lo, hi in pads):
        return x
    return np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)


_scratch = threading.local()
_SCRATCH_ENTRIES = 4


def _count_of_a_sole_local():
    """What ``sys.getrefcount`` says of an array that only a local name holds, asked as :func:`_reusable` asks.

    2 up to Python 3.13 (the name, and the call's argument). Python 3.14 may pass a local
    to a call without counting it (a borrowed reference: CPython gh-130704), which makes it
    1; a fixed threshold of 2 would then hand out a buffer that one other owner still holds
    (a convolution's patches kept for its backward pass, overwritten by the next
    convolution of the same shape: a wrong kernel gradient).
    """
    cache = {0: np.empty(0)}
    buffer = cache.pop(0, None)
    return sys.getrefcount(buffer)


def _sole_local_threshold():
    """:func:`_count_of_a_sole_local`, never above 2.

    A tracer that reads ``frame.f_locals`` (a debugger's, before Python 3.13, whose locals
    are a proxy that holds nothing) holds one more reference to every local: measured under
    one, the count is 3, which would hand out buffers still held. A count too low only
    forgoes reuse, hence the bound.
    """
    return min(_count_of_a_sole_local(), 2)


_SOLE_LOCAL = _sole_local_threshold()


def _reusable(shape, dtype):
    """An uninitialised array for patches, reused from an earlier step when no one holds it any more.

    The patches of a big convolution are tens of megabytes, allocated every step: fresh
    pages from the OS cost as much as filling them. A buffer is handed out again only
    when nothing but this cache refers to it (the op that used it, and every view of it,
    are gone), so reuse is invisible. Who else holds it is read from its reference count,
    measured against this interpreter's count for a sole local (:func:`_sole_local_threshold`).
    """
    cache = getattr(_scratch, "buffers", None)
    if cache is None:
        cache = _scratch.buffers = {}
    key = (tuple(shape), np.dtype(dtype).str)
    buffer = cache.pop(key, None)
    if buffer is None or sys.getrefcount(buffer) > _SOLE_LOCAL:
        buffer = np.empty(shape, dtype=dtype)
    cache[key] = buffer  # most recently used last
    while len(cache) > _SCRATCH_ENTRIES:
        cache.pop(next(iter(cache)))
    return buffer


def window_positions(padded, kernel, strides, dilation):
    """The number of window positions along each spatial axis of a padded input of size ``padded``."""
    return tuple((n - effective_kernel_size(k, d)) // s + 1 for n, k, s, d in zip(padded, kernel, strides, dilation))


def _windows(spatial, kernel, strides, dilation):
    """:func:`window_positions` of a padded input, which must hold at least one window."""
    out = window_positions(spatial, kernel, strides, dilation)
    if min(out) <= 0:
        raise ValueError(
            f"The convolution window (kernel {kernel}, dilation {dilation}) is larger than the "
            f"padded input {spatial}: the output would be empty."
        )
    return out


def im2col(x, kernel, strides, dilation, pads, reuse=False):
    """The windows of channels-last ``x`` as a contiguous ``(N, *out, *kernel, C)`` array.

    With ``reuse``, the result may be a recycled buffer (see :func:`_reusable`).
    """
    xp = _pad(x, pads)
    out = _windows(xp.shape[1:-1], kernel, strides, dilation)
    shape = (xp.shape[0],) + out + tuple(kernel) + (xp.shape[-1],)
    patches = _reusable(shape, xp.dtype) if reuse else np.empty(shape, dtype=xp.dtype)
    return kernels.im2col(xp, strides, dilation, patches)


def offset_columns(x, kernel, strides, dilation, pads):
    """The patches of a one-channel ``x`` ``(N, *spatial, 1)``, offset-major: ``(prod(kernel), N * prod(out))``.

    Row ``k`` holds kernel offset ``k``'s input at every window position, in the order
    of :func:`im2col`'s rows, so the transpose of the result is im2col's patch matrix.
    Each row is one copy of a whole strided window of the image, where im2col, with one
    channel, copies one element at a time (mnist_cnn's first convolution: 1 ms against
    2.7 ms a batch, product included). The result may be a recycled buffer (see :func:`_reusable`).
    """
    image = _pad(x, pads)[..., 0]
    out = _windows(image.shape[1:], kernel, strides, dilation)
    rows = _reusable((math.prod(kernel), image.shape[0]) + tuple(out), image.dtype)
    for index, offset in enumerate(np.ndindex(*kernel)):
        rows[index] = image[(slice(None),) + kernels.window_slices(offset, strides, dilation, out)]
    return rows.reshape(len(rows), -1)


def col2im(cols, image_shape, kernel, strides, dilation, pads):
    """The adjoint of :func:`im2col`: sums each window back into an image of ``image_shape``."""
    padded = (image_shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(image_shape[1:-1], pads)) + (image_shape[-1],)
    image = kernels.col2im(cols, np.zeros(padded, dtype=cols.dtype), strides, dilation)
    if any(lo or hi for lo, hi in pads):
        image = image[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(image_shape[1:-1], pads))]
    return image
