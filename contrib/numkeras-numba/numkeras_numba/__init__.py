"""numkeras-numba: numkeras's elementwise kernels compiled with Numba.

A hook plugin: it answers ``numkeras_kernels`` with compiled versions of the kernels
in ``numkeras.backend.kernels``: bias + ReLU and its gradient (with the bias's or
without), max pooling both ways and at inference, col2im, Adam's and Adadelta's updates, and the
3x3 convolution's forward pass (``conv3x3``, by Winograd's algorithm: see :func:`conv3x3`).
Each makes one pass over memory where NumPy makes several, split over the cores (Numba's
threads; ``NUMBA_NUM_THREADS`` sets how many). A kernel takes C-contiguous float32 or float64 arrays of at least
``SMALL_ARRAY`` elements (``SMALL_ARRAY_BESIDE_GEMM_PLUGIN`` while a plugin computes the
matrix products), and 1-D or 2-D pooling and convolution; it returns ``None`` for
anything else, which NumPy then runs. Numba compiles each kernel on its first call for a dtype (seconds:
about 11 s for mnist_cnn's, once, announced by one line on stderr) and caches the result in a user
cache directory for later processes (see ``_cache``). Numba itself is imported by the first call
that runs a loop, not by the hook: a model whose arrays all stay below the cut-off never imports
it (importing Numba takes about 0.35 s and 57 MB, which a small Dense model's first fit paid for
nothing).

Install: ``pip install 'numkeras[fast]'`` (the plugin ships inside numkeras and is silently off
until Numba is installed), or ``pip install contrib/numkeras-numba``; numkeras picks it up on the
first kernel call. ``numkeras plugins`` lists it and what is compiled."""

import contextlib
import functools
import importlib.util
import math
import os
import sys
import threading
import warnings
from fractions import Fraction

import numpy as np

from numkeras.backend import blas
from numkeras.backend import kernels as backend_kernels  # (kernels() is this plugin's table)
from numkeras.hooks import hookimpl

from . import _cache

# Numba's OpenMP threads busy-wait after each parallel loop by default, on the cores that the
# BLAS library's threads need next: a convnet step took 1.5x as long. They sleep at once
# instead, unless the user says otherwise: GNU OpenMP reads this variable once, when it is
# loaded, which Numba does when it starts its threads (see _sleeping_openmp_threads).
_SPIN_VARIABLE = "GOMP_SPINCOUNT"

# Below this many elements NumPy's passes cost microseconds, less than waking the threads
# while NumPy's OpenBLAS computes the products: its threads keep spinning on the cores after
# each product, and a loop started then waits for them.
SMALL_ARRAY = 1 << 18
# The cut-off while a GEMM plugin computes the products (measured with numkeras-mkl: oneMKL's
# threads leave the cores to ours). On the MLP's 128x512 arrays the bias + ReLU then took
# 55 µs a call instead of NumPy's 110, and the training step was 4% faster.
SMALL_ARRAY_BESIDE_GEMM_PLUGIN = 1 << 14

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT32 = np.dtype(np.float32)  # the recurrent cells' one-pass loops (see _loops._tanh32)


def _takes(*arrays):
    """Whether every array is C-contiguous, of one float dtype, and the first is not small (see above)."""
    first = arrays[0]
    small = SMALL_ARRAY if blas.get_gemm() is None else SMALL_ARRAY_BESIDE_GEMM_PLUGIN
    return (first.size >= small and first.dtype in _FLOATS
            and all(a.flags.c_contiguous for a in arrays))


# "loops": the _loops module once imported, or None where it cannot run; "importing": while a
# thread imports it (and Numba), which a fork may interrupt (see _after_fork_in_child).
_imported = {}
_import_lock = [threading.RLock()]  # a list: a forked child gets a new one


def _loops_import():
    """Whether the compiled loops can run: imports them, and Numba, on the first call that would run one.

    Where Numba fails to import (a broken install, a NumPy too new for it), warns once and
    answers ``False`` from then on: every kernel declines, and numkeras keeps its NumPy kernels.
    (The table the hook gave stays set, so an op that organises its work around a compiled
    kernel, the convolution's input gradient around col2im, still does so, with NumPy's.)
    So it answers, too, in a process forked from one whose threading layer does not survive
    a fork (see ``_forked``); where Numba cannot start its threads (``NUMBA_THREADING_LAYER``
    names a layer that does not load); and where ``NUMBA_DISABLE_JIT`` is set, without a
    warning: the loops would run as Python (a 32-sample mnist_cnn batch took 6.1 s instead of
    about 6 ms).
    """
    if _forked["off"]:
        return False
    if "loops" not in _imported:
        with _import_lock[0]:
            if "loops" not in _imported:
                _imported["importing"] = True
                try:
                    _loops_that_can_run()
                finally:
                    _imported.pop("importing", None)
    return _imported["loops"] is not None


def _loops_that_can_run():
    """Sets ``_imported["loops"]``: the imported loops, or None (the reason beside it) where they cannot run.

    The state is set before any warning: where warnings are errors, the first call raises
    and the later ones decline.
    """
    try:
        loops = _import_loops()
    except Exception as error:  # not only ImportError: a Numba at odds with NumPy may raise others
        _imported.update(loops=None, error=f"{type(error).__name__}: {error}")
        warnings.warn(f"numkeras-numba: Numba could not be imported ({error}); numkeras keeps its "
                      f"NumPy kernels. `pip install numba` to use the compiled ones.", RuntimeWarning, stacklevel=4)
        return
    off, warn = _why_loops_cannot_run()
    if off:
        _imported.update(loops=None, off=off)
    else:
        _imported["loops"] = loops
    if warn:
        warnings.warn(f"numkeras-numba: {off}", RuntimeWarning, stacklevel=4)


