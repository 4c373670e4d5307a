"""contrib/numkeras-mkl: numkeras's products on oneMKL give NumPy's numbers, and a fresh process picks it up."""

import importlib.util
import os
import platform
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numkeras.backend import blas

from numkeras.testing.gradcheck import check_layer_gradients, float64
from .conftest import CONTRIB, elementwise_kernels, install_contrib, run_python

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="oneMKL ships wheels for x86-64 only (the test extra installs it there)",
)


def _load_plugin(name="numkeras_mkl_under_test"):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(CONTRIB, "numkeras-mkl", "numkeras_mkl", "__init__.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mkl():
    module = _load_plugin()
    assert module.library_path() is not None, "the test extra installs the mkl wheel; libmkl_rt was not found"
    assert module.kernel() is not None
    return module


@pytest.fixture
def every_product(mkl, monkeypatch):
    """The kernel with its small-product cut-offs off, so that small test matrices reach oneMKL."""
    monkeypatch.setattr(mkl, "SMALL_PRODUCT", 0)
    return mkl


@pytest.fixture
def mkl_products(every_product):
    previous = blas.set_gemm(every_product.kernel())
    yield every_product
    blas.set_gemm(previous)


def _layouts(matrix):
    """The same matrix as C-ordered, Fortran-ordered, a transposed view, and rows of a wider buffer."""
    rows, cols = matrix.shape
    wide = np.zeros((rows, cols + 3), dtype=matrix.dtype)
    wide[:, :cols] = matrix
    return {"C": matrix, "F": np.asfortranarray(matrix), "T-view": np.ascontiguousarray(matrix.T).T,
            "padded rows": wide[:, :cols]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(5, 7, 3), (128, 784, 512), (4, 1, 6), (2, 5, 3), (1, 4, 6), (3, 5, 1), (1, 300, 2)])
def test_every_layout_gives_the_product(every_product, dtype, m, k, n):
    mkl = every_product
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    tolerance = 1e-4 if dtype == np.float32 else 1e-12
    for a_name, a_layout in _layouts(a).items():
        for b_name, b_layout in _layouts(b).items():
            product = mkl.gemm(a_layout, b_layout)
            assert product is not None, (a_name, b_name)
            assert product.dtype == dtype and product.flags.c_contiguous
            np.testing.assert_allclose(product, expected, rtol=tolerance, atol=tolerance * k, err_msg=f"{a_name} @ {b_name}")


def test_writes_into_out_and_declines_what_it_cannot_take(every_product):
    mkl = every_product
    rng = np.random.default_rng(1)
    a, b = rng.random((6, 4), dtype=np.float32), rng.random((4, 5), dtype=np.float32)
    out = np.empty((6, 5), np.float32)
    assert mkl.gemm(a, b, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)

    assert mkl.gemm(a, b.astype(np.float64)) is None  # mixed dtypes
    assert mkl.gemm(a.astype(np.int64), b.astype(np.int64)) is None  # integers
    assert mkl.gemm(np.ones((6, 8), np.float32)[:, ::2], b) is None  # no unit stride in either direction
    assert mkl.gemm(a, b, np.empty((5, 6), np.float32).T) is None  # out not C-contiguous
    assert mkl.gemm(a, b, np.empty((6, 5), np.float64)) is None  # out of another dtype
    assert mkl.gemm(np.ones((0, 4), np.float32), b) is None  # empty: NumPy's business
    assert mkl.gemm(np.ones((1, 4), np.float32), np.ones((4, 1), np.float32)) is None  # a dot product
    assert mkl.gemm(np.ones((1, 4), np.float32), np.ones((8, 5), np.float32)[::2]) is not None  # strided rows
    row = np.ones((1, 8), np.float32)[:, ::-2]  # a negative step: BLAS takes none
    assert mkl.gemm(row, b) is None


def _after_numpy(gemm):
    """Makes NumPy's the thread's previous product (one the kernel declines: a small one)."""
    assert gemm(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), None) is None


def _after_onemkl(gemm):
    """Makes oneMKL's the thread's previous product (a big one)."""
    assert gemm(np.ones((128, 128), np.float32), np.ones((128, 128), np.float32), None) is not None


