"""Reductions: mean, sum, none, weighted; and mergeable partial sums for streaming input."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from losscli.core import checks
from losscli.core.errors import DataError, UsageError
from losscli.core.registry import Array

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise UsageError(f"--reduction must be one of {', '.join(REDUCTIONS)}, not {reduction!r}")
    return reduction


def check_weights(weights: object, n: int) -> Array:
    w = checks.as_2d(weights, "weight")
    if w.shape != (n, 1):
        raise DataError(f"there are {n} examples but {w.shape[0]} weights", side="weight")
    checks.check_finite(w, "weight")
    checks.check_range(w, "weight", 0.0, np.inf, "a weight >= 0")
    return w[:, 0]


@dataclass
class Accumulator:
    """Running sums of values and weights, merged with Neumaier compensation.

    Each chunk is summed pairwise by NumPy; the chunk totals are then added with a
    compensation term, so a mean over 100M rows read in chunks matches the in-memory mean
    to about 1e-15 relative. Two accumulators merge exactly like two chunks.
    """

    total: float = 0.0
    compensation: float = 0.0
    weight_total: float = 0.0
    weight_compensation: float = 0.0
    count: int = 0

    @staticmethod
    def _add(s: float, c: float, x: float) -> tuple[float, float]:
        t = s + x
        if not math.isfinite(t):
            return t, 0.0
        if abs(s) >= abs(x):
            c += (s - t) + x
        else:
            c += (x - t) + s
        return t, c

    def add(self, values: Array, weights: Array | None = None) -> None:
        if weights is None:
            # A total beyond float64 is inf, the right answer: no RuntimeWarning on stderr.
            with np.errstate(over="ignore"):
                chunk = float(np.sum(values))
            chunk_weight = float(values.shape[0])
        else:
            # 0 * inf would be NaN; a zero-weight example contributes nothing. errstate: the
            # discarded 0 * inf must not print a RuntimeWarning on the user's stderr.
            with np.errstate(invalid="ignore", over="ignore"):
                chunk = float(np.sum(np.where(weights == 0, 0.0, weights * values)))
            chunk_weight = float(np.sum(weights))
        self.total, self.compensation = self._add(self.total, self.compensation, chunk)
        self.weight_total, self.weight_compensation = self._add(
            self.weight_total, self.weight_compensation, chunk_weight
        )
        self.count += int(values.shape[0])

    def merge(self, other: Accumulator) -> None:
        self.total, self.compensation = self._add(self.total, self.compensation, other.total)
        self.compensation += other.compensation
        self.weight_total, self.weight_compensation = self._add(
            self.weight_total, self.weight_compensation, other.weight_total
        )
        self.weight_compensation += other.weight_compensation
        self.count += other.count

    def sum(self) -> float:
        return self.total + self.compensation if math.isfinite(self.total) else self.total

    def mean(self) -> float:
        weight = self.weight_total + self.weight_compensation
        if weight <= 0:
            raise DataError("the weights sum to 0: the weighted mean is undefined")
        return self.sum() / weight

    def result(self, reduction: str) -> float:
        return self.mean() if reduction == "mean" else self.sum()


def reduce_values(values: Array, reduction: str, weights: Array | None = None) -> float:
    """The mean or sum of per-example values (weighted when weights are given)."""
    acc = Accumulator()
    acc.add(values, weights)
    return acc.result(reduction)


def grad_scale(n: int, reduction: str, weights: Array | None) -> Array | float:
    """The factor that turns per-example gradients into gradients of the reduced loss."""
    if weights is None:
        return 1.0 / n if reduction == "mean" else 1.0
    if reduction == "mean":
        total = float(np.sum(weights))
        if total <= 0:
            raise DataError("the weights sum to 0: the weighted mean is undefined")
        return weights / total
    return weights


# How a convention turns per-example values into a mean (the sum is always the plain sum).
#   examples          the mean over examples, weighted when weights are given: the catalog's.
#   elements          that mean divided by the width of a prediction row: PyTorch kl_div's
#                     reduction='mean', over all n x C elements instead of the n rows.
#   nonzero-by-label  pytorch-metric-learning's AvgNonZeroReducer for pair losses: in each
#                     label group (similar pairs, dissimilar pairs), the mean over the examples
#                     whose loss is > 0 (0 for a group with none); the group means are added.
#   target-weights    PyTorch's class-weighted cross-entropy: the sum divided by the sum of
#                     each example's class weight w[y] (the batch's `mean_weights`) instead
#                     of the number of examples; examples without one (soft targets) count 1.
MEAN_RULES = ("examples", "elements", "nonzero-by-label", "target-weights")

# What a mean with sample weights divides Σ w·L by:
#   weights  Σ w, a weighted mean (the catalog, scikit-learn's sample_weight, Keras metrics).
#   count    the number of examples N (or elements, n x C, for the elements rule), as Keras's
#            default loss reduction 'sum_over_batch_size' with sample_weight and PyTorch's
#            element weights ((w * loss).mean(), BCELoss(weight=w)) do: a weight scales a loss.
# Without weights both are the plain mean.
WEIGHTED_MEANS = ("weights", "count")


class ReducibleBatch(Protocol):
    """What a Reducer reads from one batch (evaluation.BatchValues has these)."""

    @property
    def values(self) -> Array: ...

    @property
    def weights(self) -> Array | None: ...

    @property
    def width(self) -> int: ...

    @property
    def labels(self) -> Array | None: ...

    @property
    def mean_weights(self) -> Array | None: ...


@dataclass
class Reducer:
    """Mergeable totals of one or many batches, reduced by one of MEAN_RULES.

    Everything is a compensated running sum, so streamed batches give the in-memory answer.
    With `root` (RMSE) the result is the square root of the mean or sum.
    """

    rule: str = "examples"
    totals: Accumulator = field(default_factory=Accumulator)
    width: int = 0
    groups: dict[float, Accumulator] = field(default_factory=dict)
    root: bool = False
    denominator: Accumulator = field(default_factory=Accumulator)
    weighted_mean: str = "weights"  # one of WEIGHTED_MEANS
    weighted: bool = False  # some batch had sample weights

    def __post_init__(self) -> None:
        if self.rule not in MEAN_RULES:
            raise ValueError(f"unknown mean rule {self.rule!r}")
        if self.weighted_mean not in WEIGHTED_MEANS:
            raise ValueError(f"unknown weighted mean {self.weighted_mean!r}")

    @property
    def _by_count(self) -> bool:
        """Sample weights are given and the mean divides Σ w·L by the count (see above). The
        mean rules with a denominator of their own keep it: the class-weighted mean divides by
        Σ w·w[y] (weights of 1 give PyTorch's Σ w[y]), the non-zero mean by its groups."""
        return (
            self.weighted
            and self.weighted_mean == "count"
            and self.rule in ("examples", "elements")
        )

    @property
    def count(self) -> int:
        return self.totals.count

    def holds(self, reduction: str) -> bool:
        """Whether gradients for this reduction need the totals of the whole input first."""
        return reduction == "mean" or (self.root and reduction == "sum")

    def add(self, batch: ReducibleBatch) -> None:
        self.totals.add(batch.values, batch.weights)
        self.weighted = self.weighted or batch.weights is not None
        self.width = self.width or batch.width
        if self.rule == "target-weights":
            counts = batch.mean_weights
            if counts is None:
                counts = np.ones(batch.values.shape[0])
            self.denominator.add(counts, batch.weights)
        if self.rule == "nonzero-by-label":
            labels = _labels(batch)
            active = batch.values > 0
            for label in np.unique(labels):
                mask = active & (labels == label)
                w = None if batch.weights is None else batch.weights[mask]
                self.groups.setdefault(float(label), Accumulator()).add(batch.values[mask], w)

    def result(self, reduction: str) -> float:
        value = self._reduced(reduction)
        # Values are >= 0; the root of an infinite total is infinite.
        return math.sqrt(value) if self.root else value

    def _reduced(self, reduction: str) -> float:
        if reduction == "sum":
            return self.totals.sum()
        if self._by_count:
            if self.totals.count == 0:
                raise DataError("no examples: the mean is undefined")
            mean = self.totals.sum() / self.totals.count
            return mean / self.width if self.rule == "elements" else mean
        if self.rule == "target-weights":
            weight = self.denominator.sum()
            if weight <= 0:
                raise DataError("the class weights of the targets sum to 0: the mean is undefined")
            return self.totals.sum() / weight
        if self.rule == "nonzero-by-label":
            # A group whose every loss is 0 contributes 0, as AvgNonZeroReducer does.
            return math.fsum(
                g.mean() for g in self.groups.values() if g.weight_total + g.weight_compensation
            )
        mean = self.totals.mean()
        return mean / self.width if self.rule == "elements" else mean

    def grad_scale(self, batch: ReducibleBatch, reduction: str) -> Array | float:
        """The factor turning a batch's per-example gradients into gradients of the reduced
        loss, once every batch has been added (`none` with weights: the weights)."""
        scale = self._grad_scale(batch, reduction)
        if not self.root or reduction == "none":
            return scale
        # d sqrt(T)/dT = 1 / (2 sqrt(T)); at T = 0 (a perfect fit) the subgradient 0.
        total = self._reduced(reduction)
        if total == 0:
            return np.zeros(batch.values.shape[0])
        return scale / (2.0 * math.sqrt(total))

    def _grad_scale(self, batch: ReducibleBatch, reduction: str) -> Array | float:
        w = batch.weights
        if reduction != "mean":
            return w if w is not None else 1.0
        if self._by_count:
            scale = (w if w is not None else 1.0) / self.totals.count
            return scale / self.width if self.rule == "elements" else scale
        if self.rule == "target-weights":
            weight = self.denominator.sum()
            if weight <= 0:
                raise DataError("the class weights of the targets sum to 0: the mean is undefined")
            return (w if w is not None else 1.0) / weight
        if self.rule == "nonzero-by-label":
            labels = _labels(batch)
            scale = np.zeros(batch.values.shape[0])
            for label, group in self.groups.items():
                total = group.weight_total + group.weight_compensation
                mask = (labels == label) & (batch.values > 0)
                if total > 0:
                    scale[mask] = (1.0 if w is None else w[mask]) / total
            return scale
        if w is None:
            mean_scale = grad_scale(self.totals.count, "mean", None)
        else:
            # The weight total of every batch added, not of this batch alone.
            total = self.totals.weight_total + self.totals.weight_compensation
            if total <= 0:
                raise DataError("the weights sum to 0: the weighted mean is undefined")
            mean_scale = w / total
        return mean_scale / self.width if self.rule == "elements" else mean_scale

    def merge(self, other: Reducer) -> None:
        self.weighted = self.weighted or other.weighted
        self.totals.merge(other.totals)
        self.denominator.merge(other.denominator)
        self.width = self.width or other.width
        for label, group in other.groups.items():
            self.groups.setdefault(label, Accumulator()).merge(group)


def _labels(batch: ReducibleBatch) -> Array:
    if batch.labels is None:
        raise ValueError("the nonzero-by-label mean needs one label per example")
    return batch.labels
