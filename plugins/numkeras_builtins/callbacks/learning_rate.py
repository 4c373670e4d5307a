"""Callbacks that change the optimizer's learning rate: LearningRateScheduler, ReduceLROnPlateau."""

import inspect
import warnings

import numpy as np

from numkeras import backend as K
from numkeras.callbacks import Callback

from .monitoring import monitored_value, resolve_mode, worst_value


def _learning_rate(model, owner):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise ValueError(f"{owner}: the model's optimizer must have an 'lr' attribute "
                         f"(got {type(optimizer).__name__}).")
    return optimizer.lr


def _takes_two_arguments(schedule):
    try:
        parameters = list(inspect.signature(schedule).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from a schedule.

    Arguments:
        schedule: ``schedule(epoch)`` or ``schedule(epoch, lr)`` returning the new
            learning rate (a float); ``epoch`` counts from 0, ``lr`` is the current rate.
        verbose: 1 prints each update.

    Example:
        >>> def step_decay(epoch):
        ...     return 0.01 * 0.5 ** (epoch // 10)
        >>> model.fit(x, y, callbacks=[LearningRateScheduler(step_decay)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose
        self._two_arguments = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        variable = _learning_rate(self.model, "LearningRateScheduler")
        current = float(K.get_value(variable))
        lr = self.schedule(epoch, current) if self._two_arguments else self.schedule(epoch)
        if isinstance(lr, np.ndarray) and lr.ndim == 0:
            lr = lr.item()
        if not isinstance(lr, (float, int, np.floating, np.integer)) or isinstance(lr, bool):
            raise ValueError(f'The output of the "schedule" function should be float; got {lr!r} '
                             f"(type {type(lr).__name__}) for epoch {epoch}.")
        K.set_value(variable, float(lr))
        if self.verbose > 0:
            print("\nEpoch %05d: LearningRateScheduler setting learning rate to %s." % (epoch + 1, lr))


class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a monitored quantity has stopped improving.

    Arguments:
        monitor: the log key to watch.
        factor: ``new_lr = lr * factor`` (must be < 1).
        patience: epochs without improvement after which the rate is reduced.
        verbose: 1 prints each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (max for accuracies, else min).
        min_delta: the smallest change counted as an improvement
            (Keras 1's ``epsilon`` is accepted with a DeprecationWarning).
        cooldown: epochs to wait after a reduction before counting patience again.
        min_lr: the lowest learning rate.

    Adds the current learning rate to the epoch logs as ``'lr'``.

    Example:
        >>> reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001)
        >>> model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("ReduceLROnPlateau: the argument 'epsilon' is deprecated; use 'min_delta' instead.",
                          DeprecationWarning, stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword argument(s): {sorted(kwargs)}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0 (got factor={factor}).")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.mode = resolve_mode(mode, monitor, "Learning Rate Plateau Reducing")
        self._reset()

    def _reset(self):
        self.best = worst_value(self.mode)
        self.cooldown_counter = 0
        self.wait = 0

    def _improved(self, current):
        if self.mode == "min":
            return np.less(current, self.best - self.min_delta)
        return np.greater(current, self.best + self.min_delta)

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        variable = _learning_rate(self.model, "ReduceLROnPlateau")
        if logs is not None:
            logs["lr"] = float(K.get_value(variable))
        current = monitored_value(logs, self.monitor, "Reduce LR on plateau", "the learning rate is left as is")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(K.get_value(variable))
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    K.set_value(variable, new_lr)
                    if self.verbose > 0:
                        print("\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s." % (epoch + 1, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
