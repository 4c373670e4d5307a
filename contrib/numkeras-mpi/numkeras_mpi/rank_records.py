"""Where each rank says who it is (rank, pid, host), so that the launcher can name a rank that died.

:mod:`numkeras_mpi.run` creates a directory and passes it in ``$NUMKERAS_MPI_RANKS_DIR``;
:func:`numkeras_mpi.init` calls :func:`record_rank`, which writes ``rank<r>.json`` there
(atomically: a reader never sees half a file). Without the variable it does nothing, so
a job started with plain ``mpiexec`` or ``srun`` is unaffected. This module imports
nothing heavy: the launcher and every rank import it.
"""

import json
import os
import re
import socket
import tempfile

RANKS_DIR_VARIABLE = "NUMKERAS_MPI_RANKS_DIR"


def record_rank(rank, size):
    """Writes ``rank<r>.json`` (rank, pid, host) into ``$NUMKERAS_MPI_RANKS_DIR``, if the launcher set it."""
    directory = os.environ.get(RANKS_DIR_VARIABLE)
    if not directory or not os.path.isdir(directory):
        return  # started without the launcher, or on a host that does not share its directory
    record = {"rank": rank, "size": size, "pid": os.getpid(), "host": socket.gethostname()}
    handle, partial = tempfile.mkstemp(dir=directory, prefix=f".rank{rank}-")
    with os.fdopen(handle, "w") as file:
        json.dump(record, file)
    os.replace(partial, os.path.join(directory, f"rank{rank}.json"))  # readers never see half a file


def read_ranks(directory):
    """``{rank: record}`` from the files the ranks wrote (half-written or foreign files are skipped)."""
    ranks = {}
    for name in os.listdir(directory):
        if re.fullmatch(r"rank\d+\.json", name):
            try:
                with open(os.path.join(directory, name)) as file:
                    record = json.load(file)
                ranks[int(record["rank"])] = record
            except (OSError, ValueError, KeyError):
                continue
    return ranks
