"""Fixtures for the callback tests: a tiny regression model and its data."""

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense


def tiny_model(optimizer="sgd", metrics=("mae",)):
    """Dense(4, relu) -> Dense(1) on 3 features, compiled with mse."""
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile(optimizer, "mse", metrics=list(metrics))
    return model


@pytest.fixture
def model():
    return tiny_model()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    return x, y


class ScriptedLogs(numkeras.callbacks.Callback):
    """Overwrites ``logs[key]`` at each epoch end with the next scripted value (put it first)."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])
