"""check_component and parametrize_with_checks: what they run, how they report."""

import numpy as np
import pytest

import numkeras
from numkeras import backend as K
from numkeras.testing import (
    CheckSkipped, ConformanceError, check_batch_independence, check_component, parametrize_with_checks,
)


@pytest.fixture
def registered():
    names = []

    def register(kind, name, obj):
        getattr(numkeras, kind).register(name, obj)
        names.append((kind, name))
        return obj

    yield register
    for kind, name in names:
        getattr(numkeras, kind).unregister(name)


def test_check_component_passes_a_good_loss_and_reports_each_check(registered):
    def half_mse(y_true, y_pred):
        return 0.5 * K.mean(K.square(y_true - y_pred), axis=-1)

    registered("losses", "kit_half_mse", half_mse)
    results = check_component("loss", "kit_half_mse", fresh_process=False)
    assert ("check_gradients", "pass", "") in results
    assert {name for name, status, _ in results if status == "pass"} >= {
        "check_config_round_trip", "check_dtypes_and_shapes", "check_batch_independence", "check_training",
        "check_saving", "check_determinism"}


def test_a_failure_names_the_check_the_component_and_what_was_found(registered):
    def batch_mean_loss(y_true, y_pred):  # one value for the whole batch: mixes samples
        return K.mean(K.square(y_true - y_pred)) + 0 * y_pred[:, 0]

    registered("losses", "kit_batch_mean", batch_mean_loss)
    with pytest.raises(AssertionError) as caught:
        check_component("losses", "kit_batch_mean", fresh_process=False)
    message = str(caught.value)
    assert "check_batch_independence failed for loss 'kit_batch_mean'" in message
    assert "expected sample 0's output in a batch of 3 to equal its output alone; found" in message
    with pytest.raises(ConformanceError) as single:
        check_batch_independence("losses", "kit_batch_mean")
    assert single.value.check == "check_batch_independence" and single.value.component == "loss 'kit_batch_mean'"


def test_an_unregistered_component_fails_registration():
    def lonely(y_true, y_pred):
        return K.mean(y_pred, axis=-1)

    with pytest.raises(AssertionError, match="check_registration failed .* under no name"):
        check_component("losses", lonely, fresh_process=False)


def test_a_check_that_does_not_apply_is_skipped_with_its_reason():
    with pytest.raises(CheckSkipped, match="does not apply"):
        check_batch_independence("optimizers", "SGD")
    with pytest.raises(CheckSkipped, match="my reason"):
        check_batch_independence("activations", "relu", skip={"check_batch_independence": "my reason"})


def test_parametrize_with_checks_gives_each_check_its_own_id():
    mark = parametrize_with_checks([("activations", "tanh"), numkeras.layers.Dense(2, input_shape=(3,))])
    ids = [p.id for p in mark.args[1]]
    assert "activation:tanh-check_gradients" in ids and "layer:Dense-check_training" in ids
    assert "activation:tanh-check_training" in ids and "activation:tanh-check_callback_hooks" not in ids
    assert len(ids) == len(set(ids))


@parametrize_with_checks([numkeras.layers.Dense(2, input_shape=(3,)), ("activations", "softsign")])
def test_parametrize_with_checks_runs_in_pytest(component, check):
    check(component)


def test_an_instance_gives_its_arguments_and_input_shape():
    from numkeras.testing import Component

    component = Component("layers", numkeras.layers.Dense(5, input_shape=(7,)))
    assert component.input_shape == (7,) and component.build().units == 5
    assert np.asarray(component.example_inputs(batch=2)).shape == (2, 7)
