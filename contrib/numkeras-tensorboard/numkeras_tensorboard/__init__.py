"""numkeras-tensorboard: the Keras ``TensorBoard`` callback as a numkeras plugin distribution."""

from .callback import TensorBoard

__all__ = ["TensorBoard"]
