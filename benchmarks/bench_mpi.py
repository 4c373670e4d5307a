"""numkeras-mpi: training throughput on 1 and 2 processes, and the allreduce's share of a step.

Cases: Keras's mnist_mlp (784-512-512-10, RMSprop) and mnist_cnn (the network of
``bench_cnn.py``, Adadelta), batch 128 per process, ``DistributedOptimizer`` in every run.
Configurations, all on the same cores (``--cores``, default 2):

* 1 process × ``cores`` BLAS threads   (what one process gets from the machine)
* ``cores`` processes × 1 thread       (data-parallel over MPI)
* 1 process × 1 thread                  (the per-core baseline)

so the comparison is fair: every configuration uses all the cores and no more. Each run
is a fresh ``mpiexec`` (or python) process; it times ``--batches`` training batches after
two warm-up batches, and in it the time spent in the gradient allreduce (rank 0's wall
time inside numkeras_mpi's allreduce, waiting for the slower rank included). Reports
samples/s over all processes, the step time and the allreduce's share of it.

Run (needs ``pip install ./contrib/numkeras-mpi``)::

    python benchmarks/bench_mpi.py                    # both models, ~1 minute
    python benchmarks/bench_mpi.py --models mlp --batches 20
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
BATCH = 128


def build(name):
    import numkeras
    import numkeras_mpi as hvd
    from numkeras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    if name == "mlp":
        layers = [Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2), Dense(512, activation="relu"),
                  Dropout(0.2), Dense(10, activation="softmax")]
        optimizer = numkeras.optimizers.RMSprop()
    else:
        layers = [Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), Conv2D(64, (3, 3), activation="relu"),
                  MaxPooling2D((2, 2)), Dropout(0.25), Flatten(), Dense(128, activation="relu"), Dropout(0.5),
                  Dense(10, activation="softmax")]
        optimizer = numkeras.optimizers.Adadelta()
    model = numkeras.Sequential(layers)
    model.compile(hvd.DistributedOptimizer(optimizer), "categorical_crossentropy")
    return model


def worker(name, batches):
    """One rank: trains ``batches`` batches, returns its timings (printed as JSON by rank 0)."""
    import numpy as np

    import numkeras
    import numkeras_mpi as hvd
    from numkeras_mpi import comm

    sys.path.insert(0, str(HERE))
    from harness import load_mnist

    hvd.init()
    numkeras.utils.set_random_seed(hvd.rank())
    x, labels, _, _ = load_mnist()
    x = x[:(batches + 2) * BATCH * hvd.size()]
    y = np.eye(10, dtype=np.float32)[labels[:len(x)]]
    if name == "cnn":
        x = x.reshape(-1, 28, 28, 1)
    x, y = hvd.shard((x, y))
    model = build(name)
    spent = []
    plain_allreduce = comm.allreduce_array

    def timed_allreduce(array, *args, **kwargs):
        start = time.perf_counter()
        result = plain_allreduce(array, *args, **kwargs)
        spent.append((time.perf_counter() - start, array.nbytes))
        return result

    comm.allreduce_array = timed_allreduce
    model.fit(x[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, epochs=1, verbose=0, shuffle=False,
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)])  # warm-up
    hvd.allreduce(np.zeros(1))  # start together
    spent.clear()
    start = time.perf_counter()
    model.fit(x[2 * BATCH:], y[2 * BATCH:], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    elapsed = time.perf_counter() - start
    allreduce_s = sum(s for s, _ in spent)
    if hvd.rank() == 0:
        print("RESULT " + json.dumps({
            "samples_per_s": batches * BATCH * hvd.size() / elapsed, "step_ms": 1e3 * elapsed / batches,
            "allreduce_ms": 1e3 * allreduce_s / batches, "allreduce_share": allreduce_s / elapsed,
            "fused_bytes": spent[0][1] if spent else 0}), flush=True)


def run(name, processes, threads, batches):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])))
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(threads)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    command = [mpiexec, "-n", str(processes), sys.executable, __file__, "--worker", name, "--batches", str(batches)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode or not lines:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return json.loads(lines[0][len("RESULT "):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batches)
    rows = []
    print(f"{'model':5} {'processes x threads':>20} {'samples/s':>10} {'step ms':>8} {'allreduce ms':>13} {'share':>6}")
    for name in args.models.split(","):
        for processes, threads in ((1, args.cores), (args.cores, 1), (1, 1)):
            r = run(name, processes, threads, args.batches)
            rows.append({"model": name, "processes": processes, "threads": threads, **r})
            print(f"{name:5} {f'{processes} x {threads}':>20} {r['samples_per_s']:10,.0f} {r['step_ms']:8.1f} "
                  f"{r['allreduce_ms']:13.2f} {100 * r['allreduce_share']:5.1f}%  ({r['fused_bytes'] / 1e6:.2f} MB fused)",
                  flush=True)
    out = HERE / "results" / "mpi.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
