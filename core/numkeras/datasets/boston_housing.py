"""Boston housing prices (``numkeras.datasets.boston_housing``), from Keras's ``boston_housing.npz``.

506 houses, 13 features each, and their median value in k$. The sha256 is the one
Keras 2.2's loader checks.
"""

from ._files import DatasetFile, read_shuffled_xy, train_rows

DATA = DatasetFile("boston_housing.npz", "https://s3.amazonaws.com/keras-datasets/boston_housing.npz",
                   "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")  # Keras 2.2.4


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing data as ``((x_train, y_train), (x_test, y_test))``.

    As Keras 2.2: the rows are shuffled by ``np.random.RandomState(seed)`` and the first
    ``int(n * (1 - test_split))`` are the training set (404 of 506 by default). NumPy's
    global random state is not touched.

    Arguments:
        path: the file name in the dataset folders (see ``numkeras.datasets``), or a path.
        test_split: the fraction of rows in the test set, in [0, 1).
        seed: the shuffling seed.

    Returns:
        ``x_*``: float64 arrays ``(n, 13)``; ``y_*``: float64 arrays ``(n,)``.

    Raises:
        ValueError: ``test_split`` outside [0, 1).
        DatasetError / DatasetNotFoundError: as for every loader.
    """
    x, y = read_shuffled_xy(DATA, path, test_split, seed)
    split = train_rows(len(x), test_split)
    return (x[:split], y[:split]), (x[split:], y[split:])

__all__ = ["load_data"]
