"""The hook manager: one pluggy manager, hookspecs, and training events shared with callbacks."""

import numpy as np

import numkeras
from numkeras.hooks import hookimpl, hookspecs, plugin_manager


class Recorder:
    def __init__(self):
        self.events = []

    @hookimpl
    def on_train_begin(self, model, logs):
        self.events.append("train_begin")

    @hookimpl
    def on_epoch_end(self, model, epoch, logs):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    @hookimpl
    def on_train_batch_end(self, model, batch, logs):
        self.events.append(("batch_end", batch))

    @hookimpl
    def on_train_end(self, model, logs):
        self.events.append("train_end")


class CallbackRecorder(numkeras.callbacks.Callback):
    def __init__(self, shared):
        super().__init__()
        self.shared = shared

    def on_epoch_end(self, epoch, logs=None):
        self.shared.append(("callback_epoch_end", epoch))


def _model():
    model = numkeras.Sequential([numkeras.layers.Dense(1, input_dim=3)])
    model.compile("sgd", "mse")
    return model


def test_every_hookspec_has_a_docstring():
    specs = [getattr(hookspecs, name) for name in dir(hookspecs) if name.startswith(("on_", "numkeras_"))]
    assert specs and all(spec.__doc__ and spec.__doc__.strip() for spec in specs)


def test_a_hook_plugin_sees_the_same_events_as_fit_callbacks_and_after_them():
    recorder = Recorder()
    manager = plugin_manager()
    manager.register(recorder)
    try:
        shared = recorder.events
        x, y = np.zeros((8, 3), "float32"), np.zeros((8, 1), "float32")
        _model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[CallbackRecorder(shared)])
    finally:
        manager.unregister(recorder)
    assert recorder.events[0] == "train_begin"
    assert recorder.events[-1] == "train_end"
    assert [e for e in recorder.events if e[0] == "batch_end"] == [("batch_end", 0), ("batch_end", 1)] * 2
    first_epoch_end = recorder.events.index(("callback_epoch_end", 0))
    assert recorder.events[first_epoch_end + 1] == ("epoch_end", 0, ["loss"])


def test_unregistered_plugins_see_nothing():
    recorder = Recorder()
    manager = plugin_manager()
    manager.register(recorder)
    manager.unregister(recorder)
    _model().fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    assert recorder.events == []


def test_registration_hook_adds_components():
    from numkeras import registry as registry_module

    class Registers:
        @hookimpl
        def numkeras_register_components(self, register):
            register("activations", "hooked_identity", lambda x: x)

    manager = plugin_manager()
    plugin = Registers()
    manager.register(plugin)
    try:
        manager.hook.numkeras_register_components(
            register=lambda kind, name, obj: registry_module.registry(kind).register(name, obj))
        assert numkeras.activations.get("hooked_identity")(3) == 3
    finally:
        manager.unregister(plugin)
        registry_module.registry("activations").unregister("hooked_identity")
