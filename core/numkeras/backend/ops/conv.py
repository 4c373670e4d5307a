"""Convolutions: the differentiable ops, built on image patches.

The window geometry (output sizes, padding) is in :mod:`.conv_geometry`, and the
patch copies (:func:`~.patches.im2col` and its adjoint :func:`~.patches.col2im`) in
:mod:`.patches`. Here:

* :class:`Convolution`, the op behind Conv1D/2D/3D: im2col then one matmul forward (bias
  and an optional ReLU fused); backward, one matmul for the kernel gradient, and for the
  input gradient one matmul per kernel offset (or one in all, with a compiled col2im);
* :class:`ExtractPatches` / :class:`PatchesToImage`, the im2col / col2im pair as ops (in
  both directions), from which transposed, depthwise and locally-connected convolutions
  are composed with the existing matmul ops.

Arrays are channels-last inside the ops; ``data_format='channels_first'`` inputs are
transposed on the way in and out. Kernels use Keras's layouts: ``(*kernel_size,
in_channels, filters)`` for convolutions, ``(*kernel_size, filters, in_channels)``
for transposed ones and ``(*kernel_size, in_channels, depth_multiplier)`` for
depthwise ones, so weights exchange with Keras files.
"""

import math

import numpy as np

from .. import blas, config, kernels
from ..kernels import window_slices
from ..tensor import Function
from ._util import operand
# The geometry and the patch functions moved to their own modules; the names stay importable
# from here, where the layers, the tests and older code look for them.
from .conv_geometry import (  # noqa: F401
    PADDINGS, _deconv_pads, conv_output_length, deconv_output_length, effective_kernel_size, normalize_tuple,
    padding_amounts, window_geometry,
)
from .fused import _pre_activation_gradient, bias_relu, dense
from .linalg import matmul
from .patches import col2im, im2col, offset_columns, window_positions
from .shape import reshape, transpose

_CHUNK_BYTES = 1 << 21  # input-gradient products of about 2 MiB (one core's L2 cache)
_PATCH_BYTES = 1 << 23  # patches of about 8 MiB per forward product (see Convolution)


class ExtractPatches(Function):
    """Image ``(N, *spatial, C)`` → patches ``(N, *out, *kernel, C)``; backward is col2im."""

    def __init__(self, kernel, strides, dilation, pads):
        self.kernel, self.strides, self.dilation, self.pads = kernel, strides, dilation, pads

    def forward(self, x):
        self.image_shape = x.shape
        return im2col(x, self.kernel, self.strides, self.dilation, self.pads)

    def backward(self, g):
        return (col2im(g, self.image_shape, self.kernel, self.strides, self.dilation, self.pads),)


class PatchesToImage(Function):
    """Patches ``(N, *in, *kernel, C)`` summed into an image ``(N, *out, C)``; backward is im2col."""

    def __init__(self, image_shape, kernel, strides, dilation, pads):
        self.image_shape, self.kernel, self.strides = image_shape, kernel, strides
        self.dilation, self.pads = dilation, pads

    def forward(self, cols):
        self.image_shape = (cols.shape[0],) + tuple(self.image_shape[1:])
        self.cols_shape = cols.shape
        return col2im(cols, self.image_shape, self.kernel, self.strides, self.dilation, self.pads)

    def backward(self, g):
        cols = im2col(g, self.kernel, self.strides, self.dilation, self.pads)
        if cols.shape != self.cols_shape:
            cols = cols[tuple(slice(0, n) for n in self.cols_shape)]
        return (cols,)


