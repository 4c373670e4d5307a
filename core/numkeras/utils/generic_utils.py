"""Generic utilities, as in Keras 2.2.4's ``keras.utils.generic_utils``.

Custom-object scopes (``custom_object_scope``, ``CustomObjectScope``,
``get_custom_objects``: the registry's own), ``serialize_keras_object`` /
``deserialize_keras_object``, the small list helpers Keras code imports from here
(``to_list``, ``unpack_singleton``, ``slice_arrays``, ``has_arg``), and the progress bar.

``Progbar`` draws the line Keras users know::

    Epoch 1/5
    60000/60000 [==============================] - 4s 67us/sample - loss: 0.4745

On a terminal the bar is redrawn in place (carriage return); when the stream is
not a terminal (a pipe, a log file, CI) only the finished line is written, so logs
are not filled with partial bars.
"""

import inspect
import sys
import time

import numpy as np

from ..registry import active_scopes, custom_object_scope, global_custom_objects

CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The custom-object dict to add names to (Keras 2 API).

    Inside a ``custom_object_scope``, its dict (names added there last as long as the
    scope); outside, the process-wide dict, so ``get_custom_objects().update({'swish':
    swish})`` makes ``'swish'`` resolvable for every kind, as in Keras 2.2.
    """
    scopes = active_scopes()
    return scopes[-1] if scopes else global_custom_objects()


# -- (de)serialization of any object with get_config -------------------------------------------
def serialize_keras_object(instance):
    """``{'class_name', 'config'}`` for an object with ``get_config``, the name of a function, None for None.

    Raises:
        ValueError: ``instance`` has neither ``get_config`` nor a ``__name__``.
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not isinstance(instance, type):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    name = getattr(instance, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {instance!r}: it has no get_config() and no __name__.")
    return name


def _lookup(name, module_objects, custom_objects, printable_module_name):
    """``name`` in ``custom_objects``, then the active custom-object scopes, then ``module_objects``."""
    for table in [custom_objects or {}, *reversed(active_scopes()), global_custom_objects(), module_objects or {}]:
        if name in table:
            return table[name]
    known = sorted({*(custom_objects or {}), *(module_objects or {}), *global_custom_objects(),
                    *(k for s in active_scopes() for k in s)})
    raise ValueError(f"Unknown {printable_module_name}: {name!r}. Pass it in custom_objects (or use a "
                     f"custom_object_scope); known here: {known[:20]}.")


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None, printable_module_name="object"):
    """Rebuilds what :func:`serialize_keras_object` wrote (Keras 2.2's lookup rules).

    Arguments:
        identifier: a ``{'class_name', 'config'}`` dict or a name.
        module_objects: ``{name: object}`` to look names up in (a module's public names).
        custom_objects: ``{name: object}`` looked up first, then the active custom-object scopes.
        printable_module_name: what the objects are, for the error message.

    Returns:
        For a dict, ``cls.from_config(config)`` (or ``cls(**config)``) inside a scope of
        ``custom_objects``; for a name, the object itself.

    Raises:
        ValueError: an unknown name, or an identifier of another form.
    """
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for a {printable_module_name}: {identifier!r} "
                             f"(expected the keys 'class_name' and 'config').")
        cls = _lookup(identifier["class_name"], module_objects, custom_objects, printable_module_name)
        config = identifier["config"]
        with custom_object_scope(custom_objects or {}):
            if hasattr(cls, "from_config"):
                if has_arg(cls.from_config, "custom_objects"):
                    return cls.from_config(config, custom_objects={**get_custom_objects(), **(custom_objects or {})})
                return cls.from_config(config)
            return cls(**config)
    if isinstance(identifier, str):
        return _lookup(identifier, module_objects, custom_objects, printable_module_name)
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r} (expected a "
                     f"name or a {{'class_name', 'config'}} dict).")


