"""Keras 2.2.4's module path ``keras.engine.saving``: the functions of :mod:`numkeras.saving`.

Only a path: the saving code lives in ``numkeras.saving`` (a layer above the engine;
``.importlinter`` declares this module's import of it, and ``numkeras.engine`` does not
import this module). The group-level functions take an open ``h5py.File`` / ``h5py.Group``.
"""

from ..saving import model_from_config, model_from_json, model_from_yaml
from ..saving.hdf5 import describe_source, load_model, read_weights_group, save_model, save_weights_to_group
from ..saving.legacy_weights import preprocess_weights_for_loading
from ..saving.weights import assign_by_name, assign_topological


def save_weights_to_hdf5_group(group, layers):
    """Writes ``layers``' weights into an open HDF5 group, in Keras 2's layout."""
    save_weights_to_group(group, layers)


def load_weights_from_hdf5_group(f, layers, reshape=False):
    """Loads the weights in the HDF5 group ``f`` into ``layers``, in order (layers without weights skipped).

    Keras 1, Theano and cuDNN layouts are converted (:func:`preprocess_weights_for_loading`);
    ``reshape`` reshapes a convolution kernel of the layer's size but another shape.
    """
    assign_topological(layers, read_weights_group(f, describe_source(f)), reshape)


def load_weights_from_hdf5_group_by_name(f, layers, skip_mismatch=False, reshape=False):
    """Loads the weights in the HDF5 group ``f`` into the ``layers`` of the same names (converted as
    :func:`load_weights_from_hdf5_group` does)."""
    assign_by_name(layers, read_weights_group(f, describe_source(f)), skip_mismatch, reshape)


__all__ = ["save_model", "load_model", "model_from_config", "model_from_json", "model_from_yaml",
           "save_weights_to_hdf5_group", "load_weights_from_hdf5_group", "load_weights_from_hdf5_group_by_name",
           "preprocess_weights_for_loading"]
