"""numkeras.backend.blas: every hot-path product goes through one replaceable GEMM kernel."""

import concurrent.futures
import contextlib
import os
import signal
import threading
import time
import types
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numkeras
from numkeras import backend as K
from numkeras.backend import blas
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import LSTM, Conv2D, Dense, Embedding, Flatten, GRU, SimpleRNN
from numkeras.models import Sequential


class RecordingKernel:
    """A kernel that computes with NumPy and records the shapes it was asked for."""

    def __init__(self, decline=False):
        self.calls = []
        self.decline = decline

    def __call__(self, a, b, out):
        self.calls.append((a.shape, b.shape, out is not None))
        if self.decline:
            return None
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


@pytest.fixture
def kernel():
    recording = RecordingKernel()
    previous = blas.set_gemm(recording)
    yield recording
    blas.set_gemm(previous)


def _train(build, x, y):
    numkeras.utils.set_random_seed(1)  # the same initial weights for both runs
    model = build()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


def _images(rng):
    return rng.random((8, 6, 6, 2))


def _features(rng):
    return rng.random((8, 3))


def _tokens(rng):
    return rng.integers(0, 7, (8, 5))


@pytest.mark.parametrize("build, inputs", [
    (lambda: Sequential([Dense(5, activation="relu", input_shape=(3,)), Dense(2)]), _features),
    (lambda: Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2)), Conv2D(2, 2), Flatten(), Dense(2)]),
     _images),
    (lambda: Sequential([Embedding(7, 4, input_length=5), LSTM(3, return_sequences=True), GRU(3), Dense(2)]),
     _tokens),
    (lambda: Sequential([Embedding(7, 4, input_length=5), SimpleRNN(3), Dense(2)]), _tokens),
], ids=["dense", "conv", "lstm-gru", "simple-rnn"])
def test_layers_compute_their_products_with_the_kernel_and_get_numpys_numbers(build, inputs, kernel):
    rng = np.random.default_rng(0)
    x, y = inputs(rng), rng.random((8, 2))
    with_kernel = _train(build, x, y)
    assert kernel.calls, "no product went through the kernel"
    assert all(len(a) == 2 and len(b) == 2 for a, b, _ in kernel.calls)

    blas.set_gemm(None)
    with_numpy = _train(build, x, y)
    for mine, reference in zip(with_kernel, with_numpy):
        np.testing.assert_array_equal(mine, reference)


def test_a_declining_kernel_falls_back_to_numpy():
    declining = RecordingKernel(decline=True)
    previous = blas.set_gemm(declining)
    try:
        a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
        np.testing.assert_array_equal(blas.matmul(a, b), a @ b)
        out = np.empty((2, 4))
        assert blas.matmul(a, b, out=out) is out
        np.testing.assert_array_equal(out, a @ b)
        assert len(declining.calls) == 2
    finally:
        blas.set_gemm(previous)


def test_mixed_dtypes_integers_and_batches_never_reach_the_kernel(kernel):
    a32, b64 = np.ones((2, 3), np.float32), np.ones((3, 2), np.float64)
    assert blas.matmul(a32, b64).dtype == np.float64
    assert blas.matmul(np.ones((2, 3), int), np.ones((3, 2), int)).dtype.kind == "i"
    assert blas.matmul(np.ones((4, 2, 3)), np.ones((3, 2))).shape == (4, 2, 2)
    assert kernel.calls == []


_FLOAT_TYPES = st.sampled_from([np.float32, np.float64])


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), a_type=_FLOAT_TYPES, b_type=_FLOAT_TYPES,
       into=st.sampled_from(["new", "contiguous", "column block"]), seed=st.integers(0, 2**16))
