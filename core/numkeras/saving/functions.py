"""Keras's path for the function (de)serialization of ``Lambda`` layers.

It lives in :mod:`numkeras.engine.functions`, next to the layer deserialization that uses
it; saving (a layer above the engine) re-exports it here.
"""

from ..engine.functions import (
    FUNCTION_KINDS, PYTHON_VERSION, TRUSTED_MODULE_PREFIXES, deserialize_function, from_keras_function, func_dump,
    in_safe_mode, live_function_scope, safe_mode_scope, serialize_function,
)

__all__ = [
    "serialize_function", "deserialize_function", "safe_mode_scope", "in_safe_mode",
    "live_function_scope", "func_dump", "from_keras_function",
]
