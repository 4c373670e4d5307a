"""The matrix products on the hot path, through a replaceable GEMM kernel.

Dense, convolution and recurrent ops compute their 2-D products with :func:`matmul`.
By default that is ``numpy.matmul`` (the BLAS NumPy ships, OpenBLAS in the PyPI
wheels), except an outer product (an inner dimension of 1), which is a broadcast
multiply. A hook plugin may supply a faster kernel by implementing ``numkeras_gemm()``
(see ``numkeras.hooks.hookspecs``); ``contrib/numkeras-mkl`` does so with Intel oneMKL.
The kernel is looked up once, on the first product.

A kernel is a callable ``gemm(a, b, out)`` for 2-D ``a`` ``(m, k)`` and ``b`` ``(k, n)`` of
the same float dtype (either may be a view: a transpose, or rows of a wider array, whose
leading dimension is then larger than their width), with ``out`` a C-contiguous ``(m, n)``
array of that dtype (or ``None``: allocate one). It returns the product, or ``None`` for
operands it does not handle, and NumPy computes those. A kernel may also carry a
``batched(a, b, out)`` attribute for :func:`batched_matmul`: the same contract on 3-D
operands, a batch of products in one call.
"""

import contextlib
import ctypes
import functools
import glob
import os
import threading
import warnings

import numpy as np

_kernel = []
_lock = threading.Lock()


def set_gemm(kernel):
    """Uses ``kernel`` for every product from now on; ``None`` goes back to ``numpy.matmul``.

    Returns the kernel that was in use (``None`` for NumPy's), so a caller can restore it.
    """
    with _lock:
        previous = _kernel[0] if _kernel else None
        _kernel[:] = [kernel]
    return previous


def get_gemm():
    """The kernel in use: the one set with :func:`set_gemm`, else a hook plugin's, else ``None`` (NumPy)."""
    if not _kernel:
        with _lock:
            if not _kernel:
                from ..hooks import plugin_manager

                _kernel.append(plugin_manager().hook.numkeras_gemm())
    return _kernel[0]


def matmul(a, b, out=None):
    """``a @ b`` for 2-D float arrays, written into ``out`` when given (any layout; returns ``out``).

    A kernel only ever sees a C-contiguous ``out``: for any other (a column block of a wider
    array, say) it computes into a new array, copied into ``out``. Declining those instead
    would send some of a model's products to NumPy's BLAS and the rest to the kernel's, and
    two BLAS libraries alternating on the same cores wait for each other's spinning threads:
    a GRU, whose forward wrote into column blocks, trained 3.5x slower with numkeras-mkl.
    """
    kernel = _kernel[0] if _kernel else get_gemm()
    if kernel is not None and a.dtype == b.dtype and a.dtype.kind == "f" and a.ndim == b.ndim == 2:
        if out is None or out.flags.c_contiguous:
            result = kernel(a, b, out)
        else:
            result = kernel(a, b, None)
            if result is not None and result.shape == out.shape:
                np.copyto(out, result)
                return out
        if result is not None:
            return result
    return numpy_matmul(a, b, out)


def numpy_matmul(a, b, out=None):
    """What :func:`matmul` computes where no kernel does: ``numpy.matmul``, or a broadcast multiply for an outer product."""
    if a.ndim == b.ndim == 2 and a.shape[1] == b.shape[0] == 1 and a.dtype.kind == b.dtype.kind == "f":
        # An inner dimension of 1 (a batch of one sample's kernel gradient, x.T @ g) is an
        # outer product, which NumPy's matmul runs without BLAS: 614 µs for 784x1 by 1x512
        # float32, against 132 µs for the same products as one broadcast multiply.
        return np.multiply(a, b) if out is None else np.multiply(a, b, out=out)
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


def batched_matmul(a, b, out):
    """``out[i] = a[i] @ b[i]`` for 3-D ``a`` ``(batch, m, k)`` and ``b`` ``(batch, k, n)`` of one float
    dtype (any strides) into a C-contiguous ``out`` ``(batch, m, n)``; returns ``out``.

    A kernel with a ``batched`` attribute (the same contract, on 3-D operands) may compute
    the whole batch in one call (numkeras-mkl: oneMKL's strided batch); otherwise, or where
    it declines, one :func:`matmul` per product.
    """
    kernel = _kernel[0] if _kernel else get_gemm()
    batched = getattr(kernel, "batched", None)
    if batched is not None and batched(a, b, out) is not None:
        return out
    for a_i, b_i, out_i in zip(a, b, out):
        matmul(a_i, b_i, out=out_i)
    return out


