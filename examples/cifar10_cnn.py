"""Trains a small convnet on CIFAR-10 (Keras's ``cifar10_cnn.py``).

The network and settings are those of the Keras example: two blocks of
Conv2D(32 / 64, 3x3) x2 + MaxPooling2D + Dropout(0.25), then Dense(512) + Dropout(0.5)
+ Dense(10, softmax); RMSprop(lr=0.0001, decay=1e-6), batch size 32, real-time data
augmentation (shifts and horizontal flips) with ``ImageDataGenerator``.

Data: ``numkeras.datasets.cifar10.load_data()`` reads ``cifar-10-python.tar.gz`` (Keras
caches it as ``cifar-10-batches-py.tar.gz``) from ``~/.keras/datasets`` (or
``$KERAS_HOME/datasets``, ``$NUMKERAS_DATASETS``) or downloads it; without it and
without network the script says where to get it and exits with status 1.

Run::

    python examples/cifar10_cnn.py --epochs 1 --samples 2000
"""

import argparse
import sys

import numkeras as keras
from numkeras.datasets import DatasetError, DatasetNotFoundError, cifar10
from numkeras.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from numkeras.models import Sequential
from numkeras.preprocessing.image import ImageDataGenerator

BATCH_SIZE = 32
NUM_CLASSES = 10
EPOCHS = 100


def build_model(input_shape):
    """The Keras cifar10_cnn network, compiled with RMSprop."""
    model = Sequential()
    model.add(Conv2D(32, (3, 3), padding="same", input_shape=input_shape))
    model.add(Activation("relu"))
    model.add(Conv2D(32, (3, 3)))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Conv2D(64, (3, 3), padding="same"))
    model.add(Activation("relu"))
    model.add(Conv2D(64, (3, 3)))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(512))
    model.add(Activation("relu"))
    model.add(Dropout(0.5))
    model.add(Dense(NUM_CLASSES))
    model.add(Activation("softmax"))
    optimizer = keras.optimizers.RMSprop(lr=0.0001, decay=1e-6)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def main(epochs=EPOCHS, samples=None, augment=True, verbose=2, seed=0):
    """Loads, trains and evaluates; returns ``(test_loss, test_accuracy)``."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    if samples:
        x_train, y_train, x_test, y_test = x_train[:samples], y_train[:samples], x_test[:samples], y_test[:samples]
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples,", x_test.shape[0], "test samples")
    y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    model = build_model(x_train.shape[1:])
    if augment:
        datagen = ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1, horizontal_flip=True)
        model.fit_generator(datagen.flow(x_train, y_train, batch_size=BATCH_SIZE), epochs=epochs,
                            validation_data=(x_test, y_test), verbose=verbose)
    else:
        model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, validation_data=(x_test, y_test),
                  shuffle=True, verbose=verbose)
    scores = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", scores[0])
    print("Test accuracy:", scores[1])
    return scores[0], scores[1]


def run(argv=None):
    """The command line: a missing or bad data file is a message and status 1, not a traceback."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--samples", type=int, default=None, help="use only the first N images of each set")
    parser.add_argument("--no-augmentation", dest="augment", action="store_false")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        main(epochs=args.epochs, samples=args.samples, augment=args.augment, verbose=args.verbose, seed=args.seed)
    except (DatasetNotFoundError, DatasetError) as error:
        print(f"cifar10_cnn: the CIFAR-10 data is not available.\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
