"""The ``Initializer`` protocol."""


class Initializer:
    """Base class of weight initializers: ``initializer(shape, dtype=None) -> ndarray``.

    Subclasses implement ``__call__`` and ``get_config`` (their constructor
    arguments). Randomness must come from ``numkeras.utils.random.generator(seed)``
    so that ``set_random_seed`` makes runs reproducible.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)
