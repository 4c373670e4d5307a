"""The MPI state of this process and the collectives, all non-blocking and polled with a deadline.

``mpi4py`` is imported by :func:`init` (importing ``mpi4py.MPI`` initialises MPI), never
by ``import numkeras_mpi``. Every collective goes through :func:`wait`, which polls the
request and stops with :class:`RankFailedError` when the watchdog knows that a rank
failed, or when the collective takes longer than ``collective_timeout`` seconds. After a
failure this process cannot take part in collectives any more; the error's default
handling (:func:`_abort_on_uncaught`) reports it and aborts the whole job, so no rank is
left waiting.
"""

import atexit
import os
import socket
import sys
import time
import traceback

import numpy as np

from .rank_records import record_rank
from .watchdog import Watchdog

HEARTBEAT_INTERVAL = 1.0
DEFAULT_HEARTBEAT_TIMEOUT = 30.0
DEFAULT_COLLECTIVE_TIMEOUT = 600.0
ABORT_GRACE = 1.0  # seconds between a failing rank's last words and MPI_Abort (see _abort)


class RankFailedError(RuntimeError):
    """Another rank died, hung or raised; the message names it. This rank cannot continue."""


class NotInitializedError(ValueError):
    """A numkeras_mpi function that needs MPI was called before :func:`init`."""


class _State:
    def __init__(self):
        self.mpi = None
        self.comm = None
        self.local_comm = None
        self.watchdog = None
        self.collective_timeout = DEFAULT_COLLECTIVE_TIMEOUT
        self.counter = 0
        self.previous_excepthook = None


_state = _State()


def _env_seconds(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"numkeras_mpi: {name} must be a number of seconds, got {value!r}.") from None
    if not seconds > 0:
        raise ValueError(f"numkeras_mpi: {name} must be > 0 seconds, got {value!r}.")
    return seconds


def init(comm=None, heartbeat_timeout=None, collective_timeout=None):
    """Initialises MPI (once) and starts this rank's watchdog. Safe to call twice.

    Arguments:
        comm: an mpi4py communicator to train over (default ``MPI.COMM_WORLD``).
        heartbeat_timeout: seconds without a heartbeat before a rank counts as failed
            (default ``$NUMKERAS_MPI_HEARTBEAT_TIMEOUT`` or 30).
        collective_timeout: seconds one collective may take before the job stops
            (default ``$NUMKERAS_MPI_COLLECTIVE_TIMEOUT`` or 600).

    Raises:
        ImportError: mpi4py is not installed (the message says how to get it).
        ValueError: a timeout is not a positive number.
    """
    if _state.comm is not None:
        return
    heartbeat_timeout = heartbeat_timeout or _env_seconds("NUMKERAS_MPI_HEARTBEAT_TIMEOUT", DEFAULT_HEARTBEAT_TIMEOUT)
    collective_timeout = collective_timeout or _env_seconds("NUMKERAS_MPI_COLLECTIVE_TIMEOUT",
                                                            DEFAULT_COLLECTIVE_TIMEOUT)
    for name, value in (("heartbeat_timeout", heartbeat_timeout), ("collective_timeout", collective_timeout)):
        if not (isinstance(value, (int, float)) and value > 0):
            raise ValueError(f"numkeras_mpi.init: {name} must be a number of seconds > 0, got {value!r}.")
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError("numkeras_mpi needs mpi4py and an MPI library: pip install mpi4py mpich "
                          f"(or mpi4py built against your system's MPI). ({error})") from error
    world = comm if comm is not None else MPI.COMM_WORLD
    _state.mpi = MPI
    _state.comm = world.Dup()
    _state.comm.Set_errhandler(MPI.ERRORS_RETURN)
    _state.local_comm = _state.comm.Split_type(MPI.COMM_TYPE_SHARED, key=_state.comm.Get_rank())
    _state.collective_timeout = float(collective_timeout)
    record_rank(_state.comm.Get_rank(), _state.comm.Get_size())  # for the launcher's report, if it started us
    if _state.comm.Get_size() > 1:
        control = world.Dup()
        control.Set_errhandler(MPI.ERRORS_RETURN)
        _state.watchdog = Watchdog(control, min(HEARTBEAT_INTERVAL, heartbeat_timeout / 4), heartbeat_timeout)
        _state.watchdog.start()
    _state.previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught
    atexit.register(shutdown)


def shutdown():
    """Stops the watchdog and releases numkeras_mpi's communicators (MPI itself stays initialised)."""
    if _state.comm is None:
        return
    watchdog, _state.watchdog = _state.watchdog, None
    if watchdog is not None and not watchdog.stop():
        _abort(watchdog.failure or "a peer did not finish cleanly")
    for comm in (_state.local_comm, _state.comm) + ((watchdog.comm,) if watchdog else ()):
        comm.Free()
    _state.comm = _state.local_comm = None
    if _state.previous_excepthook is not None:
        sys.excepthook, _state.previous_excepthook = _state.previous_excepthook, None


def communicator():
    """The communicator numkeras_mpi trains over (raises when :func:`init` was not called)."""
    if _state.comm is None:
        raise NotInitializedError("numkeras_mpi has not been initialized; call numkeras_mpi.init() first.")
    return _state.comm


def rank():
    """This process's rank, 0 … size() - 1."""
    return communicator().Get_rank()


def size():
    """The number of processes (replicas)."""
    return communicator().Get_size()


def local_rank():
    """This process's rank among the processes on its own node."""
    communicator()
    return _state.local_comm.Get_rank()


def local_size():
    """The number of processes on this node."""
    communicator()
    return _state.local_comm.Get_size()


def is_initialized():
    return _state.comm is not None


