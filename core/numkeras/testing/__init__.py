"""The plugin conformance kit, and the gradient checker and layer test it is built on.

A plugin's test file is a few lines::

    from numkeras.testing import parametrize_with_checks

    @parametrize_with_checks([("losses", "focal_loss"), ("layers", "Scale", {"input_shape": (3,)})])
    def test_conformance(component, check):
        check(component)

or one call, ``check_component("layers", "Scale")``, which raises an AssertionError
naming each failing check, the component, what was expected and what was found. Each
check is also a public function of its own (``check_gradients("losses", "focal_loss")``),
whose docstring says what it proves. docs/plugins.md lists them with how to fix a failure.

Also here: the gradient checker, :mod:`numkeras.testing.gradcheck`
(``gradcheck.check_gradients(fn, *inputs)`` and :func:`check_layer_gradients`: float64
finite differences against the tape) and :func:`layer_test` (build, call, round-trip the
config, run in a functional model, check gradients). Keras 2.2's own helpers, with
Keras 2.2's signatures, are in :mod:`numkeras.utils.test_utils`.
"""

from .checks import (
    check_batch_independence, check_config_round_trip, check_determinism, check_dtypes_and_shapes,
    check_gradients, check_masking, check_registration,
)
from .component import Component
from .errors import CheckSkipped, ConformanceError
from . import gradcheck
from .gradcheck import check_layer_gradients, float64, random_array
from .kit import ConformanceFailures, applicable_checks, check_component, parametrize_with_checks, run_checks
from .layer_test import check_weight_gradients, layer_test
from .model_checks import check_callback_hooks, check_metric_accumulation, check_saving, check_training

__all__ = [
    "check_component", "parametrize_with_checks", "run_checks", "applicable_checks", "Component",
    "ConformanceError", "ConformanceFailures", "CheckSkipped",
    "check_registration", "check_config_round_trip", "check_gradients", "check_dtypes_and_shapes",
    "check_batch_independence", "check_masking", "check_training", "check_saving", "check_metric_accumulation",
    "check_callback_hooks", "check_determinism",
    "gradcheck", "check_layer_gradients", "check_weight_gradients", "float64", "random_array", "layer_test",
]
