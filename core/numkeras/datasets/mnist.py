"""MNIST handwritten digits (``numkeras.datasets.mnist``).

With Keras's ``mnist.npz`` on disk (``~/.keras/datasets/mnist.npz`` or any dataset
folder, md5-checked as Keras 2.2 does), :func:`load_data` returns Keras's 60,000 /
10,000 split.

.. warning::

   **Without it, this is NOT the 60,000 / 10,000 split that ``keras.datasets.mnist``
   returns.** Only the official *test* set (``t10k-*``, 10,000 images) ships with this
   project, so :func:`load_data` splits it: the **first 8,000** images are the
   training set and the **last 2,000** the test set, and says so in a warning.
   Accuracies are therefore a little lower than the ones Keras tutorials quote.
"""

import gzip
import hashlib
import os
import pathlib
import warnings

import numpy as np

from ._files import DatasetError, DatasetFile, DatasetNotFoundError, locate, read_npz

IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"

#: md5 of the official files (as published by LeCun, Cortes and Burges).
MD5 = {
    IMAGES_FILE: "9fb629c4189551a2d022fa330f9573f3",
    LABELS_FILE: "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Keras's mnist.npz: the md5 Keras 2.2.4's keras/datasets/mnist.py checks.
DATA = DatasetFile("mnist.npz", "https://s3.amazonaws.com/img-datasets/mnist.npz",
                   "8a61469f7ea1b51cbae51d4f78837e45")

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
NUM_TRAIN = 8000  # of the 10,000 t10k images: the first 8,000 train, the last 2,000 test

DATASETS_ENV = "NUMKERAS_DATASETS"
SUBDIRECTORY = "mnist-t10k"


class MnistSplitWarning(UserWarning):
    """Says which MNIST split :func:`load_data` returned when it is not Keras's 60,000 / 10,000."""


def load_data(path="mnist.npz"):
    """Loads MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 arrays.

    **With Keras's** ``mnist.npz`` (looked for under the name ``path`` in the dataset
    folders — ``$NUMKERAS_DATASETS``, ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``,
    ``$NUMKERAS_HOME/datasets`` or ``~/.numkeras/datasets``, ``../shared/datasets`` —
    or at ``path`` itself when it is a path; md5-checked): Keras's split, ``x_train``
    ``(60000, 28, 28)``, ``x_test`` ``(10000, 28, 28)``, labels ``(60000,)`` / ``(10000,)``.

    **Without it**: the official 10,000-image test set (``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``, bundled with the package) split into its **first
    8,000 images as the training set and its last 2,000 as the test set**, with a
    :class:`MnistSplitWarning` saying so. MNIST is never downloaded implicitly (the
    fallback keeps examples and tests offline); fetch ``mnist.npz`` with
    ``numkeras.utils.get_file`` or by hand to get the full split.

    ``path`` may also be a directory holding the two t10k files (searched alone, then
    in its ``mnist-t10k/`` subdirectory).

    Arguments:
        path: ``'mnist.npz'`` (the default), another file name or path of a Keras
            ``mnist.npz``, or a directory of the t10k IDX files.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``, NumPy ``uint8`` arrays.

    Raises:
        FileNotFoundError: an explicitly named file or directory does not hold the data
            (the message lists what was searched, where to put the file and its URL).
        DatasetError: (a ``ValueError``) a file is corrupt: wrong md5, not gzip/npz, bad
            magic number, wrong count or truncated data; the message names the file.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = numkeras.datasets.mnist.load_data()
    """
    if path is not None and pathlib.Path(path).expanduser().is_dir():
        return _load_t10k(path)
    try:
        npz = locate(DATA, path, download=False)
    except DatasetNotFoundError:
        if path not in (None, DATA.fname):
            raise
        (x_train, y_train), (x_test, y_test) = _load_t10k(None)
        warnings.warn(
            f"mnist.load_data(): Keras's mnist.npz was not found, so this is the 8,000 / 2,000 split of "
            f"the MNIST t10k test set, not Keras's 60,000 / 10,000. For the full split, save "
            f"{DATA.origin} as ~/.keras/datasets/mnist.npz.", MnistSplitWarning, stacklevel=2)
        return (x_train, y_train), (x_test, y_test)
    arrays = read_npz(npz, ("x_train", "y_train", "x_test", "y_test"))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_t10k(path):
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


__all__ = ["load_data", "read_idx", "search_directories", "DatasetError", "MnistSplitWarning"]
