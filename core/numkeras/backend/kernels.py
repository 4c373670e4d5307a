"""The elementwise steps of the hot ops, as named kernels a plugin may replace.

NumPy runs each elementwise step as its own pass over memory, on one core: a
convolution's bias, ReLU and mask are three passes over its output, an SGD
update two over every weight. That is most of a step's time outside the matrix
products. The ops here do those steps through the kernels of this module, each
a function with a NumPy reference implementation. A hook plugin may supply
compiled versions, which fuse the passes and use every core, by implementing
``numkeras_kernels()`` (see ``numkeras.hooks.hookspecs``);
``contrib/numkeras-numba`` does so with Numba, ``contrib/numkeras-mkl`` with
oneMKL for ``axpy``. The plugins are asked once, on the first kernel call.

A plugin's kernel takes the same arguments as the reference and returns what it
returns, or ``None`` for arguments it does not handle (before changing any of them);
NumPy then runs the reference.
"""

import functools
import threading
import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .blas import column_sums, step_products

_compiled = []
_lock = threading.Lock()
_names = []


def set_kernels(kernels):
    """Uses ``kernels`` (``{name: callable}``) from now on; ``None`` or ``{}``: the NumPy references only.

    Returns the table that was in use, so a caller can restore it.
    """
    table = _checked(dict(kernels or {}), "set_kernels")
    with _lock:
        previous = _compiled[0] if _compiled else {}
        _compiled[:] = [table]
    return previous


def get_kernels():
    """The compiled kernels in use: those set with :func:`set_kernels`, else the hook plugins' (maybe ``{}``)."""
    if not _compiled:
        with _lock:
            if not _compiled:
                from ..hooks import plugin_manager

                table = {}
                for answer in plugin_manager().hook.numkeras_kernels():
                    for name, function in (answer or {}).items():
                        table.setdefault(name, function)  # the first plugin to answer a name wins
                _compiled.append(_checked(table, "a numkeras_kernels plugin"))
    return _compiled[0]


def _checked(table, source):
    unknown = sorted(set(table) - set(_names))
    if unknown:
        warnings.warn(f"{source} supplied kernels numkeras does not have: {', '.join(unknown)} "
                      f"(ignored; known: {', '.join(_names)}).", RuntimeWarning, stacklevel=3)
    return {name: function for name, function in table.items() if name in _names and function is not None}


def names():
    """The names of the kernels, in the order they are defined."""
    return tuple(_names)


def compiled(name):
    """Whether a plugin supplies kernel ``name`` (an op may then organise its work differently)."""
    return name in (_compiled[0] if _compiled else get_kernels())


def compiled_result(name, *args):
    """What a plugin's kernel ``name`` returns for ``args``: ``None`` where no plugin supplies it or it declines.

    For an op with a cheaper NumPy path than the kernel's reference (inference needs no
    ReLU mask, say): it tries the compiled kernel and, on ``None``, takes its own path.
    """
    plugin_kernel = (_compiled[0] if _compiled else get_kernels()).get(name)
    return None if plugin_kernel is None else plugin_kernel(*args)


def kernel(reference):
    """Makes ``reference`` (a NumPy function) a kernel of the same name that a plugin may replace."""
    name = reference.__name__
    _names.append(name)

    @functools.wraps(reference)
    def dispatch(*args):  # compiled_result written out: one Python call less on every kernel call
        plugin_kernel = (_compiled[0] if _compiled else get_kernels()).get(name)
        if plugin_kernel is not None:
            result = plugin_kernel(*args)
            if result is not None:
                return result
        return reference(*args)

    dispatch.reference = reference
    return dispatch


@kernel
def bias_relu(y, bias):
    """In place on a 2-D ``y``: ``y = max(y + bias, 0)`` (``bias``: one per column, or ``None``).

    Returns the boolean mask ``y > 0`` that the ReLU's gradient needs. A NaN stays NaN.
    """
    if bias is not None:
        y += bias
    relu(y, out=y)
    return y > 0


@kernel
def relu_grad(g, mask):
    """``g * mask``, a new array: the gradient through a ReLU whose output was positive where ``mask``."""
    return g * mask


