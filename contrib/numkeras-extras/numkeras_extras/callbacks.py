"""Learning-rate schedules per training step: cosine decay with warm restarts, and one cycle.

Both set ``model.optimizer.lr`` before every training batch from the optimizer's own
step count (``optimizer.iterations``), so a second ``fit`` call, or a model loaded with
its optimizer state, continues the schedule where it stopped. Both add the rate to the
epoch logs as ``'lr'``.
"""

import math

from numkeras import backend as K
from numkeras.callbacks import Callback
from numkeras.utils.validation import check, integer, number


class _StepSchedule(Callback):
    def __init__(self, verbose=0):
        super().__init__()
        self.verbose = verbose

    def learning_rate(self, step):
        """The learning rate of training step ``step`` (counted from 0)."""
        raise NotImplementedError

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "lr") or not hasattr(optimizer, "iterations"):
            raise ValueError(f"{type(self).__name__}: the model must be compiled with a numkeras optimizer "
                             f"(it needs optimizer.lr and optimizer.iterations); got {optimizer!r}.")
        return optimizer

    def on_batch_begin(self, batch, logs=None):
        optimizer = self._optimizer()
        step = int(K.get_value(optimizer.iterations))
        lr = self.learning_rate(step)
        K.set_value(optimizer.lr, lr)
        if self.verbose > 1:
            print(f"\n{type(self).__name__}: step {step}, learning rate {lr:.6g}")

    def on_epoch_end(self, epoch, logs=None):
        lr = float(K.get_value(self._optimizer().lr))
        if logs is not None:
            logs["lr"] = lr
        if self.verbose:
            print(f"\nEpoch {epoch + 1:05d}: {type(self).__name__} learning rate {lr:.6g}.")


class CosineDecayRestarts(_StepSchedule):
    """Cosine decay with warm restarts, SGDR (Loshchilov & Hutter, 2017), per training step.

    Cycle ``i`` (from 0) lasts ``first_decay_steps * t_mul**i`` steps; after ``t`` of its
    ``T`` steps the rate is
    ``initial_lr * (alpha + (1 - alpha) * m_mul**i * 0.5 * (1 + cos(pi * t / T)))``:
    from the cycle's peak down to ``alpha * initial_lr``, then back up at the next cycle
    (tf.keras's ``CosineDecayRestarts``, step for step).

    Arguments:
        initial_lr: the first cycle's peak rate, ``> 0``.
        first_decay_steps: the first cycle's length in steps, a positive integer.
        t_mul: ``>= 1``: each cycle is this many times longer than the one before (default 2).
        m_mul: in ``(0, 1]``: each cycle's peak is this fraction of the one before (default 1).
        alpha: in ``[0, 1]``: the lowest rate, as a fraction of ``initial_lr`` (default 0).
        verbose: 1 prints the rate each epoch, 2 each step.

    Example:
        >>> model.fit(x, y, epochs=30, callbacks=[CosineDecayRestarts(0.05, first_decay_steps=100)])
    """

    conformance_example = {"kwargs": {"initial_lr": 0.1, "first_decay_steps": 3}}

    def __init__(self, initial_lr, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, verbose=0):
        check("CosineDecayRestarts", initial_lr=(initial_lr, number(0, low_open=True)),
              first_decay_steps=(first_decay_steps, integer(minimum=1)), t_mul=(t_mul, number(1)),
              m_mul=(m_mul, number(0, 1, low_open=True)), alpha=(alpha, number(0, 1)))
        super().__init__(verbose)
        self.initial_lr, self.first_decay_steps = float(initial_lr), int(first_decay_steps)
        self.t_mul, self.m_mul, self.alpha = float(t_mul), float(m_mul), float(alpha)

    def learning_rate(self, step):
        cycle, start, length = 0, 0, float(self.first_decay_steps)
        while step >= start + length:  # at most log(step) cycles when t_mul > 1
            start, length, cycle = start + length, length * self.t_mul, cycle + 1
        fraction = (step - start) / length
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return self.initial_lr * (self.alpha + (1.0 - self.alpha) * self.m_mul ** cycle * cosine)


class OneCycleLR(_StepSchedule):
    """The one-cycle policy (Smith & Topin, 2018), as PyTorch's ``OneCycleLR`` (cosine, two phases).

    Over ``total_steps`` training steps the rate rises from ``max_lr / div_factor`` to
    ``max_lr`` during the first ``pct_start`` of them, then anneals down to
    ``max_lr / div_factor / final_div_factor``, both along a half cosine: phase one ends
    at step ``pct_start * total_steps - 1``, phase two at ``total_steps - 1``. Later
    steps keep the final rate.

    Arguments:
        max_lr: the peak rate, ``> 0``.
        total_steps: the length of the cycle in training steps (epochs x batches per epoch).
        pct_start: in ``(0, 1)``: the rising share of the cycle (default 0.3).
        div_factor: ``> 0``: the start rate is ``max_lr / div_factor`` (default 25).
        final_div_factor: ``> 0``: the final rate is the start rate over this (default 1e4).
        verbose: 1 prints the rate each epoch, 2 each step.

    Example:
        >>> model.fit(x, y, epochs=5, batch_size=128,
        ...           callbacks=[OneCycleLR(0.01, total_steps=5 * math.ceil(len(x) / 128))])
    """

    conformance_example = {"kwargs": {"max_lr": 0.1, "total_steps": 10}}

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, verbose=0):
        check("OneCycleLR", max_lr=(max_lr, number(0, low_open=True)), total_steps=(total_steps, integer(minimum=2)),
              pct_start=(pct_start, number(0, 1, low_open=True, high_open=True)),
              div_factor=(div_factor, number(0, low_open=True)),
              final_div_factor=(final_div_factor, number(0, low_open=True)))
        super().__init__(verbose)
        self.max_lr, self.total_steps, self.pct_start = float(max_lr), int(total_steps), float(pct_start)
        self.div_factor, self.final_div_factor = float(div_factor), float(final_div_factor)

    def learning_rate(self, step):
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        peak_step = self.pct_start * self.total_steps - 1.0
        last_step = self.total_steps - 1.0
        step = min(step, last_step)
        if step <= peak_step:
            start, end, fraction = initial, self.max_lr, step / peak_step if peak_step > 0 else 1.0
        else:
            start, end, fraction = self.max_lr, final, (step - peak_step) / (last_step - peak_step)
        return end + (start - end) / 2.0 * (1.0 + math.cos(math.pi * fraction))
