"""examples/mnist_mlp.py: the Keras mnist_mlp network must reach >= 95% test accuracy."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from numkeras.datasets import mnist

from tests.helpers.datasets import mnist_available

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"



pytestmark = pytest.mark.skipif(not mnist_available(), reason="the MNIST t10k files are not on this machine")


def _run(*args, timeout):
    env = dict(os.environ, NUMKERAS_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                            env=env, timeout=timeout)
    assert result.returncode == 0, f"{SCRIPT.name} failed:\n{result.stdout}\n{result.stderr}"
    match = re.search(r"^Test accuracy: ([0-9.]+)$", result.stdout, re.MULTILINE)
    assert match, f"no 'Test accuracy:' line in the output:\n{result.stdout}"
    return float(match.group(1)), result.stdout


def _split_on_this_machine():
    """What mnist.load_data() gives here: Keras's file, or the t10k fallback that warns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x_train, _), (x_test, _) = mnist.load_data()
    fallback = any(issubclass(w.category, mnist.MnistSplitWarning) for w in caught)
    return len(x_train), len(x_test), fallback


def test_one_epoch_smoke_run():
    accuracy, output = _run("--epochs", "1", "--verbose", "0", timeout=300)
    n_train, n_test, fallback = _split_on_this_machine()
    described = "the first 8,000 / last 2,000 of the MNIST t10k set" if fallback else "Keras's mnist.npz"
    assert f"{n_train} train samples, {n_test} test samples ({described})" in output
    assert "Total params: 669,706" in output
    assert accuracy > 0.85


def _example_module():
    spec = importlib.util.spec_from_file_location("mnist_mlp_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fallback", [True, False])
def test_the_script_names_the_split_that_load_data_used(monkeypatch, fallback):
    """The description follows load_data's MnistSplitWarning, not a fixed sentence."""
    example = _example_module()
    images = np.zeros((6, 28, 28), dtype="uint8")
    labels = np.arange(6, dtype="uint8")

    def load_data():
        if fallback:
            warnings.warn("the t10k split", mnist.MnistSplitWarning)
        return (images, labels), (images[:2], labels[:2])

    monkeypatch.setattr(example.mnist, "load_data", load_data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the example swallows only the split warning it reports
        (x_train, y_train), (x_test, _), split = example.load_data()
    assert x_train.shape == (6, 784) and y_train.shape == (6, 10) and x_test.shape == (2, 784)
    assert split == ("the first 8,000 / last 2,000 of the MNIST t10k set" if fallback else "Keras's mnist.npz")


@pytest.mark.slow
def test_full_run_reaches_95_percent():
    """The real job: 20 epochs, progress printed every epoch, >= 95% on the last 2,000 images."""
    accuracy, output = _run(timeout=1800)
    epoch_lines = re.findall(r"^Epoch \d+/20", output, re.MULTILINE)
    assert len(epoch_lines) == 20, output
    assert accuracy >= 0.95, output
