"""Metric-learning losses on pairs: a similarity label and a distance (or two embeddings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.numerics import x_times
from losscli.core.losses.registry import register
from losscli.core.losses.types import Array, Loss, Notice, Param, Prepared, Properties, Space


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


def _contrastive_general(
    y_true: Array,
    y_pred: Array,
    margin: float,
    squared: bool,
    normalize: bool,
    pos_margin: float,
    distance: str,
    want_grad: bool,
) -> Array:
    """Contrastive with a positive margin or squared distances (pytorch-metric-learning's
    pos_margin and LpDistance(power=2)): with D = d or d^2, a similar pair costs
    max(0, D - pos_margin), a dissimilar one max(0, m - D), each squared unless a
    convention's `squared=False` (pml). The value, or its gradient with respect to the
    predictions."""
    d, diff = _distance(y_pred, normalize)
    big = d * d if distance == "squared" else d
    over = np.maximum(0.0, big - pos_margin)
    gap = np.maximum(0.0, margin - big)
    if not want_grad:
        if not squared:
            return x_times(y_true, over) + x_times(1.0 - y_true, gap)
        return x_times(y_true, over * over) + x_times(1.0 - y_true, gap * gap)
    if squared:
        dl_dbig = 2.0 * x_times(y_true, over) - 2.0 * (1.0 - y_true) * gap
    else:
        dl_dbig = y_true * (over > 0) - (1.0 - y_true) * (gap > 0)
    with np.errstate(over="ignore"):
        dbig_dd = 2.0 * d if distance == "squared" else np.ones(d.shape)
    # x_times: a pair beyond the margin at a distance whose square overflows pulls with no
    # force (0), not 0 * inf = NaN.
    dl_dd = x_times(dl_dbig, dbig_dd)
    if diff is None:
        return dl_dd[:, None]
    if not normalize:
        # The direction from the halves: a - b may overflow where (a - b)/2 does not.
        half = y_pred.shape[1] // 2
        diff = 0.5 * y_pred[:, :half] - 0.5 * y_pred[:, half:]
    length = _norm(diff)
    unit = np.where(length[:, None] > 0, diff / np.where(length > 0, length, 1.0)[:, None], 0.0)
    with np.errstate(invalid="ignore"):
        g_a = x_times(unit, dl_dd[:, None])  # a zero component stays 0, also at inf
    g_b = -g_a
    if normalize:
        half = y_pred.shape[1] // 2
        for side, g in ((slice(None, half), g_a), (slice(half, None), g_b)):
            x_hat, norm = _unit(y_pred[:, side])
            radial = np.sum(x_hat * g, axis=1, keepdims=True)
            g -= x_hat * radial
            g /= norm[:, None]
    return np.concatenate([g_a, g_b], axis=1)


def contrastive_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    squared: bool = True,
    normalize: bool = False,
    pos_margin: float = 0.0,
    distance: str = "euclidean",
) -> Array:
    """y d^2 + (1 - y) max(0, m - d)^2. Convention settings: `squared=False` drops the
    squares and `normalize=True` measures d between unit embeddings (pytorch-metric-learning).
    """
    if pos_margin > 0 or distance == "squared":
        return _contrastive_general(
            y_true, y_pred, margin, squared, normalize, pos_margin, distance, False
        )
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
    pos_margin: float = 0.0,
    distance: str = "euclidean",
) -> Array:
    if pos_margin > 0 or distance == "squared":
        return _contrastive_general(
            y_true, y_pred, margin, squared, normalize, pos_margin, distance, True
        )
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
            Param(
                "pos_margin",
                0.0,
                "distance below which a similar pair costs nothing (pytorch-metric-learning's "
                "pos_margin)",
                lower=0.0,
            ),
            Param(
                "distance",
                "euclidean",
                "euclidean: d = ||a - b||; squared: d^2 in its place, margins included "
                "(pytorch-metric-learning's LpDistance(power=2))",
                choices=("euclidean", "squared"),
            ),
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=False),
        value=contrastive_value,
        grad=contrastive_grad,
        prepare=prepare_pairs,
        formula=(
            "L = y max(0, d - m_pos)^2 + (1 - y) max(0, m - d)^2,  y = 1 similar, d = ||a - b|| "
            "(or d^2 with --distance squared), m_pos = --pos-margin 0"
        ),
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


# --- triplets, cosine pairs, ranked pairs --------------------------------------------------------
#
# Appended after contrastive. Batch losses over embeddings (InfoNCE, NT-Xent) are in nce.py.


def _p_norm(x: Array, p: float) -> Array:
    """Row-wise (Σ |x_k|^p)^(1/p), scaled by the largest |x_k| first so that no power
    overflows or underflows: the norm is infinite only when it exceeds float64."""
    a = np.abs(x)
    scale = np.max(a, axis=1)
    safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return safe * np.sum((a / safe[:, None]) ** p, axis=1) ** (1.0 / p)


def _p_norm_grad(x: Array, norm: Array, p: float) -> Array:
    """d||x||_p / dx = sign(x) (|x| / ||x||)^(p-1); 0 at x = 0 (the subgradient used)."""
    safe = np.where(norm > 0, norm, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        g = np.sign(x) * (np.abs(x) / safe[:, None]) ** (p - 1.0)
    return np.where(norm[:, None] > 0, g, 0.0)


def prepare_triplets(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """No targets; per example an anchor, a positive and a negative embedding side by side
    (3D columns), or the two distances d(a, p) and d(a, n)."""
    y_pred = checks.as_2d(y_pred, "pred")
    y_true = checks.as_2d(y_true, "target")
    checks.check_rows(y_true, y_pred)
    if y_true.shape[1]:
        raise DataError(
            "a triplet loss takes no target column: give the anchor, positive and negative "
            "embeddings (or the two distances) as predictions",
            side="target",
        )
    checks.check_finite(y_pred, "pred")
    width = y_pred.shape[1]
    p = float(params.get("p_norm", 2.0))
    if params.get("even_p_only") and (p != round(p) or round(p) % 2):
        raise UsageError(
            f"--p-norm {p:g} under this convention: Optax's triplet_margin_loss computes "
            "(Σ (a - p)^p + eps)^(1/p) without abs(), which is a distance only for even p"
        )
    if width == 2:
        if params.get("swap") == "yes":
            raise UsageError(
                "--swap needs the three embeddings: the distance d(p, n) is not among two "
                "distance columns"
            )
        checks.check_range(y_pred, "pred", 0.0, np.inf, "a distance (>= 0)")
    elif width % 3:
        raise DataError(
            "pred must be two distance columns d(a, p), d(a, n) or three embeddings of equal "
            f"width side by side (a multiple of 3 columns), not {width}",
            side="pred",
        )
    return Prepared(y_true, y_pred)


def _triplet_parts(
    y_pred: Array, p: float, eps: float = 0.0, placement: str = "none"
) -> tuple[Array, Array, Array | None, Array | None]:
    """(d(a, p), d(a, n), the difference vectors a - p and a - n, and their norms as the
    gradient uses them; None for given distances). A difference vector may be scaled by 1/2
    (when it exceeds float64), which leaves its direction unchanged.

    Convention settings: `placement` "difference" adds eps to every coordinate of the
    difference (PyTorch's pairwise_distance); "root" adds eps to Σ|x_k|^p under the root
    (Optax).
    """
    if y_pred.shape[1] == 2:
        return y_pred[:, 0], y_pred[:, 1], None, None
    d = y_pred.shape[1] // 3
    a, pos, neg = y_pred[:, :d], y_pred[:, d : 2 * d], y_pred[:, 2 * d :]
    norms, diffs = [], []
    for other in (pos, neg):
        with np.errstate(over="ignore", invalid="ignore"):
            diff = a - other
            if placement == "difference":
                diff = diff + eps
            # A difference beyond float64: the same direction from the halves, and the norm
            # twice theirs (infinite only if the distance is).
            half = 0.5 * a - 0.5 * other + (0.5 * eps if placement == "difference" else 0.0)
        wide = ~np.all(np.isfinite(diff), axis=1)
        direction = np.where(wide[:, None], half, diff)
        with np.errstate(over="ignore"):
            norm = np.where(wide, 2.0 * _p_norm(half, p), _p_norm(direction, p))
        if placement == "root":
            with np.errstate(over="ignore", invalid="ignore"):
                norm = (norm**p + eps) ** (1.0 / p)
        norms.append(norm)
        diffs.append(direction)
    return norms[0], norms[1], np.stack(diffs), None


def _direction_norms(diffs: Array, p: float, eps: float, placement: str) -> tuple[Array, Array]:
    """The norms of the (possibly halved) difference vectors, as the gradient divides by
    them: with eps under the root (Optax), d^(p-1) includes it."""
    n_pos, n_neg = _p_norm(diffs[0], p), _p_norm(diffs[1], p)
    if placement == "root":
        with np.errstate(over="ignore", invalid="ignore"):
            n_pos, n_neg = (n_pos**p + eps) ** (1.0 / p), (n_neg**p + eps) ** (1.0 / p)
    return n_pos, n_neg


def _swap_parts(y_pred: Array, p: float, eps: float, placement: str) -> tuple[Array, Array]:
    """d(p, n) and the difference p - n as the gradient uses it (TripletMarginLoss's swap:
    the negative's distance is the smaller of d(a, n) and d(p, n))."""
    d = y_pred.shape[1] // 3
    pos, neg = y_pred[:, d : 2 * d], y_pred[:, 2 * d :]
    d_pn, _, diffs, _ = _triplet_parts(np.concatenate([pos, neg, neg], axis=1), p, eps, placement)
    assert diffs is not None
    return d_pn, diffs[0]


def _unit_thirds(y_pred: Array) -> Array:
    """Anchor, positive and negative each scaled to unit L2 norm (pytorch-metric-learning's
    LpDistance(normalize_embeddings=True))."""
    d = y_pred.shape[1] // 3
    return np.concatenate([_unit(y_pred[:, k * d : (k + 1) * d])[0] for k in range(3)], axis=1)


def _through_unit_thirds(g: Array, y_pred: Array) -> Array:
    """A gradient with respect to the unit embeddings carried back to the given ones: the
    Jacobian (I - x̂ x̂^T) / |x| of each third."""
    d = y_pred.shape[1] // 3
    out = g.copy()
    for k in range(3):
        side = slice(k * d, (k + 1) * d)
        x_hat, norm = _unit(y_pred[:, side])
        radial = np.sum(x_hat * out[:, side], axis=1, keepdims=True)
        out[:, side] = (out[:, side] - x_hat * radial) / norm[:, None]
    return out


def prepare_triplets_one_group(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """prepare_triplets, with every triplet labelled 0: a convention's non-zero mean
    (pytorch-metric-learning's AvgNonZeroReducer) takes them as one group."""
    prepared = prepare_triplets(y_true, y_pred, space, params, normalize)
    if not params.get("one_group"):
        return prepared
    return Prepared(np.zeros(prepared.y_pred.shape[0]), prepared.y_pred, prepared.notices)


def triplet_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    p_norm: float = 2.0,
    distance_eps: float = 0.0,
    eps_placement: str = "none",
    swap: str = "no",
    normalize: bool = False,
) -> Array:
    if normalize and y_pred.shape[1] != 2:
        y_pred = _unit_thirds(y_pred)
    d_pos, d_neg, _, _ = _triplet_parts(y_pred, p_norm, distance_eps, eps_placement)
    if swap == "yes":
        d_neg = np.minimum(d_neg, _swap_parts(y_pred, p_norm, distance_eps, eps_placement)[0])
    with np.errstate(invalid="ignore"):
        out = np.maximum(0.0, (d_pos - d_neg) + margin)
    # Both distances infinite: the order of the difference is unknown; the anchor is as far
    # from the positive as from the negative, so the margin alone is charged.
    return np.where(np.isinf(d_pos) & np.isinf(d_neg), max(margin, 0.0), out)


def triplet_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    p_norm: float = 2.0,
    distance_eps: float = 0.0,
    eps_placement: str = "none",
    swap: str = "no",
    normalize: bool = False,
) -> Array:
    if normalize and y_pred.shape[1] != 2:
        unit = _unit_thirds(y_pred)
        g = triplet_grad(
            y_true,
            unit,
            margin=margin,
            p_norm=p_norm,
            distance_eps=distance_eps,
            eps_placement=eps_placement,
            swap=swap,
        )
        return _through_unit_thirds(g, y_pred)
    d_pos, d_neg, diffs, _ = _triplet_parts(y_pred, p_norm, distance_eps, eps_placement)
    swapped = np.zeros(d_pos.shape, dtype=bool)
    if swap == "yes":
        d_pn, diff_pn = _swap_parts(y_pred, p_norm, distance_eps, eps_placement)
        swapped = d_pn < d_neg
        d_neg = np.where(swapped, d_pn, d_neg)
    with np.errstate(invalid="ignore"):
        active = ((d_pos - d_neg) + margin > 0).astype(np.float64)
    if diffs is None:
        return np.column_stack([active, 0.0 - active])
    if swapped.any():
        return _swapped_grad(diffs, diff_pn, swapped, active, p_norm, distance_eps, eps_placement)
    # The directions from the (possibly halved) differences and their own norms.
    n_pos, n_neg = _direction_norms(diffs, p_norm, distance_eps, eps_placement)
    u_pos = _p_norm_grad(diffs[0], n_pos, p_norm)
    u_neg = _p_norm_grad(diffs[1], n_neg, p_norm)
    act = active[:, None]
    # d(a,p) = ||a - p||: +u at a, -u at p; d(a,n) enters with a minus sign. (+ 0.0 turns the
    # -0.0 of inactive rows into 0.0.)
    return np.concatenate([act * (u_pos - u_neg), -act * u_pos, act * u_neg], axis=1) + 0.0


def _swapped_grad(
    diffs: Array,
    diff_pn: Array,
    swapped: Array,
    active: Array,
    p: float,
    eps: float,
    placement: str,
) -> Array:
    """The triplet gradient where some rows' negative distance is d(p, n) (swap): there
    L = d(a, p) - d(p, n) + m, so a gets +u_ap, p gets -u_ap - u_pn and n gets +u_pn."""
    n_pos, n_neg = _direction_norms(diffs, p, eps, placement)
    n_pn = _direction_norms(np.stack([diff_pn, diff_pn]), p, eps, placement)[0]
    u_pos = _p_norm_grad(diffs[0], n_pos, p)
    u_neg = np.where(swapped[:, None], 0.0, _p_norm_grad(diffs[1], n_neg, p))
    u_pn = np.where(swapped[:, None], _p_norm_grad(diff_pn, n_pn, p), 0.0)
    act = active[:, None]
    return (
        np.concatenate([act * (u_pos - u_neg), -act * (u_pos + u_pn), act * (u_neg + u_pn)], axis=1)
        + 0.0
    )


def _sign_labels(y_true: Array, what: str) -> tuple[Array, tuple[Notice, ...]]:
    """Labels +1 (similar, or first ranked higher) and -1; 0/1 throughout are mapped."""
    y = y_true[:, 0]
    notices: tuple[Notice, ...] = ()
    if np.all((y == 0) | (y == 1)) and np.any(y == 0):
        y = 2.0 * y - 1.0
        notices = (Notice(f"{what} labels 0/1 were mapped to -1/+1"),)
    bad = (y != 1) & (y != -1)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            "must be a label -1 or +1 (or 0/1 throughout)",
            row=row,
            side="target",
            column=0,
            value=y_true[row, 0],
        )
    return y, notices


