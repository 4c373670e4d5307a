"""``mnist_mlp.py`` trained data-parallel on several processes with numkeras-mpi (Horovod's API).

The changes from the one-process script are Horovod's: ``hvd.init()``, each rank trains
on its shard of the data (``hvd.shard``), the optimizer is wrapped in
``hvd.DistributedOptimizer``, and ``BroadcastGlobalVariablesCallback(0)`` starts every
replica from rank 0's weights. The progress lines come from rank 0 only, and the epoch
metrics (``val_*`` too) are averages over the ranks.

By default every rank takes ``128 / size`` samples per batch, so the ranks together take
the one-process batch of 128 with the same learning rate: the same training, split (it
reaches the one-process accuracy, about 96% on this split). ``--scale-batch`` instead
keeps 128 per rank (a batch ``size`` times larger, fewer steps per epoch) and, as the
Horovod documentation advises, multiplies the rate by ``size`` after a warm-up
(``LearningRateWarmupCallback``).

Run::

    pip install ./contrib/numkeras-mpi
    mpiexec -n 2 python examples/mnist_mpi.py                # 20 epochs
    mpiexec -n 2 python examples/mnist_mpi.py --epochs 3 --scale-batch
"""

import argparse
import time

import numpy as np

import numkeras as keras
import numkeras_mpi as hvd
from numkeras.datasets import mnist
from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential
from numkeras.optimizers import RMSprop

BATCH_SIZE = 128
NUM_CLASSES = 10
EPOCHS = 20


def load_data():
    """MNIST as flat float32 vectors in [0, 1] and one-hot labels (the first 8,000 / last 2,000 of t10k)."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    return (x_train, keras.utils.to_categorical(y_train, NUM_CLASSES)), \
        (x_test, keras.utils.to_categorical(y_test, NUM_CLASSES))


def build_model(learning_rate):
    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    optimizer = hvd.DistributedOptimizer(RMSprop(lr=learning_rate))
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def main(epochs=EPOCHS, verbose=2, seed=0, scale_batch=False):
    """Trains on every rank; returns the test ``(loss, accuracy)`` averaged over the ranks' shards."""
    hvd.init()
    keras.utils.set_random_seed(seed + hvd.rank())  # different dropout masks per replica
    (x_train, y_train), (x_test, y_test) = load_data()
    x_train, y_train = hvd.shard((x_train, y_train))
    x_test, y_test = hvd.shard((x_test, y_test))
    if scale_batch:
        batch_size, learning_rate = BATCH_SIZE, 0.001 * hvd.size()
        callbacks = [hvd.callbacks.LearningRateWarmupCallback(initial_lr=learning_rate, warmup_epochs=2)]
    else:
        batch_size, learning_rate, callbacks = max(1, BATCH_SIZE // hvd.size()), 0.001, []
    callbacks.insert(0, hvd.callbacks.BroadcastGlobalVariablesCallback(0))
    model = build_model(learning_rate)
    if hvd.rank() == 0:
        print(f"{hvd.size()} processes, {len(x_train)} train samples and batches of {batch_size} each")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test), callbacks=callbacks)
    seconds = time.perf_counter() - start
    loss, accuracy = hvd.allreduce(np.array(model.evaluate(x_test, y_test, verbose=0)))
    if hvd.rank() == 0:
        print(f"Training took {seconds:.1f} s ({epochs * len(x_train) * hvd.size() / seconds:,.0f} samples/s)")
        print("Test loss:", loss)
        print("Test accuracy:", accuracy)
    return loss, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale-batch", action="store_true",
                        help="128 samples per rank and batch, learning rate x size after a warm-up")
    args = parser.parse_args()
    main(epochs=args.epochs, verbose=args.verbose, seed=args.seed, scale_batch=args.scale_batch)
