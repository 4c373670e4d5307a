"""Writes the tf_keras reference values of the tf.keras 2 layers and optimizer options numkeras implements.

Run it with tf_keras, never with numkeras (TensorFlow is not a dependency of numkeras)::

    python -m venv /tmp/tf2.21 && /tmp/tf2.21/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tf2.21/bin/python tests/data/make_layer_references.py

It writes, next to itself:

* ``tf_keras_layer_references.json``: per case, the layer's (or optimizer's) tf_keras
  serialization (for the one model case, ``model.to_json()``) (``keras.layers.serialize`` / ``keras.optimizers.serialize``), the call
  arguments, and the names of its arrays; plus the tf_keras / TensorFlow versions.
* ``tf_keras_layer_references.npz``: the arrays, named ``<case>/<name>``: the inputs
  (``x0``, ``x1`` …), masks (``mask0`` …, ``attention_mask``), the weights set before the
  call (``w0``, ``w1`` …, in the layer's weight order), the outputs (``y0``, ``y1`` …), and
  for adapted layers the weights after ``adapt`` (``adapted0`` …). For optimizers: the
  initial parameters (``p0``, ``p1``), the gradients of every step (``g<step>_<i>``) and
  the parameters after every step (``p<step>_<i>``).

Every value comes from tf_keras: weights and inputs are random (fixed seed), set with
``set_weights``, and the outputs are what tf_keras computes.
"""

import json
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261205)
arrays, cases = {}, {}


def rand(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype("float32")


def masked(tensor, mask):
    """An eager tensor carrying a Keras mask, as an Embedding(mask_zero=True) output would."""
    tensor = tf.convert_to_tensor(tensor)
    if mask is not None:
        tensor._keras_mask = tf.convert_to_tensor(mask)
    return tensor


def layer_case(name, layer, inputs, call=None, masks=None, attention_mask=None, kwargs=None, adapt=None,
               positional=False):
    """Builds ``layer`` on ``inputs``, sets random weights, calls it and records everything.

    ``positional``: called as ``layer(query, value, key=...)`` (MultiHeadAttention) with
    the masks attached to the tensors; otherwise ``layer(inputs, mask=masks)``.
    """
    kwargs = dict(kwargs or {})
    entry = {"kind": "layer", "arrays": {}, "call": kwargs, "positional": positional}

    def keep(key, value):
        arrays[f"{name}/{key}"] = np.asarray(value)
        entry["arrays"].setdefault(key.rstrip("0123456789") or key, []).append(key)

    def run():
        if positional:
            tensors = [masked(x, m) for x, m in zip(inputs, masks or [None] * len(inputs))]
            extra = dict(kwargs)
            if len(tensors) > 2:
                extra["key"] = tensors[2]
            if attention_mask is not None:
                extra["attention_mask"] = tf.convert_to_tensor(attention_mask)
            return layer(tensors[0], tensors[1], **extra)
        x = list(inputs) if isinstance(inputs, list) else inputs
        if masks is not None:
            return layer(x, mask=[tf.convert_to_tensor(m) for m in masks], **kwargs)
        return layer(x, **kwargs)

    if adapt is not None:
        keep("adapt_data", adapt)
        layer.adapt(adapt)
        for i, w in enumerate(layer.get_weights()):
            keep(f"adapted{i}", w)
    run()  # builds
    if adapt is None:
        weights = [rng.uniform(-0.8, 0.8, w.shape).astype(w.dtype) for w in layer.get_weights()]
        layer.set_weights(weights)
        for i, w in enumerate(weights):
            keep(f"w{i}", w)
    outputs = run()
    for i, x in enumerate(inputs if isinstance(inputs, list) else [inputs]):
        keep(f"x{i}", x)
    for i, m in enumerate(masks or []):
        keep(f"mask{i}", m)
    if attention_mask is not None:
        keep("attention_mask", attention_mask)
    for i, y in enumerate(outputs if isinstance(outputs, (list, tuple)) else [outputs]):
        keep(f"y{i}", y.numpy())
    entry["serialized"] = keras.layers.serialize(layer)
    cases[name] = entry
    print(name, "written")


def optimizer_case(name, optimizer, steps=3, shapes=((3, 2), (4,))):
    entry = {"kind": "optimizer", "serialized": keras.optimizers.serialize(optimizer), "steps": steps,
             "shapes": [list(s) for s in shapes]}
    params = [rand(*s) for s in shapes]
    variables = [tf.Variable(p, name=f"w{i}") for i, p in enumerate(params)]
    for i, p in enumerate(params):
        arrays[f"{name}/p{i}"] = p
    for step in range(steps):
        grads = [rand(*s, low=-3.0, high=3.0) for s in shapes]
        for i, g in enumerate(grads):
            arrays[f"{name}/g{step}_{i}"] = g
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        for i, v in enumerate(variables):
            arrays[f"{name}/p{step}_{i}"] = v.numpy()
    cases[name] = entry
    print(name, "written")


def bool_mask(*shape, density=0.7):
    mask = rng.uniform(size=shape) < density
    mask[..., 0] = True  # every row keeps at least one position
    return mask


# -- LayerNormalization -------------------------------------------------------------------
layer_case("layer_normalization", keras.layers.LayerNormalization(), rand(3, 4, 5))
layer_case("layer_normalization_axes",
           keras.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False), rand(2, 3, 4, 5) * 3)
layer_case("layer_normalization_axis1", keras.layers.LayerNormalization(axis=1, scale=False, epsilon=0.1),
           rand(4, 3, 2))

# -- Attention / AdditiveAttention ----------------------------------------------------------
q, v, k = rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4)
layer_case("attention_dot", keras.layers.Attention(), [q, v], masks=[bool_mask(2, 3), bool_mask(2, 5)],
           kwargs={"return_attention_scores": True})
