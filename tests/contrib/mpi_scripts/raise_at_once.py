"""Run by tests/contrib/test_mpi.py under ``mpiexec -n N``: rank 1 raises as soon as MPI is up.

The other ranks are already waiting in an allreduce, so they hear of the failure within
milliseconds and abort the job at once: the race in which a launcher drops the output
written just before ``MPI_Abort``. Every rank's report must still reach stderr.
"""

import numpy as np

import numkeras_mpi as hvd

hvd.init()
if hvd.rank() == 1:
    raise RuntimeError("rank one fails at once")
hvd.allreduce(np.zeros(3), name="never completes")
