"""The ``Constraint`` protocol."""


class Constraint:
    """Base class of weight constraints: ``constraint(w) -> projected w``.

    The optimizer applies a weight's constraint to its value after every update:
    ``__call__`` receives an ndarray and returns the projected array (of the same
    shape) without modifying its input. Constraints written with backend ops
    (``K.sqrt``, ``K.sum`` …) accept a Tensor as well, as in Keras. Optional:
    ``get_config()`` (constructor arguments).

    Example:
        >>> class Clipped(Constraint):
        ...     def __init__(self, limit=1.0):
        ...         self.limit = limit
        ...     def __call__(self, w):
        ...         return K.clip(w, -self.limit, self.limit)
        ...     def get_config(self):
        ...         return {'limit': self.limit}
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
