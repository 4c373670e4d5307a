"""Trains an LSTM on IMDB review sentiment (Keras's ``imdb_lstm.py``).

The network and settings are those of the Keras example: Embedding(20000, 128),
LSTM(128, dropout=0.2, recurrent_dropout=0.2), Dense(1, sigmoid); Adam, binary
cross-entropy, reviews cut to 80 words, batch size 32, 15 epochs.

Data: ``numkeras.datasets.imdb.load_data()`` reads Keras's ``imdb.npz`` from
``~/.keras/datasets`` (or ``$KERAS_HOME/datasets``, ``$NUMKERAS_DATASETS``) or downloads
it; without it and without network the script says where to get it and exits with
status 1.

Run::

    python examples/imdb_lstm.py --epochs 1 --samples 2000
"""

import argparse
import sys

import numkeras as keras
from numkeras.datasets import DatasetError, DatasetNotFoundError, imdb
from numkeras.layers import LSTM, Dense, Embedding
from numkeras.models import Sequential
from numkeras.preprocessing import sequence

MAX_FEATURES = 20000
MAXLEN = 80
BATCH_SIZE = 32
EPOCHS = 15


def build_model(max_features=MAX_FEATURES):
    """The Keras imdb_lstm network, compiled."""
    model = Sequential()
    model.add(Embedding(max_features, 128))
    model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def main(epochs=EPOCHS, samples=None, verbose=2, seed=0):
    """Loads, trains and evaluates; returns ``(test_loss, test_accuracy)``."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=MAX_FEATURES)
    if samples:
        x_train, y_train, x_test, y_test = x_train[:samples], y_train[:samples], x_test[:samples], y_test[:samples]
    print(len(x_train), "train sequences,", len(x_test), "test sequences")
    x_train = sequence.pad_sequences(x_train, maxlen=MAXLEN)
    x_test = sequence.pad_sequences(x_test, maxlen=MAXLEN)
    print("x_train shape:", x_train.shape)
    model = build_model()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test))
    score, accuracy = model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=0)
    print("Test score:", score)
    print("Test accuracy:", accuracy)
    return score, accuracy


def run(argv=None):
    """The command line: a missing or bad data file is a message and status 1, not a traceback."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--samples", type=int, default=None, help="use only the first N reviews of each set")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        main(epochs=args.epochs, samples=args.samples, verbose=args.verbose, seed=args.seed)
    except (DatasetNotFoundError, DatasetError) as error:
        print(f"imdb_lstm: the IMDB data is not available.\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
