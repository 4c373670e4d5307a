"""The conformance checks that need no model: names, configs, gradients, dtypes and shapes,
batch independence and determinism. The checks that train or save a model are in
``model_checks.py``. Each check's docstring says what it proves.
"""

import json

import importlib_metadata
import numpy as np

from .. import backend as K
from ..backend import ops
from ..backend.tensor import Tensor, gradients
from ..registry import ComponentError
from ..utils.random import set_random_seed
from . import gradcheck
from .errors import CheckSkipped, Failure, check, expect
from .layer_test import check_weight_gradients, randomize_weights

# The protocol base class of each kind (activations are functions and have none).
_BASES = {"layers": "Layer", "losses": "Loss", "metrics": "Metric", "optimizers": "Optimizer", "callbacks": "Callback",
          "initializers": "Initializer", "regularizers": "Regularizer", "constraints": "Constraint"}
# Kinds whose registered object must be a subclass of the base; the others may be functions too.
_CLASS_ONLY = ("layers", "optimizers", "callbacks")


def namespace(kind):
    """The public module of ``kind`` (``numkeras.losses`` …)."""
    import importlib

    return importlib.import_module(f"numkeras.{kind}")


def values(x):
    """An ndarray (or a list of them) from Tensors, arrays or lists of either."""
    if isinstance(x, (list, tuple)):
        return [values(item) for item in x]
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _flat(outputs):
    return outputs if isinstance(outputs, list) else [outputs]


def _base_class(kind):
    return getattr(namespace(kind), _BASES[kind])


def _describe(obj):
    if isinstance(obj, type):
        return f"the class {obj.__module__}.{obj.__qualname__}"
    if callable(obj):
        return f"the function {getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)!s}"
    return repr(obj)


def _same_distribution_entry_points(component, provider):
    """Entry points of the component's group and distribution that load the same ``module:attr``."""
    own = None
    claims = []
    for ep in importlib_metadata.entry_points(group=component.registry.group):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        claims.append((ep, dist_name))
        if ep.name == component.name and dist_name == provider.distribution:
            own = ep
    return own, claims


# -- name and registration ---------------------------------------------------------
@check()
def check_registration(component):
    """The name resolves, to an object of the right kind, and does not clash.

    Proves: the component is registered under its name in the registry of its kind and
    ``numkeras.<kind>.<name>`` / ``numkeras.<kind>.get(name)`` find it; the entry point
    loads an object of the right kind (a ``Layer`` subclass in ``numkeras.layers`` …);
    every other entry point of its distribution that loads the same object (an alias)
    resolves to it too; and no other installed distribution (numkeras's built-ins
    included) declares the same name, which would shadow it or make it ambiguous.
    """
    expect(component.name is not None, f"the {component.singular} to be registered in {component.registry.group!r}",
           f"{_describe(component.obj)} under no name",
           "Declare an entry point in that group (or numkeras." + component.kind + ".register(name, obj)).")
    try:
        resolved = component.registry.resolve(component.name)
    except ComponentError as error:
        raise Failure(f"{component.name!r} to resolve", f"{type(error).__name__}: {error}") from error
    expect(resolved is component.obj, f"{component.name!r} to resolve to {_describe(component.obj)}",
           _describe(resolved))
    module = namespace(component.kind)
    expect(getattr(module, component.name, None) is resolved, f"numkeras.{component.kind}.{component.name} to be it",
           repr(getattr(module, component.name, None)))
    provider = component.registry.provider(component.name)
    where = f" (entry point {provider.entry_point})" if provider.entry_point else ""
    if component.kind in _CLASS_ONLY or (isinstance(resolved, type) and component.kind != "activations"):
        base = _base_class(component.kind)
        right = isinstance(resolved, type) and issubclass(resolved, base) or (
            component.kind not in _CLASS_ONLY and callable(resolved))
        expect(right, f"a numkeras.{component.kind}.{base.__name__} subclass for group "
                      f"{component.registry.group!r}", f"{_describe(resolved)}{where}",
               "Is the entry point declared in the group of the component's kind?")
    else:
        expect(callable(resolved) and not isinstance(resolved, type),
               f"a function for group {component.registry.group!r}", f"{_describe(resolved)}{where}",
               "Is the entry point declared in the group of the component's kind?")
        from .. import layers, metrics

        wrong = isinstance(resolved, type) and issubclass(resolved, (layers.Layer, metrics.Metric))
        expect(not wrong, f"a {component.singular}", f"{_describe(resolved)}{where}")
    if provider.distribution is None:
        return
    own, claims = _same_distribution_entry_points(component, provider)
    rivals = sorted({d for ep, d in claims if ep.name == component.name and d != provider.distribution})
    expect(not rivals, f"no other distribution to declare {component.name!r} in {component.registry.group!r}",
           f"it is also declared by {', '.join(map(str, rivals))}",
           "Rename it: a shadowed name makes saved models load the other component.")
    if own is not None:
        for ep, dist_name in claims:
            if dist_name == provider.distribution and ep.value == own.value and ep.name != component.name:
                alias = component.registry.resolve(ep.name)
                expect(alias is resolved, f"the alias {ep.name!r} to resolve to the same object",
                       _describe(alias))


