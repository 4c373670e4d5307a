"""The shared side-by-side benchmark harness (numkeras vs. PyTorch, tf.keras 2 and Keras 3 on the CPU).

A benchmark script (``bench_mlp.py``, ``bench_cnn.py`` …) declares its cases and
hands them to :func:`main`::

    from harness import Case, main

    def mlp_keras(config, keras): ...   # runs in a child process; returns {"samples_per_s": ...}
    def mlp_torch(config): ...

    CASES = [Case("mlp", "784-512-512-10 MLP, SGD, batch 128", "samples_per_s",
                  {"keras": mlp_keras, "torch": mlp_torch}, config={"epochs": 2})]

A ``"keras"`` function is written once against the Keras API and gets the framework's
module as ``keras``: ``numkeras`` (and its plugin variants), ``tf_keras`` (tf.keras 2)
or Keras 3 on the TensorFlow backend, so every Keras implementation builds and trains
the very same model. (A ``"numkeras"`` function, called as ``fn(config)``, is numkeras only.)

    if __name__ == "__main__":
        main("mlp", CASES)

What the harness does:

* every measurement runs in its **own fresh subprocess** (one framework per
  process: BLAS / OpenMP thread pools of two frameworks in one process interfere),
  with the same thread count for every framework (``--threads``, default: all cores);
* **tf.keras 2** (``tf_keras``, the ``tf_keras`` package with ``TF_USE_LEGACY_KERAS=1``)
  and **Keras 3** (``keras3``, on the TensorFlow backend) run the ``"keras"`` case functions
  from an interpreter that has them, named with ``--framework-python tf_keras,keras3=/path/python``
  or ``NUMKERAS_BENCH_PYTHON`` (the same ``FRAMEWORKS=PYTHON`` specs, separated by ``;``); any
  framework, PyTorch included, may be given its own interpreter that way. TensorFlow's
  intra-op and inter-op thread pools get ``--threads`` threads each. A framework whose
  interpreter is missing or cannot import it is skipped with a one-line note;
* it **alternates** frameworks run by run (numkeras, torch, torch, numkeras, …) so that
  a noisy neighbour on the CPU hurts both alike, and reports the **median** of
  ``--repeats`` runs, plus min and max;
* it measures ``import <framework>`` time in a fresh interpreter, and the **peak RSS**
  of every child process;
* where the contrib compute plugins are installed, it also runs every numkeras case
  as ``numkeras-mkl`` (the same code, its matrix products on oneMKL),
  ``numkeras-numba`` (its elementwise kernels compiled by Numba) and
  ``numkeras-mkl-numba`` (both);
* it reports each plugin variant over plain numkeras ("no model gets slower with a compute
  plugin") and every ratio with the spread of the per-round ratios (runs made side by side
  in the same round); a variant is flagged SLOWER only when it was slower in every round
  (a slower median whose rounds straddle 1 is reported as noise);
* it prints a table with each numkeras / torch ratio and writes everything as JSON
  (``--json``, default ``benchmarks/results/<name>.json``).

PyTorch, tf.keras and Keras 3 are optional and never dependencies of numkeras: install
them only for benchmarking (``pip install torch==2.13.0``; TensorFlow best in an
environment of its own). Without them the harness measures numkeras alone.

Case functions are called in the child, as ``fn(config, keras)`` (``"keras"``) or
``fn(config)`` (``"numkeras"``, ``"torch"``), and return a dict of numbers; the one named
by the case's ``metric`` is the headline (higher is better, except for durations and sizes:
names ending in ``_s``, ``_us``, ``_ms``, ``_mb`` without ``_per_``, e.g. ``step_us``;
``samples_per_s`` is a rate). Helpers for writing them: :func:`load_mnist`, :func:`seconds`,
:func:`keras_case_functions`.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

FRAMEWORKS = ("numkeras", "numkeras-mkl", "numkeras-numba", "numkeras-mkl-numba", "torch", "tf_keras", "keras3")
# Variants of numkeras: {name: the contrib kernel plugins it uses}. A variant runs the
# numkeras case functions with those plugins' kernels set, only where they are installed.
VARIANTS = {"numkeras-mkl": ("numkeras_mkl",), "numkeras-numba": ("numkeras_numba",),
            "numkeras-mkl-numba": ("numkeras_mkl", "numkeras_numba")}
# The other Keras implementations a Keras user would pick: {name: (module, its Keras major
# version, the environment that selects it)}. They run the "keras" case functions.
KERAS_FRAMEWORKS = {"tf_keras": ("tf_keras", 2, {"TF_USE_LEGACY_KERAS": "1"}),
                    "keras3": ("keras", 3, {"KERAS_BACKEND": "tensorflow"})}
# The module whose import time a framework's "import" row measures.
IMPORT_MODULES = dict({"numkeras": "numkeras", "torch": "torch"},
                      **{name: module for name, (module, _, _) in KERAS_FRAMEWORKS.items()})
PYTHON_VARIABLE = "NUMKERAS_BENCH_PYTHON"  # "tf_keras,keras3=/path/python;torch=/other/python"
REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")


class Case:
    """One benchmark: the same workload written once per framework.

    Arguments:
        name: short identifier (``'mlp'``, ``'tiny'`` …).
        description: one line saying what is measured.
        metric: the key of the headline number in the dicts the functions return.
        functions: ``{framework: fn(config) -> dict}``; each runs in a child process.
        config: keyword settings handed to every function (epochs, batch size …).
        quick_config: overrides applied with ``--quick``.
    """

    def __init__(self, name, description, metric, functions, config=None, quick_config=None):
        self.name = name
        self.description = description
        self.metric = metric
        self.functions = functions
        self.config = dict(config or {})
        self.quick_config = dict(quick_config or {})


# -- helpers for case functions (run in the child) ------------------------------------------

def load_mnist(limit=None):
    """MNIST as ``(x_train, y_train, x_test, y_test)``: float32 in [0, 1], flat 784, int64 labels.

    Read by numkeras's loader in a separate interpreter and kept as one ``.npz`` in the temporary
    directory, so that a torch child does not import numkeras (and pay for it in peak RSS).
    (The loader is a module of the numkeras package: it cannot be loaded from its file alone.)
    """
    import numpy as np

    cache = pathlib.Path(tempfile.gettempdir()) / f"numkeras_bench_mnist_{os.getuid() if hasattr(os, 'getuid') else 0}.npz"
    if not cache.exists():
        partial = cache.with_suffix(f".{os.getpid()}.npz")
        code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); from numkeras.datasets import mnist; "
                "(a, b), (c, d) = mnist.load_data(); np.savez(sys.argv[2], a=a, b=b, c=c, d=d)")
        python = os.environ.get("NUMKERAS_BENCH_DATA_PYTHON", sys.executable)  # a tf_keras child's has no numkeras
        subprocess.run([python, "-c", code, str(REPO_ROOT / "core"), str(partial)], check=True)
        os.replace(partial, cache)  # atomic: children started together never read half a file
    with np.load(cache) as data:
        x_train, y_train, x_test, y_test = data["a"], data["b"], data["c"], data["d"]
    x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def seconds(fn, *args, **kwargs):
    """Wall-clock seconds that ``fn(*args, **kwargs)`` takes."""
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def _warmup_size(n, batch_size, batches):
    """``batches`` full batches plus the last, partial batch of ``n`` samples (if any).

    A framework that traces a graph per batch shape (tf.keras, Keras 3) then has traced
    every shape of the timed run before it starts.
    """
    return min(n, batches * batch_size + n % batch_size)


def keras_fit_seconds(model, x, y, batch_size, epochs=1, warmup_batches=2):
    """Seconds a Keras ``model.fit`` takes, after a warm-up fit on a few batches.

    The warm-up builds the model, creates the optimizer state, fills NumPy's caches
    (and traces TensorFlow's graphs), so that the timed run measures steady-state training.
    """
    warm = _warmup_size(len(x), batch_size, warmup_batches)
    model.fit(x[:warm], y[:warm], batch_size=batch_size, epochs=1, verbose=0)
    return seconds(model.fit, x, y, batch_size=batch_size, epochs=epochs, verbose=0)


def keras_predict_seconds(model, x, batch_size, passes=2):
    """The best of ``passes`` timed ``model.predict`` calls over ``x``, after a warm-up on two batches."""
    model.predict(x[:_warmup_size(len(x), batch_size, 2)], batch_size=batch_size, verbose=0)
    return min(seconds(model.predict, x, batch_size=batch_size, verbose=0) for _ in range(passes))


def keras_case_functions(data, make_model):
    """The training and inference ``"keras"`` case functions of one workload.

    Arguments:
        data: ``config -> (x, y)``.
        make_model: ``(keras, config) -> compiled model``, written against the Keras API of
            the module ``keras`` (numkeras, tf_keras or Keras 3).

    Returns:
        ``(train, predict)``: functions of ``(config, keras)`` returning ``samples_per_s`` and the seconds.
    """
    def train(config, keras):
        x, y = data(config)
        elapsed = keras_fit_seconds(make_model(keras, config), x, y, config["batch"])
        return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}

    def predict(config, keras):
        x, _ = data(config)
        elapsed = keras_predict_seconds(make_model(keras, config), x, config["batch"])
        return {"samples_per_s": len(x) / elapsed, "predict_s": elapsed}

    return train, predict


def torch_fit_seconds(model, loss_fn, optimizer, x, y, batch_size, accuracy=None):
    """Seconds one PyTorch epoch over ``x``, ``y`` (tensors) takes in shuffled batches, after a warm-up.

    Each step reads the loss (and ``accuracy(logits, y)``, when given) as a Python number,
    as numkeras's ``fit`` logs them every batch. ``binary_accuracy`` and ``class_accuracy``
    are the two accuracies of the benchmarks.
    """
    import torch

    def fit(xs, ys):
        order = torch.randperm(len(xs))
        for start in range(0, len(xs), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            logits = model(xs[index])
            loss = loss_fn(logits, ys[index])
            loss.backward()
            optimizer.step()
            loss.item()
            if accuracy is not None:
                accuracy(logits, ys[index]).item()

    model.train()
    fit(x[:2 * batch_size], y[:2 * batch_size])  # warm-up
    return seconds(fit, x, y)


def binary_accuracy(logits, y):
    return ((logits > 0).float() == y).float().mean()


def class_accuracy(logits, labels):
    return (logits.argmax(1) == labels).float().mean()


def torch_predict_seconds(model, x, batch_size, passes=2, then=None):
    """The best of ``passes`` timed batch-by-batch PyTorch inference passes over ``x`` under ``no_grad``."""
    import numpy as np
    import torch

    model.eval()
    then = then or (lambda out: out)

    def predict(xs):
        with torch.no_grad():
            return np.concatenate([then(model(xs[i:i + batch_size])).numpy() for i in range(0, len(xs), batch_size)])

    predict(x[:2 * batch_size])
    return min(seconds(predict, x) for _ in range(passes))


def peak_rss_mb():
    """This process's peak resident set size so far, in MiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2 ** 20


def framework_available(framework):
    """Whether this interpreter has ``framework``: torch or numkeras found (not imported), or a numkeras
    variant's plugins with their libraries (the plugins ship inside numkeras; without the ``fast``
    extra's libraries they are off, and the variant would measure plain numkeras under another name)."""
    if framework in VARIANTS:
        return all(importlib.util.find_spec(module) is not None and importlib.import_module(module).available()
                   for module in VARIANTS[framework])
    return importlib.util.find_spec(IMPORT_MODULES.get(framework, framework)) is not None


def variant_off_reason(framework):
    """Why a numkeras variant's plugins are off here, in the plugins' own words (``status()``)."""
    reasons = []
    for module in VARIANTS[framework]:
        if importlib.util.find_spec(module) is None:
            reasons.append(f"{module} is not installed (pip install -e '.[fast]')")
            continue
        plugin = importlib.import_module(module)
        if not plugin.available():
            reasons.append(f"{module} is {plugin.status()['detail']}")
    return "; ".join(reasons)


def parse_framework_pythons(specs):
    """``["tf_keras,keras3=/env/bin/python", ...]`` -> ``{"tf_keras": "/env/bin/python", "keras3": ...}``.

    Each spec may also hold several ``FRAMEWORKS=PYTHON`` pairs separated by ``;`` (the form of
    ``NUMKERAS_BENCH_PYTHON``). A later spec wins.
    """
    pythons = {}
    for spec in specs:
        for pair in filter(None, (part.strip() for part in spec.split(";"))):
            names, sep, python = pair.partition("=")
            if not sep or not names.strip() or not python.strip():
                raise ValueError(f"framework python {pair!r}: expected FRAMEWORKS=PYTHON, "
                                 f"e.g. tf_keras,keras3=/path/to/bin/python")
            for name in filter(None, (n.strip() for n in names.split(","))):
                pythons[name] = python.strip()
    return pythons


def python_of(framework, pythons):
    """The interpreter a framework's children run in: the one named for it (or, for a numkeras
    variant, for numkeras), else this one."""
    name = "numkeras" if framework in VARIANTS and framework not in pythons else framework
    return pythons.get(name, sys.executable)


def _functions_of(framework, case):
    """The key of the case functions a framework runs: ``"keras"`` (the Keras-API functions, which
    numkeras and its variants prefer to numkeras-only ones), ``"numkeras"`` or ``"torch"``."""
    if framework in KERAS_FRAMEWORKS:
        return "keras"
    if framework == "torch":
        return "torch"
    return "keras" if "keras" in case.functions else "numkeras"


def _ratio_key(framework):
    return f"{framework}_over_torch".replace("-", "_")


# -- the child side ---------------------------------------------------------------------------

def import_framework(framework, threads=0):
    """Imports ``framework`` in this (child) process, on ``threads`` threads where it has its own pools.

    Returns the module its case functions get: ``torch``, ``numkeras`` (with a variant's
    plugin kernels set), ``tf_keras`` or ``keras`` (Keras 3 on TensorFlow).

    Raises:
        ImportError: the framework is not importable here, or is another Keras than expected.
    """
    if framework == "torch":
        import torch

        if threads:
            torch.set_num_threads(threads)
        return torch
    if framework in KERAS_FRAMEWORKS:
        module_name, major, environment = KERAS_FRAMEWORKS[framework]
        os.environ.update(environment)  # before TensorFlow is imported: it reads them then
        import tensorflow as tf

        if threads:  # before any op runs: the pools are made with the first
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        module = importlib.import_module(module_name)
        version = getattr(module, "__version__", "0")
        if int(version.split(".")[0]) != major:
            raise ImportError(f"{framework}: `import {module_name}` gave version {version}, not Keras {major}")
        if framework == "keras3" and module.backend.backend() != "tensorflow":
            raise ImportError(f"keras3: Keras 3 runs on {module.backend.backend()}, not TensorFlow")
        return module
    import numkeras

    if framework in VARIANTS:
        plugins = [importlib.import_module(module) for module in VARIANTS[framework]]
        if not all(plugin.available() for plugin in plugins):
            raise ImportError(f"{framework}: {variant_off_reason(framework)}")
        _use_plugins(plugins)
    return numkeras


def _framework_version(framework, module):
    if framework in KERAS_FRAMEWORKS:
        import tensorflow as tf

        return f"{module.__version__} (TensorFlow {tf.__version__})"
    return getattr(module, "__version__", None)


def _run_child(cases, case_name, framework, config):
    case = next(c for c in cases if c.name == case_name)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    module = import_framework(framework, threads)
    key = _functions_of(framework, case)
    function = case.functions[key]
    result = function(config, module) if key == "keras" else function(config)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))


