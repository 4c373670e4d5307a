"""The loops of fit / evaluate / predict: every call's callbacks see exactly that call's events, in any thread."""

import threading

import numpy as np
import pytest

import numkeras
from numkeras.engine import loop
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import Dense

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 4)).astype("float32")
Y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")


def _model(seed=0):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


class Recorder(numkeras.callbacks.Callback):
    """Every event this callback receives, by name."""

    def __init__(self):
        super().__init__()
        self.events = []

    def _add(self, name, *index):
        self.events.append((name,) + index)

    def on_train_begin(self, logs=None): self._add("train_begin")
    def on_train_end(self, logs=None): self._add("train_end")
    def on_epoch_begin(self, epoch, logs=None): self._add("epoch_begin", epoch)
    def on_epoch_end(self, epoch, logs=None): self._add("epoch_end", epoch)
    def on_train_batch_begin(self, batch, logs=None): self._add("train_batch_begin", batch)
    def on_train_batch_end(self, batch, logs=None): self._add("train_batch_end", batch)
    def on_test_begin(self, logs=None): self._add("test_begin")
    def on_test_end(self, logs=None): self._add("test_end")
    def on_test_batch_begin(self, batch, logs=None): self._add("test_batch_begin", batch)
    def on_test_batch_end(self, batch, logs=None): self._add("test_batch_end", batch)
    def on_predict_begin(self, logs=None): self._add("predict_begin")
    def on_predict_end(self, logs=None): self._add("predict_end")
    def on_predict_batch_begin(self, batch, logs=None): self._add("predict_batch_begin", batch)
    def on_predict_batch_end(self, batch, logs=None): self._add("predict_batch_end", batch)


def expected_fit(epochs, batches):
    events = [("train_begin",)]
    for epoch in range(epochs):
        events.append(("epoch_begin", epoch))
        for batch in range(batches):
            events += [("train_batch_begin", batch), ("train_batch_end", batch)]
        events.append(("epoch_end", epoch))
    return events + [("train_end",)]


def expected_pass(kind, batches):
    events = [(f"{kind}_begin",)]
    for batch in range(batches):
        events += [(f"{kind}_batch_begin", batch), (f"{kind}_batch_end", batch)]
    return events + [(f"{kind}_end",)]


