"""Models and data shared by the saving tests (and imported by their subprocesses)."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np

from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
TESTS_CORE = REPO_ROOT / "tests" / "core"
DATA = REPO_ROOT / "tests" / "data"


def data(seed=0, n=12):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    xb = rng.normal(size=(n, 4)).astype("float32")
    y_class = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    y_bin = rng.integers(0, 2, (n, 1)).astype("float32")
    y_reg = rng.normal(size=(n, 2)).astype("float32")
    return {"x": x, "xb": xb, "y_class": y_class, "y_bin": y_bin, "y_reg": y_reg}


def sequential_model(optimizer="adam"):
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(3, activation="softmax")], name="seq")
    model.compile(optimizer, "categorical_crossentropy", metrics=["acc"])
    return model


def functional_model(optimizer="rmsprop"):
    """Two inputs, two outputs, a shared layer and a nested model."""
    a = Input(shape=(4,), name="in_a")
    b = Input(shape=(4,), name="in_b")
    shared = Dense(6, activation="tanh", name="shared")
    inner_input = Input(shape=(6,), name="inner_in")
    inner = Model(inner_input, Dense(5, activation="relu", name="inner_dense")(inner_input), name="inner")
    out1 = Dense(1, activation="sigmoid", name="out1")(inner(shared(a)))
    out2 = Dense(2, name="out2")(shared(b))
    model = Model([a, b], [out1, out2], name="multi")
    model.compile(optimizer, loss={"out1": "binary_crossentropy", "out2": "mse"}, loss_weights=[1.0, 0.5],
                  metrics={"out1": ["acc"]})
    return model


class SubModel(Model):
    """A subclassed model: only its weights can be saved."""

    def __init__(self):
        super().__init__(name="sub")
        self.hidden = Dense(5, activation="relu", name="hidden")
        self.head = Dense(2, name="head")

    def call(self, inputs):
        return self.head(self.hidden(inputs))


def subclassed_model(optimizer="sgd"):
    model = SubModel()
    model.compile(optimizer, "mse")
    return model


def fit_args(kind, d):
    """``(x, y)`` for ``fit`` / ``predict`` of each model kind."""
    if kind == "sequential":
        return d["x"], d["y_class"]
    if kind == "functional":
        return [d["x"], d["xb"]], [d["y_bin"], d["y_reg"]]
    return d["x"], d["y_reg"]


def as_list(predictions):
    return predictions if isinstance(predictions, list) else [predictions]


def run_python(code, env=None, timeout=240):
    """Runs ``code`` in a fresh interpreter (repo root as cwd, tests/core importable)."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS_CORE)] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else []))
    environment.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, cwd=str(REPO_ROOT), timeout=timeout)


def json_result(result):
    assert result.returncode == 0, f"subprocess failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])
