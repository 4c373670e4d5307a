"""The compiled loops: one pass over memory each, split over the cores by sample or row.

Each loop is the NumPy reference of the kernel of the same name in
``numkeras.backend.kernels``, fused: the same arithmetic in the same order, so the
results are the same numbers (except sums: ``relu_grad_sums`` adds its columns by
blocks of rows, and col2im and an overlapping pool's gradient add windows in another
order; and the sign of a pool's maximum where +0 ties -0, which IEEE leaves open and
NumPy's own loops answer differently). The Winograd loops are no reference's: see
``numkeras_numba.conv3x3``; and the float32 recurrent cells (``lstm_cell_float32``,
``gru_cell_float32``, and the time loops around them, ``lstm_sequence_float32`` and
``gru_sequence_float32``) compute ``tanh`` their own way, a few ulps from NumPy's (see ``_tanh32``).
The time loops call BLAS for each step's product themselves (``_cblas_gemm``, or oneMKL's packed
``_cblas_gemm_compute``). The parallel loops
are parallel over their first axis only (samples, rows, or blocks of rows), where no two iterations
write the same element; the recurrent steps' loops run on one core.
"""

import numpy as np
from llvmlite import ir
# (get_num_threads is the package's: it reaches Numba only through this module, imported lazily)
from numba import get_num_threads, njit, prange, types
from numba.extending import intrinsic

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
    """Each window's maximum and the first offset (row-major in the window) holding it.

    Parallel over output rows; branch-free over channels, with the offsets kept as int32 (as
    wide as the float32 values they go with) until they are stored: with branches and
    uint8 offsets the loop did not vectorise and took 9.5 ms a batch on mnist_cnn's, now 2.7.
    """
    samples, rows, cols, channels = best.shape
    for row in prange(samples * rows):
        s, r = row // rows, row % rows
        top = r * stride_h
        won = np.empty(channels, dtype=np.int32)
        for q in range(cols):
            left = q * stride_w
            out, first = best[s, r, q], x[s, top, left]
            for c in range(channels):
                out[c] = first[c]
                won[c] = 0
            for i in range(pool_h):
                for j in range(pool_w):
                    if i == 0 and j == 0:
                        continue
                    offset = np.int32(i * pool_w + j)
                    candidate = x[s, top + i, left + j]
                    for c in range(channels):
                        v, b = candidate[c], out[c]
                        higher = v > b  # strictly: ties stay with the earlier offset
                        # np.maximum: the larger, or a NaN from either (after a NaN, nothing is higher)
                        out[c] = v if higher or v != v else b
                        won[c] = offset if higher else won[c]
            stored = winner[s, r, q]
            for c in range(channels):
                stored[c] = won[c]


@_compile
def window_max_2d(x, pool_h, pool_w, stride_h, stride_w, best):
    """Each window's maximum (``max_pool_2d``'s ``best`` without the winners): a NaN comes out.

    Parallel over output rows of every sample; the channel loop is a select, which vectorises.
    """
    samples, rows, cols, channels = best.shape
    for row in prange(samples * rows):
        s, r = row // rows, row % rows
        top = r * stride_h
        for q in range(cols):
            left = q * stride_w
            out, first = best[s, r, q], x[s, top, left]
            for c in range(channels):
                out[c] = first[c]
            for i in range(pool_h):
                for j in range(pool_w):
                    if i == 0 and j == 0:
                        continue
                    candidate = x[s, top + i, left + j]
                    for c in range(channels):
                        v, b = candidate[c], out[c]
                        out[c] = v if v > b or v != v else b  # np.maximum: the larger, or a NaN from either


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
def max_pool_grad_disjoint_2d(g, winner, pool_h, pool_w, stride_h, stride_w, grad):
    """``max_pool_grad_2d`` for windows that do not overlap (strides >= pool size): each window's
    elements get the gradient at its winner and 0 elsewhere, written once, without clearing ``grad``
    first (the caller clears what no window covers). Branch-free over channels: 1.6 ms a batch on
    mnist_cnn's pooling against the scattering loop's 3.7 (allocation included)."""
    samples, rows, cols, channels = g.shape
    for row in prange(samples * rows):
        s, r = row // rows, row % rows
        won = np.empty(channels, dtype=np.int32)  # as wide as float32, so the selects vectorise
        for q in range(cols):
            source, chosen = g[s, r, q], winner[s, r, q]
            for c in range(channels):
                won[c] = chosen[c]
            for i in range(pool_h):
                for j in range(pool_w):
                    offset = np.int32(i * pool_w + j)
                    target = grad[s, r * stride_h + i, q * stride_w + j]
                    for c in range(channels):
                        target[c] = source[c] if won[c] == offset else 0.0


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


