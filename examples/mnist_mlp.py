"""Trains a simple deep multi-layer perceptron on the MNIST digits (Keras's ``mnist_mlp.py``).

The architecture and settings are those of the Keras example: 784-512-512-10 with
ReLU, Dropout(0.2) after each hidden layer, softmax output, RMSprop, batch size
128, 20 epochs.

Data: ``numkeras.datasets.mnist.load_data()`` gives Keras's 60,000 / 10,000 split
when Keras's ``mnist.npz`` is on disk (``~/.keras/datasets``); otherwise it reads the
official MNIST *test* files that ship with the project and splits them: the first
8,000 images train, the last 2,000 test (it says so with a ``MnistSplitWarning``, and
the script prints which split it got). On that small split the network reaches about
96% test accuracy (tf.keras gets 96.0-96.5%); Keras's published 98.4% is for the full
60,000-image training set.

Run::

    python examples/mnist_mlp.py                # 20 epochs, one line per epoch
    python examples/mnist_mlp.py --epochs 2 --verbose 1
"""

import argparse
import time
import warnings

import numkeras as keras
from numkeras.datasets import mnist
from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential
from numkeras.optimizers import RMSprop

BATCH_SIZE = 128
NUM_CLASSES = 10
EPOCHS = 20


def load_data():
    """MNIST as flat float32 vectors in [0, 1] and one-hot labels, and which split it is."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mnist.MnistSplitWarning)
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    small_split = False
    for warning in caught:
        if issubclass(warning.category, mnist.MnistSplitWarning):
            small_split = True
        else:  # not ours to swallow
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    split = ("the first 8,000 / last 2,000 of the MNIST t10k set" if small_split
             else "Keras's mnist.npz")
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
    return (x_train, y_train), (x_test, y_test), split


def build_model():
    """The Keras mnist_mlp network, compiled with RMSprop and categorical cross-entropy."""
    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    return model


def main(epochs=EPOCHS, verbose=2, seed=0, summary=True):
    """Trains and evaluates; returns ``(test_loss, test_accuracy)``."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test), split = load_data()
    print(f"{len(x_train)} train samples, {len(x_test)} test samples ({split})")
    model = build_model()
    if summary:
        model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Training took {seconds:.1f} s ({epochs * len(x_train) / seconds:,.0f} samples/s)")
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score[0], score[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2),
                        help="0 silent, 1 progress bar, 2 one line per epoch (default)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()
    main(epochs=args.epochs, verbose=args.verbose, seed=args.seed)
