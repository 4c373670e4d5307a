"""numkeras.regularizers — the ``Regularizer`` protocol and every registered regularizer."""

from ..registry import Namespace
from .base import Regularizer

_namespace = Namespace("regularizers", instantiate=True)
_namespace.bind(globals())

__all__ = ["Regularizer", "get", "serialize", "deserialize", "register"]
