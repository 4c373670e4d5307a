"""LAMB and Lookahead.

* :class:`LAMB` (You et al., "Large Batch Optimization for Deep Learning: Training BERT
  in 76 minutes", 2019): Adam's step, plus decoupled weight decay, rescaled per weight
  tensor by the trust ratio ``||w|| / ||step||``.
* :class:`Lookahead` (Zhang et al., "Lookahead Optimizer: k steps forward, 1 step back",
  2019): wraps any optimizer; every ``sync_period`` updates the slow weights move
  ``slow_step_size`` of the way to the fast ones, and the fast weights restart there.
"""


import numpy as np

from numkeras import optimizers
from numkeras.optimizers import Optimizer
from numkeras.utils.validation import check, integer, number


class LAMB(Optimizer):
    """Layer-wise Adaptive Moments for Batch training.

    For each weight tensor ``w`` with gradient ``g``, at update ``t`` (from 1)::

        m = beta_1 m + (1 - beta_1) g            v = beta_2 v + (1 - beta_2) g**2
        r = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon) + weight_decay * w
        w -= lr * (||w|| / ||r||) * r            (the ratio is 1 when either norm is 0)

    Arguments:
        lr: the learning rate (default 0.001). beta_1, beta_2: in ``[0, 1)`` (0.9, 0.999).
        epsilon: default 1e-6. weight_decay: ``>= 0``, decoupled, as ``lambda`` in the
            paper (default 0). decay, clipnorm, clipvalue: as for every optimizer.
    """

    slot_names = ("ms", "vs")
    default_lr = 0.001
    # What the conformance kit builds: a rate at which 300 steps on its quadratic get there.
    conformance_example = {"kwargs": {"lr": 0.01}}

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=1e-6, weight_decay=0.0, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check("LAMB", beta_1=(beta_1, number(0, 1, high_open=True)), beta_2=(beta_2, number(0, 1, high_open=True)),
              epsilon=(epsilon, number(0)), weight_decay=(weight_decay, number(0)))
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon, self.weight_decay = float(epsilon), float(weight_decay)

    def update_step(self, param, grad, slots, lr):
        t = int(self.iterations.data) + 1
        m, v = slots["ms"], slots["vs"]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        v *= self.beta_2
        v += (1.0 - self.beta_2) * np.square(grad)
        step = (m / (1.0 - self.beta_1 ** t)) / (np.sqrt(v / (1.0 - self.beta_2 ** t)) + self.epsilon)
        if self.weight_decay:
            step += self.weight_decay * param.data
        weight_norm = float(np.linalg.norm(param.data))
        step_norm = float(np.linalg.norm(step))
        trust = weight_norm / step_norm if weight_norm > 0 and step_norm > 0 else 1.0
        param.data -= (lr * trust * step).astype(param.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay}


class Lookahead(Optimizer):
    """Wraps an optimizer: ``k`` fast steps, then one slow step back towards where they started.

    The inner optimizer updates the (fast) weights as usual. Every ``sync_period``
    updates, each weight's slow copy moves to ``slow + slow_step_size * (fast - slow)``
    and the fast weight is set to it. The slow copies start at the weights' values at
    the first update.

    Arguments:
        optimizer: the inner optimizer: a name (``'adam'``), a config dict or an instance.
        sync_period: ``k``, a positive integer (default 6).
        slow_step_size: ``alpha``, in ``(0, 1]`` (default 0.5).

    ``optimizer.lr`` is the inner optimizer's learning rate (learning-rate callbacks
    change it); the saved state is this optimizer's then the inner one's.

    Example:
        >>> model.compile(Lookahead(Adam(lr=0.01)), 'mse')   # or Lookahead('adam', sync_period=5)
    """

    slot_names = ("slow",)
    conformance_example = {"kwargs": {"optimizer": "sgd"}}

    def __init__(self, optimizer="adam", sync_period=6, slow_step_size=0.5, name=None):
        check("Lookahead", sync_period=(sync_period, integer(minimum=1)),
              slow_step_size=(slow_step_size, number(0, 1, low_open=True)))
        try:
            inner = optimizers.get(optimizer)
        except TypeError:
            inner = None
        if not isinstance(inner, Optimizer):
            raise TypeError(f"Lookahead: optimizer must be a numkeras Optimizer (or its name or config), "
                            f"got {optimizer!r}.")
        self.optimizer = inner
        super().__init__(name=name)
        self._lr = inner.lr  # one learning rate: the inner optimizer's
        self.sync_period, self.slow_step_size = int(sync_period), float(slow_step_size)

    def initial_slot(self, name, param):
        return np.array(param.data, copy=True)

    def apply_gradients(self, grads_and_vars, consume=False):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return
        self.build([param for _, param in pairs])  # slow copies of the weights before this first step
        self.optimizer.apply_gradients(pairs, consume=consume)
        self.iterations.data[...] += 1
        if int(self.iterations.data) % self.sync_period == 0:
            for _, param in pairs:
                slow = self._slots[id(param)]["slow"]
                slow += self.slow_step_size * (param.data - slow)
                param.data[...] = slow

    def current_lr(self):
        return self.optimizer.current_lr()

    # -- state: this optimizer's arrays, then the inner one's --------------------------
    def build(self, params):
        super().build(params)
        self.optimizer.build(params)

    @property
    def weights(self):
        return super().weights + list(self.optimizer.weights)

    def get_weights(self):
        return super().get_weights() + self.optimizer.get_weights()

    def set_weights(self, weights, params=None):
        if params is not None:
            self.build(params)
        own = 1 + len(self.slot_names) * len(self._params)
        weights = list(weights)
        super().set_weights(weights[:own])
        self.optimizer.set_weights(weights[own:])

    def get_config(self):
        return {"optimizer": optimizers.serialize(self.optimizer), "sync_period": self.sync_period,
                "slow_step_size": self.slow_step_size}

    @classmethod
    def from_config(cls, config):
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self):
        return f"<Lookahead {self.optimizer!r} k={self.sync_period} alpha={self.slow_step_size:g}>"


