"""File helpers, as in Keras 2.2.4's ``keras.utils.io_utils``: :class:`HDF5Matrix`.

h5py is imported when an ``HDF5Matrix`` is made, never by ``import numkeras``.
"""

import os

import numpy as np


class HDF5Matrix:
    """A read-only view of an HDF5 dataset that ``fit`` / ``predict`` accept in place of an array.

    Rows are read from the file when they are indexed (an int, a slice, or a list / array
    of indices, relative to ``start``), optionally passed through ``normalizer``.
    ``fit`` / ``evaluate`` / ``predict`` read the whole view into memory when they start
    (numkeras's data adapter works on arrays), unlike Keras 2.2, which read each batch
    from the file; for data larger than memory, feed a ``Sequence`` that slices the
    ``HDF5Matrix`` per batch.

    Arguments:
        datapath: path of the HDF5 file.
        dataset: name of the dataset inside it.
        start: first row of the view.
        end: one past the last row (default: the dataset's length).
        normalizer: a function applied to every block of rows read.

    Unlike Keras 2.2 (which kept every file it opened in a class-level dict, opened for
    appending), each view opens its file read-only and closes it with :meth:`close`, at
    the end of a ``with`` block, or when it is garbage-collected.

    Example:
        >>> x_train = HDF5Matrix('data.h5', 'x', start=0, end=800)
        >>> model.fit(x_train, y_train)
    """

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        import h5py

        self._file = h5py.File(os.fspath(datapath), "r")
        try:
            self.data = self._file[dataset]
        except KeyError:
            names = list(self._file.keys())
            self._file.close()
            raise KeyError(f"HDF5Matrix: {os.fspath(datapath)!r} has no dataset {dataset!r}; it has {names}.") from None
        length = self.data.shape[0]
        self.start = int(start)
        self.end = length if end is None else int(end)
        if not 0 <= self.start <= self.end <= length:
            self._file.close()
            raise ValueError(f"HDF5Matrix: start={start} and end={end} must satisfy 0 <= start <= end <= {length} "
                             f"(the length of dataset {dataset!r}).")
        self.normalizer = normalizer
        first = self._read(slice(self.start, self.start + 1))
        self._base_shape = first.shape[1:]
        self._base_dtype = first.dtype

    def _read(self, index):
        rows = self.data[index]
        return self.normalizer(rows) if self.normalizer is not None else rows

    def __len__(self):
        return self.end - self.start

    def _absolute(self, key):
        """``key`` (relative to ``start``) as an index into the dataset; IndexError past ``end``."""
        n = len(self)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise IndexError(f"HDF5Matrix: slices with a step are not supported, got {key}.")
            return slice(self.start + start, self.start + max(stop, start))
        if isinstance(key, (int, np.integer)):
            if not -n <= key < n:
                raise IndexError(f"HDF5Matrix: index {key} is out of range for {n} rows.")
            return self.start + int(key) % n
        indices = np.asarray(key)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise IndexError(f"HDF5Matrix: index with an int, a slice or a 1-D list of ints, got {key!r}.")
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise IndexError(f"HDF5Matrix: indices must be in [0, {n}), got {indices.min()} … {indices.max()}.")
        # h5py reads a list of increasing indices; read in sorted order and put the rows back in place.
        order = np.argsort(indices, kind="stable")
        unique, inverse = np.unique(indices[order] + self.start, return_inverse=True)
        return unique.tolist(), order, inverse

    def __getitem__(self, key):
        index = self._absolute(key)
        if isinstance(index, tuple):
            rows, order, inverse = index
            block = self._read(rows)[inverse]
            result = np.empty_like(block)
            result[order] = block
            return result
        return self._read(index)

    def __array__(self, dtype=None, copy=None):
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype)

    @property
    def shape(self):
        return (len(self),) + tuple(self._base_shape)

    @property
    def dtype(self):
        return self._base_dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def close(self):
        """Closes the file (the view cannot be read afterwards)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


__all__ = ["HDF5Matrix"]