# -- config ------------------------------------------------------------------------
def _missing_arguments(component, config):
    if not component.is_class:  # a factory: the config is that of the class it returns
        return []
    names = component.constructor_parameters()
    given = {} if callable(component.kwargs) else component.kwargs
    defaults = component.constructor_defaults()
    # An argument left at a None default may be omitted (Keras writes activity_regularizer only when set).
    missing = [n for n in names if n not in config and n not in component.unsaved_arguments
               and not (n not in given and defaults.get(n, 0) is None)]
    if {"lr", "learning_rate"} & set(config):  # one learning rate, either spelling (Keras 2.2 writes lr)
        missing = [n for n in missing if n not in ("lr", "learning_rate")]
    return missing


def _same_behaviour(component, original, rebuilt):
    """Raises Failure unless the two instances compute the same values on the same data."""
    kind = component.kind
    if kind == "layers":
        x = component.example_inputs(batch=2)
        first = values(original(x))
        rebuilt(x)
        rebuilt.set_weights(original.get_weights())
        _assert_close(values(rebuilt(x)), first, "the rebuilt layer's output with the same weights")
    elif kind == "losses":
        y_true, y_pred = component.example_targets()
        _assert_close(values(rebuilt(y_true, y_pred)), values(original(y_true, y_pred)), "the rebuilt loss's value")
    elif kind == "metrics":
        _assert_close(values(_feed_metric(component, rebuilt)), values(_feed_metric(component, original)),
                      "the rebuilt metric's result after the same updates")
    elif kind in ("regularizers", "constraints"):
        w = np.random.default_rng(0).normal(size=(3, 4))
        _assert_close(values(rebuilt(w)), values(original(w)), f"the rebuilt {component.singular}'s value")


def _feed_metric(component, metric, batches=(0,)):
    for seed in batches:
        y_true, y_pred = component.example_targets(seed=seed)
        if component.targets == "values":
            metric.update_state(y_pred)
        else:
            metric.update_state(y_true, y_pred)
    return metric.result()


def _assert_close(actual, expected, what, rtol=1e-6, atol=1e-6):
    actual, expected = _flat(actual), _flat(expected)
    expect(len(actual) == len(expected), f"{what}: {len(expected)} arrays", f"{len(actual)}")
    for a, e in zip(actual, expected):
        a, e = np.asarray(a), np.asarray(e)
        expect(a.shape == e.shape, f"{what}: shape {e.shape}", f"shape {a.shape}")
        if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64))))
            raise Failure(f"{what} to equal the original's", f"a max abs difference of {worst:.3g}")


