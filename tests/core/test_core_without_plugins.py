"""The core stands alone: it finds components only through the registries.

Each test runs a fresh interpreter. In some, a ``sys.meta_path`` blocker makes the
built-in plugin package ``numkeras_builtins`` unimportable (as if its files were
missing): ``import numkeras`` still works, the core's own pieces (autodiff, Layer,
Model, runtime registration) still work, and asking for a built-in component gives an
error that names the plugin, the entry point and why it failed.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

BLOCKER = """
import sys

class BlockBuiltins:
    '''Makes numkeras_builtins (and its submodules) fail to import.'''
    def find_spec(self, name, path=None, target=None):
        if name == "numkeras_builtins" or name.startswith("numkeras_builtins."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockBuiltins())
"""


def run_fresh(code, block_builtins=True):
    source = (BLOCKER if block_builtins else "") + textwrap.dedent(code)
    env = dict(os.environ, NUMKERAS_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("NUMKERAS_STRICT_PLUGINS", None)
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, f"subprocess failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_numkeras_imports_no_plugin_module():
    out = run_fresh("""
        import json, sys
        import numkeras
        from numkeras import layers, losses, metrics, optimizers, callbacks, activations
        from numkeras import initializers, regularizers, constraints, backend, utils, datasets
        from numkeras.models import Sequential, Model
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "numkeras_builtins")))
    """, block_builtins=False)
    assert out == []


def test_core_imports_and_names_the_plugin_failure_when_builtins_are_unimportable():
    out = run_fresh("""
        import json, sys, warnings
        import numkeras
        out = {"imported": sorted(m for m in sys.modules if m.startswith("numkeras_builtins"))}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                numkeras.layers.Dense
            except Exception as error:
                out["error_type"] = type(error).__name__
                out["is_import_error"] = isinstance(error, ImportError)
                out["error"] = str(error)
            try:
                numkeras.losses.get("mse")
            except Exception as error:
                out["loss_error"] = str(error)
        out["warnings"] = [str(w.message) for w in caught]
        out["names"] = "Dense" in numkeras.registry.registry("layers").names()
        print(json.dumps(out))
    """)
    assert out["imported"] == []
    assert out["error_type"] == "PluginLoadError" and out["is_import_error"]
    message = out["error"]
    assert "'Dense'" in message
    assert "numkeras_builtins" in message  # the module that failed
    assert "Dense = numkeras_builtins.layers.core:Dense" in message  # the entry point
    assert "numkeras" in message.split("distribution")[1]  # the distribution that declares it
    assert "blocked by the test" in message  # why
    assert "mean_squared_error" in out["loss_error"] or "mse" in out["loss_error"]
    assert any("Dense" in w for w in out["warnings"])
    assert out["names"]  # the registry still lists the name: only loading it failed


def test_core_trains_a_model_made_only_of_user_components_without_builtins():
    out = run_fresh("""
        import json, sys
        import numpy as np
        import numkeras
        from numkeras import backend as K
        from numkeras.layers import Layer
        from numkeras.models import Sequential
        from numkeras.optimizers import Optimizer

        class Linear(Layer):
            def build(self, input_shape):
                self.kernel = self.add_weight("kernel", (input_shape[-1], 1),
                                              initializer=lambda shape, dtype=None: np.zeros(shape, dtype))
                super().build(input_shape)

            def call(self, x):
                return K.dot(x, self.kernel)

            def compute_output_shape(self, input_shape):
                return (input_shape[0], 1)

        class PlainSGD(Optimizer):
            def update_step(self, param, grad, slots, lr):
                param.data -= lr * grad

        @numkeras.losses.register("squared_error")
        def squared_error(y_true, y_pred):
            return np.mean(np.square(y_pred - y_true), axis=-1)

        x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
        y = np.array([[1.0], [2.0]], dtype="float32")
        model = Sequential([Linear(input_shape=(2,))])
        model.compile(optimizer=PlainSGD(lr=0.02), loss="squared_error")
        first = float(model.train_on_batch(x, y))
        after_one_step = model.get_weights()[0].ravel().tolist()
        for _ in range(30):
            last = float(model.train_on_batch(x, y))
        print(json.dumps({"first": first, "last": last, "after_one_step": after_one_step,
                          "imported": sorted(m for m in sys.modules if m.startswith("numkeras_builtins"))}))
    """)
    assert out["imported"] == []
    assert abs(out["first"] - 2.5) < 1e-6  # mean(1, 4) at zero weights
    # By hand: the gradient at w = 0 is (2 / 2) * x^T (x w - y) = -(7, 10); one step of lr 0.02.
    assert np.allclose(out["after_one_step"], [0.14, 0.2], atol=1e-6)
    assert out["last"] < out["first"] / 10
