"""Saved models used by another process: predictions, resumed training, plugins, and a killed save.

Each test saves in one interpreter and loads in a fresh one (``subprocess``), so
nothing can leak through module state: the file alone carries the model.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from numkeras.models import load_model
from tests.helpers.distributions import install, write_distribution

from .helpers import (REPO_ROOT, TESTS_CORE, as_list, data, fit_args, functional_model, json_result, run_python,
                      sequential_model, subclassed_model)

CASES = {
    # name: (kind, builder, optimizer, how it is saved)
    "sequential_adam": ("sequential", sequential_model, "adam", "model"),
    "functional_rmsprop": ("functional", functional_model, "rmsprop", "model"),
    "sequential_sgd_without_optimizer": ("sequential", sequential_model, "sgd", "model_without_optimizer"),
    "subclassed_sgd_weights": ("subclassed", subclassed_model, "sgd", "weights"),
}

CHILD = """
import json, sys
import numpy as np
from numkeras.models import load_model
from saving.helpers import SubModel, as_list, fit_args, subclassed_model

cases = json.loads(sys.argv[1])
folder = sys.argv[2]
arrays = dict(np.load(f"{folder}/data.npz"))
report = {}
for name, (kind, optimizer, how) in cases.items():
    x, y = fit_args(kind, arrays)
    if how == "weights":
        model = subclassed_model(optimizer)
        model.predict(x)                                   # builds it
        model.load_weights(f"{folder}/{name}.h5")
    elif how == "model_without_optimizer":
        model = load_model(f"{folder}/{name}.h5", compile=False)
        model.compile(optimizer, "categorical_crossentropy", metrics=["acc"])
    else:
        model = load_model(f"{folder}/{name}.h5")         # compiled, optimizer state restored
    out = {f"pred{i}": p for i, p in enumerate(as_list(model.predict(x)))}
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)
    out.update({f"weight{i}": w for i, w in enumerate(model.get_weights())})
    np.savez(f"{folder}/{name}.out.npz", **out)
    report[name] = model.metrics_names
print(json.dumps(report))
"""


def test_round_trips_in_a_fresh_process(tmp_path):
    d = data()
    np.savez(tmp_path / "data.npz", **d)
    expected = {}
    for name, (kind, build, optimizer, how) in CASES.items():
        model = build(optimizer)
        x, y = fit_args(kind, d)
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
        if how == "weights":
            model.save_weights(tmp_path / f"{name}.h5")
        else:
            model.save(tmp_path / f"{name}.h5", include_optimizer=(how == "model"))
        predictions = as_list(model.predict(x))
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)  # uninterrupted training
        expected[name] = (predictions, model.get_weights(), model.metrics_names)
    cases = {name: [kind, optimizer, how] for name, (kind, _, optimizer, how) in CASES.items()}
    result = run_python(CHILD.replace("sys.argv[1]", repr(json.dumps(cases))).replace("sys.argv[2]", repr(str(tmp_path))))
    metrics_names = json_result(result)
    for name, (predictions, weights, names) in expected.items():
        out = np.load(tmp_path / f"{name}.out.npz")
        assert sorted(out.files) == sorted([f"pred{i}" for i in range(len(predictions))]
                                           + [f"weight{i}" for i in range(len(weights))]), name
        for i, prediction in enumerate(predictions):
            np.testing.assert_array_equal(out[f"pred{i}"], prediction, err_msg=f"{name}: predictions differ")
        for i, weight in enumerate(weights):
            np.testing.assert_array_equal(out[f"weight{i}"], weight, err_msg=f"{name}: resumed training differs")
        assert metrics_names[name] == names


# -- a plugin distribution -------------------------------------------------------------------------
PLUGIN_SOURCE = '''\
"""A third-party plugin: a layer and a loss, registered through entry points."""
import numpy as np

from numkeras import backend as K
from numkeras.layers import Layer


class ScaledDense(Layer):
    def __init__(self, units, scale=2.0, **kwargs):
        self.units = units
        self.scale = scale
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, inputs):
        return K.dot(inputs, self.kernel) * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


def quartic_loss(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 4, axis=-1)
'''

@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("saving_plugin")
    project = write_distribution(root, "nk-saving-plugin", "nk_saving_plugin", "3.1.4", PLUGIN_SOURCE, {
        "numkeras.layers": {"ScaledDense": "nk_saving_plugin:ScaledDense"},
        "numkeras.losses": {"quartic_loss": "nk_saving_plugin:quartic_loss"},
    })
    return install(root / "site", [project])


def _with_site(site):
    return {"PYTHONPATH": os.pathsep.join([str(site), str(TESTS_CORE)])}


SAVE_WITH_PLUGIN = """
import json, numpy as np, numkeras
from numkeras.models import Sequential
from numkeras.layers import Dense
rng = np.random.default_rng(0)
x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
model = Sequential([numkeras.layers.ScaledDense(3, scale=0.5, input_dim=4), Dense(2)])
model.compile("adam", loss="quartic_loss")
model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
model.save(PATH)
np.savez(PATH + ".npz", x=x, y=y, pred=model.predict(x))
model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
np.savez(PATH + ".trained.npz", *model.get_weights())
print(json.dumps("saved"))
"""

LOAD_AND_TRAIN = """
import json, numpy as np
from numkeras.models import load_model
model = load_model(PATH)
data = np.load(PATH + ".npz")
same = bool(np.array_equal(model.predict(data["x"]), data["pred"]))
model.fit(data["x"], data["y"], epochs=1, batch_size=8, verbose=0, shuffle=False)
trained = np.load(PATH + ".trained.npz")
weights = model.get_weights()
resumed = len(weights) == len(trained.files) > 0 and all(
    np.array_equal(a, trained[f"arr_{i}"]) for i, a in enumerate(weights))
