"""numkeras.engine.backend_ops: backend ops as graph layers, graph losses, K.function and K.gradients on models."""

import json
import warnings

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.datasets import mnist
from numkeras.layers import Dense, Dropout, Input, Lambda
from numkeras.losses import binary_crossentropy
from numkeras.models import Model, load_model, model_from_json
from numkeras.optimizers import SGD
from numkeras.testing import check_layer_gradients, float64


def _mnist_rows(count):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MnistSplitWarning: the bundled t10k split
        (x_train, _), _ = mnist.load_data()
    return (x_train[:count].reshape(count, -1) / 255.0).astype("float32")


def sampling(args):
    """The VAE's reparameterisation; the mean itself outside training, so evaluation is deterministic."""
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(K.shape(z_mean)[0], K.int_shape(z_mean)[1]))
    return K.in_train_phase(z_mean + K.exp(0.5 * z_log_var) * epsilon, z_mean)


def _vae(original_dim, latent_dim=2, hidden=32):
    """keras/examples/variational_autoencoder.py, smaller: the KL term written with K functions."""
    inputs = Input(shape=(original_dim,), name="encoder_input")
    h = Dense(hidden, activation="relu")(inputs)
    z_mean = Dense(latent_dim, name="z_mean")(h)
    z_log_var = Dense(latent_dim, name="z_log_var")(h)
    z = Lambda(sampling, output_shape=(latent_dim,), name="z")([z_mean, z_log_var])
    outputs = Dense(original_dim, activation="sigmoid")(Dense(hidden, activation="relu")(z))
    vae = Model(inputs, outputs, name="vae_mlp")
    reconstruction_loss = binary_crossentropy(inputs, outputs)
    reconstruction_loss *= original_dim
    kl_loss = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
    kl_loss = K.sum(kl_loss, axis=-1)
    kl_loss *= -0.5
    vae.add_loss(K.mean(reconstruction_loss + kl_loss))
    return vae


def test_vae_on_mnist_rows_trains_saves_and_loads(tmp_path):
    x = _mnist_rows(256)
    vae = _vae(x.shape[1])
    vae.compile(optimizer="adam")
    history = vae.fit(x, None, epochs=4, batch_size=32, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert losses[-1] < 0.9 * losses[0], losses
    before = vae.evaluate(x, None, batch_size=64, verbose=0)
    # The loss the model reports is the formula, computed here from the model's own tensors.
    encoder = K.function([vae.input], [vae.get_layer("z_mean").output, vae.get_layer("z_log_var").output,
                                       vae.output])
    mean, log_var, reconstruction = [a.astype(np.float64) for a in encoder([x])]
    p = np.clip(reconstruction, 1e-7, 1 - 1e-7)
    expected = np.mean(-np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)
                       - 0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1))
    assert before == pytest.approx(expected, rel=2e-3)

    path = tmp_path / "vae.h5"
    vae.save(str(path))
    loaded = load_model(str(path), custom_objects={"sampling": sampling})  # safe mode: only the Lambda needs it
    assert loaded.evaluate(x, None, batch_size=64, verbose=0) == pytest.approx(before, rel=1e-6)
    np.testing.assert_allclose(loaded.predict(x[:8]), vae.predict(x[:8]), rtol=1e-6)
    loaded.fit(x, None, epochs=1, batch_size=32, verbose=0)  # the loaded model trains too (optimizer state)

    config = json.loads(vae.to_json())
    ops = [layer for layer in config["config"]["layers"] if layer["class_name"] == "BackendOp"]
    assert {op["config"]["function"]["qualname"] for op in ops} >= {"square", "exp", "sum", "mean", "add"}
    assert all(op["config"]["function"]["bytecode"] is None for op in ops)
    assert [layer["class_name"] for layer in config["config"]["layers"]].count("AddLoss") == 1