def _probe_child(framework):
    """In a child: import ``framework`` as a case would and print its version (the parent's availability probe)."""
    module = import_framework(framework)
    print("RESULT " + json.dumps({"version": _framework_version(framework, module)}))


PROBE_SNIPPET = "import sys; sys.path.insert(0, {here!r}); import harness; harness._probe_child({framework!r})"


def discover(frameworks, pythons, threads=0, log=print, timeout=300):
    """The frameworks that can run, with their interpreter and version: ``{name: (python, version)}``.

    Those of this interpreter (numkeras, its variants, torch) are looked up without importing
    them; those with an interpreter of their own, and tf_keras / keras3 always, are imported
    once in a child of that interpreter. Each one that cannot run is left out with a one-line note.
    """
    found = {}
    for framework in frameworks:
        python = python_of(framework, pythons)
        if framework not in KERAS_FRAMEWORKS and python == sys.executable:
            if framework_available(framework):
                found[framework] = (python, _version(framework))
            elif framework in VARIANTS:
                log(f"note: {framework} is off here ({variant_off_reason(framework)}); measuring without it")
            else:
                hint = {"torch": " (pip install torch==2.13.0)"}.get(framework, "")
                log(f"note: {framework} is not installed; measuring without it{hint}")
            continue
        command = [python, "-c", PROBE_SNIPPET.format(here=str(pathlib.Path(__file__).resolve().parent),
                                                      framework=framework)]
        try:
            found[framework] = (python, _spawn(command, threads, timeout, framework)["version"])
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as error:
            last = (str(error).strip().splitlines() or ["?"])[-1]
            hint = ("" if framework in pythons else
                    f"; name an interpreter that has it: --framework-python {framework}=/path/to/python")
            log(f"note: {framework} cannot be imported by {python} ({last}); measuring without it{hint}")
    return found


