"""IMDB movie-review sentiment (``numkeras.datasets.imdb``), from Keras's ``imdb.npz``.

25,000 training and 25,000 test reviews, each a list of word indices, labelled 1
(positive) or 0 (negative). The file is Keras's own; its md5 is the one Keras 2.2's
loader checks.
"""

import json

import numpy as np

from ..utils import legacy
from . import _text
from ._files import DatasetError, DatasetFile, locate, read_npz

DATA = DatasetFile("imdb.npz", "https://s3.amazonaws.com/text-datasets/imdb.npz",
                   "599dadb1135973df5b59232a0e9a887c")  # md5, keras/datasets/imdb.py (Keras 2.2.4)
WORD_INDEX = DatasetFile("imdb_word_index.json", "https://s3.amazonaws.com/text-datasets/imdb_word_index.json",
                         "bfafd718b763782e994055a2d397834f")  # md5, Keras 2.2.4


@legacy.renames(legacy.TEXT_DATASETS, owner="imdb.load_data")
def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """Loads the IMDB dataset as ``((x_train, y_train), (x_test, y_test))``.

    As Keras 2.2: the training and the test reviews are each shuffled by
    ``np.random.RandomState(seed)`` (the test set with the generator's state after the
    training set), then the word-index conventions are applied (see
    :mod:`numkeras.datasets._text`): ranks shifted by ``index_from``, ``start_char`` in
    front, sequences not shorter than ``maxlen`` dropped, indices outside
    ``[skip_top, num_words)`` replaced by ``oov_char``. NumPy's global random state is
    not touched. One difference, as in tf.keras: ``maxlen`` filters the training and
    the test set each on its own (Keras 2.2 split the filtered whole at the unfiltered
    training-set size, moving test reviews into the training set).

    Arguments:
        path: the file name in the dataset folders (see ``numkeras.datasets``), or a path.
        num_words: keep the indices below this (the most frequent words); ``None`` keeps all.
        skip_top: indices below this (the most frequent words) become ``oov_char``.
        maxlen: drop sequences of this length or longer.
        seed: the shuffling seed.
        start_char: the index that starts every sequence (``None``: no start mark).
        oov_char: the index that replaces cut words (``None``: cut words are dropped).
        index_from: the offset added to every word rank.

    Returns:
        ``x_*``: 1-D object arrays of lists of ints; ``y_*``: int arrays of 0 / 1.

    Raises:
        ValueError: ``maxlen`` keeps no sequence.
        DatasetError: the file is not Keras's ``imdb.npz``.
        DatasetNotFoundError: the file is not found and cannot be downloaded.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=20000)
    """
    arrays = read_npz(locate(DATA, path), ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    x_train, y_train = _shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = _shuffled(rng, arrays["x_test"], arrays["y_test"])
    labels_dtype = arrays["y_train"].dtype
    (train, test) = _text.encode([(x_train, y_train), (x_test, y_test)], num_words, skip_top, maxlen,
                                 start_char, oov_char, index_from)
    train = _text.as_arrays(*train, labels_dtype)
    test = _text.as_arrays(*test, labels_dtype)
    return train, test


def _shuffled(rng, x, y):
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def get_word_index(path="imdb_word_index.json"):
    """The ``{word: rank}`` dictionary of ``imdb_word_index.json`` (rank 1 = most frequent).

    The indices in :func:`load_data`'s sequences are these ranks plus ``index_from``.
    """
    return read_word_index(locate(WORD_INDEX, path))


def read_word_index(path):
    """Reads a Keras word-index JSON file (``{word: rank}``)."""
    try:
        with open(path, encoding="utf-8") as stream:
            index = json.load(stream)
    except ValueError as error:
        raise DatasetError(f"{path} is not a JSON word index: {error}") from error
    if not isinstance(index, dict):
        raise DatasetError(f"{path} holds a {type(index).__name__}, not a {{word: index}} object.")
    return index


__all__ = ["load_data", "get_word_index"]
