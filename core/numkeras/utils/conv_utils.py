"""Convolution helpers, as in Keras 2.2.4's ``keras.utils.conv_utils`` (Keras's argument order).

The window geometry itself lives in :mod:`numkeras.backend.ops.conv_geometry`, which the
convolution and pooling ops use; these are Keras's public names and signatures over it
(Keras's ``conv_output_length`` takes ``padding`` before ``stride``). This module is a
façade above the backend although it sits in ``numkeras.utils``: ``.importlinter``
declares its imports, and ``numkeras.utils`` does not import it.
"""

import numpy as np

from ..backend.config import image_data_format
from ..backend.ops.conv_geometry import PADDINGS, conv_output_length as _conv_output_length
from ..backend.ops.conv_geometry import deconv_output_length, effective_kernel_size, normalize_tuple
from .layer_utils import convert_kernel

DATA_FORMATS = ("channels_first", "channels_last")


def normalize_data_format(value):
    """``value`` lower-cased, checked, or ``K.image_data_format()`` for None."""
    data_format = image_data_format() if value is None else str(value).lower()
    if data_format not in DATA_FORMATS:
        raise ValueError(f"data_format must be 'channels_first' or 'channels_last' (or None for "
                         f"K.image_data_format()), got {value!r}.")
    return data_format


def normalize_padding(value):
    """``value`` lower-cased and checked: ``'valid'``, ``'same'`` or ``'causal'`` (``'full'``: Keras 1)."""
    padding = str(value).lower()
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(map(repr, PADDINGS))}, got {value!r}.")
    return padding


def _check_padding(padding):
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(map(repr, PADDINGS))}, got {padding!r}.")


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """The output length of a convolution along one axis; None stays None.

    ``ceil(n / stride)`` for ``'same'`` and ``'causal'``, ``ceil((n - k_eff + 1) / stride)``
    for ``'valid'``, ``ceil((n + k_eff - 1) / stride)`` for ``'full'``, where
    ``k_eff = (filter_size - 1) * dilation + 1``. A window longer than a ``'valid'`` input
    gives 0 (Keras 2.2 returned 0 or a negative number).
    """
    _check_padding(padding)
    return _conv_output_length(input_length, filter_size, stride, padding, dilation)


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length that gives ``output_length`` (the inverse of :func:`conv_output_length`)."""
    if output_length is None:
        return None
    _check_padding(padding)
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1, "causal": 0}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_length(dim_size, stride_size, kernel_size, padding, output_padding, dilation=1):
    """The output length of a transposed convolution along one axis; None stays None."""
    return deconv_output_length(dim_size, kernel_size, stride_size, padding, output_padding, dilation)


__all__ = ["normalize_tuple", "normalize_data_format", "normalize_padding", "convert_kernel",
           "conv_output_length", "conv_input_length", "deconv_length", "effective_kernel_size"]
