"""tf.keras 2's layers for TF functions on graph tensors (``TFOpLambda``, ``SlicingOpLambda``), loaded as
:class:`~numkeras.engine.backend_ops.BackendOp` nodes.

tf.keras 2 turns ``tf.math.square(x)``, ``x + 1.0``, ``x[:, 1:3]`` or ``K.mean(x)`` on a graph
tensor into a layer whose config names the TF API symbol (``{"function": "math.square"}``); the
call's other arguments are in the node's entry of ``inbound_nodes`` (keyword arguments by TF's
parameter names, tensors as ``[layer, node, tensor]``, a constant first argument as
``["_CONSTANT_VALUE", -1, value, kwargs]``). :data:`TF_FUNCTIONS` is the one table from those
symbols to numkeras's backend functions and their argument names. When the graph is rebuilt, the
layer's first call translates TF's arguments and becomes a ``BackendOp`` over numkeras's function,
so numkeras saves it again in ``BackendOp``'s form (under the class name ``TFOpLambda``, which
reads both forms).

A symbol outside the table can be supplied in ``custom_objects`` under its name (``"math.erf"``
or ``"tf.math.erf"``); that function gets TF's arguments as written in the file. tf.keras's
``ClassMethod`` / ``InstanceMethod`` / ``InstanceProperty`` layers (methods of ragged and sparse
tensors) are refused by name.
"""

import difflib
import inspect

from .. import backend as K
from ..backend import ops
from ..registry import active_scopes
from .backend_ops import BackendOp, _record
from .config_keys import UnsupportedConfigError

# -- the table ---------------------------------------------------------------------------------------


class TFFunction:
    """How one TF symbol is computed: the numkeras function and TF's parameters in TF's order.

    Arguments:
        function: the numkeras backend function (or op) called.
        parameters: TF's parameter names in TF's positional order, each ``"tf_name"`` or
            ``"tf_name:numkeras_name"`` where the two differ. TF's ``name`` is always accepted
            and dropped (it only names the TF op).
        convert: ``{tf_name: function}`` applied to that argument's value first.
    """

    def __init__(self, function, parameters, convert=None):
        self.function = function
        pairs = [item.split(":") if ":" in item else (item, item) for item in parameters.split()]
        self.parameters = [tf_name for tf_name, _ in pairs]
        self.renames = dict(pairs)
        self.convert = dict(convert or {})

    def arguments(self, first, kwargs, where):
        """``(args, kwargs)`` for :attr:`function` from TF's first argument and keyword arguments."""
        given = {self.parameters[0]: first}
        for key, value in kwargs.items():
            if key == "name":
                continue
            if key not in self.renames or key in given:
                raise UnsupportedConfigError(
                    f"{where}: the argument {key}={value!r} is not one numkeras translates for this "
                    f"function (it takes {', '.join(self.parameters)}). Pass a function in custom_objects "
                    f"under the TF name to compute it.")
            given[key] = value
        converted = {self.renames[key]: self.convert.get(key, _same)(value) for key, value in given.items()}
        return (), converted


def _same(value):
    return value


def _index(spec):
    """TF's serialized ``slice_spec`` as a NumPy index: slice dicts, lists as tuples, Ellipsis."""
    if isinstance(spec, dict):
        if spec.get("class_name") == "__ellipsis__":
            return Ellipsis
        if set(spec) <= {"start", "stop", "step"}:
            return slice(spec.get("start"), spec.get("stop"), spec.get("step"))
        raise ValueError(f"SlicingOpLambda: cannot read the index {spec!r}.")
    if isinstance(spec, (list, tuple)):
        return tuple(_index(item) for item in spec)
    return spec


def _shape(shape):
    return tuple(shape) if isinstance(shape, list) else shape