_spin_set = []  # [True] while _sleeping_openmp_threads has set the variable (a fork then removes it)


@contextlib.contextmanager
def _sleeping_openmp_threads():
    """``GOMP_SPINCOUNT=0`` in the environment within the block (Numba starting its threads, which
    loads GNU OpenMP), unless the user set it; afterwards the environment is as it was.

    Left set, it reached every process the user started afterwards and every library with an
    OpenMP of its own loaded later in this one (PyTorch's wheels carry one): PyTorch's forward of
    a small MLP, one sample at a time, took 416 instead of 112 µs, its threads asleep after every
    op. (A library sharing Numba's GNU OpenMP shares its setting, as before. The environment is
    the process's: a process another thread starts within the block inherits the setting; a
    process forked within it removes it, see _after_fork_in_child.)
    """
    if _SPIN_VARIABLE in os.environ:
        yield
        return
    os.environ[_SPIN_VARIABLE] = "0"
    _spin_set.append(True)
    try:
        yield
    finally:
        _spin_set.clear()
        if os.environ.get(_SPIN_VARIABLE) == "0":  # not a value someone else set meanwhile
            del os.environ[_SPIN_VARIABLE]


def _why_loops_cannot_run():
    """``(why, warn)``: why Numba, imported, cannot run the loops as compiled parallel code here
    (``""`` if it can), and whether to warn (not for a setting meant to switch compiling off)."""
    from numba import get_num_threads
    from numba.core import config

    if config.DISABLE_JIT:  # set to debug one's own Numba code
        return ("off: NUMBA_DISABLE_JIT is set, so Numba compiles nothing and the kernels' loops would run as "
                "Python, about a thousand times slower; NumPy's kernels run"), False
    try:
        with _sleeping_openmp_threads():
            get_num_threads()  # starts Numba's threads, as the first loop would
    except Exception as error:  # ValueError: the layer NUMBA_THREADING_LAYER names does not load, or is unknown
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return (f"off: Numba could not start its threads ({first_line} NUMBA_THREADING_LAYER="
                f"{config.THREADING_LAYER!r}); NumPy's kernels run"), True
    return "", False


def _import_loops():
    from . import _loops

    return _loops


def bias_relu(y, bias):
    if y.ndim != 2 or not _takes(y):
        return None
    if bias is None:
        bias = np.zeros(y.shape[1], dtype=y.dtype)
    if bias.shape != (y.shape[1],) or bias.dtype != y.dtype or not _loops_import():
        return None
    mask = np.empty(y.shape, dtype=bool)
    _run("bias_relu", y, np.ascontiguousarray(bias), mask)
    return mask


def relu_grad(g, mask):
    if g.shape != mask.shape or mask.dtype != np.bool_ or not _takes(g, mask) or not _loops_import():
        return None
    out = np.empty_like(g)
    _run("relu_grad", g.reshape(-1), mask.reshape(-1), out.reshape(-1))
    return out


def relu_grad_sums(g, mask):
    if g.ndim != 2 or g.shape != mask.shape or mask.dtype != np.bool_ or not _takes(g, mask) \
            or not _loops_import():
        return None
    out = np.empty_like(g)
    # One row of partial sums per thread's block of rows, added up at the end.
    partial = np.empty((min(_imported["loops"].get_num_threads(), g.shape[0]), g.shape[1]), dtype=g.dtype)
    _run("relu_grad_sums", g, mask, out, partial)
    return out, partial.sum(axis=0)


def adam_update(param, grad, m, v, vhat, beta_1, beta_2, lr_t, epsilon):
    # Only beside a GEMM plugin: the update follows the backward pass's last products, and
    # OpenBLAS's threads, still spinning on the cores then, held up this loop's threads (a
    # GRU model trained at 0.54-1.17x of plain numkeras with this plugin alone, median 0.79).
    # NumPy's chunked reference runs instead.
    if blas.get_gemm() is None:
        return None
    arrays = (param, grad, m, v) + ((vhat,) if vhat is not None else ())
    if any(a.shape != param.shape or a.dtype != param.dtype for a in arrays) or not param.flags.writeable \
            or not _takes(*arrays) or not _loops_import():
        return None
    scalar = param.dtype.type
    _run("adam_update", *(a.reshape(-1) for a in (param, grad, m, v, m if vhat is None else vhat)),
         vhat is not None, scalar(beta_1), scalar(beta_2), scalar(1.0 - beta_1), scalar(1.0 - beta_2), scalar(lr_t),
         scalar(epsilon))
    return param


def adadelta_update(param, grad, accumulator, delta, rho, lr, epsilon):
    # Only beside a GEMM plugin, as adam_update.
    if blas.get_gemm() is None:
        return None
    arrays = (param, grad, accumulator, delta)
    if any(a.shape != param.shape or a.dtype != param.dtype for a in arrays) or not param.flags.writeable \
            or not _takes(*arrays) or not _loops_import():
        return None
    scalar = param.dtype.type
    _run("adadelta_update", *(a.reshape(-1) for a in arrays), scalar(rho), scalar(1.0 - rho), scalar(lr),
         scalar(epsilon))
    return param


def _one_dtype_c_contiguous(dtype, arrays):
    """Whether every array has ``dtype`` and is C-contiguous (the recurrent kernels' loops index them
    as such; their shapes are checked by each kernel). A loop, not a generator: called every step."""
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True


@functools.lru_cache(maxsize=None)
def _gate_constants(dtype):
    """0.2, 0.5, 0 and 1 in ``dtype``: the recurrent loops' constants (the hard sigmoid's, the sigmoid's 0.5,
    the gradients' 1), so that float32 arithmetic stays float32."""
    scalar = dtype.type
    return scalar(0.2), scalar(0.5), scalar(0), scalar(1)