# -- small helpers ------------------------------------------------------------------------------
def has_arg(fn, name, accept_all=False):
    """Whether ``fn`` takes an argument ``name`` (by keyword); with ``accept_all``, also any ``**kwargs``."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    parameter = parameters.get(name)
    if parameter is not None and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
        return True
    return accept_all and any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def to_list(x, allow_tuple=False):
    """``x`` itself if it is a list (or a tuple, with ``allow_tuple``), else ``[x]``."""
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    """The only element of a one-element list or tuple; ``x`` itself otherwise."""
    return x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x


def slice_arrays(arrays, start=None, stop=None):
    """``arrays[start:stop]`` for an array or a list of them (None entries stay None).

    ``start`` may be an array or list of indices (then ``stop`` is ignored), as in Keras.
    """
    if arrays is None:
        return [None]
    index = start if hasattr(start, "__len__") else slice(start, stop)
    if isinstance(arrays, list):
        return [None if a is None else a[index] for a in arrays]
    return arrays[index]


def _now():
    """Wall-clock seconds (one place, so tests can drive the clock)."""
    return time.time()


def _is_dynamic(stream):
    """Whether ``stream`` can redraw a line in place (a TTY, or a Jupyter kernel)."""
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules


def _format_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def _format_value(value):
    if isinstance(value, (float, np.floating)):
        return " %.4f" % value if abs(value) > 1e-3 else " %.4e" % value
    return " %s" % (value,)


class Progbar:
    """A progress bar.

    Arguments:
        target: total number of steps (or samples) expected; ``None`` if unknown.
        width: width of the bar, in characters.
        verbose: 1 draws the bar, 2 writes one line when ``target`` is reached, 0 writes nothing.
        interval: minimum seconds between two redraws of the bar.
        stateful_metrics: names of values shown as given rather than averaged over time
            (stateful metrics, and values that already are epoch means).
        unit_name: the unit of the time-per-unit figure (``'step'`` or ``'sample'``).
        stream: where to write (default: ``sys.stdout`` at the time of each write).

    Example:
        >>> bar = Progbar(target=3)
        >>> for step in range(3):
        ...     bar.update(step + 1, values=[('loss', 0.5)])
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(() if stateful_metrics is None else stateful_metrics)  # a list or an array
        self.unit_name = unit_name
        self._stream = stream
        self._dynamic_display = _is_dynamic(self.stream)
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight] (averaged) or the value (stateful)
        self._start = _now()
        self._last_update = 0.0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def update(self, current, values=None):
        """Moves the bar to ``current`` and records ``values``.

        Arguments:
            current: index of the current step (or number of samples seen).
            values: list of ``(name, value)``. A value is averaged over the steps it
                was reported for, weighted by how far ``current`` moved, unless its
                name is in ``stateful_metrics``.
        """
        for name, value in values or ():
            if name in self.stateful_metrics:
                self._values[name] = value
                continue
            weight = max(current - self._seen_so_far, 1)
            if name not in self._values or not isinstance(self._values[name], list):
                self._values[name] = [value * weight, weight]
            else:
                self._values[name][0] += value * weight
                self._values[name][1] += weight
        self._seen_so_far = current

        now = _now()
        finished = self.target is not None and current >= self.target
        if self.verbose == 1:
            if not finished and (not self._dynamic_display or now - self._last_update < self.interval):
                return
            self._write_bar(current, now, finished)
        elif self.verbose == 2 and (self.target is None or finished):
            self._write(" - %.0fs%s\n" % (now - self._start, self._values_text()))
        self._last_update = now

    def add(self, n, values=None):
        """Moves the bar ``n`` steps forward."""
        self.update(self._seen_so_far + n, values)

    def _write_bar(self, current, now, finished):
        if self.target is not None:
            digits = int(np.floor(np.log10(self.target))) + 1 if self.target > 0 else 1
            bar = "%*d/%d [" % (digits, current, self.target)
            progress_width = int(self.width * min(current / self.target, 1.0)) if self.target else self.width
            if progress_width > 0:
                bar += "=" * (progress_width - 1) + ("=" if finished else ">")
            bar += "." * (self.width - progress_width) + "]"
        else:
            bar = "%7d/Unknown" % current

        time_per_unit = (now - self._start) / current if current else 0.0
        if self.target is not None and not finished:
            info = " - ETA: %s" % _format_eta(time_per_unit * (self.target - current))
        else:
            info = " - %.0fs" % (now - self._start)
            if time_per_unit >= 1:
                info += " %.0fs/%s" % (time_per_unit, self.unit_name)
            elif time_per_unit >= 1e-3:
                info += " %.0fms/%s" % (time_per_unit * 1e3, self.unit_name)
            else:
                info += " %.0fus/%s" % (time_per_unit * 1e6, self.unit_name)
        line = bar + info + self._values_text()

        previous_width = self._total_width
        self._total_width = len(line)
        if self._dynamic_display:
            padding = " " * max(previous_width - len(line), 0)
            self._write("\r" + line + padding + ("\n" if finished else ""))
        else:
            self._write(line + "\n")

    def _values_text(self):
        text = ""
        for name, value in self._values.items():
            if isinstance(value, list):
                value = value[0] / max(1, value[1])
            text += " - %s:%s" % (name, _format_value(value))
        return text

    def _write(self, text):
        stream = self.stream
        stream.write(text)
        stream.flush()


__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "serialize_keras_object",
           "deserialize_keras_object", "has_arg", "to_list", "unpack_singleton", "slice_arrays", "Progbar"]
