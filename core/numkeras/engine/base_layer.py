"""``Layer``: the base class of every layer, and the symbolic graph the functional API builds.

A layer is called either on real data (a ``Tensor`` or array: it computes, and the
tape records for backprop) or on a :class:`KerasTensor` (a placeholder with a shape:
it records a :class:`Node` in the graph and returns placeholders). Subclass it as in
Keras::

    class MyLayer(Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(name='kernel', shape=(input_shape[1], self.output_dim),
                                          initializer='uniform', trainable=True)
            super().build(input_shape)

        def call(self, x):
            return K.dot(x, self.kernel)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], self.output_dim)

Required: ``call``. Optional: ``build`` (create weights once the input shape is
known), ``compute_output_shape`` (when omitted it is inferred by running ``call``
on a small zero batch), ``compute_mask``, ``get_config`` (add your constructor
arguments so the layer can be saved and cloned).
"""

import difflib
import inspect

import numpy as np

from .. import backend as K
from ..backend.symbolic import SymbolicTensor
from ..backend.tensor import Tensor, Variable
from ..utils import legacy
from ..utils.naming import to_snake_case
from ..utils.validation import check, integer, is_integer, sequence_of

_BASE_KWARGS = {
    "input_shape", "batch_input_shape", "batch_size", "input_dim", "dtype", "name",
    "trainable", "weights", "activity_regularizer",
}



_SIZE = integer(minimum=1, optional=True)
_SHAPE = sequence_of(_SIZE, "a tuple of positive integers (None where the size is not fixed)")


def declared_batch_shape(owner, input_shape=None, batch_input_shape=None, batch_size=None, input_dim=None):
    """The batch input shape a layer (or ``Input``) was given, checked; None when none was.

    ``input_shape`` excludes the batch axis (an int means one axis); ``batch_input_shape``
    includes it; ``input_dim`` is Keras 1's ``input_shape=(input_dim,)``.

    Raises:
        ArgumentTypeError / ArgumentValueError: a shape that is not a tuple of positive integers (or None).
    """
    check(owner, batch_size=(batch_size, _SIZE))
    if batch_input_shape is not None:
        check(owner, batch_input_shape=(batch_input_shape, _SHAPE))
        return tuple(None if d is None else int(d) for d in batch_input_shape)
    if input_shape is None and input_dim is not None:
        check(owner, input_dim=(input_dim, integer(minimum=1)))
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if is_integer(input_shape):
        input_shape = (input_shape,)
    check(owner, input_shape=(input_shape, _SHAPE))
    return (batch_size,) + tuple(None if d is None else int(d) for d in input_shape)

class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer (Keras's ``InputSpec``).

    Arguments:
        dtype: expected dtype.
        shape: expected shape tuple (``None`` for any size along an axis).
        ndim, max_ndim, min_ndim: expected rank constraints.
        axes: ``{axis: size}`` dimensions that must match exactly.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def __repr__(self):
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items() if v not in (None, {}))
        return f"InputSpec({fields})"


class KerasTensor(SymbolicTensor):
    """A symbolic placeholder in the functional API: a shape (batch dim ``None``) and its history.

    ``_keras_history`` is ``(layer, node_index, tensor_index)``: which layer call made it.
    Backend functions and Python operators applied to it add nodes to the graph
    (:mod:`numkeras.backend.symbolic`, :class:`~numkeras.engine.backend_ops.BackendOp`).
    """

    def __init__(self, shape, dtype=None, history=None, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype or K.floatx())
        self._keras_history = history
        self._keras_mask = None
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        layer = self._keras_history[0].name if self._keras_history else "?"
        return f"<KerasTensor shape={self.shape} dtype={self.dtype} from layer '{layer}'>"

    def __hash__(self):
        return id(self)


class Node:
    """One call of a layer in the graph: which tensors went in, which came out."""

    def __init__(self, layer, inputs, outputs, arguments):
        self.layer = layer
        self.inputs = inputs  # list of KerasTensor
        self.outputs = outputs  # list of KerasTensor
        self.arguments = arguments  # extra keyword arguments of the call
        self.inbound_layers = [t._keras_history[0] for t in inputs]


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [_shape_of(i) for i in x]
    return tuple(x.shape)


def _accepts(method, argument):
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return argument in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


