"""Component registries: one per kind, all declared here, every lookup through ``Registry.resolve``.

A registry is filled lazily from its entry-point group (``numkeras.layers``,
``numkeras.losses`` …). Reading the entry points imports nothing; a component's
module is imported the first time its name is asked for. Built-in components are
entry points of the ``numkeras`` distribution, exactly as a third-party plugin's are.

Lookup order for a name: the active ``custom_object_scope`` dicts, then Keras 2's global
custom objects (``get_custom_objects()`` outside any scope), then names
registered at runtime, then entry points, then the same lookups with the name
normalised (``'MeanSquaredError'`` finds ``'mean_squared_error'``).
"""

import contextvars
import difflib
import inspect
import os
import re
import sys
import threading
import warnings

import importlib_metadata

from .plugin_errors import (
    STRICT_ENV, ComponentConflictError, ComponentError, PluginLoadError, PluginLoadWarning,
    ShadowedComponentWarning, UnknownComponentError, WrongKindError,
)

# The stack of active custom_object_scope dicts, innermost last. A context variable, so
# each thread (and each asyncio task) sees only the scopes it entered itself; the tuple
# is replaced, never mutated, so a copied context cannot change its parent's scopes.
_active_scopes = contextvars.ContextVar("numkeras_custom_object_scopes", default=())


# Keras 2's global custom objects: what ``get_custom_objects()`` returns outside any scope, so
# that Keras 2 code's ``get_custom_objects()['swish'] = swish`` (or ``.update(...)``) makes the
# name resolvable everywhere. Deliberately process-wide, as in Keras 2.2; searched after the
# active scopes. Lookups only read it (a dict read is atomic in CPython).
_GLOBAL_CUSTOM_OBJECTS = {}


