"""The `fast` extra: numkeras ships its two compute plugins, on when their libraries import, silently off otherwise.

From a checkout (the editable install the tests run in) and from a built wheel (slow):
the entry points, the extra's requirements, the plugins switching themselves on in a
fresh process, the one-line notice of the first Numba compile and the cache that
spares the next process from compiling, and what ``numkeras plugins`` says.
"""

import importlib.metadata
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

from .conftest import REPO_ROOT, run_python

ROOT = pathlib.Path(REPO_ROOT)
PLUGINS = {"mkl": "numkeras_mkl", "numba": "numkeras_numba"}


def _fresh(code, tmp_path, **env):
    """Runs ``code`` in a fresh interpreter with hook plugins autoloaded (the suite turns that off)."""
    updates = {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None, "NUMKERAS_CACHE_DIR": str(tmp_path / "cache"), **env}
    return run_python(code, [tmp_path], updates, timeout=300, cwd=tmp_path)


def test_the_installed_distribution_declares_the_plugins_and_the_extra():
    distribution = importlib.metadata.distribution("numkeras")
    points = {ep.name: ep.value for ep in distribution.entry_points if ep.group == "numkeras.plugins"}
    assert points == PLUGINS
    assert "fast" in (distribution.metadata.get_all("Provides-Extra") or [])
    fast = [r for r in distribution.requires or [] if 'extra == "fast"' in r]
    assert {r.split(";")[0].split(">")[0].strip() for r in fast} == {"mkl", "cffi", "numba"}


ACTIVE = """
import warnings
warnings.simplefilter("error")
from numkeras.backend import blas, kernels
import numkeras_mkl, numkeras_numba
print("GEMM", blas.get_gemm() is numkeras_mkl.kernel())
table = kernels.get_kernels()
print("NUMBA", table.get("bias_relu") is numkeras_numba.bias_relu, "AXPY", table.get("axpy") is not None)
"""


@pytest.mark.skipif(importlib.util.find_spec("numba") is None or importlib.util.find_spec("cffi") is None,
                    reason="the test extra installs numba, mkl and cffi")
def test_with_the_libraries_installed_a_fresh_process_uses_both_plugins(tmp_path):
    result = _fresh(ACTIVE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "GEMM True" in result.stdout and "NUMBA True AXPY True" in result.stdout


SWITCHED_OFF = """
from numkeras.backend import blas
print("GEMM", blas.get_gemm())
from numkeras.cli import main
main(["plugins"])
"""


@pytest.mark.skipif(importlib.util.find_spec("cffi") is None, reason="the test extra installs mkl and cffi")
def test_numkeras_mkl_0_switches_the_onemkl_plugin_off_in_a_fresh_process(tmp_path):
    result = _fresh(SWITCHED_OFF, tmp_path, NUMKERAS_MKL="0")
    assert result.returncode == 0, result.stderr
    assert "GEMM None" in result.stdout and "off: NUMKERAS_MKL=0" in result.stdout
    assert "matrix products: numpy.matmul" in result.stdout


OFF = """
import sys, warnings
for name in ("numba", "cffi", "mkl"):
    sys.modules[name] = None  # as in an environment without the fast extra
warnings.simplefilter("error")
import numkeras_mkl
numkeras_mkl.library_path = lambda: None  # no libmkl_rt either
from numkeras.backend import blas, kernels
print("GEMM", blas.get_gemm(), "KERNELS", kernels.get_kernels())
from numkeras.cli import main
main(["plugins"])
"""


def test_without_the_libraries_the_plugins_are_silently_off(tmp_path):
    result = _fresh(OFF, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "GEMM None KERNELS {}" in result.stdout
    assert "Warning" not in result.stderr and "compiling" not in result.stderr
    assert "compute plugin mkl (numkeras" in result.stdout and "compute plugin numba (numkeras" in result.stdout
    assert result.stdout.count("off:") == 2 and "numkeras[fast]" in result.stdout


COMPILE = """
import numpy as np
import numkeras_numba
from numkeras.cli import main
g = np.ones(1 << 19)
assert numkeras_numba.relu_grad(g, g > 0) is not None  # compiles (or loads) the relu_grad loop for float64
main(["plugins"])
"""


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="the test extra installs numba")
def test_only_the_first_process_compiles_and_it_says_so_in_one_line(tmp_path):
    first = _fresh(COMPILE, tmp_path)
    assert first.returncode == 0, first.stderr
    notices = [line for line in first.stderr.splitlines() if "compiling the Numba kernels" in line]
    assert len(notices) == 1 and str(tmp_path / "cache") in notices[0]
    assert any(line.split() == ["relu_grad", "compiled", "(float64)"] for line in first.stdout.splitlines())
    cache = tmp_path / "cache" / "numba"
    assert any("relu_grad" in path.name for path in cache.rglob("*.nbi")), list(cache.rglob("*"))
    written = {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb[ic]")}

    second = _fresh(COMPILE, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "compiling" not in second.stderr
    # Numba loaded the machine code from the cache: nothing was compiled and written again.
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb[ic]")} == written
    listing = _fresh("from numkeras.cli import main; main(['plugins'])", tmp_path)
    assert any(line.split()[:4] == ["relu_grad", "cached", "on", "disk"] for line in listing.stdout.splitlines())


@pytest.mark.slow
def test_a_built_wheel_ships_the_plugins_and_the_extra(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("numkeras-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"numkeras_mkl/__init__.py", "numkeras_numba/__init__.py", "numkeras_numba/_loops.py",
                "numkeras_numba/_cache.py"} <= names
        assert not [n for n in names if n.startswith("build/")]  # contrib's build/ folders are no packages
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
        metadata = archive.read(info.replace("entry_points.txt", "METADATA")).decode()
    assert "[numkeras.plugins]\nmkl = numkeras_mkl\nnumba = numkeras_numba" in entry_points
    assert "Provides-Extra: fast" in metadata and 'numba>=0.57; extra == "fast"' in metadata

    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    # The wheel's numkeras first on the path; numba, mkl and cffi from this environment.
    code = "import numkeras_mkl, numkeras_numba, numkeras\nprint('FROM', numkeras.__file__)\n" + ACTIVE
    result = run_python(code, [site], {"NUMKERAS_DISABLE_PLUGIN_AUTOLOAD": None,
                                       "NUMKERAS_CACHE_DIR": str(tmp_path / "cache")}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"FROM {site}" in result.stdout
    assert "GEMM True" in result.stdout and "NUMBA True AXPY True" in result.stdout