def column_sums(x):
    """``x.sum(axis=0)`` for a 2-D array, as one BLAS product with a row of ones when ``x`` is float.

    A bias gradient is such a sum over every sample and position; NumPy's reduction
    over the first axis walks the rows one add at a time and takes four to five times
    as long as BLAS's matrix-vector product on the big ones. It goes through
    :func:`matmul`, so that one BLAS library does all the products of a step (two
    libraries' thread pools on the same cores get in each other's way).
    """
    if x.dtype.kind != "f" or x.ndim != 2 or not x.flags.c_contiguous or x.shape[0] < 2:
        return x.sum(axis=0)
    return matmul(_ones(x.shape[0], x.dtype), x)[0]


_ones_rows = {}


def _ones(n, dtype):
    """A ``(1, n)`` row of ones: a view of one cached row per dtype, grown when a longer one is asked for."""
    row = _ones_rows.get(dtype)
    if row is None or row.shape[1] < n:
        row = np.ones((1, n), dtype=dtype)
        row.flags.writeable = False
        _ones_rows[dtype] = row
    return row[:, :n]


@contextlib.contextmanager
def one_thread():
    """Within the block, products run on one BLAS thread (NumPy's OpenBLAS's, and the GEMM kernel's).

    For the many small products of a time loop (a recurrent layer's ``h @ U`` per timestep,
    32x128 by 128x512 on the benchmark). Splitting one such product over the cores saves
    at most half of its 50-150 µs and synchronises the threads at every step; on a machine
    whose other cores are busy, OpenBLAS's threads then wait for a core at every product
    and a step took 10x as long (150 µs on one thread, 2 ms on two, measured on this 2-core
    machine while other processes ran). A GEMM kernel joins in by having a
    ``one_thread()`` context manager of its own.

    OpenBLAS's thread count is the process's, so the blocks of several threads are counted:
    the first to enter sets one thread, the last to leave restores the count the first
    found. (Each restoring what it found, a thread leaving first gave the others' blocks
    back all the threads while they were still inside.) A forked child keeps only the
    forking thread's blocks.
    """
    kernel = _kernel[0] if _kernel else get_gemm()
    kernel_block = getattr(kernel, "one_thread", None)
    controls = _openblas_threads()
    owner = threading.get_ident()  # whose block this is, wherever it is closed
    if controls is not None:
        with _one_thread_lock[0]:
            if _one_thread_state["blocks"] == 0:
                _one_thread_state["restore"] = controls[0]()
                if _one_thread_state["restore"] > 1:
                    controls[1](1)
            _one_thread_state["blocks"] += 1
            _one_thread_depths[owner] = _one_thread_depths.get(owner, 0) + 1
    try:
        if kernel_block is None:
            yield
        else:
            with kernel_block():
                yield
    finally:
        if controls is not None:
            with _one_thread_lock[0]:
                _one_thread_state["blocks"] -= 1
                _one_thread_depths[owner] -= 1
                if not _one_thread_depths[owner]:
                    del _one_thread_depths[owner]
                if _one_thread_state["blocks"] == 0 and _one_thread_state["restore"] > 1:
                    controls[1](_one_thread_state["restore"])


# How many blocks of one_thread() are open in the process and by which thread, and the OpenBLAS
# thread count to restore when the last closes; guarded by the lock in _one_thread_lock. A fork
# waits for the lock (as logging's handlers do), so that no update is half done in the child.
_one_thread_state = {"blocks": 0, "restore": 1}
_one_thread_depths = {}
_one_thread_lock = [threading.RLock()]


def _one_thread_after_fork():
    """In a forked child only the forking thread lives on: only its blocks stay open, under a new lock."""
    _one_thread_lock[0] = threading.RLock()
    open_at_fork = _one_thread_state["blocks"]
    own = _one_thread_depths.get(threading.get_ident(), 0)
    _one_thread_depths.clear()
    if own:
        _one_thread_depths[threading.get_ident()] = own
    _one_thread_state["blocks"] = own
    if open_at_fork and not own and _one_thread_state["restore"] > 1:
        controls = _openblas_threads()  # (loaded already: a block was open)
        if controls is not None:
            controls[1](_one_thread_state["restore"])


