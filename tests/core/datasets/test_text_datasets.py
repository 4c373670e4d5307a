"""imdb and reuters on small files in Keras's layout: every argument against Keras 2.2's code path.

``keras22_*`` below is Keras 2.2.4's documented algorithm written out step by step
(global ``np.random.seed`` + ``np.random.shuffle``, shift, ``len(x) < maxlen``, the
``[skip_top, num_words)`` rule), the oracle the loaders are compared with.
"""

import json
import warnings

import numpy as np
import pytest

from numkeras.datasets import imdb, reuters

TRAIN = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2, 2], [10, 1, 3, 3, 3]]
TRAIN_LABELS = [0, 1, 1, 0, 1]
TEST = [[3, 1], [9, 8, 7, 6, 5, 4], [11]]
TEST_LABELS = [1, 0, 0]


def _objects(lists):
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = item
    return array


@pytest.fixture
def imdb_file(keras_cache, trust):
    path = keras_cache / "imdb.npz"
    np.savez(path, x_train=_objects(TRAIN), y_train=np.array(TRAIN_LABELS), x_test=_objects(TEST),
             y_test=np.array(TEST_LABELS))
    trust(imdb, "DATA", path)
    return path


def keras22_encode(xs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        xs, labels = [x for x, _ in kept], [y for _, y in kept]
    return xs, labels


def keras22_imdb(num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3):
    state = np.random.get_state()
    np.random.seed(seed)
    order_train = np.arange(len(TRAIN))
    np.random.shuffle(order_train)
    order_test = np.arange(len(TEST))
    np.random.shuffle(order_test)
    np.random.set_state(state)
    parts = [keras22_encode([TRAIN[i] for i in order_train], [TRAIN_LABELS[i] for i in order_train], num_words,
                            skip_top, maxlen, start_char, oov_char, index_from),
             keras22_encode([TEST[i] for i in order_test], [TEST_LABELS[i] for i in order_test], num_words,
                            skip_top, maxlen, start_char, oov_char, index_from)]
    if not num_words:
        num_words = max(max(x) for xs, _ in parts for x in xs)
    out = []
    for xs, labels in parts:
        if oov_char is not None:
            xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
        else:
            xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
        out.append((xs, labels))
    return out


def _lists(array):
    assert array.dtype == object and array.ndim == 1
    return [list(item) for item in array]


@pytest.mark.parametrize("kwargs", [
    {}, {"num_words": 8}, {"skip_top": 5}, {"num_words": 10, "skip_top": 4, "oov_char": None},
    {"maxlen": 4}, {"seed": 7}, {"start_char": None}, {"start_char": None, "index_from": 0},
    {"index_from": 10, "oov_char": 0}, {"start_char": 5, "num_words": 9},
])
def test_imdb_matches_keras22(imdb_file, kwargs):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**kwargs)
    (train, train_labels), (test, test_labels) = keras22_imdb(**kwargs)
    assert _lists(x_train) == train and y_train.tolist() == train_labels
    assert _lists(x_test) == test and y_test.tolist() == test_labels
    assert y_train.dtype == np.array(TRAIN_LABELS).dtype


def test_imdb_index_conventions_by_hand(imdb_file):
    (x_train, _), _ = imdb.load_data(seed=0, num_words=8)
    order = np.random.RandomState(0).permutation(len(TRAIN))
    first = TRAIN[order[0]]
    assert list(x_train[0]) == [1] + [w + 3 if w + 3 < 8 else 2 for w in first]
    (x_train, _), (x_test, _) = imdb.load_data(seed=0)
    # num_words=None: the largest index over both sets (11 + 3) becomes oov, as in Keras 2.2
    assert [2] in [list(x)[1:] for x in x_test]


def test_imdb_maxlen_filters_and_too_small_raises(imdb_file):
    (x_train, _), (x_test, _) = imdb.load_data(maxlen=4)
    assert all(len(x) < 4 for x in list(x_train) + list(x_test)) and len(x_train) == 2 and len(x_test) == 2
    with pytest.raises(ValueError, match="maxlen=1.*Increase maxlen"):
        imdb.load_data(maxlen=1)


def test_imdb_does_not_touch_the_global_random_state(imdb_file):
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    imdb.load_data()
    assert np.random.rand() == expected


def test_imdb_nb_words_is_keras1_spelling_of_num_words(imdb_file):
    with pytest.warns(DeprecationWarning, match="num_words"):
        old = imdb.load_data(nb_words=6)
    assert [list(x) for x in old[0][0]] == [list(x) for x in imdb.load_data(num_words=6)[0][0]]
    with pytest.raises(TypeError):
        imdb.load_data(bogus=1)


def test_word_indexes_read_keras_json(keras_cache, trust):
    for module, name in ((imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")):
        path = keras_cache / name
        path.write_text(json.dumps({"the": 1, "and": 2, "film": 19}))
        trust(module, "WORD_INDEX", path)
        assert module.get_word_index() == {"the": 1, "and": 2, "film": 19}
    (keras_cache / "imdb_word_index.json").write_text("[1, 2]")
    trust(imdb, "WORD_INDEX", keras_cache / "imdb_word_index.json")
    with pytest.raises(ValueError, match="not a \\{word: index\\} object"):
        imdb.get_word_index()


NEWS = [[1, 2], [3, 4, 5], [6], [7, 8, 9, 10], [2, 3], [4], [5, 6, 7], [8, 9], [1], [2, 2, 2]]
TOPICS = [0, 3, 1, 45, 2, 2, 3, 0, 1, 4]


@pytest.fixture
def reuters_file(keras_cache, trust):
    path = keras_cache / "reuters.npz"
    np.savez(path, x=_objects(NEWS), y=np.array(TOPICS, dtype=np.int64))
    trust(reuters, "DATA", path)
    return path


def keras22_reuters(num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1, oov_char=2,
                    index_from=3):
    state = np.random.get_state()
    np.random.seed(seed)
    order = np.arange(len(NEWS))
    np.random.shuffle(order)
    np.random.set_state(state)
    xs, labels = keras22_encode([NEWS[i] for i in order], [TOPICS[i] for i in order], num_words, skip_top, maxlen,
                                start_char, oov_char, index_from)
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    idx = int(len(xs) * (1 - test_split))
    return (xs[:idx], labels[:idx]), (xs[idx:], labels[idx:])


@pytest.mark.parametrize("kwargs", [
    {}, {"test_split": 0.5}, {"test_split": 0.0}, {"num_words": 9, "skip_top": 5}, {"maxlen": 4},
    {"seed": 1, "oov_char": None, "num_words": 8}, {"start_char": None, "index_from": 1},
])
def test_reuters_matches_keras22(reuters_file, kwargs):
    (x_train, y_train), (x_test, y_test) = reuters.load_data(**kwargs)
    (train, train_labels), (test, test_labels) = keras22_reuters(**kwargs)
    assert _lists(x_train) == train and y_train.tolist() == train_labels
    assert _lists(x_test) == test and y_test.tolist() == test_labels


def test_reuters_rejects_a_bad_test_split(reuters_file):
    with pytest.raises(ValueError, match="test_split must be in \\[0, 1\\); got 1"):
        reuters.load_data(test_split=1)
