"""How a check reports: a failure that names the check, the component, what was expected and found."""

import functools

from .component import Component, normalize_kind

#: ``{check name: (function, kinds it applies to)}``, in the order ``check_component`` runs them.
CHECKS = {}


class ConformanceError(AssertionError):
    """A conformance check failed.

    Attributes:
        check: the check's name (``'check_gradients'``).
        component: the component's label (``"layer 'Scale'"``).
        expected, found: what the check expected and what it found.
    """

    def __init__(self, check, component, expected, found, hint=None):
        self.check, self.component, self.expected, self.found, self.hint = check, component, expected, found, hint
        message = f"{check} failed for {component}: expected {expected}; found {found}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


class CheckSkipped(Exception):
    """A check does not apply to this component (the reason says why)."""


def check(*kinds):
    """Declares a conformance check for ``kinds`` (all kinds when none are given).

    The decorated function takes a :class:`Component` and raises :class:`Failure` for
    what it finds wrong. The public function takes ``(kind, obj_or_name, **options)``
    or a Component, skips when a component's ``skip`` option names the check, and turns
    any other exception into a :class:`ConformanceError` naming the check.
    """
    applies_to = tuple(normalize_kind(k) for k in kinds) or None

    def decorate(function):
        name = function.__name__

        @functools.wraps(function)
        def run(kind_or_component, obj_or_name=None, **options):
            component = (kind_or_component if isinstance(kind_or_component, Component)
                         else Component(kind_or_component, obj_or_name, **options))
            if applies_to is not None and component.kind not in applies_to:
                raise CheckSkipped(f"{name} does not apply to {component.kind}")
            if name in component.skip:
                raise CheckSkipped(component.skip[name])
            try:
                function(component)
            except Failure as failure:
                raise ConformanceError(name, component.label, failure.expected, failure.found,
                                       failure.hint) from failure.__cause__
            except (ConformanceError, CheckSkipped):
                raise
            except Exception as error:  # noqa: BLE001 - a crash is a failure of this check
                raise ConformanceError(name, component.label, "the check to run",
                                       f"{type(error).__name__}: {error}") from error

        run.applies_to = applies_to
        CHECKS[name] = run
        return run

    return decorate


class Failure(Exception):
    """Raised inside a check body; :func:`check` turns it into a :class:`ConformanceError`."""

    def __init__(self, expected, found, hint=None):
        super().__init__(f"expected {expected}; found {found}")
        self.expected, self.found, self.hint = expected, found, hint


def expect(condition, expected, found, hint=None):
    """Raises :class:`Failure` unless ``condition``."""
    if not condition:
        raise Failure(expected, found, hint)
