"""``numkeras new-plugin``: writes a ready plugin distribution, one example component per kind.

The distribution has a ``pyproject.toml`` declaring the entry points, a package with the
components, a README and ``tests/test_conformance.py``, which runs the conformance kit
(``numkeras.testing.parametrize_with_checks``) over every component. ``pip install -e .``
followed by ``pytest`` passes as written. Names are prefixed with the project's, so
that they shadow no built-in and no other plugin.
"""

import pathlib
import re
import textwrap

KINDS = ("layer", "loss", "metric", "optimizer", "activation", "callback", "hook")
_GROUPS = {"layer": "numkeras.layers", "loss": "numkeras.losses", "metric": "numkeras.metrics",
           "optimizer": "numkeras.optimizers", "activation": "numkeras.activations",
           "callback": "numkeras.callbacks", "hook": "numkeras.plugins"}

_IMPORTS = {
    "layer": "from numkeras.layers import Layer",
    "metric": "from numkeras.metrics import Metric",
    "optimizer": "from numkeras.optimizers import Optimizer",
    "callback": "from numkeras.callbacks import Callback",
    "hook": "from numkeras.hooks import hookimpl",
}

# kind -> (entry-point name template, attribute template, source template)
_COMPONENTS = {
    "layer": ("{Prefix}Scale", "{Prefix}Scale", '''
        class {Prefix}Scale(Layer):
            """Multiplies each feature by a trainable weight and a fixed ``factor``."""

            conformance_example = {{"kwargs": {{"factor": 2.0}}, "input_shape": (3,)}}

            def __init__(self, factor=1.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = float(factor)

            def build(self, input_shape):
                self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")
                super().build(input_shape)

            def call(self, inputs):
                return inputs * self.scale * self.factor

            def compute_output_shape(self, input_shape):
                return input_shape

            def get_config(self):
                # every constructor argument, or it is lost when a saved model is loaded
                return {{**super().get_config(), "factor": self.factor}}
        '''),
    "loss": ("{prefix}_half_squared_error", "{prefix}_half_squared_error", '''
        def {prefix}_half_squared_error(y_true, y_pred):
            """One value per sample: half the mean squared error over the last axis."""
            return 0.5 * K.mean(K.square(y_pred - y_true), axis=-1)
        '''),
    "metric": ("{Prefix}MeanAbsoluteError", "{Prefix}MeanAbsoluteError", '''
        class {Prefix}MeanAbsoluteError(Metric):
            """The mean absolute error over every value seen since the last reset."""

            def __init__(self, name="{prefix}_mean_absolute_error", dtype=None):
                super().__init__(name=name, dtype=dtype)
                self.total = self.add_weight("total", dtype="float64")  # add_weight: reset_states resets it
                self.count = self.add_weight("count", dtype="float64")

            def update_state(self, y_true, y_pred, sample_weight=None):
                error = np.abs(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))
                self.total.data[...] += error.sum()
                self.count.data[...] += error.size

            def result(self):
                count = float(self.count.data)
                return K.constant(float(self.total.data) / count if count else 0.0, dtype=self.dtype)
        '''),
    "optimizer": ("{Prefix}SignSGD", "{Prefix}SignSGD", '''
        class {Prefix}SignSGD(Optimizer):
            """Moves each weight by ``lr`` against the sign of its gradient."""

            default_lr = 0.01

            def update_step(self, param, grad, slots, lr):
                param.data -= lr * np.sign(grad)
        '''),
    "activation": ("{prefix}_swish", "{prefix}_swish", '''
        def {prefix}_swish(x):
            """``x * sigmoid(x)``."""
            return x * K.sigmoid(x)
        '''),
    "callback": ("{Prefix}EpochPrinter", "{Prefix}EpochPrinter", '''
        class {Prefix}EpochPrinter(Callback):
            """Prints the loss after each epoch."""

            def on_epoch_end(self, epoch, logs=None):
                print(f"epoch {{epoch}}: loss {{(logs or {{}}).get('loss')}}")
        '''),
    "hook": ("{prefix}", "hooks", None),
}

_HOOKS = '''\
"""Hook implementations: every fit, evaluate and predict in the process sees these."""

from numkeras.hooks import hookimpl


@hookimpl
def on_train_end(model, logs):
    print(f"[{name}] {{model.name}} finished training: {{logs}}")
'''

