"""Training helpers under Keras 2.2.4's module path ``keras.engine.training_utils``.

Code written for Keras 2.2 (custom training loops, data pipelines, libraries built on
Keras) calls these directly. Each is Keras 2.2's function over the rule numkeras's own
``fit`` uses, so both agree: the data standardization of :mod:`.data_adapter`, the
weighted masked objective of :mod:`.objective`.

Where numkeras's rule differs from Keras 2.2's, the rule of ``fit`` wins here too:
- a batch whose mask or sample weights are all zero gives 0, not Keras's 0 / 0;
- ``standardize_weights`` with both ``sample_weight`` and ``class_weight`` multiplies them,
  as ``fit`` does, where Keras 2.2 warned and dropped ``class_weight``.
"""

import numpy as np

from .. import backend as K
from ..utils.generic_utils import to_list
from ..utils.sequence import Sequence, iter_sequence_infinite
from . import data_adapter
from .data_adapter import batch_shuffle
from .objective import OutputLoss, weighted_masked_mean


# -- inputs and targets -------------------------------------------------------------------------
def standardize_single_array(x):
    """``x`` as an array, a 1-D array becoming ``(samples, 1)``; None stays None."""
    if x is None:
        return None
    x = data_adapter.as_array(x)
    return x[:, None] if x.ndim == 1 else x


def standardize_input_data(data, names, shapes=None, check_batch_axis=True, exception_prefix=""):
    """``data`` (an array, a list of arrays or a dict by name) as a list of arrays, one per name.

    Arguments:
        data: what the user passed.
        names: the model's input (or output) names, in order.
        shapes: optional expected shapes, batch axis first (None entries and None axes are not checked).
        check_batch_axis: whether the batch axis of ``shapes`` is checked too.
        exception_prefix: what the data is (``'input'``, ``'target'``), for the messages.

    Returns:
        One array per name (1-D arrays become ``(samples, 1)``), or ``[None] * len(names)``
        for ``data=None``.

    Raises:
        ValueError: a missing name in a dict, a wrong number of arrays, or a shape that
            does not match ``shapes``.
    """
    if not names:
        if data is not None and hasattr(data, "__len__") and len(data):
            raise ValueError(f"Error when checking model {exception_prefix}: expected no data, but got "
                             f"{type(data).__name__} of length {len(data)}.")
        return []
    if data is None:
        return [None] * len(names)
    arrays = data_adapter.standardize(data, list(names), [None] * len(names), exception_prefix, check_shapes=False)
    arrays = [standardize_single_array(a) for a in arrays]
    for name, array, shape in zip(names, arrays, shapes or [None] * len(names)):
        if shape is None:
            continue
        if array.ndim != len(shape):
            raise ValueError(f"Error when checking {exception_prefix}: expected {name} to have {len(shape)} "
                             f"dimensions, but got array with shape {array.shape}.")
        got, expected = (array.shape, tuple(shape)) if check_batch_axis else (array.shape[1:], tuple(shape)[1:])
        if any(e and e != g for e, g in zip(expected, got)):
            raise ValueError(f"Error when checking {exception_prefix}: expected {name} to have shape "
                             f"{expected} but got array with shape {got}.")
    return arrays


def standardize_sample_or_class_weights(x_weight, output_names, weight_type):
    """``sample_weight`` or ``class_weight`` (one item, a list, or a dict by output name) as one entry per output.

    Raises:
        ValueError: a list whose length is not the number of outputs.
        TypeError: with several outputs, anything but a list or a dict.
    """
    if x_weight is None or (isinstance(x_weight, (list, tuple, dict)) and len(x_weight) == 0):
        return [None] * len(output_names)
    if len(output_names) == 1:
        if isinstance(x_weight, list) and len(x_weight) == 1:
            return x_weight
        if isinstance(x_weight, dict) and output_names[0] in x_weight:
            return [x_weight[output_names[0]]]
        return [x_weight]
    if isinstance(x_weight, list):
        if len(x_weight) != len(output_names):
            raise ValueError(f"{weight_type} is a list of {len(x_weight)} elements, but the model has "
                             f"{len(output_names)} outputs: pass one {weight_type} per output.")
        return x_weight
    if isinstance(x_weight, dict):
        return [x_weight.get(name) for name in output_names]
    raise TypeError(f"The model has {len(output_names)} outputs, so {weight_type} must be a list or a dict by "
                    f"output name; got {type(x_weight).__name__}.")


