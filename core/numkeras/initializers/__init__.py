"""numkeras.initializers — the ``Initializer`` protocol and every registered initializer."""

from ..registry import Namespace
from .base import Initializer

_namespace = Namespace("initializers", instantiate=True)
_namespace.bind(globals())

__all__ = ["Initializer", "get", "serialize", "deserialize", "register"]
