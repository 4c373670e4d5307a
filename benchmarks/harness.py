"""The shared side-by-side benchmark harness (numkeras vs. PyTorch on the CPU).

A benchmark script (``bench_mlp.py``, ``bench_cnn.py`` …) declares its cases and
hands them to :func:`main`::

    from harness import Case, main

    def mlp_numkeras(config): ...   # runs in a child process; returns {"samples_per_s": ...}
    def mlp_torch(config): ...

    CASES = [Case("mlp", "784-512-512-10 MLP, SGD, batch 128", "samples_per_s",
                  {"numkeras": mlp_numkeras, "torch": mlp_torch}, config={"epochs": 2})]

    if __name__ == "__main__":
        main("mlp", CASES)

What the harness does:

* every measurement runs in its **own fresh subprocess** (one framework per
  process: BLAS / OpenMP thread pools of two frameworks in one process interfere),
  with the same thread count for every framework (``--threads``, default: all cores);
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
  plugin"), flagging SLOWER, and every ratio with the spread of the per-round ratios
  (runs made side by side in the same round);
* it prints a table with each numkeras / torch ratio and writes everything as JSON
  (``--json``, default ``benchmarks/results/<name>.json``).

PyTorch is optional and never a dependency of numkeras: install it into the
environment only for benchmarking (``pip install torch==2.13.0``). Without it the
harness measures numkeras alone.

Case functions are called as ``fn(config)`` in the child and return a dict of
numbers; the one named by the case's ``metric`` is the headline (higher is better,
except for durations and sizes: names ending in ``_s``, ``_us``, ``_ms``, ``_mb`` without
``_per_``, e.g. ``step_us``; ``samples_per_s`` is a rate). Helpers for
writing them: :func:`load_mnist`, :func:`seconds`.
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

FRAMEWORKS = ("numkeras", "numkeras-mkl", "numkeras-numba", "numkeras-mkl-numba", "torch")
# Variants of numkeras: {name: the contrib kernel plugins it uses}. A variant runs the
# "numkeras" case functions with those plugins' kernels set, only where they are installed.
VARIANTS = {"numkeras-mkl": ("numkeras_mkl",), "numkeras-numba": ("numkeras_numba",),
            "numkeras-mkl-numba": ("numkeras_mkl", "numkeras_numba")}
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
        subprocess.run([sys.executable, "-c", code, str(REPO_ROOT / "core"), str(partial)], check=True)
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


def keras_fit_seconds(model, x, y, batch_size, epochs=1, warmup_batches=2):
    """Seconds a numkeras ``model.fit`` takes, after a warm-up fit on a few batches.

    The warm-up builds the model, creates the optimizer state and fills NumPy's
    caches, so that the timed run measures steady-state training.
    """
    warm = warmup_batches * batch_size
    model.fit(x[:warm], y[:warm], batch_size=batch_size, epochs=1, verbose=0)
    return seconds(model.fit, x, y, batch_size=batch_size, epochs=epochs, verbose=0)


def keras_predict_seconds(model, x, batch_size, passes=2):
    """The best of ``passes`` timed ``model.predict`` calls over ``x``, after a warm-up on two batches."""
    model.predict(x[:2 * batch_size], batch_size=batch_size)
    return min(seconds(model.predict, x, batch_size=batch_size) for _ in range(passes))


def keras_case_functions(data, make_model):
    """The training and inference case functions of one numkeras workload.

    Arguments:
        data: ``config -> (x, y)``.
        make_model: ``config -> compiled model``.

    Returns:
        ``(train, predict)``: functions of ``config`` returning ``samples_per_s`` and the seconds.
    """
    def train(config):
        x, y = data(config)
        elapsed = keras_fit_seconds(make_model(config), x, y, config["batch"])
        return {"samples_per_s": len(x) / elapsed, "train_s": elapsed}

    def predict(config):
        x, _ = data(config)
        elapsed = keras_predict_seconds(make_model(config), x, config["batch"])
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
    return all(importlib.util.find_spec(module) is not None for module in VARIANTS.get(framework, (framework,)))


def _functions_of(framework):
    """The key of the case functions a framework runs ("numkeras" for its variants)."""
    return "numkeras" if framework in VARIANTS else framework


def _ratio_key(framework):
    return f"{framework}_over_torch".replace("-", "_")


# -- the child side ---------------------------------------------------------------------------

def _run_child(cases, case_name, framework, config):
    case = next(c for c in cases if c.name == case_name)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if framework == "torch":
        import torch

        if threads:
            torch.set_num_threads(threads)
    if framework in VARIANTS:
        _use_plugins([importlib.import_module(module) for module in VARIANTS[framework]])
    result = case.functions[_functions_of(framework)](config)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))


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


def _child_env(threads):
    env = dict(os.environ)
    env["NUMKERAS_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # measure numkeras itself, not the machine's plugins
    if threads:
        for variable in THREAD_VARIABLES:
            env[variable] = str(threads)
    return env


def _spawn(command, threads, timeout):
    result = subprocess.run(command, capture_output=True, text=True, env=_child_env(threads), timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child {' '.join(command[-3:])} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


# -- the parent side ---------------------------------------------------------------------------

def _summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def _alternating(frameworks, repeat):
    """numkeras, torch / torch, numkeras / …: who goes first alternates run by run."""
    return list(frameworks) if repeat % 2 == 0 else list(reversed(frameworks))


def run(name, cases, frameworks, repeats, threads, quick, only=None, log=print, timeout=900):
    script = str(pathlib.Path(sys.argv[0]).resolve())
    results = {"benchmark": name, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": _machine(threads),
               "frameworks": {fw: _version(fw) for fw in frameworks}, "repeats": repeats, "quick": quick,
               "cases": {}}
    selected = [c for c in cases if not only or c.name in only]
    # import time and RSS after import
    runs = {fw: [] for fw in frameworks}
    for repeat in range(repeats):
        for fw in _alternating([fw for fw in frameworks if fw not in VARIANTS], repeat):
            runs[fw].append(_spawn([sys.executable, "-c", IMPORT_SNIPPET.format(module=fw)], threads, timeout))
    runs = {fw: measured for fw, measured in runs.items() if measured}
    results["cases"]["import"] = _collect("import", "`import <framework>` in a fresh interpreter", "import_s",
                                          runs, {})
    log(_format(results["cases"]["import"], frameworks))
    for case in selected:
        config = dict(case.config, **(case.quick_config if quick else {}))
        runs = {fw: [] for fw in frameworks if _functions_of(fw) in case.functions}
        for repeat in range(repeats):
            for fw in _alternating(list(runs), repeat):
                command = [sys.executable, script, "--child", case.name, fw, "--config", json.dumps(config)]
                runs[fw].append(_spawn(command, threads, timeout))
        results["cases"][case.name] = _collect(case.name, case.description, case.metric, runs, config)
        log(_format(results["cases"][case.name], frameworks))
    return results


def _collect(name, description, metric, runs, config):
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
                slower = ratio > 1 if entry["lower_is_better"] else ratio < 1
                entry["over_plain"][fw] = {"ratio": ratio, "paired": paired, "slower": slower}
    return entry


def _paired(runs, reference, metric):
    """The ratios ``runs[i] / reference[i]`` of the runs made in the same round: median, min, max."""
    ratios = [a[metric] / b[metric] for a, b in zip(runs, reference) if metric in a and b.get(metric)]
    return _summarise(ratios) if ratios else None


def plugin_rows(results):
    """``[(case, variant, ratio to plain numkeras, slower?)]``: the benchmark's "no plugin makes a model slower" row."""
    rows = []
    for name, entry in results["cases"].items():
        for fw, row in entry.get("over_plain", {}).items():
            rows.append((name, fw, row["ratio"], row["slower"]))
    return rows


