"""Turns what users pass to ``fit`` / ``evaluate`` / ``predict`` into one kind of batch source.

:func:`adapt` is the one entry: arrays, generators and ``Sequence``s all become an
object with ``steps``, ``num_samples`` (None when unknown), ``epoch()`` (yielding
``(xs, ys, ws)`` lists of arrays) and ``close()``, which the loops of
:mod:`numkeras.engine.loop` consume without asking what kind of data it was.

Inputs and targets may be one array, a list (one per model input/output) or a
dict keyed by input/output layer name. 1D arrays become ``(samples, 1)``, as in
Keras 2. Every check names the input or output, the expected and the given shape.
"""

import numpy as np

from .. import backend as K
from ..utils import validation
from ..utils.random import generator
from .generators import GeneratorBatches, StepBatches, is_generator_like


def adapt(model, x, y=None, sample_weight=None, class_weight=None, batch_size=None, steps=None, mode="train",
          steps_name="steps", shuffle=False, **queue):
    """The batch source for ``x`` (arrays, a generator or a ``Sequence``) in ``mode``.

    Arguments:
        model: the model; it standardizes and checks every batch (``model._prepare``).
        x, y, sample_weight, class_weight: as given to ``fit`` / ``evaluate`` / ``predict``.
        batch_size: samples per batch of arrays (default 32).
        steps: batches per epoch; arrays: training continues where the last epoch stopped,
            evaluation and prediction take the first ``steps`` batches.
        mode: ``'train'``, ``'test'`` or ``'predict'``.
        steps_name: the argument to name in errors.
        shuffle: shuffle samples (``'batch'``: batch-sized chunks) or a Sequence's batches.
        **queue: ``workers``, ``use_multiprocessing``, ``max_queue_size`` of a generator's queue.

    Raises:
        ValueError: ``y`` or ``sample_weight`` given with a generator, or bad data.
    """
    if is_generator_like(x):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "When x is a generator or a Sequence, its batches carry the targets and sample "
                "weights: pass no y or sample_weight.")
        return GeneratorBatches(model, x, steps, mode=mode, steps_name=steps_name, class_weight=class_weight,
                                shuffle=shuffle, **queue)
    arrays = model._prepare(x, y, sample_weight, class_weight, need_targets=mode != "predict")
    return batches_of(arrays, batch_size, steps, mode, steps_name, shuffle)


def batches_of(arrays, batch_size=None, steps=None, mode="train", steps_name="steps", shuffle=False):
    """The batch source of standardized ``(xs, ys, ws)`` arrays (see :func:`adapt`)."""
    batches = ArrayBatches(*arrays, batch_size if batch_size is not None else 32, shuffle=shuffle)
    if steps is not None:
        batches = StepBatches(batches, steps, resume=mode == "train", steps_name=steps_name)
    return batches


def standardize(data, names, shapes, what, check_shapes=True, dtype=None):
    """``data`` as a list of arrays, one per name, checked against ``shapes`` (batch axis ignored)."""
    if data is None:
        return [None] * len(names)
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(
                f"No data provided for {missing[0]!r}. Need data for each key in: {names}."
            )
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and not _is_array_like_scalar_list(data, len(names)):
        arrays = list(data)
    else:
        arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(
            f"Error when checking model {what}: the model expects {len(names)} array(s) "
            f"({', '.join(names)}), but it received {len(arrays)}."
        )
    result = []
    for name, array, shape in zip(names, arrays, shapes):
        array = as_array(array, dtype, f"The {what} data for {name!r}")
        if array.ndim == 1 and shape is not None and len(shape) == 2:
            array = array[:, None]
        if check_shapes and shape is not None:
            _check_shape(array, shape, name, what)
        result.append(array)
    return result


def _is_array_like_scalar_list(data, expected):
    """A plain Python list of numbers is one array, not a list of inputs."""
    return expected == 1 and len(data) > 0 and all(np.isscalar(d) for d in data)


