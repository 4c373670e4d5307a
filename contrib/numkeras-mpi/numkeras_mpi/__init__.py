"""numkeras_mpi: data-parallel training of numkeras models over MPI, with Horovod's Keras API.

A Horovod Keras script runs with its import changed::

    import numkeras_mpi as hvd          # was: import horovod.keras as hvd

    hvd.init()
    opt = hvd.DistributedOptimizer(numkeras.optimizers.Adadelta(1.0 * hvd.size()))
    model.compile(loss=..., optimizer=opt, metrics=['accuracy'])
    model.fit(x, y, callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)], ...)

and is started with ``mpiexec -n N python script.py`` (or ``srun``), or with
``python -m numkeras_mpi.run -np N python script.py``, which runs the same ``mpiexec`` and
names the rank that died when one is killed outright. See the README.
``import numkeras_mpi`` does not initialise MPI; :func:`init` does.
"""

from numkeras.hooks import plugin_manager

from . import callbacks, comm
from .callbacks import (BroadcastGlobalVariablesCallback, LearningRateScheduleCallback, LearningRateWarmupCallback,
                        MetricAverageCallback)
from .comm import NotInitializedError, RankFailedError, is_initialized, local_rank, local_size, rank, size
from .compression import Compression
from .ops import Average, Sum, allgather, allreduce, broadcast, broadcast_variables
from .optimizer import DistributedOptimizer
from .rank_aware import on_every_rank
from .sharding import ShardedSequence, shard

__version__ = "0.1.0"


def init(comm=None, heartbeat_timeout=None, collective_timeout=None):
    """Initialises MPI and numkeras_mpi; call it once, first, on every rank.

    It also makes numkeras's ``fit`` / ``evaluate`` / ``predict`` rank-aware (progress bar and
    file-writing callbacks on rank 0 only, epoch metrics averaged over the ranks), and makes an
    uncaught exception on any rank stop the whole job with a message naming that rank.

    Arguments:
        comm: an mpi4py communicator (default ``MPI.COMM_WORLD``).
        heartbeat_timeout: seconds of silence after which a rank counts as dead or hung
            (default ``$NUMKERAS_MPI_HEARTBEAT_TIMEOUT`` or 30).
        collective_timeout: seconds a single collective may take
            (default ``$NUMKERAS_MPI_COLLECTIVE_TIMEOUT`` or 600).
    """
    from . import comm as _comm, rank_aware

    _comm.init(comm, heartbeat_timeout, collective_timeout)
    manager = plugin_manager()
    if not manager.is_registered(rank_aware):
        manager.register(rank_aware, name="numkeras_mpi.rank_aware")


def shutdown():
    """Stops numkeras_mpi (also done at exit): ends the heartbeat cleanly and removes the rank-aware plugin."""
    from . import rank_aware

    manager = plugin_manager()
    if manager.is_registered(rank_aware):
        manager.unregister(rank_aware)
    comm.shutdown()


__all__ = ["init", "shutdown", "size", "rank", "local_rank", "local_size", "is_initialized", "allreduce",
           "allgather", "broadcast", "broadcast_variables", "Average", "Sum", "Compression",
           "DistributedOptimizer", "callbacks", "BroadcastGlobalVariablesCallback", "MetricAverageCallback",
           "LearningRateWarmupCallback", "LearningRateScheduleCallback", "shard", "ShardedSequence",
           "on_every_rank", "RankFailedError", "NotInitializedError"]