def test_an_inner_dimension_of_one_gives_numpys_matmul(m, n, a_type, b_type, into, seed):
    """x.T @ g for a batch of one sample (an outer product, which NumPy's BLAS path skips).

    numkeras computes it as a broadcast multiply; the reference is NumPy's own matmul, with
    the special values each side would produce (inf * 0, NaN, signed zeros) mixed in.
    """
    rng = np.random.default_rng(seed)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e-300])
    previous = blas.set_gemm(None)
    try:
        with np.errstate(all="ignore"):
            a = np.where(rng.random((m, 1)) < 0.2, rng.choice(specials, (m, 1)),
                         rng.standard_normal((m, 1))).astype(a_type)
            b = np.where(rng.random((1, n)) < 0.2, rng.choice(specials, (1, n)),
                         rng.standard_normal((1, n))).astype(b_type)
            expected = np.matmul(a, b)
            if into == "new":
                got = blas.matmul(a, b)
            else:
                wide = np.full((m, n + 3), 7.0, dtype=expected.dtype)
                out = wide[:, :n] if into == "column block" else np.empty((m, n), dtype=expected.dtype)
                assert blas.matmul(a, b, out=out) is out
                got = out
                np.testing.assert_array_equal(wide[:, n:] if into == "column block" else 7.0, 7.0)
    finally:
        blas.set_gemm(previous)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("a_shape, b_shape", [((5, 1), (5, 3)), ((1, 1), (4, 3)), ((3, 1), (2, 4))])
def test_an_inner_dimension_that_does_not_match_is_still_an_error(a_shape, b_shape):
    """The outer-product path must not broadcast what matmul refuses (K.dot of mismatched shapes)."""
    previous = blas.set_gemm(None)
    try:
        with pytest.raises(ValueError):
            np.matmul(np.ones(a_shape), np.ones(b_shape))
        with pytest.raises(ValueError):
            blas.matmul(np.ones(a_shape), np.ones(b_shape))
        with pytest.raises(ValueError):
            K.dot(K.variable(np.ones(a_shape)), K.variable(np.ones(b_shape)))
    finally:
        blas.set_gemm(previous)


def test_a_one_sample_kernel_gradient_still_goes_to_the_kernel(kernel):
    """The outer-product path is NumPy's fallback: a GEMM plugin is asked first (oneMKL takes it in 48 µs)."""
    x, g = np.arange(3.0).reshape(3, 1), np.arange(4.0).reshape(1, 4)
    np.testing.assert_array_equal(blas.matmul(x, g), np.outer(x, g))
    assert kernel.calls == [((3, 1), (1, 4), False)]


def test_k_dot_and_tensor_matmul_use_the_kernel(kernel):
    a, b = K.variable(np.ones((2, 3))), K.variable(np.full((3, 4), 2.0))
    grad_a, grad_b = K.gradients(K.sum(K.dot(a, b)), [a, b])
    np.testing.assert_array_equal(K.eval(grad_a), np.full((2, 3), 8.0))
    np.testing.assert_array_equal(K.eval(grad_b), np.full((3, 4), 2.0))
    assert len(kernel.calls) == 3  # forward, and one product per gradient


def test_a_hook_plugin_supplies_the_kernel(monkeypatch):
    supplied = RecordingKernel()

    class Plugin:
        @hookimpl
        def numkeras_gemm(self):
            return supplied

    manager = plugin_manager()
    plugin = Plugin()
    manager.register(plugin, name="test-gemm-plugin")
    monkeypatch.setattr(blas, "_kernel", [])  # forget the kernel looked up earlier
    try:
        assert blas.get_gemm() is supplied
        blas.matmul(np.ones((2, 2)), np.ones((2, 2)))
        assert supplied.calls == [((2, 2), (2, 2), False)]
    finally:
        manager.unregister(plugin)


def test_without_a_plugin_the_kernel_is_numpys(monkeypatch):
    monkeypatch.setattr(blas, "_kernel", [])
    assert blas.get_gemm() is None
    assert blas.set_gemm(None) is None


@pytest.mark.parametrize("array", [
    np.random.default_rng(0).standard_normal((300, 7)).astype(np.float32),
    np.random.default_rng(1).standard_normal((5, 3)),
    np.random.default_rng(2).standard_normal((7, 4)).T,  # not C-contiguous
    np.arange(12).reshape(4, 3),  # integers
    np.ones((1, 5), np.float32),
    np.ones((0, 5)),
], ids=["float32", "float64", "transposed", "int", "one-row", "empty"])
def test_column_sums_is_the_sum_over_the_first_axis(array):
    sums = blas.column_sums(array)
    assert sums.shape == (array.shape[1],) and sums.dtype == array.sum(axis=0).dtype
    np.testing.assert_allclose(sums, array.sum(axis=0, dtype=np.float64), rtol=1e-5, atol=1e-6)


