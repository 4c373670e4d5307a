"""Third-party plugin distributions: installed with pip, found through entry points, used by name.

Each test writes throwaway distributions (their own ``pyproject.toml`` with entry
points, exactly as a third party would), installs them with
``pip install --no-deps --no-build-isolation --target <site>``, and runs a fresh
Python subprocess with ``PYTHONPATH=<site>`` so that the registries discover them
from scratch. Runtime registration (``numkeras.losses.register``) is tested in-process.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense
from numkeras.models import Sequential
from tests.helpers.distributions import install, write_distribution

DEMO_PLUGIN = '''\
"""A third-party numkeras plugin: a loss, a metric and a layer."""
import numpy as np

import numkeras
from numkeras import backend as K
from numkeras.layers import Layer


def focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25):
    """Binary focal loss, written with plain NumPy functions (differentiable through numkeras)."""
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    loss = -(alpha * y_true * (1 - p) ** gamma * np.log(p)
             + (1 - alpha) * (1 - y_true) * p ** gamma * np.log(1 - p))
    return np.mean(loss, axis=-1)


def my_metric(y_true, y_pred):
    """Mean absolute gap between target and prediction, times 10."""
    return 10.0 * K.mean(K.abs(y_true - y_pred), axis=-1)


class MyLayer(Layer):
    """x @ kernel * scale, with a trainable kernel and a fixed scale."""

    def __init__(self, units, scale=2.0, **kwargs):
        self.units = units
        self.scale = scale
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        return K.dot(inputs, self.kernel) * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, scale=self.scale)
        return config
'''

TRACKER_PLUGIN = '''\
"""A hook plugin: records every fit it sees (an experiment tracker would do the same)."""
import json
import os

from numkeras.hooks import hookimpl

EVENTS = []


@hookimpl
def on_epoch_end(model, epoch, logs):
    EVENTS.append(["epoch_end", epoch, round(float(logs["loss"]), 6)])


@hookimpl
def on_train_end(model, logs):
    EVENTS.append(["train_end"])
    with open(os.environ["TRACKER_LOG"], "w") as handle:
        json.dump(EVENTS, handle)
'''

BROKEN_PLUGIN = '''\
"""A plugin whose dependency is missing."""
raise ImportError("No module named 'tensorflow_addons' (needed by nk-broken-plugin)")
'''

CLASH_PLUGIN = '''\
def shared_loss(y_true, y_pred):
    return 0.0 * y_pred.sum(axis=-1) + {value}
'''

DISTRIBUTIONS = {
    "nk-demo-plugin": ("nk_demo_plugin", "1.2.3", DEMO_PLUGIN, {
        "numkeras.losses": {"focal_loss": "nk_demo_plugin:focal_loss"},
        "numkeras.metrics": {"my_metric": "nk_demo_plugin:my_metric"},
        "numkeras.layers": {"MyLayer": "nk_demo_plugin:MyLayer"},
    }),
    "nk-tracker-plugin": ("nk_tracker_plugin", "0.1", TRACKER_PLUGIN, {
        "numkeras.plugins": {"tracker": "nk_tracker_plugin"},
    }),
    "nk-broken-plugin": ("nk_broken_plugin", "0.4", BROKEN_PLUGIN, {
        "numkeras.losses": {"broken_loss": "nk_broken_plugin:broken_loss"},
        "numkeras.layers": {"BrokenLayer": "nk_broken_plugin:BrokenLayer"},
    }),
    "nk-broken-hooks": ("nk_broken_hooks", "0.5", BROKEN_PLUGIN, {
        "numkeras.plugins": {"broken_tracker": "nk_broken_hooks"},
    }),
    "nk-clash-a": ("nk_clash_a", "1.0", CLASH_PLUGIN.format(value=1.0), {
        "numkeras.losses": {"shared_loss": "nk_clash_a:shared_loss"},
    }),
    "nk-clash-b": ("nk_clash_b", "2.0", CLASH_PLUGIN.format(value=2.0), {
        "numkeras.losses": {"shared_loss": "nk_clash_b:shared_loss"},
    }),
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """Every throwaway distribution, pip-installed into one ``--target`` directory."""
    root = tmp_path_factory.mktemp("plugins")
    projects = [write_distribution(root, name, *spec) for name, spec in DISTRIBUTIONS.items()]
    site = install(root / "site", projects)
    for name in DISTRIBUTIONS:
        assert list(site.glob(name.replace("-", "_") + "-*.dist-info")), f"{name} was not installed"
    return site


def run_fresh(site, code, **env_overrides):
    """Runs ``code`` in a fresh interpreter that sees the plugins in ``site``; returns the result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(site)
    env.pop(numkeras.registry.STRICT_ENV, None)
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300)


