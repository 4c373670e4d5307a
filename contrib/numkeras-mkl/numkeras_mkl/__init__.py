"""numkeras-mkl: numkeras's matrix products on Intel oneMKL.

Installing this distribution is all it takes: its hook plugin answers
``numkeras_gemm`` with a kernel that calls oneMKL's ``cblas_?gemm`` (``cblas_?gemv``
for one-row or one-column shapes), float32 and float64, from the ``mkl`` wheel, for
every Dense, convolution and recurrent product and every bias gradient. It also
answers ``numkeras_kernels`` with the ``axpy`` kernel (``cblas_?axpy``: an SGD
update in one pass, on oneMKL's threads). The GEMM kernel's ``one_thread()`` block runs
oneMKL on one thread (the recurrent layers' time loops). Operands oneMKL cannot take without a
copy (no unit stride, huge arrays), dot products and work too small to gain from
it return ``None``, and NumPy computes them; so results never depend on this
plugin beyond floating-point rounding.

The plugin ships inside numkeras (``pip install 'numkeras[fast]'`` brings oneMKL and cffi).
Where oneMKL or cffi is not installed it is silently off; where they are installed but
oneMKL cannot be loaded, it warns once. Either way it returns no kernel, and numkeras
uses NumPy's BLAS.

oneMKL picks its fast code paths by the CPU's vendor. On an AMD EPYC (Zen 4, AVX-512) every
workload of the benchmarks ran slower with this plugin than with NumPy's OpenBLAS (MLP
training 0.88x, inference 0.90x, LSTM inference 0.7-0.8x), so on a CPU whose vendor is
known and is not Intel the plugin is off; ``NUMKERAS_MKL=1`` turns it on anyway (and
``NUMKERAS_MKL=0`` off anywhere).

oneMKL is called through cffi (ABI mode: no compiler involved), which passes an
array's address for a third of what ctypes costs: a oneMKL call from Python took
14 µs instead of 26 on a 128x512 bias gradient.
"""

import contextlib
import ctypes.util
import importlib.util
import os
import platform
import sys
import threading
import warnings
from importlib.metadata import PackageNotFoundError, files

import numpy as np
from numkeras.hooks import hookimpl

