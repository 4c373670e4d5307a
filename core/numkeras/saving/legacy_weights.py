"""Saved weights in another layout, converted to the layout of the layer they load into.

Keras 2.2.4's ``preprocess_weights_for_loading``: every load from an HDF5 file passes each
layer's saved arrays through it before the count and shape checks. It converts

* what Keras 1 wrote (``keras_version`` missing or ``1.x``): per-gate LSTM / GRU /
  ConvLSTM2D arrays merged into ``kernel``, ``recurrent_kernel``, ``bias``; ``'th'``-ordered
  convolution kernels ``(filters, channels, *spatial)`` transposed to ``(*spatial, channels,
  filters)``; Keras 1.1's ``Conv1D`` kernel ``(filters, channels, length, 1)`` and Keras
  1.2's ``(length, 1, channels, filters)`` to ``(length, channels, filters)``;
* what the Theano backend wrote (``backend == 'theano'``): Theano convolves, numkeras (as
  TensorFlow) cross-correlates, so convolution kernels have their spatial axes flipped;
* cuDNN's recurrent weights (``CuDNNLSTM``, ``CuDNNGRU``) loaded into ``LSTM`` /
  ``GRU(reset_after=True)`` and back, recognised by the shape of the bias.

``Bidirectional``, ``TimeDistributed`` and nested models convert the layers they hold.
What cannot be converted is a :class:`WeightConversionError` naming the layer; nothing
is guessed. ``docs/architecture.md`` ("Weights from Keras 1, Theano and cuDNN") lists
where numkeras departs from Keras 2.2.4 and why.
"""

import numpy as np

from ..utils.layer_utils import convert_kernel
from .errors import WeightConversionError

CONVOLUTIONS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D")
RECURRENT = ("LSTM", "CuDNNLSTM", "GRU", "CuDNNGRU")
WRAPPERS = ("Bidirectional", "TimeDistributed")
MODELS = ("Sequential", "Model", "Network")
# A layer is known by the first of these names in its class's MRO, so Keras 1's aliases
# (Convolution2D, Deconvolution2D …) and plugin subclasses convert as their Keras 2 base does.
KINDS = CONVOLUTIONS + RECURRENT + WRAPPERS + MODELS

# Keras 1's per-gate arrays, as positions in the saved list, in Keras 2's gate order.
# LSTM and ConvLSTM2D saved [W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o];
# Keras 2 stacks i, f, c, o. GRU saved [W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h].
KERAS_1_GATES = {"LSTM": (0, 6, 3, 9), "ConvLSTM2D": (0, 6, 3, 9), "GRU": (0, 3, 6)}

# 'th'-ordered Keras 1 kernels to Keras 2's layout, by (layer kind, data_format).
KERAS_1_TRANSPOSES = {
    ("Conv2D", "channels_first"): (2, 3, 1, 0),            # (f, c, r, k) -> (r, k, c, f)
    ("Conv3D", "channels_first"): (2, 3, 4, 1, 0),         # (f, c, d, r, k) -> (d, r, k, c, f)
    ("ConvLSTM2D", "channels_first"): (2, 3, 1, 0),
    ("Conv2DTranspose", "channels_first"): (2, 3, 0, 1),   # (f, c, r, k) -> (r, k, f, c)
    ("Conv2DTranspose", "channels_last"): (0, 1, 3, 2),    # (r, k, c, f) -> (r, k, f, c)
}


def layer_kind(layer):
    """The Keras class name conversions know ``layer`` by, or None (the arrays load unchanged)."""
    for klass in type(layer).__mro__:
        if klass.__name__ in KINDS:
            return klass.__name__
    return None


def is_keras_1(original_keras_version):
    """Whether a ``keras_version`` attribute says Keras 1 wrote the file (``'1'``, ``'1.2.2'`` …)."""
    if original_keras_version is None:
        return False
    text = str(original_keras_version).strip()
    return text == "1" or text.startswith("1.")


def kernel_flip_needed(original_backend):
    """Theano convolves; TensorFlow, CNTK and numkeras cross-correlate (an unknown backend: no flip)."""
    return original_backend == "theano"


