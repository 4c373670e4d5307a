"""Global numeric settings: default float type and fuzz factor."""

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx():
    """Returns the default float type as a string, e.g. ``'float32'``."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type.

    Arguments:
        value: ``'float16'``, ``'float32'`` or ``'float64'``.

    Raises:
        ValueError: for any other value.
    """
    global _FLOATX
    if value not in {"float16", "float32", "float64"}:
        raise ValueError(
            f"Unknown floatx type {value!r}: expected 'float16', 'float32' or 'float64'."
        )
    _FLOATX = str(value)


def epsilon():
    """Returns the fuzz factor used in numeric expressions (default 1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """Returns ``'channels_last'`` or ``'channels_first'``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image data format for convolution layers."""
    global _IMAGE_DATA_FORMAT
    if data_format not in {"channels_last", "channels_first"}:
        raise ValueError(
            f"Unknown data_format {data_format!r}: expected 'channels_last' or 'channels_first'."
        )
    _IMAGE_DATA_FORMAT = str(data_format)


def floatx_dtype():
    """The default float type as a NumPy dtype."""
    return np.dtype(_FLOATX)
