"""Evaluating a loss: one request (loss, parameters, prediction space), then values,
reductions, gradients and a finite-difference check of the gradients."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.core import checks, conventions, registry
from losscli.core.conventions import CATALOG_RULE, Rule
from losscli.core.errors import UsageError
from losscli.core.reduce import Reducer, check_reduction, check_weights
from losscli.core.registry import Array, Loss, Notice, Params, ParamValue, Prepared, Space


@dataclass(frozen=True)
class Request:
    """A loss with its parameters resolved and checked, the space its predictions are in, and
    the convention it is computed under (its Rule: see core/conventions.py)."""

    loss: Loss
    params: dict[str, ParamValue]
    space: Space
    normalize: bool = False
    convention: str = "catalog"
    rule: Rule = CATALOG_RULE
    # What the mean with sample weights divides by: "weights" (Σ w) or "count" (N).
    weighted_mean: str = "weights"

    def prepare(self, y_true: object, y_pred: object) -> Prepared:
        p = checks.as_2d(y_pred, "pred")
        # A loss without targets (triplets) may be given None: no target columns.
        t = np.zeros((p.shape[0], 0)) if y_true is None else checks.as_2d(y_true, "target")
        settings = {**self.params, **self.rule.input_settings}
        return self.loss.prepare(t, p, self.space, settings, self.normalize)

    def values(self, prepared: Prepared) -> Array:
        with np.errstate(all="ignore"):
            out = self.loss.value(
                prepared.y_true,
                prepared.y_pred,
                space=self.space,
                **self.params,
                **self.rule.settings,
            )
        return self._scaled(out)

    def grads(self, prepared: Prepared) -> Array:
        with np.errstate(all="ignore"):
            out = self.loss.grad(
                prepared.y_true,
                prepared.y_pred,
                space=self.space,
                **self.params,
                **self.rule.settings,
            )
        return self._scaled(out)

    def _scaled(self, out: object) -> Array:
        arr = np.asarray(out, dtype=np.float64)
        if self.rule.scale != 1.0:
            arr = arr * self.rule.scale
        # A loss written as -(terms) gives -0.0 where every term is 0; adding 0.0 turns it
        # into 0.0 (IEEE 754) and leaves every other value as it is.
        return arr + 0.0

    def reducer(self) -> Reducer:
        """Empty totals that reduce the way this request's convention takes its mean."""
        return Reducer(self.rule.mean, root=self.loss.root, weighted_mean=self.weighted_mean)

    def infinity_notice(self, values: Array) -> Notice | None:
        """A notice naming the rows where the exact loss is infinite, with what to do."""
        rows = np.flatnonzero(~np.isfinite(values))
        if rows.size == 0:
            return None
        if self.loss.infinity_note:
            why = self.loss.infinity_note
        elif self.space == "prob":
            why = (
                "a predicted probability is exactly 0 where the target has mass; clip with "
                "--eps (for example --eps 1e-7) or pass --logits"
            )
        else:
            why = "the value overflows float64"
        count = rows.size
        text = f"the loss is infinite for {count} example{'s' if count > 1 else ''}: {why}"
        return Notice(text, tuple(int(r) for r in rows[:10]))


def make_request(
    loss: str | Loss,
    params: Params | None = None,
    *,
    space: Space | None = None,
    normalize: bool = False,
    convention: str = "catalog",
) -> Request:
    """Resolve a loss name or alias, its parameters, prediction space and convention;
    UsageError if any is wrong (or the convention has no such loss)."""
    record = registry.get(loss) if isinstance(loss, str) else loss
    rule = conventions.rule_for(convention, record)
    conv = conventions.get_convention(convention)
    return Request(
        record,
        conventions.resolve_params(rule, record, params or {}),
        record.resolve_space(space),
        normalize,
        conv.name,
        rule,
        conv.weighted_mean_for(record.name)[0],
    )


@dataclass(frozen=True)
class Evaluation:
    """The loss of a batch: per-example values and, unless reduction is none, one number."""

    request: Request
    reduction: str
    n: int
    values: Array
    value: float | None
    notices: tuple[Notice, ...] = field(default=())


@dataclass(frozen=True)
class Gradient:
    """Per-example gradients (scaled as the reduction implies), shape of the predictions."""

    request: Request
    reduction: str
    n: int
    grads: Array
    notices: tuple[Notice, ...] = field(default=())


def _notices(request: Request, prepared: Prepared, values: Array) -> tuple[Notice, ...]:
    inf = request.infinity_notice(values)
    return prepared.notices + ((inf,) if inf else ())