def test_graph_loss_without_a_lambda_round_trips_through_json_in_safe_mode():
    inputs = Input((3,))
    outputs = Dense(2)(inputs)
    model = Model(inputs, outputs)
    model.add_loss(K.mean(K.square(outputs[:, 0] - 1.0)) + 0.1 * K.sum(K.abs(inputs), axis=-1))
    model.compile("sgd")
    rebuilt = model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    rebuilt.compile("sgd")
    x = np.random.RandomState(0).rand(10, 3).astype("float32")
    kernel, bias = model.get_weights()
    out = x @ kernel + bias
    expected = np.mean((out[:, 0] - 1.0) ** 2) + 0.1 * np.mean(np.abs(x).sum(axis=-1))
    assert model.evaluate(x, None, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert rebuilt.evaluate(x, None, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_clone_model_keeps_the_graph_loss():
    inputs = Input((3,))
    outputs = Dense(2)(inputs)
    model = Model(inputs, outputs)
    model.add_loss(K.mean(K.square(outputs)))
    clone = numkeras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    model.compile("sgd")
    clone.compile("sgd")
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    assert len(clone._graph_losses) == 1
    assert clone.evaluate(x, None, verbose=0) == pytest.approx(model.evaluate(x, None, verbose=0), rel=1e-6)
    assert clone.evaluate(x, None, verbose=0) == pytest.approx(np.mean(model.predict(x) ** 2), rel=1e-5)


def test_gradients_through_backend_op_nodes_match_finite_differences():
    with float64():
        inputs = Input((4,))
        hidden = Dense(3)(inputs)
        outputs = K.sum(0.5 * K.square(hidden) + K.exp(inputs[:, :1]) / (1 + K.abs(hidden)), axis=-1, keepdims=True)
        model = Model(inputs, K.concatenate([outputs, K.max(hidden, axis=-1, keepdims=True) - hidden[:, 1:2]]))
        check_layer_gradients(model, np.random.RandomState(0).uniform(-1, 1, (3, 4)))


def test_one_sgd_step_on_a_graph_loss_follows_its_numerical_gradient():
    with float64():
        inputs = Input((3,))
        dense = Dense(2)
        outputs = dense(inputs)
        model = Model(inputs, outputs)
        model.add_loss(K.mean(K.square(outputs - 1.0)) + 0.5 * K.mean(K.abs(outputs[:, 0])))
        model.compile(SGD(lr=0.1))
        x = np.random.RandomState(4).uniform(-1, 1, (5, 3))
        kernel, bias = dense.get_weights()

        def loss(k):
            out = x @ k + bias
            return np.mean((out - 1.0) ** 2) + 0.5 * np.mean(np.abs(out[:, 0]))

        expected = kernel - 0.1 * _numerical_input_gradient(loss, kernel)
        model.train_on_batch(x, None)
    np.testing.assert_allclose(dense.get_weights()[0], expected, rtol=1e-7, atol=1e-9)


def test_graph_loss_adds_to_the_compiled_loss():
    inputs = Input((2,))
    outputs = Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    model = Model(inputs, outputs)
    model.add_loss(K.sum(outputs))  # not a scalar per batch: its mean is taken, as in tf.keras
    model.compile("sgd", loss="mse")
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [0.0]])
    assert model.evaluate(x, y, verbose=0) == pytest.approx((9 + 49) / 2 + 10)


def test_sequential_with_a_graph_loss_refuses_to_write_a_config_without_it():
    model = numkeras.models.Sequential([Dense(2, input_shape=(3,))])
    model.add_loss(K.mean(K.square(model.output)))
    model.compile("sgd")
    assert model.evaluate(np.ones((2, 3)), None, verbose=0) == pytest.approx(
        np.mean(model.predict(np.ones((2, 3))) ** 2), rel=1e-5)
    with pytest.raises(ValueError, match="functional API"):
        model.to_json()


def test_graph_loss_errors():
    a, b = Input((2,)), Input((2,))
    model = Model(a, Dense(1)(a))
    with pytest.raises(ValueError, match="Graph disconnected"):
        model.add_loss(K.sum(b))
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile("sgd")


def test_constant_tensors_are_written_as_arrays():
    inputs = Input((2,))
    model = Model(inputs, K.dot(inputs, K.variable(np.eye(2))) + K.constant(1.0))
    assert model.predict(np.ones((1, 2))).tolist() == [[2.0, 2.0]]
    rebuilt = model_from_json(model.to_json())
    assert rebuilt.predict(np.ones((1, 2))).tolist() == [[2.0, 2.0]]


def test_unserializable_arguments_name_the_layer():
    inputs = Input((2,))
    layer_output = K.l2_normalize(inputs, axis=-1)
    op = layer_output._keras_history[0]
    op.kwargs["axis"] = object()  # what a script could pass that JSON cannot hold
    with pytest.raises(ValueError, match=f"{op.name}.*cannot be written"):
        op.get_config()


