"""Classification losses: binary and multi-class cross-entropy, focal, hinge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.numerics import (
    log_sigmoid,
    log_softmax,
    row_mean,
    safe_divide,
    shifted_exp,
    sigmoid,
    softmax,
    x_times,
)
from losscli.core.losses.registry import register
from losscli.core.losses.types import (
    GRAD_SHOWS_INFINITY,
    Array,
    Loss,
    Notice,
    Param,
    Prepared,
    Properties,
    Space,
)

EPS_PARAM = Param(
    "eps",
    0.0,
    "clip probabilities to [eps, 1-eps] before taking logs (0: no clipping, exact)",
    lower=0.0,
    upper=0.5,
)

LABEL_SMOOTHING_PARAM = Param(
    "label_smoothing",
    0.0,
    "mix the targets with the uniform distribution: (1-eps) y + eps/C (binary: towards 1/2)",
    lower=0.0,
    upper=1.0,
)


CLASS_WEIGHTS_PARAM = Param(
    "class_weights",
    None,
    "one weight per class column, multiplying each class's term (unset: all 1)",
    lower=0.0,
    vector=True,
)


def _check_eps(space: Space, params: Mapping[str, Any]) -> None:
    if params.get("eps", 0.0) > 0 and space != "prob":
        raise UsageError("--eps clips probabilities; it does not apply to logits or log-probs")


def _clip(p: Array, eps: float) -> tuple[Array, Array]:
    """Probabilities clipped to [eps, 1-eps], and a mask of the cells the clip left alone."""
    if eps <= 0:
        return p, np.ones(p.shape, dtype=bool)
    clipped = np.clip(p, eps, 1.0 - eps)
    return clipped, clipped == p


def _prepare_binary(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], *, soft: bool
) -> tuple[Array, Array]:
    """Binary targets (hard 0/1, or soft in [0, 1] when allowed) and one prediction column."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "for a binary loss")
    checks.check_columns(y_pred, "pred", (1,), "for a binary loss (one probability or logit)")
    # The label and probability checks pass only for finite cells (NaN and inf fail them):
    # where they pass, a finiteness check has nothing to add (one read of each array instead
    # of two or three). Where one fails, the checks below raise the same first error as ever.
    labels_pass = checks.in_range(y_true, 0.0, 1.0) if soft else checks.is_binary(y_true)
    probs_pass = space == "prob" and labels_pass and checks.in_range(y_pred, 0.0, 1.0)
    if not labels_pass:
        checks.check_finite(y_true, "target")
    if not probs_pass:
        checks.check_finite(y_pred, "pred")
    if not labels_pass:
        if soft:
            checks.check_range(y_true, "target", 0.0, 1.0, "a label in [0, 1]")
        else:
            checks.check_binary(y_true)
    if space == "prob" and not probs_pass:
        checks.check_range(
            y_pred, "pred", 0.0, 1.0, "a probability in [0, 1] (raw scores? pass --logits)"
        )
    _check_eps(space, params)
    return y_true[:, 0], y_pred[:, 0]


# --- binary cross-entropy ---------------------------------------------------------------
#
# Besides the user's parameters, the value and gradient functions take settings that only a
# convention (core/conventions/) passes; their defaults are the catalog's exact definition:
#   clip        clip probabilities to [clip, 1-clip] before the log (Keras 1e-7, scikit-learn
#               float64 epsilon); unlike --eps it applies to probabilities only, silently.
#   log_floor   clamp each log at this value (PyTorch BCELoss: -100).
#   grad_floor  PyTorch's BCELoss gradient (p - y) / max(p (1 - p), grad_floor).


def prepare_bce(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    return Prepared(*_prepare_binary(y_true, y_pred, space, params, soft=True))


def smooth_binary(y: Array, label_smoothing: float) -> Array:
    """Binary targets squeezed towards 1/2: y (1 - eps) + eps/2 (Keras's binary form)."""
    return y * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y


def bce_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    log_floor: float | None = None,
    grad_floor: float | None = None,
) -> Array:
    y = smooth_binary(y_true, label_smoothing)
    if space == "logit":
        return _bce_logit_value(y, _logit_parts(y_pred))
    p, _ = _clip(y_pred, max(eps, clip))
    return _bce_prob_value(y, p, log_floor)


def _inside_unit(p: Array) -> bool:
    """Every probability strictly between 0 and 1: then both logs are finite, and y ln p is
    plain y * ln p (x_times's where, 5x a multiply's time, only matters at ln 0 = -inf).
    Two reductions over a block already in the cache."""
    return p.size > 0 and bool(p.min() > 0.0) and bool(p.max() < 1.0)


def _bce_prob_value(y: Array, p: Array, log_floor: float | None) -> Array:
    """-(y ln p + (1-y) ln(1-p)), with ln(1-p) as log1p(-p) and 0 ln 0 = 0."""
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(p), np.log1p(-p)
    if log_floor is not None:
        log_p, log_q = np.maximum(log_p, log_floor), np.maximum(log_q, log_floor)
    if not _inside_unit(p):
        return -(x_times(y, log_p) + x_times(1.0 - y, log_q))
    # The same sum bit for bit: x_times differs from * only where a log is infinite (p = 0 or
    # 1), or in the sign of a 0 term, which leaves the sum's other term as it is.
    log_p *= y
    log_q *= 1.0 - y
    log_p += log_q
    return np.negative(log_p, out=log_p)


