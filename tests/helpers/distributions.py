"""Throwaway plugin distributions for tests: written as a third party would, installed with pip.

A distribution is a ``pyproject.toml`` declaring entry points plus one package whose
``__init__.py`` is the given source. :func:`install` pip-installs several into one
``--target`` directory; a subprocess with that directory on ``PYTHONPATH`` then
discovers them through importlib metadata, exactly as after ``pip install``.
"""

import importlib.util
import subprocess
import sys

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "A throwaway numkeras plugin written by the test suite"

[tool.setuptools]
packages = ["{package}"]
{entry_points}"""


def write_distribution(root, name, package, version, source, entry_points):
    """Writes a distribution under ``root / name``.

    Arguments:
        entry_points: ``{group: {entry point name: "module:attribute"}}``.

    Returns:
        The project directory.
    """
    project = root / name
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text(source)
    sections = "".join(
        f'\n[project.entry-points."{group}"]\n' + "".join(f'{k} = "{v}"\n' for k, v in names.items())
        for group, names in entry_points.items()
    )
    (project / "pyproject.toml").write_text(
        PYPROJECT.format(name=name, version=version, package=package, entry_points=sections))
    return project


def install(site, projects):
    """``pip install --no-deps --no-build-isolation --target site`` of ``projects``; returns ``site``."""
    missing = [m for m in ("setuptools", "wheel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(
            f"Building the test plugin distributions needs {' and '.join(missing)} in this environment "
            f"(pip --no-build-isolation uses the installed build backend); install numkeras[test]."
        )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(site), *map(str, projects)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"pip install failed:\n{result.stdout}\n{result.stderr}"
    return site