def _use_plugins(modules):
    """Sets what contrib kernel plugins supply: a GEMM kernel (``kernel()``), elementwise kernels (``kernels()``).

    Where two supply one elementwise kernel, the first in ``modules`` wins, as with the hook.
    """
    from numkeras.backend import blas, kernels

    table = {}
    for module in modules:
        if hasattr(module, "kernel"):
            blas.set_gemm(module.kernel())
        for name, function in (module.kernels() if hasattr(module, "kernels") else {}).items():
            table.setdefault(name, function)
    kernels.set_kernels(table)


IMPORT_SNIPPET = """
import time, json, sys
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
import resource
print("RESULT " + json.dumps({{"import_s": elapsed,
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


# Variables that numkeras's compute plugins may set in this process for their own threads (the
# harness imports them to see which variants are available). A child gets the value the harness
# started with, or none: GOMP_SPINCOUNT=0, which numkeras-numba left set until the fifth session
# of issue 15, put PyTorch's OpenMP threads to sleep after every op in every torch child, and its
# one-sample MLP forward took 416 instead of 112 µs.
# (Their values are read when this module is imported: set them before, in the shell.)
PLUGIN_VARIABLES = ("GOMP_SPINCOUNT",)
_LAUNCH_ENVIRONMENT = {name: os.environ.get(name) for name in PLUGIN_VARIABLES}


def _child_env(threads, framework=None):
    env = dict(os.environ)
    for name, value in _LAUNCH_ENVIRONMENT.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["NUMKERAS_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # measure numkeras itself, not the machine's plugins
    env["NUMKERAS_BENCH_DATA_PYTHON"] = sys.executable  # the interpreter with numkeras, for load_mnist
    if framework in KERAS_FRAMEWORKS:
        env.update(KERAS_FRAMEWORKS[framework][2])
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads:
        for variable in THREAD_VARIABLES:
            env[variable] = str(threads)
    return env


def _spawn(command, threads, timeout, framework=None):
    result = subprocess.run(command, capture_output=True, text=True, env=_child_env(threads, framework),
                            timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child {' '.join(command[-3:])} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


# -- the parent side ---------------------------------------------------------------------------

def _summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def _alternating(frameworks, repeat):
    """The order of run ``repeat``: reversed every other run, and rotated by one every second run, so
    that over ``2 * len(frameworks)`` runs each framework runs in every position twice, once before
    and once after each other framework. (Reversal alone kept the middle one of an odd number of
    frameworks in the middle: with five, numkeras-numba always ran third.)"""
    frameworks = list(frameworks)
    shift = (repeat // 2) % len(frameworks) if frameworks else 0
    order = frameworks[shift:] + frameworks[:shift]
    return order if repeat % 2 == 0 else order[::-1]


def run(name, cases, frameworks, repeats, threads, quick, only=None, log=print, timeout=900, pythons=None,
        versions=None):
    """Runs every case (or those in ``only``) for every framework; returns the results as a dict.

    Arguments:
        frameworks: names (see ``FRAMEWORKS``), all of them available (see :func:`discover`).
        pythons: ``{framework: interpreter}`` for those that run from another one than this.
        versions: ``{framework: version}`` to record (default: looked up in this interpreter).
    """
    pythons = pythons or {}
    script = str(pathlib.Path(sys.argv[0]).resolve())
    results = {"benchmark": name, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": _machine(threads),
               "frameworks": {fw: (versions or {}).get(fw, _version(fw)) for fw in frameworks},
               "pythons": {fw: python_of(fw, pythons) for fw in frameworks},
               "repeats": repeats, "quick": quick, "cases": {}}
    selected = [c for c in cases if not only or c.name in only]
    # import time and RSS after import
    runs = {fw: [] for fw in frameworks}
    for repeat in range(repeats):
        for fw in _alternating([fw for fw in frameworks if fw not in VARIANTS], repeat):
            command = [python_of(fw, pythons), "-c", IMPORT_SNIPPET.format(module=IMPORT_MODULES.get(fw, fw))]
            runs[fw].append(_spawn(command, threads, timeout, fw))
    runs = {fw: measured for fw, measured in runs.items() if measured}
    results["cases"]["import"] = _collect("import", "`import <framework>` in a fresh interpreter", "import_s",
                                          runs, {})
    log(_format(results["cases"]["import"], frameworks))
    for case in selected:
        config = dict(case.config, **(case.quick_config if quick else {}))
        runs = {fw: [] for fw in frameworks if _functions_of(fw, case) in case.functions}
        for repeat in range(repeats):
            for fw in _alternating(list(runs), repeat):
                command = [python_of(fw, pythons), script, "--child", case.name, fw, "--config", json.dumps(config)]
                runs[fw].append(_spawn(command, threads, timeout, fw))
        results["cases"][case.name] = _collect(case.name, case.description, case.metric, runs, config)
        log(_format(results["cases"][case.name], frameworks))
    return results


def _collect(name, description, metric, runs, config):
    """One case's JSON entry from its runs ``{framework: [result dict per round]}``.

    Per framework, every number's median, min, max and runs; each framework over torch
    (``<framework>_over_torch``: the ratio of the medians, and ``…_paired``: the spread of
    the ratios of the runs made in the same round); each numkeras variant over plain
    numkeras (``over_plain``), with ``slower`` true only when it was slower in every round.
    """
    entry = {"description": description, "metric": metric, "config": config, "results": {},
             "lower_is_better": _is_cost(metric)}
    for fw, measurements in runs.items():
        keys = sorted({k for m in measurements for k, v in m.items() if isinstance(v, (int, float))})
        entry["results"][fw] = {k: _summarise([m[k] for m in measurements if k in m]) for k in keys}
    if "torch" in runs:
        pt = entry["results"]["torch"][metric]["median"]
        for fw in runs:
            if fw != "torch":
                nk = entry["results"][fw][metric]["median"]
                entry[_ratio_key(fw)] = nk / pt if pt else None
                entry[_ratio_key(fw) + "_paired"] = _paired(runs[fw], runs["torch"], metric)
    # "No model gets slower when a compute plugin is installed": each variant against plain numkeras,
    # as the ratio of medians and the spread of the ratios of the runs made side by side.
    if "numkeras" in runs:
        plain = entry["results"]["numkeras"][metric]["median"]
        entry["over_plain"] = {}
        for fw in runs:
            if fw in VARIANTS and plain:
                ratio = entry["results"][fw][metric]["median"] / plain
                paired = _paired(runs[fw], runs["numkeras"], metric)
                verdict = verdict_of(ratio, paired, entry["lower_is_better"])
                entry["over_plain"][fw] = {"ratio": ratio, "paired": paired, "verdict": verdict,
                                           "slower": verdict == "worse"}
    return entry


def verdict_of(ratio, paired, lower_is_better):
    """``"better"`` / ``"worse"`` when every round's ratio is on that side of 1, else ``"noise"``.

    A median ratio under 1 whose rounds straddle 1 says nothing on a shared machine: only the
    paired runs agreeing round after round make one side better. One round cannot agree with
    another: with fewer than two paired runs the verdict is ``"noise"``.
    """
    if not paired or len(paired["runs"]) < 2:
        return "noise"
    low, high = paired["min"], paired["max"]
    if lower_is_better:
        low, high = 1 / high, 1 / low
    if low > 1:
        return "better"
    if high < 1:
        return "worse"
    return "noise"


def _paired(runs, reference, metric):
    """The ratios ``runs[i] / reference[i]`` of the runs made in the same round: median, min, max."""
    ratios = [a[metric] / b[metric] for a, b in zip(runs, reference) if metric in a and b.get(metric)]
    return _summarise(ratios) if ratios else None


def plugin_rows(results):
    """``[(case, variant, ratio to plain numkeras, slower in every round?)]``: the "no plugin makes a model
    slower" row."""
    rows = []
    for name, entry in results["cases"].items():
        for fw, row in entry.get("over_plain", {}).items():
            rows.append((name, fw, row["ratio"], row["slower"]))
    return rows


