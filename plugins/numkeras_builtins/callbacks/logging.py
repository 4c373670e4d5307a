"""Callbacks that record or report training: BaseLogger, History, ProgbarLogger, TerminateOnNaN."""

import numpy as np

from numkeras.callbacks import Callback
from numkeras.callbacks.logs import EpochMeans, log_value
from numkeras.utils.generic_utils import Progbar


class BaseLogger(Callback):
    """Accumulates epoch averages of the batch logs into the epoch logs.

    ``fit`` computes the same means itself; adding a ``BaseLogger`` is only needed
    by code that drives callbacks by hand, as in Keras.

    Arguments:
        stateful_metrics: names of metrics that must not be averaged over the epoch;
            their last value is reported as is.
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(() if stateful_metrics is None else stateful_metrics)  # a list or an array

    def on_epoch_begin(self, epoch, logs=None):
        self.means = EpochMeans(self.stateful_metrics)

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.means.update(logs, logs.get("size", 0))

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        means = self.means.result()
        for key in self.params.get("metrics", ()):
            if key in means:
                logs[key] = means[key]


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print("Batch %d: Invalid loss, terminating training" % batch)
            self.model.stop_training = True


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of per-epoch losses.

    ``fit`` adds one automatically and returns it. Every recorded value is a Python
    number, so ``json.dumps(history.history)`` works.

    Attributes:
        epoch: the epoch indices seen.
        history: ``{log key: [value per epoch]}``.
    """

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(log_value(value))


class ProgbarLogger(Callback):
    """Prints metrics to stdout: a progress bar (``verbose=1``) or one line per epoch (``verbose=2``).

    ``fit`` adds one when ``verbose`` is 1 or 2; ``evaluate(verbose=1)`` and
    ``predict(verbose=1)`` show a bar as well. The bar shows running means of the
    batch values (stateful metrics as they are), and the line that ends an epoch
    shows the epoch's logs (``val_*`` included).

    Arguments:
        count_mode: ``'samples'`` or ``'steps'``: whether the bar counts samples or batches.
        stateful_metrics: names of metrics shown as they are rather than averaged.

    Raises:
        ValueError: an unknown ``count_mode``.
    """

    def __init__(self, count_mode="samples", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError(f"Unknown count_mode: {count_mode!r}; expected 'samples' or 'steps'.")
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(() if stateful_metrics is None else stateful_metrics)  # a list or an array
        self.progbar = None
        self._training = False

    # -- fit ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._training = True
        self.verbose = self.params.get("verbose", 1)
        self.epochs = self.params.get("epochs")
        samples, val_samples = self.params.get("samples"), self.params.get("val_samples")
        if self.verbose and samples:
            line = "Train on %d samples" % samples
            if val_samples and self.params.get("do_validation"):
                line += ", validate on %d samples" % val_samples
            print(line)

    def on_train_end(self, logs=None):
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print("Epoch %d/%d" % (epoch + 1, self.epochs))
        self._start_bar()

    def on_batch_end(self, batch, logs=None):
        self._advance(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    # -- evaluate (not the validation passes inside fit) ------------------------------------------
    def on_test_begin(self, logs=None):
        if not self._training:
            self.verbose = self.params.get("verbose", 1)
            self._start_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._training:
            self._advance(logs)

    def on_test_end(self, logs=None):
        if not self._training:
            self._finish(logs)

    # -- predict ----------------------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self._start_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance({"size": (logs or {}).get("size", 0)})

    def on_predict_end(self, logs=None):
        self._finish({})

    # -- the bar --------------------------------------------------------------------------------
    def _start_bar(self):
        self.target = self.params.get("steps") if self.use_steps else self.params.get("samples")
        self.seen = 0
        self.progbar = Progbar(target=self.target, verbose=self.verbose,
                               stateful_metrics=self.stateful_metrics,
                               unit_name="step" if self.use_steps else "sample")

    def _shown(self, logs):
        names = self.params.get("metrics") or ()
        return [(name, logs[name]) for name in names if name in logs]

    def _advance(self, logs):
        logs = logs or {}
        self.seen += 1 if self.use_steps else logs.get("size", 0)
        if self.verbose and (self.target is None or self.seen < self.target):
            self.progbar.update(self.seen, self._shown(logs))

    def _finish(self, logs):
        if not self.verbose or self.progbar is None:
            return
        # The final line shows the epoch's own logs (sample-weighted means), exactly
        # what History records, rather than the bar's running means.
        values = self._shown(logs or {})
        self.progbar.stateful_metrics.update(name for name, _ in values)
        if self.target is None:
            self.progbar.target = self.seen
        self.progbar.update(max(self.seen, self.progbar.target or 0), values)
