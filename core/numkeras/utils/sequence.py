"""``Sequence``: the base class of datasets of batches (Keras 2.2.4's ``keras.utils.Sequence``).

A module of its own, below :mod:`numkeras.utils.enqueuers` (which run Sequences in
workers) and :mod:`numkeras.utils.data_utils` (which re-exports it under Keras's path).
"""


class Sequence:
    """Base class for datasets of batches: implement ``__getitem__`` and ``__len__``.

    ``__getitem__(index)`` returns batch ``index`` as ``(x, y)`` or ``(x, y,
    sample_weight)`` (or ``x`` alone for ``predict``); ``__len__`` is the number of
    batches in one pass. ``on_epoch_end`` is called after every complete pass, e.g.
    to reshuffle. ``fit``, ``evaluate`` and ``predict`` take a Sequence directly, and
    with ``workers > 1`` each batch is still produced exactly once per pass, in order.

    Example:
        >>> class ArraySequence(Sequence):
        ...     def __init__(self, x, y, batch_size):
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, index):
        ...         part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[part], self.y[part]
        >>> model.fit(ArraySequence(x, y, 32), epochs=10, workers=4, use_multiprocessing=True)
    """

    def __getitem__(self, index):
        """Batch number ``index``."""
        raise NotImplementedError

    def __len__(self):
        """The number of batches in the Sequence."""
        raise NotImplementedError

    def on_epoch_end(self):
        """Called after each complete pass over the Sequence; a no-op by default."""

    def __iter__(self):
        """The batches of one pass, in order."""
        for index in range(len(self)):
            yield self[index]


def iter_sequence_infinite(sequence):
    """The batches of ``sequence``, pass after pass, forever (no ``on_epoch_end`` calls)."""
    while True:
        for batch in sequence:
            yield batch


__all__ = ["Sequence", "iter_sequence_infinite"]
