"""Files written by three tf.keras 2 releases (tests/data/tf_keras/<version>/) load, predict,
evaluate and resume training as Keras did.

The files and their expected values come from tests/data/make_tf_keras_fixtures.py, run
with tf.keras 2.13 / tf_keras 2.17 / tf_keras 2.21 (tests/data/README.md). For every file:

* ``load_model(NAME.h5)`` predicts what Keras predicted (1e-5) and evaluates to Keras's
  ``evaluate`` values (1e-4);
* ``model_from_json(NAME.json)`` + ``load_weights(NAME_weights.h5)`` predicts the same;
* one ``train_on_batch`` from the saved optimizer state gives Keras's loss of that step,
  and the predictions after it, which Keras recorded after the same step.
"""

import json
import warnings

import numpy as np
import pytest

from numkeras.models import load_model, model_from_config, model_from_json

from .helpers import DATA

ROOT = DATA / "tf_keras"
RELEASES = sorted(p.name for p in ROOT.iterdir() if p.is_dir())
MODELS = ["sequential_mlp", "functional_two_io", "two_io_list_losses", "two_io_partial_metrics", "conv2d",
          "conv1d", "global_pool_keepdims", "rnn_masking", "embedding_lstm", "new_optimizer", "custom_objects",
          "tf_ops", "vae_add_loss", "vae_nested", "vae_inner_loss"]



#: Models whose one step after loading follows a tf.keras rule that Keras 2.2 (numkeras) does not
#: share: tf.keras 2's non-fused BatchNormalization (2D inputs) updates the moving variance with
#: the *biased* batch variance, Keras 2.2 and tf.keras's fused (4D) kernel with the unbiased one
#: (docs/architecture.md). The step test applies tf.keras's rule to these, so that it still
#: compares the restored optimizer state to 1e-5; test_keras_2_2_moving_variance_rule shows the
#: difference is that rule alone.
BIASED_MOVING_VARIANCE = {"sequential_mlp"}


def _tf_keras_biased_moving_variance(monkeypatch):
    from numkeras import backend as K
    from numkeras_builtins.layers.normalization import BatchNormalization

    def update(self, mean, variance, shape, reduction):
        K.moving_average_update(self.moving_mean, mean.reshape(self.moving_mean.shape), self.momentum)
        K.moving_average_update(self.moving_variance, variance.reshape(self.moving_variance.shape), self.momentum)

    monkeypatch.setattr(BatchNormalization, "_update_moving_statistics", update)


def _custom_objects():
    """What the custom_objects fixture registered in tf.keras under "MyPackage>…", written for numkeras."""
    from numkeras import backend as K
    from numkeras.regularizers import Regularizer

    class ScaledL2(Regularizer):
        def __init__(self, factor=0.01):
            self.factor = factor

        def __call__(self, weights):
            return self.factor * K.sum(K.square(weights))

        def get_config(self):
            return {"factor": self.factor}

    def scaled_tanh(x):
        return 2.0 * K.tanh(x)

    def my_loss(y_true, y_pred):
        return K.mean(K.square(y_true - y_pred), axis=-1) * 2.0

    return {"MyPackage>scaled_tanh": scaled_tanh, "MyPackage>ScaledL2": ScaledL2, "MyPackage>my_loss": my_loss}


def _arrays(release, name):
    archive = np.load(ROOT / release / f"{name}.npz")

    def pick(prefix):
        keys = [k for k in sorted(archive.files) if k.rstrip("0123456789") == prefix]
        return [archive[k] for k in keys]

    return archive, pick


def _one(arrays):
    """One array, a list of them, or None (no targets: the model's losses are all add_loss)."""
    if not arrays:
        return None
    return arrays[0] if len(arrays) == 1 else arrays


def _as_list(values):
    return values if isinstance(values, list) else [values]


