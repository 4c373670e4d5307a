"""Keras 1 argument names, in one table: old name → Keras 2 name, value conversion, warning.

Every Keras 1 spelling numkeras accepts is a row below (``border_mode`` → ``padding``,
``dim_ordering='th'`` → ``data_format='channels_first'``, ``nb_epoch`` → ``epochs`` …).
A component declares which rows it takes with the :func:`renames` decorator; calling it
with an old name then passes the new name (its value converted) and warns once, with a
``DeprecationWarning`` whose text is made here from the row. Giving both spellings is a
``TypeError`` naming both. Built-in components and plugins use the same decorator::

    from numkeras.utils import legacy

    @legacy.renames(legacy.WEIGHTS, {"nb_units": "units"})
    class MyDense(Layer):
        def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs): ...

    MyDense(nb_units=4, init="zeros")   # two DeprecationWarnings; same as MyDense(units=4, kernel_initializer="zeros")

On a class, the table is inherited: a subclass (``Convolution2D`` of ``Conv2D``, or a
user's subclass) takes its parents' rows plus its own, and the renaming happens in the
outermost ``__init__``, before any positional Keras 1 handling of the subclass.
On a function or method, only that function is wrapped.

Keras 2.2's ``lr`` for optimizers is not here: it is Keras 2.2's own spelling and stays
silent (the optimizer base takes ``lr`` and ``learning_rate``).

This module imports nothing from numkeras, so any layer of the package may use it.
"""

import functools
import inspect
import sys
import warnings

__all__ = ["Rename", "ignored", "renames", "table_for", "owners", "deprecated", "dim_ordering",
           "WEIGHTS", "DENSE", "DROPOUT", "CONVOLUTION", "LOCALLY_CONNECTED", "POOLING", "SPATIAL", "RECURRENT",
           "NORMALIZATION", "EMBEDDING", "PRELU", "GAUSSIAN_NOISE", "UPSAMPLING1D",
           "MODEL", "COMPILE", "FIT", "EVALUATE", "GENERATORS"]


class Rename:
    """One row of a table: the Keras 2 name, an optional conversion of the value, a note for the warning.

    Arguments:
        new: the Keras 2 argument name; None for an argument that no computation depends on
            any more (see :func:`ignored`): it is warned about and dropped.
        convert: ``value -> value`` applied to the Keras 1 value (None: passed unchanged).
        note: appended to the warning in parentheses (e.g. that the meaning changed).
    """

    __slots__ = ("new", "convert", "note")

    def __init__(self, new, convert=None, note=""):
        self.new, self.convert, self.note = new, convert, note

    def __repr__(self):
        extra = "".join(f", {k}={getattr(self, k)!r}" for k in ("convert", "note") if getattr(self, k))
        return f"Rename({self.new!r}{extra})"


def ignored(note=""):
    """A row for a Keras 0.x / 1 argument that no computation depends on in Keras 2.

    The argument is accepted, a ``DeprecationWarning`` names it and says it has no effect
    (plus ``note``: what to do instead), and it is not passed on.
    """
    return Rename(None, note=note)


# -- value conversions (each written once) --------------------------------------------------
DIM_ORDERINGS = {"th": "channels_first", "tf": "channels_last", "default": None}


def dim_ordering(value):
    """Keras 1 ``dim_ordering`` as Keras 2 ``data_format``: ``'th'`` → ``'channels_first'``,
    ``'tf'`` → ``'channels_last'``, ``'default'`` → None (``K.image_data_format()``); others unchanged."""
    return DIM_ORDERINGS.get(value, value) if isinstance(value, str) else value


def _forget_bias(value):
    return value in ("one", "ones")


def _implementation(value):
    return {"cpu": 0, "mem": 1, "gpu": 2}.get(value, 1)


