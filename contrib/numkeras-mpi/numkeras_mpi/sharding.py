"""Each rank's share of the data: strided shards of arrays, and of a ``Sequence``'s batches."""

import math

import numpy as np

from numkeras.utils import Sequence

from . import comm


def shard(data, rank=None, size=None):
    """This rank's share of ``data``: every ``size``-th sample, starting at sample ``rank``.

    Striding (not contiguous blocks) makes batch ``k`` of every rank, together, exactly
    batch ``k`` of one process that trains with ``size`` times the batch size (without
    shuffling): the replicas then compute what that one process computes. Every rank
    gets the same number of samples (the last ``len % size`` are dropped), since the
    ranks must take the same number of steps.

    Arguments:
        data: an array, a list / tuple / dict of arrays (sharded alike), or a
            ``numkeras.utils.Sequence`` (sharded by batches: see :class:`ShardedSequence`).
        rank, size: default ``numkeras_mpi.rank()`` / ``size()``.

    Returns:
        The same kind of object, holding this rank's share.

    Raises:
        ValueError: arrays of different lengths, fewer samples than ranks, or a bad rank.
        TypeError: something that is neither arrays nor a Sequence.

    Example:
        >>> x_train, y_train = hvd.shard((x_train, y_train))
    """
    rank = comm.rank() if rank is None else rank
    size = comm.size() if size is None else size
    if not (isinstance(size, (int, np.integer)) and size >= 1 and isinstance(rank, (int, np.integer))
            and 0 <= rank < size):
        raise ValueError(f"shard: need 0 <= rank < size, got rank={rank!r}, size={size!r}.")
    if isinstance(data, Sequence):
        return ShardedSequence(data, rank, size)
    if isinstance(data, dict):
        return dict(zip(data, shard(list(data.values()), rank, size)))
    if isinstance(data, (list, tuple)):
        arrays = [np.asarray(a) for a in data]
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"shard: the arrays have different lengths {sorted(lengths)}; they must be samples alike.")
        return type(data)(_shard_array(a, rank, size) for a in arrays)
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return _shard_array(np.asarray(data), rank, size)
    raise TypeError(f"shard: expected an array, a list/tuple/dict of arrays or a Sequence, got {type(data).__name__}.")


def _shard_array(array, rank, size):
    usable = len(array) - len(array) % size
    if usable == 0:
        raise ValueError(f"shard: {len(array)} samples cannot be shared by {size} ranks.")
    return array[rank:usable:size]


class ShardedSequence(Sequence):
    """Batches ``rank``, ``rank + size``, ``rank + 2·size`` … of ``sequence``.

    Every rank gets ``len(sequence) // size`` batches (the last few are dropped so the
    ranks take the same number of steps); ``on_epoch_end`` is passed on.
    """

    def __init__(self, sequence, rank, size):
        if len(sequence) < size:
            raise ValueError(f"shard: a Sequence of {len(sequence)} batches cannot be shared by {size} ranks.")
        self.sequence, self.rank, self.size = sequence, rank, size

    def __len__(self):
        return len(self.sequence) // self.size

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ShardedSequence index {index} out of range for {len(self)} batches.")
        return self.sequence[(index % len(self)) * self.size + self.rank]

    def on_epoch_end(self):
        self.sequence.on_epoch_end()


def steps_per_rank(steps):
    """``ceil(steps / size())``: the steps each rank takes to cover ``steps`` batches together."""
    return int(math.ceil(steps / comm.size()))