class Convolution(Function):
    """Image ``(N, *spatial, C)`` convolved with a kernel ``(*k, C, F)`` (plus optional bias ``(F,)``).

    Forward: im2col, then one matmul, a few samples at a time (patches of about
    ``_PATCH_BYTES``). Backward: the kernel gradient is one matmul per such chunk with its
    patches, extracted again (a batch that fits in one chunk keeps its patches); the input
    gradient is one matmul per kernel offset, each added into its window of the image.
    (That beats one big matmul followed by col2im: every add reads a contiguous block
    instead of a strided slice of the patch gradient.)

    Memory: the patches are ``prod(kernel_size) * C`` times the image. Keeping them for the
    backward pass held 81 MB from forward to backward on the second convolution of Keras's
    mnist_cnn (batch 128); re-extracting them costs one im2col of the input per chunk, which
    stays in cache for its product.

    With a 3x3, stride-1, undilated 2-D kernel the forward pass first asks the ``conv3x3``
    kernel, which a plugin may compute another way (numkeras-numba: Winograd's algorithm);
    where none answers, the above. That holds in training too (mnist_cnn's second convolution:
    17.5 against 25 ms a batch): the backward pass still takes the direct products, from the
    input's patches extracted again and the ReLU's mask read off the output. The forward values
    then differ from the direct product's by float32 rounding, as cuDNN's and oneDNN's
    Winograd convolutions do in training.
    """

    def __init__(self, kernel_size, strides, dilation, pads, relu=False):
        self.kernel_size, self.strides, self.dilation, self.pads = kernel_size, strides, dilation, pads
        self.relu = relu

    def _patches(self, x):
        """``x``'s patches as rows ``(samples * positions, prod(kernel) * C)``, in a reused buffer.

        With one channel, the transpose of an offset-major copy (:func:`~.patches.offset_columns`):
        BLAS takes the transposed matrix as it is, in both products that use it.
        """
        if x.shape[-1] == 1:
            return offset_columns(x, self.kernel_size, self.strides, self.dilation, self.pads).T
        patches = im2col(x, self.kernel_size, self.strides, self.dilation, self.pads, reuse=True)
        return patches.reshape(-1, math.prod(patches.shape[1 + len(self.kernel_size):]))

    def _chunks(self, n, positions, channels, itemsize):
        """Sample ranges whose patches take about ``_PATCH_BYTES`` each."""
        size = max(1, _PATCH_BYTES // max(1, positions * math.prod(self.kernel_size) * channels * itemsize))
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def forward(self, x, kernel, bias=None):
        self.image_shape, self.kernel = x.shape, kernel
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], self.pads))
        self.out = window_positions(padded, self.kernel_size, self.strides, self.dilation)
        rows = math.prod(self.out)  # patches (output positions) per sample
        chunks = self._chunks(x.shape[0], rows, x.shape[-1], x.dtype.itemsize)
        if self.kernel_size == (3, 3) and self.strides == (1, 1) and self.dilation == (1, 1):
            # The backward pass takes the direct products: it extracts the patches from x again.
            y = kernels.compiled_result("conv3x3", x, self.pads, kernel, bias, self.relu)
            if y is not None:  # a plugin's (Winograd's, with numkeras-numba); see kernels.conv3x3
                self.x, self.cols, self.chunks = (x if self.recorded else None), None, chunks
                if self.relu and self.recorded:
                    self.active = y.reshape(-1, kernel.shape[-1]) > 0  # what bias_relu's mask holds
                return y
        weights = kernel.reshape(-1, kernel.shape[-1])
        self.x, self.cols = None, None
        if len(chunks) <= 1:  # one chunk, or an empty batch
            self.cols = self._patches(x)
            y = blas.matmul(self.cols, weights)
        else:
            self.x, self.chunks = x, chunks
            y = np.empty((x.shape[0] * rows, weights.shape[1]), dtype=np.result_type(x, kernel))
            for start, stop in chunks:  # each chunk's patches go back to the patch cache after its product
                blas.matmul(self._patches(x[start:stop]), weights, out=y[start * rows:stop * rows])
        if self.relu:
            self.active = bias_relu(self, y, bias)
        elif bias is not None:
            y += bias
        if not self.recorded:
            self.x = self.cols = None
        return y.reshape((x.shape[0],) + self.out + (kernel.shape[-1],))

    def backward(self, g):
        kernel = self.kernel
        filters = kernel.shape[-1]
        g2, gb = _pre_activation_gradient(g.reshape(-1, filters), self)
        gx = gk = None
        if self.needs_grad[0]:
            gx = self._input_gradient(g2)
        if self.needs_grad[1]:
            # (g2.T @ cols).T rather than cols.T @ g2: the same numbers, never slower with
            # OpenBLAS (much faster for thin patches), and faster with oneMKL.
            if self.cols is not None:
                gk = blas.matmul(g2.T, self.cols).T.reshape(kernel.shape)
            else:
                rows = math.prod(self.out)
                gk_t = None
                for start, stop in self.chunks:
                    part = blas.matmul(g2[start * rows:stop * rows].T, self._patches(self.x[start:stop]))
                    if gk_t is None:
                        gk_t = part
                    else:
                        gk_t += part
                gk = gk_t.T.reshape(kernel.shape)
        return (gx, gk, gb) if len(self.needs_grad) > 2 else (gx, gk)

    def _input_gradient(self, g2):
        shape = self.image_shape
        padded = (shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[1:-1], self.pads)) + (shape[-1],)
        image = np.zeros(padded, dtype=g2.dtype)
        grads = g2.reshape(shape[0], -1, g2.shape[-1])
        fused = kernels.compiled("col2im")
        add_chunk = self._add_patch_gradients if fused else self._add_offset_gradients
        # A few samples at a time, so that each product is still in cache when it is added.
        width = shape[-1] * (math.prod(self.kernel_size) if fused else 1)
        chunk = max(1, _CHUNK_BYTES // (grads.shape[1] * width * g2.dtype.itemsize))
        product = np.empty((min(chunk, shape[0]) * grads.shape[1], width), dtype=g2.dtype)
        for start in range(0, shape[0], chunk):
            rows = grads[start:start + chunk].reshape(-1, grads.shape[-1])
            add_chunk(rows, image[start:start + chunk], product[:len(rows)])
        if any(lo or hi for lo, hi in self.pads):
            image = image[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], self.pads))]
        return image

    def _add_patch_gradients(self, rows, target, out):
        """One product gives every offset's patch gradients; the compiled col2im adds them in one pass."""
        blas.matmul(rows, self.kernel.reshape(-1, self.kernel.shape[-1]).T, out=out)
        patches = out.reshape(target.shape[:1] + self.out + self.kernel_size + target.shape[-1:])
        kernels.col2im(patches, target, self.strides, self.dilation)

    def _add_offset_gradients(self, rows, target, out):
        """One product per offset: each NumPy add then reads a contiguous block, not a strided slice."""
        block = out.reshape(target.shape[:1] + self.out + target.shape[-1:])
        for offset in np.ndindex(*self.kernel_size):
            blas.matmul(rows, self.kernel[offset].T, out=out)
            target[(slice(None),) + window_slices(offset, self.strides, self.dilation, self.out)] += block


