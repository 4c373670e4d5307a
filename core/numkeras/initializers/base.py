"""The ``Initializer`` protocol."""


class Initializer:
    """Base class of weight initializers: ``initializer(shape, dtype=None) -> ndarray``.

    Required: ``__call__(shape, dtype=None)`` returning an ndarray of that shape, in
    ``dtype`` (``K.floatx()`` when None). Optional: ``get_config()`` returning the
    constructor arguments, so the initializer can be saved and rebuilt with
    :meth:`from_config`. Randomness must come from
    ``numkeras.utils.random.generator(seed)`` so that ``numkeras.utils.set_random_seed``
    makes weights reproducible.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.full(shape, 0.5, dtype=dtype or K.floatx())
        >>> Dense(3, kernel_initializer=Halves())
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the initializer; tf.keras 1.x's ``dtype`` entry is ignored."""
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
