"""The top-1% share and largest gradient (core/advice/influence.py), and the Reducer's mean rules
over streamed batches (core/evaluation/reduce.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core import evaluate, make_request
from losscli.core.advice.influence import Influence, top_count
from losscli.core.evaluation.reduce import Reducer
from losscli.core.evaluation.requests import batch_values


@pytest.mark.parametrize(
    ("n", "k"), [(0, 0), (1, 1), (99, 1), (100, 1), (101, 2), (500, 5), (12345, 124)]
)
def test_top_count_is_ceil_of_one_percent_at_least_one(n, k):
    assert top_count(n) == k


def test_share_of_the_worst_one_percent():
    values = np.concatenate([np.ones(495), [100.0, 90.0, 80.0, 70.0, 60.0]])
    influence = Influence()
    influence.add(values, np.array([0.5, -3.0]))
    assert influence.count == 500
    assert influence.top_share() == pytest.approx(400 / 895, rel=1e-15)
    assert influence.max_abs_grad == 3.0
    assert influence.exact


def test_streamed_batches_give_the_in_memory_answer_with_few_values_kept():
    rng = np.random.default_rng(7)
    values = rng.exponential(1.0, 10_000)
    whole = Influence()
    whole.add(values)
    # Sorted ascending: the values that end up in the top 1% arrive last, after the pool of
    # kept values has been trimmed many times.
    streamed = Influence(keep=150)
    for chunk in np.array_split(np.sort(values), 37):
        streamed.add(chunk)
    assert streamed.largest.size == 150
    assert streamed.exact  # top 1% of 10,000 = 100 <= 150 kept
    assert streamed.top_share() == pytest.approx(whole.top_share(), rel=1e-14)
    top = np.sort(values)[-100:]
    assert whole.top_share() == pytest.approx(math.fsum(top) / math.fsum(values), rel=1e-14)


def test_beyond_the_kept_values_the_share_is_a_lower_bound():
    values = np.arange(1.0, 10_001.0)
    influence = Influence(keep=50)
    influence.add(values)
    assert not influence.exact  # top 1% = 100 > 50 kept
    exact = math.fsum(values[-100:]) / math.fsum(values)
    assert influence.top_share() < exact
    assert influence.top_share() == pytest.approx(math.fsum(values[-50:]) / math.fsum(values))


@pytest.mark.parametrize("values", [np.zeros(5), np.array([1.0, math.inf])])
def test_share_is_undefined_for_a_zero_or_infinite_total(values):
    influence = Influence()
    influence.add(values)
    assert influence.top_share() is None


def test_reducer_merges_batches_like_one_batch():
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=1000), rng.normal(size=1000)
    w = rng.uniform(0, 2, 1000)
    request = make_request("huber")
    whole = evaluate(request, y, p, weights=w).value
    left, right = request.reducer(), request.reducer()
    left.add(batch_values(request, y[:300], p[:300], w[:300]))
    right.add(batch_values(request, y[300:], p[300:], w[300:]))
    left.merge(right)
    assert left.count == 1000
    assert left.result("mean") == pytest.approx(whole, rel=1e-15)


def test_nonzero_by_label_over_batches():
    request = make_request("contrastive", convention="pml")
    y = np.array([1, 1, 0, 0, 1, 0])
    d = np.array([[0.5], [0.0], [0.2], [3.0], [1.5], [0.9]])
    whole = evaluate(request, y, d).value
    # Similar pairs: 0.5, 0 (left out), 1.5 -> mean 1; dissimilar: 0.8, 0 (out), 0.1 -> 0.45.
    assert whole == pytest.approx(1.45, rel=1e-15)
    reducer = request.reducer()
    for rows in (slice(0, 2), slice(2, 5), slice(5, 6)):
        reducer.add(batch_values(request, y[rows], d[rows]))
    assert reducer.result("mean") == pytest.approx(1.45, rel=1e-15)
    assert reducer.result("sum") == pytest.approx(0.5 + 0.8 + 1.5 + 0.1, rel=1e-15)


def test_nonzero_by_label_with_no_nonzero_losses_is_zero():
    request = make_request("contrastive", convention="pml")
    assert evaluate(request, [1, 0], [[0.0], [2.0]]).value == 0.0


def test_reducer_rejects_an_unknown_rule():
    with pytest.raises(ValueError, match="unknown mean rule"):
        Reducer("median")
