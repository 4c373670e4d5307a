"""Sequence preprocessing, as in Keras 2.2.4's ``keras.preprocessing.sequence``.

- :func:`pad_sequences`: a list of variable-length sequences to one 2D (or more)
  array of a common length, padded and truncated at the start or the end.
- :func:`make_sampling_table` / :func:`skipgrams`: word2vec-style training pairs.
- :class:`TimeseriesGenerator`: batches of windows over a time series, as a
  :class:`numkeras.utils.Sequence`.
"""

import numpy as np

from ..utils.data_utils import Sequence
from ..utils.random import generator as _generator

__all__ = ["pad_sequences", "make_sampling_table", "skipgrams", "TimeseriesGenerator"]

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.):
    """Pads (and truncates) ``sequences`` to the same length ``maxlen``.

    Arguments:
        sequences: a list of sequences (lists or arrays); each element of a sequence
            may itself be an array, whose shape must then be the same throughout
            (the "trailing" shape).
        maxlen: the length of the result; ``None`` means the longest sequence's.
        dtype: the dtype of the result (``'int32'`` by default: pass ``'float32'``
            to keep fractional values).
        padding: ``'pre'`` (default) or ``'post'``: pad before or after.
        truncating: ``'pre'`` (default) or ``'post'``: drop values from the start or
            the end of sequences longer than ``maxlen``.
        value: the padding value.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + trailing_shape``.

    Raises:
        ValueError: for an invalid ``padding`` / ``truncating``, a non-iterable entry,
            or sequences whose elements have different trailing shapes.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in _SIDES:
        raise ValueError('Padding type "%s" not understood; expected "pre" or "post".' % (padding,))
    if truncating not in _SIDES:
        raise ValueError('Truncating type "%s" not understood; expected "pre" or "post".' % (truncating,))
    num_samples = len(sequences)
    lengths = []
    for entry in sequences:
        try:
            lengths.append(len(entry))
        except TypeError:
            raise ValueError("`sequences` must be a list of iterables. Found non-iterable: " + str(entry)) from None
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    maxlen = int(maxlen)
    if maxlen < 0:
        raise ValueError("`maxlen` must be non-negative, got %d." % maxlen)

    sample_shape = ()
    for entry in sequences:
        if len(entry) > 0:
            sample_shape = np.asarray(entry).shape[1:]
            break

    is_str_dtype = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and not is_str_dtype:
        raise ValueError("`dtype` {} is not compatible with `value`'s type: {}\nYou should set "
                         "`dtype=object` for variable length strings.".format(dtype, type(value)))

    x = np.full((num_samples, maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return x
    for idx, entry in enumerate(sequences):
        if not len(entry):
            continue
        kept = entry[-maxlen:] if truncating == "pre" else entry[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError("Shape of sample %s of sequence at position %s is different from expected "
                             "shape %s" % (kept.shape[1:], idx, sample_shape))
        if padding == "post":
            x[idx, :len(kept)] = kept
        else:
            x[idx, maxlen - len(kept):] = kept
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """Word-rank sampling probabilities for :func:`skipgrams` (word2vec's subsampling).

    ``table[i]`` is the probability of keeping the ``i``-th most common word, assuming
    a Zipf distribution of word frequencies:
    ``min(1, sqrt(sampling_factor * inv_freq(i)))`` with
    ``inv_freq(r) = r * (log(r) + gamma) + 1/2 - 1/(12 r)`` (``gamma`` = 0.577; rank 0
    is treated as rank 1).
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1. / (12. * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1., f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Skip-gram word pairs from a sequence of word indices (0 is skipped as padding).

    Each word ``wi`` at position ``i`` pairs with every non-zero word within
    ``window_size`` positions (label 1); then ``int(n_positive * negative_samples)``
    negative pairs ``[random context word, random index in 1 … vocabulary_size - 1]``
    (label 0) are added. With ``categorical`` the labels are ``[0, 1]`` / ``[1, 0]``.
    ``sampling_table[wi]`` is the probability of keeping word ``wi`` (see
    :func:`make_sampling_table`). ``seed`` makes sampling and shuffling reproducible.

    Returns:
        ``(couples, labels)``: lists of ``[word, context]`` pairs and their labels.
    """
    rng = _generator(seed)
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < rng.random():
            continue
        window_start = max(0, i - window_size)
        window_end = min(len(sequence), i + window_size + 1)
        for j in range(window_start, window_end):
            if j == i:
                continue
            wj = sequence[j]
            if not wj:
                continue
            couples.append([wi, wj])
            labels.append([0, 1] if categorical else 1)

    if negative_samples > 0:
        num_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rng.shuffle(words)
        couples += [[words[i % len(words)], int(rng.integers(1, vocabulary_size))]
                    for i in range(num_negative)]
        labels += [[1, 0] if categorical else 0 for _ in range(num_negative)]

    if shuffle and couples:
        order = rng.permutation(len(couples))
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels


class TimeseriesGenerator(Sequence):
    """Batches of temporal windows over ``data`` with the matching ``targets``.

    Sample ``k`` of the generator ends just before row ``r = start_index + length +
    k * stride``: its input is ``data[r - length:r:sampling_rate]`` and its target
    ``targets[r]``. Rows run up to ``end_index`` (default ``len(data) - 1``).

    Arguments:
        data, targets: indexable sequences of the same length (NumPy arrays).
        length: the window length, in time steps (before ``sampling_rate``).
        sampling_rate: keep every ``sampling_rate``-th step inside a window.
        stride: the number of steps between successive windows.
        start_index, end_index: the range of rows used (see above).
        shuffle: draw batches of random rows (numkeras's random source, seeded by
            ``numkeras.utils.set_random_seed``) instead of in order.
        reverse: reverse each window in time.
        batch_size: windows per batch (the last batch may be smaller).
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError("Data and targets have to be of same length. Data length is {} while "
                             "target length is {}".format(len(data), len(targets)))
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        if end_index is None:
            end_index = len(data) - 1
        self.end_index = end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError("`start_index+length=%i > end_index=%i` is disallowed, as no part of the "
                             "sequence would be left to be used as current step."
                             % (self.start_index, self.end_index))

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = _generator().integers(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets
