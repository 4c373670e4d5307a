"""The ``Optimizer`` protocol, with Keras 2.2's shared arguments (lr, decay, clipnorm, clipvalue) and
tf.keras 2's ``global_clipnorm``."""


import numpy as np

from .. import backend as K


class Optimizer:
    """Base class of optimizers.

    Subclasses list their per-weight state in ``slot_names`` and implement
    ``update_step(param, grad, slots, lr)``, which updates ``param.data`` (and the
    ``slots`` arrays) in place. Optional: ``initial_slot(name, param)`` (zeros by
    default) and ``begin_step()`` (once per update, before the per-parameter steps).
    The base class handles what every Keras optimizer shares, in Keras 2.2.4's order:
    clip the gradients (``clipnorm`` or ``global_clipnorm`` by the global norm of all
    of them, then ``clipvalue``), take the decayed learning rate, run ``update_step`` for each
    parameter, apply the parameter's constraint, then count the iteration.

    Arguments:
        lr / learning_rate: the learning rate (both spellings accepted; the class's
            documented default when neither is given). Stored in the Variable
            ``optimizer.lr``, so ``K.get_value`` / ``K.set_value`` work on it.
        decay: ``>= 0``. The rate used for update ``n`` (counted from 0) is
            ``lr / (1 + decay * n)``.
        clipnorm: ``>= 0``. When the global norm of all gradients exceeds it, every
            gradient is scaled by ``clipnorm / norm``. 0 or None: no clipping.
        global_clipnorm: ``>= 0``. tf.keras 2's name for the same clipping: when the
            norm of all gradients together exceeds it, every gradient is scaled by
            ``global_clipnorm / norm``. Keras 2.2's ``clipnorm`` already clips by that
            global norm (tf.keras 2's ``clipnorm`` clips each gradient by its own norm);
            the two cannot both be given, as in tf.keras.
        clipvalue: ``>= 0``. Gradients are clipped elementwise to
            ``[-clipvalue, clipvalue]``. 0 or None: no clipping.
        name: the optimizer's name (default: the class name).

    Raises:
        ValueError: a negative ``lr``, ``decay``, ``clipnorm``, ``global_clipnorm`` or
            ``clipvalue``, different values given as ``lr`` and ``learning_rate``, or both
            ``clipnorm`` and ``global_clipnorm``.
        TypeError: an unknown keyword argument.

    Weights (``get_weights`` / ``set_weights``): ``[iterations]`` then each slot for
    every parameter, slot by slot, in parameter order (Keras 2.2's order). Keras 2.2.4's
    RMSprop, Adagrad and Adadelta saved no ``iterations``; ``set_weights`` accepts that
    layout too for the classes that set ``legacy_weights_without_iterations``.

    Example:
        >>> class PlainSGD(Optimizer):
        ...     slot_names = ()
        ...     def update_step(self, param, grad, slots, lr):
        ...         param.data -= lr * grad
    """

    slot_names = ()
    default_lr = 0.01
    legacy_weights_without_iterations = False

    def __init__(self, lr=None, learning_rate=None, decay=0.0, clipnorm=None, clipvalue=None, name=None,
                 global_clipnorm=None, **kwargs):
        cls = type(self).__name__
        if kwargs:
            raise TypeError(
                f"{cls}: unexpected keyword argument(s) {sorted(kwargs)}; the arguments every "
                f"optimizer takes are lr (or learning_rate), decay, clipnorm, global_clipnorm and clipvalue."
            )
        if lr is not None and learning_rate is not None and lr != learning_rate:
            raise ValueError(f"{cls}: give either lr or learning_rate, not both (got {lr} and {learning_rate}).")
        rate = lr if lr is not None else learning_rate
        if rate is None:
            rate = self.default_lr
        check_non_negative(cls, lr=rate, decay=decay)
        check_non_negative(cls, clipnorm=clipnorm or 0.0, clipvalue=clipvalue or 0.0,
                           global_clipnorm=global_clipnorm or 0.0)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                f"{cls}: cannot accept both clipnorm and global_clipnorm (got clipnorm={clipnorm!r}, "
                f"global_clipnorm={global_clipnorm!r}); they clip by the same global norm here, give one."
            )
        self.name = name or cls
        self.iterations = K.Variable(np.array(0, dtype=np.int64), name="iterations:0", trainable=False)
        self._lr = K.Variable(np.array(rate, dtype=K.floatx()), name="lr:0", trainable=False)
        self.initial_decay = float(decay)
        self.decay = K.Variable(np.array(decay, dtype=K.floatx()), name="decay:0", trainable=False)
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self._slots = {}  # id(param) -> {slot name: ndarray}
        self._params = []  # parameters in the order their slots were created

    @property
    def lr(self):
        """The learning-rate Variable (``K.set_value(optimizer.lr, 0.1)`` changes it)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        if isinstance(value, K.Variable):
            self._lr = value
        else:
            self._lr.assign(np.asarray(K.eval(value), dtype=self._lr.dtype))

    learning_rate = lr

    def current_lr(self):
        """The learning rate the next update will use (after decay)."""
        lr = float(self._lr.data)
        decay = float(self.decay.data)
        if decay:
            lr = lr / (1.0 + decay * int(self.iterations.data))
        return lr

    # -- updating -----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, consume=False):
        """Applies one update from ``(gradient, variable)`` pairs; pairs whose gradient is None are skipped.

        Arguments:
            consume: the gradient arrays belong to this call and may be overwritten (the
                training loop passes True for the arrays backprop just made, saving a
                temporary per weight); otherwise they are copied first.
        """
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return
        grads = self._clip([g.data if isinstance(g, K.Tensor) else np.asarray(g) for g, _ in pairs])
        lr = self.current_lr()
        self.begin_step()
        owned = set()
        for grad, (_, param) in zip(grads, pairs):
            slots = self._slots.get(id(param))
            if slots is None:
                slots = self._create_slots(param)
            if grad.dtype != param.dtype:
                grad = grad.astype(param.dtype)
            elif not consume or id(grad) in owned or not grad.flags.writeable or grad.base is not None:
                grad = grad.copy()  # the caller's array, one shared by two weights, or a view
            owned.add(id(grad))
            self.update_step(param, grad, slots, lr)
            constraint = getattr(param, "constraint", None)
            if constraint is not None:
                param.data[...] = K.eval(constraint(param.data))
        self.iterations.data[...] += 1

    def get_updates(self, loss, params):
        """Keras 2 API: computes the gradients of ``loss`` and applies them now; returns ``[]``."""
        self.apply_gradients(zip(self.get_gradients(loss, params), params))
        return []

    def get_gradients(self, loss, params):
        """Gradients of ``loss`` for ``params``, clipped as configured.

        Raises:
            ValueError: a parameter does not affect the loss (its gradient is None).
        """
        grads = K.gradients(loss, params)
        missing = [getattr(p, "name", None) or repr(p) for p, g in zip(params, grads) if g is None]
        if missing:
            raise ValueError(
                f"An operation has None for gradient: {', '.join(missing)} do(es) not affect the loss. "
                f"Make sure every trainable weight is used in the computation."
            )
        return self._clip(grads)

    def _clip(self, grads):
        limit = self.clipnorm or self.global_clipnorm
        if limit:
            norm = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
            if norm >= limit:
                grads = [g * np.asarray(limit / norm, dtype=g.dtype) for g in grads]
        if self.clipvalue:
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
        """Updates ``param.data`` and the ``slots`` arrays in place for one gradient."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    # -- state ----------------------------------------------------------------------
    def build(self, params):
        """Creates the slots for ``params`` now (so ``get_weights`` is complete before training)."""
        for param in params:
            if id(param) not in self._slots:
                self._create_slots(param)

    @property
    def weights(self):
        """``[iterations, slot views…]`` in :meth:`get_weights` order; each has ``name`` and ``data``."""
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
        """Restores :meth:`get_weights`'s output.

        Arguments:
            weights: the list of arrays.
            params: the parameters the slots belong to, in the order of the first
                update; needed when this optimizer has not updated them yet.

        Raises:
            ValueError: the number of arrays or a shape does not match.
        """
        if params is not None:
            self.build(params)
        weights = list(weights)
        slot_count = len(self.slot_names) * len(self._params)
        if self.legacy_weights_without_iterations and len(weights) == slot_count and slot_count:
            weights = [self.iterations.data] + weights  # Keras 2.2.4 layout: iterations not saved
        if len(weights) != 1 + slot_count:
            raise ValueError(
                f"{type(self).__name__}.set_weights: expected {1 + slot_count} arrays (iterations + "
                f"{len(self.slot_names)} slot(s) x {len(self._params)} parameter(s)), got {len(weights)}."
                + ("" if self._params else " Pass params= (the model's trainable weights) to create the slots.")
            )
        slots = [(self._slots[id(p)][name], name, p) for name in self.slot_names for p in self._params]
        for (slot, name, param), value in zip(slots, weights[1:]):
            value = np.asarray(value)
            if value.shape != slot.shape:
                raise ValueError(
                    f"{type(self).__name__}.set_weights: slot {name!r} of {param.name} has shape "
                    f"{slot.shape}, the given value {value.shape}."
                )
        self.iterations.data[...] = np.asarray(weights[0]).astype(np.int64)
        for (slot, _, _), value in zip(slots, weights[1:]):
            slot[...] = value
        self.weights_restored()

    def weights_restored(self):
        """Called after :meth:`set_weights`, to rebuild state derived from ``iterations``."""

    def get_config(self):
        """``lr``, ``decay`` and the clipping arguments; subclasses add their own."""
        config = {"lr": float(self._lr.data), "decay": float(self.decay.data)}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.global_clipnorm is not None:
            config["global_clipnorm"] = self.global_clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds the optimizer from :meth:`get_config` (also tf.keras's, with ``learning_rate`` and ``name``)."""
        config = dict(config)
        if "learning_rate" in config and "lr" in config:
            config.pop("learning_rate")
        config.pop("name", None)
        for key, value in TF_KERAS_NEUTRAL.items():  # tf.keras 2.11+ writes these for every optimizer
            if key in config and (value is _ANY or config[key] == value):
                config.pop(key)
        if config.get("use_ema"):
            raise ValueError(
                f"{cls.__name__}.from_config: use_ema=True (tf.keras's moving average of the weights) is not "
                f"supported; set it to False in the config."
            )
        for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency"):
            config.pop(key, None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} lr={float(self._lr.data):g}>"


_ANY = object()

#: Keys of tf.keras 2.11+ optimizer configs that change nothing at these values (any value: _ANY).
TF_KERAS_NEUTRAL = {"is_legacy_optimizer": _ANY, "jit_compile": _ANY, "weight_decay": None,
                    "global_clipnorm": None, "clipvalue": None}


def check_non_negative(owner, **values):
    """Raises ``ValueError`` naming the first argument that is negative (or not a number)."""
    for name, value in values.items():
        if value is None:
            continue
        try:
            number = float(K.eval(value) if isinstance(value, K.Tensor) else value)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name} must be a number >= 0, got {value!r}.") from None
        if not number >= 0:  # also rejects nan
            raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}.")


def check_fraction(owner, **values):
    """Raises ``ValueError`` naming the first argument outside ``[0, 1)``."""
    for name, value in values.items():
        check_non_negative(owner, **{name: value})
        if not float(value) < 1:
            raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}.")


class _SlotView:
    """A handle on one slot array, so ``optimizer.weights`` lists every state array by name."""

    def __init__(self, optimizer, param, name):
        param_name = getattr(param, "name", None)
        self.name = f"{param_name.rsplit(':', 1)[0]}/{name}:0" if param_name else f"{name}:0"
        self._array = optimizer._slots[id(param)][name]

    @property
    def data(self):
        return self._array

    @property
    def shape(self):
        return self._array.shape

    @property
    def dtype(self):
        return self._array.dtype

    def __array__(self, dtype=None, copy=None):
        return np.array(self._array, dtype=dtype) if copy or dtype is not None else self._array

