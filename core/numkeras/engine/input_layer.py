"""``InputLayer`` and ``Input()``: where a functional graph starts."""

import numpy as np

from .. import backend as K
from .base_layer import KerasTensor, Layer, Node, declared_batch_shape


class InputLayer(Layer):
    """The layer that owns a model's input placeholder.

    Arguments:
        input_shape: shape without the batch axis, or
        batch_input_shape: shape with it.
        batch_size, dtype, sparse, name: as in Keras.
    """

    is_placeholder = True  # as in Keras 2.2: it holds a model input, it computes nothing

    def __init__(self, input_shape=None, batch_size=None, batch_input_shape=None, dtype=None,
                 sparse=False, name=None, **kwargs):
        if batch_input_shape is None and input_shape is None:
            raise ValueError("InputLayer needs an input_shape or a batch_input_shape.")
        batch_input_shape = declared_batch_shape("InputLayer", input_shape, batch_input_shape, batch_size)
        super().__init__(name=name or f"input_{K.get_uid('input')}", dtype=dtype or K.floatx(),
                         batch_input_shape=tuple(batch_input_shape), **kwargs)
        self.sparse = sparse
        self.built = True
        output = KerasTensor(self._batch_input_shape, dtype=self.dtype, history=(self, 0, 0), name=self.name)
        self._inbound_nodes.append(Node(self, [], [output], {}))

    def get_config(self):
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": str(self.dtype),
                "sparse": self.sparse, "name": self.name}

    def call(self, inputs, **kwargs):
        return inputs


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None, batch_size=None):
    """A symbolic input for the functional API.

    Arguments:
        shape: the shape of one sample, e.g. ``(784,)`` (the batch axis is left out).
        batch_shape: the full shape with the batch axis, e.g. ``(32, 784)``.
        name, dtype: optional.

    Returns:
        A :class:`KerasTensor` to call layers on.

    Example:
        >>> inputs = Input(shape=(784,))
        >>> outputs = Dense(10, activation='softmax')(Dense(64)(inputs))
        >>> model = Model(inputs, outputs)
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input() needs a shape (without the batch axis) or a batch_shape.")
    if shape is not None and np.isscalar(shape):
        shape = (shape,)
    layer = InputLayer(input_shape=shape, batch_size=batch_size, batch_input_shape=batch_shape,
                       name=name, dtype=dtype, sparse=sparse)
    return layer._inbound_nodes[0].outputs[0]
