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
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from losscli.core.errors import DataError, counted
from losscli.core.losses import checks
from losscli.core.losses.types import Array

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
# the streams come from one fixed seed (so the same input gives the same profile). Made at
# the first sample, not at import: compute and compare import this module (through
# evaluation.states) and should not pay for importing numpy.random.
_SEEDS: list[np.random.SeedSequence] = []


def _new_generator() -> np.random.Generator:
    if not _SEEDS:
        _SEEDS.append(np.random.SeedSequence(SEED))
    return np.random.default_rng(_SEEDS[0].spawn(1)[0])


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
        self.seen += x.shape[0]
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
        # Rows may be values or (n, k) arrays of rows: a key per row.
        values = np.concatenate([self.values(), x]) if self.parts else x
        self._keep(values, np.concatenate([self.keys, self.rng.random(x.shape[0])]))

    def _keep(self, values: Array, keys: Array) -> None:
        if keys.shape[0] > self.size:  # one key per row (values may be rows of k)
            # The `size` smallest keys: a uniform sample of everything keyed so far.
            chosen = np.argpartition(keys, self.size - 1)[: self.size]
            values, keys = values[chosen], keys[chosen]
        self.parts, self.keys = [values], keys


@dataclass(frozen=True)
class LabelCounts:
    """Exact counts per value while the column looks like class labels; `counts` is None once
    a value is not an integer or there are more than MAX_CLASSES distinct values."""

    counts: dict[float, int] | None = field(default_factory=dict)
    limit: int = MAX_CLASSES

    def with_chunk(self, x: Array) -> LabelCounts:
        if self.counts is None:
            return self
        values, counts = np.unique(x, return_counts=True)
        if not np.all(values == np.round(values)):
            return LabelCounts(None, self.limit)
        chunk = dict(zip(values.tolist(), counts.tolist(), strict=True))
        return self.merge(LabelCounts(chunk, self.limit))

    def merge(self, other: LabelCounts) -> LabelCounts:
        if self.counts is None or other.counts is None:
            return LabelCounts(None, self.limit)
        merged = dict(self.counts)
        for value, count in other.counts.items():
            merged[value] = merged.get(value, 0) + count
        return LabelCounts(merged if len(merged) <= self.limit else None, self.limit)


def _add_counts(sample: RobustSample, counts: dict[float, int]) -> None:
    """Put the values that counts describe into a sample, a bounded block at a time."""
    block = 1 << 20
    for value, count in counts.items():
        for start in range(0, count, block):
            sample.add(np.full(min(block, count - start), value))


# Counts are tallied value by value up to this many distinct values (enough for Poisson means
# in the hundreds); the fit of a count distribution is checked on them.
MAX_COUNT_VALUES = 2000
# Pairs (target, prediction) kept for the variance-to-mean slope: a uniform sample.
PAIR_SAMPLE = 100_000
SLOPE_BINS = 10


@dataclass
class TargetShape:
    """What kind of numbers the target holds, merged chunk by chunk: its sign, zeros,
    whether it is integer, its moments and those of its logarithm, and its value counts."""

    n: int = 0
    negatives: int = 0
    zeros: int = 0
    fractional: int = 0  # values that are not whole numbers
    low: float = math.inf
    high: float = -math.inf
    moments: Moments = field(default_factory=Moments)
    log_moments: Moments = field(default_factory=Moments)  # of ln y over y > 0
    values: LabelCounts = field(default_factory=lambda: LabelCounts({}, MAX_COUNT_VALUES))

    def add(self, y: Array) -> None:
        if y.size == 0:
            return
        self.n += y.size
        self.negatives += int(np.count_nonzero(y < 0))
        self.zeros += int(np.count_nonzero(y == 0))
        self.fractional += int(np.count_nonzero(y != np.round(y)))
        self.low, self.high = min(self.low, float(y.min())), max(self.high, float(y.max()))
        self.moments = self.moments.merge(Moments.of(y))
        positive = y[y > 0]
        self.log_moments = self.log_moments.merge(Moments.of(np.log(positive)))
        self.values = self.values.with_chunk(y)

    def merge(self, other: TargetShape) -> None:
        self.n += other.n
        self.negatives += other.negatives
        self.zeros += other.zeros
        self.fractional += other.fractional
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.moments = self.moments.merge(other.moments)
        self.log_moments = self.log_moments.merge(other.log_moments)
        self.values = self.values.merge(other.values)


