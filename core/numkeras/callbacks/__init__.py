"""numkeras.callbacks — the ``Callback`` protocol, and every callback registered by plugins.

``numkeras.callbacks.EarlyStopping`` and the like are looked up in the registry
(entry-point group ``numkeras.callbacks``) on attribute access.
"""

from ..registry import Namespace
from .base import Callback, CallbackList

_namespace = Namespace("callbacks", instantiate=True)
_namespace.bind(globals())

__all__ = ["Callback", "CallbackList", "get", "serialize", "deserialize", "register"]