def _is_cost(metric):
    """Durations and sizes (``import_s``, ``step_us``, ``peak_rss_mb``) are better lower; rates higher."""
    return "_per_" not in metric and metric.endswith(("_s", "_us", "_ms", "_mb"))


_NOISE = "the rounds straddle 1: within the noise"
_ONE_ROUND = "one round: no spread to tell it from noise"


def _format(entry, frameworks):
    metric = entry["metric"]
    runs = len(next(iter(entry["results"].values()))[metric]["runs"])
    better = "lower" if entry["lower_is_better"] else "higher"
    lines = [f"\n== {entry['description']}\n   {metric} ({better} is better), median of {runs} run(s)"]
    for fw in frameworks:
        if fw not in entry["results"]:
            continue
        r = entry["results"][fw]
        extra = "  ".join(f"{k}={v['median']:.4g}" for k, v in r.items() if k != metric)
        lines.append(f"  {fw:12s} {r[metric]['median']:>12.5g}  (min {r[metric]['min']:.5g}, max "
                     f"{r[metric]['max']:.5g})  {extra}")
    for fw in frameworks:
        ratio = entry.get(_ratio_key(fw))
        if ratio is not None:
            paired = entry.get(_ratio_key(fw) + "_paired")
            verdict = verdict_of(ratio, paired, entry["lower_is_better"])
            spread = f", per round {paired['min']:.3f}-{paired['max']:.3f}" if paired else ""
            said = {"better": f"{fw} is better in every round", "worse": "torch is better in every round",
                    "noise": _NOISE}[verdict]
            said = said if verdict != "noise" or len(paired["runs"]) > 1 else _ONE_ROUND
            lines.append(f"  {fw} / torch = {ratio:.3f}{spread}  ({said})")
    for fw, row in entry.get("over_plain", {}).items():
        paired = row["paired"]
        spread = f", per round {paired['min']:.3f}-{paired['max']:.3f}" if paired else ""
        several = paired and len(paired["runs"]) > 1
        said = {"worse": "SLOWER than plain numkeras in every round", "better": "faster in every round",
                "noise": "not slower: " + (_NOISE if several else _ONE_ROUND)}[row["verdict"]]
        lines.append(f"  {fw} / numkeras = {row['ratio']:.3f}{spread}  ({said})")
    return "\n".join(lines)


