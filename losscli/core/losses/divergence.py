"""Divergences between a target distribution P and a predicted distribution Q, row by row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.numerics import (
    expm1_minus,
    generalized_kl_cells,
    generalized_kl_from_log,
    log_ratio,
    log_softmax,
    row_sum,
    safe_divide,
    x_times,
)
from losscli.core.losses.registry import register
from losscli.core.losses.types import Array, Loss, Param, Prepared, Properties, Space

LOG_BASES = {"e": 1.0, "2": math.log(2.0), "10": math.log(10.0)}


def prepare_distributions(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Target rows P (probabilities summing to 1) and prediction rows Q of the same width."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_finite(y_true, "target")
    if space == "logit":
        checks.check_finite_or_masked(y_pred, "pred")  # -inf: a masked class (Optax)
    else:
        checks.check_finite(y_pred, "pred")
    if y_pred.shape[1] < 2:
        raise DataError("a divergence needs distributions: rows of at least 2 columns", side="pred")
    checks.check_columns(y_true, "target", (y_pred.shape[1],), "(the width of the predictions)")
    if params.get("eps", 0.0) > 0 and space != "prob":
        raise UsageError("--eps clips probabilities; it does not apply to logits or log-probs")
    # A convention that computes cell by cell (PyTorch's kl_div) takes rows as they are:
    # masses >= 0 that need not sum to 1, and any log-probabilities.
    pointwise = bool(params.get("pointwise", False))
    if params.get("log_target", False):
        # --log-target: the targets are ln P (PyTorch's log_target=True, Optax's log-space KL).
        if pointwise or normalize:
            p = np.exp(y_true if pointwise else y_true - _logsumexp(y_true))
        else:
            p = np.exp(checks.log_rows_summing_to_one(y_true, "target", False))
    else:
        p = _mass_rows(y_true, "target", normalize, pointwise)
    if space == "prob":
        q = _mass_rows(y_pred, "pred", normalize, pointwise)
    elif space == "logprob" and not pointwise:
        q = checks.log_rows_summing_to_one(y_pred, "pred", normalize)
    else:
        q = y_pred
    return Prepared(p, q)


def _logsumexp(a: Array) -> Array:
    m = a.max(axis=1, keepdims=True)
    return m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))


def _mass_rows(a: Array, side: str, normalize: bool, pointwise: bool) -> Array:
    """Probability rows; with --normalize any non-negative rows (counts) rescaled to sum to 1,
    the range checked after the rescaling; pointwise: non-negative rows as they are."""
    if normalize or pointwise:
        checks.check_range(a, side, 0.0, np.inf, "a non-negative mass (a count or probability)")
        return a if pointwise else checks.rows_summing_to_one(a, side, True)
    if not checks.in_range(a, 0.0, 1.0):
        counts = bool(np.all(a >= 0))  # masses above 1: the hint that works is --normalize
        hint = " (counts? pass --normalize to rescale rows)" if counts else ""
        checks.check_range(a, side, 0.0, 1.0, "a probability in [0, 1]" + hint)
    return checks.rows_summing_to_one(a, side, False)


def _rel_entr(x: Array, y: Array) -> Array:
    """x ln(x / y) per cell, 0 where x = 0, +inf where x > 0 = y (SciPy's rel_entr)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(x / y)
    return np.where(x == 0, 0.0, out)


def _log_q(q: Array, space: Space) -> Array:
    if space == "logit":
        return log_softmax(q)
    if space == "logprob":
        return q
    with np.errstate(divide="ignore"):
        return np.log(q)


def _as_probabilities(q: Array, space: Space) -> Array:
    if space == "prob":
        return q
    return np.exp(_log_q(q, space))


def _to_space(g_q: Array, q: Array, space: Space) -> Array:
    """A gradient with respect to the probabilities Q, carried to the prediction space."""
    if space == "prob":
        return g_q
    if space == "logprob":
        return g_q * q  # dQ/d(log Q) = Q, cell by cell
    return q * (g_q - np.sum(q * g_q, axis=1, keepdims=True))  # through the softmax


def _clipped_kl(p: Array, q: Array, direction: str, clip: float) -> tuple[Array, Array]:
    """Keras's KLDivergence: P and Q both clipped to [clip, 1], then sum P ln(P/Q) per row.

    Returns the per-row values and the gradient with respect to Q (0 where Q is clipped).
    """
    pc, qc = np.clip(p, clip, 1.0), np.clip(q, clip, 1.0)
    free = qc == q
    with np.errstate(divide="ignore", invalid="ignore"):
        if direction == "forward":
            cells = pc * np.log(pc / qc)
            g = -pc / qc
        else:
            cells = qc * np.log(qc / pc)
            g = np.log(qc / pc) + 1.0
    return np.sum(cells, axis=1), np.where(free, g, 0.0)


def kl_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    direction: str = "forward",
    log_base: str = "e",
    eps: float = 0.0,
    clip_both: float = 0.0,
    pointwise: bool = False,
) -> Array:
    """KL per row. `clip_both` is a convention's setting (Keras: 1e-7), see `_clipped_kl`;
    `pointwise` (PyTorch's kl_div) sums the cells of rows that need not sum to 1, whose total
    may be below 0."""
    p = y_true
    if clip_both > 0:
        q = _as_probabilities(y_pred, space)
        if space == "prob" and eps > 0:
            q = np.clip(q, eps, 1.0)
        return _clipped_kl(p, q, direction, clip_both)[0] / LOG_BASES[log_base]
    if space == "logit" and direction == "forward":
        total = _forward_logit_kl(p, log_softmax(y_pred))
    elif space == "prob":
        q = np.clip(y_pred, eps, 1.0) if eps > 0 else y_pred
        cells = _rel_entr(p, q) if direction == "forward" else _rel_entr(q, p)
        total = np.sum(cells, axis=1)
    else:
        log_q = _log_q(y_pred, space)
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
        if direction == "forward":
            cells = x_times(p, log_p - log_q)
        else:
            cells = x_times(np.exp(log_q), log_q - log_p)
        total = np.sum(cells, axis=1)
    return _reported(total, pointwise, log_base)


