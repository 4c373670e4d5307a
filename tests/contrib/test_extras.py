"""contrib/numkeras-extras: installed as a user would, its own tests (the conformance kit and
its formula checks) pass, ``numkeras check-plugin`` passes it, and its example trains."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests.helpers.datasets import mnist_available

from .conftest import CONTRIB, REPO_ROOT, install_contrib, run_python

PACKAGE = pathlib.Path(CONTRIB) / "numkeras-extras"
EXAMPLE = pathlib.Path(REPO_ROOT) / "examples" / "mnist_focal_f1.py"
COMPONENTS = ("binary_focal_loss", "categorical_focal_loss", "BinaryFocalLoss", "CategoricalFocalLoss", "Precision",
              "Recall", "F1Score", "AUC", "gelu", "swish", "mish", "LAMB", "Lookahead", "CosineDecayRestarts",
              "OneCycleLR")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """numkeras-extras pip-installed (not editable, no dependencies) into a throwaway site directory."""
    target = tmp_path_factory.mktemp("extras_site")
    install_contrib(target, "numkeras-extras")
    return target


def _run(args, site, cwd, timeout=900):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), REPO_ROOT]))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=str(cwd),
                          timeout=timeout)


def test_its_own_tests_pass_against_the_installed_copy(site, tmp_path):
    # From a folder outside the source tree, so numkeras_extras (and its entry points) come
    # from the installed copy only.
    result = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(PACKAGE), str(PACKAGE / "tests")],
                  site, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed" not in result.stdout
    passed = int(re.search(r"(\d+) passed", result.stdout).group(1))
    assert passed >= 140, result.stdout[-500:]  # the kit over 15 components, and the formula checks


def test_check_plugin_passes_every_component(site, tmp_path):
    result = _run(["-m", "numkeras.cli", "check-plugin", "numkeras-extras"], site, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    assert {row[0] for row in rows} == set(COMPONENTS)
    assert all(row[3].rstrip(":") in ("pass", "skip") for row in rows), result.stdout
    assert re.match(r"\d+ passed, 0 failed, \d+ skipped$", result.stdout.splitlines()[-1])



@pytest.mark.skipif(not mnist_available(), reason="the MNIST t10k files are not on this machine")
def test_the_example_finds_a_digit_and_its_model_loads_by_name(site, tmp_path):
    saved = tmp_path / "detector.h5"
    result = _run([str(EXAMPLE), "--epochs", "2", "--samples", "2000", "--verbose", "0", "--save", str(saved)],
                  site, tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scores = dict(re.findall(r"^Test (F1|AUC|precision|recall): ([0-9.]+)$", result.stdout, re.MULTILINE))
    assert set(scores) == {"F1", "AUC", "precision", "recall"}, result.stdout
    # 2 epochs on 2,000 images (175 zeros) reach F1 0.89 and AUC 0.99 here (seed 0); the bounds leave room.
    assert float(scores["F1"]) > 0.75 and float(scores["AUC"]) > 0.95, result.stdout
    loaded = run_python(
        "import numkeras\n"
        f"m = numkeras.models.load_model({str(saved)!r})\n"
        "print(type(m.optimizer).__name__, type(m.optimizer.optimizer).__name__, m.metrics_names)\n",
        [site], cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.split()[:2] == ["Lookahead", "Adam"] and "'f1_score'" in loaded.stdout


def test_without_the_plugin_the_example_says_how_to_install_it(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "1"], capture_output=True, text=True,
                            cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=REPO_ROOT), timeout=300)
    assert result.returncode == 1
    assert "needs the numkeras-extras plugin: pip install -e contrib/numkeras-extras" in result.stderr
