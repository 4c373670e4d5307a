"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

import numpy as np

from numkeras.callbacks import Callback

from .monitoring import monitored_value, resolve_mode, worst_value


class EarlyStopping(Callback):
    """Stops training when the monitored quantity has stopped improving.

    Arguments:
        monitor: the log key to watch (e.g. ``'val_loss'``).
        min_delta: the smallest change counted as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints the epoch at which training stopped.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max for accuracies, else min).
        baseline: a value the quantity must beat; training stops after ``patience``
            epochs that do not beat it.
        restore_best_weights: when training stops, restore the weights of the epoch
            with the best value (otherwise the last epoch's weights stay).

    Attributes:
        stopped_epoch: the epoch (0-based) at which training was stopped, or 0.
        best: the best value seen.

    Example:
        >>> model.fit(x, y, validation_split=0.2, callbacks=[EarlyStopping(patience=2)])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def _improved(self, current):
        if self.mode == "min":
            return np.less(current + self.min_delta, self.best)
        return np.greater(current - self.min_delta, self.best)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline if self.baseline is not None else worst_value(self.mode)
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value(logs, self.monitor, "Early stopping", "it cannot stop training")
        if current is None:
            return
        if self._improved(current):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print("Restoring model weights from the end of the best epoch")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %05d: early stopping" % (self.stopped_epoch + 1))
