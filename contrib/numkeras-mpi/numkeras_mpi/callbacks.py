"""Horovod's Keras callbacks: broadcast the start state, average metrics, warm up and schedule the learning rate.

Registered in the ``numkeras.callbacks`` entry-point group, so
``numkeras.callbacks.MetricAverageCallback`` works once the plugin is installed, and
reachable as ``numkeras_mpi.callbacks.X`` as in Horovod.
"""

import numpy as np

from numkeras import backend as K
from numkeras.callbacks import Callback

from . import comm
from .ops import broadcast_variables


class BroadcastGlobalVariablesCallback(Callback):
    """Makes every replica start from ``root_rank``'s state: its weights and its optimizer's state.

    Runs once, at the start of the first ``fit`` it is given to, so that replicas whose
    weights were initialised differently (other seeds), or a root that loaded a checkpoint,
    train in step from the first batch. One broadcast for the weights and one for the
    optimizer's ``iterations`` and slots (when the root has them).

    Arguments:
        root_rank: the rank whose state everyone takes (usually 0).
        device: Horovod's placement argument, accepted and ignored.

    Example:
        >>> callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0)]
    """

    def __init__(self, root_rank=0, device=""):
        super().__init__()
        self.root_rank = root_rank
        self.broadcast_done = False

    def on_train_begin(self, logs=None):
        if self.broadcast_done:
            return
        comm.check_root(self.root_rank)
        broadcast_variables(self.model.weights, self.root_rank)
        optimizer = self.model.optimizer
        params = self.model.trainable_weights
        root_has_state = int(comm.broadcast_array(np.array([len(optimizer._params)]), self.root_rank,
                                                  name="broadcast of the optimizer's state size")[0])
        if root_has_state:
            optimizer.build(params)
            broadcast_variables([w.data for w in optimizer.weights], self.root_rank)
            optimizer.weights_restored()
        else:
            optimizer.iterations.data[...] = comm.broadcast_array(optimizer.iterations.data, self.root_rank)
        self.broadcast_done = True


class MetricAverageCallback(Callback):
    """Replaces each epoch's metrics (``loss``, metrics, ``val_*``) by their average over all replicas.

    Put it before the callbacks that read the metrics (EarlyStopping, ReduceLROnPlateau,
    ModelCheckpoint): numkeras_mpi puts one first in every ``fit`` of a multi-process run
    (see the README), so the progress bar and every callback see the averages.
    One allreduce per epoch.
    """

    def __init__(self, device=""):
        super().__init__()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or comm.size() == 1:
            return
        names = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.number)) and k not in ("batch", "size"))
        values = np.array([float(logs[k]) for k in names], dtype=np.float64)
        counts = comm.allgather_array(np.array([len(names)]), name="metric names")
        if len(set(counts.tolist())) != 1:
            raise ValueError(f"MetricAverageCallback: the ranks log different numbers of metrics "
                             f"({counts.tolist()}); every rank must compile the same metrics.")
        averages = comm.allreduce_array(values, name=f"metric average of epoch {epoch}") / comm.size()
        for name, value in zip(names, averages):
            logs[name] = float(value)