@check("layers", "losses", "metrics", "optimizers", "activations", "initializers", "regularizers", "constraints")
def check_config_round_trip(component):
    """``get_config()`` is JSON, names every constructor argument, and rebuilds an equal component.

    Proves: serializing the component (``numkeras.<kind>.serialize``) gives JSON;
    ``deserialize`` of it builds the same class with the same config, which computes the
    same values on the same data and weights; and every explicit constructor argument
    appears in the config, so no argument is silently lost when a model is reloaded.
    A function component serializes as its name and comes back as itself.
    """
    module = namespace(component.kind)
    original = component.build()
    if component.is_function:
        name = module.serialize(original)
        expect(isinstance(name, str), "a function to serialize as its registered name", repr(name))
        rebuilt = module.deserialize(json.loads(json.dumps(name)))
        expect(rebuilt is original, f"{name!r} to deserialize as {_describe(original)}", _describe(rebuilt))
        return
    if component.kind == "layers":
        original(component.example_inputs(batch=2))  # built, as a saved layer is
        config = original.get_config()
        serialized = {"class_name": component.name or type(original).__name__, "config": config}
    else:
        serialized = module.serialize(original)
        config = serialized.get("config", {}) if isinstance(serialized, dict) else {}
    try:
        text = json.dumps(serialized)
    except (TypeError, ValueError) as error:
        raise Failure("a JSON-serializable config", f"{error} in {serialized!r}") from error
    missing = _missing_arguments(component, config)
    expect(not missing, "every constructor argument in get_config()",
           f"{', '.join(missing)} missing from {sorted(config)}",
           "Add them to get_config(), or the argument is lost when a saved model is loaded.")
    if component.kind == "layers":
        rebuilt = type(original).from_config(json.loads(text)["config"])
    else:
        rebuilt = module.deserialize(json.loads(text))
    expect(type(rebuilt) is type(original), f"{type(original).__name__} rebuilt", type(rebuilt).__name__)
    expect(rebuilt.get_config() == config, f"the rebuilt config {config}", rebuilt.get_config())
    _same_behaviour(component, original, rebuilt)


# -- gradients -----------------------------------------------------------------------
def _gradcheck(run):
    try:
        run()
    except AssertionError as error:
        raise Failure("gradients that match float64 central finite differences", str(error)) from None


@check("layers", "losses", "activations", "regularizers", "optimizers")
def check_gradients(component):
    """The recorded gradients match float64 finite differences; an optimizer minimizes a quadratic.

    Proves, in float64: a layer's gradients with respect to its input(s) and every
    trainable weight (random, non-zero weights); a loss's gradient with respect to
    ``y_pred``; an activation's and a regularizer's with respect to their input. An
    optimizer's update sequence takes a convex quadratic with a known minimum at least
    halfway there in 300 steps and lowers its value.
    """
    if component.kind == "optimizers":
        return _optimizer_descends(component)
    with gradcheck.float64():
        if component.kind == "layers":
            layer, x = _float64_layer(component, batch=2, seed=1)
            if all(np.asarray(a).dtype.kind == "f" for a in _flat(x)):
                _gradcheck(lambda: gradcheck.check_layer_gradients(layer, x))
            elif layer.trainable_weights:
                _gradcheck(lambda: check_weight_gradients(layer, x))
            else:
                raise Failure("a float input or a trainable weight to differentiate", "neither")
        elif component.kind == "losses":
            loss = component.build() if component.is_function else component.build(reduction="none")
            y_true, y_pred = component.example_targets(dtype="float64")
            _gradcheck(lambda: gradcheck.check_gradients(loss, y_true, y_pred, wrt=[1]))
        elif component.kind == "activations":
            x = gradcheck.random_array((3, 4), low=-3.0, high=3.0, avoid=(0.0, -2.5, 2.5, -1.0, 1.0))
            _gradcheck(lambda: gradcheck.check_gradients(component.build(), x))
        else:
            regularizer = component.build()
            w = gradcheck.random_array((3, 4), avoid=(0.0,))
            _gradcheck(lambda: gradcheck.check_gradients(regularizer, w))


def _float64_layer(component, batch, seed):
    """A ``dtype='float64'`` build with random non-zero weights (zero biases hide bugs), and its input."""
    layer = component.build(dtype="float64")
    x = component.example_inputs(batch=batch, dtype="float64")
    layer(x)
    randomize_weights(layer, seed=seed)
    return layer, x