def test_slices_tuples_and_arrays_round_trip():
    inputs = Input((3, 4))
    out = inputs[:, 1:, ::2] * np.array([1.0, -1.0], dtype="float32") + K.sum(inputs, axis=(1, 2), keepdims=True)
    model = Model(inputs, out)
    rebuilt = model_from_json(model.to_json())
    x = np.random.RandomState(1).rand(2, 3, 4).astype("float32")
    expected = x[:, 1:, ::2] * np.array([1.0, -1.0]) + x.sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(rebuilt.predict(x), expected, rtol=1e-6)
    assert rebuilt.output_shape == (None, 2, 2)


# -- K.function on a model ---------------------------------------------------------------------------
def _classifier():
    inputs = Input((4,))
    hidden = Dense(5, activation="tanh", name="hidden")(inputs)
    dropped = Dropout(0.5, name="drop")(hidden)
    outputs = Dense(3, activation="softmax", name="out")(dropped)
    return Model(inputs, outputs)


def test_function_returns_intermediate_activations_in_each_learning_phase():
    model = _classifier()
    x = np.random.RandomState(0).rand(6, 4).astype("float32")
    get = K.function([model.input, K.learning_phase()], [model.get_layer("hidden").output,
                                                         model.get_layer("drop").output, model.output])
    hidden, dropped, output = get([x, 0])
    kernel, bias = model.get_layer("hidden").get_weights()
    np.testing.assert_allclose(hidden, np.tanh(x @ kernel + bias), rtol=1e-5)
    np.testing.assert_array_equal(dropped, hidden)
    np.testing.assert_allclose(output, model.predict(x), rtol=1e-6)
    _, dropped_in_training, _ = get([x, 1])
    kept = dropped_in_training != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(dropped_in_training[kept], 2 * hidden[kept], rtol=1e-5)


