"""numkeras.utils — array helpers, seeding and custom-object scopes.

Keras 2.2.4's submodules are here under their names: ``generic_utils``, ``data_utils``,
``io_utils`` (``HDF5Matrix``), ``conv_utils``, ``layer_utils``, ``np_utils``, ``vis_utils``.
"""

from . import legacy
from .data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, SequenceEnqueuer, get_file
from .generic_utils import (
    CustomObjectScope, Progbar, custom_object_scope, deserialize_keras_object, get_custom_objects,
    serialize_keras_object,
)
from .io_utils import HDF5Matrix
from .layer_utils import convert_all_kernels_in_model, count_params, print_summary
from .np_utils import normalize, to_categorical
from .random import set_random_seed
from .vis_utils import model_to_dot, plot_model


__all__ = ["legacy", "to_categorical", "normalize", "set_random_seed", "custom_object_scope",
           "CustomObjectScope", "get_custom_objects", "serialize_keras_object", "deserialize_keras_object",
           "Sequence", "SequenceEnqueuer", "OrderedEnqueuer", "GeneratorEnqueuer", "get_file", "Progbar",
           "HDF5Matrix", "count_params", "print_summary", "convert_all_kernels_in_model", "model_to_dot",
           "plot_model"]