def bce_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    log_floor: float | None = None,
    grad_floor: float | None = None,
) -> Array:
    y = smooth_binary(y_true, label_smoothing)
    if space == "logit":
        return _bce_logit_grad(y, y_pred, _exp_minus_abs(y_pred))  # no logs: e^-|z| alone
    limit = max(eps, clip)
    p, free = _clip(y_pred, limit)
    if grad_floor is not None:
        g = (p - y) / np.maximum(p * (1.0 - p), grad_floor)
    elif _inside_unit(p):
        # safe_divide's where only matters at 0 / 0 (p = 0 or 1): the same numbers without it.
        g = np.divide(y, p)
        np.negative(g, out=g)
        g += np.divide(1.0 - y, 1.0 - p)
    else:
        g = -safe_divide(y, p) + safe_divide(1.0 - y, 1.0 - p)
    # Without a clip every cell is free: no pass to select.
    return np.where(free, g, 0.0) if limit > 0 else g


def bce_value_and_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    log_floor: float | None = None,
    grad_floor: float | None = None,
) -> tuple[Array, Array]:
    """bce_value and bce_grad from one call: for logits, one e^-|z| serves both."""
    if space == "logit":
        y = smooth_binary(y_true, label_smoothing)
        parts = _logit_parts(y_pred)
        return _bce_logit_value(y, parts), _bce_logit_grad(y, parts.z, parts.e)
    settings: dict[str, Any] = dict(
        space=space,
        eps=eps,
        label_smoothing=label_smoothing,
        clip=clip,
        log_floor=log_floor,
        grad_floor=grad_floor,
    )
    return bce_value(y_true, y_pred, **settings), bce_grad(y_true, y_pred, **settings)


class _LogitParts:
    """What the logit forms of the binary losses share, from one exponential:
    e = e^-|z|, softplus(z) = max(z, 0) + ln(1 + e) and softplus(-z) = max(z, 0) - z + ln(1 + e)
    (numpy's logaddexp(0, -+z) term for term: each exact in its own tail).
    (A plain class: a dataclass costs milliseconds of every start-up.)"""

    def __init__(self, z: Array, e: Array, softplus_pos: Array, softplus_neg: Array) -> None:
        self.z = z
        self.e = e
        self.softplus_pos = softplus_pos  # softplus(z) = -ln sigmoid(-z)
        self.softplus_neg = softplus_neg  # softplus(-z) = -ln sigmoid(z)


def _exp_minus_abs(z: Array) -> Array:
    """e^-|z|, in [0, 1]."""
    e = np.abs(z)
    np.negative(e, out=e)
    return np.exp(e, out=e)


def _logit_parts(z: Array) -> _LogitParts:
    e = _exp_minus_abs(z)
    log_term = np.log1p(e)
    top = np.maximum(z, 0.0)
    softplus_neg = top - z
    softplus_neg += log_term
    top += log_term
    return _LogitParts(z, e, top, softplus_neg)


def _bce_logit_value(y: Array, parts: _LogitParts) -> Array:
    # y softplus(-z) + (1-y) softplus(z): a confident correct logit gives about e^-|z|, not a
    # cancelled 0 (the terms are finite for finite z, so 0 * term is 0).
    out = y * parts.softplus_neg
    out += (1.0 - y) * parts.softplus_pos
    return out


def _bce_logit_grad(y: Array, z: Array, e: Array) -> Array:
    """sigmoid(z) - y from the logits z and e = e^-|z|."""
    # sigmoid(z) - y written as (1-y) sigmoid(z) - y sigmoid(-z): for a hard label one term is
    # 0 and the other keeps full relative precision (sigmoid(40) - 1 would round to 0, not
    # -e^-40). sigmoid(|z|) = 1 / (1 + e), sigmoid(-|z|) = e / (1 + e), each rounded once.
    # Each numerator is 1 or e as z >= 0 or not, picked by a maximum instead of where (5x the
    # time of a maximum over random signs): max(1, e) = 1 and max(0, e) = e exactly, e <= 1.
    one_plus = 1.0 + e
    sig_z = np.greater_equal(z, 0.0, out=np.empty_like(e))
    np.maximum(sig_z, e, out=sig_z)  # 1 where z >= 0, else e
    sig_minus_z = np.less(z, 0.0, out=np.empty_like(e))
    np.maximum(sig_minus_z, e, out=sig_minus_z)  # e where z >= 0, else 1
    sig_z /= one_plus  # sigmoid(z)
    sig_minus_z /= one_plus  # sigmoid(-z)
    sig_z *= 1.0 - y
    sig_minus_z *= y
    sig_z -= sig_minus_z
    return sig_z


# --- cross-entropy -----------------------------------------------------------------------


