"""Keras 2 legacy module path `keras.layers.wrappers`: every registered layer is available here."""

from . import Input, InputLayer, InputSpec, Layer  # noqa: F401
from . import __getattr__  # noqa: F401  - registered layers resolve on attribute access