@dataclass(frozen=True)
class TargetSummary:
    """The kind of numbers a target holds, for the guide's count and positive-value rules.

    `count_fit` is the total variation distance between the value counts and a Poisson (or,
    when the variance exceeds the mean, a negative binomial) with the same mean and variance:
    0 is a perfect fit, 1 none (None: not non-negative integers, or too many distinct
    values). `variance_slope` is the slope of log variance of y - prediction against log
    mean prediction over `slope_bins` bins of the predictions: 0 for constant noise, 1 for
    Poisson, 2 for gamma (None without predictions or without positive means).
    """

    n: int
    minimum: float
    maximum: float
    mean: float
    variance: float
    skew: float | None
    log_skew: float | None  # skew of ln y, None unless every y > 0
    zero_share: float
    integer: bool
    distinct: int | None  # None: more than MAX_COUNT_VALUES
    count_fit: float | None
    variance_slope: float | None = None
    slope_bins: int = 0

    @property
    def dispersion(self) -> float | None:
        """Variance / mean: 1 for Poisson counts."""
        return self.variance / self.mean if self.mean > 0 else None


def count_fit(counts: dict[float, int]) -> float | None:
    """Total variation distance between non-negative integer counts and a Poisson or negative
    binomial with their mean and variance (method of moments)."""
    if not counts or min(counts) < 0:
        return None
    n = sum(counts.values())
    values = np.array(sorted(counts), dtype=np.float64)
    freq = np.array([counts[v] for v in sorted(counts)], dtype=np.float64) / n
    mean = float(values @ freq)
    var = float(((values - mean) ** 2) @ freq)
    if mean <= 0:
        return None
    k = np.arange(int(values[-1]) + 1, dtype=np.float64)
    lgamma = np.vectorize(math.lgamma)
    if var <= mean * 1.05:  # Poisson: log pmf = k ln m - m - ln k!
        log_pmf = k * math.log(mean) - mean - lgamma(k + 1)
    else:  # negative binomial with r = m^2 / (v - m), p = r / (r + m)
        r = mean * mean / (var - mean)
        log_pmf = (
            lgamma(k + r)
            - lgamma(r)
            - lgamma(k + 1)
            + r * math.log(r / (r + mean))
            + k * math.log(mean / (r + mean))
        )
    fitted = np.exp(log_pmf)
    empirical = np.zeros_like(fitted)
    empirical[values.astype(np.int64)] = freq
    return 0.5 * float(np.abs(empirical - fitted).sum() + max(0.0, 1.0 - fitted.sum()))


def variance_slope(pairs: Array, bins: int = SLOPE_BINS) -> tuple[float | None, int]:
    """Slope of ln Var(y - prediction) against ln mean(prediction) over equal-count bins of
    the predictions (rows of `pairs` are (y, prediction)), and how many bins it used."""
    if pairs.ndim != 2 or pairs.shape[0] < bins * 20:
        return None, 0
    order = np.argsort(pairs[:, 1], kind="stable")
    xs, ys = [], []
    for part in np.array_split(pairs[order], bins):
        mean = float(part[:, 1].mean())
        var = float(np.var(part[:, 0] - part[:, 1]))
        if mean > 0 and var > 0:
            xs.append(math.log(mean))
            ys.append(math.log(var))
    if len(xs) < 3 or max(xs) - min(xs) < 0.5:  # the means must span a factor 1.6 at least
        return None, len(xs)
    slope = float(np.polyfit(np.array(xs), np.array(ys), 1)[0])
    return slope, len(xs)


def _target_summary(shape: TargetShape, pairs: Array | None) -> TargetSummary:
    m = shape.moments
    integer = shape.fractional == 0
    counts = shape.values.counts if integer and shape.negatives == 0 else None
    slope, bins = (None, 0) if pairs is None else variance_slope(pairs)
    return TargetSummary(
        n=shape.n,
        minimum=shape.low,
        maximum=shape.high,
        mean=m.mean,
        variance=m.m2 / m.n if m.n else math.nan,
        skew=m.skew,
        log_skew=shape.log_moments.skew if shape.log_moments.n == shape.n else None,
        zero_share=shape.zeros / shape.n if shape.n else 0.0,
        integer=integer,
        distinct=None if shape.values.counts is None else len(shape.values.counts),
        count_fit=None if counts is None else count_fit(counts),
        variance_slope=slope,
        slope_bins=bins,
    )


def looks_like_counts(summary: TargetSummary) -> bool:
    """Non-negative integers shaped like a count distribution: at least COUNT_MIN_VALUES
    distinct values, or more than MAX_CLASSES, and a Poisson or negative binomial fit."""
    if not summary.integer or summary.minimum < 0:
        return False
    if summary.distinct is None or summary.distinct > MAX_CLASSES:
        return True
    return (
        summary.distinct >= COUNT_MIN_VALUES
        and summary.count_fit is not None
        and summary.count_fit < COUNT_FIT
    )


