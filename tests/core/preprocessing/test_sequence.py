"""numkeras.preprocessing.sequence against hand-computed Keras 2.2.4 results."""

import numpy as np
import pytest

from numkeras.preprocessing.sequence import (TimeseriesGenerator, make_sampling_table, pad_sequences,
                                             skipgrams)
from numkeras.utils import Sequence, set_random_seed

SEQS = [[1], [2, 3], [4, 5, 6]]


# ---------------------------------------------------------------- pad_sequences

def test_pad_default_pre():
    x = pad_sequences(SEQS)
    assert x.dtype == np.int32
    np.testing.assert_array_equal(x, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])


def test_pad_post():
    np.testing.assert_array_equal(pad_sequences(SEQS, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])


def test_maxlen_truncating_pre_and_post():
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2, truncating="post"), [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2, padding="post", truncating="post"),
                                  [[1, 0], [2, 3], [4, 5]])


def test_maxlen_longer_than_sequences():
    np.testing.assert_array_equal(pad_sequences([[1, 2]], maxlen=4), [[0, 0, 1, 2]])
    np.testing.assert_array_equal(pad_sequences([[1, 2]], maxlen=4, padding="post"), [[1, 2, 0, 0]])


def test_value():
    np.testing.assert_array_equal(pad_sequences(SEQS, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences([[1]], maxlen=2, padding="post", value=9), [[1, 9]])


def test_float_dtype_keeps_fractions_and_int_default_truncates():
    seqs = [[0.5], [1.5, 2.5]]
    x = pad_sequences(seqs, dtype="float32")
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[0.0, 0.5], [1.5, 2.5]])
    np.testing.assert_array_equal(pad_sequences(seqs), [[0, 0], [1, 2]])
    np.testing.assert_allclose(pad_sequences(seqs, dtype="float64", value=0.25), [[0.25, 0.5], [1.5, 2.5]])


def test_numpy_array_sequences():
    seqs = [np.array([1, 2, 3]), np.array([7])]
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[2, 3], [0, 7]])


def test_trailing_dimensions():
    seqs = [[[1, 2]], [[3, 4], [5, 6]]]
    x = pad_sequences(seqs)
    assert x.shape == (2, 2, 2)
    np.testing.assert_array_equal(x, [[[0, 0], [1, 2]], [[3, 4], [5, 6]]])
    x = pad_sequences(seqs, maxlen=3, padding="post", value=-1)
    np.testing.assert_array_equal(x, [[[1, 2], [-1, -1], [-1, -1]], [[3, 4], [5, 6], [-1, -1]]])
    # the first sequence being empty: the trailing shape comes from the next one
    x = pad_sequences([[], [[1, 2, 3]]])
    assert x.shape == (2, 1, 3)
    np.testing.assert_array_equal(x, [[[0, 0, 0]], [[1, 2, 3]]])


def test_empty_sequences():
    np.testing.assert_array_equal(pad_sequences([[], [1, 2]]), [[0, 0], [1, 2]])
    np.testing.assert_array_equal(pad_sequences([[]], maxlen=3), [[0, 0, 0]])
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences(SEQS, maxlen=0).shape == (3, 0)


def test_string_values():
    x = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert x.tolist() == [["<pad>", "a"], ["b", "c"]]
    with pytest.raises(ValueError, match="not compatible"):
        pad_sequences([[1]], value="x")


def test_inconsistent_trailing_shape_raises():
    with pytest.raises(ValueError, match=r"Shape of sample \(3,\) of sequence at position 1 "
                                         r"is different from expected shape \(2,\)"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "middle"}, 'Padding type "middle" not understood'),
    ({"truncating": "both"}, 'Truncating type "both" not understood'),
])
def test_bad_padding_or_truncating_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(SEQS, **kwargs)
    # raised even when no sequence would need padding or truncating
    with pytest.raises(ValueError, match=message):
        pad_sequences([[]], **kwargs)


def test_non_iterable_raises():
    with pytest.raises(ValueError, match="must be a list of iterables. Found non-iterable: 3"):
        pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="must be iterable"):
        pad_sequences(5)


# ---------------------------------------------------- make_sampling_table / skipgrams

def test_make_sampling_table_values():
    table = make_sampling_table(5)
    expected = []
    for rank in [1, 1, 2, 3, 4]:
        inv_fq = rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
        expected.append(min(1.0, np.sqrt(1e-5 * inv_fq)))
    np.testing.assert_allclose(table, expected)
    assert table[0] == table[1]
    np.testing.assert_array_equal(make_sampling_table(4, sampling_factor=10.0), [1.0, 1.0, 1.0, 1.0])


def test_skipgrams_positive_pairs():
    couples, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [1, 1, 1, 1]


