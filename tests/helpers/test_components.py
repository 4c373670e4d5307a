"""A function's config round trip fails when another function comes back."""

import pytest

from numkeras import activations
from tests.helpers.components import assert_config_roundtrip


def _rebuild_as(monkeypatch, function):
    monkeypatch.setattr(activations, "deserialize", lambda *args, **kwargs: function)


def test_another_registered_function_fails(monkeypatch):
    _rebuild_as(monkeypatch, activations.get("relu"))
    with pytest.raises(AssertionError, match="'tanh' rebuilt as"):
        assert_config_roundtrip("activations", activations.get("tanh"))


def test_a_same_named_function_with_other_values_fails(monkeypatch):
    def tanh(x):
        return activations.get("tanh")(x) * 2

    _rebuild_as(monkeypatch, tanh)
    with pytest.raises(AssertionError, match="other values"):
        assert_config_roundtrip("activations", activations.get("tanh"))


def test_a_same_named_function_with_the_same_values_passes(monkeypatch):
    original = activations.get("tanh")

    def tanh(x):
        return original(x)

    _rebuild_as(monkeypatch, tanh)
    assert assert_config_roundtrip("activations", original) is tanh
