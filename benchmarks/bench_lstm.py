"""numkeras vs PyTorch, tf.keras 2 and Keras 3 (CPU) on Keras's imdb_lstm network.

Case ``lstm``: Embedding(20000, 128) → LSTM(128) → Dense(1, sigmoid) on integer
sequences of length 80, Adam (lr 0.001), batch 32, binary cross-entropy; training
throughput in samples/s over ``batches`` batches after a warm-up. The data are random
token ids with random labels (the arithmetic does not depend on them).

So that both frameworks do the same arithmetic, the LSTM uses ``sigmoid`` gates (PyTorch's
only choice; Keras 2.2 defaults to ``hard_sigmoid``) and no dropout (``nn.LSTM`` has no
recurrent dropout). PyTorch runs ``nn.Embedding`` → ``nn.LSTM(batch_first=True)`` → last
hidden state → ``nn.Linear`` with ``BCEWithLogitsLoss`` (numkeras fuses sigmoid + binary
cross-entropy the same way). numkeras, tf.keras and Keras 3 run one Keras-API function.
(LSTM inference: ``bench_rnn.py``'s ``lstm_predict``.)

Run (torch is optional; install it only for benchmarking: ``pip install torch==2.13.0``)::

    python benchmarks/bench_lstm.py --threads 1 --repeats 5
    python benchmarks/bench_lstm.py --quick --repeats 1
"""

import numpy as np

from harness import Case, binary_accuracy, keras_fit_seconds, main, torch_fit_seconds

BATCH = 32
LENGTH = 80
VOCABULARY = 20000


def _data(batches):
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCABULARY, size=(batches * BATCH, LENGTH))
    y = rng.integers(0, 2, size=(batches * BATCH, 1)).astype(np.float32)
    return x, y


def _keras_lstm(keras):
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([
        keras.layers.Embedding(VOCABULARY, 128),
        keras.layers.LSTM(128, recurrent_activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  metrics=["accuracy"])
    return model


def lstm_keras(config, keras):
    x, y = _data(config["batches"])
    elapsed = keras_fit_seconds(_keras_lstm(keras), x, y, BATCH)
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}


def lstm_torch(config):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, y = _data(config["batches"])
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCABULARY, 128)
            self.lstm = nn.LSTM(128, 128, batch_first=True)
            self.dense = nn.Linear(128, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embedding(ids))
            return self.dense(h[-1])

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    elapsed = torch_fit_seconds(model, nn.BCEWithLogitsLoss(), optimizer, x, y, BATCH, accuracy=binary_accuracy)
    return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}

CASES = [
    Case("lstm", "Keras imdb_lstm training: Embedding(20000,128)+LSTM(128)+Dense(1), Adam, batch 32, length 80",
         "samples_per_s", {"keras": lstm_keras, "torch": lstm_torch}, config={"batches": 30},
         quick_config={"batches": 8}),
]

if __name__ == "__main__":
    main("lstm", CASES)
