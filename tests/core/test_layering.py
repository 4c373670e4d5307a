"""The core's layering (docs/architecture.md, "Layering") is declared in ``.importlinter``
and checked here, so an upward import or a new import cycle fails the test suite."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _lint_imports():
    if sys.version_info < (3, 11):
        pytest.skip("import-linter 2.17 needs Python 3.11; CI checks the layering on 3.11")
    beside_python = pathlib.Path(sys.executable).with_name("lint-imports")
    executable = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    if executable is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]' brings import-linter")
    return executable


def test_import_contracts_are_kept():
    result = subprocess.run([_lint_imports(), "--config", str(REPO / ".importlinter"), "--no-cache"],
                            cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO / "core") + os.pathsep + str(REPO / "plugins")})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
