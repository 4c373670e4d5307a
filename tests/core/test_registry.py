"""The registries: lookup by name / alias / normalised name, runtime registration, errors."""

import pytest

import numkeras
from numkeras import registry as registry_module
from numkeras.registry import (
    ComponentConflictError, Namespace, Registry, UnknownComponentError, custom_object_scope,
)


def test_every_kind_has_one_registry_on_its_entry_point_group():
    for kind in registry_module.KINDS:
        assert registry_module.registry(kind).group == f"numkeras.{kind}"
    with pytest.raises(ValueError, match="Unknown component kind"):
        registry_module.registry("widgets")


@pytest.mark.parametrize("alias", ["mse", "MSE", "mean_squared_error"])
def test_loss_aliases_resolve_to_one_function(alias):
    assert numkeras.losses.get(alias) is numkeras.losses.get("mean_squared_error")


@pytest.mark.parametrize("spelling", ["ReLU", "RELU", "Relu"])
def test_names_are_matched_ignoring_case_and_underscores_as_a_fallback(spelling):
    assert numkeras.activations.get(spelling) is numkeras.activations.get("relu")


def test_unknown_name_lists_close_matches_and_the_entry_point_group():
    with pytest.raises(UnknownComponentError) as info:
        numkeras.losses.get("mean_sqared_error")
    message = str(info.value)
    assert "'mean_squared_error'" in message
    assert "numkeras.losses" in message
    assert isinstance(info.value, ValueError)


def test_attribute_access_goes_through_the_registry():
    assert numkeras.layers.Dense is registry_module.registry("layers").resolve("Dense")
    with pytest.raises(AttributeError, match="Unknown layer"):
        numkeras.layers.Dnse  # noqa: B018


def test_runtime_registration_as_decorator_and_call():
    def focal(y_true, y_pred):
        return (y_pred - y_true) ** 2

    try:
        decorated = numkeras.losses.register("focal_test_loss")(focal)
        assert decorated is focal
        assert numkeras.losses.get("focal_test_loss") is focal
        numkeras.losses.register("focal_test_loss_2", focal)
        assert numkeras.losses.get("focal_test_loss_2") is focal
        assert numkeras.losses.focal_test_loss is focal
    finally:
        registry_module.registry("losses").unregister("focal_test_loss")
        registry_module.registry("losses").unregister("focal_test_loss_2")


def test_register_without_override_refuses_a_taken_name():
    reg = registry_module.registry("losses")
    reg.register("taken_loss", lambda t, p: p)
    try:
        with pytest.raises(ComponentConflictError, match="already registered"):
            reg.register("taken_loss", lambda t, p: t, override=False)
    finally:
        reg.unregister("taken_loss")


def test_custom_object_scope_wins_and_ends_with_the_block():
    def special(x):
        return x

    with custom_object_scope({"special_activation": special}):
        assert numkeras.activations.get("special_activation") is special
    with pytest.raises(UnknownComponentError):
        numkeras.activations.get("special_activation")


def test_custom_object_scopes_are_per_thread():
    """Two threads inside their own scopes each see their own object and never the other's."""
    import threading

    from numkeras.registry import active_scopes

    both_inside = threading.Barrier(2, timeout=10)
    seen, errors = {}, []

    def worker(label):
        try:
            marker = object()
            with custom_object_scope({"thread_marker": marker}):
                both_inside.wait()  # the other thread's scope is active now too
                resolved = numkeras.registry.registry("activations").resolve("thread_marker")
                seen[label] = (resolved is marker, len(active_scopes()))
                both_inside.wait()
            seen[label] += (active_scopes(),)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(label,)) for label in "ab"]
    with custom_object_scope({"main_only": object()}):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [set(scope) for scope in active_scopes()] == [{"main_only"}]
    assert not errors
    assert seen == {"a": (True, 1, ()), "b": (True, 1, ())}
    assert active_scopes() == ()


def test_one_scope_instance_entered_by_two_threads_at_once():
    import threading

    from numkeras.registry import active_scopes

    shared = custom_object_scope({"shared_name": len})
    both_inside = threading.Barrier(2, timeout=10)
    after, errors = [], []

    def worker():
        try:
            with shared:
                both_inside.wait()
            after.append(active_scopes())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and after == [(), ()]