def prepare_ce(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Integer labels or target rows against rows of class probabilities, logits or log-probs.

    One prediction column is the binary case: p (or the logit) of class 1.
    """
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_finite(y_true, "target")
    if space == "logit" and y_pred.shape[1] > 1:
        checks.check_finite_or_masked(y_pred, "pred")  # -inf: a masked class (Optax)
    else:
        checks.check_finite(y_pred, "pred")
    _check_eps(space, params)
    k = y_pred.shape[1]
    weights = params.get("class_weights")
    if weights is not None and len(weights) != k:
        raise UsageError(
            f"--class-weights has {len(weights)} values but the predictions have {k} class "
            "columns; give one weight per class"
            + (" (one probability column: use multilabel-bce --pos-weight)" if k == 1 else "")
        )
    if k == 1:
        if space == "logprob":
            raise UsageError(
                "cross-entropy with one prediction column takes probabilities or logits"
            )
        y, p = _prepare_binary(y_true, y_pred, space, params, soft=True)
        return Prepared(y[:, None], p[:, None])
    if y_true.shape[1] == 1:
        # Integer labels stay a label column: the value needs only p[y], not a one-hot row.
        checks.check_labels(y_true, k)
        rows = y_true
    elif y_true.shape[1] == k:
        checks.check_range(y_true, "target", 0.0, 1.0, "a probability in [0, 1]")
        rows = checks.rows_summing_to_one(y_true, "target", normalize)
    else:
        raise DataError(
            f"target must be one label column or {k} columns like the predictions, "
            f"not {y_true.shape[1]}",
            side="target",
        )
    if space == "prob":
        checks.check_range(
            y_pred, "pred", 0.0, 1.0, "a probability in [0, 1] (raw scores? pass --logits)"
        )
        y_pred = checks.rows_summing_to_one(y_pred, "pred", normalize)
    elif space == "logprob":
        y_pred = checks.log_rows_summing_to_one(y_pred, "pred", normalize)
    # PyTorch's weighted mean divides by the weights of the targets' classes: each label's
    # weight, for a convention to use (a target row counts 1, as PyTorch counts it).
    mean_weights = None
    if weights is not None and rows.shape[1] == 1:
        mean_weights = np.asarray(weights)[rows[:, 0].astype(np.intp)]
    return Prepared(rows, y_pred, mean_weights=mean_weights)


def target_rows(y_true: Array, k: int) -> Array:
    """Target rows of width k: a label column (from prepare_ce) becomes one-hot rows."""
    if y_true.shape[1] == k:
        return y_true
    rows = np.zeros((y_true.shape[0], k))
    rows[np.arange(y_true.shape[0]), y_true[:, 0].astype(np.intp)] = 1.0
    return rows


def smooth_rows(y: Array, label_smoothing: float) -> Array:
    """Target rows mixed with the uniform distribution: (1 - eps) y + eps/C (PyTorch, Keras)."""
    if not label_smoothing:
        return y
    return y * (1.0 - label_smoothing) + label_smoothing / y.shape[1]


def _weighted_rows(y: Array, class_weights: tuple[float, ...] | None) -> Array:
    """Target rows with each class's column multiplied by its weight."""
    if class_weights is None:
        return y
    return y * np.asarray(class_weights)[None, :]


def ce_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    class_weights: tuple[float, ...] | None = None,
) -> Array:
    if y_pred.shape[1] == 1:
        return bce_value(
            y_true[:, 0],
            y_pred[:, 0],
            space=space,
            eps=eps,
            label_smoothing=label_smoothing,
            clip=clip,
        )
    k = y_pred.shape[1]
    if y_true.shape[1] == 1 and not label_smoothing:
        # A label column: -ln p[y] from the true class alone (no one-hot rows, one log per
        # row in probability space), the same numbers as the row form below.
        rows = np.arange(y_pred.shape[0])
        labels = y_true[:, 0].astype(np.intp)
        w = 1.0 if class_weights is None else np.asarray(class_weights)[labels]
        if space == "logit":
            return _ce_label_value(_softmax_parts(y_pred, labels), w)
        if space == "logprob":
            return x_times(w, -y_pred[rows, labels])
        p_true, _ = _clip(y_pred[rows, labels], max(eps, clip))
        with np.errstate(divide="ignore"):
            return x_times(w, -np.log(p_true))
    y = _weighted_rows(smooth_rows(target_rows(y_true, k), label_smoothing), class_weights)
    if space == "logit":
        logp = log_softmax(y_pred)
    elif space == "logprob":
        logp = y_pred
    else:
        p, _ = _clip(y_pred, max(eps, clip))
        with np.errstate(divide="ignore"):
            logp = np.log(p)
    return -np.sum(x_times(y, logp), axis=1)


def ce_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    class_weights: tuple[float, ...] | None = None,
) -> Array:
    if y_pred.shape[1] == 1:
        return bce_grad(
            y_true[:, 0],
            y_pred[:, 0],
            space=space,
            eps=eps,
            label_smoothing=label_smoothing,
            clip=clip,
        )[:, None]
    if space == "logit" and y_true.shape[1] == 1 and not label_smoothing:
        labels = y_true[:, 0].astype(np.intp)
        w = None if class_weights is None else np.asarray(class_weights)[labels]
        return _ce_label_grad(_softmax_parts(y_pred, labels), w)
    y = smooth_rows(target_rows(y_true, y_pred.shape[1]), label_smoothing)
    # Class weights scale each class's target mass: the formulas below hold with w y for y.
    y = _weighted_rows(y, class_weights)
    if space == "logit":
        # softmax(z) sum(y) - y = (sum(y) - y) p - y (1 - p). For the largest logit, 1 - p is the
        # sum of the other probabilities rather than a subtraction from 1, so a confident
        # correct row keeps full relative precision (p - 1 would round to 0 at a gap of 40).
        p = softmax(y_pred)
        rows, top = np.arange(p.shape[0]), np.argmax(y_pred, axis=1)
        others = p.copy()
        others[rows, top] = 0.0
        rest = 1.0 - p
        rest[rows, top] = others.sum(axis=1)
        total = y.sum(axis=1, keepdims=True)
        return (total - y) * p - y * rest
    if space == "logprob":
        return -y
    p, free = _clip(y_pred, max(eps, clip))
    return np.where(free, -safe_divide(y, p), 0.0)


def ce_value_and_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    eps: float = 0.0,
    label_smoothing: float = 0.0,
    clip: float = 0.0,
    class_weights: tuple[float, ...] | None = None,
) -> tuple[Array, Array]:
    """ce_value and ce_grad from one call: for logits against a label column, one softmax."""
    if space == "logit" and y_pred.shape[1] > 1 and y_true.shape[1] == 1 and not label_smoothing:
        labels = y_true[:, 0].astype(np.intp)
        parts = _softmax_parts(y_pred, labels)
        if class_weights is None:
            return _ce_label_value(parts, 1.0), _ce_label_grad(parts, None)
        w = np.asarray(class_weights)[labels]
        return _ce_label_value(parts, w), _ce_label_grad(parts, w)
    settings: dict[str, Any] = dict(
        space=space,
        eps=eps,
        label_smoothing=label_smoothing,
        clip=clip,
        class_weights=class_weights,
    )
    return ce_value(y_true, y_pred, **settings), ce_grad(y_true, y_pred, **settings)