__all__ = ["axpy", "available", "cpu_vendor", "gemm", "installed", "kernel", "kernels", "library_path",
           "numkeras_gemm", "numkeras_kernels"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_B_MATRIX = 162  # CBLAS_IDENTIFIER's CblasBMatrix
_INTERFACE_LP64 = 0  # mkl_set_interface_layer's MKL_INTERFACE_LP64
_THREADING_INTEL = 0  # mkl_set_threading_layer's MKL_THREADING_INTEL
THREADING_LAYER_VARIABLE = "MKL_THREADING_LAYER"  # oneMKL's own: where the user sets it, it decides
_INT_MAX = 2**31 - 1
# Up to this many multiply-adds NumPy's BLAS takes the product. That is OpenBLAS's own bound for
# running a product on the calling thread alone (65536 * 4), so a product left to NumPy never wakes
# OpenBLAS's threads between oneMKL's: two libraries' spinning thread pools on the same cores made a
# GRU step 3.5x slower when its forward products went to NumPy (see blas.matmul), and 3x slower
# again when the bound was tried at 2^20. Below it OpenBLAS on one thread was as fast or faster on
# this Intel Xeon (32x64 by 64x64: 2.9 against 5.4 µs; 1x512 by 512x512: 10 against 14 µs). The
# same bound serves matrix-vector products: the source of OpenBLAS's gemv threads from 9216, but the
# wheel's (0.3.31) measured single-threaded up to about 2.6e5.
SMALL_PRODUCT = 1 << 18
# ... except a product of more than FOLLOWED_PRODUCT multiply-adds (and at most SMALL_PRODUCT): each
# kind of operand (dtypes, shapes, strides) of those goes to the library that computed the thread's
# previous product when the kind is first multiplied, and stays there (the same product always gets
# the same numbers in a process). So in a model the two libraries do not take turns. At batch 1 the
# first product of MLP 784-W-W-10 (784xW) is above SMALL_PRODUCT from W = 335, so oneMKL's; the next
# (WxW) on NumPy after it made the whole predict take 1.2-1.3x the time it takes with that product on
# oneMKL (W = 448 and 512), though alone NumPy was as fast or faster on 1x512 by 512x512 (above). A
# model whose products are all under SMALL_PRODUCT stays on NumPy, which was faster there (W = 64-256,
# whose weights stay in one core's L2: 1.06-1.29x the time with oneMKL taking the products from 2^15
# on). Up to FOLLOWED_PRODUCT NumPy always computes the product: the tiny Dense(1) model's step took
# 1.14x the time with every product on oneMKL.
FOLLOWED_PRODUCT = 1 << 15
# A time loop whose largest per-step product is at most this many multiply-adds computes all its
# products with NumPy (numkeras.backend.blas.step_products). In such a loop OpenBLAS on two threads
# was faster than oneMKL: SimpleRNN(128)'s step (32x128 by 128x128, then the add and tanh) took 12.1
# against 15.5 µs, the elementwise work after oneMKL's threaded product taking 2.5 µs longer. From
# 32x128 by 128x256 (2^20) on, oneMKL's product was faster (16-17 against 19-27 µs).
NUMPY_LOOPS_UP_TO = 1 << 19
# Below this many elements NumPy's two passes of an axpy take a few microseconds, no more than the call.
SMALL_VECTOR = 1 << 14


ENABLE_VARIABLE = "NUMKERAS_MKL"
_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def cpu_vendor():
    """The CPU's vendor string (``'GenuineIntel'``, ``'AuthenticAMD'`` …), or ``None`` where it cannot be read."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
                for line in info:
                    if line.startswith("vendor_id"):
                        return line.split(":", 1)[1].strip() or None
        except OSError:
            return None
        return None
    if sys.platform == "win32":  # "Intel64 Family 6 Model 85 Stepping 7, GenuineIntel"
        last = platform.processor().rsplit(",", 1)[-1].strip()
        return last or None
    if sys.platform == "darwin" and platform.machine() == "x86_64":
        return "GenuineIntel"  # every x86 Mac
    return None


def _switched_off():
    """Why the plugin is off on this machine by choice (``NUMKERAS_MKL``, the CPU), or ``None``."""
    setting = os.environ.get(ENABLE_VARIABLE, "").strip().lower()
    if setting in _OFF:
        return f"off: {ENABLE_VARIABLE}={os.environ[ENABLE_VARIABLE]}"
    if setting in _ON:
        return None
    if setting:
        warnings.warn(f"numkeras-mkl: {ENABLE_VARIABLE}={os.environ[ENABLE_VARIABLE]!r} is neither on "
                      f"({', '.join(_ON)}) nor off ({', '.join(_OFF)}); deciding by the CPU, as when it is unset.",
                      RuntimeWarning, stacklevel=4)
    vendor = cpu_vendor()
    if vendor is not None and vendor != "GenuineIntel":
        return (f"off: oneMKL is slower than NumPy's OpenBLAS on this {vendor} CPU "
                f"({ENABLE_VARIABLE}=1 turns it on)")
    return None


def _installed(distribution):
    try:
        return bool(files(distribution))
    except PackageNotFoundError:
        return False


def library_path():
    """The path of oneMKL's single dynamic library (``libmkl_rt``), or ``None``."""
    try:
        installed = files("mkl") or []
    except PackageNotFoundError:
        installed = []
    candidates = sorted(str(f.locate()) for f in installed if os.path.basename(str(f)).startswith(("libmkl_rt", "mkl_rt")))
    for path in candidates:
        if os.path.exists(path):
            return os.path.realpath(path)
    return ctypes.util.find_library("mkl_rt")


# The CBLAS routines the plugin calls; arrays as untyped pointers (cffi checks pointer types).
_DECLARATIONS = """
void cblas_{p}gemm(int, int, int, int, int, int, {t}, const void *, int, const void *, int, {t}, void *, int);
void cblas_{p}gemv(int, int, int, int, {t}, const void *, int, const void *, int, {t}, void *, int);
void cblas_{p}axpy(int, {t}, const void *, int, void *, int);
void cblas_{p}gemm_batch_strided(int, int, int, int, int, int, {t}, const void *, int, int, const void *, int, int,
                                 {t}, void *, int, int, int);
size_t cblas_{p}gemm_pack_get_size(int, int, int, int);
void cblas_{p}gemm_pack(int, int, int, int, int, int, {t}, const void *, int, void *);
void cblas_{p}gemm_compute(int, int, int, int, int, int, const void *, int, const void *, int, {t}, void *, int);
"""


def _load():
    path = library_path()
    if path is None:
        raise OSError("oneMKL's runtime library (libmkl_rt) was not found; `pip install mkl` provides it")
    try:
        import cffi
    except ImportError as error:
        raise ImportError(f"cffi, which calls oneMKL, cannot be imported ({error}); `pip install cffi`") from error
    ffi = cffi.FFI()
    for prefix, scalar in (("s", "float"), ("d", "double")):
        ffi.cdef(_DECLARATIONS.format(p=prefix, t=scalar))
    ffi.cdef("int MKL_Set_Num_Threads_Local(int);")
    ffi.cdef("int MKL_Set_Interface_Layer(int);")
    ffi.cdef("int MKL_Set_Threading_Layer(int);")
    library = ffi.dlopen(path)
    # Both before any other oneMKL call, or they have no effect; each answers the layer in effect.
    # 32-bit integers, as declared above (MKL_INTERFACE_LAYER=ILP64 would make oneMKL read 64-bit ones).
    if library.MKL_Set_Interface_Layer(_INTERFACE_LP64) != _INTERFACE_LP64:
        raise OSError("oneMKL was set up for 64-bit integers (ILP64) before numkeras loaded it; numkeras-mkl "
                      "calls it with 32-bit ones")
    if not os.environ.get(THREADING_LAYER_VARIABLE, "").strip() and _installed("intel-openmp"):
        # Left to choose, oneMKL takes GNU OpenMP where that is loaded already: numkeras-numba's threads
        # load it, and start with GOMP_SPINCOUNT=0, which GNU OpenMP reads once; then oneMKL's threads
        # slept after every product, and two threads took 90-100 µs instead of 23-28 for an LSTM(128)
        # step's 32x128 by 128x512 product. Intel's OpenMP beside GNU's takes it in the same 23-28 µs.
        # (Only where Intel's OpenMP is installed, as the mkl wheel requires: oneMKL would fail without it.)
        library.MKL_Set_Threading_Layer(_THREADING_INTEL)
    functions = {}
    for dtype, prefix in ((np.float32, "s"), (np.float64, "d")):
        routines = [getattr(library, f"cblas_{prefix}{routine}") for routine in ("gemm", "gemv", "axpy")]
        try:  # oneMKL 2020 Update 2 and later
            routines.append(getattr(library, f"cblas_{prefix}gemm_batch_strided"))
        except AttributeError:
            routines.append(None)
        functions[np.dtype(dtype)] = tuple(routines)
    # cblas_?gemm's addresses, for compiled loops that call it themselves (numkeras.backend.blas.step_gemm)
    gemm_addresses = {dtype: int(ffi.cast("uintptr_t", routines[0])) for dtype, routines in functions.items()}
    return (functions, _addresser(ffi), library.MKL_Set_Num_Threads_Local, gemm_addresses,
            _packed_routines(ffi, library))


def _packed_routines(ffi, library):
    """``{dtype: (cblas_?gemm_pack_get_size, cblas_?gemm_pack, address of cblas_?gemm_compute)}``: oneMKL's
    packed GEMM (oneMKL 2017 and later; a dtype whose routines are missing is left out), for compiled
    loops that multiply by one matrix at every step (numkeras.backend.blas.step_packed_gemm)."""
    routines = {}
    for dtype, prefix in ((np.float32, "s"), (np.float64, "d")):
        try:
            get_size, pack, compute = (getattr(library, f"cblas_{prefix}gemm_{name}")
                                       for name in ("pack_get_size", "pack", "compute"))
        except AttributeError:
            continue
        routines[np.dtype(dtype)] = (get_size, pack, int(ffi.cast("uintptr_t", compute)))
    return routines


def _addresser(ffi):
    """``address(x)``: a pointer to ``x``'s first element for cffi, without a copy."""
    from_buffer, cast = ffi.from_buffer, ffi.cast

    def address(x):
        if x.flags.c_contiguous:
            return from_buffer(x)
        if x.flags.f_contiguous:  # a transposed view: the same first element
            return from_buffer(x.T)
        return cast("void *", x.ctypes.data)  # rows of a wider buffer, a strided vector

    return address


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


def _batch_step(x):
    """The step, in elements, from one matrix of a 3-D operand to the next, or ``None`` if BLAS cannot take it."""
    stride = x.strides[0]
    if len(x) == 1:
        return 0
    return stride // x.itemsize if stride > 0 and stride % x.itemsize == 0 and stride // x.itemsize <= _INT_MAX else None


def _plan(routines, a, b):
    """How oneMKL computes ``a @ b`` for operands of these shapes, strides and dtypes, or ``None`` (NumPy does).

    ``(output shape, run)``, where ``run(address_a, address_b, address_out)`` makes the call;
    everything but the three addresses is worked out here, once per kind of operand (see ``_make_gemm``).
    """
    entry = routines.get(a.dtype)
    if entry is None or b.dtype != a.dtype:
        return None
    m, k = a.shape
    n = b.shape[1]
    if b.shape[0] != k or max(m, n, k) > _INT_MAX or (m == 1 and n == 1) or 0 in (m, n, k):
        return None
    matrix_product, vector_product = entry[0], entry[1]
    if m == 1 or n == 1:
        # A matrix-vector product: oneMKL's gemv (its gemm is slow on one-row shapes).
        # y = A x for a column b; y = B^T x for a row a.
        matrix, vector, axis = (a, b, 0) if n == 1 else (b, a, 1)
        layout, step = _layout(matrix), _increment(vector, axis)
        if layout is None or step is None:
            return None
        rows, cols = matrix.shape if layout[0] == _NO_TRANS else matrix.shape[::-1]
        transpose = layout[0] if n == 1 else (_TRANS if layout[0] == _NO_TRANS else _NO_TRANS)
        leading, a_is_matrix = layout[1], n == 1

        def run(address_a, address_b, address_out):
            matrix, vector = (address_a, address_b) if a_is_matrix else (address_b, address_a)
            vector_product(_ROW_MAJOR, transpose, rows, cols, 1.0, matrix, leading, vector, step, 0.0, address_out, 1)

        return (m, n), run
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None:
        return None
    (transpose_a, leading_a), (transpose_b, leading_b) = layout_a, layout_b

    def run(address_a, address_b, address_out):
        matrix_product(_ROW_MAJOR, transpose_a, transpose_b, m, n, k, 1.0, address_a, leading_a, address_b,
                       leading_b, 0.0, address_out, n)

    return (m, n), run


# Plans kept per kernel; past this many kinds of operand the cache starts over.
_PLANS = 512


def _make_gemm(library):
    functions, address, set_threads_local, gemm_addresses, packed_routines = library
    plans = {}
    # For a middling product (FOLLOWED_PRODUCT to SMALL_PRODUCT multiply-adds): which library
    # computes each kind of operand, decided when the kind is first multiplied, by the library
    # that computed that thread's previous product, and kept, so that the same product always
    # gets the same numbers in this process.
    middling = {}
    last_product = threading.local()  # .onemkl: whether oneMKL computed this thread's previous product

    def gemm(a, b, out):
        # The checks of a product depend only on its operands' dtypes, shapes and strides: a model
        # multiplies the same few kinds of operand again and again (a time loop, every batch), so
        # they are made once per kind (``_plan``). That took the wrapper from about 2.7 to 1 µs a
        # product over the foreign call, a fifth of a SimpleRNN step's 32x128 by 128x128 product.
        # A small product is declined before the key is made: a small model's products (all of
        # them NumPy's) then cost a multiplication and a thread-local write each here.
        if a.ndim != 2 or b.ndim != 2:
            return None
        macs = a.shape[0] * a.shape[1] * b.shape[1]
        small = macs <= SMALL_PRODUCT
        if small and macs <= FOLLOWED_PRODUCT:
            last_product.onemkl = False
            return None
        key = (a.dtype, b.dtype, a.shape, b.shape, a.strides, b.strides)
        if small:
            onemkl = middling.get(key)
            if onemkl is None:
                # Past _PLANS kinds a new kind is NumPy's every time (no history); the kept choices
                # stay, never cleared, so that no product's numbers change.
                onemkl = (len(middling) < _PLANS
                          and middling.setdefault(key, getattr(last_product, "onemkl", False)))
            if not onemkl:
                last_product.onemkl = False
                return None
        product = _product(key, a, b, out)
        last_product.onemkl = product is not None
        return product

    def _product(key, a, b, out):
        """``a @ b`` computed by oneMKL (into ``out`` if given), or ``None`` where NumPy is to compute it."""
        plan = plans.get(key, False)
        if plan is False:
            if len(plans) >= _PLANS:
                plans.clear()
            plan = plans[key] = _plan(functions, a, b)
        if plan is None:
            return None
        if out is None:
            out = np.empty(plan[0], dtype=a.dtype)
        elif (out.shape != plan[0] or out.dtype != a.dtype or not out.flags.c_contiguous
              or not out.flags.writeable):
            return None
        plan[1](address(a), address(b), address(out))
        return out

    def batched(a, b, out):
        """``out[i] = a[i] @ b[i]`` in one call (numkeras.backend.blas.batched_matmul), or ``None``.

        oneMKL's strided batch splits the products among its threads instead of splitting each
        product: Winograd's 36 thin products per chunk (576x32 by 32x64) took 3.4 instead of 7.3
        ms a batch on mnist_cnn's second convolution.
        """
        entry = functions.get(a.dtype)
        if entry is None or entry[3] is None or b.dtype != a.dtype or out.dtype != a.dtype or a.ndim != 3:
            return None
        count, m, k = a.shape
        n = b.shape[-1]
        if (b.shape != (count, k, n) or out.shape != (count, m, n) or not out.flags.c_contiguous
                or not out.flags.writeable or count == 0 or m * n * k <= SMALL_PRODUCT
                or max(m, n, k, count * m * n) > _INT_MAX):
            return None
        layout_a, layout_b = _layout(a[0]), _layout(b[0])
        step_a, step_b = _batch_step(a), _batch_step(b)
        if layout_a is None or layout_b is None or step_a is None or step_b is None:
            return None
        entry[3](_ROW_MAJOR, layout_a[0], layout_b[0], m, n, k, 1.0, address(a), layout_a[1], step_a,
                 address(b), layout_b[1], step_b, 0.0, address(out), n, m * n, count)
        last_product.onemkl = True
        return out

    @contextlib.contextmanager
    def one_thread():
        """oneMKL on one thread within the block, in this thread only (see numkeras.backend.blas.one_thread)."""
        threads = set_threads_local(1)
        try:
            yield
        finally:
            set_threads_local(threads)  # 0, the usual answer, goes back to the global setting

    def cblas_gemm(dtype):
        """``(address, 4)`` of oneMKL's ``cblas_?gemm`` for ``dtype`` (32-bit integers), or ``None``
        (see numkeras.backend.blas.step_gemm): what ``gemm`` calls for C-contiguous operands of more
        than one row and column (a one-row or one-column product is a ``gemv``)."""
        address = gemm_addresses.get(np.dtype(dtype))
        return None if address is None else (address, 4)

    def packed_cblas_gemm(dtype):
        """``(address, 4, pack)`` of oneMKL's packed GEMM for ``dtype`` (``cblas_?gemm_compute``; ``pack(b,
        rows)`` packs ``b`` by ``cblas_?gemm_pack``), or ``None`` (see numkeras.backend.blas.step_packed_gemm).
        Packed in a time loop's block, ``b`` is packed for that block's threads, as oneMKL advises."""
        entry = packed_routines.get(np.dtype(dtype))
        if entry is None:
            return None
        get_size, pack_routine, compute = entry

        def pack(b, rows):
            if (b.ndim != 2 or b.dtype != dtype or not b.flags.c_contiguous or 0 in b.shape
                    or max(rows, *b.shape) > _INT_MAX or rows < 1):
                return None
            k, n = b.shape
            # oneMKL asked for 9 MB whatever the shape on the benchmark machine, mostly left untouched
            # (the LSTM(128) predict's peak memory grew by 3.5 MB).
            buffer = np.empty(get_size(_B_MATRIX, rows, n, k), dtype=np.uint8)
            pack_routine(_ROW_MAJOR, _B_MATRIX, _NO_TRANS, rows, n, k, 1.0, address(b), n, address(buffer))
            return buffer

        return compute, 4, pack

    gemm.one_thread = one_thread
    gemm.cblas_gemm = cblas_gemm
    gemm.packed_cblas_gemm = packed_cblas_gemm
    gemm.batched = batched
    gemm.numpy_loops_up_to = NUMPY_LOOPS_UP_TO
    return gemm


def _make_axpy(library):
    functions, address = library[:2]

    def axpy(alpha, x, y):
        if y.size < SMALL_VECTOR:  # first: a small model's every update stops here
            return None
        entry = functions.get(y.dtype)
        if (entry is None or x.dtype != y.dtype or x.shape != y.shape or y.size > _INT_MAX
                or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)):
            return None
        entry[2](y.size, alpha, address(x), 1, address(y), 1)
        return y

    return axpy


