"""The ``Optimizer`` protocol, with Keras 2.2's shared arguments (lr, decay, clipnorm, clipvalue)."""

import warnings

import numpy as np

from .. import backend as K


class Optimizer:
    """Base class of optimizers.

    Subclasses list their per-weight state in ``slot_names`` and implement
    ``update_step(param, grad, slots, lr)``, which updates ``param.data`` (and the
    ``slots`` arrays) in place. The base class handles what every Keras optimizer
    shares:

    Arguments:
        lr / learning_rate: the learning rate (both spellings accepted).
        decay: after every update, the rate becomes ``lr / (1 + decay * iterations)``.
        clipnorm: gradients are scaled so their *global* norm is at most this.
        clipvalue: gradients are clipped elementwise to ``[-clipvalue, clipvalue]``.

    Weights (``get_weights``): ``[iterations]`` then each slot for every parameter,
    slot by slot, in parameter order — Keras 2.2's layout, so saved optimizer state
    round-trips.

    Example:
        >>> class PlainSGD(Optimizer):
        ...     slot_names = ()
        ...     def update_step(self, param, grad, slots, lr):
        ...         param.data -= lr * grad
    """

    slot_names = ()
    default_lr = 0.01

    def __init__(self, lr=None, learning_rate=None, decay=0.0, clipnorm=None, clipvalue=None, name=None, **kwargs):
        if kwargs:
            allowed = "lr, learning_rate, decay, clipnorm, clipvalue"
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}; the shared "
                f"optimizer arguments are {allowed}."
            )
        if lr is not None and learning_rate is not None and lr != learning_rate:
            raise ValueError(f"{type(self).__name__}: give either lr or learning_rate, not both.")
        rate = lr if lr is not None else learning_rate
        if rate is None:
            rate = self.default_lr
        if rate < 0 or decay < 0:
            raise ValueError(f"{type(self).__name__}: lr and decay must be >= 0 (got lr={rate}, decay={decay}).")
        if clipnorm is not None and clipnorm <= 0:
            raise ValueError(f"{type(self).__name__}: clipnorm must be > 0, got {clipnorm}.")
        if clipvalue is not None and clipvalue <= 0:
            raise ValueError(f"{type(self).__name__}: clipvalue must be > 0, got {clipvalue}.")
        self.name = name or type(self).__name__
        self.iterations = K.Variable(np.array(0, dtype=np.int64), name="iterations:0", trainable=False)
        self.lr = K.Variable(np.array(rate, dtype=K.floatx()), name="lr:0", trainable=False)
        self.initial_decay = float(decay)
        self.decay = K.Variable(np.array(decay, dtype=K.floatx()), name="decay:0", trainable=False)
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self._slots = {}  # id(param) -> {slot name: ndarray}
        self._params = []  # parameters in the order their slots were created

    @property
    def learning_rate(self):
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value):
        self.lr.assign(np.asarray(value, dtype=self.lr.dtype))

    def current_lr(self):
        """The learning rate the next update will use (after decay)."""
        lr = float(self.lr.data)
        decay = float(self.decay.data)
        if decay:
            lr = lr / (1.0 + decay * int(self.iterations.data))
        return lr

    # -- updating -----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies one update. Pairs whose gradient is ``None`` are skipped."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return
        grads = self._clip([g for g, _ in pairs])
        lr = self.current_lr()
        self.begin_step()
        for grad, param in zip(grads, (v for _, v in pairs)):
            slots = self._slots.get(id(param))
            if slots is None:
                slots = self._create_slots(param)
            if grad.dtype != param.dtype:
                grad = grad.astype(param.dtype)
            self.update_step(param, grad, slots, lr)
            if param.constraint is not None:
                param.data[...] = K._data(param.constraint(param.data))
        self.iterations.data[...] += 1

    def get_updates(self, loss, params):
        """Keras 2 API: computes gradients of ``loss`` and applies them."""
        grads = K.gradients(loss, params)
        self.apply_gradients(zip(grads, params))
        return []

    def get_gradients(self, loss, params):
        """Gradients of ``loss`` for ``params``, clipped as configured."""
        grads = K.gradients(loss, params)
        if any(g is None for g in grads):
            raise ValueError(
                "An operation has None for gradient: some parameters do not affect the loss. "
                "Make sure every trainable weight is used in the computation."
            )
        return self._clip(grads)

    def _clip(self, grads):
        if self.clipnorm is not None and self.clipnorm > 0:
            norm = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
            if norm > self.clipnorm:
                scale = self.clipnorm / norm
                grads = [g * np.asarray(scale, dtype=g.dtype) for g in grads]
        if self.clipvalue is not None and self.clipvalue > 0:
            grads = [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def begin_step(self):
        """Called once per update, before the per-parameter steps (for per-step schedules)."""

    def _create_slots(self, param):
        slots = {name: self.initial_slot(name, param) for name in self.slot_names}
        self._slots[id(param)] = slots
        self._params.append(param)
        return slots

    def initial_slot(self, name, param):
        """The initial value of slot ``name`` for ``param`` (zeros by default)."""
        return np.zeros(param.shape, dtype=param.dtype)

    def update_step(self, param, grad, slots, lr):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    # -- state ----------------------------------------------------------------------
    def build(self, params):
        """Creates the slots for ``params`` now (so ``get_weights`` is complete before training)."""
        for param in params:
            if id(param) not in self._slots:
                self._create_slots(param)

    @property
    def weights(self):
        return [self.iterations] + [
            _SlotView(self, param, name) for name in self.slot_names for param in self._params
        ]

    def get_weights(self):
        """``[iterations, slot values…]`` as ndarrays, in Keras 2.2's order."""
        values = [np.array(self.iterations.data)]
        for name in self.slot_names:
            values += [np.array(self._slots[id(p)][name]) for p in self._params]
        return values

    def set_weights(self, weights, params=None):
        """Restores :meth:`get_weights`'s output; ``params`` creates the slots first when needed."""
        if params is not None:
            self.build(params)
        expected = 1 + len(self.slot_names) * len(self._params)
        if len(weights) != expected:
            raise ValueError(
                f"{type(self).__name__}.set_weights: expected {expected} arrays (iterations + "
                f"{len(self.slot_names)} slot(s) x {len(self._params)} parameter(s)), got {len(weights)}."
            )
        self.iterations.data[...] = np.asarray(weights[0]).astype(np.int64)
        position = 1
        for name in self.slot_names:
            for param in self._params:
                value = np.asarray(weights[position])
                slot = self._slots[id(param)][name]
                if value.shape != slot.shape:
                    raise ValueError(
                        f"{type(self).__name__}.set_weights: slot {name!r} of {param.name} has shape "
                        f"{slot.shape}, the given value {value.shape}."
                    )
                slot[...] = value
                position += 1

    def get_config(self):
        config = {"lr": float(self.lr.data), "decay": float(self.decay.data)}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "learning_rate" in config and "lr" in config:
            config.pop("learning_rate")
        config.pop("name", None)
        return cls(**config)


class _SlotView:
    """A read-only handle on one slot array, so ``optimizer.weights`` lists every state array."""

    def __init__(self, optimizer, param, name):
        self.name = f"{param.name.rsplit(':', 1)[0]}/{name}:0" if param.name else name
        self._array = optimizer._slots[id(param)][name]

    @property
    def data(self):
        return self._array

    @property
    def shape(self):
        return self._array.shape


def warn_legacy(name, old, new):
    warnings.warn(f"{name}: {old!r} is deprecated; use {new!r}.", DeprecationWarning, stacklevel=3)
