"""What a named convention does to one loss (a Rule), and the wording and constants that
conventions.py and framework_rules.py share. See conventions.py for how rules are applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.core.losses.types import ParamValue


@dataclass(frozen=True)
class Rule:
    """How one convention computes one loss.

    `function` is the framework's own name for it and `reference` its documentation.
    `differences` says what differs from the catalog (empty: nothing); `notes` are facts worth
    knowing that do not change the number. `defaults` are the framework's defaults for the
    loss's parameters; `settings` are fixed keywords for the value and gradient functions and
    `input_settings` for the input preparation. The framework's loss is `scale` times the
    computed one; `mean` is one of reduce.MEAN_RULES; `refuses` maps a parameter the framework
    does not have to the reason. `summary` is the differences in a few words (for tables).
    """

    function: str
    reference: str
    differences: tuple[str, ...] = ()
    summary: str = ""
    notes: tuple[str, ...] = ()
    defaults: Mapping[str, ParamValue] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    input_settings: Mapping[str, Any] = field(default_factory=dict)
    scale: float = 1.0
    mean: str = "examples"
    refuses: Mapping[str, str] = field(default_factory=dict)

    @property
    def same_as_catalog(self) -> bool:
        return not self.differences

    @property
    def short(self) -> str:
        return self.summary if self.differences else "same as catalog"


CATALOG_RULE = Rule(
    function="losscli catalog",
    reference="losscli show LOSS",
)

# --- shared wording -----------------------------------------------------------------------

TORCH_DOCS = "https://docs.pytorch.org/docs/stable/generated/"
KERAS_REGRESSION = "https://keras.io/api/losses/regression_losses/"
KERAS_PROBABILISTIC = "https://keras.io/api/losses/probabilistic_losses/"
KERAS_HINGE = "https://keras.io/api/losses/hinge_losses/"
SKLEARN_DOCS = "https://scikit-learn.org/stable/modules/generated/"
OPTAX_DOCS = "https://optax.readthedocs.io/en/latest/api/losses.html"

KERAS_EPSILON = 1e-7  # keras.config.epsilon()
FLOAT64_EPS = float(np.finfo(np.float64).eps)  # 2.220446049250313e-16
TORCH_LOG_FLOOR = -100.0
# The EPSILON of PyTorch's BCELoss backward kernel is a float constant 1e-12, so the floor of
# p (1 - p) is float32(1e-12) = 9.999999960041972e-13 also in float64.
TORCH_BCE_GRAD_FLOOR = float(np.float32(1e-12))

LOGITS_READ_AS = (
    "takes logits only: probabilities are read as the logits that give them, so the value is "
    "the exact one"
)
