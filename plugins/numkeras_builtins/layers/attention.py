"""Attention layers of tf.keras 2: dot-product ``Attention`` (Luong), ``AdditiveAttention``
(Bahdanau) and ``MultiHeadAttention`` (Vaswani et al.).

Keras 2.2 has none of them; they follow tf.keras 2's formulas, configs and weight
layouts, so weights saved by tf.keras load. Masked positions get ``-1e9`` added to
their scores before the softmax (tf.keras's additive masking), so a row whose every
position is masked attends uniformly, as in tf.keras.
"""

import math

import numpy as np

from numkeras import backend as K
from numkeras.backend import ops
from numkeras.backend.tensor import Tensor
from numkeras.engine.base_layer import Layer
from numkeras.utils.random import generator

from . import _arguments as check

#: What tf.keras adds to a masked score (its ``_large_compatible_negative`` for float32/64).
MASKED_SCORE = -1e9


def _mask_array(mask):
    """A mask as a NumPy bool array (None stays None)."""
    if mask is None:
        return None
    return np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)


def _merge(*masks):
    """The logical AND of the masks that are given (None when none is)."""
    given = [m for m in masks if m is not None]
    if not given:
        return None
    merged = given[0]
    for m in given[1:]:
        merged = np.logical_and(merged, m)
    return merged


def _causal_mask(rows, columns):
    """``True`` where a query position may attend: at or before its own position."""
    return np.tril(np.ones((rows, columns), dtype=bool))


def _mask_scores(scores, keep, robust=False):
    """``scores`` with :data:`MASKED_SCORE` added where ``keep`` is False (or put there, with ``robust``)."""
    if keep is None:
        return scores
    if robust:
        return ops.where(np.broadcast_to(keep, scores.shape), scores,
                         np.asarray(MASKED_SCORE, dtype=scores.dtype))
    return scores + (1.0 - keep.astype(scores.dtype)) * np.asarray(MASKED_SCORE, dtype=scores.dtype)


def _dropout(weights, rate, training):
    """Inverted dropout of the attention weights while training."""
    if not training or not rate:
        return weights
    keep = 1.0 - rate
    uniform = generator(None).random(weights.shape)
    mask = (uniform < keep).astype(weights.dtype) * np.asarray(1.0 / keep, dtype=weights.dtype)
    return weights * mask


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return ops.transpose(x, axes)


