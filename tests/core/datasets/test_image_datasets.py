"""cifar10, cifar100, fashion_mnist and boston_housing on small files in the real formats.

The CIFAR batches are written the way the real ones were: Python 2 pickles (protocol 2,
``str`` as BINSTRING, ``numpy.core.multiarray._reconstruct``), in a ``.tar.gz`` with
the real member names.
"""

import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from numkeras import backend as K
from numkeras.datasets import boston_housing, cifar, cifar10, cifar100, fashion_mnist
from numkeras.datasets._files import DatasetError


class Python2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote: str as 8-bit strings, numpy under numpy.core."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + len(data).to_bytes(4, "little") + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        name = name or obj.__name__
        module = {"_reconstruct": "numpy.core.multiarray", "ndarray": "numpy", "dtype": "numpy"}.get(name)
        if module is None:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)


def py2_pickle(obj):
    stream = io.BytesIO()
    Python2Pickler(stream, protocol=2).dump(obj)
    return stream.getvalue()


def _add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _images(n, start):
    return ((np.arange(n * 3072) + start) % 251).astype(np.uint8).reshape(n, 3072)


def test_python2_pickle_helper_writes_what_python2_wrote():
    data = py2_pickle({"data": np.zeros((1, 2), np.uint8)})
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in data and b"U\x04data" in data


@pytest.fixture
def cifar10_archive(keras_cache, trust):
    path = keras_cache / "cifar-10-batches-py.tar.gz"   # the name Keras's get_file(untar=True) caches
    with tarfile.open(path, "w:gz") as archive:
        for i in range(1, 6):
            batch = {"batch_label": f"training batch {i} of 5", "data": _images(4, 100 * i),
                     "labels": [(i + j) % 10 for j in range(4)], "filenames": [f"img_{i}_{j}.png" for j in range(4)]}
            _add(archive, f"cifar-10-batches-py/data_batch_{i}", py2_pickle(batch))
        test = {"batch_label": "testing batch 1 of 1", "data": _images(3, 7), "labels": [9, 0, 5],
                "filenames": ["a.png", "b.png", "c.png"]}
        _add(archive, "cifar-10-batches-py/test_batch", py2_pickle(test))
        _add(archive, "cifar-10-batches-py/batches.meta", py2_pickle({"label_names": ["airplane"] * 10}))
    trust(cifar10, "DATA", path)
    return path


def test_cifar10_shapes_dtypes_and_layout(cifar10_archive):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.shape == (20, 1) and y_train.dtype == np.uint8
    assert y_test.shape == (3, 1) and y_test.ravel().tolist() == [9, 0, 5]
    assert y_train.ravel().tolist() == [(i + j) % 10 for i in range(1, 6) for j in range(4)]
    # CIFAR rows are 1024 red, then 1024 green, then 1024 blue values, row-major
    raw = _images(4, 100)[1]
    assert x_train[1, 0, 1, 0] == raw[1] and x_train[1, 0, 0, 1] == raw[1024] and x_train[1, 1, 0, 2] == raw[2048 + 32]
    K.set_image_data_format("channels_first")
    (x_first, _), _ = cifar10.load_data()
    assert x_first.shape == (20, 3, 32, 32)
    np.testing.assert_array_equal(x_first.transpose(0, 2, 3, 1), x_train)


def test_cifar10_also_found_under_the_download_name(keras_cache, cifar10_archive):
    cifar10_archive.rename(keras_cache / "cifar-10-python.tar.gz")
    (x_train, _), _ = cifar10.load_data()
    assert len(x_train) == 20


def test_cifar_archive_is_not_read_before_its_hash_matches(cifar10_archive, monkeypatch):
    import dataclasses

    monkeypatch.setattr(cifar10, "DATA", dataclasses.replace(cifar10.DATA, file_hash="0" * 64))
    opened = []
    monkeypatch.setattr(tarfile, "open", lambda *a, **k: opened.append(a))
    with pytest.raises(FileNotFoundError, match="sha256"):
        cifar10.load_data()
    assert opened == []


def test_a_planted_cifar_batch_cannot_run_code(keras_cache, trust, tmp_path):
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('x')",))

    path = keras_cache / "cifar-10-batches-py.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "cifar-10-batches-py/data_batch_1", pickle.dumps({b"data": Planted()}, protocol=2))
    trust(cifar10, "DATA", path)
    with pytest.raises(DatasetError, match="exec, which a dataset file never holds; refusing"):
        cifar10.load_data()
    assert not marker.exists()


