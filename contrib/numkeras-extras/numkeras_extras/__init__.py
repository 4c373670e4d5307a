"""numkeras-extras: focal losses, Precision / Recall / F1 / AUC, GELU / Swish / Mish, LAMB and
Lookahead, and two learning-rate schedules, as a numkeras plugin distribution.

Installed, every component is usable by name (``loss='binary_focal_loss'``,
``metrics=['F1Score']``, ``activation='gelu'``, ``optimizer='LAMB'``) and a saved model that
uses them loads without ``custom_objects``. Each is also importable from here.
"""

from .activations import gelu, mish, swish
from .callbacks import CosineDecayRestarts, OneCycleLR
from .losses import BinaryFocalLoss, CategoricalFocalLoss, binary_focal_loss, categorical_focal_loss
from .metrics import AUC, F1Score, Precision, Recall
from .optimizers import LAMB, Lookahead

__all__ = ["binary_focal_loss", "categorical_focal_loss", "BinaryFocalLoss", "CategoricalFocalLoss",
           "Precision", "Recall", "F1Score", "AUC", "gelu", "swish", "mish", "LAMB", "Lookahead",
           "CosineDecayRestarts", "OneCycleLR"]