_UNARY = {
    "math.square": K.square, "math.sqrt": ops.sqrt, "math.exp": K.exp, "math.log": K.log,
    "math.log1p": K.log1p, "math.abs": K.abs, "math.tanh": K.tanh,
    "math.sigmoid": K.sigmoid, "nn.sigmoid": K.sigmoid, "math.softplus": K.softplus, "nn.softplus": K.softplus,
    "nn.softsign": K.softsign, "math.softsign": K.softsign, "math.sin": K.sin, "math.cos": K.cos,
    "math.sign": K.sign, "math.round": K.round, "nn.elu": K.elu, "stop_gradient": K.stop_gradient,
    "identity": K.identity,
}
_BINARY = {
    "__operators__.add": ops.add, "math.add": ops.add, "math.subtract": ops.subtract,
    "math.multiply": ops.multiply, "math.truediv": ops.divide, "math.divide": ops.divide,
    "math.maximum": ops.maximum, "math.minimum": ops.minimum, "math.pow": ops.power,
}
_COMPARISONS = {
    "math.equal": K.equal, "math.not_equal": K.not_equal, "math.greater": K.greater,
    "math.greater_equal": K.greater_equal, "math.less": K.less, "math.less_equal": K.less_equal,
}
_REDUCTIONS = {
    "math.reduce_sum": K.sum, "math.reduce_mean": K.mean, "math.reduce_max": K.max, "math.reduce_min": K.min,
    "math.reduce_prod": K.prod, "math.reduce_std": K.std, "math.reduce_variance": K.var,
    "math.reduce_any": K.any, "math.reduce_all": K.all, "math.reduce_logsumexp": K.logsumexp,
}

#: TF API symbol (as tf.keras writes it in a ``TFOpLambda`` config) -> how numkeras computes it.
TF_FUNCTIONS = {
    **{symbol: TFFunction(function, "x:x") for symbol, function in _UNARY.items()},
    **{symbol: TFFunction(function, "x:a y:b") for symbol, function in _BINARY.items()},
    **{symbol: TFFunction(function, "x y") for symbol, function in _COMPARISONS.items()},
    **{symbol: TFFunction(function, "input_tensor:x axis keepdims") for symbol, function in _REDUCTIONS.items()},
    "math.negative": TFFunction(ops.negative, "x:a"),
    "nn.relu": TFFunction(K.relu, "features:x"),
    "nn.softmax": TFFunction(K.softmax, "logits:x axis"),
    "math.softmax": TFFunction(K.softmax, "logits:x axis"),
    "nn.log_softmax": TFFunction(ops.log_softmax, "logits:x axis"),
    "math.argmax": TFFunction(K.argmax, "input:x axis"),
    "math.argmin": TFFunction(K.argmin, "input:x axis"),
    "reshape": TFFunction(K.reshape, "tensor:x shape", {"shape": _shape}),
    "concat": TFFunction(K.concatenate, "values:tensors axis"),
    "stack": TFFunction(K.stack, "values:tensors axis"),
    "expand_dims": TFFunction(K.expand_dims, "input:x axis"),
    "squeeze": TFFunction(K.squeeze, "input:x axis"),
    "transpose": TFFunction(ops.transpose, "a:x perm:axes"),
    "tile": TFFunction(K.tile, "input:x multiples:reps"),
    "clip_by_value": TFFunction(K.clip, "t:x clip_value_min:min_value clip_value_max:max_value"),
    "cast": TFFunction(K.cast, "x dtype"),
    "linalg.matmul": TFFunction(ops.matmul, "a b"),
    "math.cumsum": TFFunction(K.cumsum, "x axis"),
    "math.cumprod": TFFunction(K.cumprod, "x axis"),
    "math.l2_normalize": TFFunction(K.l2_normalize, "x axis"),
    "nn.l2_normalize": TFFunction(K.l2_normalize, "x axis"),
    "__operators__.getitem": TFFunction(ops.getitem, "tensor:x slice_spec:index", {"slice_spec": _index}),
}


def _named_parameters(function):
    """``function``'s parameters that can be passed by name, up to a ``*args``, space-separated."""
    names = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            break
        names.append(parameter.name)
    return " ".join(names)


# tf.keras's own backend functions (``K.binary_crossentropy`` …) are written as "keras.backend.<name>";
# numkeras's backend functions of the same name take Keras 2's arguments, by the same names.
TF_FUNCTIONS.update({f"keras.backend.{name}": TFFunction(getattr(K, name), _named_parameters(getattr(K, name)))
                     for name in K.SYMBOLIC_FUNCTIONS})


class CustomTFFunction:
    """A TF symbol supplied in ``custom_objects``: called with TF's arguments as the file has them."""

    def __init__(self, function):
        self.function = function

    def arguments(self, first, kwargs, where):
        kwargs = {key: value for key, value in kwargs.items() if key != "name"}
        return (first,), kwargs


