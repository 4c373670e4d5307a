"""Run by tests/contrib/test_mpi.py under ``mpiexec -n N``: rank-aware fit.

Every rank validates on different data, so its own val_loss differs; fit's logs must
hold the average over ranks. verbose=2 and a CSVLogger must print / write on rank 0
only; a CSVLogger marked with ``on_every_rank`` writes everywhere. Writes each rank's
history and its own evaluate() of its validation data to ``<out>/rank<r>.json``.
"""

import json
import os
import sys

import numpy as np

import numkeras
import numkeras_mpi as hvd
from numkeras.layers import Dense

hvd.init()
out = sys.argv[1]
r = hvd.rank()
numkeras.utils.set_random_seed(0)
model = numkeras.Sequential([Dense(1, input_shape=(4,))])
model.compile(hvd.DistributedOptimizer(numkeras.optimizers.SGD(lr=0.01)), "mse")
rng = np.random.default_rng(0)
x, y = rng.standard_normal((32, 4)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")
x_val = rng.standard_normal((16, 4)).astype("float32") * (r + 1)
y_val = np.full((16, 1), 3.0 * r, dtype="float32")
callbacks = [numkeras.callbacks.CSVLogger(os.path.join(out, f"log{r}.csv")),
             hvd.on_every_rank(numkeras.callbacks.CSVLogger(os.path.join(out, f"every{r}.csv")))]
history = model.fit(*hvd.shard((x, y)), batch_size=4, epochs=2, verbose=2, validation_data=(x_val, y_val),
                    callbacks=callbacks)
own = model.evaluate(x_val, y_val, verbose=0)
with open(os.path.join(out, f"rank{r}.json"), "w") as f:
    json.dump({"history": history.history, "own_val_loss": own}, f)