@kernel
def relu_grad_sums(g, mask):
    """``(relu_grad(g, mask), its column sums)`` for a 2-D ``g``: a ReLU layer's gradient and its bias's.

    One kernel, so that a compiled version sums the columns in the pass that masks them.
    The reference goes through the ``relu_grad`` kernel, so a plugin that compiles only
    that one still takes the whole gradient.
    """
    grad = relu_grad(g, mask)
    return grad, column_sums(grad)


@kernel
def axpy(alpha, x, y):
    """In place: ``y += alpha * x`` (BLAS's axpy), for ``x`` and ``y`` of one shape and dtype; returns ``y``.

    An optimizer's update of a weight. ``x`` is the caller's scratch: its values afterwards
    are unspecified (the reference scales it in place, so that no temporary is made).
    """
    x *= alpha
    y += x
    return y


# Adam's update makes a dozen elementwise passes over each weight and its two moments (Adadelta's,
# fifteen). Over an embedding matrix (20000x128: 10 MB a pass) those passes, each from memory, took
# a sixth of an LSTM training step; done a cache-sized chunk at a time they read and write memory once.
_UPDATE_CHUNK = 1 << 15  # elements: a chunk's five arrays (640 KiB of float32) stay in L2


def _update_chunks(param, arrays):
    """``(chunks, scratch)`` for an optimizer's in-place update of ``param`` and ``arrays`` (its shape).

    ``chunks`` lists, for each cache-sized chunk, ``param``'s and each array's part of it
    (flat views); where an array is a view of a wider one, a single chunk of the whole arrays.
    ``scratch`` is a flat empty array the size of the largest chunk.
    """
    arrays = (param,) + tuple(arrays)
    if all(a.flags.c_contiguous for a in arrays):
        flat = [a.reshape(-1) for a in arrays]
        starts = range(0, param.size, _UPDATE_CHUNK) or [0]
        chunks = [[a[start:start + _UPDATE_CHUNK] for a in flat] for start in starts]
        return chunks, np.empty(min(_UPDATE_CHUNK, param.size), param.dtype)
    return [list(arrays)], np.empty(param.size, param.dtype)


@kernel
def adam_update(param, grad, m, v, vhat, beta_1, beta_2, lr_t, epsilon):
    """In place, Adam's step for one weight: its moments ``m`` and ``v``, then ``param``.

    ``m = beta_1 m + (1 - beta_1) grad``; ``v = beta_2 v + (1 - beta_2) grad**2``;
    ``param -= lr_t m / (sqrt(v) + epsilon)``; with AMSGrad (``vhat`` its running maximum of ``v``,
    else ``None``), ``vhat = max(vhat, v)`` takes the place of ``v``.
    Every array has ``param``'s shape and dtype; ``grad`` is the caller's scratch (its values
    afterwards are unspecified). Returns ``param``.
    """
    chunks, scratch = _update_chunks(param, (grad, m, v) + ((vhat,) if vhat is not None else ()))
    for p, g, m_c, v_c, *vhat_c in chunks:
        s = scratch[:p.size].reshape(p.shape)
        np.multiply(g, 1.0 - beta_1, out=s)
        m_c *= beta_1
        m_c += s
        np.square(g, out=s)
        s *= 1.0 - beta_2
        v_c *= beta_2
        v_c += s
        if vhat_c:
            v_c = np.maximum(vhat_c[0], v_c, out=vhat_c[0])
        denominator = np.sqrt(v_c, out=g)
        denominator += epsilon
        np.multiply(m_c, lr_t, out=s)
        s /= denominator
        p -= s
    return param


@kernel
def adadelta_update(param, grad, accumulator, delta, rho, lr, epsilon):
    """In place, Adadelta's step for one weight (Zeiler 2012, with Keras's learning rate).

    ``accumulator = rho accumulator + (1 - rho) grad**2``;
    ``update = grad sqrt(delta + epsilon) / sqrt(accumulator + epsilon)``; ``param -= lr update``;
    ``delta = rho delta + (1 - rho) update**2``. Every array has ``param``'s shape and dtype;
    ``grad`` is the caller's scratch (its values afterwards are unspecified). Returns ``param``.
    """
    chunks, scratch = _update_chunks(param, (grad, accumulator, delta))
    for p, g, a, d in chunks:
        s = scratch[:p.size].reshape(p.shape)
        np.square(g, out=s)
        s *= 1.0 - rho
        a *= rho
        a += s
        np.add(d, epsilon, out=s)
        np.sqrt(s, out=s)
        g *= s
        np.add(a, epsilon, out=s)
        np.sqrt(s, out=s)
        update = g
        update /= s
        np.multiply(update, lr, out=s)
        p -= s
        d *= rho
        np.square(update, out=s)
        s *= 1.0 - rho
        d += s
    return param


