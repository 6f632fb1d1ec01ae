"""Partial states (core/evaluation/states.py): split the data anyhow, merge the states, get the one-pass
value; and a state written as JSON reads back bit for bit."""

from __future__ import annotations

import itertools
import math
import pickle

import numpy as np
import pytest
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from losscli.core import CompareState, GradState, LossState, ProfileState, merge_all
from losscli.core.advice.influence import Influence
from losscli.core.advice.profile import Profiler
from losscli.core.errors import DataError
from losscli.core.evaluation.requests import evaluate, gradient, make_request
from losscli.core.evaluation.states import StateMismatch
from losscli.core.losses.registry import all_losses, get

STREAMED = [loss.name for loss in all_losses() if not loss.batch]


def _parts(n: int, pieces: int, rng: np.random.Generator) -> list[slice]:
    cuts = np.sort(rng.choice(np.arange(1, n), size=pieces - 1, replace=False))
    bounds = [0, *cuts.tolist(), n]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def test_a_thousand_merged_states_equal_one_pass_to_1e_15():
    """1,000 states of uneven parts, merged in a tree, against one pass and math.fsum."""
    rng = np.random.default_rng(16)
    n = 200_000
    y_true = rng.normal(0, 1, n)
    # Values over 12 orders of magnitude: a naive running sum would drift by far more.
    y_pred = y_true + rng.standard_cauchy(n) * 10.0 ** rng.integers(-6, 6, n)
    w = rng.uniform(0, 3, n)
    request = make_request("mse")
    states = []
    for part in _parts(n, 1000, rng):
        state = LossState.empty(request)
        state.update(y_true[part], y_pred[part], w[part])
        states.append(state)
    merged = merge_all(states)
    one = LossState.empty(request)
    one.update(y_true, y_pred, w)
    exact_sum = math.fsum((w * (y_pred - y_true) ** 2).tolist())
    assert merged.count == n
    assert merged.result("sum") == pytest.approx(one.result("sum"), rel=1e-15)
    assert merged.result("mean") == pytest.approx(one.result("mean"), rel=1e-15)
    assert merged.result("sum") == pytest.approx(exact_sum, rel=1e-15)
    assert merged.result("mean") == pytest.approx(exact_sum / math.fsum(w.tolist()), rel=1e-15)


def test_states_of_sums_beyond_float64_stay_finite_through_json_and_merge():
    # Issue 18: the mean of finite losses is finite; each state's sum (2e308) overflows
    # float64 and is held scaled by a power of two, in memory and in its JSON.
    request = make_request("mae")
    parts = []
    for weights in ([1.0, 1.0], [1e308, 1e308]):
        state = LossState.empty(request)
        state.update(np.zeros(2), np.full(2, 1e308), np.array(weights))
        parts.append(LossState.from_json(state.to_json()))
    merged = merge_all(parts)
    assert merged.count == 4
    assert merged.result("mean") == 1e308
    assert merged.result("sum") == math.inf  # the exact sum, 2e308 + 2e616, is not finite


