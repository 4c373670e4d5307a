"""Embedding: integer ids → dense vectors, optionally producing a mask for id 0."""

import warnings

import numpy as np

from numkeras import constraints, initializers, regularizers
from numkeras.backend.ops.embedding import embedding_lookup
from numkeras.engine.base_layer import Layer
from numkeras.utils import legacy

from . import _arguments as check

@legacy.renames(legacy.EMBEDDING)
class Embedding(Layer):
    """Turns positive integers (indices) into dense vectors of fixed size: ``[[4], [20]] → [[.25, .1], [.6, -.2]]``.

    It can only be the first layer of a model (or follow an integer Input).

    Arguments:
        input_dim: size of the vocabulary (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: for the
            ``(input_dim, output_dim)`` matrix (default initializer ``'uniform'``).
        mask_zero: id 0 is padding: the layer outputs a mask that is False there, which
            recurrent layers and masked pooling honour (then id 0 cannot be a word, so
            ``input_dim`` should be vocabulary size + 1).
        input_length: length of the input sequences when constant; needed to connect
            ``Flatten`` then ``Dense`` downstream. On the first layer it sets the model's
            input shape to ``(None, input_length)``.

    Keras 1: ``init``, ``W_regularizer``, ``W_constraint`` are renamed, and ``dropout=p``
    drops whole embedding rows (words) with probability ``p`` in training, with a
    DeprecationWarning.

    Input ``(batch, sequence_length)`` of ids; output ``(batch, sequence_length, output_dim)``.

    Example:
        >>> model = Sequential([Embedding(1000, 64, input_length=10)])
        >>> model.output_shape
        (None, 10, 64)
    """

    def __init__(self, input_dim=None, output_dim=None, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None, embeddings_constraint=None,
                 mask_zero=False, input_length=None, **kwargs):
        owner = "Embedding"
        dropout = kwargs.pop("dropout", 0.0)
        if dropout:
            warnings.warn("Embedding: the Keras 1 argument dropout is deprecated; put a SpatialDropout1D after "
                          "the Embedding instead.", DeprecationWarning, stacklevel=2)
        if input_dim is None or output_dim is None:
            raise TypeError("Embedding: input_dim (vocabulary size) and output_dim are required, "
                            "e.g. Embedding(1000, 64).")
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            if input_length is not None:
                length = tuple(input_length) if isinstance(input_length, (list, tuple)) else (input_length,)
                kwargs["input_shape"] = length
            else:
                kwargs["input_shape"] = (None,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = check.positive_int(owner, "input_dim", input_dim)
        self.output_dim = check.positive_int(owner, "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = check.flag(type(self).__name__, "mask_zero", mask_zero)
        self.supports_masking = self.mask_zero
        self.produces_mask = self.mask_zero
        self.input_length = input_length
        self.dropout = check.rate(owner, "dropout", dropout)
        self.input_dtype = "int32"

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def _ids(self, inputs):
        ids = np.asarray(inputs.data if hasattr(inputs, "data") else inputs)
        if ids.dtype.kind == "f":
            ids = ids.astype(np.int64)
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding layer {self.name}: expected integer ids, got an input of dtype {ids.dtype}.")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = int(ids.min() if ids.min() < 0 else ids.max())
            raise ValueError(
                f"Embedding layer {self.name}: id {bad} is out of range; ids must be in [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}). Increase input_dim to the vocabulary size + 1."
            )
        return ids

    def call(self, inputs, training=None):
        ids = self._ids(inputs)
        outputs = embedding_lookup(self.embeddings, ids)
        if training and self.dropout:
            from numkeras.utils.random import generator

            keep = 1.0 - self.dropout
            kept_rows = (generator().random(self.input_dim) < keep).astype(outputs.dtype) / np.asarray(
                keep, dtype=outputs.dtype)
            outputs = outputs * kept_rows[ids][..., None]
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return self._ids(inputs) != 0

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.input_length is None:
            return input_shape + (self.output_dim,)
        lengths = tuple(self.input_length) if isinstance(self.input_length, (list, tuple)) else (self.input_length,)
        if len(lengths) != len(input_shape) - 1:
            raise ValueError(
                f"Embedding layer {self.name}: input_length is {self.input_length}, but the input has shape "
                f"{input_shape}."
            )
        shape = [input_shape[0]]
        for declared, actual in zip(lengths, input_shape[1:]):
            if declared is not None and actual is not None and declared != actual:
                raise ValueError(
                    f"Embedding layer {self.name}: input_length is {self.input_length}, but received an input "
                    f"with shape {input_shape}."
                )
            shape.append(declared if declared is not None else actual)
        return tuple(shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero, input_length=self.input_length,
        )
        return config
