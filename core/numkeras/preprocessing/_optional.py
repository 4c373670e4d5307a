"""Importing a dependency of the optional ``image`` extra when a feature first needs it."""

import importlib


def require_image_extra(module, reason, package):
    """The module ``module``, or an ImportError that says ``reason`` and how to install ``package``.

    Example:
        >>> ndimage = require_image_extra("scipy.ndimage", "Image rotation needs scipy.", "scipy")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{reason} Install it with `pip install numkeras[image]` (or `pip install {package}`)."
        ) from exc