# -- the public functions ------------------------------------------------------------------------
def _to_channels_last(x, data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {data_format!r}: expected 'channels_last' or 'channels_first'.")
    if data_format == "channels_first":
        return transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,)), True
    return x, False


def _to_channels_first(y):
    return transpose(y, (0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))


def extract_patches(x, kernel_size, strides=1, padding="valid", dilation_rate=1, data_format="channels_last"):
    """The sliding windows of ``x`` as ``(batch, *out, *kernel_size, channels)`` (channels-last output).

    Arguments:
        x: tensor ``(batch, *spatial, channels)`` (or channels-first).
        kernel_size, strides, dilation_rate: ints or tuples, one per spatial axis.
        padding: ``'valid'``, ``'same'``, ``'full'`` or ``'causal'``.

    Example:
        >>> extract_patches(np.zeros((2, 5, 5, 3)), 3).shape
        (2, 3, 3, 3, 3, 3)
    """
    x, _ = _to_channels_last(operand(x), data_format)
    rank = x.ndim - 2
    kernel, strides, dilation, pads = window_geometry(x, rank, kernel_size, strides, padding, dilation_rate,
                                                "extract_patches")
    return ExtractPatches(kernel, strides, dilation, pads).apply(x)


def convolution(x, kernel, bias=None, strides=1, padding="valid", data_format=None, dilation_rate=1, relu=False):
    """N-D convolution (cross-correlation, as in every deep-learning framework) plus optional bias.

    Arguments:
        x: ``(batch, *spatial, in_channels)``, or channels-first.
        kernel: ``(*kernel_size, in_channels, filters)``.
        bias: optional ``(filters,)``, added inside the same matmul node.
        strides, dilation_rate: ints or tuples, one per spatial axis.
        padding: ``'valid'``, ``'same'``, ``'full'`` or ``'causal'``.
        data_format: ``'channels_last'`` (default ``image_data_format()``) or ``'channels_first'``.
        relu: apply ``max(0, ·)`` inside the same op (saves a pass over the output each way).

    Returns:
        ``(batch, *out, filters)`` (or channels-first).
    """
    x, kernel = operand(x), operand(kernel)
    x, channels_first = _to_channels_last(x, data_format)
    rank = kernel.ndim - 2
    kernel_size = kernel.shape[:rank]
    kernel_size, strides, dilation, pads = window_geometry(x, rank, kernel_size, strides, padding, dilation_rate,
                                                     f"conv{rank}d")
    if x.shape[-1] != kernel.shape[-2]:
        raise ValueError(
            f"conv{rank}d: the input has {x.shape[-1]} channels but the kernel {kernel.shape} expects "
            f"{kernel.shape[-2]}."
        )
    pointwise = all(k == 1 for k in kernel_size) and all(s == 1 for s in strides) and not any(
        lo or hi for lo, hi in pads)
    if pointwise:
        y = dense(x, reshape(kernel, kernel.shape[-2:]), bias)
        if relu:
            from .elementwise import relu as relu_op

            y = relu_op(y)
    else:
        op = Convolution(kernel_size, strides, dilation, pads, relu)
        y = op.apply(x, kernel) if bias is None else op.apply(x, kernel, operand(bias))
    return _to_channels_first(y) if channels_first else y


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1D convolution: ``x`` ``(batch, steps, channels)``, ``kernel`` ``(k, channels, filters)``."""
    return convolution(x, kernel, None, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2D convolution: ``x`` ``(batch, rows, cols, channels)``, ``kernel`` ``(kh, kw, channels, filters)``."""
    return convolution(x, kernel, None, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    """3D convolution: ``x`` ``(batch, d1, d2, d3, channels)``, ``kernel`` ``(k1, k2, k3, channels, filters)``."""
    return convolution(x, kernel, None, strides, padding, data_format, dilation_rate)


def convolution_transpose(x, kernel, output_shape=None, bias=None, strides=1, padding="valid",
                          data_format=None, dilation_rate=1, output_padding=None):
    """N-D transposed convolution (the gradient of a convolution with respect to its input).

    Arguments:
        x: ``(batch, *spatial, in_channels)``, or channels-first.
        kernel: ``(*kernel_size, filters, in_channels)`` (Keras's Conv2DTranspose layout).
        output_shape: the spatial output size (a tuple, or a full shape whose spatial axes are
            used); computed from the input size like Keras's ``deconv_length`` when None.
        bias: optional ``(filters,)``.
        padding: ``'valid'``, ``'same'`` or ``'full'``.
        output_padding: optional extra size per axis (int or tuple), as in Keras.
    """
    x, kernel = operand(x), operand(kernel)
    x, channels_first = _to_channels_last(x, data_format)
    rank = kernel.ndim - 2
    kernel_size = kernel.shape[:rank]
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    if x.ndim != rank + 2:
        raise ValueError(f"conv{rank}d_transpose: expected an input of rank {rank + 2}, got shape {x.shape}.")
    if x.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"conv{rank}d_transpose: the input has {x.shape[-1]} channels but the kernel {kernel.shape} "
            f"expects {kernel.shape[-1]}."
        )
    spatial_in = x.shape[1:-1]
    if output_shape is None:
        paddings = (None,) * rank if output_padding is None else normalize_tuple(output_padding, rank, "output_padding")
        out = tuple(deconv_output_length(n, k, s, padding, p, d)
                    for n, k, s, p, d in zip(spatial_in, kernel_size, strides, paddings, dilation))
    else:
        out = tuple(output_shape)
        if len(out) == rank + 2:
            out = out[2:] if channels_first else out[1:-1]
    pads = tuple(_deconv_pads(n, o, k, s, d, padding)
                 for n, o, k, s, d in zip(spatial_in, out, kernel_size, strides, dilation))
    filters = kernel.shape[-2]
    # (*k, filters, in) -> (in, *k, filters) -> (in, K * filters)
    w = reshape(transpose(kernel, (rank + 1,) + tuple(range(rank)) + (rank,)), (kernel.shape[-1], -1))
    cols = reshape(dense(x, w), x.shape[:-1] + tuple(kernel_size) + (filters,))
    image_shape = (x.shape[0],) + out + (filters,)
    y = PatchesToImage(image_shape, tuple(kernel_size), strides, dilation, pads).apply(cols)
    if bias is not None:
        from .arithmetic import add

        y = add(y, bias)
    return _to_channels_first(y) if channels_first else y


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2D transposed convolution (``K.conv2d_transpose``); ``kernel`` is ``(kh, kw, filters, in_channels)``."""
    return convolution_transpose(x, kernel, output_shape, None, strides, padding, data_format, dilation_rate)


def conv3d_transpose(x, kernel, output_shape=None, strides=(1, 1, 1), padding="valid", data_format=None):
    """3D transposed convolution (``K.conv3d_transpose``)."""
    return convolution_transpose(x, kernel, output_shape, None, strides, padding, data_format)


def depthwise_convolution(x, kernel, bias=None, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own ``depth_multiplier`` filters.

    Arguments:
        kernel: ``(*kernel_size, in_channels, depth_multiplier)``.

    Returns:
        ``(batch, *out, in_channels * depth_multiplier)``, output channel ``c * depth_multiplier + m``
        coming from input channel ``c`` (TensorFlow's order).
    """
    x, kernel = operand(x), operand(kernel)
    x, channels_first = _to_channels_last(x, data_format)
    rank = kernel.ndim - 2
    kernel_size, strides, dilation, pads = window_geometry(x, rank, kernel.shape[:rank], strides, padding,
                                                     dilation_rate, f"depthwise_conv{rank}d")
    channels, multiplier = kernel.shape[-2:]
    if x.shape[-1] != channels:
        raise ValueError(
            f"depthwise_conv{rank}d: the input has {x.shape[-1]} channels but the kernel {kernel.shape} "
            f"expects {channels}."
        )
    patches = ExtractPatches(kernel_size, strides, dilation, pads).apply(x)
    out = patches.shape[:1 + rank]
    window = math.prod(kernel_size)
    cols = transpose(reshape(patches, (-1, window, channels)), (2, 0, 1))  # (C, M, K)
    w = transpose(reshape(kernel, (window, channels, multiplier)), (1, 0, 2))  # (C, K, m)
    y = transpose(matmul(cols, w), (1, 0, 2))  # (M, C, m)
    y = reshape(y, out + (channels * multiplier,))
    if bias is not None:
        from .arithmetic import add

        y = add(y, bias)
    return _to_channels_first(y) if channels_first else y


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2D depthwise convolution (``K.depthwise_conv2d``)."""
    return depthwise_convolution(x, depthwise_kernel, None, strides, padding, data_format, dilation_rate)


def separable_convolution(x, depthwise_kernel, pointwise_kernel, bias=None, strides=1, padding="valid",
                          data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a pointwise (1x1) convolution, plus optional bias."""
    x, channels_first = _to_channels_last(operand(x), data_format)
    y = depthwise_convolution(x, depthwise_kernel, None, strides, padding, "channels_last", dilation_rate)
    y = convolution(y, pointwise_kernel, bias, 1, "valid", "channels_last")
    return _to_channels_first(y) if channels_first else y


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                     dilation_rate=1):
    """``K.separable_conv1d``."""
    return separable_convolution(x, depthwise_kernel, pointwise_kernel, None, strides, padding, data_format,
                                 dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """``K.separable_conv2d``."""
    return separable_convolution(x, depthwise_kernel, pointwise_kernel, None, strides, padding, data_format,
                                 dilation_rate)


def local_convolution(x, kernel, bias=None, kernel_size=1, strides=1, data_format=None):
    """Locally-connected ("unshared") convolution, as Keras's LocallyConnected1D/2D compute it.

    Arguments:
        x: ``(batch, *spatial, channels)``, or channels-first.
        kernel: ``(positions, prod(kernel_size) * channels, filters)``; each patch is flattened
            in ``(*kernel_size, channels)`` order for channels-last input and in
            ``(channels, *kernel_size)`` order for channels-first, as in Keras.
        bias: optional ``(*out, filters)``.
    """
    x, kernel = operand(x), operand(kernel)
    x, channels_first = _to_channels_last(x, data_format)
    rank = x.ndim - 2
    kernel_size, strides, dilation, pads = window_geometry(x, rank, kernel_size, strides, "valid", 1,
                                                     f"local_conv{rank}d")
    patches = ExtractPatches(kernel_size, strides, dilation, pads).apply(x)
    out = patches.shape[1:1 + rank]
    positions, window = math.prod(out), math.prod(kernel_size) * x.shape[-1]
    if kernel.shape[:2] != (positions, window):
        raise ValueError(
            f"local_conv{rank}d: the kernel has shape {kernel.shape} but the input gives {positions} "
            f"positions of {window} values each."
        )
    if channels_first:
        # Keras flattens channels-first patches as (channels, *kernel): reorder to (*kernel, channels).
        split = (positions, x.shape[-1]) + tuple(kernel_size) + (kernel.shape[-1],)
        order = (0,) + tuple(range(2, 2 + rank)) + (1, rank + 2)
        kernel = reshape(transpose(reshape(kernel, split), order), kernel.shape)
    cols = transpose(reshape(patches, (x.shape[0], positions, window)), (1, 0, 2))  # (P, N, W)
    y = transpose(matmul(cols, kernel), (1, 0, 2))  # (N, P, F)
    y = reshape(y, (x.shape[0],) + out + (kernel.shape[-1],))
    if bias is not None:
        from .arithmetic import add

        y = add(y, bias)
    return _to_channels_first(y) if channels_first else y


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """``K.local_conv1d``: unshared 1D convolution."""
    return local_convolution(inputs, kernel, None, kernel_size, strides, data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape=None, data_format=None):
    """``K.local_conv2d``: unshared 2D convolution."""
    return local_convolution(inputs, kernel, None, kernel_size, strides, data_format)


__all__ = [
    "Convolution", "ExtractPatches", "PatchesToImage", "conv1d", "conv2d", "conv2d_transpose", "conv3d", "conv3d_transpose",
    "conv_output_length", "convolution", "convolution_transpose", "deconv_output_length",
    "depthwise_conv2d", "depthwise_convolution", "extract_patches", "local_conv1d", "local_conv2d",
    "local_convolution", "normalize_tuple", "padding_amounts", "separable_conv1d", "separable_conv2d",
    "separable_convolution",
]