class _SoftmaxParts:
    """Rows of logits shifted by their largest (numerics.ShiftedExp: `shifted`, `others` =
    e^shifted with the largest cell 0, its row sums `total` = S, so that ln(sum of
    e^shifted) = log1p(S), as numerics.log_softmax), and the flat indices (into a row-major
    array of the rows' shape) of each row's largest cell `top` and of its label's cell `at`.
    """

    def __init__(self, z: Array, labels: np.ndarray) -> None:
        parts = shifted_exp(z)
        self.shifted = parts.shifted
        self.others = parts.others
        self.total = parts.others_sum
        self.top = parts.top
        self.at = np.arange(0, z.size, z.shape[1]) + labels


def _softmax_parts(z: Array, labels: np.ndarray) -> _SoftmaxParts:
    return _SoftmaxParts(z, labels)


def _ce_label_value(parts: _SoftmaxParts, w: Array | float) -> Array:
    # -log_softmax(z)[y] = ln(1 + S) - (z[y] - max)
    value = np.log1p(parts.total)
    value -= parts.shifted.reshape(-1)[parts.at]
    return value if isinstance(w, float) and w == 1.0 else x_times(w, value)


def _ce_label_grad(parts: _SoftmaxParts, w: Array | None) -> Array:
    # softmax(z) - onehot(y), times w[y]. The label's cell is -(1 - p[y]); where the label is
    # the largest logit, 1 - p[y] is S / (1 + S), the mass of the others, not a subtraction
    # from 1 (which would round a confident correct row's gradient to 0).
    # Written into `others` (its last use): the softmax of the whole block in one division.
    norm = 1.0 + parts.total
    p = np.divide(parts.others, norm[:, None], out=parts.others)
    cells = p.reshape(-1)
    cells[parts.top] = 1.0 / norm
    at_label = cells[parts.at]
    rest = np.where(parts.at == parts.top, parts.total / norm, 1.0 - at_label)
    if w is not None:
        p *= w[:, None]
        rest = x_times(w, rest)
    cells[parts.at] = -rest
    return p


# --- focal -------------------------------------------------------------------------------


def _focal_logs(
    y: Array, pred: Array, space: Space, eps: float, clip: float
) -> tuple[Array, Array, Array, Array]:
    """(s, ln p_t, ln(1 - p_t), mask) where s = +1 for a positive and -1 for a negative.

    --eps clips p everywhere. A convention's `clip` (Keras) clips p only inside the log of the
    cross-entropy term, so ln p_t comes from the clipped p_t and ln(1 - p_t), the focal
    weight, from the unclipped one; `mask` is False where that clip is active.
    """
    s = 2.0 * y - 1.0
    if space == "logit":
        return s, log_sigmoid(s * pred), log_sigmoid(-s * pred), np.ones(pred.shape, dtype=bool)
    p, _ = _clip(pred, eps)
    # The logs of p and 1 - p directly (log1p for 1 - p), then swapped for a negative: forming
    # p_t = 1 - p first rounds it (p = 1e-20 gave p_t = 1 and a loss of 0 instead of 1e-20), and
    # gamma = 0 would no longer be cross-entropy exactly.
    with np.errstate(divide="ignore"):
        log_p, log_1m_p = np.log(p), np.log1p(-p)
    log_1m = np.where(y == 1, log_1m_p, log_p)
    free = np.ones(p.shape, dtype=bool)
    if clip > 0:
        p, free = _clip(p, clip)
        with np.errstate(divide="ignore"):
            log_p, log_1m_p = np.log(p), np.log1p(-p)
    return s, np.where(y == 1, log_p, log_1m_p), log_1m, free


def _alpha_t(y: Array, alpha: float | None) -> Array | float:
    # alpha < 0 turns the weighting off, as torchvision's sigmoid_focal_loss(alpha=-1) does.
    if alpha is None or alpha < 0:
        return 1.0
    return np.where(y == 1, alpha, 1.0 - alpha)


def prepare_focal(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    return Prepared(*_prepare_binary(y_true, y_pred, space, params, soft=False))


def focal_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    gamma: float = 2.0,
    alpha: float | None = None,
    eps: float = 0.0,
    clip: float = 0.0,
) -> Array:
    _, log_pt, log_1m, _ = _focal_logs(y_true, y_pred, space, eps, clip)
    # The modulating factor (1 - p_t)^gamma in log space: finite for every gamma >= 0,
    # and exactly 1 for gamma = 0 (0 * -inf is taken as 0), so focal(gamma=0) is cross-entropy.
    weight = np.exp(x_times(gamma, log_1m))
    # x_times: alpha_t = 0 (alpha = 0 or 1) silences an example exactly, even at p_t = 0.
    return -x_times(_alpha_t(y_true, alpha), x_times(log_pt, weight))


