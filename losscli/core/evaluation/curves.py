"""Loss curves for drawing: each loss over the one axis that fits it, evaluated by the core.

`plot` and `explore` draw what this module returns and compute nothing themselves. The axis
follows from the loss's target domain in the registry:

- real targets (regression): the residual r = ŷ - y, evaluated at y = 0, ŷ = r;
- binary targets and class labels: the probability p of the true class (y = 1, ŷ = p), or
  with logits the logit of the true class, which is the margin y·f;
- sign targets (hinge): the margin m = y·f (y = +1, f = m);
- distributions (kl): Q's first component q for two classes, Q = (q, 1 - q), against
  P = (P₁, 1 - P₁) given by `kl_p`; with logits, Q = softmax(z, 0);
- similarity (contrastive): the distance d, once for a similar and once for a dissimilar pair;
- nonzero targets (mape): the residual at y = 1, where it is also the relative error;
- positive means (poisson, tweedie, gamma-deviance, msle, generalized-kl): the prediction ŷ
  at the target y = 1 (with --log-input its log ln ŷ);
- means with a variance (gaussian-nll): the residual, at variance 1 (or --variance);
- class scores (multi-class hinges, perceptron, infonce) and ranked pairs: the margin, the
  true (or preferred) score minus the other of two;
- cosine pairs (cosine-embedding): the cosine, once for a similar and once for a dissimilar
  pair; triplets: the gap d(a, n) - d(a, p) with d(a, p) = 2;
- pair ids (nt-xent): the cosine of a positive pair in a batch of two pairs, whose other
  pair is fixed; the value is the batch's mean loss.

A loss whose target domain is none of these has no known axis: `axis_for` raises UsageError.
`positions` places a user's examples on the same axis (plot --data draws their histogram).
The gradient is the core's, taken along the axis: for kl in probabilities, where the curve
moves Q by (+1, -1), that is dL/dQ₁ - dL/dQ₂ (the chain rule, nothing re-derived).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from losscli.core.errors import UsageError
from losscli.core.evaluation.requests import Request
from losscli.core.losses.classification import target_rows
from losscli.core.losses.numerics import log_softmax
from losscli.core.losses.types import Array, Loss

DEFAULT_KL_P = 0.3  # P = (0.3, 0.7): not symmetric, so forward and reverse KL differ visibly


@dataclass(frozen=True)
class Axis:
    """The horizontal axis a loss is drawn over; losses on the same `kind` can be overlaid."""

    kind: str
    label: str
    symbol: str
    default: tuple[float, float]
    low: float = -np.inf
    high: float = np.inf

    def check_range(self, start: float, stop: float) -> None:
        """UsageError unless start < stop are finite and inside the axis's domain."""
        if not (np.isfinite(start) and np.isfinite(stop)):
            raise UsageError(f"--range must be two finite numbers, not {start:g} {stop:g}")
        if start >= stop:
            raise UsageError(f"--range A B needs A < B, not {start:g} {stop:g}")
        if start < self.low or stop > self.high:
            raise UsageError(
                f"--range {start:g} {stop:g} leaves the {self.label} axis, "
                f"which runs from {self.low:g} to {self.high:g}"
            )


@dataclass(frozen=True)
class Curve:
    """One drawn line: the loss and its gradient along the axis, at the points `x`."""

    loss: str
    label: str
    x: Array
    value: Array
    grad: Array


# How the points of the axis become core inputs: (label suffix, y_true, y_pred, and how to
# read the gradient along the axis from the core's gradient array). A builder for a batch
# loss returns a fifth element, the rows per point: each point is then one batch of that
# many rows and its value is the batch's mean.
Branch = tuple[Any, ...]
Builder = Callable[[Request, Array, float], list[Branch]]


def _column(g: Array) -> Array:
    return g.reshape(g.shape[0], -1)[:, 0]


def _residual(request: Request, x: Array, kl_p: float) -> list[Branch]:
    return [("", np.zeros_like(x), x, _column)]


