"""Every benchmark in one command, for a quiet machine: the workloads, the sweeps, the plots, a summary.

Runs ``bench_mlp.py``, ``bench_cnn.py``, ``bench_lstm.py``, ``bench_rnn.py`` (each case in
fresh child processes, frameworks alternated run by run) and then ``bench_sweep.py`` and
``plot_sweeps.py`` (matplotlib needed only for the plots), with the same ``--repeats`` and
``--threads``. Then it prints and writes (``benchmarks/results/summary.json``) two tables from
the JSON files: every ratio to PyTorch with its per-round spread, and the "no model gets
slower with a compute plugin" row: each plugin variant over plain numkeras, SLOWER flagged
where it was slower in every round. The exit status is 1 when a variant is so flagged on some case.
tf.keras 2 and Keras 3 join every workload from the interpreter named for them
(``--framework-python``, or ``NUMKERAS_BENCH_PYTHON``; see ``harness.py``).

    python benchmarks/run_all.py --repeats 7            # everything (hours on 2 cores)
    python benchmarks/run_all.py --repeats 1 --quick --no-sweep    # a smoke run
    python benchmarks/run_all.py --framework-python tf_keras,keras3=/envs/tf/bin/python
"""

import argparse
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
WORKLOADS = ("mlp", "cnn", "lstm", "rnn")


def summarise(names):
    rows, slower = [], []
    for name in names:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        results = json.loads(path.read_text())
        for case, entry in results["cases"].items():
            for key, value in entry.items():
                if key.endswith("_over_torch") and value is not None:
                    paired = entry.get(key + "_paired") or {}
                    rows.append({"benchmark": name, "case": case, "ratio": key, "median": value,
                                 "min": paired.get("min"), "max": paired.get("max")})
            for variant, row in entry.get("over_plain", {}).items():
                record = {"benchmark": name, "case": case, "variant": variant, "over_plain": row["ratio"],
                          "min": (row["paired"] or {}).get("min"), "max": (row["paired"] or {}).get("max"),
                          "slower": row["slower"]}
                rows.append(record)
                if row["slower"]:
                    slower.append(record)
    return rows, slower


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweeps and their plots")
    parser.add_argument("--framework-python", action="append", default=[], metavar="FRAMEWORKS=PYTHON",
                        help="handed to every benchmark (e.g. tf_keras,keras3=/envs/tf/bin/python)")
    args = parser.parse_args(argv)
    common = ["--repeats", str(args.repeats)] + (["--threads", str(args.threads)] if args.threads else []) + (
        ["--quick"] if args.quick else []) + [f"--framework-python={spec}" for spec in args.framework_python]
    names = list(WORKLOADS) + ([] if args.no_sweep else ["sweep"])
    for name in names:
        print(f"\n######## bench_{name}.py", flush=True)
        subprocess.run([sys.executable, str(HERE / f"bench_{name}.py"), *common], check=True)
    if not args.no_sweep:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("matplotlib is not installed: no plots (pip install matplotlib; then "
                  "python benchmarks/plot_sweeps.py)")
        else:
            subprocess.run([sys.executable, str(HERE / "plot_sweeps.py")], check=True)
    rows, slower = summarise(names)
    (RESULTS / "summary.json").write_text(json.dumps({"rows": rows, "slower_with_a_plugin": slower}, indent=2) + "\n")
    print("\n######## ratios (median; min-max of the per-round ratios)")
    for row in rows:
        label = row.get("ratio") or f"{row['variant']} / numkeras"
        value = row.get("median", row.get("over_plain"))
        spread = f" ({row['min']:.3f}-{row['max']:.3f})" if row["min"] is not None else ""
        flag = "  SLOWER" if row.get("slower") else ""
        print(f"  {row['benchmark']:6s} {row['case']:24s} {label:36s} {value:8.3f}{spread}{flag}")
    print(f"\nwrote {RESULTS / 'summary.json'}")
    if slower:
        print(f"{len(slower)} case(s) slower with a compute plugin than without: see SLOWER above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