def standardize_class_weights(class_weight, output_names):
    return standardize_sample_or_class_weights(class_weight, output_names, "class_weight")


def standardize_sample_weights(sample_weight, output_names):
    return standardize_sample_or_class_weights(sample_weight, output_names, "sample_weight")


def standardize_weights(y, sample_weight=None, class_weight=None, sample_weight_mode=None):
    """One weight per sample (or per sample and timestep, ``'temporal'``) for the targets ``y``.

    ``class_weight`` (``{class: weight}``, or a list / array indexed by class) gives each
    sample its class's weight; without weights, every sample weighs 1.

    Raises:
        ValueError / TypeError: weights of the wrong shape, or a class of ``y`` without a weight.
    """
    y = np.asarray(y)
    weights = data_adapter.standardize_sample_weights(sample_weight, class_weight, [y], ["output"],
                                                      [sample_weight_mode])[0]
    if weights is not None:
        return weights
    shape = (len(y), y.shape[1]) if sample_weight_mode == "temporal" else (len(y),)
    return np.ones(shape, dtype=K.floatx())


def check_array_length_consistency(inputs, targets, weights=None):
    """Raises ValueError unless every input, target and weight array has the same number of samples."""
    data_adapter.check_lengths(*([] if arrays is None else list(arrays) for arrays in (inputs, targets, weights)))


def check_loss_and_target_compatibility(targets, loss_fns, output_shapes):
    """Raises ValueError where a target array cannot match its output under its loss."""
    for index, (y, loss, shape) in enumerate(zip(targets, loss_fns, output_shapes)):
        if y is not None and loss is not None:
            OutputLoss(loss).check_targets(y, shape, f"output {index}")


def collect_metrics(metrics, output_names):
    """``metrics`` (a list for every output, or a dict by output name) as one list per output.

    Raises:
        TypeError: anything but a list or a dict.
    """
    if not metrics:
        return [[] for _ in output_names]
    if isinstance(metrics, list):
        return [list(metrics) for _ in output_names]
    if isinstance(metrics, dict):
        return [to_list(metrics.get(name, [])) for name in output_names]
    raise TypeError(f"metrics must be a list or a dict by output name, got {type(metrics).__name__}.")


def make_batches(size, batch_size):
    """``[(start, end), ...]``: the index ranges of ``size`` samples in batches of ``batch_size``."""
    return [(start, min(size, start + batch_size)) for start in range(0, size, batch_size)]


def weighted_masked_objective(fn):
    """``fn(y_true, y_pred)`` as ``weighted(y_true, y_pred, weights, mask=None)``: Keras 2.2's objective.

    ``mean(score * mask / mean(mask))`` over the axes the weights lack, times the weights,
    divided by the fraction of non-zero weights, then the mean: a scalar Tensor. None stays None.
    """
    if fn is None:
        return None

    def weighted(y_true, y_pred, weights, mask=None):
        return weighted_masked_mean(fn(y_true, y_pred), weights, mask)

    weighted.__name__ = f"weighted_{getattr(fn, '__name__', 'objective')}"
    return weighted


def check_num_samples(ins, batch_size=None, steps=None, steps_name="steps"):
    """The number of samples in ``ins`` (a list of arrays), or None when ``steps`` counts batches instead.

    Raises:
        ValueError: both ``steps`` and ``batch_size``, or no arrays and no ``steps``.
    """
    if steps is not None and batch_size is not None:
        raise ValueError(f"If {steps_name} is set, batch_size must be None.")
    if steps is not None:
        return None
    if not ins or not hasattr(ins[0], "shape"):
        raise ValueError(f"Cannot count the samples of {ins!r}: pass arrays, or {steps_name}.")
    return int(ins[0].shape[0])


def is_sequence(seq):
    """Whether ``seq`` is a :class:`~numkeras.utils.Sequence` or has its whole interface."""
    return isinstance(seq, Sequence) or all(
        callable(getattr(seq, name, None)) for name in ("__getitem__", "__len__", "on_epoch_end"))


__all__ = [
    "standardize_single_array", "standardize_input_data", "standardize_sample_or_class_weights",
    "standardize_class_weights", "standardize_sample_weights", "standardize_weights",
    "check_array_length_consistency", "check_loss_and_target_compatibility", "collect_metrics",
    "batch_shuffle", "make_batches", "weighted_masked_objective", "check_num_samples",
    "iter_sequence_infinite", "is_sequence",
]