def _true_class(request: Request, x: Array, kl_p: float) -> list[Branch]:
    # One prediction column is the binary case for every loss with these targets (for
    # cross-entropy, p of class 1): the true class is class 1. For hinge, y = +1 and f = m.
    if request.loss.pred_columns == "many":
        # Two classes, the true one first: (p, 1 - p), or logits (z, 0).
        if request.space == "logit":
            return [("", np.zeros_like(x), np.column_stack([x, np.zeros_like(x)]), _column)]
        return [("", np.zeros_like(x), np.column_stack([x, 1.0 - x]), lambda g: g[:, 0] - g[:, 1])]
    return [("", np.ones_like(x), x[:, None], _column)]


def _residual_at_one(request: Request, x: Array, kl_p: float) -> list[Branch]:
    return [("", np.ones_like(x), 1.0 + x, _column)]


def _at_target_one(request: Request, x: Array, kl_p: float) -> list[Branch]:
    if request.loss.pred_columns == "one":
        return [("", np.ones_like(x), x, _column)]
    return [("", np.ones((x.size, 1)), x[:, None], _column)]


def _mean_and_variance(request: Request, x: Array, kl_p: float) -> list[Branch]:
    if request.params.get("variance") is not None:
        return [("", np.zeros_like(x), x[:, None], _column)]
    spread = np.zeros_like(x) if request.space == "log" else np.ones_like(x)  # σ² = 1
    return [("", np.zeros_like(x), np.column_stack([x, spread]), _column)]


def _score_margin(request: Request, x: Array, kl_p: float) -> list[Branch]:
    # Label 0 (or +1 for a ranked pair) with scores (m, 0): the margin is m.
    label = np.ones_like(x) if request.loss.target == "ranked-pairs" else np.zeros_like(x)
    return [("", label, np.column_stack([x, np.zeros_like(x)]), _column)]


def _cosine_pairs(request: Request, x: Array, kl_p: float) -> list[Branch]:
    # x1 = (1, 0), x2 = (c, sqrt(1 - c^2)): cos(x1, x2) = c; along the axis x2 moves by
    # (1, -c / sqrt(1 - c^2)) per unit of c.
    s = np.sqrt(1.0 - x * x)
    pred = np.column_stack([np.ones_like(x), np.zeros_like(x), x, s])

    def along(g: Array) -> Array:
        return g[:, 2] - g[:, 3] * x / s

    return [
        (", similar pair", np.ones_like(x), pred, along),
        (", dissimilar pair", -np.ones_like(x), pred, along),
    ]


def _triplet_gap(request: Request, x: Array, kl_p: float) -> list[Branch]:
    pred = np.column_stack([np.full_like(x, 2.0), 2.0 + x])  # d(a, p) = 2, d(a, n) = 2 + gap
    return [("", np.zeros((x.size, 0)), pred, lambda g: g[:, 1])]


def _pair_batch(request: Request, x: Array, kl_p: float) -> list[Branch]:
    # Per point a batch of 4 unit rows: a = (1, 0) and its positive at cosine c; a fixed pair
    # b = b' = (0, -1). The value is the batch's mean; only the positive moves along the axis.
    n = x.size
    s = np.sqrt(1.0 - x * x)
    rows = np.zeros((n, 4, 2))
    rows[:, 0] = (1.0, 0.0)
    rows[:, 1, 0], rows[:, 1, 1] = x, s
    rows[:, 2] = rows[:, 3] = (0.0, -1.0)
    ids = np.tile([0.0, 0.0, 1.0, 1.0], n)

    def along(g: Array) -> Array:
        moving = g.reshape(n, 4, 2)[:, 1]
        return (moving[:, 0] - moving[:, 1] * x / s) / 4.0

    return [("", ids, rows.reshape(4 * n, 2), along, 4)]


