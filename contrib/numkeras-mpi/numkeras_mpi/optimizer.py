"""``DistributedOptimizer``: any registered optimizer, with the replicas' gradients averaged first.

How the gradients are intercepted: the wrapper overrides ``apply_gradients``, the one
method every update goes through (``fit``'s training step, ``train_on_batch``,
``get_updates`` and a user's own loop alike), as Horovod's wrapper overrides the Keras
optimizer's. So it needs no hook in the training loop. It averages the gradients of all
replicas with one allreduce over one fused buffer, then lets the wrapped class update the
weights exactly as it would in one process (clipping, decay, constraints included, on the
averaged gradients).

The wrapper is an instance of a subclass made on the fly of the wrapped class, under the
wrapped class's registered name; its ``get_config`` is the wrapped optimizer's, so a model
compiled with it saves as, and loads back as, the plain optimizer, with no numkeras_mpi needed.
"""

import numpy as np

from numkeras import backend as K
from numkeras import optimizers
from numkeras.registry import registry

from . import comm
from .compression import Compression
from .ops import Average, flatten, resolve_op, unflatten


class _Distributed:
    """Mixed in before the wrapped optimizer class; holds the distribution settings as class attributes."""

    _mpi_op = Average
    _mpi_compression = Compression.none
    _mpi_name = None

    def apply_gradients(self, grads_and_vars, consume=False):
        """Averages (or sums) each gradient over all replicas, then applies them as the wrapped optimizer does."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs or comm.size() == 1:
            return super().apply_gradients(pairs, consume=consume)
        grads = [g.data if isinstance(g, K.Tensor) else np.asarray(g) for g, _ in pairs]
        reduced = allreduce_fused(grads, self._mpi_op, self._mpi_compression, self._mpi_name)
        return super().apply_gradients(zip(reduced, [v for _, v in pairs]), consume=True)


def allreduce_fused(arrays, op=Average, compression=Compression.none, name=None):
    """``arrays`` reduced over all ranks with one allreduce of one buffer; returns new arrays of their shapes.

    The buffer has the arrays' common dtype; each result has its array's dtype.
    """
    buffer = flatten(arrays)
    wire, context = compression.compress(buffer)
    total = compression.decompress(comm.allreduce_array(wire, name=name or "gradient allreduce"), context)
    if op == Average:
        total = total / np.asarray(comm.size(), dtype=total.dtype)
    return [piece if piece.dtype == array.dtype else piece.astype(array.dtype)
            for piece, array in zip(unflatten(total, [a.shape for a in arrays]), arrays)]


def DistributedOptimizer(optimizer, name=None, device_dense="", device_sparse="", compression=Compression.none,
                         sparse_as_dense=False, op=None, average=None, backward_passes_per_step=1):
    """Wraps ``optimizer`` so that each update uses the gradients averaged over all replicas.

    Arguments:
        optimizer: an optimizer instance or anything ``numkeras.optimizers.get`` takes
            (``'adam'``, a config dict). A fresh optimizer of the same class and config is
            made; state the given one already has (slots, iterations) is copied over.
        name: names the gradient allreduce in error messages.
        compression: ``Compression.none`` (default) or ``Compression.fp16``: the fused
            gradients travel as float16 and are averaged in float16.
        op: ``numkeras_mpi.Average`` (default) or ``numkeras_mpi.Sum``; ``average=`` is
            the older spelling.
        device_dense, device_sparse, sparse_as_dense: Horovod's placement options,
            accepted and ignored (numkeras computes on the CPU, its gradients are dense).
        backward_passes_per_step: must be 1 (local gradient accumulation is not supported).

    Returns:
        An optimizer of the wrapped class (``isinstance(opt, type(optimizer))``).

    Raises:
        ValueError: ``optimizer`` is already distributed, an unknown ``op``, or
            ``backward_passes_per_step != 1``.
        TypeError: ``compression`` is not one of ``Compression``'s.

    Example:
        >>> opt = hvd.DistributedOptimizer(numkeras.optimizers.Adam(lr=0.001 * hvd.size()))
        >>> model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])
    """
    op = resolve_op(op, average, "DistributedOptimizer")
    if compression not in (Compression.none, Compression.fp16):
        raise TypeError(f"DistributedOptimizer: compression must be numkeras_mpi.Compression.none or "
                        f".fp16, got {compression!r}.")
    if backward_passes_per_step != 1:
        raise ValueError(f"DistributedOptimizer: backward_passes_per_step={backward_passes_per_step!r} is not "
                         f"supported (only 1: every batch's gradients are averaged and applied).")
    optimizer = optimizers.get(optimizer)
    if isinstance(optimizer, _Distributed):
        raise ValueError(f"DistributedOptimizer: {optimizer!r} is already a DistributedOptimizer; wrap the "
                         f"plain optimizer once.")
    wrapped = type(optimizer)
    registered = registry("optimizers").name_of(wrapped) or wrapped.__name__
    distributed_class = type(registered, (_Distributed, wrapped), {
        "__module__": wrapped.__module__, "__qualname__": wrapped.__qualname__,
        "_mpi_op": op, "_mpi_compression": compression, "_mpi_name": name,
    })
    distributed = distributed_class.from_config(optimizer.get_config())
    if optimizer._params:  # it has trained already: keep its state
        distributed.set_weights(optimizer.get_weights(), params=optimizer._params)
    else:
        distributed.iterations.data[...] = optimizer.iterations.data
    return distributed
