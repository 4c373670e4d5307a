"""The values in ``logs``: plain Python numbers, and their sample-weighted means over an epoch.

Every value a callback receives in ``logs`` (and every ``History.history`` entry) is
a Python float or int, so ``json.dumps(logs)`` works. ``fit`` and ``BaseLogger``
average batch logs over an epoch with the same :class:`EpochMeans`.
"""

import numbers

import numpy as np


def log_value(value):
    """``value`` as a Python number: ints and bools stay as they are, everything else a float.

    A Tensor or array of one element gives that element; a larger one, its mean.
    Anything that is not numeric is returned unchanged.
    """
    if isinstance(value, (bool, numbers.Integral)):
        return value if isinstance(value, bool) else int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    array = np.asarray(getattr(value, "data", value))
    if array.dtype.kind not in "fiub":
        return value
    if array.size == 1:
        scalar = array.reshape(())
        return int(scalar) if array.dtype.kind in "iu" else float(scalar)
    return float(array.astype(np.float64).mean())


class EpochMeans:
    """Sample-weighted means of batch logs over an epoch; stateful metrics report their last value.

    Arguments:
        stateful_names: log keys whose values are running results already (stateful metrics).

    Example:
        >>> means = EpochMeans()
        >>> means.update({'loss': 1.0}, size=30)
        >>> means.update({'loss': 4.0}, size=10)
        >>> means.result()
        {'loss': 1.75}
    """

    def __init__(self, stateful_names=()):
        self.stateful = set(stateful_names)
        self.totals, self.seen, self.last = {}, 0, {}

    def update(self, logs, size):
        """Adds one batch's ``logs`` (its ``batch`` and ``size`` entries are skipped), of ``size`` samples."""
        self.seen += size
        for key, value in logs.items():
            if key in ("batch", "size"):
                continue
            if key in self.stateful:
                self.last[key] = value
            else:
                self.totals[key] = self.totals.get(key, 0.0) + value * size

    def result(self):
        """``{key: mean}`` as Python floats (stateful metrics: their last value)."""
        means = {key: log_value(total / self.seen) for key, total in self.totals.items()} if self.seen else {}
        means.update({key: log_value(value) for key, value in self.last.items()})
        return means
