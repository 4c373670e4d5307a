"""EarlyStopping: stops at exactly the right epoch for scripted values, restores the best weights."""

import numpy as np
import pytest

import numkeras
from numkeras.callbacks import EarlyStopping

from .conftest import ScriptedLogs

VAL_LOSS = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79]


class WeightsPerEpoch(numkeras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _fit(model, data, values, stopper, epochs=10, key="val_loss", extra=()):
    x, y = data
    return model.fit(x, y, epochs=epochs, batch_size=10, verbose=0,
                     callbacks=[ScriptedLogs(key, values), *extra, stopper])


@pytest.mark.parametrize("patience, epochs_run", [(0, 3), (1, 3), (2, 4), (3, 8), (6, 10)])
def test_stops_after_patience_epochs_without_improvement(model, data, patience, epochs_run):
    # Keras 2.2 counts the non-improving epoch before comparing with patience, so 0 and 1 agree.
    stopper = EarlyStopping(patience=patience)
    history = _fit(model, data, VAL_LOSS, stopper)
    assert len(history.epoch) == epochs_run
    assert stopper.stopped_epoch == (epochs_run - 1 if epochs_run < 10 else 0)


def test_min_delta_requires_a_large_enough_improvement(model, data):
    # 0.8 -> 0.79 -> 0.78: improvements of 0.01 do not count with min_delta=0.05
    stopper = EarlyStopping(min_delta=0.05, patience=2)
    history = _fit(model, data, [1.0, 0.8, 0.79, 0.78, 0.5, 0.4], stopper)
    assert len(history.epoch) == 4 and stopper.best == pytest.approx(0.8)
    history = _fit(model, data, [1.0, 0.8, 0.79, 0.78, 0.5, 0.4], EarlyStopping(min_delta=0.001, patience=2),
                   epochs=6)
    assert len(history.epoch) == 6


def test_max_mode_and_auto_mode_for_accuracies(model, data):
    values = [0.5, 0.6, 0.55, 0.58, 0.9]
    for mode in ("max", "auto"):
        stopper = EarlyStopping(monitor="val_acc", mode=mode, patience=2)
        history = _fit(model, data, values, stopper, key="val_acc")
        assert len(history.epoch) == 4 and stopper.best == pytest.approx(0.6)
    history = _fit(model, data, values, EarlyStopping(monitor="val_acc", mode="min", patience=2), key="val_acc")
    assert len(history.epoch) == 3


def test_baseline_must_be_beaten(model, data):
    stopper = EarlyStopping(baseline=0.5, patience=2)
    history = _fit(model, data, [0.9, 0.8, 0.7, 0.1], stopper)
    assert len(history.epoch) == 2  # never beat 0.5 within 2 epochs


def test_restore_best_weights_restores_the_best_epoch(model, data):
    recorder = WeightsPerEpoch()
    stopper = EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
    history = _fit(model, data, VAL_LOSS, stopper, extra=[recorder])
    assert len(history.epoch) == 8
    best = recorder.weights[4]  # val_loss 0.7 at epoch index 4
    for restored, expected, last in zip(model.get_weights(), best, recorder.weights[-1]):
        np.testing.assert_array_equal(restored, expected)
    assert any(not np.array_equal(a, b) for a, b in zip(best, recorder.weights[-1]))


def test_without_restore_the_last_weights_stay(model, data):
    recorder = WeightsPerEpoch()
    _fit(model, data, VAL_LOSS, EarlyStopping(patience=2), extra=[recorder])
    for current, last in zip(model.get_weights(), recorder.weights[-1]):
        np.testing.assert_array_equal(current, last)


def test_missing_monitor_warns_and_keeps_training(model, data):
    x, y = data
    with pytest.warns(RuntimeWarning, match="val_loss.*not available.*loss"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    assert len(history.epoch) == 2


def test_verbose_prints_the_stopping_epoch(model, data, capsys):
    _fit(model, data, VAL_LOSS, EarlyStopping(patience=0, verbose=1))
    assert "Epoch 00003: early stopping" in capsys.readouterr().out


def test_state_resets_between_fits(model, data):
    stopper = EarlyStopping(patience=0)
    _fit(model, data, VAL_LOSS, stopper)
    history = _fit(model, data, [5.0, 4.0, 3.0], stopper, epochs=3)
    assert len(history.epoch) == 3 and stopper.stopped_epoch == 0
