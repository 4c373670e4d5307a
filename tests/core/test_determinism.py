"""``numkeras.utils.set_random_seed`` makes training reproducible bit for bit."""

import numpy as np

import numkeras
from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential


def _train(seed, shuffle=True, epochs=3):
    numkeras.utils.set_random_seed(seed)
    x = np.random.normal(size=(96, 10)).astype("float32")  # numpy's global RNG is seeded too
    y = numkeras.utils.to_categorical(np.random.randint(0, 3, size=96), 3)
    model = Sequential([
        Dense(16, activation="relu", input_shape=(10,)),
        Dropout(0.5),
        Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=shuffle, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_gives_bit_identical_weights_after_fit():
    weights_a, history_a = _train(seed=42)
    weights_b, history_b = _train(seed=42)
    assert len(weights_a) == 4
    for a, b in zip(weights_a, weights_b):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert history_a == history_b


def test_different_seeds_give_different_weights():
    weights_a, _ = _train(seed=1, epochs=1)
    weights_b, _ = _train(seed=2, epochs=1)
    assert not np.array_equal(weights_a[0], weights_b[0])


def test_dropout_and_shuffle_draw_from_the_seeded_generator():
    """Same initial weights, different seeds afterwards: dropout masks / batch order must differ."""
    numkeras.utils.set_random_seed(0)
    x = np.random.normal(size=(64, 10)).astype("float32")
    y = numkeras.utils.to_categorical(np.random.randint(0, 3, size=64), 3)

    def fit_from(initial, seed):
        model = Sequential([Dense(16, activation="relu", input_shape=(10,)), Dropout(0.5),
                            Dense(3, activation="softmax")])
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        model.set_weights(initial)
        numkeras.utils.set_random_seed(seed)
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        return model.get_weights()

    numkeras.utils.set_random_seed(0)
    initial = Sequential([Dense(16, input_shape=(10,)), Dropout(0.5), Dense(3)]).get_weights()
    same = fit_from(initial, 7), fit_from(initial, 7)
    other = fit_from(initial, 8)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(*same))
    assert not np.array_equal(same[0][0], other[0])