print(json.dumps({"same": same, "resumed": resumed, "layer": type(model.layers[0]).__module__}))
"""

LOAD_WITHOUT_PLUGIN = """
import json
from numkeras.models import load_model
from numkeras.saving import MissingComponentError
try:
    load_model(PATH)
except MissingComponentError as error:
    print(json.dumps({"type": type(error).__name__, "message": str(error), "kind": error.kind,
                      "name": error.name, "provider": error.provider,
                      "missing": [[kind, name] for kind, name, _ in error.missing]}))
"""


def test_plugin_components_need_no_custom_objects_and_a_missing_plugin_is_named(tmp_path, plugin_site):
    path = repr(str(tmp_path / "plugin_model.h5"))
    json_result(run_python(SAVE_WITH_PLUGIN.replace("PATH", path), env=_with_site(plugin_site)))
    loaded = json_result(run_python(LOAD_AND_TRAIN.replace("PATH", path), env=_with_site(plugin_site)))
    assert loaded == {"same": True, "resumed": True, "layer": "nk_saving_plugin"}
    failure = json_result(run_python(LOAD_WITHOUT_PLUGIN.replace("PATH", path),
                                     env={"PYTHONPATH": str(TESTS_CORE)}))
    assert failure["type"] == "MissingComponentError"
    assert failure["kind"] == "layers" and failure["name"] == "ScaledDense"
    assert failure["provider"]["distribution"] == "nk-saving-plugin"
    assert "nk-saving-plugin 3.1.4" in failure["message"]
    assert "pip install nk-saving-plugin" in failure["message"]
    assert "custom_objects" in failure["message"]
    # Every missing component in the one message, not only the first one met.
    assert "2 components" in failure["message"]
    assert "'ScaledDense'" in failure["message"] and "'quartic_loss'" in failure["message"]
    assert failure["missing"] == [["layers", "ScaledDense"], ["losses", "quartic_loss"]]
    # `numkeras summary` says what is missing instead of failing.
    summary = run_python(f"import sys; from numkeras import cli; sys.exit(cli.main(['summary', {path}]))",
                         env={"PYTHONPATH": str(TESTS_CORE)})
    assert summary.returncode == 0, summary.stderr
    assert "needs 2 component(s)" in summary.stdout
    assert "ScaledDense" in summary.stdout and "quartic_loss" in summary.stdout
    assert "pip install nk-saving-plugin==3.1.4" in summary.stdout


# -- a save killed halfway -------------------------------------------------------------------------
SLOW_SAVE = """
import os, sys, time
import numpy as np
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.saving import hdf5

write_datasets = hdf5._write_datasets

def slow_write_datasets(group, datasets):
    write_datasets(group, datasets)
    open(MARKER, "w").close()      # the temporary file is half written by now
    time.sleep(60)

hdf5._write_datasets = slow_write_datasets
model = Sequential([Dense(64, input_dim=4), Dense(3)])
model.save(PATH)
"""


def test_killed_save_leaves_the_old_file_loadable(tmp_path):
    d = data()
    path = tmp_path / "model.h5"
    old = sequential_model()
    old.save(path)
    before = old.predict(d["x"])
    marker = tmp_path / "saving.marker"
    code = SLOW_SAVE.replace("MARKER", repr(str(marker))).replace("PATH", repr(str(path)))
    env = dict(os.environ, PYTHONPATH=str(TESTS_CORE))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=str(REPO_ROOT), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()[1].decode()
            assert time.monotonic() < deadline, "the child never started writing the file"
            time.sleep(0.05)
        temporary = [p.name for p in tmp_path.iterdir() if p.name.endswith(".numkeras-tmp")]
        assert temporary and temporary[0].startswith(".model.h5."), sorted(os.listdir(tmp_path))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    np.testing.assert_array_equal(load_model(path).predict(d["x"]), before)
