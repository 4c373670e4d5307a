"""numkeras.optimizers — the ``Optimizer`` protocol and every registered optimizer."""

from ..registry import Namespace
from .base import Optimizer

_namespace = Namespace("optimizers", instantiate=True)
_namespace.bind(globals())

__all__ = ["Optimizer", "get", "serialize", "deserialize", "register"]
