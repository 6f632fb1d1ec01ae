"""Divergences between a target distribution P and a predicted distribution Q, row by row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core import checks
from losscli.core.errors import DataError, UsageError
from losscli.core.numerics import log_softmax, safe_divide, x_times
from losscli.core.registry import Array, Loss, Param, Prepared, Properties, Space, register

LOG_BASES = {"e": 1.0, "2": math.log(2.0), "10": math.log(10.0)}


def prepare_distributions(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Target rows P (probabilities summing to 1) and prediction rows Q of the same width."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    if y_pred.shape[1] < 2:
        raise DataError("a divergence needs distributions: rows of at least 2 columns", side="pred")
    checks.check_columns(y_true, "target", (y_pred.shape[1],), "(the width of the predictions)")
    if params.get("eps", 0.0) > 0 and space != "prob":
        raise UsageError("--eps clips probabilities; it does not apply to logits or log-probs")
    checks.check_range(y_true, "target", 0.0, 1.0, "a probability in [0, 1]")
    p = checks.rows_summing_to_one(y_true, "target", normalize)
    if space == "prob":
        checks.check_range(y_pred, "pred", 0.0, 1.0, "a probability in [0, 1]")
        q = checks.rows_summing_to_one(y_pred, "pred", normalize)
    elif space == "logprob":
        q = checks.log_rows_summing_to_one(y_pred, "pred", normalize)
    else:
        q = y_pred
    return Prepared(p, q)


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
) -> Array:
    """KL per row. `clip_both` is a convention's setting (Keras: 1e-7), see `_clipped_kl`."""
    p = y_true
    if clip_both > 0:
        q = _as_probabilities(y_pred, space)
        if space == "prob" and eps > 0:
            q = np.clip(q, eps, 1.0)
        return _clipped_kl(p, q, direction, clip_both)[0] / LOG_BASES[log_base]
    if space == "prob":
        q = np.clip(y_pred, eps, 1.0) if eps > 0 else y_pred
        cells = _rel_entr(p, q) if direction == "forward" else _rel_entr(q, p)
    else:
        log_q = _log_q(y_pred, space)
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
        if direction == "forward":
            cells = x_times(p, log_p - log_q)
        else:
            cells = x_times(np.exp(log_q), log_q - log_p)
    # KL >= 0 (Gibbs' inequality), but its cells have both signs: rounding near P = Q, or rows
    # that sum to 1 only within the accepted tolerance, can leave the sum a hair below 0.
    # A divergence is reported as 0 there, never negative (NaN and inf pass through).
    return np.maximum(np.sum(cells, axis=1), 0.0) / LOG_BASES[log_base]


def kl_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "prob",
    direction: str = "forward",
    log_base: str = "e",
    eps: float = 0.0,
    clip_both: float = 0.0,
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
            log_q = log_softmax(y_pred)
            q = np.exp(log_q)
            if direction == "forward":
                g = q * p.sum(axis=1, keepdims=True) - p
            else:
                kl = np.sum(x_times(q, log_q - log_p), axis=1, keepdims=True)
                g = x_times(q, log_q - log_p - kl)
                # Where Q > 0 = P the divergence is infinite; the cell's gradient is +inf (as in
                # log-probability space), not inf - inf = NaN.
                g = np.where((p == 0) & (q > 0), np.inf, g)
    return g / LOG_BASES[log_base]


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
        prepare=prepare_distributions,
        formula="KL(P || Q) = Σ_k P_k ln(P_k / Q_k), with 0 ln 0 = 0",
        grad_formula=(
            "forward: dKL/dQ_k = -P_k / Q_k (wrt logits: Q - P);  "
            "reverse: dKL(Q||P)/dQ_k = ln(Q_k / P_k) + 1"
        ),
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