def global_custom_objects():
    """Keras 2's process-wide custom-object dict (``get_custom_objects()`` outside any scope)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _custom_object_dicts():
    """The dicts a name is looked up in before the registry: the scopes innermost first, then the global one."""
    return (*reversed(_active_scopes.get()), _GLOBAL_CUSTOM_OBJECTS)


def active_scopes():
    """The dicts of the ``custom_object_scope`` blocks active in this context, outermost first.

    Lookups search them innermost first. Each thread and each ``contextvars`` context
    sees only the scopes entered in it.
    """
    return _active_scopes.get()


class custom_object_scope:
    """Makes extra names resolvable inside a ``with`` block (Keras's ``custom_object_scope``).

    The scope is visible to the thread (or ``contextvars`` context) that entered it and
    nowhere else; one instance may be entered by several threads at once.

    Example:
        >>> with custom_object_scope({'my_loss': my_loss}):
        ...     model = load_model('model.h5')
    """

    def __init__(self, *dicts):
        self.objects = {}
        for d in dicts:
            self.objects.update(d or {})

    def __enter__(self):
        _active_scopes.set(_active_scopes.get() + (self.objects,))
        return self

    def __exit__(self, *exc):
        # Pops the innermost scope of *this* context (not a token kept on the instance), so
        # one instance may be entered by several threads at once.
        _active_scopes.set(_active_scopes.get()[:-1])


def _normalize(name):
    """``'MeanSquaredError'``, ``'mean_squared_error'`` and ``'mean-squared-error'`` → one key."""
    return re.sub(r"[_\-\s]", "", name).lower()


class Provider:
    """Where a registered name comes from: distribution, version and module."""

    __slots__ = ("distribution", "version", "module", "entry_point", "also")

    def __init__(self, distribution=None, version=None, module=None, entry_point=None, also=()):
        self.distribution = distribution
        self.version = version
        self.module = module
        self.entry_point = entry_point
        self.also = tuple(also)  # further distributions claiming the same name (a conflict)

    def describe(self):
        if self.also:
            return " and ".join(p.describe() for p in (Provider(self.distribution, self.version, self.module,
                                                                 self.entry_point), *self.also))
        if self.distribution:
            return f"{self.distribution} {self.version or ''} ({self.entry_point})".replace("  ", " ")
        return f"registered at runtime from {self.module or 'unknown module'}"

    def as_dict(self):
        return {"distribution": self.distribution, "version": self.version, "module": self.module}


class Expects:
    """What a component of one kind must be; each registry in :data:`REGISTRIES` declares one.

    Arguments:
        base: ``'module:Class'``, the protocol base class of the kind. It is looked up
            in ``sys.modules`` and never imported here: the registry sits below every
            protocol, and a class can only subclass a base whose module is imported.
        callables: whether a plain callable (a function, a factory) is accepted too.
        description: what the kind accepts, for error messages.
    """

    def __init__(self, base, callables, description):
        self.base = base
        self.callables = callables
        self.description = description

    def _base_class(self):
        module, _, attribute = self.base.partition(":")
        return getattr(sys.modules.get(module), attribute, None)

    def problem(self, obj, name):
        """Why ``obj`` cannot be the component ``name`` of this kind, or ``None`` if it can."""
        base = self._base_class()
        if isinstance(obj, type):
            if base is not None and issubclass(obj, base):
                return None
            what = f"the class {obj.__module__}.{obj.__qualname__}, which does not subclass {self.base}"
        elif base is not None and isinstance(obj, base):
            return None
        elif self.callables and callable(obj):
            return None
        elif isinstance(obj, str):
            what = f"the string {obj!r}"
            if obj == name:
                what += ", an alias that resolves to itself"
            what += " (an alias is another entry point naming the same object, not a string)"
        else:
            what = f"{_describe(obj)}"
        return f"it is {what}, but it must be {self.description}"


def _describe(obj):
    if inspect.ismodule(obj):
        return f"the module {obj.__name__}"
    if callable(obj):
        return f"the callable {getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    text = repr(obj)
    return f"{type(obj).__name__} {text[:60] + '...' if len(text) > 60 else text}"


class Registry:
    """Components of one kind, by name.

    Arguments:
        kind: the plural kind name, e.g. ``'losses'``.
        group: the entry-point group that fills it, e.g. ``'numkeras.losses'``.
        expects: an :class:`Expects`: what every component of this kind must be.
    """

    def __init__(self, kind, group, expects=None):
        self.kind = kind
        self.group = group
        self.expects = expects
        self._objects = {}  # name -> loaded object
        self._providers = {}  # name -> Provider
        self._entry_points = None  # name -> [EntryPoint, ...] (several when distributions clash)
        self._chosen = {}  # name -> distribution chosen among clashing ones
        self._failures = {}  # name -> (Provider, exception text)
        self._shadowed = {}  # name -> description of the provider a runtime registration replaced
        self._lock = threading.RLock()

    # -- filling --------------------------------------------------------------
    def _discover(self):
        if self._entry_points is not None:
            return self._entry_points
        with self._lock:
            if self._entry_points is None:
                found = {}
                for ep in importlib_metadata.entry_points(group=self.group):
                    dist = getattr(ep, "dist", None)
                    dist_name = dist.metadata["Name"] if dist is not None else None
                    claims = found.setdefault(ep.name, [])
                    if all(_dist_name(c) != dist_name for c in claims):
                        claims.append(ep)
                self._entry_points = found
                _run_registration_hooks()
        return self._entry_points

    def register(self, name=None, obj=None, *, override=False):
        """Registers ``obj`` under ``name``; usable as a call or as a decorator.

        Example:
            >>> @numkeras.losses.register('focal_loss')
            ... def focal_loss(y_true, y_pred): ...
            >>> numkeras.losses.register('focal_loss', focal_loss)   # same thing

        Registering a name again from the module that registered it (a notebook cell run
        twice) replaces it quietly. A name that a built-in, a plugin distribution or
        another module provides is refused, since the replacement would hold for the
        whole process; ``override=True`` replaces it anyway, with a warning.

        Arguments:
            name: the name to register; defaults to the object's ``__name__``.
            obj: the component. When omitted, returns a decorator.
            override: replace a name that another provider registered.

        Raises:
            ComponentConflictError: the name is taken by another provider and ``override``
                is false (the message names both).
            TypeError: ``obj`` is not a component of this kind (a function as a layer …).
        """
        if obj is None and callable(name) and not isinstance(name, str):
            name, obj = None, name
        if obj is None:
            return lambda target: self.register(name, target, override=override)
        name = name or getattr(obj, "__name__", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.kind}.register needs a name string; got {name!r}.")
        problem = self.expects.problem(obj, name) if self.expects else None
        if problem:
            raise TypeError(f"Cannot register {_describe(obj)} as the {self._singular()} {name!r}: {problem}.")
        provider = Provider(module=getattr(obj, "__module__", None))
        with self._lock:
            existing = self._current_provider(name)
            if existing is not None and not (existing.distribution is None and existing.module == provider.module):
                if not override:
                    raise ComponentConflictError(
                        f"Cannot register {_describe(obj)} as the {self._singular()} {name!r}: that name is "
                        f"already provided by {existing.describe()}, and registering it would replace that "
                        f"{self._singular()} for the whole process. Choose another name, pass override=True "
                        f"to replace it on purpose, or, to use it for one load only, pass "
                        f"custom_objects={{{name!r}: ...}} to the loading function."
                    )
                warnings.warn(
                    f"The {self._singular()} {name!r} of {existing.describe()} is replaced by "
                    f"{_describe(obj)} (registered with override=True) for the rest of this process; "
                    f"numkeras.{self.kind}.unregister({name!r}) restores it.",
                    ShadowedComponentWarning, stacklevel=3,
                )
                self._shadowed.setdefault(name, existing.describe())
            self._objects[name] = obj
            self._providers[name] = provider
        return obj

    def _current_provider(self, name):
        """The :class:`Provider` now answering for ``name`` (runtime or entry point), or None; loads nothing."""
        if name in self._providers:
            return self._providers[name]
        claims = self.claims(name)
        if not claims:
            return None
        first = claims[0]
        return Provider(first.distribution, first.version, first.module, first.entry_point, also=claims[1:])

    def claims(self, name):
        """A :class:`Provider` per distribution whose entry points declare ``name`` (several: a conflict)."""
        return [self._entry_point_provider(ep) for ep in self._discover().get(name, ())]

    def shadowed(self):
        """``{name: description of the provider it replaced}`` for runtime registrations made with ``override=True``."""
        return dict(self._shadowed)

    def _entry_point_provider(self, ep):
        return Provider(_dist_name(ep), _dist_version(ep), ep.module, f"{self.group}: {ep.name} = {ep.value}")

    def unregister(self, name):
        """Removes a runtime registration (entry points stay, and answer for the name again)."""
        with self._lock:
            self._objects.pop(name, None)
            self._providers.pop(name, None)
            self._shadowed.pop(name, None)

    def choose(self, name, distribution):
        """Picks which distribution provides ``name`` when several register it."""
        self._chosen[name] = distribution
        self._objects.pop(name, None)

    def chosen(self, name):
        """The distribution picked with :meth:`choose` for ``name``, or None."""
        return self._chosen.get(name)

    def _state(self):
        """A copy of what registering, choosing and loading change (for :func:`isolated_registrations`)."""
        with self._lock:
            return tuple(dict(d) for d in (self._objects, self._providers, self._shadowed, self._chosen,
                                            self._failures))

    def _restore(self, state):
        with self._lock:
            self._objects, self._providers, self._shadowed, self._chosen, self._failures = (dict(d) for d in state)

    # -- lookup ---------------------------------------------------------------
    def resolve(self, name):
        """The component registered as ``name``.

        Raises:
            UnknownComponentError: nothing of this kind has that name (lists close matches).
            PluginLoadError: the plugin providing it failed to import.
            ComponentConflictError: two distributions provide it and none was chosen.
        """
        for scope in _custom_object_dicts():
            if name in scope:
                return scope[name]
        obj = self._objects.get(name)
        if obj is not None:
            return obj
        entry_points = self._discover()
        if name in entry_points:
            return self._load(name)
        key = _normalize(name)
        for scope in _custom_object_dicts():
            for candidate, obj in list(scope.items()):
                if _normalize(candidate) == key:
                    return obj
        for candidate in list(self._objects) + list(entry_points):
            if _normalize(candidate) == key:
                return self.resolve(candidate)
        raise self._unknown(name)

    def __contains__(self, name):
        try:
            self.resolve(name)
        except UnknownComponentError:
            return False
        return True

    def names(self):
        """Every registered name (entry points and runtime), sorted; loads nothing."""
        return sorted(set(self._discover()) | set(self._objects))

    def provider(self, name):
        """The :class:`Provider` of ``name`` (distribution, version, module)."""
        self.resolve(name)
        for candidate in (name, *self._objects):
            if candidate in self._providers and (candidate == name or self._objects.get(candidate) is self._objects.get(name)):
                return self._providers[candidate]
        return Provider()

    def name_of(self, obj):
        """The name ``obj`` is registered under, or None. Prefers ``obj.__name__`` when registered."""
        preferred = getattr(obj, "__name__", None)
        if preferred and (preferred in self._objects or preferred in self._discover()):
            try:
                if self.resolve(preferred) is obj:
                    return preferred
            except ComponentError:
                pass
        for name, candidate in self._objects.items():
            if candidate is obj:
                return name
        return None

    def failures(self):
        """``{name: (Provider, reason)}`` for plugins that failed to load so far."""
        return dict(self._failures)

    def load_all(self, strict=None):
        """Loads every entry point; failures are recorded (see :meth:`failures`).

        Arguments:
            strict: raise the first failure instead of going on; default: whether
                ``$NUMKERAS_STRICT_PLUGINS`` is set. ``numkeras plugins`` passes False so that
                it can list every failure.
        """
        strict = bool(os.environ.get(STRICT_ENV)) if strict is None else strict
        for name in self.names():
            try:
                self.resolve(name)
            except ComponentError:
                if strict:
                    raise

    # -- internals --------------------------------------------------------------
    def _singular(self):
        irregular = {"losses": "loss", "activations": "activation", "callbacks": "callback"}
        return irregular.get(self.kind, self.kind[:-1] if self.kind.endswith("s") else self.kind)

    def _load(self, name):
        with self._lock:
            if name in self._objects:
                return self._objects[name]
            claims = self._entry_points[name]
            if len(claims) > 1:
                chosen = self._chosen.get(name)
                picked = [ep for ep in claims if _dist_name(ep) == chosen]
                if not picked:
                    names = " and ".join(f"{_dist_name(ep)} ({ep.value})" for ep in claims)
                    raise ComponentConflictError(
                        f"The {self._singular()} name {name!r} is registered by {names}. "
                        f"Choose one with numkeras.{self.kind}.choose({name!r}, '<distribution>') "
                        f"or uninstall one of them."
                    )
                claims = picked
            ep = claims[0]
            provider = self._entry_point_provider(ep)
            try:
                obj = ep.load()
            except Exception as error:  # a broken plugin must not break the rest
                raise self._failed(name, ep, provider, f"raised {type(error).__name__}: {error}",
                                   PluginLoadError) from error
            problem = self.expects.problem(obj, name) if self.expects else None
            if problem:
                raise self._failed(name, ep, provider, f"loads an object of the wrong kind: {problem}",
                                   WrongKindError)
            self._objects[name] = obj
            self._providers[name] = provider
            return obj

    def _failed(self, name, ep, provider, reason, error_class):
        """Records a plugin failure, warns (unless strict), and returns the error to raise for ``name``."""
        self._failures[name] = (provider, reason)
        message = (
            f"The {self._singular()} {name!r} could not be loaded: plugin distribution "
            f"{provider.distribution or '?'} {provider.version or ''}, entry point "
            f"'{ep.name} = {ep.value}' in group {self.group!r} {reason}"
        )
        if not os.environ.get(STRICT_ENV):
            warnings.warn(message, PluginLoadWarning, stacklevel=4)
        return error_class(message)

    def _unknown(self, name):
        candidates = set(self.names())
        for scope in _custom_object_dicts():
            candidates |= set(scope)
        close = difflib.get_close_matches(name, sorted(candidates), n=5, cutoff=0.6)
        hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
        known = KNOWN_PLUGIN_HINTS.get((self.kind, name))
        if known:
            hint = f" It is provided by a separate plugin distribution: {known}.{hint}"
        error = UnknownComponentError(
            f"Unknown {self._singular()}: {name!r}.{hint} "
            f"Register it with numkeras.{self.kind}.register({name!r}, obj), pass it in "
            f"custom_objects, or install a plugin distribution that declares it in the "
            f"entry-point group {self.group!r}."
        )
        error.kind, error.name = self.kind, name  # lets load_model say which plugin provided it
        return error


def _dist_name(ep):
    dist = getattr(ep, "dist", None)
    return dist.metadata["Name"] if dist is not None else None


def _dist_version(ep):
    dist = getattr(ep, "dist", None)
    return dist.version if dist is not None else None


# Components that a separately installable distribution of this project provides: the
# unknown-name error says what to install. ``(kind, name) -> install instruction``.
KNOWN_PLUGIN_HINTS = {
    ("callbacks", "TensorBoard"): "pip install ./contrib/numkeras-tensorboard (distribution numkeras-tensorboard)",
}

# Every registry, with what its components must be (checked when an entry point is loaded
# and when a name is registered at runtime): a class must subclass the kind's protocol
# base; kinds whose lookups accept functions (a loss, a regularizer factory …) take any
# callable too.
REGISTRIES = {kind: Registry(kind, f"numkeras.{kind}", expects) for kind, expects in (
    # Functions too: Keras's functional merge helpers (`concatenate`, `add` …) are layers' names.
    ("layers", Expects("numkeras.engine.base_layer:Layer", True,
                       "a Layer subclass (or a function that applies layers, like concatenate)")),
    ("losses", Expects("numkeras.losses.base:Loss", True, "a loss function or a Loss subclass or instance")),
    ("metrics", Expects("numkeras.metrics.base:Metric", True,
                        "a metric function or a Metric subclass or instance")),
    ("optimizers", Expects("numkeras.optimizers.base:Optimizer", True,
                           "an Optimizer subclass or instance, or a function that returns one")),
    ("callbacks", Expects("numkeras.callbacks.base:Callback", False, "a Callback subclass or instance")),
    ("activations", Expects("numkeras.engine.base_layer:Layer", True,
                            "an activation function (or a Layer subclass)")),
    ("initializers", Expects("numkeras.initializers.base:Initializer", True,
                             "an Initializer subclass or instance, or an initializer function")),
    ("regularizers", Expects("numkeras.regularizers.base:Regularizer", True,
                             "a Regularizer subclass or instance, or a regularizer function")),
    ("constraints", Expects("numkeras.constraints.base:Constraint", True,
                            "a Constraint subclass or instance, or a constraint function")),
)}

KINDS = tuple(REGISTRIES)


def registry(kind):
    """The :class:`Registry` for ``kind`` (one of :data:`KINDS`)."""
    try:
        return REGISTRIES[kind]
    except KeyError:
        raise ValueError(f"Unknown component kind {kind!r}; expected one of {', '.join(KINDS)}.") from None


class isolated_registrations:
    """Undoes, on exit, every runtime registration, unregistration, ``override`` and ``choose``.

    For tests: what a test (or the code it runs) registers does not leak into the next
    one. Entry points are untouched; components they loaded inside the block are loaded
    again (the same objects) when next asked for.

    Example:
        >>> with numkeras.registry.isolated_registrations():
        ...     numkeras.losses.register('my_loss', my_loss)
        >>> 'my_loss' in numkeras.registry.registry('losses')
        False
    """

    def __enter__(self):
        self._saved = {kind: reg._state() for kind, reg in REGISTRIES.items()}
        return self

    def __exit__(self, *exc):
        for kind, state in self._saved.items():
            REGISTRIES[kind]._restore(state)
        return False


_hooks_ran = [False]


def _run_registration_hooks():
    """Lets hook plugins register components programmatically (once, on first discovery)."""
    if _hooks_ran[0]:
        return
    _hooks_ran[0] = True
    from .hooks import plugin_manager

    plugin_manager().hook.numkeras_register_components(register=_register_from_hook)


def _register_from_hook(kind, name, obj, override=False):
    """``register`` as hook plugins get it: a refused registration is reported like a broken plugin."""
    try:
        registry(kind).register(name, obj, override=override)
    except (ComponentError, TypeError) as error:
        message = (f"A hook plugin's numkeras_register_components (module "
                   f"{getattr(obj, '__module__', '?')}) could not register {name!r} in {kind}: {error}")
        if os.environ.get(STRICT_ENV):
            raise PluginLoadError(message) from error
        warnings.warn(message, PluginLoadWarning, stacklevel=2)


def _is_factory(obj):
    """A function callable with no arguments (``l1(l=0.01)``), as opposed to ``my_reg(w)``."""
    import inspect

    try:
        parameters = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in parameters
    )


def serialized_names(config):
    """The registry names a serialized component dict refers to, most specific first.

    Keras 2 writes ``{'class_name', 'config'}``; tf.keras 2.13+ adds ``module`` and
    ``registered_name`` (``'MyPackage>MyClass'`` for an object registered with
    ``register_keras_serializable``), and writes a function as ``{'class_name':
    'function', 'config': <its registered name>}``. A ``module`` is never imported:
    every name is resolved through the registries (and ``custom_objects``).
    """
    class_name = config.get("class_name")
    if class_name == "function" and isinstance(config.get("config"), str):
        return [config["config"]]
    registered = config.get("registered_name")
    names = [registered] if isinstance(registered, str) and registered not in (class_name, "function") else []
    return names + [class_name]


def resolve_serialized(kind_registry, config):
    """The object a serialized dict names: its ``registered_name`` first, then its ``class_name``.

    Raises:
        UnknownComponentError: neither name is known (about the most specific one).
    """
    names = serialized_names(config)
    for name in names[:-1]:
        try:
            return kind_registry.resolve(name)
        except UnknownComponentError:
            continue
    try:
        return kind_registry.resolve(names[-1])
    except UnknownComponentError:
        if len(names) > 1:
            raise kind_registry._unknown(names[0]) from None
        raise


class Namespace:
    """The ``get`` / ``serialize`` / ``deserialize`` / ``register`` surface of one kind.

    Each public module (``numkeras.losses``, ``numkeras.optimizers`` …) binds these
    methods at module level and forwards unknown attributes to the registry, so
    ``numkeras.losses.my_plugin_loss`` works for any registered name.

    Arguments:
        kind: one of :data:`KINDS`.
        instantiate: whether ``get('name')`` returns an instance (optimizers,
            initializers …) rather than the registered object itself.
    """

    def __init__(self, kind, instantiate=False):
        self.kind = kind
        self.registry = registry(kind)
        self.instantiate = instantiate

    def register(self, name=None, obj=None, **kwargs):
        """Registers a component under ``name`` (a call or a decorator)."""
        return self.registry.register(name, obj, **kwargs)

    def get(self, identifier):
        """A component from a name, a config dict, an instance or a callable.

        Raises:
            UnknownComponentError: unknown name (with close matches).
            TypeError: an identifier of an unusable type.
        """
        if identifier is None:
            return None
        if isinstance(identifier, str):
            obj = self.registry.resolve(identifier)
            if isinstance(obj, type) and (self.instantiate or self.kind in ("losses", "metrics")):
                return obj()
            if self.instantiate and _is_factory(obj):
                return obj()  # e.g. regularizers.l1 -> L1L2(l1=0.01), as Keras 2.2 does
            return obj
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if callable(identifier) or hasattr(identifier, "get_config"):
            return identifier
        raise TypeError(
            f"Could not interpret {self.registry._singular()} identifier {identifier!r} of type "
            f"{type(identifier).__name__}: expected a name, a config dict, an instance or a callable."
        )

    def serialize(self, obj):
        """A name (functions) or ``{'class_name', 'config'}`` dict (objects) for ``obj``."""
        if obj is None:
            return None
        if hasattr(obj, "get_config") and not isinstance(obj, type):
            name = self.registry.name_of(type(obj)) or type(obj).__name__
            return {"class_name": name, "config": obj.get_config()}
        name = self.registry.name_of(obj) or getattr(obj, "__name__", None)
        if name is None:
            raise ValueError(f"Cannot serialize {self.registry._singular()} {obj!r}: it has no name.")
        return name

    def deserialize(self, config, custom_objects=None):
        """Rebuilds a component from :meth:`serialize`'s output."""
        with custom_object_scope(custom_objects or {}):
            if isinstance(config, str):
                return self.get(config)
            if not isinstance(config, dict) or "class_name" not in config:
                raise ValueError(
                    f"Cannot deserialize {self.registry._singular()} from {config!r}: expected a "
                    f"name or a dict with 'class_name' and 'config'."
                )
            cls = resolve_serialized(self.registry, config)
            inner = config.get("config") or {}
            if config["class_name"] == "function" and isinstance(config.get("config"), str):
                return cls  # tf.keras 2.13+ writes a function as {'class_name': 'function', 'config': name}
            if hasattr(cls, "from_config"):
                return cls.from_config(inner)
            return cls(**inner)

    def attribute(self, name):
        """Module ``__getattr__``: registered components appear as attributes."""
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.registry.resolve(name)
        except UnknownComponentError as error:
            raise AttributeError(str(error)) from None

    def bind(self, module_globals):
        """Installs ``get``, ``serialize``, ``deserialize``, ``register``, ``choose`` and ``__getattr__``."""
        module_globals.update(
            get=self.get, serialize=self.serialize, deserialize=self.deserialize,
            register=self.register, unregister=self.registry.unregister, choose=self.registry.choose,
            __getattr__=self.attribute,
            __dir__=lambda: sorted(set(module_globals) | set(self.registry.names())),
        )