@pytest.fixture
def cifar100_archive(keras_cache, trust):
    path = keras_cache / "cifar-100-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, n in (("train", 6), ("test", 2)):
            batch = {"batch_label": name, "data": _images(n, n), "fine_labels": [99 - j for j in range(n)],
                     "coarse_labels": [j for j in range(n)], "filenames": [f"{j}.png" for j in range(n)]}
            _add(archive, f"cifar-100-python/{name}", py2_pickle(batch))
    trust(cifar100, "DATA", path)
    return path


def test_cifar100_fine_and_coarse(cifar100_archive):
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (6, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (6, 1) and y_train.ravel().tolist() == [99, 98, 97, 96, 95, 94]
    (_, coarse), (_, coarse_test) = cifar100.load_data(label_mode="coarse")
    assert coarse.ravel().tolist() == list(range(6)) and coarse_test.ravel().tolist() == [0, 1]
    with pytest.raises(ValueError, match="label_mode must be one of 'fine', 'coarse'; got 'medium'"):
        cifar100.load_data(label_mode="medium")


def test_cifar_load_batch_reads_a_batch_file(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_pickle({"data": _images(2, 0), "labels": [3, 4]}))
    data, labels = cifar.load_batch(str(path))
    assert data.shape == (2, 3, 32, 32) and labels == [3, 4]
    with pytest.raises(DatasetError, match="no 'fine_labels' entry"):
        cifar.load_batch(str(path), label_key="fine_labels")


def _idx(path, magic, array):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_the_four_files_from_its_own_folder(keras_cache, trust):
    folder = keras_cache / "fashion-mnist"
    folder.mkdir()
    x_train = (np.arange(5 * 784) % 256).reshape(5, 28, 28)
    x_test = (np.arange(3 * 784) % 7).reshape(3, 28, 28)
    _idx(folder / "train-images-idx3-ubyte.gz", 2051, x_train)
    _idx(folder / "train-labels-idx1-ubyte.gz", 2049, np.array([9, 0, 0, 3, 0]))
    _idx(folder / "t10k-images-idx3-ubyte.gz", 2051, x_test)
    _idx(folder / "t10k-labels-idx1-ubyte.gz", 2049, np.array([9, 2, 1]))
    for attribute, name in (("TRAIN_IMAGES", "train-images-idx3-ubyte.gz"), ("TRAIN_LABELS", "train-labels-idx1-ubyte.gz"),
                            ("TEST_IMAGES", "t10k-images-idx3-ubyte.gz"), ("TEST_LABELS", "t10k-labels-idx1-ubyte.gz")):
        trust(fashion_mnist, attribute, folder / name)
    (a, b), (c, d) = fashion_mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(c, x_test)
    assert b.tolist() == [9, 0, 0, 3, 0] and d.tolist() == [9, 2, 1]
    assert {arr.dtype for arr in (a, b, c, d)} == {np.dtype(np.uint8)}
    (folder / "t10k-labels-idx1-ubyte.gz").rename(keras_cache / "t10k-labels-idx1-ubyte.gz")  # MNIST's place
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()


def test_fashion_mnist_hashes_are_the_upstream_md5s():
    assert fashion_mnist.TRAIN_IMAGES.file_hash == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert fashion_mnist.TEST_LABELS.file_hash == "bb300cfdad3c16e7a12a480ee83cd310"


def test_boston_housing_split_and_seed_follow_keras22(keras_cache, trust):
    x = np.random.RandomState(0).rand(20, 13)
    y = np.arange(20, dtype=np.float64)
    np.savez(keras_cache / "boston_housing.npz", x=x, y=y)
    trust(boston_housing, "DATA", keras_cache / "boston_housing.npz")
    for test_split, seed in ((0.2, 113), (0.5, 3), (0.0, 113)):
        state = np.random.get_state()
        np.random.seed(seed)  # Keras 2.2's own code path
        order = np.arange(20)
        np.random.shuffle(order)
        np.random.set_state(state)
        split = int(20 * (1 - test_split))
        (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split, seed=seed)
        np.testing.assert_array_equal(x_train, x[order[:split]])
        np.testing.assert_array_equal(y_test, y[order[split:]])
        assert x_train.dtype == np.float64 and y_train.shape == (split,)
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=-0.1)