def test_small_products_are_left_to_numpy(mkl):
    """Up to OpenBLAS's own one-thread bound (m * n * k <= 65536 * 4), matrix-vector products included,
    NumPy computes the product (after a product of NumPy's); one multiply-add more and oneMKL does."""
    square = np.ones((64, 64), np.float32)  # 64 * 64 * 64 = 65536 * 4
    gemm = mkl._make_gemm(mkl._library())  # a kernel of its own: these kinds first seen after NumPy's
    _after_numpy(gemm)
    assert gemm(square, square, None) is None
    np.testing.assert_array_equal(mkl.gemm(square, np.ones((64, 65), np.float32)), np.full((64, 65), 64.0))
    row = np.ones((1, 512), np.float32)  # 512 * 512 = 65536 * 4
    _after_numpy(gemm)
    assert gemm(row, np.ones((512, 512), np.float32), None) is None
    np.testing.assert_array_equal(mkl.gemm(row, np.ones((512, 513), np.float32)), np.full((1, 513), 512.0))
    column = np.ones((513, 1), np.float32)
    np.testing.assert_array_equal(mkl.gemm(np.ones((512, 513), np.float32), column), np.full((512, 1), 513.0))


@pytest.fixture
def fresh_gemm(mkl):
    """A GEMM kernel of its own: no kind of operand multiplied yet, no thread's previous product."""
    return mkl._make_gemm(mkl._library())


@pytest.mark.parametrize("shapes", [((64, 64), (64, 64)), ((1, 512), (512, 512)), ((512, 512), (512, 1)),
                                    ((32, 33), (33, 32))], ids=["square", "row", "column", "just above"])
def test_a_middling_product_goes_where_the_previous_product_went_when_first_multiplied(mkl, fresh_gemm, shapes):
    """From FOLLOWED_PRODUCT to SMALL_PRODUCT multiply-adds a kind of operand goes to the library that
    computed the thread's previous product when it is first multiplied, so that a model's products do
    not alternate between the libraries; and stays there, so that it always gets the same numbers."""
    gemm = fresh_gemm
    a, b = np.ones(shapes[0], np.float32), np.ones(shapes[1], np.float32)
    assert mkl.FOLLOWED_PRODUCT < a.shape[0] * a.shape[1] * b.shape[1] <= mkl.SMALL_PRODUCT
    _after_onemkl(gemm)
    np.testing.assert_array_equal(gemm(a, b, None), a @ b)
    _after_numpy(gemm)
    np.testing.assert_array_equal(gemm(a, b, None), a @ b)  # still oneMKL's
    a2, b2 = np.ones(shapes[0], np.float64), np.ones(shapes[1], np.float64)  # another kind: first after NumPy
    _after_numpy(gemm)
    assert gemm(a2, b2, None) is None
    _after_onemkl(gemm)
    assert gemm(a2, b2, None) is None  # still NumPy's


def test_past_the_cache_s_size_a_new_middling_kind_is_numpys_and_kept_choices_stay(mkl, fresh_gemm, monkeypatch):
    monkeypatch.setattr(mkl, "_PLANS", 1)
    gemm = fresh_gemm
    kept = np.ones((64, 64), np.float32)
    _after_onemkl(gemm)
    np.testing.assert_array_equal(gemm(kept, kept, None), kept @ kept)  # the one kept choice: oneMKL
    late = np.ones((64, 64), np.float64)
    for _ in range(2):
        _after_onemkl(gemm)
        assert gemm(late, late, None) is None  # a kind past the cache's size: NumPy's, every time
    np.testing.assert_array_equal(gemm(kept, kept, None), kept @ kept)  # still oneMKL's


def test_a_declined_product_counts_as_numpys(mkl, fresh_gemm):
    gemm = fresh_gemm
    a, b = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)
    _after_onemkl(gemm)
    assert gemm(a, b, np.empty((64, 64), np.float64)) is None  # declined: NumPy computes it
    assert gemm(np.ones((64, 64), np.float64), b.astype(np.float64), None) is None  # first seen after NumPy's


def test_a_batch_of_products_counts_as_onemkls(mkl, fresh_gemm):
    gemm = fresh_gemm
    _after_numpy(gemm)
    a, b = np.ones((4, 65, 64), np.float32), np.ones((4, 64, 64), np.float32)  # 65 * 64 * 64 > SMALL_PRODUCT
    assert gemm.batched(a, b, np.empty((4, 65, 64), np.float32)) is not None
    middling = np.ones((64, 64), np.float32)  # first seen now: after oneMKL's batch
    np.testing.assert_array_equal(gemm(middling, middling, None), middling @ middling)


