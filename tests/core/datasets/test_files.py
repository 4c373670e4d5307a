"""numkeras.datasets._files: where files are looked for, hash checks, downloads, safe unpickling."""

import hashlib
import io
import os
import pickle

import numpy as np
import pytest

from numkeras.datasets import _files, boston_housing
from numkeras.utils import data_utils


def _boston(path, n=10):
    np.savez(path, x=np.arange(n * 13, dtype=np.float64).reshape(n, 13), y=np.arange(n, dtype=np.float64))
    return path


def test_search_order_env_keras_cache_numkeras_cache_shared(keras_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("NUMKERAS_DATASETS", str(tmp_path / "env"))
    folders = _files.search_directories()
    assert folders[:3] == [tmp_path / "env", keras_cache, tmp_path / "numkeras" / "datasets"]
    assert _files.search_directories("fashion-mnist")[1] == keras_cache / "fashion-mnist"
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _files.search_directories()[1] == tmp_path / "home" / ".keras" / "datasets"


def test_a_file_in_numkeras_cache_is_found(keras_cache, tmp_path, trust):
    folder = tmp_path / "numkeras" / "datasets"
    folder.mkdir(parents=True)
    trust(boston_housing, "DATA", _boston(folder / "boston_housing.npz"))
    (x_train, _), _ = boston_housing.load_data()
    assert x_train.shape == (8, 13)


def test_a_file_with_the_wrong_hash_is_not_read_and_the_error_says_why(keras_cache):
    _boston(keras_cache / "boston_housing.npz")
    with pytest.raises(_files.DatasetNotFoundError) as info:
        boston_housing.load_data()
    message = str(info.value)
    assert "boston_housing.npz" in message and "sha256" in message
    assert boston_housing.DATA.file_hash in message and boston_housing.DATA.origin in message
    assert "NUMKERAS_NO_DOWNLOAD" in message and str(keras_cache) in message
    with pytest.raises(_files.DatasetError, match="sha256 is .* expected f553886a"):
        boston_housing.load_data(str(keras_cache / "boston_housing.npz"))  # a path: checked, no fallback


def test_missing_file_without_network_is_one_clear_error_and_leaves_nothing(keras_cache, monkeypatch):
    monkeypatch.delenv("NUMKERAS_NO_DOWNLOAD")

    def offline(origin, timeout):
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(data_utils, "_open_url", offline)
    with pytest.raises(FileNotFoundError) as info:
        boston_housing.load_data()
    message = str(info.value)
    assert "boston_housing.npz" in message and "URL fetch failure" in message
    assert f"save it as {keras_cache / 'boston_housing.npz'}" in message and boston_housing.DATA.origin in message
    assert os.listdir(keras_cache) == []


def test_download_goes_through_get_file_into_the_keras_cache(keras_cache, tmp_path, monkeypatch, trust, capsys):
    monkeypatch.delenv("NUMKERAS_NO_DOWNLOAD")
    served = _boston(tmp_path / "served.npz")
    trust(boston_housing, "DATA", served)
    asked = []

    def serve(origin, timeout):
        asked.append((origin, timeout))
        return open(served, "rb")

    monkeypatch.setattr(data_utils, "_open_url", serve)
    (x_train, _), (x_test, _) = boston_housing.load_data()
    assert asked == [(boston_housing.DATA.origin, data_utils.DOWNLOAD_TIMEOUT)]
    assert (keras_cache / "boston_housing.npz").read_bytes() == served.read_bytes()
    assert len(x_train) + len(x_test) == 10
    assert "Downloading data from " + boston_housing.DATA.origin in capsys.readouterr().out
    boston_housing.load_data()  # now cached: not fetched again
    assert len(asked) == 1


def test_an_interrupted_download_leaves_no_complete_looking_file(keras_cache, tmp_path, monkeypatch):
    monkeypatch.delenv("NUMKERAS_NO_DOWNLOAD")

    class Dropped(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 100:
                raise ConnectionResetError("connection reset by peer")
            return super().read(min(size, 64))

    monkeypatch.setattr(data_utils, "_open_url", lambda origin, timeout: Dropped(b"x" * 1000))
    with pytest.raises(FileNotFoundError, match="connection reset"):
        boston_housing.load_data()
    assert os.listdir(keras_cache) == []  # neither boston_housing.npz nor a .part file

    def interrupted(origin, timeout):
        class Stop(io.BytesIO):
            def read(self, size=-1):
                if self.tell():
                    raise KeyboardInterrupt
                return super().read(64)
        return Stop(b"y" * 1000)

    monkeypatch.setattr(data_utils, "_open_url", interrupted)
    with pytest.raises(KeyboardInterrupt):
        boston_housing.load_data()
    assert os.listdir(keras_cache) == []


class _Planted:
    def __reduce__(self):
        return (os.system, ("echo planted",))


def test_safe_unpickler_refuses_any_other_global(tmp_path):
    payload = pickle.dumps({b"data": _Planted()}, protocol=2)
    with pytest.raises(_files.DatasetError, match="(?s)posix.system|os.system|nt.system"):
        _files.safe_unpickle(io.BytesIO(payload), "planted.pkl")
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    for protocol in (2, 3, 4, 5):
        loaded = _files.safe_unpickle(io.BytesIO(pickle.dumps({"a": array, "b": [1, 2]}, protocol=protocol)), "ok")
        np.testing.assert_array_equal(loaded["a"], array)
        assert loaded["b"] == [1, 2]


def test_read_npz_refuses_a_planted_object_array(tmp_path):
    evil = np.empty(1, dtype=object)
    evil[0] = _Planted()
    np.savez(tmp_path / "evil.npz", x=evil, y=np.zeros(1))
    with pytest.raises(_files.DatasetError, match="refusing"):
        _files.read_npz(tmp_path / "evil.npz", ("x", "y"))
    with pytest.raises(_files.DatasetError, match="no array 'z'"):
        _files.read_npz(tmp_path / "evil.npz", ("z",))
    (tmp_path / "not.npz").write_bytes(b"nope")
    with pytest.raises(_files.DatasetError, match="not a readable .npz"):
        _files.read_npz(tmp_path / "not.npz", ("x",))


def test_verify_uses_md5_or_sha256_by_length(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    md5 = _files.DatasetFile("f.bin", "u", hashlib.md5(b"abc").hexdigest())
    sha = _files.DatasetFile("f.bin", "u", hashlib.sha256(b"abc").hexdigest())
    assert _files.verify(path, md5) == path and _files.verify(path, sha) == path
    assert md5.algorithm == "md5" and sha.algorithm == "sha256"
