"""numkeras.wrappers.scikit_learn inside real scikit-learn model selection (small data, few epochs)."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")  # the `sklearn` extra; the test extra installs it
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from numkeras.layers import Dense  # noqa: E402
from numkeras.models import Sequential  # noqa: E402
from numkeras.optimizers import Adam  # noqa: E402
from numkeras.utils import set_random_seed  # noqa: E402
from numkeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402


def _blobs(n=90, seed=0):
    rng = np.random.RandomState(seed)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype="float32")
    labels = np.arange(n) % 3
    return (centers[labels] + rng.normal(scale=0.5, size=(n, 4))).astype("float32"), labels


def build_classifier(hidden=8, activation="relu", lr=0.05):
    model = Sequential([Dense(hidden, activation=activation, input_shape=(4,)), Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(lr=lr), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def build_regressor(hidden=8):
    model = Sequential([Dense(hidden, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile(optimizer=Adam(lr=0.02), loss="mse")
    return model


@pytest.fixture(autouse=True)
def _seeded():
    set_random_seed(0)


def test_grid_search_over_a_keras_classifier():
    x, y = _blobs()
    estimator = KerasClassifier(build_classifier, epochs=20, batch_size=16, verbose=0)
    assert is_classifier(estimator)
    search = GridSearchCV(estimator, {"lr": [0.05], "hidden": [2, 16], "epochs": [1, 20]}, cv=3)
    search.fit(x, y)
    assert len(search.cv_results_["params"]) == 4
    # the refitted model was built with the winning parameters, which set_params passed on
    assert search.best_estimator_.model.layers[0].units == search.best_params_["hidden"]
    assert search.best_estimator_.sk_params["epochs"] == search.best_params_["epochs"]
    assert search.best_score_ > 0.8
    assert search.predict(x[:5]).tolist() == search.best_estimator_.predict(x[:5]).tolist()


def test_cross_val_score_and_pipeline_with_string_labels():
    x, y = _blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("net", KerasClassifier(build_classifier, epochs=30, batch_size=16, verbose=0))])
    scores = cross_val_score(pipeline, x, names, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    pipeline.fit(x, names)
    assert set(pipeline.predict(x)) <= {"cat", "dog", "emu"}
    probs = pipeline.predict_proba(x[:4])
    assert probs.shape == (4, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert pipeline.named_steps["net"].classes_.tolist() == ["cat", "dog", "emu"]


def test_regressor_in_cross_val_score():
    x, _ = _blobs(60)
    target = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    regressor = KerasRegressor(build_regressor, epochs=60, batch_size=8, verbose=0)
    assert is_regressor(regressor)
    scores = cross_val_score(regressor, x, target, cv=2)
    assert scores.shape == (2,) and np.all(scores <= 0)  # minus the mse
    regressor.fit(x, target)
    assert regressor.predict(x).shape == (60,)
    assert regressor.score(x, target) > -np.var(target)  # better than predicting the mean


def test_sk_params_go_to_the_functions_that_take_them():
    seen = {}

    def build(hidden=3):
        seen["hidden"] = hidden
        return build_classifier(hidden)

    x, y = _blobs(30)
    clf = KerasClassifier(build, hidden=5, epochs=2, batch_size=7, verbose=0)
    history = clf.fit(x, y)
    assert seen == {"hidden": 5}
    assert len(history.history["loss"]) == 2  # epochs went to fit
    assert clf.fit(x, y, epochs=1).params["epochs"] == 1  # a fit() keyword overrides sk_params
    assert clf.filter_sk_params(build) == {"hidden": 5}
    assert clf.filter_sk_params(Sequential.fit, {"epochs": 9}) == {"epochs": 9, "batch_size": 7, "verbose": 0}


def test_build_fn_may_be_a_class_or_a_method_or_call():
    class Builder:
        def __call__(self, hidden=4):
            return build_classifier(hidden)

    class Factory:
        def make(self, hidden=4):
            return build_classifier(hidden)

    class Subclassed(KerasClassifier):
        def __call__(self, hidden=4):
            return build_classifier(hidden)

    x, y = _blobs(30)
    for clf in (KerasClassifier(Builder(), hidden=6, epochs=1, verbose=0),
                KerasClassifier(Factory().make, hidden=6, epochs=1, verbose=0),
                Subclassed(hidden=6, epochs=1, verbose=0)):
        clf.fit(x, y)
        assert clf.model.layers[0].units == 6


def test_get_set_params_and_clone():
    clf = KerasClassifier(build_classifier, hidden=4, epochs=2)
    assert clf.get_params() == {"build_fn": build_classifier, "hidden": 4, "epochs": 2}
    assert clf.set_params(hidden=9) is clf and clf.sk_params["hidden"] == 9
    copy = clone(clf)
    assert copy is not clf and copy.get_params() == clf.get_params()
    with pytest.raises(ValueError, match="hiden is not a legal parameter"):
        clf.set_params(hiden=3)
    with pytest.raises(ValueError, match="nb_hidden is not a legal parameter"):
        KerasClassifier(build_classifier, nb_hidden=3)


def test_one_hot_targets_binary_probabilities_and_bad_shapes():
    x, y = _blobs(30)
    clf = KerasClassifier(build_classifier, epochs=1, verbose=0)
    clf.fit(x, np.eye(3)[y])
    assert clf.classes_.tolist() == [0, 1, 2]

    def binary():
        model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
        return model

    flat = KerasClassifier(binary, epochs=1, verbose=0)
    flat.fit(x, y % 2)
    probs = flat.predict_proba(x[:3])
    assert probs.shape == (3, 2) and np.allclose(probs.sum(axis=1), 1)
    assert 0 <= flat.score(x, y % 2) <= 1
    with pytest.raises(ValueError, match="Invalid shape for y"):
        clf.fit(x, np.zeros((30, 2, 2)))

    def no_accuracy():
        model = build_classifier()
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    plain = KerasClassifier(no_accuracy, epochs=1, verbose=0)
    plain.fit(x, y)
    with pytest.raises(ValueError, match="metrics=\\['accuracy'\\]"):
        plain.score(x, y)