# -- recurrences ------------------------------------------------------------------------------------
# The recurrent ops' activations: ``f(x, out)`` writes ``f(x)`` into ``out`` (no temporaries inside a
# time loop); ``slope(y)`` is f' in terms of the output ``y = f(x)``.
def tanh(x, out):
    """``tanh(x)`` into ``out``."""
    return np.tanh(x, out=out)


def tanh_slope(y):
    return 1 - y * y


def sigmoid(x, out):
    """``sigmoid(x)`` into ``out``, as ``(1 + tanh(x / 2)) / 2``: stable for any ``x``."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def sigmoid_slope(y):
    return y * (1 - y)


def hard_sigmoid(x, out):
    """``clip(0.2 x + 0.5, 0, 1)`` into ``out`` (Keras's hard sigmoid); a NaN stays NaN."""
    np.multiply(x, 0.2, out=out)
    out += 0.5
    return np.clip(out, 0, 1, out=out)


def hard_sigmoid_slope(y):
    """The hard sigmoid's derivative from its output ``y``: 0.2 where ``0 < y < 1``, else 0."""
    return np.where((y > 0) & (y < 1), y.dtype.type(0.2), y.dtype.type(0))


# The gates of lstm_cell and gru_cell (their cells and candidates: tanh), with their slopes.
GATE_FUNCTIONS = {"sigmoid": (sigmoid, sigmoid_slope), "hard_sigmoid": (hard_sigmoid, hard_sigmoid_slope)}
GATES = tuple(GATE_FUNCTIONS)


def _gate(gate):
    try:
        return GATE_FUNCTIONS[gate]
    except KeyError:
        raise ValueError(f"The recurrent kernels' gates are {' or '.join(map(repr, GATES))}, not {gate!r}.") from None


@functools.lru_cache(maxsize=32)
def lstm_tanh_constants(units, dtype):
    """``(scale, shift)`` ``(4U,)``, read-only: 1/2 and 1/2 on the sigmoid gates ``i, f, o``, 1 and 0 on the
    cell's, so that ``tanh(x * scale) * scale + shift`` is every gate's activation at once
    (``sigmoid(x) = tanh(x / 2) / 2 + 1/2``)."""
    scale = np.full(4 * units, 0.5, dtype=dtype)
    scale[2 * units:3 * units] = 1
    shift = np.full(4 * units, 0.5, dtype=dtype)
    shift[2 * units:3 * units] = 0
    scale.flags.writeable = shift.flags.writeable = False
    return scale, shift


def lstm_step(g, z, c_prev, c, c_act, h, activation, gate, scratch):
    """:func:`lstm_cell` with any activations (``f(x, out)`` functions as above): its reference, and
    the recurrent op's step for the activations the kernel lacks."""
    u = c.shape[-1]
    g += z
    if activation is tanh and gate is sigmoid:  # one tanh for all four gates
        scale, shift = lstm_tanh_constants(u, g.dtype)
        g *= scale
        np.tanh(g, out=g)
        g *= scale
        g += shift
    else:
        activation(g[:, 2 * u:3 * u], scratch)
        gate(g, g)
        g[:, 2 * u:3 * u] = scratch
    np.multiply(g[:, u:2 * u], c_prev, out=c)
    np.multiply(g[:, :u], g[:, 2 * u:3 * u], out=scratch)
    c += scratch
    activation(c, c_act)
    return np.multiply(g[:, 3 * u:], c_act, out=h)


@kernel
def lstm_cell(g, z, c_prev, c, c_act, h, gate, scratch):
    """One step of an LSTM with ``tanh`` cells, in place; returns ``h``.

    ``g (N, 4U)`` holds the step's projected inputs (gates ``i, f, c, o``, Keras's order) and
    ``z`` the recurrent product ``h_prev @ kernel``. Afterwards ``g`` holds the gates'
    activations (what backpropagation reads): ``gate`` (one of :data:`GATES`) on ``i, f, o``,
    ``tanh`` on the cell's; ``c = f c_prev + i g_c`` the new cell state, ``c_act = tanh(c)`` and
    ``h = o c_act``. ``scratch (N, U)``: room for a temporary.

    A dozen passes over arrays of a few thousand elements, each a NumPy call: on the
    benchmark's LSTM(128) at batch 32 they took longer than the step's matrix product.
    """
    return lstm_step(g, z, c_prev, c, c_act, h, tanh, _gate(gate)[0], scratch)


def lstm_step_grad(g, c_prev, c_act, dh, dc, dc_prev, activation_slope, gate_slope, factors):
    """:func:`lstm_cell_grad` with any activations' slopes (``slope(y)`` functions as above)."""
    rows, units = dh.shape
    p = g.reshape(rows, 4, units)
    i, f, cell_input, o = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    np.multiply(cell_input, gate_slope(i), out=factors[:, 0])
    np.multiply(c_prev, gate_slope(f), out=factors[:, 1])
    np.multiply(i, activation_slope(cell_input), out=factors[:, 2])
    np.multiply(o, activation_slope(c_act), out=dc_prev)  # dh -> dc through h = o act(c)
    dc_prev *= dh
    dc += dc_prev
    np.multiply(c_act, gate_slope(o), out=o)
    o *= dh
    np.multiply(dc, f, out=dc_prev)  # before f is overwritten
    np.multiply(dc[:, None, :], factors, out=p[:, :3])
    return dc_prev


@kernel
def lstm_cell_grad(g, c_prev, c_act, dh, dc, dc_prev, gate, factors):
    """Backpropagation through one :func:`lstm_cell` step, in place; returns ``dc_prev``.

    ``g (N, 4U)`` holds the step's gate activations (``i, f, c, o``), ``c_act`` its
    ``tanh(c)``, ``dh`` and ``dc`` the gradients of its ``h`` and ``c``, ``gate`` the gates'
    activation. Afterwards ``g`` holds the gradients of the gates' pre-activations (``dc``
    then includes what ``dh`` brings through ``h = o tanh(c)``) and ``dc_prev`` the gradient
    of ``c_prev``. ``factors (N, 3, U)``: room for temporaries. Only products and sums: the
    derivatives come from the activations (``tanh' = 1 - y^2``, ``sigmoid' = y (1 - y)``,
    ``hard_sigmoid' = 0.2`` where ``0 < y < 1``).
    """
    return lstm_step_grad(g, c_prev, c_act, dh, dc, dc_prev, tanh_slope, _gate(gate)[1], factors)


@kernel
def lstm_sequence(gates, bias, h0, c0, kernel, keep, recurrent_mask, cell, gate, cs, c_act, hs):
    """An LSTM's forward time loop, in place; returns ``hs``.

    ``gates (T, N, 4U)`` holds the projected inputs of the steps in processing order, ``bias`` (``(4U,)``
    or ``None``) the projection's bias, not yet added; ``h0`` and ``c0 (N, U)`` the initial state,
    ``kernel (U, 4U)`` the recurrent kernel. Step ``k`` adds ``bias`` to ``gates[k]``, multiplies
    the previous ``h`` (times ``recurrent_mask``, when not ``None``) by ``kernel`` and runs
    ``cell(gates[k], z, c_prev, cs[k], c_act[k], hs[k], gate, scratch)``: :func:`lstm_cell`, or a
    function with its arguments for other activations. Where ``keep (T, N)`` (booleans, or ``None``)
    is False the step is masked: its ``h`` and ``c`` are the previous step's. Afterwards ``gates``
    holds the gates' activations of every step, as :func:`lstm_cell` leaves them.

    A plugin may run the whole loop in compiled code, calling BLAS for each step's product (see
    :func:`numkeras.backend.blas.step_gemm`): on the benchmark's LSTM(128) at batch 32 this loop
    took 45 µs a step around numkeras-numba's cell and oneMKL's product, numkeras-numba's 35. The
    bias is added step by step, where the step's inputs are in cache: added to all steps at once
    (2560x512 float32 on the benchmark), it took 0.3 ms of a 5.3 ms predict batch, and LSTM
    inference with numkeras-mkl alone went 1.075x as fast step by step (median of 3 alternating
    runs; plain numkeras 1.001x). A step's add costs a NumPy call, about 1 µs at batch 1.
    """
    steps, n, u = hs.shape
    z = np.empty((n, 4 * u), dtype=hs.dtype)
    scratch = np.empty((n, u), dtype=hs.dtype)
    with step_products(n * u * 4 * u) as product_of:  # small products, one per step
        for k in range(steps):
            h_prev, c_prev = (h0, c0) if k == 0 else (hs[k - 1], cs[k - 1])
            if bias is not None:
                gates[k] += bias
            product_of(h_prev if recurrent_mask is None else h_prev * recurrent_mask, kernel, out=z)
            cell(gates[k], z, c_prev, cs[k], c_act[k], hs[k], gate, scratch)
            if keep is not None:
                masked = ~keep[k, :, None]
                np.copyto(hs[k], h_prev, where=masked)
                np.copyto(cs[k], c_prev, where=masked)
    return hs


@kernel
def lstm_sequence_grad(gates, c0, cs, c_act, kernel_t, grad, keep, recurrent_mask, cell_grad, gate, dh, dc):
    """Backpropagation through :func:`lstm_sequence`'s loop; returns ``(dh, dc)``, the gradients of
    ``h0`` and ``c0``.

    ``gates``, ``cs`` and ``c_act`` are what that loop left (the gates' activations ``(T, N, 4U)``, the
    cell states and their ``tanh`` ``(T, N, U)``), ``c0`` the initial cell state, ``kernel_t (4U, U)``
    the recurrent kernel transposed. ``grad`` is the gradient of every step's ``[h, c]``, ``(N, T, 2U)``
    in processing order, or ``None`` where only the last step's states have one: ``dh`` and ``dc``
    hold it on entry (zeros otherwise), and may be overwritten. ``cell_grad`` is :func:`lstm_cell_grad`
    or a function with its arguments; ``keep`` and ``recurrent_mask`` as in :func:`lstm_sequence` (a
    masked step passes its states' gradients to the previous states). Afterwards ``gates`` holds the
    gradients of every step's pre-activations: the gradient of the projected inputs. A plugin may run
    the whole loop in compiled code, as :func:`lstm_sequence`.
    """
    steps, n, u = cs.shape
    if grad is not None:
        grad_h, grad_c = grad[:, :, :u], grad[:, :, u:]
        with_grad_h, with_grad_c = np.any(grad_h, axis=(0, 2)), np.any(grad_c, axis=(0, 2))
    product = np.empty((n, u), dtype=dh.dtype)
    factors = np.empty((n, 3, u), dtype=dh.dtype)
    with step_products(n * u * 4 * u) as product_of:  # small products, one per step
        for k in range(steps - 1, -1, -1):
            if grad is not None:
                if with_grad_h[k]:
                    dh += grad_h[:, k]
                if with_grad_c[k]:
                    dc += grad_c[:, k]
            if keep is not None:  # a masked step: its states' gradients go to the previous ones, none into it
                kept = keep[k, :, None]
                carry_h, dh = np.where(kept, 0, dh), np.where(kept, dh, 0)
                carry_c, dc = np.where(kept, 0, dc), np.where(kept, dc, 0)
            # The gradients of this step's pre-activations, computed here, where its gates are in
            # cache (for all steps at once, before the loop, the factors took longer than the loop),
            # and written over the gates, which no later iteration reads.
            cell_grad(gates[k], c0 if k == 0 else cs[k - 1], c_act[k], dh, dc, product, gate, factors)
            dc, product = product, dc
            dh = product_of(gates[k], kernel_t)
            if recurrent_mask is not None:
                dh *= recurrent_mask
            if keep is not None:
                dh += carry_h
                dc += carry_c
    return dh, dc


def gru_step(x, inner, h_prev, g, inner_h, h, activation, gate, scratch):
    """:func:`gru_cell` with any activations (``f(x, out)`` functions as above): its reference, and the
    recurrent op's step for the activations the kernel lacks."""
    u = h.shape[-1]
    np.add(x[:, :2 * u], inner[:, :2 * u], out=scratch[:, :2 * u])
    gate(scratch[:, :2 * u], g[:, :2 * u])
    inner_h[...] = inner[:, 2 * u:]
    candidate = np.multiply(g[:, u:2 * u], inner_h, out=scratch[:, 2 * u:])
    candidate += x[:, 2 * u:]
    activation(candidate, g[:, 2 * u:])
    return gru_update(h_prev, g, h)


def gru_update(h_prev, g, h):
    """A GRU's new state from its gates ``g = [z, r, hh]``: ``h = z h_prev + (1 - z) hh``, written
    ``hh + z (h_prev - hh)``, into ``h``."""
    u = h.shape[-1]
    z, hh = g[:, :u], g[:, 2 * u:]
    np.subtract(h_prev, hh, out=h)
    h *= z
    h += hh
    return h


@kernel
def gru_cell(x, inner, h_prev, g, inner_h, h, gate, scratch):
    """One step of a GRU with ``reset_after`` (CuDNN's) and a ``tanh`` candidate, in place; returns ``h``.

    ``x (N, 3U)`` holds the step's projected inputs (``z, r, h``, Keras's order), ``inner``
    the recurrent product ``h_prev @ kernel`` plus its bias. Afterwards ``g (N, 3U)`` holds the
    gates ``z, r`` (``gate``, one of :data:`GATES`) and the candidate
    ``hh = tanh(x_h + r inner_h)`` (what backpropagation reads), ``inner_h (N, U)`` a copy of
    ``inner``'s candidate part, and ``h = hh + z (h_prev - hh)``. ``scratch (N, 3U)``: room for
    temporaries.
    """
    return gru_step(x, inner, h_prev, g, inner_h, h, tanh, _gate(gate)[0], scratch)


@kernel
def gru_sequence(x_steps, h0, kernel, recurrent_bias, keep, recurrent_mask, cell, gate, gates, inner, hs):
    """A ``reset_after`` GRU's forward time loop (CuDNN's), in place; returns ``hs``.

    ``x_steps (T, N, 3U)`` holds the projected inputs of the steps in processing order, ``h0`` the
    initial state (``(N, U)``, or a row that broadcasts to it), ``kernel (U, 3U)`` the recurrent
    kernel and ``recurrent_bias`` (``(3U,)`` or ``None``) its bias. Step ``k`` multiplies the previous
    ``h`` (times ``recurrent_mask``, when not ``None``) by ``kernel``, adds ``recurrent_bias`` and runs
    ``cell(x_steps[k], product, h_prev, gates[k], inner[k], hs[k], gate, scratch)``: :func:`gru_cell`,
    or a function with its arguments for other activations. Where ``keep (T, N)`` (booleans, or
    ``None``) is False the step is masked: its ``h`` is the previous step's. Afterwards ``gates (T, N, 3U)``
    holds every step's ``z, r`` and candidate ``hh`` after their activations, ``inner (T, N, U)`` the
    recurrent part of each candidate (``h_prev @ U_h + b_h``), what backpropagation reads.

    A plugin may run the whole loop in compiled code, as :func:`lstm_sequence`.
    """
    steps, n, u = hs.shape
    product = np.empty((n, 3 * u), dtype=hs.dtype)
    scratch = np.empty((n, 3 * u), dtype=hs.dtype)
    with step_products(n * u * 3 * u) as product_of:  # small products, one per step
        for k in range(steps):
            h_prev = h0 if k == 0 else hs[k - 1]
            h_in = h_prev if recurrent_mask is None else h_prev * recurrent_mask
            # (a new array where h0 is a broadcast row or of another dtype, as the product makes it)
            fits = h_in.shape == (n, u) and h_in.dtype == hs.dtype
            step_product = product_of(h_in, kernel, out=product if fits else None)
            if recurrent_bias is not None:
                step_product += recurrent_bias
            cell(x_steps[k], step_product, h_prev, gates[k], inner[k], hs[k], gate, scratch)
            if keep is not None:
                np.copyto(hs[k], h_prev, where=~keep[k, :, None])
    return hs


# -- pooling geometry, shared by the kernels below, the pooling op and the plugins' kernels ----------
def pool_output(spatial, pool_size, strides):
    """The number of windows along each axis of a (padded) input of spatial shape ``spatial``."""
    return tuple((n - k) // s + 1 for n, k, s in zip(spatial, pool_size, strides))


def pool_windows(out, pool_size, strides):
    """Per offset of the pooling window (``np.ndindex`` order), the slices of a batch that it reads
    for an ``out``-shaped output."""
    return [(slice(None),) + window_slices(offset, strides, None, out) for offset in np.ndindex(*pool_size)]


def pool_windows_apart(pool_size, strides):
    """Whether no two windows overlap (strides at least the pool size): a gradient may be written, not added."""
    return all(s >= k for s, k in zip(strides, pool_size))


def pool_windows_tile(spatial, out, pool_size, strides):
    """Whether the windows cover every element of the input exactly once: a gradient needs no clearing first."""
    return all(s == k and n == o * s for s, k, n, o in zip(strides, pool_size, spatial, out))


@kernel
def max_pool(x, pool_size, strides):
    """Max pooling of a channels-last ``x`` ``(N, *spatial, C)`` (already padded): ``(best, winner)``.

    ``best`` ``(N, *out, C)``, ``out`` being ``(n - k) // s + 1`` per axis, holds each window's maximum (NaN if the window holds one);
    ``winner`` (unsigned integers) the first offset of the window, in ``np.ndindex(*pool_size)``
    order, that holds it: where :func:`max_pool_grad` sends the gradient, as TensorFlow does.
    """
    windows = pool_windows(pool_output(x.shape[1:-1], pool_size, strides), pool_size, strides)
    best = x[windows[0]].copy()
    winner = np.zeros(best.shape, dtype=np.min_scalar_type(len(windows) - 1))
    higher = np.empty(best.shape, dtype=bool)
    step = np.empty_like(winner)
    for index, window in enumerate(windows[1:], start=1):
        candidate = x[window]
        np.greater(candidate, best, out=higher)  # strictly: ties stay with the earlier offset
        # winner = index where higher: small-integer arithmetic, many times faster than a masked copy.
        np.subtract(index, winner, out=step)  # positive: every winner so far is an earlier offset
        step *= higher.view(np.uint8)
        winner += step
        np.maximum(best, candidate, out=best)  # not a masked copy: a NaN in the window must come out
    return best, winner


@kernel
def max_pool_grad(g, winner, pool_size, strides, shape):
    """The gradient of :func:`max_pool`: ``g`` routed to each window's winner, in an array of ``shape``.

    Every other element is +0, as TensorFlow's: a non-finite gradient stays at its winner.
    Where windows overlap, an element gets the sum of the gradients it won, starting from +0.
    """
    out_shape = g.shape[1:-1]
    windows = pool_windows(out_shape, pool_size, strides)
    disjoint = pool_windows_apart(pool_size, strides)
    if g.dtype.itemsize not in (2, 4, 8):  # no integer type of a long double's size for the bits below
        grad = np.zeros(shape, dtype=g.dtype)
        for index, window in enumerate(windows):
            if disjoint:
                np.copyto(grad[window], g, where=winner == index)
            else:
                np.add(grad[window], g, out=grad[window], where=winner == index)
        return grad
    # Windows that tile the input exactly write every element: no need to clear it first.
    tiled = pool_windows_tile(shape[1:-1], out_shape, pool_size, strides)
    grad = np.empty(shape, dtype=g.dtype) if tiled else np.zeros(shape, dtype=g.dtype)
    # g where the offset won and +0 elsewhere, as g's bits times 1 or 0 in integers: g * won in
    # floats would make NaN of an infinite g times 0, and -0 of a negative g. A masked copy took 4x
    # as long; this takes about 1 ms more than that float product on mnist_cnn's pooling.
    bits = np.dtype(f"i{g.dtype.itemsize}")
    g_bits, won = g.view(bits), np.empty(g.shape, dtype=bits)
    routed = None if disjoint else np.empty(g.shape, dtype=bits)
    for index, window in enumerate(windows):
        np.equal(winner, index, out=won, casting="unsafe")  # 1 or 0
        if disjoint:
            np.multiply(g_bits, won, out=grad[window].view(bits))
        else:
            np.multiply(g_bits, won, out=routed)
            grad[window] += routed.view(g.dtype)
    return grad


@kernel
def window_max(x, pool_size, strides):
    """Each window's maximum, :func:`max_pool`'s ``best`` without the winners that only the gradient needs.

    For inference: the same numbers (``np.maximum`` over the offsets, a NaN kept), in
    ``pool_size``'s product minus one passes over ``x`` (already padded) and no offsets stored.
    """
    windows = pool_windows(pool_output(x.shape[1:-1], pool_size, strides), pool_size, strides)
    if len(windows) == 1:
        return x[windows[0]].copy()
    best = np.maximum(x[windows[0]], x[windows[1]])  # no copy of the first window
    for window in windows[2:]:
        np.maximum(best, x[window], out=best)
    return best


@kernel
def im2col(x, strides, dilation, out):
    """Fills ``out`` ``(N, *windows, *kernel, C)`` with the windows of a channels-last ``x``; returns ``out``.

    Window ``w`` along an axis starts at ``w * stride``, and its offset ``k`` reads ``k * dilation``
    further on (``x`` is already padded).
    """
    rank = x.ndim - 2
    step = x.strides
    windows = as_strided(
        x,
        shape=out.shape,
        strides=(step[0],) + tuple(step[1 + i] * strides[i] for i in range(rank))
        + tuple(step[1 + i] * dilation[i] for i in range(rank)) + (step[-1],),
        writeable=False,
    )
    np.copyto(out, windows)
    return out


@kernel
def conv3x3(x, pads, kernel, bias, relu):
    """A 3x3 convolution (stride 1, no dilation), or ``None``: the convolution op's forward pass.

    ``x`` ``(N, H, W, C)``, channels-last, zero-padded by ``pads`` ``((top, bottom), (left,
    right))``; ``kernel`` ``(3, 3, C, F)``; ``bias`` ``(F,)`` or ``None``. The result is the
    product, plus ``bias``, then ``max(·, 0)`` if ``relu``: ``(N, H + top + bottom - 2, W +
    left + right - 2, F)``. Unlike the other kernels this one has no NumPy computation: the
    reference returns ``None`` and the convolution op then takes its im2col product. A plugin
    may compute it another way (numkeras-numba: Winograd's algorithm).
    """
    return None


@kernel
def col2im(cols, image, strides, dilation):
    """In place: adds each window of ``cols`` ``(N, *out, *kernel, C)`` into ``image`` ``(N, *spatial, C)``.

    The adjoint of :func:`im2col`; returns ``image``.
    """
    rank = image.ndim - 2
    out, kernel_size = cols.shape[1:1 + rank], cols.shape[1 + rank:1 + 2 * rank]
    lead = (slice(None),) * (1 + rank)
    for offset in np.ndindex(*kernel_size):
        window = (slice(None),) + window_slices(offset, strides, dilation, out)
        image[window] += cols[lead + offset]
    return image


# NumPy's SIMD loop for np.maximum takes two arrays; with a scalar operand it runs a loop
# several times slower (55 against 12 µs on a 128x512 float32 array). So a ReLU takes the
# maximum against zeros, a chunk at a time: the same numbers, bit for bit.
_ZERO_CHUNK = 1 << 16  # elements: 256 KiB of float32, which stay in cache


@functools.cache
def _zeros(dtype):
    zeros = np.zeros(_ZERO_CHUNK, dtype)
    zeros.flags.writeable = False
    return zeros


def relu(x, out=None):
    """``max(x, 0)`` into ``out`` (a new array if ``None``; ``x`` itself for in place); a NaN stays NaN.

    A helper for every ReLU of the ops, not a kernel a plugin replaces.
    """
    if out is None:
        out = np.empty_like(x)
    if (x.dtype.kind != "f" or out.dtype != x.dtype or out.shape != x.shape
            or not (x.flags.c_contiguous and out.flags.c_contiguous)):
        return np.maximum(x, 0, out=out)
    source, target, zeros = x.reshape(-1), out.reshape(-1), _zeros(x.dtype)
    if source.size <= _ZERO_CHUNK:  # one chunk: no loop to set up
        np.maximum(source, zeros[:source.size], out=target)
        return out
    for start in range(0, source.size, _ZERO_CHUNK):
        chunk = source[start:start + _ZERO_CHUNK]
        np.maximum(chunk, zeros[:chunk.size], out=target[start:start + _ZERO_CHUNK])
    return out


def window_slices(offset, strides, dilation, out):
    """The slices of the input that offset ``offset`` of every window reads, one per spatial axis.

    ``dilation`` ``None`` means 1 on every axis; ``out`` is the number of windows per axis.
    """
    dilation = dilation or (1,) * len(offset)
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, s, d, n in zip(offset, strides, dilation, out))


__all__ = ["set_kernels", "get_kernels", "names", "compiled", "compiled_result", "bias_relu", "relu_grad",
           "relu_grad_sums", "axpy", "adam_update", "max_pool", "max_pool_grad", "window_max", "im2col", "col2im",
           "relu", "window_slices", "pool_output", "pool_windows", "pool_windows_apart", "pool_windows_tile"]