def _numerical_input_gradient(fn, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (fn(up) - fn(down)) / (2 * eps)
    return grad


def test_saliency_gradient_matches_the_numerical_gradient():
    with float64():
        model = _classifier()
        x = np.random.RandomState(2).rand(3, 4)
        grads = K.gradients(model.output[:, 1], model.input)[0]
        assert grads.shape == (None, 4)
        saliency = K.function([model.input], [grads])([x])[0]
        expected = _numerical_input_gradient(lambda a: model.predict(a)[:, 1].sum(), x)
    np.testing.assert_allclose(saliency, expected, rtol=1e-6, atol=1e-9)


def test_gradient_ascent_on_an_input_raises_the_activation():
    model = _classifier()
    loss = K.mean(model.get_layer("hidden").output[:, 2])
    step = K.function([model.input], [loss, K.gradients(loss, model.input)[0]])
    image = np.zeros((1, 4), dtype="float32")
    first, _ = step([image])
    for _ in range(20):
        value, grad = step([image])
        image += 0.1 * grad / (np.sqrt(np.mean(np.square(grad))) + 1e-5)
    assert step([image])[0] > first + 0.1


def test_gradients_with_respect_to_an_intermediate_tensor_and_the_weights():
    with float64():
        model = _classifier()
        hidden = model.get_layer("hidden").output
        loss = K.sum(K.square(model.output))
        wrt = [hidden, model.get_layer("out").kernel]
        grad_hidden, grad_kernel = K.function([model.input, K.learning_phase()], K.gradients(loss, wrt))(
            [x := np.random.RandomState(3).rand(2, 4), 0])
        kernel, bias = model.get_layer("out").get_weights()
        h = np.tanh(x @ model.get_layer("hidden").get_weights()[0] + model.get_layer("hidden").get_weights()[1])

        def head(hv, kv):
            logits = hv @ kv + bias
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return np.sum((e / e.sum(axis=-1, keepdims=True)) ** 2)

        np.testing.assert_allclose(grad_hidden, _numerical_input_gradient(lambda a: head(a, kernel), h),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(grad_kernel, _numerical_input_gradient(lambda k: head(h, k), kernel),
                                   rtol=1e-6, atol=1e-9)


def test_gradients_node_cannot_be_saved():
    model = _classifier()
    grads = K.gradients(K.sum(model.output), model.input)[0]
    with pytest.raises(NotImplementedError, match="cannot be saved"):
        numkeras.models.Model(model.input, grads).to_json()


def test_style_transfer_gram_loss_gradient_on_a_placeholder():
    """keras/examples/neural_style_transfer.py's style loss, differentiated with respect to the image."""
    with float64():
        target = np.random.RandomState(0).rand(3, 3)
        image = K.placeholder((1, 4, 4, 3))

        def gram_matrix(x):
            features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
            return K.dot(features, K.transpose(features))

        loss = K.sum(K.square(gram_matrix(image[0]) - K.constant(target))) / 36.0
        evaluate = K.function([image], [loss] + K.gradients(loss, image))
        value = np.random.RandomState(1).rand(1, 4, 4, 3)

        def reference(a):
            features = a[0].transpose(2, 0, 1).reshape(3, -1)
            return np.sum((features @ features.T - target) ** 2) / 36.0

        computed_loss, computed_grad = evaluate([value])
    assert computed_loss == pytest.approx(reference(value), rel=1e-12)
    np.testing.assert_allclose(computed_grad, _numerical_input_gradient(reference, value), rtol=1e-6, atol=1e-8)


def _keras_example_vae(original_dim, intermediate_dim=32, latent_dim=2):
    """keras/examples/variational_autoencoder.py as written: nested encoder and decoder models,
    the KL term on the encoder's tensors, the loss added to the outer model."""

    def example_sampling(args):
        z_mean, z_log_var = args
        batch, dim = K.shape(z_mean)[0], K.int_shape(z_mean)[1]
        return z_mean + K.exp(0.5 * z_log_var) * K.random_normal(shape=(batch, dim))

    inputs = Input(shape=(original_dim,), name="encoder_input")
    x = Dense(intermediate_dim, activation="relu")(inputs)
    z_mean = Dense(latent_dim, name="z_mean")(x)
    z_log_var = Dense(latent_dim, name="z_log_var")(x)
    z = Lambda(example_sampling, output_shape=(latent_dim,), name="z")([z_mean, z_log_var])
    encoder = Model(inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = Input(shape=(latent_dim,), name="z_sampling")
    decoded = Dense(original_dim, activation="sigmoid")(Dense(intermediate_dim, activation="relu")(latent_inputs))
    decoder = Model(latent_inputs, decoded, name="decoder")
    outputs = decoder(encoder(inputs)[2])
    vae = Model(inputs, outputs, name="vae_mlp")
    reconstruction_loss = numkeras.losses.mse(inputs, outputs) * original_dim
    kl_loss = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(reconstruction_loss + kl_loss))
    vae.compile(optimizer="adam")
    return vae, encoder


def test_keras_example_vae_trains_with_validation_and_reloads_its_weights(tmp_path):
    x = _mnist_rows(320)
    vae, encoder = _keras_example_vae(x.shape[1])
    history = vae.fit(x[:256], epochs=3, batch_size=64, verbose=0, validation_data=(x[256:], None))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(history.history["val_loss"]) == 3
    vae.save_weights(str(tmp_path / "vae_mlp_mnist.h5"))
    rebuilt, rebuilt_encoder = _keras_example_vae(x.shape[1])
    rebuilt.load_weights(str(tmp_path / "vae_mlp_mnist.h5"))
    np.testing.assert_allclose(rebuilt_encoder.predict(x[:16])[0], encoder.predict(x[:16])[0], rtol=1e-6)


def test_keras_example_vae_saved_whole_loads_with_the_encoders_layers_shared(tmp_path):
    """The KL term uses the encoder's own tensors, so the outer config lists the encoder's layers
    again (as Keras's add_loss does); loading takes those entries to be the encoder's layers, so the
    loaded model has the parameters of the model that was saved, and the KL gradient reaches the
    encoder (tests/core/saving/test_tf_keras_releases.py: the same with files tf.keras wrote)."""
    x = _mnist_rows(64)
    vae, encoder = _keras_example_vae(x.shape[1])
    vae.fit(x, epochs=1, batch_size=32, verbose=0)
    config = json.loads(vae.to_json())["config"]
    assert {"z_mean", "z_log_var"} <= {entry["name"] for entry in config["layers"]}  # listed twice
    vae.save(str(tmp_path / "vae.h5"))
    from numkeras.utils import custom_object_scope

    with custom_object_scope({"example_sampling": lambda args: args[0]}):
        loaded = load_model(str(tmp_path / "vae.h5"), safe_mode=False)
    assert loaded.count_params() == vae.count_params()
    loaded_encoder = loaded.get_layer("encoder")
    assert loaded.get_layer("z_mean") is loaded_encoder.get_layer("z_mean")
    np.testing.assert_allclose(loaded_encoder.predict(x[:8])[0], encoder.predict(x[:8])[0], rtol=1e-6)
