"""The ``Callback`` protocol and ``CallbackList``, which dispatches training events.

Events reach callbacks through the hook manager (:mod:`numkeras.hooks`): for the
length of a ``fit`` / ``evaluate`` / ``predict`` call, its ``CallbackList`` is
registered as a pluggy plugin that runs first, so the ``fit`` callbacks and every
installed hook plugin see the same events, in this order::

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(batch) / on_batch_begin(batch)
        on_train_batch_end(batch)   / on_batch_end(batch)
        ...                               (every training batch)
        on_test_begin                      (validation, when it runs this epoch)
          on_test_batch_begin / on_test_batch_end   (every validation batch)
        on_test_end
      on_epoch_end(epoch)                  (logs include val_* keys)
    on_train_end
"""

import threading

import pluggy

from ..hooks import plugin_manager

hookimpl = pluggy.HookimplMarker("numkeras")


class Callback:
    """Base class of callbacks: every method is a documented no-op to override.

    Attributes:
        params: dict of training parameters (``epochs``, ``steps``, ``samples``,
            ``batch_size``, ``verbose``, ``do_validation``, ``metrics``).
        model: the model being trained.

    The ``logs`` dict holds, for
        - ``on_epoch_end``: ``loss`` and each metric (epoch means, sample-weighted),
          and ``val_loss`` / ``val_<metric>`` when validating;
        - ``on_batch_begin`` / ``on_train_batch_begin``: ``batch`` and ``size``
          (number of samples in the batch);
        - ``on_batch_end`` / ``on_train_batch_end``: ``batch``, ``size``, ``loss``
          and each metric, for that batch alone.
    Every value is a Python float (or int), so ``json.dumps(logs)`` works.

    Example:
        >>> class LossHistory(Callback):
        ...     def on_train_begin(self, logs=None):
        ...         self.losses = []
        ...     def on_batch_end(self, batch, logs=None):
        ...         self.losses.append(logs.get('loss'))
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; ``logs`` has the epoch's metrics (see class doc)."""

    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch (alias of ``on_train_batch_begin``)."""

    def on_batch_end(self, batch, logs=None):
        """Called after each training batch (alias of ``on_train_batch_end``)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch; by default calls ``on_batch_begin``."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch; by default calls ``on_batch_end``."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate`` or of validation in ``fit``."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate`` or of validation in ``fit``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``; ``logs['outputs']`` holds the batch's outputs."""

    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called at the end of ``fit``."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` or of a validation pass."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` or of a validation pass."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""


class CallbackList:
    """The callbacks of one ``fit`` / ``evaluate`` / ``predict`` call, dispatched through the hook manager.

    Use as a context manager: while it is the innermost active list, ``dispatch(event,
    **arguments)`` calls the hook, which reaches these callbacks first (through one
    dispatcher registered with the plugin manager) and then every hook plugin.
    """

    _active = []  # the innermost active list receives events (an evaluate() inside a callback has its own)

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        self.model = model
        if model is not None:
            for callback in self.callbacks:
                callback.set_model(model)
        if params is not None:
            self.set_params(params)
        self._manager = plugin_manager()
        self._hook = self._manager.hook

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def __enter__(self):
        with _registering:
            if not self._manager.is_registered(_DISPATCHER):
                self._manager.register(_DISPATCHER, name=DISPATCHER_NAME)
        CallbackList._active.append(self)
        return self

    def __exit__(self, *exc):
        CallbackList._active.remove(self)

    def dispatch(self, event, **arguments):
        """Calls hook ``event`` with ``model`` and ``arguments`` (``epoch``/``batch``, ``logs``)."""
        getattr(self._hook, event)(model=self.model, **arguments)


def _deliver(method, *args, logs):
    """Calls ``method`` on each callback of the innermost active :class:`CallbackList`, if any."""
    if CallbackList._active:
        for callback in CallbackList._active[-1].callbacks:
            getattr(callback, method)(*args, logs=logs)


class _Dispatcher:
    """The hook plugin, registered once, that hands every event to the innermost active CallbackList.

    Its implementations are ``tryfirst``: the callbacks run before every other hook plugin.
    (Registering each CallbackList itself cost pluggy 2 ms per ``fit``/``predict`` call.)
    """

    @hookimpl(tryfirst=True)
    def on_train_begin(self, model, logs):
        _deliver("on_train_begin", logs=logs)

    @hookimpl(tryfirst=True)
    def on_train_end(self, model, logs):
        _deliver("on_train_end", logs=logs)

    @hookimpl(tryfirst=True)
    def on_epoch_begin(self, model, epoch, logs):
        _deliver("on_epoch_begin", epoch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_epoch_end(self, model, epoch, logs):
        _deliver("on_epoch_end", epoch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_train_batch_begin(self, model, batch, logs):
        _deliver("on_train_batch_begin", batch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_train_batch_end(self, model, batch, logs):
        _deliver("on_train_batch_end", batch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_test_begin(self, model, logs):
        _deliver("on_test_begin", logs=logs)

    @hookimpl(tryfirst=True)
    def on_test_end(self, model, logs):
        _deliver("on_test_end", logs=logs)

    @hookimpl(tryfirst=True)
    def on_test_batch_begin(self, model, batch, logs):
        _deliver("on_test_batch_begin", batch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_test_batch_end(self, model, batch, logs):
        _deliver("on_test_batch_end", batch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_predict_begin(self, model, logs):
        _deliver("on_predict_begin", logs=logs)

    @hookimpl(tryfirst=True)
    def on_predict_end(self, model, logs):
        _deliver("on_predict_end", logs=logs)

    @hookimpl(tryfirst=True)
    def on_predict_batch_begin(self, model, batch, logs):
        _deliver("on_predict_batch_begin", batch, logs=logs)

    @hookimpl(tryfirst=True)
    def on_predict_batch_end(self, model, batch, logs):
        _deliver("on_predict_batch_end", batch, logs=logs)


DISPATCHER_NAME = "numkeras-callbacks"
_DISPATCHER = _Dispatcher()
_registering = threading.Lock()