if hasattr(os, "register_at_fork"):
    # An RLock: a fork from a signal handler in the thread holding it does not wait for itself.
    os.register_at_fork(before=lambda: _one_thread_lock[0].acquire(),
                        after_in_parent=lambda: _one_thread_lock[0].release(),
                        after_in_child=_one_thread_after_fork)


def cores_busy():
    """Whether other processes compete for the cores: the 1-minute load average exceeds the cores by more than one.

    (A training process on every core makes the load about the number of cores by itself.)
    ``False`` where the system has no load average.
    """
    try:
        return os.getloadavg()[0] > (os.cpu_count() or 1) + 1
    except (AttributeError, OSError):
        return False


STEP_THREADS_VARIABLE = "NUMKERAS_STEP_THREADS"
_STEP_THREADS = {"": "auto", "auto": "auto", "1": "one", "all": "all"}
_warned = set()  # the settings already warned about; guarded by _warned_lock
_warned_lock = threading.Lock()


def step_threads():
    """How the time loops' products are threaded: ``'one'``, ``'all'`` or ``'auto'`` (by :func:`cores_busy`).

    ``NUMKERAS_STEP_THREADS=1`` or ``all`` fixes it (reproducible timings, a machine whose
    load average says nothing about this process's cores); unset or ``auto``, the load decides.
    Any other value warns once and counts as ``auto``.
    """
    value = os.environ.get(STEP_THREADS_VARIABLE, "")
    setting = _STEP_THREADS.get(value.strip().lower())
    if setting is None:
        setting = "auto"
        with _warned_lock:  # one warning even when several threads' first products read it at once
            first = value not in _warned
            _warned.add(value)
        if first:
            warnings.warn(f"{STEP_THREADS_VARIABLE}={value!r} is not 1, all or auto; the load average decides "
                          f"(auto).", RuntimeWarning, stacklevel=3)
    return setting


@contextlib.contextmanager
def step_products(largest=None):
    """The block's products are a time loop's small per-step ones, the largest of ``largest``
    multiply-adds; yields the function that computes them, :func:`matmul` or :func:`numpy_matmul`.

    Threads: on one thread while :func:`cores_busy`. Measured on the 2-core machine (LSTM(128)
    on the benchmark shape, plain numkeras): with its cores busy the time loops ran several times
    faster on one thread (see :func:`one_thread`); with them free, two threads made LSTM inference
    1.2x and training 1.05x faster. :func:`step_threads` (``NUMKERAS_STEP_THREADS``) can fix the
    choice either way.

    Library: a GEMM kernel with a ``numpy_loops_up_to`` attribute leaves a whole loop whose
    largest product is at most that many multiply-adds to NumPy, and computes every product of
    a larger one it takes: a loop's products never alternate between two BLAS libraries, whose
    thread pools wait for each other (see :func:`matmul`). numkeras-mkl: SimpleRNN(128)'s 32x128
    by 128x128 step took 15.5 µs with oneMKL's product and 12.1 with OpenBLAS's, and its
    inference was 0.85x plain numkeras's.
    """
    kernel = _kernel[0] if _kernel else get_gemm()
    product = numpy_matmul if _numpy_loop(kernel, largest) else matmul
    setting = step_threads()
    if setting == "one" or (setting == "auto" and cores_busy()):
        with one_thread():
            yield product
    else:
        yield product


def step_gemm(largest, dtype):
    """The CBLAS ``?gemm`` that computes a :func:`step_products` block's products of ``dtype`` (the
    block told ``largest``), for compiled code that runs a whole time loop and calls BLAS itself;
    call it inside that block, whose threading then applies.

    ``(address, index_bytes)``: the address of a row-major CBLAS ``sgemm`` or ``dgemm`` whose integer
    arguments have ``index_bytes`` bytes (4, or 8 for NumPy's ILP64 OpenBLAS); ``None`` where no such
    routine is known (a GEMM kernel without a ``cblas_gemm(dtype)`` attribute, a NumPy built against
    another BLAS): the caller then loops in Python and multiplies with what the block yields. The
    routine is the one the block's product calls for C-contiguous operands of more than one row and
    column (NumPy and numkeras-mkl multiply a single row with ``gemv``), so a compiled loop gets the
    same numbers there.
    """
    dtype = np.dtype(dtype)
    kernel = _kernel[0] if _kernel else get_gemm()
    if kernel is not None and not _numpy_loop(kernel, largest):
        address = getattr(kernel, "cblas_gemm", None)
        return None if address is None else address(dtype)
    return _openblas_gemm(dtype)


