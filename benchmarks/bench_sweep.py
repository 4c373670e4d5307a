"""How cost grows with the work: sweeps of batch size, width and sequence length.

Each point is a harness case (its own child process per framework, runs alternated,
medians and per-round ratios, peak RSS), training and inference:

* ``mlp_batch_<B>`` / ``mlp_batch_<B>_predict``: MLP 784-512-512-10, batch 1, 8, 32, 128, 512;
* ``mlp_width_<W>`` / ``mlp_width_<W>_predict``: MLP 784-W-W-10, W = 64 … 2048, batch 128;
* ``lstm_length_<T>`` / ``lstm_length_<T>_predict``: Embedding(20000,128) + LSTM(128) + Dense(1),
  batch 32, length T = 20 … 400.

Default frameworks: plain numkeras, ``numkeras-mkl-numba`` (what ``numkeras[fast]`` gives;
``numkeras-numba`` where numkeras-mkl is off, on a non-Intel CPU) and PyTorch. The JSON goes to ``benchmarks/results/sweep.json``; ``plot_sweeps.py`` draws
it (``--plot`` does so at the end)::

    python benchmarks/bench_sweep.py --repeats 5 --plot
    python benchmarks/bench_sweep.py --quick --repeats 1 --case mlp_batch_32     # a smoke run
"""

import sys

import numpy as np

from harness import Case, framework_available, keras_case_functions, main, torch_fit_seconds, torch_predict_seconds

BATCHES = (1, 8, 32, 128, 512)
WIDTHS = (64, 128, 256, 512, 1024, 2048)
LENGTHS = (20, 50, 100, 200, 400)
FRAMEWORKS = "numkeras,numkeras-mkl-numba,torch"
# Where numkeras-mkl is off (a non-Intel CPU), what `numkeras[fast]` gives is numkeras-numba.
FRAMEWORKS_WITHOUT_MKL = "numkeras,numkeras-numba,torch"


def default_frameworks():
    """Plain numkeras, what ``numkeras[fast]`` turns on here, and PyTorch."""
    return FRAMEWORKS if framework_available("numkeras-mkl-numba") else FRAMEWORKS_WITHOUT_MKL
VOCABULARY = 20000


def _samples(config):
    # At least ``min_samples`` and at least ``min_batches`` batches (a batch of 1 needs many steps).
    return max(config["min_samples"], config["batch"] * config["min_batches"])


def _mlp_data(config):
    rng = np.random.default_rng(0)
    n = _samples(config)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def _seq_data(config):
    rng = np.random.default_rng(0)
    n = _samples(config)
    return rng.integers(1, VOCABULARY, (n, config["length"])), rng.integers(0, 2, (n, 1)).astype(np.float32)


def _keras_model(keras, config):
    keras.utils.set_random_seed(0)
    layers = keras.layers
    if config["model"] == "mlp":
        width = config["width"]
        model = keras.models.Sequential([
            layers.Dense(width, activation="relu", input_shape=(784,)), layers.Dense(width, activation="relu"),
            layers.Dense(10, activation="softmax")])
        model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01))
    else:
        model = keras.models.Sequential([
            layers.Embedding(VOCABULARY, 128), layers.LSTM(128, recurrent_activation="sigmoid"),
            layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.001))
    return model


def _data(config):
    return _mlp_data(config) if config["model"] == "mlp" else _seq_data(config)


train_keras, predict_keras = keras_case_functions(_data, _keras_model)


def _torch_model(config):
    import torch
    from torch import nn

    torch.manual_seed(0)
    if config["model"] == "mlp":
        width = config["width"]
        return nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                             nn.Linear(width, 10)), nn.CrossEntropyLoss(), 0.01, torch.optim.SGD

    from bench_rnn import _torch_model as recurrent_model

    model = recurrent_model({"cell": "lstm", "units": 128, "embedding": 128})
    return model, nn.BCEWithLogitsLoss(), 0.001, torch.optim.Adam


def train_torch(config):
    import torch

    x, y = _data(config)
    model, loss_fn, lr, optimizer_class = _torch_model(config)
    elapsed = torch_fit_seconds(model, loss_fn, optimizer_class(model.parameters(), lr=lr), torch.from_numpy(x),
                                torch.from_numpy(y), config["batch"])
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}


def predict_torch(config):
    import torch

    x, _ = _data(config)
    model, _, _, _ = _torch_model(config)
    elapsed = torch_predict_seconds(model, torch.from_numpy(x), config["batch"])
    return {"samples_per_s": len(x) / elapsed, "predict_s": elapsed}


TRAIN = {"keras": train_keras, "torch": train_torch}
PREDICT = {"keras": predict_keras, "torch": predict_torch}
MLP = {"model": "mlp", "width": 512, "batch": 128, "min_samples": 4096, "min_batches": 20}
LSTM = {"model": "lstm", "batch": 32, "length": 80, "min_samples": 640, "min_batches": 10}
QUICK_MLP = {"min_samples": 512, "min_batches": 4}
QUICK_LSTM = {"min_samples": 64, "min_batches": 2}


def _cases():
    cases = []

    def add(name, description, config, quick, sweep, value):
        config = dict(config, sweep=sweep, value=value)
        cases.append(Case(name, description + ", training", "samples_per_s", TRAIN, config, quick))
        cases.append(Case(name + "_predict", description + ", inference", "samples_per_s", PREDICT, config, quick))

    for batch in BATCHES:
        add(f"mlp_batch_{batch}", f"MLP 784-512-512-10, batch {batch}", dict(MLP, batch=batch), QUICK_MLP,
            "batch", batch)
    for width in WIDTHS:
        add(f"mlp_width_{width}", f"MLP 784-{width}-{width}-10, batch 128", dict(MLP, width=width), QUICK_MLP,
            "width", width)
    for length in LENGTHS:
        add(f"lstm_length_{length}", f"Embedding+LSTM(128), batch 32, length {length}", dict(LSTM, length=length),
            QUICK_LSTM, "length", length)
    return cases


CASES = _cases()

if __name__ == "__main__":
    argv = sys.argv[1:]
    plot = "--plot" in argv
    argv = [a for a in argv if a != "--plot"]
    if not any(a.startswith("--frameworks") for a in argv) and "--child" not in argv:
        argv += ["--frameworks", default_frameworks()]
    results = main("sweep", CASES, argv)
    if plot and results is not None:
        import plot_sweeps

        plot_sweeps.plot(results)
