"""Writing a file so that readers see either the old file or the whole new one, never half of one.

The new content goes to a temporary file in the destination's directory (same file
system, so the rename is atomic), is flushed to disk, and is then moved over the
destination with ``os.replace``. If the writer fails, or the process is killed,
the destination is untouched; a killed process can leave its temporary file
(``.<name>.<random>.numkeras-tmp``) behind, which is safe to delete.
"""

import contextlib
import os
import tempfile

from ..utils.files import give_ordinary_mode

TEMP_SUFFIX = ".numkeras-tmp"


@contextlib.contextmanager
def atomic_write(path):
    """Yields a temporary path to write; on success it replaces ``path``.

    Example:
        >>> with atomic_write('model.h5') as tmp:
        ...     with h5py.File(tmp, 'w') as f:
        ...         ...

    Raises:
        FileNotFoundError: the destination's directory does not exist.
        IsADirectoryError: ``path`` is a directory.
    """
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, f"Cannot save to {path!r}: the directory {directory!r} does not exist", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, f"Cannot save to {path!r}: it is a directory", path)
    handle, temp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory)
    os.close(handle)
    try:
        yield temp_path
        _fsync(temp_path)
        give_ordinary_mode(temp_path, path)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp_path)
        raise
    _fsync_directory(directory)


def _fsync(path):
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory):
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["atomic_write", "TEMP_SUFFIX"]
