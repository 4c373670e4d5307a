"""Built-in optimizers with Keras 2.2.4's update rules and defaults.

Each implements ``update_step(param, grad, slots, lr)`` on NumPy arrays, in place;
the base class (:class:`numkeras.optimizers.Optimizer`) handles ``lr`` /
``learning_rate``, ``decay``, ``clipnorm``, ``clipvalue``, constraints and state.
``t`` below is the 1-based number of the update being made (``iterations + 1``).
"""

import math

import numpy as np

from numkeras import backend as K
from numkeras.backend import kernels
from numkeras.optimizers import Optimizer
from numkeras.optimizers.base import check_fraction, check_non_negative
from numkeras.utils.generic_utils import to_list


def _epsilon(owner, value):
    """``K.epsilon()`` when None, as in Keras 2.2."""
    if value is None:
        return K.epsilon()
    check_non_negative(owner, epsilon=value)
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and Nesterov momentum.

    ``v = momentum * v - lr * g``; ``p += v`` (Nesterov: ``p += momentum * v - lr * g``).

    Arguments:
        lr: learning rate, default 0.01.
        momentum: ``>= 0``; accelerates SGD in the relevant direction and dampens oscillations.
        decay: ``>= 0``; learning-rate decay over each update.
        nesterov: whether to apply Nesterov momentum.
        **kwargs: ``learning_rate``, ``clipnorm``, ``clipvalue`` (see the base class).

    Example:
        >>> sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
        >>> model.compile(loss='mean_squared_error', optimizer=sgd)
    """

    slot_names = ("moments",)
    default_lr = 0.01

    def __init__(self, lr=None, momentum=0.0, decay=0.0, nesterov=False, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_non_negative("SGD", momentum=momentum)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update_step(self, param, grad, slots, lr):
        # grad is this step's own array (see Optimizer.update_step): axpy may scale it in place.
        if not self.momentum:  # the velocity is just -lr * g: skip the state
            kernels.axpy(-lr, grad, param.data)
            return
        velocity = slots["moments"]
        velocity *= self.momentum
        if self.nesterov:
            grad *= lr
            velocity -= grad
            param.data += self.momentum * velocity
            param.data -= grad
        else:
            kernels.axpy(-lr, grad, velocity)
            param.data += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSProp: ``a = rho * a + (1 - rho) * g**2``; ``p -= lr * g / (sqrt(a) + epsilon)``.

    A good choice for recurrent networks. Leave the parameters at their defaults,
    except the learning rate.

    Arguments:
        lr: default 0.001. rho: ``>= 0``, decay of the squared-gradient average (0.9).
        epsilon: fuzz factor, default ``K.epsilon()``. decay: learning-rate decay.
        momentum, centered: tf.keras's extensions, accepted at their defaults (0, False)
            so that tf.keras configs load; other values raise ``ValueError``.
    """

    slot_names = ("accumulators",)
    default_lr = 0.001
    legacy_weights_without_iterations = True

    def __init__(self, lr=None, rho=0.9, epsilon=None, decay=0.0, momentum=0.0, centered=False, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_non_negative("RMSprop", rho=rho)
        if momentum or centered:
            raise ValueError(
                f"RMSprop: momentum={momentum!r} / centered={centered!r} are not supported (Keras 2.2's "
                f"RMSprop has neither); use SGD(momentum=...) or Adam."
            )
        self.rho = float(rho)
        self.epsilon = _epsilon("RMSprop", epsilon)

    def update_step(self, param, grad, slots, lr):
        # The formula above, evaluated in the same order with one scratch array (grad is ours).
        accumulator = slots["accumulators"]
        scratch = np.square(grad)
        scratch *= 1.0 - self.rho
        accumulator *= self.rho
        accumulator += scratch
        grad *= lr
        np.sqrt(accumulator, out=scratch)
        scratch += self.epsilon
        grad /= scratch
        param.data -= grad

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adagrad(Optimizer):
    """Adagrad: ``a += g**2``; ``p -= lr * g / (sqrt(a) + epsilon)``; accumulators start at 0.

    Arguments:
        lr: default 0.01. epsilon: default ``K.epsilon()``. decay: learning-rate decay.
        initial_accumulator_value: ``>= 0``, the accumulators' starting value (0 as in
            Keras 2.2; tf.keras writes 0.1 in its configs).
    """

    slot_names = ("accumulators",)
    default_lr = 0.01
    legacy_weights_without_iterations = True

    def __init__(self, lr=None, epsilon=None, decay=0.0, initial_accumulator_value=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_non_negative("Adagrad", initial_accumulator_value=initial_accumulator_value)
        self.epsilon = _epsilon("Adagrad", epsilon)
        self.initial_accumulator_value = float(initial_accumulator_value)

    def initial_slot(self, name, param):
        return np.full(param.shape, self.initial_accumulator_value, dtype=param.dtype)

    def update_step(self, param, grad, slots, lr):
        accumulator = slots["accumulators"]
        accumulator += np.square(grad)
        param.data -= lr * grad / (np.sqrt(accumulator) + self.epsilon)

    def get_config(self):
        config = {**super().get_config(), "epsilon": self.epsilon}
        if self.initial_accumulator_value:
            config["initial_accumulator_value"] = self.initial_accumulator_value
        return config


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) with a learning rate, as in Keras: default ``lr=1.0``, ``rho=0.95``.

    ``a = rho a + (1 - rho) g**2``; ``u = g * sqrt(d + eps) / sqrt(a + eps)``;
    ``p -= lr * u``; ``d = rho d + (1 - rho) u**2``.
    """

    slot_names = ("accumulators", "delta_accumulators")
    default_lr = 1.0
    legacy_weights_without_iterations = True

    def __init__(self, lr=None, rho=0.95, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_non_negative("Adadelta", rho=rho)
        self.rho = float(rho)
        self.epsilon = _epsilon("Adadelta", epsilon)

    def update_step(self, param, grad, slots, lr):
        # The formula above, a cache-sized chunk at a time (grad is ours: the kernel may overwrite it).
        kernels.adadelta_update(param.data, grad, slots["accumulators"], slots["delta_accumulators"],
                                self.rho, lr, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad.

    ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g**2``;
    ``p -= lr_t * m / (sqrt(v) + epsilon)`` (AMSGrad: ``v`` replaced by its running max).

    Arguments:
        lr: default 0.001. beta_1, beta_2: in ``[0, 1)`` (0.9, 0.999).
        epsilon: default ``K.epsilon()``. decay: learning-rate decay.
        amsgrad: use the AMSGrad variant ("On the Convergence of Adam and Beyond").
    """

    slot_names = ("ms", "vs", "vhats")
    default_lr = 0.001

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_fraction("Adam", beta_1=beta_1, beta_2=beta_2)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon("Adam", epsilon)
        self.amsgrad = bool(amsgrad)

    def initial_slot(self, name, param):
        if name == "vhats" and not self.amsgrad:
            return np.zeros((1,), dtype=param.dtype)  # Keras 2.2 keeps a placeholder per weight
        return super().initial_slot(name, param)

    def update_step(self, param, grad, slots, lr):
        t = int(self.iterations.data) + 1
        lr_t = lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        # The formula above, in this order, in one kernel (grad is ours: the kernel's scratch).
        vhat = slots["vhats"] if self.amsgrad else None
        kernels.adam_update(param.data, grad, slots["ms"], slots["vs"], vhat, self.beta_1, self.beta_2, lr_t,
                            self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adamax(Optimizer):
    """Adamax, Adam's infinity-norm variant.

    ``m = b1 m + (1 - b1) g``; ``u = max(b2 u, |g|)``; ``p -= lr / (1 - b1**t) * m / (u + eps)``.

    Arguments:
        lr: default 0.002. beta_1, beta_2: in ``[0, 1)``. epsilon: default ``K.epsilon()``.
        decay: learning-rate decay.
    """

    slot_names = ("ms", "us")
    default_lr = 0.002

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, **kwargs):
        super().__init__(lr=lr, decay=decay, **kwargs)
        check_fraction("Adamax", beta_1=beta_1, beta_2=beta_2)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon("Adamax", epsilon)

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
    """Nesterov Adam (Dozat 2016) with Keras 2.2.4's warming momentum schedule.

    ``mu_t = beta_1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))``; ``S_t = mu_1 * … * mu_t``;
    ``g' = g / (1 - S_t)``; ``m = b1 m + (1 - b1) g``; ``m' = m / (1 - S_t * mu_{t+1})``;
    ``v = b2 v + (1 - b2) g**2``; ``v' = v / (1 - b2**t)``;
    ``p -= lr * ((1 - mu_t) g' + mu_{t+1} m') / (sqrt(v') + eps)``.

    ``S_t`` depends only on ``t``, so restoring ``iterations`` (``set_weights``)
    restores it: the weights are Keras 2.2's ``[iterations, ms…, vs…]``.

    Arguments:
        lr: default 0.002. beta_1, beta_2: in ``[0, 1)``. epsilon: default ``K.epsilon()``.
        schedule_decay: ``>= 0`` (0.004). decay: learning-rate decay (not in Keras 2.2's
            Nadam; accepted as in tf.keras, default 0).
    """

    slot_names = ("ms", "vs")
    default_lr = 0.002

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004, **kwargs):
        super().__init__(lr=lr, **kwargs)
        check_fraction("Nadam", beta_1=beta_1, beta_2=beta_2)
        check_non_negative("Nadam", schedule_decay=schedule_decay)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon("Nadam", epsilon)
        self.schedule_decay = float(schedule_decay)
        self.m_schedule = K.Variable(np.array(1.0, dtype=K.floatx()), name="m_schedule:0", trainable=False)
        self._schedule = (0, 1.0)  # (steps, S_steps) in float64

    def _momentum_cache(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def _schedule_after(self, steps):
        """``S_steps``, the product of the first ``steps`` momentum caches (1 for none)."""
        done, value = self._schedule
        if done > steps:
            done, value = 0, 1.0
        while done < steps:
            done += 1
            value *= self._momentum_cache(done)
        self._schedule = (done, value)
        return value

    def begin_step(self):
        t = int(self.iterations.data) + 1
        self._t = t
        self._cache_t = self._momentum_cache(t)
        self._cache_t_1 = self._momentum_cache(t + 1)
        self._schedule_new = self._schedule_after(t)
        self._schedule_next = self._schedule_new * self._cache_t_1
        self.m_schedule.data[...] = self._schedule_new

    def weights_restored(self):
        self.m_schedule.data[...] = self._schedule_after(int(self.iterations.data))

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

    def get_config(self):
        config = {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                  "epsilon": self.epsilon, "schedule_decay": self.schedule_decay}
        if not config["decay"]:
            del config["decay"]  # Keras 2.2's Nadam takes no decay: keep its config loadable there
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), with tf.keras 2.11+'s formula.

    Before each Adam update every parameter decays: ``p -= p * weight_decay * lr``
    (``lr`` the rate of this update, after ``decay``); then Adam's step runs on the
    gradient, which carries no decay term.

    Arguments:
        lr / learning_rate: default 0.001. weight_decay: ``>= 0`` (0.004, tf.keras's default).
        beta_1, beta_2, epsilon, amsgrad, decay: as for :class:`Adam`.

    Parameters can be left out of the decay with :meth:`exclude_from_weight_decay`.

    Example:
        >>> model.compile(optimizer=AdamW(learning_rate=1e-3, weight_decay=1e-4), loss='mse')
    """

    def __init__(self, lr=None, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0,
                 amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay is required (a number >= 0, e.g. 0.004).")
        check_non_negative("AdamW", weight_decay=weight_decay)
        super().__init__(lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, decay=decay, amsgrad=amsgrad,
                         **kwargs)
        self.weight_decay = float(weight_decay)
        self._excluded_ids = set()
        self._excluded_names = ()

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leaves ``var_list`` (variables) and the variables whose name contains one of ``var_names`` undecayed.

        Either argument may be one item or a list: ``var_names="bias"`` excludes the variables whose
        name contains ``"bias"`` (not every name containing a ``b``, an ``i``, an ``a`` or an ``s``).
        """
        var_list = [] if var_list is None else to_list(var_list, allow_tuple=True)
        var_names = [] if var_names is None else to_list(var_names, allow_tuple=True)
        for name in var_names:
            if not isinstance(name, str) or not name:
                raise TypeError(f"AdamW.exclude_from_weight_decay: var_names must be non-empty strings (parts of "
                                f"variable names such as 'bias'), got {name!r}.")
        self._excluded_ids |= {id(v) for v in var_list}
        self._excluded_names = tuple(self._excluded_names) + tuple(var_names)

    def _decays(self, param):
        if id(param) in self._excluded_ids:
            return False
        name = getattr(param, "name", None) or ""
        return not any(part in name for part in self._excluded_names)

    def update_step(self, param, grad, slots, lr):
        if self.weight_decay and self._decays(param):
            param.data -= param.data * np.asarray(self.weight_decay * lr, dtype=param.dtype)
        super().update_step(param, grad, slots, lr)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}