def _json_result(result):
    assert result.returncode == 0, f"subprocess failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- components by name -----------------------------------------------------------------------

TRAIN_WITH_PLUGIN = """
import json
import numpy as np
import numkeras
from numkeras import backend as K
from numkeras.layers import Activation
from numkeras.models import Sequential
from numkeras.optimizers import SGD

K.set_floatx("float64")  # so that the finite-difference gradient below is accurate
numkeras.utils.set_random_seed(3)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3))
y = (x @ np.array([[1.0], [-2.0], [0.5]]) > 0).astype("float64")

model = Sequential([numkeras.layers.MyLayer(1, scale=0.5, input_shape=(3,)), Activation("sigmoid")])
model.compile(optimizer=SGD(lr=0.5), loss="focal_loss", metrics=["my_metric"])

# 1. The plugin's loss and metric give the numbers their NumPy formulas give.
prediction = model.predict(x)
p = np.clip(prediction, 1e-7, 1 - 1e-7)
focal = -(0.25 * y * (1 - p) ** 2 * np.log(p) + 0.75 * (1 - y) * p ** 2 * np.log(1 - p))
loss, metric = model.evaluate(x, y, batch_size=64, verbose=0)

# 2. One SGD step on the plugin layer's kernel equals a finite-difference gradient step.
kernel = model.get_weights()[0]
gradient = np.zeros_like(kernel)
for i in range(kernel.shape[0]):
    for sign in (1, -1):
        shifted = kernel.copy()
        shifted[i, 0] += sign * 1e-6
        model.set_weights([shifted])
        gradient[i, 0] += sign * model.evaluate(x, y, batch_size=64, verbose=0)[0] / 2e-6
model.set_weights([kernel])
model.train_on_batch(x, y)
step_error = float(np.abs(model.get_weights()[0] - (kernel - 0.5 * gradient)).max())

# 3. fit uses them by name; the loss goes down.
history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)

registry = numkeras.registry.registry("losses")
print(json.dumps({
    "loss": float(loss), "expected_loss": float(focal.mean()),
    "metric": float(metric), "expected_metric": float(10 * np.abs(y - prediction).mean()),
    "step_error": step_error, "gradient_norm": float(np.abs(gradient).max()),
    "history": history.history,
    "layer_class": type(model.layers[0]).__module__ + "." + type(model.layers[0]).__name__,
    "loss_attribute": numkeras.losses.focal_loss.__module__,
    "provider": [registry.provider("focal_loss").distribution, registry.provider("focal_loss").version],
    "in_names": "focal_loss" in registry.names() and "MyLayer" in dir(numkeras.layers),
}))
"""


def test_plugin_components_are_used_by_name_in_compile_and_fit(plugin_site):
    result = _json_result(run_fresh(plugin_site, TRAIN_WITH_PLUGIN))
    assert result["loss"] == pytest.approx(result["expected_loss"], rel=1e-9)
    assert result["metric"] == pytest.approx(result["expected_metric"], rel=1e-9)
    assert result["gradient_norm"] > 1e-3
    assert result["step_error"] < 1e-6
    losses = result["history"]["loss"]
    assert set(result["history"]) == {"loss", "my_metric"}
    assert losses[-1] < losses[0]
    assert result["layer_class"] == "nk_demo_plugin.MyLayer"
    assert result["loss_attribute"] == "nk_demo_plugin"
    assert result["provider"] == ["nk-demo-plugin", "1.2.3"]
    assert result["in_names"]


def test_hook_plugin_sees_every_fit(plugin_site, tmp_path):
    log = tmp_path / "tracker.json"
    code = """
        import warnings
        import numpy as np
        from numkeras.layers import Dense
        from numkeras.models import Sequential
        warnings.simplefilter("ignore")  # nk-broken-hooks is installed too; tested below
        model = Sequential([Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
    """
    result = run_fresh(plugin_site, code, NUMKERAS_DISABLE_PLUGIN_AUTOLOAD=None, TRACKER_LOG=str(log))
    assert result.returncode == 0, result.stderr
    events = json.loads(log.read_text())
    assert [e[:2] for e in events] == [["epoch_end", 0], ["epoch_end", 1], ["train_end"]]


def test_hook_plugins_are_not_loaded_when_autoload_is_disabled(plugin_site, tmp_path):
    log = tmp_path / "tracker.json"
    code = """
        import numpy as np
        import numkeras
        from numkeras.layers import Dense
        model = numkeras.Sequential([Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=0)
        print(sorted(name for name, _ in numkeras.hooks.plugin_manager().list_name_plugin()))
    """
    result = run_fresh(plugin_site, code, NUMKERAS_DISABLE_PLUGIN_AUTOLOAD="1", TRACKER_LOG=str(log))
    assert result.returncode == 0, result.stderr
    assert not log.exists()
    assert "tracker" not in result.stdout


