"""Profiling a target column, or the residuals of predictions, for `recommend`.

A `Profiler` takes the data in chunks (`add`), two profilers merge (`merge`), and `finish`
gives the profile: for a label column the classes and their counts; for a numeric column the
residual scale, skew, kurtosis and the share of values far out in the tails.

What is exact and what is not, and why:

- Moments (mean, variance, skew, kurtosis) are merged exactly from per-chunk central moments
  with the pairwise formulas of Chan et al. and Pébay, which stay accurate when the mean is
  large next to the spread (raw power sums would not).
- Label counts are exact; they are kept while the column has at most `MAX_CLASSES` distinct
  integer values, and while they are kept they describe the column completely.
- The median, the MAD and the tail share are order statistics, which do not merge. Up to
  `EXACT_LIMIT` values (64 MB of float64) they are computed exactly from the values held in
  memory. Beyond that the profiler keeps a uniform random sample of `SAMPLE_SIZE` values
  (bottom-k sampling: every value gets a random key and the smallest keys are kept, which is
  exactly mergeable) and computes them from the sample: for a median this is within about
  0.0013 standard deviations, and a tail share within about 0.0001, far finer than the
  guide's thresholds. Memory stays bounded (about 80 MB at most) however long the input.
  The profile says which of the two it used. The sample's generator is seeded: the same
  input gives the same profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from losscli.core import checks
from losscli.core.errors import DataError
from losscli.core.registry import Array

# MAD x 1.4826 estimates the standard deviation of Gaussian data (1 / Phi^-1(3/4)).
MAD_TO_SD = 1.4826
# Mean absolute deviation x sqrt(pi/2) does the same; the fallback when the MAD is 0.
MEAN_AD_TO_SD = math.sqrt(math.pi / 2)
TAIL_SDS = 3.0
MAX_CLASSES = 20
EXACT_LIMIT = 8_000_000
SAMPLE_SIZE = 1_000_000
SEED = 20240601


# Each sample draws its keys from its own stream (so merged samples are independent), and
# the streams come from one fixed seed (so the same input gives the same profile).
_SEEDS = np.random.SeedSequence(SEED)


def _new_generator() -> np.random.Generator:
    return np.random.default_rng(_SEEDS.spawn(1)[0])


@dataclass(frozen=True)
class Moments:
    """Count, mean and the central moment sums M2, M3, M4 (sums of (x - mean)^k)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @classmethod
    def of(cls, x: Array) -> Moments:
        if x.size == 0:
            return cls()
        # Beyond about 1e77 the fourth powers overflow: the sums become inf (or nan), and
        # `skew` and `excess_kurtosis` say None rather than a wrong number.
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.mean(x))
            d = x - mean
            d2 = d * d
            m3, m4 = float((d2 * d).sum()), float((d2 * d2).sum())
        return cls(x.size, mean, float(d2.sum()), m3, m4)

    def merge(self, other: Moments) -> Moments:
        """The moments of both parts together (Pébay 2008, eqs. 2.1-2.4)."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        d_n = delta / n
        mean = self.mean + nb * d_n
        m2 = self.m2 + other.m2 + delta * d_n * na * nb
        m3 = (
            self.m3
            + other.m3
            + delta * d_n * d_n * na * nb * (na - nb)
            + 3.0 * d_n * (na * other.m2 - nb * self.m2)
        )
        m4 = (
            self.m4
            + other.m4
            + delta * d_n**3 * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * d_n * d_n * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * d_n * (na * other.m3 - nb * self.m3)
        )
        return Moments(n, mean, m2, m3, m4)

    @property
    def std(self) -> float:
        """Population standard deviation, sqrt(M2 / n)."""
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    @property
    def skew(self) -> float | None:
        """g1 = sqrt(n) M3 / M2^1.5 (SciPy's `skew` with bias=True); None if not finite."""
        if self.m2 <= 0:
            return None
        value = math.sqrt(self.n) * self.m3 / self.m2**1.5
        return value if math.isfinite(value) else None

    @property
    def excess_kurtosis(self) -> float | None:
        """g2 = n M4 / M2^2 - 3 (SciPy's `kurtosis`, Fisher, bias=True); None if not finite."""
        if self.m2 <= 0:
            return None
        value = self.n * self.m4 / (self.m2 * self.m2) - 3.0
        return value if math.isfinite(value) else None


@dataclass
class RobustSample:
    """The values themselves up to `limit`, then a uniform random sample of `size` of them."""

    limit: int = EXACT_LIMIT
    size: int = SAMPLE_SIZE
    seen: int = 0
    parts: list[Array] = field(default_factory=list)
    keys: Array | None = None  # None while every value is held (exact)
    rng: np.random.Generator = field(default_factory=lambda: _new_generator())

    @property
    def exact(self) -> bool:
        return self.keys is None

    def add(self, x: Array) -> None:
        self.seen += x.size
        if not self.exact:
            self._offer(x)
            return
        self.parts.append(x)
        if self.seen > self.limit:
            self._start_sampling()

    def merge(self, other: RobustSample) -> None:
        if self.exact and other.exact and self.seen + other.seen <= self.limit:
            self.parts.extend(other.parts)
            self.seen += other.seen
            return
        self.seen += other.seen
        if self.exact:
            self._start_sampling()
        if other.exact:
            for part in other.parts:
                self._offer(part)
        else:
            assert self.keys is not None and other.keys is not None
            values = np.concatenate([self.values(), other.values()])
            self._keep(values, np.concatenate([self.keys, other.keys]))

    def values(self) -> Array:
        if not self.parts:
            return np.empty(0)
        if len(self.parts) > 1:
            self.parts = [np.concatenate(self.parts)]
        return self.parts[0]

    def _start_sampling(self) -> None:
        # One held chunk at a time, so the temporaries stay the size of sample + chunk.
        held, self.parts, self.keys = self.parts, [], np.empty(0)
        while held:
            self._offer(held.pop(0))

    def _offer(self, x: Array) -> None:
        assert self.keys is not None
        values = np.concatenate([self.values(), x])
        self._keep(values, np.concatenate([self.keys, self.rng.random(x.size)]))

    def _keep(self, values: Array, keys: Array) -> None:
        if values.size > self.size:
            # The `size` smallest keys: a uniform sample of everything keyed so far.
            chosen = np.argpartition(keys, self.size - 1)[: self.size]
            values, keys = values[chosen], keys[chosen]
        self.parts, self.keys = [values], keys


@dataclass(frozen=True)
class LabelCounts:
    """Exact counts per value while the column looks like class labels; `counts` is None once
    a value is not an integer or there are more than MAX_CLASSES distinct values."""

    counts: dict[float, int] | None = field(default_factory=dict)

    def with_chunk(self, x: Array) -> LabelCounts:
        if self.counts is None:
            return self
        values, counts = np.unique(x, return_counts=True)
        if not np.all(values == np.round(values)):
            return LabelCounts(None)
        return self.merge(LabelCounts(dict(zip(values.tolist(), counts.tolist(), strict=True))))

    def merge(self, other: LabelCounts) -> LabelCounts:
        if self.counts is None or other.counts is None:
            return LabelCounts(None)
        merged = dict(self.counts)
        for value, count in other.counts.items():
            merged[value] = merged.get(value, 0) + count
        return LabelCounts(merged if len(merged) <= MAX_CLASSES else None)


def _add_counts(sample: RobustSample, counts: dict[float, int]) -> None:
    """Put the values that counts describe into a sample, a bounded block at a time."""
    block = 1 << 20
    for value, count in counts.items():
        for start in range(0, count, block):
            sample.add(np.full(min(block, count - start), value))


@dataclass(frozen=True)
class LabelProfile:
    """A column of class labels: binary (two values) or multiclass."""

    n: int
    task: Literal["binary", "multiclass"]
    counts: dict[float, int]
    minority_share: float
    positive_label: float | None  # binary: the larger of the two values
    positive_rate: float | None


@dataclass(frozen=True)
class SpreadProfile:
    """The spread of residuals (y_pred - y_true), or of a target around its median.

    `scale` is the robust standard deviation MAD x 1.4826 (the mean absolute deviation x
    sqrt(pi/2) when more than half the values equal the median, and `scale_method` says so);
    `tail_share` is the share of values farther than 3 x scale from the median.
    `quartile_skew` is Bowley's (Q3 + Q1 - 2 median) / (Q3 - Q1), in [-1, 1]; `skew` and
    `excess_kurtosis` are the moment statistics (None when they overflow float64).
    """

    n: int
    basis: Literal["residuals", "target"]
    mean: float
    std: float
    median: float
    scale: float
    scale_method: str
    tail_share: float
    quartile_skew: float
    skew: float | None
    excess_kurtosis: float | None
    robust_from: int  # how many values the median, scale and tail share were computed from


Profile = LabelProfile | SpreadProfile


@dataclass
class Profiler:
    """Mergeable statistics of a target column and, with predictions, of the residuals.

    Without predictions the values profiled are the target itself; while the target still
    looks like labels its counts describe it completely, so the sample stays empty and is
    filled from the counts only when the column turns out not to be labels.
    """

    with_pred: bool
    rows: int = 0
    # Whether every prediction so far is a probability, or an integer (a predicted label).
    pred_in_unit: bool = True
    pred_integer: bool = True
    labels: LabelCounts = field(default_factory=LabelCounts)
    moments: Moments = field(default_factory=Moments)
    sample: RobustSample = field(default_factory=RobustSample)

    def add(self, y_true: object, y_pred: object = None) -> None:
        """Add a chunk: a target vector and, if the profiler has them, predictions."""
        target = _column(y_true, "target")
        values = target
        if self.with_pred:
            pred = _column(y_pred, "pred")
            if pred.size != target.size:
                raise DataError(
                    f"there are {target.size} targets but {pred.size} predictions; "
                    "they must have the same length"
                )
            values = _residuals(target, pred)
            self.pred_in_unit = self.pred_in_unit and bool(np.all((pred >= 0) & (pred <= 1)))
            self.pred_integer = self.pred_integer and bool(np.all(pred == np.round(pred)))
        labels = self.labels.with_chunk(target)
        if not self.with_pred and self.labels.counts is not None and labels.counts is None:
            _add_counts(self.sample, self.labels.counts)
        self.labels = labels
        if self.with_pred or labels.counts is None:
            self.sample.add(values)
        self.moments = self.moments.merge(Moments.of(values))
        self.rows += target.size

    def merge(self, other: Profiler) -> None:
        if other.with_pred != self.with_pred:
            raise ValueError("cannot merge a profile of residuals with one of a target")
        labels = self.labels.merge(other.labels)
        other_sample = other.sample
        if not self.with_pred and labels.counts is None:
            if self.labels.counts is not None:
                _add_counts(self.sample, self.labels.counts)
            if other.labels.counts is not None:
                other_sample = RobustSample()
                _add_counts(other_sample, other.labels.counts)
        self.sample.merge(other_sample)
        self.labels = labels
        self.moments = self.moments.merge(other.moments)
        self.rows += other.rows
        self.pred_in_unit = self.pred_in_unit and other.pred_in_unit
        self.pred_integer = self.pred_integer and other.pred_integer

    def looks_like_labels(self) -> bool:
        """At most MAX_CLASSES distinct integer targets, and predictions (if any) that are
        probabilities or labels: a score of 3.7 against targets 1..5 is a regression."""
        if self.labels.counts is None:
            return False
        return not self.with_pred or self.pred_in_unit or self.pred_integer

    def finish(self, *, as_labels: bool | None = None) -> Profile:
        """The profile. `as_labels` forces the reading of the target (None: as
        `looks_like_labels` says)."""
        if self.rows == 0:
            raise DataError("no examples: the input is empty")
        counts = self.labels.counts
        if as_labels is None:
            as_labels = self.looks_like_labels()
        if as_labels:
            if counts is None:
                raise DataError(
                    "the target is not a column of class labels: it has non-integer values "
                    f"or more than {MAX_CLASSES} distinct values",
                    side="target",
                    column=0,
                )
            return _label_profile(self.rows, counts)
        if not self.with_pred and counts is not None:
            values = np.array(list(counts), dtype=np.float64)
            weights = np.array(list(counts.values()), dtype=np.int64)
            return _spread_profile(self, values, weights)
        return _spread_profile(self, self.sample.values(), None)


def _residuals(target: Array, pred: Array) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        values = pred - target
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            "minus the target overflows float64",
            row=row,
            side="pred",
            column=0,
            value=float(pred[row]),
        )
    return values


