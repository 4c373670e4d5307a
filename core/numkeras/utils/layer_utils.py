"""Layer helpers, as in Keras 2.2.4's ``keras.utils.layer_utils``.

``count_params`` counts weights; ``print_summary`` is ``model.summary``'s table;
``convert_kernel`` / ``convert_all_kernels_in_model`` flip convolution kernels between
Theano's convolution and TensorFlow's (and numkeras's) cross-correlation.

This module sits below the engine: it works through what models and layers declare
(``model.summary``, ``model.layers``, ``layer.kernel``) and finds the convolution
classes through the layer registry.
"""

import numpy as np

from ..registry import registry

# The layers whose kernels Keras 2.2's convert_all_kernels_in_model flips.
CONVOLUTIONS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose")


def count_params(weights):
    """The number of scalars in ``weights`` (a list of variables or arrays), each distinct weight once."""
    seen, total = set(), 0
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            total += int(np.prod(weight.shape))
    return total


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints ``model``'s layer table (the same as ``model.summary(...)``).

    Arguments:
        line_length: total width of the table.
        positions: the columns' right edges, as fractions of ``line_length`` or absolute.
        print_fn: called with each line (default: ``print``).
    """
    model.summary(line_length=line_length, positions=positions, print_fn=print_fn)


def convert_kernel(kernel):
    """A copy of a convolution kernel with its spatial axes flipped (convolution ↔ cross-correlation).

    The kernel is ``(*spatial, input_channels, output_channels)``; used to move kernels
    between Theano (which convolves) and TensorFlow / numkeras (which cross-correlate).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim < 3:
        raise ValueError(f"convert_kernel expects a convolution kernel (spatial axes, input channels, output "
                         f"channels), got an array of shape {kernel.shape}.")
    flip = (slice(None, None, -1),) * (kernel.ndim - 2) + (slice(None), slice(None))
    return np.copy(kernel[flip])


def convert_dense_weights_data_format(dense, previous_feature_map_shape, target_data_format="channels_first"):
    """Reorders a ``Dense`` kernel's rows after ``Flatten`` when a convnet changes ``data_format``.

    Arguments:
        dense: the ``Dense`` layer right after the ``Flatten``.
        previous_feature_map_shape: the feature map before ``Flatten``, in ``target_data_format``'s
            order (``(channels, rows, cols)`` for ``'channels_first'``, ``(rows, cols, channels)``
            for ``'channels_last'``).
        target_data_format: the format the weights are converted to.
    """
    if target_data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"target_data_format must be 'channels_first' or 'channels_last', got "
                         f"{target_data_format!r}.")
    kernel, *rest = dense.get_weights()
    units = kernel.shape[1]
    if target_data_format == "channels_first":
        channels, rows, cols = previous_feature_map_shape
        kernel = kernel.reshape(rows, cols, channels, units).transpose(2, 0, 1, 3)
    else:
        rows, cols, channels = previous_feature_map_shape
        kernel = kernel.reshape(channels, rows, cols, units).transpose(1, 2, 0, 3)
    dense.set_weights([kernel.reshape(-1, units), *rest])


def convert_all_kernels_in_model(model):
    """Flips the kernel of every ``Conv1D`` / ``Conv2D`` / ``Conv3D`` / ``Conv2DTranspose`` of ``model`` in place.

    Subclasses of those layers count too; the classes are the registered ones.
    """
    layers_registry = registry("layers")
    classes = tuple(layers_registry.resolve(name) for name in CONVOLUTIONS if name in layers_registry)
    converted = [(layer.kernel, convert_kernel(layer.kernel.data)) for layer in model.layers
                 if isinstance(layer, classes) and getattr(layer, "kernel", None) is not None]
    for kernel, value in converted:  # every kernel computed first, then assigned
        kernel.assign(value)


__all__ = ["count_params", "print_summary", "convert_kernel", "convert_all_kernels_in_model",
           "convert_dense_weights_data_format"]
