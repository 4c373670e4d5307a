"""numkeras.datasets — Keras's seven dataset loaders, on Keras's own files.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters`` and
``boston_housing`` each read the file(s) Keras's loader reads, from the first of
these folders that holds one whose hash matches (see :mod:`numkeras.datasets._files`):
``$NUMKERAS_DATASETS``; Keras's cache (``$KERAS_HOME/datasets``, else
``~/.keras/datasets``); numkeras's cache (``$NUMKERAS_HOME/datasets``, else
``~/.numkeras/datasets``); ``../shared/datasets`` beside the source checkout. Otherwise
they download it with :func:`numkeras.utils.get_file` (not with
``$NUMKERAS_NO_DOWNLOAD=1``), or fail with an error naming the file, where to put it
and its URL. ``mnist`` never downloads: without ``mnist.npz`` it returns an 8,000 /
2,000 split of the bundled MNIST test set (see its docstring).
"""

from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from ._files import DatasetError, DatasetNotFoundError

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
           "DatasetError", "DatasetNotFoundError"]