def test_skipgrams_skips_zero_and_categorical():
    couples, labels = skipgrams([1, 0, 2], vocabulary_size=3, window_size=2, negative_samples=0,
                                shuffle=False, categorical=True)
    assert couples == [[1, 2], [2, 1]]
    assert labels == [[0, 1], [0, 1]]


def test_skipgrams_negative_samples_seeded():
    seq = [1, 2, 3, 4]
    couples, labels = skipgrams(seq, vocabulary_size=10, window_size=1, negative_samples=1.5,
                                shuffle=False, seed=3)
    positives = [[1, 2], [2, 1], [2, 3], [3, 2], [3, 4], [4, 3]]
    assert couples[:6] == positives and labels[:6] == [1] * 6
    assert labels[6:] == [0] * 9  # int(6 * 1.5)
    for word, context in couples[6:]:
        assert word in seq and 1 <= context <= 9
    assert skipgrams(seq, 10, window_size=1, negative_samples=1.5, shuffle=False, seed=3) == (couples, labels)


def test_skipgrams_shuffle_keeps_pairs_aligned():
    seq = [1, 2, 3, 4, 5]
    plain = skipgrams(seq, 6, window_size=2, negative_samples=0, shuffle=False)
    couples, labels = skipgrams(seq, 6, window_size=2, negative_samples=0, shuffle=True, seed=0)
    assert sorted(couples) == sorted(plain[0])
    couples, labels = skipgrams(seq, 6, window_size=1, negative_samples=1, categorical=True, seed=5)
    positives = {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4)}
    for couple, label in zip(couples, labels):
        if label == [0, 1]:
            assert tuple(couple) in positives
    assert labels.count([0, 1]) == 8 and labels.count([1, 0]) == 8
    assert skipgrams(seq, 6, window_size=1, negative_samples=1, categorical=True, seed=5) == (couples, labels)


def test_skipgrams_sampling_table():
    assert skipgrams([1, 2, 3], 4, sampling_table=np.zeros(4), seed=1) == ([], [])
    couples, _ = skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0, shuffle=False,
                           sampling_table=np.ones(4), seed=1)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]


# ---------------------------------------------------------------- TimeseriesGenerator

DATA = np.arange(10).reshape(10, 1)
TARGETS = np.arange(10) * 10


def test_timeseries_generator_batches():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, batch_size=2)
    assert isinstance(gen, Sequence)
    assert len(gen) == 4  # rows 3 … 9
    x, y = gen[0]
    assert x.shape == (2, 3, 1)
    np.testing.assert_array_equal(x[..., 0], [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(y, [30, 40])
    x, y = gen[3]
    np.testing.assert_array_equal(x[..., 0], [[6, 7, 8]])
    np.testing.assert_array_equal(y, [90])
    assert sum(len(batch[1]) for batch in gen) == 7


def test_timeseries_generator_sampling_rate_stride_reverse_range():
    gen = TimeseriesGenerator(DATA, TARGETS, length=4, sampling_rate=2, batch_size=10)
    x, y = gen[0]
    np.testing.assert_array_equal(x[:2, :, 0], [[0, 2], [1, 3]])
    np.testing.assert_array_equal(y, [40, 50, 60, 70, 80, 90])

    gen = TimeseriesGenerator(DATA, TARGETS, length=3, stride=2, batch_size=2)
    assert len(gen) == 2
    np.testing.assert_array_equal(gen[0][1], [30, 50])
    np.testing.assert_array_equal(gen[1][1], [70, 90])

    gen = TimeseriesGenerator(DATA, TARGETS, length=2, reverse=True, batch_size=1)
    np.testing.assert_array_equal(gen[0][0][..., 0], [[1, 0]])

    gen = TimeseriesGenerator(DATA, TARGETS, length=2, start_index=1, end_index=5, batch_size=10)
    assert len(gen) == 1
    np.testing.assert_array_equal(gen[0][1], [30, 40, 50])


def test_timeseries_generator_shuffle_is_seeded():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, shuffle=True, batch_size=5)
    set_random_seed(7)
    x1, y1 = gen[0]
    set_random_seed(7)
    x2, y2 = gen[0]
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(x1, x2)
    assert all(30 <= t <= 90 for t in y1)
    np.testing.assert_array_equal(x1[:, -1, 0] + 1, y1 // 10)


def test_timeseries_generator_errors():
    with pytest.raises(ValueError, match="Data length is 10 while target length is 9"):
        TimeseriesGenerator(DATA, TARGETS[:9], length=3)
    with pytest.raises(ValueError, match=r"`start_index\+length=12 > end_index=9`"):
        TimeseriesGenerator(DATA, TARGETS, length=12)
