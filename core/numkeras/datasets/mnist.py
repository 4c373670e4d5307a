"""MNIST handwritten digits, read from the official IDX files (``numkeras.datasets.mnist``).

.. warning::

   **This is NOT the 60,000 / 10,000 split that ``keras.datasets.mnist`` returns.**
   Only the official *test* set (``t10k-*``, 10,000 images) ships with this
   project, so :func:`load_data` splits it: the **first 8,000** images are the
   training set and the **last 2,000** the test set. Accuracies are therefore a
   little lower than the ones Keras tutorials quote for the full training set.
   Give ``path`` a Keras ``mnist.npz`` to get the full split instead.
"""

import gzip
import hashlib
import os
import pathlib

import numpy as np

IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"

#: md5 of the official files (as published by LeCun, Cortes and Burges).
MD5 = {
    IMAGES_FILE: "9fb629c4189551a2d022fa330f9573f3",
    LABELS_FILE: "ec29112dd5afa0611ce80d1b7f02629c",
}

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
NUM_TRAIN = 8000  # of the 10,000 t10k images: the first 8,000 train, the last 2,000 test

DATASETS_ENV = "NUMKERAS_DATASETS"
SUBDIRECTORY = "mnist-t10k"


class DatasetError(ValueError):
    """A dataset file exists but is not what it should be (bad checksum, header or size)."""


def load_data(path=None):
    """Loads MNIST as ``((x_train, y_train), (x_test, y_test))``.

    **Split:** the full 60,000-image training set is not available, so by default
    this reads the official 10,000-image test set (``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) and returns its **first 8,000 images as the
    training set and its last 2,000 as the test set**. ``x_train`` has shape
    ``(8000, 28, 28)``, ``x_test`` ``(2000, 28, 28)``, all ``uint8``; labels are
    ``uint8`` digits 0-9 with shapes ``(8000,)`` and ``(2000,)``.

    The two files are looked for, in order, in:

    1. ``path`` (a directory), when given;
    2. the directory named by the environment variable ``NUMKERAS_DATASETS``;
    3. ``numkeras/datasets/data/``: the copy bundled with the package (so
       examples run from a bare install);
    4. ``../shared/datasets`` next to the numkeras source checkout;
    5. ``~/.numkeras/datasets``.

    In each directory the files may sit directly or in a ``mnist-t10k/``
    subdirectory. Both files are checked against their official md5 sums and
    their IDX headers (magic number, count, 28x28) before use.

    ``path`` may also be a Keras ``mnist.npz`` file (arrays ``x_train``,
    ``y_train``, ``x_test``, ``y_test``), which is returned as it is.

    Arguments:
        path: a directory holding the IDX files, or a ``.npz`` file; ``None``
            searches the locations above.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``, NumPy ``uint8`` arrays.

    Raises:
        FileNotFoundError: a file is not in any searched directory (the message
            lists the file and every directory searched).
        DatasetError: (a ``ValueError``) a file is corrupt: wrong md5, not gzip,
            bad magic number, wrong count or truncated data; the message names
            the file and what is wrong.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = numkeras.datasets.mnist.load_data()
        >>> x_train.shape, x_test.shape
        ((8000, 28, 28), (2000, 28, 28))
    """
    if path is not None and str(path).endswith(".npz"):
        return _load_npz(pathlib.Path(path).expanduser())
    images_path = _find(IMAGES_FILE, path)
    labels_path = _find(LABELS_FILE, path)
    images = _read_verified(images_path, IMAGES_MAGIC)
    labels = _read_verified(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels."
        )
    return (images[:NUM_TRAIN], labels[:NUM_TRAIN]), (images[NUM_TRAIN:], labels[NUM_TRAIN:])


