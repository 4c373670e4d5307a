"""The documented order of training events, seen alike by a Callback passed to fit and by a hook plugin.

The order (see ``numkeras.callbacks.base``)::

    train_begin
      epoch_begin
        batch_begin / batch_end           (every training batch)
        test_begin                        (validation, when it runs this epoch)
          test_batch_begin / test_batch_end
        test_end
      epoch_end                           (logs include val_*)
    train_end
"""

import numpy as np
import pytest

import numkeras
from numkeras.hooks import hookimpl, plugin_manager
from numkeras.layers import Dense

X = np.arange(30, dtype="float32").reshape(10, 3) / 30.0
Y = X.sum(axis=1, keepdims=True)


def _expected_fit(epochs=2, train_batches=2, val_batches=1):
    events = ["train_begin"]
    for epoch in range(epochs):
        events.append(("epoch_begin", epoch))
        for batch in range(train_batches):
            events += [("batch_begin", batch), ("batch_end", batch)]
        events.append("test_begin")
        for batch in range(val_batches):
            events += [("test_batch_begin", batch), ("test_batch_end", batch)]
        events += ["test_end", ("epoch_end", epoch)]
    return events + ["train_end"]


class RecordingCallback(numkeras.callbacks.Callback):
    """Overrides every Keras 2.2 callback method (batch events under their on_batch_* names)."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def _add(self, event, index=None, logs=None):
        self.log.append(("callback", event if index is None else (event, index), dict(logs or {})))

    def on_train_begin(self, logs=None): self._add("train_begin", logs=logs)
    def on_train_end(self, logs=None): self._add("train_end", logs=logs)
    def on_epoch_begin(self, epoch, logs=None): self._add("epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._add("epoch_end", epoch, logs)
    def on_batch_begin(self, batch, logs=None): self._add("batch_begin", batch, logs)
    def on_batch_end(self, batch, logs=None): self._add("batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._add("test_begin", logs=logs)
    def on_test_end(self, logs=None): self._add("test_end", logs=logs)
    def on_test_batch_begin(self, batch, logs=None): self._add("test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._add("test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._add("predict_begin", logs=logs)
    def on_predict_end(self, logs=None): self._add("predict_end", logs=logs)
    def on_predict_batch_begin(self, batch, logs=None): self._add("predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._add("predict_batch_end", batch, logs)


class RecordingPlugin:
    """A hook plugin implementing every training hookspec."""

    def __init__(self, log):
        self.log = log

    def _add(self, event, index=None, logs=None):
        self.log.append(("plugin", event if index is None else (event, index), dict(logs or {})))

    @hookimpl
    def on_train_begin(self, model, logs): self._add("train_begin", logs=logs)
    @hookimpl
    def on_train_end(self, model, logs): self._add("train_end", logs=logs)
    @hookimpl
    def on_epoch_begin(self, model, epoch, logs): self._add("epoch_begin", epoch, logs)
    @hookimpl
    def on_epoch_end(self, model, epoch, logs): self._add("epoch_end", epoch, logs)
    @hookimpl
    def on_train_batch_begin(self, model, batch, logs): self._add("batch_begin", batch, logs)
    @hookimpl
    def on_train_batch_end(self, model, batch, logs): self._add("batch_end", batch, logs)
    @hookimpl
    def on_test_begin(self, model, logs): self._add("test_begin", logs=logs)
    @hookimpl
    def on_test_end(self, model, logs): self._add("test_end", logs=logs)
    @hookimpl
    def on_test_batch_begin(self, model, batch, logs): self._add("test_batch_begin", batch, logs)
    @hookimpl
    def on_test_batch_end(self, model, batch, logs): self._add("test_batch_end", batch, logs)
    @hookimpl
    def on_predict_begin(self, model, logs): self._add("predict_begin", logs=logs)
    @hookimpl
    def on_predict_end(self, model, logs): self._add("predict_end", logs=logs)
    @hookimpl
    def on_predict_batch_begin(self, model, batch, logs): self._add("predict_batch_begin", batch, logs)
    @hookimpl
    def on_predict_batch_end(self, model, batch, logs): self._add("predict_batch_end", batch, logs)


@pytest.fixture
def log():
    events = []
    plugin = RecordingPlugin(events)
    plugin_manager().register(plugin)
    try:
        yield events
    finally:
        plugin_manager().unregister(plugin)


def _model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _by_source(log, source):
    return [event for who, event, _ in log if who == source]


def test_fit_events_in_the_documented_order_for_callbacks_and_hook_plugins(log):
    model = _model()
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[RecordingCallback(log)])
    expected = _expected_fit(epochs=2, train_batches=2, val_batches=2)
    assert _by_source(log, "callback") == expected
    assert _by_source(log, "plugin") == expected
    # within each event the fit callbacks run first, then the hook plugins, with the same logs
    assert [event for _, event, _ in log[0::2]] == expected and [who for who, _, _ in log[0::2]] == ["callback"] * len(expected)
    for (_, _, callback_logs), (_, _, plugin_logs) in zip(log[0::2], log[1::2]):
        assert callback_logs == plugin_logs


def test_logs_carried_by_each_event(log):
    _model().fit(X, Y, batch_size=4, epochs=1, verbose=0, validation_data=(X, Y), callbacks=[RecordingCallback(log)])
    logs = {event: event_logs for who, event, event_logs in log if who == "plugin"}
    assert logs[("batch_begin", 2)] == {"batch": 2, "size": 2}
    assert set(logs[("batch_end", 0)]) == {"batch", "size", "loss", "mae"}
    assert set(logs[("test_batch_end", 0)]) == {"batch", "size", "loss", "mae"}
    assert set(logs["test_end"]) == {"loss", "mae"}
    assert set(logs[("epoch_end", 0)]) == {"loss", "mae", "val_loss", "val_mae"}
    assert logs["train_end"] == logs[("epoch_end", 0)]


def test_validation_events_only_in_validated_epochs(log):
    _model().fit(X, Y, batch_size=10, epochs=2, verbose=0, validation_data=(X, Y), validation_freq=2,
                 callbacks=[RecordingCallback(log)])
    assert _by_source(log, "callback") == [
        "train_begin", ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0), ("epoch_end", 0),
        ("epoch_begin", 1), ("batch_begin", 0), ("batch_end", 0), "test_begin", ("test_batch_begin", 0),
        ("test_batch_end", 0), "test_end", ("epoch_end", 1), "train_end"]


def test_evaluate_and_predict_events(log):
    model = _model()
    model.evaluate(X, Y, batch_size=5, verbose=0, callbacks=[RecordingCallback(log)])
    test_events = ["test_begin", ("test_batch_begin", 0), ("test_batch_end", 0), ("test_batch_begin", 1),
                   ("test_batch_end", 1), "test_end"]
    assert _by_source(log, "callback") == _by_source(log, "plugin") == test_events
    log.clear()
    model.predict(X, batch_size=5, callbacks=[RecordingCallback(log)])
    predict_events = ["predict_begin", ("predict_batch_begin", 0), ("predict_batch_end", 0),
                      ("predict_batch_begin", 1), ("predict_batch_end", 1), "predict_end"]
    assert _by_source(log, "callback") == _by_source(log, "plugin") == predict_events


def test_generator_training_has_the_same_event_order(log):
    def batches():
        while True:
            yield X[:5], Y[:5]

    _model().fit(batches(), steps_per_epoch=2, epochs=2, verbose=0, validation_data=(X, Y),
                 callbacks=[RecordingCallback(log)])
    assert _by_source(log, "callback") == _by_source(log, "plugin") == _expected_fit()


def test_calls_register_nothing_with_the_plugin_manager():
    """Each call's callbacks are its own: nothing is registered per call (pluggy's registration is slow)."""
    from numkeras.cli import _hook_plugins

    model = numkeras.Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    before = [name for name, _ in plugin_manager().list_name_plugin()]
    hook_plugins = _hook_plugins()
    seen = []

    class Counting(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    for _ in range(3):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[Counting()])
        model.predict(X, verbose=0)
    assert [name for name, _ in plugin_manager().list_name_plugin()] == before
    assert _hook_plugins() == hook_plugins
    assert seen == [0, 0, 0]  # each fit's callback saw its own epoch, once


def test_a_hook_plugin_registered_during_a_call_sees_the_rest_of_its_events():
    """Whether a hook has implementations is asked at every event (a hook nobody implements is
    skipped), not once per call: a plugin registered by a callback mid-predict gets the next event."""
    events = []
    plugin = RecordingPlugin(events)

    class Registering(numkeras.callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            if batch == 1:
                plugin_manager().register(plugin)

    try:
        _model().predict(X, batch_size=4, verbose=0, callbacks=[Registering()])
    finally:
        plugin_manager().unregister(plugin)
    # Registered by a callback of batch 1's begin event: the hook of that same event comes next.
    assert _by_source(events, "plugin") == [("predict_batch_begin", 1), ("predict_batch_end", 1),
                                            ("predict_batch_begin", 2), ("predict_batch_end", 2), "predict_end"]
