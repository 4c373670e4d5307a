"""Is a change slower? numkeras at two git revisions, run by run alternated, with PyTorch beside them.

Every benchmark case of the harness runs as a child process (as ``harness.py`` does),
once per round for the base revision, the checkout this script lives in ("head") and
PyTorch, in an order that alternates from round to round, so that a noisy neighbour
on this shared machine hurts all three alike. The base revision's code comes from a
temporary ``git worktree`` put first on ``PYTHONPATH``, the compute plugins' sources included (the head's too, with ``--head``,
so that editing the checkout during a long comparison changes nothing); the benchmark
scripts and the data are this checkout's, so both revisions run the very same workload. Reported per
case and numkeras variant: each side's median (min-max), the median of the paired
head / base ratios of the same round with its interquartile range, and each side's
ratio to PyTorch's median::

    python benchmarks/compare_revisions.py c7c6034 --head HEAD --rounds 7      # every case
    python benchmarks/compare_revisions.py main~3 --case mlp --case tiny --frameworks numkeras,numkeras-mkl-numba

Results are also written as JSON (``benchmarks/results/compare_<base>.json``).
"""

import argparse
import importlib.util
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (the benchmarks directory is not a package)

SCRIPTS = ("bench_mlp.py", "bench_cnn.py", "bench_lstm.py", "bench_rnn.py")
# The sweeps' points (mlp_batch_1, lstm_length_400_predict, ...) run only when named with --case.
SWEEP_SCRIPT = "bench_sweep.py"


def _cases():
    """``[(script path, Case)]`` of every benchmark script, the sweep's included."""
    found = []
    for script in SCRIPTS + (SWEEP_SCRIPT,):
        spec = importlib.util.spec_from_file_location(script[:-3], HERE / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += [(HERE / script, case) for case in module.CASES]
    return found


def _child(script, case, framework, config, pythonpath, threads):
    command = [sys.executable, str(script), "--child", case.name, framework, "--config", json.dumps(config)]
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, saved) if p)
    try:
        return harness._spawn(command, threads, timeout=1800)
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved


def _quartiles(values):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


# Where a revision keeps numkeras's packages, and the packages that must come from there: the
# compute plugins too, or both sides would run the plugins installed in this environment (an
# editable install's are this checkout's), and a change to a plugin would measure as no change.
SOURCE_DIRS = {"numkeras": "core", "numkeras_builtins": "plugins", "numkeras_mkl": "contrib/numkeras-mkl",
               "numkeras_numba": "contrib/numkeras-numba"}


def _pythonpath(checkout):
    return os.pathsep.join(str(checkout / d) for d in SOURCE_DIRS.values() if (checkout / d).is_dir())


def compare(base_path, head_path, cases, frameworks, rounds, threads, quick, log=print):
    sides = {"base": _pythonpath(base_path), "head": _pythonpath(head_path)}
    for side, pythonpath in sides.items():
        checkout = base_path if side == "base" else head_path
        for module, directory in SOURCE_DIRS.items():
            if not (checkout / directory).is_dir() or importlib.util.find_spec(module) is None:
                continue  # not in that revision, or not installed here (its variants are skipped)
            where = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.__file__)"], text=True,
                                   capture_output=True, check=True,
                                   env=dict(os.environ, PYTHONPATH=pythonpath)).stdout.strip()
            if not pathlib.Path(where).is_relative_to(checkout):
                raise RuntimeError(f"the {side} side imports {module} from {where}, not from {checkout}")
    report = {}
    for script, case in cases:
        config = dict(case.config, **(case.quick_config if quick else {}))
        runs = {(side, fw): [] for fw in frameworks for side in sides}
        torch_runs = []
        for index in range(rounds):
            order = harness._alternating([(side, fw) for fw in frameworks for side in sides], index)
            if "torch" in case.functions and harness.framework_available("torch"):
                order.insert(len(order) // 2, ("torch", "torch"))
            for side, fw in order:
                if side == "torch":
                    torch_runs.append(_child(script, case, "torch", config, "", threads)[case.metric])
                else:
                    runs[(side, fw)].append(_child(script, case, fw, config, sides[side], threads)[case.metric])
        entry = {"description": case.description, "metric": case.metric, "rounds": rounds,
                 "lower_is_better": harness._is_cost(case.metric), "torch": torch_runs, "variants": {}}
        log(f"\n== {case.description}\n   {case.metric}, {rounds} alternating rounds")
        torch_median = statistics.median(torch_runs) if torch_runs else None
        if torch_median:
            log(f"  torch                  {torch_median:>10.5g}  ({min(torch_runs):.5g}-{max(torch_runs):.5g})")
        for fw in frameworks:
            base, head = runs[("base", fw)], runs[("head", fw)]
            ratios = [h / b for h, b in zip(head, base)]
            low, high = _quartiles(ratios)
            variant = {"base": base, "head": head, "paired_head_over_base": ratios,
                       "median_ratio": statistics.median(ratios), "ratio_iqr": [low, high]}
            if torch_median:
                variant["base_over_torch"] = statistics.median(base) / torch_median
                variant["head_over_torch"] = statistics.median(head) / torch_median
            entry["variants"][fw] = variant
            for side, values in (("base", base), ("head", head)):
                log(f"  {fw:18s} {side}  {statistics.median(values):>10.5g}  ({min(values):.5g}-{max(values):.5g})"
                    + (f"  / torch = {variant[side + '_over_torch']:.3f}" if torch_median else ""))
            log(f"  {fw:18s} head / base, paired: median {variant['median_ratio']:.3f} (IQR {low:.3f}-{high:.3f})"
                f"{'  (lower is better)' if entry['lower_is_better'] else ''}")
        report[case.name] = entry
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare against")
    parser.add_argument("--head", help="the revision to measure (default: this checkout's files as they are)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians reported)")
    parser.add_argument("--case", action="append",
                        help="only these cases (repeatable): mlp, mlp_predict, tiny, cnn, lstm, bench_rnn.py's "
                             "(gru, lstm_long, ...), and the sweep's points, which only run when named "
                             "(mlp_batch_1, mlp_width_2048_predict, ...)")
    parser.add_argument("--frameworks", default="numkeras,numkeras-mkl-numba",
                        help="comma-separated numkeras variants (see harness.VARIANTS)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true", help="the cases' smaller workloads")
    parser.add_argument("--json", help="where to write the results")
    args = parser.parse_args(argv)
    frameworks = [fw for fw in args.frameworks.split(",") if fw and harness.framework_available(fw)]
    every = _cases()
    unknown = sorted(set(args.case or ()) - {c.name for _, c in every})
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; the cases are {', '.join(c.name for _, c in every)}")
    cases = [(s, c) for s, c in every if (c.name in args.case if args.case else s.name != SWEEP_SCRIPT)]
    with tempfile.TemporaryDirectory(prefix="numkeras-compare-") as tmp:
        checkouts = {}
        for side, revision in (("base", args.base), ("head", args.head)):
            if revision is None:
                checkouts[side] = REPO_ROOT
                continue
            checkouts[side] = pathlib.Path(tmp) / side
            subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(checkouts[side]),
                            revision], check=True, capture_output=True)
        try:
            report = compare(checkouts["base"], checkouts["head"], cases, frameworks, args.rounds, args.threads,
                             args.quick)
        finally:
            for path in checkouts.values():
                if path != REPO_ROOT:
                    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(path)],
                                   capture_output=True)
    path = pathlib.Path(args.json or REPO_ROOT / "benchmarks" / "results" / f"compare_{args.base.replace('/', '_')}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"base": args.base, "frameworks": frameworks, "cases": report}, indent=2) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