def _reported(total: Array, pointwise: bool, log_base: str) -> Array:
    """KL per row as reported, in the base asked for. KL >= 0 (Gibbs' inequality), but its
    cells have both signs: rounding near P = Q, or rows that sum to 1 only within the
    accepted tolerance, can leave the sum a hair below 0. A divergence is reported as 0
    there, never negative (NaN and inf pass through); `pointwise` rows keep their sum."""
    return (total if pointwise else np.maximum(total, 0.0)) / LOG_BASES[log_base]


def _forward_logit_kl(p: Array, log_q: Array) -> Array:
    """Σ_k P_k (ln P_k - ln Q_k) per row, 0 ln 0 = 0: the numbers of x_times and np.sum,
    from fewer passes. A cell with P_k = 0 is 0 * -inf = NaN in the product, and so is its
    row's sum: only such rows are summed again with the cell taken as 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = np.log(p)
        cells -= log_q
        cells *= p
        total = row_sum(cells)
        redo = np.flatnonzero(np.isnan(total))
        if redo.size:
            some = p[redo]
            total[redo] = row_sum(x_times(some, np.log(some) - log_q[redo]))
    return total


def kl_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    direction: str = "forward",
    log_base: str = "e",
    eps: float = 0.0,
    clip_both: float = 0.0,
    pointwise: bool = False,
) -> Array:
    p = y_true
    if clip_both > 0:
        q = _as_probabilities(y_pred, space)
        if space == "prob" and eps > 0:
            q = np.clip(q, eps, 1.0)
        g_q = _clipped_kl(p, q, direction, clip_both)[1]
        if space == "prob" and eps > 0:
            g_q = np.where(q == y_pred, g_q, 0.0)
        return _to_space(g_q, q, space) / LOG_BASES[log_base]
    if space == "logit" and direction == "forward":
        return _forward_logit_grad(p, log_softmax(y_pred), log_base)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.log(p)
        if space == "prob":
            q = np.clip(y_pred, eps, 1.0) if eps > 0 else y_pred
            if direction == "forward":
                g = -safe_divide(p, q)
            else:
                # d/dq [q ln(q/p)] = ln(q/p) + 1. A class outside both supports (P = Q = 0)
                # contributes nothing: gradient 0, as in the other spaces, not -inf + inf = NaN.
                g = np.where((q == 0) & (p == 0), 0.0, np.log(q) - log_p + 1.0)
            if eps > 0:
                g = np.where(q == y_pred, g, 0.0)
        elif space == "logprob":
            if direction == "forward":
                g = -p
            else:
                q = np.exp(y_pred)
                g = x_times(q, y_pred - log_p + 1.0)
        else:
            # Reverse KL (forward: _forward_logit_grad).
            log_q = log_softmax(y_pred)
            q = np.exp(log_q)
            kl = np.sum(x_times(q, log_q - log_p), axis=1, keepdims=True)
            g = x_times(q, log_q - log_p - kl)
            # Where Q > 0 = P the divergence is infinite; the cell's gradient is +inf (as in
            # log-probability space), not inf - inf = NaN.
            g = np.where((p == 0) & (q > 0), np.inf, g)
    return g / LOG_BASES[log_base]


def _forward_logit_grad(p: Array, log_q: Array, log_base: str) -> Array:
    """Q ΣP - P wrt the logits (Q = e^ln Q), in place in one array."""
    g = np.exp(log_q)
    g *= row_sum(p)[:, None]
    g -= p
    base = LOG_BASES[log_base]
    return g if base == 1.0 else np.divide(g, base, out=g)


def kl_value_and_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    direction: str = "forward",
    log_base: str = "e",
    eps: float = 0.0,
    clip_both: float = 0.0,
    pointwise: bool = False,
) -> tuple[Array, Array]:
    """kl_value and kl_grad from one call: for logits (forward), one log-softmax."""
    settings: dict[str, Any] = dict(
        space=space,
        direction=direction,
        log_base=log_base,
        eps=eps,
        clip_both=clip_both,
        pointwise=pointwise,
    )
    if space != "logit" or direction != "forward" or clip_both > 0:
        return kl_value(y_true, y_pred, **settings), kl_grad(y_true, y_pred, **settings)
    log_q = log_softmax(y_pred)
    value = _reported(_forward_logit_kl(y_true, log_q), pointwise, log_base)
    return value, _forward_logit_grad(y_true, log_q, log_base)


KL = register(
    Loss(
        name="kl",
        aliases=("kl-divergence", "kullback-leibler", "kld", "kl-div"),
        family="divergence",
        summary="Kullback-Leibler divergence KL(P || Q) of predicted rows Q from target rows P.",
        target="distribution",
        pred_columns="many",
        spaces=("prob", "logit", "logprob"),
        params=(
            Param(
                "direction",
                "forward",
                "forward: KL(P||Q), target first; reverse: KL(Q||P)",
                choices=("forward", "reverse"),
            ),
            Param(
                "log_base",
                "e",
                "logarithm base: e (nats), 2 (bits) or 10",
                choices=("e", "2", "10"),
            ),
            Param(
                "eps",
                0.0,
                "clip predicted probabilities below at eps (0: no clipping, exact)",
                lower=0.0,
                upper=0.5,
            ),
        ),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=kl_value,
        grad=kl_grad,
        value_and_grad=kl_value_and_grad,
        prepare=prepare_distributions,
        formula="KL(P || Q) = Σ_k P_k ln(P_k / Q_k), with 0 ln 0 = 0",
        grad_formula=(
            "forward: dKL/dQ_k = -P_k / Q_k (wrt logits: Q - P);  "
            "reverse: dKL(Q||P)/dQ_k = ln(Q_k / P_k) + 1"
        ),
        short_formula="sum_k P_k ln(P_k/Q_k), 0 ln 0 = 0",
        short_grad_formula="-P/Q wrt Q; Q - P wrt logits",
        framework_names={
            "torch": "`nn.KLDivLoss`, `nn.functional.kl_div`",
            "keras": "`losses.KLDivergence`",
            "optax": "`losses.kl_divergence`",
            "scipy": "`special.rel_entr`",
        },
        typical_use=(
            "Matching a predicted distribution to a target one: knowledge distillation "
            "(forward KL), variational inference (reverse KL, mode-seeking)."
        ),
        confusions=(
            "Not symmetric: KL(P||Q) != KL(Q||P). Forward KL is mass-covering, reverse KL is "
            "mode-seeking.",
            "PyTorch F.kl_div(input, target) takes input = log Q and computes KL(target || Q); "
            "its reduction 'mean' divides by the number of elements, 'batchmean' by rows.",
            "SciPy special.kl_div adds -p + q per cell; rel_entr is the textbook term.",
            "Q = 0 where P > 0 makes it infinite: clip with --eps or work with logits.",
        ),
        references=(
            "Kullback, Leibler. On Information and Sufficiency. Ann. Math. Statist. 22(1), 1951.",
            "Cover, Thomas. Elements of Information Theory, 2nd ed., 2006, §2.3.",
            "SciPy scipy.special.rel_entr; PyTorch torch.nn.functional.kl_div.",
        ),
    )
)


# --- more divergences --------------------------------------------------------------------------


def _through_space(g_q: Array, q: Array, space: Space) -> Array:
    """A gradient with respect to the probabilities Q carried to the prediction space."""
    if space == "prob":
        return g_q
    if space == "logprob":
        return x_times(q, g_q)  # dQ_k/d(ln Q_k) = Q_k, cell by cell
    weighted = x_times(q, g_q)
    return weighted - q * np.sum(weighted, axis=1, keepdims=True)  # through the softmax


def _js_log_parts(p: Array, log_q: Array) -> tuple[Array, Array, Array]:
    """For Q given by its logs: (q, v = ln(m/p), w = ln(m/q)), m = (p + q)/2, from
    u = ln(q/p) as softplus(±u) - ln 2, so that Q = P gives exactly 0 (not e^(ln p) - p)."""
    safe_p = np.where(p > 0, p, 1.0)
    u = log_q - np.log(safe_p)
    v = np.logaddexp(0.0, u) - LOG_BASES["2"]
    w = np.logaddexp(0.0, -u) - LOG_BASES["2"]
    return np.exp(log_q), v, w


def _kl_from_mid(x: Array, m: Array, v: Array) -> Array:
    """x ln(x/m) - x + m from v = ln(m/x): x (e^v - 1 - v), or m - x - x v for v > 1."""
    with np.errstate(over="ignore", invalid="ignore"):
        # x_times: a cell with x = 0 contributes m - 0, whatever v (ln(m/0) is inf).
        return np.where(v > 1.0, m - x - x_times(x, v), x_times(x, expm1_minus(np.minimum(v, 1.0))))


def js_value(y_true: Array, y_pred: Array, *, space: Space = "prob", log_base: str = "e") -> Array:
    p = y_true
    # p ln(p/m) + q ln(q/m) = [p ln(p/m) - p + m] + [q ln(q/m) - q + m] (as 2m = p + q): two
    # generalised KL cells, each >= 0 and free of the cancellation near p = q.
    if space == "prob":
        q = y_pred
        m = 0.5 * (p + q)
        cells = generalized_kl_cells(p, m) + generalized_kl_cells(q, m)
    else:
        q, v, w = _js_log_parts(p, _log_q(y_pred, space))
        m = 0.5 * (p + q)
        cells = _kl_from_mid(p, m, v) + _kl_from_mid(q, m, w)
        cells = np.where(p == 0, q * LOG_BASES["2"], cells)  # p = 0: q ln(q/m) = q ln 2
    return 0.5 * np.sum(cells, axis=1) / LOG_BASES[log_base]


def js_grad(y_true: Array, y_pred: Array, *, space: Space = "prob", log_base: str = "e") -> Array:
    p = y_true
    # dJS/dq_k = ½ ln(q_k / m_k); a class outside both supports contributes nothing.
    if space == "prob":
        q = y_pred
        m = 0.5 * (p + q)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_q = 0.5 * log_ratio(q, np.where(m > 0, m, 1.0))
        g_q = np.where(m == 0, 0.0, np.where((q == 0) & (p > 0), -np.inf, g_q))
    else:
        q, _, w = _js_log_parts(p, _log_q(y_pred, space))
        g_q = np.where(p == 0, 0.5 * LOG_BASES["2"], -0.5 * w)
        g_q = np.where((q == 0) & (p == 0), 0.0, g_q)
    return _through_space(g_q, q, space) / LOG_BASES[log_base]


def prepare_nonnegative_rows(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Rows of non-negative measures P and Q of the same width, not necessarily summing to 1
    (Q as natural logs with --log-input)."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    checks.check_columns(y_true, "target", (y_pred.shape[1],), "(the width of the predictions)")
    checks.check_range(y_true, "target", 0.0, np.inf, "a non-negative mass")
    if space == "raw":
        checks.check_range(
            y_pred, "pred", 0.0, np.inf, "a non-negative mass (logs? pass --log-input)"
        )
    return Prepared(y_true, y_pred)


def generalized_kl_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    if space == "log":
        cells = generalized_kl_from_log(y_true, y_pred)
    else:
        cells = generalized_kl_cells(y_true, y_pred)
    return np.sum(cells, axis=1)


def generalized_kl_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    p = y_true
    if space == "log":
        with np.errstate(over="ignore"):
            return np.exp(y_pred) - p  # d/d(ln q) = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (y_pred - p) / y_pred  # 1 - p/q, the close difference taken exactly
    return np.where(y_pred == 0, np.where(p == 0, 1.0, -np.inf), g)


def _clip_q(q: Array, eps: float, clip: float) -> Array:
    if clip > 0:
        q = np.clip(q, clip, 1.0 - clip)
    return np.clip(q, eps, 1.0) if eps > 0 else q


def distribution_ce_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    log_base: str = "e",
    eps: float = 0.0,
    clip: float = 0.0,
) -> Array:
    """-Σ P ln Q. A convention's `clip` (Keras: 1e-7) clips probabilities Q to
    [clip, 1 - clip] (logits are exact)."""
    p = y_true
    if space == "prob":
        q = _clip_q(y_pred, eps, clip)
        log_q = _log_q(q, "prob")
    else:
        log_q = _log_q(y_pred, space)
    return -np.sum(x_times(p, log_q), axis=1) / LOG_BASES[log_base]


def distribution_ce_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    log_base: str = "e",
    eps: float = 0.0,
    clip: float = 0.0,
) -> Array:
    p = y_true
    if space == "prob":
        q = _clip_q(y_pred, eps, clip)
        g = np.where(q == y_pred, 0.0 - safe_divide(p, q), 0.0)
    elif space == "logprob":
        g = -p
    else:
        # softmax(z) Σp - p, with 1 - q_top as the sum of the others (see cross-entropy).
        q = np.exp(log_softmax(y_pred))
        rows, top = np.arange(q.shape[0]), np.argmax(y_pred, axis=1)
        rest = 1.0 - q
        others = q.copy()
        others[rows, top] = 0.0
        rest[rows, top] = others.sum(axis=1)
        total = p.sum(axis=1, keepdims=True)
        g = (total - p) * q - p * rest
    return g / LOG_BASES[log_base]


LOG_BASE_PARAM = Param(
    "log_base",
    "e",
    "logarithm base: e (nats), 2 (bits) or 10",
    choices=("e", "2", "10"),
)

JS = register(
    Loss(
        name="js",
        aliases=("jensen-shannon", "js-divergence", "jsd"),
        family="divergence",
        summary="Jensen-Shannon divergence: the mean KL of P and Q from their midpoint.",
        target="distribution",
        pred_columns="many",
        spaces=("prob", "logit", "logprob"),
        params=(LOG_BASE_PARAM,),
        properties=Properties(convex=True, smooth=True, robust=True, probabilistic=True),
        value=js_value,
        grad=js_grad,
        prepare=prepare_distributions,
        formula="JS(P, Q) = ½ KL(P || M) + ½ KL(Q || M),  M = (P + Q)/2",
        grad_formula="dJS/dQ_k = ½ ln(Q_k / M_k)  (wrt logits: through the softmax)",
        short_formula="½ KL(P || M) + ½ KL(Q || M), M = (P + Q)/2",
        short_grad_formula="½ ln(Q/M) wrt Q",
        framework_names={
            "scipy": "(`spatial.distance.jensenshannon`, its root)",
        },
        typical_use=(
            "A symmetric, bounded comparison of two distributions: finite even where one has "
            "zeros the other lacks (at most ln 2 nats, 1 bit)."
        ),
        confusions=(
            "SciPy spatial.distance.jensenshannon returns the square root of this (the "
            "Jensen-Shannon distance, a metric), in nats unless base is given.",
            "Symmetric: JS(P, Q) = JS(Q, P); bounded by ln 2 (--log-base 2: by 1).",
            "Its gradient vanishes where the supports are disjoint (the GAN saturation problem).",
        ),
        references=(
            "Lin. Divergence Measures Based on the Shannon Entropy. IEEE Trans. Inf. Theory "
            "37(1), 1991.",
            "SciPy scipy.spatial.distance.jensenshannon.",
        ),
    )
)

GENERALIZED_KL = register(
    Loss(
        name="generalized-kl",
        aliases=("generalised-kl", "i-divergence", "unnormalized-kl"),
        family="divergence",
        summary="Generalized KL (I-divergence) between non-negative measures, not only "
        "distributions.",
        target="nonnegative-rows",
        pred_columns="any",
        spaces=("raw", "log"),
        params=(),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=generalized_kl_value,
        grad=generalized_kl_grad,
        prepare=prepare_nonnegative_rows,
        formula="D(P || Q) = Σ_k [P_k ln(P_k/Q_k) - P_k + Q_k],  0 ln 0 = 0",
        grad_formula="dD/dQ_k = 1 - P_k/Q_k;  dD/d(ln Q_k) = Q_k - P_k with --log-input",
        short_formula="sum_k P_k ln(P_k/Q_k) - P_k + Q_k, any P, Q >= 0",
        short_grad_formula="1 - P/Q; Q - P wrt ln Q",
        framework_names={
            "optax": "`losses.generalized_kl_divergence`",
            "scipy": "`special.kl_div`",
        },
        typical_use=(
            "Non-negative matrix factorisation, intensities and count-like rows that need not "
            "sum to 1; KL(P || Q) when both do."
        ),
        confusions=(
            "SciPy special.kl_div is this per cell; special.rel_entr is the KL term without "
            "-P + Q.",
            "Equals kl when P and Q both sum to 1.",
            "Per cell it is the Poisson loss of count P_k against rate Q_k.",
        ),
        references=(
            "Lee, Seung. Algorithms for Non-negative Matrix Factorization. NIPS 2000.",
            "SciPy scipy.special.kl_div; Optax optax.losses.generalized_kl_divergence.",
        ),
        infinity_note="Q is 0 where P has mass (or e^log Q overflows); predict logs with "
        "--log-input",
    )
)

DISTRIBUTION_CE = register(
    Loss(
        name="distribution-cross-entropy",
        aliases=("soft-cross-entropy", "soft-ce", "cross-entropy-pq"),
        family="divergence",
        summary="Cross-entropy H(P, Q) of a predicted distribution Q under a target "
        "distribution P.",
        target="distribution",
        pred_columns="many",
        spaces=("prob", "logit", "logprob"),
        params=(
            LOG_BASE_PARAM,
            Param(
                "eps",
                0.0,
                "clip predicted probabilities below at eps (0: no clipping, exact)",
                lower=0.0,
                upper=0.5,
            ),
        ),
        properties=Properties(
            convex=True, smooth=True, robust=False, probabilistic=True, zero_at_perfect=False
        ),
        value=distribution_ce_value,
        grad=distribution_ce_grad,
        prepare=prepare_distributions,
        formula="H(P, Q) = -Σ_k P_k log Q_k = H(P) + KL(P || Q)",
        grad_formula="dH/dQ_k = -P_k / Q_k;  wrt logits: softmax(z) - P",
        short_formula="-sum_k P_k log Q_k = H(P) + KL(P || Q)",
        short_grad_formula="-P/Q; softmax(z) - P wrt logits",
        framework_names={
            "torch": "`nn.CrossEntropyLoss` (probability targets)",
            "keras": "`losses.CategoricalCrossentropy`",
            "optax": "`losses.softmax_cross_entropy`",
            "scipy": "(`stats.entropy` p + KL)",
        },
        typical_use=(
            "Training against soft targets (distillation, label distributions) and measuring "
            "code lengths in bits with --log-base 2."
        ),
        confusions=(
            "Its minimum over Q is the entropy H(P), not 0: use kl for a divergence that "
            "vanishes at Q = P (same gradient).",
            "cross-entropy takes soft target rows too, in nats; this one has --log-base and "
            "requires both sides to be distributions.",
            "PyTorch CrossEntropyLoss with probability targets, Keras CategoricalCrossentropy "
            "and Optax softmax_cross_entropy compute it in nats.",
        ),
        references=(
            "Cover, Thomas. Elements of Information Theory, 2nd ed., 2006, §2.3 and §5.4.",
            "PyTorch torch.nn.CrossEntropyLoss (probability targets); Keras "
            "keras.losses.CategoricalCrossentropy.",
        ),
    )
)
