"""numkeras.utils — array helpers, seeding and custom-object scopes."""

from ..registry import active_scopes, custom_object_scope
from . import legacy
from .data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, SequenceEnqueuer, get_file
from .generic_utils import Progbar
from .np_utils import normalize, to_categorical
from .random import set_random_seed
from .vis_utils import model_to_dot, plot_model

CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The innermost active custom-object dict (Keras 2 API); empty outside any scope."""
    scopes = active_scopes()
    return scopes[-1] if scopes else {}


__all__ = ["legacy", "to_categorical", "normalize", "set_random_seed", "custom_object_scope",
           "CustomObjectScope", "get_custom_objects", "Sequence", "SequenceEnqueuer", "OrderedEnqueuer",
           "GeneratorEnqueuer", "get_file", "Progbar", "model_to_dot", "plot_model"]