# -- broken plugins ----------------------------------------------------------------------------

BROKEN = """
import json
import warnings
import numpy as np
import numkeras
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.registry import PluginLoadError, PluginLoadWarning

out = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        numkeras.losses.get("broken_loss")
    except PluginLoadError as error:
        out["error"] = str(error)
        out["is_import_error"] = isinstance(error, ImportError)
    try:
        numkeras.layers.BrokenLayer
    except PluginLoadError as error:
        out["layer_error"] = str(error)
out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, PluginLoadWarning)]
out["failures"] = {name: [p.distribution, reason]
                   for name, (p, reason) in numkeras.registry.registry("losses").failures().items()}

# Everything else still works: built-ins and the other plugin's components.
model = Sequential([numkeras.layers.MyLayer(4, input_shape=(3,)), Dense(1, activation="sigmoid")])
model.compile("adam", loss="focal_loss", metrics=["my_metric", "mae"])
history = model.fit(np.ones((16, 3)), np.ones((16, 1)), epochs=2, verbose=0)
out["history_keys"] = sorted(history.history)
out["mse"] = float(numkeras.losses.get("mse")(np.zeros((1, 2)), np.ones((1, 2))).data[0])
print(json.dumps(out))
"""


def test_broken_plugin_is_reported_and_everything_else_works(plugin_site):
    out = _json_result(run_fresh(plugin_site, BROKEN))
    for message in (out["error"], out["warnings"][0]):
        assert "nk-broken-plugin" in message
        assert "broken_loss = nk_broken_plugin:broken_loss" in message
        assert "tensorflow_addons" in message
    assert out["is_import_error"]
    assert "BrokenLayer = nk_broken_plugin:BrokenLayer" in out["layer_error"]
    assert len(out["warnings"]) == 2
    assert out["failures"]["broken_loss"][0] == "nk-broken-plugin"
    assert "ImportError" in out["failures"]["broken_loss"][1]
    assert out["history_keys"] == ["loss", "mae", "my_metric"]
    assert out["mse"] == 1.0


def test_broken_plugin_is_an_error_in_strict_mode(plugin_site):
    code = """
        import warnings
        import numkeras
        from numkeras.registry import PluginLoadError, PluginLoadWarning
        warnings.simplefilter("error", PluginLoadWarning)  # strict mode raises instead of warning
        try:
            numkeras.losses.get("broken_loss")
        except PluginLoadError as error:
            print("ERROR:", error)
        numkeras.losses.get("mse")
    """
    result = run_fresh(plugin_site, code, NUMKERAS_STRICT_PLUGINS="1")
    assert result.returncode == 0, result.stderr
    assert "ERROR:" in result.stdout and "nk-broken-plugin" in result.stdout


def test_numkeras_plugins_lists_every_failure_in_strict_mode_and_exits_1(plugin_site):
    code = """
        import sys
        from numkeras import cli
        status = cli.main(["plugins"])
        print("STATUS", status)
    """
    relaxed = run_fresh(plugin_site, code)
    strict = run_fresh(plugin_site, code, NUMKERAS_STRICT_PLUGINS="1")
    assert "STATUS 0" in relaxed.stdout, relaxed.stderr
    assert "STATUS 1" in strict.stdout, strict.stderr
    for result in (relaxed, strict):
        failures = result.stdout.split("failed to load (", 1)[1]
        # both broken components are listed: strict mode no longer stops at the first
        assert "BrokenLayer" in failures and "broken_loss" in failures, result.stdout
        assert "nk_demo_plugin" in result.stdout  # and the working ones are listed too


def test_broken_plugin_fails_load_all_in_strict_mode_only(plugin_site):
    code = """
        import warnings
        import numkeras
        warnings.simplefilter("ignore")
        numkeras.registry.registry("losses").load_all()
        print("loaded")
    """
    assert "loaded" in run_fresh(plugin_site, code).stdout
    strict = run_fresh(plugin_site, code, NUMKERAS_STRICT_PLUGINS="1")
    assert strict.returncode != 0
    assert "PluginLoadError" in strict.stderr and "nk-broken-plugin" in strict.stderr


