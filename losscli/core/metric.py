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

    The setting `similar_label=0` (Hadsell et al.) reads 0 as similar; the labels are then
    flipped here, so the value functions always see 1 = similar.
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
    y = y_true[:, 0]
    if params.get("similar_label", 1) == 0:
        y = 1.0 - y
    return Prepared(y, y_pred)


# Below this norm an embedding is not rescaled (PyTorch's F.normalize uses the same floor).
NORM_FLOOR = 1e-12


def _norm(x: Array) -> Array:
    """Row-wise L2 norms, scaled by the largest |cell| first (as hypot does), so that
    coordinates beyond 1e154 do not overflow the squares: a norm is infinite only when it
    exceeds float64."""
    scale = np.max(np.abs(x), axis=1)
    safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    scaled = x / safe[:, None]
    return safe * np.sqrt(np.sum(scaled * scaled, axis=1))


def _unit(x: Array) -> tuple[Array, Array]:
    """Rows scaled to unit L2 norm, and the norms (floored at NORM_FLOOR)."""
    norm = np.maximum(_norm(x), NORM_FLOOR)
    return x / norm[:, None], norm


def _distance(y_pred: Array, normalize: bool) -> tuple[Array, Array | None]:
    """Distances, and the difference vectors a - b when embeddings were given (of the unit
    vectors when `normalize`)."""
    if y_pred.shape[1] == 1:
        return y_pred[:, 0], None
    half = y_pred.shape[1] // 2
    a, b = y_pred[:, :half], y_pred[:, half:]
    if normalize:
        a, b = _unit(a)[0], _unit(b)[0]
    diff = a - b
    return _norm(diff), diff


def contrastive_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    squared: bool = True,
    normalize: bool = False,
) -> Array:
    """y d^2 + (1 - y) max(0, m - d)^2. Convention settings: `squared=False` drops the
    squares and `normalize=True` measures d between unit embeddings (pytorch-metric-learning).
    """
    d, _ = _distance(y_pred, normalize)
    gap = np.maximum(0.0, margin - d)
    # x_times: a dissimilar pair at an overflowing distance costs 0, not 0 * inf = NaN.
    if not squared:
        return x_times(y_true, d) + x_times(1.0 - y_true, gap)
    return x_times(y_true, d * d) + x_times(1.0 - y_true, gap * gap)


def contrastive_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    squared: bool = True,
    normalize: bool = False,
) -> Array:
    d, diff = _distance(y_pred, normalize)
    gap = np.maximum(0.0, margin - d)
    if not squared:
        # relu'(0) = 0, as PyTorch: a similar pair at distance 0 and a dissimilar pair exactly
        # at the margin pull with no force.
        dl_dd = y_true * (d > 0) - (1.0 - y_true) * (d < margin)
    if diff is None:
        if not squared:
            return dl_dd[:, None]
        return (x_times(y_true, 2.0 * d) - 2.0 * (1.0 - y_true) * gap)[:, None]
    # d ||a - b|| / da = (a - b) / d; at d = 0 the direction is undefined and 0 is used. The
    # similar term 2 y d (a - b) / d is written as 2 y (a - b): no 0 * inf at huge distances.
    unit = np.where(d[:, None] > 0, diff / np.where(d > 0, d, 1.0)[:, None], 0.0)
    if squared:
        g_a = x_times(2.0 * y_true[:, None], diff) - x_times(
            (2.0 * (1.0 - y_true) * gap)[:, None], unit
        )
    else:
        g_a = dl_dd[:, None] * unit
    g_b = -g_a
    if normalize:
        # Through x / |x|: the Jacobian (I - x̂ x̂^T) / |x| removes the radial part.
        half = y_pred.shape[1] // 2
        for side, g in ((slice(None, half), g_a), (slice(half, None), g_b)):
            x_hat, norm = _unit(y_pred[:, side])
            radial = np.sum(x_hat * g, axis=1, keepdims=True)
            g -= x_hat * radial
            g /= norm[:, None]
    return np.concatenate([g_a, g_b], axis=1)


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
