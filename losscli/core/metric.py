"""Metric-learning losses on pairs: a similarity label and a distance (or two embeddings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core import checks
from losscli.core.errors import DataError
from losscli.core.numerics import x_times
from losscli.core.registry import Array, Loss, Param, Prepared, Properties, Space, register


def prepare_pairs(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Similarity labels (1 similar, 0 dissimilar) and either one distance column or two
    embeddings side by side (2D columns: the first D are one embedding, the last D the other).
    """
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "(a similarity label)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    checks.check_binary(y_true)
    if y_pred.shape[1] == 1:
        checks.check_range(y_pred, "pred", 0.0, np.inf, "a distance (>= 0)")
    elif y_pred.shape[1] % 2:
        raise DataError(
            "pred must be one distance column or two embeddings of equal width "
            f"(an even number of columns), not {y_pred.shape[1]}",
            side="pred",
        )
    return Prepared(y_true[:, 0], y_pred)


def _distance(y_pred: Array) -> tuple[Array, Array | None]:
    """Distances, and the difference vectors a - b when embeddings were given."""
    if y_pred.shape[1] == 1:
        return y_pred[:, 0], None
    half = y_pred.shape[1] // 2
    diff = y_pred[:, :half] - y_pred[:, half:]
    # Scaled by the largest |difference| first (as hypot does), so that coordinates beyond
    # 1e154 do not overflow the squares: the distance is infinite only when it exceeds float64.
    scale = np.max(np.abs(diff), axis=1)
    safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    scaled = diff / safe[:, None]
    return safe * np.sqrt(np.sum(scaled * scaled, axis=1)), diff


def contrastive_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 1.0
) -> Array:
    d, _ = _distance(y_pred)
    gap = np.maximum(0.0, margin - d)
    # x_times: a dissimilar pair at an overflowing distance costs 0, not 0 * inf = NaN.
    return x_times(y_true, d * d) + x_times(1.0 - y_true, gap * gap)


def contrastive_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 1.0
) -> Array:
    d, diff = _distance(y_pred)
    gap = np.maximum(0.0, margin - d)
    if diff is None:
        return (x_times(y_true, 2.0 * d) - 2.0 * (1.0 - y_true) * gap)[:, None]
    # d ||a - b|| / da = (a - b) / d; at d = 0 the direction is undefined and 0 is used. The
    # similar term 2 y d (a - b) / d is written as 2 y (a - b): no 0 * inf at huge distances.
    unit = np.where(d[:, None] > 0, diff / np.where(d > 0, d, 1.0)[:, None], 0.0)
    g_a = x_times(2.0 * y_true[:, None], diff) - x_times(
        (2.0 * (1.0 - y_true) * gap)[:, None], unit
    )
    return np.concatenate([g_a, -g_a], axis=1)


CONTRASTIVE = register(
    Loss(
        name="contrastive",
        aliases=("contrastive-loss", "siamese"),
        family="metric",
        summary="Contrastive loss: pull similar pairs together, push dissimilar ones past a margin",
        target="similarity",
        pred_columns="any",
        spaces=("raw",),
        params=(
            Param(
                "margin",
                1.0,
                "distance beyond which a dissimilar pair costs nothing",
                lower=0.0,
                lower_open=True,
            ),
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=False),
        value=contrastive_value,
        grad=contrastive_grad,
        prepare=prepare_pairs,
        formula="L = y d^2 + (1 - y) max(0, m - d)^2,  y = 1 similar, d = ||a - b||",
        grad_formula="dL/dd = 2 y d - 2 (1 - y) max(0, m - d);  dL/da = dL/dd (a - b)/d = -dL/db",
        typical_use=(
            "Siamese networks and metric learning from labelled pairs: verification, "
            "deduplication, learned similarity."
        ),
        confusions=(
            "Label polarity differs: Hadsell et al. (2006) use Y = 0 for similar pairs; losscli "
            "uses y = 1 for similar.",
            "Hadsell et al. have factors 1/2 on both terms; pytorch-metric-learning uses no "
            "squares, margins on normalised embeddings and averages only the non-zero terms.",
            "Convex in the distance but not in the embeddings.",
        ),
        references=(
            "Hadsell, Chopra, LeCun. Dimensionality Reduction by Learning an Invariant Mapping. "
            "CVPR 2006.",
            "pytorch-metric-learning ContrastiveLoss.",
        ),
    )
)