def test_broken_hook_plugin_warns_and_training_goes_on(plugin_site, tmp_path):
    code = """
        import warnings
        import numpy as np
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import numkeras
            from numkeras.layers import Dense  # the first lookup loads the hook plugins
            model = numkeras.Sequential([Dense(1, input_shape=(2,))])
            model.compile("sgd", "mse")
            model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=0)
        for w in caught:
            print("WARNING:", w.category.__name__, w.message)
        print("trained")
    """
    env = dict(NUMKERAS_DISABLE_PLUGIN_AUTOLOAD=None, TRACKER_LOG=str(tmp_path / "log.json"))
    result = run_fresh(plugin_site, code, **env)
    assert result.returncode == 0, result.stderr
    assert "trained" in result.stdout
    warning = [line for line in result.stdout.splitlines() if "nk-broken-hooks" in line]
    assert warning and "PluginLoadWarning" in warning[0]
    assert "broken_tracker = nk_broken_hooks" in warning[0]
    strict = run_fresh(plugin_site, code, NUMKERAS_STRICT_PLUGINS="1", **env)
    assert strict.returncode != 0
    assert "PluginLoadError" in strict.stderr and "nk-broken-hooks" in strict.stderr


# -- two distributions, one name ----------------------------------------------------------------

def test_two_distributions_claiming_one_name_is_an_error_until_one_is_chosen(plugin_site):
    code = """
        import json
        import numpy as np
        import numkeras
        from numkeras.registry import ComponentConflictError
        out = {}
        try:
            numkeras.losses.get("shared_loss")
        except ComponentConflictError as error:
            out["error"] = str(error)
        numkeras.losses.choose("shared_loss", "nk-clash-b")
        loss = numkeras.losses.get("shared_loss")
        out["chosen"] = float(np.asarray(loss(np.zeros((1, 2)), np.zeros((1, 2)))).ravel()[0])
        out["module"] = loss.__module__
        numkeras.losses.choose("shared_loss", "nk-clash-a")
        out["rechosen"] = numkeras.losses.get("shared_loss").__module__
        print(json.dumps(out))
    """
    out = _json_result(run_fresh(plugin_site, code))
    assert "nk-clash-a" in out["error"] and "nk-clash-b" in out["error"]
    assert "shared_loss" in out["error"] and "choose" in out["error"]
    assert out["chosen"] == 2.0 and out["module"] == "nk_clash_b"
    assert out["rechosen"] == "nk_clash_a"


# -- runtime registration --------------------------------------------------------------------------

def _binary_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def test_register_as_decorator_then_compile_by_name():
    calls = []

    @numkeras.losses.register("focal_loss")
    def focal_loss(y_true, y_pred):
        calls.append(1)
        p = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return np.mean(-(y_true * (1 - p) ** 2 * np.log(p) + (1 - y_true) * p ** 2 * np.log(1 - p)), axis=-1)

    try:
        assert numkeras.losses.get("focal_loss") is focal_loss
        x, y = _binary_data()
        model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
        model.compile(optimizer="sgd", loss="focal_loss")
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
        assert calls and len(history.history["loss"]) == 3
        assert history.history["loss"][-1] < history.history["loss"][0]
        provider = numkeras.registry.registry("losses").provider("focal_loss")
        assert provider.distribution is None and provider.module == __name__
    finally:
        numkeras.registry.registry("losses").unregister("focal_loss")
    with pytest.raises(ValueError, match="focal_loss"):
        numkeras.losses.get("focal_loss")


def test_register_as_a_call_for_losses_and_metrics():
    def double_mse(y_true, y_pred):
        return 2.0 * np.mean(np.square(y_pred - y_true), axis=-1)

    def mean_prediction(y_true, y_pred):
        return numkeras.backend.mean(y_pred)

    assert numkeras.losses.register("double_mse", double_mse) is double_mse
    numkeras.metrics.register("mean_prediction", mean_prediction)
    try:
        x, y = _binary_data()
        model = Sequential([Dense(1, input_shape=(4,))])
        model.compile(optimizer="sgd", loss="double_mse", metrics=["mean_prediction", "mse"])
        loss, mean_pred, mse = model.evaluate(x, y, batch_size=32, verbose=0)
        prediction = model.predict(x)
        assert loss == pytest.approx(2 * np.mean((prediction - y) ** 2), rel=1e-5)
        assert mse == pytest.approx(loss / 2, rel=1e-5)
        assert mean_pred == pytest.approx(prediction.mean(), rel=1e-5, abs=1e-6)
        assert model.metrics_names == ["loss", "mean_prediction", "mse"]
    finally:
        numkeras.registry.registry("losses").unregister("double_mse")
        numkeras.registry.registry("metrics").unregister("mean_prediction")


def test_unknown_name_lists_close_matches_and_the_entry_point_group():
    with pytest.raises(ValueError) as info:
        numkeras.losses.get("focal_los")
    message = str(info.value)
    assert "numkeras.losses" in message and "register" in message
    with pytest.raises(ValueError, match="mean_squared_error"):
        numkeras.losses.get("mean_squared_eror")
