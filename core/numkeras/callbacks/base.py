"""The ``Callback`` protocol and ``CallbackList``, which dispatches training events.

Each ``fit`` / ``evaluate`` / ``predict`` call builds its own ``CallbackList``, which
calls that call's callbacks and then the same hook on every installed hook plugin
(:mod:`numkeras.hooks`), so both see the same events, in this order::

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

from ..hooks import plugin_manager


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
    """The callbacks of one ``fit`` / ``evaluate`` / ``predict`` call, and the hook plugins.

    ``dispatch(event, **arguments)`` calls ``event`` on each of this list's callbacks,
    in order, and then the hook of that name on every hook plugin, through the plugin
    manager. The list belongs to the call that made it: events never reach the
    callbacks of another call, in this thread or any other, and nothing is registered
    with the plugin manager per call.
    """

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        self.model = model
        if model is not None:
            for callback in self.callbacks:
                callback.set_model(model)
        if params is not None:
            self.set_params(params)
        self._hook = plugin_manager().hook

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

    def dispatch(self, event, **arguments):
        """Calls ``event`` with ``arguments`` (``epoch`` or ``batch``, and ``logs``) on the callbacks, then the hook.

        The event names are the training hookspecs of :mod:`numkeras.hooks.hookspecs`;
        a hook plugin also receives ``model``.
        """
        logs = arguments["logs"]
        index = arguments.get("epoch", arguments.get("batch"))
        for callback in self.callbacks:
            method = getattr(callback, event)
            if index is None:
                method(logs=logs)
            else:
                method(index, logs=logs)
        hook = getattr(self._hook, event)
        if hook.get_hookimpls():  # pluggy's call costs microseconds even with no plugin to call
            hook(model=self.model, **arguments)
