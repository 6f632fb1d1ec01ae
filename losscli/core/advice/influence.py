"""How much the worst examples drive a loss, over streamed batches in bounded memory.

Two numbers make the bounded-influence story of robust losses visible on real data:

- the top-1% share: the part of the total (the sum of the per-example losses, weighted when
  weights are given) that the worst 1% of examples contribute. The worst 1% is the
  ceil(n / 100) examples with the largest contributions, at least one. With squared error a
  few gross outliers own most of the total; with Huber or absolute error they cannot.
- the largest |gradient| of one example's (weighted) loss with respect to its prediction:
  the pull of the most influential example. Huber's is at most delta, MAE's 1.

The top 1% of n is known only at the end, so one pass cannot discard values safely (a value
ranked 2000th after 100,000 rows is in the top 1% if 200,000 small rows follow). We keep the
KEEP_LARGEST largest contributions seen so far (8 MB): that answer is exact whenever
ceil(n / 100) <= KEEP_LARGEST, that is for n up to 100 million examples, and inline values
and ordinary tables are kept whole. Beyond that the sum of the kept values is a lower bound
of the top-1% total, and `exact` says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from losscli.core.evaluation.reduce import Accumulator
from losscli.core.losses.types import Array

TOP_FRACTION = 0.01
KEEP_LARGEST = 1_000_000


def top_count(n: int) -> int:
    """How many examples are the worst 1% of n: ceil(n / 100), at least 1 (0 for none)."""
    return max(1, math.ceil(n * TOP_FRACTION)) if n > 0 else 0


@dataclass
class Influence:
    """Running totals for the top-1% share and the largest |gradient|; add batch by batch."""

    keep: int = KEEP_LARGEST
    largest: Array = field(default_factory=lambda: np.empty(0))
    total: Accumulator = field(default_factory=Accumulator)
    max_abs_grad: float = 0.0
    negative: bool = False  # some contribution is below 0: a share of the total has no meaning

    @property
    def count(self) -> int:
        return self.total.count

    def add(self, contributions: Array, grads: Array | None = None) -> None:
        """Per-example contributions (weighted losses) and, optionally, their gradients
        (weighted the same way), any shape with one row per example."""
        contributions = np.asarray(contributions, dtype=np.float64)
        self.total.add(contributions)
        self.negative = self.negative or bool(np.any(contributions < 0))
        pool = np.concatenate([self.largest, contributions])
        if pool.size > self.keep:
            pool = np.partition(pool, pool.size - self.keep)[-self.keep :]
        self.largest = pool
        if grads is not None and grads.size:
            self.max_abs_grad = max(self.max_abs_grad, float(np.max(np.abs(grads))))

    def merge(self, other: Influence) -> None:
        """Both parts' totals: the largest of the two pools is the largest of the union."""
        pool = np.concatenate([self.largest, other.largest])
        if pool.size > self.keep:
            pool = np.partition(pool, pool.size - self.keep)[-self.keep :]
        self.largest = pool
        self.total.merge(other.total)
        self.max_abs_grad = max(self.max_abs_grad, other.max_abs_grad)

    @property
    def exact(self) -> bool:
        return top_count(self.count) <= self.keep

    def top_share(self) -> float | None:
        """The share of the total from the worst 1%, in [0, 1], or None where it has no
        meaning: no examples, a total of 0 (every loss 0), a total that is really infinite, or a
        negative
        contribution (a share of a total is defined for parts >= 0 only: a negative
        log-likelihood's share could be 132% or -32%)."""
        total = self.total.sum()
        if self.count == 0 or total == 0 or math.isnan(total) or self.negative:
            return None
        k = min(top_count(self.count), self.largest.size)
        top = Accumulator()
        top.add(np.partition(self.largest, self.largest.size - k)[-k:])
        # Scaled sums: the share of losses near 1e308 is finite though their total is not.
        share = top.values.ratio(self.total.values)
        return share if math.isfinite(share) else None