@pytest.mark.parametrize("name", STREAMED)
@given(data=st.data())
@S.PROPERTY_SETTINGS
def test_every_loss_merges_to_its_one_pass_value(name, data):
    loss = get(name)
    case = data.draw(S.cases(loss, loss.spaces[0], "finite", min_rows=2))
    request = make_request(loss, case.params, space=case.space)
    n = case.y_pred.shape[0]
    cut = data.draw(st.integers(1, n - 1))
    left, right = LossState.empty(request), LossState.empty(request)
    left.update(case.y_true[:cut], case.y_pred[:cut])
    right.update(case.y_true[cut:], case.y_pred[cut:])
    left.merge(right)
    for reduction in ("mean", "sum"):
        expected = evaluate(request, case.y_true, case.y_pred, reduction=reduction).value
        assert left.result(reduction) == pytest.approx(expected, rel=1e-12, nan_ok=True)
    # Written and read back: the same bits.
    again = LossState.from_json(left.to_json())
    for reduction in ("mean", "sum"):
        got, want = again.result(reduction), left.result(reduction)
        assert got == want or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize(
    ("name", "convention", "params", "labels"),
    [
        ("kl-divergence", "torch", {}, False),  # the 'elements' mean
        ("cross-entropy", "torch", {"class_weights": (1.0, 2.0, 0.5)}, True),  # target-weights
        ("rmse", "catalog", {}, False),  # a root
    ],
)
def test_grad_state_sums_what_grad_prints(name, convention, params, labels):
    """GradState: per-output sums and max |grad| of the gradients of the reduced loss, from
    two merged halves, equal those of `gradient` on the whole input."""
    rng = np.random.default_rng(3)
    n, k = 40, 3
    request = make_request(name, params, convention=convention)
    if labels:
        y_true = rng.integers(0, k, n).astype(float)
        y_pred = rng.dirichlet(np.ones(k), n)
    elif name == "kl-divergence":
        y_true, y_pred = rng.dirichlet(np.ones(k), n), rng.dirichlet(np.ones(k), n)
    else:
        y_true, y_pred = rng.normal(size=n), rng.normal(size=n)
    for reduction in ("mean", "sum"):
        a, b = GradState.empty(request), GradState.empty(request)
        a.update(y_true[:15], y_pred[:15])
        b.update(y_true[15:], y_pred[15:])
        a.merge(pickle.loads(pickle.dumps(b)))
        got = a.result(reduction)
        whole = gradient(request, y_true, y_pred, reduction=reduction).grads.reshape(n, -1)
        assert got["n"] == n
        np.testing.assert_allclose(got["grad_sum"], whole.sum(axis=0), rtol=1e-12, atol=1e-15)
        assert got["max_abs_grad"] == pytest.approx(np.abs(whole).max(), rel=1e-12)


def test_grad_state_of_a_nonzero_by_label_mean():
    """pytorch-metric-learning's mean over the active pairs of each label group."""
    request = make_request("contrastive", convention="pml")
    rng = np.random.default_rng(5)
    n = 30
    y_true = rng.integers(0, 2, n).astype(float)
    y_pred = rng.uniform(0, 2, n)
    a, b = GradState.empty(request), GradState.empty(request)
    a.update(y_true[:11], y_pred[:11])
    b.update(y_true[11:], y_pred[11:])
    a.merge(b)
    whole = gradient(request, y_true, y_pred, reduction="mean").grads.reshape(n, -1)
    got = a.result("mean")
    # +1/n_similar on each active similar pair, -1/n_dissimilar on each active dissimilar one.
    np.testing.assert_allclose(got["grad_sum"], whole.sum(axis=0), rtol=1e-12, atol=1e-14)
    assert got["max_abs_grad"] == pytest.approx(np.abs(whole).max(), rel=1e-12)


def test_compare_state_merges_the_top_share_and_the_largest_gradient():
    rng = np.random.default_rng(11)
    n = 5000
    y_true = np.zeros(n)
    y_pred = rng.normal(size=n)
    y_pred[::500] = 50.0  # ten outliers: the worst 1% is 50 examples
    request = make_request("mse")
    states = []
    for part in _parts(n, 7, rng):
        state = CompareState.empty(request)
        state.update(y_true[part], y_pred[part])
        states.append(pickle.loads(pickle.dumps(state)))
    got = merge_all(states).result("mean")
    contributions = (y_pred - y_true) ** 2
    top = np.sort(contributions)[-50:]
    assert got["top_1pct_share"] == pytest.approx(top.sum() / contributions.sum(), rel=1e-14)
    assert got["max_abs_grad"] == pytest.approx(np.abs(2 * y_pred).max(), rel=1e-15)
    assert got["value"] == pytest.approx(contributions.mean(), rel=1e-15)


def test_influence_pools_merge_to_the_largest_of_both():
    a, b = Influence(keep=3), Influence(keep=3)
    a.add(np.array([1.0, 9.0, 2.0, 8.0]))
    b.add(np.array([7.0, 10.0, 0.5]))
    a.merge(b)
    assert sorted(a.largest.tolist()) == [8.0, 9.0, 10.0]
    assert a.count == 7