class ContiguousOnlyKernel(RecordingKernel):
    """A kernel as the contract allows: it takes a C-contiguous ``out`` only, and counts what it declines."""

    def __init__(self):
        super().__init__()
        self.declined = 0

    def __call__(self, a, b, out):
        if out is not None and not out.flags.c_contiguous:
            self.declined += 1
            return None
        return super().__call__(a, b, out)


def test_an_out_that_is_a_column_block_still_goes_to_the_kernel():
    strict = ContiguousOnlyKernel()
    previous = blas.set_gemm(strict)
    try:
        a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
        wide = np.zeros((2, 7))
        assert blas.matmul(a, b, out=wide[:, 2:6]) is not None
        np.testing.assert_array_equal(wide[:, 2:6], a @ b)
        np.testing.assert_array_equal(wide[:, :2], 0)
        np.testing.assert_array_equal(wide[:, 6:], 0)
        assert strict.declined == 0 and strict.calls == [((2, 3), (3, 4), False)]
    finally:
        blas.set_gemm(previous)


@pytest.mark.parametrize("build", [
    lambda: Sequential([Embedding(7, 4, input_length=5), GRU(3)]),
    lambda: Sequential([Embedding(7, 4, input_length=5), GRU(3, reset_after=True, return_sequences=True), GRU(2)]),
    lambda: Sequential([Embedding(7, 4, input_length=5, mask_zero=True), LSTM(3, return_sequences=True),
                        SimpleRNN(2)]),
    lambda: Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2)), Flatten(), Dense(2)]),
], ids=["gru", "gru-reset-after", "lstm-simple-rnn-masked", "conv-dense"])
def test_no_product_of_a_training_step_leaves_the_kernel_for_numpy(build):
    """With a GEMM plugin, every product of a step goes to it: none falls back to NumPy's BLAS per timestep.

    The regression: GRU's forward wrote its products into column blocks of a wider array; a
    kernel that declines such an ``out`` (oneMKL's did) left two products per timestep to
    NumPy's BLAS, and the two libraries' threads fought for the cores (GRU training 3.5x slower).
    """
    strict = ContiguousOnlyKernel()
    previous = blas.set_gemm(strict)
    try:
        rng = np.random.default_rng(0)
        model = build()
        x = rng.random((4, 6, 6, 2)) if len(model.input_shape) == 4 else rng.integers(0, 7, (4, 5))
        model.compile(optimizer="sgd", loss="mse")
        model.train_on_batch(x, rng.random((4,) + tuple(model.output_shape[1:])))
        assert strict.calls and strict.declined == 0
    finally:
        blas.set_gemm(previous)


def test_one_thread_runs_the_products_on_one_blas_thread_and_restores_the_count():
    controls = blas._openblas_threads()
    if controls is None:
        pytest.skip("this NumPy is not built on the OpenBLAS of the PyPI wheels")
    get, set_ = controls
    before = get()
    set_(2)
    try:
        a, b = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(4, 2)
        with blas.one_thread():
            assert get() == 1
            np.testing.assert_array_equal(blas.matmul(a, b), a @ b)
        assert get() == 2
        with pytest.raises(ZeroDivisionError), blas.one_thread():
            1 / 0
        assert get() == 2  # restored after an error too
    finally:
        set_(before)


def test_one_thread_blocks_of_several_threads_hold_one_thread_until_the_last_leaves(monkeypatch):
    """OpenBLAS's count is the process's: two threads' blocks overlapping, the first to leave must
    not give the other's block back all the threads; the last to leave restores the count."""
    count, lock = [4], threading.Lock()

    def get():
        with lock:
            return count[0]

    def set_(n):
        with lock:
            count[0] = n

    monkeypatch.setattr(blas, "_openblas_threads", lambda: (get, set_))
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with blas.one_thread():
            a_in.set()
            b_in.wait(5)
            seen["a inside, both in"] = get()
        a_out.set()

    def second():
        a_in.wait(5)
        with blas.one_thread():
            b_in.set()
            a_out.wait(5)
            seen["b inside, a left"] = get()
        seen["b left"] = get()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"a inside, both in": 1, "b inside, a left": 1, "b left": 4}
    assert blas._one_thread_state["blocks"] == 0