def lstm_cell(g, z, c_prev, c, c_act, h, gate, scratch):
    # float32: one compiled pass with a tanh of its own, a few ulps from NumPy's (see _loops._tanh32):
    # 10 µs for the benchmark's LSTM(128) at batch 32 (one call timed alone). float64: three compiled
    # loops around NumPy's tanh, the reference's numbers bit for bit (the float32 path before the one
    # pass: 20 µs, the reference 37). Called once a step, so the checks are kept cheap.
    if gate not in backend_kernels.GATES or c.ndim != 2 or g.dtype not in _FLOATS or not _loops_import():
        return None
    rows, units = c.shape
    if g.shape != (rows, 4 * units) or z.shape != g.shape \
            or not (c_prev.shape == c_act.shape == h.shape == scratch.shape == c.shape) \
            or not _one_dtype_c_contiguous(g.dtype, (g, z, c_prev, c, c_act, h, scratch)):
        return None
    loops, dtype, hard = _imported["loops"], g.dtype, gate == "hard_sigmoid"
    if dtype == _FLOAT32:  # (not `is`: an unpickled array's float32 dtype is another object)
        _cache.run(loops.lstm_cell_float32, "lstm_cell_float32", dtype, g, z, c_prev, c, c_act, h, hard,
                   _gate_constants(dtype))
        return h
    scale, shift = backend_kernels.lstm_tanh_constants(units, dtype)
    # serial loops: no threading layer to guard (see _run)
    _cache.run(loops.lstm_cell_inputs, "lstm_cell_inputs", dtype, g, z, scale, hard)
    if hard:
        np.tanh(g[:, 2 * units:3 * units], out=scratch)
    else:
        np.tanh(g, out=g)
    _cache.run(loops.lstm_cell_state, "lstm_cell_state", dtype, g, scale, shift, scratch, c_prev, c, hard,
               _gate_constants(dtype))
    np.tanh(c, out=c_act)
    _cache.run(loops.lstm_cell_output, "lstm_cell_output", dtype, g, c_act, h)
    return h


_NO_MASK = np.zeros((0, 0), dtype=bool)
_NO_BIAS = np.zeros(0, dtype=np.float32)
_NO_STEPS = np.zeros(0, dtype=bool)


def lstm_sequence(gates, bias, h0, c0, kernel, keep, recurrent_mask, cell, gate, cs, c_act, hs):
    # float32 with this plugin's lstm_cell steps: the whole loop in one compiled call, which calls BLAS
    # for each step's product (the routine numkeras's own product calls: blas.step_gemm; or, from
    # PACK_FROM_STEPS steps, oneMKL's packed one, whose sums are oneMKL's to round). LSTM(128) at
    # batch 32, the benchmark's: 35 µs a step, against 45 for the Python loop around the same product
    # and cell. Not one row: NumPy and numkeras-mkl multiply a row by a matrix with gemv, whose sums
    # may be rounded otherwise than gemm's; nor one unit, whose product (an inner dimension of 1)
    # NumPy's path computes as a broadcast multiply, its zeros' signs not always gemm's.
    if not _takes_loop("lstm_cell", cell, lstm_cell, recurrent_mask, gate, hs, gates, (_FLOAT32,)):
        return None
    steps, rows, units = hs.shape
    width = 4 * units
    if (rows < 2 or units < 2 or gates.shape != (steps, rows, width) or kernel.shape != (units, width)
            or not (h0.shape == c0.shape == (rows, units)) or not (cs.shape == c_act.shape == hs.shape)
            or not _one_dtype_c_contiguous(_FLOAT32, (gates, h0, c0, kernel, cs, c_act, hs))
            or not (_takes_bias(bias, width) and _takes_keep(keep, steps, rows))):
        return None
    z = np.empty((rows, width), dtype=_FLOAT32)
    arguments = (gates, *_bias_arguments(bias), h0, c0, *_keep_arguments(keep), cs, c_act, hs, z,
                 gate == "hard_sigmoid", _gate_constants(_FLOAT32))
    return _run_forward("lstm_sequence_float32", kernel, steps, rows, arguments, hs)


def lstm_sequence_grad(gates, c0, cs, c_act, kernel_t, grad, keep, recurrent_mask, cell_grad, gate, dh, dc):
    # float32 or float64 with this plugin's lstm_cell_grad steps (the reference's numbers in either dtype):
    # the whole loop in one compiled call, as lstm_sequence. Not one row nor one unit: the step's product
    # would then be a gemv in NumPy and numkeras-mkl (see lstm_sequence).
    if not _takes_loop("lstm_cell_grad", cell_grad, lstm_cell_grad, recurrent_mask, gate, cs, gates, _FLOATS):
        return None
    steps, rows, units = cs.shape
    dtype = gates.dtype
    if (rows < 2 or units < 2 or gates.shape != (steps, rows, 4 * units) or c_act.shape != cs.shape
            or kernel_t.shape != (4 * units, units) or not (c0.shape == dh.shape == dc.shape == (rows, units))
            or (grad is not None and grad.shape != (rows, steps, 2 * units))
            or not _one_dtype_c_contiguous(dtype, (gates, c0, cs, c_act, kernel_t, dh, dc)
                                           + (() if grad is None else (grad,)))
            or not _takes_keep(keep, steps, rows)):
        return None
    if grad is None:
        grad, with_grad_h, with_grad_c = np.zeros((0, 0, 0), dtype), _NO_STEPS, _NO_STEPS
    else:
        with_grad_h, with_grad_c = np.any(grad[:, :, :units], axis=(0, 2)), np.any(grad[:, :, units:], axis=(0, 2))
    carry_h, carry_c, dc_prev = (np.empty((rows, units), dtype) for _ in range(3))
    arguments = (gates, c0, cs, c_act, kernel_t, grad, grad.size > 0, with_grad_h, with_grad_c,
                 *_keep_arguments(keep), dh, dc, dc_prev, carry_h, carry_c, gate == "hard_sigmoid",
                 _gate_constants(dtype))
    dc_first = _run_sequence("lstm_sequence_grad_loop", (rows, units, 4 * units, 4 * units, units, units),
                             arguments, rows * units * 4 * units, dtype)
    return None if dc_first is _NO_ROUTINE else (dh, dc_first)