_state = {}


def installed():
    """Whether oneMKL's library and cffi are installed (the ``fast`` extra); the plugin is silently off otherwise."""
    return library_path() is not None and importlib.util.find_spec("cffi") is not None


def available():
    """Whether the plugin is on here: its libraries installed, and not switched off (``NUMKERAS_MKL``, a non-Intel CPU)."""
    return installed() and _switched_off() is None


def _library():
    """``(oneMKL's routines by dtype, address)`` (loaded on first call), or ``None``.

    Silently ``None`` where oneMKL or cffi is not installed (numkeras ships this plugin; the
    ``fast`` extra brings the libraries) and where it is switched off (:func:`_switched_off`); with a warning, once, where they are installed but
    cannot be loaded.
    """
    if "library" not in _state:
        if not installed():
            _state["library"] = None
            _state["off"] = "off: oneMKL (the mkl wheel) or cffi is not installed (pip install 'numkeras[fast]')"
            return None
        off = _switched_off()
        if off is not None:
            _state["library"], _state["off"] = None, off
            return None
        try:
            _state["library"] = _load()
        except (OSError, AttributeError, ImportError) as error:
            warnings.warn(f"numkeras-mkl: cannot use oneMKL ({error}); numkeras uses NumPy's BLAS instead.",
                          RuntimeWarning, stacklevel=3)
            _state["library"] = None
            _state["off"] = f"off: oneMKL could not be loaded ({error})"
    return _state["library"]


def status():
    """``{"active": bool, "detail": str, "kernels": {name: state}}`` for ``numkeras plugins``."""
    if _library() is None:
        return {"active": False, "detail": _state.get("off", "off"), "kernels": {}}
    detail = f"oneMKL {library_path()} through cffi (nothing to compile)"
    return {"active": True, "detail": detail, "kernels": {"gemm": "loaded", **{name: "loaded" for name in kernels()}}}


def kernel():
    """The oneMKL GEMM kernel, or ``None`` (with a warning, once) if oneMKL cannot be loaded."""
    if "gemm" not in _state:
        library = _library()
        _state["gemm"] = None if library is None else _make_gemm(library)
    return _state["gemm"]


def kernels():
    """The elementwise kernels on oneMKL, by name (``{}`` if oneMKL cannot be loaded)."""
    if "kernels" not in _state:
        library = _library()
        _state["kernels"] = {} if library is None else {"axpy": _make_axpy(library)}
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
