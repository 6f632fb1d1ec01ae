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
from importlib import import_module
from typing import Any

from losscli.core.conventions.rules import CATALOG_RULE as CATALOG_RULE
from losscli.core.conventions.rules import FLOAT64_EPS as FLOAT64_EPS
from losscli.core.conventions.rules import Convention as Convention
from losscli.core.conventions.rules import Rule as Rule
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

# Every other convention, in the order `show` lists them, and where it is defined (module,
# name): its module is imported when the convention is first asked for, so that a computation
# under the catalog's definitions (the default) loads none of the frameworks' rules.
_DEFINED_IN: dict[str, tuple[str, str]] = {
    "torch": ("pytorch", "TORCH"),
    "keras": ("keras", "KERAS"),
    "sklearn": ("sklearn", "SKLEARN"),
    "optax": ("optax", "OPTAX"),
    "hadsell": ("hadsell", "HADSELL"),
    "pml": ("pml", "PML"),
}
NAMES: tuple[str, ...] = ("catalog", *_DEFINED_IN)
_LOADED: dict[str, Convention] = {"catalog": CATALOG}


def _load(key: str) -> Convention:
    if key not in _LOADED:
        module, name = _DEFINED_IN[key]
        convention: Convention = getattr(import_module(f"{__name__}.{module}"), name)
        _check_rules(key, convention)
        _LOADED[key] = convention
    return _LOADED[key]


def all_conventions() -> dict[str, Convention]:
    """Every convention by name, in the order of NAMES (each module imported on first use)."""
    return {key: _load(key) for key in NAMES}


def __getattr__(name: str) -> Any:
    # CONVENTIONS, every convention by name, imports the frameworks' modules: on first use.
    if name == "CONVENTIONS":
        return all_conventions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_convention(name: str) -> Convention:
    key = name.strip().lower()
    if key not in NAMES:
        raise UsageError(f"unknown convention {name!r} (one of {', '.join(NAMES)})")
    return _load(key)


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
    for conv in all_conventions().values():
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


def _check_rules(key: str, conv: Convention) -> None:
    # Checked once, when the convention loads: it is the one named, and a rule's mean is one
    # the reducer knows.
    if conv.name != key:
        raise ValueError(f"{key}: _DEFINED_IN points to the convention {conv.name!r}")
    for rule in conv.rules.values():
        if rule.mean not in MEAN_RULES:
            raise ValueError(f"{conv.name}: unknown mean rule {rule.mean!r}")