def prepare_cosine_pairs(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Labels +1 (similar) / -1 (dissimilar) and two non-zero embeddings side by side."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "(a label +1 similar or -1 dissimilar)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    if y_pred.shape[1] % 2:
        raise DataError(
            "pred must be two embeddings of equal width side by side (an even number of "
            f"columns), not {y_pred.shape[1]}",
            side="pred",
        )
    half = y_pred.shape[1] // 2
    for start in (0, half):
        zero = ~np.any(y_pred[:, start : start + half] != 0, axis=1)
        if zero.any():
            row = int(np.argmax(zero))
            raise DataError(
                "is a zero vector: its cosine with anything is undefined",
                row=row,
                side="pred",
                column=start,
            )
    y, notices = _sign_labels(y_true, "cosine-embedding")
    return Prepared(y, y_pred, notices)


def _cosine_parts(y_pred: Array) -> tuple[Array, Array, Array, Array, Array]:
    """(cos, 1 - cos, unit x1, unit x2, norms as a (2, n) array)."""
    half = y_pred.shape[1] // 2
    x1, x2 = y_pred[:, :half], y_pred[:, half:]
    n1, n2 = _p_norm(x1, 2.0), _p_norm(x2, 2.0)
    u1, u2 = x1 / n1[:, None], x2 / n2[:, None]
    # 1 - cos = ||u1 - u2||^2 / 2 for unit vectors: no cancellation for nearly parallel pairs.
    diff = u1 - u2
    one_minus = np.minimum(0.5 * np.sum(diff * diff, axis=1), 2.0)
    return 1.0 - one_minus, one_minus, u1, u2, np.stack([n1, n2])


def cosine_embedding_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 0.0
) -> Array:
    cos, one_minus, *_ = _cosine_parts(y_pred)
    return np.where(y_true == 1, one_minus, np.maximum(0.0, cos - margin))


