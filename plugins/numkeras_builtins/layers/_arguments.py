"""Argument checks shared by the layer plugins: each error names the layer, the argument,
what was expected and what was given, and is raised at construction."""

import numpy as np

from numkeras import backend as K
from numkeras.utils import legacy


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(owner, name, value, allow_zero=False):
    """``value`` as an int, which must be positive (or non-negative with ``allow_zero``)."""
    if not _is_int(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{owner}: {name} must be {kind} integer, got {value!r}.")
    return int(value)


def int_tuple(owner, name, value, rank, allow_zero=False):
    """An int or a sequence of ``rank`` ints, as a tuple of ``rank`` positive ints."""
    if _is_int(value):
        values = (value,) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None or len(values) != rank or not all(_is_int(v) for v in values):
            raise ValueError(
                f"{owner}: {name} must be an integer or a tuple of {rank} integers, got {value!r}."
            )
    for v in values:
        if v < 0 or (v == 0 and not allow_zero):
            kind = "non-negative" if allow_zero else "positive"
            raise ValueError(f"{owner}: every value of {name} must be {kind}, got {value!r}.")
    return tuple(int(v) for v in values)


def padding(owner, value, allowed=("valid", "same")):
    """The lower-cased padding mode, one of ``allowed``."""
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(
            f"{owner}: padding must be one of {', '.join(map(repr, allowed))}, got {value!r}."
        )
    return mode


def data_format(owner, value):
    """``'channels_last'`` / ``'channels_first'`` (``None`` means ``K.image_data_format()``)."""
    value = legacy.dim_ordering(value) or K.image_data_format()  # Keras 1's 'th' / 'tf' are accepted too
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{owner}: data_format must be 'channels_last' or 'channels_first', got {value!r}."
        )
    return value


def rate(owner, name, value):
    """A probability in ``[0, 1)``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 0.0 <= number < 1.0:
        raise ValueError(f"{owner}: {name} must be a float in [0, 1), got {value!r}.")
    return number


def pair_tuple(owner, name, value, rank):
    """Cropping / padding amounts: an int, ``rank`` ints, or ``rank`` ``(before, after)`` pairs."""
    if _is_int(value):
        pairs = ((value, value),) * rank
    else:
        items = tuple(value)
        if len(items) != rank:
            raise ValueError(f"{owner}: {name} must have {rank} entries (one per spatial axis), got {value!r}.")
        pairs = tuple((v, v) if _is_int(v) else tuple(v) for v in items)
    for pair in pairs:
        if len(pair) != 2 or not all(_is_int(v) and v >= 0 for v in pair):
            raise ValueError(
                f"{owner}: {name} must hold non-negative integers or (before, after) pairs, got {value!r}."
            )
    return tuple((int(a), int(b)) for a, b in pairs)


def set_weight_arguments(layer, prefix, initializer, regularizer, constraint):
    """Resolves and sets ``layer.<prefix>_initializer`` / ``_regularizer`` / ``_constraint``.

    The counterpart of :func:`weight_config`: names, config dicts and instances are
    all accepted, as everywhere in Keras.
    """
    from numkeras import constraints, initializers, regularizers

    setattr(layer, f"{prefix}_initializer", initializers.get(initializer))
    setattr(layer, f"{prefix}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{prefix}_constraint", constraints.get(constraint))


def weight_config(layer, *prefixes):
    """The serialized ``<prefix>_initializer`` / ``_regularizer`` / ``_constraint`` of ``layer``, per prefix.

    Example: ``weight_config(self, "kernel", "bias")`` gives the six entries a Dense
    or Conv2D config holds for its weights.
    """
    from numkeras import constraints, initializers, regularizers

    config = {}
    for prefix in prefixes:
        config[f"{prefix}_initializer"] = initializers.serialize(getattr(layer, f"{prefix}_initializer"))
        config[f"{prefix}_regularizer"] = regularizers.serialize(getattr(layer, f"{prefix}_regularizer"))
        config[f"{prefix}_constraint"] = constraints.serialize(getattr(layer, f"{prefix}_constraint"))
    return config
