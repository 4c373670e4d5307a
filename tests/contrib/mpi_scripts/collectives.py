"""Run by tests/contrib/test_mpi.py under ``mpiexec -n N``: the collectives, checked on every rank.

The expected values are written from the ranks' numbers directly (rank r contributes
r + 1, rows of r + 1 …), not computed with numkeras_mpi. Exits non-zero on a mismatch.
"""

import numpy as np

import numkeras_mpi as hvd
from numkeras import backend as K

hvd.init()
r, n = hvd.rank(), hvd.size()
assert 0 <= r < n and hvd.local_size() == n and hvd.local_rank() == r  # one node

# allreduce: average (default), sum, the older average=, a tensor, fp16
mine = np.full((2, 3), r + 1, dtype=np.float32)
np.testing.assert_array_equal(hvd.allreduce(mine), np.full((2, 3), (n + 1) / 2, np.float32))
np.testing.assert_array_equal(hvd.allreduce(mine, op=hvd.Sum), np.full((2, 3), n * (n + 1) / 2, np.float32))
np.testing.assert_array_equal(hvd.allreduce(mine, average=False), np.full((2, 3), n * (n + 1) / 2))
tensor = hvd.allreduce(K.variable(mine))
assert isinstance(tensor, K.Tensor) and tensor.dtype == np.float32
np.testing.assert_array_equal(tensor.data, np.full((2, 3), (n + 1) / 2))
half = hvd.allreduce(mine * 0.1, compression=hvd.Compression.fp16)
assert half.dtype == np.float32
np.testing.assert_allclose(half, np.full((2, 3), 0.1 * (n + 1) / 2), rtol=2e-3)

# allgather: rank r gives r + 1 rows of value r
gathered = hvd.allgather(np.full((r + 1, 2), r, dtype=np.int64))
expected = np.concatenate([np.full((k + 1, 2), k) for k in range(n)])
np.testing.assert_array_equal(gathered, expected)

# broadcast from the last rank, of an array and of a tensor
np.testing.assert_array_equal(hvd.broadcast(np.arange(4) * (r + 1), root_rank=n - 1), np.arange(4) * n)
np.testing.assert_array_equal(hvd.broadcast(K.variable([float(r)]), 0).data, [0.0])

# bad input: a clear error, raised before any communication, so nobody waits
for call, error in [(lambda: hvd.broadcast(np.zeros(2), root_rank=n), ValueError),
                    (lambda: hvd.allreduce(mine, op="max"), ValueError),
                    (lambda: hvd.allreduce(mine, op=hvd.Sum, average=True), ValueError),
                    (lambda: hvd.allreduce("text"), TypeError)]:
    try:
        call()
    except error as e:
        assert "numkeras_mpi" in str(e) or "allreduce" in str(e), e
    else:
        raise AssertionError("no error")
print(f"rank {r}: collectives ok", flush=True)
