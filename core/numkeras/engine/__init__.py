"""The model engine: ``Layer``, the functional graph, ``Model`` and ``Sequential``.

Keras 2's ``keras.engine`` path: ``from numkeras.engine import Layer, InputSpec`` works.
"""

from .base_layer import InputSpec, KerasTensor, Layer, Node
from .input_layer import Input, InputLayer
from .sequential import Sequential
from .training import Model

__all__ = ["InputSpec", "KerasTensor", "Layer", "Node", "Input", "InputLayer", "Model", "Sequential"]
