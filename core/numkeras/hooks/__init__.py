"""The hook manager: a ``pluggy.PluginManager`` for project ``numkeras``.

Hook plugins come from the entry-point group ``numkeras.plugins``; they are loaded
the first time the manager is asked for, not at ``import numkeras``. A plugin that
fails to import is reported with a warning naming it (an error when
``NUMKERAS_STRICT_PLUGINS`` is set) and the others still load. Set
``NUMKERAS_DISABLE_PLUGIN_AUTOLOAD=1`` to load none (the test suite does).
"""

import os
import threading
import warnings

import importlib_metadata
import pluggy

from ..plugin_errors import STRICT_ENV, PluginLoadError, PluginLoadWarning
from . import hookspecs

hookimpl = pluggy.HookimplMarker("numkeras")

GROUP = "numkeras.plugins"
DISABLE_ENV = "NUMKERAS_DISABLE_PLUGIN_AUTOLOAD"

_manager = []
_lock = threading.Lock()
_failures = {}


def plugin_manager():
    """The process-wide ``pluggy.PluginManager``, with installed hook plugins loaded."""
    if _manager:
        return _manager[0]
    with _lock:
        if not _manager:
            manager = pluggy.PluginManager("numkeras")
            manager.add_hookspecs(hookspecs)
            if not os.environ.get(DISABLE_ENV):
                _load_entry_points(manager)
            _manager.append(manager)
    return _manager[0]


def _load_entry_points(manager):
    for ep in importlib_metadata.entry_points(group=GROUP):
        if manager.get_plugin(ep.name) is not None:
            continue
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        try:
            manager.register(ep.load(), name=ep.name)
        except Exception as error:
            message = (
                f"The numkeras hook plugin {ep.name!r} (distribution {dist_name}, entry point "
                f"'{ep.name} = {ep.value}' in group {GROUP!r}) failed to load: "
                f"{type(error).__name__}: {error}"
            )
            _failures[ep.name] = message
            if os.environ.get(STRICT_ENV):
                raise PluginLoadError(message) from error
            warnings.warn(message, PluginLoadWarning, stacklevel=2)


def failures():
    """``{plugin name: message}`` for hook plugins that failed to load."""
    return dict(_failures)


__all__ = ["hookimpl", "hookspecs", "plugin_manager", "failures", "GROUP"]
