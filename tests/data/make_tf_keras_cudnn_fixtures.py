"""Writes tests/data/tf_keras_cudnn/: CuDNNLSTM / CuDNNGRU weights saved by tf_keras, and what tf_keras
computes with them after its own conversion.

Run it with TensorFlow, never with numkeras (TensorFlow is not a dependency of numkeras or of
its tests), in a throwaway virtual environment::

    python -m venv /tmp/tf2.17 && /tmp/tf2.17/bin/pip install tensorflow-cpu==2.17.1 tf_keras==2.17.0 h5py
    /tmp/tf2.17/bin/python tests/data/make_tf_keras_cudnn_fixtures.py

tf_keras's CuDNN layers store their weights as Keras 2.2.4's did (each gate's kernel block
copied unchanged into cuDNN's buffer); they build and save on a CPU, but run only on a GPU.
So for each of ``cudnn_lstm`` and ``cudnn_gru`` this writes

* ``NAME.h5``: ``save_weights`` of a CuDNNLSTM(4) / CuDNNGRU(4) on inputs (5, 3) with random weights;
* ``NAME.npz``: the inputs ``x``; ``pred``, what tf_keras's LSTM(4, recurrent_activation='sigmoid')
  / GRU(4, recurrent_activation='sigmoid', reset_after=True) predicts after ``load_weights(NAME.h5)``
  (tf_keras converts the cuDNN layout on load, as Keras 2.2.4 did); ``plain0..2``, those converted
  weights; and ``cudnn0..2``, the weights tf_keras's CuDNN layer holds after loading a file saved
  by that LSTM / GRU (the conversion back).
"""

import os
import tempfile

import numpy as np
import tf_keras as keras
from tf_keras.src.layers.rnn.cudnn_gru import CuDNNGRU
from tf_keras.src.layers.rnn.cudnn_lstm import CuDNNLSTM

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_keras_cudnn")


def sequential(layer):
    return keras.Sequential([keras.Input((5, 3)), layer])


def write(name, cudnn_layer, plain_layer, again_layer, rng):
    cudnn = sequential(cudnn_layer)
    cudnn.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in cudnn.get_weights()])
    path = os.path.join(OUT, name + ".h5")
    cudnn.save_weights(path)
    plain = sequential(plain_layer)
    plain.load_weights(path)
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    arrays = {"x": x, "pred": plain.predict(x, verbose=0)}
    arrays.update({f"plain{i}": w for i, w in enumerate(plain.get_weights())})
    with tempfile.TemporaryDirectory() as tmp:
        plain.save_weights(os.path.join(tmp, "plain.h5"))
        again = sequential(again_layer)
        again.load_weights(os.path.join(tmp, "plain.h5"))
    arrays.update({f"cudnn{i}": w for i, w in enumerate(again.get_weights())})
    np.savez(os.path.join(OUT, name + ".npz"), **arrays)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261205)
    write("cudnn_lstm", CuDNNLSTM(4), keras.layers.LSTM(4, recurrent_activation="sigmoid"), CuDNNLSTM(4), rng)
    write("cudnn_gru", CuDNNGRU(4), keras.layers.GRU(4, recurrent_activation="sigmoid", reset_after=True),
          CuDNNGRU(4), rng)
    print(f"tf_keras {keras.__version__}: wrote {sorted(os.listdir(OUT))}")


if __name__ == "__main__":
    main()