def test_up_to_the_followed_bound_numpy_computes_the_product_even_after_onemkl(mkl, fresh_gemm):
    gemm = fresh_gemm
    edge = int(round(mkl.FOLLOWED_PRODUCT ** (1 / 3)))  # 32 * 32 * 32 = 2^15
    assert edge ** 3 == mkl.FOLLOWED_PRODUCT
    _after_onemkl(gemm)
    assert gemm(np.ones((edge, edge), np.float32), np.ones((edge, edge), np.float32), None) is None
    _after_onemkl(gemm)
    assert gemm(np.ones((1, 128), np.float32), np.ones((128, 256), np.float32), None) is None  # 2^15, a vector
    _after_onemkl(gemm)
    assert gemm(np.ones((1, 8), np.float32), np.ones((8, 4), np.float32), None) is None


def test_the_previous_product_is_the_threads_own_and_a_kinds_library_everyones(mkl, fresh_gemm):
    """Another thread's oneMKL product does not decide for this thread's first middling product; the
    library decided for a kind of operand holds in every thread."""
    import threading

    gemm = fresh_gemm
    decided_by_other = np.ones((64, 64), np.float32)
    decided_here = np.ones((1, 512), np.float32), np.ones((512, 512), np.float32)
    results, errors = {}, []
    started, onemkl_done = threading.Event(), threading.Event()

    def other():
        try:
            _after_numpy(gemm)
            started.set()
            assert onemkl_done.wait(30)
            results["first seen here"] = gemm(decided_by_other, decided_by_other, None)  # its previous: NumPy's
            results["decided there"] = gemm(*decided_here, None)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            started.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert started.wait(30)
    _after_onemkl(gemm)
    np.testing.assert_array_equal(gemm(*decided_here, None), decided_here[0] @ decided_here[1])
    onemkl_done.set()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert results["first seen here"] is None
    np.testing.assert_array_equal(results["decided there"], decided_here[0] @ decided_here[1])
    _after_onemkl(gemm)
    assert gemm(decided_by_other, decided_by_other, None) is None  # NumPy's, as first decided


_LAYOUT_NAMES = ["C", "F", "T-view", "padded rows"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=st.integers(1, 9), k=st.integers(1, 9), n=st.integers(1, 9), dtype=st.sampled_from([np.float32, np.float64]),
       a_layout=st.sampled_from(_LAYOUT_NAMES), b_layout=st.sampled_from(_LAYOUT_NAMES), seed=st.integers(0, 2**16))
def test_any_operands_twice_give_the_product(every_product, m, k, n, dtype, a_layout, b_layout, seed):
    """Shapes (vectors included) and layouts drawn at random, each multiplied twice with new numbers:
    the second call runs from the first call's plan."""
    rng = np.random.default_rng(seed)
    for _ in range(2):
        a = _layouts(rng.standard_normal((m, k)).astype(dtype))[a_layout]
        b = _layouts(rng.standard_normal((k, n)).astype(dtype))[b_layout]
        product = every_product.gemm(a, b)
        expected = a.astype(np.float64) @ b.astype(np.float64)
        if product is None:
            assert m == n == 1  # a dot product, the only kind it declines here
            continue
        tolerance = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(product, expected, rtol=tolerance, atol=tolerance * k)


