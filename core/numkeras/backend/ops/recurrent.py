"""Recurrences: whole-sequence LSTM, GRU and simple-RNN ops, and Keras's generic ``K.rnn``.

A recurrent layer's input projection (``x @ kernel + bias`` for every timestep) is one
product, made inside these ops when they are given ``kernel`` (what the layers do) or before
them by the caller; what is left is inherently sequential. Recording
each timestep's dozen elementwise ops on the tape would cost more in bookkeeping than
in arithmetic, so each recurrence here is one op: ``forward`` loops over time with one
matmul per step, ``backward`` runs backpropagation through time with one matmul per
step, and the recurrent-kernel gradient is a single matmul over all timesteps at the end.

Gate orders are Keras's (LSTM ``i, f, c, o``; GRU ``z, r, h``), so weights exchange with
Keras files. A ``mask`` (``(batch, time)`` booleans) carries the previous state over
masked steps, as ``K.rnn`` does; ``recurrent_mask`` is a recurrent-dropout mask
multiplied into the state before each recurrent matmul.

:func:`rnn` is the generic, composed version for user cells (any step function of ops).
"""

import numpy as np

from .. import kernels
from ..blas import column_sums, matmul, step_products
from ..tensor import Function
from ._util import operand


# Activations the fused ops implement: ``forward(x, out)`` writes ``f(x)`` into ``out`` (no
# temporaries inside the time loop); ``derivative(y)`` is f' written in terms of the output
# ``y = f(x)``, evaluated in backpropagation through time (step by step in the LSTM and GRU,
# for all steps at once in the simple RNN).
def _copy(x, out):
    out[...] = x
    return out


ACTIVATIONS = {
    "tanh": (kernels.tanh, kernels.tanh_slope),
    "sigmoid": (kernels.sigmoid, kernels.sigmoid_slope),
    "hard_sigmoid": (kernels.hard_sigmoid, kernels.hard_sigmoid_slope),
    "relu": (kernels.relu, lambda y: (y > 0).astype(y.dtype)),
    "linear": (_copy, lambda y: np.ones_like(y)),
}


def is_fusable(activation_name):
    """Whether the whole-sequence ops implement this activation (by registered name)."""
    return activation_name in ACTIVATIONS


def _activation(name):
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"The fused recurrent ops implement the activations {sorted(ACTIVATIONS)}, not {name!r}."
        ) from None


