"""What a named convention does to one loss (a Rule), a convention (its rules, and why it has
no such loss where it has none), and the wording and constants that the framework modules
share. See conventions/__init__.py for how rules are applied."""

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
KERAS_METRICS = "https://keras.io/api/metrics/regression_metrics/"
TORCH_TRIPLET_EPS = 1e-6  # torch.nn.TripletMarginLoss(eps=1e-6), added to a - p
OPTAX_TRIPLET_EPS = 1e-6  # optax.losses.triplet_margin_loss(eps=1e-6), under the root
NATS_ONLY = "it computes in nats: divide by ln 2 for bits"


@dataclass(frozen=True)
class Convention:
    name: str
    title: str
    summary: str
    rules: Mapping[str, Rule]
    # The framework's own name, for the default sentence "PyTorch has no such loss". Empty
    # for a convention of a few losses (a paper, one library's classes): it says that it
    # defines only those, and `show` lists it only under them.
    framework: str = ""
    # A loss without a rule is one the framework does not have: that is the default, and a
    # new loss needs no entry here. `missing` holds only the reasons that tell more than the
    # default (loss -> the nearest function, or how it differs).
    missing: Mapping[str, str] = field(default_factory=dict)
    # What the mean divides Σ w·L by when sample weights are given (reduce.WEIGHTED_MEANS),
    # how the framework does it, and the losses that do it the other way (loss -> why).
    weighted_mean: str = "weights"
    weighted_mean_how: str = "Σ w·L / Σ w, the weighted mean"
    weighted_mean_except: Mapping[str, str] = field(default_factory=dict)

    def why_missing(self, loss: str) -> str:
        """Why the convention has no rule for `loss`: its own reason, or the default one."""
        if loss in self.missing:
            return self.missing[loss]
        if self.framework:
            return self.no_such_loss
        names = " and ".join(self.rules)
        plural = "es" if len(self.rules) > 1 else ""
        return f"the {self.name} convention defines only the {names} loss{plural}"

    @property
    def no_such_loss(self) -> str:
        """The default reason: the framework does not have the loss."""
        return f"{self.framework} has no such loss"

    def speaks_of(self, loss: str) -> bool:
        """Whether the convention has something to say about `loss` (a rule, or a framework
        that lacks it); a convention of a few losses is silent about the others."""
        return loss in self.rules or loss in self.missing or bool(self.framework)

    def weighted_mean_for(self, loss: str) -> tuple[str, str]:
        """(what the mean with sample weights divides by, how the framework does it)."""
        if loss in self.weighted_mean_except:
            other = "weights" if self.weighted_mean == "count" else "count"
            return other, self.weighted_mean_except[loss]
        return self.weighted_mean, self.weighted_mean_how
