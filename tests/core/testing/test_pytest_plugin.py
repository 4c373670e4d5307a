"""numkeras's pytest plugin (``numkeras_pytest``, entry point ``pytest11``), run by pytester.

Each test writes a plugin author's test file and runs pytest on it: the fixtures do what
they say, and the plugin does nothing at all for tests that do not ask for them.
"""

import importlib_metadata
import pytest

pytest_plugins = ("pytester",)


def test_numkeras_declares_the_plugin_as_a_pytest11_entry_point():
    (entry_point,) = [ep for ep in importlib_metadata.entry_points(group="pytest11") if ep.name == "numkeras"]
    assert entry_point.value == "numkeras_pytest" and entry_point.dist.metadata["Name"] == "numkeras"


def test_a_project_that_asks_for_nothing_gets_nothing(pytester):
    """Loaded, but numkeras is never imported and no fixture runs unless requested."""
    pytester.makepyfile(test_plain='''
        import sys

        def test_numkeras_untouched(request, pytestconfig):
            assert pytestconfig.pluginmanager.hasplugin("numkeras")
            assert not [m for m in sys.modules if m == "numkeras" or m.startswith("numkeras.")]
            assert not [f for f in request.fixturenames if f.startswith("numkeras")]
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    off = pytester.runpytest_subprocess("-p", "no:numkeras", "--fixtures")
    assert "numkeras_registry" not in off.stdout.str()
    on = pytester.runpytest_subprocess("--fixtures")
    assert "numkeras_registry" in on.stdout.str() and "numkeras_tiny_data" in on.stdout.str()


def test_the_registry_scope_undoes_what_a_test_registers(pytester):
    pytester.makepyfile(test_scope='''
        import numkeras
        from numkeras import backend as K
        from numkeras.layers import Dense


        def half_mse(y_true, y_pred):
            return 0.5 * K.mean(K.square(y_true - y_pred), axis=-1)


        class Logged(Dense):
            pass


        def test_registers(numkeras_registry):
            assert numkeras_registry.register("loss", "pt_half_mse", half_mse) is half_mse
            numkeras.losses.register("pt_direct", half_mse)          # not through the fixture
            numkeras_registry.register("layers", "Dense", Logged, override=True)
            assert numkeras.losses.get("pt_half_mse") is half_mse and numkeras.layers.Dense is Logged


        def test_after_it_nothing_is_left():
            reg = numkeras.registry.registry("losses")
            assert "pt_half_mse" not in reg and "pt_direct" not in reg
            assert numkeras.layers.Dense is not Logged and numkeras.layers.Dense.__name__ == "Dense"
            assert numkeras.registry.registry("layers").shadowed() == {}
    ''')
    result = pytester.runpytest("-p", "no:randomly", "-W", "ignore::numkeras.registry.ShadowedComponentWarning")
    result.assert_outcomes(passed=2)


def test_the_fresh_process_loads_an_installed_plugin_by_name_and_refuses_a_runtime_one(pytester):
    pytester.makepyfile(test_fresh='''
        import numpy as np
        import pytest
        import numkeras
        from numkeras.layers import Dense, Layer


        class RuntimeOnly(Layer):
            def call(self, inputs):
                return inputs * 2.0


        def test_built_ins_load_by_name(numkeras_fresh_process, numkeras_tiny_data):
            x, y = numkeras_tiny_data.classification(samples=8)
            model = numkeras.Sequential([Dense(3, input_shape=(4,), activation="softmax")])
            there = numkeras_fresh_process.predict(model, x)
            np.testing.assert_allclose(there, model.predict(x), rtol=1e-6)
            out = numkeras_fresh_process.run("import sys; print('numkeras' in sys.modules)").stdout
            assert out.strip() == "False"


        def test_a_runtime_registration_is_unknown_there(numkeras_fresh_process, numkeras_registry):
            numkeras_registry.register("layers", "PtRuntimeOnly", RuntimeOnly)
            model = numkeras.Sequential([RuntimeOnly(input_shape=(4,))])
            with pytest.raises(AssertionError, match="did not load in a fresh process.*PtRuntimeOnly"):
                numkeras_fresh_process.predict(model, np.ones((2, 4), "float32"))
            with pytest.raises(AssertionError, match="exited with status 3"):
                numkeras_fresh_process.run("raise SystemExit(3)")
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_tiny_data_is_seeded_shaped_and_learnable(pytester):
    pytester.makepyfile(test_data='''
        import numpy as np
        import numkeras
        from numkeras.layers import Dense, LSTM, Masking


        def test_shapes_and_seed(numkeras_tiny_data):
            x, y = numkeras_tiny_data.classification(samples=10, features=5, classes=4)
            assert x.shape == (10, 5) and y.shape == (10, 4) and np.all(y.sum(axis=1) == 1)
            again, _ = type(numkeras_tiny_data)(seed=0).classification(samples=10, features=5, classes=4)
            np.testing.assert_array_equal(x, again)
            assert numkeras_tiny_data.binary(samples=6)[1].shape == (6, 1)
            assert numkeras_tiny_data.regression(outputs=2)[1].shape == (32, 2)
            images, labels = numkeras_tiny_data.images(samples=4, size=6, channels=2)
            assert images.shape == (4, 6, 6, 2) and labels.shape == (4, 2)
            x, y, lengths = numkeras_tiny_data.sequences(samples=6, steps=4)
            assert x.shape == (6, 4, 3) and lengths.min() >= 1
            for sample, length in zip(x, lengths):
                assert np.all(sample[length:] == 0) and np.all(np.any(sample[:length] != 0, axis=1))


        def test_classification_is_learnable(numkeras_tiny_data):
            numkeras.utils.set_random_seed(0)
            x, y = numkeras_tiny_data.classification(samples=64)
            model = numkeras.Sequential([Dense(3, input_shape=(4,), activation="softmax")])
            model.compile(numkeras.optimizers.Adam(lr=0.05), "categorical_crossentropy", metrics=["acc"])
            history = model.fit(x, y, epochs=60, batch_size=16, verbose=0).history
            assert history["acc"][-1] > 0.8 and history["loss"][-1] < history["loss"][0]
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