def _column(a: object, side: str) -> Array:
    arr = checks.as_2d(a, side)
    if arr.shape[1] != 1:
        raise DataError(f"{side} must be one column, not {arr.shape[1]}", side=side)
    checks.check_finite(arr, side)
    return arr[:, 0]


def _label_profile(n: int, counts: dict[float, int]) -> LabelProfile:
    ordered = dict(sorted(counts.items()))
    if len(ordered) < 2:
        (only,) = ordered
        raise DataError(
            f"all {n} targets are the label {label_text(only)}: a classifier needs two classes",
            side="target",
            column=0,
        )
    minority = min(ordered.values()) / n
    if len(ordered) == 2:
        positive = max(ordered)
        return LabelProfile(n, "binary", ordered, minority, positive, ordered[positive] / n)
    return LabelProfile(n, "multiclass", ordered, minority, None, None)


def label_text(value: float) -> str:
    """A class label as written: 1, not 1.0."""
    return str(int(value)) if value == int(value) else repr(value)


def _quantile(values: Array, weights: NDArray[np.int64] | None, q: float) -> float:
    """np.quantile (linear interpolation), also of values given with integer counts."""
    if weights is None:
        return float(np.quantile(values, q))
    order = np.argsort(values)
    values, cumulative = values[order], np.cumsum(weights[order])
    total = int(cumulative[-1])
    position = (total - 1) * q
    below = math.floor(position)
    # The k-th value (0-based) of the expanded column is the first whose cumulative count
    # exceeds k.
    low, high = values[np.searchsorted(cumulative, [below, min(below + 1, total - 1)], "right")]
    if position == below:
        return float(low)
    return float(low + (position - below) * (high - low))


