"""numkeras-extras: numkeras components."""

import numpy as np

from numkeras import backend as K
from numkeras.callbacks import Callback
from numkeras.metrics import Metric
from numkeras.optimizers import Optimizer


def numkeras_extras_half_squared_error(y_true, y_pred):
    """One value per sample: half the mean squared error over the last axis."""
    return 0.5 * K.mean(K.square(y_pred - y_true), axis=-1)


class NumkerasExtrasMeanAbsoluteError(Metric):
    """The mean absolute error over every value seen since the last reset."""

    def __init__(self, name="numkeras_extras_mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_weight("total", dtype="float64")  # add_weight: reset_states resets it
        self.count = self.add_weight("count", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = np.abs(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))
        self.total.data[...] += error.sum()
        self.count.data[...] += error.size

    def result(self):
        count = float(self.count.data)
        return K.constant(float(self.total.data) / count if count else 0.0, dtype=self.dtype)


def numkeras_extras_swish(x):
    """``x * sigmoid(x)``."""
    return x * K.sigmoid(x)


class NumkerasExtrasSignSGD(Optimizer):
    """Moves each weight by ``lr`` against the sign of its gradient."""

    default_lr = 0.01

    def update_step(self, param, grad, slots, lr):
        param.data -= lr * np.sign(grad)


class NumkerasExtrasEpochPrinter(Callback):
    """Prints the loss after each epoch."""

    def on_epoch_end(self, epoch, logs=None):
        print(f"epoch {epoch}: loss {(logs or {}).get('loss')}")
