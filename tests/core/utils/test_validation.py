"""The argument rules: every value is accepted or refused by the rule's own words, with the right error type."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numkeras.utils.validation import (
    ArgumentTypeError, ArgumentValueError, boolean, check, either, instance_of, integer, number, one_of, sequence_of,
)

not_integers = st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.booleans(), st.none(),
                         st.lists(st.integers(), max_size=2), st.just(np.float32(3.0)), st.just(np.bool_(True)))


@given(st.integers(min_value=1, max_value=2 ** 40) | st.integers(1, 100).map(np.int64))
def test_positive_integers_pass(value):
    check("fit", batch_size=(value, integer(minimum=1)))


@given(st.integers(max_value=0))
def test_integers_below_the_minimum_are_value_errors(value):
    with pytest.raises(ArgumentValueError, match=rf"^fit: batch_size must be a positive integer, got {value}\.$"):
        check("fit", batch_size=(value, integer(minimum=1)))


@given(not_integers)
def test_anything_but_an_integer_is_a_type_error_naming_owner_argument_and_value(value):
    with pytest.raises(ArgumentTypeError, match=r"^layer: units must be a positive integer, got "):
        check("layer", units=(value, integer(minimum=1)))


def test_an_integral_float_gets_the_fix():
    with pytest.raises(ArgumentTypeError, match=r"got 250\.0 \(a float\)\. Pass an int: 250\.$"):
        check("fit", batch_size=(250.0, integer(minimum=1)))


def test_optional_allows_none_and_says_so():
    check("fit", steps=(None, integer(minimum=1, optional=True)))
    with pytest.raises(ArgumentValueError, match="steps must be a positive integer or None, got 0"):
        check("fit", steps=(0, integer(minimum=1, optional=True)))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_number_in_half_open_interval(value):
    rule = number(0, 1, high_open=True)
    if math.isfinite(value) and 0 <= value < 1:
        check("fit", validation_split=(value, rule))
    else:
        with pytest.raises(ArgumentValueError, match=r"validation_split must be a number in \[0, 1\)"):
            check("fit", validation_split=(value, rule))


@given(st.one_of(st.integers(-3, 5), st.booleans(), st.text(max_size=6), st.floats(-1, 3)))
def test_one_of_accepts_exactly_its_choices(value):
    rule = one_of(0, 1, 2, True, False, "auto")
    allowed = (isinstance(value, bool) or (type(value) in (int, float) and value in (0, 1, 2)) or value == "auto")
    if allowed:
        check("fit", verbose=(value, rule))
    else:
        with pytest.raises((ArgumentTypeError, ArgumentValueError), match="verbose must be one of 0, 1, 2, True"):
            check("fit", verbose=(value, rule))


def test_one_of_tells_a_wrong_type_from_a_wrong_value():
    with pytest.raises(ArgumentValueError):
        check("fit", shuffle=("yes", one_of(True, False, "batch")))
    with pytest.raises(ArgumentTypeError):
        check("fit", shuffle=(3.5, one_of(True, False, "batch")))


def test_boolean_refuses_truthy_values():
    check("x", flag=(np.bool_(False), boolean()))
    for value in (0, 1, "True", None):
        with pytest.raises(ArgumentTypeError, match="flag must be True or False"):
            check("x", flag=(value, boolean()))


def test_instance_of_tells_a_class_from_an_instance():
    class Thing:
        pass

    check("x", thing=(Thing(), instance_of(Thing, "a Thing")))
    with pytest.raises(ArgumentTypeError, match=r"got the class Thing\. Pass an instance, Thing\(\.\.\.\), not the class"):
        check("x", thing=(Thing, instance_of(Thing, "a Thing")))


@given(st.lists(st.integers(-2, 5), max_size=6))
def test_sequence_of_names_the_first_bad_item(values):
    rule = sequence_of(integer(minimum=1))
    bad = [i for i, v in enumerate(values) if v < 1]
    if not bad:
        check("fit", validation_freq=(values, rule))
    else:
        with pytest.raises(ArgumentValueError, match=rf"Item {bad[0]} is {values[bad[0]]}, not a positive integer"):
            check("fit", validation_freq=(values, rule))


def test_either_takes_any_of_its_rules():
    rule = either(integer(minimum=1), sequence_of(integer(minimum=1)))
    check("fit", validation_freq=(2, rule))
    check("fit", validation_freq=([1, 3], rule))
    with pytest.raises(ArgumentValueError):
        check("fit", validation_freq=(0, rule))
    with pytest.raises(ArgumentTypeError):
        check("fit", validation_freq=("2", rule))