def as_array(value, dtype=None, name="data"):
    """``value`` (an array, a Tensor, nested lists) as a numeric NumPy array, floats cast to ``dtype``.

    Raises:
        ValueError: a ragged nested list (rows of different lengths).
        TypeError: strings, objects or anything else that is not numbers.
    """
    if isinstance(value, K.Tensor):
        value = value.data
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name} is a ragged nested list (its rows have different lengths), which is not an array. "
            f"Pad the rows to one length first, e.g. with numkeras.preprocessing.sequence.pad_sequences."
        ) from None
    if array.dtype.kind in "USa":
        raise TypeError(
            f"{name} holds strings ({array.dtype}); a model takes numbers. Convert them first, e.g. text "
            f"with numkeras.preprocessing.text.Tokenizer, labels with a dict or np.unique(..., "
            f"return_inverse=True).")
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{name} is not an array of numbers (it has dtype {array.dtype}, from a {type(value).__name__}); "
            f"pass NumPy arrays of numbers.")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array


def _check_shape(array, shape, name, what):
    expected = tuple(shape)[1:]
    got = array.shape[1:]
    if len(got) != len(expected):
        raise ValueError(
            f"Error when checking {what}: expected {name} to have {len(shape)} dimensions, but got "
            f"array with shape {array.shape}."
        )
    for e, g in zip(expected, got):
        if e is not None and e != g:
            raise ValueError(
                f"Error when checking {what}: expected {name} to have shape "
                f"{tuple(expected)} but got array with shape {tuple(got)}."
            )


def check_lengths(xs, ys, sample_weights):
    """All arrays must have the same number of samples; the error says which do not."""
    lengths = {len(a) for a in xs if a is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"All input arrays (x) should have the same number of samples. Got array lengths: "
            f"{[len(a) for a in xs if a is not None]}."
        )
    target_lengths = {len(a) for a in ys if a is not None}
    if len(target_lengths) > 1:
        raise ValueError(
            f"All target arrays (y) should have the same number of samples. Got array lengths: "
            f"{[len(a) for a in ys if a is not None]}."
        )
    if lengths and target_lengths and lengths != target_lengths:
        raise ValueError(
            f"Input arrays should have the same number of samples as target arrays. Found "
            f"{lengths.pop()} input samples and {target_lengths.pop()} target samples."
        )
    for w in sample_weights:
        if w is not None and lengths and len(w) != next(iter(lengths)):
            raise ValueError(
                f"sample_weight has {len(w)} entries but x has {next(iter(lengths))} samples."
            )


def check_finite(arrays, what):
    for index, array in enumerate(arrays):
        if array is not None and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
            raise ValueError(
                f"{what} {index} contains {bad} NaN or infinite value(s); clean the data "
                f"(e.g. np.nan_to_num) or drop those samples."
            )


def class_weights_to_sample_weights(y, class_weight, output_name="the output"):
    """Per-sample weights from a ``{class: weight}`` dict, for one-hot, sparse or binary targets.

    Raises:
        TypeError: keys that are not class indices, weights that are not numbers.
        ValueError: a class of ``y`` missing from ``class_weight`` (as Keras 2.2 raises).
    """
    if y.ndim == 2 and y.shape[1] > 1:
        classes = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        classes = np.round(y[:, 0]) if y.dtype.kind == "f" else y[:, 0]
    else:
        classes = np.round(y) if y.dtype.kind == "f" else y
    classes = np.asarray(classes).astype(np.int64).reshape(len(y))
    table = {}
    for key, weight in class_weight.items():
        if not validation.is_integer(key) and not (validation.is_number(key) and float(key).is_integer()):
            raise TypeError(f"class_weight keys must be class indices (integers), got {key!r} for {output_name}.")
        if not validation.is_number(weight) or not np.isfinite(weight):
            raise TypeError(f"class_weight[{key!r}] must be a finite number, got {validation.describe_value(weight)}.")
        table[int(key)] = float(weight)
    present = np.unique(classes)
    missing = [int(c) for c in present if int(c) not in table]
    if missing:
        raise ValueError(
            f"class_weight must contain all classes in the data: the classes {missing} exist in the targets of "
            f"{output_name} but not in class_weight (which has {sorted(table)}). Give them a weight (1.0 leaves "
            f"a class as it is).")
    lookup = np.array([table[int(c)] for c in present], dtype=K.floatx())
    return lookup[np.searchsorted(present, classes)]