def test_fit_in_one_thread_while_others_predict_and_evaluate_sees_only_its_own_events():
    epochs, batch_size = 3, 10  # 30 batches an epoch: the other threads run during every one of them
    trained, other = _model(0), _model(1)
    fit_recorder = Recorder()
    failures, results = [], {}
    start = threading.Barrier(5)

    def run(name, work):
        try:
            start.wait()
            results[name] = work()
        except BaseException as error:  # reported below, with its thread's name
            failures.append((name, error))

    def fit():
        return trained.fit(X, Y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[fit_recorder])

    def repeated(model, method, times=25):
        def work():
            recorders = []
            for _ in range(times):
                recorder = Recorder()
                if method == "predict":
                    model.predict(X[:40], batch_size=10, callbacks=[recorder])
                else:
                    model.evaluate(X[:40], Y[:40], batch_size=10, verbose=0, callbacks=[recorder])
                recorders.append(recorder)
            return recorders
        return work

    threads = [threading.Thread(target=run, args=("fit", fit))]
    for name, model, method in [("predict same", trained, "predict"), ("evaluate same", trained, "evaluate"),
                                ("predict other", other, "predict"), ("evaluate other", other, "evaluate")]:
        threads.append(threading.Thread(target=run, args=(name, repeated(model, method))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert fit_recorder.events == expected_fit(epochs, len(X) // batch_size)
    history = results["fit"].history
    assert len(history["loss"]) == len(history["mae"]) == epochs
    assert results["fit"] is trained.history
    for name in ("predict same", "predict other"):
        for recorder in results[name]:
            assert recorder.events == expected_pass("predict", 4)
    for name in ("evaluate same", "evaluate other"):
        for recorder in results[name]:
            assert recorder.events == expected_pass("test", 4)


def test_a_hook_plugin_sees_every_call_and_each_call_its_own_callbacks_first():
    seen = []

    class Plugin:
        @hookimpl
        def on_predict_end(self, model, logs):
            seen.append(("plugin", model.name))

    class Last(numkeras.callbacks.Callback):
        def on_predict_end(self, logs=None):
            seen.append(("callback", self.model.name))

    plugin = Plugin()
    plugin_manager().register(plugin)
    try:
        a, b = _model(0), _model(1)
        a.predict(X[:5], callbacks=[Last()])
        b.predict(X[:5])
    finally:
        plugin_manager().unregister(plugin)
    assert seen == [("callback", a.name), ("plugin", a.name), ("plugin", b.name)]


def test_an_evaluate_inside_a_callback_has_its_own_callbacks():
    outer = Recorder()
    inner_recorders = []
    model = _model()

    class EvaluateEachEpoch(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            inner = Recorder()
            self.model.evaluate(X[:20], Y[:20], batch_size=10, verbose=0, callbacks=[inner])
            inner_recorders.append(inner)

    model.fit(X[:20], Y[:20], epochs=2, batch_size=10, verbose=0, callbacks=[outer, EvaluateEachEpoch()])
    assert outer.events == expected_fit(2, 2)
    assert [r.events for r in inner_recorders] == [expected_pass("test", 2)] * 2


@pytest.mark.parametrize("freq, epochs, expected", [(1, 3, [1, 2, 3]), (2, 5, [2, 4]), ([1, 3], 4, [1, 3])])
def test_should_validate_follows_validation_freq(freq, epochs, expected):
    assert [e + 1 for e in range(epochs) if loop.should_validate(e, freq)] == expected


def test_a_bad_validation_freq_is_rejected_before_any_training():
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="fit: validation_freq must be a positive integer or a list .*got 0"):
        model.fit(X, Y, epochs=1, verbose=0, validation_split=0.2, validation_freq=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_the_training_phase_of_a_fit_stays_in_its_own_thread():
    from numkeras import backend as K

    seen_in_fit, seen_elsewhere = [], []
    started, sampled, done = threading.Event(), threading.Event(), threading.Event()

    class Phase(numkeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen_in_fit.append(K.learning_phase())
            started.set()
            # The fit must still be running when the other thread looks:
            # wait (once) until it has taken its first sample.
            sampled.wait(timeout=60)

    def watch():
        started.wait(timeout=60)
        seen_elsewhere.append(K.learning_phase())
        sampled.set()
        while not done.is_set():
            seen_elsewhere.append(K.learning_phase())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        _model().fit(X, Y, epochs=2, batch_size=10, verbose=0, callbacks=[Phase()])
    finally:
        done.set()
        watcher.join(timeout=60)
    assert set(seen_in_fit) == {1}
    assert seen_elsewhere and set(seen_elsewhere) == {0}


def test_fit_leaves_the_global_learning_phase_as_the_user_set_it():
    from numkeras import backend as K

    K.set_learning_phase(1)
    try:
        _model().fit(X[:20], Y[:20], epochs=1, verbose=0)
        assert K.learning_phase() == 1
    finally:
        K.set_learning_phase(0)
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
    assert K.learning_phase() == 0


def test_predict_of_a_per_batch_scalar_output_gives_each_sample_its_batchs_value():
    """Keras 2.2's predict loop writes a batch's scalar into that batch's rows (shape (samples,)); it
    used to fail with a bare "len() of unsized object"."""
    from numkeras import backend as K

    numkeras.utils.set_random_seed(0)
    inputs = numkeras.Input((4,))
    dense = Dense(2)
    model = numkeras.Model(inputs, K.mean(dense(inputs)))
    kernel, bias = dense.get_weights()
    data = X[:10]
    batch_means = [float(np.mean(data[i:i + 4] @ kernel + bias)) for i in range(0, 10, 4)]  # NumPy's own
    expected = np.repeat(batch_means, [4, 4, 2])
    np.testing.assert_allclose(model.predict(data, batch_size=4), expected, rtol=1e-5)

    def batches():
        for start in range(0, 10, 4):
            yield data[start:start + 4]

    np.testing.assert_allclose(model.predict_generator(batches(), steps=3), expected, rtol=1e-5)
    assert model.predict(data[:0]).shape == (0,)