def preprocess_weights_for_loading(layer, weights, original_keras_version=None, original_backend=None,
                                   reshape=False):
    """Converts a layer's saved weights to the layout ``layer`` uses (Keras 2.2.4's function).

    Arguments:
        layer: the (built) layer the weights load into.
        weights: the saved arrays, in the order the file lists them.
        original_keras_version: the file's ``keras_version`` attribute (``'1'`` or ``'1.x'``
            for Keras 1; Keras 2.2.4's loaders pass ``'1'`` when the attribute is missing).
        original_backend: the file's ``backend`` attribute (``'theano'`` flips conv kernels).
        reshape: reshape a convolution kernel whose size matches the layer's but whose shape
            does not (Keras 2.2.4 applies ``reshape`` to convolution kernels only).

    Returns:
        A new list of arrays; the input list is not modified.

    Raises:
        WeightConversionError: the weights cannot be converted (a bias shape no recurrent
            layer writes, ``GRU(reset_after=False)`` with cuDNN weights, ``reshape`` with a
            different size …); the message names the layer and what to do.

    Example:
        >>> kernel, recurrent, bias = preprocess_weights_for_loading(lstm, keras1_arrays, '1.2.2')
    """
    weights = [np.asarray(w) for w in weights]
    kind = layer_kind(layer)
    nested = dict(original_keras_version=original_keras_version, original_backend=original_backend,
                  reshape=reshape)
    if kind == "Bidirectional":
        if len(weights) % 2:
            raise WeightConversionError(
                f"Bidirectional layer {layer.name!r}: the file holds {len(weights)} arrays for it, an odd number, "
                f"so they cannot be split between its forward and backward layers.", layer.name)
        half = len(weights) // 2
        return (preprocess_weights_for_loading(layer.forward_layer, weights[:half], **nested)
                + preprocess_weights_for_loading(layer.backward_layer, weights[half:], **nested))
    if kind == "TimeDistributed":
        return preprocess_weights_for_loading(layer.layer, weights, **nested)
    if kind in MODELS:
        return _convert_nested_model(layer, weights, nested)
    if is_keras_1(original_keras_version):
        weights = _from_keras_1(layer, kind, weights)
    if kind in CONVOLUTIONS:
        weights = _convert_convolution(layer, kind, weights, original_backend, reshape)
    return convert_rnn_weights(layer, weights)


def _target_shapes(layer):
    if not layer.weights:
        raise WeightConversionError(
            f"{type(layer).__name__} layer {layer.name!r} has no weights yet, so saved weights cannot be converted "
            f"to its layout: build it first (call it on data, or model.build(input_shape)).", layer.name)
    return [tuple(w.shape) for w in layer.weights]


def _convert_nested_model(model, weights, nested):
    """A model's saved list is its layers' trainable weights, then their non-trainable ones (Keras)."""

    def own(sublayer, trainable):
        trainables = list(sublayer.trainable_weights)
        if trainable:
            return len(trainables)
        return len([w for w in sublayer.weights if not any(w is t for t in trainables)])

    converted, rest = [], list(weights)
    for trainable in (True, False):
        for sublayer in model.layers:
            count = own(sublayer, trainable)
            if count:
                converted.extend(preprocess_weights_for_loading(sublayer, rest[:count], **nested))
                rest = rest[count:]
    return converted + rest  # a surplus is left for the count check to report


def _from_keras_1(layer, kind, weights):
    gates = KERAS_1_GATES.get("LSTM" if kind == "CuDNNLSTM" else "GRU" if kind == "CuDNNGRU" else kind)
    if gates is not None and len(weights) == 3 * len(gates):
        if kind == "ConvLSTM2D":
            # Keras 2.2.4 stacks the 'th' gates along their last axis before transposing them,
            # which stacks columns, not filters; numkeras transposes each gate first.
            axes = KERAS_1_TRANSPOSES.get((kind, layer.data_format))
            weights = [np.transpose(w, axes) if axes and w.ndim == 4 else w for w in weights]
        weights = [np.concatenate([weights[g + part] for g in gates], axis=-1) for part in range(3)]
        return weights
    if kind == "Conv1D" and weights:
        weights = list(weights)
        weights[0] = _keras_1_conv1d_kernel(layer, weights[0])
        return weights
    axes = KERAS_1_TRANSPOSES.get((kind, getattr(layer, "data_format", None)))
    if axes is not None and weights and weights[0].ndim == len(axes):
        weights = list(weights)
        weights[0] = _transposed_unless_in_place(weights[0], axes, _target_shapes(layer)[0])
    return weights