def _distributions(request: Request, x: Array, kl_p: float) -> list[Branch]:
    p = np.tile([kl_p, 1.0 - kl_p], (x.size, 1))
    if request.space == "logit":
        return [("", p, np.column_stack([x, np.zeros_like(x)]), _column)]
    q = np.column_stack([x, 1.0 - x])
    return [("", p, q, lambda g: g[:, 0] - g[:, 1])]


def _pairs(request: Request, x: Array, kl_p: float) -> list[Branch]:
    return [
        (", similar pair", np.ones_like(x), x[:, None], _column),
        (", dissimilar pair", np.zeros_like(x), x[:, None], _column),
    ]


RESIDUAL = Axis("residual", "residual r = ŷ - y", "r", (-3.0, 3.0))
PROBABILITY = Axis("probability", "p of the true class", "p", (0.01, 1.0), 0.0, 1.0)
MARGIN = Axis("margin", "margin y·f (logit of the true class)", "y·f", (-4.0, 4.0))
Q_PROB = Axis("q", "Q₁ (Q = (Q₁, 1 - Q₁))", "Q₁", (0.01, 0.99), 0.0, 1.0)
Q_LOGIT = Axis("q-logit", "logit z of Q₁ (Q = softmax(z, 0))", "z", (-6.0, 6.0))
DISTANCE = Axis("distance", "distance d", "d", (0.0, 2.0), 0.0)
PREDICTION = Axis("prediction", "prediction ŷ at target y = 1", "ŷ", (0.05, 5.0), 0.0)
LOG_PREDICTION = Axis("log-prediction", "ln ŷ at target y = 1", "ln ŷ", (-3.0, 3.0))
# The end points ±1 are left out: there the positive's direction has no derivative in c.
COSINE = Axis("cosine", "cosine c of the pair", "c", (-0.99, 0.99), -0.999, 0.999)
GAP = Axis("gap", "gap d(a, n) - d(a, p)", "gap", (-2.0, 3.0), -2.0)

# Target domain (Loss.target) -> (axis for probabilities/raw, axis for logits or logs of a
# positive prediction, builder).
_VIEWS: dict[str, tuple[Axis, Axis, Builder]] = {
    "real": (RESIDUAL, RESIDUAL, _residual),
    "binary": (PROBABILITY, MARGIN, _true_class),
    "labels": (PROBABILITY, MARGIN, _true_class),
    "sign": (MARGIN, MARGIN, _true_class),
    "distribution": (Q_PROB, Q_LOGIT, _distributions),
    "similarity": (DISTANCE, DISTANCE, _pairs),
    "nonzero-real": (RESIDUAL, RESIDUAL, _residual_at_one),
    "above-minus-one": (PREDICTION, PREDICTION, _at_target_one),
    "count": (PREDICTION, LOG_PREDICTION, _at_target_one),
    "positive": (PREDICTION, LOG_PREDICTION, _at_target_one),
    "nonnegative-rows": (PREDICTION, LOG_PREDICTION, _at_target_one),
    "mean-variance": (RESIDUAL, RESIDUAL, _mean_and_variance),
    "multilabel": (PROBABILITY, MARGIN, _true_class),
    "class": (MARGIN, MARGIN, _score_margin),
    "ranked-pairs": (MARGIN, MARGIN, _score_margin),
    "cosine-pairs": (COSINE, COSINE, _cosine_pairs),
    "triplet": (GAP, GAP, _triplet_gap),
    "pair-ids": (COSINE, COSINE, _pair_batch),
}


def has_axis(loss: Loss) -> bool:
    return loss.target in _VIEWS


def axis_for(request: Request) -> Axis:
    """The axis a loss is drawn over, in the prediction space of the request."""
    loss = request.loss
    if loss.target not in _VIEWS:
        raise UsageError(
            f"losscli does not know which axis to draw {loss.name} over "
            f"(its targets are {loss.target!r}); it cannot be plotted yet"
        )
    prob_axis, logit_axis, _ = _VIEWS[loss.target]
    return logit_axis if request.space in ("logit", "log") else prob_axis


