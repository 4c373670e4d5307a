"""Argument checks shared by the layer plugins: each error names the layer, the argument,
what was expected and what was given, and is raised at construction.

They are built on :mod:`numkeras.utils.validation`, the rules every public argument
of numkeras is checked with (a third-party plugin uses them the same way).
"""

import numpy as np

from numkeras import backend as K
from numkeras.utils import legacy
from numkeras.utils.validation import (  # noqa: F401 - check and one_of are re-exported for the layers
    ArgumentTypeError, ArgumentValueError, Rule, check, integer, is_integer, number, one_of, sequence_of,
)

_is_int = is_integer

#: A switch: True or False (NumPy bools, and the 0 / 1 that old code writes, too).
FLAG = Rule("True or False", lambda value: isinstance(value, (bool, np.bool_)) or (is_integer(value) and value in (0, 1)))


def positive_int(owner, name, value, allow_zero=False):
    """``value`` as an int, which must be positive (or non-negative with ``allow_zero``)."""
    check(owner, **{name: (value, integer(minimum=0 if allow_zero else 1))})
    return int(value)


def flag(owner, name, value):
    """``value`` as a bool; strings, None, arrays and other truthy things are refused (``'no'`` is truthy)."""
    check(owner, **{name: (value, FLAG)})
    return bool(value)


def fraction(owner, name, value, high_open=False, clip=False):
    """A number in ``[0, 1]`` (``[0, 1)`` with ``high_open``); with ``clip``, any number, clipped to it (Keras 2.2's
    recurrent dropouts)."""
    check(owner, **{name: (value, number() if clip else number(0, 1, high_open=high_open))})
    return min(1.0, max(0.0, float(value))) if clip else float(value)


def positive_number(owner, name, value):
    """A finite number greater than 0."""
    check(owner, **{name: (value, number(0, low_open=True))})
    return float(value)


def non_negative_number(owner, name, value):
    """A finite number, 0 or more."""
    check(owner, **{name: (value, number(0))})
    return float(value)


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
    check(owner, padding=(mode, one_of(*allowed)))
    return mode


def data_format(owner, value):
    """``'channels_last'`` / ``'channels_first'`` (``None`` means ``K.image_data_format()``)."""
    value = legacy.dim_ordering(value)  # 'th' / 'tf' / 'default' from Keras 1 code
    if value is None:
        value = K.image_data_format()
    check(owner, data_format=(value, one_of("channels_last", "channels_first")))
    return value


def rate(owner, name, value):
    """A probability in ``[0, 1)``."""
    return fraction(owner, name, value, high_open=True)


def shape(owner, name, value, allow_unknown=False):
    """A tuple of positive ints (``-1`` for one unknown entry with ``allow_unknown``)."""
    entry = integer(minimum=-1 if allow_unknown else 1)
    check(owner, **{name: (value, sequence_of(entry, "a tuple of positive integers" + (
        " (one of them may be -1)" if allow_unknown else "")))})
    values = tuple(int(v) for v in value)
    if 0 in values:
        raise ArgumentValueError(f"{owner}: {name} must hold positive integers, got {value!r}.")
    return values


def pair_tuple(owner, name, value, rank):
    """Cropping / padding amounts: an int, ``rank`` ints, or ``rank`` ``(before, after)`` pairs."""
    if _is_int(value):
        pairs = ((value, value),) * rank
    else:
        if not isinstance(value, (list, tuple)):
            raise ArgumentTypeError(
                f"{owner}: {name} must be an integer, {rank} integers or {rank} (before, after) pairs, got "
                f"{value!r}.")
        if not all(_is_int(v) or (isinstance(v, (list, tuple)) and len(v) == 2) for v in value):
            raise ArgumentValueError(
                f"{owner}: {name} must be an integer, {rank} integers or {rank} (before, after) pairs, got "
                f"{value!r}.")
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