def cosine_embedding_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 0.0
) -> Array:
    cos, _, u1, u2, norms = _cosine_parts(y_pred)
    # dL/dcos: -1 for a similar pair; +1 for a dissimilar pair above the margin, else 0.
    dl = np.where(y_true == 1, -1.0, np.where(cos > margin, 1.0, 0.0))[:, None]
    # dcos/dx1 = (u2 - cos u1) / ||x1||, and symmetrically for x2.
    g1 = dl * (u2 - cos[:, None] * u1) / norms[0][:, None]
    g2 = dl * (u1 - cos[:, None] * u2) / norms[1][:, None]
    return np.concatenate([g1, g2], axis=1) + 0.0  # no -0.0 for inactive pairs


def prepare_ranked_pairs(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Labels +1 (the first should rank higher) / -1 and two scores x1, x2 per example."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "(+1: x1 should rank higher, -1: x2)")
    checks.check_columns(y_pred, "pred", (2,), "(the two scores x1 and x2)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    y, notices = _sign_labels(y_true, "margin-ranking")
    return Prepared(y, y_pred, notices)


def margin_ranking_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 0.0
) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(0.0, margin - y_true * (y_pred[:, 0] - y_pred[:, 1]))


def margin_ranking_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", margin: float = 0.0
) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        active = margin - y_true * (y_pred[:, 0] - y_pred[:, 1]) > 0
    g = np.where(active, -y_true, 0.0)
    return np.column_stack([g, 0.0 - g])