def test_a_plan_is_per_kind_of_operand(every_product):
    """The kernel works out each kind of operand's call once (dtype, shape, strides): new data,
    another layout of the same shape, another dtype, a read-only ``out`` and a cut-off changed
    after the first call all still give NumPy's answer or a decline."""
    mkl = every_product
    rng = np.random.default_rng(4)
    b = rng.standard_normal((6, 6))
    for dtype in (np.float64, np.float32, np.float64):
        for _ in range(2):  # the second time from the plan, with other numbers
            a = rng.standard_normal((6, 6)).astype(dtype)
            padded = np.zeros((6, 9), dtype)[:, :6]
            padded[...] = a
            for a_layout in (a, np.asfortranarray(a), padded):  # one shape, three stride patterns
                product = mkl.gemm(a_layout, b.astype(dtype))
                np.testing.assert_allclose(product, a_layout.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    read_only = np.empty((6, 6))
    read_only.flags.writeable = False
    assert mkl.gemm(b, b, read_only) is None  # NumPy then raises, instead of oneMKL writing into it
    mkl.SMALL_PRODUCT = 6 * 6 * 6  # (the fixture puts it back)
    assert mkl.gemm(b, b) is None


def test_declined_operands_still_get_numpys_product(mkl_products):
    a = np.ones((6, 8), np.float32)[:, ::2]
    b = np.arange(20, dtype=np.float32).reshape(4, 5)
    np.testing.assert_array_equal(blas.matmul(a, b), a @ b)


@pytest.mark.parametrize("layer", ["dense", "conv", "lstm"])
def test_layer_gradients_with_mkl_products(mkl_products, layer):
    from numkeras.layers import LSTM, Conv2D, Dense

    rng = np.random.default_rng(2)
    with float64():
        if layer == "dense":
            check_layer_gradients(Dense(4, activation="tanh"), rng.standard_normal((3, 5)))
        elif layer == "conv":
            check_layer_gradients(Conv2D(3, 3, activation="tanh"), rng.standard_normal((2, 5, 5, 2)))
        else:
            check_layer_gradients(LSTM(3, return_sequences=True), rng.standard_normal((2, 4, 3)))


def test_training_matches_numpys_to_rounding(every_product):
    mkl = every_product
    import numkeras
    from numkeras.layers import Dense
    from numkeras.models import Sequential

    rng = np.random.default_rng(3)
    x, y = rng.random((64, 10), dtype=np.float32), rng.random((64, 3), dtype=np.float32)

    def train():
        numkeras.utils.set_random_seed(0)
        model = Sequential([Dense(32, activation="relu", input_shape=(10,)), Dense(3)])
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False)
        return history.history["loss"], model.get_weights()

    kernel, computed = mkl.kernel(), []

    def counting(a, b, out):
        product = kernel(a, b, out)
        computed.append(product is not None)
        return product

    previous = blas.set_gemm(counting)
    try:
        mkl_loss, mkl_weights = train()
    finally:
        blas.set_gemm(previous)
    assert computed and all(computed), "oneMKL did not compute the products"
    numpy_loss, numpy_weights = train()
    np.testing.assert_allclose(mkl_loss, numpy_loss, rtol=1e-5)
    for mine, reference in zip(mkl_weights, numpy_weights):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-6), (np.float64, 1e-14)])
def test_axpy_adds_alpha_times_x_and_declines_what_it_cannot_take(mkl, dtype, tolerance):
    rng = np.random.default_rng(4)
    n = mkl.SMALL_VECTOR
    x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    expected = y.astype(np.float64) - 0.01 * x.astype(np.float64)
    out = y.copy()
    assert mkl.axpy(-0.01, x, out) is out
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)  # values of order 1
    untouched = y.copy()
    assert mkl.axpy(-0.01, x[: n - 1], untouched[: n - 1]) is None  # small: NumPy's two passes are as quick
    assert mkl.axpy(-0.01, x.astype(np.float16), untouched) is None  # mixed dtypes
    assert mkl.axpy(-0.01, x.reshape(2, -1), untouched) is None  # shapes differ
    assert mkl.axpy(-0.01, np.repeat(x, 2)[::2], untouched) is None  # not contiguous
    frozen = y.copy()
    frozen.flags.writeable = False
    assert mkl.axpy(-0.01, x, frozen) is None
    np.testing.assert_array_equal(untouched, y)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_updates_through_the_axpy_kernel_match_numpys(mkl, momentum):
    import numkeras
    from numkeras.layers import Dense
    from numkeras.models import Sequential

    rng = np.random.default_rng(5)
    x, y = rng.random((64, 200), dtype=np.float32), rng.random((64, 100), dtype=np.float32)  # a 20,000-weight kernel

    def train():
        numkeras.utils.set_random_seed(0)
        model = Sequential([Dense(100, input_shape=(200,))])
        model.compile(optimizer=numkeras.optimizers.SGD(lr=0.1, momentum=momentum), loss="mse")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    axpy, calls = mkl.kernels()["axpy"], []

    def counting(alpha, x, y):
        result = axpy(alpha, x, y)
        calls.append(result is not None)
        return result

    with elementwise_kernels({"axpy": counting}):
        mkl_weights = train()
    assert any(calls), "oneMKL did not update the kernel"
    with elementwise_kernels(None):
        numpy_weights = train()
    for mine, reference in zip(mkl_weights, numpy_weights):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


