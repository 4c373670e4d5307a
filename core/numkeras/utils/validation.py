"""Checks for the arguments of the public API, in one place that plugins reuse for their own.

A rule says what one argument may be; :func:`check` applies rules to arguments and
raises an error that names the owner, the argument, what is allowed and what was
given, before anything changes::

    check("fit", batch_size=(2.5, integer(minimum=1, optional=True)))
    TypeError: fit: batch_size must be a positive integer or None, got 2.5 (a float).

The wrong type is a ``TypeError``, a value out of range a ``ValueError`` (both
subclassed as :class:`ArgumentTypeError` / :class:`ArgumentValueError`). A plugin
checks its constructor the same way::

    from numkeras.utils.validation import check, integer, number
    check(type(self).__name__, units=(units, integer(minimum=1)), rate=(rate, number(0, 1, high_open=True)))
"""

import numbers

import numpy as np


class ArgumentTypeError(TypeError):
    """An argument of the wrong type (a float where an int belongs, a class where an instance does)."""


class ArgumentValueError(ValueError):
    """An argument of the right type but out of range or not among the allowed values."""


class Rule:
    """What one argument may be.

    Arguments:
        describe: the words for what is allowed ("a positive integer").
        type_ok: ``value -> bool``: the value has an acceptable type.
        value_ok: ``value -> bool``: a value of that type is in range (default: any).
        hint: ``value -> str or None``: a fix to suggest for a particular wrong value.
        optional: ``None`` is allowed too.
    """

    def __init__(self, describe, type_ok, value_ok=None, hint=None, optional=False):
        self.describe = describe + (" or None" if optional else "")
        self.type_ok, self.value_ok, self.hint, self.optional = type_ok, value_ok, hint, optional

    def error(self, value):
        """The exception class for ``value``, or None when the value is allowed."""
        if value is None and self.optional:
            return None
        if not self.type_ok(value):
            return ArgumentTypeError
        if self.value_ok is not None and not self.value_ok(value):
            return ArgumentValueError
        return None

    def __or__(self, other):
        return either(self, other)


def check(owner, **arguments):
    """Checks every ``name=(value, rule)``; raises on the first argument a rule does not allow.

    Raises:
        ArgumentTypeError / ArgumentValueError: naming ``owner``, the argument, what is
            allowed and the value given (and a fix, where the rule knows one).
    """
    for name, (value, rule) in arguments.items():
        error = rule.error(value)
        if error is not None:
            raise error(message(owner, name, value, rule))


def message(owner, name, value, rule):
    """``"owner: name must be <rule>, got <value> (<its type>). <hint>"``."""
    text = f"{owner}: {name} must be {rule.describe}, got {describe_value(value)}."
    hint = rule.hint(value) if rule.hint is not None else None
    return f"{text} {hint}" if hint else text


def describe_value(value):
    """A short description of ``value`` for an error message: its repr, and its type where that helps."""
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if value is None or type(value) in (int, str):
        return text
    kind = {bool: "a bool", float: "a float"}.get(type(value), f"a {type(value).__name__}")
    return f"{text} ({kind})"


