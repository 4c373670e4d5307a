"""Running the checks: every check that applies to a component, for a test or the command line."""

from . import checks, model_checks  # noqa: F401 - importing them declares the checks, in this order
from .component import Component, as_component
from .errors import CHECKS, CheckSkipped, ConformanceError


def applicable_checks(component):
    """The names of the checks that apply to ``component``'s kind, in running order."""
    return [name for name, run in CHECKS.items() if run.applies_to is None or component.kind in run.applies_to]


def run_checks(component, only=None):
    """Runs the checks that apply; never raises for a failing check.

    Arguments:
        component: a :class:`Component` (or anything :func:`as_component` takes).
        only: names of the checks to run (default: all that apply).

    Returns:
        ``[(check name, status, detail)]``, status ``'pass'``, ``'fail'`` or ``'skip'``.
    """
    component = as_component(component)
    results = []
    for name in applicable_checks(component):
        if only is not None and name not in only:
            continue
        try:
            CHECKS[name](component)
        except CheckSkipped as skipped:
            results.append((name, "skip", str(skipped)))
        except ConformanceError as failure:
            results.append((name, "fail", str(failure)))
        else:
            results.append((name, "pass", ""))
    return results


def check_component(kind, obj_or_name, **options):
    """Runs every conformance check that applies to a component of ``kind``.

    Arguments:
        kind: ``'layers'``, ``'losses'``, ``'metrics'``, ``'optimizers'``, ``'callbacks'``,
            ``'activations'``, ``'initializers'``, ``'regularizers'`` or ``'constraints'``
            (or the singular).
        obj_or_name: the registered name, the registered object, or an instance.
        **options: ``kwargs``, ``input_shape``, ``input_dtype``, ``targets``, ``skip``,
            ``fresh_process`` (see :class:`numkeras.testing.Component`).

    Returns:
        The results, as :func:`run_checks` gives them, when every check passed or skipped.

    Raises:
        AssertionError: (a :class:`ConformanceFailures`) whose first line names the
            component and every failing check, followed by one numbered line per failure
            with what was expected and what was found.

    Example:
        >>> check_component('layers', 'Scale', kwargs={'factor': 2.0}, input_shape=(3,))
    """
    component = Component(kind, obj_or_name, **options)
    results = run_checks(component)
    failed = [(name, detail) for name, status, detail in results if status == "fail"]
    if failed:
        raise ConformanceFailures(component.label, failed, len(results))
    return results


class ConformanceFailures(AssertionError):
    """Several checks (or one) failed for one component: the message lists every one.

    Attributes:
        component: the component's label (``"layer 'Scale'"``).
        failures: ``[(check name, its message)]``, in running order.
    """

    def __init__(self, component, failures, ran):
        self.component, self.failures = component, failures
        names = ", ".join(name for name, _ in failures)
        lines = [f"{len(failures)} of {ran} conformance checks failed for {component}: {names}"]
        lines += [f"  {i}. {detail}" for i, (_, detail) in enumerate(failures, 1)]
        super().__init__("\n".join(lines))


def parametrize_with_checks(components):
    """A ``pytest.mark.parametrize`` over every (component, check) pair, each its own test id.

    Arguments:
        components: a list of :class:`Component`, ``(kind, obj_or_name)`` or
            ``(kind, obj_or_name, options)`` tuples, or instances (the kind is read from
            their base class).

    The decorated test takes ``component`` and ``check`` and calls ``check(component)``;
    a check that does not apply, or that a component's ``skip`` option names, is
    reported as skipped with its reason.

    Example:
        >>> @parametrize_with_checks([('losses', 'focal_loss'), Scale(input_shape=(3,))])
        ... def test_conformance(component, check):
        ...     check(component)
    """
    import pytest

    params = []
    for spec in components:
        component = as_component(spec)
        for name in applicable_checks(component):
            params.append(pytest.param(component, _skipping(CHECKS[name]), id=f"{component.test_id}-{name}"))
    return pytest.mark.parametrize("component, check", params)


def _skipping(run):
    """``run`` with :class:`CheckSkipped` turned into ``pytest.skip``."""
    import functools

    @functools.wraps(run)
    def checked(component):
        import pytest

        try:
            run(component)
        except CheckSkipped as skipped:
            pytest.skip(str(skipped))

    return checked
