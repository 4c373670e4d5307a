"""Callbacks that record or report training: History (first version; BaseLogger, ProgbarLogger, TerminateOnNaN to come)."""

from numkeras.callbacks import Callback


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of per-epoch losses.

    ``fit`` adds one automatically and returns it.
    """

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
