"""numkeras-autolog: records every fit() to a JSON-lines run log (a numkeras hook plugin)."""

from .plugin import DEFAULT_PATH, PATH_ENV, Autolog, plugin, weights_checksum

__all__ = ["Autolog", "plugin", "weights_checksum", "PATH_ENV", "DEFAULT_PATH"]