def _version(framework):
    try:
        from importlib.metadata import version

        return version(framework)
    except Exception:  # noqa: BLE001 - a version is only informative
        return None


def _machine(threads):
    return {"python": platform.python_version(), "platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "threads": threads}


def main(name, cases, argv=None):
    """Command line of a benchmark script: run every case (or ``--case``) and write the JSON."""
    parser = argparse.ArgumentParser(description=f"numkeras vs PyTorch: {name} benchmarks")
    parser.add_argument("--repeats", type=int, default=3, help="runs per framework (median reported)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="BLAS / OpenMP / torch threads for every framework (default: all cores)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset")
    parser.add_argument("--framework-python", action="append", default=[], metavar="FRAMEWORKS=PYTHON",
                        help="run these frameworks from that interpreter, e.g. tf_keras,keras3=/env/bin/python "
                             f"(repeatable; also ${PYTHON_VARIABLE}, specs separated by ';')")
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    parser.add_argument("--json", default=str(REPO_ROOT / "benchmarks" / "results" / f"{name}.json"),
                        help="where to write the results (default benchmarks/results/<name>.json)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "FRAMEWORK"), help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _run_child(cases, args.child[0], args.child[1], json.loads(args.config))
        return None
    try:
        pythons = parse_framework_pythons([os.environ.get(PYTHON_VARIABLE, "")] + args.framework_python)
    except ValueError as error:
        parser.error(str(error))
    found = discover([fw for fw in args.frameworks.split(",") if fw], pythons, args.threads)
    results = run(name, cases, list(found), args.repeats, args.threads, args.quick, only=args.case,
                  pythons=pythons, versions={fw: version for fw, (_, version) in found.items()})
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {path}")
    return results