class LearningRateScheduleCallback(Callback):
    """Sets the learning rate to ``initial_lr * multiplier(epoch)`` from ``start_epoch`` to ``end_epoch``.

    Arguments:
        initial_lr: the base rate (``None``: the optimizer's rate when training starts).
        multiplier: a number, or a function of the epoch (a float when ``staircase=False``).
        start_epoch, end_epoch: the epochs it applies to (``end_epoch`` excluded; None: no end).
        staircase: True changes the rate at the start of each epoch (integer epochs);
            False at every batch, with the fractional epoch ``epoch + batch / steps_per_epoch``.
        momentum_correction: when the rate changes, scale SGD's momentum by ``new / old``
            for that one update (Goyal et al., 2017), so the step size changes smoothly.
        steps_per_epoch: batches per epoch (default: ``fit``'s ``steps``).
        verbose: 1 prints the rate when it changes at an epoch start.

    Example:
        >>> hvd.callbacks.LearningRateScheduleCallback(initial_lr=0.1, multiplier=0.1, start_epoch=30)
    """

    def __init__(self, initial_lr=None, multiplier=1.0, start_epoch=0, end_epoch=None, staircase=True,
                 momentum_correction=True, steps_per_epoch=None, verbose=0):
        super().__init__()
        if initial_lr is not None and not initial_lr > 0:
            raise ValueError(f"{type(self).__name__}: initial_lr must be > 0, got {initial_lr!r}.")
        if end_epoch is not None and end_epoch < start_epoch:
            raise ValueError(f"{type(self).__name__}: end_epoch ({end_epoch}) is before start_epoch ({start_epoch}).")
        self.initial_lr = initial_lr
        self.multiplier = multiplier if callable(multiplier) else (lambda epoch, value=float(multiplier): value)
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.staircase = staircase
        self.momentum_correction = momentum_correction
        self.steps_per_epoch = steps_per_epoch
        self.verbose = verbose
        self.current_epoch = None
        self._restore_momentum = None

    def _in_range(self, epoch):
        return epoch >= self.start_epoch and (self.end_epoch is None or epoch < self.end_epoch)

    def _adjust(self, epoch):
        optimizer = self.model.optimizer
        old_lr = float(K.get_value(optimizer.lr))
        new_lr = self.initial_lr * self.multiplier(epoch)
        K.set_value(optimizer.lr, new_lr)
        momentum = getattr(optimizer, "momentum", None)
        if self.momentum_correction and isinstance(momentum, float) and momentum and old_lr > 0:
            self._restore_momentum = momentum
            optimizer.momentum = momentum * new_lr / old_lr
        return new_lr

    def on_train_begin(self, logs=None):
        if self.initial_lr is None:
            self.initial_lr = float(K.get_value(self.model.optimizer.lr))
        if self.steps_per_epoch is None:
            self.steps_per_epoch = self.params.get("steps")
        if not self.staircase and not self.steps_per_epoch:
            raise ValueError(f"{type(self).__name__}: staircase=False needs steps_per_epoch (fit did not say "
                             f"how many batches an epoch has).")

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch
        if self.staircase and self._in_range(epoch):
            new_lr = self._adjust(epoch)
            if self.verbose and comm.rank() == 0:
                print(f"Epoch {epoch + 1}: {type(self).__name__} set the learning rate to {new_lr:g}.")

    def on_batch_begin(self, batch, logs=None):
        if not self.staircase and self._in_range(self.current_epoch):
            self._adjust(self.current_epoch + float(batch) / self.steps_per_epoch)

    def on_batch_end(self, batch, logs=None):
        if self._restore_momentum is not None:
            self.model.optimizer.momentum = self._restore_momentum
            self._restore_momentum = None

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(K.get_value(self.model.optimizer.lr))


class LearningRateWarmupCallback(LearningRateScheduleCallback):
    """Raises the learning rate from ``initial_lr / size()`` to ``initial_lr`` over ``warmup_epochs``.

    Large effective batches (``size() × batch``) train better when the rate that scales
    with them is reached gradually (Goyal et al., 2017). The rate grows linearly at every
    batch; the last batch of the warm-up uses ``initial_lr``.

    Arguments:
        initial_lr: the rate after the warm-up (usually ``size()`` × the one-process rate;
            ``None``: the optimizer's rate when training starts).
        warmup_epochs: the length of the warm-up, in epochs.
        momentum_correction, steps_per_epoch: as for :class:`LearningRateScheduleCallback`.
        verbose: 1 prints a line when the warm-up ends (rank 0).

    Example:
        >>> hvd.callbacks.LearningRateWarmupCallback(initial_lr=0.1 * hvd.size(), warmup_epochs=5)
    """

    def __init__(self, initial_lr=None, warmup_epochs=5, momentum_correction=True, steps_per_epoch=None, verbose=0):
        if not warmup_epochs > 0:
            raise ValueError(f"LearningRateWarmupCallback: warmup_epochs must be > 0, got {warmup_epochs!r}.")
        self.warmup_epochs = warmup_epochs
        super().__init__(initial_lr=initial_lr, multiplier=self._warmup_multiplier, start_epoch=0,
                         end_epoch=warmup_epochs, staircase=False, momentum_correction=momentum_correction,
                         steps_per_epoch=steps_per_epoch, verbose=0)
        self.warmup_verbose = verbose

    def _warmup_multiplier(self, epoch):
        size = comm.size()
        progress = (epoch + 1.0 / self.steps_per_epoch) / self.warmup_epochs  # reaches 1 on the last batch
        return (1.0 + progress * (size - 1)) / size

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.warmup_verbose and epoch == self.warmup_epochs - 1 and comm.rank() == 0:
            print(f"Epoch {epoch + 1}: finished the learning-rate warm-up to {self.initial_lr:g}.")


__all__ = ["BroadcastGlobalVariablesCallback", "MetricAverageCallback", "LearningRateScheduleCallback",
           "LearningRateWarmupCallback"]