def label_for(request: Request, kl_p: float = DEFAULT_KL_P) -> str:
    """The legend entry: the name and the parameters that shape the curve."""
    shown = []
    for param in request.loss.params:
        value = request.params.get(param.name)
        # Hidden: unset parameters, and switches or clips left at their defaults.
        if value is None or (value == param.default and (param.choices or param.default == 0)):
            continue
        text = f"{value:g}" if isinstance(value, float) else str(value)
        shown.append(f"{param.name}={text}")
    if request.loss.target == "distribution":
        shown.insert(0, f"P=({kl_p:g}, {1 - kl_p:g})")
    return f"{request.loss.name} ({', '.join(shown)})" if shown else request.loss.name


def grid(axis: Axis, start: float | None, stop: float | None, points: int) -> Array:
    """`points` evenly spaced values over [start, stop] (the axis's default range if unset)."""
    lo = axis.default[0] if start is None else start
    hi = axis.default[1] if stop is None else stop
    axis.check_range(lo, hi)
    if points < 2:
        raise UsageError(f"a curve needs at least 2 points, not {points}")
    return np.linspace(lo, hi, points)


def curves(request: Request, x: Array, *, kl_p: float = DEFAULT_KL_P) -> list[Curve]:
    """The loss and its gradient along the request's axis at the points x (one curve per
    branch: contrastive has a similar and a dissimilar pair)."""
    axis = axis_for(request)
    x = np.asarray(x, dtype=np.float64)
    if x.size and (x.min() < axis.low or x.max() > axis.high):
        raise UsageError(f"points outside the {axis.label} axis ({axis.low:g} to {axis.high:g})")
    if request.loss.target == "distribution" and not 0.0 <= kl_p <= 1.0:
        raise UsageError(f"--kl-p (P₁) must be a probability in [0, 1], not {kl_p:g}")
    _, _, build = _VIEWS[request.loss.target]
    label = label_for(request, kl_p)
    out = []
    for suffix, y_true, y_pred, along, *per_point in build(request, x, kl_p):
        at = request
        if per_point:  # a batch loss: one batch of that many rows per point
            at = replace(request, params={**request.params, "batch_size": per_point[0]})
        prepared = at.prepare(y_true, y_pred)
        values = at.values(prepared)
        if per_point:
            values = values.reshape(x.size, per_point[0]).mean(axis=1)
        grads = along(at.grads(prepared))
        if request.loss.root:
            # A root loss (RMSE) of one example: the root of its value, |r| for RMSE.
            values, grads = _rooted(values, grads)
        out.append(Curve(request.loss.name, label + suffix, x, values, grads))
    return out