def focal_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    gamma: float = 2.0,
    alpha: float | None = None,
    eps: float = 0.0,
    clip: float = 0.0,
) -> Array:
    s, log_pt, log_1m, log_free = _focal_logs(y_true, y_pred, space, eps, clip)
    a = _alpha_t(y_true, alpha)
    if space == "logit":
        # dL/dz = s [gamma p_t (1-p_t)^gamma ln p_t - (1-p_t)^(gamma+1)], weights in log space.
        p_t = np.exp(log_pt)
        first = gamma * p_t * x_times(log_pt, np.exp(x_times(gamma, log_1m)))
        return s * a * (first - np.exp((gamma + 1.0) * log_1m))
    # dL/dp_t = gamma (1-p_t)^(gamma-1) ln p_t - (1-p_t)^gamma / p_t; the first term is 0
    # at p_t = 1 for every gamma > 0 (its limit), even where (1-p_t)^(gamma-1) is infinite.
    with np.errstate(over="ignore"):
        first = gamma * x_times(log_pt, np.exp(x_times(gamma - 1.0, log_1m)))
    first = np.where(gamma == 0, 0.0, first)
    with np.errstate(divide="ignore"):
        second = np.exp(x_times(gamma, log_1m)) / np.exp(log_pt)
    # Where a convention's clip holds ln p_t constant, only the weight's derivative is left.
    second = np.where(log_free, second, 0.0)
    # As in the value: alpha_t = 0 gives 0, not 0 * inf = NaN, where p_t is 0 or subnormal.
    g = s * x_times(a, first - second)
    _, free = _clip(y_pred, eps)
    return np.where(free, g, 0.0)


# --- hinge -------------------------------------------------------------------------------