def _is_per_class(value):
    """A list, tuple or 1-D array of numbers: weights indexed by class (what scikit-learn's
    ``compute_class_weight`` returns)."""
    if isinstance(value, np.ndarray):
        return value.ndim == 1 and value.dtype.kind in "fiub"
    return isinstance(value, (list, tuple)) and all(validation.is_number(v) for v in value)


def class_weight_table(class_weight, output_name="the output"):
    """``{class index: weight}`` from a dict, or from a list / 1-D array indexed by class.

    Raises:
        TypeError: anything else.
    """
    if isinstance(class_weight, dict):
        return class_weight
    if _is_per_class(class_weight):
        return {index: weight for index, weight in enumerate(np.asarray(class_weight).tolist())}
    raise TypeError(f"class_weight for {output_name} must be a dict {{class index: weight}} or a list / 1-D "
                    f"array of weights indexed by class, got {validation.describe_value(class_weight)}.")


def class_weights_per_output(class_weight, output_names):
    """``class_weight`` as one ``{class: weight}`` table (or None) per output.

    Accepted forms (Keras 2.2's, plus weights indexed by class):
    - None, or an empty dict / list / array: no class weights;
    - a dict keyed by output names, or a list of one entry per output (each a table or None);
    - one table for every output: ``{class index: weight}``, or a list / 1-D array of weights
      indexed by class.

    Raises:
        TypeError / ValueError: another form, or a per-output list of the wrong length.
    """
    n = len(output_names)
    if class_weight is None or (isinstance(class_weight, (dict, list, tuple, np.ndarray)) and len(class_weight) == 0):
        return [None] * n
    if isinstance(class_weight, dict) and any(name in class_weight for name in output_names):
        per_output = [class_weight.get(name) for name in output_names]
    elif isinstance(class_weight, (list, tuple)) and not _is_per_class(class_weight):
        if len(class_weight) != n:
            raise ValueError(f"class_weight is a list of {len(class_weight)} entries, but the model has {n} "
                             f"output(s): pass one {{class index: weight}} (or None) per output, or a dict by "
                             f"output name {output_names}.")
        per_output = list(class_weight)
    else:
        per_output = [class_weight] * n
    return [None if cw is None else class_weight_table(cw, repr(name)) for cw, name in zip(per_output, output_names)]


def _sample_weight_array(w, output_name):
    try:
        array = np.asarray(w.data if isinstance(w, K.Tensor) else w, dtype=K.floatx())
    except (TypeError, ValueError):
        raise TypeError(
            f"sample_weight for output {output_name!r} must be an array of numbers (one weight per sample), "
            f"got {validation.describe_value(w)}.") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"sample_weight for output {output_name!r} contains NaN or infinite values.")
    return array


