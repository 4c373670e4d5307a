"""The README and docs/plugins.md say only what is true: their code blocks run.

The ```python blocks of README.md run in order in one namespace (later blocks use
earlier ones' variables), in a temporary directory; the TOML blocks parse and declare
entry points; the set-up commands are the ones .ci/run executes.
"""

import pathlib
import re

import numpy as np
import pytest

import numkeras

from tests.helpers.datasets import mnist_available

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PLUGINS_GUIDE = ROOT / "docs" / "plugins.md"


def code_blocks(path, language):
    return re.findall(rf"^```{language}\n(.*?)^```", path.read_text(), re.MULTILINE | re.DOTALL)


def named_blocks(path, language):
    """``{name: code}`` for the blocks a ``<!-- test: NAME -->`` line right above names."""
    pattern = rf"^<!-- test: ([\w-]+) -->\n```{language}\n(.*?)^```"
    found = re.findall(pattern, path.read_text(), re.MULTILINE | re.DOTALL)
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"{path.name}: a block name is used twice: {names}"
    return dict(found)


GUIDE_BLOCKS_RUN_BY_THE_TESTS = (
    "plugin_module", "usage", "runtime", "shadowing", "hook", "keras1_names", "checked_arguments",
    "layer", "loss", "metric", "optimizer", "kit_usage", "fixtures_usage")



@pytest.fixture
def registrations():
    """Removes runtime registrations the snippets make, so other tests do not see them."""
    made = []
    yield made
    for kind, name in made:
        numkeras.registry.registry(kind).unregister(name)


@pytest.mark.skipif(not mnist_available(), reason="the MNIST t10k files are not on this machine")
def test_readme_python_blocks_run(tmp_path, monkeypatch, registrations, capsys):
    blocks = code_blocks(README, "python")
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    registrations.append(("losses", "focal_loss"))
    namespace = {"__name__": "readme"}
    for index, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md python block {index + 1}", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - re-raised with the block's text
            raise AssertionError(f"README python block {index + 1} failed: {error!r}\n{block}") from error
    output = capsys.readouterr().out
    assert "test accuracy" in output
    assert "deprecated" in output  # the Keras 1 block's warnings name the new spellings
    assert (tmp_path / "my_model.h5").exists()


def test_readme_toml_blocks_declare_entry_points():
    tomllib = pytest.importorskip("tomllib")
    blocks = code_blocks(README, "toml") + code_blocks(PLUGINS_GUIDE, "toml")
    assert blocks
    groups = set()
    for block in blocks:
        data = tomllib.loads(block)
        groups |= set(data.get("project", {}).get("entry-points", {}))
    assert {"numkeras.losses", "numkeras.metrics", "numkeras.layers", "numkeras.plugins"} <= groups