def _optimizer_descends(component, steps=300):
    curvature = np.array([1.0, 2.0, 0.5, 1.5])
    minimum = np.array([0.3, -0.2, 0.1, -0.4])
    start = minimum + np.array([0.25, -0.25, 0.2, 0.15])

    def value(w):
        return float(0.5 * np.sum(curvature * (w - minimum) ** 2))

    optimizer = component.build()
    variable = K.variable(start.copy(), dtype="float64")
    for _ in range(steps):
        optimizer.apply_gradients([(curvature * (variable.data - minimum), variable)])
    final = np.asarray(variable.data)
    expect(np.all(np.isfinite(final)), "finite weights after 300 updates", final)
    before, after = np.linalg.norm(start - minimum), np.linalg.norm(final - minimum)
    expect(after <= 0.5 * before and value(final) < value(start),
           f"300 updates on 0.5·Σa(w-m)² to reach at least halfway to m (distance ≤ {0.5 * before:.3g})",
           f"distance {after:.3g} (value {value(start):.3g} → {value(final):.3g})",
           "Does update_step move against the gradient, by the learning rate?")


# -- dtypes and shapes ---------------------------------------------------------------
def _expect_dtype(arrays, dtype, what):
    for array in _flat(arrays):
        array = np.asarray(array)
        if array.dtype.kind == "f":
            expect(array.dtype == np.dtype(dtype), f"{what} in {dtype}", f"{array.dtype}",
                   "A cast to float32 (or K.floatx()) inside the component?")


def _layer_dtypes(component):
    layer = component.build()
    out = layer(component.example_inputs(batch=2, dtype=K.floatx()))
    _expect_dtype([w.data for w in layer.weights], K.floatx(), "the default build's weights (K.floatx())")
    _expect_dtype(values(out), K.floatx(), "the default build's output (K.floatx())")
    layer64 = component.build(dtype="float64")
    x = component.example_inputs(batch=2, dtype="float64")
    inputs = [Tensor(a) for a in _flat(x)]
    out = layer64(inputs if component.multiple_inputs else inputs[0])
    _expect_dtype([w.data for w in layer64.weights], "float64", "the weights of a dtype='float64' layer")
    _expect_dtype(values(out), "float64", "the output of a dtype='float64' layer")
    weights = list(layer64.trainable_weights)
    if weights:
        total = None
        for o in _flat(out):
            if np.asarray(o.data).dtype.kind == "f":
                term = ops.sum(o)
                total = term if total is None else ops.add(total, term)
        if total is not None:
            grads = [g for g in gradients(total, weights) if g is not None]
            _expect_dtype([values(g) for g in grads], "float64", "the weight gradients of a dtype='float64' layer")
    for batch in (1, 2, 3):
        x = component.example_inputs(batch=batch)
        actual = [a.shape for a in _flat(values(layer(x)))]
        shapes = [(batch,) + tuple(s) for s in (component.input_shape if component.multiple_inputs
                                                 else [component.input_shape])]
        declared = layer.compute_output_shape(shapes if component.multiple_inputs else shapes[0])
        declared = declared if isinstance(declared, list) else [declared]
        matches = len(declared) == len(actual) and all(
            len(d) == len(a) and all(dd is None or dd == aa for dd, aa in zip(d, a))
            for d, a in zip(declared, actual))
        expect(matches, f"compute_output_shape({shapes if component.multiple_inputs else shapes[0]}) to match the "
               f"output", f"{[tuple(d) for d in declared]} but the output is {actual}")


