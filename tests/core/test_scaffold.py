"""``numkeras new-plugin`` writes a distribution whose own pytest passes once installed, and
``numkeras check-plugin`` reports on it (and fails on a broken copy), end to end."""

import os
import pathlib
import subprocess
import sys

import pytest

from numkeras import cli
from numkeras.scaffold import new_plugin
from tests.helpers.distributions import install

ALL_KINDS = ["layer", "loss", "metric", "optimizer", "activation", "callback", "hook"]


def _run(args, site, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaffold")
    good = new_plugin("nk-scaffold-demo", ALL_KINDS, directory=root)
    broken = new_plugin("nk-scaffold-broken", ["layer"], directory=root)
    source = broken / "nk_scaffold_broken" / "__init__.py"
    text = source.read_text()
    assert '"factor": self.factor}' in text
    source.write_text(text.replace('"factor": self.factor}', "}"))  # the config loses an argument
    return good, install(root / "site", [good, broken])


def test_the_written_plugin_passes_its_own_pytest(installed):
    project, site = installed
    result = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], site, project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_check_plugin_prints_a_row_per_component_and_check(installed):
    project, site = installed
    result = _run(["-m", "numkeras.cli", "check-plugin", "nk-scaffold-demo"], site, project.parent)
    assert result.returncode == 0, result.stdout[-3000:]
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["NkScaffoldDemoScale", "layers", "check_gradients", "pass"] for line in lines)
    assert any(line.split()[:4] == ["nk_scaffold_demo_swish", "activations", "check_saving", "pass"]
               for line in lines)
    assert any(line.split()[:3] == ["NkScaffoldDemoEpochPrinter", "callbacks", "check_callback_hooks"]
               for line in lines)
    assert "0 failed" in lines[-1]


def test_check_plugin_fails_naming_the_component(installed):
    project, site = installed
    result = _run(["-m", "numkeras.cli", "check-plugin", "nk-scaffold-broken"], site, project.parent)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "check_config_round_trip failed for layer 'NkScaffoldBrokenScale'" in result.stdout
    assert "factor missing" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("failing: NkScaffoldBrokenScale")


def test_check_plugin_on_an_unknown_distribution(capsys):
    assert cli.main(["check-plugin", "nk-no-such-distribution"]) == 2
    assert "no installed distribution named 'nk-no-such-distribution'" in capsys.readouterr().out


def test_the_written_pyproject_declares_every_entry_point_and_its_own_pytest_root(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    root = new_plugin("nk-toml", ALL_KINDS, directory=tmp_path)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    groups = data["project"]["entry-points"]
    assert set(groups) == {"numkeras.layers", "numkeras.losses", "numkeras.metrics", "numkeras.optimizers",
                           "numkeras.activations", "numkeras.callbacks", "numkeras.plugins"}
    assert groups["numkeras.plugins"] == {"nk_toml": "nk_toml.hooks"}


def test_new_plugin_refuses_an_unknown_kind_and_an_existing_folder(tmp_path):
    with pytest.raises(ValueError, match="unknown kind"):
        new_plugin("nk-x", ["layer", "widget"], directory=tmp_path)
    new_plugin("nk-x", ["loss"], directory=tmp_path)
    with pytest.raises(ValueError, match="already exists"):
        new_plugin("nk-x", ["loss"], directory=tmp_path)


@pytest.mark.slow
def test_the_written_plugin_installs_editable_in_a_fresh_venv_and_passes_pytest(tmp_path):
    """What the README of the scaffold says, literally: ``pip install -e .`` then ``pytest``.

    The venv is new; it sees this environment's packages (numkeras, numpy, pytest,
    setuptools) through a ``.pth`` file after its own, so pip needs no network (``--no-deps
    --no-build-isolation``), but the plugin itself is installed by pip, editable.
    """
    import site
    import sysconfig

    project = new_plugin("nk-fresh-venv", ALL_KINDS, directory=tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    venv_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    # addsitedir, not a bare path: the editable numkeras is itself a .pth in our site-packages.
    (pathlib.Path(venv_site) / "numkeras_test_env.pth").write_text(
        "".join(f"import site; site.addsitedir({path!r})\n" for path in sorted(ours)))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                              "--disable-pip-version-check", "-e", str(project)],
                             capture_output=True, text=True, env=env, timeout=600)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    where = subprocess.run([str(python), "-c", "import nk_fresh_venv; print(nk_fresh_venv.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.stdout.strip() == str(project / "nk_fresh_venv" / "__init__.py"), where.stderr
    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], capture_output=True,
                           text=True, env=env, cwd=project, timeout=900)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
