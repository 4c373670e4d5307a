"""numkeras.wrappers — Keras models wrapped for other libraries (``scikit_learn``)."""

from . import scikit_learn

__all__ = ["scikit_learn"]