class _Recurrence(Function):
    """Shared time bookkeeping: iteration order, the mask and the recurrent-dropout mask.

    Per-step values are stored time-major, ``(steps, batch, ...)`` in processing order, so
    that every step reads and writes contiguous blocks.
    """

    def __init__(self, mask=None, recurrent_mask=None, go_backwards=False, return_sequences=True):
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self.recurrent_mask = recurrent_mask
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences

    def _steps(self, steps):
        """``(position in the output, timestep of the input)`` pairs, in processing order."""
        times = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        return list(enumerate(times))

    def _keep(self, t):
        return None if self.mask is None else self.mask[:, t, None]

    def _keep_steps(self):
        """The mask as ``(steps, batch)`` in processing order, C-contiguous, or ``None``."""
        if self.mask is None:
            return None
        return np.ascontiguousarray(self.mask.T[::-1] if self.go_backwards else self.mask.T)

    def _dropped(self, h):
        return h if self.recurrent_mask is None else h * self.recurrent_mask

    def _previous(self, states, k, initial):
        return initial if k == 0 else states[k - 1]

    def _recurrent_kernel_gradient(self, d_pre):
        """``sum_k h_in[k].T @ d_pre[k]`` over the steps (``d_pre`` flat, ``(steps * batch, width)``), where
        ``h_in[k]`` is the state step ``k`` multiplied by the recurrent kernel."""
        h0 = np.broadcast_to(self.h0, self.hs.shape[1:])
        if self.recurrent_mask is not None:
            return matmul(self._inputs_of_matmuls(h0, self.hs).T, d_pre)
        n, u = h0.shape
        gradient = matmul(h0.T, d_pre[:n])
        if len(self.hs) > 1:
            gradient += matmul(self.hs[:-1].reshape(-1, u).T, d_pre[n:])
        return gradient

    def _inputs_of_matmuls(self, h0, hs):
        """The state each step multiplied by the recurrent kernel, ``(steps * batch, units)``."""
        h_in = np.concatenate([h0[None], hs[:-1]])
        if self.recurrent_mask is not None:
            h_in *= self.recurrent_mask
        return h_in.reshape(-1, h_in.shape[-1])

    def _project(self, x, kernel, bias, recurrent_kernel):
        """The steps' inputs, ``(steps, batch, width)`` time-major in processing order.

        ``x @ kernel + bias`` for the layer's inputs ``x`` when the op projects (``kernel`` given),
        else ``x``, which is projected already. Either way a new float array, which the op may
        overwrite, in the dtype of the whole computation (the recurrent dropout mask is cast to it).
        """
        dtype = np.result_type(x, recurrent_kernel, *(() if kernel is None else (kernel,)))
        if dtype.kind != "f":  # integer inputs and weights
            dtype = np.result_type(dtype, np.float64)
        if self.recurrent_mask is not None:
            self.recurrent_mask = np.asarray(self.recurrent_mask, dtype=dtype)
        self.input_kernel = kernel
        if kernel is None:
            self.x_steps = None
            steps = self._time_major(x)
            # One sample or one step: the transposed view is contiguous already, and is x itself.
            if steps.dtype != dtype or np.may_share_memory(steps, x):
                steps = steps.astype(dtype)
            return steps
        self.x_steps = x_steps = self._time_major(x)
        projected = matmul(x_steps.reshape(-1, x_steps.shape[-1]), kernel).astype(dtype, copy=False)
        if bias is not None:
            projected += bias
        return projected.reshape(x_steps.shape[:2] + (kernel.shape[1],))

    def _input_gradients(self, d_steps, wants):
        """``(d_x, d_kernel, d_bias)`` from ``d_steps``, the gradient of :meth:`_project`'s result;
        ``wants`` says which of the three are asked for (the last two only when the op projects)."""
        if self.x_steps is None:
            return (self._to_batch_major(d_steps) if wants[0] else None), None, None
        flat = d_steps.reshape(-1, d_steps.shape[-1])
        d_x = d_kernel = d_bias = None
        if wants[0]:
            d_x = self._to_batch_major(matmul(flat, self.input_kernel.T).reshape(self.x_steps.shape))
        if wants[1]:
            d_kernel = matmul(self.x_steps.reshape(-1, self.x_steps.shape[-1]).T, flat)
        if wants[2]:
            d_bias = column_sums(flat)
        return d_x, d_kernel, d_bias

    def _outputs(self, hs):
        """The states ``(steps, batch, units)`` as the op's output: every step's, batch-major, or the last's."""
        if not self.return_sequences:
            return hs[-1].copy()
        return np.ascontiguousarray(hs.transpose(1, 0, 2))

    def _output_gradient(self, grad, k, dh):
        """Adds the output gradient of processing step ``k`` into ``dh``."""
        if self.return_sequences:
            dh += grad[:, k]
        elif k == len(self.hs) - 1:
            dh += grad

    def _time_major(self, x):
        """``x (batch, steps, ...)`` as a C-contiguous ``(steps, batch, ...)`` array in processing order
        (a view of ``x`` where that is one already: one sample, or one step)."""
        if self.go_backwards:
            x = x[:, ::-1]
        return np.ascontiguousarray(x.swapaxes(0, 1))

    def _to_batch_major(self, d_steps):
        """Time-major gradients in processing order → ``(batch, steps, ...)`` in input order."""
        if self.go_backwards:
            d_steps = d_steps[::-1]
        return np.ascontiguousarray(d_steps.transpose(1, 0, 2))

    def _into_step(self, dh, t):
        """``(carry, dh)`` at timestep ``t`` of the backward loop: at a masked step the whole state
        gradient passes to the previous state (``carry``, added back after the step) and none enters
        the step; ``carry`` is None where there is no mask."""
        keep = self._keep(t)
        if keep is None:
            return None, dh
        return np.where(keep, 0, dh), np.where(keep, dh, 0)


