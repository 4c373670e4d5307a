"""contrib/numkeras-tensorboard: the TensorBoard callback writes event files that TensorBoard's own reader reads.

The writer and the reader both come from the ``tensorboard`` package (a dependency of
the distribution). When it is not installed in the running environment, the tests
install it there with pip (once); they are skipped, saying why, only when pip cannot.
"""

import importlib
import json
import os
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numkeras
from numkeras.layers import Dense
from numkeras.registry import registry

from .conftest import CONTRIB, install_contrib, pip_install, run_python


@pytest.fixture(scope="module")
def tensorboard_available():
    """Makes ``tensorboard`` importable in this environment, installing it if needed."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        ok, output = pip_install("tensorboard>=2.10")
        if not ok:
            pytest.skip(f"the tensorboard package is not installable here, so numkeras-tensorboard cannot "
                        f"run: {output.strip()[-500:]}")
        importlib.invalidate_caches()


@pytest.fixture
def plugin(tensorboard_available, monkeypatch):
    """The contrib package importable in this process (its logic; the entry point is tested separately)."""
    monkeypatch.syspath_prepend(os.path.join(CONTRIB, "numkeras-tensorboard"))
    import numkeras_tensorboard

    return numkeras_tensorboard


def _read(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _model():
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential([Dense(4, input_shape=(3,), activation="relu", name="hidden"), Dense(1, name="out")])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


X = np.random.default_rng(0).random((40, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


def test_epoch_scalars_match_the_history(plugin, tmp_path):
    history = _model().fit(X, Y, epochs=3, batch_size=10, verbose=0, validation_split=0.25,
                           callbacks=[plugin.TensorBoard(log_dir=str(tmp_path))])
    assert len([n for n in os.listdir(tmp_path) if n.startswith("events.out.tfevents.")]) == 1
    events = _read(tmp_path)
    assert sorted(events.Tags()["scalars"]) == ["loss", "mae", "val_loss", "val_mae"]
    for tag in ("loss", "val_mae"):
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [0, 1, 2]
        assert [s.value for s in scalars] == pytest.approx(history.history[tag], rel=1e-6)
    assert events.Tags()["histograms"] == []


@pytest.mark.parametrize("update_freq, steps", [("batch", [10, 20, 30, 40, 40]), (20, [20, 40, 40])])
def test_batch_scalars_every_update_freq_samples(plugin, tmp_path, update_freq, steps):
    batch_losses = []
    recorder = numkeras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batch_losses.append(logs["loss"]))
    history = _model().fit(X, Y, epochs=1, batch_size=10, verbose=0, shuffle=False,
                           callbacks=[recorder, plugin.TensorBoard(log_dir=str(tmp_path), update_freq=update_freq)])
    loss = _read(tmp_path).Scalars("loss")
    assert [s.step for s in loss] == steps  # samples seen; the epoch value is written last at the same step
    written_batches = batch_losses if update_freq == "batch" else batch_losses[1::2]
    assert [s.value for s in loss[:-1]] == pytest.approx(written_batches, rel=1e-6)
    assert loss[-1].value == pytest.approx(history.history["loss"][0], rel=1e-6)


def test_weight_histograms_every_histogram_freq_epochs(plugin, tmp_path):
    model = _model()
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[plugin.TensorBoard(log_dir=str(tmp_path), histogram_freq=2)])
    events = _read(tmp_path)
    assert sorted(events.Tags()["histograms"]) == ["hidden/bias", "hidden/kernel", "out/bias", "out/kernel"]
    kernel = events.Histograms("hidden/kernel")
    assert [h.step for h in kernel] == [0, 2]
    weights = model.layers[0].get_weights()[0]  # the last histogram was written after the last epoch
    last = kernel[-1].histogram_value
    assert last.num == weights.size and last.min == pytest.approx(weights.min())
    assert last.max == pytest.approx(weights.max()) and last.sum == pytest.approx(weights.sum(), rel=1e-5)
    assert sum(last.bucket) == weights.size


def test_model_graph_as_text(plugin, tmp_path):
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=[plugin.TensorBoard(log_dir=str(tmp_path / "on"))])
    events = _read(tmp_path / "on")
    summary = events.Tensors("model/summary")[0].tensor_proto.string_val[0].decode()
    config = events.Tensors("model/config")[0].tensor_proto.string_val[0].decode()
    assert "hidden (Dense)" in summary and "Total params: 21" in summary
    assert json.loads(config.strip("`").replace("json\n", "", 1))["class_name"] == "Sequential"
    _model().fit(X, Y, epochs=1, verbose=0,
                 callbacks=[plugin.TensorBoard(log_dir=str(tmp_path / "off"), write_graph=False)])
    assert _read(tmp_path / "off").Tags()["tensors"] == []


def test_arguments_are_checked_and_unsupported_ones_warn(plugin):
    with pytest.raises(ValueError, match="update_freq"):
        plugin.TensorBoard(update_freq="sometimes")
    with pytest.warns(UserWarning, match="does not write write_grads, embeddings_freq"):
        plugin.TensorBoard(write_grads=True, embeddings_freq=1)


# Keras 2.2's forms of the embeddings arguments (arrays among them), each given and "not given".
EMBEDDING_FORMS = {
    "embeddings_freq": st.sampled_from([0, 1, 3, np.int64(2), np.int32(0)]),
    "embeddings_layer_names": st.sampled_from([None, "hidden", ["hidden"], ["hidden", "out"], ("hidden",),
                                               np.array(["hidden"]), []]),
    "embeddings_metadata": st.sampled_from([None, "meta.tsv", {"hidden": "meta.tsv"}, {}]),
    "embeddings_data": st.sampled_from([None, X, X[:0], [X], [X, X], {"dense_input": X}, X.tolist(), np.float32(1)]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_keras_form_of_the_embeddings_arguments_is_accepted(plugin, tmp_path, data):
    """Arrays, lists and dicts are accepted (never NumPy's 'truth value is ambiguous'); set ones are named."""
    kwargs = {name: data.draw(form, label=name) for name, form in EMBEDDING_FORMS.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback = plugin.TensorBoard(log_dir=str(tmp_path / "emb"), write_graph=False, **kwargs)
    named = " ".join(str(w.message) for w in caught if "does not write" in str(w.message))
    for name, value in kwargs.items():
        given_ = value is not None and (np.size(value) > 0 if isinstance(value, np.ndarray) else
                                        (len(value) > 0 if isinstance(value, (str, list, tuple, dict)) else
                                         bool(value)))
        assert (name in named) == given_, (name, value, named)
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=[callback])


@pytest.mark.parametrize("name, value, message", [
    ("embeddings_freq", -1, "integer >= 0"),
    ("embeddings_freq", 1.5, "integer >= 0"),
    ("embeddings_layer_names", [1, 2], "layer name"),
    ("embeddings_metadata", ["meta.tsv"], "file name or a dict"),
    ("embeddings_data", "not data", "array of numbers"),
    ("embeddings_data", [X, [[1, 2], [3]]], "array of numbers"),
])
def test_wrong_embeddings_arguments_name_the_argument(plugin, name, value, message):
    with pytest.raises(TypeError, match=f"TensorBoard: {name} must be .*{message}"):
        plugin.TensorBoard(**{name: value})


def test_without_the_distribution_the_error_says_what_to_install():
    error = registry("callbacks")._unknown("TensorBoard")
    assert "pip install ./contrib/numkeras-tensorboard (distribution numkeras-tensorboard)" in str(error)
    if "TensorBoard" not in registry("callbacks").names():  # this environment does not have it installed
        with pytest.raises(AttributeError, match="numkeras-tensorboard"):
            numkeras.callbacks.TensorBoard
        with pytest.raises(ValueError, match="pip install ./contrib/numkeras-tensorboard"):
            numkeras.callbacks.get("TensorBoard")


INSTALLED_CHECK = textwrap.dedent("""
    import json, sys
    import numpy as np
    import numkeras
    from numkeras.layers import Dense
    from numkeras.registry import registry
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    TensorBoard = numkeras.callbacks.TensorBoard
    model = numkeras.Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[TensorBoard(log_dir="logs")])
    events = EventAccumulator("logs"); events.Reload()
    print(json.dumps({"module": TensorBoard.__module__,
                      "distribution": registry("callbacks").provider("TensorBoard").distribution,
                      "steps": [s.step for s in events.Scalars("loss")]}))
""")


@pytest.mark.slow
def test_installed_distribution_provides_numkeras_callbacks_tensorboard(tensorboard_available, tmp_path):
    site = tmp_path / "site"
    install_contrib(site, "numkeras-tensorboard")
    result = run_python(INSTALLED_CHECK, [site])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"module": "numkeras_tensorboard.callback", "distribution": "numkeras-tensorboard",
                      "steps": [0, 1]}
