"""numkeras.saving — whole models in HDF5 (Keras 2 layout), weights in HDF5 or ``.npz``, configs in JSON / YAML.

* ``save_model`` / ``load_model``: architecture + weights + training config + optimizer
  state in one ``.h5`` file; Keras 2 and tf.keras 2 ``.h5`` files load too.
* ``save_weights`` / ``load_weights``: HDF5, or ``.npz`` when the path ends in ``.npz``.
* ``model_to_json`` / ``model_from_json``, ``model_to_yaml`` / ``model_from_yaml``,
  ``model_from_config``, ``clone_model``.

Loading is safe by default (``safe_mode=True``): only names that a registry or
``custom_objects`` provides are instantiated, YAML is read with ``safe_load``, and a
Lambda's code is rebuilt only with ``safe_mode=False`` (see
:mod:`numkeras.saving.functions`). Components from plugins are written by their
registered name and recorded with their distribution, so a file loads wherever the
same plugins are installed, and says which plugins are missing otherwise. Every save
produces the whole content first (configs checked and JSON-encoded, every array
copied), then writes a temporary file and renames it into place. h5py is imported on the first
HDF5 save or load, never for JSON / YAML configs.
"""

import os

from .atomic import atomic_write
from .cloning import clone_model
from .errors import (
    LayerConfigError, MissingComponentError, ModelFileError, UnsafeDeserializationError, UnsupportedConfigError,
    WeightConversionError,
)
from .model_config import model_from_config, model_from_json, model_from_yaml, model_to_json, model_to_yaml


def __getattr__(name):
    # h5py is imported on the first use of an HDF5 function, not by ``import numkeras`` or by
    # the JSON / YAML configs, which need no HDF5.
    if name in ("save_model", "load_model"):
        from . import hdf5

        return getattr(hdf5, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_npz(filepath):
    return isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).lower().endswith(".npz")


def _looks_like_npz(filepath):
    if not isinstance(filepath, (str, os.PathLike)):
        return False
    if _is_npz(filepath):
        return True
    try:
        with open(filepath, "rb") as handle:
            return handle.read(2) == b"PK"
    except OSError:
        return False


def save_weights(model, filepath, overwrite=True):
    """Saves ``model``'s weights: ``.npz`` by extension, HDF5 (Keras 2 layout) otherwise.

    Works for subclassed models too (their layers in attribute-assignment order).
    """
    if _is_npz(filepath):
        from .npz import save_weights_npz

        save_weights_npz(model, filepath, overwrite=overwrite)
    else:
        from .hdf5 import save_weights_hdf5

        save_weights_hdf5(model, filepath, overwrite=overwrite)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, reshape=False):
    """Loads weights saved by ``save_weights`` (HDF5 or ``.npz``) or by Keras into ``model``.

    Weights that Keras 1, the Theano backend or a cuDNN layer wrote are converted to the
    layout of the layer they load into (:mod:`numkeras.saving.legacy_weights`).

    Arguments:
        by_name: match layers by name (others are left alone) instead of by order.
        skip_mismatch: with ``by_name``, warn and skip layers or weights whose count or
            shape differs instead of raising.
        reshape: reshape a convolution kernel that has the layer's number of values but
            another shape (Keras 2.2.4's ``reshape``).

    Raises:
        ValueError: a layer-count, weight-count or shape mismatch (naming the layers), or
            ``skip_mismatch`` without ``by_name``. Nothing is assigned then.
        ModelFileError: the file cannot be read.
    """
    if skip_mismatch and not by_name:
        raise ValueError("load_weights: skip_mismatch=True only applies with by_name=True.")
    if _looks_like_npz(filepath):
        from .hdf5 import _assign
        from .npz import read_weights_npz

        _assign(model, read_weights_npz(filepath), by_name, skip_mismatch, reshape)
    else:
        from .hdf5 import load_weights_hdf5

        load_weights_hdf5(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch, reshape=reshape)


__all__ = [
    "save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_to_yaml",
    "model_from_json", "model_from_yaml", "model_from_config", "clone_model", "atomic_write",
    "ModelFileError", "MissingComponentError", "UnsafeDeserializationError", "LayerConfigError",
    "UnsupportedConfigError", "WeightConversionError",
]
