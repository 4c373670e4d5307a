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


def test_check_component_names_every_failing_check_at_once(registered):
    def batch_mean_float32_loss(y_true, y_pred):  # mixes samples and casts float64 to float32
        return K.cast(K.mean(K.square(y_true - y_pred)) + 0 * y_pred[:, 0], "float32")

    registered("losses", "kit_two_bugs", batch_mean_float32_loss)
    with pytest.raises(AssertionError) as caught:
        check_component("losses", "kit_two_bugs", fresh_process=False)
    from numkeras.testing import ConformanceFailures

    assert isinstance(caught.value, ConformanceFailures)
    failed = [name for name, _ in caught.value.failures]
    assert {"check_batch_independence", "check_dtypes_and_shapes"} <= set(failed)
    first, *details = str(caught.value).splitlines()
    assert first.startswith(f"{len(failed)} of ") and "conformance checks failed for loss 'kit_two_bugs': " in first
    assert all(name in first for name in failed)
    assert len(details) == len(failed) and details[0].startswith("  1. check_")
    assert any("found float32" in line for line in details)


class _MaskedMean(numkeras.layers.Layer):
    """The mean over the unmasked steps of (batch, steps, features)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return K.mean(inputs, axis=1)
        weights = K.expand_dims(K.cast(mask, inputs.dtype), -1)
        return K.sum(inputs * weights, axis=1) / K.sum(weights, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


class _IgnoresTheMask(_MaskedMean):
    def call(self, inputs, mask=None):  # the bug: declares masking support, averages the padding too
        return K.mean(inputs, axis=1)


class _PassesTheMaskOn(_MaskedMean):
    def compute_mask(self, inputs, mask=None):  # the bug: the steps axis is gone, the mask is not
        return mask


def test_check_masking_passes_a_masked_mean_and_catches_two_masking_bugs(registered):
    from numkeras.testing import check_masking

    for name, cls in (("KitMaskedMean", _MaskedMean), ("KitIgnoresMask", _IgnoresTheMask),
                      ("KitPassesMaskOn", _PassesTheMaskOn)):
        registered("layers", name, cls)
    check_masking("layers", "KitMaskedMean", input_shape=(4, 2))
    with pytest.raises(ConformanceError, match=r"check_masking failed for layer 'KitIgnoresMask': expected the "
                                               r"output at unmasked steps to ignore the values at masked steps"):
        check_masking("layers", "KitIgnoresMask", input_shape=(4, 2))
    with pytest.raises(ConformanceError, match=r"a \(batch, steps\) mask for the output of shape \(3, 2\); "
                                               r"found a mask of shape \(3, 4\)"):
        check_masking("layers", "KitPassesMaskOn", input_shape=(4, 2))
    with pytest.raises(CheckSkipped, match="no steps axis"):
        check_masking("layers", "KitMaskedMean", input_shape=(4,))
    with pytest.raises(CheckSkipped, match="does not support masking"):
        check_masking("layers", "Conv1D", kwargs={"filters": 2, "kernel_size": 2}, input_shape=(3, 2))