class LSTMSequence(_Recurrence):
    """An LSTM over a sequence, with the input projection inside the op or before it.

    Inputs ``x``, ``h0 (N, U)``, ``c0 (N, U)``, the recurrent ``kernel (U, 4U)`` and, when the op
    projects, ``input_kernel (D, 4U)`` and ``input_bias (4U,)`` (or ``None``); ``x`` is then the
    layer's input ``(N, T, D)``, else the projected ``(N, T, 4U)``. Output ``(N, T, 2U)`` = ``[h_t, c_t]`` per
    step, or with ``return_sequences=False`` only the last step's ``(N, 2U)``.

    Memory: the gates of every step are the one ``(T, N, 4U)`` array the op keeps; its backward
    overwrites each step's gates with their gradient once it has used them, and that array is
    then the gradient of the projection. Projecting inside the op, time-major, saves the
    ``(N, T, 4U)`` projection the tape would keep and its transposed gradient: on the long LSTM
    of the benchmark (length 400, batch 64, 256 units) those were 105 MB each.
    """

    def __init__(self, activation="tanh", recurrent_activation="hard_sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.act, self.d_act = _activation(activation)
        self.gate, self.d_gate = _activation(recurrent_activation)
        # tanh cells and sigmoid or hard sigmoid gates (every Keras default): kernels.lstm_cell's steps
        self.gate_name = recurrent_activation if activation == "tanh" and recurrent_activation in kernels.GATES \
            else None

    def _cell(self, g, z, c_prev, c, c_act, h, gate, scratch):
        """:func:`kernels.lstm_cell` with this op's activations, whatever they are (``gate`` is unused)."""
        return kernels.lstm_step(g, z, c_prev, c, c_act, h, self.act, self.gate, scratch)

    def _cell_grad(self, g, c_prev, c_act, dh, dc, dc_prev, gate, factors):
        """:func:`kernels.lstm_cell_grad` with this op's activations, whatever they are (``gate`` is unused)."""
        return kernels.lstm_step_grad(g, c_prev, c_act, dh, dc, dc_prev, self.d_act, self.d_gate, factors)

    def forward(self, x, h0, c0, kernel, input_kernel=None, input_bias=None):
        # For a second backward pass, which must run the forward again (see backward).
        self.arguments = (x, h0, c0, kernel, input_kernel, input_bias) if self.recorded else None
        # (the bias is added step by step, by kernels.lstm_sequence)
        self.gates = gates = self._project(x, input_kernel, None, kernel)
        steps, n = gates.shape[:2]
        u = kernel.shape[0]
        dtype = gates.dtype
        self.kernel, self.h0, self.c0 = kernel, h0, c0
        self.cs = cs = np.empty((steps, n, u), dtype=dtype)
        self.c_act = c_act = np.empty((steps, n, u), dtype=dtype)
        self.hs = hs = np.empty((steps, n, u), dtype=dtype)
        cell = self._cell if self.gate_name is None else kernels.lstm_cell
        kernels.lstm_sequence(gates, input_bias, h0, c0, kernel, self._keep_steps(), self.recurrent_mask, cell,
                              self.gate_name, cs, c_act, hs)
        self.consumed = False
        if not self.return_sequences:
            return np.concatenate([hs[-1], cs[-1]], axis=1)  # (N, 2U): the last h then c
        out = np.empty((n, steps, 2 * u), dtype=dtype)
        out[:, :, :u] = hs.transpose(1, 0, 2)
        out[:, :, u:] = cs.transpose(1, 0, 2)
        return out

    def backward(self, grad):
        if self.consumed:  # a second backward pass: the first overwrote the gates with their gradient
            self.forward(*self.arguments)
        self.consumed = True
        dtype = np.result_type(self.gates, grad)
        if self.gates.dtype != dtype:  # the gate gradients go where the gates are: in the wider dtype
            self.gates = self.gates.astype(dtype)
        gates, cs, c_act = self.gates, self.cs, self.c_act
        steps, n, u = cs.shape
        if self.return_sequences:
            dh, dc = np.zeros((n, u), dtype=dtype), np.zeros((n, u), dtype=dtype)
        else:
            dh, dc = grad[:, :u].astype(dtype), grad[:, u:].astype(dtype)
        cell_grad = self._cell_grad if self.gate_name is None else kernels.lstm_cell_grad
        dh, dc = kernels.lstm_sequence_grad(gates, self.c0, cs, c_act, np.ascontiguousarray(self.kernel.T),
                                            grad if self.return_sequences else None, self._keep_steps(),
                                            self.recurrent_mask, cell_grad, self.gate_name, dh, dc)
        d_recurrent = self._recurrent_kernel_gradient(gates.reshape(-1, 4 * u)) if self.needs_grad[3] else None
        d_x, d_kernel, d_bias = self._input_gradients(gates, (self.needs_grad[0],) + self.needs_grad[4:6])
        return d_x, dh, dc, d_recurrent, d_kernel, d_bias


class GRUSequence(_Recurrence):
    """Inputs ``x``, ``h0 (N, U)``, ``kernel (U, 3U)``, with ``reset_after`` ``recurrent_bias (3U,)``
    (else ``None``), and, when the op projects, ``input_kernel (D, 3U)`` and ``input_bias (3U,)`` (or
    ``None``); ``x`` is then the layer's input ``(N, T, D)``, else the projected ``(N, T, 3U)``. Output
    the states ``(N, T, U)``, or with ``return_sequences=False`` the last one ``(N, U)``.

    ``reset_after=False`` (Keras 2.2's default): ``hh = act(x_h + (r * h) @ U_h)``;
    ``reset_after=True`` (CuDNN-compatible): ``hh = act(x_h + r * (h @ U_h + b_h))``.
    """

    def __init__(self, activation="tanh", recurrent_activation="hard_sigmoid", reset_after=False, **kwargs):
        super().__init__(**kwargs)
        self.act, self.d_act = _activation(activation)
        self.gate, self.d_gate = _activation(recurrent_activation)
        self.reset_after = reset_after
        # reset_after with a tanh candidate and sigmoid or hard sigmoid gates: kernels.gru_cell's steps
        self.gate_name = recurrent_activation if reset_after and activation == "tanh" \
            and recurrent_activation in kernels.GATES else None

    def _cell(self, x, inner, h_prev, g, inner_h, h, gate, scratch):
        """:func:`kernels.gru_cell` with this op's activations, whatever they are (``gate`` is unused)."""
        return kernels.gru_step(x, inner, h_prev, g, inner_h, h, self.act, self.gate, scratch)

    def forward(self, x, h0, kernel, recurrent_bias=None, input_kernel=None, input_bias=None):
        x_steps = self._project(x, input_kernel, input_bias, kernel)
        steps, n, three_units = x_steps.shape
        u = three_units // 3
        dtype = x_steps.dtype
        self.kernel, self.h0 = kernel, h0
        self.hs = hs = np.empty((steps, n, u), dtype=dtype)
        self.gates = gates = np.empty((steps, n, 3 * u), dtype=dtype)  # z, r, hh after activation
        # reset_after: the recurrent part of the candidate, h @ U_h + b_h; else r * h_in.
        self.inner = inner_all = np.empty((steps, n, u), dtype=dtype)
        if self.reset_after:
            cell = self._cell if self.gate_name is None else kernels.gru_cell
            kernels.gru_sequence(x_steps, h0, kernel, recurrent_bias, self._keep_steps(), self.recurrent_mask, cell,
                                 self.gate_name, gates, inner_all, hs)
            return self._outputs(hs)
        # Each product of a step into a whole (C-contiguous) buffer, with the kernel's column
        # blocks made contiguous once: a GEMM kernel then takes them without a copy.
        kernel_zr, kernel_h = np.ascontiguousarray(kernel[:, :2 * u]), np.ascontiguousarray(kernel[:, 2 * u:])
        pre_zr, pre_h = np.empty((n, 2 * u), dtype=dtype), np.empty((n, u), dtype=dtype)
        with step_products(n * u * 2 * u) as product_of:  # small products, one per step
            for k, t in self._steps(steps):
                h_prev = self._previous(hs, k, h0)
                h_in = self._dropped(h_prev)
                x_t = x_steps[k]
                g, h = gates[k], hs[k]
                product_of(h_in, kernel_zr, out=pre_zr)
                pre_zr += x_t[:, :2 * u]
                self.gate(pre_zr, g[:, :2 * u])
                np.multiply(g[:, u:2 * u], h_in, out=inner_all[k])
                candidate = product_of(inner_all[k], kernel_h, out=pre_h)
                candidate += x_t[:, 2 * u:]
                self.act(candidate, g[:, 2 * u:])
                kernels.gru_update(h_prev, g, h)
                keep = self._keep(t)
                if keep is not None:
                    np.copyto(h, h_prev, where=~keep)
        return self._outputs(hs)

    def backward(self, grad):
        steps, n, u = self.hs.shape
        kernel = self.kernel
        gates, hs = self.gates, self.hs
        d_pre = np.empty_like(gates)  # gradients of the pre-activations (= of x_proj)
        d_inner = np.empty((steps, n, 3 * u), dtype=grad.dtype) if self.reset_after else None
        kernel_t = np.ascontiguousarray(kernel.T)
        kernel_zr_t, kernel_h_t = kernel_t[:2 * u], kernel_t[2 * u:]
        dh = np.zeros((n, u), dtype=grad.dtype)
        with step_products(n * u * (3 if self.reset_after else 2) * u) as product_of:  # small products, one per step
            for k, t in reversed(self._steps(steps)):
                self._output_gradient(grad, k, dh)
                carry, dh = self._into_step(dh, t)
                g = gates[k]
                z, r, hh = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
                h_prev = self._previous(hs, k, self.h0)
                p = d_pre[k]
                np.subtract(h_prev, hh, out=p[:, :u])
                p[:, :u] *= dh
                np.subtract(1, z, out=p[:, 2 * u:])
                p[:, 2 * u:] *= dh
                p[:, 2 * u:] *= self.d_act(hh)  # the slopes step by step, while the gates are in cache
                dh_next = dh * z
                if self.reset_after:
                    np.multiply(p[:, 2 * u:], self.inner[k], out=p[:, u:2 * u])
                    p[:, :2 * u] *= self.d_gate(g[:, :2 * u])
                    di = d_inner[k]
                    di[:, :2 * u] = p[:, :2 * u]
                    np.multiply(p[:, 2 * u:], r, out=di[:, 2 * u:])
                    dh_in = product_of(di, kernel_t)
                else:
                    d_rh = product_of(p[:, 2 * u:], kernel_h_t)
                    np.multiply(d_rh, self._dropped(h_prev), out=p[:, u:2 * u])
                    p[:, :2 * u] *= self.d_gate(g[:, :2 * u])
                    dh_in = d_rh * r
                    dh_in += product_of(p[:, :2 * u], kernel_zr_t)
                dh = dh_next
                dh += self._dropped(dh_in)
                if carry is not None:
                    dh += carry
        d_kernel = d_bias = None
        needs_kernel, needs_bias = self.needs_grad[2], self.needs_grad[3]
        if self.reset_after and (needs_kernel or needs_bias):
            flat = d_inner.reshape(-1, 3 * u)
            if needs_kernel:
                d_kernel = self._recurrent_kernel_gradient(flat)
            if needs_bias:
                d_bias = column_sums(flat)
        elif needs_kernel:
            flat = d_pre.reshape(-1, 3 * u)
            d_kernel = np.empty_like(kernel)
            d_kernel[:, :2 * u] = self._recurrent_kernel_gradient(flat[:, :2 * u])
            d_kernel[:, 2 * u:] = matmul(self.inner.reshape(-1, u).T, flat[:, 2 * u:])
        d_x, d_input_kernel, d_input_bias = self._input_gradients(d_pre, (self.needs_grad[0],) + self.needs_grad[4:])
        return d_x, dh, d_kernel, d_bias, d_input_kernel, d_input_bias


class SimpleRNNSequence(_Recurrence):
    """Inputs ``x``, ``h0 (N, U)``, ``kernel (U, U)`` and, when the op projects, ``input_kernel (D, U)``
    and ``input_bias (U,)`` (or ``None``), as for :class:`GRUSequence`; output the states ``(N, T, U)``,
    or the last one ``(N, U)``."""

    def __init__(self, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.act, self.d_act = _activation(activation)

    def forward(self, x, h0, kernel, input_kernel=None, input_bias=None):
        x_steps = self._project(x, input_kernel, input_bias, kernel)
        steps, n, u = x_steps.shape
        self.kernel, self.h0 = kernel, h0
        self.hs = hs = np.empty((steps, n, u), dtype=x_steps.dtype)
        self.h_new = h_new = np.empty((steps, n, u), dtype=x_steps.dtype)  # before masking
        pre = np.empty((n, u), dtype=x_steps.dtype)
        with step_products(n * u * u) as product_of:  # small products, one per step
            for k, t in self._steps(steps):
                h_prev = self._previous(hs, k, h0)
                product_of(self._dropped(h_prev), kernel, out=pre)
                pre += x_steps[k]
                self.act(pre, h_new[k])
                hs[k] = h_new[k]
                keep = self._keep(t)
                if keep is not None:
                    np.copyto(hs[k], h_prev, where=~keep)
        return self._outputs(hs)

    def backward(self, grad):
        steps, n, u = self.hs.shape
        slope = self.d_act(self.h_new)
        d_pre = np.empty_like(self.h_new)
        dh = np.zeros((n, u), dtype=grad.dtype)
        kernel_t = np.ascontiguousarray(self.kernel.T)
        with step_products(n * u * u) as product_of:  # small products, one per step
            for k, t in reversed(self._steps(steps)):
                self._output_gradient(grad, k, dh)
                carry, dh = self._into_step(dh, t)
                np.multiply(dh, slope[k], out=d_pre[k])
                dh = self._dropped(product_of(d_pre[k], kernel_t))
                if carry is not None:
                    dh += carry
        d_kernel = self._recurrent_kernel_gradient(d_pre.reshape(-1, u)) if self.needs_grad[2] else None
        d_x, d_input_kernel, d_input_bias = self._input_gradients(d_pre, (self.needs_grad[0],) + self.needs_grad[3:])
        return d_x, dh, d_kernel, d_input_kernel, d_input_bias


def _constant(value):
    """A tensor or array-like as an array (the ops cast it to their dtype: see ``_Recurrence._project``)."""
    if value is None:
        return None
    return np.asarray(value.data if hasattr(value, "data") else value)


def _projection(kernel, bias, name):
    """The ``(kernel, bias)`` inputs of an op that projects its inputs (both ``None`` for one that does not)."""
    if kernel is None and bias is not None:
        raise ValueError(f"{name}: a bias without a kernel; add the bias to the projected inputs instead.")
    return (None if kernel is None else operand(kernel)), (None if bias is None else operand(bias))


def lstm_sequence(x_proj, h0, c0, recurrent_kernel, activation="tanh", recurrent_activation="hard_sigmoid",
                  mask=None, recurrent_mask=None, go_backwards=False, kernel=None, bias=None, return_sequences=True):
    """Runs an LSTM over a sequence.

    Arguments:
        x_proj: ``(batch, time, 4 * units)``, the inputs already multiplied by the kernel and
            biased (gate order ``i, f, c, o``); or, with ``kernel``, the inputs ``(batch, time, dim)``.
        h0, c0: initial states ``(batch, units)``.
        recurrent_kernel: ``(units, 4 * units)``.
        activation, recurrent_activation: names from :data:`ACTIVATIONS`.
        mask: optional ``(batch, time)`` booleans; masked steps keep the previous states.
        recurrent_mask: optional ``(batch, units)`` recurrent-dropout multiplier.
        go_backwards: process the sequence from the last step; outputs are in processing order.
        kernel, bias: ``(dim, 4 * units)`` and ``(4 * units,)``: the op projects the inputs itself
            (what an LSTM layer does: it keeps less memory than a projection before the op).
        return_sequences: ``False``: only the last step's states.

    Returns:
        ``(batch, time, 2 * units)``: the hidden state then the cell state after each step; with
        ``return_sequences=False``, ``(batch, 2 * units)`` after the last step.
    """
    x_proj = operand(x_proj)
    op = LSTMSequence(activation, recurrent_activation, mask=mask, recurrent_mask=_constant(recurrent_mask),
                      go_backwards=go_backwards, return_sequences=return_sequences)
    return op.apply(x_proj, operand(h0), operand(c0), operand(recurrent_kernel),
                    *_projection(kernel, bias, "lstm_sequence"))


def gru_sequence(x_proj, h0, recurrent_kernel, recurrent_bias=None, activation="tanh",
                 recurrent_activation="hard_sigmoid", reset_after=False, mask=None, recurrent_mask=None,
                 go_backwards=False, kernel=None, bias=None, return_sequences=True):
    """Runs a GRU over a sequence (gate order ``z, r, h``); returns the states ``(batch, time, units)``
    (``(batch, units)``, the last, with ``return_sequences=False``).

    ``recurrent_bias`` (``(3 * units,)``) is only used with ``reset_after=True``. The other
    arguments are as for :func:`lstm_sequence`.
    """
    x_proj = operand(x_proj)
    op = GRUSequence(activation, recurrent_activation, reset_after, mask=mask,
                     recurrent_mask=_constant(recurrent_mask), go_backwards=go_backwards,
                     return_sequences=return_sequences)
    return op.apply(x_proj, operand(h0), operand(recurrent_kernel),
                    None if recurrent_bias is None else operand(recurrent_bias),
                    *_projection(kernel, bias, "gru_sequence"))


def simple_rnn_sequence(x_proj, h0, recurrent_kernel, activation="tanh", mask=None, recurrent_mask=None,
                        go_backwards=False, kernel=None, bias=None, return_sequences=True):
    """Runs a fully-connected RNN over a sequence; returns the states ``(batch, time, units)`` (``(batch,
    units)``, the last, with ``return_sequences=False``). Arguments as for :func:`lstm_sequence`."""
    x_proj = operand(x_proj)
    op = SimpleRNNSequence(activation, mask=mask, recurrent_mask=_constant(recurrent_mask),
                           go_backwards=go_backwards, return_sequences=return_sequences)
    return op.apply(x_proj, operand(h0), operand(recurrent_kernel), *_projection(kernel, bias, "simple_rnn_sequence"))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None):
    """Iterates ``step_function`` over the time axis of ``inputs`` (Keras's ``K.rnn``), recorded op by op.

    Arguments:
        step_function: ``(input_t, states + constants) -> (output_t, new_states)``.
        inputs: ``(batch, time, ...)``.
        initial_states: list of ``(batch, ...)`` tensors.
        go_backwards: iterate from the last timestep; outputs are in iteration order.
        mask: optional ``(batch, time)``; at masked steps the states are carried over and the
            output is the previous first state (as Keras's rnn does).
        constants: extra tensors passed to every step.
        unroll, input_length: accepted for compatibility (the loop is always a Python loop).

    Returns:
        ``(last_output, outputs, new_states)`` with ``outputs`` ``(batch, time, ...)``.
    """
    from .elementwise import where
    from .shape import getitem, stack

    inputs = operand(inputs)
    steps = inputs.shape[1]
    if steps == 0:
        raise ValueError("rnn: the input sequence has no timesteps.")
    states = list(initial_states)
    constants = list(constants or [])
    mask = None if mask is None else np.asarray(mask.data if hasattr(mask, "data") else mask, dtype=bool)
    times = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs, previous = [], None
    for t in times:
        output, new_states = step_function(getitem(inputs, (slice(None), t)), states + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask is not None:
            keep = mask[:, t].reshape((-1,) + (1,) * (output.ndim - 1))
            # As Keras's (non-unrolled) rnn: a masked step outputs the previous first state.
            if states and tuple(states[0].shape) == tuple(output.shape):
                previous = states[0]
            elif previous is None:
                previous = np.zeros(output.shape, dtype=output.dtype)
            output = where(keep, output, previous)
            new_states = [where(mask[:, t].reshape((-1,) + (1,) * (s.ndim - 1)), s, old)
                          for s, old in zip(new_states, states)]
        outputs.append(output)
        previous, states = output, new_states
    return outputs[-1], stack(outputs, axis=1), states


__all__ = [
    "ACTIVATIONS", "GRUSequence", "LSTMSequence", "SimpleRNNSequence", "gru_sequence", "is_fusable",
    "lstm_sequence", "rnn", "simple_rnn_sequence",
]
