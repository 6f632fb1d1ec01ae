"""Named conventions: each loss the way a framework computes it, as data.

The catalog's definitions (docs/design.md section 4) are one convention among others. Every other
convention states, per loss, what the framework does differently and how losscli reproduces
it, without a second implementation: a Rule only

- sets framework defaults for the loss's own parameters (torchvision's focal alpha = 0.25),
- passes fixed settings to the loss's value and gradient functions (a log clamp, a clip) or
  to its input preparation (label polarity, label mapping),
- scales the loss (Optax's l2_loss is half the squared error),
- picks how the mean is taken (reduce.MEAN_RULES),
- refuses parameters the framework does not have.

The family modules stay the one place that computes; their settings' defaults are the
catalog's. Each rule names the framework's function and links its documentation. A
convention without a rule for a loss has no such loss (the default: a new loss needs no entry
here), says so in one generated sentence or, where there is more to tell, in its own reason
(`missing`), and asking for it is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.core.conventions.hadsell import HADSELL
from losscli.core.conventions.keras import KERAS
from losscli.core.conventions.optax import OPTAX
from losscli.core.conventions.pml import PML
from losscli.core.conventions.pytorch import TORCH
from losscli.core.conventions.rules import CATALOG_RULE as CATALOG_RULE
from losscli.core.conventions.rules import FLOAT64_EPS as FLOAT64_EPS
from losscli.core.conventions.rules import Convention as Convention
from losscli.core.conventions.rules import Rule as Rule
from losscli.core.conventions.sklearn import SKLEARN
from losscli.core.errors import UsageError
from losscli.core.evaluation.reduce import MEAN_RULES
from losscli.core.losses import registry
from losscli.core.losses.types import Loss, ParamValue

# --- the conventions ----------------------------------------------------------------------

CATALOG = Convention(
    name="catalog",
    title="losscli catalog",
    summary="The catalog's own definitions: exact values, inf where the loss is infinite.",
    rules={},
)

CONVENTIONS: dict[str, Convention] = {
    c.name: c for c in (CATALOG, TORCH, KERAS, SKLEARN, OPTAX, HADSELL, PML)
}
NAMES: tuple[str, ...] = tuple(CONVENTIONS)


def get_convention(name: str) -> Convention:
    key = name.strip().lower()
    if key not in CONVENTIONS:
        raise UsageError(f"unknown convention {name!r} (one of {', '.join(NAMES)})")
    return CONVENTIONS[key]


def rule_for(convention: str, loss: str | Loss) -> Rule:
    """The rule of `convention` for `loss`, or UsageError saying why it has none."""
    conv = get_convention(convention)
    record = registry.get(loss) if isinstance(loss, str) else loss
    if conv is CATALOG:
        return CATALOG_RULE
    if record.name in conv.rules:
        return conv.rules[record.name]
    raise UsageError(
        f"--convention {conv.name} has no {record.name} loss: {conv.why_missing(record.name)}"
    )


def covers(convention: str, loss: str | Loss) -> bool:
    try:
        rule_for(convention, loss)
    except UsageError:
        return False
    return True


def describe(loss: str | Loss) -> list[dict[str, Any]]:
    """How each convention computes `loss`, as plain data (for `show` and JSON)."""
    record = registry.get(loss) if isinstance(loss, str) else loss
    out: list[dict[str, Any]] = []
    for conv in CONVENTIONS.values():
        entry: dict[str, Any] = {"name": conv.name, "title": conv.title}
        try:
            rule = rule_for(conv.name, record)
        except UsageError:
            out.append(entry | {"available": False, "why": conv.why_missing(record.name)})
            continue
        out.append(
            entry
            | {
                "available": True,
                "function": rule.function,
                "reference": rule.reference,
                "same_as_catalog": rule.same_as_catalog,
                "differences": list(rule.differences),
                "notes": list(rule.notes),
                "defaults": dict(rule.defaults),
                "weighted_mean": conv.weighted_mean_for(record.name)[1],
            }
        )
    return out


def resolve_params(rule: Rule, loss: Loss, given: Mapping[str, ParamValue]) -> dict[str, Any]:
    """The loss's parameters under a rule: the user's values over the framework's defaults
    over the catalog's; a parameter the framework does not have is refused unless it is left
    at the catalog's default."""
    defaults = loss.defaults()
    for name, why in rule.refuses.items():
        if name in given and given[name] != defaults.get(name):
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} does not apply under this convention: {why}")
    return loss.resolve_params({**rule.defaults, **given})


def _check_rules() -> None:
    # A rule's mean must be one the reducer knows; checked once at import.
    for conv in CONVENTIONS.values():
        for rule in conv.rules.values():
            if rule.mean not in MEAN_RULES:
                raise ValueError(f"{conv.name}: unknown mean rule {rule.mean!r}")


_check_rules()
