"""numkeras.datasets — small datasets read from files that ship with the project.

``numkeras.datasets.mnist.load_data()`` reads the official MNIST IDX files; see its
docstring for the 8,000 / 2,000 split of the t10k set that it returns by default.
"""

from . import mnist

__all__ = ["mnist"]
