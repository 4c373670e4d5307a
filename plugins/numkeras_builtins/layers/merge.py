"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot), their
functional forms (``add([a, b])`` …) and Keras 1's ``merge(inputs, mode=…)``."""

import warnings

import numpy as np

from numkeras import backend as K
from numkeras.backend import ops
from numkeras.engine.base_layer import Layer


def _check_inputs(layer, input_shape, exactly=None):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
        raise ValueError(f"A merge layer ({type(layer).__name__} {layer.name}) should be called on a list of "
                         f"inputs; got a single input of shape {input_shape}.")
    if exactly is not None and len(input_shape) != exactly:
        raise ValueError(f"A {type(layer).__name__} layer ({layer.name}) should be called on exactly {exactly} "
                         f"inputs; got {len(input_shape)}.")
    if len(input_shape) < 2:
        raise ValueError(f"A merge layer ({type(layer).__name__} {layer.name}) should be called on a list of at "
                         f"least 2 inputs; got {len(input_shape)}.")


def _broadcast_shape(layer, shape1, shape2):
    """The elementwise output shape of two (non-batch) shapes, as Keras computes it."""
    if None in (shape1, shape2):
        return None
    if len(shape1) < len(shape2):
        return _broadcast_shape(layer, shape2, shape1)
    if not shape2:
        return tuple(shape1)
    head = list(shape1[:-len(shape2)])
    for a, b in zip(shape1[-len(shape2):], shape2):
        if a is None or b is None:
            head.append(None)
        elif a == 1:
            head.append(b)
        elif b == 1 or a == b:
            head.append(a)
        else:
            raise ValueError(f"Operands of {type(layer).__name__} layer {layer.name} could not be broadcast "
                             f"together: shapes {tuple(shape1)} and {tuple(shape2)}.")
    return tuple(head)


class _Merge(Layer):
    """Base of the elementwise merges: inputs of different ranks get length-1 axes at axis 1."""

    exactly = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs):
        raise NotImplementedError

    def build(self, input_shape):
        _check_inputs(self, input_shape, self.exactly)
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name}) should be called on a list of inputs.")
        ndims = [x.ndim for x in inputs]
        if len(set(ndims)) > 1:
            rank = max(ndims)
            reshaped = []
            for x in inputs:
                for _ in range(rank - x.ndim):
                    x = ops.expand_dims(x, 1)
                reshaped.append(x)
            inputs = reshaped
        return self._merge_function(list(inputs))

    def compute_output_shape(self, input_shape):
        _check_inputs(self, input_shape, self.exactly)
        batch_sizes = {s[0] for s in input_shape if s[0] is not None}
        if len(batch_sizes) > 1:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the inputs have different batch sizes "
                             f"{sorted(batch_sizes)}.")
        shape = tuple(input_shape[0][1:])
        for other in input_shape[1:]:
            shape = _broadcast_shape(self, shape, tuple(other[1:]))
        return ((batch_sizes.pop() if batch_sizes else None),) + shape

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [np.asarray(m.data if hasattr(m, "data") else m, dtype=bool) for m in mask if m is not None]
        result = masks[0]
        for m in masks[1:]:
            result = result & m
        return result


class Add(_Merge):
    """Adds a list of inputs of the same shape (or broadcastable): ``add([x1, x2])``."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(_Merge):
    """Subtracts two inputs: ``subtract([x1, x2]) = x1 - x2``."""

    exactly = 2

    def _merge_function(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(_Merge):
    """Averages a list of inputs elementwise."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / float(len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.maximum(output, x)
        return output


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.minimum(output, x)
        return output