def prepare_hinge(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Labels +-1 (0/1 accepted and mapped to -1/+1, with a notice) against raw scores.

    The setting `map_01=False` (Optax) takes labels as given: a label 0 stays 0.
    """
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "for hinge")
    checks.check_columns(y_pred, "pred", (1,), "for hinge (one score per example)")
    # Labels -1/+1 throughout (the usual input) are finite, need no mapping and raise
    # nothing below: one read of them instead of several masks.
    signs = checks.is_sign(y_true)
    if not signs:
        checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    if signs:
        return Prepared(y_true[:, 0], y_pred[:, 0])
    y = y_true[:, 0]
    notices: tuple[Notice, ...] = ()
    if not params.get("map_01", True):
        bad = (y != 1) & (y != -1) & (y != 0)
        zeros = np.flatnonzero(y == 0)
        if zeros.size and not bad.any():
            notices = (
                Notice(
                    "labels 0 are used as given (not mapped to -1): each costs 1 whatever the "
                    "score; map 0/1 labels to -1/+1 first",
                    tuple(int(r) for r in zeros[:10]),
                ),
            )
    elif np.all((y == 0) | (y == 1)) and np.any(y == 0):
        y = 2.0 * y - 1.0
        notices = (Notice("hinge labels 0/1 were mapped to -1/+1"),)
    elif params.get("two_labels", False) and np.unique(y).size == 2 and np.any(np.abs(y) != 1):
        # scikit-learn's hinge_loss: any two labels, the larger one the positive class.
        low, high = np.unique(y)
        y = np.where(y == high, 1.0, -1.0)
        notices = (
            Notice(f"hinge labels {low:g}/{high:g} were mapped to -1/+1 (the larger is +1)"),
        )
    bad = (y != 1) & (y != -1) & ((y != 0) | bool(params.get("map_01", True)))
    if bad.any():
        row = int(np.argmax(bad))
        hint = "" if params.get("two_labels") else "; --convention sklearn maps any two labels"
        raise DataError(
            "must be a label -1 or +1 (or 0/1 throughout" + hint + ")",
            row=row,
            side="target",
            column=0,
            value=y_true[row, 0],
        )
    return Prepared(y, y_pred[:, 0], notices)


def hinge_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return np.maximum(0.0, 1.0 - y_true * y_pred)


def hinge_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    # Exactly at the margin (y f = 1) the loss is taken as inactive: gradient 0 (PyTorch's choice).
    # + 0.0 turns the -0.0 of a label 0 (taken as given by Optax) into 0.0.
    return np.where(y_true * y_pred < 1.0, -y_true, 0.0) + 0.0


# --- records -----------------------------------------------------------------------------

BCE = register(
    Loss(
        name="binary-cross-entropy",
        aliases=("bce", "binary-crossentropy", "log-loss-binary"),
        family="classification",
        summary="Binary cross-entropy (log loss) of a probability or a logit against a 0/1 label.",
        target="binary",
        pred_columns="one",
        spaces=("prob", "logit"),
        params=(EPS_PARAM, LABEL_SMOOTHING_PARAM),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=bce_value,
        grad=bce_grad,
        value_and_grad=bce_value_and_grad,
        prepare=prepare_bce,
        formula=(
            "L = -[y ln p + (1-y) ln(1-p)];  with a logit z: L = y softplus(-z) + (1-y) softplus(z)"
        ),
        grad_formula="dL/dp = (p - y) / (p (1 - p));  dL/dz = sigmoid(z) - y",
        short_formula="-[y ln p + (1-y) ln(1-p)]",
        short_grad_formula="(p-y)/(p(1-p)); sigmoid(z) - y wrt a logit",
        framework_names={
            "torch": "`nn.BCELoss`, `nn.BCEWithLogitsLoss`",
            "keras": "`losses.BinaryCrossentropy`",
            "optax": "`losses.sigmoid_binary_cross_entropy`",
            "sklearn": "`metrics.log_loss`",
        },
        typical_use=(
            "Binary classification and multi-label problems where each output is an "
            "independent probability; the negative log-likelihood of a Bernoulli model."
        ),
        confusions=(
            "p = 0 for a positive is an infinite loss; frameworks clamp differently: PyTorch "
            "caps the log at -100, Keras clips p to [1e-7, 1-1e-7], scikit-learn at machine "
            "epsilon. losscli reports inf unless --eps is given.",
            "BCE(sigmoid(z)) in float32 saturates; pass --logits to use the exact softplus form.",
            "Soft targets in [0, 1] are allowed; the minimum is then the entropy of y, not 0.",
            "--label-smoothing eps uses y (1 - eps) + eps/2 (towards 1/2, as Keras's "
            "BinaryCrossentropy); PyTorch's BCELoss has no label smoothing.",
        ),
        references=(
            "Bishop. Pattern Recognition and Machine Learning, 2006, §4.3.2.",
            "PyTorch torch.nn.BCELoss / BCEWithLogitsLoss; scikit-learn sklearn.metrics.log_loss.",
            "Keras keras.losses.BinaryCrossentropy (label_smoothing towards 0.5).",
        ),
        # Infinite only at p = 0 with y > 0 (gradient -y/p = -inf) or p = 1 with y < 1
        # (+inf); finite for every finite logit; a clip or a floored log keeps both finite.
        extra={GRAD_SHOWS_INFINITY: True},
    )
)

CE = register(
    Loss(
        name="cross-entropy",
        aliases=("ce", "log-loss", "nll", "categorical-cross-entropy", "logloss"),
        family="classification",
        summary="Cross-entropy of class probabilities (or logits) against a label or a target row.",
        target="labels",
        pred_columns="any",
        spaces=("prob", "logit", "logprob"),
        params=(EPS_PARAM, LABEL_SMOOTHING_PARAM, CLASS_WEIGHTS_PARAM),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=ce_value,
        grad=ce_grad,
        value_and_grad=ce_value_and_grad,
        prepare=prepare_ce,
        formula="L = -Σ_k y_k ln p_k  (= -log(p[y]) for an integer label y)",
        grad_formula="dL/dz = softmax(z) - y wrt logits;  dL/dp_k = -y_k / p_k wrt probabilities",
        short_formula="-sum_k w_k y_k ln p_k",
        short_grad_formula="softmax(z) sum(w y) - w y wrt logits",
        framework_names={
            "torch": "`nn.CrossEntropyLoss`, `nn.NLLLoss`",
            "keras": "`losses.CategoricalCrossentropy`, `SparseCategoricalCrossentropy`",
            "optax": "`losses.softmax_cross_entropy(_with_integer_labels)`",
            "sklearn": "`metrics.log_loss`",
        },
        typical_use=(
            "The default for multi-class classification: the negative log-likelihood of a "
            "categorical model, minimised by calibrated probabilities."
        ),
        confusions=(
            "PyTorch CrossEntropyLoss takes logits, NLLLoss takes log-probabilities; here say "
            "which with --logits or --log-probs (default: probabilities).",
            "Labels are zero-indexed: label 2 is the third column.",
            "The value is in nats (natural log); divide by ln 2 for bits.",
            "With one prediction column it is binary cross-entropy of p(class 1).",
            "--label-smoothing eps uses (1 - eps) y + eps/C, as PyTorch, Keras and Optax; some "
            "code spreads eps/(C - 1) over the other classes instead.",
            "--class-weights w: each example's loss is w[y] (-ln p[y]) (soft rows: "
            "-Σ_k w_k y_k ln p_k), and the catalog's mean is the plain mean over examples. "
            "PyTorch's CrossEntropyLoss(weight=w) divides by Σ_i w[y_i] instead, a weighted "
            "mean (--convention torch); with soft target rows it divides by n.",
        ),
        references=(
            "Goodfellow, Bengio, Courville. Deep Learning, 2016, §6.2.2.3.",
            "Szegedy et al. Rethinking the Inception Architecture for Computer Vision. CVPR 2016, "
            "§7 (label smoothing).",
            "PyTorch torch.nn.CrossEntropyLoss; scikit-learn sklearn.metrics.log_loss.",
        ),
    )
)

FOCAL = register(
    Loss(
        name="focal",
        aliases=("focal-loss", "sigmoid-focal"),
        family="classification",
        summary="Focal loss: cross-entropy down-weighted on easy, well-classified examples.",
        target="binary",
        pred_columns="one",
        spaces=("prob", "logit"),
        params=(
            Param("gamma", 2.0, "focusing exponent: 0 gives cross-entropy", lower=0.0),
            Param(
                "alpha",
                None,
                "weight of the positive class (negatives get 1-alpha); unset or negative "
                "(torchvision's alpha=-1): no weighting",
                lower=-1.0,
                upper=1.0,
            ),
            EPS_PARAM,
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=True),
        value=focal_value,
        grad=focal_grad,
        prepare=prepare_focal,
        formula="L = -α_t (1 - p_t)^γ ln p_t,  p_t = p if y = 1 else 1 - p",
        grad_formula=(
            "dL/dz = s α_t [γ p_t (1-p_t)^γ ln p_t - (1-p_t)^(γ+1)],  s = +1 if y = 1 else -1"
        ),
        short_formula="-alpha_t (1-p_t)^gamma ln p_t",
        short_grad_formula="analytic, weights in log space",
        framework_names={
            "torch": "`torchvision.ops.sigmoid_focal_loss`",
            "keras": "`losses.BinaryFocalCrossentropy`",
            "optax": "`losses.sigmoid_focal_loss`",
        },
        typical_use=(
            "Dense detection and classification with extreme class imbalance (positives under "
            "about 1%), where many easy negatives would swamp cross-entropy."
        ),
        confusions=(
            "torchvision sigmoid_focal_loss applies alpha = 0.25 by default (to positives); "
            "Optax applies none; Keras binary focal ignores alpha unless class balancing is on. "
            "losscli applies alpha only when --alpha is given.",
            "alpha weights the positive class; 0.25 down-weights positives, which surprises "
            "people who expect it to up-weight the rare class.",
            "Computed in log space: gradients stay finite for gamma < 1 (torchvision gives NaN).",
        ),
        references=(
            "Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017.",
            "torchvision.ops.sigmoid_focal_loss; optax.sigmoid_focal_loss.",
        ),
    )
)

HINGE = register(
    Loss(
        name="hinge",
        aliases=("hinge-loss", "svm"),
        family="classification",
        summary="Hinge loss: zero beyond the margin, linear inside it.",
        target="sign",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=hinge_value,
        grad=hinge_grad,
        prepare=prepare_hinge,
        formula="L = max(0, 1 - y f),  y in {-1, +1}, f a raw score",
        grad_formula="dL/df = -y if y f < 1, else 0 (0 exactly at the margin)",
        short_formula="max(0, 1 - y f), y = +-1 (0/1 mapped, and said)",
        short_grad_formula="-y if y f < 1, else 0",
        framework_names={
            "keras": "`losses.Hinge`",
            "optax": "`losses.hinge_loss`",
            "sklearn": "`metrics.hinge_loss`",
        },
        typical_use=(
            "Maximum-margin classifiers (linear SVMs) when only the decision matters, not "
            "calibrated probabilities."
        ),
        confusions=(
            "Labels must be -1/+1; 0/1 labels are mapped (and losscli says so). Optax needs +-1; "
            "scikit-learn accepts any two labels.",
            "A correct prediction with y f < 1 still costs: the margin, not the sign, is the "
            "target.",
            "PyTorch HingeEmbeddingLoss is a different loss (on distances).",
        ),
        references=(
            "Cortes, Vapnik. Support-Vector Networks. Machine Learning 20, 1995.",
            "scikit-learn sklearn.metrics.hinge_loss; optax.hinge_loss.",
        ),
        kink_note="not differentiable at y f = 1; losscli uses 0 there",
    )
)


# --- more binary losses ----------------------------------------------------------------------
#
# Appended after the catalog's first four; multi-class losses on score rows live in
# multiclass.py.


def squared_hinge_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    gap = np.maximum(0.0, 1.0 - y_true * y_pred)
    with np.errstate(over="ignore"):
        return gap * gap


def squared_hinge_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    gap = 1.0 - y_true * y_pred
    with np.errstate(over="ignore"):
        return np.where(gap > 0, -2.0 * y_true * gap, 0.0)


def perceptron_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return np.maximum(0.0, -y_true * y_pred)


def perceptron_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    # Exactly on the boundary (y f = 0) the loss is taken as inactive, as hinge at its margin.
    return np.where(y_true * y_pred < 0.0, -y_true, 0.0)


def prepare_multilabel(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Rows of K labels in [0, 1] against K probabilities or logits, one per label."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    k = y_pred.shape[1]
    checks.check_columns(y_true, "target", (k,), "(one label per prediction column)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    checks.check_range(y_true, "target", 0.0, 1.0, "a label in [0, 1]")
    if space == "prob":
        checks.check_range(
            y_pred, "pred", 0.0, 1.0, "a probability in [0, 1] (raw scores? pass --logits)"
        )
    _check_eps(space, params)
    weights = params.get("pos_weight")
    if weights is not None and len(weights) not in (1, k):
        raise UsageError(
            f"--pos-weight has {len(weights)} values; give one for every label or one per "
            f"label ({k})"
        )
    return Prepared(y_true, y_pred)


def _pos_weights(pos_weight: tuple[float, ...] | None, k: int) -> Array:
    if pos_weight is None:
        return np.ones(k)
    return np.broadcast_to(np.asarray(pos_weight, dtype=np.float64), (k,))


def multilabel_bce_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    pos_weight: tuple[float, ...] | None = None,
    eps: float = 0.0,
    clip: float = 0.0,
    log_floor: float | None = None,
    grad_floor: float | None = None,
    label_smoothing: float = 0.0,
) -> Array:
    """Mean over labels of -[w y ln p + (1-y) ln(1-p)]. Convention settings, on probabilities
    only: `clip` (Keras: p clipped to [1e-7, 1 - 1e-7]) and `log_floor` (PyTorch's BCELoss:
    each log at least -100), as binary-cross-entropy takes them. `label_smoothing` squeezes
    every label towards 1/2, as Keras's BinaryCrossentropy does."""
    y = smooth_binary(y_true, label_smoothing)
    w = _pos_weights(pos_weight, y.shape[1])
    if space == "logit":
        log_p, log_not_p = log_sigmoid(y_pred), log_sigmoid(-y_pred)
    else:
        p, _ = _clip(y_pred, max(eps, clip))
        with np.errstate(divide="ignore"):
            log_p, log_not_p = np.log(p), np.log1p(-p)
        if log_floor is not None:
            log_p, log_not_p = np.maximum(log_p, log_floor), np.maximum(log_not_p, log_floor)
    # x_times: a label of weight 0 (or a certain 0 or 1) contributes 0, even against a log of 0.
    cells = -(x_times(w * y, log_p) + x_times(1.0 - y, log_not_p))
    return row_mean(cells)


def multilabel_bce_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    pos_weight: tuple[float, ...] | None = None,
    eps: float = 0.0,
    clip: float = 0.0,
    log_floor: float | None = None,
    grad_floor: float | None = None,
    label_smoothing: float = 0.0,
) -> Array:
    y = smooth_binary(y_true, label_smoothing)
    k = y.shape[1]
    w = _pos_weights(pos_weight, k)
    if space == "logit":
        # d/dz = (1 - y) sigmoid(z) - w y sigmoid(-z): each term exact in its own tail.
        return (x_times(1.0 - y, sigmoid(y_pred)) - x_times(w * y, sigmoid(-y_pred))) / k
    p, free = _clip(y_pred, max(eps, clip))
    if grad_floor is not None:
        # PyTorch's BCELoss backward: [(1 - y) p - w y (1 - p)] / max(p (1 - p), floor).
        g = ((1.0 - y) * p - w * y * (1.0 - p)) / np.maximum(p * (1.0 - p), grad_floor)
    else:
        g = -safe_divide(w * y, p) + safe_divide(1.0 - y, 1.0 - p)
    return np.where(free, g, 0.0) / k


