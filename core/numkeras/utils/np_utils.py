"""NumPy helpers (Keras's ``keras.utils.np_utils``)."""

import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """Converts integer class labels to one-hot rows.

    Arguments:
        y: class labels from 0 to ``num_classes - 1`` (any shape; a trailing axis of 1 is dropped).
        num_classes: total classes; defaults to ``max(y) + 1``.

    Returns:
        A float array of shape ``y.shape + (num_classes,)``.

    Raises:
        ValueError: negative labels, non-integer labels, or labels >= num_classes.

    Example:
        >>> to_categorical([0, 2], 3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("to_categorical expects integer class labels; got non-integer values.")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels; got dtype {y.dtype}.")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class labels must be >= 0; found {y.min()}.")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {int(y.max())} is out of range for num_classes={num_classes}."
        )
    categorical = np.zeros((y.size, num_classes), dtype=dtype)
    categorical[np.arange(y.size), y] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
