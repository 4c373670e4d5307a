"""numkeras-mkl: numkeras's matrix products on Intel oneMKL.

Installing this distribution is all it takes: its hook plugin answers
``numkeras_gemm`` with a kernel that calls oneMKL's ``cblas_?gemm`` (``cblas_?gemv``
for one-row or one-column shapes), float32 and float64, from the ``mkl`` wheel, for
every Dense, convolution and recurrent product and every bias gradient. It also
answers ``numkeras_kernels`` with the ``axpy`` kernel (``cblas_?axpy``: an SGD
update in one pass, on oneMKL's threads). Operands oneMKL cannot take without a
copy (no unit stride, huge arrays), dot products and work too small to gain from
it return ``None``, and NumPy computes them; so results never depend on this
plugin beyond floating-point rounding.

If oneMKL's runtime library cannot be found or loaded, the plugin warns once and
returns no kernel; numkeras then uses NumPy's BLAS.
"""

import ctypes
import ctypes.util
import os
import warnings
from importlib.metadata import PackageNotFoundError, files

import numpy as np
from numkeras.hooks import hookimpl

__all__ = ["axpy", "gemm", "kernel", "kernels", "library_path", "numkeras_gemm", "numkeras_kernels"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_INT_MAX = 2**31 - 1
# Below this many multiply-adds a call costs more than it computes (ctypes, oneMKL's
# dispatch and threads): NumPy's BLAS takes those products.
SMALL_PRODUCT = 1 << 15
# Below this many elements NumPy's two passes of an axpy take a few microseconds, no more than the call.
SMALL_VECTOR = 1 << 14


def library_path():
    """The path of oneMKL's single dynamic library (``libmkl_rt``), or ``None``."""
    try:
        installed = files("mkl") or []
    except PackageNotFoundError:
        installed = []
    candidates = sorted(str(f.locate()) for f in installed if os.path.basename(str(f)).startswith(("libmkl_rt", "mkl_rt")))
    for path in candidates:
        if os.path.exists(path):
            return path
    return ctypes.util.find_library("mkl_rt")


def _load():
    path = library_path()
    if path is None:
        raise OSError("oneMKL's runtime library (libmkl_rt) was not found; `pip install mkl` provides it")
    library = ctypes.CDLL(path)
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    functions = {}
    for dtype, prefix, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
        gemm = getattr(library, f"cblas_{prefix}gemm")
        gemm.restype = None
        gemm.argtypes = [integer] * 6 + [scalar, pointer, integer, pointer, integer, scalar, pointer, integer]
        gemv = getattr(library, f"cblas_{prefix}gemv")
        gemv.restype = None
        gemv.argtypes = [integer] * 4 + [scalar, pointer, integer, pointer, integer, scalar, pointer, integer]
        axpy = getattr(library, f"cblas_{prefix}axpy")
        axpy.restype = None
        axpy.argtypes = [integer, scalar, pointer, integer, pointer, integer]
        functions[np.dtype(dtype)] = (gemm, gemv, axpy, scalar(1.0), scalar(0.0))
    return functions


def _layout(x):
    """``(transpose flag, leading dimension)`` for a 2-D operand in BLAS's row-major terms, or ``None``."""
    rows, cols = x.shape
    item = x.itemsize
    row_stride, col_stride = x.strides
    if col_stride == item and row_stride % item == 0 and row_stride // item >= max(cols, 1):
        return _NO_TRANS, row_stride // item
    if row_stride == item and col_stride % item == 0 and col_stride // item >= max(rows, 1):
        return _TRANS, col_stride // item
    if cols == 1 and row_stride % item == 0 and row_stride > 0:  # a column: any row stride is a leading dimension
        return _NO_TRANS, row_stride // item
    if rows == 1 and col_stride % item == 0 and col_stride > 0:
        return _TRANS, col_stride // item
    return None


def _increment(x, axis):
    """The step, in elements, between a vector operand's entries, or ``None`` if BLAS cannot take it."""
    stride = x.strides[axis]
    if x.shape[axis] == 1:
        return 1
    return stride // x.itemsize if stride > 0 and stride % x.itemsize == 0 else None


def _make_gemm(functions):
    def gemm(a, b, out):
        entry = functions.get(a.dtype)
        if entry is None or b.dtype != a.dtype:
            return None
        m, k = a.shape
        n = b.shape[1]
        if b.shape[0] != k or m * n * k < SMALL_PRODUCT or max(m, n, k) > _INT_MAX or (m == 1 and n == 1):
            return None
        if out is None:
            out = np.empty((m, n), dtype=a.dtype)
        elif out.shape != (m, n) or out.dtype != a.dtype or not out.flags.c_contiguous:
            return None
        matrix_product, vector_product, _, one, zero = entry
        if m == 1 or n == 1:
            # A matrix-vector product: oneMKL's gemv (its gemm is slow on one-row shapes).
            # y = A x for a column b; y = B^T x for a row a.
            matrix, vector, axis = (a, b, 0) if n == 1 else (b, a, 1)
            layout, step = _layout(matrix), _increment(vector, axis)
            if layout is None or step is None:
                return None
            rows, cols = matrix.shape if layout[0] == _NO_TRANS else matrix.shape[::-1]
            transpose = layout[0] if n == 1 else (_TRANS if layout[0] == _NO_TRANS else _NO_TRANS)
            vector_product(_ROW_MAJOR, transpose, rows, cols, one, matrix.ctypes.data, layout[1],
                           vector.ctypes.data, step, zero, out.ctypes.data, 1)
            return out
        layout_a, layout_b = _layout(a), _layout(b)
        if layout_a is None or layout_b is None:
            return None
        matrix_product(_ROW_MAJOR, layout_a[0], layout_b[0], m, n, k, one, a.ctypes.data, layout_a[1],
                       b.ctypes.data, layout_b[1], zero, out.ctypes.data, n)
        return out

    return gemm


def _make_axpy(functions):
    def axpy(alpha, x, y):
        entry = functions.get(y.dtype)
        if (entry is None or x.dtype != y.dtype or x.shape != y.shape or not SMALL_VECTOR <= y.size <= _INT_MAX
                or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)):
            return None
        entry[2](y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
        return y

    return axpy


_state = {}


def _functions():
    """oneMKL's routines by dtype (loaded on first call), or ``None`` with a warning if oneMKL cannot be loaded."""
    if "functions" not in _state:
        try:
            _state["functions"] = _load()
        except (OSError, AttributeError) as error:
            warnings.warn(f"numkeras-mkl: cannot use oneMKL ({error}); numkeras uses NumPy's BLAS instead.",
                          RuntimeWarning, stacklevel=3)
            _state["functions"] = None
    return _state["functions"]


def kernel():
    """The oneMKL GEMM kernel, or ``None`` (with a warning, once) if oneMKL cannot be loaded."""
    if "gemm" not in _state:
        functions = _functions()
        _state["gemm"] = None if functions is None else _make_gemm(functions)
    return _state["gemm"]


def kernels():
    """The elementwise kernels on oneMKL, by name (``{}`` if oneMKL cannot be loaded)."""
    if "kernels" not in _state:
        functions = _functions()
        _state["kernels"] = {} if functions is None else {"axpy": _make_axpy(functions)}
    return _state["kernels"]


def gemm(a, b, out=None):
    """``a @ b`` through oneMKL for 2-D float32/float64 operands; ``None`` where it does not apply."""
    function = kernel()
    return None if function is None else function(a, b, out)


def axpy(alpha, x, y):
    """``y += alpha * x`` in place through oneMKL; ``None`` where it does not apply."""
    function = kernels().get("axpy")
    return None if function is None else function(alpha, x, y)


@hookimpl
def numkeras_gemm():
    return kernel()


# tryfirst: where a second plugin also supplies axpy, oneMKL's runs it on the threads its products use.
@hookimpl(tryfirst=True)
def numkeras_kernels():
    return kernels() or None
