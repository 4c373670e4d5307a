"""What the pytest plugin's fixtures hand a plugin author, usable without pytest too.

* :class:`RegistryScope`: registers components for one test and undoes every
  registration made meanwhile (``numkeras_registry``);
* :class:`FreshProcess`: runs code, or loads a saved model, in a new Python interpreter
  that has imported nothing of the test's modules (``numkeras_fresh_process``);
* :class:`TinyData`: small, seeded, learnable datasets (``numkeras_tiny_data``).

The fixtures themselves are in the ``numkeras_pytest`` module (the ``pytest11`` entry
point), which imports this module only when a test asks for one of them.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

from ..registry import isolated_registrations
from . import fresh_process
from .component import normalize_kind


class RegistryScope:
    """Runtime registrations for one test, all undone by :meth:`close`.

    Arguments of :meth:`register` are those of ``numkeras.<kind>.register``, with the kind
    first (``'losses'`` or ``'loss'``). Anything else registered while the scope is open
    (by an imported module, with ``override=True`` …) is undone too.
    """

    def __init__(self):
        self._isolation = isolated_registrations().__enter__()

    def register(self, kind, name, obj, override=False):
        """Registers ``obj`` as the ``kind`` ``name``; returns ``obj``."""
        from ..registry import registry

        registry(normalize_kind(kind)).register(name, obj, override=override)
        return obj

    def close(self):
        self._isolation.__exit__(None, None, None)


class FreshProcess:
    """A new Python interpreter with this one's ``sys.path``, as a user of the plugin would start.

    Arguments:
        folder: where saved models and the child's working directory go (a temporary
            folder when omitted).
        timeout: seconds before a child is killed.
    """

    def __init__(self, folder=None, timeout=120):
        self.folder = str(folder or tempfile.mkdtemp(prefix="numkeras-fresh-"))
        self.timeout = timeout

    def _env(self, env):
        merged = dict(os.environ)
        merged["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        merged.update(env or {})
        return merged

    def run(self, code, env=None, check=True):
        """Runs ``code`` with ``python -c``; returns the ``subprocess.CompletedProcess``.

        Raises:
            AssertionError: with the child's output, when it exits non-zero and ``check``.
        """
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=self.timeout, cwd=self.folder, env=self._env(env))
        if check and result.returncode != 0:
            raise AssertionError(f"the fresh Python process exited with status {result.returncode}:\n"
                                 f"{result.stdout[-2000:]}{result.stderr[-3000:]}")
        return result

    def predict(self, model, x):
        """Saves ``model`` (``.h5`` and JSON + weights), loads it in a fresh process without
        ``custom_objects`` and returns its predictions on ``x`` there.

        Raises:
            AssertionError: naming what the fresh process could not load, or when the
                ``.h5`` and the JSON + weights copies predict different numbers.
        """
        folder = tempfile.mkdtemp(prefix="model-", dir=self.folder)
        xs = x if isinstance(x, (list, tuple)) else [x]
        model.save(os.path.join(folder, "model.h5"))
        with open(os.path.join(folder, "model.json"), "w") as f:
            f.write(model.to_json())
        model.save_weights(os.path.join(folder, "weights.h5"))
        for i, array in enumerate(xs):
            np.save(os.path.join(folder, f"x{i}.npy"), np.asarray(array))
        found = fresh_process.load_and_predict(folder, len(xs), compiled=False, timeout=self.timeout)
        if "error" in found:
            raise AssertionError(f"the saved model did not load in a fresh process without custom_objects: "
                                 f"{found['error']}")
        if not np.allclose(found["h5"], found["json"], rtol=1e-6, atol=1e-7, equal_nan=True):
            raise AssertionError("the .h5 file and the JSON + weights files predict different numbers")
        return found["h5"]


class TinyData:
    """Small learnable datasets, the same for the same seed.

    Arguments:
        seed: the seed of every draw.
        dtype: the feature dtype (default ``'float32'``).
    """

    def __init__(self, seed=0, dtype="float32"):
        self.seed, self.dtype = seed, dtype

    def _rng(self):
        return np.random.default_rng(self.seed)

    def classification(self, samples=32, features=4, classes=3, one_hot=True):
        """``(x, y)``: the class is the argmax of a fixed linear map of ``x``; ``y`` one-hot
        (``(samples, classes)``) or class ids (``(samples,)``)."""
        rng = self._rng()
        x = rng.normal(size=(samples, features)).astype(self.dtype)
        labels = np.argmax(x @ rng.normal(size=(features, classes)), axis=1)
        return x, (np.eye(classes, dtype=self.dtype)[labels] if one_hot else labels)

    def binary(self, samples=32, features=4):
        """``(x, y)`` with ``y`` of shape ``(samples, 1)`` in {0, 1}: the sign of a linear map of ``x``."""
        rng = self._rng()
        x = rng.normal(size=(samples, features)).astype(self.dtype)
        return x, (x @ rng.normal(size=(features, 1)) > 0).astype(self.dtype)

    def regression(self, samples=32, features=4, outputs=1, noise=0.01):
        """``(x, y)``: ``y`` a fixed linear map of ``x`` plus a little noise."""
        rng = self._rng()
        x = rng.normal(size=(samples, features)).astype(self.dtype)
        y = x @ rng.normal(size=(features, outputs)) + noise * rng.normal(size=(samples, outputs))
        return x, y.astype(self.dtype)

    def sequences(self, samples=16, steps=5, features=3, classes=2):
        """``(x, y, lengths)``: post-padded with zeros after each sample's length (at least 1,
        so ``Masking(0.)`` hides the padding); the class is the sign of the sum of the real steps."""
        rng = self._rng()
        lengths = rng.integers(1, steps + 1, size=samples)
        x = rng.normal(size=(samples, steps, features)).astype(self.dtype)
        x[np.arange(steps)[None, :] >= lengths[:, None]] = 0.0
        labels = (x.sum(axis=(1, 2)) > 0).astype(int) % classes
        return x, np.eye(classes, dtype=self.dtype)[labels], lengths

    def images(self, samples=8, size=6, channels=1, classes=2):
        """``(x, y)``: ``(samples, size, size, channels)`` images, channels last; the class says
        which half of the image is brighter (so a convolution can learn it)."""
        rng = self._rng()
        labels = rng.integers(0, classes, size=samples)
        x = rng.uniform(0.0, 0.5, size=(samples, size, size, channels))
        half = size // 2
        for i, label in enumerate(labels):
            x[i, :, half:] += 0.5 * (label % 2)
            x[i, :, :half] += 0.5 * (1 - label % 2)
        return x.astype(self.dtype), np.eye(classes, dtype=self.dtype)[labels]