def _is_cost(metric):
    """Durations and sizes (``import_s``, ``step_us``, ``peak_rss_mb``) are better lower; rates higher."""
    return "_per_" not in metric and metric.endswith(("_s", "_us", "_ms", "_mb"))


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
            faster = ratio > 1 if not entry["lower_is_better"] else ratio < 1
            paired = entry.get(_ratio_key(fw) + "_paired")
            spread = f", per round {paired['min']:.3f}-{paired['max']:.3f}" if paired else ""
            lines.append(f"  {fw} / torch = {ratio:.3f}{spread}  ({fw if faster else 'torch'} is better)")
    for fw, row in entry.get("over_plain", {}).items():
        paired = row["paired"]
        spread = f", per round {paired['min']:.3f}-{paired['max']:.3f}" if paired else ""
        verdict = "SLOWER than plain numkeras" if row["slower"] else "not slower"
        lines.append(f"  {fw} / numkeras = {row['ratio']:.3f}{spread}  ({verdict})")
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
    frameworks = [fw for fw in args.frameworks.split(",") if fw]
    missing = [fw for fw in frameworks if not framework_available(fw)]
    for fw in missing:
        print(f"note: {fw} is not installed; measuring without it"
              + (" (pip install torch==2.13.0)" if fw == "torch" else ""))
    frameworks = [fw for fw in frameworks if fw not in missing]
    results = run(name, cases, frameworks, args.repeats, args.threads, args.quick, only=args.case)
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {path}")
    return results