def _transposed_unless_in_place(kernel, axes, target):
    """``kernel`` transposed by ``axes`` — unless it already has the layer's shape and the
    transposed one would not: a Keras 1 'tf'-ordered kernel in a channels_first model."""
    transposed = np.transpose(kernel, axes)
    if kernel.shape == target and transposed.shape != target:
        return kernel
    return transposed


def _keras_1_conv1d_kernel(layer, kernel):
    """Keras 1.2's ``(length, 1, channels, filters)`` or 1.1's ``(filters, channels, length, 1)``."""
    length, filters = layer.kernel_size[0], layer.filters
    if kernel.ndim != 4:
        return kernel
    if kernel.shape[:2] == (length, 1) and kernel.shape[3] == filters:
        return kernel[:, 0, :, :]
    if kernel.shape[0] == filters and kernel.shape[2:] == (length, 1):
        return np.transpose(kernel, (2, 3, 1, 0))[:, 0, :, :]
    raise WeightConversionError(
        f"Conv1D layer {layer.name!r}: the Keras 1 kernel has shape {kernel.shape}, which is neither Keras 1.2's "
        f"(length, 1, channels, filters) = ({length}, 1, channels, {filters}) nor Keras 1.1's (filters, channels, "
        f"length, 1) = ({filters}, channels, {length}, 1). Check that the layer's filters and kernel_size match "
        f"the saved model.", layer.name)


def _convert_convolution(layer, kind, weights, original_backend, reshape):
    if not weights:
        return weights
    weights = list(weights)
    target = _target_shapes(layer)[0]
    if kernel_flip_needed(original_backend):
        flipped = (0, 1) if kind == "ConvLSTM2D" else (0,)
        for index in flipped:
            if weights[index].ndim < 3:
                raise WeightConversionError(
                    f"{kind} layer {layer.name!r}: the file was written by the Theano backend, whose convolution "
                    f"kernels numkeras flips, but weight #{index} has shape {weights[index].shape}, not a "
                    f"convolution kernel's (spatial axes, input channels, output channels).", layer.name)
            weights[index] = convert_kernel(weights[index])
    if reshape and weights[0].shape != target:
        if weights[0].size != int(np.prod(target)):
            raise WeightConversionError(
                f"{kind} layer {layer.name!r}: reshape=True needs the saved kernel to have as many values as the "
                f"layer's, but the layer's kernel has shape {target} ({int(np.prod(target))} values) and the "
                f"saved one {weights[0].shape} ({weights[0].size} values).", layer.name)
        weights[0] = np.reshape(weights[0], target)
    return weights


# -- cuDNN <-> LSTM / GRU ------------------------------------------------------------------------
def cudnn_to_keras_kernel(kernel, gates):
    """cuDNN's per-gate input matrices, as Keras's ``CuDNNLSTM`` / ``CuDNNGRU`` store them, to
    the ``inputs @ kernel`` layout of ``LSTM`` / ``GRU``.

    Each gate's block ``(input_dim, units)`` holds, row-major, cuDNN's ``(units, input_dim)``
    matrix (Keras flattens the block as it is into cuDNN's parameter buffer).
    """
    blocks = np.split(np.asarray(kernel), gates, axis=1)
    return np.concatenate([block.reshape(block.shape[1], block.shape[0]).T for block in blocks], axis=1)


def keras_to_cudnn_kernel(kernel, gates):
    """The inverse of :func:`cudnn_to_keras_kernel`."""
    blocks = np.split(np.asarray(kernel), gates, axis=1)
    return np.concatenate([np.ascontiguousarray(block.T).reshape(block.shape) for block in blocks], axis=1)


def transpose_gates(recurrent_kernel, gates):
    """cuDNN's recurrent matrices are each gate's ``(units, units)`` block transposed (both ways)."""
    return np.concatenate([block.T for block in np.split(np.asarray(recurrent_kernel), gates, axis=1)], axis=1)


