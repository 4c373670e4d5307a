"""BaseLogger, History, ProgbarLogger and TerminateOnNaN, through fit / evaluate / predict."""

import io
import itertools
import json
import re
import sys

import numpy as np
import pytest

import numkeras
from numkeras.callbacks import BaseLogger, History, ProgbarLogger, TerminateOnNaN
from numkeras.utils import generic_utils

from .conftest import tiny_model


class TTY(io.StringIO):
    def isatty(self):
        return True


# -- History ----------------------------------------------------------------------------------------
def test_history_records_python_floats_per_epoch(model, data):
    x, y = data
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(type(v) is float for values in history.history.values() for v in values)
    assert json.loads(json.dumps(history.history)) == history.history
    assert model.history is history


def test_history_converts_numpy_values():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": np.float32(0.5), "acc": np.array(0.25), "n": np.int64(3)})
    assert history.history == {"loss": [0.5], "acc": [0.25], "n": [3]}
    assert type(history.history["loss"][0]) is float and type(history.history["n"][0]) is int


# -- BaseLogger ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("stateful", [["auc"], ("auc",), np.array(["auc"])], ids=["list", "tuple", "array"])
def test_base_logger_epoch_means_are_sample_weighted_and_stateful_metrics_kept(stateful):
    assert ProgbarLogger(stateful_metrics=stateful).stateful_metrics == {"auc"}
    logger = BaseLogger(stateful_metrics=stateful)
    logger.set_params({"metrics": ["loss", "auc"]})
    logger.on_epoch_begin(0)
    logger.on_batch_end(0, {"batch": 0, "size": 3, "loss": 1.0, "auc": 0.2})
    logger.on_batch_end(1, {"batch": 1, "size": 1, "loss": 5.0, "auc": 0.9})
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs == {"loss": pytest.approx((3 * 1.0 + 1 * 5.0) / 4), "auc": 0.9}


def test_base_logger_agrees_with_fit_epoch_logs(model, data):
    x, y = data

    class Check(numkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.fit_logs = dict(logs)

    logger, check = BaseLogger(), Check()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False, callbacks=[check, logger])
    recomputed = {}
    logger.on_epoch_end(0, recomputed)
    assert recomputed == pytest.approx(check.fit_logs)


# -- TerminateOnNaN --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that makes the loss NaN
def test_terminate_on_nan_stops_after_the_first_nan_batch(data, capsys):
    x, y = data
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=1e30), metrics=())
    batches = []
    recorder = numkeras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(logs["loss"]))
    history = model.fit(x * 1e10, y * 1e10, epochs=5, batch_size=4, verbose=0,
                        callbacks=[TerminateOnNaN(), recorder])
    assert not np.isfinite(batches[-1]) and all(np.isfinite(batches[:-1]))
    assert len(batches) < 10 and len(history.epoch) == 1
    assert "Invalid loss, terminating training" in capsys.readouterr().out


# -- ProgbarLogger ----------------------------------------------------------------------------------------
def test_progbar_logger_rejects_unknown_count_mode():
    with pytest.raises(ValueError, match="count_mode"):
        ProgbarLogger(count_mode="batches")


BAR_LINE = re.compile(r"^40/40 \[=+\] - \d+s \d+[mu]?s/sample - loss: \d\.\d{4} - mae: \d\.\d{4}$")


def test_fit_verbose_1_in_a_pipe_prints_one_finished_bar_per_epoch(model, data, capsys):
    x, y = data
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out
    lines = out.splitlines()
    assert lines[0] == "Train on 40 samples"
    assert lines[1] == "Epoch 1/2" and lines[3] == "Epoch 2/2" and len(lines) == 5
    assert BAR_LINE.match(lines[2]) and BAR_LINE.match(lines[4]), lines
    # the finished line shows the epoch's logs, i.e. what History recorded
    assert lines[4].endswith("loss: %.4f - mae: %.4f" % (history.history["loss"][1], history.history["mae"][1]))


def test_fit_verbose_1_on_a_terminal_redraws_the_bar(model, data, monkeypatch):
    x, y = data
    terminal = TTY()
    monkeypatch.setattr(sys, "stdout", terminal)
    clock = itertools.count(1000.0, 1.0)  # one second per reading: every batch redraws the bar
    monkeypatch.setattr(generic_utils, "_now", lambda: next(clock))
    model.fit(x, y, epochs=1, batch_size=4, verbose=1, validation_data=(x, y))
    out = terminal.getvalue()
    frames = out.split("\r")
    assert len(frames) >= 10, out  # one redraw per batch (10 batches)
    assert re.search(r"\r 4/40 \[==>\.{27}\] - ETA: \d+s - loss: \d\.\d{4} - mae: \d\.\d{4} *\r", out), out
    assert frames[-1].startswith("40/40 [==============================]") and "val_loss: " in frames[-1]
    assert frames[-1].endswith("\n")


def test_fit_verbose_2_prints_one_line_per_epoch(model, data, capsys):
    x, y = data
    model.fit(x, y, epochs=2, batch_size=8, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Train on 40 samples, validate on 40 samples"
    assert lines[1::2] == ["Epoch 1/2", "Epoch 2/2"]
    for line in lines[2::2]:
        assert re.match(r"^ - \d+s - loss: \d\.\d{4} - mae: \d\.\d{4} - val_loss: \d\.\d{4} - val_mae: \d\.\d{4}$",
                        line), line


def test_fit_verbose_0_prints_nothing(model, data, capsys):
    model.fit(*data, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_verbose_1_shows_a_bar_and_predict_too(model, data, capsys):
    x, y = data
    loss, mae = model.evaluate(x, y, batch_size=10, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert re.match(r"^4/4 \[=+\] - \d+s \d+[mu]?s/step - loss: %.4f - mae: %.4f$" % (loss, mae), lines[0]), lines
    model.predict(x, batch_size=10, verbose=1)
    assert re.match(r"^4/4 \[=+\] - \d+s \d+[mu]?s/step$", capsys.readouterr().out.strip())
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_logger_counts_samples_or_steps_and_shows_stateful_values_as_is(capsys):
    for count_mode, target in (("samples", 10), ("steps", 3)):
        logger = ProgbarLogger(count_mode=count_mode, stateful_metrics=["auc"])
        logger.set_params({"epochs": 1, "steps": 3, "samples": 10, "verbose": 2, "metrics": ["loss", "auc"]})
        logger.on_train_begin()
        logger.on_epoch_begin(0)
        for batch, (size, loss, auc) in enumerate([(4, 1.0, 0.1), (4, 2.0, 0.2), (2, 3.0, 0.7)]):
            logger.on_batch_begin(batch, {"batch": batch, "size": size})
            logger.on_batch_end(batch, {"batch": batch, "size": size, "loss": loss, "auc": auc})
        assert logger.seen == target
        logger.on_epoch_end(0, {"loss": 1.8, "auc": 0.7})
        logger.on_train_end()
        assert capsys.readouterr().out.splitlines()[-1].endswith(" - loss: 1.8000 - auc: 0.7000")