TRIPLET = register(
    Loss(
        name="triplet",
        aliases=("triplet-margin", "triplet-loss", "triplet-margin-loss"),
        family="metric",
        summary="Triplet margin loss: the anchor nearer its positive than its negative, by m.",
        target="triplet",
        pred_columns="many",
        spaces=("raw",),
        params=(
            Param(
                "margin",
                1.0,
                "how much nearer the positive must be than the negative",
                lower=0.0,
            ),
            Param("p_norm", 2.0, "the p of the p-norm distance (2: Euclidean)", lower=1.0),
            Param(
                "swap",
                "no",
                "yes: the negative's distance is min(d(a, n), d(p, n)), TripletMarginLoss's "
                "swap (embeddings only)",
                choices=("no", "yes"),
            ),
        ),
        properties=Properties(convex=False, smooth=False, robust=False, probabilistic=False),
        value=triplet_value,
        grad=triplet_grad,
        prepare=prepare_triplets_one_group,
        formula=(
            "L = max(0, d(a, p) - d(a, n) + m),  d(x, y) = (Σ_k |x_k - y_k|^p)^(1/p); "
            "predictions a | p | n side by side, or the distances d(a,p), d(a,n); no target"
        ),
        grad_formula=(
            "while active: dL/da = u(a - p) - u(a - n), dL/dp = -u(a - p), dL/dn = u(a - n), "
            "u(x) = sign(x) (|x| / ||x||_p)^(p-1)"
        ),
        typical_use=(
            "Learning embeddings from (anchor, positive, negative) triplets: face "
            "recognition, retrieval, person re-identification."
        ),
        confusions=(
            "PyTorch TripletMarginLoss adds eps = 1e-6 to the difference vector: "
            "d(a, a) = 1e-6 D^(1/p), not 0. Optax triplet_margin_loss adds eps inside the root "
            "and omits the absolute value, so odd p (p = 1, 3) gives a wrong distance there.",
            "The p-norm needs |x_k|: (Σ x_k^p)^(1/p) is not a norm for odd p.",
            "pytorch-metric-learning's TripletMarginLoss defaults to margin 0.05 on "
            "normalised embeddings.",
            "Zero once the margin is met: easy triplets teach nothing (hence hard-negative "
            "mining).",
        ),
        references=(
            "Schroff, Kalenichenko, Philbin. FaceNet: A Unified Embedding for Face Recognition "
            "and Clustering. CVPR 2015.",
            "Balntas, Riba, Ponsa, Mikolajczyk. Learning local feature descriptors with "
            "triplets and shallow convolutional neural networks. BMVC 2016.",
            "PyTorch torch.nn.TripletMarginLoss; Optax optax.losses.triplet_margin_loss.",
        ),
        kink_note=(
            "not differentiable at the margin, at a = p or a = n, and (p = 1) where a "
            "coordinate difference is 0; losscli uses 0 for each"
        ),
        takes_target=False,
    )
)

