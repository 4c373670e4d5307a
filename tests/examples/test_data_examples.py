"""examples/imdb_lstm.py and examples/cifar10_cnn.py: their logic on generated files, and their
behaviour without data (a message naming the file and its URL, status 1, no traceback)."""

import dataclasses
import hashlib
import importlib.util
import io
import os
import pathlib
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from numkeras.datasets import cifar10, imdb

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "numkeras"))
    monkeypatch.delenv("NUMKERAS_DATASETS", raising=False)
    folder = tmp_path / "keras" / "datasets"
    folder.mkdir(parents=True)
    return folder


def _trust(monkeypatch, module, path):
    digest = hashlib.new(module.DATA.algorithm, path.read_bytes()).hexdigest()
    monkeypatch.setattr(module, "DATA", dataclasses.replace(module.DATA, file_hash=digest))


def _objects(lists):
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = item
    return array


def test_imdb_lstm_trains_on_a_generated_imdb_npz(keras_cache, monkeypatch, capsys):
    rng = np.random.RandomState(0)
    reviews = [list(rng.randint(1, 50, size=rng.randint(5, 120))) for _ in range(24)]
    labels = np.arange(24) % 2
    np.savez(keras_cache / "imdb.npz", x_train=_objects(reviews[:16]), y_train=labels[:16],
             x_test=_objects(reviews[16:]), y_test=labels[16:])
    _trust(monkeypatch, imdb, keras_cache / "imdb.npz")
    example = _example("imdb_lstm")
    loss, accuracy = example.main(epochs=1, verbose=0)
    out = capsys.readouterr().out
    assert "16 train sequences, 8 test sequences" in out and "x_train shape: (16, 80)" in out
    assert np.isfinite(loss) and 0 <= accuracy <= 1


def test_cifar10_cnn_trains_on_a_generated_archive(keras_cache, monkeypatch, capsys):
    path = keras_cache / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for i, name in enumerate(names):
            batch = {b"data": np.full((4, 3072), 40 * i, np.uint8), b"labels": [i % 10, 1, 2, 3]}
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo("cifar-10-batches-py/" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    _trust(monkeypatch, cifar10, path)
    example = _example("cifar10_cnn")
    loss, accuracy = example.main(epochs=1, verbose=0)
    assert "x_train shape: (20, 32, 32, 3)" in capsys.readouterr().out
    assert np.isfinite(loss) and 0 <= accuracy <= 1


@pytest.mark.parametrize("name, missing, url", [
    ("imdb_lstm", "imdb.npz", "https://s3.amazonaws.com/text-datasets/imdb.npz"),
    ("cifar10_cnn", "cifar-10-batches-py.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
])
def test_without_data_the_examples_say_how_to_get_it(keras_cache, name, missing, url):
    env = dict(os.environ, NUMKERAS_NO_DOWNLOAD="1", NUMKERAS_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--epochs", "1"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert missing in result.stderr and url in result.stderr and str(keras_cache) in result.stderr