@_compile
def adadelta_update(param, grad, accumulator, delta, rho, one_minus_rho, lr, epsilon):
    """Adadelta's step over flat arrays, each element's arithmetic in the reference's order.

    The scalars come in the arrays' dtype, so that float32 arithmetic stays float32.
    """
    for i in prange(param.size):
        g = grad[i]
        a = accumulator[i] * rho + (g * g) * one_minus_rho
        accumulator[i] = a
        update = g * np.sqrt(delta[i] + epsilon) / np.sqrt(a + epsilon)
        param[i] = param[i] - update * lr
        delta[i] = delta[i] * rho + (update * update) * one_minus_rho


# One LSTM step's elementwise work (kernels lstm_cell, lstm_cell_grad) is a few thousand elements:
# on one core, as the threads' wake-up would cost more than the loop. NumPy's tanh runs between
# these loops, so that the gates and the cell are the numbers the reference computes. ``hard``:
# hard-sigmoid gates (``constants``: 0.2, 0.5, 0 and 1 in the arrays' dtype), else sigmoid ones.
_serial = njit(cache=True, nogil=True)  # never fastmath: it would let LLVM fuse and reorder the roundings


@njit(inline="always")
def _hard_sigmoid(x, constants):
    """``np.clip(x * 0.2 + 0.5, 0, 1)``, rounded as the reference rounds it (but in the float32 cells'
    one pass, whose multiply-adds fuse); a NaN stays NaN."""
    point_two, half, zero, one = constants
    v = x * point_two + half
    if v < zero:
        return zero
    if v > one:
        return one
    return v


@njit(inline="always")
def _slope(y, hard, constants):
    """The gate's derivative from its output: ``y (1 - y)``, or 0.2 inside the hard sigmoid's ramp."""
    point_two, half, zero, one = constants
    if hard:
        return point_two if zero < y < one else zero
    return y * (one - y)


@_serial
def lstm_cell_inputs(g, z, scale, hard):
    """``g = g + z``, times ``scale`` for sigmoid gates (the ``tanh``'s argument for every gate)."""
    rows, width = g.shape
    for i in range(rows):
        g_row, z_row = g[i], z[i]
        if hard:
            for j in range(width):
                g_row[j] = g_row[j] + z_row[j]
        else:
            for j in range(width):
                g_row[j] = (g_row[j] + z_row[j]) * scale[j]


@_serial
def lstm_cell_state(g, scale, shift, cell_input, c_prev, c, hard, constants):
    """The gates (from their ``tanh``: ``g * scale + shift``; or hard sigmoids, and ``cell_input``
    into the cell's), then ``c = f c_prev + i g_c``."""
    rows, units = c.shape
    for i in range(rows):
        g_row, c_row, previous, cell_row = g[i], c[i], c_prev[i], cell_input[i]
        if hard:
            for j in range(units):
                g_row[j] = _hard_sigmoid(g_row[j], constants)
                g_row[units + j] = _hard_sigmoid(g_row[units + j], constants)
                g_row[2 * units + j] = cell_row[j]
                g_row[3 * units + j] = _hard_sigmoid(g_row[3 * units + j], constants)
        else:
            for j in range(4 * units):
                g_row[j] = g_row[j] * scale[j] + shift[j]
        for j in range(units):
            c_row[j] = g_row[units + j] * previous[j] + g_row[j] * g_row[2 * units + j]


@_serial
def lstm_cell_output(g, c_act, h):
    """``h = o tanh(c)``."""
    rows, units = h.shape
    for i in range(rows):
        g_row, c_row, h_row = g[i], c_act[i], h[i]
        for j in range(units):
            h_row[j] = g_row[3 * units + j] * c_row[j]


@_serial
def lstm_cell_grad(g, c_prev, c_act, dh, dc, dc_prev, hard, constants):
    """Kernel lstm_cell_grad in one pass, each element's arithmetic in the reference's order."""
    one = constants[3]
    rows, units = dh.shape
    for r in range(rows):
        g_row, previous, c_row, dh_row, dc_row, out_row = g[r], c_prev[r], c_act[r], dh[r], dc[r], dc_prev[r]
        for j in range(units):
            i, f = g_row[j], g_row[units + j]
            cell_input, o = g_row[2 * units + j], g_row[3 * units + j]
            c, d_h = c_row[j], dh_row[j]
            d_c = dc_row[j] + (o * (one - c * c)) * d_h
            dc_row[j] = d_c
            out_row[j] = d_c * f
            g_row[j] = d_c * (cell_input * _slope(i, hard, constants))
            g_row[units + j] = d_c * (previous[j] * _slope(f, hard, constants))
            g_row[2 * units + j] = d_c * (i * (one - cell_input * cell_input))
            g_row[3 * units + j] = (c * _slope(o, hard, constants)) * d_h


