"""Numerical gradient checks for ops and layers.

``check_gradients(fn, *inputs)`` compares the tape's gradients of ``fn`` with central
finite differences; ``check_layer_gradients(layer, x)`` does the same for a Layer,
with respect to its input and every trainable weight. Both run in float64 (the
default float type is switched for the duration and restored) and reduce the
output to a scalar with a fixed random projection, ``sum(output * R)``, so that a
wrong gradient in any output element shows up.

Example:
    >>> from numkeras.testing.gradcheck import check_gradients
    >>> check_gradients(lambda a, b: a * b, np.random.rand(3, 4), np.random.rand(4))
"""

import contextlib

import numpy as np

from numkeras import backend as K
from numkeras.backend import ops
from numkeras.backend.tensor import Tensor, gradients

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


@contextlib.contextmanager
def float64():
    """Runs the block with ``K.floatx() == 'float64'``; the previous value is restored."""
    previous = K.floatx()
    K.set_floatx("float64")
    try:
        yield
    finally:
        K.set_floatx(previous)


def check_gradients(fn, *inputs, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, eps=1e-6, wrt=None, seed=0):
    """Asserts that the recorded gradients of ``fn(*inputs)`` match finite differences.

    Arguments:
        fn: callable taking Tensors and returning a Tensor (or a list of Tensors).
        *inputs: array-likes. Floating inputs become float64 Tensors; integer and boolean
            inputs (labels, indices, masks) are passed as plain arrays and not differentiated.
        atol, rtol: tolerances of the comparison (``|analytic - numeric| <= atol + rtol * |numeric|``).
        eps: finite-difference step.
        wrt: indices of the inputs to differentiate (default: every floating input); the
            other floating inputs are passed as constant Tensors.
        seed: seed of the random projection.

    Returns:
        The analytic gradients, one per input (None for inputs not differentiated).

    Raises:
        AssertionError: naming the input, the largest error and where it occurs.
    """
    with float64():
        args = [_as_input(x) for x in inputs]
        if wrt is None:
            wrt = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not wrt:
            raise TypeError("check_gradients: no floating input to differentiate, so nothing would be checked.")
        for i in wrt:
            if not isinstance(args[i], Tensor):
                raise TypeError(f"check_gradients: input {i} is not floating, it cannot be differentiated.")
            args[i].requires_grad = True
        projection = _Projection(seed)

        def objective():
            return projection(fn(*args))

        analytic = gradients(objective(), [args[i] for i in wrt])
        results = [None] * len(args)
        for i, grad in zip(wrt, analytic):
            _compare(f"input {i}", args[i], grad, objective, atol, rtol, eps)
            results[i] = grad
        return results


def check_layer_gradients(layer, input_array, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, eps=1e-6,
                          seed=0, **call_kwargs):
    """Asserts that a Layer's gradients w.r.t. its input(s) and trainable weights are right.

    Arguments:
        layer: a numkeras Layer, built or not (it is called once first, which builds it).
            Its weights are switched to float64 copies for the check and put back
            afterwards: the same Variable objects with their previous dtype and values
            (state a call updates, such as moving averages, is restored too).
        input_array: an array, or a list of arrays for a multi-input layer.
        atol, rtol, eps, seed: as for :func:`check_gradients`.
        **call_kwargs: passed on as ``layer(x, **call_kwargs)`` (e.g. ``training=True``).

    Raises:
        AssertionError: naming the input or the weight, the largest error and where.

    A layer that casts to its own ``dtype`` inside ``call`` should be constructed inside
    :func:`float64` so that the check really runs in float64.
    """
    with float64():
        multiple = isinstance(input_array, (list, tuple))
        arrays = list(input_array) if multiple else [input_array]
        inputs = [Tensor(np.array(a, dtype=np.float64, order="C"), requires_grad=True) for a in arrays]
        layer_input = inputs if multiple else inputs[0]
        projection = _Projection(seed)
        weights_before = [(w, w.data.copy()) for w in _all_weights(layer)]
        float_weights = _Float64Weights(layer)
        try:
            with K.no_tape():
                layer(layer_input, **call_kwargs)  # builds the layer if needed
            float_weights.convert()

            def objective():
                output = projection(layer(layer_input, **call_kwargs))
                float_weights.restore_state()
                return output

            weights = list(layer.trainable_weights)
            analytic = gradients(objective(), inputs + weights)
            for i, (x, grad) in enumerate(zip(inputs, analytic)):
                _compare(f"input {i}" if multiple else "the input", x, grad, objective, atol, rtol, eps)
            for w, grad in zip(weights, analytic[len(inputs):]):
                _compare(f"weight {getattr(w, 'name', None)!r}", w, grad, objective, atol, rtol, eps)
        finally:
            float_weights.restore()
            for w, value in weights_before:
                w.data[...] = value