# -- the tables -----------------------------------------------------------------------------
# A table is {keras1_name: keras2_name or Rename}. Components combine them in @renames.
WEIGHTS = {
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
}
DENSE = {"output_dim": "units"}
DROPOUT = {"p": "rate"}
SPATIAL = {"dim_ordering": Rename("data_format", dim_ordering)}
CONVOLUTION = {
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "border_mode": "padding",
    "subsample": "strides",
    "subsample_length": "strides",
    "atrous_rate": "dilation_rate",
    **SPATIAL,
}
LOCALLY_CONNECTED = {old: row for old, row in CONVOLUTION.items() if old != "atrous_rate"}
POOLING = {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding", **SPATIAL}
RECURRENT = {
    "output_dim": "units",
    "inner_init": "recurrent_initializer",
    "U_regularizer": "recurrent_regularizer",
    "U_constraint": "recurrent_constraint",
    "inner_activation": "recurrent_activation",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "forget_bias_init": Rename("unit_forget_bias", _forget_bias),
    "consume_less": Rename("implementation", _implementation),
}
NORMALIZATION = {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"}
EMBEDDING = {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
             "W_constraint": "embeddings_constraint"}
PRELU = {"init": "alpha_initializer"}
GAUSSIAN_NOISE = {"sigma": "stddev"}
UPSAMPLING1D = {"length": "size"}

MODEL = {"input": "inputs", "output": "outputs"}
_SHOW_ACCURACY = ignored("pass metrics=['accuracy'] to compile() to see the accuracy")
COMPILE = {"class_mode": ignored("the loss and the output shape say what the targets are")}
FIT = {"nb_epoch": "epochs", "show_accuracy": _SHOW_ACCURACY}
EVALUATE = {"show_accuracy": _SHOW_ACCURACY}
TEXT_DATASETS = {"nb_words": "num_words"}   # imdb.load_data / reuters.load_data
_COUNTS_BATCHES = "Keras 2 counts batches, not samples: divide by your batch size"
GENERATORS = {
    "samples_per_epoch": Rename("steps_per_epoch", note=_COUNTS_BATCHES),
    "nb_val_samples": Rename("validation_steps", note=_COUNTS_BATCHES),
    "val_samples": Rename("steps", note=_COUNTS_BATCHES),
    "nb_epoch": "epochs",
    "nb_worker": "workers",
    "pickle_safe": "use_multiprocessing",
    "max_q_size": "max_queue_size",
    "show_accuracy": _SHOW_ACCURACY,
}


# -- the translator -----------------------------------------------------------------------------
_TABLES = {}   # class or wrapped function -> its own {old: Rename}
_MERGED = {}   # class -> {old: Rename} over its MRO (cleared on every registration)


def _rows(tables):
    rows = {}
    for table in tables:
        for old, row in table.items():
            rows[old] = row if row is None or isinstance(row, Rename) else Rename(row)
    return rows


def table_for(owner):
    """The rows ``owner`` (a decorated class, one of its subclasses, or a decorated function) accepts."""
    if not isinstance(owner, type):
        return dict(_TABLES.get(owner, {}))
    return dict(_merged(owner))


def _merged(owner):
    merged = _MERGED.get(owner)
    if merged is None:
        merged = {}
        for klass in reversed(owner.__mro__):
            merged.update(_TABLES.get(klass, {}))
        merged = {old: row for old, row in merged.items() if row is not None}
        _MERGED[owner] = merged
    return merged


def owners():
    """Every decorated class and function, in registration order (for tests and documentation)."""
    return list(_TABLES)


def deprecated(owner, old, new, value=None, note=""):
    """Warns that ``owner`` got the Keras 1 ``old`` and names its Keras 2 spelling ``new``.

    ``old`` is a name, or a tuple of names for a Keras 1 form that is not a one-to-one rename
    (``Convolution2D``'s kernel sizes ``nb_row``, ``nb_col``). ``value``, when given, is shown
    as ``new=value``.
    """
    detail = note or (f"{new}={value!r}" if value is not None else "")
    if isinstance(old, str):
        subject = f"argument {old!r} is"
    else:
        subject = f"arguments {', '.join(map(repr, old))} are"
    warnings.warn(f"{owner}: the Keras 1 {subject} deprecated; use {new!r} instead"
                  f"{f' ({detail})' if detail else ''}.", DeprecationWarning, stacklevel=_caller_stacklevel())


def no_effect(owner, old, note=""):
    """Warns that ``owner`` got the Keras 0.x / 1 argument ``old``, which has no effect any more."""
    warnings.warn(f"{owner}: the Keras 1 argument {old!r} is deprecated and has no effect; remove it"
                  f"{f' ({note})' if note else ''}.", DeprecationWarning, stacklevel=_caller_stacklevel())


def _caller_stacklevel():
    """The stacklevel of the first frame outside numkeras, so the warning points at the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_globals.get("__name__") or "").split(".")[0] in (
            "numkeras", "numkeras_builtins"):
        frame, level = frame.f_back, level + 1
    return level


def _translate(owner, table, kwargs, positional):
    """``kwargs`` with every old name of ``table`` replaced by its new name (converted, warned about)."""
    result, source = {}, {}
    for name, value in kwargs.items():
        row = table.get(name)
        if row is None:
            result[name] = value
            continue
        new = row.new
        if new is None:
            no_effect(owner, name, row.note)
            continue
        if new in kwargs or new in positional:
            raise TypeError(f"{owner}: got both the Keras 1 argument {name!r} and its Keras 2 spelling "
                            f"{new!r}; pass only {new!r}.")
        if new in source:
            raise TypeError(f"{owner}: got both {source[new]!r} and {name!r}, two Keras 1 spellings of "
                            f"{new!r}; pass only {new!r}.")
        converted = row.convert(value) if row.convert is not None else value
        deprecated(owner, name, new, converted if row.convert is not None else None, row.note)
        result[new], source[new] = converted, name
    return result


def _positional_names(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _wrap(function, owner_name, table_of):
    """``function`` renaming its keyword arguments first; ``table_of(args)`` gives the table."""
    names = _positional_names(function)

    @functools.wraps(function)
    def renaming(*args, **kwargs):
        if kwargs:
            table = table_of(args)
            if not table.keys().isdisjoint(kwargs):
                kwargs = _translate(owner_name(args), table, kwargs, names[:len(args)])
        return function(*args, **kwargs)

    renaming._keras1_renaming = True
    return renaming


def _wrap_init(cls, inherited=False):
    init = cls.__dict__.get("__init__", cls.__init__ if inherited else None)
    if init is None or getattr(init, "_keras1_renaming", False):
        return
    cls.__init__ = _wrap(init, lambda args: type(args[0]).__name__, lambda args: _merged(type(args[0])))


def _wrap_subclass_inits(cls):
    """Subclasses that define ``__init__`` get it wrapped too, so the outermost call renames."""
    if "_keras1_hooked" in cls.__dict__:
        return
    own = cls.__dict__.get("__init_subclass__")

    def __init_subclass__(subclass, **kwargs):
        if own is not None:
            own.__func__(subclass, **kwargs)
        else:
            super(cls, subclass).__init_subclass__(**kwargs)
        _wrap_init(subclass)

    cls.__init_subclass__ = classmethod(__init_subclass__)
    cls._keras1_hooked = True


def renames(*tables, owner=None):
    """Decorator: the class or function accepts the Keras 1 names of ``tables``.

    Arguments:
        *tables: dicts ``{keras1_name: keras2_name}`` or ``{keras1_name: Rename(...)}``, merged
            left to right (the module's tables, such as :data:`WEIGHTS`, or a plugin's own).
            On a class, ``{keras1_name: None}`` withdraws a row its parents declared.
        owner: the name the warnings use for a function (default: its qualified name); a
            class's warnings name the class being constructed.

    Returns:
        The class (its ``__init__`` and its subclasses' wrapped), or the wrapped function.

    Raises (at call time):
        TypeError: an old name and its new name were both given, or two old names of one new name.

    Example:
        >>> @legacy.renames({"sigma": "stddev"})
        ... class Jitter(Layer):
        ...     def __init__(self, stddev=0.1, **kwargs): ...
        >>> Jitter(sigma=0.2).stddev   # DeprecationWarning: ... use 'stddev' instead.
        0.2
    """
    rows = _rows(tables)

    def decorate(target):
        if isinstance(target, type):
            _TABLES[target] = {**_TABLES.get(target, {}), **rows}
            _MERGED.clear()
            _wrap_init(target, inherited=True)
            _wrap_subclass_inits(target)
            return target
        name = owner or target.__qualname__
        wrapped = _wrap(target, lambda args: name, lambda args: rows)
        _TABLES[wrapped] = rows
        return wrapped

    return decorate
