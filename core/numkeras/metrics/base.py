"""The stateful ``Metric`` protocol."""

import numpy as np

from .. import backend as K


def _values(x):
    return x.data if isinstance(x, K.Tensor) else np.asarray(x)


class Metric:
    """Base class of stateful metrics: accumulate with ``update_state``, read with ``result``.

    Subclasses create their state in ``__init__`` with :meth:`add_weight`, and
    implement ``update_state(y_true, y_pred, sample_weight=None)`` and ``result()``;
    ``reset_states`` zeroes every state variable. Calling the metric updates it
    and returns the new result.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name=None, dtype=None):
        from ..engine.base_layer import to_snake_case

        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype or K.floatx()
        self._state = []
        self.stateful = True

    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        """Adds a state variable (zeros by default) reset by :meth:`reset_states`."""
        variable = K.Variable(np.zeros(shape, dtype=dtype or self.dtype), name=f"{self.name}/{name}:0",
                              trainable=False)
        self._state.append(variable)
        return variable

    @property
    def weights(self):
        return list(self._state)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_states(self):
        """Resets every state variable to zero."""
        for variable in self._state:
            variable.data[...] = 0

    reset_state = reset_states

    def __call__(self, *args, **kwargs):
        with K.no_tape():
            self.update_state(*args, **kwargs)
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": str(self.dtype)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanMetricWrapper(Metric):
    """A stateful metric from a function ``fn(y_true, y_pred) -> per-sample values``: their weighted mean."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self.total = self.add_weight("total")
        self.count = self.add_weight("count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        with K.no_tape():
            values = _values(self.fn(y_true, y_pred, **self._fn_kwargs)).astype(np.float64)
        if sample_weight is None:
            self.total.data[...] += values.sum()
            self.count.data[...] += values.size
            return
        weight = np.asarray(sample_weight, dtype=np.float64)
        weight = np.broadcast_to(weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim)), values.shape)
        self.total.data[...] += (values * weight).sum()
        self.count.data[...] += weight.sum()

    def result(self):
        count = float(self.count.data)
        return K.Tensor(np.asarray(float(self.total.data) / count if count else 0.0, dtype=self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config
