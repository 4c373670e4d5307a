"""What the conformance kit checks: one component of one kind, and how to build and feed it.

A :class:`Component` is made from what a plugin author has at hand: a registered name
(``'focal_loss'``), the registered object (a ``Layer`` subclass, a loss function), or an
instance (``Dense(3, input_shape=(4,))``, whose config gives the constructor arguments and
whose ``input_shape`` gives the example input). Options say what the kit cannot guess:

* ``kwargs``: constructor arguments (a layer's ``units``, a callback's ``filepath``), or a
  function returning them (for arguments that must be fresh per build, like an inner layer);
* ``input_shape``: the example input without the batch axis (a list for several inputs);
  ``input_dtype``: ``'int32'`` for token ids;
* ``targets``: what a loss's or metric's ``y_true`` holds: ``'one_hot'`` (default),
  ``'sparse'``, ``'binary'``, ``'regression'`` (positive values away from 0) or ``'values'``
  (a metric fed one array, like ``Mean``);
  read from the component's ``target_kind`` attribute when it declares one;
* ``skip``: ``{check name: reason}`` for checks that do not apply, each with its reason;
* ``unsaved_arguments``: ``{argument: reason}`` for constructor arguments that are rightly
  absent from ``get_config()`` (an old spelling of another argument, say);
* ``fresh_process``: False to save and load in this process (faster, proves less).

A component may carry these defaults itself as a ``conformance_example`` attribute (a dict
with the same keys), which is how ``numkeras check-plugin`` learns a layer's arguments.
"""

import inspect

import numpy as np

from ..registry import KINDS, registry

SINGULAR = {"layers": "layer", "losses": "loss", "metrics": "metric", "optimizers": "optimizer",
            "callbacks": "callback", "activations": "activation", "initializers": "initializer",
            "regularizers": "regularizer", "constraints": "constraint"}
_PLURAL = {singular: plural for plural, singular in SINGULAR.items()}

#: Kinds whose registered object is built into an instance before use (a class or a factory).
INSTANCE_KINDS = ("layers", "optimizers", "callbacks", "initializers", "regularizers", "constraints")
_OPTIONS = ("kwargs", "input_shape", "input_dtype", "targets", "skip", "unsaved_arguments", "fresh_process")
TARGET_KINDS = ("one_hot", "sparse", "binary", "regression", "values")


def normalize_kind(kind):
    """``'layer'`` / ``'layers'`` → ``'layers'``; anything else is a ValueError naming the kinds."""
    plural = _PLURAL.get(kind, kind)
    if plural not in KINDS:
        raise ValueError(f"numkeras.testing: unknown component kind {kind!r}; expected one of "
                         f"{', '.join(KINDS)} (or their singulars).")
    return plural


