"""numkeras.activations — every registered activation function (``numkeras.activations.relu`` …).

``get(None)`` is the linear activation, as in Keras. Register your own::

    @numkeras.activations.register('sigmoid_relu')
    def sigmoid_relu(x):
        return K.sigmoid(x) * K.relu(x)
"""

from ..registry import Namespace

_namespace = Namespace("activations")
_namespace.bind(globals())
_get = get  # noqa: F821 - bound just above


def get(identifier):  # noqa: F811 - extends the bound get with Keras's None -> linear
    """An activation function from a name, a callable, or ``None`` (linear)."""
    if identifier is None:
        return _namespace.get("linear")
    return _get(identifier)


__all__ = ["get", "serialize", "deserialize", "register"]
