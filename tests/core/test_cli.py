"""The ``numkeras`` command: ``summary FILE`` and ``plugins``."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from numkeras import cli
from numkeras.layers import Dense, Lambda
from numkeras.models import Sequential
from tests.helpers.distributions import install, write_distribution

GOOD = '''\
from numkeras.layers import Layer


class Doubler(Layer):
    def call(self, inputs):
        return inputs * 2.0
'''

# Claims the built-in name 'Dense' (a clash with numkeras) and declares two entry points
# that load the wrong kind of object.
ODD = '''\
from numkeras.layers import Layer


class Dense(Layer):
    pass


class NotALayer:
    pass


NOT_A_LOSS = "mse"
'''

BROKEN = 'raise ImportError("No module named \'tensorflow_addons\' (needed by nk-cli-broken)")\n'

DISTRIBUTIONS = {
    "nk-cli-good": ("nk_cli_good", "0.7", GOOD, {"numkeras.layers": {"Doubler": "nk_cli_good:Doubler"}}),
    "nk-cli-odd": ("nk_cli_odd", "0.3", ODD, {
        "numkeras.layers": {"Dense": "nk_cli_odd:Dense", "NotALayer": "nk_cli_odd:NotALayer"},
        "numkeras.losses": {"not_a_loss": "nk_cli_odd:NOT_A_LOSS"},
    }),
    "nk-cli-broken": ("nk_cli_broken", "0.2", BROKEN, {
        "numkeras.losses": {"broken_loss": "nk_cli_broken:broken_loss"},
        "numkeras.plugins": {"broken_hooks": "nk_cli_broken"},
    }),
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_plugins")
    projects = [write_distribution(root, name, *spec) for name, spec in DISTRIBUTIONS.items()]
    return install(root / "site", projects)


def _run(*args, site=None, autoload=False):
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    if autoload:
        env.pop("NUMKERAS_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run([sys.executable, "-m", "numkeras.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def _model_file(tmp_path):
    model = Sequential([Dense(4, activation="relu", input_dim=3, name="hidden"), Dense(2, name="head")])
    model.compile("adam", "mse", metrics=["mae"])
    path = tmp_path / "model.h5"
    model.save(path)
    return model, path


def test_summary_of_a_model_file(tmp_path, capsys):
    _, path = _model_file(tmp_path)
    assert cli.main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Written by: numkeras" in out
    assert "hidden (Dense)" in out and "(None, 4)" in out and "Total params: 26" in out
    assert "optimizer: Adam(" in out and "loss: \"mse\"" in out and "metrics: [\"mae\"]" in out


def test_summary_of_a_weights_file(tmp_path, capsys):
    model, _ = _model_file(tmp_path)
    model.save_weights(tmp_path / "w.h5")
    assert cli.main(["summary", str(tmp_path / "w.h5")]) == 0
    out = capsys.readouterr().out
    assert "Weights file" in out and "hidden/kernel:0" in out and "(3, 4)" in out and "Total params: 26" in out


def test_summary_errors_are_one_line_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"garbage" * 20)
    assert cli.main(["summary", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.h5" in err and "not an HDF5 file" in err and "Traceback" not in err
    assert cli.main(["summary", str(tmp_path / "missing.h5")]) == 1
    assert "missing.h5" in capsys.readouterr().err


def test_summary_of_a_lambda_model_needs_unsafe(tmp_path, capsys):
    model = Sequential([Dense(2, input_dim=3), Lambda(lambda t: t + 1.0)])
    model.save(tmp_path / "lambda.h5")
    assert cli.main(["summary", str(tmp_path / "lambda.h5")]) == 1
    assert "--unsafe" in capsys.readouterr().err
    assert cli.main(["summary", "--unsafe", str(tmp_path / "lambda.h5")]) == 0
    assert "(Lambda)" in capsys.readouterr().out


def test_plugins_lists_builtins_with_their_distribution(capsys):
    assert cli.main(["plugins"]) == 0
    out = capsys.readouterr().out
    dense = next(line for line in out.splitlines() if line.split()[:1] == ["Dense"])
    assert "numkeras" in dense and "numkeras_builtins" in dense
    for kind in ("layers", "losses", "metrics", "optimizers", "activations", "initializers", "callbacks"):
        assert f"\n{kind} (" in "\n" + out
    assert "failed to load: none" in out


def test_plugins_says_what_computes_the_matrix_products(capsys):
    from numkeras.backend import blas

    previous = blas.set_gemm(None)
    try:
        assert cli.main(["plugins"]) == 0
        assert "matrix products: numpy.matmul (NumPy's BLAS)" in capsys.readouterr().out

        def kernel(a, b, out):
            return None

        blas.set_gemm(kernel)
        assert cli.main(["plugins", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["matrix_products"] == f"the kernel of {__name__}"
    finally:
        blas.set_gemm(previous)


def test_plugins_says_what_computes_the_elementwise_kernels(capsys):
    from numkeras.backend import kernels

    previous = kernels.set_kernels(None)
    try:
        assert cli.main(["plugins"]) == 0
        assert "elementwise kernels: NumPy\n" in capsys.readouterr().out

        def col2im(cols, image, strides, dilation):
            return None

        kernels.set_kernels({"col2im": col2im})
        assert cli.main(["plugins", "--json"]) == 0
        described = json.loads(capsys.readouterr().out)["elementwise_kernels"]
        assert described == (f"col2im from {__name__}; NumPy: bias_relu, relu_grad, relu_grad_sums, axpy, adam_update, "
                             "adadelta_update, lstm_cell, lstm_cell_grad, lstm_sequence, lstm_sequence_grad, gru_cell, "
                             "gru_sequence, max_pool, max_pool_grad, window_max, im2col, conv3x3")
    finally:
        kernels.set_kernels(previous)


@pytest.mark.slow
def test_plugins_reports_third_party_components_and_failures(plugin_site):
    result = _run("plugins", "--json", site=plugin_site, autoload=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    doubler = next(e for e in report["components"]["layers"] if e["name"] == "Doubler")
    assert (doubler["distribution"], doubler["version"], doubler["module"]) == ("nk-cli-good", "0.7", "nk_cli_good")
    failures = {(f["kind"], f["name"]): f for f in report["failures"]}
    broken = failures[("losses", "broken_loss")]
    assert broken["distribution"] == "nk-cli-broken" and "tensorflow_addons" in broken["reason"]
    assert "tensorflow_addons" in failures[("hook plugin", "broken_hooks")]["reason"]
    for name, expected in (("NotALayer", "Layer subclass"), ("not_a_loss", "the string 'mse'")):
        wrong = failures[("layers" if name == "NotALayer" else "losses", name)]
        assert wrong["distribution"] == "nk-cli-odd" and "wrong kind" in wrong["reason"]
        assert expected in wrong["reason"] and f"{name} = nk_cli_odd:" in wrong["entry_point"]
    # A name two distributions claim is listed, with both, instead of vanishing.
    dense = next(e for e in report["components"]["layers"] if e["name"] == "Dense")
    assert [c["distribution"] for c in dense["claimed_by"]] == ["numkeras", "nk-cli-odd"] or \
        [c["distribution"] for c in dense["claimed_by"]] == ["nk-cli-odd", "numkeras"]
    assert [(c["kind"], c["name"]) for c in report["conflicts"]] == [("layers", "Dense")]
    text = _run("plugins", site=plugin_site, autoload=True).stdout
    assert "nk-cli-good 0.7" in text and "failed to load (4)" in text and "broken_loss" in text
    assert "names claimed by several distributions (1):" in text
    assert "layers Dense:" in text and "numkeras.layers.choose('Dense', '<distribution>')" in text
    filtered = json.loads(_run("plugins", "--json", "--kind", "layers", "--distribution", "nk-cli-odd",
                               site=plugin_site, autoload=True).stdout)
    assert list(filtered["components"]) == ["layers"]
    assert [e["name"] for e in filtered["components"]["layers"]] == ["Dense"]
    assert [(f["kind"], f["name"]) for f in filtered["failures"]] == [("layers", "NotALayer")]


def test_plugins_shows_a_shadowed_name_and_filters(capsys):
    import warnings

    import numkeras
    from numkeras.engine import Layer

    class Dense(Layer):
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numkeras.layers.register("Dense", Dense, override=True)
    try:
        assert cli.main(["plugins", "--kind", "layers"]) == 0
        out = capsys.readouterr().out
        assert "losses (" not in out and "layers (" in out
        row = next(line for line in out.splitlines() if line.strip().startswith("Dense "))
        assert "registered at runtime" in row and __name__ in row and "shadows numkeras" in row
        assert "shadowed names (1):" in out and "numkeras.layers: Dense = numkeras_builtins" in out
        assert cli.main(["plugins", "--json", "--distribution", "numkeras", "--kind", "layers"]) == 0
        report = json.loads(capsys.readouterr().out)
        names = [e["name"] for e in report["components"]["layers"]]
        assert "Dense" not in names and "Conv2D" in names  # the runtime Dense is no distribution's
    finally:
        numkeras.layers.unregister("Dense")
    assert cli.main(["plugins", "--kind", "layers"]) == 0
    assert "shadowed names (0): none" in capsys.readouterr().out


def test_console_script(tmp_path):
    script = shutil.which("numkeras", path=os.path.dirname(sys.executable)) or shutil.which("numkeras")
    if script is None:
        pytest.skip("the numkeras console script is not installed in this environment")
    _, path = _model_file(tmp_path)
    result = subprocess.run([script, "summary", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "hidden (Dense)" in result.stdout
    assert subprocess.run([script], capture_output=True, text=True, timeout=60).returncode == 2
