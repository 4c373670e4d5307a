"""The stateful ``Metric`` protocol, the weighted ``Reduce`` it is usually built on, and ``MeanMetricWrapper``."""

import numpy as np

from .. import backend as K
from ..registry import Namespace
from ..utils.naming import to_snake_case

# numkeras.metrics binds this surface (get, serialize …); made here so that the wrapper's
# get_config / from_config use it without importing their own package.
namespace = Namespace("metrics")


def _values(x):
    return x.data if isinstance(x, K.Tensor) else np.asarray(x)


class Metric:
    """Base class of stateful metrics: accumulate with ``update_state``, read with ``result``.

    Required methods:
        ``update_state(*args, sample_weight=None)``: folds a batch into the state.
        ``result()``: the metric value from the state (a scalar Tensor); calling it
        twice gives the same value.

    Optional: ``reset_states()`` (zeroes every state variable by default) and
    ``get_config()`` (constructor arguments, for saving).

    Create the state in ``__init__`` with :meth:`add_weight`. Calling the metric
    updates it and returns the new result, so a metric is created first and then
    called: ``m = Mean(); m([1, 3])``, not ``Mean([1, 3])``.

    Arguments:
        name: the metric's name, used as its log key (default: the class name in snake case).
        dtype: the dtype of ``result()`` (default ``K.floatx()``).

    Example:
        >>> class Maximum(Metric):
        ...     def __init__(self, name='maximum', dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.largest = self.add_weight('largest', initializer=Constant(-np.inf))
        ...     def update_state(self, values, sample_weight=None):
        ...         self.largest.data[...] = max(self.largest.data, np.max(values))
        ...     def result(self):
        ...         return K.constant(self.largest.data)
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or K.floatx()).name
        self._state = []
        self._initial_values = []
        self.stateful = True

    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        """Adds a state variable; :meth:`reset_states` puts it back to its initial value.

        Arguments:
            name: the variable's name (prefixed with the metric's).
            shape: its shape (a scalar by default).
            initializer: an initializer name, instance or callable (``'zeros'`` by default).
            dtype: its dtype (default: the metric's).
        """
        dtype = np.dtype(dtype or self.dtype)
        if initializer in (None, "zeros"):
            value = np.zeros(shape, dtype=dtype)
        else:
            from .. import initializers

            value = np.asarray(initializers.get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
        variable = K.Variable(value, dtype=dtype, name=f"{self.name}/{name}:0", trainable=False)
        self._state.append(variable)
        self._initial_values.append(np.array(value, copy=True))
        return variable

    @property
    def weights(self):
        return list(self._state)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_states(self):
        """Puts every state variable back to its initial value (zero by default)."""
        for variable, initial in zip(self._state, self._initial_values):
            variable.data[...] = initial

    def reset_state(self):
        """tf.keras 2.5+ spelling of :meth:`reset_states`."""
        self.reset_states()

    def __call__(self, *args, **kwargs):
        with K.no_tape():
            self.update_state(*args, **kwargs)
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def weighted_total(values, sample_weight=None):
    """``(sum(values * weights), sum(weights))`` in float64, weights broadcast against ``values``.

    ``(samples,)`` weights apply to every value of a sample; a ``(samples, 1)`` weight
    column is squeezed to match ``(samples,)`` values; a single value (a metric that
    returns a batch mean) counts once per weight, as in tf.keras.

    Raises:
        ValueError: weights whose shape cannot broadcast to the values'.
    """
    values = np.asarray(_values(values), dtype=np.float64)
    if sample_weight is None:
        return float(values.sum()), float(values.size)
    weights = np.asarray(_values(sample_weight), dtype=np.float64)
    while weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if weights.ndim < values.ndim:
        weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    try:
        values, weights = np.broadcast_arrays(values, weights)
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {np.shape(sample_weight)} does not match values of shape "
            f"{values.shape}: expected one weight per sample, or one per value."
        ) from None
    return float((values * weights).sum()), float(weights.sum())


class Reduce(Metric):
    """A running weighted reduction of values: their ``'sum'`` or ``'weighted_mean'``.

    State: ``total`` (weighted sum) and ``count`` (sum of weights), kept in float64 so
    that long runs do not lose precision; ``result()`` is in the metric's dtype.
    """

    def __init__(self, reduction, name=None, dtype=None):
        if reduction not in ("sum", "weighted_mean"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'sum' or 'weighted_mean', got {reduction!r}.")
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total", dtype=np.float64)
        self.count = self.add_weight("count", dtype=np.float64)

    def update_state(self, values, sample_weight=None):
        total, count = weighted_total(values, sample_weight)
        self.total.data[...] += total
        self.count.data[...] += count

    def result(self):
        if self.reduction == "sum":
            value = float(self.total.data)
        else:
            count = float(self.count.data)
            value = float(self.total.data) / count if count else 0.0
        return K.Tensor(np.asarray(value, dtype=self.dtype))


class MeanMetricWrapper(Reduce):
    """A stateful metric from a function ``fn(y_true, y_pred, **kwargs) -> per-sample values``.

    The result is the weighted mean of every value returned since the last reset.

    Arguments:
        fn: the metric function (``binary_accuracy``, a loss, your own …).
        name, dtype: as for :class:`Metric` (``name`` defaults to ``fn.__name__``).
        **kwargs: passed to ``fn`` on every call (e.g. ``k=3``).

    Example:
        >>> m = MeanMetricWrapper(numkeras.metrics.top_k_categorical_accuracy, k=2)
        >>> m.update_state(y_true, y_pred)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__("weighted_mean", name=name or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        with K.no_tape():
            values = self.fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is MeanMetricWrapper:
            config["fn"] = namespace.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            return cls(namespace.get(config.pop("fn")), **config)
        return cls(**config)
