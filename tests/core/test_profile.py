"""Profiling: mergeable moments and counts, robust scale, tails, and the recommendations that
follow on generated data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core.advice.profile import (
    LabelProfile,
    Moments,
    Profiler,
    RobustSample,
    SpreadProfile,
    _quantile,
)
from losscli.core.advice.recommend import from_profile, recommend
from losscli.core.errors import DataError

N = 20_000
# MAD x 1.4826 of Student-t(2), per unit scale: the median of |T| is sqrt(2/3) (solve
# x / sqrt(2 + x^2) = 1/2), so the robust SD of scale * T is 1.4826 * sqrt(2/3) * scale.
T2_ROBUST_SD = 1.4826 * math.sqrt(2 / 3)


def profile_of(y_true, y_pred=None, chunk=None, **finish) -> LabelProfile | SpreadProfile:
    profiler = Profiler(with_pred=y_pred is not None)
    y_true = np.asarray(y_true, dtype=float)
    step = chunk or max(len(y_true), 1)
    for start in range(0, max(len(y_true), 1), step):
        part = y_true[start : start + step]
        pred = None if y_pred is None else np.asarray(y_pred, dtype=float)[start : start + step]
        profiler.add(part, pred)
    return profiler.finish(**finish)


def top(profile) -> str:
    return recommend(from_profile(profile))[0].loss


# --- the generated-data cases -------------------------------------------------------


def test_gaussian_residuals_recommend_mse():
    rng = np.random.default_rng(1)
    y = rng.normal(10, 5, N)
    p = profile_of(y, y + rng.normal(0, 2, N))
    assert isinstance(p, SpreadProfile)
    assert p.scale == pytest.approx(2.0, rel=0.03)
    assert p.tail_share < 0.005 and abs(p.excess_kurtosis) < 0.2
    assert top(p) == "mse"


def test_student_t2_residuals_recommend_huber_with_delta_from_scale():
    rng = np.random.default_rng(2)
    y = rng.normal(0, 1, N)
    scale = 0.5
    p = profile_of(y, y + scale * rng.standard_t(2, N))
    first = recommend(from_profile(p))[0]
    assert first.loss == "huber"
    # The true robust scale of 0.5 * t(2) is 0.5 * 1.4826 * sqrt(2/3) = 0.6053.
    assert first.params["delta"] == pytest.approx(1.345 * scale * T2_ROBUST_SD, rel=0.05)
    assert "lie beyond 3 robust SD" in first.reasons[0]


def test_two_percent_gross_outliers_recommend_huber_with_delta_from_scale():
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 100, N)
    noise = rng.normal(0, 3.0, N)
    gross = rng.random(N) < 0.02
    noise[gross] = rng.choice([-1, 1], gross.sum()) * rng.uniform(30, 100, gross.sum())
    p = profile_of(y, y + noise)
    first = recommend(from_profile(p))[0]
    assert first.loss == "huber"
    assert first.params["delta"] == pytest.approx(1.345 * 3.0, rel=0.05)
    assert p.tail_share == pytest.approx(0.02 + 0.0027, abs=0.004)


def test_half_percent_positives_recommend_focal():
    rng = np.random.default_rng(4)
    labels = np.zeros(N)
    labels[rng.choice(N, 100, replace=False)] = 1
    p = profile_of(labels)
    assert isinstance(p, LabelProfile)
    assert p.task == "binary" and p.counts == {0.0: N - 100, 1.0: 100}
    assert p.positive_rate == 0.005
    first = recommend(from_profile(p))[0]
    assert first.loss == "focal" and first.params == {"gamma": 2.0, "alpha": 0.25}


def test_balanced_labels_recommend_cross_entropy():
    rng = np.random.default_rng(5)
    assert top(profile_of(rng.integers(0, 2, N))) == "binary-cross-entropy"
    multi = profile_of(rng.integers(0, 4, N))
    assert multi.task == "multiclass" and len(multi.counts) == 4
    assert top(multi) == "cross-entropy"


def test_target_without_predictions_is_profiled_around_its_median():
    rng = np.random.default_rng(6)
    p = profile_of(rng.normal(100, 4, N) + 0.5)
    assert p.basis == "target" and p.median == pytest.approx(100.5, abs=0.1)
    assert p.scale == pytest.approx(4, rel=0.03)
    assert top(p) == "mse"


def test_labels_can_be_read_as_numbers():
    # Ratings 1..5: labels by default, numbers when asked (--task regression).
    rng = np.random.default_rng(7)
    ratings = rng.integers(1, 6, 1000).astype(float)
    assert isinstance(profile_of(ratings), LabelProfile)
    numeric = profile_of(ratings, chunk=300, as_labels=False)
    assert numeric.median == np.median(ratings)
    assert numeric.scale == pytest.approx(1.4826 * np.median(np.abs(ratings - np.median(ratings))))


# --- exactness of the streaming statistics ---------------------------------------------------


def test_moments_merge_like_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.normal(1e6, 1, 5000), rng.exponential(3, 7000) + 1e6])
    merged = Moments()
    for part in np.array_split(x, 13):
        merged = merged.merge(Moments.of(part))
    assert merged.n == x.size
    assert merged.mean == pytest.approx(np.mean(x), rel=1e-15)
    # Values near 1e6 are resolved to about 1e-10, so two exact methods agree to ~1e-11.
    assert merged.std == pytest.approx(np.std(x), rel=1e-10)
    assert merged.skew == pytest.approx(stats.skew(x), rel=1e-9)
    assert merged.excess_kurtosis == pytest.approx(stats.kurtosis(x), rel=1e-9)


def test_chunked_profile_equals_whole():
    rng = np.random.default_rng(9)
    y = rng.normal(0, 1, 5000)
    pred = y + rng.standard_t(3, 5000)
    whole = profile_of(y, pred)
    chunked = profile_of(y, pred, chunk=777)
    for field in ("median", "scale", "tail_share", "quartile_skew", "n"):
        assert getattr(chunked, field) == getattr(whole, field)
    for field in ("mean", "std", "skew", "excess_kurtosis"):
        assert getattr(chunked, field) == pytest.approx(getattr(whole, field), rel=1e-12)


def test_profilers_merge():
    rng = np.random.default_rng(10)
    x = rng.laplace(0, 1, 6000)
    a, b = Profiler(with_pred=False), Profiler(with_pred=False)
    a.add(x[:2500])
    b.add(x[2500:])
    a.merge(b)
    merged, whole = a.finish(), profile_of(x)
    for field in ("median", "scale", "tail_share", "quartile_skew", "n", "robust_from"):
        assert getattr(merged, field) == getattr(whole, field)
    assert merged.excess_kurtosis == pytest.approx(whole.excess_kurtosis, rel=1e-12)


def test_label_counts_that_stop_being_labels_keep_every_value():
    # Integer labels for a while, then a fraction: the earlier values come back from counts.
    x = np.concatenate([np.repeat([0.0, 1.0, 2.0], 400), [2.5], np.arange(100.0)])
    p = profile_of(x, chunk=250)
    assert isinstance(p, SpreadProfile) and p.robust_from == x.size
    assert p.median == np.median(x)
    assert p.scale == pytest.approx(1.4826 * np.median(np.abs(x - np.median(x))))


def test_merging_label_and_numeric_parts():
    labels, numbers = np.repeat([0.0, 1.0], 300), np.linspace(-3, 3, 401)
    a, b = Profiler(with_pred=False), Profiler(with_pred=False)
    a.add(labels)
    b.add(numbers)
    a.merge(b)
    p = a.finish()
    both = np.concatenate([labels, numbers])
    assert p.robust_from == both.size and p.median == np.median(both)


def test_weighted_quantile_matches_numpy_on_the_expanded_column():
    rng = np.random.default_rng(11)
    for _ in range(100):
        values = np.unique(rng.integers(-9, 9, rng.integers(1, 8)).astype(float))
        counts = rng.integers(1, 6, values.size)
        expanded = np.repeat(values, counts)
        for q in (0.0, 0.25, 0.5, 0.75, 1.0):
            assert _quantile(values, counts, q) == pytest.approx(np.quantile(expanded, q))


def test_beyond_the_exact_limit_a_uniform_sample_is_kept():
    rng = np.random.default_rng(12)
    x = rng.normal(0, 2, 60_000)
    profiler = Profiler(with_pred=False, sample=RobustSample(limit=10_000, size=5_000))
    for part in np.array_split(x, 17):
        profiler.add(part)
    p = profiler.finish()
    assert p.robust_from == 5_000 and p.n == 60_000
    assert not profiler.sample.exact
    # A sample of 5000 gives the scale within a few percent, and the moments stay exact.
    assert p.scale == pytest.approx(2.0, rel=0.05)
    assert p.std == pytest.approx(np.std(x), rel=1e-12)


def test_sampled_profiles_merge():
    rng = np.random.default_rng(14)
    x = rng.normal(0, 3, 40_000)
    sides = [Profiler(with_pred=False, sample=RobustSample(limit=5_000, size=4_000)) for _ in "ab"]
    sides[0].add(x[:25_000])
    sides[1].add(x[25_000:30_000])  # still exact: merged chunk by chunk
    third = Profiler(with_pred=False, sample=RobustSample(limit=5_000, size=4_000))
    third.add(x[30_000:])
    sides[0].merge(sides[1])
    sides[0].merge(third)
    p = sides[0].finish()
    assert p.n == 40_000 and p.robust_from == 4_000
    assert p.scale == pytest.approx(3, rel=0.06)
    assert p.std == pytest.approx(np.std(x), rel=1e-12)


def test_sample_is_uniform_over_the_whole_stream():
    # The stream is sorted: a sample biased to early or late chunks would move the median.
    x = np.arange(200_000, dtype=float)
    sample = RobustSample(limit=1_000, size=4_000)
    for part in np.array_split(x, 50):
        sample.add(part)
    kept = sample.values()
    assert kept.size == 4_000 and np.unique(kept).size == 4_000
    assert np.median(kept) == pytest.approx(100_000, rel=0.05)


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    x = np.zeros(100)
    x[:10] = [5, -5, 4, -4, 3, -3, 2, -2, 1, -1]
    p = profile_of(np.full(100, 0.5), 0.5 + x)
    assert p.scale == pytest.approx(math.sqrt(math.pi / 2) * 30 / 100)
    assert p.scale_method.startswith("mean absolute deviation")


def test_huge_residuals_give_no_moments_and_no_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = profile_of(np.zeros(5), [1e160, -2e160, 3e159, 1.5, 2.5])
        situation = from_profile(p)
    assert p.excess_kurtosis is None and p.skew is None
    assert p.scale == pytest.approx(1.4826 * 3e159)
    huber = recommend(situation)[0]
    assert huber.loss == "huber" and "excess kurtosis not finite" in huber.reasons[0]
    assert any("moment skew not finite" in c for c in huber.caveats)


# --- bad and empty data ---------------------------------------------------------------------


def test_empty_input():
    with pytest.raises(DataError, match="the input is empty"):
        Profiler(with_pred=False).finish()


def test_non_finite_value_names_its_row():
    with pytest.raises(DataError) as info:
        Profiler(with_pred=True).add([1.0, 2.0, 3.0], [1.0, np.nan, 3.0])
    assert info.value.row == 1 and info.value.side == "pred"


def test_overflowing_residual_names_its_row():
    with pytest.raises(DataError, match="overflows") as info:
        Profiler(with_pred=True).add([-1e308, 0.0], [1e308, 0.0])
    assert info.value.row == 0


def test_single_label():
    with pytest.raises(DataError, match="all 5 targets are the label 1"):
        profile_of(np.ones(5))


def test_no_spread():
    with pytest.raises(DataError, match="all 4 residuals are equal"):
        profile_of([1.5, 2.0, 3.0, 4.0], [1.5, 2.0, 3.0, 4.0])
    with pytest.raises(DataError, match=r"all 3 targets are equal \(2.5\)"):
        profile_of([2.5, 2.5, 2.5])


def test_integer_targets_with_real_valued_predictions_are_a_regression():
    rng = np.random.default_rng(13)
    ratings = rng.integers(1, 6, 2000).astype(float)
    scores = ratings + rng.normal(0, 0.5, 2000)
    assert isinstance(profile_of(ratings, scores), SpreadProfile)
    # Probabilities, or predicted labels, against labels: classification.
    labels = rng.integers(0, 2, 2000).astype(float)
    assert isinstance(profile_of(labels, rng.random(2000)), LabelProfile)
    assert isinstance(profile_of(labels, rng.integers(0, 2, 2000)), LabelProfile)


def test_forcing_labels_on_numbers():
    with pytest.raises(DataError, match="not a column of class labels"):
        profile_of([0.5, 1.5, 2.0], as_labels=True)


def test_lengths_must_match():
    with pytest.raises(DataError, match="3 targets but 2 predictions"):
        Profiler(with_pred=True).add([1.0, 2.0, 3.0], [1.0, 2.0])


def test_a_sample_of_rows_keeps_rows_whole():
    # recommend --trial samples (target, features) rows; the profiler samples (y, pred) pairs.
    sample = RobustSample(limit=100, size=50)
    rows = np.column_stack([np.arange(1000.0), 2 * np.arange(1000.0)])
    for start in range(0, 1000, 70):
        sample.add(rows[start : start + 70])
    kept = sample.values()
    assert kept.shape == (50, 2) and sample.seen == 1000
    assert np.array_equal(kept[:, 1], 2 * kept[:, 0])
    assert len(np.unique(kept[:, 0])) == 50
