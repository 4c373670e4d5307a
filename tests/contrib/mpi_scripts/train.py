"""Run by tests/contrib/test_mpi.py under ``mpiexec -n N``: trains a small model on N shards.

Every rank seeds its own RNG differently (``--seed + rank``), so the replicas start
different unless the broadcast callback makes them equal. Writes ``rank<r>.npz`` with
the final weights, and whether the initial weights differed between ranks.

Faults for the fault tests: ``--fault kill|exit|raise|hang --fault-rank R --fault-batch B``
makes rank R kill itself (SIGKILL), exit with code 3, raise, or freeze (SIGSTOP) at training batch B of
the last epoch. ``--checkpoint PATH`` saves the model after every epoch (rank 0);
``--resume PATH`` loads it on every rank and continues from the epoch it recorded.
"""

import argparse
import os
import signal
import sys

import numpy as np

import numkeras
import numkeras_mpi as hvd
from numkeras.layers import Dense

parser = argparse.ArgumentParser()
parser.add_argument("--optimizer", default="sgd")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--samples", type=int, default=96)
parser.add_argument("--seed", type=int, default=100)
parser.add_argument("--compression", default="none")
parser.add_argument("--out", required=True)
parser.add_argument("--fault", choices=("kill", "exit", "raise", "hang"))
parser.add_argument("--fault-rank", type=int, default=1)
parser.add_argument("--fault-batch", type=int, default=2)
parser.add_argument("--checkpoint")
parser.add_argument("--resume")
args = parser.parse_args()

OPTIMIZERS = {"sgd": lambda: numkeras.optimizers.SGD(lr=0.1, momentum=0.9),
              "adam": lambda: numkeras.optimizers.Adam(lr=0.01)}


def data(samples):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, 10)).astype("float32")
    labels = (x[:, :3].sum(axis=1) > 0).astype(int) + (x[:, 3] > 0.5)
    return x, numkeras.utils.to_categorical(labels, 3)


def build(seed, optimizer):
    numkeras.utils.set_random_seed(seed)
    model = numkeras.Sequential([Dense(16, activation="relu", input_shape=(10,)), Dense(3, activation="softmax")])
    model.compile(optimizer, "categorical_crossentropy", metrics=["accuracy"])
    return model


class Fault(numkeras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        if self.epoch == args.epochs - 1 and batch == args.fault_batch and hvd.rank() == args.fault_rank:
            print(f"rank {hvd.rank()} (pid {os.getpid()}): fault {args.fault} now", flush=True)
            if args.fault == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if args.fault == "exit":
                os._exit(3)
            if args.fault == "hang":
                os.kill(os.getpid(), signal.SIGSTOP)
            raise RuntimeError("an error in this replica's batch")


def main():
    hvd.init()
    os.makedirs(args.out, exist_ok=True)
    compression = {"none": hvd.Compression.none, "fp16": hvd.Compression.fp16}[args.compression]
    optimizer = hvd.DistributedOptimizer(OPTIMIZERS[args.optimizer](), compression=compression)
    initial_epoch = 0
    if args.resume:
        model = numkeras.models.load_model(args.resume)
        model.compile(hvd.DistributedOptimizer(model.optimizer), "categorical_crossentropy", metrics=["accuracy"])
        initial_epoch = int(np.load(args.resume + ".epoch.npy"))
    else:
        model = build(args.seed + hvd.rank(), optimizer)
    first = np.concatenate([w.ravel() for w in model.get_weights()])
    gathered = hvd.allgather(first[None, :])
    initial_differs = bool(np.any(gathered != gathered[:1]))
    x, y = hvd.shard(data(args.samples))
    callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0)]
    if args.fault:
        callbacks.append(Fault())
    if args.checkpoint:
        callbacks.append(numkeras.callbacks.ModelCheckpoint(args.checkpoint))
        callbacks.append(numkeras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: hvd.rank() == 0 and np.save(args.checkpoint + ".epoch.npy", epoch + 1)))
    history = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, initial_epoch=initial_epoch,
                        shuffle=False, verbose=0, callbacks=callbacks)
    np.savez(os.path.join(args.out, f"rank{hvd.rank()}.npz"), *model.get_weights(),
             initial_differs=initial_differs, loss=np.array(history.history["loss"]))
    print(f"rank {hvd.rank()} of {hvd.size()}: done", flush=True)


if __name__ == "__main__":
    main()