@dataclass(frozen=True)
class BatchValues:
    """Per-example values of one batch, its checked weights, and what to tell the user;
    `width` (columns of a prediction) and `labels` (one per example, for label-grouped means)
    are what a Reducer may need; `grads` are per example, when asked for."""

    values: Array
    weights: Array | None
    notices: tuple[Notice, ...]
    width: int = 1
    labels: Array | None = None
    grads: Array | None = None
    mean_weights: Array | None = None

    def weighted(self) -> Array:
        """w * value per example (0 where w = 0, even if the value is infinite)."""
        if self.weights is None:
            return self.values
        return np.where(self.weights == 0, 0.0, self.weights * self.values)


def refuse_batch_weights(request: Request, weights: object | None) -> None:
    """A batch loss (each value depends on the other rows) takes no sample weights: the
    gradient of a weighted mean would not be each row's gradient times its weight."""
    if weights is not None and request.loss.batch:
        raise UsageError(
            f"{request.loss.name} takes no sample weights: each example's loss depends on the "
            "other examples of its batch"
        )


def batch_values(
    request: Request,
    y_true: object,
    y_pred: object,
    weights: object | None = None,
    *,
    with_grads: bool = False,
) -> BatchValues:
    """The building block of evaluate, for callers that stream batches into a Reducer
    (`request.reducer()`, then `add` each batch)."""
    refuse_batch_weights(request, weights)
    prepared = request.prepare(y_true, y_pred)
    values = request.values(prepared)
    w = check_weights(weights, values.shape[0]) if weights is not None else None
    width = prepared.y_pred.shape[1] if prepared.y_pred.ndim == 2 else 1
    labels = prepared.y_true if prepared.y_true.ndim == 1 else None
    grads = request.grads(prepared) if with_grads else None
    return BatchValues(
        values,
        w,
        _notices(request, prepared, values),
        width,
        labels,
        grads,
        prepared.mean_weights,
    )


def evaluate(
    request: Request,
    y_true: object,
    y_pred: object,
    *,
    reduction: str = "mean",
    weights: object | None = None,
) -> Evaluation:
    check_reduction(reduction)
    batch = batch_values(request, y_true, y_pred, weights)
    value: float | None = None
    if reduction != "none":
        reducer = request.reducer()
        reducer.add(batch)
        value = reducer.result(reduction)
    values = batch.weighted() if reduction == "none" else batch.values
    return Evaluation(request, reduction, values.shape[0], values, value, batch.notices)


def gradient(
    request: Request,
    y_true: object,
    y_pred: object,
    *,
    reduction: str = "none",
    weights: object | None = None,
) -> Gradient:
    check_reduction(reduction)
    batch = batch_values(request, y_true, y_pred, weights, with_grads=True)
    assert batch.grads is not None
    grads = batch.grads
    n = grads.shape[0]
    reducer = request.reducer()
    if reducer.holds(reduction):  # the mean (and a root) needs the totals
        reducer.add(batch)
    scale: Any = reducer.grad_scale(batch, reduction)
    if isinstance(scale, np.ndarray):
        scale = scale.reshape((n,) + (1,) * (grads.ndim - 1))
    # A zero-weight example contributes nothing, even where its own gradient is infinite
    # (0 * inf would be NaN), as in Accumulator.add for the values.
    with np.errstate(invalid="ignore"):
        grads = np.where(scale == 0, 0.0, grads * scale)
    return Gradient(request, reduction, n, grads, batch.notices)


# How many ulps of a loss value check_gradient attributes to rounding (see there).
ROUNDING_ULPS = 32
# The rows of a batch loss whose cells check_gradient compares (see GradientCheck).
COUPLED_ROWS = 32


@dataclass(frozen=True)
class GradientCheck:
    """Analytic gradient against central differences, cell by cell."""

    max_rel_diff: float
    worst_row: int | None
    compared: int
    skipped: int
    # Cells of a batch loss's rows left out: each cell costs a whole batch's evaluation, so at
    # most COUPLED_ROWS rows (evenly spread) are checked.
    unchecked: int = 0


