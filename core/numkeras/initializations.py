"""Keras 1's ``keras.initializations``: ``get(name)(shape, name=...)`` returns a weight variable.

Old custom layers (seed 001's ``Trainableactivation``) create weights this way;
Keras 2 code uses ``numkeras.initializers`` and ``Layer.add_weight`` instead.
"""

import warnings

from . import backend as K
from . import initializers


def get(identifier):
    """A Keras 1 initialization function: ``init(shape, name=None, dtype=None) -> Variable``."""
    warnings.warn(
        "numkeras.initializations is the Keras 1 API; use numkeras.initializers and "
        "Layer.add_weight(shape=..., initializer=...) instead.", DeprecationWarning, stacklevel=2)
    initializer = initializers.get(identifier)

    def initialize(shape, name=None, dtype=None):
        dtype = dtype or K.floatx()
        return K.variable(initializer(tuple(shape), dtype=dtype), dtype=dtype, name=name)

    return initialize