@settings(max_examples=40, deadline=None)
@given(order=st.permutations("aabbcc"), start=st.integers(1, 8))
def test_one_thread_blocks_restore_the_count_in_any_order(order, start):
    """Three blocks entered and left in any interleaving (a name's first appearance enters its
    block, the second leaves it): one thread while any is open, the starting count after."""
    count, blocks = [start], {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blas, "_openblas_threads", lambda: (lambda: count[0], lambda n: count.__setitem__(0, n)))
        try:
            for name in order:
                if name in blocks:
                    blocks.pop(name).__exit__(None, None, None)
                else:
                    blocks[name] = blas.one_thread()
                    blocks[name].__enter__()
                assert count[0] == (1 if blocks else start), (order, name)
        finally:  # a failing example must not leave blocks open for the tests after it
            for block in blocks.values():
                block.__exit__(None, None, None)
    assert blas._one_thread_state["blocks"] == 0


def test_a_one_thread_block_closed_by_another_thread_restores_the_count(monkeypatch):
    """A generator suspended inside a block may be finalised on another thread."""
    count = [4]
    monkeypatch.setattr(blas, "_openblas_threads", lambda: (lambda: count[0], lambda n: count.__setitem__(0, n)))
    block = blas.one_thread()
    block.__enter__()
    assert count[0] == 1
    closer = threading.Thread(target=block.__exit__, args=(None, None, None))
    closer.start()
    closer.join(10)
    assert count[0] == 4 and blas._one_thread_state["blocks"] == 0 and not blas._one_thread_depths


def _reap(pid, seconds=30):
    """The child's exit code, killing it if it has not exited within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "killed after %d s" % seconds


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("forking_thread_inside", [False, True])
def test_a_forked_child_keeps_only_the_forking_threads_blocks(monkeypatch, forking_thread_inside):
    """Another thread inside a block at the fork does not live on in the child: there the count
    comes back once the forking thread's own blocks (if any) close, and the lock is usable."""
    count = [4]
    monkeypatch.setattr(blas, "_openblas_threads", lambda: (lambda: count[0], lambda n: count.__setitem__(0, n)))
    inside, leave = threading.Event(), threading.Event()

    def other():
        with blas.one_thread():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    pid = None
    try:
        inside.wait(10)
        own = blas.one_thread() if forking_thread_inside else contextlib.nullcontext()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork() of a process with threads
            with own:
                pid = os.fork()
                if pid == 0:  # the child: report through the exit status, never return into pytest
                    status = 1
                    try:
                        signal.alarm(20)
                        expected = (1, 1) if forking_thread_inside else (0, 4)
                        status = 0 if (blas._one_thread_state["blocks"], count[0]) == expected else 2
                        if forking_thread_inside:
                            own.__exit__(None, None, None)
                            status = status or (0 if (blas._one_thread_state["blocks"], count[0]) == (0, 4) else 3)
                        with blas.one_thread():  # the lock is usable
                            status = status or (0 if count[0] == 1 else 4)
                    finally:
                        os._exit(status)
    finally:
        leave.set()
        thread.join(10)
        code = _reap(pid) if pid else None
    assert code == 0
    assert count[0] == 4 and blas._one_thread_state["blocks"] == 0


def test_one_thread_enters_the_gemm_kernels_own_block(kernel):
    entered = []

    @contextlib.contextmanager
    def kernel_block():
        entered.append("in")
        yield
        entered.append("out")

    kernel.one_thread = kernel_block
    with blas.one_thread():
        assert entered == ["in"]
    assert entered == ["in", "out"]


@pytest.mark.parametrize("layer", [lambda: LSTM(3), lambda: GRU(3), lambda: GRU(3, reset_after=True),
                                   lambda: SimpleRNN(3)], ids=["lstm", "gru", "gru-reset-after", "simple-rnn"])
def test_the_recurrent_time_loops_are_step_products(monkeypatch, layer):
    """Each op's forward and backward loop is one ``step_products`` block, every product inside
    it goes through the function the block yields, and the block is told the largest of them
    (the LSTM's forward loop is kernels.lstm_sequence's reference)."""
    from numkeras.backend import kernels
    from numkeras.backend.ops import recurrent

    blocks = []

    @contextlib.contextmanager
    def recording(largest=None):
        sizes = []
        blocks.append((largest, sizes))

        def product(a, b, out=None):
            sizes.append(a.shape[0] * a.shape[1] * b.shape[1])
            return blas.matmul(a, b, out)

        yield product

    monkeypatch.setattr(recurrent, "step_products", recording)
    monkeypatch.setattr(kernels, "step_products", recording)
    x = K.variable(np.random.default_rng(0).random((2, 4, 5)))
    K.sum(layer()(x)).backward()
    assert len(blocks) == 2  # the forward loop and the backward loop
    for largest, sizes in blocks:
        assert len(sizes) >= 4  # at least one product per timestep
        assert largest == max(sizes)


