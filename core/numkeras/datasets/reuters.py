"""Reuters newswire topics (``numkeras.datasets.reuters``), from Keras's ``reuters.npz``.

11,228 newswires in 46 topics, each a list of word indices. The file is Keras's own;
its md5 is the one Keras 2.2's loader checks.
"""

from ..utils import legacy
from . import _text
from ._files import DatasetFile, locate, read_shuffled_xy, train_rows
from .imdb import read_word_index

DATA = DatasetFile("reuters.npz", "https://s3.amazonaws.com/text-datasets/reuters.npz",
                   "87aedbeb0cb229e378797a632c1997b6")  # md5, keras/datasets/reuters.py (Keras 2.2.4)
WORD_INDEX = DatasetFile("reuters_word_index.json",
                         "https://s3.amazonaws.com/text-datasets/reuters_word_index.json",
                         "4d44cc38712099c9e383dc6e5f11a921")  # md5, Keras 2.2.4


@legacy.renames(legacy.TEXT_DATASETS, owner="reuters.load_data")
def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters newswires as ``((x_train, y_train), (x_test, y_test))``.

    As Keras 2.2: all newswires are shuffled by ``np.random.RandomState(seed)``, the
    word-index conventions of :mod:`numkeras.datasets._text` are applied (``maxlen``
    filters before the split), and the first ``int(n * (1 - test_split))`` are the
    training set. NumPy's global random state is not touched.

    Arguments:
        path: the file name in the dataset folders (see ``numkeras.datasets``), or a path.
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            :func:`numkeras.datasets.imdb.load_data`.
        test_split: the fraction of the newswires in the test set.

    Returns:
        ``x_*``: 1-D object arrays of lists of ints; ``y_*``: int arrays of topics 0-45.

    Raises:
        ValueError: ``test_split`` outside [0, 1), or ``maxlen`` keeps no sequence.
        DatasetError: the file is not Keras's ``reuters.npz``.
        DatasetNotFoundError: the file is not found and cannot be downloaded.
    """
    xs, labels = read_shuffled_xy(DATA, path, test_split, seed)
    [(sequences, labels_list)] = _text.encode([(xs, labels)], num_words, skip_top,
                                              maxlen, start_char, oov_char, index_from)
    split = train_rows(len(sequences), test_split)
    train = _text.as_arrays(sequences[:split], labels_list[:split], labels.dtype)
    test = _text.as_arrays(sequences[split:], labels_list[split:], labels.dtype)
    return train, test


def get_word_index(path="reuters_word_index.json"):
    """The ``{word: rank}`` dictionary of ``reuters_word_index.json`` (rank 1 = most frequent)."""
    return read_word_index(locate(WORD_INDEX, path))


__all__ = ["load_data", "get_word_index"]