COSINE_EMBEDDING = register(
    Loss(
        name="cosine-embedding",
        aliases=("cosine-embedding-loss", "cosine-pair"),
        family="metric",
        summary="Cosine embedding loss: similar pairs aligned, dissimilar pairs below a margin.",
        target="cosine-pairs",
        pred_columns="many",
        spaces=("raw",),
        params=(
            Param(
                "margin",
                0.0,
                "cosine below which a dissimilar pair costs nothing",
                lower=-1.0,
                upper=1.0,
            ),
        ),
        properties=Properties(convex=False, smooth=False, robust=True, probabilistic=False),
        value=cosine_embedding_value,
        grad=cosine_embedding_grad,
        prepare=prepare_cosine_pairs,
        formula=(
            "L = 1 - cos(x1, x2) if y = +1;  max(0, cos(x1, x2) - m) if y = -1;  "
            "predictions x1 | x2 side by side"
        ),
        grad_formula=(
            "dcos/dx1 = (x̂2 - cos x̂1)/||x1||, dcos/dx2 = (x̂1 - cos x̂2)/||x2||; "
            "dL/dcos = -1 (similar), +1 (dissimilar above m), else 0"
        ),
        typical_use=(
            "Learning embeddings where direction matters and length does not: text and "
            "sentence similarity, semi-supervised pair labels."
        ),
        confusions=(
            "Labels are +1/-1 (PyTorch); 0/1 throughout are mapped to -1/+1 (and said).",
            "Keras CosineSimilarity is -cos (minimised at -1), a different loss; Optax "
            "cosine_distance and SciPy spatial.distance.cosine are 1 - cos, the similar branch.",
            "A zero vector has no cosine: losscli refuses it (PyTorch adds 1e-12 under the "
            "root and gets cos = 0).",
            "Bounded: at most 2 per pair.",
        ),
        references=(
            "PyTorch torch.nn.CosineEmbeddingLoss.",
            "Optax optax.losses.cosine_distance; SciPy scipy.spatial.distance.cosine.",
        ),
        kink_note="not differentiable at cos = m for a dissimilar pair; losscli uses 0 there",
    )
)

