"""Every differentiable op, one family per module; this package is their public surface."""

from .arithmetic import add, divide, multiply, negative, power, subtract
from .cumulative import cumprod, cumsum
from .elementwise import (
    abs, cast, clip, cos, elu, exp, hard_sigmoid, log, log1p, maximum, minimum, relu,
    sign, sin, softplus, softsign, sqrt, square, tanh, where,
)
from .linalg import batch_dot, dot, matmul, tensordot
from .nn import (
    binary_crossentropy, categorical_crossentropy, l2_normalize, log_softmax, sigmoid, softmax,
    sparse_categorical_crossentropy,
)
from .reductions import logsumexp, max, mean, min, prod, std, sum, var
from .shape import (
    broadcast_to, concatenate, expand_dims, getitem, pad, reshape, squeeze, stack,
    tile, transpose,
)

__all__ = [
    "abs", "add", "batch_dot", "binary_crossentropy", "broadcast_to", "cast",
    "categorical_crossentropy", "clip", "concatenate", "cos", "cumprod", "cumsum", "divide",
    "dot", "elu", "exp", "expand_dims", "getitem", "hard_sigmoid", "l2_normalize", "log",
    "log1p", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum",
    "multiply", "negative", "pad", "power", "prod", "relu", "reshape", "sigmoid", "sign", "sin",
    "softmax", "softplus", "softsign", "sparse_categorical_crossentropy", "sqrt", "square",
    "squeeze", "stack", "std", "subtract", "sum", "tanh", "tensordot", "tile", "transpose",
    "var", "where",
]
