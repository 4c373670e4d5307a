"""numkeras vs PyTorch, tf.keras 2 and Keras 3 (CPU) on multi-layer perceptrons.

Cases:

* ``mlp``: Keras's mnist_mlp network without dropout, 784-512-512-10 (ReLU, softmax),
  plain SGD (lr 0.01), batch 128, on the 8,000 MNIST training images; training
  throughput in samples/s (after one warm-up pass over a few batches).
* ``mlp_predict``: inference throughput of the same network (batch 128, 2,000 images).
* ``tiny``: ``Dense(1, sigmoid)`` on 8 features, batch 32, SGD + binary cross-entropy;
  so little arithmetic that the time per step is the framework's own overhead
  (reported as microseconds per training step), and per ``predict_on_batch`` call (PyTorch: one
  forward under ``torch.no_grad()``): the inference overhead.

Plus ``import`` time and the peak RSS of each child process (see ``harness.py``). The
Keras-API functions (``*_keras``) build one model for numkeras, tf.keras and Keras 3 alike.

Run (torch is optional; install it only for benchmarking: ``pip install torch==2.13.0``)::

    python benchmarks/bench_mlp.py                 # 3 alternating runs per framework
    python benchmarks/bench_mlp.py --quick --repeats 1
"""

import numpy as np

from harness import Case, keras_fit_seconds, keras_predict_seconds, load_mnist, main, seconds

LEARNING_RATE = 0.01
BATCH = 128


# -- mlp: numkeras, tf.keras, Keras 3 ---------------------------------------------------------------

def _keras_mlp(keras):
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([
        keras.layers.Dense(512, activation="relu", input_shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy")
    return model


def mlp_keras(config, keras):
    x, y, _, _ = load_mnist(config.get("limit"))
    model = _keras_mlp(keras)
    elapsed = keras_fit_seconds(model, x, y, BATCH, epochs=config["epochs"], warmup_batches=8)
    loss = float(model.evaluate(x, y, batch_size=1024, verbose=0))
    return {"samples_per_s": config["epochs"] * len(x) / elapsed, "train_s": elapsed, "final_loss": loss}


def mlp_predict_keras(config, keras):
    _, _, x_test, _ = load_mnist()
    elapsed = keras_predict_seconds(_keras_mlp(keras), x_test, BATCH, passes=config["passes"])
    return {"samples_per_s": len(x_test) / elapsed}


# -- mlp: torch -------------------------------------------------------------------------------------

def _torch_mlp():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def _torch_fit(model, x, y, epochs, batch, lr, loss_fn):
    """The idiomatic PyTorch training loop: shuffled mini-batches, one optimizer step each."""
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    n = len(x)
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            index = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
            loss.item()  # numkeras reports every batch's loss to its callbacks; so do we


def mlp_torch(config):
    import torch
    from torch import nn

    x, y, _, _ = load_mnist(config.get("limit"))
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = _torch_mlp()
    loss_fn = nn.CrossEntropyLoss()  # log-softmax + NLL, fused (numkeras fuses softmax + CE too)
    _torch_fit(model, x[: 8 * BATCH], y[: 8 * BATCH], 1, BATCH, LEARNING_RATE, loss_fn)  # warm-up
    elapsed = seconds(_torch_fit, model, x, y, config["epochs"], BATCH, LEARNING_RATE, loss_fn)
    with torch.no_grad():
        loss = float(loss_fn(model(x), y))
    return {"samples_per_s": config["epochs"] * len(x) / elapsed, "train_s": elapsed, "final_loss": loss}


def mlp_predict_torch(config):
    import torch

    _, _, x_test, _ = load_mnist()
    x_test = torch.from_numpy(x_test)
    model = _torch_mlp().eval()

    def predict():
        with torch.no_grad():
            return torch.cat([torch.softmax(model(x_test[i:i + BATCH]), dim=-1)
                              for i in range(0, len(x_test), BATCH)]).numpy()

    predict()
    elapsed = min(seconds(predict) for _ in range(config["passes"]))
    return {"samples_per_s": len(x_test) / elapsed}


# -- tiny: per-step overhead ------------------------------------------------------------------------------

def _tiny_data(steps, batch=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps * batch, 8)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    return x, y


def _keras_tiny(keras):
    model = keras.models.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(8,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy")
    return model


def tiny_keras(config, keras):
    x, y = _tiny_data(config["steps"])
    model = _keras_tiny(keras)
    elapsed = keras_fit_seconds(model, x, y, 32, warmup_batches=10)
    calls = config["steps"] // 4
    start_tob = x[:32], y[:32]
    model.train_on_batch(*start_tob)
    elapsed_tob = seconds(lambda: [model.train_on_batch(*start_tob) for _ in range(calls)])
    model.predict_on_batch(x[:32])
    elapsed_pob = seconds(lambda: [model.predict_on_batch(x[:32]) for _ in range(calls)])
    return {"step_us": 1e6 * elapsed / config["steps"], "train_on_batch_step_us": 1e6 * elapsed_tob / calls,
            "predict_on_batch_us": 1e6 * elapsed_pob / calls}


def tiny_torch(config):
    import torch
    from torch import nn

    x, y = _tiny_data(config["steps"])
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    _torch_fit(model, x[:320], y[:320], 1, 32, 0.1, loss_fn)
    elapsed = seconds(_torch_fit, model, x, y, 1, 32, 0.1, loss_fn)
    calls, batch = config["steps"] // 4, x[:32]

    def predict_on_batch():
        with torch.no_grad():
            return model(batch).numpy()

    model.eval()
    predict_on_batch()
    elapsed_pob = seconds(lambda: [predict_on_batch() for _ in range(calls)])
    return {"step_us": 1e6 * elapsed / config["steps"], "predict_on_batch_us": 1e6 * elapsed_pob / calls}


CASES = [
    Case("mlp", "MLP 784-512-512-10 training, SGD, batch 128, MNIST 8,000 images", "samples_per_s",
         {"keras": mlp_keras, "torch": mlp_torch}, config={"epochs": 2}, quick_config={"epochs": 1}),
    Case("mlp_predict", "MLP 784-512-512-10 inference, batch 128, 2,000 images", "samples_per_s",
         {"keras": mlp_predict_keras, "torch": mlp_predict_torch}, config={"passes": 3}),
    Case("tiny", "Dense(1, sigmoid) on 8 features, batch 32: per-step overhead", "step_us",
         {"keras": tiny_keras, "torch": tiny_torch}, config={"steps": 1000}, quick_config={"steps": 300}),
]

if __name__ == "__main__":
    main("mlp", CASES)
