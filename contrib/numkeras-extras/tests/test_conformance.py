"""The numkeras conformance kit over every component of numkeras-extras (as new-plugin wrote it,
with this package's components; what the kit needs to build each is on the component, as
``conformance_example``, or in the options below)."""

from numkeras.testing import parametrize_with_checks

COMPONENTS = [
    ("losses", "binary_focal_loss"),
    ("losses", "categorical_focal_loss"),
    ("losses", "BinaryFocalLoss"),
    ("losses", "CategoricalFocalLoss"),
    ("metrics", "Precision"),
    ("metrics", "Recall"),
    ("metrics", "F1Score"),
    ("metrics", "AUC"),
    ("activations", "gelu"),
    ("activations", "swish"),
    ("activations", "mish"),
    ("optimizers", "LAMB"),
    ("optimizers", "Lookahead"),
    ("callbacks", "CosineDecayRestarts"),
    ("callbacks", "OneCycleLR"),
]


@parametrize_with_checks(COMPONENTS)
def test_conformance(component, check):
    check(component)