_TEST = '''\
"""The numkeras conformance kit over every component of {name}."""

from numkeras.testing import parametrize_with_checks

COMPONENTS = [
{rows}]


@parametrize_with_checks(COMPONENTS)
def test_conformance(component, check):
    check(component)
'''

_HOOK_TEST = '''

def test_the_hooks_match_numkeras_hookspecs():
    import pluggy
    import numkeras.hooks

    from {package} import hooks

    manager = pluggy.PluginManager("numkeras")
    manager.add_hookspecs(numkeras.hooks.hookspecs)
    manager.register(hooks)  # pluggy refuses an unknown hook or argument name
    manager.check_pending()
'''


def _names(name):
    package = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not package or package[0].isdigit():
        raise ValueError(f"new-plugin: {name!r} does not make a Python package name; start it with a letter.")
    prefix_class = "".join(part.capitalize() for part in package.split("_"))
    return package, package, prefix_class


def new_plugin(name, kinds, directory="."):
    """Writes the distribution ``name`` under ``directory / name``; returns its path.

    Raises:
        ValueError: an unknown kind, a name that makes no package name, or an existing folder.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"new-plugin: unknown kind(s) {', '.join(unknown)}; expected some of {', '.join(KINDS)}.")
    package, prefix, Prefix = _names(name)  # noqa: N806 - the class-name prefix
    root = pathlib.Path(directory) / name
    if root.exists():
        raise ValueError(f"new-plugin: {root} already exists; choose another name or remove it.")
    (root / package).mkdir(parents=True)
    (root / "tests").mkdir()
    imports = ["import numpy as np", "", "from numkeras import backend as K"]
    imports += sorted({_IMPORTS[k] for k in kinds if k in _IMPORTS and k != "hook"})
    sources, entry_points, rows = [], {}, []
    for kind in kinds:
        ep_name, attribute, source = (t.format(prefix=prefix, Prefix=Prefix) if t else t for t in _COMPONENTS[kind])
        if kind == "hook":
            (root / package / "hooks.py").write_text(_HOOKS.format(name=name))
            entry_points.setdefault(_GROUPS[kind], {})[ep_name] = f"{package}.hooks"
            continue
        sources.append(textwrap.dedent(source).strip("\n"))
        entry_points.setdefault(_GROUPS[kind], {})[ep_name] = f"{package}:{attribute}"
        rows.append(f"    ({_GROUPS[kind].split('.')[1]!r}, {ep_name!r}),\n")
    module = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(sources) + "\n"
    (root / package / "__init__.py").write_text(f'"""{name}: numkeras components."""\n\n' + module)
    test = _TEST.format(name=name, rows="".join(rows)) if rows else '"""Tests of {name}."""\n'.format(name=name)
    if "hook" in kinds:
        test += _HOOK_TEST.format(package=package)
    (root / "tests" / "test_conformance.py").write_text(test)
    groups = "".join(f'\n[project.entry-points."{group}"]\n' + "".join(f'{k} = "{v}"\n' for k, v in names.items())
                     for group, names in entry_points.items())
    (root / "pyproject.toml").write_text(_PYPROJECT.format(name=name, package=package) + groups)
    (root / "README.md").write_text(_README.format(name=name, package=package, kinds=", ".join(kinds)))
    return root


_PYPROJECT = '''\
[build-system]
requires = ["setuptools>=64", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
description = "numkeras components"
requires-python = ">=3.9"
# The numkeras API your components use; raise the lower bound when you use something newer.
dependencies = ["numkeras>=0.1"]

[project.optional-dependencies]
test = ["pytest>=7"]

[tool.setuptools]
packages = ["{package}"]

# Its own pytest configuration, so that pytest run here never picks up an enclosing project's.
[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_README = '''\
# {name}

numkeras components ({kinds}), registered through entry points: after
`pip install {name}` they are usable by name (`numkeras.layers.<Name>`,
`loss="<name>"` …) and a saved model that uses them loads without `custom_objects`.

## Develop

    pip install -e '.[test]'
    pytest                       # the numkeras conformance kit over every component
    numkeras check-plugin {name}  # the same checks, as a table

Change a component's entry-point name in `pyproject.toml` and reinstall (`pip install -e .`)
for the new name to be seen. Publish with `python -m build` (a wheel and an sdist); see
numkeras's docs/plugins.md, "Publishing".
'''
