"""numkeras vs PyTorch, tf.keras 2 and Keras 3 (CPU) on every recurrent layer: GRU, SimpleRNN and LSTM,
training and inference.

Cases (Embedding(20000, E) → recurrent layer → Dense(1, sigmoid), Adam, binary
cross-entropy, random token ids and labels; training after a warm-up):

* ``gru``: GRU(128), length 80, batch 32 (the imdb_lstm shape with a GRU).
* ``simple_rnn``: SimpleRNN(128), the same shape.
* ``lstm_long``: LSTM(256) on length 400, batch 64.
* ``lstm_bidirectional`` / ``lstm_stacked``: Bidirectional(LSTM(128)) and two stacked LSTM(128)
  on the short shape (PyTorch: ``nn.LSTM(bidirectional=True)`` / ``nn.LSTM(num_layers=2)``).
* ``gru_predict`` / ``lstm_predict`` / ``simple_rnn_predict``: ``predict`` on the
  benchmark shape, batch 32 (PyTorch under ``torch.no_grad()``).

(``bench_lstm.py`` has LSTM(128) training on the short shape.) So that all frameworks do
the same arithmetic the gates are ``sigmoid`` (PyTorch's only choice) and there is no
dropout. PyTorch's GRU is the CuDNN-compatible one (reset gate after the product), so the
Keras GRU (numkeras's, tf.keras's, Keras 3's: one Keras-API builder) runs with
``reset_after=True``; ``gru_keras22`` measures Keras 2.2's default (``reset_after=False``, the
one that was 3.5x slower in numkeras with the compute plugins) against the same PyTorch GRU.
Every case runs plain and with each compute plugin (see ``harness.py``): the
"numkeras-… / numkeras" lines are the "no model gets slower with a plugin" row.

Run::

    python benchmarks/bench_rnn.py --repeats 7
    python benchmarks/bench_rnn.py --quick --repeats 1
"""

import numpy as np

from harness import Case, binary_accuracy, keras_case_functions, main, torch_fit_seconds, torch_predict_seconds

VOCABULARY = 20000
SHORT = {"cell": "gru", "units": 128, "embedding": 128, "length": 80, "batch": 32}
LONG = {"cell": "lstm", "units": 256, "embedding": 128, "length": 400, "batch": 64}


def _data(config):
    rng = np.random.default_rng(0)
    n = config["batches"] * config["batch"]
    x = rng.integers(1, VOCABULARY, size=(n, config["length"]))
    y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    return x, y


def _keras_model(keras, config):
    keras.utils.set_random_seed(0)
    cell, units, layers = config["cell"], config["units"], keras.layers

    def recurrent(return_sequences=False):
        if cell == "gru":
            layer = layers.GRU(units, recurrent_activation="sigmoid", reset_after=config.get("reset_after", True),
                               return_sequences=return_sequences)
        elif cell == "lstm":
            layer = layers.LSTM(units, recurrent_activation="sigmoid", return_sequences=return_sequences)
        else:
            layer = layers.SimpleRNN(units, return_sequences=return_sequences)
        return layers.Bidirectional(layer) if config.get("bidirectional") else layer

    depth = config.get("layers", 1)
    stack = [recurrent(return_sequences=index < depth - 1) for index in range(depth)]
    model = keras.models.Sequential([layers.Embedding(VOCABULARY, config["embedding"])] + stack
                                    + [layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  metrics=["accuracy"])
    return model


rnn_keras, rnn_predict_keras = keras_case_functions(_data, _keras_model)


def _torch_model(config):
    import torch
    from torch import nn

    torch.manual_seed(0)
    recurrent = {"gru": nn.GRU, "lstm": nn.LSTM, "simple_rnn": nn.RNN}[config["cell"]]

    directions = 2 if config.get("bidirectional") else 1

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCABULARY, config["embedding"])
            self.recurrent = recurrent(config["embedding"], config["units"], num_layers=config.get("layers", 1),
                                       bidirectional=directions == 2, batch_first=True)
            self.dense = nn.Linear(directions * config["units"], 1)

        def forward(self, ids):
            _, state = self.recurrent(self.embedding(ids))
            h = state[0] if isinstance(state, tuple) else state
            # The last layer's final states, forward then backward: Bidirectional's concat.
            return self.dense(torch.cat(list(h[-directions:]), dim=1))

    return Model()


def rnn_torch(config):
    import torch
    from torch import nn

    x, y = _data(config)
    model = _torch_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    elapsed = torch_fit_seconds(model, nn.BCEWithLogitsLoss(), optimizer, torch.from_numpy(x), torch.from_numpy(y),
                                config["batch"], accuracy=binary_accuracy)
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}


def rnn_predict_torch(config):
    import torch

    x, _ = _data(config)
    elapsed = torch_predict_seconds(_torch_model(config), torch.from_numpy(x), config["batch"], then=torch.sigmoid)
    return {"samples_per_s": len(x) / elapsed, "predict_s": elapsed}


FUNCTIONS = {"keras": rnn_keras, "torch": rnn_torch}
PREDICT = {"keras": rnn_predict_keras, "torch": rnn_predict_torch}
QUICK = {"batches": 4}

CASES = [
    Case("gru", "Embedding(20000,128)+GRU(128)+Dense(1) training, Adam, batch 32, length 80", "samples_per_s",
         FUNCTIONS, config=dict(SHORT, batches=30), quick_config=QUICK),
    Case("gru_keras22", "the same with Keras 2.2's GRU (reset_after=False) in numkeras", "samples_per_s",
         FUNCTIONS, config=dict(SHORT, batches=30, reset_after=False), quick_config=QUICK),
    Case("simple_rnn", "Embedding(20000,128)+SimpleRNN(128)+Dense(1) training, batch 32, length 80",
         "samples_per_s", FUNCTIONS, config=dict(SHORT, cell="simple_rnn", batches=30), quick_config=QUICK),
    Case("lstm_long", "Embedding(20000,128)+LSTM(256)+Dense(1) training, batch 64, length 400", "samples_per_s",
         FUNCTIONS, config=dict(LONG, batches=6), quick_config={"batches": 2}),
    Case("lstm_bidirectional", "Embedding+Bidirectional(LSTM(128))+Dense(1) training, batch 32, length 80",
         "samples_per_s", FUNCTIONS, config=dict(SHORT, cell="lstm", bidirectional=True, batches=20),
         quick_config=QUICK),
    Case("lstm_stacked", "Embedding+LSTM(128, return_sequences)+LSTM(128)+Dense(1) training, batch 32, length 80",
         "samples_per_s", FUNCTIONS, config=dict(SHORT, cell="lstm", layers=2, batches=20), quick_config=QUICK),
    Case("gru_predict", "GRU(128) inference, batch 32, length 80", "samples_per_s", PREDICT,
         config=dict(SHORT, batches=30), quick_config=QUICK),
    Case("lstm_predict", "LSTM(128) inference, batch 32, length 80", "samples_per_s", PREDICT,
         config=dict(SHORT, cell="lstm", batches=30), quick_config=QUICK),
    Case("simple_rnn_predict", "SimpleRNN(128) inference, batch 32, length 80", "samples_per_s", PREDICT,
         config=dict(SHORT, cell="simple_rnn", batches=30), quick_config=QUICK),
]

if __name__ == "__main__":
    main("rnn", CASES)
