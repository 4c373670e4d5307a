"""``atomic_write``: the destination is the old file or the complete new one, never a partial one."""

import os
import stat

import pytest

from numkeras.saving.atomic import TEMP_SUFFIX, atomic_write


def test_success_replaces_the_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as temp:
        assert os.path.dirname(temp) == str(tmp_path) and temp.endswith(TEMP_SUFFIX)
        with open(temp, "wb") as handle:
            handle.write(b"new")
        assert path.read_bytes() == b"old"  # not replaced until the block ends
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as temp:
            with open(temp, "wb") as handle:
                handle.write(b"half")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_permissions(tmp_path):
    path = tmp_path / "f.bin"
    with atomic_write(path) as temp:
        open(temp, "wb").close()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
    os.chmod(path, 0o640)
    with atomic_write(path) as temp:
        open(temp, "wb").close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_bad_destinations(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_write(tmp_path / "missing" / "f.bin"):
            pass
    with pytest.raises(IsADirectoryError):
        with atomic_write(tmp_path):
            pass
