"""The ``Constraint`` protocol."""


class Constraint:
    """Base class of weight constraints: ``constraint(w) -> projected w``.

    Applied by the optimizer to a weight's value (an ndarray) after every update.
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
