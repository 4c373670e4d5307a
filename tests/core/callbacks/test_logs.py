"""Log values are plain Python numbers, and epoch means are weighted by batch size (fit and BaseLogger alike)."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numkeras
from numkeras.callbacks.logs import EpochMeans, log_value


@pytest.mark.parametrize("value, expected", [
    (np.float32(0.25), 0.25), (np.array(1.5), 1.5), (np.array([[2.0]]), 2.0), (np.int64(3), 3),
    (True, True), (7, 7), (numkeras.backend.constant(0.5), 0.5), (np.array([1.0, 2.0, 6.0]), 3.0),
])
def test_log_value_is_a_plain_python_number(value, expected):
    result = log_value(value)
    assert result == expected and type(result) is type(expected)
    json.dumps({"value": result})


def test_log_value_leaves_what_is_not_numeric():
    assert log_value("a note") == "a note"


@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.integers(1, 64)), min_size=1, max_size=20))
def test_epoch_means_weight_each_batch_by_its_size(batches):
    means = EpochMeans()
    for value, size in batches:
        means.update({"batch": 0, "size": size, "loss": value}, size)
    values = np.array([v for v, _ in batches])
    sizes = np.array([s for _, s in batches])
    assert means.result() == {"loss": pytest.approx(float((values * sizes).sum() / sizes.sum()), abs=1e-9)}


def test_stateful_metrics_report_their_last_value():
    means = EpochMeans(stateful_names=["auc"])
    means.update({"loss": 1.0, "auc": 0.5}, 10)
    means.update({"loss": 3.0, "auc": np.float32(0.75)}, 30)
    assert means.result() == {"loss": 2.5, "auc": 0.75}


def test_base_logger_and_fit_give_the_same_epoch_means():
    numkeras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(25, 3)).astype("float32")  # batches of 10, 10 and 5
    y = x.sum(axis=1, keepdims=True)
    model = numkeras.Sequential([numkeras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    batch_logs, epoch_logs = [], {}

    class Keep(numkeras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            batch_logs.append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            epoch_logs.update(logs)

    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[Keep()])
    logger = numkeras.callbacks.BaseLogger()
    logger.set_params({"metrics": ["loss", "mae"]})
    logger.on_epoch_begin(0)
    for logs in batch_logs:
        logger.on_batch_end(logs["batch"], logs)
    replayed = {}
    logger.on_epoch_end(0, replayed)
    by_hand = {key: sum(b[key] * b["size"] for b in batch_logs) / 25 for key in ("loss", "mae")}
    assert replayed == pytest.approx(by_hand) and epoch_logs == pytest.approx(by_hand)