class _DenseAttention(Layer):
    """What ``Attention`` and ``AdditiveAttention`` share (tf.keras's ``BaseDenseAttention``).

    Called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to
    ``value``), of shapes ``(batch, Tq, dim)``, ``(batch, Tv, dim)``, ``(batch, Tv, dim)``.
    ``mask=[query_mask, value_mask]`` (boolean, ``(batch, Tq)`` / ``(batch, Tv)``; in a
    functional model the masks of the inputs): value positions that are masked get no
    weight, and the output is zero at masked query positions. The output mask is the
    query mask. Subclasses implement ``_scores(query, key)``.
    """

    def __init__(self, dropout=0.0, causal=False, **kwargs):
        owner = type(self).__name__
        super().__init__(**kwargs)
        self.dropout = check.rate(owner, "dropout", dropout)
        self.causal = check.flag(owner, "causal", causal)  # tf.keras < 2.10's spelling of use_causal_mask
        self.supports_masking = True
        self._returns_scores = False

    def __call__(self, inputs, **kwargs):
        self._returns_scores = bool(kwargs.get("return_attention_scores"))
        try:
            return super().__call__(inputs, **kwargs)
        finally:
            self._returns_scores = False

    def _check_inputs(self, inputs, mask=None):
        owner = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{owner} layer {self.name} must be called on a list [query, value] or [query, value, "
                             f"key], got {type(inputs).__name__}"
                             f"{' of length %d' % len(inputs) if isinstance(inputs, (list, tuple)) else ''}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= len(inputs)):
            raise ValueError(f"{owner} layer {self.name}: mask must be a list [query_mask, value_mask], got "
                             f"{mask!r}.")
        shapes = [tuple(x.shape) for x in inputs]
        if any(len(s) != 3 for s in shapes):
            raise ValueError(f"{owner} layer {self.name}: query, value and key must be 3D (batch, steps, features), "
                             f"got shapes {shapes}.")
        if len(shapes) == 3 and shapes[1][1] is not None and shapes[2][1] is not None and shapes[1][1] != shapes[2][1]:
            raise ValueError(f"{owner} layer {self.name}: value and key must have the same number of steps, got "
                             f"shapes {shapes[1]} and {shapes[2]}.")

    def assert_input_compatibility(self, inputs):
        self._check_inputs(inputs)
        super().assert_input_compatibility(inputs)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._check_inputs(inputs, mask)
        if training is None:
            training = K.learning_phase()
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = _mask_array(mask[0]) if mask else None
        value_mask = _mask_array(mask[1]) if mask else None
        scores = self._scores(query, key)
        keep = None if value_mask is None else value_mask[:, None, :]
        if self.causal or use_causal_mask:
            keep = _merge(keep, _causal_mask(scores.shape[-2], scores.shape[-1])[None])
        weights = ops.softmax(_mask_scores(scores, keep), axis=-1)
        result = ops.matmul(_dropout(weights, self.dropout, training), value)
        if query_mask is not None:
            result = result * query_mask[:, :, None].astype(result.dtype)
        if return_attention_scores:
            return [result, weights]
        return result

    def compute_mask(self, inputs, mask=None):
        if mask:
            return mask[0]
        return None

    def compute_output_shape(self, input_shape):
        query_shape = tuple(input_shape[0])
        if self._returns_scores:
            return [query_shape, (query_shape[0], query_shape[1], tuple(input_shape[1])[1])]
        return query_shape

    def get_config(self):
        config = super().get_config()
        config["dropout"] = self.dropout
        if self.causal:
            config["causal"] = True
        return config


class Attention(_DenseAttention):
    """Dot-product attention (Luong): ``softmax(query · keyᵀ) · value``.

    Arguments:
        use_scale: learn a scalar ``scale`` that multiplies the scores (initially 1).
        score_mode: ``'dot'`` (``query · keyᵀ``) or ``'concat'``
            (``concat_score_weight * sum(tanh(query + key))`` over the features, with a
            learned scalar ``concat_score_weight``; ``use_scale`` scales inside the tanh).
        dropout: fraction of the attention weights dropped while training.
        causal: tf.keras < 2.10's constructor form of ``use_causal_mask``.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask, value_mask]`` (see :class:`_DenseAttention`).
        training: dropout on or off (default: the learning phase).
        return_attention_scores: also return the attention weights, ``(batch, Tq, Tv)``.
        use_causal_mask: query position ``i`` attends only to positions ``<= i``.

    Example:
        >>> context = Attention()([query_sequence, value_sequence])
    """

    def __init__(self, use_scale=False, score_mode="dot", **kwargs):
        super().__init__(**kwargs)
        self.use_scale = check.flag("Attention", "use_scale", use_scale)
        check.check("Attention", score_mode=(score_mode, check.one_of("dot", "concat")))
        self.score_mode = score_mode

    def build(self, input_shape):
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, _swap_last(key))
            return scores * self.scale if self.scale is not None else scores
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(ops.tanh(pairs), axis=-1) * self.concat_score_weight

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode)
        return config


