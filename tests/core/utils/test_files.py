"""Every file numkeras writes through a temporary file gets an ordinary file's permissions.

``tempfile.mkstemp`` creates its file 0600; a file written with ``open(path, 'w')`` is
``0o666 & ~umask`` (0644 under umask 022). numkeras writes through temporary files to
be atomic, so each writer must give the file its ordinary mode before the rename.
"""

import os
import stat

import numpy as np
import pytest

import numkeras
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.utils import files, get_file, plot_model


@pytest.fixture
def model():
    m = Sequential([Dense(2, input_shape=(3,))])
    m.compile("sgd", "mse")
    return m


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A `dot` on the PATH that echoes its input, so image formats go through the same writer."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "dot"
    script.write_text("#!/bin/sh\ncat\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture(params=[0o022, 0o027, 0o077])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _checkpoint(model, path):
    x = np.ones((4, 3), "float32")
    model.fit(x, x[:, :2], verbose=0, callbacks=[numkeras.callbacks.ModelCheckpoint(str(path))])


def _csv_logger(model, path):
    x = np.ones((4, 3), "float32")
    model.fit(x, x[:, :2], verbose=0, callbacks=[numkeras.callbacks.CSVLogger(str(path))])


def _get_file(model, path):
    source = path.parent / "source.bin"
    source.write_bytes(b"data")
    os.chmod(source, 0o600)  # the source's own mode must not leak into the download
    get_file(path.name, source.as_uri(), cache_dir=str(path.parent), cache_subdir=".")
    source.unlink()


WRITERS = {
    "plot_model .dot": ("model.dot", lambda model, path: plot_model(model, to_file=str(path))),
    "plot_model .png": ("model.png", lambda model, path: plot_model(model, to_file=str(path))),
    "model.save": ("model.h5", lambda model, path: model.save(str(path))),
    "save_weights .h5": ("weights.h5", lambda model, path: model.save_weights(str(path))),
    "save_weights .npz": ("weights.npz", lambda model, path: model.save_weights(str(path))),
    "ModelCheckpoint": ("checkpoint.h5", _checkpoint),
    "CSVLogger": ("log.csv", _csv_logger),
    "get_file": ("download.bin", _get_file),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_new_files_get_the_umask_mode(writer, model, tmp_path, umask, fake_dot):
    name, write = WRITERS[writer]
    path = tmp_path / "out" / name
    path.parent.mkdir()
    write(model, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask, writer
    assert sorted(os.listdir(path.parent)) == [name]  # no temporary file left behind


@pytest.mark.parametrize("writer", ["plot_model .dot", "model.save", "save_weights .npz"])
def test_an_existing_file_keeps_its_mode(writer, model, tmp_path, fake_dot):
    name, write = WRITERS[writer]
    path = tmp_path / name
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    write(model, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_current_umask_reads_the_umask_without_changing_it(umask):
    assert files.current_umask() == umask
    assert os.umask(umask) == umask  # still the same afterwards