# -- rules ---------------------------------------------------------------------------------
def is_integer(value):
    """An int or NumPy integer, not a bool."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value):
    """A real number (int, float, NumPy scalar), not a bool."""
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _integral_float_hint(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"Pass an int: {int(value)}."
    return None


def integer(minimum=None, maximum=None, optional=False):
    """An integer in ``[minimum, maximum]`` (either bound may be None)."""
    if minimum == 1 and maximum is None:
        words = "a positive integer"
    elif minimum == 0 and maximum is None:
        words = "a non-negative integer"
    elif maximum is None:
        words = f"an integer >= {minimum}" if minimum is not None else "an integer"
    else:
        words = f"an integer in [{minimum}, {maximum}]" if minimum is not None else f"an integer <= {maximum}"

    def in_range(value):
        return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)

    return Rule(words, is_integer, in_range, _integral_float_hint, optional)


def number(minimum=None, maximum=None, low_open=False, high_open=False, optional=False):
    """A finite real number between the bounds (closed unless ``low_open`` / ``high_open``)."""
    low = "(" if low_open else "["
    high = ")" if high_open else "]"
    if minimum is not None and maximum is not None:
        words = f"a number in {low}{minimum}, {maximum}{high}"
    elif minimum is not None:
        words = f"a number {'>' if low_open else '>='} {minimum}"
    elif maximum is not None:
        words = f"a number {'<' if high_open else '<='} {maximum}"
    else:
        words = "a finite number"

    def in_range(value):
        value = float(value)
        if not np.isfinite(value):
            return False
        if minimum is not None and (value < minimum or (low_open and value == minimum)):
            return False
        return maximum is None or not (value > maximum or (high_open and value == maximum))

    return Rule(words, is_number, in_range, None, optional)


def one_of(*choices, optional=False):
    """One of ``choices``; a bool matches only a bool choice (``True`` is not ``1`` here)."""
    words = "one of " + ", ".join(repr(c) for c in choices)

    def same(value, choice):
        if isinstance(choice, bool) or isinstance(value, (bool, np.bool_)):
            return isinstance(choice, bool) and isinstance(value, (bool, np.bool_)) and bool(value) == choice
        if is_number(choice):
            return is_number(value) and value == choice
        return type(value) is type(choice) and value == choice

    def type_ok(value):
        return any(isinstance(value, (bool, np.bool_)) if isinstance(choice, bool) else
                   (is_number(value) if is_number(choice) else type(value) is type(choice)) for choice in choices)

    return Rule(words, type_ok, lambda value: any(same(value, choice) for choice in choices), None, optional)


def boolean(optional=False):
    """``True`` or ``False`` (NumPy bools too)."""
    return Rule("True or False", lambda value: isinstance(value, (bool, np.bool_)), None, None, optional)


def instance_of(classes, words, optional=False):
    """An instance of ``classes``; a class given instead gets the hint "pass X(), not X"."""
    classes = classes if isinstance(classes, tuple) else (classes,)

    def hint(value):
        if isinstance(value, type) and issubclass(value, classes):
            return f"Pass an instance, {value.__name__}(...), not the class itself."
        return None

    return Rule(words, lambda value: isinstance(value, classes), None, hint, optional)


def sequence_of(rule, words=None, non_empty=False, optional=False):
    """A list or tuple whose every item the ``rule`` allows (and at least one, with ``non_empty``)."""
    words = words or f"a list of {_plural(rule.describe)}"

    def items_ok(value):
        return all(rule.error(item) is None for item in value) and (len(value) > 0 or not non_empty)

    def hint(value):
        if not isinstance(value, (list, tuple)):
            return None
        for index, item in enumerate(value):
            if rule.error(item) is not None:
                fix = rule.hint(item) if rule.hint is not None else None
                return f"Item {index} is {describe_value(item)}, not {rule.describe}." + (f" {fix}" if fix else "")
        return None

    def type_ok(value):
        return isinstance(value, (list, tuple)) and all(rule.error(item) is not ArgumentTypeError for item in value)

    return Rule(words, type_ok, items_ok, hint, optional)


def either(*rules):
    """Any one of ``rules``."""
    words = " or ".join(rule.describe for rule in rules)

    def type_ok(value):
        return any(rule.error(value) is not ArgumentTypeError for rule in rules)

    def value_ok(value):
        return any(rule.error(value) is None for rule in rules)

    def hint(value):
        for rule in rules:
            if rule.hint is not None and rule.hint(value):
                return rule.hint(value)
        return None

    return Rule(words, type_ok, value_ok, hint, any(rule.optional for rule in rules))


def _plural(words):
    for article in ("a ", "an "):
        if words.startswith(article):
            words = words[len(article):]
            break
    return words.replace("integer", "integers").replace("number", "numbers").replace("instance", "instances")


__all__ = ["ArgumentTypeError", "ArgumentValueError", "Rule", "check", "message", "describe_value", "is_integer",
           "is_number", "integer", "number", "one_of", "boolean", "instance_of", "sequence_of", "either"]
