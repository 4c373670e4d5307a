"""numkeras.datasets.mnist: IDX parsing, checksums, the 8,000 / 2,000 split, clear errors."""

import dataclasses
import gzip
import hashlib
import shutil
import warnings

import numpy as np
import pytest

from numkeras.datasets import mnist

# The fallback's warning is tested once, below; elsewhere it is expected noise.
pytestmark = pytest.mark.filterwarnings("ignore::numkeras.datasets.mnist.MnistSplitWarning")

CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def data_dir():
    """The directory load_data() finds by default (skips if the data is not on this machine)."""
    for directory in mnist.search_directories():
        for folder in (directory, directory / mnist.SUBDIRECTORY):
            if (folder / mnist.IMAGES_FILE).is_file() and (folder / mnist.LABELS_FILE).is_file():
                return folder
    pytest.skip("the MNIST t10k files are not on this machine")


@pytest.fixture
def copy_of_data(data_dir, tmp_path):
    for name in (mnist.IMAGES_FILE, mnist.LABELS_FILE):
        shutil.copyfile(data_dir / name, tmp_path / name)
    return tmp_path


def test_load_data_shapes_dtypes_and_split(data_dir):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10))


def test_class_counts_of_the_t10k_set(data_dir):
    (_, y_train), (_, y_test) = mnist.load_data()
    assert np.bincount(np.concatenate([y_train, y_test]), minlength=10).tolist() == CLASS_COUNTS


def test_split_is_first_8000_then_last_2000(data_dir):
    images = mnist.read_idx(data_dir / mnist.IMAGES_FILE, mnist.IMAGES_MAGIC)
    labels = mnist.read_idx(data_dir / mnist.LABELS_FILE, mnist.LABELS_MAGIC)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, images[:8000])
    np.testing.assert_array_equal(x_test, images[8000:])
    np.testing.assert_array_equal(y_test, labels[8000:])
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first t10k labels


def test_search_order_explicit_path_then_environment(copy_of_data, tmp_path_factory, monkeypatch):
    (x_train, _), _ = mnist.load_data(path=copy_of_data)
    assert x_train.shape == (8000, 28, 28)
    nested = tmp_path_factory.mktemp("env") / mnist.SUBDIRECTORY
    shutil.copytree(copy_of_data, nested)
    monkeypatch.setenv(mnist.DATASETS_ENV, str(nested.parent))
    assert mnist.search_directories()[0] == nested.parent
    (_, y_train), _ = mnist.load_data()
    assert len(y_train) == 8000


def test_checksums_match_the_official_files(data_dir):
    for name, md5 in mnist.MD5.items():
        assert mnist._md5(data_dir / name) == md5


def test_missing_file_names_the_file_and_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data(path=tmp_path)
    message = str(info.value)
    assert mnist.IMAGES_FILE in message and str(tmp_path) in message


def test_corrupt_file_fails_the_checksum(copy_of_data):
    target = copy_of_data / mnist.LABELS_FILE
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(mnist.DatasetError) as info:
        mnist.load_data(path=copy_of_data)
    message = str(info.value)
    assert mnist.LABELS_FILE in message and "md5" in message
    assert isinstance(info.value, ValueError)


def test_truncated_file_fails_the_checksum(copy_of_data):
    target = copy_of_data / mnist.IMAGES_FILE
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(mnist.DatasetError, match=mnist.IMAGES_FILE):
        mnist.load_data(path=copy_of_data)


def _write_idx(path, magic, count, body, dims=()):
    header = magic.to_bytes(4, "big") + count.to_bytes(4, "big")
    header += b"".join(d.to_bytes(4, "big") for d in dims)
    with gzip.open(path, "wb") as handle:
        handle.write(header + body)


