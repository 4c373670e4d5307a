"""Test-suite-wide setup: isolation from the machine's plugins and a clean global state per test.

* ``NUMKERAS_DISABLE_PLUGIN_AUTOLOAD=1`` is set before numkeras is imported, so hook
  plugins (entry-point group ``numkeras.plugins``) that happen to be installed on the
  machine are not picked up. Tests that want a plugin install it on purpose (see
  ``tests/core/test_plugins.py``). Subprocesses started by tests inherit the setting.
* ``NUMKERAS_NO_DOWNLOAD=1``: the dataset loaders never download (a test of the download
  path removes it and serves the bytes from a local file).
* ``NUMKERAS_MKL=1``: the oneMKL plugin (``contrib/numkeras-mkl``) is on whatever the CPU, so
  that its products are tested on every machine (by default it is off on non-Intel CPUs;
  the tests of that choice unset it).
* Every test starts with ``K.floatx() == 'float32'``, the default epsilon, image data
  format and learning phase, and fresh layer-name counters (``K.clear_session()``).
* ``floatx64``: a fixture that makes ``K.floatx()`` ``'float64'`` for one test.
"""

import os
import pathlib
import sys

os.environ["NUMKERAS_DISABLE_PLUGIN_AUTOLOAD"] = "1"
os.environ["NUMKERAS_NO_DOWNLOAD"] = "1"  # no test downloads a dataset; download tests unset it
os.environ["NUMKERAS_MKL"] = "1"  # oneMKL's products tested on any CPU; tests of the CPU choice unset it

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # so `from tests.helpers import ...` works under plain `pytest` too
    sys.path.insert(0, str(REPO_ROOT))

import pytest  # noqa: E402

from numkeras import backend as K  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_numkeras_state():
    """float32, default epsilon / data format / learning phase, fresh layer names, before and after."""
    K.set_floatx("float32")
    K.set_epsilon(1e-7)
    K.set_image_data_format("channels_last")
    K.set_learning_phase(0)
    K.clear_session()
    yield
    K.set_floatx("float32")
    K.set_epsilon(1e-7)
    K.set_image_data_format("channels_last")
    K.set_learning_phase(0)
    K.clear_session()


@pytest.fixture
def floatx64():
    """``K.floatx()`` is ``'float64'`` for the duration of the test."""
    K.set_floatx("float64")
    yield "float64"
    K.set_floatx("float32")