# A total variation distance below this from a fitted Poisson or negative binomial reads
# integers as counts (sampling noise at n = 1000 is about 0.03; uniform classes 0..4 are 0.2
# away from Poisson(2)). Fewer distinct values than COUNT_MIN_VALUES stay classes.
COUNT_FIT = 0.08
COUNT_MIN_VALUES = 4


@dataclass(frozen=True)
class LabelProfile:
    """A column of class labels: binary (two values) or multiclass."""

    n: int
    task: Literal["binary", "multiclass"]
    counts: dict[float, int]
    minority_share: float
    positive_label: float | None  # binary: the larger of the two values
    positive_rate: float | None
    # The other reading of the same numbers, when it is plausible (counts), and how to ask.
    other_reading: str | None = None


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
    target: TargetSummary | None = None
    other_reading: str | None = None


@dataclass(frozen=True)
class PairProfile:
    """Binary pair labels with a distance per pair (non-negative predictions, not all within
    [0, 1]): the data of a contrastive loss. `mean_distance` maps each label to the mean
    distance of its pairs."""

    n: int
    counts: dict[float, int]
    mean_distance: dict[float, float]

    @property
    def closer_label(self) -> float:
        return min(self.mean_distance, key=lambda k: self.mean_distance[k])


@dataclass(frozen=True)
class DistributionProfile:
    """Rows of several target columns that are probability distributions (soft labels)."""

    n: int
    columns: int
    one_hot_share: float  # rows with a single 1
    mean_entropy: float  # nats
    max_entropy: float  # ln(columns)


Profile = LabelProfile | SpreadProfile | PairProfile | DistributionProfile

# Rows of soft labels must sum to 1 within this (rounding of printed probabilities).
ROW_SUM_TOLERANCE = 1e-3


