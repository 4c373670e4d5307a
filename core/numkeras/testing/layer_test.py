"""``layer_test``: one call that exercises a layer the way every layer must work.

In the spirit of Keras's ``keras/utils/test_utils.py::layer_test``: it

1. builds the layer from ``kwargs`` and runs it eagerly on data, checking the output
   shape against ``compute_output_shape`` (and ``expected_output_shape``);
2. builds it again in a functional ``Model`` from ``Input``, checking the symbolic output
   shape and that ``predict`` gives the eager result with the same weights;
3. round-trips ``get_config`` (through JSON) / ``from_config`` and checks identical
   outputs with the same weights;
4. checks the gradients of the input and of every trainable weight against finite
   differences, in float64, with random (non-trivial) weight values;
5. runs it once with ``training=True``.

So a layer's test is one table row::

    @pytest.mark.parametrize("name, kwargs, input_shape", [("Conv2D", {"filters": 2, "kernel_size": 3}, (2, 5, 5, 3))])
    def test_layer(name, kwargs, input_shape):
        layer_test(name, kwargs, input_shape)
"""

import json

import numpy as np

from .. import backend as K
from .. import layers as _layers
from ..backend.tensor import Tensor, gradients
from ..engine import Input, Model
from . import gradcheck


def _layer_class(layer_cls):
    if isinstance(layer_cls, str):
        return getattr(_layers, layer_cls)
    return layer_cls


def _random_input(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 10, size=shape).astype(dtype)
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def randomize_weights(layer, seed):
    """Non-trivial trainable weights (zero biases hide gradient bugs); non-trainable ones kept."""
    rng = np.random.default_rng(seed)
    trainable = {id(w) for w in layer.trainable_weights}
    values = []
    for w in layer.weights:
        if id(w) in trainable:
            values.append(rng.uniform(-0.6, 0.6, size=w.shape).astype(w.dtype))
        else:
            values.append(np.array(w.data))
    layer.set_weights(values)


def _as_array(output):
    if isinstance(output, (list, tuple)):
        return [_as_array(o) for o in output]
    return np.asarray(output.data if isinstance(output, Tensor) else output)


def _shape_matches(actual, expected):
    return len(actual) == len(expected) and all(e is None or a == e for a, e in zip(actual, expected))


def _check_shapes(what, actual_arrays, expected_shapes):
    arrays = actual_arrays if isinstance(actual_arrays, list) else [actual_arrays]
    shapes = expected_shapes if isinstance(expected_shapes, list) else [expected_shapes]
    assert len(arrays) == len(shapes), f"{what}: {len(arrays)} outputs, but {len(shapes)} shapes expected"
    for array, shape in zip(arrays, shapes):
        assert _shape_matches(array.shape, tuple(shape)), (
            f"{what}: output shape {array.shape} does not match {tuple(shape)}"
        )


def _count(outputs):
    return len(outputs) if isinstance(outputs, list) else "one array"


