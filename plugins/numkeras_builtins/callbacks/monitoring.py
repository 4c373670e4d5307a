"""What the callbacks that watch a logged quantity share: which direction counts as better."""

import warnings

import numpy as np


def resolve_mode(mode, monitor, owner):
    """``'min'`` or ``'max'`` for ``mode``; ``'auto'`` picks max for accuracies, min otherwise.

    An unknown mode warns (naming ``owner``) and falls back to ``'auto'``, as in Keras.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        mode = "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
    return mode


def worst_value(mode):
    """The starting ``best`` value: +inf when minimising, -inf when maximising."""
    return np.inf if mode == "min" else -np.inf


def monitored_value(logs, monitor, owner, action):
    """``logs[monitor]`` as a float, or None with a RuntimeWarning listing the available keys."""
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(
            f"{owner} conditioned on metric {monitor!r} which is not available; {action}. "
            f"Available metrics are: {', '.join(sorted(logs or {}))}.", RuntimeWarning, stacklevel=3,
        )
        return None
    return float(value)
