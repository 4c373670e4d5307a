"""ModelCheckpoint: save the model (or its weights) during training, atomically."""

import os
import tempfile
import warnings

import numpy as np

from numkeras.callbacks import Callback

from .monitoring import resolve_mode, worst_value


def write_atomically(save, filepath):
    """Calls ``save(temporary_path)`` next to ``filepath``, then renames it over ``filepath``.

    A process killed while saving leaves the previous ``filepath`` intact (at worst a
    stray temporary file). The temporary path keeps the extension, so savers that pick
    the format from it (``.h5``, ``.npz``) still do.
    """
    folder, name = os.path.split(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    stem, extension = os.path.splitext(name)
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{extension}", dir=folder)
    os.close(handle)
    os.remove(temporary)  # savers that refuse to overwrite (or append) get a fresh path
    try:
        save(temporary)
        os.replace(temporary, filepath)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


class ModelCheckpoint(Callback):
    """Saves the model after every epoch (or every ``save_freq`` batches).

    ``filepath`` may contain ``str.format`` fields filled from ``epoch`` (1-based)
    and the epoch logs: ``'weights.{epoch:02d}-{val_loss:.2f}.hdf5'``. Each file is
    written to a temporary name and renamed into place, so an interrupted save
    never corrupts the previous checkpoint.

    Arguments:
        filepath: where to save (a format string).
        monitor: the log key compared with ``save_best_only``.
        verbose: 1 prints a line per save decision.
        save_best_only: only save when ``monitor`` improved on the best value so far.
        save_weights_only: ``model.save_weights(filepath)`` instead of ``model.save(filepath)``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max for accuracies, else min).
        period: epochs between checkpoints.
        save_freq: ``'epoch'`` (default, with ``period``) or an integer: save every
            that many training batches instead (``filepath`` then gets the batch logs).

    Example:
        >>> checkpointer = ModelCheckpoint(filepath='/tmp/weights.hdf5', verbose=1, save_best_only=True)
        >>> model.fit(x, y, validation_data=(x_val, y_val), callbacks=[checkpointer])
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", period=1, save_freq="epoch"):
        super().__init__()
        if save_freq != "epoch" and (not isinstance(save_freq, (int, np.integer)) or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer, got {save_freq!r}.")
        if int(period) < 1:
            raise ValueError(f"ModelCheckpoint: period must be a positive integer, got {period!r}.")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = int(period)
        self.save_freq = save_freq
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.best = worst_value(self.mode)
        self.epochs_since_last_save = 0
        self._batches_since_last_save = 0
        self._epoch = 0

    def _improved(self, current):
        return np.less(current, self.best) if self.mode == "min" else np.greater(current, self.best)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_last_save += 1
        if self._batches_since_last_save >= self.save_freq:
            self._batches_since_last_save = 0
            self._checkpoint(self._epoch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save >= self.period:
            self.epochs_since_last_save = 0
            self._checkpoint(epoch, logs or {})

    def _format(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error!r}; the '
                f"fields available are epoch and the logs keys: {sorted(logs)}."
            ) from error

    def _checkpoint(self, epoch, logs):
        filepath = self._format(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print("\nEpoch %05d: saving model to %s" % (epoch + 1, filepath))
            self._save(filepath)
            return
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", RuntimeWarning,
                          stacklevel=3)
            return
        if self._improved(current):
            if self.verbose > 0:
                print("\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                      % (epoch + 1, self.monitor, self.best, current, filepath))
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print("\nEpoch %05d: %s did not improve from %0.5f" % (epoch + 1, self.monitor, self.best))

    def _save(self, filepath):
        if self.save_weights_only:
            write_atomically(lambda path: self.model.save_weights(path, overwrite=True), filepath)
        else:
            write_atomically(lambda path: self.model.save(path, overwrite=True), filepath)
