"""The errors and warning of component lookup and plugin loading, shared by the registries and the hook manager.

They live in a module of their own, below both, so that the hook manager can report a
broken hook plugin without importing the registries (which ask the hook manager for
programmatic registrations). ``numkeras.registry`` re-exports every name.
"""

#: Set to make a plugin that fails to load an error instead of a warning (development, CI).
STRICT_ENV = "NUMKERAS_STRICT_PLUGINS"


class ComponentError(ValueError):
    """Base class of registry errors."""


class UnknownComponentError(ComponentError):
    """No component of that kind is registered under that name."""


class ComponentConflictError(ComponentError):
    """Two distributions register the same name and none was chosen."""


class PluginLoadError(ComponentError, ImportError):
    """A plugin's entry point failed to import or load."""


class WrongKindError(PluginLoadError, TypeError):
    """A plugin's entry point loads an object that is not what its group promises
    (a function in ``numkeras.layers``, a string in ``numkeras.losses`` …)."""


class PluginLoadWarning(UserWarning):
    """A plugin failed to load; everything else keeps working."""


class ShadowedComponentWarning(UserWarning):
    """``register(..., override=True)`` replaced a component that another provider registered."""


__all__ = ["STRICT_ENV", "ComponentError", "UnknownComponentError", "ComponentConflictError",
           "PluginLoadError", "WrongKindError", "PluginLoadWarning", "ShadowedComponentWarning"]
