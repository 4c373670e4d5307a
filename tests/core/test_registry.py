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


def _from_module(obj, module):
    """``obj`` as if defined in ``module`` (a registration from another module or notebook)."""
    obj.__module__ = module
    return obj


def test_register_refuses_a_name_another_module_registered_naming_both():
    reg = registry_module.registry("losses")
    reg.register("taken_loss", _from_module(lambda t, p: p, "first_module"))
    try:
        with pytest.raises(ComponentConflictError) as info:
            reg.register("taken_loss", _from_module(lambda t, p: t, "second_module"))
        message = str(info.value)
        assert "first_module" in message and "second_module" in message
        assert "override=True" in message and "custom_objects" in message
        assert reg.resolve("taken_loss").__module__ == "first_module"
    finally:
        reg.unregister("taken_loss")


def test_register_refuses_to_shadow_a_built_in_unless_override():
    from numkeras.engine import Layer

    class MyDense(Layer):
        pass

    built_in = numkeras.layers.Dense
    with pytest.raises(ComponentConflictError) as info:
        numkeras.layers.register("Dense", MyDense)
    message = str(info.value)
    assert "'Dense'" in message and "numkeras" in message and "numkeras.layers: Dense =" in message
    assert "MyDense" in message and "override=True" in message
    assert numkeras.layers.Dense is built_in
    try:
        with pytest.warns(registry_module.ShadowedComponentWarning, match="numkeras.layers: Dense ="):
            assert numkeras.layers.register("Dense", MyDense, override=True) is MyDense
        assert numkeras.layers.Dense is MyDense
        assert "numkeras.layers: Dense =" in registry_module.registry("layers").shadowed()["Dense"]
    finally:
        numkeras.layers.unregister("Dense")
    assert numkeras.layers.Dense is built_in
    assert registry_module.registry("layers").shadowed() == {}


def test_registering_again_from_the_same_module_replaces_quietly(recwarn):
    """A notebook cell run twice registers the same name from the same module: no error, no warning."""
    first = lambda t, p: p  # noqa: E731
    second = lambda t, p: t  # noqa: E731
    try:
        numkeras.losses.register("rerun_cell_loss", first)
        assert numkeras.losses.register("rerun_cell_loss", second) is second
        assert numkeras.losses.get("rerun_cell_loss") is second
    finally:
        numkeras.losses.unregister("rerun_cell_loss")
    assert not [w for w in recwarn if issubclass(w.category, registry_module.ShadowedComponentWarning)]


def test_custom_objects_win_for_one_load_without_registering():
    from numkeras.engine import Layer
    from numkeras.models import Sequential, model_from_json

    built_in = numkeras.layers.Dense

    class MyDense(built_in):
        pass

    config = Sequential([built_in(2, input_shape=(3,))]).to_json()
    rebuilt = model_from_json(config, custom_objects={"Dense": MyDense})
    assert type(rebuilt.layers[0]) is MyDense and issubclass(MyDense, Layer)
    assert numkeras.layers.Dense is built_in
    assert type(model_from_json(config).layers[0]) is built_in


@pytest.mark.parametrize("kind, obj, expected", [
    ("losses", "mse", "the string 'mse'"),
    ("layers", dict, "does not subclass numkeras.engine.base_layer:Layer"),
    ("callbacks", print, "a Callback subclass"),
    ("optimizers", 0.1, "float 0.1"),
    ("activations", numkeras, "the module numkeras"),
])
def test_register_refuses_an_object_of_the_wrong_kind(kind, obj, expected):
    with pytest.raises(TypeError, match="wrong_kind_name") as info:
        registry_module.registry(kind).register("wrong_kind_name", obj)
    assert expected in str(info.value)
    assert "wrong_kind_name" not in registry_module.registry(kind).names()


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


def _fake_registry(monkeypatch, entry_points, kind="losses", expects=None):
    reg = Registry(kind, "numkeras.test_group", expects)
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


def test_an_entry_point_of_the_wrong_kind_is_reported_like_a_broken_plugin(monkeypatch):
    """A loss entry point that loads a string, a layer one that loads a non-Layer class."""
    monkeypatch.delenv(registry_module.STRICT_ENV, raising=False)

    class NotALayer:
        pass

    for kind, obj, expected in (("losses", "string_loss", "an alias that resolves to itself"),
                                ("layers", NotALayer, "does not subclass numkeras.engine.base_layer:Layer")):
        reg = _fake_registry(monkeypatch, [
            _FakeEntryPoint("string_loss", "odd_pkg:thing", "odd-dist", lambda obj=obj: obj),
        ], kind=kind, expects=registry_module.REGISTRIES[kind].expects)
        with pytest.warns(registry_module.PluginLoadWarning) as caught:
            with pytest.raises(registry_module.WrongKindError) as info:
                reg.resolve("string_loss")
        for message in (str(info.value), str(caught[0].message)):
            assert "odd-dist" in message and "string_loss = odd_pkg:thing" in message
            assert "wrong kind" in message and expected in message
        assert isinstance(info.value, registry_module.PluginLoadError) and isinstance(info.value, TypeError)
        assert "string_loss" in reg.failures()
        with pytest.warns(registry_module.PluginLoadWarning), pytest.raises(registry_module.WrongKindError):
            reg.resolve("string_loss")  # asked again: still an error, never the object


def test_an_entry_point_of_the_wrong_kind_is_an_error_in_strict_mode(monkeypatch, recwarn):
    monkeypatch.setenv(registry_module.STRICT_ENV, "1")
    reg = _fake_registry(monkeypatch, [
        _FakeEntryPoint("cb", "odd_pkg:cb", "odd-dist", lambda: print),
    ], kind="callbacks", expects=registry_module.REGISTRIES["callbacks"].expects)
    with pytest.raises(registry_module.WrongKindError, match="a Callback subclass"):
        reg.resolve("cb")
    assert not [w for w in recwarn if issubclass(w.category, registry_module.PluginLoadWarning)]


def test_every_built_in_entry_point_is_of_its_kind(recwarn):
    for kind, reg in registry_module.REGISTRIES.items():
        assert reg.expects is not None, kind
        for name in reg.names():
            reg.resolve(name)
    assert not [w for w in recwarn if issubclass(w.category, registry_module.PluginLoadWarning)]


def test_a_registration_hook_that_shadows_a_built_in_is_reported_not_fatal(monkeypatch):
    monkeypatch.delenv(registry_module.STRICT_ENV, raising=False)
    try:
        with pytest.warns(registry_module.PluginLoadWarning, match="'mse'.*numkeras.losses: mse ="):
            registry_module._register_from_hook("losses", "mse", lambda t, p: p)
        registry_module._register_from_hook("losses", "hook_only_loss", lambda t, p: p)
        assert numkeras.losses.get("mse") is registry_module.registry("losses").resolve("mean_squared_error")
        assert numkeras.losses.get("hook_only_loss")
        monkeypatch.setenv(registry_module.STRICT_ENV, "1")
        with pytest.raises(registry_module.PluginLoadError, match="'mse'"):
            registry_module._register_from_hook("losses", "mse", lambda t, p: p)
    finally:
        numkeras.losses.unregister("hook_only_loss")
