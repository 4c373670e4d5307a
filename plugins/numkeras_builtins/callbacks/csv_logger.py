"""CSVLogger: stream each epoch's logs to a CSV file."""

import collections
import csv
import os
from collections.abc import Iterable

import numpy as np

from numkeras.callbacks import Callback


def _csv_value(value):
    """Keras 2's rendering: strings as they are, 1D iterables as ``"[a, b]"``, numbers as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return '"[%s]"' % ", ".join(map(str, value))
    return value


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` then every log key, sorted.

    Any value that can be written as a string is supported, including 1D iterables
    such as ``np.ndarray`` (written as ``"[a, b, c]"``, as Keras does). A value missing
    in some epoch (e.g. ``val_loss`` with ``validation_freq``) is written as ``NA``.

    Arguments:
        filename: the CSV file, e.g. ``'run/log.csv'``.
        separator: the string separating fields.
        append: append to an existing file (to continue training; the header is only
            written when the file is empty) instead of overwriting it.

    Example:
        >>> model.fit(x, y, callbacks=[CSVLogger('training.log')])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as existing:
                    self.append_header = not bool(len(existing.readline()))
            mode = "a"
        else:
            mode = "w"
        self.writer = None
        self.keys = None
        self.csv_file = open(self.filename, mode, newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            keys = set(logs)
            if self.params.get("do_validation"):
                keys |= set(self.params.get("metrics") or ())
            self.keys = sorted(keys)
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict(epoch=epoch)
        row.update((key, _csv_value(logs[key]) if key in logs else "NA") for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
            self.csv_file = None
        self.writer = None
