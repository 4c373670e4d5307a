"""Loading a saved model in a fresh Python process, as a user of the plugin would.

The child process sees the same installed distributions (the parent's ``sys.path``) but
has imported nothing of the component's module: only the entry points can resolve the
names in the file. It loads ``model.h5`` and ``model.json`` + ``weights.h5`` from a
folder without ``custom_objects``, predicts on the saved inputs (and evaluates, when the
model was compiled) and writes the results back as ``results.npz``.
"""

import os
import subprocess
import sys

import numpy as np

_CHILD = r"""
import sys, traceback
import numpy as np
folder, n_inputs, compiled = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
try:
    from numkeras.models import load_model, model_from_json
    xs = [np.load(f"{folder}/x{i}.npy") for i in range(n_inputs)]
    x = xs if n_inputs > 1 else xs[0]
    results = {}
    model = load_model(f"{folder}/model.h5")
    results["h5"] = model.predict(x, batch_size=len(xs[0]))
    if compiled:
        results["evaluate"] = np.atleast_1d(np.asarray(
            model.evaluate(x, np.load(f"{folder}/y.npy"), batch_size=len(xs[0]), verbose=0)))
    with open(f"{folder}/model.json") as f:
        rebuilt = model_from_json(f.read())
    rebuilt.load_weights(f"{folder}/weights.h5")
    results["json"] = rebuilt.predict(x, batch_size=len(xs[0]))
    np.savez(f"{folder}/results.npz", **results)
except Exception as error:
    with open(f"{folder}/error.txt", "w") as f:
        f.write(f"{type(error).__name__}: {error}")
"""


def load_and_predict(folder, n_inputs, compiled, in_process=False, timeout=120):
    """Loads the saved model in ``folder``; returns ``{'h5', 'json'[, 'evaluate']}`` or ``{'error': text}``."""
    args = [folder, str(n_inputs), "1" if compiled else "0"]
    if in_process:
        namespace = {"__name__": "__numkeras_kit__"}
        saved_argv = sys.argv
        sys.argv = ["kit", *args]
        try:
            exec(compile(_CHILD, "<numkeras.testing fresh_process>", "exec"), namespace)  # noqa: S102 - our own code
        finally:
            sys.argv = saved_argv
    else:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        result = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True,
                                timeout=timeout, env=env, cwd=folder)
        if result.returncode != 0 and not os.path.exists(os.path.join(folder, "error.txt")):
            return {"error": f"the fresh process exited with status {result.returncode}: {result.stderr[-2000:]}"}
    error_file = os.path.join(folder, "error.txt")
    if os.path.exists(error_file):
        with open(error_file) as f:
            return {"error": f.read()}
    with np.load(os.path.join(folder, "results.npz")) as results:
        return {key: results[key] for key in results.files}
