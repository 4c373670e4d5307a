"""numkeras's pytest plugin: fixtures for testing numkeras plugins, inert until a test asks.

Installed with numkeras (entry point ``pytest11``: ``numkeras = numkeras_pytest``), so any
project that has numkeras installed gets these fixtures with no configuration. Nothing
happens until a test requests one: this module defines fixtures only (none autouse, no
hooks, no options) and imports numkeras only inside them, so a project that never uses
them is unaffected (``-p no:numkeras`` turns the plugin off entirely).

Fixtures (details in :mod:`numkeras.testing.fixtures`):

``numkeras_registry``
    A clean registry scope: ``numkeras_registry.register('losses', 'my_loss', fn)``;
    every registration made during the test (by it, or by code it runs) is undone after.
``numkeras_fresh_process``
    A new Python interpreter: ``.predict(model, x)`` saves the model and loads it there
    without ``custom_objects`` (only installed entry points resolve its names) and returns
    its predictions; ``.run(code)`` runs any code there.
``numkeras_tiny_data``
    Small seeded learnable datasets: ``.classification()``, ``.binary()``,
    ``.regression()``, ``.sequences()`` (post-padded, for masking), ``.images()``.
"""

import pytest


@pytest.fixture
def numkeras_registry():
    """A clean registry scope for one test: what it registers is unregistered after."""
    from numkeras.testing.fixtures import RegistryScope

    scope = RegistryScope()
    try:
        yield scope
    finally:
        scope.close()


@pytest.fixture
def numkeras_fresh_process(tmp_path):
    """Runs code, or loads a saved model, in a fresh Python process (files under ``tmp_path``)."""
    from numkeras.testing.fixtures import FreshProcess

    return FreshProcess(tmp_path)


@pytest.fixture
def numkeras_tiny_data():
    """Small, seeded, learnable datasets (seed 0)."""
    from numkeras.testing.fixtures import TinyData

    return TinyData(seed=0)
