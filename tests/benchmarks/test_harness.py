"""The benchmark harness's logic (benchmarks/harness.py): no timing is asserted anywhere.

* which frameworks run, and which are skipped with a note (stand-in ``tensorflow``,
  ``tf_keras``, ``keras`` and ``torch`` packages put first on the children's path, so the
  tests do not depend on what this machine has installed);
* the JSON a benchmark script writes, end to end, from a fake case whose numbers are fixed;
* medians, ratios, per-round spreads and the "slower in every round" verdict;
* that each workload's Keras-API builder builds the same model whatever Keras module it is given.
"""

import itertools
import json
import pathlib
import statistics
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import harness  # noqa: E402  (benchmarks/ is not a package)


# -- interpreters and discovery --------------------------------------------------------------------

def test_framework_pythons_are_parsed_from_specs_and_the_variable_form():
    pythons = harness.parse_framework_pythons(["tf_keras,keras3=/envs/tf/bin/python; torch=/envs/pt/bin/python",
                                               "keras3=/envs/k3/bin/python"])
    assert pythons == {"tf_keras": "/envs/tf/bin/python", "keras3": "/envs/k3/bin/python",
                       "torch": "/envs/pt/bin/python"}
    assert harness.parse_framework_pythons(["", " ; "]) == {}


@pytest.mark.parametrize("spec", ["tf_keras", "=/bin/python", "tf_keras="])
def test_a_malformed_framework_python_is_an_error_showing_the_form(spec):
    with pytest.raises(ValueError, match="FRAMEWORKS=PYTHON"):
        harness.parse_framework_pythons([spec])


def test_a_numkeras_variant_runs_from_numkeras_s_interpreter_unless_given_its_own():
    pythons = {"numkeras": "/a/python", "numkeras-mkl": "/b/python"}
    assert harness.python_of("numkeras-numba", pythons) == "/a/python"
    assert harness.python_of("numkeras-mkl", pythons) == "/b/python"
    assert harness.python_of("torch", pythons) == sys.executable


def test_a_numkeras_variant_whose_plugin_is_off_is_not_available(monkeypatch):
    import numkeras_mkl
    import numkeras_numba

    monkeypatch.setattr(numkeras_numba, "available", lambda: True)
    monkeypatch.setattr(numkeras_mkl, "available", lambda: False)
    monkeypatch.setattr(numkeras_mkl, "status", lambda: {"active": False, "detail": "off: for this test"})
    assert harness.framework_available("numkeras-numba")
    assert not harness.framework_available("numkeras-mkl")
    assert not harness.framework_available("numkeras-mkl-numba")
    with pytest.raises(ImportError, match="numkeras_mkl is off: for this test"):
        harness.import_framework("numkeras-mkl")
    notes = []
    assert harness.discover(["numkeras-mkl"], {}, log=notes.append) == {}
    assert notes == ["note: numkeras-mkl is off here (numkeras_mkl is off: for this test); measuring without it"]


FAKE_PACKAGES = {
    "tensorflow/__init__.py": """
        import types
        __version__ = "0.0-fake"
        THREADS = []
        config = types.SimpleNamespace(threading=types.SimpleNamespace(
            set_intra_op_parallelism_threads=THREADS.append, set_inter_op_parallelism_threads=THREADS.append))
    """,
    "tf_keras/__init__.py": '__version__ = "2.99.0"\n',
    "keras/__init__.py": '__version__ = "2.15.0"\n',   # a Keras 2, where keras3 expects Keras 3
    "torch/__init__.py": '__version__ = "0.0-fake"\ndef set_num_threads(n):\n    pass\n',
}


@pytest.fixture
def fake_frameworks(tmp_path, monkeypatch):
    """Stand-in framework packages first on the path of every child the harness starts."""
    root = tmp_path / "fake_site"
    for name, text in FAKE_PACKAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    monkeypatch.setenv("PYTHONPATH", str(root))
    return root


def test_discovery_keeps_what_imports_and_skips_the_rest_with_one_note_each(fake_frameworks):
    notes = []
    found = harness.discover(["numkeras", "tf_keras", "keras3", "torch"],
                             {"tf_keras": sys.executable, "keras3": sys.executable,
                              "torch": str(fake_frameworks / "no" / "python")}, log=notes.append)
    assert list(found) == ["numkeras", "tf_keras"]
    assert found["tf_keras"] == (sys.executable, "2.99.0 (TensorFlow 0.0-fake)")
    assert len(notes) == 2 and all("\n" not in note for note in notes)
    keras3_note, torch_note = notes
    assert keras3_note.startswith("note: keras3 ") and "not Keras 3" in keras3_note
    assert torch_note.startswith("note: torch ") and "measuring without it" in torch_note


