"""numkeras.losses — the ``Loss`` protocol and every registered loss (``numkeras.losses.<name>``).

A loss is a function ``(y_true, y_pred) -> per-sample loss tensor`` or a
:class:`Loss` instance. Register your own by name and compile with it::

    @numkeras.losses.register('focal_loss')
    def focal_loss(y_true, y_pred):
        ...
    model.compile(loss='focal_loss', optimizer='adam')
"""

from .base import Loss, LossFunctionWrapper, namespace as _namespace

_namespace.bind(globals())

__all__ = ["Loss", "LossFunctionWrapper", "get", "serialize", "deserialize", "register"]