@dataclass
class DistributionProfiler:
    """Soft-label rows, chunk by chunk: each row non-negative and summing to 1."""

    rows: int = 0
    columns: int = 0
    one_hot: int = 0
    entropy_sum: float = 0.0

    def add(self, y: object) -> None:
        arr = checks.as_2d(y, "target")
        checks.check_finite(arr, "target")
        self.columns = arr.shape[1]
        sums = arr.sum(axis=1)
        negative = np.asarray((arr < 0).any(axis=1))
        bad = np.flatnonzero(negative | (np.abs(sums - 1.0) > ROW_SUM_TOLERANCE))
        if bad.size:  # the first bad row, whichever check it fails
            row = int(bad[0])
            if negative[row]:
                col = int(np.argmax(arr[row] < 0))
                raise DataError(
                    "soft labels must be non-negative",
                    row=row,
                    side="target",
                    column=col,
                    value=float(arr[row, col]),
                )
            raise DataError(
                f"the target columns of a row must sum to 1 (soft labels), not {sums[row]:.6g}",
                row=row,
                side="target",
                column=0,
            )
        self.one_hot += int(np.count_nonzero(np.isclose(arr.max(axis=1), 1.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(arr > 0, -arr * np.log(arr), 0.0)
        self.entropy_sum += float(terms.sum())
        self.rows += arr.shape[0]

    def finish(self) -> DistributionProfile:
        if self.rows == 0:
            raise DataError("no examples: the input is empty")
        return DistributionProfile(
            n=self.rows,
            columns=self.columns,
            one_hot_share=self.one_hot / self.rows,
            mean_entropy=self.entropy_sum / self.rows,
            max_entropy=math.log(self.columns),
        )


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
    pred_nonnegative: bool = True
    # The sum of the predictions for each target value, while the target looks like labels.
    pred_sums: dict[float, float] = field(default_factory=dict)
    labels: LabelCounts = field(default_factory=LabelCounts)
    moments: Moments = field(default_factory=Moments)
    sample: RobustSample = field(default_factory=RobustSample)
    shape: TargetShape = field(default_factory=TargetShape)
    pairs: RobustSample = field(
        default_factory=lambda: RobustSample(limit=PAIR_SAMPLE, size=PAIR_SAMPLE)
    )

    def add(self, y_true: object, y_pred: object = None) -> None:
        """Add a chunk: a target vector and, if the profiler has them, predictions."""
        target = _column(y_true, "target")
        values = target
        if self.with_pred:
            pred = _column(y_pred, "pred")
            if pred.size != target.size:
                raise DataError(
                    f"{counted(target.size, 'target')} but "
                    f"{counted(pred.size, 'prediction')}; "
                    "they must have the same length"
                )
            values = _residuals(target, pred)
            self.pairs.add(np.column_stack([target, pred]))
            self.pred_in_unit = self.pred_in_unit and bool(np.all((pred >= 0) & (pred <= 1)))
            self.pred_integer = self.pred_integer and bool(np.all(pred == np.round(pred)))
            self.pred_nonnegative = self.pred_nonnegative and bool(np.all(pred >= 0))
            if self.labels.counts is not None:
                seen, inverse = np.unique(target, return_inverse=True)
                sums = np.bincount(inverse.ravel(), weights=pred, minlength=seen.size)
                for value, total in zip(seen.tolist(), sums.tolist(), strict=True):
                    self.pred_sums[value] = self.pred_sums.get(value, 0.0) + total
        labels = self.labels.with_chunk(target)
        if not self.with_pred and self.labels.counts is not None and labels.counts is None:
            _add_counts(self.sample, self.labels.counts)
        self.labels = labels
        if self.with_pred or labels.counts is None:
            self.sample.add(values)
        self.moments = self.moments.merge(Moments.of(values))
        self.shape.add(target)
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
        self.shape.merge(other.shape)
        self.pairs.merge(other.pairs)
        self.rows += other.rows
        self.pred_in_unit = self.pred_in_unit and other.pred_in_unit
        self.pred_integer = self.pred_integer and other.pred_integer
        self.pred_nonnegative = self.pred_nonnegative and other.pred_nonnegative
        for value, total in other.pred_sums.items():
            self.pred_sums[value] = self.pred_sums.get(value, 0.0) + total

    def looks_like_pairs(self) -> bool:
        """Two label values and non-negative predictions not all within [0, 1]: pair labels
        and distances (a probability or a score would stay in [0, 1] or go negative)."""
        counts = self.labels.counts
        return (
            self.with_pred
            and counts is not None
            and len(counts) == 2
            and self.pred_nonnegative
            and not self.pred_in_unit
        )

    def pair_profile(self) -> PairProfile:
        counts = self.labels.counts
        if not self.with_pred or counts is None or len(counts) != 2:
            raise DataError(
                "pairs need a target of two labels (similar or not) and one distance column",
                side="target",
                column=0,
            )
        if not self.pred_nonnegative:
            raise DataError("distances must be non-negative", side="pred", column=0)
        ordered = dict(sorted(counts.items()))
        means = {k: self.pred_sums[k] / c for k, c in ordered.items()}
        return PairProfile(self.rows, ordered, means)

    def looks_like_labels(self) -> bool:
        """At most MAX_CLASSES distinct integer targets that are not shaped like counts, and
        predictions (if any) that are probabilities or labels: a score of 3.7 against
        targets 1..5 is a regression, and so are Poisson counts 0..8."""
        if self.labels.counts is None or looks_like_counts(self.summary()):
            return False
        return not self.with_pred or self.pred_in_unit or self.pred_integer

    def summary(self) -> TargetSummary:
        pairs = self.pairs.values() if self.with_pred else None
        return _target_summary(self.shape, pairs)

    def finish(self, *, as_labels: bool | None = None) -> Profile:
        """The profile. `as_labels` forces the reading of the target (None: as
        `looks_like_labels` says)."""
        if self.rows == 0:
            raise DataError("no examples: the input is empty")
        counts = self.labels.counts
        summary = self.summary()
        chosen = as_labels is not None
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
            labels = _label_profile(self.rows, counts)
            fit = summary.count_fit
            if not chosen and len(counts) > 2 and fit is not None and fit < 2 * COUNT_FIT:
                # Close to a count distribution, yet too few values to say so: both readings.
                reading = (
                    f"read as {len(counts)} classes; if they are ordered counts (count fit "
                    f"{fit:.2g}, 0 is a perfect fit), say --task regression"
                )
                labels = replace(labels, other_reading=reading)
            return labels
        if not self.with_pred and counts is not None:
            values = np.array(list(counts), dtype=np.float64)
            weights = np.array(list(counts.values()), dtype=np.int64)
            spread = _spread_profile(self, values, weights)
        else:
            spread = _spread_profile(self, self.sample.values(), None)
        other: str | None = None
        if not chosen and counts is not None and looks_like_counts(summary):
            assert summary.count_fit is not None
            other = (
                f"read as counts ({len(counts)} distinct values shaped like a count "
                f"distribution, count fit {summary.count_fit:.2g}); if they are class ids, say "
                "--task multiclass"
            )
        return replace(spread, target=summary, other_reading=other)


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
            (f"all {n} targets are" if n > 1 else "the only target is")
            + f" the label {label_text(only)}: a classifier needs two classes",
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