class Concatenate(_Merge):
    """Concatenates a list of inputs along ``axis`` (default -1); other axes must match.

    Example:
        >>> merged = Concatenate()([Dense(8)(a), Dense(4)(b)])   # (None, 12)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Concatenate: axis must be an integer, got {axis!r}.")
        self.axis = int(axis)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A Concatenate layer ({self.name}) should be called on a list of inputs.")
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        _check_inputs(self, input_shape)
        ranks = {len(s) for s in input_shape}
        if len(ranks) > 1:
            raise ValueError(f"A Concatenate layer ({self.name}) requires inputs of the same rank; got shapes "
                             f"{[tuple(s) for s in input_shape]}.")
        rank = ranks.pop()
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"Concatenate layer {self.name}: cannot concatenate along the batch axis.")
        output = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, (a, b) in enumerate(zip(output, shape)):
                if i == axis:
                    continue
                if a is not None and b is not None and a != b:
                    raise ValueError(
                        f"A Concatenate layer ({self.name}) requires inputs with matching shapes except for the "
                        f"concat axis {self.axis}. Got inputs shapes: {[tuple(s) for s in input_shape]}."
                    )
                output[i] = a if a is not None else b
            output[axis] = None if output[axis] is None or shape[axis] is None else output[axis] + shape[axis]
        return tuple(output)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = np.ones(x.shape, dtype=bool)
            else:
                m = np.asarray(m.data if hasattr(m, "data") else m, dtype=bool)
                if m.ndim < x.ndim:
                    m = m[..., None]
            masks.append(np.broadcast_to(m, m.shape[:-1] + (x.shape[-1],)) if m.shape[-1] == 1 else m)
        return np.all(np.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Dot product of two batches of tensors along ``axes`` (``out[i] = x1[i] · x2[i]``).

    Arguments:
        axes: an int or a pair: the axis of each input to contract (batch axis excluded).
        normalize: L2-normalize both inputs along ``axes`` first, giving the cosine similarity.

    Example:
        >>> Dot(axes=1)([a, b])   # (None, 8), (None, 8) -> (None, 1)
    """

    exactly = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (int, np.integer)):
            axes = (int(axes), int(axes))
        elif not (isinstance(axes, (list, tuple)) and len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes)):
            raise TypeError(f"Dot: axes must be an integer or a list of two integers, got {axes!r}.")
        self.axes = axes if isinstance(axes, int) else [int(a) for a in axes]
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _resolved_axes(self, shapes):
        return [a % len(s) for a, s in zip(self.axes, shapes)]

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A Dot layer ({self.name}) should be called on a list of 2 inputs.")
        x1, x2 = inputs
        axes = self._resolved_axes([x1.shape, x2.shape])
        if self.normalize:
            x1 = K.l2_normalize(x1, axis=axes[0])
            x2 = K.l2_normalize(x2, axis=axes[1])
        return ops.batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        _check_inputs(self, input_shape, 2)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._resolved_axes([shape1, shape2])
        if shape1[axes[0]] is not None and shape2[axes[1]] is not None and shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(
                f"Dot layer {self.name}: dimension incompatibility {shape1[axes[0]]} != {shape2[axes[1]]}. Layer "
                f"shapes: {tuple(shape1)}, {tuple(shape2)}; axes {self.axes}."
            )
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output = shape1 + shape2
        if len(output) == 1:
            output += [1]
        return tuple(output)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


# -- functional forms ----------------------------------------------------------------------
def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the difference of two tensors."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


_MODES = {"sum": Add, "mul": Multiply, "ave": Average, "max": Maximum, "min": Minimum}


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
          name=None):
    """Keras 1's functional ``merge(inputs, mode=…)``, mapped to the Keras 2 merge layers.

    ``mode``: ``'sum'``, ``'mul'``, ``'concat'``, ``'ave'``, ``'max'``, ``'min'``, ``'dot'``, ``'cos'``
    or a function of the list of inputs (then a Lambda layer with ``output_shape``).
    """
    kwargs = {"name": name} if name else {}
    if callable(mode):
        from .core import Lambda

        replacement = "Lambda"
        layer = Lambda(mode, output_shape=output_shape, arguments=arguments, **kwargs)
    elif mode == "concat":
        replacement = f"Concatenate(axis={concat_axis})"
        layer = Concatenate(axis=concat_axis, **kwargs)
    elif mode in ("dot", "cos"):
        replacement = f"Dot(axes={dot_axes}{', normalize=True' if mode == 'cos' else ''})"
        layer = Dot(axes=dot_axes, normalize=mode == "cos", **kwargs)
    elif mode in _MODES:
        replacement = _MODES[mode].__name__
        layer = _MODES[mode](**kwargs)
    else:
        raise ValueError(f"merge: unknown mode {mode!r}; expected one of 'sum', 'mul', 'concat', 'ave', 'max', "
                         f"'min', 'dot', 'cos' or a function.")
    warnings.warn(f"The Keras 1 function merge(mode={mode!r}) is deprecated; use the {replacement} layer "
                  f"(or its functional form) instead.", DeprecationWarning, stacklevel=2)
    return layer(inputs)