def test_profile_state_merges_to_the_one_pass_profile():
    rng = np.random.default_rng(2)
    y = rng.normal(10, 2, 3000)
    p = y + rng.standard_t(3, 3000)
    whole = Profiler(with_pred=True)
    whole.add(y, p)
    a, b = ProfileState.empty(with_pred=True), ProfileState.empty(with_pred=True)
    a.update(y[:1000], p[:1000])
    b.update(y[1000:], p[1000:])
    a.merge(pickle.loads(pickle.dumps(b)))
    got, want = a.result(), whole.finish()
    assert got.median == want.median and got.scale == want.scale  # exact: held in memory
    assert got.mean == pytest.approx(want.mean, rel=1e-12)
    assert got.excess_kurtosis == pytest.approx(want.excess_kurtosis, rel=1e-9)


def test_states_of_other_settings_do_not_merge():
    a = LossState.empty(make_request("huber", {"delta": 1.0}), {"target": ["y"]})
    b = LossState.empty(make_request("huber", {"delta": 2.0}), {"target": ["y"]})
    with pytest.raises(StateMismatch, match="differ in params") as caught:
        a.merge(b)
    assert caught.value.field_name == "params"
    c = LossState.empty(make_request("huber", {"delta": 1.0}), {"target": ["label"]})
    with pytest.raises(StateMismatch, match="differ in columns"):
        a.merge(c)
    d = LossState.empty(make_request("mae"), {"target": ["y"]})
    with pytest.raises(StateMismatch, match="differ in loss"):
        a.merge(d)


def test_json_of_another_version_or_kind_is_refused():
    state = LossState.empty(make_request("mse"))
    state.update([0.0, 1.0], [0.5, 0.25])
    text = state.to_json()
    with pytest.raises(StateMismatch, match="state version 99") as caught:
        LossState.from_json(text.replace('"version":1', '"version":99'))
    assert caught.value.field_name == "version"
    with pytest.raises(DataError, match="not a losscli state"):
        LossState.from_json('{"a": 1}')
    with pytest.raises(DataError, match="invalid JSON"):
        LossState.from_json("{")
    # Floats are hexadecimal: the round trip is exact.
    assert LossState.from_json(text).result("mean") == state.result("mean")
    assert "0x1." in text


def test_profile_beyond_memory_reads_a_kll_sketch_within_its_stated_error():
    """With the exact limit set low, 20 merged partitions of heavy-tailed residuals: the
    sketch's median and quartiles sit within the stated rank error of the exact ones, and
    the pickled state (as workers send it) carries the sketch."""
    from losscli.core.evaluation.states import SKETCH_K

    rng = np.random.default_rng(20)
    n, parts = 200_000, 20
    y = rng.normal(0, 1, n)
    p = y + rng.standard_t(3, n)
    states = []
    for part in np.array_split(np.arange(n), parts):
        state = ProfileState.empty(with_pred=True, exact_limit=1_000)
        state.update(y[part], p[part])
        states.append(pickle.loads(pickle.dumps(state)))
    merged = merge_all(states)
    assert not merged.exact
    assert f"KLL sketch (Apache DataSketches, k={SKETCH_K}) of {n} values" in merged.robust_method
    got = merged.result()
    residuals = np.sort(p - y)
    rank_error = 0.0028  # get_normalized_rank_error(1000, False), 99% confidence

    def rank(x: float) -> float:
        return np.searchsorted(residuals, x, side="right") / n

    assert abs(rank(got.median) - 0.5) <= rank_error
    assert got.scale_method.startswith(f"MAD x 1.4826 from a KLL sketch (k=1000) of {n} values")
    assert "ranks within 0.28% of the count (99% confidence)" in got.scale_method
    exact_mad = np.median(np.abs(residuals - np.median(residuals)))
    # Student t(3): the MAD sits where the density is about 0.2; a rank error of 0.0028 on
    # each side moves it by at most a few hundredths.
    assert got.scale / 1.4826 == pytest.approx(exact_mad, abs=0.03)
    exact_tail = np.mean(np.abs(residuals - got.median) > 3 * got.scale)
    assert got.tail_share == pytest.approx(exact_tail, abs=2 * rank_error)
    assert got.n == n and 0 < got.robust_from < n  # the sketch keeps a few thousand
    # The moments stay exact: they merge without a sketch.
    assert got.mean == pytest.approx(np.mean(p - y), rel=1e-9)
