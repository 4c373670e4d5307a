"""numkeras vs PyTorch, tf.keras 2 and Keras 3 (CPU) on Keras's mnist_cnn network.

Case ``cnn``: Conv2D(32, 3x3, relu) → Conv2D(64, 3x3, relu) → MaxPooling2D(2) →
Dropout(0.25) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax), on
28x28x1 MNIST images, Adadelta (lr 1.0, rho 0.95, eps 1e-7, as Keras), batch 128,
categorical cross-entropy; training throughput in samples/s over ``batches`` batches
after a warm-up. PyTorch runs the same layers (``nn.Conv2d``, ``nn.MaxPool2d``,
``nn.Dropout``, ``nn.Linear``, ``CrossEntropyLoss``, ``optim.Adadelta``) in its idiomatic
loop. Case ``cnn_predict``: inference throughput of the same network (PyTorch under
``torch.no_grad()``). numkeras, tf.keras and Keras 3 build the model with one Keras-API function.

Every run is a fresh subprocess, frameworks alternate run by run, and the median is
reported with the numkeras / torch ratio (see ``harness.py``). Both frameworks get the
same number of threads (``--threads``; on a machine shared with other jobs, 1 thread
gives steadier numbers).

Run (torch is optional; install it only for benchmarking: ``pip install torch==2.13.0``)::

    python benchmarks/bench_cnn.py --threads 1 --repeats 5
    python benchmarks/bench_cnn.py --quick --repeats 1
"""

import numpy as np

from harness import (Case, class_accuracy, keras_fit_seconds, keras_predict_seconds, load_mnist, main,
                     torch_fit_seconds, torch_predict_seconds)

BATCH = 128


def _images(batches):
    x, y, _, _ = load_mnist()
    n = batches * BATCH
    return x[:n].reshape(-1, 28, 28, 1), y[:n]


def _keras_cnn(keras):
    keras.utils.set_random_seed(0)
    layers = keras.layers
    model = keras.models.Sequential([
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    # Keras 2.2's Adadelta defaults, spelled out: tf.keras and Keras 3 default to learning_rate=0.001.
    optimizer = keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def cnn_keras(config, keras):
    x, labels = _images(config["batches"])
    y = np.eye(10, dtype=np.float32)[labels]
    elapsed = keras_fit_seconds(_keras_cnn(keras), x, y, BATCH)
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}


def cnn_predict_keras(config, keras):
    x, _ = _images(config["batches"])
    elapsed = keras_predict_seconds(_keras_cnn(keras), x, BATCH)
    return {"samples_per_s": len(x) / elapsed, "predict_s": elapsed}


def _torch_cnn():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )


def _nchw(x):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # PyTorch's native layout


def cnn_torch(config):
    import torch
    from torch import nn

    x, labels = _images(config["batches"])
    x = _nchw(x)
    y = torch.from_numpy(labels)
    model = _torch_cnn()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-7)
    elapsed = torch_fit_seconds(model, nn.CrossEntropyLoss(), optimizer, x, y, BATCH, accuracy=class_accuracy)
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}


def cnn_predict_torch(config):
    import torch

    x, _ = _images(config["batches"])
    elapsed = torch_predict_seconds(_torch_cnn(), _nchw(x), BATCH, then=lambda logits: torch.softmax(logits, -1))
    return {"samples_per_s": len(x) / elapsed, "predict_s": elapsed}


CASES = [
    Case("cnn", "Keras mnist_cnn training (2 conv, pool, 2 dense), Adadelta, batch 128, 28x28x1", "samples_per_s",
         {"keras": cnn_keras, "torch": cnn_torch}, config={"batches": 12}, quick_config={"batches": 4}),
    Case("cnn_predict", "Keras mnist_cnn inference, batch 128, 28x28x1", "samples_per_s",
         {"keras": cnn_predict_keras, "torch": cnn_predict_torch}, config={"batches": 12},
         quick_config={"batches": 4}),
]

if __name__ == "__main__":
    main("cnn", CASES)
