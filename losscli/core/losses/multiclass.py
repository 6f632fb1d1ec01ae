"""Multi-class losses on rows of class scores or probabilities: margin losses (Crammer-Singer
and Weston-Watkins hinges, the multi-class perceptron), softmax focal, Poly-1 and Brier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.classification import (
    LABEL_SMOOTHING_PARAM,
    prepare_ce,
    smooth_rows,
    target_rows,
)
from losscli.core.losses.numerics import expm1_minus, log_softmax, x_times
from losscli.core.losses.registry import register
from losscli.core.losses.types import Array, Loss, Param, Prepared, Properties, Space

# --- inputs --------------------------------------------------------------------------------------


def prepare_class_scores(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """One integer class label per example against a row of K >= 2 raw class scores."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "(one class label per example)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    _at_least_two_classes(y_pred)
    checks.check_labels(y_true, y_pred.shape[1])
    return Prepared(y_true[:, 0], y_pred)


# The label of a one-hot row with no 1 (Keras CategoricalHinge's all-zero target): no class's
# score is the true one, every score is a competitor.
NO_CLASS = -1.0


def prepare_class_scores_or_rows(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """A class label per example, or a one-hot target row per example (Keras
    CategoricalHinge's form): 0/1 cells, at most one 1 per row; a row of zeros has no true
    class (label NO_CLASS)."""
    t = checks.as_2d(y_true, "target")
    p = checks.as_2d(y_pred, "pred")
    if t.shape[1] == 1 or t.shape[1] != p.shape[1] or p.shape[1] < 2:
        return prepare_class_scores(y_true, y_pred, space, params, normalize)
    checks.check_rows(t, p)
    checks.check_finite(t, "target")
    checks.check_finite(p, "pred")
    checks.check_binary(t)
    ones = t.sum(axis=1)
    if (ones > 1).any():
        row = int(np.argmax(ones > 1))
        raise DataError(
            f"a one-hot target row has at most one 1, not {int(ones[row])}", row=row, side="target"
        )
    labels = np.where(ones == 1, np.argmax(t, axis=1), NO_CLASS).astype(np.float64)
    return Prepared(labels, p)


def _crammer_singer_without_class(
    y_true: Array, y_pred: Array, margin: float, floor_others: bool
) -> tuple[Array, Array]:
    """Value and gradient of rows that may have no true class (all-zero one-hot rows):
    max(0, m + max_k f_k) there, every class a competitor; the others as usual."""
    none = y_true == NO_CLASS
    labels = np.where(none, 0.0, y_true)
    value = crammer_singer_value(labels, y_pred, margin=margin, floor_others=floor_others)
    grad = crammer_singer_grad(labels, y_pred, margin=margin, floor_others=floor_others)
    rows = np.flatnonzero(none)
    top = np.max(y_pred[rows], axis=1)
    col = np.argmax(y_pred[rows], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        value[rows] = np.maximum(0.0, top + margin)
        active = (top + margin > 0).astype(np.float64)
    grad[rows] = 0.0
    grad[rows, col] = active
    return value, grad


def _at_least_two_classes(y_pred: Array) -> None:
    if y_pred.shape[1] < 2:
        raise DataError(
            f"pred must have one column per class (at least 2), not {y_pred.shape[1]}",
            side="pred",
        )


def prepare_class_rows(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """As cross-entropy (a label or a target row per example), with at least 2 columns."""
    _at_least_two_classes(checks.as_2d(y_pred, "pred"))
    return prepare_ce(y_true, y_pred, space, params, normalize)


def _label_index(y: Array) -> np.ndarray:
    return y.astype(np.intp)


def _others_max(f: Array, y: Array) -> tuple[Array, np.ndarray]:
    """The largest score among the classes other than the label, and its column (the first
    such column where several tie: the subgradient losscli states)."""
    rows = np.arange(f.shape[0])
    masked = f.copy()
    masked[rows, _label_index(y)] = -np.inf
    col = np.argmax(masked, axis=1)
    return masked[rows, col], col


def _true_score(f: Array, y: Array) -> Array:
    return f[np.arange(f.shape[0]), _label_index(y)]


# --- Crammer-Singer, Weston-Watkins, perceptron ------------------------------------------------


def crammer_singer_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    floor_others: bool = False,
) -> Array:
    """max(0, m + max_{k≠y} f_k - f_y). A convention's `floor_others` (Keras CategoricalHinge)
    takes the best other score as at least 0."""
    if (y_true == NO_CLASS).any():
        return _crammer_singer_without_class(y_true, y_pred, margin, floor_others)[0]
    top, _ = _others_max(y_pred, y_true)
    if floor_others:
        top = np.maximum(top, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(0.0, (top - _true_score(y_pred, y_true)) + margin)


def crammer_singer_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    floor_others: bool = False,
) -> Array:
    if (y_true == NO_CLASS).any():
        return _crammer_singer_without_class(y_true, y_pred, margin, floor_others)[1]
    top, col = _others_max(y_pred, y_true)
    # With the floor at 0 holding (every other score negative), no other score moves it.
    floored = floor_others & (top < 0)
    if floor_others:
        top = np.maximum(top, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        active = ((top - _true_score(y_pred, y_true)) + margin > 0).astype(np.float64)
    rows = np.arange(y_pred.shape[0])
    g = np.zeros(y_pred.shape)
    g[rows, col] += np.where(floored, 0.0, active)
    g[rows, _label_index(y_true)] -= active
    return g


def _weston_watkins_terms(y_true: Array, y_pred: Array, margin: float) -> Array:
    """max(0, m + f_k - f_y) for every class k, 0 in the label's own column."""
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.maximum(0.0, (y_pred - _true_score(y_pred, y_true)[:, None]) + margin)
    terms[np.arange(y_pred.shape[0]), _label_index(y_true)] = 0.0
    return terms


def prepare_weighted_scores(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """As prepare_class_scores, with --class-weights one weight per class column."""
    prepared = prepare_class_scores(y_true, y_pred, space, params, normalize)
    weights = params.get("class_weights")
    k = prepared.y_pred.shape[1]
    if weights is not None and len(weights) != k:
        raise UsageError(
            f"--class-weights has {len(weights)} values but the predictions have {k} class "
            "columns; give one weight per class"
        )
    return prepared


def _label_weight(y_true: Array, class_weights: tuple[float, ...] | None) -> Array | float:
    """w[y] per example (PyTorch MultiMarginLoss's weight), 1 without class weights."""
    if class_weights is None:
        return 1.0
    return np.asarray(class_weights, dtype=np.float64)[_label_index(y_true)]


def weston_watkins_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    per_class: bool = False,
    p_norm: float = 1.0,
    class_weights: tuple[float, ...] | None = None,
) -> Array:
    """w[y] Σ_{k≠y} max(0, m + f_k - f_y)^p (p = 1 or 2, PyTorch MultiMarginLoss's p and
    weight); a convention's `per_class` (PyTorch) divides by the number of classes."""
    terms = _weston_watkins_terms(y_true, y_pred, margin)
    with np.errstate(over="ignore"):
        if p_norm == 2:
            terms = terms * terms
        total = np.sum(terms, axis=1)
        total = x_times(_label_weight(y_true, class_weights), total)
    return total / y_pred.shape[1] if per_class else total


def weston_watkins_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    margin: float = 1.0,
    per_class: bool = False,
    p_norm: float = 1.0,
    class_weights: tuple[float, ...] | None = None,
) -> Array:
    terms = _weston_watkins_terms(y_true, y_pred, margin)
    # d/df_k of max(0, t)^p: 1 while active (p = 1), 2 t (p = 2, 0 at the margin).
    active = 2.0 * terms if p_norm == 2 else (terms > 0).astype(np.float64)
    g = active.copy()
    g[np.arange(y_pred.shape[0]), _label_index(y_true)] = 0.0 - active.sum(axis=1)
    weight = _label_weight(y_true, class_weights)
    if class_weights is not None:
        g = x_times(np.asarray(weight)[:, None], g)
    return g / y_pred.shape[1] if per_class else g


def multiclass_perceptron_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.max(y_pred, axis=1) - _true_score(y_pred, y_true)


def multiclass_perceptron_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    rows = np.arange(y_pred.shape[0])
    col = np.argmax(y_pred, axis=1)
    # Active only where another class scores strictly higher than the label.
    active = (y_pred[rows, col] > _true_score(y_pred, y_true)).astype(np.float64)
    g = np.zeros(y_pred.shape)
    g[rows, col] += active
    g[rows, _label_index(y_true)] -= active
    return g


# --- log-probabilities and their complements ---------------------------------------------------


def _log_probs(y_pred: Array, space: Space) -> tuple[Array, Array]:
    """(ln p_k, ln(1 - p_k)) per cell, each to full precision also where p_k is near 1."""
    if space == "prob":
        with np.errstate(divide="ignore"):
            return np.log(y_pred), np.log1p(-y_pred)
    log_p = log_softmax(y_pred) if space == "logit" else y_pred
    # ln(1 - e^a): log1p(-e^a) for p <= 1/2, ln(-expm1(a)) above, where 1 - p is small.
    with np.errstate(divide="ignore"):
        low = np.log1p(-np.exp(np.minimum(log_p, -np.log(2.0))))
        high = np.log(-np.expm1(np.maximum(log_p, -np.log(2.0))))
    return log_p, np.where(log_p < -np.log(2.0), low, high)


# --- softmax focal ------------------------------------------------------------------------------


def _clipped_probabilities(y_pred: Array, space: Space, clip: float) -> tuple[Array, Array]:
    """Keras's CategoricalFocalCrossentropy: probabilities (softmax of logits) clipped to
    [clip, 1 - clip]; and a mask of the cells the clip left alone."""
    p = y_pred if space == "prob" else np.exp(_log_probs(y_pred, space)[0])
    clipped = np.clip(p, clip, 1.0 - clip)
    return clipped, clipped == p


def _focal_targets(
    y_true: Array, k: int, alpha: tuple[float, ...] | None, label_smoothing: float
) -> Array:
    """The target rows of softmax focal: smoothed towards 1/K, then each class's column
    weighted by alpha (one number for all classes or one per class; unset: 1), as Keras's
    CategoricalFocalCrossentropy multiplies them."""
    y = smooth_rows(target_rows(y_true, k), label_smoothing)
    if alpha is None:
        return y
    return y * np.broadcast_to(np.asarray(alpha, dtype=np.float64), (k,))


def prepare_focal_rows(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """As cross-entropy, with --alpha one number or one per class column."""
    prepared = prepare_class_rows(y_true, y_pred, space, params, normalize)
    alpha = params.get("alpha")
    k = prepared.y_pred.shape[1]
    if alpha is not None and len(alpha) not in (1, k):
        raise UsageError(
            f"--alpha has {len(alpha)} values; give one for every class or one per class ({k})"
        )
    return prepared


def softmax_focal_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    gamma: float = 2.0,
    clip: float = 0.0,
    alpha: tuple[float, ...] | None = None,
    label_smoothing: float = 0.0,
) -> Array:
    """-Σ_k alpha_k y_k (1 - p_k)^γ ln p_k. A convention's `clip` (Keras: 1e-7) clips p first,
    in the log and in the weight alike."""
    y_true = _focal_targets(y_true, y_pred.shape[1], alpha, label_smoothing)
    if clip > 0:
        y_pred, _ = _clipped_probabilities(y_pred, space, clip)
        space = "prob"
    log_p, log_1m = _log_probs(y_pred, space)
    # (1 - p_k)^gamma in log space: exactly 1 at gamma = 0 (then this is cross-entropy).
    weight = np.exp(x_times(gamma, log_1m))
    return -np.sum(x_times(y_true, x_times(log_p, weight)), axis=1)


def softmax_focal_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    gamma: float = 2.0,
    clip: float = 0.0,
    alpha: tuple[float, ...] | None = None,
    label_smoothing: float = 0.0,
) -> Array:
    if alpha is not None or label_smoothing:
        # Both only reweight the target rows; the gradient is linear in them.
        y = _focal_targets(y_true, y_pred.shape[1], alpha, label_smoothing)
        return softmax_focal_grad(y, y_pred, space=space, gamma=gamma, clip=clip)
    if clip > 0:
        clipped, free = _clipped_probabilities(y_pred, space, clip)
        g = np.where(free, softmax_focal_grad(y_true, clipped, space="prob", gamma=gamma), 0.0)
        if space == "prob":
            return g
        p = np.exp(_log_probs(y_pred, space)[0])
        if space == "logprob":
            return p * g  # dp/d(ln p) = p, cell by cell
        return p * (g - np.sum(p * g, axis=1, keepdims=True))  # through the softmax
    y = target_rows(y_true, y_pred.shape[1])
    log_p, log_1m = _log_probs(y_pred, space)
    with np.errstate(over="ignore", invalid="ignore"):
        if space == "prob":
            # dL/dp_k = y_k [gamma (1-p_k)^(gamma-1) ln p_k - (1-p_k)^gamma / p_k]
            first = gamma * x_times(log_p, np.exp(x_times(gamma - 1.0, log_1m)))
            first = np.where(gamma == 0, 0.0, first)
            second = np.exp(x_times(gamma, log_1m)) / y_pred
            return x_times(y, first - second)
        # h_k = p_k dL/dp_k = y_k [gamma p_k (1-p_k)^(gamma-1) ln p_k - (1-p_k)^gamma]; the
        # factor p ln p is 0 at p = 0 (its limit), not 0 * -inf.
        weight = np.exp(log_p + x_times(gamma - 1.0, log_1m))
        first = gamma * np.where(weight == 0, 0.0, x_times(log_p, weight))
        h = x_times(y, first - np.exp(x_times(gamma, log_1m)))
    if space == "logprob":
        return h  # d/d(ln p_k) = p_k d/dp_k, cell by cell
    # Through the softmax: dL/dz_j = h_j - p_j Σ_k h_k = h_j (1 - p_j) - p_j Σ_{k≠j} h_k,
    # with 1 - p_j from its logarithm, so a confident row keeps its digits.
    p = np.exp(log_p)
    total = np.sum(h, axis=1, keepdims=True)
    return h * np.exp(log_1m) - p * (total - h)


# --- Poly-1 --------------------------------------------------------------------------------------


def poly1_value(
    y_true: Array, y_pred: Array, *, space: Space = "prob", poly_epsilon: float = 2.0
) -> Array:
    y_true = target_rows(y_true, y_pred.shape[1])
    log_p, _ = _log_probs(y_pred, space)
    s = -log_p  # -ln p_k >= 0
    # Per class: -ln p + eps (1 - p) = (s - 1 + e^-s) + (1 + eps)(1 - e^-s), both parts
    # >= 0 for eps >= -1 and free of cancellation near p = 1.
    with np.errstate(invalid="ignore"):
        cells = expm1_minus(-s) + (1.0 + poly_epsilon) * -np.expm1(-s)
    return np.sum(x_times(y_true, cells), axis=1)


def poly1_grad(
    y_true: Array, y_pred: Array, *, space: Space = "prob", poly_epsilon: float = 2.0
) -> Array:
    y = target_rows(y_true, y_pred.shape[1])
    eps = poly_epsilon
    if space == "prob":
        with np.errstate(divide="ignore", invalid="ignore"):
            g = -y / y_pred - eps * y
        return np.where(y == 0, 0.0, g)
    log_p, log_1m = _log_probs(y_pred, space)
    p = np.exp(log_p)
    if space == "logprob":
        return -y - eps * y * p
    # Cross-entropy part: p_j Σy - y_j; Poly part: eps p_j (p_t - y_j), with
    # p_t - y_j = (Σy - y_j) - Σ_k y_k (1 - p_k) so that 1 - p is never formed by subtraction.
    rest = np.exp(log_1m)
    total = np.sum(y, axis=1, keepdims=True)
    missing = np.sum(y * rest, axis=1, keepdims=True)
    ce = (total - y) * p - y * rest
    return ce + eps * p * ((total - y) - missing)


# --- Brier ---------------------------------------------------------------------------------------


def _brier_scale(k: int, half_for_two_columns: bool) -> float:
    # scikit-learn's scale_by_half='auto': two columns are the binary case, halved.
    return 0.5 if half_for_two_columns and k == 2 else 1.0


def brier_value(
    y_true: Array, y_pred: Array, *, space: Space = "prob", half_for_two_columns: bool = False
) -> Array:
    d = y_pred - target_rows(y_true, y_pred.shape[1])
    return np.sum(d * d, axis=1) * _brier_scale(y_pred.shape[1], half_for_two_columns)


def brier_grad(
    y_true: Array, y_pred: Array, *, space: Space = "prob", half_for_two_columns: bool = False
) -> Array:
    g = 2.0 * (y_pred - target_rows(y_true, y_pred.shape[1]))
    return g * _brier_scale(y_pred.shape[1], half_for_two_columns)


# --- records -------------------------------------------------------------------------------------

MARGIN_PARAM = Param(
    "margin",
    1.0,
    "how far the true class's score must lead the others",
    lower=0.0,
)

_SCORES = dict(
    family="classification",
    target="class",
    pred_columns="many",
    spaces=("raw",),
    prepare=prepare_class_scores,
)

MULTICLASS_HINGE = register(
    Loss(
        name="multiclass-hinge",
        aliases=("crammer-singer", "categorical-hinge", "multi-class-hinge"),
        summary="Crammer-Singer multi-class hinge: the margin against the best other class.",
        params=(MARGIN_PARAM,),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=crammer_singer_value,
        grad=crammer_singer_grad,
        formula=(
            "L = max(0, m + max_{k≠y} f_k - f_y),  f = row of class scores, y = label or a "
            "one-hot row (a row of zeros: max(0, m + max_k f_k))"
        ),
        grad_formula=("dL/df_j* = 1, dL/df_y = -1 while active (j* the best other class), else 0"),
        typical_use=(
            "Multi-class SVMs and max-margin classifiers: only the strongest competitor of "
            "the true class matters."
        ),
        confusions=(
            "Crammer-Singer takes the max over the other classes; Weston-Watkins "
            "(multi-margin) sums over them.",
            "Keras CategoricalHinge floors the best other score at 0 (max((1 - y) f) over all "
            "columns, 0 in the true one): it differs when every other score is negative.",
            "scikit-learn hinge_loss on more than two classes and Optax multiclass_hinge_loss "
            "compute this, with m = 1.",
        ),
        references=(
            "Crammer, Singer. On the Algorithmic Implementation of Multiclass Kernel-based "
            "Vector Machines. JMLR 2, 2001.",
            "scikit-learn sklearn.metrics.hinge_loss; Optax optax.losses.multiclass_hinge_loss; "
            "Keras keras.losses.CategoricalHinge.",
        ),
        kink_note=(
            "not differentiable at the margin and where other classes tie for the max; "
            "losscli uses 0 at the margin and the first of tied columns"
        ),
        **(_SCORES | {"prepare": prepare_class_scores_or_rows}),  # type: ignore[arg-type]
    )
)

MULTI_MARGIN = register(
    Loss(
        name="multi-margin",
        aliases=("weston-watkins", "multi-margin-loss", "multiclass-hinge-sum"),
        summary="Weston-Watkins multi-class hinge: the margin against every other class, summed.",
        params=(
            MARGIN_PARAM,
            Param(
                "p_norm",
                1.0,
                "exponent p of each term: 1 (hinge) or 2 (squared hinge), MultiMarginLoss's p",
                lower=1.0,
                upper=2.0,
                integer=True,
            ),
            Param(
                "class_weights",
                None,
                "one weight per class: the example's loss times w[y] (MultiMarginLoss's weight)",
                lower=0.0,
                vector=True,
            ),
        ),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=weston_watkins_value,
        grad=weston_watkins_grad,
        formula="L = w_y Σ_{k≠y} max(0, m + f_k - f_y)^p,  p = 1 or 2 (--p-norm), w = 1 unset",
        grad_formula=(
            "p = 1: dL/df_k = w_y for each active k ≠ y, dL/df_y = -w_y (number active); "
            "p = 2: 2 w_y t_k and -2 w_y Σ t_k, t_k = max(0, m + f_k - f_y)"
        ),
        typical_use=(
            "Multi-class max-margin training where every competing class should be pushed "
            "below the true one (PyTorch MultiMarginLoss)."
        ),
        confusions=(
            "PyTorch MultiMarginLoss divides the sum by the number of classes C; the "
            "Weston-Watkins definition (and losscli) does not.",
            "Sum over other classes, not the max (that is multiclass-hinge, Crammer-Singer).",
            "PyTorch's p = 2 variant squares each term: --p-norm 2; its weight multiplies "
            "each example by w[y] and the mean still divides by n: --class-weights.",
        ),
        references=(
            "Weston, Watkins. Support Vector Machines for Multi-Class Pattern Recognition. "
            "ESANN 1999.",
            "PyTorch torch.nn.MultiMarginLoss.",
        ),
        kink_note="not differentiable where a term reaches its margin; losscli uses 0 there",
        **(_SCORES | {"prepare": prepare_weighted_scores}),  # type: ignore[arg-type]
    )
)

MULTICLASS_PERCEPTRON = register(
    Loss(
        name="multiclass-perceptron",
        aliases=("multi-class-perceptron",),
        summary="Multi-class perceptron: how far the best score leads the true class's score.",
        params=(),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=multiclass_perceptron_value,
        grad=multiclass_perceptron_grad,
        formula="L = max_k f_k - f_y",
        grad_formula="dL/df_j* = 1, dL/df_y = -1 where another class j* scores higher, else 0",
        typical_use=(
            "The multi-class (structured) perceptron: update only on mistakes, towards the "
            "true class and away from the predicted one."
        ),
        confusions=(
            "Zero as soon as the true class has the top score, by any margin.",
            "Ties with the true class count as correct (loss and gradient 0).",
        ),
        references=(
            "Collins. Discriminative Training Methods for Hidden Markov Models. EMNLP 2002.",
            "Optax optax.losses.multiclass_perceptron_loss.",
        ),
        kink_note="not differentiable where scores tie; losscli uses 0 at a tie with the label",
        **_SCORES,  # type: ignore[arg-type]
    )
)

SOFTMAX_FOCAL = register(
    Loss(
        name="softmax-focal",
        aliases=("categorical-focal", "multiclass-focal", "focal-multiclass"),
        family="classification",
        summary="Multi-class focal loss: cross-entropy down-weighted by (1 - p)^γ per class.",
        target="labels",
        pred_columns="many",
        spaces=("prob", "logit", "logprob"),
        params=(
            Param("gamma", 2.0, "focusing exponent: 0 gives cross-entropy", lower=0.0),
            Param(
                "alpha",
                None,
                "weight of each class's term: one number for all classes or one per class "
                "(unset: 1; Keras's default is 0.25)",
                lower=0.0,
                vector=True,
            ),
            LABEL_SMOOTHING_PARAM,
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=True),
        value=softmax_focal_value,
        grad=softmax_focal_grad,
        prepare=prepare_focal_rows,
        formula=(
            "L = -Σ_k alpha_k y_k (1 - p_k)^γ ln p_k  (= -alpha_y (1 - p_y)^γ ln p_y for a "
            "label y); with --label-smoothing eps, y = (1 - eps) y + eps/K first"
        ),
        grad_formula=(
            "dL/dz_j = h_j - p_j Σ_k h_k,  h_k = y_k [γ p_k (1-p_k)^(γ-1) ln p_k - (1-p_k)^γ]"
        ),
        typical_use=(
            "Multi-class classification with many easy examples and a few hard ones (dense "
            "detection heads, long-tailed classes)."
        ),
        confusions=(
            "γ = 0 is cross-entropy exactly.",
            "Keras CategoricalFocalCrossentropy multiplies by alpha = 0.25 for every class by "
            "default (a constant factor, not a class balance) and clips p.",
            "With soft targets each class's term has its own weight (1 - p_k)^γ (Keras's "
            "form), not (1 - p_t)^γ of a combined p_t.",
        ),
        references=(
            "Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017.",
            "Keras keras.losses.CategoricalFocalCrossentropy.",
        ),
    )
)

POLY1 = register(
    Loss(
        name="poly1",
        aliases=("poly-1", "poly-loss", "polyloss", "poly1-cross-entropy"),
        family="classification",
        summary="Poly-1: cross-entropy plus ε times (1 - p_t), the first polynomial term.",
        target="labels",
        pred_columns="many",
        spaces=("prob", "logit", "logprob"),
        params=(
            Param(
                "poly_epsilon",
                2.0,
                "ε, the extra weight of the first polynomial term (1 - p_t); ε = 0 is "
                "cross-entropy",
                lower=-1.0,
            ),
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=True),
        value=poly1_value,
        grad=poly1_grad,
        prepare=prepare_class_rows,
        formula="L = -Σ_k y_k ln p_k + ε Σ_k y_k (1 - p_k)  (= CE + ε (1 - p_y) for a label)",
        grad_formula="dL/dz_j = p_j Σy - y_j + ε p_j (p_t - y_j);  dL/dp_k = -y_k/p_k - ε y_k",
        typical_use=(
            "A drop-in change to cross-entropy that re-weights its first Taylor term: ε > 0 "
            "(ImageNet: 2) pushes confident predictions further, ε = -1 softens them "
            "(detection)."
        ),
        confusions=(
            "ε >= -1 keeps the loss non-negative (-ln p >= 1 - p); losscli accepts no lower ε.",
            "Optax poly_loss_cross_entropy's default ε is 2.0, as losscli's.",
            "Not convex in the logits for ε > 0.",
        ),
        references=(
            "Leng, Xu, Yang et al. PolyLoss: A Polynomial Expansion Perspective of "
            "Classification Loss Functions. ICLR 2022.",
            "Optax optax.losses.poly_loss_cross_entropy.",
        ),
    )
)

BRIER = register(
    Loss(
        name="brier",
        aliases=("brier-score", "brier-score-loss"),
        family="classification",
        summary="Brier score: squared error of the predicted probabilities, summed over classes.",
        target="labels",
        pred_columns="any",
        spaces=("prob",),
        params=(),
        properties=Properties(convex=True, smooth=True, robust=True, probabilistic=True),
        value=brier_value,
        grad=brier_grad,
        prepare=prepare_ce,
        formula=(
            "L = Σ_k (p_k - y_k)^2 over the K columns (range [0, 2]); one column: (p - y)^2, "
            "p of class 1 (range [0, 1])"
        ),
        grad_formula="dL/dp_k = 2 (p_k - y_k)",
        typical_use=(
            "Scoring and comparing probabilistic forecasts and calibration: a strictly proper "
            "score that, unlike log loss, stays finite for confident mistakes."
        ),
        confusions=(
            "Binary Brier with one column is half the two-column sum: (p - y)^2 vs "
            "(p - y)^2 + ((1-p) - (1-y))^2.",
            "scikit-learn brier_score_loss halves the sum for two columns "
            "(scale_by_half='auto'), so with two columns it is half of losscli's value.",
            "Bounded: a confident wrong prediction costs at most 2 (log loss: infinity).",
        ),
        references=(
            "Brier. Verification of Forecasts Expressed in Terms of Probability. Monthly "
            "Weather Review 78(1), 1950.",
            "scikit-learn sklearn.metrics.brier_score_loss.",
        ),
    )
)
