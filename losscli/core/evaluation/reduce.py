"""Reductions: mean, sum, none, weighted; and mergeable partial sums for streaming input."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.types import Array

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
class ScaledSum:
    """A Neumaier-compensated running sum held as (total + compensation) * 2**exponent.

    For unweighted values the exponent stays 0 until a sum would overflow, so ordinary sums
    are plain float64 sums; a sum of finite values near the float64 maximum is kept scaled
    instead of becoming inf, and a mean of them is finite whenever the exact mean is.
    Scaling is by powers of two, which is exact.
    """

    total: float = 0.0
    compensation: float = 0.0
    exponent: int = 0

    def add(self, value: float, exponent: int = 0) -> None:
        """Add value * 2**exponent."""
        value = self._aligned(value, exponent)
        t = self.total + value
        while not math.isfinite(t) and math.isfinite(self.total) and math.isfinite(value):
            # Two finite numbers overflowed: halve everything (exact) and add again.
            self.total, self.compensation, value = self.total / 2, self.compensation / 2, value / 2
            self.exponent += 1
            t = self.total + value
        if not math.isfinite(t):
            self.total, self.compensation = t, 0.0
            return
        if abs(self.total) >= abs(value):
            self.compensation += (self.total - t) + value
        else:
            self.compensation += (value - t) + self.total
        self.total = t

    def merge(self, other: ScaledSum) -> None:
        self.add(other.total, other.exponent)
        self.compensation += self._aligned(other.compensation, other.exponent)

    def _aligned(self, value: float, exponent: int) -> float:
        """value * 2**exponent in units of 2**self.exponent. An empty sum takes the value's
        exponent, a larger exponent replaces ours (what then falls below the smallest
        subnormal is negligible next to the value)."""
        empty = self.total == 0 and self.compensation == 0
        if math.isfinite(value) and value != 0 and (empty or exponent > self.exponent):
            shift = self.exponent - exponent
            if math.isfinite(self.total):
                self.total = math.ldexp(self.total, shift)
                self.compensation = math.ldexp(self.compensation, shift)
            self.exponent = exponent
        return _ldexp(value, exponent - self.exponent)

    def mantissa(self) -> float:
        return self.total + self.compensation if math.isfinite(self.total) else self.total

    def value(self) -> float:
        """The sum as a float64: inf only when the exact sum is beyond float64."""
        return _ldexp(self.mantissa(), self.exponent)

    def ratio(self, other: ScaledSum) -> float:
        """self / other, finite whenever the exact quotient is (other > 0)."""
        top, bottom = self.mantissa(), other.mantissa()
        if not math.isfinite(top) or top == 0:
            return top / bottom
        top_fraction, top_exponent = math.frexp(top)
        bottom_fraction, bottom_exponent = math.frexp(bottom)
        exponent = top_exponent - bottom_exponent + self.exponent - other.exponent
        return _ldexp(top_fraction / bottom_fraction, exponent)

    def divide(self, values: Array) -> Array:
        """values / self for 0 <= values <= self (weights over their total): the values are
        scaled by the total's power of two first, so nothing overflows or underflows to a
        spurious 0 when the total is beyond float64."""
        fraction, exponent = math.frexp(self.mantissa())
        return np.ldexp(values, -(exponent + self.exponent)) / fraction


def _ldexp(x: float, exponent: int) -> float:
    """x * 2**exponent, inf (not OverflowError) beyond float64."""
    if not math.isfinite(x) or x == 0:
        return x
    try:
        return math.ldexp(x, exponent)
    except OverflowError:
        return math.copysign(math.inf, x)


def _chunk_sum(values: Array, total: float | None = None) -> tuple[float, int]:
    """The sum of a chunk as (s, e) meaning s * 2**e; e is 0 unless the plain sum overflows.
    `total`: np.sum(values), when the caller has it."""
    if total is None:
        # A total beyond float64 is handled below: no RuntimeWarning on stderr.
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(values))
    if math.isfinite(total) or not bool(np.all(np.isfinite(values))):
        return total, 0  # finite, or an infinite/NaN input that makes the answer so
    # Finite values whose sum overflows: sum them scaled so the largest is below 1.
    exponent = math.frexp(float(np.max(np.abs(values))))[1]
    return float(np.sum(np.ldexp(values, -exponent))), exponent


@dataclass
class Accumulator:
    """Running sums of values and weights, merged with Neumaier compensation.

    Each chunk is summed pairwise by NumPy; the chunk totals are then added with a
    compensation term, so a mean over 100M rows read in chunks matches the in-memory mean
    to about 1e-15 relative. Two accumulators merge exactly like two chunks. Sums are held
    scaled by a power of two when they would overflow, and weights are scaled to at most 1
    before multiplying, so the mean of finite values with finite weights is finite (weights
    of 1e308 give the same mean as weights of 1).
    """

    values: ScaledSum = field(default_factory=ScaledSum)
    weights: ScaledSum = field(default_factory=ScaledSum)
    count: int = 0

    def add(self, values: Array, weights: Array | None = None, total: float | None = None) -> None:
        """Add a chunk of values (with their weights); `total`: np.sum(values), if known."""
        if weights is None:
            self.values.add(*_chunk_sum(values, total))
            self.weights.add(float(values.shape[0]))
        elif weights.size:
            largest = float(np.max(weights))
            # Weights divided by a power of two near the largest (exact): products cannot
            # overflow where the values do not, and tiny weights do not underflow to 0.
            scale = math.frexp(largest)[1] if largest > 0 else 0
            w = np.ldexp(weights, -scale)
            # 0 * inf would be NaN; a zero-weight example contributes nothing. errstate: the
            # discarded 0 * inf must not print a RuntimeWarning on the user's stderr.
            with np.errstate(invalid="ignore", over="ignore"):
                products = np.where(w == 0, 0.0, w * values)
            total, exponent = _chunk_sum(products)
            self.values.add(total, exponent + scale)
            self.weights.add(float(np.sum(w)), scale)
        self.count += int(values.shape[0])

    def add_total(self, total: float, count: int) -> None:
        """Add a chunk of `count` unweighted values whose np.sum is `total` (finite), as add
        does with the values themselves."""
        self.values.add(total)
        self.weights.add(float(count))
        self.count += count

    def merge(self, other: Accumulator) -> None:
        """Add another accumulator's totals to this one (in place), as if its chunks had
        been added here."""
        self.values.merge(other.values)
        self.weights.merge(other.weights)
        self.count += other.count

    @property
    def weight_total(self) -> float:
        """The total weight as one float (inf beyond float64); with weight_compensation (0),
        the spelling of the unscaled accumulator that callers may still use."""
        return self.weights.value()

    @property
    def weight_compensation(self) -> float:
        return 0.0

    def has_weight(self) -> bool:
        return self.weights.mantissa() > 0

    def sum(self) -> float:
        return self.values.value()

    def weight(self) -> float:
        return self.weights.value()

    def mean(self) -> float:
        if not self.has_weight():
            raise DataError("the weights sum to 0: the weighted mean is undefined")
        return self.values.ratio(self.weights)

    def weight_shares(self, weights: Array) -> Array:
        """Each weight over the total weight (the factor of a weighted mean's gradient)."""
        if not self.has_weight():
            raise DataError("the weights sum to 0: the weighted mean is undefined")
        return self.weights.divide(np.asarray(weights, dtype=np.float64))

    def result(self, reduction: str) -> float:
        return self.mean() if reduction == "mean" else self.sum()


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
        # A batch may carry its values' plain sum (BatchValues.total): one pass fewer.
        self.totals.add(batch.values, batch.weights, getattr(batch, "total", None))
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

    def add_total(self, total: float, count: int, width: int) -> None:
        """Add a batch of `count` unweighted values whose np.sum is `total` (finite) and whose
        predictions are `width` wide, as add does with the batch: for the mean rules that read
        no more than that (examples, elements)."""
        if self.rule not in ("examples", "elements"):
            raise ValueError(f"the {self.rule} mean reads each value, not only their sum")
        self.totals.add_total(total, count)
        self.width = self.width or width

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
            # Scaled: finite whenever the exact mean is, as in Accumulator.mean.
            mean = self.totals.values.ratio(ScaledSum(float(self.totals.count)))
            return mean / self.width if self.rule == "elements" else mean
        if self.rule == "target-weights":
            self._check_denominator()
            return self.totals.values.ratio(self.denominator.values)
        if self.rule == "nonzero-by-label":
            # A group whose every loss is 0 contributes 0, as AvgNonZeroReducer does.
            return math.fsum(g.mean() for g in self.groups.values() if g.has_weight())
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
            self._check_denominator()
            return self.denominator.values.divide(
                w if w is not None else np.ones(batch.values.shape[0])
            )
        if self.rule == "nonzero-by-label":
            labels = _labels(batch)
            ones = np.ones(batch.values.shape[0]) if w is None else w
            scale = np.zeros(batch.values.shape[0])
            for label, group in self.groups.items():
                mask = (labels == label) & (batch.values > 0)
                if group.has_weight():
                    scale[mask] = group.weight_shares(ones[mask])
            return scale
        # The weights over the total weight of every batch added, or 1 / n.
        mean_scale = 1.0 / self.count if w is None else self.totals.weight_shares(w)
        return mean_scale / self.width if self.rule == "elements" else mean_scale

    def _check_denominator(self) -> None:
        if not self.denominator.values.mantissa() > 0:
            raise DataError("the class weights of the targets sum to 0: the mean is undefined")

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