def convert_rnn_weights(layer, weights):
    """``[kernel, recurrent_kernel, bias]`` of a cuDNN layer for an LSTM / GRU, and back.

    The source is read from the bias: ``(8 * units,)`` CuDNNLSTM, ``(4 * units,)`` LSTM;
    ``(6 * units,)`` CuDNNGRU, ``(2, 3 * units)`` ``GRU(reset_after=True)``, ``(3 * units,)``
    ``GRU(reset_after=False)``. LSTM's single bias is cuDNN's input and recurrent biases
    summed; back, it is split in two equal halves (only the sum matters). Weights without
    a bias (``use_bias=False``) are left as they are.
    """
    kind = layer_kind(layer)
    if kind not in RECURRENT or len(weights) != 3:
        return weights
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    units = recurrent_kernel.shape[0]
    lstm = kind in ("LSTM", "CuDNNLSTM")
    gates = 4 if lstm else 3
    sources = ({(8 * units,): "CuDNNLSTM", (4 * units,): "LSTM"} if lstm else
               {(6 * units,): "CuDNNGRU", (2, 3 * units): "GRU(reset_after=True)",
                (3 * units,): "GRU(reset_after=False)"})
    source = sources.get(bias.shape)
    if source is None:
        raise WeightConversionError(
            f"{kind} layer {layer.name!r}: the saved bias has shape {bias.shape}, which no {kind} with "
            f"{units} units writes (expected one of {sorted(sources, key=len)}, from "
            f"{', '.join(sources.values())}). Check the layer's units and type.", layer.name)
    if lstm:
        target = kind
    elif kind == "CuDNNGRU":
        target = "CuDNNGRU"
    else:
        target = f"GRU(reset_after={bool(getattr(layer, 'reset_after', False))})"
    if source == target:
        return [kernel, recurrent_kernel, bias]
    if "GRU(reset_after=False)" in (source, target):
        raise WeightConversionError(
            f"{kind} layer {layer.name!r}: weights saved by {source} cannot load into {target}: cuDNN's GRU "
            f"applies the reset gate after the recurrent matmul, GRU(reset_after=False) before it, so no "
            f"rearrangement of the weights computes the same function. Build the layer as "
            f"{'GRU(reset_after=True)' if source == 'CuDNNGRU' else 'GRU(reset_after=False)'}.", layer.name)
    from_cudnn = source.startswith("CuDNN")
    converted_kernel = (cudnn_to_keras_kernel if from_cudnn else keras_to_cudnn_kernel)(kernel, gates)
    converted_recurrent = transpose_gates(recurrent_kernel, gates)
    if lstm:
        converted_bias = bias[:4 * units] + bias[4 * units:] if from_cudnn else np.tile(0.5 * bias, 2)
    else:
        converted_bias = bias.reshape((2, 3 * units) if from_cudnn else (6 * units,))
    return [converted_kernel, converted_recurrent, converted_bias]


# -- numkeras 0.1's CuDNN layers ----------------------------------------------------------------
# What numkeras writes into a weights group (HDF5 attribute / .npz metadata ``cudnn_layout``) since its
# CuDNN layers store cuDNN's layout; a numkeras file without it holds numkeras 0.1's layout.
CUDNN_LAYOUT = "cudnn"


def from_numkeras_0_1_cudnn(layer, weights):
    """A CuDNNLSTM / CuDNNGRU's arrays as numkeras 0.1 saved them, in the cuDNN layout it uses now.

    numkeras 0.1's CuDNN layers kept ``inputs @ kernel`` / ``h @ recurrent_kernel`` matrices (an
    LSTM's / GRU's layout) under cuDNN's names; the bias was already cuDNN's. Layers of other kinds,
    and the layers a ``Bidirectional`` / ``TimeDistributed`` wraps, are handled by kind.
    """
    kind = layer_kind(layer)
    if kind == "Bidirectional" and len(weights) % 2 == 0:
        half = len(weights) // 2
        return (from_numkeras_0_1_cudnn(layer.forward_layer, weights[:half])
                + from_numkeras_0_1_cudnn(layer.backward_layer, weights[half:]))
    if kind == "TimeDistributed":
        return from_numkeras_0_1_cudnn(layer.layer, weights)
    if kind not in ("CuDNNLSTM", "CuDNNGRU") or len(weights) != 3:
        return weights
    gates = 4 if kind == "CuDNNLSTM" else 3
    kernel, recurrent_kernel, bias = weights
    return [keras_to_cudnn_kernel(kernel, gates), transpose_gates(recurrent_kernel, gates), np.asarray(bias)]


__all__ = ["preprocess_weights_for_loading", "convert_rnn_weights", "cudnn_to_keras_kernel",
           "keras_to_cudnn_kernel", "transpose_gates", "is_keras_1", "kernel_flip_needed", "layer_kind",
           "WeightConversionError", "CUDNN_LAYOUT", "from_numkeras_0_1_cudnn"]