class Layer:
    """Base class of all layers. See the module docstring for how to subclass it.

    Arguments:
        name: unique name; defaults to the snake-cased class name plus a counter.
        trainable: whether the layer's weights are updated by training.
        dtype: the dtype of weights and computations (default ``K.floatx()``).
        input_shape, input_dim, batch_input_shape, batch_size: on the first layer of a
            ``Sequential`` model, the shape of its input (without / with the batch axis).
        weights: initial weight values, set once the layer is built.
        activity_regularizer: a regularizer applied to the layer's output.
    """

    _call_signature_cache = {}

    def __init__(self, **kwargs):
        if "input_dtype" in kwargs:  # Keras 1's name, in every Keras 1 model config (Keras 2.2 took it too)
            if kwargs.get("dtype") is not None:
                raise TypeError(f"{type(self).__name__}: got both the Keras 1 'input_dtype' and 'dtype'; "
                                f"pass only dtype.")
            legacy.deprecated(type(self).__name__, "input_dtype", "dtype")
            kwargs["dtype"] = kwargs.pop("input_dtype")
        unknown = set(kwargs) - _BASE_KWARGS
        if unknown:
            name = sorted(unknown)[0]
            close = difflib.get_close_matches(name, sorted(_BASE_KWARGS), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument {name!r}.{hint}"
            )
        self.name = kwargs.get("name") or f"{to_snake_case(type(self).__name__)}_{K.get_uid(to_snake_case(type(self).__name__))}"
        self._trainable = kwargs.get("trainable", True)
        self.dtype = kwargs.get("dtype") or K.floatx()
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self.stateful = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._regularized = []  # (regularizer, variable)
        self._call_losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._initial_weights = kwargs.get("weights")
        self._sublayers = []
        from .. import regularizers

        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        self._batch_input_shape = declared_batch_shape(type(self).__name__, kwargs.get("input_shape"),
                                                       kwargs.get("batch_input_shape"), kwargs.get("batch_size"),
                                                       kwargs.get("input_dim"))

    # -- attribute tracking -----------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, Layer) and name != "_outer" and "_sublayers" in self.__dict__:
            if value not in self._sublayers:
                self._sublayers.append(value)
        elif isinstance(value, (list, tuple)) and value and "_sublayers" in self.__dict__:
            for item in value:
                if isinstance(item, Layer) and item not in self._sublayers:
                    self._sublayers.append(item)
        super().__setattr__(name, value)

    # -- the subclass API --------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights once the input shape is known. Call ``super().build`` last."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation. Override this."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``; by default found by running ``call`` on zeros."""
        return self._infer_output_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        """The output mask; by default the input mask passes through layers that support masking."""
        if not self.supports_masking:
            return None
        return mask

    def get_config(self):
        """The constructor arguments that recreate this layer (extend it in subclasses)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": str(self.dtype)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from .. import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Recreates a layer from :meth:`get_config`'s output."""
        return cls(**config)

    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, **kwargs):
        """Creates a weight :class:`~numkeras.backend.Variable` and tracks it.

        Arguments:
            name: the weight's name (``kernel``, ``bias`` …).
            shape: its shape.
            initializer: name, instance or callable ``(shape, dtype) -> array``
                (default ``glorot_uniform``).
            regularizer: adds a penalty on this weight to the model loss.
            trainable: whether optimizers update it.
            constraint: applied to the value after each optimizer update.
        """
        from .. import constraints, initializers, regularizers

        if shape is None:
            raise ValueError(f"{self.name}.add_weight({name!r}): a shape is required.")
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(int(d) for d in shape)
        dtype = dtype or self.dtype
        init = initializers.get(initializer or "glorot_uniform")
        value = np.asarray(init(shape, dtype=dtype), dtype=dtype)
        if value.shape != shape:
            value = np.broadcast_to(value, shape)
        variable = Variable(value, dtype=dtype, name=f"{self.name}/{name}:0", trainable=trainable,
                            constraint=constraints.get(constraint))
        variable.regularizer = regularizers.get(regularizer)
        if variable.regularizer is not None:
            self._regularized.append((variable.regularizer, variable))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    def add_loss(self, losses, inputs=None):
        """Adds a loss tensor (e.g. an activity penalty) computed during ``call``."""
        for loss in losses if isinstance(losses, (list, tuple)) else [losses]:
            self._call_losses.append(loss)

    # -- calling -----------------------------------------------------------------
    def __call__(self, inputs, **kwargs):
        if any(isinstance(x, KerasTensor) for x in _flatten(inputs)):
            return self._call_symbolic(inputs, kwargs)
        inputs = self._to_tensors(inputs)
        if not self.built:
            self._maybe_build(_shape_of(inputs))
        self.assert_input_compatibility(inputs)
        kwargs = self._call_kwargs(kwargs)
        outputs = self.call(inputs, **kwargs)
        if self.activity_regularizer is not None:
            for output in _flatten(outputs):
                self._call_losses.append(self.activity_regularizer(output))
        return outputs

    def _call_in_graph(self, inputs, kwargs):
        """The per-batch path of a built graph: shapes were checked when it was built and when data entered."""
        outputs = self.call(inputs, **self._call_kwargs(kwargs))
        if self.activity_regularizer is not None:
            for output in _flatten(outputs):
                self._call_losses.append(self.activity_regularizer(output))
        return outputs

    def _call_kwargs(self, kwargs):
        """Drops ``training`` / ``mask`` when this layer's ``call`` does not take them."""
        key = type(self)
        accepted = Layer._call_signature_cache.get(key)
        if accepted is None:
            accepted = (_accepts(self.call, "training"), _accepts(self.call, "mask"))
            Layer._call_signature_cache[key] = accepted
        if not accepted[0]:
            kwargs.pop("training", None)
        if not accepted[1]:
            kwargs.pop("mask", None)
        return kwargs

    def _to_tensors(self, inputs):
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(self._to_tensors(x) for x in inputs)
        if isinstance(inputs, Tensor):
            return inputs
        array = np.asarray(inputs)
        if array.dtype.kind == "f" and array.dtype != np.dtype(self.dtype):
            array = array.astype(self.dtype)
        return Tensor(array)

    def _maybe_build(self, input_shape):
        if self.built:
            return
        self.build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _call_symbolic(self, inputs, kwargs):
        from .functional import symbolic_call

        return symbolic_call(self, inputs, kwargs)

    def _infer_output_shape(self, input_shape, dtypes=None):
        """The output shape(s) found by running ``call`` without the tape on batches of zeros.

        Every unknown size (``None``) is 2 in one run and 3 in another: an output axis whose
        size differs between the runs is unknown, the others are what ``call`` makes of the
        known sizes (so a known batch size, or a known time axis, is kept).

        Arguments:
            input_shape: a shape, or a list of shapes.
            dtypes: the inputs' dtypes, in the order of the flattened shapes (default: the layer's).
        """
        dtypes = list(dtypes) if dtypes else None

        def dummy(shape, size, position):
            if isinstance(shape, list):
                return [dummy(s, size, position) for s in shape]
            dtype = dtypes[position[0]] if dtypes else self.dtype
            position[0] += 1
            return Tensor(np.zeros([size if d is None else d for d in shape], dtype=dtype))

        def shape_of(output):
            if isinstance(output, (list, tuple)):
                return [shape_of(o) for o in output]
            return tuple(np.shape(output.data if isinstance(output, Tensor) else output))

        runs = []
        for size in (2, 3):
            with K.no_tape(), np.errstate(all="ignore"):
                outputs = self.call(dummy(input_shape, size, [0]), **self._call_kwargs({"training": False}))
            self._call_losses.clear()
            runs.append(shape_of(outputs))

        def merge(small, large):
            if isinstance(small, list):
                return [merge(a, b) for a, b in zip(small, large)]
            if len(small) != len(large):
                raise ValueError(f"Layer {self.name}: the rank of its output depends on the input's unknown sizes "
                                 f"({small} and {large}); declare compute_output_shape.")
            return tuple(a if a == b else None for a, b in zip(small, large))

        return merge(*runs)

    def assert_input_compatibility(self, inputs):
        """Checks ``inputs`` against ``self.input_spec``; the error names the layer and both shapes."""
        specs = self.input_spec
        if specs is None:
            return
        specs = specs if isinstance(specs, (list, tuple)) else [specs]
        tensors = _flatten(inputs)
        if len(tensors) != len(specs):
            raise ValueError(
                f"Layer {self.name} expects {len(specs)} input(s), but it received {len(tensors)}."
            )
        for index, (x, spec) in enumerate(zip(tensors, specs)):
            if spec is None:
                continue
            shape = tuple(x.shape)
            where = f"Input {index} of layer {self.name} ({type(self).__name__})"
            if spec.ndim is not None and len(shape) != spec.ndim:
                raise ValueError(
                    f"{where} is incompatible with the layer: expected ndim={spec.ndim}, "
                    f"found ndim={len(shape)}. Full shape received: {shape}."
                )
            if spec.min_ndim is not None and len(shape) < spec.min_ndim:
                raise ValueError(
                    f"{where} is incompatible with the layer: expected min_ndim={spec.min_ndim}, "
                    f"found ndim={len(shape)}. Full shape received: {shape}."
                )
            if spec.max_ndim is not None and len(shape) > spec.max_ndim:
                raise ValueError(
                    f"{where} is incompatible with the layer: expected max_ndim={spec.max_ndim}, "
                    f"found ndim={len(shape)}. Full shape received: {shape}."
                )
            for axis, size in spec.axes.items():
                if size is not None and shape[axis] not in (size, None):
                    raise ValueError(
                        f"{where} is incompatible with the layer: expected axis {axis} of the input "
                        f"to have size {size}, but it has size {shape[axis]}. Full shape received: {shape}."
                    )

    # -- weights ----------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for layer in self._sublayers:
            weights += [w for w in layer.trainable_weights if not any(w is v for v in weights)]
        return weights

    @trainable_weights.setter
    def trainable_weights(self, weights):
        """Keras 1 layers assigned their weight list directly (``self.trainable_weights = [w]``)."""
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        weights = list(self._non_trainable_weights)
        if not self.trainable:
            weights = list(self._trainable_weights) + weights
        for layer in self._sublayers:
            weights += [w for w in layer.non_trainable_weights if not any(w is v for v in weights)]
            if not self.trainable:
                weights += [w for w in layer._all_trainable() if not any(w is v for v in weights)]
        return weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    def _all_trainable(self):
        weights = list(self._trainable_weights)
        for layer in self._sublayers:
            weights += layer._all_trainable()
        return weights

    @property
    def weights(self):
        """All weights: trainable first, then non-trainable (Keras's order)."""
        return self.trainable_weights + self.non_trainable_weights

    def get_weights(self):
        """The weight values as a list of ndarrays (copies)."""
        return [np.array(w.data) for w in self.weights]

    def set_weights(self, weights):
        """Sets the weight values from a list of arrays, in ``self.weights`` order.

        Raises:
            ValueError: wrong number of arrays or a shape mismatch (naming the weight).
        """
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"Layer {self.name} ({type(self).__name__}) has {len(params)} weight(s), but "
                f"set_weights was given {len(weights)} array(s)."
            )
        for variable, value in zip(params, weights):
            value = np.asarray(value)
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer {self.name}: weight {variable.name} has shape {variable.shape}, but the "
                    f"provided value has shape {value.shape}."
                )
        for variable, value in zip(params, weights):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on {self.name}, but the layer isn't built. "
                "Build it first by calling it on data or giving the model an input shape."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    @property
    def losses(self):
        """Regularization penalties on the weights plus losses added during the last call."""
        losses = [regularizer(variable) for regularizer, variable in self._regularized]
        losses += self._call_losses
        for layer in self._sublayers:
            losses += layer.losses
        return losses

    def _clear_call_losses(self):
        self._call_losses.clear()
        for layer in self._sublayers:
            layer._clear_call_losses()

    # -- graph information --------------------------------------------------------
    def _single_node_attribute(self, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        values = {repr(getattr(node, attribute)) for node in self._inbound_nodes}
        if len(values) > 1:
            raise AttributeError(
                f"The layer {self.name} has multiple inbound nodes with different {what}s; "
                f"use get_{what.replace(' ', '_')}_at(node_index)."
            )
        return getattr(self._inbound_nodes[0], attribute)

    @property
    def input(self):
        tensors = self._single_node_attribute("inputs", "input")
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self):
        tensors = self._single_node_attribute("outputs", "output")
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def input_shape(self):
        if not self._inbound_nodes and self._batch_input_shape is not None:
            return self._batch_input_shape
        shapes = [t.shape for t in self._single_node_attribute("inputs", "input shape")]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._single_node_attribute("outputs", "output shape")]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_input_at(self, node_index):
        tensors = self._inbound_nodes[node_index].inputs
        return tensors[0] if len(tensors) == 1 else tensors

    def get_output_at(self, node_index):
        tensors = self._inbound_nodes[node_index].outputs
        return tensors[0] if len(tensors) == 1 else tensors

    def get_input_shape_at(self, node_index):
        shapes = [t.shape for t in self._inbound_nodes[node_index].inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_output_shape_at(self, node_index):
        shapes = [t.shape for t in self._inbound_nodes[node_index].outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def reset_states(self):
        """Resets the state of stateful layers (no-op otherwise)."""

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