def gru_sequence(x_steps, h0, kernel, recurrent_bias, keep, recurrent_mask, cell, gate, gates, inner, hs):
    # As lstm_sequence: float32 with this plugin's gru_cell steps, the whole loop compiled (not one row nor
    # one unit).
    if not _takes_loop("gru_cell", cell, gru_cell, recurrent_mask, gate, hs, x_steps, (_FLOAT32,)):
        return None
    steps, rows, units = hs.shape
    width = 3 * units
    if (rows < 2 or units < 2 or x_steps.shape != (steps, rows, width) or kernel.shape != (units, width)
            or h0.shape != (rows, units) or gates.shape != x_steps.shape or inner.shape != hs.shape
            or not _one_dtype_c_contiguous(_FLOAT32, (x_steps, h0, kernel, gates, inner, hs))
            or not (_takes_bias(recurrent_bias, width) and _takes_keep(keep, steps, rows))):
        return None
    product = np.empty((rows, width), dtype=_FLOAT32)
    arguments = (x_steps, h0, *_bias_arguments(recurrent_bias), *_keep_arguments(keep), gates, inner, hs,
                 product, gate == "hard_sigmoid", _gate_constants(_FLOAT32))
    return _run_forward("gru_sequence_float32", kernel, steps, rows, arguments, hs)


def _takes_loop(name, step, own, recurrent_mask, gate, states, inputs, dtypes):
    """Whether a compiled time loop may take a call, before its shapes are checked: the op's steps are
    kernel ``name``'s (``step``) with this plugin's own (``own``) the active one, no recurrent dropout,
    gates the loops compute, 3-D ``states`` and ``inputs`` of one of ``dtypes``, and Numba importable."""
    return (step is getattr(backend_kernels, name) and backend_kernels.get_kernels().get(name) is own
            and recurrent_mask is None and gate in backend_kernels.GATES and states.ndim == 3
            and inputs.dtype in dtypes and _loops_import())


def _takes_bias(bias, width):
    """Whether a compiled time loop takes this bias: ``None`` or C-contiguous float32 ``(width,)``."""
    return bias is None or (bias.shape == (width,) and _one_dtype_c_contiguous(_FLOAT32, (bias,)))


def _takes_keep(keep, steps, rows):
    """Whether a compiled time loop takes this mask: ``None`` or C-contiguous booleans ``(steps, rows)``."""
    return keep is None or (keep.shape == (steps, rows) and keep.dtype == bool and keep.flags.c_contiguous)


def _bias_arguments(bias):
    """``(bias, biased)`` as the compiled loops take them (Numba compiles one type: an empty array for none)."""
    return (_NO_BIAS, False) if bias is None else (bias, True)


def _keep_arguments(keep):
    """``(keep, masked)`` as the compiled loops take them."""
    return (_NO_MASK, False) if keep is None else (keep, True)


_NO_ROUTINE = object()  # what _run_sequence answers where no BLAS routine is known


# A forward time loop of at least this many steps takes its kernel packed, where oneMKL takes its products
# (see _run_sequence): packing LSTM(128)'s kernel took 35-40 µs with the allocation of oneMKL's 9 MB buffer,
# and saved about 4 µs a step.
PACK_FROM_STEPS = 16


def _run_forward(name, kernel, steps, rows, arguments, hs):
    """Runs forward loop ``name``, whose step multiplies ``rows`` states by ``kernel`` (packed from
    ``PACK_FROM_STEPS`` steps on: see ``_run_sequence``); ``hs``, or ``None`` where no routine is known."""
    units, width = kernel.shape
    ran = _run_sequence(name, (rows, width, units, units, width, width), arguments, rows * units * width,
                        kernel=kernel, pack=steps >= PACK_FROM_STEPS)
    return None if ran is _NO_ROUTINE else hs


def _run_sequence(name, dims, arguments, largest, dtype=_FLOAT32, kernel=None, pack=False):
    """Runs loop ``name``, a whole time loop that multiplies by BLAS: its arguments ``gemm, dims`` (the
    routine's address; the product's m, n, k and leading dimensions), then ``arguments``; returns what
    the loop returns, or ``_NO_ROUTINE`` where no BLAS routine is known for the product (nothing has
    run; the reference's loop runs instead).

    A loop that multiplies by one ``kernel`` at every step takes ``gemm, packed, dims, kernel's address``
    before ``arguments``. With ``pack``, where the block's products have a packed routine (oneMKL's:
    ``blas.step_packed_gemm``), the kernel is packed once for the whole loop, ``packed`` is True and
    the address is the packed buffer's. LSTM(128) at batch 32, the benchmark's: its 32x128 by 128x512
    step product took 19 µs packed against 24 (on two threads; 28 against 31 on one), and a step of
    the loop in the model's predict 40 µs against 44. (The backward loop's 32x512 by 512x128 product
    gained 1 µs of 26: not packed.)

    Splitting the rows between the cores, each thread running the loop on its half with its product on
    one thread, made the loop alone faster (LSTM(128) at batch 32: 31-35 against 35-43 µs a step) but
    the model's predict slower and erratic (4.5-6.0 against 5.4-5.5 ms a batch): oneMKL's threads,
    spinning after the input projection's product, held the second core.
    """
    with blas.step_products(largest):  # the block's threading: what the reference's products get
        packing = blas.step_packed_gemm(largest, dtype) if pack else None
        packed = None if packing is None else packing[2](kernel, dims[0])  # held until the loop returns
        if packed is not None:
            address, index_bytes = packing[:2]
        else:
            gemm = blas.step_gemm(largest, dtype)
            if gemm is None:
                return _NO_ROUTINE
            address, index_bytes = gemm
        index = np.int32 if index_bytes == 4 else np.int64
        dims = tuple(index(d) for d in dims)
        loop = getattr(_imported["loops"], name)
        if kernel is None:
            return _cache.run(loop, name, dtype, address, dims, *arguments)
        operand = kernel if packed is None else packed
        return _cache.run(loop, name, dtype, address, packed is not None, dims, operand.ctypes.data, *arguments)


