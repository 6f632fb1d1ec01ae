"""What explore starts from and the stops of its sliders; plain data, no Textual, so the
command can check its arguments before the optional library is imported."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losscli.core.evaluation.curves import Axis
from losscli.core.losses.types import Loss, Param, ParamValue

KL_P = "kl_p"  # not a loss parameter: P₁ of kl's target P = (P₁, 1 - P₁)

# Slider stops for the catalog's parameters; a parameter not listed gets stops around its
# default (see `slider_stops`).
STOPS: dict[str, tuple[ParamValue | None, ...]] = {
    "delta": tuple(round(0.05 * k, 2) for k in range(1, 101)),  # 0.05 .. 5
    "gamma": tuple(round(0.1 * k, 1) for k in range(51)),  # 0 .. 5
    "alpha": (None, *(round(0.05 * k, 2) for k in range(21))),  # off, 0 .. 1
    "margin": tuple(round(0.1 * k, 1) for k in range(1, 31)),  # 0.1 .. 3
    KL_P: tuple(round(0.01 * k, 2) for k in range(1, 100)),  # 0.01 .. 0.99
    "variance": (None, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0),  # off: the variance column (σ² = 1)
    "quantile": tuple(round(0.05 * k, 2) for k in range(1, 21)),  # 0.05 .. 1
    "temperature": (0.02, 0.05, 0.07, 0.1, 0.2, 0.5, 1.0, 2.0),
}
# Clipping is for data, not for looking at a curve's shape; per-class and per-label weights
# and the batch size of a batch loss are not one number to slide.
NO_SLIDER = frozenset({"eps", "pos_weight", "class_weights", "batch_size"})


def slider_stops(param: Param) -> tuple[ParamValue | None, ...]:
    if param.name in STOPS:
        return STOPS[param.name]
    if param.choices:
        return param.choices
    default = float(param.default) if isinstance(param.default, (int, float)) else 1.0
    low = param.lower if param.lower is not None else 0.0
    high = param.upper if param.upper is not None else max(4.0 * abs(default), 1.0)
    stops = {round(float(v), 6) for v in np.linspace(low, high, 41)} | {default}
    gap = param.gap or (0.0, 0.0)  # values a parameter refuses (Tweedie's 0 < p < 1)
    return tuple(
        sorted(v for v in stops if not (param.lower_open and v <= low) and not gap[0] < v < gap[1])
    )


# Keys that toggle the losses, in order; q, r and s are taken (quit, reset, slider).
LOSS_KEYS = "1234567890abcdefghijklmnoptuvwxyz"


def loss_keys(count: int) -> str:
    """The key of each of `count` losses (the explorer never offers more than LOSS_KEYS)."""
    if count > len(LOSS_KEYS):
        raise ValueError(f"{count} losses to toggle but only {len(LOSS_KEYS)} keys")
    return LOSS_KEYS[:count]


def option_name(param: str) -> str:
    """The parameter as its option is typed: log_base -> --log-base."""
    return "--" + param.replace("_", "-")


def shown(value: ParamValue | None) -> str:
    if value is None:
        return "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Setup:
    """What explore starts with: the losses sharing one axis, which are drawn, the starting
    parameters, the prediction space of each loss and the range of the axis."""

    axis: Axis
    losses: tuple[Loss, ...]
    drawn: frozenset[str]
    params: dict[str, ParamValue | None]
    spaces: dict[str, str | None]  # the prediction space each loss is drawn in
    x: np.ndarray
    kl_p: float