def standardize_sample_weights(sample_weight, class_weight, ys, output_names, modes):
    """One weight array (or None) per output, combining ``sample_weight`` and ``class_weight``."""
    n = len(output_names)
    if isinstance(sample_weight, dict):
        unknown = sorted(set(sample_weight) - set(output_names), key=str)
        if unknown:
            raise ValueError(f"sample_weight has entries for {unknown}, which are not outputs of the model; "
                             f"its outputs are {output_names}.")
        weights = [sample_weight.get(name) for name in output_names]
    elif isinstance(sample_weight, (list, tuple)) and (n > 1 or any(np.ndim(w) > 0 for w in sample_weight)):
        weights = list(sample_weight)  # one array per output (a plain list of numbers is one output's weights)
    else:
        weights = [sample_weight] * n
    if len(weights) != n:
        raise ValueError(f"sample_weight: expected {n} arrays (one per output), got {len(weights)}.")
    weights = [None if w is None else _sample_weight_array(w, name) for w, name in zip(weights, output_names)]
    for index, (w, mode) in enumerate(zip(weights, modes)):
        if w is None:
            continue
        if mode == "temporal" and w.ndim != 2:
            raise ValueError(
                f"sample_weight_mode='temporal' needs 2D sample weights (samples, timesteps); "
                f"got shape {w.shape} for output {output_names[index]!r}."
            )
        if mode != "temporal" and w.ndim != 1:
            raise ValueError(
                f"Found a sample_weight array with shape {w.shape} for output "
                f"{output_names[index]!r}; pass 1D weights, or compile with "
                f"sample_weight_mode='temporal' for 2D weights."
            )
    for index, cw in enumerate(class_weights_per_output(class_weight, output_names)):
        if cw is None or ys[index] is None:
            continue
        cw_weights = class_weights_to_sample_weights(ys[index], cw, repr(output_names[index]))
        weights[index] = cw_weights if weights[index] is None else weights[index] * cw_weights
    return weights


def split_validation(arrays, validation_split):
    """Keras semantics: the *last* ``validation_split`` fraction, before any shuffling."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be between 0 and 1 (exclusive), got {validation_split}.")
    n = len(next(a for a in arrays[0] if a is not None))
    split_at = int(n * (1.0 - validation_split))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no samples for "
            f"{'training' if split_at == 0 else 'validation'} out of {n}."
        )

    def cut(group, part):
        return [None if a is None else (a[:split_at] if part == 0 else a[split_at:]) for a in group]

    train = tuple(cut(group, 0) for group in arrays)
    validation = tuple(cut(group, 1) for group in arrays)
    return train, validation


def batch_shuffle(index_array, batch_size):
    """``index_array`` shuffled by whole batches (Keras's ``batch_shuffle``), with numkeras's RNG.

    Whole batch-sized chunks change places and the partial last chunk stays last, so every
    batch is still one contiguous read (what HDF5 data needs).
    """
    index_array = np.asarray(index_array)
    full = (len(index_array) // batch_size) * batch_size
    chunks = index_array[:full].reshape(-1, batch_size).copy()
    generator().shuffle(chunks)
    return np.concatenate([chunks.ravel(), index_array[full:]])


class ArrayBatches:
    """Batches of in-memory arrays: ``for xs, ys, ws in batches.epoch()``.

    Arguments:
        xs, ys, ws: lists of arrays (ys/ws entries may be None).
        batch_size: samples per batch.
        shuffle: True (shuffle samples each epoch), False, or ``'batch'`` (shuffle
            batch-sized chunks, for HDF5-like data).
    """

    def __init__(self, xs, ys, ws, batch_size, shuffle=False):
        self.xs, self.ys, self.ws = xs, ys, ws
        self.batch_size = int(batch_size)
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        self.shuffle = shuffle
        self.num_samples = len(xs[0]) if xs and xs[0] is not None else len(next(y for y in ys if y is not None))
        self.steps = -(-self.num_samples // self.batch_size)

    def _order(self):
        n = self.num_samples
        if self.shuffle == "batch":
            return batch_shuffle(np.arange(n), self.batch_size)
        if self.shuffle:
            return generator().permutation(n)
        return None

    def epoch(self):
        order = self._order()
        for start in range(0, self.num_samples, self.batch_size):
            if order is None:
                index = slice(start, start + self.batch_size)
            else:
                index = order[start:start + self.batch_size]
            yield (
                [x[index] for x in self.xs],
                [None if y is None else y[index] for y in self.ys],
                [None if w is None else w[index] for w in self.ws],
            )
