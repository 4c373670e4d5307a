"""The ``Regularizer`` protocol."""


class Regularizer:
    """Base class of regularizers: ``regularizer(weight) -> scalar penalty tensor``.

    The penalty is added to the model's loss at every training step; it must be
    computed with backend ops so that it is differentiated.
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
