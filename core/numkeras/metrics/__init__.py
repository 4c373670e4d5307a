"""numkeras.metrics — the stateful ``Metric`` protocol and every registered metric."""

from .base import MeanMetricWrapper, Metric, namespace as _namespace

_namespace.bind(globals())

__all__ = ["Metric", "MeanMetricWrapper", "get", "serialize", "deserialize", "register"]