def lookup(symbol, layer_name, class_name, custom_objects=None):
    """How to compute the TF ``symbol`` of layer ``layer_name``; a clear error when numkeras cannot."""
    for scope in [custom_objects or {}, *reversed(active_scopes())]:
        for key in (symbol, f"tf.{symbol}"):
            if key in scope:
                return CustomTFFunction(scope[key])
    if symbol in TF_FUNCTIONS:
        return TF_FUNCTIONS[symbol]
    close = difflib.get_close_matches(symbol, TF_FUNCTIONS, n=3)
    hint = f" Close names numkeras translates: {', '.join(close)}." if close else ""
    raise UnsupportedConfigError(
        f"Layer {layer_name!r} ({class_name}) calls the TensorFlow function tf.{symbol}, which numkeras does "
        f"not translate.{hint} Pass a numkeras function computing it in custom_objects under the name "
        f"{symbol!r} (it gets TF's arguments as written in the file: the first positionally, the others by "
        f"TF's names), or rebuild that part of the model with backend functions or a Lambda layer and load "
        f"the weights with load_weights. numkeras.engine.tf_op_layers.TF_FUNCTIONS lists the "
        f"{len(TF_FUNCTIONS)} symbols it translates.")


# -- the layers --------------------------------------------------------------------------------------
class TFOpLambda(BackendOp):
    """tf.keras 2's layer for a TF function on graph tensors; becomes a ``BackendOp`` on its first call.

    Made by loading a tf.keras config (``{"function": "math.square"}``); its call carries TF's
    arguments (see the module docstring). A config in ``BackendOp``'s form (what numkeras writes for
    it after loading) makes a plain ``BackendOp`` node again.
    """

    def __init__(self, function, args=(), kwargs=None, symbol=None, translation=None, **layer_kwargs):
        super().__init__(function, args, kwargs, **layer_kwargs)
        self.symbol = symbol
        self._translation = translation

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        if not isinstance(config.get("function"), str):  # numkeras's BackendOp form
            return super().from_config(config, custom_objects, safe_mode)
        symbol = config.pop("function")
        translation = lookup(symbol, config.get("name"), cls.__name__, custom_objects)
        return cls(translation.function, symbol=symbol, translation=translation, **config)

    def __call__(self, inputs, **kwargs):
        if self._translation is None:
            return super().__call__(inputs, **kwargs)
        if self._inbound_nodes:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}, tf.{self.symbol}) is called a second "
                             f"time; tf.keras makes one such layer per call.")
        where = f"Layer {self.name!r} ({type(self).__name__}, tf.{self.symbol})"
        args, call_kwargs = self._translation.arguments(inputs, kwargs, where)
        tensors = []
        self.args = _record(args, tensors)
        self.kwargs = {key: _record(value, tensors) for key, value in call_kwargs.items()}
        if not tensors:
            raise ValueError(f"{where}: none of its arguments is a tensor of the graph.")
        self._translation = None
        return super().__call__(tensors[0] if len(tensors) == 1 else tensors)


class SlicingOpLambda(TFOpLambda):
    """tf.keras 2's layer for ``tensor[index]`` on a graph tensor (``__operators__.getitem``)."""


class TFCompositeTensorOp(BackendOp):
    """tf.keras 2's ``ClassMethod`` / ``InstanceMethod`` / ``InstanceProperty``: refused when loaded."""

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        details = {key: value for key, value in config.items() if key not in ("name", "trainable", "dtype")}
        raise UnsupportedConfigError(
            f"Layer {config.get('name')!r} is a tf.keras ClassMethod / InstanceMethod / InstanceProperty layer "
            f"({details}): a method or attribute of a TF class such as tf.RaggedTensor or tf.SparseTensor on a "
            f"graph tensor. numkeras has no ragged or sparse tensors, so it cannot load this model; rebuild it "
            f"with dense tensors (backend functions or a Lambda layer) and load the weights with load_weights.")


__all__ = ["TF_FUNCTIONS", "TFFunction", "TFOpLambda", "SlicingOpLambda", "TFCompositeTensorOp", "lookup"]