def _rooted(values: Array, grads: Array) -> tuple[Array, Array]:
    root = np.sqrt(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = grads / (2.0 * root)
    return root, np.where(root > 0, scaled, 0.0)


def positions(request: Request, y_true: object, y_pred: object) -> Array:
    """Where examples sit on the request's axis, one number per example.

    The inputs are checked by the loss's own `prepare` (DataError names the bad cell):
    the residual ŷ - y; the probability of the true class Σ_k y_k p_k (for a hard label, p of
    that class), or with logits its logit ln(p_t / (1 - p_t)), which is (2y - 1) z for one
    logit column; the margin y·f; the distance (||a - b|| for two embeddings); Q₁ (or
    z₁ - z₂ with logits) for two-class distributions.
    """
    axis_for(request)
    target = request.loss.target
    if target in _NO_POSITIONS:
        raise UsageError(
            f"{request.loss.name} is drawn {_NO_POSITIONS[target]}; its examples have no "
            "place on that axis (plot --data is not available for it)"
        )
    prepared = request.prepare(y_true, y_pred)
    y, pred = prepared.y_true, prepared.y_pred
    if target in ("real", "mean-variance"):
        return (pred[:, 0] if pred.ndim == 2 else pred) - y
    if target == "nonzero-real":
        return (pred - y) / np.abs(y)
    if target in ("class", "ranked-pairs"):
        if target == "ranked-pairs":
            return y * (pred[:, 0] - pred[:, 1])
        rows = np.arange(pred.shape[0])
        labels = y.astype(np.intp)
        others = pred.copy()
        others[rows, labels] = -np.inf
        return pred[rows, labels] - others.max(axis=1)
    if target == "cosine-pairs":
        half = pred.shape[1] // 2
        a, b = pred[:, :half], pred[:, half:]
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        return np.sum(a * b, axis=1)
    if target == "triplet":
        if pred.shape[1] == 2:
            return pred[:, 1] - pred[:, 0]
        d = pred.shape[1] // 3
        p_norm = float(request.params.get("p_norm", 2.0))  # type: ignore[arg-type]
        d_pos = np.sum(np.abs(pred[:, :d] - pred[:, d : 2 * d]) ** p_norm, axis=1) ** (1 / p_norm)
        d_neg = np.sum(np.abs(pred[:, :d] - pred[:, 2 * d :]) ** p_norm, axis=1) ** (1 / p_norm)
        return d_neg - d_pos
    if target == "multilabel" and pred.shape[1] != 1:
        raise UsageError(
            f"{request.loss.name} is drawn for one label; the data has {pred.shape[1]} labels "
            "per row"
        )
    if target == "multilabel":
        y, pred = y[:, 0], pred[:, 0]
    if target == "sign":
        return y * pred
    if target == "similarity":
        if pred.shape[1] == 1:
            return pred[:, 0]
        half = pred.shape[1] // 2
        diff = pred[:, :half] - pred[:, half:]
        return np.sqrt(np.sum(diff * diff, axis=1))
    if target == "distribution":
        if pred.shape[1] != 2:
            raise UsageError(
                f"kl is drawn for two classes; the data has {pred.shape[1]} columns per row"
            )
        return pred[:, 0] - pred[:, 1] if request.space == "logit" else pred[:, 0]
    # binary and labels: the true class
    y2, p2 = y.reshape(y.shape[0], -1), pred.reshape(pred.shape[0], -1)
    if p2.shape[1] == 1:
        y1, p1 = y2[:, 0], p2[:, 0]
        if request.space == "logit":
            return (2.0 * y1 - 1.0) * p1
        return y1 * p1 + (1.0 - y1) * (1.0 - p1)
    y2 = target_rows(y2, p2.shape[1])  # cross-entropy keeps integer labels as one column
    if request.space == "prob":
        return np.sum(y2 * p2, axis=1)
    log_p = log_softmax(p2) if request.space == "logit" else p2
    log_pt = np.sum(y2 * log_p, axis=1)
    if request.space == "logit":
        with np.errstate(divide="ignore"):
            return log_pt - np.log(-np.expm1(log_pt))
    return np.exp(log_pt)


# Axes drawn at a fixed target (or a fixed batch), on which an example with another target
# has no position.
_NO_POSITIONS = {
    "above-minus-one": "at the target y = 1",
    "count": "at the target y = 1",
    "positive": "at the target y = 1",
    "nonnegative-rows": "for one cell at P = 1",
    "pair-ids": "for a batch of two fixed pairs",
}


@dataclass(frozen=True)
class Histogram:
    """Counts of examples in equal bins over a range, merged batch by batch."""

    edges: Array
    counts: Array

    @classmethod
    def empty(cls, start: float, stop: float, bins: int) -> Histogram:
        return cls(np.linspace(start, stop, bins + 1), np.zeros(bins, dtype=np.int64))

    def add(self, values: Array) -> int:
        """Count the values inside the range; return how many fell outside it."""
        inside = (values >= self.edges[0]) & (values <= self.edges[-1])
        counts, _ = np.histogram(values[inside], bins=self.edges)
        np.add(self.counts, counts, out=self.counts)
        return int((~inside).sum())