def test_without_an_interpreter_for_it_a_tf_framework_is_tried_here_and_skipped_with_a_hint(tmp_path, monkeypatch):
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("raise ImportError('no TensorFlow in this test')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    notes = []
    assert harness.discover(["tf_keras"], {}, log=notes.append) == {}
    assert len(notes) == 1
    assert "no TensorFlow in this test" in notes[0] and "--framework-python tf_keras=" in notes[0]


def test_the_tf_frameworks_children_get_the_environment_that_selects_them():
    assert harness._child_env(1, "tf_keras")["TF_USE_LEGACY_KERAS"] == "1"
    assert harness._child_env(1, "keras3")["KERAS_BACKEND"] == "tensorflow"
    assert harness._child_env(3, "torch")["OMP_NUM_THREADS"] == "3"


@pytest.mark.parametrize("at_launch", [None, "20000"])
def test_children_do_not_inherit_what_a_plugin_set_in_the_harness_process(monkeypatch, at_launch):
    """A variable a compute plugin set here after the harness started (GOMP_SPINCOUNT=0 slowed PyTorch's
    children) reaches no child; one the harness was started with reaches every child unchanged."""
    monkeypatch.setitem(harness._LAUNCH_ENVIRONMENT, "GOMP_SPINCOUNT", at_launch)
    monkeypatch.setenv("GOMP_SPINCOUNT", "0")
    for framework in (None, "torch", "tf_keras"):
        assert harness._child_env(2, framework).get("GOMP_SPINCOUNT") == at_launch
    if at_launch is None:
        monkeypatch.delenv("GOMP_SPINCOUNT")
        assert "GOMP_SPINCOUNT" not in harness._child_env(2, "torch")


def test_checking_which_variants_are_available_leaves_the_environment_as_it_was():
    """The harness imports the plugins to ask whether they are available (and a plugin may start
    Numba's threads): in a fresh process, none of that may leave a variable behind for its children."""
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(BENCHMARKS)!r})
        import harness
        before = dict(os.environ)
        for variant in harness.VARIANTS:
            harness.framework_available(variant)
        import numkeras_numba
        if numkeras_numba.available():
            numkeras_numba._loops_import()  # imports Numba and starts its threads
        changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
        print("CHANGED", changed, "CHILD", harness._child_env(2, "torch").get("GOMP_SPINCOUNT"))
    """)
    env = {k: v for k, v in harness._child_env(0).items() if k != "GOMP_SPINCOUNT"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CHANGED [] CHILD None" in result.stdout, result.stdout


def test_the_tf_thread_pools_get_the_harness_s_thread_count(fake_frameworks):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import harness, tensorflow; "
            "harness.import_framework('tf_keras', threads=3); print(tensorflow.THREADS)")
    out = subprocess.run([sys.executable, "-c", code, str(BENCHMARKS)], capture_output=True, text=True,
                         check=True, env=harness._child_env(0, "tf_keras")).stdout
    assert out.split() == ["[3,", "3]"]  # intra-op and inter-op pools


# -- a whole benchmark script, end to end ------------------------------------------------------------

FAKE_SCRIPT = """
    import sys
    sys.path.insert(0, {benchmarks!r})
    from harness import Case, main

    RATES = {{"numkeras": 3.0, "tf_keras": 6.0}}

    def fake_keras(config, keras):
        return {{"samples_per_s": RATES[keras.__name__] * config["scale"], "train_s": 1.0}}

    def fake_torch(config):
        return {{"samples_per_s": 2.0 * config["scale"]}}

    CASES = [Case("fake", "a fake workload", "samples_per_s", {{"keras": fake_keras, "torch": fake_torch}},
                  config={{"scale": 1.0}}, quick_config={{"scale": 10.0}})]

    if __name__ == "__main__":
        main("fake", CASES)