def mpi():
    """The ``mpi4py.MPI`` module (after :func:`init`)."""
    communicator()
    return _state.mpi


# -- waiting without hanging ---------------------------------------------------------------
def wait(request, what):
    """Polls ``request`` until it completes; raises :class:`RankFailedError` instead of hanging.

    Arguments:
        request: an mpi4py request of a non-blocking collective.
        what: names the collective in the error (``'allreduce #12'``).
    """
    MPI = _state.mpi
    watchdog = _state.watchdog
    deadline = time.monotonic() + _state.collective_timeout
    delay = 0.0
    while True:
        try:
            if request.Test():
                return
        except MPI.Exception as error:
            _fail(f"rank {rank()}: {what} failed in MPI ({error})")
        if watchdog is not None and watchdog.failure is not None:
            raise RankFailedError(f"numkeras_mpi: rank {rank()} stopped in {what}: {watchdog.failure}")
        if time.monotonic() > deadline:
            _fail(f"rank {rank()}: {what} did not complete within {_state.collective_timeout:g} s "
                  f"(a rank is stuck or out of step: every rank must make the same collective calls)")
        if delay:
            time.sleep(delay)
        delay = min(delay * 2 or 2e-5, 1e-3)  # spin briefly, then back off to 1 ms


def _fail(message):
    if _state.watchdog is not None:
        _state.watchdog.declare(message)
    raise RankFailedError(f"numkeras_mpi: {message}")


def next_name(kind, name=None):
    """A name for a collective in error messages: the user's, or ``kind #n``."""
    _state.counter += 1
    return f"{kind} {name!r}" if name else f"{kind} #{_state.counter}"


# -- failure handling ---------------------------------------------------------------------
def _abort_on_uncaught(exc_type, exc, tb):
    """sys.excepthook while initialised: tell the other ranks, report, and abort the job."""
    traceback.print_exception(exc_type, exc, tb)
    if _state.comm is None:
        return
    if isinstance(exc, RankFailedError):
        _abort(str(exc).replace("numkeras_mpi: ", "", 1))
    else:
        _abort(f"rank {rank()} raised {exc_type.__name__}: {exc}")


def _abort(message):
    """Reports ``message`` on stderr and to every rank, then aborts the MPI job (exit status 1).

    The launcher forwards a rank's output asynchronously, and ``MPI_Abort`` from any rank
    ends every process at once, dropping output the launcher has not forwarded yet (MPICH's
    hydra lost the lines written just before an abort in about one run in four). So the
    message is written before the other ranks hear of the failure, and every rank waits
    :data:`ABORT_GRACE` seconds between its last write and its abort.
    """
    where = f"rank {_state.comm.Get_rank()} on {socket.gethostname()}" if _state.comm is not None else "numkeras_mpi"
    sys.stderr.write(f"numkeras_mpi: {where}: stopping the job: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    watchdog = _state.watchdog
    if watchdog is not None:
        watchdog.declare(message)
        watchdog.flush(2.0)
    time.sleep(ABORT_GRACE)
    _state.mpi.COMM_WORLD.Abort(1)


# -- collectives on arrays ------------------------------------------------------------------
def allreduce_array(array, op_sum=True, name=None):
    """The elementwise sum over all ranks of a contiguous array (a new array)."""
    MPI = _state.mpi
    send = np.ascontiguousarray(array)
    result = np.empty_like(send)
    if send.dtype == np.float16:
        request = communicator().Iallreduce([send, MPI.UINT16_T], [result, MPI.UINT16_T], _float16_sum())
    else:
        request = communicator().Iallreduce(send, result, MPI.SUM)
    wait(request, next_name("allreduce", name))
    return result


def broadcast_array(array, root_rank, name=None):
    """``array`` as ``root_rank`` has it (a new array on every rank; shapes and dtypes must agree)."""
    check_root(root_rank)
    buffer = np.array(array, copy=True, order="C")
    wait(communicator().Ibcast(buffer, root=root_rank), next_name("broadcast", name))
    return buffer


def allgather_array(array, name=None):
    """Every rank's ``array`` concatenated along axis 0 in rank order (first dimensions may differ)."""
    MPI = _state.mpi
    send = np.ascontiguousarray(array)
    if send.ndim == 0:
        send = send.reshape(1)
    what = next_name("allgather", name)
    rows = np.empty(size(), dtype=np.int64)
    wait(communicator().Iallgather(np.array([send.shape[0]], dtype=np.int64), rows), what + " (sizes)")
    row_items = int(np.prod(send.shape[1:], dtype=np.int64))
    counts = rows * row_items
    result = np.empty((int(rows.sum()),) + send.shape[1:], dtype=send.dtype)
    displacements = np.concatenate([[0], np.cumsum(counts)[:-1]])
    datatype = MPI._typedict[send.dtype.char] if send.dtype != np.float16 else MPI.UINT16_T
    wait(communicator().Iallgatherv([send, datatype], [result, (counts, displacements), datatype]), what)
    return result


def check_root(root_rank):
    if not isinstance(root_rank, (int, np.integer)) or not 0 <= root_rank < size():
        raise ValueError(f"numkeras_mpi: root_rank must be a rank between 0 and {size() - 1}, got {root_rank!r}.")


_FLOAT16_SUM = []


def _float16_sum():
    """An MPI reduction op that adds float16 arrays (MPI has no predefined float16 sum)."""
    if not _FLOAT16_SUM:
        def add(incoming, inout, datatype):
            total = np.frombuffer(inout, dtype=np.float16)
            total += np.frombuffer(incoming, dtype=np.float16)

        _FLOAT16_SUM.append(_state.mpi.Op.Create(add, commute=True))
    return _FLOAT16_SUM[0]
