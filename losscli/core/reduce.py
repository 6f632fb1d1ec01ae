"""Reductions: mean, sum, none, weighted; and mergeable partial sums for streaming input."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
            chunk = float(np.sum(values))
            chunk_weight = float(values.shape[0])
        else:
            # 0 * inf would be NaN; a zero-weight example contributes nothing. errstate: the
            # discarded 0 * inf must not print a RuntimeWarning on the user's stderr.
            with np.errstate(invalid="ignore"):
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