SQUARED_HINGE = register(
    Loss(
        name="squared-hinge",
        aliases=("squared-hinge-loss", "l2-svm"),
        family="classification",
        summary="Squared hinge loss: the hinge squared, smooth at the margin.",
        target="sign",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=False),
        value=squared_hinge_value,
        grad=squared_hinge_grad,
        prepare=prepare_hinge,
        formula="L = max(0, 1 - y f)^2,  y in {-1, +1}",
        grad_formula="dL/df = -2 y max(0, 1 - y f): continuous, 0 at and beyond the margin",
        short_formula="max(0, 1 - y f)^2",
        short_grad_formula="-2 y max(0, 1 - y f)",
        framework_names={
            "keras": "`losses.SquaredHinge`",
        },
        typical_use=(
            "L2-SVMs (scikit-learn LinearSVC's default loss) and wherever a margin loss must "
            "be differentiable; it punishes badly misclassified examples quadratically."
        ),
        confusions=(
            "Quadratic in the violation: one example far on the wrong side weighs like many "
            "near the margin (less robust than the hinge).",
            "Keras SquaredHinge maps 0/1 labels to -1/+1, as losscli does (and says so).",
        ),
        references=(
            "Rennie, Srebro. Loss Functions for Preference Levels. IJCAI workshop 2005.",
            "Keras keras.losses.SquaredHinge; scikit-learn LinearSVC(loss='squared_hinge').",
        ),
    )
)

