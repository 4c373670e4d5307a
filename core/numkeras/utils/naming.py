"""Default names of layers, metrics and other components, derived from their class names."""

import re


def to_snake_case(name):
    """``'Conv2D'`` → ``'conv2d'``, ``'MyLayer'`` → ``'my_layer'``."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


__all__ = ["to_snake_case"]
