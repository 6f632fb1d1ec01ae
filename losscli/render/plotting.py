"""What plot and explore draw: curves from the core along one axis, and the optional
libraries that draw them (installed with an extra, so the core install stays small)."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import numpy as np

    from losscli.core.evaluation.curves import Curve, Histogram

# The extra that brings each optional library, for the error message when it is missing.
EXTRAS = {"plotext": "plot", "matplotlib": "plot", "textual": "explore"}


class MissingExtra(Exception):
    """An optional library is not installed; the message names the extra (exit 2)."""


def optional(module: str, purpose: str) -> ModuleType:
    """Import an optional library, or raise MissingExtra naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[module]
        raise MissingExtra(
            f"{purpose} needs {module}, which is not installed: pip install 'losscli[{extra}]'"
        ) from None


@dataclass(frozen=True)
class CurvePlot:
    """Curves sharing one axis; with `grad`, a gradient panel beside the loss panel.

    `data` counts where the user's examples sit on the axis (drawn as a histogram behind the
    loss curves, on its own scale), if given.
    """

    axis_label: str
    curves: list[Curve]
    x_range: tuple[float, float]
    grad: bool = False
    data: Histogram | None = None
    data_label: str = "data"
    title: str = ""
    cursor: float | None = None
    panels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "panels", ("loss", "gradient") if self.grad else ("loss",))


def finite_points(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """The points of a curve that can be drawn: infinite values (p = 0) are left out."""
    import numpy as np

    keep = np.isfinite(y)
    return x[keep].tolist(), y[keep].tolist()


def wants_color(color: str, stream: TextIO) -> bool:
    """--color always/never, else FORCE_COLOR, NO_COLOR, and whether the stream is a terminal."""
    if color != "auto":
        return color == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()
