"""examples/mnist_mlp.py: the Keras mnist_mlp network must reach >= 95% test accuracy."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from numkeras.datasets import mnist

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"


def _data_available():
    try:
        mnist.load_data()
    except (OSError, ValueError):
        return False
    return True


pytestmark = pytest.mark.skipif(not _data_available(), reason="the MNIST t10k files are not on this machine")


def _run(*args, timeout):
    env = dict(os.environ, NUMKERAS_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                            env=env, timeout=timeout)
    assert result.returncode == 0, f"{SCRIPT.name} failed:\n{result.stdout}\n{result.stderr}"
    match = re.search(r"^Test accuracy: ([0-9.]+)$", result.stdout, re.MULTILINE)
    assert match, f"no 'Test accuracy:' line in the output:\n{result.stdout}"
    return float(match.group(1)), result.stdout


def test_one_epoch_smoke_run():
    accuracy, output = _run("--epochs", "1", "--verbose", "0", timeout=300)
    assert "8000 train samples, 2000 test samples" in output
    assert "Total params: 669,706" in output
    assert accuracy > 0.85


@pytest.mark.slow
def test_full_run_reaches_95_percent():
    """The real job: 20 epochs, progress printed every epoch, >= 95% on the last 2,000 images."""
    accuracy, output = _run(timeout=1800)
    epoch_lines = re.findall(r"^Epoch \d+/20", output, re.MULTILINE)
    assert len(epoch_lines) == 20, output
    assert accuracy >= 0.95, output
