"""Backend functions on graph tensors: the layers they become, graph losses, ``K.function``, ``K.gradients``.

``K.square(z_mean)`` on a KerasTensor makes a :class:`BackendOp` layer (tf.keras 2's
``TFOpLambda``): the backend function and its recorded arguments, the symbolic inputs
marked by position. Its config names the function (``numkeras.backend.square``,
``numkeras.backend.ops.arithmetic.add`` …) and writes the constant arguments as JSON,
so a model holding such ops saves and loads in safe mode; the function is resolved as a
``Lambda``'s is (:mod:`numkeras.engine.functions`): numkeras's own math always, anything
else only by a registered name, ``custom_objects`` or ``safe_mode=False``.

``Model.add_loss(symbolic_tensor)`` appends an :class:`AddLoss` node (tf.keras's layer
of that name): running the graph adds its input (its mean, if not a scalar) to the
model's losses. :class:`SymbolicGradients` is the node ``K.gradients`` makes: it reruns
the loss's graph with the tape and differentiates. :class:`GraphFunction` is
``K.function``.
"""

import numpy as np

from .. import backend as K
from ..backend import ops
from ..backend.symbolic import SymbolicTensor
from ..backend.tensor import Tensor, Variable
from ..backend.tensor import gradients as tape_gradients
from .base_layer import KerasTensor, Layer, _flatten
from .functional import Network, _node_of
from .functions import deserialize_function, serialize_function


