"""Fixtures for the loader tests: an empty Keras cache, and small files in the real formats."""

import dataclasses
import hashlib

import pytest


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """``$KERAS_HOME/datasets`` in a temporary folder; no other dataset folder holds anything."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "numkeras"))
    monkeypatch.delenv("NUMKERAS_DATASETS", raising=False)
    from numkeras.datasets import _files

    monkeypatch.setattr(_files, "checkout_datasets", lambda: tmp_path / "no-shared-datasets")
    folder = tmp_path / "keras" / "datasets"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def trust(monkeypatch):
    """``trust(module, attribute, path)``: make the loader expect ``path``'s hash (same algorithm).

    The real hashes are Keras's, of files a test cannot hold; a generated file stands in.
    """
    def _trust(module, attribute, path):
        spec = getattr(module, attribute)
        digest = hashlib.new(spec.algorithm, path.read_bytes()).hexdigest()
        monkeypatch.setattr(module, attribute, dataclasses.replace(spec, file_hash=digest))

    return _trust
