"""The compiled loops: one pass over memory each, split over the cores by sample or row.

Each loop is the NumPy reference of the kernel of the same name in
``numkeras.backend.kernels``, fused: the same arithmetic in the same order, so the
results are the same numbers (except sums: ``relu_grad_sums`` adds its columns by
blocks of rows, and col2im adds overlapping windows in another order). Every loop
is parallel over its first axis only (samples, rows, or blocks of rows), where no
two iterations write the same element.
"""

import numpy as np
from numba import get_num_threads, njit, prange

from ._cache import install_locator

install_locator()  # before the decorators below: each picks its cache directory when it is applied
_compile = njit(parallel=True, cache=True, nogil=True)


@_compile
def bias_relu(y, bias, mask):
    """``y = max(y + bias, 0)`` in place on 2-D ``y``; ``mask = y > 0``. A NaN stays NaN."""
    rows, width = y.shape
    for i in prange(rows):
        for j in range(width):
            v = y[i, j] + bias[j]
            positive = v > 0
            mask[i, j] = positive
            if positive or v != v:
                y[i, j] = v
            else:
                y[i, j] = 0.0


@_compile
def relu_grad(g, mask, out):
    """``out = g * mask`` over flat arrays."""
    for i in prange(g.size):
        out[i] = g[i] * mask[i]


@_compile
def relu_grad_sums(g, mask, out, partial):
    """``out = g * mask`` over 2-D arrays, and ``partial[b]`` the column sums of row block ``b`` of ``out``."""
    rows, width = g.shape
    blocks = partial.shape[0]
    for b in prange(blocks):
        sums = np.zeros(width, dtype=g.dtype)  # a local: Numba then vectorises the row loop
        for i in range(b * rows // blocks, (b + 1) * rows // blocks):
            g_row, mask_row, out_row = g[i], mask[i], out[i]
            for j in range(width):
                v = g_row[j] * mask_row[j]
                out_row[j] = v
                sums[j] += v
        partial[b] = sums


@_compile
def max_pool_2d(x, pool_h, pool_w, stride_h, stride_w, best, winner):
    """Each window's maximum and the first offset (row-major in the window) holding it."""
    samples, rows, cols, channels = best.shape
    for s in prange(samples):
        for r in range(rows):
            for q in range(cols):
                top, left = r * stride_h, q * stride_w
                for c in range(channels):
                    best[s, r, q, c] = x[s, top, left, c]
                    winner[s, r, q, c] = 0
                for i in range(pool_h):
                    for j in range(pool_w):
                        if i == 0 and j == 0:
                            continue
                        offset = i * pool_w + j
                        for c in range(channels):
                            v = x[s, top + i, left + j, c]
                            if v > best[s, r, q, c]:  # strictly: ties stay with the earlier offset
                                best[s, r, q, c] = v
                                winner[s, r, q, c] = offset
                            elif v != v:  # a NaN comes out, as from np.maximum; the winner stays
                                best[s, r, q, c] = v


@_compile
def max_pool_grad_2d(g, winner, pool_w, stride_h, stride_w, grad):
    """``grad`` (cleared here) gets each window's gradient at its winner."""
    samples, rows, cols, channels = g.shape
    for s in prange(samples):
        grad[s] = 0.0
        for r in range(rows):
            for q in range(cols):
                for c in range(channels):
                    offset = winner[s, r, q, c]
                    grad[s, r * stride_h + offset // pool_w, q * stride_w + offset % pool_w, c] += g[s, r, q, c]


@_compile
def col2im_2d(image, cols, stride_h, stride_w, dilation_h, dilation_w):
    """Adds the windows ``cols`` ``(N, out_h, out_w, k_h, k_w, C)`` back into ``image`` ``(N, H, W, C)``."""
    samples, rows, columns, kernel_h, kernel_w, channels = cols.shape
    for s in prange(samples):
        for r in range(rows):
            for q in range(columns):
                for i in range(kernel_h):
                    for j in range(kernel_w):
                        h, w = r * stride_h + i * dilation_h, q * stride_w + j * dilation_w
                        for c in range(channels):
                            image[s, h, w, c] += cols[s, r, q, i, j, c]


@_compile
def adam_update(param, grad, m, v, vhat, amsgrad, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, lr_t,
                epsilon):
    """Adam's step over flat arrays, each element's arithmetic in the reference's order.

    The scalars come in the arrays' dtype, so that float32 arithmetic stays float32.
    ``vhat`` (AMSGrad's running maximum of ``v``) is read only when ``amsgrad``.
    """
    for i in prange(param.size):
        g = grad[i]
        m_i = m[i] * beta_1 + g * one_minus_beta_1
        v_i = v[i] * beta_2 + (g * g) * one_minus_beta_2
        m[i] = m_i
        v[i] = v_i
        if amsgrad:
            highest = vhat[i]
            if v_i > highest or v_i != v_i:  # np.maximum: the larger, or a NaN from either
                highest = v_i
            vhat[i] = highest
            v_i = highest
        param[i] = param[i] - (m_i * lr_t) / (np.sqrt(v_i) + epsilon)