def _loops_kernel(bound):
    kernel = RecordingKernel()
    kernel.numpy_loops_up_to = bound
    return kernel


@pytest.mark.parametrize("bound, largest, numpys", [(None, 100, False), (100, None, False), (100, 100, True),
                                                    (100, 101, False), (0, 1, False)])
def test_step_products_leave_a_loop_to_numpy_only_up_to_the_kernels_bound(bound, largest, numpys):
    previous = blas.set_gemm(_loops_kernel(bound) if bound is not None else RecordingKernel())
    try:
        with blas.step_products(largest) as product:
            assert product is (blas.numpy_matmul if numpys else blas.matmul)
    finally:
        blas.set_gemm(previous)


@pytest.mark.parametrize("build", [
    lambda: Sequential([Embedding(7, 4, input_length=5), GRU(3)]),
    lambda: Sequential([Embedding(7, 4, input_length=5), GRU(3, reset_after=True)]),
    lambda: Sequential([Embedding(7, 4, input_length=5, mask_zero=True), LSTM(3, return_sequences=True),
                        SimpleRNN(2, go_backwards=True)]),
], ids=["gru", "gru-reset-after", "lstm-simple-rnn-masked"])
def test_a_kernel_that_leaves_small_loops_to_numpy_sees_none_of_their_products(build, monkeypatch):
    """Such a kernel still computes the input projections and the gradients over all timesteps,
    none of the products inside the time loops, and training gives the same numbers as NumPy's alone;
    with a bound below the loops' products it computes those too."""
    from numkeras.backend.ops import recurrent

    inside = [False]

    @contextlib.contextmanager
    def marking(largest=None):
        with blas.step_products(largest) as product:
            inside[0] = True
            try:
                yield product
            finally:
                inside[0] = False

    monkeypatch.setattr(recurrent, "step_products", marking)
    rng = np.random.default_rng(5)
    x, y = rng.integers(0, 7, (4, 5)), rng.random((4, 1))

    def train(bound):
        where = []  # for each product the kernel computed: whether inside a time loop

        def kernel(a, b, out):
            where.append(inside[0])
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)

        if bound is not None:
            kernel.numpy_loops_up_to = bound
        else:
            kernel = None
        previous = blas.set_gemm(kernel)
        try:
            numkeras.utils.set_random_seed(0)
            model = Sequential(build().layers + [Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            loss = model.train_on_batch(x, y)
            return loss, model.get_weights(), where
        finally:
            blas.set_gemm(previous)

    loss, weights, where = train(10**6)
    reference_loss, reference_weights, _ = train(None)
    assert where and not any(where)  # the projections and the whole-sequence gradients, no step product
    np.testing.assert_allclose(loss, reference_loss, rtol=1e-12)
    for mine, reference in zip(weights, reference_weights):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-15)
    _, _, where = train(0)
    assert any(where)  # the loops' products go to a kernel whose bound is below them


def _step_products_on_one_thread(monkeypatch, load):
    """Whether ``step_products`` enters ``one_thread`` on a 2-core machine with this load average."""
    monkeypatch.setattr(blas.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(blas.os, "cpu_count", lambda: 2)
    entered = []

    @contextlib.contextmanager
    def recording():
        entered.append(True)
        yield

    monkeypatch.setattr(blas, "one_thread", recording)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with blas.step_products():
            pass
    return bool(entered)


@pytest.mark.parametrize("load, busy", [(0.5, False), (2.0, False), (3.5, True)])
def test_step_products_use_one_thread_only_while_other_processes_hold_the_cores(monkeypatch, load, busy):
    monkeypatch.delenv("NUMKERAS_STEP_THREADS", raising=False)
    assert _step_products_on_one_thread(monkeypatch, load) is busy
    assert blas.cores_busy() is busy


@pytest.mark.parametrize("setting, load, one", [("1", 0.5, True), ("all", 9.0, False), ("auto", 9.0, True),
                                                ("AUTO", 0.5, False), (" 1 ", 0.5, True), ("", 9.0, True)])
def test_numkeras_step_threads_fixes_the_choice_either_way(monkeypatch, setting, load, one):
    monkeypatch.setenv("NUMKERAS_STEP_THREADS", setting)
    assert _step_products_on_one_thread(monkeypatch, load) is one


@given(st.text(max_size=6).filter(lambda v: v.strip().lower() not in ("", "auto", "1", "all") and "\x00" not in v))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_other_step_threads_setting_warns_once_and_lets_the_load_decide(monkeypatch, setting):
    monkeypatch.setenv("NUMKERAS_STEP_THREADS", setting)
    monkeypatch.setattr(blas, "_warned", set())
    with pytest.warns(RuntimeWarning, match="NUMKERAS_STEP_THREADS=.* is not 1, all or auto"):
        assert blas.step_threads() == "auto"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert blas.step_threads() == "auto"


def test_without_a_load_average_the_cores_count_as_free(monkeypatch):
    monkeypatch.delattr(blas.os, "getloadavg", raising=False)
    assert blas.cores_busy() is False


def test_a_bad_step_threads_setting_warns_once_when_many_threads_read_it_at_once(monkeypatch):
    """The check and the record of a warning are one step: a set slow to answer a lookup makes threads that
    read the setting together overlap between the two."""

    class SlowSet(set):
        def __contains__(self, value):
            found = super().__contains__(value)
            time.sleep(0.02)  # between the lookup and its answer: the other threads look meanwhile
            return found

    warned = []
    monkeypatch.setenv("NUMKERAS_STEP_THREADS", "two")
    monkeypatch.setattr(blas, "_warned", SlowSet())
    record = types.SimpleNamespace(warn=lambda message, *args, **kwargs: warned.append(message))
    monkeypatch.setattr(blas, "warnings", record)
    start = threading.Barrier(6)

    def read():
        start.wait()
        return blas.step_threads()

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        settings_read = list(pool.map(lambda _: read(), range(6)))
    assert settings_read == ["auto"] * 6
    assert len(warned) == 1 and "NUMKERAS_STEP_THREADS='two'" in warned[0]


# -- batched products ----------------------------------------------------------------------------
def _batch_operands(rng, count, m, k, n, layout):
    """``(a, b)`` of a batch: C order, ``a`` as the transposed view Winograd's tiles are, or ``b``'s
    matrices transposed."""
    a, b = rng.standard_normal((count, m, k)), rng.standard_normal((count, k, n))
    if layout == "a batch-inner":  # (m, count, k) in memory: each a[i] is rows of a wider buffer
        a = np.ascontiguousarray(a.transpose(1, 0, 2)).transpose(1, 0, 2)
    elif layout == "b transposed":
        b = np.ascontiguousarray(b.transpose(0, 2, 1)).transpose(0, 2, 1)
    return a, b


@pytest.mark.parametrize("layout", ["C", "a batch-inner", "b transposed"])
@given(count=st.integers(1, 5), m=st.integers(1, 9), k=st.integers(1, 9), n=st.integers(1, 9))
@settings(max_examples=20, deadline=None)
def test_batched_matmul_is_one_product_per_matrix(layout, count, m, k, n):
    rng = np.random.default_rng(count * 1000 + m * 100 + k * 10 + n)
    a, b = _batch_operands(rng, count, m, k, n, layout)
    out = np.empty((count, m, n))
    previous = blas.set_gemm(None)
    try:
        assert blas.batched_matmul(a, b, out) is out
    finally:
        blas.set_gemm(previous)
    np.testing.assert_allclose(out, np.einsum("imk,ikn->imn", a, b), rtol=1e-12, atol=1e-12)


def test_batched_matmul_asks_a_kernels_batched_attribute_and_falls_back_where_it_declines():
    rng = np.random.default_rng(0)
    a, b = _batch_operands(rng, 3, 4, 5, 2, "a batch-inner")
    asked, products = [], []

    def gemm(x, y, out):
        products.append(x.shape)
        return None

    def batched(x, y, out):
        asked.append((x.shape, y.shape, out.shape))
        return None  # declines: one product per matrix, through gemm, then NumPy

    gemm.batched = batched
    out = np.empty((3, 4, 2))
    previous = blas.set_gemm(gemm)
    try:
        blas.batched_matmul(a, b, out)
        assert asked == [((3, 4, 5), (3, 5, 2), (3, 4, 2))] and products == [(4, 5)] * 3
        del asked[:], products[:]
        gemm.batched = lambda x, y, out: np.matmul(x, y, out=out) * 0 + out  # answers (returns non-None)
        blas.batched_matmul(a, b, out)
        assert products == []
    finally:
        blas.set_gemm(previous)
    np.testing.assert_allclose(out, np.einsum("imk,ikn->imn", a, b), rtol=1e-12)


def cblas_gemm_product(gemm, a, b):
    """``a @ b`` (C-contiguous, float32 or float64) by the row-major CBLAS ``?gemm`` that ``gemm``
    (``step_gemm``'s answer: an address and the bytes of its integers) points to, called through ctypes."""
    import ctypes

    address, index_bytes = gemm
    index = ctypes.c_int32 if index_bytes == 4 else ctypes.c_int64
    scalar = ctypes.c_float if a.dtype == np.float32 else ctypes.c_double
    routine = ctypes.CFUNCTYPE(None, *[ctypes.c_int] * 3, index, index, index, scalar, ctypes.c_void_p, index,
                               ctypes.c_void_p, index, scalar, ctypes.c_void_p, index)(address)
    (m, k), n = a.shape, b.shape[1]
    out = np.full((m, n), np.nan, dtype=a.dtype)
    routine(101, 111, 111, m, n, k, 1.0, a.ctypes.data, k, b.ctypes.data, n, 0.0, out.ctypes.data, n)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_gemm_without_a_kernel_is_numpys_openblas_and_gives_numpys_numbers(dtype):
    if blas._openblas_library() is None:
        pytest.skip("this NumPy is not built against the OpenBLAS of NumPy's wheels")
    previous = blas.set_gemm(None)
    try:
        gemm = blas.step_gemm(1 << 21, dtype)
    finally:
        blas.set_gemm(previous)
    assert gemm is not None and gemm[1] in (4, 8)
    rng = np.random.default_rng(3)
    for m, k, n in [(32, 128, 512), (3, 7, 5), (64, 33, 17)]:
        a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
        np.testing.assert_array_equal(cblas_gemm_product(gemm, a, b), np.matmul(a, b))


def test_step_gemm_asks_the_kernel_and_follows_its_numpy_loops_bound():
    def gemm(a, b, out):
        return None

    asked = []
    gemm.cblas_gemm = lambda dtype: asked.append(dtype) or (1234, 4)
    gemm.numpy_loops_up_to = 100
    previous = blas.set_gemm(gemm)
    try:
        assert blas.step_gemm(101, np.float32) == (1234, 4) and asked == [np.dtype(np.float32)]
        assert blas.step_gemm(100, np.float32) == blas._openblas_gemm(np.dtype(np.float32))  # NumPy's loop
        assert blas.step_gemm(100, np.int32) is None  # no integer GEMM in NumPy's OpenBLAS
        del gemm.cblas_gemm  # a kernel that says nothing of its routine: no compiled loop may call one
        assert blas.step_gemm(101, np.float32) is None
    finally:
        blas.set_gemm(previous)


def test_step_packed_gemm_is_the_kernels_and_none_where_numpy_multiplies():
    def gemm(a, b, out):
        return None

    asked = []
    gemm.packed_cblas_gemm = lambda dtype: asked.append(dtype) or (5678, 4, "pack")
    gemm.numpy_loops_up_to = 100
    previous = blas.set_gemm(gemm)
    try:
        assert blas.step_packed_gemm(101, np.float32) == (5678, 4, "pack") and asked == [np.dtype(np.float32)]
        assert blas.step_packed_gemm(100, np.float32) is None  # NumPy's loop: its OpenBLAS packs nothing
        del gemm.packed_cblas_gemm  # a kernel without a packed routine
        assert blas.step_packed_gemm(101, np.float32) is None
        blas.set_gemm(None)
        assert blas.step_packed_gemm(1 << 21, np.float32) is None
    finally:
        blas.set_gemm(previous)
