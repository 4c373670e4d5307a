"""Writes tf_reference.json: TensorFlow's focal losses, activations, CosineDecayRestarts and LAMB.

TensorFlow is a dependency of neither numkeras nor numkeras-extras. This was run in a
throwaway environment with tensorflow-cpu 2.21, tf_keras 2.21 and Keras 3 (LAMB is
Keras 3's ``keras.optimizers.Lamb``); the file records the versions. Inputs are stored
in the file. Run it and commit the output:

    python make_tf_reference.py           # writes tf_reference.json next to this file
"""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402 - Keras 3, for Lamb
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402 - Keras 2 (tf.keras 2.x semantics)


def focal_cases(rng):
    binary_true = rng.integers(0, 2, size=(6, 3)).astype("float64")
    binary_pred = rng.uniform(0.02, 0.98, size=(6, 3))
    logits = rng.normal(scale=2.0, size=(6, 3))
    labels = rng.integers(0, 4, size=5)
    one_hot = np.eye(4)[labels]
    probabilities = rng.dirichlet(np.full(4, 2.0), size=5)
    cases = []
    for gamma, alpha in ((2.0, 0.25), (0.0, 0.5), (0.5, 0.75)):
        for from_logits, predictions in ((False, binary_pred), (True, logits)):
            loss = tf_keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=alpha, gamma=gamma,
                                                            from_logits=from_logits, reduction="none")
            cases.append({"kind": "binary", "gamma": gamma, "alpha": alpha, "from_logits": from_logits,
                          "y_true": binary_true.tolist(), "y_pred": predictions.tolist(),
                          "loss": loss(binary_true, predictions).numpy().tolist()})
        loss = tf_keras.losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=gamma, reduction="none")
        cases.append({"kind": "categorical", "gamma": gamma, "alpha": alpha, "from_logits": False,
                      "y_true": one_hot.tolist(), "y_pred": probabilities.tolist(),
                      "loss": loss(one_hot, probabilities).numpy().tolist()})
    return cases


def activations():
    x = np.concatenate([np.linspace(-6.0, 6.0, 25), [-20.0, -0.1, 0.1, 20.0]])
    t = tf.constant(x, dtype=tf.float64)
    return {"x": x.tolist(),
            "gelu": tf_keras.activations.gelu(t, approximate=False).numpy().tolist(),
            "swish": tf_keras.activations.swish(t).numpy().tolist(),
            "mish": tf_keras.activations.mish(t).numpy().tolist()}


def cosine_restarts():
    arguments = {"initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 2.0, "m_mul": 0.7, "alpha": 0.1}
    schedule = tf_keras.optimizers.schedules.CosineDecayRestarts(**arguments)
    steps = list(range(0, 60))
    return {"arguments": arguments, "steps": steps, "lr": [float(schedule(s)) for s in steps]}


def lamb(rng):
    w = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    variable = keras.Variable(w.copy(), dtype="float64")
    optimizer = keras.optimizers.Lamb(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-6)
    trajectory = []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), variable)])
        trajectory.append(np.array(variable.numpy()).tolist())
    return {"lr": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-6, "initial": w.tolist(),
            "gradients": [g.tolist() for g in grads], "weights_after_each_step": trajectory}


def main():
    rng = np.random.default_rng(17)
    out = {"versions": {"tensorflow": tf.__version__, "tf_keras": tf_keras.__version__, "keras": keras.__version__},
           "focal": focal_cases(rng), "activations": activations(), "cosine_decay_restarts": cosine_restarts(),
           "lamb": lamb(rng)}
    path = pathlib.Path(__file__).with_name("tf_reference.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
