"""Reductions and weights at the ends of float64 (issue 18): a mean of finite values is
finite, weights near 1e308 or 5e-324 give the same mean as weights of 1, and merged partial
states agree with one pass."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from losscli.core import Accumulator, all_losses, evaluate, gradient, make_request
from losscli.core.advice.influence import Influence

BIG = np.finfo(np.float64).max  # 1.7976931348623157e308
TINY = np.finfo(np.float64).tiny  # 2.2250738585072014e-308, the smallest normal
SUBNORMAL = 5e-324  # the smallest subnormal


def exact_mean(values: list[float], weights: list[float] | None = None) -> float:
    """The weighted mean in exact rational arithmetic, rounded once."""
    w = weights or [1.0] * len(values)
    top = sum(Fraction(x) * Fraction(v) for x, v in zip(w, values, strict=True))
    return float(top / sum(Fraction(x) for x in w))


@pytest.mark.parametrize(
    "values",
    [[1e308, 1e308], [BIG, BIG, BIG], [BIG, -BIG, BIG], [BIG, 1.0, 1e300], [SUBNORMAL] * 3],
)
def test_mean_of_huge_values_is_exact(values: list[float]) -> None:
    acc = Accumulator()
    acc.add(np.array(values))
    assert acc.mean() == pytest.approx(exact_mean(values), rel=1e-15)
    exact_sum = sum(Fraction(v) for v in values)
    expected_sum = math.inf if abs(exact_sum) > Fraction(BIG) else float(exact_sum)
    assert acc.sum() == pytest.approx(expected_sum, rel=1e-15)


def test_chunks_that_overflow_only_together() -> None:
    acc = Accumulator()
    for _ in range(1000):
        acc.add(np.array([1e308, 1.5e308]))
    assert acc.mean() == pytest.approx(1.25e308, rel=1e-15)
    assert acc.sum() == math.inf and acc.count == 2000


@pytest.mark.parametrize("scale", [1e308, BIG, 1.0, TINY, SUBNORMAL, 1e-300])
def test_weights_at_the_ends_of_float64(scale: float) -> None:
    values = np.array([1.0, 3.0, 1e308])
    weights = np.array([scale, scale, scale])
    acc = Accumulator()
    acc.add(values, weights)
    assert acc.mean() == pytest.approx(exact_mean(values.tolist()), rel=1e-15)


def test_merge_keeps_scaling_and_compensation() -> None:
    rng = np.random.default_rng(18)
    values = rng.uniform(0.5, 1.0, size=600) * 1e308
    weights = rng.uniform(0, 1, size=600) * 1e308
    whole = Accumulator()
    whole.add(values, weights)
    parts = [Accumulator() for _ in range(3)]
    for i, part in enumerate(parts):
        part.add(values[i * 200 : (i + 1) * 200], weights[i * 200 : (i + 1) * 200])
    merged = Accumulator()
    for part in parts:
        merged.merge(part)  # merge(self, other) -> None, in place
    expected = exact_mean(values.tolist(), weights.tolist())
    assert merged.count == 600
    assert merged.mean() == pytest.approx(expected, rel=1e-14)
    assert whole.mean() == pytest.approx(expected, rel=1e-14)
    # An overflowing accumulator merged into a small one, and compensation kept across.
    small, huge = Accumulator(), Accumulator()
    small.add(np.array([1.0, 1e-16, 1e-16]))
    huge.add(np.array([BIG, BIG]))
    small.merge(huge)
    assert small.mean() == pytest.approx(float((2 * Fraction(BIG) + 1) / 5), rel=1e-15)
    a, b = Accumulator(), Accumulator()
    a.add(np.array([1.0]))
    b.add(np.array([1e-16] * 10))
    b.add(np.array([1e16]))
    b.add(np.array([-1e16]))
    a.merge(b)
    assert a.sum() == 1.0 + 1e-15


# The robust residual losses grow at most linearly, so a row at 1.5e308 has a finite loss: the
# registry's robust, symmetric losses of a real target (mae, huber, smooth-l1, log-cosh, ...).
LINEAR_TAILS = [
    loss.name
    for loss in all_losses()
    if loss.properties.robust and loss.properties.symmetric and loss.target == "real"
]


@pytest.mark.parametrize("name", LINEAR_TAILS)
def test_mae_of_huge_predictions_is_finite(name: str) -> None:
    # compute mae --y-true 0,0 --y-pred 1e308,1e308 printed inf.
    y_pred = [1e308, 1.5e308]
    rows = [evaluate(make_request(name), [0.0], [p]).value for p in y_pred]
    assert all(v is not None and math.isfinite(v) for v in rows), rows
    slopes = gradient(make_request(name), [0.0, 0.0], y_pred).grads
    if np.all(slopes == 1.0):  # a tail of slope 1 (all of them today): the loss is |r| there
        assert rows == pytest.approx(y_pred, rel=1e-15)
    ev = evaluate(make_request(name), [0.0, 0.0], y_pred)
    assert ev.value is not None and math.isfinite(ev.value)
    assert ev.value == pytest.approx(exact_mean(rows), rel=1e-15)
    total = evaluate(make_request(name), [0.0, 0.0], y_pred, reduction="sum")
    exact_sum = sum(Fraction(v) for v in rows)
    assert total.value == (math.inf if exact_sum > Fraction(BIG) else float(exact_sum))


def test_weights_near_the_largest_float() -> None:
    # --weights 1e308,1e308 gave nan (exact 1.0); grad --reduction mean gave 0.0.
    ev = evaluate(make_request("mse"), [0.0, 0.0], [1.0, 1.0], weights=[1e308, 1e308])
    assert ev.value == 1.0
    g = gradient(
        make_request("mse"), [0.0, 0.0], [1.0, 2.0], reduction="mean", weights=[1e308, 1e308]
    )
    assert g.grads.tolist() == [1.0, 2.0]  # d/dŷ of (ŷ²/2 + ...) : 2ŷ · w / Σw = ŷ
    g = gradient(make_request("mse"), [0.0], [3.0], reduction="mean", weights=[SUBNORMAL])
    assert g.grads.tolist() == [6.0]


def test_top_share_of_huge_losses() -> None:
    influence = Influence()
    influence.add(np.array([1e308, 1e308]))
    assert influence.top_share() == 0.5
    influence.add(np.array([math.inf]))
    assert influence.top_share() is None  # the total is really infinite


def test_row_means_of_huge_cells() -> None:
    from losscli.core.losses.numerics import row_mean

    cells = np.array([[1e308, 1.7e308], [1.0, 2.0], [BIG, np.inf], [BIG, -BIG]])
    # Exact: 1.35e308; 1.5; inf (an infinite cell); 0.
    assert row_mean(cells).tolist() == [1.35e308, 1.5, math.inf, 0.0]
    # multilabel-bce averages its labels per example: -ln sigmoid(-1e308) = 1e308 per label.
    ev = evaluate(
        make_request("multilabel-bce", space="logit"),
        [[1.0, 1.0]],
        [[-1e308, -1.7e308]],
        reduction="none",
    )
    assert ev.values.tolist() == [1.35e308]
