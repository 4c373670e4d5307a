"""Keras 2's older module path ``keras.engine.topology`` (``from keras.engine.topology import Layer``).

Keras 2.2 kept it as a re-export of the engine's modules; so does numkeras.
"""

from .base_layer import InputSpec, Layer, Node
from .input_layer import Input, InputLayer
from .network import Network, get_source_inputs

__all__ = ["Layer", "Node", "InputSpec", "Input", "InputLayer", "Network", "get_source_inputs"]