PERCEPTRON = register(
    Loss(
        name="perceptron",
        aliases=("perceptron-loss",),
        family="classification",
        summary="Perceptron loss: the hinge with margin 0, zero for every correct sign.",
        target="sign",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=perceptron_value,
        grad=perceptron_grad,
        prepare=prepare_hinge,
        formula="L = max(0, -y f),  y in {-1, +1}",
        grad_formula="dL/df = -y if y f < 0, else 0 (0 on the boundary y f = 0)",
        short_formula="max(0, -y f)",
        short_grad_formula="-y if y f < 0, else 0",
        framework_names={
            "optax": "`losses.perceptron_loss`",
        },
        typical_use=(
            "The perceptron algorithm and online learning of linear separators: it stops "
            "at any separating boundary, with no preference for a margin."
        ),
        confusions=(
            "f = 0 (all-zero weights) scores 0 on every example: a trivial minimiser, why the "
            "perceptron is run as an algorithm rather than by minimising this loss.",
            "Optax perceptron_loss needs labels -1/+1; losscli maps 0/1 (and says so).",
        ),
        references=(
            "Rosenblatt. The Perceptron. Psychological Review 65(6), 1958.",
            "Optax optax.losses.perceptron_loss; scikit-learn Perceptron.",
        ),
        kink_note="not differentiable at y f = 0; losscli uses 0 there",
    )
)

MULTILABEL_BCE = register(
    Loss(
        name="multilabel-bce",
        aliases=(
            "multi-label-bce",
            "multilabel-binary-cross-entropy",
            "bce-with-logits",
            "multilabel-soft-margin",
            "sigmoid-cross-entropy",
        ),
        family="classification",
        summary="Multi-label binary cross-entropy: the mean of K independent BCEs per example.",
        target="multilabel",
        pred_columns="any",
        spaces=("prob", "logit"),
        params=(
            Param(
                "pos_weight",
                None,
                "weight of the positive term: one number, or one per label (unset: 1)",
                lower=0.0,
                vector=True,
            ),
            EPS_PARAM,
            LABEL_SMOOTHING_PARAM,
        ),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=multilabel_bce_value,
        grad=multilabel_bce_grad,
        prepare=prepare_multilabel,
        formula=(
            "L = (1/K) Σ_k -[w_k y_k ln p_k + (1 - y_k) ln(1 - p_k)],  w = --pos-weight "
            "(p_k = sigmoid(z_k) with --logits)"
        ),
        grad_formula=(
            "dL/dz_k = [(1 - y_k) sigmoid(z_k) - w_k y_k sigmoid(-z_k)] / K;  dL/dp_k = "
            "[(1 - y_k)/(1 - p_k) - w_k y_k / p_k] / K"
        ),
        short_formula="mean_k -[w_k y_k ln p_k + (1-y_k) ln(1-p_k)]",
        short_grad_formula="[(1-y) sigmoid(z) - w y sigmoid(-z)] / K",
        framework_names={
            "torch": "`nn.BCEWithLogitsLoss(pos_weight)`, `nn.MultiLabelSoftMarginLoss`",
            "keras": "`losses.BinaryCrossentropy`",
            "optax": "`losses.sigmoid_binary_cross_entropy`",
        },
        typical_use=(
            "Multi-label classification (tags, attributes, findings), each label an "
            "independent yes/no; --pos-weight above 1 counters rare positive labels."
        ),
        confusions=(
            "The mean over labels, as PyTorch BCEWithLogitsLoss (mean over all n x K "
            "elements) and Keras BinaryCrossentropy (mean over the last axis) take it; a sum "
            "over labels is K times larger.",
            "pos_weight multiplies only the positive term (PyTorch's definition): "
            "pos_weight = negatives/positives balances a label; it is not a class weight.",
            "With one column it is binary-cross-entropy (times the positive weight).",
            "--label-smoothing squeezes each label towards 1/2, y (1 - eps) + eps/2, as "
            "Keras's BinaryCrossentropy(label_smoothing) does.",
        ),
        references=(
            "Zhang, Zhou. A Review on Multi-Label Learning Algorithms. IEEE TKDE 26(8), 2014.",
            "PyTorch torch.nn.BCEWithLogitsLoss(pos_weight), MultiLabelSoftMarginLoss; Keras "
            "keras.losses.BinaryCrossentropy; Optax optax.losses.sigmoid_binary_cross_entropy.",
        ),
    )
)