def check_gradient(request: Request, y_true: object, y_pred: object) -> GradientCheck:
    """Compare the analytic per-example gradient with central finite differences.

    Cells where the one-sided differences disagree (a kink within the step), or where a step
    leaves the loss's domain, are skipped and counted rather than reported as errors. For a
    batch loss the analytic gradient is that of the sum over the batch, and so is the
    difference quotient: every row's value moves when one row's prediction does.
    """
    prepared = request.prepare(y_true, y_pred)
    analytic = request.grads(prepared)
    x = prepared.y_pred
    coupled = request.loss.batch
    base = request.values(prepared)
    if coupled:
        base = np.full(base.shape, math.fsum(base))
    flat_x = x.reshape(x.shape[0], -1)
    flat_g = analytic.reshape(x.shape[0], -1)
    with np.errstate(invalid="ignore"):
        row_scale = np.max(np.where(np.isfinite(flat_g), np.abs(flat_g), 0.0), axis=1)
    sampled = np.ones(flat_x.shape[0], dtype=bool)
    if coupled and flat_x.shape[0] > COUPLED_ROWS:
        sampled[:] = False
        sampled[np.linspace(0, flat_x.shape[0] - 1, COUPLED_ROWS).round().astype(int)] = True
    worst, worst_row, compared, skipped = 0.0, None, 0, 0
    for col in range(flat_x.shape[1]):
        h = 1e-6 * np.maximum(1.0, np.abs(flat_x[:, col]))

        def at(step: Array, col: int = col) -> Array:
            if coupled:
                return _coupled_values(request, prepared, flat_x, col, step, sampled)
            moved = flat_x.copy()
            moved[:, col] += step
            return request.values(Prepared(prepared.y_true, moved.reshape(x.shape)))

        up, down = at(h), at(-h)
        central = (up - down) / (2 * h)
        forward, backward = (up - base) / h, (base - down) / h
        tol = 1e-3 * np.maximum(1.0, np.maximum(np.abs(forward), np.abs(backward)))
        usable = (
            np.isfinite(up) & np.isfinite(down) & np.isfinite(base) & np.isfinite(flat_g[:, col])
        )
        usable &= np.abs(forward - backward) <= tol
        usable &= sampled
        a = flat_g[usable, col]
        c = central[usable]
        # Only the part of the difference beyond the resolution of the central difference
        # counts: the rounding of f itself (one ulp of a loss of 14 is already 2e-3 of a
        # gradient cell of 1e-6), and half the one-sided disagreement, its O(h) error at a C1
        # point such as max(0, m - d)^2 at d = m. Without this an exact gradient could score
        # 0.5 (at d = m) or 1e-2 (a far-off logit).
        # A loss formed from several logs and powers (Tweedie at p = 6.5: about 15 ulps) is
        # rounded by more than one ulp: up to ROUNDING_ULPS count as rounding.
        rounding = (
            ROUNDING_ULPS * np.finfo(np.float64).eps * np.maximum(np.abs(up), np.abs(down)) / h
        )
        if coupled:
            # A batch's total carries the rounding of every row's value.
            rounding = rounding * flat_x.shape[0]
        resolution = (0.5 * np.abs(forward - backward) + rounding)[usable]
        excess = np.maximum(np.abs(a - c) - resolution, 0.0)
        # Relative to the cell, or to 1e-4 of the row's largest gradient: a cell whose exact
        # gradient is 0 next to cells of size 1 (a triplet's anchor between its positive and
        # negative) sees the rounding of those larger terms, not an error of its own.
        floor = np.maximum(1e-6, 1e-4 * row_scale[usable])
        rel = excess / np.maximum(np.maximum(np.abs(a), np.abs(c)), floor)
        compared += int(usable.sum())
        skipped += int((~usable & sampled).sum())
        if rel.size and rel.max() > worst:
            worst = float(rel.max())
            worst_row = int(np.flatnonzero(usable)[int(np.argmax(rel))])
    unchecked = int((~sampled).sum()) * flat_x.shape[1]
    return GradientCheck(worst, worst_row, compared, skipped, unchecked)


def _coupled_values(
    request: Request,
    prepared: Prepared,
    flat_x: Array,
    col: int,
    step: Array,
    rows: np.ndarray,
) -> Array:
    """For a batch loss: the batch's total after moving one row's cell by its step, row by
    row (each row is moved alone, the others left where they were); only the `rows` marked
    (the others are NaN, not compared)."""
    shape = prepared.y_pred.shape
    out = np.full(flat_x.shape[0], np.nan)
    for row in np.flatnonzero(rows):
        moved = flat_x.copy()
        moved[row, col] += step[row]
        values = request.values(Prepared(prepared.y_true, moved.reshape(shape)))
        out[row] = math.fsum(values)
    return out
