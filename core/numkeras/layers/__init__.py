"""numkeras.layers — ``Layer``, ``Input``, ``InputSpec`` and every registered layer.

``numkeras.layers.Dense`` and every other layer (built-in or from an installed
plugin) is looked up in the registry (entry-point group ``numkeras.layers``) on
attribute access; importing this module imports no layer.
"""

from ..engine.base_layer import InputSpec, Layer
from ..engine.input_layer import Input, InputLayer
from ..registry import Namespace

_namespace = Namespace("layers")
_namespace.bind(globals())

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "get", "serialize", "deserialize", "register"]