def lstm_cell_grad(g, c_prev, c_act, dh, dc, dc_prev, gate, factors):
    # One compiled pass instead of a dozen NumPy ones, the same numbers as the reference: about 17 µs
    # instead of 56 for the benchmark's LSTM(128) at batch 32 (one call timed alone).
    if gate not in backend_kernels.GATES or dh.ndim != 2 or g.dtype not in _FLOATS or not _loops_import():
        return None
    rows, units = dh.shape
    if g.shape != (rows, 4 * units) or not (c_prev.shape == c_act.shape == dc.shape == dc_prev.shape == dh.shape) \
            or not _one_dtype_c_contiguous(g.dtype, (g, c_prev, c_act, dh, dc, dc_prev)):
        return None
    _cache.run(_imported["loops"].lstm_cell_grad, "lstm_cell_grad", g.dtype, g, c_prev, c_act, dh, dc, dc_prev,
               gate == "hard_sigmoid", _gate_constants(g.dtype))
    return dc_prev


def gru_cell(x, inner, h_prev, g, inner_h, h, gate, scratch):
    # As lstm_cell: float32 in one pass with _loops._tanh32, float64 in three compiled loops around
    # NumPy's tanh (the reference's numbers bit for bit).
    if gate not in backend_kernels.GATES or h.ndim != 2 or g.dtype not in _FLOATS or not _loops_import():
        return None
    rows, units = h.shape
    if g.shape != (rows, 3 * units) or not (x.shape == inner.shape == g.shape) \
            or not (h_prev.shape == inner_h.shape == h.shape) \
            or not _one_dtype_c_contiguous(g.dtype, (g, x, inner, h_prev, inner_h, h)):
        return None
    loops, dtype, hard = _imported["loops"], g.dtype, gate == "hard_sigmoid"
    constants = _gate_constants(dtype)
    if dtype == _FLOAT32:  # (not `is`: an unpickled array's float32 dtype is another object)
        _cache.run(loops.gru_cell_float32, "gru_cell_float32", dtype, x, inner, h_prev, g, inner_h, h, hard, constants)
        return h
    _cache.run(loops.gru_cell_gates, "gru_cell_gates", dtype, x, inner, g, hard, constants)
    if not hard:
        np.tanh(g[:, :2 * units], out=g[:, :2 * units])
    _cache.run(loops.gru_cell_candidate, "gru_cell_candidate", dtype, x, inner, g, inner_h, hard, constants)
    np.tanh(g[:, 2 * units:], out=g[:, 2 * units:])
    _cache.run(loops.gru_cell_output, "gru_cell_output", dtype, h_prev, g, h)
    return h


def _as_2d(x, size=None, strides=None):
    """A 1-D pooling or convolution as 2-D with a height of 1."""
    if x.ndim == 3:
        return x[:, None], (1,) + tuple(size or ()), (1,) + tuple(strides or ())
    return x, tuple(size or ()), tuple(strides or ())


def _pooled(x, pool_size, strides):
    """``x``, the pool size and the strides as 2-D (see :func:`_as_2d`), and an empty array of the window maxima."""
    x2, pool_size, strides = _as_2d(x, pool_size, strides)
    out = backend_kernels.pool_output(x2.shape[1:3], pool_size, strides)
    return x2, pool_size, strides, np.empty((x2.shape[0],) + out + (x2.shape[-1],), dtype=x.dtype)


def max_pool(x, pool_size, strides):
    if x.ndim not in (3, 4) or not _takes(x) or not _loops_import():
        return None
    x2, pool_size, strides, best = _pooled(x, pool_size, strides)
    winner = np.empty(best.shape, dtype=np.min_scalar_type(pool_size[0] * pool_size[1] - 1))
    _run("max_pool_2d", x2, *pool_size, *strides, best, winner)
    if x.ndim == 3:
        return best[:, 0], winner[:, 0]
    return best, winner


def window_max(x, pool_size, strides):
    # Inference pooling: 2.4 against NumPy's 4.3 ms a batch on mnist_cnn's (both threads, one pass).
    if x.ndim not in (3, 4) or not _takes(x) or not _loops_import():
        return None
    x2, pool_size, strides, best = _pooled(x, pool_size, strides)
    _run("window_max_2d", x2, *pool_size, *strides, best)
    return best[:, 0] if x.ndim == 3 else best


def max_pool_grad(g, winner, pool_size, strides, shape):
    if g.ndim not in (3, 4) or len(shape) != g.ndim or not _takes(g, winner) or not _loops_import():
        return None
    g2, pool_size, strides = _as_2d(g, pool_size, strides)
    winner2 = winner[:, None] if winner.ndim == 3 else winner
    shape2 = (shape[0], 1) + tuple(shape[1:]) if len(shape) == 3 else tuple(shape)
    if backend_kernels.pool_windows_apart(pool_size, strides):
        # Windows apart: each element is written once, and only those outside every window cleared.
        grad = (np.empty if backend_kernels.pool_windows_tile(shape2[1:3], g2.shape[1:3], pool_size, strides)
                else np.zeros)(shape2, dtype=g.dtype)
        _run("max_pool_grad_disjoint_2d", g2, winner2, *pool_size, *strides, grad)
    else:
        grad = np.empty(shape2, dtype=g.dtype)
        _run("max_pool_grad_2d", g2, winner2, pool_size[1], *strides, grad)
    return grad[:, 0] if len(shape) == 3 else grad


