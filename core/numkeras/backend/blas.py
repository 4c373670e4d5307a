"""The matrix products on the hot path, through a replaceable GEMM kernel.

Dense, convolution and recurrent ops compute their 2-D products with :func:`matmul`.
By default that is ``numpy.matmul`` (the BLAS NumPy ships, OpenBLAS in the PyPI
wheels). A hook plugin may supply a faster kernel by implementing
``numkeras_gemm()`` (see ``numkeras.hooks.hookspecs``); ``contrib/numkeras-mkl`` does
so with Intel oneMKL. The kernel is looked up once, on the first product.

A kernel is a callable ``gemm(a, b, out)`` for 2-D ``a`` ``(m, k)`` and ``b`` ``(k, n)`` of
the same float dtype, with ``out`` a C-contiguous ``(m, n)`` array of that dtype (or
``None``: allocate one). It returns the product, or ``None`` for operands it does not
handle, and NumPy computes those.
"""

import threading

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
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


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


__all__ = ["matmul", "column_sums", "set_gemm", "get_gemm"]
