"""CIFAR-100 small images (``numkeras.datasets.cifar100``), from ``cifar-100-python.tar.gz``.

50,000 training and 10,000 test 32x32 colour images in 100 fine classes grouped into
20 coarse ones. Keras 2.2 checked no hash; the sha256 is tf.keras's.
"""

import numpy as np

from ._files import DatasetFile, locate
from .cifar import read_archive_batches, to_data_format

DATA = DatasetFile("cifar-100-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                   "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7")
FOLDER = "cifar-100-python"


def load_data(label_mode="fine"):
    """Loads CIFAR-100 as ``((x_train, y_train), (x_test, y_test))``.

    Arguments:
        label_mode: ``'fine'`` (100 classes) or ``'coarse'`` (20 superclasses).

    Returns (as Keras 2.2):
        ``x_*``: uint8 ``(n, 32, 32, 3)`` (``(n, 3, 32, 32)`` with ``channels_first``);
        ``y_*``: int ``(n, 1)``.

    Raises:
        ValueError: ``label_mode`` is neither ``'fine'`` nor ``'coarse'``.
        DatasetError / DatasetNotFoundError: as for every loader.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode must be one of 'fine', 'coarse'; got {label_mode!r}.")
    batches = read_archive_batches(locate(DATA), [f"{FOLDER}/train", f"{FOLDER}/test"],
                                   label_key=label_mode + "_labels")
    (x_train, train_labels), (x_test, test_labels) = batches
    y_train = np.reshape(train_labels, (len(train_labels), 1))
    y_test = np.reshape(test_labels, (len(test_labels), 1))
    return (to_data_format(x_train), y_train), (to_data_format(x_test), y_test)


__all__ = ["load_data"]
