"""``embedding_lookup``: rows of a table selected by integer ids, with a fast scatter-add backward.

``np.add.at`` is the obvious backward but slow for a large batch of ids. Ids are sorted
once; the first occurrence of every id is written with one fancy assignment (those are
unique), and only the repeats (padding ids, frequent words) go through ``np.add.at``.
"""

import numpy as np

from ..tensor import Function
from ._util import operand


class EmbeddingLookup(Function):
    """``params[ids]`` for a ``(vocabulary, dim)`` table and integer ``ids`` of any shape."""

    def __init__(self, ids):
        self.ids = ids

    def forward(self, params):
        self.params_shape = params.shape
        return params[self.ids]

    def backward(self, g):
        flat = self.ids.reshape(-1)
        rows = g.reshape(flat.size, -1)
        grad = np.zeros(self.params_shape, dtype=g.dtype)
        if flat.size == 0:
            return (grad,)
        order = np.argsort(flat, kind="stable")
        ids = flat[order]
        first = np.empty(ids.size, dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        grad.reshape(self.params_shape[0], -1)[ids[first]] = rows[order[first]]
        if not first.all():
            repeats = ~first
            np.add.at(grad.reshape(self.params_shape[0], -1), ids[repeats], rows[order[repeats]])
        return (grad,)


def embedding_lookup(params, ids):
    """The rows ``params[ids]``: shape ``ids.shape + params.shape[1:]``.

    Arguments:
        params: a ``(vocabulary, ...)`` tensor (the embedding matrix).
        ids: integer array-like (a float array of whole numbers is accepted and cast).

    Raises:
        IndexError: an id is negative or not smaller than the vocabulary size.
    """
    params = operand(params)
    ids = np.asarray(ids.data if hasattr(ids, "data") else ids)
    if ids.dtype.kind not in "iu":
        ids = ids.astype(np.int64)
    vocabulary = params.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"embedding_lookup: id {int(bad)} is out of range for a table of {vocabulary} rows "
                         f"(ids must be in [0, {vocabulary})).")
    return EmbeddingLookup(ids).apply(params)


__all__ = ["EmbeddingLookup", "embedding_lookup"]
