"""numkeras.metrics — the stateful ``Metric`` protocol and every registered metric."""

from ..registry import Namespace
from .base import MeanMetricWrapper, Metric

_namespace = Namespace("metrics")
_namespace.bind(globals())

__all__ = ["Metric", "MeanMetricWrapper", "get", "serialize", "deserialize", "register"]
