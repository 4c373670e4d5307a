"""The numkeras conformance kit over every component of numkeras-extras."""

from numkeras.testing import parametrize_with_checks

COMPONENTS = [
    ('losses', 'numkeras_extras_half_squared_error'),
    ('metrics', 'NumkerasExtrasMeanAbsoluteError'),
    ('activations', 'numkeras_extras_swish'),
    ('optimizers', 'NumkerasExtrasSignSGD'),
    ('callbacks', 'NumkerasExtrasEpochPrinter'),
]


@parametrize_with_checks(COMPONENTS)
def test_conformance(component, check):
    check(component)