"""


def test_a_benchmark_script_writes_every_framework_s_numbers_and_ratios_as_json(fake_frameworks, tmp_path):
    script = tmp_path / "bench_fake.py"
    script.write_text(textwrap.dedent(FAKE_SCRIPT.format(benchmarks=str(BENCHMARKS))))
    out = tmp_path / "fake.json"
    printed = subprocess.run(
        [sys.executable, str(script), "--repeats", "2", "--quick", "--threads", "1", "--json", str(out),
         "--frameworks", "numkeras,torch,tf_keras,keras3", "--framework-python", f"tf_keras,keras3={sys.executable}"],
        capture_output=True, text=True, check=True, env=harness._child_env(0)).stdout
    assert "note: keras3" in printed
    results = json.loads(out.read_text())
    assert results["benchmark"] == "fake" and results["repeats"] == 2 and results["quick"] is True
    assert set(results["frameworks"]) == {"numkeras", "torch", "tf_keras"}
    assert results["pythons"]["tf_keras"] == sys.executable
    assert results["machine"]["threads"] == 1
    assert set(results["cases"]) == {"import", "fake"}
    assert set(results["cases"]["import"]["results"]) == {"numkeras", "torch", "tf_keras"}
    fake = results["cases"]["fake"]
    assert fake["config"] == {"scale": 10.0} and fake["metric"] == "samples_per_s"
    assert fake["lower_is_better"] is False
    expected = {"numkeras": 30.0, "torch": 20.0, "tf_keras": 60.0}
    for framework, rate in expected.items():
        numbers = fake["results"][framework]
        assert numbers["samples_per_s"] == {"median": rate, "min": rate, "max": rate, "runs": [rate, rate]}
        assert numbers["peak_rss_mb"]["median"] > 0
    assert fake["numkeras_over_torch"] == pytest.approx(1.5)
    assert fake["tf_keras_over_torch"] == pytest.approx(3.0)
    assert fake["tf_keras_over_torch_paired"]["runs"] == pytest.approx([3.0, 3.0])
    assert "tf_keras / torch = 3.000" in printed


# -- medians, ratios, spreads, verdicts --------------------------------------------------------------

def _runs(values, metric="samples_per_s"):
    return [{metric: value} for value in values]


def test_ratios_are_of_the_medians_with_the_spread_of_the_same_round_ratios():
    entry = harness._collect("c", "d", "samples_per_s",
                             {"numkeras": _runs([10.0, 12.0, 11.0]), "torch": _runs([8.0, 10.0, 9.0])}, {})
    assert entry["results"]["numkeras"]["samples_per_s"]["median"] == 11.0
    assert entry["numkeras_over_torch"] == pytest.approx(11.0 / 9.0)
    paired = entry["numkeras_over_torch_paired"]
    assert paired["runs"] == pytest.approx([10 / 8, 12 / 10, 11 / 9])
    assert (paired["min"], paired["max"]) == pytest.approx((1.2, 1.25))


def test_a_slower_median_whose_rounds_straddle_1_is_noise_not_slower():
    plain = _runs([10.0, 10.0, 10.0])
    entry = harness._collect("c", "d", "samples_per_s",
                             {"numkeras": plain, "numkeras-mkl": _runs([9.5, 10.5, 9.8]),
                              "numkeras-numba": _runs([9.0, 9.5, 9.9])}, {})
    noisy, slower = entry["over_plain"]["numkeras-mkl"], entry["over_plain"]["numkeras-numba"]
    assert noisy["ratio"] < 1 and (noisy["verdict"], noisy["slower"]) == ("noise", False)
    assert (slower["verdict"], slower["slower"]) == ("worse", True)
    text = harness._format(entry, ["numkeras", "numkeras-mkl", "numkeras-numba"])
    assert ("numkeras-mkl / numkeras = 0.980, per round 0.950-1.050  "
            "(not slower: the rounds straddle 1: within the noise)") in text
    assert ("numkeras-numba / numkeras = 0.950, per round 0.900-0.990  "
            "(SLOWER than plain numkeras in every round)") in text


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(50, 200), st.integers(50, 200)), min_size=1, max_size=7),
       cost=st.booleans())
def test_slower_means_slower_in_every_round_of_several(pairs, cost):
    metric = "step_us" if cost else "samples_per_s"
    variant, plain = [a for a, _ in pairs], [b for _, b in pairs]
    entry = harness._collect("c", "d", metric, {"numkeras": _runs(plain, metric),
                                                "numkeras-mkl": _runs(variant, metric)}, {})
    row = entry["over_plain"]["numkeras-mkl"]
    assert row["ratio"] == pytest.approx(statistics.median(variant) / statistics.median(plain))
    worse_each_round = all(a > b for a, b in pairs) if cost else all(a < b for a, b in pairs)
    better_each_round = all(a < b for a, b in pairs) if cost else all(a > b for a, b in pairs)
    several = len(pairs) > 1
    assert row["slower"] == (several and worse_each_round)
    assert (row["verdict"] == "better") == (several and better_each_round)


def test_the_warm_up_covers_the_last_partial_batch_shape():
    assert harness._warmup_size(8000, 128, 8) == 8 * 128 + 8000 % 128
    assert harness._warmup_size(640, 32, 2) == 64
    assert harness._warmup_size(50, 32, 2) == 50


# -- one Keras-API model per workload, whatever the Keras ---------------------------------------------

class _RecordingKeras:
    """A stand-in Keras module: records every layer, model and optimizer made through it, and passes
    the call on to ``real`` (another Keras module) when given, returning what that made."""

    def __init__(self, real=None):
        self.calls, self._real = [], real
        self.layers = self._namespace("layers")
        self.models = self._namespace("models")
        self.optimizers = self._namespace("optimizers")
        self.utils = self._namespace("utils")

    def _namespace(self, kind):
        recorder = self

        class Namespace:
            def __getattr__(self, name):
                def make(*args, **kwargs):
                    recorder.calls.append((kind, name, _plain(args), _plain(kwargs)))
                    if recorder._real is None:
                        return _FakeObject(recorder, name)
                    made = getattr(getattr(recorder._real, kind), name)(*args, **kwargs)
                    if kind == "models":
                        made.compile = recorder._compiler(name, made.compile)
                    return made
                return make

        return Namespace()

    def _compiler(self, name, compile):
        def recorded(**kwargs):
            self.calls.append(("compile", name, (), _plain(kwargs)))
            return compile(**kwargs)
        return recorded


class _FakeObject:
    def __init__(self, recorder, name):
        self._recorder, self.name = recorder, name

    def compile(self, **kwargs):
        self._recorder.calls.append(("compile", self.name, (), _plain(kwargs)))


def _plain(value):
    """Layers and optimizers inside a call's arguments, as the name of what made them."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, _FakeObject) or type(value).__module__.split(".")[0].startswith("numkeras"):
        return type(value).__name__ if not isinstance(value, _FakeObject) else value.name
    return value


