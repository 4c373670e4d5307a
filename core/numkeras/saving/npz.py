"""Weights as a plain NumPy ``.npz`` archive (``model.save_weights('w.npz')``).

Layout: one array per weight, ``w0``, ``w1`` … in layer order, plus ``__numkeras_weights__``,
a JSON string ``{"format": "numkeras-weights", "version": 1, "layers": [[layer name,
[weight names]], ...], "cudnn_layout": "cudnn"}`` (numkeras 0.1 wrote no ``cudnn_layout``: its
CuDNN layers' arrays are converted when read). It is read with ``allow_pickle=False``: nothing in the file
is ever unpickled.
"""

import json
import os
import zipfile

import numpy as np

from .atomic import atomic_write
from .errors import ModelFileError
from .legacy_weights import CUDNN_LAYOUT
from .weights import SavedWeights, layer_weights, weight_names

METADATA_KEY = "__numkeras_weights__"


def save_weights_npz(model, filepath, overwrite=True):
    """Writes ``model``'s weights to ``filepath`` (atomically)."""
    from .hdf5 import _may_write

    arrays, layers, index = {}, [], 0
    for layer in model.layers:
        weights = layer_weights(layer)
        layers.append([layer.name, weight_names(layer, weights)])
        for weight in weights:
            arrays[f"w{index}"] = np.asarray(weight.data)
            index += 1
    metadata = {"format": "numkeras-weights", "version": 1, "layers": layers, "cudnn_layout": CUDNN_LAYOUT}
    arrays[METADATA_KEY] = np.asarray(json.dumps(metadata))
    if not _may_write(filepath, overwrite):
        return
    with atomic_write(filepath) as temp_path:
        with open(temp_path, "wb") as handle:
            np.savez(handle, **arrays)


def read_weights_npz(filepath):
    """A :class:`SavedWeights` from an ``.npz`` written by :func:`save_weights_npz`."""
    path = os.fspath(filepath)
    source = repr(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"No such weights file: {path!r}", path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if METADATA_KEY not in archive.files:
                raise ModelFileError(path, "is an .npz archive but not a numkeras weights file (it has no "
                                           f"{METADATA_KEY!r} entry).")
            metadata = json.loads(str(archive[METADATA_KEY]))
            layers, index = [], 0
            for name, names in metadata["layers"]:
                values = []
                for _ in names:
                    values.append(archive[f"w{index}"])
                    index += 1
                layers.append((name, list(names), values))
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError, EOFError) as error:
        raise ModelFileError(path, f"cannot be read as a numkeras .npz weights file: it is truncated or "
                                   f"corrupt ({type(error).__name__}: {error}).") from None
    return SavedWeights(source, layers, "numpy", cudnn_layout=metadata.get("cudnn_layout"))


__all__ = ["save_weights_npz", "read_weights_npz", "METADATA_KEY"]