class _Slot:
    """Where the ``index``-th symbolic input goes in a recorded call."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __repr__(self):
        return f"<input {self.index}>"


def _graph_tensor(value, what):
    if not isinstance(value, KerasTensor) or value._keras_history is None:
        raise TypeError(
            f"{what}: {value!r} is a symbolic tensor that belongs to no graph; use tensors from Input(), "
            f"K.placeholder() or layer calls."
        )
    return value


def _record(value, tensors):
    """``value`` with every symbolic tensor replaced by a :class:`_Slot` (appended to ``tensors``)."""
    if isinstance(value, SymbolicTensor):
        tensors.append(_graph_tensor(value, "A backend function"))
        return _Slot(len(tensors) - 1)
    if type(value) in (list, tuple):
        return type(value)(_record(item, tensors) for item in value)
    return value


def _fill(value, inputs):
    if isinstance(value, _Slot):
        return inputs[value.index]
    if type(value) in (list, tuple):
        return type(value)(_fill(item, inputs) for item in value)
    return value


# -- JSON form of the recorded arguments ----------------------------------------------------------
def _encode(value, owner):
    """``value`` as JSON data; tuples, slices, arrays and the input slots are tagged dicts."""
    if isinstance(value, _Slot):
        return {"__input__": value.index}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, owner) for item in value]}
    if isinstance(value, list):
        return [_encode(item, owner) for item in value]
    if isinstance(value, slice):
        return {"__slice__": [_encode(value.start, owner), _encode(value.stop, owner), _encode(value.step, owner)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, (np.ndarray, Tensor)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        return {"__array__": array.tolist(), "dtype": str(array.dtype)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    raise ValueError(
        f"Layer {owner.name} ({type(owner).__name__}, the backend function "
        f"{getattr(owner.function, '__name__', owner.function)!r} on graph tensors) was given the argument "
        f"{value!r} ({type(value).__name__}), which cannot be written to a model file. Pass numbers, "
        f"strings, lists, tuples, slices or arrays, or wrap the computation in a Lambda layer with a "
        f"registered function."
    )


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__input__" in value:
        return _Slot(int(value["__input__"]))
    if "__tuple__" in value:
        return tuple(_decode(item) for item in value["__tuple__"])
    if "__slice__" in value:
        return slice(*[_decode(item) for item in value["__slice__"]])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__array__" in value:
        return np.asarray(value["__array__"], dtype=value.get("dtype"))
    if "__dtype__" in value:
        return np.dtype(value["__dtype__"])
    raise ValueError(f"BackendOp config: unknown tagged argument {value!r}.")


class BackendOp(Layer):
    """A backend function applied to graph tensors, as a layer of the graph (tf.keras's ``TFOpLambda``).

    Made by :func:`numkeras.backend.symbolic.apply` whenever a backend function or an
    operator meets a KerasTensor; not usually built by hand.

    Arguments:
        function: the backend function (or its serialized form).
        args, kwargs: the call's arguments, with ``{'__input__': i}`` (in memory, a slot)
            where the ``i``-th input tensor of the layer goes.
    """

    def __init__(self, function, args=(), kwargs=None, **layer_kwargs):
        super().__init__(**layer_kwargs)
        self.function = function
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self._input_dtypes = None
        self._output_dtype = None
        self.built = True

    # -- making one ---------------------------------------------------------------------------
    @classmethod
    def apply_symbolic(cls, function, args, kwargs):
        """The graph tensor of ``function(*args, **kwargs)``, where some arguments are graph tensors."""
        tensors = []
        args = _record(args, tensors)
        kwargs = {key: _record(value, tensors) for key, value in kwargs.items()}
        base = getattr(function, "__name__", "op").strip("_") or "op"
        layer = cls(function, args, kwargs, name=f"{base}_{K.get_uid(base)}")
        return layer(tensors[0] if len(tensors) == 1 else tensors)

    @classmethod
    def graph_function(cls, inputs, outputs, updates=None):
        """``K.function``: see :class:`GraphFunction`."""
        return GraphFunction(inputs, outputs, updates)

    # -- the layer ----------------------------------------------------------------------------
    def _call_symbolic(self, inputs, kwargs):
        self._input_dtypes = [t.dtype for t in _flatten(inputs)]
        self._output_dtype = None  # compute_output_shape's runs of call() record it
        output = super()._call_symbolic(inputs, kwargs)
        output.dtype = np.dtype(self._output_dtype or K.floatx())
        return output

    def compute_output_shape(self, input_shape):
        """The function run on zeros with each unknown size 2, then 3 (``Layer._infer_output_shape``)."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dtypes = self._input_dtypes or [K.floatx()] * len(shapes)
        try:
            shape = self._infer_output_shape(input_shape, dtypes)
        except Exception as error:
            raise ValueError(
                f"Layer {self.name}: the backend function {getattr(self.function, '__name__', '?')!r} "
                f"fails on graph tensors of shapes {shapes}: {type(error).__name__}: {error}"
            ) from error
        if isinstance(shape, list):
            raise ValueError(f"Layer {self.name}: {getattr(self.function, '__name__', '?')!r} returns "
                             f"{len(shape)} tensors; backend functions on graph tensors must return one.")
        return shape

    def call(self, inputs):
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        args = _fill(self.args, inputs)
        kwargs = {key: _fill(value, inputs) for key, value in self.kwargs.items()}
        output = self.function(*args, **kwargs)
        if self._output_dtype is None and isinstance(output, Tensor):
            self._output_dtype = output.dtype
        return output

    # -- config -------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config["function"] = serialize_function(self.function)
        config["args"] = [_encode(value, self) for value in self.args]
        config["kwargs"] = {key: _encode(value, self) for key, value in self.kwargs.items()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        function = deserialize_function(config.pop("function"), custom_objects, safe_mode)
        args = [_decode(value) for value in config.pop("args", [])]
        kwargs = {key: _decode(value) for key, value in (config.pop("kwargs", None) or {}).items()}
        return cls(function, args, kwargs, **config)


class AddLoss(Layer):
    """Adds its input to the losses of the model it runs in (its mean, if it is not a scalar); passes it on.

    What ``Model.add_loss(graph_tensor)`` appends to the graph, under tf.keras's class name.
    """

    adds_graph_loss = True  # Network keeps these nodes although no model output needs them

    def __init__(self, unconditional=False, **kwargs):
        super().__init__(**kwargs)
        self.unconditional = bool(unconditional)
        self.built = True

    def call(self, inputs):
        self.add_loss(inputs if inputs.ndim == 0 else ops.mean(inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["unconditional"] = self.unconditional
        return config


# -- symbolic gradients ------------------------------------------------------------------------------
def graph_inputs(tensors):
    """The graph inputs (placeholders) the symbolic ``tensors`` are computed from, in the order found."""
    found, seen, stack = [], set(), list(reversed(tensors))
    while stack:
        tensor = stack.pop()
        node = _node_of(tensor)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.inputs:
            found.append(node.outputs[0])
        stack.extend(reversed(node.inputs))
    return found


class SymbolicGradients(Layer):
    """The node ``K.gradients(loss, variables)`` makes when ``loss`` is a graph tensor.

    Its inputs are the graph inputs the loss depends on; running it reruns the loss's
    graph with the tape on (the model's layers, shared) and returns one gradient per
    variable: an input, an intermediate tensor of the graph, or a weight.
    """

    def __init__(self, loss, variables, **kwargs):
        super().__init__(**kwargs)
        self._targets = list(variables)
        intermediate = [v for v in self._targets if isinstance(v, KerasTensor)]
        self._sources = graph_inputs([loss])
        object.__setattr__(self, "_graph", Network(inputs=self._sources, outputs=[loss] + intermediate,
                                                  name=f"{self.name}_graph"))
        self.built = True

    @classmethod
    def apply_symbolic(cls, loss, variables):
        loss = _graph_tensor(loss, "K.gradients")
        for v in variables:
            if isinstance(v, SymbolicTensor):
                _graph_tensor(v, "K.gradients")
            elif not isinstance(v, Tensor):
                raise TypeError(f"K.gradients: a variable must be a graph tensor or a weight (Variable); "
                                f"got {type(v).__name__}.")
        base = "gradients"
        layer = cls(loss, variables, name=f"{base}_{K.get_uid(base)}")
        sources = layer._sources
        outputs = layer(sources[0] if len(sources) == 1 else list(sources))
        return outputs if isinstance(outputs, list) else [outputs]

    def call(self, inputs, training=None):
        values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        with K.tape():
            leaves = [Tensor(np.asarray(v.data if isinstance(v, Tensor) else v), requires_grad=True)
                      for v in values]
            outputs, _ = self._graph._run_graph(leaves if len(leaves) > 1 else leaves[0], training=training)
        by_source = {id(s): leaf for s, leaf in zip(self._sources, leaves)}
        intermediate = iter(outputs[1:])
        wanted = []
        for target in self._targets:
            if isinstance(target, KerasTensor):
                value = next(intermediate)
                wanted.append(by_source.get(id(target), value))
            else:
                wanted.append(target)
        grads = tape_gradients(outputs[0], wanted)
        return [Tensor(np.zeros(np.shape(w.data), dtype=w.dtype) if g is None else np.asarray(g, dtype=w.dtype))
                for g, w in zip(grads, wanted)]

    def compute_output_shape(self, input_shape):
        return [tuple(t.shape) for t in self._targets]

    def get_config(self):
        raise NotImplementedError(
            f"Layer {self.name} holds symbolic gradients (K.gradients on graph tensors), which cannot be "
            f"saved in a model file; build them again after loading."
        )


# -- K.function ----------------------------------------------------------------------------------------
class GraphFunction:
    """``K.function(inputs, outputs, updates)``: evaluates graph tensors from values of graph inputs.

    ``inputs`` are graph inputs (``Input`` / ``K.placeholder`` tensors, ``model.input``) and at
    most one ``K.learning_phase()``; calling it with one value per input returns the
    outputs as ndarrays (a list, or one array when ``outputs`` was one tensor). The graph
    runs without the tape; ``K.gradients`` nodes turn it on for themselves.
    """

    def __init__(self, inputs, outputs, updates=None):
        self._single = not isinstance(outputs, (list, tuple))
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outputs = [outputs] if self._single else list(outputs)
        self._phase_index = None
        self._placeholders = []
        for index, value in enumerate(inputs):
            if isinstance(value, K.LearningPhase):
                if self._phase_index is not None:
                    raise ValueError("K.function: K.learning_phase() is given twice among the inputs.")
                self._phase_index = index
            elif isinstance(value, KerasTensor) and K.is_placeholder(value):
                self._placeholders.append(value)
            else:
                raise TypeError(
                    f"K.function: input {index} is {value!r}; inputs must be graph inputs (from Input(), "
                    f"K.placeholder() or model.input) or K.learning_phase()."
                )
        self._input_count = len(inputs)
        self._updates = []
        for update in updates or []:
            if not (isinstance(update, (list, tuple)) and len(update) == 2 and isinstance(update[0], Variable)):
                raise TypeError(
                    f"K.function: each update must be a (variable, new value) pair; got {update!r}. "
                    f"numkeras runs eagerly: K.update(...) on real tensors applies at once."
                )
            self._updates.append(tuple(update))
        update_values = [value for _, value in self._updates if isinstance(value, KerasTensor)]
        symbolic = [o for o in outputs if isinstance(o, KerasTensor)] + update_values
        for tensor in symbolic:
            _graph_tensor(tensor, "K.function")
        self._outputs = outputs
        self._network = None
        if symbolic:
            self._network = Network(inputs=self._placeholders, outputs=symbolic, name="k_function")

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != self._input_count:
            raise ValueError(f"This K.function takes {self._input_count} input value(s) (a list, in the order of "
                             f"its inputs); got {len(values)}.")
        phase = None
        if self._phase_index is not None:
            phase = int(values.pop(self._phase_index))
            if phase not in (0, 1):
                raise ValueError(f"K.function: the learning phase must be 0 or 1, got {phase!r}.")
        results = iter(())
        if self._network is not None:
            arrays = [Tensor(_as_input(value, placeholder)) for value, placeholder in zip(values, self._placeholders)]
            with K.learning_phase_scope(K.learning_phase() if phase is None else phase), K.no_tape():
                computed, _ = self._network._run_graph(arrays if len(arrays) > 1 else arrays[0],
                                                       training=None if phase is None else bool(phase))
            results = iter(computed)
        outputs = [np.array(next(results).data) if isinstance(o, KerasTensor) else np.array(K.eval(o))
                   for o in self._outputs]
        for variable, value in self._updates:
            variable.assign(next(results).data if isinstance(value, KerasTensor) else K.eval(value))
        return outputs[0] if self._single else outputs


def _as_input(value, placeholder):
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind == "f" and placeholder.dtype.kind == "f" and array.dtype != placeholder.dtype:
        array = array.astype(placeholder.dtype)
    expected = placeholder.shape
    if array.ndim != len(expected) or any(e is not None and e != d for e, d in zip(expected, array.shape)):
        raise ValueError(f"K.function: the input {placeholder.name!r} expects shape {expected}, got an array of "
                         f"shape {array.shape}.")
    return array


__all__ = ["BackendOp", "AddLoss", "SymbolicGradients", "GraphFunction", "graph_inputs"]