def step_packed_gemm(largest, dtype):
    """A packed GEMM for a :func:`step_products` block whose products all multiply by one matrix (a time
    loop's recurrent kernel), for compiled code as :func:`step_gemm`; call it inside that block.

    ``(address, index_bytes, pack)``: ``pack(b, rows)`` packs the C-contiguous 2-D ``b`` for products
    of ``rows`` rows and returns the buffer that holds it (keep it alive while it is used; ``None``
    where it cannot pack ``b``), and ``address`` is that of a row-major ``cblas_?gemm_compute`` as
    oneMKL's packed API has it (``c = a @ b + beta c`` with ``b`` the buffer), whose integer
    arguments have ``index_bytes`` bytes. ``None`` where the block's products have no packed
    routine (a GEMM kernel without a ``packed_cblas_gemm(dtype)`` attribute; NumPy's OpenBLAS): use
    :func:`step_gemm`. A packed product's sums may be rounded otherwise than ``step_gemm``'s.
    """
    kernel = _kernel[0] if _kernel else get_gemm()
    if kernel is None or _numpy_loop(kernel, largest):
        return None
    packed = getattr(kernel, "packed_cblas_gemm", None)
    return None if packed is None else packed(np.dtype(dtype))


def _numpy_loop(kernel, largest):
    """Whether NumPy computes the products of a time loop whose largest is ``largest`` (the GEMM kernel's
    ``numpy_loops_up_to`` covers it; see :func:`step_products`)."""
    bound = getattr(kernel, "numpy_loops_up_to", None)
    return bound is not None and largest is not None and largest <= bound


def _openblas_gemm(dtype):
    """``(address, index_bytes)`` of the ``cblas_?gemm`` of the OpenBLAS that NumPy's wheels ship (ILP64,
    8-byte integers, in NumPy 2's), or ``None``."""
    found = _openblas_library()
    if found is None or dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return None
    library, prefix, suffix = found
    name = f"{'scipy_' if prefix == 'scipy_openblas' else ''}cblas_{'s' if dtype == np.float32 else 'd'}gemm{suffix}"
    routine = getattr(library, name, None)
    return None if routine is None else (ctypes.cast(routine, ctypes.c_void_p).value, 8 if suffix == "64_" else 4)


@functools.lru_cache(maxsize=None)
def _openblas_threads():
    """``(get_num_threads, set_num_threads)`` of the OpenBLAS that NumPy's wheels ship, or ``None``.

    ``None`` for a NumPy built against another BLAS (conda's MKL, Apple's Accelerate): those
    keep their own threading.
    """
    found = _openblas_library()
    if found is None:
        return None
    library, prefix, suffix = found
    get = getattr(library, f"{prefix}_get_num_threads{suffix}")
    set_ = getattr(library, f"{prefix}_set_num_threads{suffix}")
    get.restype, get.argtypes = ctypes.c_int, []
    set_.restype, set_.argtypes = None, [ctypes.c_int]
    return get, set_


@functools.lru_cache(maxsize=None)
def _openblas_library():
    """``(library, prefix, suffix)`` of the OpenBLAS that NumPy's wheels ship (its symbols' prefix and
    suffix: ``scipy_openblas`` and ``64_`` in NumPy 2's), or ``None``."""
    folder = os.path.dirname(os.path.dirname(np.__file__))
    for path in sorted(glob.glob(os.path.join(folder, "numpy.libs", "*openblas*"))
                       + glob.glob(os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*"))):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            if (getattr(library, f"{prefix}_get_num_threads{suffix}", None) is not None
                    and getattr(library, f"{prefix}_set_num_threads{suffix}", None) is not None):
                return library, prefix, suffix
    return None


__all__ = ["matmul", "numpy_matmul", "column_sums", "set_gemm", "get_gemm", "one_thread", "step_products", "step_gemm",
           "step_packed_gemm", "step_threads", "cores_busy"]