layer_case("attention_scaled_key", keras.layers.Attention(use_scale=True), [q, v, k],
           masks=[bool_mask(2, 3), bool_mask(2, 5)])
layer_case("attention_concat", keras.layers.Attention(use_scale=True, score_mode="concat"), [q, v, k],
           masks=[bool_mask(2, 3), bool_mask(2, 5)], kwargs={"return_attention_scores": True})
s = rand(2, 4, 3)
layer_case("attention_causal", keras.layers.Attention(), [s, s], masks=[np.ones((2, 4), bool), bool_mask(2, 4)],
           kwargs={"use_causal_mask": True, "return_attention_scores": True})
layer_case("additive_attention", keras.layers.AdditiveAttention(), [q, v, k],
           masks=[bool_mask(2, 3), bool_mask(2, 5)], kwargs={"return_attention_scores": True})
layer_case("additive_attention_unscaled", keras.layers.AdditiveAttention(use_scale=False), [q, v])

# -- MultiHeadAttention -----------------------------------------------------------------------
x = rand(2, 4, 6)
layer_case("mha_self", keras.layers.MultiHeadAttention(num_heads=2, key_dim=3), [x, x],
           attention_mask=bool_mask(2, 4, 4), kwargs={"return_attention_scores": True}, positional=True)
layer_case("mha_cross_masks",
           keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5),
           [rand(2, 3, 6), rand(2, 5, 4), rand(2, 5, 7)], masks=[bool_mask(2, 3), bool_mask(2, 5), bool_mask(2, 5)],
           kwargs={"return_attention_scores": True}, positional=True)
layer_case("mha_causal_no_bias", keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, use_bias=False),
           [x, x], kwargs={"use_causal_mask": True}, positional=True)
layer_case("mha_2d_axes", keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2)),
           [rand(2, 3, 2, 5), rand(2, 3, 2, 5)], kwargs={"return_attention_scores": True}, positional=True)

# -- Rescaling / Normalization ------------------------------------------------------------------
layer_case("rescaling", keras.layers.Rescaling(scale=1 / 127.5, offset=-1.0),
           rng.integers(0, 256, (3, 4, 2)).astype("float32"))
layer_case("normalization_adapt", keras.layers.Normalization(), rand(5, 3) * 4,
           adapt=(rng.normal(2.0, 3.0, (40, 3))).astype("float32"))
layer_case("normalization_axes", keras.layers.Normalization(axis=(1, 2)), rand(3, 2, 4),
           adapt=(rng.normal(-1.0, 0.5, (30, 2, 4))).astype("float32"))
layer_case("normalization_global", keras.layers.Normalization(axis=None), rand(3, 4),
           adapt=(rng.normal(1.0, 2.0, (25, 4))).astype("float32"))
layer_case("normalization_fixed_invert",
           keras.layers.Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25], invert=True), rand(4, 2))

# -- optimizers: global_clipnorm, AdamW ----------------------------------------------------------
optimizer_case("sgd_global_clipnorm", keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, global_clipnorm=0.5))
optimizer_case("adam_global_clipnorm", keras.optimizers.Adam(learning_rate=0.01, global_clipnorm=1.0))
optimizer_case("legacy_adam_global_clipnorm", keras.optimizers.legacy.Adam(learning_rate=0.02, global_clipnorm=2.0))
optimizer_case("adamw", keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.1))
optimizer_case("adamw_amsgrad_clipped",
               keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.3, amsgrad=True, beta_1=0.8,
                                      global_clipnorm=1.5))
optimizer_case("adamw_defaults", keras.optimizers.AdamW())
for optimizer in (keras.optimizers.SGD, keras.optimizers.legacy.SGD):
    try:
        optimizer(clipnorm=1.0, global_clipnorm=1.0)
    except ValueError as error:
        cases.setdefault("clipnorm_and_global_clipnorm_errors", {"kind": "error", "messages": []})[
            "messages"].append(str(error))

# -- a functional model holding them: its JSON config (tensor arguments recorded in node kwargs) ------
def model_case(name):
    query, value = keras.Input((4, 6), name="query"), keras.Input((5, 6), name="value")
    mask = keras.Input((4, 5), dtype="bool", name="mask")
    x = keras.layers.LayerNormalization(name="norm")(query)
    x = keras.layers.Attention(use_scale=True, name="attention")([x, value])
    x = keras.layers.MultiHeadAttention(2, 3, name="mha")(x, value, attention_mask=mask)
    x = keras.layers.Rescaling(0.5, offset=1.0, name="rescale")(x)
    model = keras.Model([query, value, mask], x)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    inputs = [rand(3, 4, 6), rand(3, 5, 6), bool_mask(3, 4, 5)]
    for i, w in enumerate(model.get_weights()):
        arrays[f"{name}/w{i}"] = w
    for i, x in enumerate(inputs):
        arrays[f"{name}/x{i}"] = x
    arrays[f"{name}/y0"] = model.predict(inputs, verbose=0)
    cases[name] = {"kind": "model", "model_json": model.to_json(), "inputs": len(inputs),
                   "weights": len(model.get_weights())}
    print(name, "written")


model_case("functional_attention_model")

meta = {"tf_keras": keras.__version__, "tensorflow": tf.__version__, "cases": cases}
with open(os.path.join(HERE, "tf_keras_layer_references.json"), "w") as f:
    json.dump(meta, f, indent=1, sort_keys=True)
np.savez_compressed(os.path.join(HERE, "tf_keras_layer_references.npz"), **arrays)
print("done:", len(cases), "cases,", len(arrays), "arrays")
