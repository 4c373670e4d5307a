"""numkeras.constraints — the ``Constraint`` protocol and every registered constraint."""

from ..registry import Namespace
from .base import Constraint

_namespace = Namespace("constraints", instantiate=True)
_namespace.bind(globals())

__all__ = ["Constraint", "get", "serialize", "deserialize", "register"]
