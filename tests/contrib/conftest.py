"""Helpers for the contrib distributions' tests: install one into a throwaway site directory."""

import contextlib
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRIB = os.path.join(REPO_ROOT, "contrib")


def pip_install_target(target, *requirements):
    """``pip install --no-deps --target target requirements`` (a throwaway site); returns (ok, output)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-build-isolation", "--target", str(target), *requirements]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return result.returncode == 0, result.stdout + result.stderr


def pip_install(*requirements):
    """``pip install requirements`` into the running environment; returns (ok, output)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return result.returncode == 0, result.stdout + result.stderr


def install_contrib(target, name):
    """Installs ``contrib/<name>`` (no dependencies) into ``target``, or fails the test with pip's output."""
    ok, output = pip_install_target(target, os.path.join(CONTRIB, name))
    if not ok:
        pytest.fail(f"pip could not install contrib/{name}:\n{output}")


def run_python(code, pythonpath, env_updates=None, timeout=120, cwd=None):
    """Runs ``code`` in a fresh interpreter with ``pythonpath`` first on its path (cwd: the first entry)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in pythonpath] + [REPO_ROOT])
    env.update(env_updates or {})
    for name, value in list(env.items()):
        if value is None:
            del env[name]
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=str(cwd or pythonpath[0]))


@contextlib.contextmanager
def elementwise_kernels(table):
    """Within the block numkeras uses ``table`` (``None``: the NumPy references only)."""
    from numkeras.backend import kernels

    previous = kernels.set_kernels(table)
    try:
        yield
    finally:
        kernels.set_kernels(previous)