def _spread_profile(
    profiler: Profiler, values: Array, weights: NDArray[np.int64] | None
) -> SpreadProfile:
    basis: Literal["residuals", "target"] = "residuals" if profiler.with_pred else "target"
    count = values.size if weights is None else int(weights.sum())
    median = _quantile(values, weights, 0.5)
    deviations = np.abs(values - median)
    scale = MAD_TO_SD * _quantile(deviations, weights, 0.5)
    method = "MAD x 1.4826"
    if scale == 0.0:
        mean_ad = np.average(deviations, weights=weights)
        scale = MEAN_AD_TO_SD * float(mean_ad)
        method = "mean absolute deviation x 1.2533 (over half the values equal the median)"
    if scale == 0.0 or not math.isfinite(scale):
        what = "residuals" if profiler.with_pred else "targets"
        raise DataError(
            f"all {profiler.rows} {what} are equal ({median!r}): there is no spread to profile",
            side="pred" if profiler.with_pred else "target",
            column=0,
        )
    beyond = deviations > TAIL_SDS * scale
    tail = int(beyond.sum() if weights is None else weights[beyond].sum()) / count
    q1, q3 = _quantile(values, weights, 0.25), _quantile(values, weights, 0.75)
    # Bowley's quartile skewness: asymmetry of the bulk, untouched by a few outliers.
    quartile_skew = (q3 + q1 - 2 * median) / (q3 - q1) if q3 > q1 else 0.0
    m = profiler.moments
    return SpreadProfile(
        n=profiler.rows,
        basis=basis,
        mean=m.mean,
        std=m.std,
        median=median,
        scale=scale,
        scale_method=method,
        tail_share=tail,
        quartile_skew=quartile_skew,
        skew=m.skew,
        excess_kurtosis=m.excess_kurtosis,
        robust_from=count,
    )
