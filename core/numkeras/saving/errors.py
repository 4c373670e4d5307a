"""The errors saving and loading raise: each names the file (or config) and what is wrong."""

from ..engine.config_keys import UnsupportedConfigError
from ..engine.functions import UnsafeDeserializationError
from ..registry import UnknownComponentError


class ModelFileError(OSError, ValueError):
    """A file cannot be read as a Keras model or weights file: not HDF5, truncated, corrupt,
    or an HDF5 file without the Keras layout. ``filename`` is the file.

    It is both an ``OSError`` (a file problem) and a ``ValueError`` (bad content), like
    ``io.UnsupportedOperation``, so either ``except`` clause catches it.
    """

    def __init__(self, filename, problem):
        self.filename = str(filename)
        self.problem = problem
        super().__init__(f"{self.filename!r}: {problem}")

    def __str__(self):
        return self.args[0]


class LayerConfigError(ValueError):
    """A layer's config cannot be written so that the layer rebuilds from it: a value JSON
    cannot encode, or a required constructor argument that ``get_config()`` leaves out.
    Raised before any file is opened; ``layer`` is the layer's name, ``key`` the config key
    or argument at fault."""

    def __init__(self, message, layer=None, key=None):
        super().__init__(message)
        self.layer, self.key = layer, key


class MissingComponentError(UnknownComponentError):
    """A saved model uses a component (layer, loss …) that nothing provides now.

    Attributes: ``kind`` (e.g. ``'layers'``), ``name``, and ``provider``: what the file
    recorded about where it came from when saved (``{'distribution', 'version',
    'module'}``, or ``None``), for the first missing name; ``missing``: ``[(kind, name,
    provider), ...]`` for every missing name (a file may need several).
    """

    def __init__(self, message, kind=None, name=None, provider=None, missing=None):
        super().__init__(message)
        self.kind, self.name, self.provider = kind, name, provider
        self.missing = list(missing) if missing is not None else [(kind, name, provider)]


class WeightConversionError(ValueError):
    """Saved weights that cannot be converted to the layout of the layer they load into (a Keras 1,
    Theano or cuDNN layout numkeras cannot map, or ``reshape=True`` with a different number of
    values). ``layer`` is the layer's name; the message says what to change."""

    def __init__(self, message, layer=None):
        super().__init__(message)
        self.layer = layer


__all__ = ["ModelFileError", "WeightConversionError", "UnsafeDeserializationError", "MissingComponentError",
           "LayerConfigError", "UnsupportedConfigError"]