@_serial
def lstm_sequence_grad_loop(gemm, dims, gates, c0, cs, c_act, kernel_t, grad, has_grad, with_grad_h, with_grad_c,
                            keep, masked, dh, dc, dc_prev, carry_h, carry_c, hard, constants):
    """Kernel lstm_sequence_grad with lstm_cell_grad's steps, the whole loop in one call (the reference's
    arithmetic in its order, as lstm_cell_grad): each step's ``gates[k] @ kernel_t`` into ``dh`` by the
    CBLAS ``?gemm`` at ``gemm`` (``dims`` as in lstm_sequence_float32). Returns the array that holds
    the gradient of ``c0`` (``dc`` or ``dc_prev``, which trade places every step)."""
    zero, one = constants[2], constants[3]
    steps, rows, units = cs.shape
    for k in range(steps - 1, -1, -1):
        if has_grad:
            if with_grad_h[k]:
                for r in range(rows):
                    for j in range(units):
                        dh[r, j] += grad[r, k, j]
            if with_grad_c[k]:
                for r in range(rows):
                    for j in range(units):
                        dc[r, j] += grad[r, k, units + j]
        if masked:
            for r in range(rows):
                if keep[k, r]:
                    carry_h[r, :] = zero
                    carry_c[r, :] = zero
                else:
                    carry_h[r, :] = dh[r]
                    carry_c[r, :] = dc[r]
                    dh[r, :] = zero
                    dc[r, :] = zero
        c_prev = c0 if k == 0 else cs[k - 1]
        lstm_cell_grad(gates[k], c_prev, c_act[k], dh, dc, dc_prev, hard, constants)
        dc, dc_prev = dc_prev, dc
        _cblas_gemm(gemm, dims, one, gates[k].ctypes.data, kernel_t.ctypes.data, zero, dh.ctypes.data)
        if masked:
            for r in range(rows):
                for j in range(units):
                    dh[r, j] += carry_h[r, j]
                    dc[r, j] += carry_c[r, j]
    return dc


