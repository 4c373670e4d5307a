"""``Sequential``: a linear stack of layers, built as a functional graph once its input shape is known."""

import numpy as np

from .base_layer import KerasTensor, Layer
from .input_layer import Input, InputLayer
from .training import Model


class Sequential(Model):
    """A linear stack of layers.

    Arguments:
        layers: optional list of layers to add.
        name: the model's name.

    The first layer may declare ``input_shape`` / ``input_dim`` / ``batch_input_shape``;
    then the model is built at once. Otherwise it is built from the first data it sees.

    Example:
        >>> model = Sequential([Dense(32, input_dim=784), Activation('relu'), Dense(10)])
        >>> model.add(Activation('softmax'))
    """

    builds_graph_from_layers = True

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        """The stacked layers (without the implicit InputLayer, as in Keras 2)."""
        return list(self._stack)

    def add(self, layer):
        """Appends a layer (or a model used as a layer) to the stack.

        Raises:
            TypeError: ``layer`` is not a Layer.
            ValueError: the layer has several outputs, or its name is already used.
        """
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(
                f"The added layer must be an instance of class Layer. Found: {layer!r} "
                f"({type(layer).__name__})."
            )
        if layer is self or _contains(layer, self):
            raise ValueError(
                f"Cannot add the model {self.name!r} to itself"
                + ("" if layer is self else f" (through {layer.name!r}, which contains it)")
                + ": a model cannot be one of its own layers.")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name {layer.name!r} "
                f"is already the name of a layer in this model."
            )
        if isinstance(layer, InputLayer):
            if self._stack or self._input_tensor is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model.")
            self._input_tensor = layer._inbound_nodes[0].outputs[0]
            self._rebuild()
            return
        if self._input_tensor is None and not self._stack:
            shape = _declared_input_shape(layer)
            if shape is not None:
                self._input_tensor = Input(batch_shape=shape, dtype=_input_dtype(layer),
                                           name=f"{layer.name}_input")
        self._stack.append(layer)
        if self._input_tensor is not None:
            self._rebuild()

    def pop(self):
        """Removes the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        self._rebuild()

    def _rebuild(self):
        if self._input_tensor is None:
            return
        x = self._input_tensor
        for layer in self._stack:
            x = layer(x)
            if isinstance(x, list):
                raise ValueError(
                    f"All layers in a Sequential model should have a single output tensor; layer "
                    f"{layer.name} has {len(x)}. For multi-output layers, use the functional API."
                )
        self._init_graph(self._input_tensor, x)

    def build(self, input_shape=None):
        """Builds the model for ``input_shape`` (with the batch axis), when no layer declared it."""
        if self._is_graph_network:
            return
        if input_shape is None:
            raise ValueError("Sequential.build needs an input_shape (with the batch axis, e.g. (None, 784)).")
        self._input_tensor = Input(batch_shape=tuple(input_shape))
        self._rebuild()

    def _ensure_graph(self, xs):
        if self._is_graph_network:
            return
        if not self._stack:
            raise ValueError("The Sequential model has no layers: add() some before using it.")
        if len(xs) != 1:
            raise ValueError(f"A Sequential model takes one input array; got {len(xs)}.")
        x = xs[0]
        dtype = x.dtype if x.dtype.kind == "f" else (None if x.dtype.kind != "i" else x.dtype)
        self._input_tensor = Input(batch_shape=(None,) + tuple(x.shape[1:]), dtype=dtype)
        self._rebuild()

    def call(self, inputs, training=None, mask=None):
        if not self._is_graph_network:
            array = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
            self._ensure_graph([array])
        outputs, _ = self._run_graph(inputs, training=training, masks=mask)
        return self._nest_outputs(outputs)

    def __call__(self, inputs, **kwargs):
        if not self._is_graph_network and not _is_symbolic(inputs):
            array = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
            self._ensure_graph([array])
        if not self._is_graph_network and _is_symbolic(inputs):
            self._input_tensor = Input(batch_shape=inputs.shape, dtype=inputs.dtype)
            self._rebuild()
        return super().__call__(inputs, **kwargs)

    @property
    def trainable_weights(self):
        if not self._is_graph_network:
            return []
        return super().trainable_weights

    def get_config(self):
        """``{'name', 'layers': [{'class_name', 'config'}, …]}``, as Keras 2.2 writes it."""
        from .serialization import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .serialization import sequential_from_config

        return sequential_from_config(cls, config, custom_objects)

    # Keras 2.2.4 extras used by its example scripts.
    def predict_proba(self, x, batch_size=32, verbose=0):
        """Class probabilities (the model's output); warns if they are outside [0, 1]."""
        predictions = self.predict(x, batch_size=batch_size, verbose=verbose)
        if predictions.min() < 0.0 or predictions.max() > 1.0:
            import warnings

            warnings.warn(
                "Network returning invalid probability values. The last layer might not normalize "
                "predictions into probabilities (like softmax or sigmoid would).", stacklevel=2)
        return predictions

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax for several outputs units, ``> 0.5`` for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")


def _declared_input_shape(layer):
    shape = getattr(layer, "_batch_input_shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(layer, Model) and layer.inputs:
        return tuple(layer.inputs[0].shape)
    return None


def _input_dtype(layer):
    dtype = getattr(layer, "input_dtype", None)
    return dtype


def _is_symbolic(inputs):
    from .functional import is_symbolic

    return is_symbolic(inputs)


def _contains(layer, target):
    """Whether ``target`` is ``layer`` or among the layers of the models nested in it."""
    stack, seen = [layer], set()
    while stack:
        current = stack.pop()
        if current is target:
            return True
        if id(current) in seen:
            continue
        seen.add(id(current))
        stack.extend(getattr(current, "layers", ()) if hasattr(current, "_is_graph_network") else ())
    return False