def random_array(shape, low=-1.0, high=1.0, avoid=(), margin=0.05, seed=0):
    """Uniform float64 values in ``[low, high)`` kept ``margin`` away from the points in ``avoid``.

    Finite differences are wrong near kinks (0 for relu and abs, the bounds of clip …);
    pass those points as ``avoid``.
    """
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, high, shape)
    points = np.asarray(avoid, dtype=np.float64).reshape(-1)
    for _ in range(1000):  # redraw the values that fall near a kink
        near = (np.abs(values[..., None] - points) < margin).any(axis=-1)
        if not near.any():
            return values
        values[near] = rng.uniform(low, high, int(near.sum()))
    raise ValueError(f"random_array: cannot keep {margin} away from {avoid} within [{low}, {high}).")


# -- internals --------------------------------------------------------------------
def _as_input(x):
    if isinstance(x, Tensor):
        x = x.data
    array = np.asarray(x)
    if array.dtype.kind == "f":
        return Tensor(np.array(array, dtype=np.float64, order="C"))
    return array


class _Projection:
    """``sum(output * R)`` with one fixed random ``R`` per output shape (lists summed)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.matrices = {}

    def __call__(self, output):
        outputs = output if isinstance(output, (list, tuple)) else [output]
        total = None
        for k, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                raise TypeError(f"check_gradients: the function returned {type(out).__name__}, not a Tensor.")
            key = (k, out.shape)
            if key not in self.matrices:
                self.matrices[key] = self.rng.standard_normal(out.shape)
            term = ops.sum(ops.multiply(out, self.matrices[key]))
            total = term if total is None else ops.add(total, term)
        return total


def _numerical_gradient(tensor, objective, eps):
    """Central differences of ``objective()`` w.r.t. each element of ``tensor.data``, perturbed in place."""
    data = tensor.data
    grad = np.zeros(data.shape, dtype=np.float64)
    flat_data, flat_grad = data.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat_data, data):
        raise ValueError(f"check_gradients: {tensor!r} is not C-contiguous, it cannot be perturbed in place.")
    with K.no_tape():
        for j in range(flat_data.size):
            original = flat_data[j]
            flat_data[j] = original + eps
            plus = float(objective().data)
            flat_data[j] = original - eps
            minus = float(objective().data)
            flat_data[j] = original
            flat_grad[j] = (plus - minus) / (2 * eps)
    return grad


def _compare(what, tensor, analytic, objective, atol, rtol, eps):
    numeric = _numerical_gradient(tensor, objective, eps)
    if analytic is None:
        if np.any(numeric != 0):
            raise AssertionError(
                f"gradient of {what} (shape {tensor.shape}) is None — not connected on the tape — "
                f"but finite differences give max |grad| {np.max(np.abs(numeric)):.3g}."
            )
        return
    analytic = np.asarray(analytic)
    if analytic.shape != tensor.shape:
        raise AssertionError(
            f"gradient of {what} has shape {analytic.shape}, expected the input's shape {tensor.shape}."
        )
    if analytic.dtype != tensor.dtype:
        raise AssertionError(f"gradient of {what} has dtype {analytic.dtype}, expected {tensor.dtype}.")
    error = np.abs(analytic - numeric)
    bad = ~(error <= atol + rtol * np.abs(numeric))
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, error, -1)), error.shape) if error.ndim else ()
        raise AssertionError(
            f"gradient of {what} (shape {tensor.shape}) differs from finite differences in "
            f"{int(bad.sum())} of {bad.size} elements: max abs error {error.max():.3g} at index "
            f"{tuple(int(i) for i in worst)} (analytic {analytic[worst]:.6g}, numerical "
            f"{numeric[worst]:.6g}; atol={atol}, rtol={rtol})."
        )


def _all_weights(layer):
    weights = getattr(layer, "weights", None)
    if weights is None:
        weights = list(layer.trainable_weights) + list(getattr(layer, "non_trainable_weights", []))
    return list(weights)


class _Float64Weights:
    """Swaps a layer's weights to float64 copies (on the same Variable objects) and back."""

    def __init__(self, layer):
        self.layer = layer
        self.originals = []
        self.state = []

    def convert(self):
        for w in _all_weights(self.layer):
            if w.data.dtype != np.float64:
                self.originals.append((w, w.data))
                w.data = np.array(w.data, dtype=np.float64, order="C")
        self.state = [(w, w.data.copy()) for w in getattr(self.layer, "non_trainable_weights", ())]

    def restore_state(self):
        # A layer in training mode may update its state (moving averages) on every call.
        for w, value in self.state:
            w.data[...] = value

    def restore(self):
        self.restore_state()
        for w, original in self.originals:
            w.data = original
