"""numkeras — the Keras API on pure NumPy, built as a minimal core plus plugins.

``import numkeras as keras`` works as a drop-in for Keras 2 code. Importing it loads
no component: layers, losses, optimizers … come from plugins, resolved by name the
first time they are used.
"""

from . import (
    activations, backend, callbacks, constraints, datasets, initializers, layers, losses, metrics, models,
    optimizers, regularizers, utils,
)
from .engine import Input, Model, Sequential
from .registry import custom_object_scope
from .version import __version__

__all__ = [
    "Input", "Model", "Sequential", "activations", "backend", "callbacks", "constraints",
    "custom_object_scope", "datasets", "initializers", "layers", "losses", "metrics", "models", "optimizers",
    "regularizers", "utils", "__version__",
]
