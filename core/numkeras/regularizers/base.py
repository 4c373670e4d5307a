"""The ``Regularizer`` protocol."""


class Regularizer:
    """Base class of regularizers: ``regularizer(weight) -> scalar penalty``.

    Required: ``__call__(x)`` returning the penalty for the weight (or layer output)
    ``x`` — a scalar Tensor computed with backend ops (``K.sum``, ``K.abs``,
    ``K.square`` …) so that it is differentiated, or ``0.0`` for no penalty. The
    penalties of a model's weights are listed in ``model.losses`` and added to the
    loss at every training step. Optional: ``get_config()`` (constructor arguments).

    Example:
        >>> class SumOfSquares(Regularizer):
        ...     def __init__(self, factor=0.01):
        ...         self.factor = factor
        ...     def __call__(self, x):
        ...         return self.factor * K.sum(K.square(x))
        ...     def get_config(self):
        ...         return {'factor': self.factor}
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