MARGIN_RANKING = register(
    Loss(
        name="margin-ranking",
        aliases=("margin-ranking-loss", "pairwise-hinge", "ranking-hinge"),
        family="metric",
        summary="Margin ranking loss: the score of the preferred item ahead by a margin.",
        target="ranked-pairs",
        pred_columns="many",
        spaces=("raw",),
        params=(
            Param(
                "margin",
                0.0,
                "how far the preferred score must lead",
                lower=0.0,
            ),
        ),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=margin_ranking_value,
        grad=margin_ranking_grad,
        prepare=prepare_ranked_pairs,
        formula="L = max(0, m - y (x1 - x2)),  y = +1 if x1 should rank higher, -1 if x2",
        grad_formula="while active: dL/dx1 = -y, dL/dx2 = +y; else 0",
        typical_use=(
            "Pairwise learning to rank (RankSVM) and preference learning: only the order of "
            "the two scores matters."
        ),
        confusions=(
            "With m = 0 (PyTorch's default) a tie costs nothing; a positive margin asks for a gap.",
            "It is the hinge loss of the score difference: hinge(y, x1 - x2) at m = 1.",
        ),
        references=(
            "Herbrich, Graepel, Obermayer. Large Margin Rank Boundaries for Ordinal "
            "Regression. 2000.",
            "PyTorch torch.nn.MarginRankingLoss.",
        ),
        kink_note="not differentiable at y (x1 - x2) = m; losscli uses 0 there",
    )
)