def test_readme_setup_commands_are_what_ci_runs():
    text = README.read_text()
    bash = code_blocks(README, "bash")
    run_line = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python examples/mnist_mlp.py"
    test_line = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert run_line + "\n" in bash[0] and test_line + "\n" in bash[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[test]'" in ci and "-m pytest" in ci
    assert "8,000" in text and "2,000" in text  # the dataset split is stated


def test_plugins_guide_python_blocks_are_all_named_and_tested():
    """Every ```python block of the guide carries a ``<!-- test: NAME -->`` line and a test
    below uses it: a new example cannot go unrun, and moving one does not mistest another."""
    named = named_blocks(PLUGINS_GUIDE, "python")
    assert len(named) == len(code_blocks(PLUGINS_GUIDE, "python"))
    assert set(named) == set(GUIDE_BLOCKS_RUN_BY_THE_TESTS)


def test_plugins_guide_python_blocks_run(registrations, capsys):
    blocks = named_blocks(PLUGINS_GUIDE, "python")
    plugin_module, usage, runtime, shadowing, hook, keras1_names, checked_arguments = (
        blocks[name] for name in
        ("plugin_module", "usage", "runtime", "shadowing", "hook", "keras1_names", "checked_arguments"))
    namespace = {"__name__": "numkeras_focal"}
    exec(compile(plugin_module, "docs/plugins.md block 1", "exec"), namespace)
    # What installing the package would do: its entry points, registered by name.
    for kind, name in (("losses", "focal_loss"), ("metrics", "mean_gap"), ("layers", "Scale")):
        numkeras.registry.registry(kind).register(name, namespace[name])
        registrations.append((kind, name))
    usage_scope = dict(namespace)
    exec(compile(usage, "docs/plugins.md block 2", "exec"), usage_scope)
    model = usage_scope["model"]
    rng = np.random.default_rng(0)
    history = model.fit(rng.random((16, 8)), rng.integers(0, 2, (16, 1)), epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mean_gap"}

    # Block 3 is a script without the package: the package's names are not installed there
    # (registered over them, they would be refused as shadowing another provider).
    for kind, name in (("losses", "focal_loss"), ("metrics", "mean_gap")):
        numkeras.registry.registry(kind).unregister(name)
    runtime_namespace = {"__name__": "notebook", "mean_gap": namespace["mean_gap"]}
    exec(compile(runtime, "docs/plugins.md block 3", "exec"), runtime_namespace)
    assert numkeras.losses.get("focal_loss") is runtime_namespace["focal_loss"]
    built_in_dense = numkeras.layers.Dense
    with pytest.warns(numkeras.registry.ShadowedComponentWarning, match="Dense"):
        exec(compile(shadowing, "docs/plugins.md block 4", "exec"), {"__name__": "notebook"})
    assert numkeras.layers.Dense is built_in_dense
    hook_namespace = {}
    exec(compile(hook, "docs/plugins.md block 5", "exec"), hook_namespace)
    hook_namespace["on_epoch_end"](model, 0, {"loss": 1.0})
    assert "[tracker]" in capsys.readouterr().out
    keras1_namespace = {}
    with pytest.warns(DeprecationWarning) as record:
        exec(compile(keras1_names, "docs/plugins.md block 6", "exec"), keras1_namespace)
    layer = keras1_namespace["layer"]
    assert (layer.units, layer.scale, layer.kernel_initializer) == (3, True, "zeros")
    assert sum("use 'units'" in str(w.message) for w in record) == 1
    checked_namespace = {}
    exec(compile(checked_arguments, "docs/plugins.md block 7", "exec"), checked_namespace)
    scale = checked_namespace["Scale"]
    assert scale(factor=2, repeats=3).repeats == 3
    with pytest.raises(TypeError, match=r"^Scale: repeats must be a positive integer, got 2\.0 \(a float\)\. Pass an int: 2\.$"):
        scale(repeats=2.0)
    with pytest.raises(ValueError, match=r"^Scale: factor must be a number > 0, got -1"):
        scale(factor=-1)


def test_plugins_guide_worked_examples_pass_the_conformance_kit(registrations):
    """The guide's example of each kind, registered under a name, passes the kit it teaches."""
    from numkeras.testing import check_component

    blocks = named_blocks(PLUGINS_GUIDE, "python")
    layer, loss, metric, optimizer, kit_usage = (
        blocks[name] for name in ("layer", "loss", "metric", "optimizer", "kit_usage"))
    namespace = {}
    for i, block in enumerate((layer, loss, metric, optimizer)):
        exec(compile(block, f"docs/plugins.md worked example {i + 1}", "exec"), namespace)
    compile(kit_usage, "docs/plugins.md kit usage", "exec")
    for kind, name, options in (
            ("layers", "Scale", {"kwargs": {"factor": 2.0}, "input_shape": (3,)}),
            ("losses", "focal_loss", {}), ("metrics", "MeanAbsolute", {}), ("optimizers", "SignSGD", {})):
        numkeras.registry.registry(kind).register(f"guide_{name}", namespace[name])
        registrations.append((kind, f"guide_{name}"))
        # fresh_process=False: a runtime registration is unknown to a fresh process, by design.
        check_component(kind, f"guide_{name}", fresh_process=False, **options)


def test_plugins_guide_fixture_example_runs_with_the_plugins_fixtures(tmp_path):
    """The pytest-plugin example, given what its fixtures give and an installed layer for MyLayer."""
    from numkeras.testing.fixtures import FreshProcess, TinyData

    namespace = {"MyLayer": lambda input_shape: numkeras.layers.Dense(4, input_shape=input_shape)}
    exec(compile(named_blocks(PLUGINS_GUIDE, "python")["fixtures_usage"], "docs/plugins.md fixtures", "exec"),
         namespace)
    namespace["test_my_model_loads_by_name"](FreshProcess(tmp_path), TinyData())
