"""fit / evaluate / predict on generators and Sequences (and *_generator), through the one training loop."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense
from numkeras.utils import Sequence, set_random_seed

X = np.random.default_rng(0).random((60, 3)).astype("float32")
Y = X @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")


def _model():
    set_random_seed(3)
    model = numkeras.Sequential([Dense(8, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile(numkeras.optimizers.SGD(lr=0.05), "mse", metrics=["mae"])
    return model


class ArraySequence(Sequence):
    """Batches of 10 from X, Y; records each batch index served and each on_epoch_end."""

    def __init__(self, batch_size=10, fail_at=None):
        self.batch_size, self.fail_at = batch_size, fail_at
        self.served, self.epochs_ended = [], 0

    def __len__(self):
        return len(X) // self.batch_size

    def __getitem__(self, index):
        if index == self.fail_at:
            raise ArithmeticError(f"cannot make batch {index}")
        self.served.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return X[part], Y[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def batches(batch_size=10, with_weights=False):
    """An endless generator over X, Y, like the ones Keras tutorials write."""
    while True:
        for start in range(0, len(X), batch_size):
            part = slice(start, start + batch_size)
            yield (X[part], Y[part], np.ones(len(X[part]))) if with_weights else (X[part], Y[part])


def _no_children_left():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


# -- the same training whatever the data source ----------------------------------------------------------
def test_generator_sequence_and_arrays_train_identically():
    reference = _model()
    expected = reference.fit(X, Y, batch_size=10, epochs=3, shuffle=False, verbose=0).history
    for data, kwargs in [(batches(), dict(steps_per_epoch=6)), (ArraySequence(), dict(shuffle=False)),
                         (batches(with_weights=True), dict(steps_per_epoch=6, workers=0))]:
        model = _model()
        history = model.fit(data, epochs=3, verbose=0, **kwargs).history
        assert history["loss"] == pytest.approx(expected["loss"], rel=1e-6)
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_sequence_on_epoch_end_runs_after_every_pass(workers):
    """Each pass fetches every batch once; the order of the fetches is the worker threads' (seen to vary
    under Python 3.13 with three), the order of training is the sequence's: the weights of an in-order fit."""
    sequence, reference = ArraySequence(), _model()
    model = _model()
    model.fit(sequence, epochs=3, verbose=0, workers=workers, shuffle=False)
    assert [sorted(sequence.served[start:start + 6]) for start in (0, 6, 12)] == [list(range(6))] * 3
    assert sequence.epochs_ended == 3  # once after every epoch, the last one included, as Keras does
    reference.fit(X, Y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)


class EpochAwareSequence(ArraySequence):
    """Records, for each batch served, how many times on_epoch_end had run before it."""

    def __getitem__(self, index):
        self.served.append((self.epochs_ended, index))
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return X[part], Y[part]