def search_directories(path=None):
    """The directories :func:`load_data` searches, in order (existing or not)."""
    candidates = []
    if path is not None:
        candidates.append(pathlib.Path(path).expanduser())
    if os.environ.get(DATASETS_ENV):
        candidates.append(pathlib.Path(os.environ[DATASETS_ENV]).expanduser())
    candidates.append(pathlib.Path(__file__).resolve().parent / "data")  # bundled with the package
    checkout = pathlib.Path(__file__).resolve().parents[3]  # core/numkeras/datasets/mnist.py -> repo
    candidates.append(checkout.parent / "shared" / "datasets")
    candidates.append(pathlib.Path.home() / ".numkeras" / "datasets")
    return candidates


def _find(filename, path):
    searched = []
    # An explicit path is the only place looked at: a typo there should not fall back silently.
    directories = search_directories(path)[:1] if path is not None else search_directories()
    for directory in directories:
        for folder in (directory, directory / SUBDIRECTORY):
            searched.append(str(folder))
            if (folder / filename).is_file():
                return folder / filename
    raise FileNotFoundError(
        f"MNIST file {filename!r} not found. Searched: {', '.join(searched)}. Put the official "
        f"{IMAGES_FILE} and {LABELS_FILE} in one of these directories, set ${DATASETS_ENV}, "
        f"or pass load_data(path=<directory>)."
    )


def _md5(filepath):
    digest = hashlib.md5()
    with open(filepath, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_verified(filepath, magic):
    expected = MD5[filepath.name]
    actual = _md5(filepath)
    if actual != expected:
        raise DatasetError(
            f"{filepath} is corrupt or not the official MNIST file: its md5 is {actual}, "
            f"expected {expected}. Delete it and copy the official file again."
        )
    return read_idx(filepath, magic)


def read_idx(filepath, magic=None):
    """Parses one gzipped IDX file (images: magic 2051, labels: magic 2049) into a uint8 array.

    Arguments:
        filepath: the ``.gz`` file.
        magic: the expected magic number; ``None`` accepts either.

    Returns:
        ``(count, rows, cols)`` for images, ``(count,)`` for labels.

    Raises:
        DatasetError: not gzip, unexpected magic number, or fewer bytes than the header announces.
    """
    filepath = pathlib.Path(filepath)
    try:
        with gzip.open(filepath, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise DatasetError(f"{filepath} is not a readable gzip file: {error}") from error
    if len(data) < 8:
        raise DatasetError(f"{filepath} is too short ({len(data)} bytes) to hold an IDX header.")
    found = int.from_bytes(data[0:4], "big")
    if found not in (IMAGES_MAGIC, LABELS_MAGIC) or (magic is not None and found != magic):
        wanted = magic if magic is not None else f"{IMAGES_MAGIC} or {LABELS_MAGIC}"
        raise DatasetError(f"{filepath} has magic number {found}, expected {wanted} (IDX header).")
    count = int.from_bytes(data[4:8], "big")
    if found == IMAGES_MAGIC:
        if len(data) < 16:
            raise DatasetError(f"{filepath} is too short ({len(data)} bytes) to hold an IDX image header.")
        rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
        shape, offset = (count, rows, cols), 16
    else:
        shape, offset = (count,), 8
    expected_bytes = int(np.prod(shape))
    body = data[offset:]
    if len(body) != expected_bytes:
        raise DatasetError(
            f"{filepath} announces {count} items of shape {shape[1:] or '()'} ({expected_bytes} bytes) "
            f"but holds {len(body)} bytes of data."
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()


def _load_npz(filepath):
    if not filepath.is_file():
        raise FileNotFoundError(f"MNIST file {str(filepath)!r} not found.")
    try:
        with np.load(filepath, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    except KeyError as error:
        raise DatasetError(
            f"{filepath} is not a Keras mnist.npz: it has no array {error}; expected "
            f"x_train, y_train, x_test and y_test."
        ) from None
    except (OSError, ValueError) as error:
        raise DatasetError(f"{filepath} is not a readable .npz file: {error}") from error


__all__ = ["load_data", "read_idx", "search_directories", "DatasetError"]
