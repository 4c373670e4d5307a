"""Finds one digit among MNIST's ten with the numkeras-extras plugin: focal loss, F1 and AUC.

A detector of one digit (``--digit``, 0 by default) sees about 10% positives: the
imbalance the focal loss (Lin et al., 2017) was made for, and where accuracy says little
(always answering "no" scores 90%) while precision, recall, F1 and ROC AUC say how well
the positives are found. Everything beyond numkeras comes from ``contrib/numkeras-extras``
and is used by name or by class, as any installed plugin's components are:

* loss ``BinaryFocalLoss(gamma=2, alpha=0.25)``; metrics ``Precision``, ``Recall``,
  ``F1Score`` and ``AUC``; the hidden layer's ``activation='gelu'``;
* optimizer ``Lookahead(Adam)``, with the ``OneCycleLR`` learning-rate schedule.

The saved model (``--save``) loads wherever numkeras-extras is installed, without
``custom_objects``.

Run (after ``pip install -e contrib/numkeras-extras``)::

    python examples/mnist_focal_f1.py                       # 5 epochs on the training split
    python examples/mnist_focal_f1.py --epochs 1 --samples 2000 --digit 7
"""

import argparse
import math
import sys
import warnings

import numpy as np

import numkeras as keras
from numkeras.datasets import mnist
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.optimizers import Adam

try:
    from numkeras_extras import AUC, BinaryFocalLoss, F1Score, Lookahead, OneCycleLR, Precision, Recall
except ImportError:  # pragma: no cover - said plainly, rather than a traceback
    sys.exit("This example needs the numkeras-extras plugin: pip install -e contrib/numkeras-extras")

BATCH_SIZE = 128
EPOCHS = 5


def load_data(digit, samples=None):
    """Flat float32 images in [0, 1] and 0/1 labels (1: the image shows ``digit``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mnist.MnistSplitWarning)  # either split serves this example
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if samples:
        x_train, y_train = x_train[:samples], y_train[:samples]
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    return (x_train, (y_train == digit).astype("float32")[:, None]), (x_test, (y_test == digit).astype("float32")[:, None])


def build_model(learning_rate=0.003):
    model = Sequential([Dense(128, activation="gelu", input_shape=(784,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Lookahead(Adam(lr=learning_rate), sync_period=6, slow_step_size=0.5),
                  loss=BinaryFocalLoss(gamma=2.0, alpha=0.25),
                  metrics=[Precision(), Recall(), F1Score(), AUC()])
    return model


def main(epochs=EPOCHS, digit=0, samples=None, verbose=2, seed=0, save=None):
    """Trains and evaluates; returns ``{'loss', 'precision', 'recall', 'f1_score', 'auc'}`` on the test split."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_data(digit, samples)
    print(f"{len(x_train)} train samples ({int(y_train.sum())} positives), {len(x_test)} test samples "
          f"({int(y_test.sum())} positives): is it a {digit}?")
    model = build_model()
    steps = epochs * math.ceil(len(x_train) / BATCH_SIZE)
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose,
              callbacks=[OneCycleLR(max_lr=0.01, total_steps=steps)])
    scores = dict(zip(model.metrics_names, np.atleast_1d(model.evaluate(x_test, y_test, verbose=0))))
    for name, label in (("loss", "Test focal loss"), ("precision", "Test precision"), ("recall", "Test recall"),
                        ("f1_score", "Test F1"), ("auc", "Test AUC")):
        print(f"{label}: {float(scores[name]):.4f}")
    if save:
        model.save(save)
        print(f"Saved to {save}")
    return {name: float(value) for name, value in scores.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--digit", type=int, default=0, choices=range(10))
    parser.add_argument("--samples", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="save the trained model to this .h5 file")
    args = parser.parse_args()
    main(epochs=args.epochs, digit=args.digit, samples=args.samples, verbose=args.verbose, seed=args.seed,
         save=args.save)