def col2im(cols, image, strides, dilation):
    # No im2col: a copy, which NumPy does in one pass already. Numba's loop took twice
    # NumPy's time on mnist_cnn's patches (9.5 against 4.8 ms a batch): its threads started
    # while OpenBLAS's still spun on the cores after the product before.
    rank = image.ndim - 2
    if rank not in (1, 2) or cols.ndim != 2 * rank + 2 or cols.dtype != image.dtype or not _takes(cols, image) \
            or not _loops_import():
        return None
    target = image
    if rank == 1:  # as 2-D, with a height of 1
        target, cols = image[:, None], cols[:, None, :, None]
        strides, dilation = (1,) + tuple(strides), (1,) + tuple(dilation)
    _run("col2im_2d", target, cols, *strides, *dilation)
    return image


# -- Winograd's F(4x4, 3x3) for the forward pass ----------------------------------------------
WINOGRAD_VARIABLE = "NUMKERAS_WINOGRAD"  # 0 / off: 3x3 convolutions take numkeras's im2col product
WINOGRAD_MIN_CHANNELS = 8  # below this the products are too thin to gain (mnist_cnn's first convolution has 1)
# A chunk's transformed tiles and their products: 8 MiB, which stay in the 32 MiB L3 cache between
# the passes. On mnist_cnn's second convolution (in one process, sizes alternating, 25 rounds),
# 6-8 MiB took 17.3-17.4 ms a batch at the median, 4 MiB 18.8, 16 MiB 20.7, 2 MiB 25.7.
_WINOGRAD_BYTES = 1 << 23
# The least share of the computed 4x4 blocks' outputs that are real ones. A 6x6 map computes 8x8
# (56%) and ran at 0.87x the direct product's speed; 10x10 computes 12x12 (69%) and ran 1.39x faster.
WINOGRAD_MIN_FILL = 0.65
# The interpolation points of the transforms. Lavin and Gray's 0, ±1, ±2 have integer matrices;
# these (after Barabasz et al., "Error analysis and improving the accuracy of Winograd convolution")
# gave float32 errors 1.7x smaller, measured on 6x6x32 ReLU tiles against float64.
WINOGRAD_POINTS = (0, -1, 1, Fraction(1, 2), -2)


def winograd_matrices(points=WINOGRAD_POINTS, outputs=4, taps=3):
    """``(A^T, G, B^T)`` of Winograd's F(outputs, taps) from its finite interpolation points (Toom-Cook).

    A 1-D correlation ``y[i] = sum_k g[k] d[i + k]`` is then ``A^T ((G g) * (B^T d))``; in 2-D,
    ``Y = A^T ((G g G^T) * (B^T d B)) A``. Exact fractions, returned as float64 arrays.
    """
    p = [Fraction(x) for x in points]
    n = outputs + taps - 1
    if len(p) != n - 1 or len(set(p)) != len(p):
        raise ValueError(f"F({outputs}, {taps}) needs {n - 1} distinct finite points, got {points}.")

    def times(a, b):  # product of two polynomials, coefficients from the constant term up
        out = [Fraction(0)] * (len(a) + len(b) - 1)
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                out[i + j] += x * y
        return out

    def product_of_factors(skip=None):  # prod over l != skip of (x - p[l])
        poly = [Fraction(1)]
        for index, point in enumerate(p):
            if index != skip:
                poly = times(poly, [-point, Fraction(1)])
        return poly

    at = [[point ** i for point in p] + [Fraction(int(i == outputs - 1))] for i in range(outputs)]
    scale = [math.prod(p[j] - p[l] for l in range(len(p)) if l != j) for j in range(len(p))]
    g = [[point ** k / s for k in range(taps)] for point, s in zip(p, scale)]
    g.append([Fraction(int(k == taps - 1)) for k in range(taps)])
    bt = [product_of_factors(skip=j) + [Fraction(0)] for j in range(len(p))] + [product_of_factors()]
    return tuple(np.array([[float(v) for v in row] for row in m]) for m in (at, g, bt))


_G = winograd_matrices()[1]  # the kernel's transform (the tiles' are written out in _loops)


def winograd_on():
    """Whether 3x3 convolutions may use Winograd's algorithm (``NUMKERAS_WINOGRAD``, on by default)."""
    return os.environ.get(WINOGRAD_VARIABLE, "").strip().lower() not in ("0", "off", "false", "no")