def _builders():
    import bench_cnn
    import bench_lstm
    import bench_mlp
    import bench_rnn
    import bench_sweep

    rnn = dict(bench_rnn.SHORT, batches=1)
    return {
        "mlp": bench_mlp._keras_mlp, "tiny": bench_mlp._keras_tiny, "cnn": bench_cnn._keras_cnn,
        "lstm": bench_lstm._keras_lstm,
        "gru": lambda keras: bench_rnn._keras_model(keras, rnn),
        "gru_keras22": lambda keras: bench_rnn._keras_model(keras, dict(rnn, reset_after=False)),
        "simple_rnn": lambda keras: bench_rnn._keras_model(keras, dict(rnn, cell="simple_rnn")),
        "lstm_long": lambda keras: bench_rnn._keras_model(keras, bench_rnn.LONG),
        "sweep_mlp": lambda keras: bench_sweep._keras_model(keras, dict(bench_sweep.MLP, width=64)),
        "sweep_lstm": lambda keras: bench_sweep._keras_model(keras, bench_sweep.LSTM),
    }


@pytest.mark.parametrize("workload", sorted(_builders()))
def test_each_workload_builds_the_same_model_through_any_keras_module(workload):
    import numkeras

    build = _builders()[workload]
    fake, through_numkeras = _RecordingKeras(), _RecordingKeras(real=numkeras)
    build(fake)
    model = build(through_numkeras)
    assert fake.calls == through_numkeras.calls  # the builder touched nothing but the module it was given
    (stacked,), = [args for kind, name, args, _ in fake.calls if (kind, name) == ("models", "Sequential")]
    assert sorted(stacked) == sorted(name for kind, name, _, _ in fake.calls if kind == "layers")
    assert [type(layer).__name__ for layer in model.layers] == stacked
    assert isinstance(model, numkeras.models.Sequential) and model.optimizer is not None


@pytest.mark.parametrize("mkl_on, expected", [(True, "numkeras,numkeras-mkl-numba,torch"),
                                              (False, "numkeras,numkeras-numba,torch")])
def test_the_sweep_measures_what_numkeras_fast_turns_on_here(monkeypatch, mkl_on, expected):
    import bench_sweep

    monkeypatch.setattr(bench_sweep, "framework_available", lambda framework: mkl_on)
    assert bench_sweep.default_frameworks() == expected


# -- compare_revisions: each side runs its own revision ---------------------------------------------

def test_each_side_of_a_comparison_imports_its_own_revision_of_the_compute_plugins(tmp_path):
    """The compute plugins are installed (editable: this checkout's); without their sources on each
    side's path, the base revision ran the head's plugins, and a plugin change measured as none."""
    import os

    import compare_revisions

    checkout = tmp_path / "revision"
    for module, directory in compare_revisions.SOURCE_DIRS.items():
        package = checkout / directory / module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
    path = compare_revisions._pythonpath(checkout)
    for module in compare_revisions.SOURCE_DIRS:
        where = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.__file__)"], text=True,
                               capture_output=True, check=True, env=dict(os.environ, PYTHONPATH=path)).stdout
        assert pathlib.Path(where.strip()).is_relative_to(checkout), (module, where)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_over_two_rounds_a_framework_each_every_framework_runs_in_every_position_twice(count):
    frameworks = [f"fw{i}" for i in range(count)]
    orders = [harness._alternating(frameworks, repeat) for repeat in range(2 * count)]
    for order in orders:
        assert sorted(order) == frameworks
    for fw in frameworks:
        assert sorted(order.index(fw) for order in orders) == sorted(list(range(count)) * 2)
    for first, second in itertools.permutations(frameworks, 2):  # each pair in both orders
        assert any(order.index(first) < order.index(second) for order in orders)
    assert harness._alternating([], 3) == []
