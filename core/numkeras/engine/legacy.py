"""Keras 1 argument names: accepted with a DeprecationWarning that names the Keras 2 spelling."""

import warnings

_DIM_ORDERING = {"th": "channels_first", "tf": "channels_last", "default": None}


# Renames shared by many layers: old name -> (new name, value conversion or None).
COMMON = {
    "init": ("kernel_initializer", None),
    "inner_init": ("recurrent_initializer", None),
    "W_regularizer": ("kernel_regularizer", None),
    "b_regularizer": ("bias_regularizer", None),
    "U_regularizer": ("recurrent_regularizer", None),
    "W_constraint": ("kernel_constraint", None),
    "b_constraint": ("bias_constraint", None),
    "U_constraint": ("recurrent_constraint", None),
    "bias": ("use_bias", None),
    "output_dim": ("units", None),
    "nb_filter": ("filters", None),
    "border_mode": ("padding", None),
    "subsample": ("strides", None),
    "subsample_length": ("strides", None),
    "filter_length": ("kernel_size", None),
    "pool_length": ("pool_size", None),
    "stride": ("strides", None),
    "dim_ordering": ("data_format", lambda v: _DIM_ORDERING.get(v, v)),
    "atrous_rate": ("dilation_rate", None),
    "dropout_W": ("dropout", None),
    "dropout_U": ("recurrent_dropout", None),
    "beta_init": ("beta_initializer", None),
    "gamma_init": ("gamma_initializer", None),
}


def convert(owner, kwargs, renames=None, drop=()):
    """Rewrites Keras 1 argument names in ``kwargs`` in place, warning once per name.

    Arguments:
        owner: the layer's class name, for the message.
        kwargs: the keyword arguments as given.
        renames: extra ``{old: (new, converter)}`` on top of :data:`COMMON`.
        drop: Keras 1 arguments that no longer mean anything (warned about and ignored).

    Raises:
        TypeError: both the old and the new spelling were given.
    """
    table = dict(COMMON)
    table.update(renames or {})
    for old in list(kwargs):
        if old in drop:
            kwargs.pop(old)
            warnings.warn(f"{owner}: the Keras 1 argument {old!r} is ignored in Keras 2 and was dropped.",
                          DeprecationWarning, stacklevel=3)
            continue
        if old not in table:
            continue
        new, converter = table[old]
        if new in kwargs:
            raise TypeError(f"{owner}: got both the Keras 1 argument {old!r} and its Keras 2 spelling {new!r}.")
        value = kwargs.pop(old)
        kwargs[new] = converter(value) if converter else value
        warnings.warn(f"{owner}: the Keras 1 argument {old!r} is deprecated; use {new}={kwargs[new]!r} instead.",
                      DeprecationWarning, stacklevel=3)
    return kwargs