@check("layers", "losses", "metrics", "activations", "initializers", "regularizers", "constraints", "optimizers")
def check_dtypes_and_shapes(component):
    """float64 end to end, ``K.floatx()`` by default, and the shapes it declares.

    Proves: a layer built with ``dtype='float64'`` has float64 weights, output and weight
    gradients, and the default build is in ``K.floatx()``; ``compute_output_shape``
    agrees with the actual output for batches of 1, 2 and 3. A loss, metric function or
    activation given float64 data returns float64 (and float32 for float32); a loss and
    a metric function return one value per sample. An initializer honours ``dtype``; a
    regularizer's penalty on float64 weights is a float64 scalar; a constraint keeps the
    dtype and shape; an optimizer keeps each weight's dtype; a Metric with
    ``dtype='float64'`` reports a float64 result.
    """
    kind = component.kind
    if kind == "layers":
        return _layer_dtypes(component)
    for dtype in ("float32", "float64"):
        if kind in ("losses", "metrics") and (component.is_function or kind == "losses"):
            y_true, y_pred = component.example_targets(dtype=dtype)
            fn = component.build() if component.is_function else component.build(reduction="none")
            out = values(fn(y_true, y_pred))
            _expect_dtype(out, dtype, f"the value for {dtype} data")
            expect(out.shape == (len(y_pred),), f"one value per sample, shape ({len(y_pred)},)", f"shape {out.shape}",
                   "Reduce only the last axis (K.mean(..., axis=-1)).")
        elif kind == "metrics":
            metric = component.build(dtype=dtype)
            _expect_dtype(values(_feed_metric(component, metric)), dtype, f"the result of a dtype={dtype!r} metric")
        elif kind == "activations":
            x = np.random.default_rng(0).normal(size=(3, 4)).astype(dtype)
            out = values(component.build()(Tensor(x)))
            _expect_dtype(out, dtype, f"the output for {dtype} input")
            expect(out.shape == x.shape, f"the input's shape {x.shape}", out.shape)
        elif kind == "initializers":
            out = values(component.build()((3, 4), dtype=dtype))
            _expect_dtype(out, dtype, f"values drawn with dtype={dtype!r}")
            expect(out.shape == (3, 4), "shape (3, 4)", out.shape)
        elif kind == "regularizers":
            w = K.variable(np.random.default_rng(0).normal(size=(3, 4)), dtype=dtype)
            out = values(component.build()(w))
            _expect_dtype(out, dtype, f"the penalty on {dtype} weights")
            expect(out.size == 1, "a scalar penalty", f"shape {out.shape}")
        elif kind == "constraints":
            w = np.random.default_rng(0).normal(size=(3, 4)).astype(dtype)
            out = values(component.build()(Tensor(w)))
            _expect_dtype(out, dtype, f"the constrained {dtype} weights")
            expect(out.shape == w.shape, f"shape {w.shape}", out.shape)
        elif kind == "optimizers":
            variable = K.variable(np.ones((2, 3)), dtype=dtype)
            component.build().apply_gradients([(np.full((2, 3), 0.5, dtype=dtype), variable)])
            _expect_dtype(variable.data, dtype, f"a {dtype} weight after an update")
    if kind == "initializers":
        _expect_dtype(values(component.build()((3, 4))), K.floatx(), "the default dtype (K.floatx())")


# -- batch independence ------------------------------------------------------------
@check("layers", "losses", "metrics", "activations")
def check_batch_independence(component):
    """Samples never influence each other.

    Proves: each sample's output (a layer's at inference, a loss's or metric function's
    per-sample value, an activation's row) equals the output of a batch holding that
    sample alone, in float64.
    """
    if component.kind == "metrics" and not component.is_function:
        raise CheckSkipped("a stateful metric accumulates batches; check_metric_accumulation covers it")
    with gradcheck.float64():
        if component.kind == "layers":
            layer, x = _float64_layer(component, batch=3, seed=2)
            whole = _flat(values(layer(x)))
            fn = lambda i: _flat(values(layer([a[i:i + 1] for a in x] if component.multiple_inputs else x[i:i + 1])))  # noqa: E731
        elif component.kind == "activations":
            x = np.random.default_rng(0).normal(size=(3, 4))
            activation = component.build()
            whole = [values(activation(Tensor(x)))]
            fn = lambda i: [values(activation(Tensor(x[i:i + 1])))]  # noqa: E731
        else:
            y_true, y_pred = component.example_targets(batch=3)
            loss = component.build() if component.is_function else component.build(reduction="none")
            whole = [values(loss(y_true, y_pred))]
            fn = lambda i: [values(loss(y_true[i:i + 1], y_pred[i:i + 1]))]  # noqa: E731
        for i in range(3):
            for w, alone in zip(whole, fn(i)):
                row = np.asarray(w)[i:i + 1]
                expect(row.shape == np.asarray(alone).shape and np.allclose(row, alone, rtol=1e-9, atol=1e-12),
                       f"sample {i}'s output in a batch of 3 to equal its output alone",
                       f"{row.ravel()[:4]} in the batch, {np.asarray(alone).ravel()[:4]} alone",
                       "Does the component reduce over, or mix along, the batch axis?")



