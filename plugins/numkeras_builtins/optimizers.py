"""Built-in optimizers with Keras 2.2.4's update rules and defaults.

Each implements ``update_step(param, grad, slots, lr)`` on NumPy arrays, in place;
the base class (:class:`numkeras.optimizers.Optimizer`) handles ``lr`` /
``learning_rate``, ``decay``, ``clipnorm``, ``clipvalue``, constraints and state.
"""

import numpy as np

from numkeras import backend as K
from numkeras.optimizers import Optimizer


def _epsilon(value):
    return K.epsilon() if value is None else float(value)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and Nesterov momentum.

    ``v = momentum * v - lr * g``; ``p += v`` (Nesterov: ``p += momentum * v - lr * g``).

    Arguments:
        lr: learning rate (default 0.01). momentum: >= 0. nesterov: bool. decay: see Optimizer.
    """

    slot_names = ("moments",)
    default_lr = 0.01

    def __init__(self, lr=None, momentum=0.0, decay=0.0, nesterov=False, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        if momentum < 0:
            raise ValueError(f"SGD: momentum must be >= 0, got {momentum}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update_step(self, param, grad, slots, lr):
        if not self.momentum:
            param.data -= lr * grad
            return
        velocity = slots["moments"]
        velocity *= self.momentum
        velocity -= lr * grad
        if self.nesterov:
            param.data += self.momentum * velocity - lr * grad
        else:
            param.data += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSProp: ``a = rho * a + (1 - rho) * g**2``; ``p -= lr * g / (sqrt(a) + epsilon)``.

    Arguments:
        lr: default 0.001. rho: decay of the squared-gradient average. epsilon: default K.epsilon().
    """

    slot_names = ("accumulators",)
    default_lr = 0.001

    def __init__(self, lr=None, rho=0.9, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.rho = float(rho)
        self.epsilon = _epsilon(epsilon)

    def update_step(self, param, grad, slots, lr):
        accumulator = slots["accumulators"]
        accumulator *= self.rho
        accumulator += (1.0 - self.rho) * np.square(grad)
        param.data -= lr * grad / (np.sqrt(accumulator) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adagrad(Optimizer):
    """Adagrad: ``a += g**2``; ``p -= lr * g / (sqrt(a) + epsilon)``; accumulators start at 0.

    Arguments:
        lr: default 0.01. epsilon: default K.epsilon().
    """

    slot_names = ("accumulators",)
    default_lr = 0.01

    def __init__(self, lr=None, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.epsilon = _epsilon(epsilon)

    def update_step(self, param, grad, slots, lr):
        accumulator = slots["accumulators"]
        accumulator += np.square(grad)
        param.data -= lr * grad / (np.sqrt(accumulator) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) with a learning rate, as in Keras: default ``lr=1.0``, ``rho=0.95``.

    ``a = rho a + (1 - rho) g**2``; ``u = g * sqrt(d + eps) / sqrt(a + eps)``;
    ``p -= lr * u``; ``d = rho d + (1 - rho) u**2``.
    """

    slot_names = ("accumulators", "delta_accumulators")
    default_lr = 1.0

    def __init__(self, lr=None, rho=0.95, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.rho = float(rho)
        self.epsilon = _epsilon(epsilon)

    def update_step(self, param, grad, slots, lr):
        accumulator, delta = slots["accumulators"], slots["delta_accumulators"]
        accumulator *= self.rho
        accumulator += (1.0 - self.rho) * np.square(grad)
        update = grad * np.sqrt(delta + self.epsilon) / np.sqrt(accumulator + self.epsilon)
        param.data -= lr * update
        delta *= self.rho
        delta += (1.0 - self.rho) * np.square(update)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad.

    ``t = iterations + 1``; ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g**2``;
    ``p -= lr_t * m / (sqrt(v) + epsilon)`` (AMSGrad: ``v`` replaced by its running max).
    """

    slot_names = ("ms", "vs", "vhats")
    default_lr = 0.001

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon(epsilon)
        self.amsgrad = bool(amsgrad)

    def initial_slot(self, name, param):
        if name == "vhats" and not self.amsgrad:
            return np.zeros((1,), dtype=param.dtype)  # Keras 2.2 keeps a placeholder per weight
        return super().initial_slot(name, param)

    def update_step(self, param, grad, slots, lr):
        t = int(self.iterations.data) + 1
        lr_t = lr * np.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        m, v = slots["ms"], slots["vs"]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        v *= self.beta_2
        v += (1.0 - self.beta_2) * np.square(grad)
        if self.amsgrad:
            vhat = slots["vhats"]
            np.maximum(vhat, v, out=vhat)
            param.data -= lr_t * m / (np.sqrt(vhat) + self.epsilon)
        else:
            param.data -= lr_t * m / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adamax(Optimizer):
    """Adamax, Adam's infinity-norm variant: ``u = max(b2 u, |g|)``; ``p -= lr / (1 - b1**t) * m / (u + eps)``."""

    slot_names = ("ms", "us")
    default_lr = 0.002

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon(epsilon)

    def update_step(self, param, grad, slots, lr):
        t = int(self.iterations.data) + 1
        lr_t = lr / (1.0 - self.beta_1 ** t)
        m, u = slots["ms"], slots["us"]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        np.maximum(self.beta_2 * u, np.abs(grad), out=u)
        param.data -= lr_t * m / (u + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nesterov Adam (Dozat 2016) with Keras 2.2.4's momentum schedule (``schedule_decay=0.004``)."""

    slot_names = ("ms", "vs")
    default_lr = 0.002

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004, **kwargs):
        super().__init__(lr=lr, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon(epsilon)
        self.schedule_decay = float(schedule_decay)
        self.m_schedule = K.Variable(np.array(1.0, dtype=K.floatx()), name="m_schedule:0", trainable=False)

    def begin_step(self):
        t = int(self.iterations.data) + 1
        self._cache_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))
        self._cache_t_1 = self.beta_1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        schedule = float(self.m_schedule.data)
        self._schedule_new = schedule * self._cache_t
        self._schedule_next = schedule * self._cache_t * self._cache_t_1
        self._t = t
        self.m_schedule.data[...] = self._schedule_new

    def update_step(self, param, grad, slots, lr):
        m, v = slots["ms"], slots["vs"]
        g_prime = grad / (1.0 - self._schedule_new)
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        m_prime = m / (1.0 - self._schedule_next)
        v *= self.beta_2
        v += (1.0 - self.beta_2) * np.square(grad)
        v_prime = v / (1.0 - self.beta_2 ** self._t)
        m_bar = (1.0 - self._cache_t) * g_prime + self._cache_t_1 * m_prime
        param.data -= lr * m_bar / (np.sqrt(v_prime) + self.epsilon)

    def get_weights(self):
        weights = super().get_weights()
        return weights[:1] + [np.array(self.m_schedule.data)] + weights[1:]

    def set_weights(self, weights, params=None):
        weights = list(weights)
        schedule = weights.pop(1) if len(weights) > 1 else None
        super().set_weights(weights, params)
        if schedule is not None:
            self.m_schedule.data[...] = schedule

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "schedule_decay": self.schedule_decay}
