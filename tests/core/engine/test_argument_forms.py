"""Every form Keras accepts for an array, dict or list argument of fit / evaluate / train_on_batch.

``class_weight`` (a dict, a list or array indexed by class as scikit-learn's
``compute_class_weight`` returns, per output as a dict by name or a list), ``sample_weight``
(an array, a list, a dict by output name) and ``validation_data`` (``(x, y)``, ``[x, y]``,
``(x, y, sw)``, ``(x, y, None)``, dicts by layer name) each give exactly the result of the
canonical form; other forms are a ValueError / TypeError that names the argument, never
NumPy's "truth value of an array is ambiguous".
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numkeras
from numkeras.layers import Dense, Input
from numkeras.models import Model

rng = np.random.default_rng(0)
X = rng.normal(size=(12, 4)).astype("float32")
LABELS = np.arange(12) % 3
Y = np.eye(3, dtype="float32")[LABELS]
Y2 = rng.normal(size=(12, 1)).astype("float32")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _model(outputs=1):
    numkeras.utils.set_random_seed(1)
    inputs = Input((4,), name="features")
    heads = [Dense(3, activation="softmax", name="classes", kernel_initializer="glorot_uniform")(inputs)]
    losses = ["categorical_crossentropy"]
    if outputs == 2:
        heads.append(Dense(1, name="value")(inputs))
        losses.append("mse")
    model = Model(inputs, heads)
    model.compile(numkeras.optimizers.SGD(lr=0.0), losses)
    return model


def _loss(outputs, **kwargs):
    ys = Y if outputs == 1 else [Y, Y2]
    result = _model(outputs).train_on_batch(X, ys, **kwargs)
    return result if outputs == 1 else result[0]


weights3 = st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3)


def _class_weight_forms(values, outputs):
    """(form, description) pairs that all mean ``{i: values[i]}`` for the 'classes' output."""
    table = {i: w for i, w in enumerate(values)}
    forms = {
        "dict": table,
        "dict with NumPy keys and values": {np.int64(i): np.float32(w) for i, w in table.items()},
        "dict by output name": {"classes": table},
        "list indexed by class": list(values),
        "tuple indexed by class": tuple(values),
        "float64 array": np.asarray(values),
        "float32 array": np.asarray(values, dtype="float32"),
    }
    if outputs == 1:
        forms["one-entry list per output"] = [table]
    else:
        forms["list per output"] = [table, None]
        forms["list per output, array inside"] = [np.asarray(values), None]
        del forms["dict"], forms["dict with NumPy keys and values"]  # those apply to both outputs
        for name in ("list indexed by class", "tuple indexed by class", "float64 array", "float32 array"):
            del forms[name]
    return forms


@SETTINGS
@given(values=weights3, outputs=st.sampled_from([1, 2]), data=st.data())
def test_every_class_weight_form_weights_like_the_dict(values, outputs, data):
    forms = _class_weight_forms(values, outputs)
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    expected = _loss(outputs, class_weight={"classes": {i: float(w) for i, w in enumerate(values)}})
    assert _loss(outputs, class_weight=forms[name]) == pytest.approx(expected, rel=1e-5), name
    # and the weights really apply: per-sample weights of each sample's class give the same loss
    assert _loss(outputs, sample_weight={"classes": np.asarray(values, "float32")[LABELS]}) == \
        pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("form", [None, {}, [], np.array([])], ids=["None", "{}", "[]", "empty array"])
def test_empty_class_weight_is_no_class_weight(form):
    assert _loss(1, class_weight=form) == pytest.approx(_loss(1))


@pytest.mark.parametrize("form, error, message", [
    (np.ones((3, 2)), TypeError, "class_weight"),
    ("balanced", TypeError, "class_weight"),
    (2.0, TypeError, "class_weight"),
    ([{0: 1.0, 1: 1.0, 2: 1.0}] * 3, ValueError, "class_weight is a list of 3 entries, but the model has 2"),
    ({"classes": "balanced"}, TypeError, "class_weight for 'classes'"),
    ([1.0, 2.0], ValueError, r"classes \[2\]"),
    ({"classes": {0: 1.0}}, ValueError, r"classes \[1, 2\] exist in the targets of 'classes'"),
])
def test_wrong_class_weight_forms_are_clear_errors(form, error, message):
    with pytest.raises(error, match=message):
        _model(2).fit(X, [Y, Y2], class_weight=form, verbose=0)


@SETTINGS
@given(values=st.lists(st.floats(0.0, 3.0), min_size=12, max_size=12).filter(lambda v: sum(v) > 0),
       outputs=st.sampled_from([1, 2]), data=st.data())
def test_every_sample_weight_form_weights_like_the_array(values, outputs, data):
    array = np.asarray(values, dtype="float32")
    one = {"classes": array}
    every = one if outputs == 1 else {"classes": array, "value": array}
    forms = {  # form -> what it means, per output
        "float32 array": (array, every), "float64 array": (array.astype("float64"), every),
        "dict by output name": (one, one),
    }
    if outputs == 1:
        forms.update({"list": (list(values), one), "one-entry list per output": ([array], one)})
    else:
        forms.update({"list per output": ([array, None], one), "list per output, list inside":
                      ([list(values), None], one)})
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    form, meaning = forms[name]
    assert _loss(outputs, sample_weight=form) == pytest.approx(_loss(outputs, sample_weight=meaning), rel=1e-5), name


@pytest.mark.parametrize("form, message", [
    (np.ones((12, 1)), "sample_weight array with shape"),
    (np.ones(5), "sample_weight has 5 entries but x has 12 samples"),
    (np.array(["a"] * 12), "sample_weight for output 'classes' must be an array of numbers"),
    ({"nope": np.ones(12)}, "not outputs of the model"),
])
def test_wrong_sample_weight_forms_are_clear_errors(form, message):
    with pytest.raises((ValueError, TypeError), match=message):
        _model().fit(X, Y, sample_weight=form, verbose=0)


def _val_loss(validation_data, outputs=1):
    ys = Y if outputs == 1 else [Y, Y2]
    history = _model(outputs).fit(X, ys, validation_data=validation_data, epochs=1, verbose=0, shuffle=False)
    return history.history["val_loss"][0]


@SETTINGS
@given(data=st.data())
def test_every_validation_data_form_evaluates_like_the_tuple(data):
    sw = np.linspace(0.5, 2.0, 12).astype("float32")
    by_name_x, by_name_y = {"features": X}, {"classes": Y}
    forms = {
        "(x, y)": ((X, Y), (X, Y)),
        "[x, y]": ([X, Y], (X, Y)),
        "(x, y, None)": ((X, Y, None), (X, Y)),
        "([x], [y])": (([X], [Y]), (X, Y)),
        "dicts by name": ((by_name_x, by_name_y), (X, Y)),
        "(x, y, sw)": ((X, Y, sw), (X, Y, sw)),
        "[x, y, sw list]": ([X, Y, list(sw)], (X, Y, sw)),
        "(x, y, {name: sw})": ((X, Y, {"classes": sw}), (X, Y, sw)),
    }
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    form, canonical = forms[name]
    assert _val_loss(form) == pytest.approx(_val_loss(canonical), rel=1e-6), name


@pytest.mark.parametrize("form", [(X,), (X, Y, None, None), np.stack([X[:, :3], Y]), "data"],
                         ids=["1-tuple", "4-tuple", "array", "string"])
def test_wrong_validation_data_forms_are_clear_errors(form):
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        _model().fit(X, Y, validation_data=form, verbose=0)