# -- masking ---------------------------------------------------------------------------
def _masked_steps(batch, steps):
    """``(batch, steps)`` booleans, post-padded: sample 0 whole, the others lose 1, 2 … final steps
    (step 0 always stays)."""
    keep = np.maximum(steps - np.arange(batch), 1)
    return np.arange(steps)[None, :] < keep[:, None]


def _repadded(component, x, mask, seed):
    """``x`` with every masked step replaced by other values (large floats, or other token ids)."""
    rng = np.random.default_rng(seed)
    out = []
    for array in _flat(x):
        array = np.array(array)
        hidden = ~mask.reshape(mask.shape + (1,) * (array.ndim - 2))
        hidden = np.broadcast_to(hidden, array.shape)
        if array.dtype.kind in "iu":
            other = rng.integers(1, 5, size=array.shape).astype(array.dtype)
        else:
            other = rng.uniform(-5.0, 5.0, size=array.shape).astype(array.dtype)
        array[hidden] = other[hidden]
        out.append(array)
    return out if component.multiple_inputs else out[0]


def _visible(outputs, output_masks):
    """The outputs at the steps their mask keeps (whole outputs where the mask is None)."""
    kept = []
    for out, mask in zip(_flat(outputs), output_masks):
        out = np.asarray(out)
        if mask is None:
            kept.append(out)
        else:
            kept.append(out[np.broadcast_to(mask.reshape(mask.shape + (1,) * (out.ndim - 2)), out.shape)])
    return kept


@check("layers")
def check_masking(component):
    """A layer that supports masking honours the mask and hands on a mask that fits its output.

    Proves, in float64, for a layer with ``supports_masking`` and an input with a steps
    axis ``(batch, steps, ...)``: called with a post-padding ``(batch, steps)`` mask, its
    output at the steps its ``compute_mask`` keeps (all of it, when it returns ``None``:
    an RNN's last state, a masked average) does not change when the masked steps hold
    other values; the mask it returns is boolean with the output's ``(batch, steps)``
    shape; and, for ``(batch, steps, features)`` float inputs, inside a model behind
    ``Masking`` it gives the same numbers as when called with the mask directly (the
    model passes the mask on).
    """
    layer, x = _float64_layer(component, batch=3, seed=3)
    if not getattr(layer, "supports_masking", False):
        raise CheckSkipped("the layer does not support masking (supports_masking is False)")
    shapes = component.input_shape if component.multiple_inputs else [component.input_shape]
    if any(len(shape) < 2 for shape in shapes):
        raise CheckSkipped("masks are per step; the example input has no steps axis "
                           "(give an input_shape of (steps, features …))")
    mask = _masked_steps(3, shapes[0][0])
    masks = [mask] * len(shapes) if component.multiple_inputs else mask
    with gradcheck.float64():
        out = layer(x, mask=masks)
        output_masks = layer.compute_mask(x, masks)
        output_masks = [None if m is None else values(m).astype(bool) for m in
                        (output_masks if isinstance(output_masks, list) else [output_masks] * len(_flat(out)))]
        for o, m in zip(_flat(values(out)), output_masks):
            if m is not None and m.shape != o.shape[:2]:
                raise Failure(f"compute_mask to give a (batch, steps) mask for the output of shape {o.shape}",
                              f"a mask of shape {m.shape}", "Return None when the steps axis is gone (a "
                              "reduction), or the mask of the output's steps.")
        repadded = layer(_repadded(component, x, mask, seed=4), mask=masks)
        for i, (a, b) in enumerate(zip(_visible(values(out), output_masks), _visible(values(repadded), output_masks))):
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
                raise Failure("the output at unmasked steps to ignore the values at masked steps",
                              f"output {i} changed by up to {float(np.max(np.abs(a - b))):.3g} when only masked "
                              f"steps changed", "Does call() take mask= and use it (skip or zero-weight the masked "
                                                "steps)?")
    if component.multiple_inputs or component.input_dtype or len(component.input_shape) != 2:
        return  # Masking makes a (batch, steps) mask only of (batch, steps, features) floats, as in Keras 2.2
    _masked_in_a_model(component, layer, x, mask, output_masks)


