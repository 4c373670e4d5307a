"""CIFAR-10 small images (``numkeras.datasets.cifar10``), from ``cifar-10-python.tar.gz``.

50,000 training and 10,000 test 32x32 colour images in 10 classes. Keras caches the
archive as ``cifar-10-batches-py.tar.gz``; both that name and the download's own name
are looked for. Keras 2.2 checked no hash; the sha256 is tf.keras's.
"""

import numpy as np

from ._files import DatasetFile, locate
from .cifar import read_archive_batches, to_data_format

DATA = DatasetFile("cifar-10-batches-py.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                   "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                   aliases=("cifar-10-python.tar.gz",))
FOLDER = "cifar-10-batches-py"


def load_data():
    """Loads CIFAR-10 as ``((x_train, y_train), (x_test, y_test))``.

    Returns (as Keras 2.2):
        ``x_train``: uint8 ``(50000, 32, 32, 3)`` (``(50000, 3, 32, 32)`` with
        ``channels_first``); ``y_train``: uint8 ``(50000, 1)``, classes 0-9;
        ``x_test``: uint8 ``(10000, 32, 32, 3)``; ``y_test``: int ``(10000, 1)`` (Keras 2.2
        builds it from the batch's list of labels, hence NumPy's default int).

    Raises:
        DatasetError: the archive's hash or content is wrong.
        DatasetNotFoundError: the archive is not found and cannot be downloaded.
    """
    archive = locate(DATA)
    members = [f"{FOLDER}/data_batch_{i}" for i in range(1, 6)] + [f"{FOLDER}/test_batch"]
    batches = read_archive_batches(archive, members)
    x_train = np.concatenate([data for data, _ in batches[:5]]).astype("uint8", copy=False)
    y_train = np.concatenate([np.asarray(labels, dtype="uint8") for _, labels in batches[:5]])
    x_test, test_labels = batches[5]
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(test_labels, (len(test_labels), 1))
    return (to_data_format(x_train), y_train), (to_data_format(x_test), y_test)


__all__ = ["load_data"]
