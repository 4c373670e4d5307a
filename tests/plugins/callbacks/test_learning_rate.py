"""LearningRateScheduler and ReduceLROnPlateau change the optimizer's lr at the right epochs."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.callbacks import LambdaCallback, LearningRateScheduler, ReduceLROnPlateau

from .conftest import ScriptedLogs, tiny_model


def _lr_at_epoch_begin(store):
    return LambdaCallback(on_epoch_begin=lambda epoch, logs: store.append(float(K.get_value(store.model.optimizer.lr))))


class LrRecorder(numkeras.callbacks.Callback):
    """The optimizer's lr as seen by the first training batch of each epoch."""

    def on_train_begin(self, logs=None):
        self.rates = []

    def on_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.rates.append(float(K.get_value(self.model.optimizer.lr)))


# -- LearningRateScheduler --------------------------------------------------------------------------
def test_schedule_of_epoch_sets_the_rate_used_by_each_epoch(data):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    recorder = LrRecorder()
    model.fit(*data, epochs=4, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.01 * 0.5 ** epoch),
                                                     recorder])
    assert recorder.rates == pytest.approx([0.01, 0.005, 0.0025, 0.00125])


def test_schedule_of_epoch_and_lr_gets_the_current_rate(data):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.2))
    seen = []

    def halve(epoch, lr):
        seen.append((epoch, round(lr, 6)))
        return lr / 2

    model.fit(*data, epochs=3, verbose=0, callbacks=[LearningRateScheduler(halve)])
    assert seen == [(0, 0.2), (1, 0.1), (2, 0.05)]
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.025)


def test_a_zero_rate_really_freezes_the_weights(data):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    before = model.get_weights()
    model.fit(*data, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.0)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_scheduler_verbose_and_bad_outputs(data, capsys):
    model = tiny_model()
    model.fit(*data, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e: 0.5, verbose=1)])
    assert "Epoch 00001: LearningRateScheduler setting learning rate to 0.5." in capsys.readouterr().out
    with pytest.raises(ValueError, match="should be float"):
        model.fit(*data, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e: "fast")])


def test_scheduler_errors_from_the_schedule_are_not_swallowed(data):
    def broken(epoch):
        raise TypeError("my bug")

    with pytest.raises(TypeError, match="my bug"):
        tiny_model().fit(*data, epochs=1, verbose=0, callbacks=[LearningRateScheduler(broken)])


# -- ReduceLROnPlateau ----------------------------------------------------------------------------------
FLAT = [1.0] * 11


@pytest.mark.parametrize("cooldown, expected", [
    # a reduction after 2 epochs without improvement, the first at epoch index 2
    (0, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.01, 0.01]),
    # cooldown=2: the two epochs after a reduction do not count towards patience
    (2, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125]),
])
def test_reduces_at_the_right_epochs_with_cooldown_and_min_lr(data, cooldown, expected):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    recorder = LrRecorder()
    reducer = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=cooldown, min_lr=0.01)
    history = model.fit(*data, epochs=11, verbose=0, callbacks=[ScriptedLogs("val_loss", FLAT), reducer, recorder])
    assert recorder.rates == pytest.approx(expected)
    # logs['lr'] is the rate the epoch trained with
    assert history.history["lr"] == pytest.approx(expected)
    assert all(type(v) is float for v in history.history["lr"])


def test_min_lr_is_a_floor(data):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    reducer = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)
    model.fit(*data, epochs=4, verbose=0, callbacks=[ScriptedLogs("val_loss", FLAT), reducer])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.05)


def test_improvements_reset_patience_and_min_delta_counts(data):
    values = [1.0, 0.9, 0.8, 0.79995, 0.79992, 0.79991]  # the last three improve by less than min_delta
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    model.fit(*data, epochs=6, verbose=0,
              callbacks=[ScriptedLogs("val_loss", values), ReduceLROnPlateau(factor=0.5, patience=3)])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.05)
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    model.fit(*data, epochs=6, verbose=0,
              callbacks=[ScriptedLogs("val_loss", values), ReduceLROnPlateau(factor=0.5, patience=3,
                                                                             min_delta=1e-6)])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)


def test_max_mode_for_accuracies_and_verbose(data, capsys):
    model = tiny_model(optimizer=numkeras.optimizers.SGD(lr=0.1))
    model.fit(*data, epochs=3, verbose=0, callbacks=[
        ScriptedLogs("val_acc", [0.5, 0.4, 0.3]), ReduceLROnPlateau(monitor="val_acc", patience=2, verbose=1)])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.01)
    assert "Epoch 00003: ReduceLROnPlateau reducing learning rate to 0.01" in capsys.readouterr().out


def test_legacy_epsilon_and_argument_errors():
    with pytest.warns(DeprecationWarning, match="epsilon"):
        reducer = ReduceLROnPlateau(epsilon=0.25)
    assert reducer.min_delta == 0.25
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.raises(TypeError, match="unexpected"):
        ReduceLROnPlateau(patiense=3)
    with pytest.warns(RuntimeWarning, match="unknown, fallback to auto"):
        ReduceLROnPlateau(mode="lowest")
