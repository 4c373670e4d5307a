"""The permissions of the files numkeras writes.

Files are written to a temporary file (``tempfile.mkstemp``, mode 0600) and renamed
into place; before the rename they get the mode an ordinary ``open(path, 'w')`` would
give: an existing file's own mode, else ``0o666 & ~umask`` (0644 under umask 022).
"""

import os
import threading

_UMASK_LOCK = threading.Lock()


def current_umask():
    """The process's umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting and
    restoring it under a lock (``os.umask`` can only be read by setting it).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        umask = os.umask(0o022)
        os.umask(umask)
    return umask


def file_mode_for(path):
    """The mode for a file about to be written at ``path``: its current mode, or ``0o666 & ~umask`` if new."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~current_umask()


def give_ordinary_mode(temporary, path):
    """Sets ``temporary``'s mode to what a file written directly at ``path`` would have (call before renaming)."""
    os.chmod(temporary, file_mode_for(path))


__all__ = ["current_umask", "file_mode_for", "give_ordinary_mode"]