def _load(release, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Error in loading the saved optimizer state" would be a failure
        return load_model(ROOT / release / f"{name}.h5", custom_objects=_custom_objects())


CASES = [pytest.param(release, name, id=f"{release}-{name}") for release in RELEASES for name in MODELS]


def test_three_releases_spread_over_2_13_to_2_21_are_committed():
    assert {"2.13.1", "2.17.0", "2.21.0"} <= set(RELEASES)
    for release in RELEASES:
        assert sorted(p.stem for p in (ROOT / release).glob("*.npz")) == sorted(MODELS)


@pytest.mark.parametrize("release, name", CASES)
def test_whole_model_file_predicts_and_evaluates_as_keras(release, name):
    archive, pick = _arrays(release, name)
    model = _load(release, name)
    outputs = _as_list(model.predict(_one(pick("x")), batch_size=8))
    expected = pick("pred")
    assert len(outputs) == len(expected)
    for output, value in zip(outputs, expected):
        np.testing.assert_allclose(output, value, rtol=1e-5, atol=1e-5)
    evaluated = np.atleast_1d(model.evaluate(_one(pick("x")), _one(pick("y")), batch_size=8, verbose=0))
    np.testing.assert_allclose(evaluated, archive["eval"], rtol=1e-4, atol=1e-5)
    assert len(model.metrics_names) == len(archive["eval_names"])


@pytest.mark.parametrize("release, name", CASES)
def test_one_training_step_from_the_saved_optimizer_state_is_keras_step(release, name, monkeypatch):
    archive, pick = _arrays(release, name)
    if name in BIASED_MOVING_VARIANCE:
        _tf_keras_biased_moving_variance(monkeypatch)
    model = _load(release, name)
    step = model.train_on_batch(_one(pick("x")), _one(pick("y")))
    loss = float(_as_list(step)[0])
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, float(archive["step_loss"]), rtol=1e-4, atol=1e-5)
    outputs = _as_list(model.predict(_one(pick("x")), batch_size=8))
    for output, value in zip(outputs, pick("step_pred")):
        np.testing.assert_allclose(output, value, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("release", RELEASES)
def test_keras_2_2_moving_variance_rule(release):
    """numkeras keeps Keras 2.2's unbiased moving-variance update: after one step its
    predictions differ from tf.keras's (non-fused) by about 1e-4, not 1e-7."""
    _, pick = _arrays(release, "sequential_mlp")
    model = _load(release, "sequential_mlp")
    model.train_on_batch(pick("x")[0], pick("y")[0])
    difference = np.abs(model.predict(pick("x")[0]) - pick("step_pred")[0]).max()
    assert 1e-5 < difference < 1e-3


@pytest.mark.parametrize("release, name", CASES)
def test_json_config_and_weights_file_predict_as_keras(release, name):
    _, pick = _arrays(release, name)
    text = (ROOT / release / f"{name}.json").read_text()
    from_json = model_from_json(text, custom_objects=_custom_objects())
    from_config = model_from_config(json.loads(text), custom_objects=_custom_objects())
    for model in (from_json, from_config):
        model.load_weights(ROOT / release / f"{name}_weights.h5")
        outputs = _as_list(model.predict(_one(pick("x")), batch_size=8))
        for output, value in zip(outputs, pick("pred")):
            np.testing.assert_allclose(output, value, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("release", RELEASES)
def test_global_pooling_keepdims_keeps_the_axes(release):
    model = _load(release, "global_pool_keepdims")
    shapes = {type(layer).__name__: tuple(layer.output_shape) for layer in model.layers}
    assert shapes["GlobalMaxPooling1D"] == (None, 1, 3)
    assert shapes["GlobalAveragePooling2D"] == (None, 1, 1, 2)
    conv = _load(release, "conv2d")
    pooled = [tuple(l.output_shape) for l in conv.layers if type(l).__name__.startswith("Global")]
    assert sorted(pooled, key=len) == [(None, 3), (None, 1, 1, 3)]


@pytest.mark.parametrize("release", RELEASES)
def test_registered_names_resolve_through_custom_objects_and_registries(release):
    from numkeras import activations, losses, regularizers

    objects = _custom_objects()
    with pytest.raises(Exception, match="MyPackage>scaled_tanh"):
        load_model(ROOT / release / "custom_objects.h5")
    registered = [(activations, "MyPackage>scaled_tanh"), (regularizers, "MyPackage>ScaledL2"),
                  (losses, "MyPackage>my_loss")]
    for namespace, name in registered:
        namespace.register(name, objects[name])
    archive, pick = _arrays(release, "custom_objects")
    try:
        model = load_model(ROOT / release / "custom_objects.h5")
        evaluated = model.evaluate(pick("x")[0], pick("y")[0], batch_size=8, verbose=0)
    finally:
        for namespace, name in registered:
            namespace.unregister(name)
    dense = model.layers[0]
    assert dense.activation is objects["MyPackage>scaled_tanh"]
    assert type(dense.kernel_regularizer).__name__ == "ScaledL2" and dense.kernel_regularizer.factor == 0.01
    assert model.loss == "MyPackage>my_loss"
    np.testing.assert_allclose(evaluated, archive["eval"][0], rtol=1e-4)  # 2 x mse + the L2 penalty


@pytest.mark.parametrize("release", RELEASES)
def test_weights_match_by_keras_layer_order_where_numkeras_orders_differently(release):
    """Keras lists a functional model's layers by depth; the file's weights follow that order."""
    model = model_from_json((ROOT / release / "functional_two_io.json").read_text())
    numkeras_order = [layer.name for layer in model.layers]
    import h5py

    with h5py.File(ROOT / release / "functional_two_io_weights.h5", "r") as f:
        keras_order = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
    assert sorted(numkeras_order) == sorted(keras_order) and numkeras_order != keras_order
    model.load_weights(ROOT / release / "functional_two_io_weights.h5")  # would mismatch shapes in numkeras order


def _copy_of(source_path, path, edit_config=None):
    """A copy of an .h5 file at ``path``, its model_config (a dict) changed by ``edit_config``."""
    import h5py

    with h5py.File(source_path, "r") as source, h5py.File(path, "w") as target:
        for key in source:
            source.copy(source[key], target, name=key)
        target.attrs.update(source.attrs)
        if edit_config is not None:
            config = json.loads(source.attrs["model_config"])
            edit_config(config)
            target.attrs["model_config"] = json.dumps(config)
    return path


def test_a_refused_key_in_a_file_names_the_file_layer_key_and_value(tmp_path):
    from numkeras.saving import UnsupportedConfigError

    def group(config):
        conv = next(l for l in config["config"]["layers"] if l["class_name"] == "Conv2D")
        conv["config"]["groups"] = 2
        found.append(conv)

    found = []
    path = _copy_of(ROOT / "2.21.0" / "conv2d.h5", tmp_path / "grouped.h5", group)
    conv = found[0]
    with pytest.raises(UnsupportedConfigError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and repr(conv["name"]) in message and "groups=2" in message


def test_keras_3_style_weights_file_is_named_as_such(tmp_path):
    import h5py

    from numkeras.saving import ModelFileError

    path = tmp_path / "model.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_group("layers/dense/vars").create_dataset("0", data=np.zeros((4, 3)))
    model = model_from_json((ROOT / "2.21.0" / "new_optimizer.json").read_text())
    with pytest.raises(ModelFileError, match="saving_lib weights file"):
        model.load_weights(path)


def test_a_model_saved_frozen_loads_frozen():
    config = json.loads((ROOT / "2.21.0" / "functional_two_io.json").read_text())
    config["config"]["trainable"] = False
    model = model_from_config(config)
    assert model.trainable is False and model.trainable_weights == []


def _stored_values(path, group="model_weights"):
    """How many numbers the file stores under ``group``."""
    import h5py

    with h5py.File(path, "r") as f:
        sizes = []
        f[group].visititems(lambda name, item: sizes.append(item.size) if hasattr(item, "shape") else None)
    return sum(sizes)


@pytest.mark.parametrize("release", RELEASES)
def test_nested_encoder_and_decoder_load_shared_with_keras_weight_and_slot_order(release):
    """The VAE calls two functional models as layers: they load as nested models whose layers are the
    outer model's (no copies), holding exactly the values tf.keras saved; Adam's per-variable slots
    (tf.keras 2.11+'s order) go to the right weights, so the first step is Keras's (tested above)."""
    import h5py

    path = ROOT / release / "vae_nested.h5"
    model = _load(release, "vae_nested")
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    assert [type(l).__name__ for l in (encoder, decoder)] == ["Model", "Model"]
    assert model.count_params() == _stored_values(path) == encoder.count_params() + decoder.count_params()
    own = encoder.trainable_weights + decoder.trainable_weights
    assert len(model.trainable_weights) == len(own) == 10
    assert {id(w) for w in model.trainable_weights} == {id(w) for w in own}
    with h5py.File(path, "r") as f:
        kernel = f["model_weights/encoder/z_mean/kernel:0"][()]
    np.testing.assert_array_equal(encoder.get_layer("z_mean").get_weights()[0], kernel)


@pytest.mark.parametrize("release", RELEASES)
def test_layers_that_add_loss_listed_twice_load_as_one(release):
    """keras/examples' VAE pattern: the KL term reads the encoder's own tensors, so tf.keras lists the
    encoder's layers at the outer level too, in the config and in the weights file. They load as the
    encoder's layers: the parameter count is that of the model tf.keras saved (its Adam state has an
    m and a v per parameter, plus the iteration count), not tf.keras's own reload (which copies)."""
    path = ROOT / release / "vae_inner_loss.h5"
    model = _load(release, "vae_inner_loss")
    assert model.count_params() == (_stored_values(path, "optimizer_weights") - 1) // 2 < _stored_values(path)
    encoder = model.get_layer("inner_encoder")
    for name in ("inner_hidden", "inner_z_mean", "inner_z_log_var"):
        assert model.get_layer(name) is encoder.get_layer(name)


def test_a_file_whose_repeated_layer_holds_other_values_is_refused(tmp_path):
    import h5py

    path = _copy_of(ROOT / "2.21.0" / "vae_inner_loss.h5", tmp_path / "two_values.h5")
    with h5py.File(path, "r+") as f:
        f["model_weights/inner_z_mean/inner_z_mean/kernel:0"][0, 0] += 1.0
    with pytest.raises(ValueError, match=r"two different values.*inner_z_mean"):
        load_model(path)


@pytest.mark.parametrize("release, name", [pytest.param(r, n, id=f"{r}-{n}") for r in RELEASES
                                           for n in ("vae_add_loss", "vae_nested", "vae_inner_loss")])
def test_training_resumed_from_the_saved_state_keeps_lowering_the_loss(release, name):
    _, pick = _arrays(release, name)
    model = _load(release, name)
    x, y = _one(pick("x")), _one(pick("y"))
    first = model.evaluate(x, y, batch_size=8, verbose=0)
    history = model.fit(x, y, epochs=10, batch_size=4, shuffle=False, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.evaluate(x, y, batch_size=8, verbose=0) < first


@pytest.mark.parametrize("release", RELEASES)
def test_tf_ops_are_backend_op_nodes_that_numkeras_saves_and_loads_again(release, tmp_path):
    from numkeras.engine.backend_ops import BackendOp

    _, pick = _arrays(release, "tf_ops")
    model = _load(release, "tf_ops")
    ops = [layer for layer in model.layers if isinstance(layer, BackendOp)]
    assert {type(layer).__name__ for layer in ops} == {"TFOpLambda", "SlicingOpLambda"} and len(ops) > 20
    model.save(tmp_path / "again.h5")
    again = load_model(tmp_path / "again.h5")  # safe mode: every function is numkeras's own math
    np.testing.assert_allclose(again.predict(pick("x")[0]), pick("pred")[0], rtol=1e-5, atol=1e-5)
    step = again.train_on_batch(pick("x")[0], pick("y")[0])
    np.testing.assert_allclose(step, float(_arrays(release, "tf_ops")[0]["step_loss"]), rtol=1e-4)


def test_a_file_with_a_tf_function_numkeras_lacks_names_it(tmp_path):
    def erf_for_exp(config):
        for layer in config["config"]["layers"]:
            if layer["config"].get("function") == "math.exp":
                layer["config"]["function"] = "math.erf"

    path = _copy_of(ROOT / "2.21.0" / "tf_ops.h5", tmp_path / "erf.h5", erf_for_exp)
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert "tf.math.erf" in message and "'tf.math.exp'" in message and "custom_objects" in message
