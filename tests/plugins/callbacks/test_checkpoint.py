"""ModelCheckpoint: file names from epoch and logs, best-only, period / save_freq, atomic writes."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import numkeras
from numkeras.callbacks import ModelCheckpoint

from .conftest import ScriptedLogs, tiny_model

VAL_LOSS = [0.9, 0.5, 0.7, 0.4, 0.45]


def _fit(model, data, checkpoint, values=VAL_LOSS, key="val_loss", epochs=5, **kwargs):
    x, y = data
    return model.fit(x, y, epochs=epochs, batch_size=10, verbose=0,
                     callbacks=[ScriptedLogs(key, values), checkpoint], **kwargs)


def test_filepath_is_formatted_with_epoch_and_logs_keys(model, data, tmp_path):
    pattern = str(tmp_path / "weights.{epoch:02d}-{val_loss:.2f}.h5")
    _fit(model, data, ModelCheckpoint(pattern, save_weights_only=True))
    assert sorted(os.listdir(tmp_path)) == [
        "weights.01-0.90.h5", "weights.02-0.50.h5", "weights.03-0.70.h5", "weights.04-0.40.h5",
        "weights.05-0.45.h5"]
    restored = tiny_model()
    restored.load_weights(str(tmp_path / "weights.05-0.45.h5"))
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_whole_model_is_saved_and_loads(model, data, tmp_path):
    path = tmp_path / "model.h5"
    _fit(model, data, ModelCheckpoint(str(path)), epochs=2)
    loaded = numkeras.models.load_model(str(path))
    np.testing.assert_allclose(loaded.predict(data[0]), model.predict(data[0]), rtol=1e-6)
    assert [name for name in os.listdir(tmp_path)] == ["model.h5"]  # no temporary files left


def test_save_best_only_saves_when_the_monitor_improves(model, data, tmp_path, capsys):
    pattern = str(tmp_path / "best.{epoch:02d}.npz")
    checkpoint = ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True, verbose=1)
    _fit(model, data, checkpoint)
    assert sorted(os.listdir(tmp_path)) == ["best.01.npz", "best.02.npz", "best.04.npz"]
    assert checkpoint.best == pytest.approx(0.4)
    out = capsys.readouterr().out
    assert "Epoch 00002: val_loss improved from 0.90000 to 0.50000, saving model to " in out
    assert "Epoch 00003: val_loss did not improve from 0.50000" in out


@pytest.mark.parametrize("mode", ["max", "auto"])
def test_max_mode_for_accuracies(model, data, tmp_path, mode):
    pattern = str(tmp_path / "acc.{epoch}.npz")
    _fit(model, data, ModelCheckpoint(pattern, monitor="val_acc", mode=mode, save_best_only=True,
                                      save_weights_only=True), values=[0.5, 0.4, 0.6, 0.6, 0.7], key="val_acc")
    assert sorted(os.listdir(tmp_path)) == ["acc.1.npz", "acc.3.npz", "acc.5.npz"]


def test_period_saves_every_n_epochs(model, data, tmp_path):
    _fit(model, data, ModelCheckpoint(str(tmp_path / "p{epoch}.npz"), period=2, save_weights_only=True))
    assert sorted(os.listdir(tmp_path)) == ["p2.npz", "p4.npz"]


def test_save_freq_saves_every_n_batches(model, data, tmp_path):
    # 40 samples / batch 10 = 4 batches per epoch, 2 epochs: saves after batches 3, 6 (epoch 2)
    checkpoint = ModelCheckpoint(str(tmp_path / "b{epoch}-{loss:.3f}.npz"), save_freq=3, save_weights_only=True)
    _fit(model, data, checkpoint, epochs=2)
    names = sorted(os.listdir(tmp_path))
    assert [name.split("-")[0] for name in names] == ["b1", "b2"]
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x.h5", save_freq=0)


def test_missing_monitor_warns_and_skips(model, data, tmp_path):
    x, y = data
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_loss available"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(str(tmp_path / "m.h5"), save_best_only=True)])
    assert os.listdir(tmp_path) == []


def test_unknown_format_field_names_the_available_keys(model, data, tmp_path):
    x, y = data
    with pytest.raises(KeyError, match="val_acc.*available are epoch and the logs keys.*loss.*mae"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.h5"))])


def test_a_failed_save_leaves_the_previous_checkpoint_and_no_temporary_file(model, data, tmp_path):
    path = tmp_path / "w.npz"
    _fit(model, data, ModelCheckpoint(str(path), save_weights_only=True), epochs=1)
    before = path.read_bytes()

    def failing_save(filepath, overwrite=True):
        with open(filepath, "wb") as stream:
            stream.write(b"half a file")
        raise OSError("disk full")

    model.save_weights = failing_save
    with pytest.raises(OSError, match="disk full"):
        _fit(model, data, ModelCheckpoint(str(path), save_weights_only=True), epochs=1)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import numkeras
    from numkeras.layers import Dense

    path, marker = sys.argv[1], sys.argv[2]
    model = numkeras.Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile("sgd", "mse")

    def slow_save(filepath, overwrite=True):
        with open(filepath, "wb") as stream:
            stream.write(b"half-written checkpoint" * 1000)
            stream.flush()
            open(marker, "w").close()
            time.sleep(60)  # killed here, in the middle of writing

    model.save_weights = slow_save
    x = np.ones((8, 3), "float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0,
              callbacks=[numkeras.callbacks.ModelCheckpoint(path, save_weights_only=True)])
""")


def test_a_process_killed_while_writing_leaves_the_previous_checkpoint_loadable(model, data, tmp_path):
    path = tmp_path / "ckpt.h5"
    _fit(model, data, ModelCheckpoint(str(path), save_weights_only=True), epochs=1)
    saved = model.get_weights()
    marker = tmp_path / "writing"
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path), str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the writer exited before it started writing"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    # the half-written data went to a temporary file next to it, never over the checkpoint
    assert any(name.startswith(".ckpt.") for name in os.listdir(tmp_path))
    restored = tiny_model()
    restored.load_weights(str(path))
    for a, b in zip(restored.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
