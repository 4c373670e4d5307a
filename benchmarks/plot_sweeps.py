"""Plots ``benchmarks/results/sweep.json`` (from ``bench_sweep.py``) as PNG files beside it.

One figure per sweep (batch size, width, sequence length) and mode (training, inference):
throughput of every framework against the swept value (log-log), each numkeras variant's
ratio to PyTorch (median, with the min-max of the per-round ratios as a band), and each
framework's peak memory. matplotlib is a benchmark-only dependency
(``pip install matplotlib``), never one of numkeras::

    python benchmarks/plot_sweeps.py [benchmarks/results/sweep.json]
"""

import json
import pathlib
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
LABELS = {"batch": "batch size", "width": "hidden units per layer", "length": "sequence length"}


def series(results):
    """``{(sweep, mode): {framework: [(value, median, ratio, ratio_min, ratio_max, peak_mb)]}}``."""
    out = {}
    for name, entry in results["cases"].items():
        config = entry.get("config", {})
        if "sweep" not in config:
            continue
        mode = "inference" if name.endswith("_predict") else "training"
        key = (config["sweep"], mode)
        for framework, numbers in entry["results"].items():
            ratio_key = f"{framework}_over_torch".replace("-", "_")
            paired = entry.get(ratio_key + "_paired") or {}
            out.setdefault(key, {}).setdefault(framework, []).append((
                config["value"], numbers["samples_per_s"]["median"], entry.get(ratio_key),
                paired.get("min"), paired.get("max"), numbers.get("peak_rss_mb", {}).get("median")))
    for frameworks in out.values():
        for points in frameworks.values():
            points.sort()
    return out


def plot(results, directory=RESULTS):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for (sweep, mode), frameworks in sorted(series(results).items()):
        figure, (rate, ratio, memory) = plt.subplots(1, 3, figsize=(15, 4.2))
        for framework, points in sorted(frameworks.items()):
            values = [p[0] for p in points]
            rate.plot(values, [p[1] for p in points], marker="o", label=framework)
            memory.plot(values, [p[5] for p in points], marker="o", label=framework)
            if framework != "torch" and any(p[2] is not None for p in points):
                ratio.plot(values, [p[2] for p in points], marker="o", label=f"{framework} / torch")
                if all(p[3] is not None for p in points):
                    ratio.fill_between(values, [p[3] for p in points], [p[4] for p in points], alpha=0.2)
        for axes, title in ((rate, "samples/s (higher is better)"), (ratio, "throughput / PyTorch's"),
                            (memory, "peak RSS, MiB")):
            axes.set_xscale("log", base=2)
            axes.set_xlabel(LABELS.get(sweep, sweep))
            axes.set_title(title)
            axes.grid(True, which="both", alpha=0.3)
            axes.legend(fontsize=8)
        rate.set_yscale("log")
        ratio.axhline(1.0, color="grey", linewidth=0.8)
        figure.suptitle(f"{mode}: cost against {LABELS.get(sweep, sweep)} ({results.get('started', '')})")
        figure.tight_layout()
        path = pathlib.Path(directory) / f"sweep_{sweep}_{mode}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "sweep.json"
    plot(json.loads(source.read_text()), source.parent)