def test_without_onemkl_the_plugin_is_silently_off_and_says_why(monkeypatch):
    """numkeras ships the plugin; without the `fast` extra's libraries it must not warn."""
    plugin = _load_plugin("numkeras_mkl_without_onemkl")
    monkeypatch.setattr(plugin, "library_path", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugin.numkeras_gemm() is None
        assert plugin.numkeras_kernels() is None
        assert plugin.gemm(np.ones((64, 64)), np.ones((64, 64))) is None
        assert plugin.axpy(1.0, np.ones(1 << 15), np.ones(1 << 15)) is None
    status = plugin.status()
    assert status["active"] is False and "numkeras[fast]" in status["detail"] and status["kernels"] == {}


def test_without_cffi_the_plugin_is_silently_off(monkeypatch):
    plugin = _load_plugin("numkeras_mkl_without_cffi")
    monkeypatch.setitem(sys.modules, "cffi", None)  # importing it now fails
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugin.kernel() is None
    assert plugin.kernels() == {}


def test_an_installed_onemkl_that_cannot_be_loaded_warns_once(monkeypatch, tmp_path):
    plugin = _load_plugin("numkeras_mkl_broken")
    broken = tmp_path / "libmkl_rt.so"
    broken.write_bytes(b"not a library")
    monkeypatch.setattr(plugin, "library_path", lambda: str(broken))
    with pytest.warns(RuntimeWarning, match="cannot use oneMKL"):
        assert plugin.numkeras_gemm() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once is enough
        assert plugin.numkeras_kernels() is None
    assert plugin.status()["active"] is False and "could not be loaded" in plugin.status()["detail"]


# -- on which CPUs the plugin is on (NUMKERAS_MKL, the CPU's vendor) ------------------------

def _plugin_on(monkeypatch, vendor, setting=None, name="numkeras_mkl_vendor"):
    """A fresh copy of the plugin on a CPU of ``vendor`` with ``NUMKERAS_MKL`` set to ``setting`` (None: unset)."""
    plugin = _load_plugin(name)
    monkeypatch.setattr(plugin, "cpu_vendor", lambda: vendor)
    if setting is None:
        monkeypatch.delenv("NUMKERAS_MKL", raising=False)
    else:
        monkeypatch.setenv("NUMKERAS_MKL", setting)
    return plugin


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo")
def test_cpu_vendor_is_the_vendor_id_of_proc_cpuinfo():
    with open("/proc/cpuinfo") as info:
        expected = next(line.split(":", 1)[1].strip() for line in info if line.startswith("vendor_id"))
    assert _load_plugin("numkeras_mkl_cpu").cpu_vendor() == expected


@pytest.mark.parametrize("vendor", ["GenuineIntel", None])
def test_on_by_default_on_intel_cpus_and_where_the_vendor_is_unknown(monkeypatch, vendor):
    plugin = _plugin_on(monkeypatch, vendor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugin.available() and plugin.numkeras_gemm() is not None
    assert plugin.status()["active"] is True


@pytest.mark.parametrize("vendor", ["AuthenticAMD", "HygonGenuine", "CentaurHauls"])
def test_off_by_default_on_other_vendors_cpus_silently_and_says_why(monkeypatch, vendor):
    plugin = _plugin_on(monkeypatch, vendor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not plugin.available()
        assert plugin.numkeras_gemm() is None and plugin.numkeras_kernels() is None
        assert plugin.axpy(1.0, np.ones(1 << 15), np.ones(1 << 15)) is None
    status = plugin.status()
    assert status["active"] is False and status["kernels"] == {}
    assert vendor in status["detail"] and "NUMKERAS_MKL=1" in status["detail"]


@pytest.mark.parametrize("setting", ["1", "true", "ON", " yes "])
def test_numkeras_mkl_on_overrides_the_cpu(monkeypatch, setting):
    plugin = _plugin_on(monkeypatch, "AuthenticAMD", setting)
    assert plugin.available() and plugin.numkeras_gemm() is not None


@pytest.mark.parametrize("setting", ["0", "false", "Off", "no"])
def test_numkeras_mkl_off_turns_it_off_on_any_cpu(monkeypatch, setting):
    plugin = _plugin_on(monkeypatch, "GenuineIntel", setting)
    assert not plugin.available() and plugin.numkeras_gemm() is None
    assert plugin.status()["detail"] == f"off: NUMKERAS_MKL={setting}"


@given(setting=st.text(min_size=1, max_size=8).filter(
    lambda text: text.strip() and text.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off")
    and "\x00" not in text))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_other_setting_warns_and_decides_by_the_cpu(monkeypatch, setting):
    for vendor, on in (("GenuineIntel", True), ("AuthenticAMD", False)):
        plugin = _plugin_on(monkeypatch, vendor, setting)
        with pytest.warns(RuntimeWarning, match="is neither on .* nor off"):
            assert (plugin.numkeras_gemm() is not None) is on


CHECK_KERNEL = """
import numpy as np
from numkeras.backend import blas, kernels
import numkeras_mkl
kernel = blas.get_gemm()
print("KERNEL", kernel is not None and kernel is numkeras_mkl.kernel())
print("AXPY", kernels.get_kernels().get("axpy") is numkeras_mkl.kernels()["axpy"])
"""


@pytest.mark.slow
def test_installed_plugin_is_used_by_a_fresh_process(tmp_path):
    site = tmp_path / "site"
    install_contrib(site, "numkeras-mkl")
    # the mkl wheel itself comes from the test environment (sys.path of this interpreter)
    paths = [site] + [p for p in sys.path if p and os.path.isdir(p)]
    on = run_python(CHECK_KERNEL, paths, {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None}, cwd=tmp_path)
    assert on.returncode == 0, on.stderr
    assert "KERNEL True" in on.stdout and "AXPY True" in on.stdout
    off = run_python(CHECK_KERNEL, paths, {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": "1"}, cwd=tmp_path)
    assert off.returncode == 0, off.stderr
    assert "KERNEL False" in off.stdout and "AXPY False" in off.stdout


def test_one_thread_sets_onemkls_threads_for_the_block_only(every_product):
    import cffi

    mkl = every_product

    ffi = cffi.FFI()
    ffi.cdef("int MKL_Get_Max_Threads(void);")
    max_threads = ffi.dlopen(mkl.library_path()).MKL_Get_Max_Threads
    before = max_threads()
    with mkl.kernel().one_thread():
        assert max_threads() == 1
        a = np.arange(64 * 64, dtype=np.float64).reshape(64, 64) / 1000
        np.testing.assert_allclose(mkl.kernel()(a, a, None), a @ a, rtol=1e-12)
    assert max_threads() == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_layout", ["C", "batch-inner", "transposed"])
@pytest.mark.parametrize("b_layout", ["C", "transposed"])
def test_a_batch_of_products_in_one_call(every_product, dtype, a_layout, b_layout):
    """The kernel's ``batched`` (oneMKL's strided batch): every matrix's product, for the layouts
    Winograd's products use (a's matrices as rows of a wider buffer) and transposed ones."""
    rng = np.random.default_rng(3)
    count, m, k, n = 5, 7, 4, 6
    a, b = rng.standard_normal((count, m, k)).astype(dtype), rng.standard_normal((count, k, n)).astype(dtype)
    expected = np.einsum("imk,ikn->imn", a.astype(np.float64), b.astype(np.float64))
    if a_layout == "batch-inner":
        a = np.ascontiguousarray(a.transpose(1, 0, 2)).transpose(1, 0, 2)
    elif a_layout == "transposed":
        a = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
    if b_layout == "transposed":
        b = np.ascontiguousarray(b.transpose(0, 2, 1)).transpose(0, 2, 1)
    out = np.full((count, m, n), np.nan, dtype)
    assert every_product.kernel().batched(a, b, out) is out
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)


def test_a_batch_declines_what_it_cannot_take(every_product):
    batched = every_product.kernel().batched
    a, b = np.ones((3, 4, 5), np.float32), np.ones((3, 5, 2), np.float32)
    out = np.empty((3, 4, 2), np.float32)
    assert batched(a, b.astype(np.float64), out) is None  # mixed dtypes
    assert batched(a, b, np.empty((3, 2, 4), np.float32).transpose(0, 2, 1)) is None  # out not C-contiguous
    assert batched(a, b[:2], out) is None  # batches of different lengths
    assert batched(a[::-1], b, out) is None  # a negative step between matrices
    assert batched(np.ones((3, 4, 10), np.float32)[:, :, ::2], b, out) is None  # no unit stride in a matrix
    assert batched(a[:0], b[:0], out[:0]) is None  # empty: nothing to call oneMKL for
    one = np.empty((1, 4, 2), np.float32)
    assert batched(a[:1], b[:1], one) is one  # one matrix: no step between matrices to check
    np.testing.assert_allclose(one, a[:1] @ b[:1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_routine_a_compiled_loop_calls_gives_the_kernels_numbers(every_product, dtype):
    from tests.core.backend.test_blas import cblas_gemm_product

    gemm = every_product.kernel()
    routine = gemm.cblas_gemm(dtype)
    assert routine[1] == 4  # oneMKL's LP64 interface: 32-bit integers
    rng = np.random.default_rng(5)
    for m, k, n in [(32, 128, 512), (5, 3, 7)]:
        a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
        np.testing.assert_array_equal(cblas_gemm_product(routine, a, b), gemm(a, b, None))
    assert gemm.cblas_gemm(np.int32) is None


def _packed_product(packing, a, b):
    """``a @ b`` (C-contiguous) by oneMKL's packed API as ``packed_cblas_gemm`` gives it: ``b`` packed by its
    ``pack``, then the ``cblas_?gemm_compute`` at its address, called through ctypes."""
    import ctypes

    address, index_bytes, pack = packing
    assert index_bytes == 4
    scalar = ctypes.c_float if a.dtype == np.float32 else ctypes.c_double
    compute = ctypes.CFUNCTYPE(None, *[ctypes.c_int] * 6, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                               ctypes.c_int, scalar, ctypes.c_void_p, ctypes.c_int)(address)
    (m, k), n = a.shape, b.shape[1]
    packed = pack(b, m)
    out = np.full((m, n), np.nan, dtype=a.dtype)
    compute(101, 111, 151, m, n, k, a.ctypes.data, k, packed.ctypes.data, n, 0.0, out.ctypes.data, n)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_packed_routine_multiplies_by_the_packed_matrix(every_product, dtype):
    """What a compiled time loop calls with the kernel packed: the product, to rounding (oneMKL does not
    promise its gemm's sums), checked against float64 sums; and the same numbers for the same product."""
    packing = every_product.kernel().packed_cblas_gemm(dtype)
    rng = np.random.default_rng(6)
    for m, k, n in [(32, 128, 512), (5, 3, 7), (2, 1024, 256), (64, 256, 1024)]:
        a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
        product = _packed_product(packing, a, b)
        exact = a.astype(np.float64) @ b.astype(np.float64)
        scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)  # the sums' rounding is relative to it
        assert np.all(np.abs(product - exact) <= 4 * k * np.finfo(dtype).eps * scale)
        np.testing.assert_array_equal(_packed_product(packing, a, b), product)
    assert every_product.kernel().packed_cblas_gemm(np.int32) is None


def test_packing_declines_what_it_cannot_pack(every_product):
    pack = every_product.kernel().packed_cblas_gemm(np.float32)[2]
    b = np.ones((4, 6), np.float32)
    assert pack(b, 3) is not None
    for wrong in (b.T, b[:, ::2], b.astype(np.float64), b[None], b[:0]):
        assert pack(wrong, 3) is None
    assert pack(b, 0) is None


# GNU OpenMP started first, as numkeras-numba starts it: with GOMP_SPINCOUNT=0, which it reads once.
THREADING_LAYER = """
import os
os.environ["GOMP_SPINCOUNT"] = "0"
import sys
import numba
try:
    numba.get_num_threads()
except ValueError as error:  # Numba's OpenMP layer does not load here
    print("NO OPENMP", error)
    sys.exit(0)
del os.environ["GOMP_SPINCOUNT"]
import numpy as np
import numkeras_mkl
a = np.ones((256, 256), np.float32)
assert numkeras_mkl.gemm(a, a) is not None  # (above the bounds under which NumPy takes the product)
maps = open("/proc/self/maps").read()
print("INTEL", "libiomp5" in maps)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
@pytest.mark.parametrize("setting", [None, "GNU"])
def test_onemkl_takes_intel_openmp_unless_the_user_says_otherwise(setting):
    """Left to choose, oneMKL took the GNU OpenMP that Numba had loaded, whose threads then slept
    after every product: two threads took 90-100 µs for a 32x128 by 128x512 product instead of 23-28."""
    pytest.importorskip("numba")
    run = run_python(THREADING_LAYER, [os.path.join(CONTRIB, "numkeras-mkl")],
                     {"MKL_THREADING_LAYER": setting, "NUMBA_THREADING_LAYER": "omp"})
    assert run.returncode == 0, run.stderr
    if "NO OPENMP" in run.stdout:
        pytest.skip(f"Numba's OpenMP layer does not load here: {run.stdout.strip()}")
    assert f"INTEL {setting is None}" in run.stdout