def _masked_in_a_model(component, layer, x, mask, output_masks):
    from ..engine import Input, Model

    padded = np.array(x)
    padded[~mask] = 0.0
    with gradcheck.float64():
        inputs = Input(shape=tuple(component.input_shape), dtype="float64")
        masked = namespace("layers").get("Masking")(mask_value=0.0, dtype="float64")(inputs)
        model = Model(inputs, layer(masked))
        in_model = _flat(values(model.predict(padded, batch_size=3)))
        direct = _flat(values(layer(padded, mask=mask)))
    for i, (a, b) in enumerate(zip(_visible(in_model, output_masks), _visible(direct, output_masks))):
        if not np.allclose(a, b, rtol=1e-7, atol=1e-9):
            raise Failure("the layer behind Masking in a model to compute what it computes given the mask",
                          f"output {i} differs by up to {float(np.max(np.abs(a - b))):.3g}",
                          "Does compute_mask of the layer before it, or this layer's call, drop the mask?")


# -- determinism ---------------------------------------------------------------------
def _run_once(component, seed):
    set_random_seed(seed)
    kind = component.kind
    if kind == "layers":
        layer = component.build()
        x = component.example_inputs(batch=2)
        out = _flat(values(layer(x, training=True)))
        return out + [np.array(w) for w in layer.get_weights()]
    if kind == "initializers":
        return [values(component.build()((3, 4)))]
    if kind == "optimizers":
        variable = K.variable(np.ones((2, 3)))
        optimizer = component.build()
        for step in range(3):
            optimizer.apply_gradients([(np.full((2, 3), 0.1 * (step + 1), dtype=K.floatx()), variable)])
        return [np.array(variable.data)]
    if kind in ("losses", "metrics"):
        if kind == "metrics" and not component.is_function:
            return [values(_feed_metric(component, component.build(), batches=(0, 1)))]
        y_true, y_pred = component.example_targets()
        return [values(component.build()(y_true, y_pred))]
    x = np.random.default_rng(0).normal(size=(3, 4))
    return _flat(values(component.build()(Tensor(x) if kind in ("activations", "constraints") else x)))


@check("layers", "losses", "metrics", "optimizers", "activations", "initializers", "regularizers", "constraints")
def check_determinism(component):
    """The same seed gives bit-identical results twice in one process.

    Proves: after ``numkeras.utils.set_random_seed(s)``, building and calling a layer (in
    training mode, so dropout and noise draw), drawing from an initializer, a sequence
    of optimizer updates, and computing a loss, metric, activation, regularizer or
    constraint give exactly the same arrays twice.
    """
    first, second = _run_once(component, 1234), _run_once(component, 1234)
    expect(len(first) == len(second), f"{len(first)} arrays the second time", len(second))
    for i, (a, b) in enumerate(zip(first, second)):
        expect(np.array_equal(a, b, equal_nan=True), f"array {i} bit-identical for the same seed",
               f"a max abs difference of {float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))):.3g}",
               "Draw random numbers from numkeras.backend (K.random_*) or numkeras.utils.random.generator(seed).")