def test_get_accepts_instances_callables_dicts_and_none():
    sgd = numkeras.optimizers.get("sgd")
    assert numkeras.optimizers.get(sgd) is sgd
    rebuilt = numkeras.optimizers.get({"class_name": "SGD", "config": {"lr": 0.5}})
    assert float(rebuilt.lr.data) == pytest.approx(0.5)
    assert numkeras.losses.get(None) is None
    with pytest.raises(TypeError, match="Could not interpret"):
        numkeras.losses.get(42)


def test_string_identifiers_of_instantiating_kinds_give_instances():
    from numkeras.regularizers import Regularizer

    l1 = numkeras.regularizers.get("l1")
    assert isinstance(l1, Regularizer)
    init = numkeras.initializers.get("glorot_uniform")
    assert init((3, 4)).shape == (3, 4)


def test_provider_names_the_distribution_and_module():
    provider = registry_module.registry("layers").provider("Dense")
    assert provider.distribution == "numkeras"
    assert provider.module == "numkeras_builtins.layers.core"


def test_serialize_roundtrip_uses_registered_names():
    assert numkeras.losses.serialize(numkeras.losses.get("mse")) == "mean_squared_error"
    opt = numkeras.optimizers.get("adam")
    config = numkeras.optimizers.serialize(opt)
    assert config["class_name"] == "Adam"
    assert type(numkeras.optimizers.deserialize(config)) is type(opt)


class _FakeDist:
    def __init__(self, name):
        self.metadata = {"Name": name}
        self.version = "1.0"


class _FakeEntryPoint:
    def __init__(self, name, value, dist, loader):
        self.name, self.value, self.dist = name, value, _FakeDist(dist)
        self.module = value.split(":")[0]
        self._loader = loader

    def load(self):
        return self._loader()


def _fake_registry(monkeypatch, entry_points):
    reg = Registry("losses", "numkeras.test_group")
    monkeypatch.setattr(registry_module.importlib_metadata, "entry_points",
                        lambda group: entry_points if group == "numkeras.test_group" else [])
    return reg


def test_two_distributions_claiming_a_name_is_an_error_naming_both(monkeypatch):
    reg = _fake_registry(monkeypatch, [
        _FakeEntryPoint("dup", "pkg_a:dup", "dist-a", lambda: "A"),
        _FakeEntryPoint("dup", "pkg_b:dup", "dist-b", lambda: "B"),
    ])
    with pytest.raises(ComponentConflictError) as info:
        reg.resolve("dup")
    assert "dist-a" in str(info.value) and "dist-b" in str(info.value)
    reg.choose("dup", "dist-b")
    assert reg.resolve("dup") == "B"


def test_a_broken_plugin_is_reported_and_does_not_break_other_lookups(monkeypatch):
    def broken():
        raise ImportError("no module named 'missing_dependency'")

    reg = _fake_registry(monkeypatch, [
        _FakeEntryPoint("broken", "bad_pkg:broken", "bad-dist", broken),
        _FakeEntryPoint("fine", "good_pkg:fine", "good-dist", lambda: "ok"),
    ])
    monkeypatch.delenv(registry_module.STRICT_ENV, raising=False)
    with pytest.warns(registry_module.PluginLoadWarning, match="bad-dist"):
        with pytest.raises(registry_module.PluginLoadError, match="missing_dependency"):
            reg.resolve("broken")
    assert reg.resolve("fine") == "ok"
    assert "broken" in reg.failures()


def test_strict_mode_makes_a_broken_plugin_an_error_without_warning(monkeypatch):
    reg = _fake_registry(monkeypatch, [
        _FakeEntryPoint("broken", "bad_pkg:broken", "bad-dist", lambda: 1 / 0),
    ])
    monkeypatch.setenv(registry_module.STRICT_ENV, "1")
    with pytest.raises(registry_module.PluginLoadError, match="ZeroDivisionError"):
        reg.resolve("broken")


def test_names_lists_entry_points_without_importing_them(monkeypatch):
    loaded = []
    reg = _fake_registry(monkeypatch, [
        _FakeEntryPoint("lazy", "lazy_pkg:lazy", "lazy-dist", lambda: loaded.append(1) or "x"),
    ])
    assert reg.names() == ["lazy"]
    assert loaded == []


def test_namespace_bind_installs_the_module_surface():
    module = {}
    Namespace("metrics").bind(module)
    assert {"get", "serialize", "deserialize", "register", "choose", "__getattr__"} <= set(module)
