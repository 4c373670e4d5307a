"""Where the compiled loops are cached, and the one-line notice of the first compile.

Numba compiles a loop on its first call for a dtype (seconds each; about 11 s for
mnist_cnn's) and, with ``cache=True``, writes the machine code to disk for later
processes. By default it writes next to the source file, which an installed wheel's
site-packages may not allow, and a silent pause of seconds looks like a hang. So:

* the loops are cached in a user cache directory (``cache_dir()``: ``$NUMKERAS_CACHE_DIR``,
  else ``$XDG_CACHE_HOME/numkeras``, else ``~/.cache/numkeras``; then ``numba/``), through a
  Numba cache locator that applies to this package's files only (other Numba code keeps
  Numba's own rules); where the directory cannot be written, Numba's default locators apply;
* before a loop compiles for a dtype that no earlier process compiled, one line goes to
  stderr, once per process. "Compiled before" is a marker file per loop, dtype, Numba
  version and source of the loops, written after the first successful call.
"""

import functools
import hashlib
import os
import pathlib
import sys
import threading

_lock = [threading.RLock()]  # a list: a forked child gets a new one (new_lock)
_announced = []
_ready = set()  # (loop name, dtype) pairs already called in this process


def new_lock():
    """A new lock, in a forked child (another thread may have held the parent's at the fork)."""
    _lock[0] = threading.RLock()


def cache_dir():
    """The directory the compiled loops are cached in (created on first compile)."""
    root = os.environ.get("NUMKERAS_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "numkeras")
    return pathlib.Path(root) / "numba"


def _source():
    return pathlib.Path(__file__).with_name("_loops.py")


@functools.cache
def _stamp():
    import numba

    digest = hashlib.sha256(_source().read_bytes()).hexdigest()[:16]
    return f"numba{numba.__version__}-{digest}"


def _marker(loop, dtype):
    return cache_dir() / "compiled" / f"{loop}-{dtype}-{_stamp()}"


def install_locator():
    """Makes Numba cache this package's loops in :func:`cache_dir` (before the loops are defined).

    Returns whether it could (``False``: a Numba whose internals differ; its own locators apply).
    """
    try:
        from numba.core import caching

        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # public from Numba 0.61 or so
        base, mixin = caching._CacheLocator, caching._SourceFileBackedLocatorMixin
    except (ImportError, AttributeError):  # another Numba: its default locators apply
        return False
    if any(getattr(cls, "numkeras", False) for cls in impl._locator_classes):
        return True

    class NumkerasCacheLocator(mixin, base):
        numkeras = True

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = str(cache_dir() / self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.abspath(py_file)) != str(_source().parent.resolve()):
                return None
            return super().from_function(py_func, py_file)

    impl._locator_classes.insert(0, NumkerasCacheLocator)
    return True


def run(loop, name, dtype, *args):
    """``loop(*args)``, announcing a compile that no earlier process did for ``(name, dtype)``."""
    key = (name, dtype)  # the dtype itself: its .name is Python code, microseconds on every call
    if key in _ready:
        return loop(*args)
    marker = _marker(name, dtype.name)
    fresh = not marker.exists()
    if fresh:
        with _lock[0]:
            if not _announced:
                _announced.append(True)
                print(f"numkeras: compiling the Numba kernels for {dtype.name} (once per installation, "
                      f"a few seconds; cached in {cache_dir()})", file=sys.stderr, flush=True)
    result = loop(*args)
    if fresh:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:  # not writable: the next process announces it again
            pass
    _ready.add(key)
    return result


def state(name):
    """What is known of loop ``name``: compiled in this process, cached on disk, or not yet compiled."""
    here = sorted(dtype.name for loop, dtype in _ready if loop == name)
    try:
        cached = sorted(dtype for dtype in ("float32", "float64") if _marker(name, dtype).exists())
    except Exception:  # a Numba that fails to import (status() says so)
        cached = []
    if here:
        return f"compiled ({', '.join(here)})"
    if cached:
        return f"cached on disk ({', '.join(cached)}), loads on first use"
    return "not compiled yet (compiles on first use)"