def test_read_idx_parses_images_and_labels(tmp_path):
    _write_idx(tmp_path / "images.gz", 2051, 2, bytes(range(12)), dims=(2, 3))
    _write_idx(tmp_path / "labels.gz", 2049, 3, bytes([7, 2, 1]))
    images = mnist.read_idx(tmp_path / "images.gz", mnist.IMAGES_MAGIC)
    assert images.shape == (2, 2, 3) and images.dtype == np.uint8 and images[1, 1, 2] == 11
    assert mnist.read_idx(tmp_path / "labels.gz").tolist() == [7, 2, 1]


@pytest.mark.parametrize("magic, count, body, expected", [
    (2049, 3, bytes([1, 2, 3]), "magic number 2049, expected 2051"),
    (1234, 3, bytes([1, 2, 3]), "magic number 1234"),
    (2051, 6, bytes(10), "announces 6 items"),
])
def test_read_idx_rejects_bad_headers(tmp_path, magic, count, body, expected):
    dims = (1, 2) if magic == 2051 else ()
    path = tmp_path / "bad.gz"
    _write_idx(path, magic, count, body, dims)
    with pytest.raises(mnist.DatasetError, match=expected) as info:
        mnist.read_idx(path, mnist.IMAGES_MAGIC)
    assert "bad.gz" in str(info.value)


def test_read_idx_rejects_non_gzip(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(mnist.DatasetError, match="gzip"):
        mnist.read_idx(path)


def test_keras_npz_file_is_read_after_its_md5_matches(tmp_path, monkeypatch):
    arrays = {"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.arange(3, dtype=np.uint8),
              "x_test": np.ones((2, 28, 28), np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(mnist.DatasetError, match="md5 .* expected 8a61469f7ea1b51cbae51d4f78837e45"):
        mnist.load_data(str(tmp_path / "mnist.npz"))  # Keras 2.2's md5 of the real file
    md5 = hashlib.md5((tmp_path / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(mnist, "DATA", dataclasses.replace(mnist.DATA, file_hash=md5))
    (x_train, y_train), (x_test, y_test) = mnist.load_data(str(tmp_path / "mnist.npz"))
    assert x_train.shape == (3, 28, 28) and y_test.tolist() == [0, 1]
    np.savez(tmp_path / "other.npz", a=np.zeros(1))
    other_md5 = hashlib.md5((tmp_path / "other.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(mnist, "DATA", dataclasses.replace(mnist.DATA, file_hash=other_md5))
    with pytest.raises(mnist.DatasetError, match="x_train"):
        mnist.load_data(str(tmp_path / "other.npz"))


def test_keras_mnist_npz_in_the_keras_cache_gives_the_full_split(tmp_path, monkeypatch):
    """With mnist.npz in $KERAS_HOME/datasets, load_data() returns it (Keras's 60,000 / 10,000)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    target = tmp_path / "keras" / "datasets" / "mnist.npz"
    np.savez(target, x_train=np.full((6, 28, 28), 7, np.uint8), y_train=np.arange(6, dtype=np.uint8),
             x_test=np.zeros((4, 28, 28), np.uint8), y_test=np.arange(4, dtype=np.uint8))
    md5 = hashlib.md5(target.read_bytes()).hexdigest()
    monkeypatch.setattr(mnist, "DATA", dataclasses.replace(mnist.DATA, file_hash=md5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", mnist.MnistSplitWarning)  # the full split is not warned about
        (x_train, y_train), (x_test, _) = mnist.load_data()
    assert x_train.shape == (6, 28, 28) and x_test.shape == (4, 28, 28) and y_train.tolist() == list(range(6))


def test_without_mnist_npz_the_t10k_split_is_announced(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "numkeras"))
    with pytest.warns(mnist.MnistSplitWarning, match="8,000 / 2,000 .* not Keras's 60,000 / 10,000"):
        (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (8000, 28, 28)


def test_a_named_npz_that_is_missing_is_an_error_with_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(FileNotFoundError, match="(?s)my_mnist.npz.*img-datasets/mnist.npz"):
        mnist.load_data("my_mnist.npz")
