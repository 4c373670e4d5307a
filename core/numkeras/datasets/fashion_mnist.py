"""Fashion-MNIST (``numkeras.datasets.fashion_mnist``), from Zalando's four IDX files.

60,000 training and 10,000 test 28x28 grey images of clothing in 10 classes. Keras
caches the files in ``datasets/fashion-mnist/``; they share their names with MNIST's,
so they are only looked for in ``fashion-mnist`` folders. Keras 2.2 checked no hash;
the md5 sums are those Fashion-MNIST's README publishes.
"""

from ._files import DatasetError, DatasetFile, locate
from .mnist import IMAGES_MAGIC, LABELS_MAGIC, read_idx

_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _file(name, md5):
    return DatasetFile(name, _BASE + name, md5, subdir="fashion-mnist")


TRAIN_LABELS = _file("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe")
TRAIN_IMAGES = _file("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d")
TEST_LABELS = _file("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")
TEST_IMAGES = _file("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79")


def load_data():
    """Loads Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Returns (as Keras 2.2): uint8 ``x_*`` of shape ``(n, 28, 28)`` and uint8 ``y_*`` of
    shape ``(n,)``, classes 0-9 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal,
    Shirt, Sneaker, Bag, Ankle boot).

    Raises:
        DatasetError: a file's hash or IDX header is wrong, or images and labels disagree.
        DatasetNotFoundError: a file is not found and cannot be downloaded.
    """
    return _pair(TRAIN_IMAGES, TRAIN_LABELS), _pair(TEST_IMAGES, TEST_LABELS)


def _pair(images_spec, labels_spec):
    labels_path = locate(labels_spec)
    images_path = locate(images_spec)
    labels = read_idx(labels_path, LABELS_MAGIC)
    images = read_idx(images_path, IMAGES_MAGIC)
    if len(images) != len(labels):
        raise DatasetError(f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels.")
    return images, labels


__all__ = ["load_data"]