class Component:
    """One component to check, with everything needed to build it and feed it data.

    Arguments:
        kind: ``'layers'``, ``'losses'`` … (or the singular, ``'layer'``).
        obj_or_name: a registered name, the registered object, or an instance.
        **options: see the module docstring.
    """

    def __init__(self, kind, obj_or_name, **options):
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise TypeError(f"numkeras.testing: unknown option(s) {sorted(unknown)}; expected {', '.join(_OPTIONS)}.")
        self.kind = normalize_kind(kind)
        self.registry = registry(self.kind)
        self.instance = None
        if isinstance(obj_or_name, str):
            self.name = obj_or_name
            self.obj = self.registry.resolve(obj_or_name)
        elif _is_instance(obj_or_name):
            self.instance = obj_or_name
            self.obj = type(obj_or_name)
            self.name = self.registry.name_of(self.obj)
        else:
            self.obj = obj_or_name
            self.name = self.registry.name_of(obj_or_name)
        example = dict(getattr(self.obj, "conformance_example", None) or {})
        example.update({k: v for k, v in options.items() if v is not None})
        kwargs = example.get("kwargs")
        if kwargs is None and self.instance is not None and hasattr(self.instance, "get_config"):
            kwargs = self.instance.get_config()
            if self.kind == "layers":  # each build gets its own name, unique within the kit's models
                kwargs.pop("name", None)
        # A callable gives fresh arguments per build (a wrapper's inner layer must not be shared).
        self.kwargs = kwargs if callable(kwargs) else dict(kwargs or {})
        input_shape = example.get("input_shape")
        if input_shape is None and self.kind == "layers":
            declared = (None if callable(self.kwargs) else self.kwargs.get("batch_input_shape")) or getattr(
                self.instance, "_batch_input_shape", None)
            input_shape = tuple(declared[1:]) if declared else (4,)
        self.input_shape = input_shape
        self.input_dtype = example.get("input_dtype")
        self.skip = dict(example.get("skip") or {})
        self.unsaved_arguments = dict(example.get("unsaved_arguments") or {})
        self.fresh_process = example.get("fresh_process", True)
        self.targets = example.get("targets") or self._declared_targets()
        if self.targets not in TARGET_KINDS:
            raise ValueError(f"numkeras.testing: targets must be one of {', '.join(TARGET_KINDS)}, got {self.targets!r}.")

    # -- naming ---------------------------------------------------------------------
    @property
    def singular(self):
        return SINGULAR[self.kind]

    @property
    def label(self):
        """``"layer 'Dense'"``: how failure messages name the component."""
        shown = self.name or getattr(self.obj, "__qualname__", None) or repr(self.obj)
        return f"{self.singular} {shown!r}"

    @property
    def test_id(self):
        return f"{self.singular}:{self.name or getattr(self.obj, '__name__', type(self.obj).__name__)}"

    def __repr__(self):
        return f"<Component {self.label}>"

    # -- what it is ----------------------------------------------------------------
    @property
    def is_class(self):
        return isinstance(self.obj, type)

    @property
    def is_function(self):
        """A loss, metric or activation given as a plain function (not a class)."""
        return not self.is_class and self.kind in ("losses", "metrics", "activations")

    @property
    def multiple_inputs(self):
        return isinstance(self.input_shape, list)

    def build(self, **overrides):
        """A fresh instance (or the function itself, for function components)."""
        if self.is_function:
            return self.obj
        kwargs = dict(self.kwargs() if callable(self.kwargs) else self.kwargs, **overrides)
        if self.is_class and hasattr(self.obj, "from_config") and self.instance is not None:
            return self.obj.from_config(kwargs)
        if callable(self.obj):
            return self.obj(**kwargs)
        raise TypeError(f"{self.label}: {self.obj!r} is neither a class nor a factory; it cannot be built.")

    def _signature_parameters(self):
        target = self.obj.__init__ if self.is_class else self.obj
        try:
            parameters = inspect.signature(inspect.unwrap(target)).parameters.values()
        except (TypeError, ValueError):
            return []
        return [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]

    def constructor_parameters(self):
        """Names of the constructor's explicit arguments (not ``*args`` / ``**kwargs``)."""
        return [p.name for p in self._signature_parameters()]

    def constructor_defaults(self):
        """``{argument: default}`` for the constructor's arguments that have one."""
        return {p.name: p.default for p in self._signature_parameters() if p.default is not p.empty}

    def _declared_targets(self):
        if self.kind not in ("losses", "metrics"):
            return "one_hot"
        declared = getattr(self.obj, "target_kind", None)
        if not isinstance(declared, str) and self.is_class:  # a property, or declared by the wrapped function
            try:
                instance = self.build()
            except Exception:  # noqa: BLE001 - a component that cannot be built fails its own checks
                instance = None
            declared = getattr(instance, "target_kind", None)
            if not isinstance(declared, str):
                declared = getattr(getattr(instance, "fn", None), "target_kind", None)
            if declared is None and self.kind == "metrics" and _takes_one_array(self.obj):
                declared = "values"
        return declared if declared in TARGET_KINDS else "one_hot"

    # -- example data ---------------------------------------------------------------
    def example_inputs(self, batch=3, seed=0, dtype=None):
        """Random layer inputs of the example shape: one array, or a list for several inputs."""
        shapes = self.input_shape if self.multiple_inputs else [self.input_shape]
        rng = np.random.default_rng(seed)
        arrays = []
        for shape in shapes:
            full = (batch,) + tuple(shape)
            if self.input_dtype and np.dtype(self.input_dtype).kind in "iu":
                arrays.append(rng.integers(1, 5, size=full).astype(self.input_dtype))
            else:
                arrays.append(rng.uniform(-1.0, 1.0, size=full).astype(dtype or self.input_dtype or "float32"))
        return arrays if self.multiple_inputs else arrays[0]

    def example_targets(self, batch=4, classes=3, seed=0, dtype="float64"):
        """``(y_true, y_pred)`` for a loss or metric, by the declared target kind.

        Predictions are probabilities kept away from 0 and 1, so clipping and logarithms
        are smooth there.
        """
        rng = np.random.default_rng(seed)
        probabilities = rng.dirichlet(np.full(classes, 4.0), size=batch).astype(dtype)
        labels = rng.integers(0, classes, size=batch)
        if self.targets == "sparse":
            return labels.reshape(batch, 1).astype(dtype), probabilities
        if self.targets == "binary":
            return rng.integers(0, 2, size=(batch, classes)).astype(dtype), rng.uniform(0.1, 0.9, (batch, classes)).astype(dtype)
        if self.targets == "regression":  # positive and away from 0, for relative errors and logarithms
            return rng.uniform(0.5, 1.5, (batch, classes)).astype(dtype), rng.uniform(0.5, 1.5, (batch, classes)).astype(dtype)
        if self.targets == "values":
            return None, rng.uniform(0.0, 2.0, size=(batch, classes)).astype(dtype)
        return np.eye(classes, dtype=dtype)[labels], probabilities


def _is_instance(obj):
    return not isinstance(obj, type) and not inspect.isfunction(obj) and hasattr(obj, "get_config")


def _takes_one_array(metric_class):
    """Whether ``update_state`` takes one data argument (``Mean``) rather than ``y_true, y_pred``."""
    try:
        parameters = list(inspect.signature(metric_class.update_state).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.name != "sample_weight"]
    return len(positional) == 1


def as_component(spec):
    """A :class:`Component` from a Component, ``(kind, obj)``, ``(kind, obj, options)`` or an instance."""
    if isinstance(spec, Component):
        return spec
    if isinstance(spec, tuple) and len(spec) in (2, 3) and isinstance(spec[0], str):
        return Component(spec[0], spec[1], **(spec[2] if len(spec) == 3 else {}))
    kind = kind_of_instance(spec)
    if kind is None:
        raise TypeError(f"numkeras.testing: cannot tell the kind of {spec!r}; pass (kind, component) instead.")
    return Component(kind, spec)


def kind_of_instance(obj):
    """The kind of a component instance, by its protocol base class (None when it has none)."""
    from .. import callbacks, constraints, initializers, layers, losses, metrics, optimizers, regularizers

    bases = (("layers", layers.Layer), ("losses", losses.Loss), ("metrics", metrics.Metric),
             ("optimizers", optimizers.Optimizer), ("callbacks", callbacks.Callback),
             ("initializers", initializers.Initializer), ("regularizers", regularizers.Regularizer),
             ("constraints", constraints.Constraint))
    for kind, base in bases:
        if isinstance(obj, base):
            return kind
    return None
