"""Horovod's collectives on NumPy arrays and numkeras tensors: allreduce, allgather, broadcast."""

import numpy as np

from numkeras import backend as K

from . import comm

Average = "Average"
Sum = "Sum"
OPS = (Average, Sum)


def resolve_op(op, average, owner):
    """Horovod's two spellings of the reduction: ``op=Average|Sum`` or the older ``average=True|False``."""
    if op is not None and average is not None:
        raise ValueError(f"{owner}: give op= or average=, not both (got op={op!r}, average={average!r}).")
    if op is None:
        return Sum if average is False else Average
    if op not in OPS:
        raise ValueError(f"{owner}: op must be numkeras_mpi.Average or numkeras_mpi.Sum, got {op!r}.")
    return op


def _as_array(value, owner):
    if isinstance(value, K.Tensor):
        return value.data
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{owner}: expected a NumPy array, a number or a numkeras tensor, got {type(value).__name__}.")
    return array


def _like(value, array):
    """The result in the kind of the input: a Tensor for a Tensor, an ndarray otherwise."""
    return K.Tensor(array) if isinstance(value, K.Tensor) else array


def allreduce(value, name=None, average=None, op=None, compression=None):
    """The average (default) or sum of ``value`` over all ranks; every rank gets the result.

    Arguments:
        value: a NumPy array, a number, or a numkeras tensor / Variable (left unchanged).
        name: names the operation in error messages.
        average: Horovod's older spelling: ``True`` averages, ``False`` sums.
        op: ``numkeras_mpi.Average`` or ``numkeras_mpi.Sum``.
        compression: ``Compression.fp16`` sends float16 (``Compression.none``: as is).

    Returns:
        An array of ``value``'s shape and dtype (a Tensor for a Tensor). Integers are
        averaged with true division and keep their dtype only for ``Sum``.

    Example:
        >>> hvd.allreduce(np.array([float(hvd.rank())]))     # on 2 ranks: array([0.5])
    """
    op = resolve_op(op, average, "allreduce")
    array = _as_array(value, "allreduce")
    wire, context = (compression.compress(array) if compression is not None else (array, None))
    total = comm.allreduce_array(wire, name=name)
    total = compression.decompress(total, context) if compression is not None else total
    if op == Average:
        total = total / comm.size() if not np.issubdtype(total.dtype, np.floating) else \
            np.divide(total, total.dtype.type(comm.size()), out=total)
    return _like(value, np.asarray(total))


def allgather(value, name=None):
    """Every rank's ``value`` concatenated along the first axis, in rank order (sizes on axis 0 may differ).

    Example:
        >>> hvd.allgather(np.array([hvd.rank()]))             # on 2 ranks: array([0, 1])
    """
    return _like(value, comm.allgather_array(_as_array(value, "allgather"), name=name))


def broadcast(value, root_rank, name=None):
    """``value`` as rank ``root_rank`` has it, on every rank (shapes must agree).

    Example:
        >>> hvd.broadcast(np.array([hvd.rank()]), root_rank=0)   # array([0]) everywhere
    """
    return _like(value, comm.broadcast_array(_as_array(value, "broadcast"), root_rank, name=name))


def broadcast_variables(variables, root_rank):
    """Sets every rank's ``variables`` (Variables or arrays, changed in place) to ``root_rank``'s, in one message."""
    arrays = [v.data if isinstance(v, K.Tensor) else v for v in variables]
    if not arrays:
        return
    fused = comm.broadcast_array(flatten(arrays), root_rank, name="broadcast of variables")
    unflatten_into(fused, arrays)


def flatten(arrays, dtype=None):
    """One contiguous buffer holding ``arrays`` one after the other (as ``dtype``, default the common one)."""
    dtype = dtype or np.result_type(*arrays)
    buffer = np.empty(sum(a.size for a in arrays), dtype=dtype)
    offset = 0
    for array in arrays:
        buffer[offset:offset + array.size] = array.ravel()
        offset += array.size
    return buffer


def unflatten_into(buffer, arrays):
    """Copies consecutive pieces of ``buffer`` back into ``arrays`` (in place)."""
    offset = 0
    for array in arrays:
        array[...] = buffer[offset:offset + array.size].reshape(array.shape)
        offset += array.size


def unflatten(buffer, shapes):
    """Views of consecutive pieces of ``buffer`` with ``shapes``."""
    pieces, offset = [], 0
    for shape in shapes:
        count = int(np.prod(shape, dtype=np.int64))
        pieces.append(buffer[offset:offset + count].reshape(shape))
        offset += count
    return pieces