@_serial
def gru_cell_gates(x, inner, g, hard, constants):
    """The gates ``z, r`` into ``g[:, :2U]``: hard sigmoids of ``x + inner``, or the argument of the
    sigmoids' ``tanh``, ``(x + inner) * 0.5``."""
    half = constants[1]
    rows, width = g.shape
    gates = 2 * (width // 3)
    for i in range(rows):
        x_row, inner_row, g_row = x[i], inner[i], g[i]
        if hard:
            for j in range(gates):
                g_row[j] = _hard_sigmoid(x_row[j] + inner_row[j], constants)
        else:
            for j in range(gates):
                g_row[j] = (x_row[j] + inner_row[j]) * half


@_serial
def gru_cell_candidate(x, inner, g, inner_h, hard, constants):
    """The sigmoids from their ``tanh`` (``(t + 1) * 0.5``), ``inner_h``, and the candidate's argument
    ``x_h + r inner_h`` into ``g[:, 2U:]``."""
    half, one = constants[1], constants[3]
    rows, units = inner_h.shape
    for i in range(rows):
        x_row, inner_row, g_row, inner_h_row = x[i], inner[i], g[i], inner_h[i]
        if not hard:
            for j in range(2 * units):
                g_row[j] = (g_row[j] + one) * half
        for j in range(units):
            v = inner_row[2 * units + j]
            inner_h_row[j] = v
            g_row[2 * units + j] = g_row[units + j] * v + x_row[2 * units + j]


@_serial
def gru_cell_output(h_prev, g, h):
    """``h = (h_prev - hh) * z + hh``."""
    rows, units = h.shape
    for i in range(rows):
        previous, g_row, h_row = h_prev[i], g[i], h[i]
        for j in range(units):
            hh = g_row[2 * units + j]
            h_row[j] = (previous[j] - hh) * g_row[j] + hh


_ROW_MAJOR, _NO_TRANS = 101, 111  # CBLAS's enums


@intrinsic
def _cblas_gemm(typingctx, address, dims, alpha, a, b, beta, c):
    """``c = alpha a @ b + beta c`` by the row-major CBLAS ``?gemm`` at ``address``, no transposes:
    ``dims`` is ``(m, n, k, lda, ldb, ldc)`` in the integer type that routine takes (4 or 8 bytes:
    LP64 or ILP64), ``alpha`` and ``beta`` are scalars of its float type, ``a``, ``b`` and ``c`` the
    operands' addresses (``x.ctypes.data``). A call through a pointer, so a cached function stays
    valid in another process (Numba will not cache one that holds a ctypes function)."""
    index_types = (types.int32, types.int64)
    if not (isinstance(address, types.Integer) and isinstance(dims, types.UniTuple) and dims.count == 6
            and dims.dtype in index_types and alpha in (types.float32, types.float64) and beta == alpha
            and all(isinstance(x, types.Integer) for x in (a, b, c))):
        return None  # a typing error at compile time, never a call with another routine's arguments

    def codegen(context, builder, signature, args):
        address, dims, alpha, a, b, beta, c = args
        index = context.get_value_type(signature.args[1].dtype)
        scalar = context.get_value_type(signature.args[2])
        enum, pointer = ir.IntType(32), ir.IntType(8).as_pointer()
        routine_type = ir.FunctionType(ir.VoidType(), [enum] * 3 + [index] * 3
                                       + [scalar, pointer, index, pointer, index, scalar, pointer, index])
        routine = builder.inttoptr(address, routine_type.as_pointer())
        m, n, k, lda, ldb, ldc = (builder.extract_value(dims, i) for i in range(6))
        a, b, c = (builder.inttoptr(x, pointer) for x in (a, b, c))
        builder.call(routine, [ir.Constant(enum, _ROW_MAJOR), ir.Constant(enum, _NO_TRANS), ir.Constant(enum, _NO_TRANS),
                               m, n, k, alpha, a, lda, b, ldb, beta, c, ldc])
        return context.get_dummy_value()

    return types.void(address, dims, alpha, a, b, beta, c), codegen


_PACKED = 151  # oneMKL's CblasPacked, a ?gemm_compute operand packed by ?gemm_pack


@intrinsic
def _cblas_gemm_compute(typingctx, address, dims, a, packed_b, beta, c):
    """``c = a @ b + beta c`` by the row-major ``cblas_?gemm_compute`` of oneMKL's packed API at ``address``,
    ``b`` packed at ``packed_b`` (by ``cblas_?gemm_pack``), no transposes; arguments as ``_cblas_gemm``'s
    (``packed_b``'s leading dimension in ``dims`` is ignored)."""
    index_types = (types.int32, types.int64)
    if not (isinstance(address, types.Integer) and isinstance(dims, types.UniTuple) and dims.count == 6
            and dims.dtype in index_types and beta in (types.float32, types.float64)
            and all(isinstance(x, types.Integer) for x in (a, packed_b, c))):
        return None

    def codegen(context, builder, signature, args):
        address, dims, a, b, beta, c = args
        index = context.get_value_type(signature.args[1].dtype)
        scalar = context.get_value_type(signature.args[4])
        enum, pointer = ir.IntType(32), ir.IntType(8).as_pointer()
        # (its transposes are MKL_INTs, where ?gemm's are enums)
        routine_type = ir.FunctionType(ir.VoidType(), [enum] + [index] * 5
                                       + [pointer, index, pointer, index, scalar, pointer, index])
        routine = builder.inttoptr(address, routine_type.as_pointer())
        m, n, k, lda, ldb, ldc = (builder.extract_value(dims, i) for i in range(6))
        a, b, c = (builder.inttoptr(x, pointer) for x in (a, b, c))
        transposes = (ir.Constant(index, _NO_TRANS), ir.Constant(index, _PACKED))
        builder.call(routine, [ir.Constant(enum, _ROW_MAJOR), *transposes, m, n, k, a, lda, b, ldb, beta, c, ldc])
        return context.get_dummy_value()

    return types.void(address, dims, a, packed_b, beta, c), codegen


@njit(inline="always")
def _step_product(routine, packed, dims, a, b, c, zero, one):
    """``c = a @ b`` (addresses) by the routine at ``routine``: ``?gemm_compute`` with ``b`` packed where
    ``packed``, else ``?gemm``."""
    if packed:
        _cblas_gemm_compute(routine, dims, a, b, zero, c)
    else:
        _cblas_gemm(routine, dims, one, a, b, zero, c)


# -- float32 cells in one pass, with a tanh of our own -----------------------------------------------
# NumPy's tanh cannot be called from compiled code, and Numba's is libm's, one element at a time
# (Numba's vectorised SVML needs an llvmlite built with Intel's patch, which PyPI's wheels are not).
# So the float32 cells below compute tanh(x) = x P(x^2) / Q(x^2): arithmetic and a division, which
# LLVM vectorises, and each step is one pass. contrib/numkeras-numba/fit_tanh.py fits the
# coefficients and measures the result on every float32: at most TANH32_MAX_ULP from tanh (NumPy's
# float32 tanh: 1.37 ulp), never beyond +-1. It is +-1 from |x| = 8.2 on, where tanh is within 2.5 ulp
# of 1 (float32's correctly rounded tanh is +-1 from 9.0109): past 8.22 the rational function would
# overshoot 1 by up to 2 ulps, and clamping its result instead cost 6% of LSTM inference. So these
# cells' float32 numbers differ from the reference's by a few ulps; float64 keeps the loops above,
# the reference's numbers bit for bit.
# fastmath "contract": every multiply-add of a pass is one fused operation (one rounding instead of
# two: in the polynomials that took the largest error from 5.83 to 4.96 ulp), the hard sigmoid's
# and the state's too; no other fast-math liberty. error_model="numpy": no zero-division check on
# "/", which kept LLVM from vectorising the loop. (A function inlined into these takes their options.)
_one_pass = njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
TANH32_MAX_ULP = 5.83  # 4.96 where multiply-adds fuse (FMA: x86-64 since 2013, AArch64), 5.83 where they cannot
_TANH_P = (np.float32(1.0), np.float32(0.13084926), np.float32(0.0031049394), np.float32(1.1163497e-05),
           np.float32(-2.0255941e-08), np.float32(5.2892326e-11), np.float32(-8.509028e-14))
_TANH_Q = (np.float32(1.0), np.float32(0.46418256), np.float32(0.024499202), np.float32(0.00025475124))
_TANH_SATURATES = np.float32(8.2)
_ONE32 = np.float32(1.0)


@njit(inline="always")
def _tanh32(x):
    """tanh of a float32, branch-free: ``x P(s) / Q(s)``, ``s = x^2``; +-1 from |x| = 8.2 on (infinities
    too), NaN for NaN, ``x`` itself where ``s`` underflows (so -0 stays -0)."""
    s = x * x
    p, q = _TANH_P, _TANH_Q
    numerator = (((((p[6] * s + p[5]) * s + p[4]) * s + p[3]) * s + p[2]) * s + p[1]) * s + p[0]
    denominator = ((q[3] * s + q[2]) * s + q[1]) * s + q[0]
    y = x * numerator / denominator  # NaN for a large x (inf / inf), replaced below
    y = _ONE32 if x >= _TANH_SATURATES else y
    return -_ONE32 if x <= -_TANH_SATURATES else y


@_one_pass
def tanh_float32(x, out):
    """``out = _tanh32(x)`` over flat float32 arrays (what the tests and fit_tanh.py measure)."""
    for i in range(x.size):
        out[i] = _tanh32(x[i])


@njit(inline="always")
def _lstm_state(j, i, f, o, g_i, g_f, g_c, g_o, b_c, z_c, c_prev, c, c_act, h):
    """Element ``j`` of an LSTM step from its gates ``i, f, o``: the cell input, state and output."""
    cell_input = _tanh32((g_c[j] + b_c[j]) + z_c[j])
    g_i[j], g_f[j], g_c[j], g_o[j] = i, f, cell_input, o
    state = f * c_prev[j] + i * cell_input
    c[j] = state
    activated = _tanh32(state)
    c_act[j] = activated
    h[j] = o * activated


@_one_pass
def lstm_cell_float32(g, z, c_prev, c, c_act, h, hard, constants):
    """Kernel lstm_cell on float32 in one pass, with ``_tanh32`` (see ``_lstm_step32``)."""
    _lstm_step32(g, _no_bias(g.shape[1], constants), z, c_prev, c, c_act, h, hard, constants)


@njit(inline="always")
def _no_bias(width, constants):
    """A bias that adds nothing: -0.0, for which ``x + -0.0`` is ``x`` for every float, -0.0 included
    (``x + 0.0`` would turn -0.0 into +0.0)."""
    return np.full(width, -constants[2])


@njit(inline="always")
def _lstm_step32(g, bias, z, c_prev, c, c_act, h, hard, constants):
    """One LSTM step on float32 in one pass, its inputs ``(g + bias) + z`` (sigmoid gates: ``tanh(x / 2) / 2
    + 1/2`` as the reference computes them). Each gate's row is its own view, and the gates' choice is
    made outside the loop over a row: indexed at four offsets of one row, or with that choice inside,
    the loop did not vectorise (57 µs instead of 10 for the benchmark's LSTM(128) at batch 32)."""
    half = constants[1]
    rows, units = c.shape
    b_i, b_f, b_c, b_o = bias[:units], bias[units:2 * units], bias[2 * units:3 * units], bias[3 * units:]
    for r in range(rows):
        g_row, z_row = g[r], z[r]
        g_i, g_f, g_c, g_o = g_row[:units], g_row[units:2 * units], g_row[2 * units:3 * units], g_row[3 * units:]
        z_i, z_f, z_c, z_o = z_row[:units], z_row[units:2 * units], z_row[2 * units:3 * units], z_row[3 * units:]
        previous, c_row, act_row, h_row = c_prev[r], c[r], c_act[r], h[r]
        if hard:
            for j in range(units):
                i = _hard_sigmoid((g_i[j] + b_i[j]) + z_i[j], constants)
                f = _hard_sigmoid((g_f[j] + b_f[j]) + z_f[j], constants)
                o = _hard_sigmoid((g_o[j] + b_o[j]) + z_o[j], constants)
                _lstm_state(j, i, f, o, g_i, g_f, g_c, g_o, b_c, z_c, previous, c_row, act_row, h_row)
        else:
            for j in range(units):
                i = _tanh32(((g_i[j] + b_i[j]) + z_i[j]) * half) * half + half
                f = _tanh32(((g_f[j] + b_f[j]) + z_f[j]) * half) * half + half
                o = _tanh32(((g_o[j] + b_o[j]) + z_o[j]) * half) * half + half
                _lstm_state(j, i, f, o, g_i, g_f, g_c, g_o, b_c, z_c, previous, c_row, act_row, h_row)


@_one_pass
def lstm_sequence_float32(gemm, packed, dims, kernel, gates, bias, biased, h0, c0, keep, masked, cs, c_act, hs, z, hard,
                          constants):
    """Kernel lstm_sequence on float32 with lstm_cell's steps: the whole time loop in one call. Each
    step multiplies ``h_prev @ kernel`` (into ``z``) by the CBLAS routine at address ``gemm``
    (``dims``: its m, n, k and leading dimensions, in the integer type it takes; ``kernel``: the
    kernel's address, or where ``packed`` its buffer's, packed by ``cblas_sgemm_pack``, and ``gemm``
    is then ``cblas_sgemm_compute``), then runs ``_lstm_step32`` on its inputs plus ``bias`` where
    ``biased``; where ``masked`` and ``keep[k, r]`` is False, row ``r`` of step ``k`` keeps the
    previous state."""
    zero, one = constants[2], constants[3]
    # The bias is added in the cell's pass, in the reference's order ((gates + bias) + product): as a
    # pass of its own over each step's gates it took 2.5-3 µs of a 40 µs step (LSTM(128) at batch 32).
    added = bias if biased else _no_bias(gates.shape[2], constants)
    for k in range(gates.shape[0]):
        if k == 0:
            h_prev, c_prev = h0, c0
        else:
            h_prev, c_prev = hs[k - 1], cs[k - 1]
        _step_product(gemm, packed, dims, h_prev.ctypes.data, kernel, z.ctypes.data, zero, one)
        _lstm_step32(gates[k], added, z, c_prev, cs[k], c_act[k], hs[k], hard, constants)
        if masked:
            _keep_previous(hs[k], h_prev, keep[k])
            _keep_previous(cs[k], c_prev, keep[k])


@njit(inline="always")
def _add_to_rows(x, row):
    """``x += row`` for a 2-D ``x``, one row at a time."""
    rows, width = x.shape
    for r in range(rows):
        x_row = x[r]
        for j in range(width):
            x_row[j] += row[j]


@njit(inline="always")
def _keep_previous(state, previous, keep):
    """The masked rows of a step (``keep[r]`` False) keep the previous state."""
    for r in range(state.shape[0]):
        if not keep[r]:
            state[r, :] = previous[r]


@_one_pass
def gru_cell_float32(x, inner, h_prev, g, inner_h, h, hard, constants):
    """Kernel gru_cell on float32 in one pass, with ``_tanh32`` (see ``_gru_step32``)."""
    _gru_step32(x, inner, h_prev, g, inner_h, h, hard, constants)


@_one_pass
def gru_sequence_float32(gemm, packed, dims, kernel, x_steps, h0, bias, biased, keep, masked, gates, inner_all, hs,
                         product, hard, constants):
    """Kernel gru_sequence on float32 with gru_cell's steps, as lstm_sequence_float32: each step's
    ``h_prev @ kernel`` into ``product`` by the CBLAS routine at ``gemm`` (``kernel`` an address, packed
    where ``packed``), plus ``bias`` where ``biased``, then ``_gru_step32``; masked rows keep the
    previous state."""
    zero, one = constants[2], constants[3]
    for k in range(x_steps.shape[0]):
        h_prev = h0 if k == 0 else hs[k - 1]
        _step_product(gemm, packed, dims, h_prev.ctypes.data, kernel, product.ctypes.data, zero, one)
        if biased:
            _add_to_rows(product, bias)
        _gru_step32(x_steps[k], product, h_prev, gates[k], inner_all[k], hs[k], hard, constants)
        if masked:
            _keep_previous(hs[k], h_prev, keep[k])


@njit(inline="always")
def _gru_step32(x, inner, h_prev, g, inner_h, h, hard, constants):
    """One GRU step on float32 in one pass (sigmoid gates: ``(tanh(x / 2) + 1) / 2`` as the reference
    computes them); each gate's row its own view, as in _lstm_step32 (this loop vectorised with the
    gates' choice inside: 8 µs for the benchmark's GRU(128) at batch 32)."""
    half, one = constants[1], constants[3]
    rows, units = h.shape
    for r in range(rows):
        x_row, inner_row, g_row = x[r], inner[r], g[r]
        x_z, x_r, x_h = x_row[:units], x_row[units:2 * units], x_row[2 * units:]
        inner_z, inner_r, inner_c = inner_row[:units], inner_row[units:2 * units], inner_row[2 * units:]
        g_z, g_r, g_h = g_row[:units], g_row[units:2 * units], g_row[2 * units:]
        previous, inner_h_row, h_row = h_prev[r], inner_h[r], h[r]
        for j in range(units):
            if hard:
                update = _hard_sigmoid(x_z[j] + inner_z[j], constants)
                reset = _hard_sigmoid(x_r[j] + inner_r[j], constants)
            else:
                update = (_tanh32((x_z[j] + inner_z[j]) * half) + one) * half
                reset = (_tanh32((x_r[j] + inner_r[j]) * half) + one) * half
            recurrent = inner_c[j]
            candidate = _tanh32(reset * recurrent + x_h[j])
            g_z[j], g_r[j], g_h[j] = update, reset, candidate
            inner_h_row[j] = recurrent
            h_row[j] = (previous[j] - candidate) * update + candidate


# Winograd's F(4x4, 3x3) transforms for the interpolation points 0, -1, 1, 1/2, -2, written out
# (generic loops over the matrices ran 3-6x slower): the rows of B^T and of A^T, as
# ``numkeras_numba.winograd_matrices()`` makes them, applied to six values. The constants come
# in the arrays' dtype (``WINOGRAD_CONSTANTS``), so float32 tiles are transformed in float32.
# Tiles per iteration of the parallel loops: each iteration allocates its scratch once (a
# scratch per tile took a quarter of the transforms' time).
WINOGRAD_BLOCK = 16
WINOGRAD_CONSTANTS = (0.5, 1.5, 2.0, 2.5, 0.25, 4.0, 0.125, 8.0, 0.0)


@njit(inline="always")
def _bt(d0, d1, d2, d3, d4, d5, k):
    half, one_half, two, two_half = k[0], k[1], k[2], k[3]
    return (d0 - one_half * d1 - two * d2 + one_half * d3 + d4,
            d1 - two_half * d2 + half * d3 + d4,
            -d1 + half * d2 + two_half * d3 + d4,
            -two * d1 - d2 + two * d3 + d4,
            half * d1 - d2 - half * d3 + d4,
            d1 - one_half * d2 - two * d3 + one_half * d4 + d5)


@njit(inline="always")
def _at(m0, m1, m2, m3, m4, m5, k):
    half, two, quarter, four, eighth, eight = k[0], k[2], k[4], k[5], k[6], k[7]
    return (m0 + m1 + m2 + m3 + m4,
            -m1 + m2 + half * m3 - two * m4,
            m1 + m2 + quarter * m3 + four * m4,
            -m1 + m2 + eighth * m3 - eight * m4 + m5)


@_compile
def winograd_input(x, v, tiles_w, k):
    """``v[t, a * 6 + b]`` = ``(B^T d B)[a, b]`` per channel, ``d`` the 6x6 input tile ``t`` (stride 4).

    ``x`` ``(N, 4 * tiles_h + 2, 4 * tiles_w + 2, C)``; tiles are numbered sample-major, then
    row, then column; ``v`` is ``(N * tiles_h * tiles_w, 36, C)``, each tile's values together
    (written as 36 planes instead, the loop took twice as long); ``k``: ``WINOGRAD_CONSTANTS``.
    Returns how many blocks of ``WINOGRAD_BLOCK`` tiles hold an infinity or a NaN: there
    Winograd's sums would make NaN of what the direct product makes an infinity, so the caller
    computes directly.
    """
    tiles = v.shape[0]
    per_sample = tiles // x.shape[0]
    channels = x.shape[3]
    not_finite = 0
    for block in prange((tiles + WINOGRAD_BLOCK - 1) // WINOGRAD_BLOCK):
        rows = np.empty((6, 6, channels), dtype=x.dtype)  # (B^T d)[a, column j]
        # Row 0 of B^T weighs d0..d4 and row 5 d1..d5, none by 0: an infinity or a NaN anywhere in
        # the block's tiles makes the sum of those two rows' values one. (Per channel: a scalar sum
        # would not vectorise. Checking every value doubled the loop's time, and so did clearing
        # and summing the totals for each tile instead of each block, measured.)
        totals = np.zeros(channels, dtype=x.dtype)
        for t in range(block * WINOGRAD_BLOCK, min(tiles, (block + 1) * WINOGRAD_BLOCK)):
            s, r = t // per_sample, t % per_sample
            top, left = 4 * (r // tiles_w), 4 * (r % tiles_w)
            for j in range(6):
                for c in range(channels):
                    e0, e1, e2, e3, e4, e5 = _bt(x[s, top, left + j, c], x[s, top + 1, left + j, c],
                                                 x[s, top + 2, left + j, c], x[s, top + 3, left + j, c],
                                                 x[s, top + 4, left + j, c], x[s, top + 5, left + j, c], k)
                    rows[0, j, c], rows[1, j, c], rows[2, j, c] = e0, e1, e2
                    rows[3, j, c], rows[4, j, c], rows[5, j, c] = e3, e4, e5
                    totals[c] += e0 + e5
            for a in range(6):
                for c in range(channels):
                    e0, e1, e2, e3, e4, e5 = _bt(rows[a, 0, c], rows[a, 1, c], rows[a, 2, c], rows[a, 3, c],
                                                 rows[a, 4, c], rows[a, 5, c], k)
                    v[t, a * 6, c], v[t, a * 6 + 1, c], v[t, a * 6 + 2, c] = e0, e1, e2
                    v[t, a * 6 + 3, c], v[t, a * 6 + 4, c], v[t, a * 6 + 5, c] = e3, e4, e5
        total = totals.sum()
        if not total - total == 0:  # an infinity or a NaN in the block (or a sum that overflowed)
            not_finite += 1
    return not_finite


@_compile
def winograd_output(m, bias, relu, y, tiles_w, k):
    """``y``'s 4x4 output tile ``t`` = ``A^T M A``, plus the bias, then ``max(·, 0)`` if ``relu``, per filter.

    ``m`` ``(36, tiles, F)`` holds each tile's 6x6 products (row-major) per filter, a plane per
    product (a GEMM kernel writes only C-contiguous arrays; as ``(tiles, 36, F)``, this loop
    saved 2 ms on mnist_cnn and NumPy's products into it lost as much); ``y`` is
    ``(N, 4 * tiles_h, 4 * tiles_w, F)``; ``k``: ``WINOGRAD_CONSTANTS``. A NaN stays NaN.
    Returns how many blocks of tiles came out with an infinity or a NaN before the bias: from finite
    inputs, an overflow of the transforms or the products (inputs near float32's largest),
    where the direct product may still be finite, so the caller computes directly.
    """
    tiles = m.shape[1]
    per_sample = tiles // y.shape[0]
    filters = m.shape[2]
    zero = k[8]
    not_finite = 0
    for block in prange((tiles + WINOGRAD_BLOCK - 1) // WINOGRAD_BLOCK):
        rows = np.empty((4, 6, filters), dtype=m.dtype)  # (A^T M)[a, column j]
        totals = np.zeros(filters, dtype=m.dtype)  # per filter and per block, as in winograd_input
        for t in range(block * WINOGRAD_BLOCK, min(tiles, (block + 1) * WINOGRAD_BLOCK)):
            s, r = t // per_sample, t % per_sample
            top, left = 4 * (r // tiles_w), 4 * (r % tiles_w)
            for j in range(6):
                for f in range(filters):
                    e0, e1, e2, e3 = _at(m[j, t, f], m[6 + j, t, f], m[12 + j, t, f], m[18 + j, t, f],
                                         m[24 + j, t, f], m[30 + j, t, f], k)
                    rows[0, j, f], rows[1, j, f], rows[2, j, f], rows[3, j, f] = e0, e1, e2, e3
            for a in range(4):
                out = y[s, top + a]
                for f in range(filters):
                    e0, e1, e2, e3 = _at(rows[a, 0, f], rows[a, 1, f], rows[a, 2, f], rows[a, 3, f],
                                         rows[a, 4, f], rows[a, 5, f], k)
                    totals[f] += e0 + e1 + e2 + e3
                    b = bias[f]  # the product, then its bias (the op's order)
                    out[left, f] = _relu_if(e0 + b, relu, zero)
                    out[left + 1, f] = _relu_if(e1 + b, relu, zero)
                    out[left + 2, f] = _relu_if(e2 + b, relu, zero)
                    out[left + 3, f] = _relu_if(e3 + b, relu, zero)
        total = totals.sum()
        if not total - total == 0:
            not_finite += 1
    return not_finite


@njit(inline="always")
def _relu_if(value, relu, zero):
    """``max(value, 0)`` when ``relu`` (``zero``, +0 in the array's dtype; a NaN stays NaN), else ``value``."""
    if relu and not (value > 0 or value != value):
        return zero
    return value