def _assert_close(a, b, what, rtol=1e-5, atol=1e-5):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{what}: {len(a)} outputs, expected {_count(b)}"
        for x, y in zip(a, b):
            _assert_close(x, y, what, rtol, atol)
        return
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def layer_test(layer_cls, kwargs=None, input_shape=None, input_dtype=None, input_data=None,
               expected_output=None, expected_output_shape=None, expected_output_dtype=None,
               gradient_check=True, call_kwargs=None, gradient_kwargs=None, atol=1e-6, rtol=1e-5, seed=0,
               functional=True):
    """Builds, runs, round-trips and gradient-checks a layer; returns its eager output (ndarray).

    Arguments:
        layer_cls: a Layer class or a registered layer name (``'Conv2D'``).
        kwargs: constructor arguments.
        input_shape: the full input shape with the batch axis (or a list, for several inputs).
        input_dtype: default ``K.floatx()``; an integer dtype draws integers in ``[0, 10)``.
        input_data: explicit input (array, or list of arrays); overrides ``input_shape``.
        expected_output: compare the eager output with it.
        expected_output_shape: with ``None`` for "any"; the batch axis included.
        expected_output_dtype: default the input's float dtype.
        gradient_check: False for layers whose output is random or not differentiable.
        call_kwargs: extra keyword arguments of the call (``training=…``, ``mask=…``).
        gradient_kwargs: call keyword arguments for the gradient check only.
        atol, rtol: tolerances of the gradient check.
        functional: False to skip the functional-API part (layers that need call arguments).
    """
    cls = _layer_class(layer_cls)
    kwargs = dict(kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    multiple = isinstance(input_data, list) or (input_data is None and isinstance(input_shape, list))
    if input_data is None:
        dtype = input_dtype or K.floatx()
        shapes = input_shape if multiple else [input_shape]
        arrays = [_random_input(tuple(s), dtype, seed + i) for i, s in enumerate(shapes)]
        input_data = arrays if multiple else arrays[0]
    arrays = input_data if multiple else [input_data]
    input_shapes = [(None,) + tuple(a.shape[1:]) for a in arrays]

    # 1. eager
    layer = cls(**kwargs)
    output = _as_array(layer(input_data, **call_kwargs))
    randomize_weights(layer, seed)
    output = _as_array(layer(input_data, **call_kwargs))
    computed_shape = layer.compute_output_shape(input_shapes if multiple else input_shapes[0])
    _check_shapes(f"{cls.__name__} eager vs compute_output_shape", output,
                  computed_shape if isinstance(computed_shape, list) else tuple(computed_shape))
    if expected_output_shape is not None:
        _check_shapes(f"{cls.__name__} vs expected_output_shape", output, expected_output_shape)
    float_dtype = next((a.dtype for a in arrays if a.dtype.kind == "f"), np.dtype(K.floatx()))
    for array in output if isinstance(output, list) else [output]:
        expected_dtype = np.dtype(expected_output_dtype or float_dtype)
        assert array.dtype == expected_dtype, f"{cls.__name__}: output dtype {array.dtype}, expected {expected_dtype}"
    if expected_output is not None:
        _assert_close(output, expected_output, f"{cls.__name__}: output differs from expected_output")

    # 2. config round trip (through JSON), same weights -> same outputs
    config = layer.get_config()
    json.dumps(config)
    clone = cls.from_config(json.loads(json.dumps(config)))
    clone(input_data, **call_kwargs)
    clone.set_weights(layer.get_weights())
    _assert_close(_as_array(clone(input_data, **call_kwargs)), output,
                  f"{cls.__name__}: from_config(get_config()) gives a different output with the same weights")

    # 3. functional API
    if functional:
        inputs = [Input(shape=a.shape[1:], dtype=str(a.dtype)) for a in arrays]
        functional_layer = cls.from_config(config)
        symbolic = functional_layer(inputs if multiple else inputs[0], **call_kwargs)
        model = Model(inputs if multiple else inputs[0], symbolic)
        functional_layer.set_weights(layer.get_weights())
        symbolic_shapes = [t.shape for t in symbolic] if isinstance(symbolic, list) else symbolic.shape
        _check_shapes(f"{cls.__name__} functional output_shape vs eager output", output, symbolic_shapes)
        predicted = model.predict(input_data if multiple else input_data, batch_size=len(arrays[0]))
        predicted = [np.asarray(p) for p in predicted] if isinstance(predicted, list) else np.asarray(predicted)
        _assert_close(predicted, output, f"{cls.__name__}: Model.predict differs from the eager call")

    # 4. training mode runs
    if "training" not in call_kwargs:
        _check_shapes(f"{cls.__name__} with training=True", _as_array(layer(input_data, training=True, **call_kwargs)),
                      [a.shape for a in output] if isinstance(output, list) else output.shape)

    # 5. gradients, in float64
    if gradient_check:
        check_kwargs = dict(call_kwargs)
        check_kwargs.update(gradient_kwargs or {})
        with gradcheck.float64():
            config64 = dict(config, dtype="float64")
            layer64 = cls.from_config(config64)
            data64 = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
            layer64(data64 if multiple else data64[0], **check_kwargs)
            layer64.set_weights([np.asarray(w, dtype=np.float64) for w in layer.get_weights()])
            if all(a.dtype.kind == "f" for a in arrays):
                gradcheck.check_layer_gradients(layer64, data64 if multiple else data64[0], atol=atol, rtol=rtol,
                                                **check_kwargs)
            else:
                check_weight_gradients(layer64, data64 if multiple else data64[0], atol=atol, rtol=rtol,
                                       **check_kwargs)
    return output


def check_weight_gradients(layer, inputs, atol=1e-6, rtol=1e-5, eps=1e-6, seed=0, **call_kwargs):
    """Finite-difference check of the trainable weights only (for integer inputs such as token ids)."""
    projection = gradcheck._Projection(seed)

    def objective():
        return projection(layer(inputs, **call_kwargs))

    weights = list(layer.trainable_weights)
    assert weights, f"{layer.name}: no trainable weights, and integer inputs have no gradient: nothing to check"
    analytic = gradients(objective(), weights)
    for w, grad in zip(weights, analytic):
        gradcheck._compare(f"weight {w.name!r}", w, grad, objective, atol, rtol, eps)


def clear_session():
    """``K.clear_session()``, for :func:`numkeras.utils.test_utils.keras_test`."""
    K.clear_session()


def keras22_layer_test(layer_cls, kwargs, input_shape=None, input_dtype=None, input_data=None, expected_output=None,
                       expected_output_dtype=None, fixed_batch_size=False):
    """What :func:`numkeras.utils.test_utils.layer_test` (Keras 2.2's signature) checks; returns the output."""
    from ..engine import Sequential

    if input_data is None:
        if input_shape is None:
            raise ValueError("layer_test: give input_shape or input_data.")
        shape = tuple(3 if d is None else d for d in input_shape)
        input_data = (10 * np.random.random(shape)).astype(input_dtype or K.floatx())
    elif input_shape is None:
        input_shape = input_data.shape
    input_shape = tuple(input_shape)
    cls = _layer_class(layer_cls)
    expected_dtype = np.dtype(expected_output_dtype or input_data.dtype)
    layer = cls(**kwargs)
    # a functional model, the batch size fixed or not
    batch_shape = (input_shape[0],) + tuple(input_shape[1:]) if fixed_batch_size else (None,) + tuple(input_shape[1:])
    x = Input(batch_shape=batch_shape, dtype=str(input_data.dtype))
    y = layer(x)
    assert np.dtype(y.dtype) == expected_dtype, f"{cls.__name__}: output dtype {y.dtype}, expected {expected_dtype}"
    declared = layer.compute_output_shape(batch_shape)
    model = Model(x, y)
    actual = np.asarray(model.predict(input_data))
    for expected_dim, actual_dim in zip(declared, actual.shape):
        if expected_dim is not None:
            assert expected_dim == actual_dim, (
                f"{cls.__name__}: compute_output_shape gives {declared}, the output has shape {actual.shape}")
    if expected_output is not None:
        np.testing.assert_allclose(actual, expected_output, rtol=1e-3)
    weights = layer.get_weights()
    # the config round trip, with the same weights
    clone = cls.from_config(json.loads(json.dumps(layer.get_config())))
    x2 = Input(batch_shape=batch_shape, dtype=str(input_data.dtype))
    clone_model = Model(x2, clone(x2))
    clone.set_weights(weights)
    np.testing.assert_allclose(np.asarray(clone_model.predict(input_data)), actual, rtol=1e-6, atol=1e-6,
                               err_msg=f"{cls.__name__}: from_config(get_config()) computes another output")
    # trains one batch
    model.compile("rmsprop", "mse")
    model.train_on_batch(input_data, actual)
    # in a Sequential model
    sequential = Sequential()
    sequential.add(cls(**kwargs, batch_input_shape=batch_shape) if "batch_input_shape" not in kwargs else cls(**kwargs))
    sequential_output = np.asarray(sequential.predict(input_data))
    assert sequential_output.shape == actual.shape, (
        f"{cls.__name__}: {sequential_output.shape} in a Sequential model, {actual.shape} in a functional one")
    return actual