@pytest.mark.parametrize("workers, use_multiprocessing", [(0, False), (1, False), (3, False), (2, True)])
def test_on_epoch_end_runs_once_after_every_epoch_for_training_and_validation(workers, use_multiprocessing):
    train, validation = EpochAwareSequence(), EpochAwareSequence(batch_size=20)
    ended_at_epoch_end = []

    class Probe(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ended_at_epoch_end.append((train.epochs_ended, validation.epochs_ended))

    _model().fit(train, validation_data=validation, epochs=3, verbose=0, workers=workers,
                 use_multiprocessing=use_multiprocessing, shuffle=False, callbacks=[Probe()])
    assert (train.epochs_ended, validation.epochs_ended) == (3, 3)
    # the epoch's own pass ended before its callbacks ran, and no later batch was fetched early
    assert ended_at_epoch_end == [(1, 1), (2, 2), (3, 3)]
    if not use_multiprocessing:  # worker processes serve from their own copy of the sequence
        # (epochs ended before the fetch, index): every batch of a pass after the previous pass ended;
        # sorted, since worker threads fetch in the order they are scheduled
        assert sorted(train.served) == [(epoch, index) for epoch in range(3) for index in range(6)]
        assert sorted(validation.served) == [(epoch, index) for epoch in range(3) for index in range(3)]


def test_evaluate_and_predict_on_a_sequence_end_its_pass():
    sequence = ArraySequence()
    model = _model()
    model.evaluate(sequence, verbose=0, workers=0)
    model.predict(sequence, workers=1)
    assert sequence.epochs_ended == 2


def test_sequence_shuffle_visits_every_batch_once_per_epoch():
    sequence = ArraySequence()
    _model().fit(sequence, epochs=2, verbose=0, workers=0)
    first, second = sequence.served[:6], sequence.served[6:]
    assert sorted(first) == sorted(second) == list(range(6))
    assert first != list(range(6)) or second != list(range(6))


def test_generator_epochs_continue_where_the_last_stopped():
    seen = []

    def tracking():
        for index in range(100):
            seen.append(index)
            yield X[:5], Y[:5]

    _model().fit(tracking(), steps_per_epoch=4, epochs=2, verbose=0, workers=0)
    assert seen == list(range(8))


def test_validation_from_a_generator_and_from_a_sequence():
    model = _model()
    history = model.fit(batches(), steps_per_epoch=6, epochs=2, verbose=0,
                        validation_data=batches(batch_size=30), validation_steps=2)
    expected = model.evaluate(X, Y, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(expected[0], rel=1e-5)
    history = model.fit(ArraySequence(), epochs=1, verbose=0, validation_data=ArraySequence())
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]


def test_evaluate_and_predict_accept_generators_and_sequences():
    model = _model()
    loss, mae = model.evaluate(X, Y, batch_size=10, verbose=0)
    assert model.evaluate(batches(), steps=6, verbose=0) == pytest.approx([loss, mae], rel=1e-6)
    assert model.evaluate(ArraySequence(), verbose=0) == pytest.approx([loss, mae], rel=1e-6)
    assert model.evaluate_generator(batches(), steps=6) == pytest.approx([loss, mae], rel=1e-6)
    expected = model.predict(X)
    np.testing.assert_allclose(model.predict(ArraySequence()), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict((x for x, _ in batches()), steps=6), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict_generator(batches(), steps=6, workers=2), expected, rtol=1e-6)


def test_fit_generator_keeps_working_with_keras_1_names():
    model = _model()
    history = model.fit_generator(batches(), steps_per_epoch=6, epochs=2, verbose=0)
    assert len(history.epoch) == 2
    with pytest.warns(DeprecationWarning) as record:
        history = model.fit_generator(batches(), samples_per_epoch=3, nb_epoch=2, verbose=0, nb_worker=1,
                                      pickle_safe=False, max_q_size=4)
    assert len(history.epoch) == 2
    messages = " ".join(str(w.message) for w in record)
    assert "'samples_per_epoch' is deprecated; use 'steps_per_epoch' instead (Keras 2 counts batches" in messages
    for old, new in [("nb_epoch", "epochs"), ("nb_worker", "workers"), ("pickle_safe", "use_multiprocessing"),
                     ("max_q_size", "max_queue_size")]:
        assert f"'{old}' is deprecated; use '{new}'" in messages
    with pytest.raises(TypeError, match="unexpected"):
        model.fit_generator(batches(), steps_per_epoch=1, nb_epochs=2)


def test_class_weight_applies_to_generator_batches():
    def classifier():
        set_random_seed(5)
        model = numkeras.Sequential([Dense(2, input_shape=(3,), activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
        return model

    labels = (X[:, 0] > 0.5).astype("int64")
    expected = classifier().test_on_batch(X, labels, sample_weight=np.where(labels == 1, 3.0, 0.2))
    unweighted = classifier().test_on_batch(X, labels)
    endless = ((X, labels) for _ in iter(int, 1))
    # the first batch's logged loss is computed before the update, at the same initial weights
    loss = classifier().fit(endless, steps_per_epoch=1, epochs=1, verbose=0, workers=0,
                            class_weight={0: 0.2, 1: 3.0}).history["loss"][0]
    assert loss == pytest.approx(expected, rel=1e-5) and loss != pytest.approx(unweighted, rel=1e-3)


# -- errors ------------------------------------------------------------------------------------------------
def test_a_generator_needs_steps_and_well_formed_batches():
    model = _model()
    with pytest.raises(ValueError, match="steps_per_epoch=None is only valid for a generator based on the"):
        model.fit(batches(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_steps=None"):
        model.fit(batches(), steps_per_epoch=1, validation_data=batches(), verbose=0)
    with pytest.raises(ValueError, match="steps=None"):
        model.evaluate(batches(), verbose=0)
    with pytest.raises(ValueError, match=r"Output of generator should be a tuple \(x, y, sample_weight\) or "
                                         r"\(x, y\). Found: a list of length 2"):
        model.fit((list(b) for b in batches()), steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="pass no y"):
        model.fit(batches(), Y, steps_per_epoch=1, verbose=0)


def test_a_generator_that_runs_out_stops_training_with_a_warning():
    model = _model()
    finite = (b for _, b in zip(range(8), batches()))
    with pytest.warns(UserWarning, match="ran out of data after 2 of 6 steps; interrupting training"):
        history = model.fit(finite, steps_per_epoch=6, epochs=5, verbose=0)
    assert len(history.epoch) == 2


# -- background workers --------------------------------------------------------------------------------------
def test_process_workers_train_to_the_same_result_as_in_process():
    results = []
    for kwargs in (dict(workers=0), dict(workers=2, use_multiprocessing=True)):
        model = _model()
        set_random_seed(11)  # the batch order of each epoch is shuffled from this seed
        history = model.fit(ArraySequence(), epochs=3, verbose=0, validation_data=ArraySequence(), **kwargs)
        results.append((history.history, model.get_weights()))
    (history_a, weights_a), (history_b, weights_b) = results
    assert history_a == history_b
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    assert _no_children_left()


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_an_exception_in_the_sequence_surfaces_with_its_traceback(use_multiprocessing):
    model = _model()
    with pytest.raises(ArithmeticError, match="cannot make batch 4") as raised:
        model.fit(ArraySequence(fail_at=4), epochs=2, verbose=0, shuffle=False, workers=2,
                  use_multiprocessing=use_multiprocessing)
    if use_multiprocessing:
        assert "__getitem__" in str(raised.value.__cause__)
    else:
        assert any(entry.name == "__getitem__" for entry in raised.traceback)
    assert _no_children_left()
    assert model.fit(ArraySequence(), epochs=1, verbose=0, workers=2,
                     use_multiprocessing=use_multiprocessing).history["loss"]  # still trainable


def test_an_exception_in_a_generator_worker_surfaces_in_the_main_process():
    def broken():
        yield X[:10], Y[:10]
        raise LookupError("the generator failed")

    for kwargs in (dict(workers=1), dict(workers=1, use_multiprocessing=True)):
        with pytest.raises(LookupError, match="the generator failed") as raised:
            _model().fit(broken(), steps_per_epoch=3, epochs=1, verbose=0, **kwargs)
        tracebacks = str(raised.value.__cause__) if kwargs.get("use_multiprocessing") else \
            "".join(entry.name for entry in raised.traceback)
        assert "broken" in tracebacks
    assert _no_children_left()


def test_keyboard_interrupt_in_the_loop_stops_every_worker():
    class Interrupt(numkeras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _model().fit(ArraySequence(), epochs=2, verbose=0, workers=2, use_multiprocessing=True,
                     callbacks=[Interrupt()])
    assert _no_children_left()


CTRL_C = textwrap.dedent("""
    import signal, sys, time
    # Python raises KeyboardInterrupt only if SIGINT was not ignored when it started, and a test
    # run launched in the background (`pytest &`, nohup) passes SIG_IGN on: restore Ctrl-C's handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    import numkeras
    from numkeras.layers import Dense
    from numkeras.utils import Sequence

    class Slow(Sequence):
        def __len__(self):
            return 1000
        def __getitem__(self, index):
            time.sleep(0.01)
            return np.ones((4, 3), "float32"), np.ones((4, 1), "float32")

    class Ready(numkeras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 1:
                print("training", flush=True)

    model = numkeras.Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    try:
        model.fit(Slow(), epochs=1, verbose=0, workers=2, use_multiprocessing=True, callbacks=[Ready()])
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
""")


def test_ctrl_c_interrupts_training_and_leaves_no_worker_behind():
    process = subprocess.Popen([sys.executable, "-c", CTRL_C], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "training"
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground process group
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 3 and "interrupted" in out
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break  # nothing of the group is left
            time.sleep(0.05)
        else:
            pytest.fail("worker processes outlived the interrupted training")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


# -- steps with arrays ------------------------------------------------------------------------------------------
def test_steps_per_epoch_with_arrays_continues_across_epochs():
    sizes = []
    recorder = numkeras.callbacks.LambdaCallback(on_batch_begin=lambda batch, logs: sizes.append(logs["size"]))
    history = _model().fit(X, Y, batch_size=25, steps_per_epoch=2, epochs=3, verbose=0, callbacks=[recorder])
    # 60 samples in batches of 25, 25, 10, then the next (reshuffled) pass
    assert sizes == [25, 25, 10, 25, 25, 10] and len(history.epoch) == 3


def test_validation_steps_and_validation_batch_size_with_arrays():
    sizes = []
    recorder = numkeras.callbacks.LambdaCallback(on_test_batch_begin=lambda batch, logs: sizes.append(logs["size"]))
    model = _model()
    model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y), validation_batch_size=7, validation_steps=3,
              callbacks=[recorder])
    assert sizes == [7, 7, 7]
    sizes.clear()
    model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y), validation_batch_size=50, callbacks=[recorder])
    assert sizes == [50, 10]
    assert model.evaluate(X, Y, batch_size=10, steps=2, verbose=0) == pytest.approx(
        model.evaluate(X[:20], Y[:20], verbose=0), rel=1e-6)
    assert model.predict(X, batch_size=10, steps=2).shape == (20, 1)


def test_a_subclassed_model_is_built_from_the_first_generator_batch():
    class Regressor(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(4, activation="relu")
            self.out = Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    seen = []

    def counted():
        for batch in batches():
            seen.append(1)
            yield batch

    set_random_seed(0)
    model = Regressor()
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(counted(), steps_per_epoch=3, epochs=2, verbose=0, workers=0)
    assert sorted(history.history) == ["loss", "mae"] and len(seen) == 6  # the first batch is not lost
    fresh = Regressor()
    fresh.compile("sgd", "mse")
    assert np.isfinite(fresh.evaluate(batches(), steps=2, verbose=0))
    assert Regressor().predict((x for x, _ in batches()), steps=2).shape == (20, 1)