class AdditiveAttention(_DenseAttention):
    """Additive attention (Bahdanau): scores ``sum(scale * tanh(query + key))`` over the features.

    Arguments:
        use_scale: learn a per-feature ``scale`` of shape ``(dim,)`` (glorot-uniform
            initialized); otherwise the sum is unscaled.
        dropout, causal: as for :class:`Attention`; the call takes the same arguments.

    Example:
        >>> context = AdditiveAttention()([query_sequence, value_sequence])
    """

    def __init__(self, use_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = check.flag("AdditiveAttention", "use_scale", use_scale)

    def build(self, input_shape):
        dim = tuple(input_shape[1])[-1]
        if dim is None:
            raise ValueError(f"AdditiveAttention layer {self.name}: the value's last axis must be known, got "
                             f"shape {tuple(input_shape[1])}.")
        self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform") \
            if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), as tf.keras 2's ``MultiHeadAttention``.

    ``query``, ``key`` and ``value`` are each projected to ``num_heads`` heads
    (``key_dim`` features for query and key, ``value_dim`` for value); every head
    computes ``softmax(q · kᵀ / sqrt(key_dim)) · v`` over the ``attention_axes``; the heads
    are projected back to the query's last axis (or ``output_shape``).

    Arguments:
        num_heads: number of heads. key_dim: size of each head of query and key.
        value_dim: size of each head of value (default ``key_dim``).
        dropout: fraction of the attention weights dropped while training.
        use_bias: whether the four projections have biases.
        output_shape: the output's last axes (an int or a tuple); default the query's last axis.
        attention_axes: the input axes attention runs over (default: every axis but the
            batch and feature axes); e.g. ``(2, 3)`` for 2D attention over a 5D input.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: for the four projections.
        activity_regularizer: applied to the output of every projection, as tf.keras does.
        softmax_robust_masking: put ``-1e9`` at masked scores instead of adding it.

    Call arguments:
        query ``(B, T, dim)``, value ``(B, S, dim)``, key ``(B, S, dim)`` (default value).
        attention_mask: boolean ``(B, T, S)``; False where a query position must not attend.
        return_attention_scores: also return the weights, ``(B, num_heads, T, S)``.
        training: dropout on or off (default: the learning phase).
        use_causal_mask: query position ``i`` attends only to positions ``<= i``.
        In a functional model the masks of query, value and key (e.g. from
        ``Embedding(mask_zero=True)``) are merged into ``attention_mask``, as in tf.keras.

    Weights, in tf.keras's order and layout (its ``EinsumDense`` kernels, so its weights
    load): ``query/kernel`` ``(dim, num_heads, key_dim)``, ``query/bias``
    ``(num_heads, key_dim)``, ``key/kernel``, ``key/bias``, ``value/kernel``
    ``(dim, num_heads, value_dim)``, ``value/bias``, ``attention_output/kernel``
    ``(num_heads, value_dim, *output_shape)``, ``attention_output/bias``.

    Example:
        >>> x = Input((10, 16))
        >>> y = MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, softmax_robust_masking=False, **kwargs):
        owner = "MultiHeadAttention"
        super().__init__(**kwargs)
        self.num_heads = check.positive_int(owner, "num_heads", num_heads)
        self.key_dim = check.positive_int(owner, "key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else check.positive_int(owner, "value_dim", value_dim)
        self.dropout = check.rate(owner, "dropout", dropout)
        self.use_bias = check.flag(owner, "use_bias", use_bias)
        if output_shape is None or output_shape == [] or output_shape == ():
            self._output_dims = None
        elif check.is_integer(output_shape):
            self._output_dims = (check.positive_int(owner, "output_shape", output_shape),)
        else:
            self._output_dims = check.shape(owner, "output_shape", output_shape)
        if attention_axes is not None:
            attention_axes = (attention_axes,) if check.is_integer(attention_axes) else tuple(attention_axes)
            if not attention_axes or not all(check.is_integer(a) and a >= 1 for a in attention_axes):
                raise check.ArgumentValueError(
                    f"{owner}: attention_axes must be input axes >= 1 (not the batch axis), got {attention_axes!r}.")
            attention_axes = tuple(int(a) for a in attention_axes)
        self.attention_axes = attention_axes
        check.set_weight_arguments(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        check.set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        from numkeras import regularizers

        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.softmax_robust_masking = check.flag(owner, "softmax_robust_masking", softmax_robust_masking)
        self.supports_masking = True
        self._shapes = None  # (query, value, key) shapes once built
        self._returns_scores = False

    # -- calling with tf.keras's signature -------------------------------------------------
    def __call__(self, query, value=None, key=None, attention_mask=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)):
            inputs = list(query)  # [query, value, key(, attention_mask)]: a graph being rebuilt
            if not 3 <= len(inputs) <= 4 or attention_mask is not None or key is not None:
                raise ValueError(f"MultiHeadAttention layer {self.name}: call it as layer(query, value, key=None, "
                                 f"attention_mask=None), got a list of {len(inputs)} inputs.")
        elif value is None:
            raise TypeError(f"MultiHeadAttention layer {self.name}: missing the value argument; call it as "
                            f"layer(query, value) (self-attention: layer(x, x)).")
        else:
            inputs = [query, value, value if key is None else key]
            if attention_mask is not None:
                inputs.append(attention_mask)
        self._returns_scores = bool(kwargs.get("return_attention_scores"))
        try:
            return super().__call__(inputs, **kwargs)
        finally:
            self._returns_scores = False

    # -- building ---------------------------------------------------------------------------
    def _axes_for(self, rank):
        if self.attention_axes is None:
            return tuple(range(1, rank - 1))
        if any(a > rank - 2 for a in self.attention_axes):
            raise ValueError(f"MultiHeadAttention layer {self.name}: attention_axes {list(self.attention_axes)} "
                             f"must be between 1 and {rank - 2} for inputs of rank {rank}.")
        return self.attention_axes

    def build(self, input_shape):
        shapes = [tuple(s) for s in input_shape[:3]]
        for what, shape in zip(("query", "value", "key"), shapes):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(f"MultiHeadAttention layer {self.name}: the {what} must have rank >= 3 and a known "
                                 f"last axis, got shape {shape}.")
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(f"MultiHeadAttention layer {self.name}: query, value and key must have the same rank, "
                             f"got shapes {shapes}.")
        query_shape, value_shape, key_shape = shapes
        self.attention_axes = self._axes_for(len(query_shape))
        self._shapes = shapes
        out_dims = self._output_dims or (query_shape[-1],)
        heads = self.num_heads

        def projection(name, kernel_shape, bias_shape):
            kernel = self.add_weight(name=f"{name}/kernel", shape=kernel_shape, initializer=self.kernel_initializer,
                                     regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
            bias = self.add_weight(name=f"{name}/bias", shape=bias_shape, initializer=self.bias_initializer,
                                   regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
                if self.use_bias else None
            return kernel, bias

        self._query = projection("query", (query_shape[-1], heads, self.key_dim), (heads, self.key_dim))
        self._key = projection("key", (key_shape[-1], heads, self.key_dim), (heads, self.key_dim))
        self._value = projection("value", (value_shape[-1], heads, self.value_dim), (heads, self.value_dim))
        self._output = projection("attention_output", (heads, self.value_dim) + tuple(out_dims), tuple(out_dims))
        self.built = True

    def _project(self, x, weights, axes):
        kernel, bias = weights
        y = ops.tensordot(x, kernel, axes=axes)
        if bias is not None:
            y = y + bias
        if self.projection_activity_regularizer is not None:
            self._call_losses.append(self.projection_activity_regularizer(y))
        return y

    # -- computing -----------------------------------------------------------------------------
    def call(self, query, value=None, key=None, attention_mask=None, mask=None, training=None,
             return_attention_scores=False, use_causal_mask=False):
        if isinstance(query, (list, tuple)):
            inputs = list(query)
            query, value, key = inputs[:3]
            attention_mask = inputs[3] if len(inputs) > 3 else attention_mask
        if key is None:
            key = value
        if training is None:
            training = K.learning_phase()
        keep = self._attention_mask(query, value, attention_mask, mask, use_causal_mask)
        q = self._project(query, self._query, ([-1], [0])) * (1.0 / math.sqrt(float(self.key_dim)))
        k = self._project(key, self._key, ([-1], [0]))
        v = self._project(value, self._value, ([-1], [0]))
        # (B, <other axes>, <attention axes>, heads, dim) -> (B, <other axes>, heads, T, dim), T flattened
        rank = q.ndim
        attention = list(self.attention_axes)
        batch_axes = [a for a in range(rank - 1) if a not in attention]
        order = batch_axes + attention + [rank - 1]
        q, k, v = (ops.transpose(t, order) for t in (q, k, v))
        batch_shape = q.shape[:len(batch_axes)]
        query_steps, key_steps = q.shape[len(batch_axes):-1], k.shape[len(batch_axes):-1]
        flat = [ops.reshape(t, t.shape[:len(batch_axes)] + (int(np.prod(t.shape[len(batch_axes):-1])), t.shape[-1]))
                for t in (q, k, v)]
        scores = ops.matmul(flat[0], _swap_last(flat[1]))
        full_shape = batch_shape + query_steps + key_steps
        if keep is not None:
            keep = np.asarray(keep, dtype=bool)
            while keep.ndim < len(full_shape):  # add the heads axis (and any other missing ones) as tf.keras does
                keep = np.expand_dims(keep, axis=-2 * len(attention) - 1)
            scores = ops.reshape(_mask_scores(ops.reshape(scores, full_shape), keep, self.softmax_robust_masking),
                                 scores.shape)
        weights = ops.softmax(scores, axis=-1)
        combined = ops.matmul(_dropout(weights, self.dropout, training), flat[2])
        combined = ops.reshape(combined, batch_shape + query_steps + (combined.shape[-1],))
        combined = ops.transpose(combined, list(np.argsort(order)))
        output = self._project(combined, self._output, ([-2, -1], [0, 1]))
        if return_attention_scores:
            return [output, ops.reshape(weights, full_shape)]
        return output

    def _attention_mask(self, query, value, attention_mask, masks, use_causal_mask):
        """tf.keras's merged mask: the explicit one AND the query/value/key masks AND the causal one."""
        keep = _mask_array(attention_mask)
        masks = list(masks) if isinstance(masks, (list, tuple)) else [masks, None, None]
        query_mask, value_mask, key_mask = (_mask_array(m) for m in (masks + [None] * 3)[:3])
        auto = _merge(None if query_mask is None else query_mask[:, :, None],
                      None if value_mask is None else value_mask[:, None, :],
                      None if key_mask is None else key_mask[:, None, :])
        if use_causal_mask:
            auto = _merge(auto, _causal_mask(query.shape[1], value.shape[1])[None])
        return _merge(keep, auto)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else [tuple(input_shape)] * 3
        query_shape = shapes[0]
        output_shape = query_shape[:-1] + (self._output_dims or (query_shape[-1],))
        if not self._returns_scores:
            return output_shape
        attention = self._axes_for(len(query_shape))
        others = tuple(query_shape[a] for a in range(len(query_shape) - 1) if a not in attention)
        scores_shape = others + (self.num_heads,) + tuple(query_shape[a] for a in attention) + tuple(
            shapes[2][a] for a in attention)
        return [output_shape, scores_shape]

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        from numkeras import regularizers

        config = super().get_config()
        weights = check.weight_config(self, "kernel", "bias")
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, dropout=self.dropout,
            use_bias=self.use_bias, output_shape=None if self._output_dims is None else list(self._output_dims),
            attention_axes=None if self.attention_axes is None else list(self.attention_axes),
            kernel_initializer=weights["kernel_initializer"], bias_initializer=weights["bias_initializer"],
            kernel_regularizer=weights["kernel_regularizer"], bias_regularizer=weights["bias_regularizer"],
            activity_regularizer=regularizers.serialize(self.projection_activity_regularizer),
            kernel_constraint=weights["kernel_constraint"], bias_constraint=weights["bias_constraint"],
            query_shape=None, key_shape=None, value_shape=None,
            softmax_robust_masking=self.softmax_robust_masking)
        if self._shapes is not None:
            query_shape, value_shape, key_shape = self._shapes
            config.update(query_shape=list(query_shape), key_shape=list(key_shape), value_shape=list(value_shape))
        return config

    @classmethod
    def from_config(cls, config):
        """tf.keras's: the recorded ``query_shape`` / ``key_shape`` / ``value_shape`` build the weights at once."""
        config = dict(config)
        shapes = [config.pop(name, None) for name in ("query_shape", "value_shape", "key_shape")]
        layer = cls(**config)
        if all(shape is not None for shape in shapes):
            layer._maybe_build([tuple(shape) for shape in shapes])
        return layer