def conv3x3(x, pads, kernel, bias, relu):
    """The 3x3 convolution of ``numkeras.backend.kernels.conv3x3`` by Winograd's F(4x4, 3x3).

    Each 4x4 block of outputs comes from one 6x6 tile of the input: the tiles and the kernel
    are transformed (``B^T d B``, ``G g G^T``), multiplied as 36 products of
    ``(tiles, C) x (C, F)``, and transformed back (``A^T M A``), with the bias and the ReLU in
    that last pass. 36 multiplications per output block and channel pair instead of 144. The
    products run a chunk of samples at a time through numkeras's GEMM (NumPy's BLAS or a
    plugin's); the transforms are compiled loops. Results differ from the direct product by
    float32 rounding: on mnist_cnn's second convolution the largest error against float64 was
    about 3.5x the direct product's (1.2e-5 against 3.4e-6, outputs up to 6.2). Declines
    non-finite inputs or kernels, and a chunk whose transforms overflow: the op then computes
    the direct product, IEEE's answer for those (for the whole batch: the chunks already
    computed are dropped).
    """
    if (x.ndim != 4 or kernel.shape[:2] != (3, 3) or kernel.ndim != 4 or kernel.shape[2] != x.shape[3]
            or x.shape[3] < WINOGRAD_MIN_CHANNELS or kernel.dtype != x.dtype or not _takes(x) or not winograd_on()):
        return None
    (top, bottom), (left, right) = pads
    out_h, out_w = x.shape[1] + top + bottom - 2, x.shape[2] + left + right - 2
    tiles_h, tiles_w = -(-out_h // 4), -(-out_w // 4)
    if min(out_h, out_w) < 1 or out_h * out_w < WINOGRAD_MIN_FILL * 16 * tiles_h * tiles_w:
        return None
    filters = kernel.shape[3]
    if bias is None:
        bias = np.zeros(filters, dtype=x.dtype)
    if bias.shape != (filters,) or bias.dtype != x.dtype or not np.isfinite(kernel).all() or not _loops_import():
        return None
    samples, channels = x.shape[0], x.shape[3]
    # One copy for the padding and for whole tiles (partial ones read zeros beyond the image).
    extra_h, extra_w = 4 * tiles_h - out_h, 4 * tiles_w - out_w
    if top or bottom or left or right or extra_h or extra_w:
        x = np.pad(x, ((0, 0), (top, bottom + extra_h), (left, right + extra_w), (0, 0)))
    dtype = x.dtype
    u = np.tensordot(np.tensordot(_G, kernel.astype(np.float64), axes=(1, 0)), _G, axes=(1, 1))  # (6, C, F, 6)
    u = np.ascontiguousarray(u.transpose(0, 3, 1, 2).reshape(36, channels, filters), dtype=dtype)
    bias, constants = np.ascontiguousarray(bias), np.array(_imported["loops"].WINOGRAD_CONSTANTS, dtype)
    per_sample = tiles_h * tiles_w
    chunk = max(1, _WINOGRAD_BYTES // (36 * per_sample * (channels + filters) * dtype.itemsize))
    tiles_in, products = np.empty(36 * min(chunk, samples) * per_sample * channels, dtype), \
        np.empty(36 * min(chunk, samples) * per_sample * filters, dtype)
    y = np.empty((samples, 4 * tiles_h, 4 * tiles_w, filters), dtype)
    for start in range(0, samples, chunk):
        stop = min(start + chunk, samples)
        tiles = (stop - start) * per_sample
        v = tiles_in[:36 * tiles * channels].reshape(tiles, 36, channels)
        m = products[:36 * tiles * filters].reshape(36, tiles, filters)
        if _run("winograd_input", x[start:stop], v, tiles_w, constants):
            return None  # an infinity or a NaN: the direct product keeps IEEE's answer for it
        blas.batched_matmul(v.transpose(1, 0, 2), u, m)  # the 36 products (tiles, C) x (C, F)
        if _run("winograd_output", m, bias, relu, y[start:stop], tiles_w, constants):
            return None  # an overflow (inputs near the dtype's largest): the direct product may not
    if y.shape[1:3] != (out_h, out_w):
        y = np.ascontiguousarray(y[:, :out_h, :out_w])
    return y


def _run(name, first, *rest):
    """Calls loop ``name`` of ``_loops`` (after :func:`_loops_import` said it can); one at a time on workqueue."""
    loop = getattr(_imported["loops"], name)
    if _threading_layer() not in _THREAD_SAFE:
        with _loop_lock[0]:
            return _cache.run(loop, name, first.dtype, first, *rest)
    return _cache.run(loop, name, first.dtype, first, *rest)


# -- threads and processes --------------------------------------------------------------------------
# Not every Numba threading layer survives what numkeras's users do (Numba's documentation, "The
# Threading Layers"). Its workqueue layer, which Numba falls back on where neither TBB nor OpenMP
# loads (macOS without libomp, a container without libgomp, or NUMBA_THREADING_LAYER=workqueue),
# aborts the whole process when two threads are in its parallel loops at once: two threads
# predicting with a convnet did. There the loops run one at a time, under this lock (each is
# parallel over every core already); OpenMP and TBB are thread-safe and run them at once. (A
# user's own parallel Numba code in another thread can still meet ours on workqueue.) An RLock:
# a signal handler that predicts, in a thread inside _cache.run's Python code, must not wait for
# itself.
_loop_lock = [threading.RLock()]
_THREAD_SAFE = ("omp", "tbb")
# GNU OpenMP's threads do not survive a fork: a process forked from one whose OpenMP threads had
# started (a parallel function ran, or Numba's thread count was read) is terminated by its first
# parallel loop, as a worker of a multiprocessing pool was after the parent predicted. Such a
# child leaves the kernels to NumPy. "off": why the loops are off in this process ("": they may
# run), decided at the fork from the parent's state. Not covered: a parent that started Numba's
# threads with its own code and forked before this plugin was loaded (docs/architecture.md).
_forked = {"off": ""}


def _threading_layer():
    """The layer of the Numba threads this process has (or inherited); None while none started.

    Reads Numba's module state without importing anything: it runs at a fork, too.
    """
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    return getattr(parallel, "_threading_layer", None)


def _openmp_vendor():
    return getattr(sys.modules.get("numba.np.ufunc.omppool"), "openmp_vendor", None)


def _numba_half_imported():
    """Whether a module of Numba's was being imported (by any thread) when this process was forked."""
    return any(getattr(getattr(module, "__spec__", None), "_initializing", False)
               for name, module in list(sys.modules.items()) if name == "numba" or name.startswith("numba."))


def _numba_compiling():
    """Whether Numba's compiler lock is held (by a thread that, after a fork, does not exist here)."""
    compiler_lock = getattr(sys.modules.get("numba.core.compiler_lock"), "global_compiler_lock", None)
    lock = getattr(compiler_lock, "_lock", None)
    if lock is None:  # not imported, or a Numba whose internals differ
        return False
    if not lock.acquire(blocking=False):
        return True
    lock.release()
    return False


def fork_safe(layer, vendor=None):
    """Whether a forked child may run the loops after Numba's threading layer ``layer`` started in its parent.

    After Numba's documentation: TBB and workqueue are fork-safe; OpenMP is, except GNU's
    (Linux's). An OpenMP whose vendor is unknown counts as GNU's.
    """
    if layer == "omp":
        return vendor == "Intel"
    return layer in ("tbb", "workqueue")


def _after_fork_in_child():
    # The locks: another thread may have held one at the fork, and it does not exist here.
    _cache.new_lock()
    _import_lock[0], _loop_lock[0] = threading.RLock(), threading.RLock()
    if _spin_set and os.environ.get(_SPIN_VARIABLE) == "0":  # forked while another thread started Numba's
        _spin_set.clear()
        del os.environ[_SPIN_VARIABLE]
    layer = _threading_layer()
    vendor = _openmp_vendor() if layer == "omp" else None
    if _imported.pop("importing", None) or _numba_half_imported():
        # Another thread was importing Numba: its modules may be half-initialised here, and an
        # import of them could wait for that thread forever. (Waiting for the import at the fork
        # instead lets modules imported meanwhile register fork handlers whose first half never
        # ran: logging's then fails to release its lock.)
        _forked["off"] = ("off in this process: it was forked while another thread was importing Numba; "
                          "NumPy's kernels run")
    elif _numba_compiling():
        _forked["off"] = ("off in this process: it was forked while another thread held Numba's compiler lock "
                          "(compiling or loading a function), which no thread here will release; NumPy's kernels run")
    elif layer is not None and not fork_safe(layer, vendor):
        _forked["off"] = (
            f"off in this process: it was forked from one whose Numba threads had started (threading layer "
            f"{layer}{f', {vendor}' if vendor else ''}), which do not survive a fork; NumPy's kernels run. To run "
            "the compiled ones in worker processes, start them with the 'spawn' or 'forkserver' method")
    # else: what the parent decided stands (a child of a child of a forked GNU OpenMP process too)


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


# The loops each kernel runs (for ``status``).
LOOPS = {"bias_relu": ("bias_relu",), "relu_grad": ("relu_grad",), "relu_grad_sums": ("relu_grad_sums",),
         "max_pool": ("max_pool_2d",), "max_pool_grad": ("max_pool_grad_2d", "max_pool_grad_disjoint_2d"),
         "window_max": ("window_max_2d",), "col2im": ("col2im_2d",),
         "adam_update": ("adam_update",), "adadelta_update": ("adadelta_update",),
         "conv3x3": ("winograd_input", "winograd_output"),
         "lstm_cell": ("lstm_cell_float32", "lstm_cell_inputs", "lstm_cell_state", "lstm_cell_output"),
         "lstm_cell_grad": ("lstm_cell_grad",), "lstm_sequence": ("lstm_sequence_float32",),
         "lstm_sequence_grad": ("lstm_sequence_grad_loop",),
         "gru_cell": ("gru_cell_float32", "gru_cell_gates", "gru_cell_candidate", "gru_cell_output"),
         "gru_sequence": ("gru_sequence_float32",)}


def available():
    """Whether Numba is installed (the plugin is silently off without it)."""
    return importlib.util.find_spec("numba") is not None


def status():
    """``{"active": bool, "detail": str, "kernels": {name: state}}`` for ``numkeras plugins``."""
    if not available():
        return {"active": False, "detail": "off: Numba is not installed (pip install 'numkeras[fast]')",
                "kernels": {}}
    with warnings.catch_warnings():  # a Numba that fails to import is said below, not warned about
        warnings.simplefilter("ignore", RuntimeWarning)
        _loops_import()  # (imports Numba: a process that asks for the status wants to know it works)
    if "error" in _imported:
        return {"active": False, "detail": f"off: Numba failed to import ({_imported['error']})", "kernels": {}}
    if _forked["off"] or "off" in _imported:
        return {"active": False, "detail": _forked["off"] or _imported["off"], "kernels": {}}
    return {"active": True, "detail": f"Numba kernels, cached in {_cache.cache_dir()}",
            "kernels": {name: _loop_states(loops) for name, loops in LOOPS.items()}}


def _loop_states(loops):
    """What ``status`` says of a kernel's loops: the state of its one loop, or each loop's, by name."""
    if len(loops) == 1:
        return _cache.state(loops[0])
    return "; ".join(f"{loop}: {_cache.state(loop)}" for loop in loops)


def kernels():
    """The compiled kernels, by name (what ``numkeras_kernels`` answers)."""
    return {"bias_relu": bias_relu, "relu_grad": relu_grad, "relu_grad_sums": relu_grad_sums, "max_pool": max_pool,
            "max_pool_grad": max_pool_grad, "window_max": window_max, "col2im": col2im, "adam_update": adam_update,
            "adadelta_update": adadelta_update, "conv3x3": conv3x3, "lstm_cell": lstm_cell,
            "lstm_cell_grad": lstm_cell_grad, "lstm_sequence": lstm_sequence,
            "lstm_sequence_grad": lstm_sequence_grad, "gru_cell": gru_cell,
            "gru_sequence": gru_sequence}


@hookimpl
def numkeras_kernels():
    if not available():  # installed without the `fast` extra: silently off
        return None
    return kernels()  # Numba is imported by the first kernel call that runs a loop (_loops_import)
