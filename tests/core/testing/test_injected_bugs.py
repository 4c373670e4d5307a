"""The kit catches realistic plugin bugs, one injected at a time into copies of one plugin.

Each variant is a real distribution (pip-installed into a temporary ``--target``), so that
the checks that need entry points (the kind of an entry point, loading in a fresh
process) see exactly what a user's machine would. One subprocess runs the kit over the
clean plugin and every variant and reports each check's outcome as JSON; each test then
asserts that the check aimed at its bug fails, with a message that points at the bug,
and that the clean copy passes everything.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.helpers.distributions import install, write_distribution

# The clean plugin: a layer with one argument, a loss, a stateful metric.
CLEAN = textwrap.dedent('''
    import numpy as np
    import numkeras
    from numkeras import backend as K
    from numkeras.layers import Layer
    from numkeras.metrics import Metric


    class Scale(Layer):
        """y = factor * w * x, one trainable weight per feature."""

        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")
            super().build(input_shape)

        def call(self, inputs):
            return inputs * self.w * self.factor

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}


    def gap_loss(y_true, y_pred):
        return K.mean(K.square(y_true - y_pred), axis=-1)


    class Total(Metric):
        """The sum of y_pred over everything seen."""

        def __init__(self, name="total", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.total = self.add_weight("total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.data[...] += np.sum(np.asarray(y_pred, dtype=self.dtype))

        def result(self):
            return K.constant(self.total.data, dtype=self.dtype)
''')

# bug name -> (replacements in CLEAN, entry points, the component to check, the check that must
# fail, a fragment its message must contain).
BUGS = {
    "config_missing_argument": (
        [('"factor": self.factor}', '}')], None, ("layers", "Scale"), "check_config_round_trip", "factor missing"),
    "wrong_gradient": (
        [("return inputs * self.w * self.factor", "return HalfGradient().apply(inputs * self.w) * self.factor"),
         ("class Scale(Layer):", textwrap.dedent('''\
             class HalfGradient(numkeras.backend.Function):
                 """Identity whose hand-written backward halves the gradient: the bug."""
                 def forward(self, x):
                     return x
                 def backward(self, grad):
                     return (grad * 0.5,)


             class Scale(Layer):'''))],
        None, ("layers", "Scale"), "check_gradients", "differs from finite differences"),
    "float64_cast_to_float32": (
        [("return inputs * self.w * self.factor", "return K.cast(inputs * self.w, 'float32') * self.factor")],
        None, ("layers", "Scale"), "check_dtypes_and_shapes", "in float64; found float32"),
    "metric_does_not_reset": (
        [('self.total = self.add_weight("total")', 'self.total = K.Variable(np.zeros((), dtype=self.dtype))')],
        None, ("metrics", "Total"), "check_metric_accumulation", "reset_states()"),
    "compute_output_shape_disagrees": (
        [("return inputs * self.w * self.factor", "return K.concatenate([inputs, inputs * self.w], axis=-1)")],
        None, ("layers", "Scale"), "check_dtypes_and_shapes", "compute_output_shape"),
    "entry_point_of_the_wrong_kind": (
        [], {"numkeras.layers": {"gap_loss": "{package}:gap_loss"}}, ("layers", "gap_loss"),
        "check_registration", "expected a numkeras.layers.Layer subclass for group 'numkeras.layers'"),
    "mixes_samples_across_the_batch": (
        [("return inputs * self.w * self.factor", "return (inputs - K.mean(inputs, axis=0)) * self.w * self.factor")],
        None, ("layers", "Scale"), "check_batch_independence", "in a batch of 3 to equal its output alone"),
    "saved_model_needs_custom_objects": (
        # registered when the package is imported, not declared as an entry point: works in
        # the author's process, unknown to a fresh one.
        [("class Scale(Layer):", '@numkeras.layers.register("RuntimeScale")\nclass Scale(Layer):')],
        {"numkeras.losses": {"gap_loss": "{package}:gap_loss"}}, ("layers", "RuntimeScale"),
        "check_saving", "uses the layer 'RuntimeScale', which nothing registers"),
    "loss_mixes_samples": (
        [("return K.mean(K.square(y_true - y_pred), axis=-1)",
          "return K.mean(K.square(y_true - y_pred), axis=-1) * 0 + K.mean(K.square(y_true - y_pred))")],
        None, ("losses", "gap_loss"), "check_batch_independence", "alone"),
}

_RUNNER = textwrap.dedent('''
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import importlib
    from numkeras.testing import Component, run_checks
    report = {}
    for variant, package, kind, name in json.loads(sys.argv[1]):
        importlib.import_module(package)  # as the plugin's own test file would
        try:
            results = run_checks(Component(kind, name, input_shape=(3,)))
        except Exception as error:
            results = [["component", "fail", f"{type(error).__name__}: {error}"]]
        report.setdefault(variant, []).extend([name, *r] for r in results)
    print(json.dumps(report))
''')


def _package(variant):
    return f"nk_kit_{variant}"


def _default_entry_points(variant):
    package = _package(variant)
    layer_name = {"clean": "CleanScale"}.get(variant, f"Scale_{variant}")
    return {"numkeras.layers": {layer_name: f"{package}:Scale"},
            "numkeras.losses": {f"gap_loss_{variant}": f"{package}:gap_loss"},
            "numkeras.metrics": {f"Total_{variant}": f"{package}:Total"}}


def _targets(variant):
    if variant == "clean":
        return [("layers", "CleanScale"), ("losses", "gap_loss_clean"), ("metrics", "Total_clean")]
    kind, name = BUGS[variant][2]
    if variant in ("entry_point_of_the_wrong_kind", "saved_model_needs_custom_objects"):
        return [(kind, name)]
    return [(kind, {"Scale": f"Scale_{variant}", "gap_loss": f"gap_loss_{variant}",
                    "Total": f"Total_{variant}"}[name])]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit_bugs")
    projects, jobs = [], []
    for variant in ["clean", *BUGS]:
        source = CLEAN
        replacements, entry_points = ([], None) if variant == "clean" else BUGS[variant][:2]
        for old, new in replacements:
            assert old in source, (variant, old)
            source = source.replace(old, new)
        package = _package(variant)
        entry_points = ({group: {k: v.format(package=package) for k, v in names.items()}
                         for group, names in entry_points.items()} if entry_points
                        else _default_entry_points(variant))
        projects.append(write_distribution(root, f"nk-kit-{variant.replace('_', '-')}", package, "1.0",
                                           source, entry_points))
        jobs += [(variant, package, kind, name) for kind, name in _targets(variant)]
    site = install(root / "site", projects)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    result = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(jobs)], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_clean_plugin_passes_every_check(report):
    failures = [r for r in report["clean"] if r[2] == "fail"]
    assert not failures, failures
    assert {r[1] for r in report["clean"] if r[2] == "pass"} >= {
        "check_registration", "check_config_round_trip", "check_gradients", "check_dtypes_and_shapes",
        "check_batch_independence", "check_training", "check_saving", "check_metric_accumulation",
        "check_determinism"}


@pytest.mark.parametrize("variant", sorted(BUGS))
def test_the_kit_catches(report, variant):
    *_, (kind, name), check, fragment = BUGS[variant]
    results = {r[1]: r for r in report[variant]}
    assert check in results, f"{check} did not run for {variant}: {report[variant]}"
    _, _, status, message = results[check]
    assert status == "fail", f"{check} did not catch {variant}: {status}"
    assert check in message and fragment in message, message
