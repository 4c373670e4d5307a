"""The hook plugin that makes every ``fit`` / ``evaluate`` / ``predict`` of a multi-process run rank-aware.

Registered with numkeras's plugin manager by :func:`numkeras_mpi.init` (and removed by
``shutdown``), it implements ``numkeras_configure_callbacks``:

* on ranks other than 0 it removes the callbacks that write: the progress bar and
  ``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard``, ``RemoteMonitor`` (the names in
  :data:`RANK_ZERO_ONLY`, looked up in the callbacks registry), and any callback that
  declares ``rank_zero_only = True``. A callback whose ``rank_zero_only`` is False runs
  on every rank (``numkeras_mpi.on_every_rank(callback)`` sets it);
* in ``fit`` it puts a :class:`~numkeras_mpi.callbacks.MetricAverageCallback` first (or
  moves the user's there), so the epoch's metrics, ``val_*`` included, are averages over
  the replicas before the progress bar or any callback reads them.
"""

from numkeras.hooks import hookimpl
from numkeras.plugin_errors import ComponentError
from numkeras.registry import registry

from . import comm
from .callbacks import MetricAverageCallback

RANK_ZERO_ONLY = ("ProgbarLogger", "ModelCheckpoint", "CSVLogger", "TensorBoard", "RemoteMonitor")


def _writer_classes():
    classes = []
    for name in RANK_ZERO_ONLY:
        try:
            classes.append(registry("callbacks").resolve(name))
        except ComponentError:
            continue  # not installed (TensorBoard is a contrib plugin): nothing of it to remove
    return tuple(c for c in classes if isinstance(c, type))


def runs_on_rank_zero_only(callback):
    """Whether ``callback`` runs only on rank 0: its ``rank_zero_only``, else whether it writes."""
    declared = getattr(callback, "rank_zero_only", None)
    return bool(declared) if declared is not None else isinstance(callback, _writer_classes())


def on_every_rank(callback):
    """Asks for ``callback`` to run on every rank (e.g. a ModelCheckpoint per rank); returns it."""
    callback.rank_zero_only = False
    return callback


@hookimpl
def numkeras_configure_callbacks(model, callbacks, params):
    if not comm.is_initialized() or comm.size() == 1:
        return
    if comm.rank() != 0:
        callbacks[:] = [c for c in callbacks if not runs_on_rank_zero_only(c)]
    if "epochs" in params:
        averagers = [c for c in callbacks if isinstance(c, MetricAverageCallback)]
        for averager in averagers:
            callbacks.remove(averager)
        callbacks.insert(0, averagers[0] if averagers else MetricAverageCallback())
