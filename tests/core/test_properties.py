"""Property tests driven by the registry: every loss, in every space it takes.

Adding a loss with a known target domain adds it to every test here; a loss whose domain the
strategies do not know fails `test_every_target_domain_has_strategies`. A property a loss does
not declare (zero at a perfect prediction, symmetry) is not a skipped test: the cases are
chosen when the tests are collected, from the records' properties (as scikit-learn's
`_yield_all_checks` yields only the checks that apply).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import assume, given
from hypothesis import strategies as st

from losscli.core import (
    Loss,
    Properties,
    UsageError,
    all_losses,
    check_gradient,
    evaluate,
    get,
    gradient,
    make_request,
)
from losscli.core.losses.registry import names_and_aliases
from losscli.core.losses.types import SPACES

LOSSES = all_losses()
NAMES = S.loss_names()
PAIRS = S.loss_space_pairs()
# The cases each property applies to, from the registry's declared properties.
ZERO_AT_PERFECT = [(n, sp) for n, sp in PAIRS if get(n).properties.zero_at_perfect]
SYMMETRIC = [n for n in NAMES if get(n).properties.symmetric]
# A space other than probabilities, for a loss that also takes probabilities.
OTHER_THAN_PROB = [(n, sp) for n, sp in PAIRS if sp != "prob" and "prob" in get(n).spaces]
EPS = np.finfo(np.float64).eps


def request_for(case: S.Case) -> Any:
    return make_request(case.loss.name, case.params, space=case.space)


# --- the registry is complete and the strategies cover it -------------------------------------


def test_every_target_domain_has_strategies() -> None:
    problems = S.unclassified()
    assert not problems, "losses the property tests cannot exercise:\n" + "\n".join(problems)


def test_unclassified_detects_an_unknown_domain() -> None:
    # The check above must be able to fail: a loss with a new target domain is reported.
    fake = replace(get("mse"), name="ranking-loss", target="ranking")
    with pytest.raises(S.UnknownDomain, match="ranking"):
        S.domain(fake, "raw")
    with pytest.raises(S.UnknownDomain, match="space 'logit'"):
        S.domain(get("mse"), "logit")


def test_registry_is_not_empty_and_names_are_unique() -> None:
    names = [loss.name for loss in LOSSES]
    assert len(names) >= 9
    assert len(set(names)) == len(names)
    for catalog_name in ("cross-entropy", "binary-cross-entropy", "mse", "mae", "huber"):
        assert catalog_name in names
    for catalog_name in ("hinge", "focal", "kl", "contrastive"):
        assert catalog_name in names


@pytest.mark.parametrize("name", NAMES)
def test_record_is_documented(name: str) -> None:
    loss = get(name)
    for text in (loss.summary, loss.formula, loss.grad_formula, loss.typical_use, loss.family):
        assert isinstance(text, str) and text.strip()
    assert loss.references and all(isinstance(r, str) and r.strip() for r in loss.references)
    assert isinstance(loss.properties, Properties)
    assert loss.spaces and set(loss.spaces) <= set(SPACES)
    assert len(set(loss.spaces)) == len(loss.spaces)
    assert loss.pred_columns in ("one", "many", "any")
    if not loss.properties.smooth:
        assert loss.kink_note, "a non-smooth loss must state its subgradient at the kink"
    if loss.properties.symmetric:
        assert loss.target == "real", "symmetry in the residual needs a residual loss"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_documented_and_defaults_valid(name: str) -> None:
    loss = get(name)
    names = [p.name for p in loss.params]
    assert len(set(names)) == len(names)
    for p in loss.params:
        assert p.doc.strip()
        assert p.option == "--" + p.name.replace("_", "-")
        if p.default is not None:
            assert p.check(p.default) == p.default
    assert make_request(loss.name).params == loss.defaults()


@pytest.mark.parametrize("name", NAMES)
def test_every_alias_resolves(name: str) -> None:
    loss = get(name)
    for spelling in (loss.name, *loss.aliases):
        assert get(spelling) is loss
        # Case and _/- insensitive, surrounding blanks ignored.
        assert get(f" {spelling.upper().replace('-', '_')} ") is loss
        assert names_and_aliases()[spelling] == loss.name


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_values_are_finite_nonnegative_one_per_example(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, space, "finite"))
    ev = evaluate(request_for(case), case.y_true, case.y_pred, reduction="none")
    n = len(case.y_true)
    assert ev.n == n
    assert ev.value is None
    assert ev.values.shape == (n,)
    assert ev.values.dtype == np.float64
    assert np.all(np.isfinite(ev.values)), ev.values
    if loss.properties.nonnegative:
        assert np.all(ev.values >= 0), ev.values
    assert not any("infinite" in notice.text for notice in ev.notices)


@pytest.mark.parametrize(("name", "space"), ZERO_AT_PERFECT)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_zero_at_a_perfect_prediction(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case, exact = data.draw(S.perfect_cases(loss, space))
    values = evaluate(request_for(case), case.y_true, case.y_pred, reduction="none").values
    assert np.all(values >= 0)
    if exact:
        assert np.all(values == 0), values
    else:
        assert np.all(values <= 1e-12), values


@pytest.mark.parametrize("name", SYMMETRIC)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_symmetric_in_the_residual(name: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, loss.spaces[0], "finite"))
    request = request_for(case)
    # Swapping y and ŷ negates r exactly in floating point, so the values must be equal.
    forward = evaluate(request, case.y_true, case.y_pred, reduction="none").values
    swapped = evaluate(request, case.y_pred, case.y_true, reduction="none").values
    np.testing.assert_array_equal(forward, swapped)
    g_forward = gradient(request, case.y_true, case.y_pred).grads
    g_swapped = gradient(request, case.y_pred, case.y_true).grads
    np.testing.assert_array_equal(g_forward, -g_swapped)


def test_an_asymmetric_loss_is_not_symmetric() -> None:
    # Guards the test above against a vacuous pass: KL is declared asymmetric and is.
    assert not get("kl").properties.symmetric
    request = make_request("kl")
    p, q = [[0.9, 0.1]], [[0.5, 0.5]]
    assert evaluate(request, p, q).value != pytest.approx(evaluate(request, q, p).value)


# --- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_gradient_has_the_shape_of_the_predictions(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, space, "finite"))
    g = gradient(request_for(case), case.y_true, case.y_pred)
    assert g.grads.shape == case.y_pred.shape
    assert g.n == len(case.y_true)
    assert not np.any(np.isnan(g.grads)), g.grads


def numeric_gradient(
    loss: Loss,
    space: str,
    params: dict[str, Any],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    bounds: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Central differences with one Richardson step, per prediction cell.

    Written independently of the core's `check_gradient`. Returns (estimate, usable): a cell is
    not usable when a kink lies within the step (the estimates at h and h/2 disagree, or the
    second difference does not shrink with h), or when the step cannot stay in the domain.
    For a batch loss (each row's value depends on every row) the differences are those of
    the batch's total, one row moved at a time, as its gradient is.
    """

    def values(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(loss.value(y_true, x, space=space, **params), dtype=np.float64)

    def f(x: np.ndarray) -> np.ndarray:
        return values(x)

    lo, hi = bounds
    flat = y_pred.reshape(y_pred.shape[0], -1)
    f0 = f(y_pred)
    if loss.batch:
        f0 = np.full(f0.shape, math.fsum(f0))
    estimate = np.zeros(flat.shape)
    usable = np.zeros(flat.shape, dtype=bool)
    for j in range(flat.shape[1]):
        x = flat[:, j]
        room = np.minimum(x - lo, hi - x)
        h = 1e-3 * np.minimum(np.maximum(1.0, np.abs(x)), room)

        def at(step: np.ndarray, j: int = j) -> np.ndarray:
            if loss.batch:
                totals = np.empty(flat.shape[0])
                for row in range(flat.shape[0]):
                    moved = flat.copy()
                    moved[row, j] += step[row]
                    totals[row] = math.fsum(values(moved.reshape(y_pred.shape)))
                return totals
            moved = flat.copy()
            moved[:, j] += step
            return f(moved.reshape(y_pred.shape))

        up, down, up2, down2 = at(h), at(-h), at(h / 2), at(-h / 2)
        with np.errstate(all="ignore"):
            d1 = (up - down) / (2 * h)
            d2 = (up2 - down2) / h
            rich = (4 * d2 - d1) / 3
            s1 = (up - 2 * f0 + down) / h  # about h f'' if smooth, the jump in f' at a kink
            s2 = (up2 - 2 * f0 + down2) / (h / 2)
        finite = np.isfinite(up) & np.isfinite(down) & np.isfinite(up2) & np.isfinite(down2)
        kink_near = np.abs(d1 - d2) > 1e-5 * np.maximum(np.abs(d2), 1e-3)
        kink_here = (np.abs(s1) > 1e-6 * (np.abs(d2) + 1)) & (np.abs(s2) > 0.75 * np.abs(s1))
        estimate[:, j] = rich
        usable[:, j] = (h > 0) & finite & np.isfinite(f0) & ~kink_near & ~kink_here
    return estimate.reshape(y_pred.shape), usable.reshape(y_pred.shape)


def assert_gradient_close(
    analytic: np.ndarray, estimate: np.ndarray, usable: np.ndarray, slack: np.ndarray
) -> None:
    a, e = analytic[usable], estimate[usable]
    tol = 1e-5 * np.maximum(np.abs(a), np.abs(e)) + slack[usable]
    bad = np.abs(a - e) > tol
    assert not bad.any(), f"analytic {a[bad]} vs finite differences {e[bad]}"


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_gradient_matches_finite_differences(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, space, "smooth"))
    request = request_for(case)
    prepared = request.prepare(case.y_true, case.y_pred)
    analytic = gradient(request, case.y_true, case.y_pred).grads.reshape(prepared.y_pred.shape)
    assert np.all(np.isfinite(analytic)), analytic
    bounds = S.pred_bounds(loss, space, case.y_pred)
    estimate, usable = numeric_gradient(
        loss, space, request.params, prepared.y_true, prepared.y_pred, bounds
    )
    assume(usable.any())
    # Rounding in f(x +- h) divided by h, per cell.
    x = prepared.y_pred
    f0 = evaluate(request, case.y_true, case.y_pred, reduction="none").values
    if loss.batch:
        f0 = np.full(f0.shape, np.sum(np.abs(f0)))
    f0 = f0.reshape((-1,) + (1,) * (x.ndim - 1))
    h = 1e-3 * np.maximum(np.abs(x), 1e-2)
    slack = 100 * EPS * (np.abs(f0) + np.abs(analytic) * np.abs(x) + 1) / h
    assert_gradient_close(analytic, estimate, usable, slack)

    # The core's own check agrees on the same inputs.
    checked = check_gradient(request, case.y_true, case.y_pred)
    assert checked.compared + checked.skipped == x.size
    assert checked.compared > 0
    assert checked.max_rel_diff < 1e-4, checked


def test_finite_differences_catch_a_wrong_gradient() -> None:
    # Both checkers must fail on a gradient that is off by a factor: proof they can fail.
    mse = get("mse")
    wrong = replace(mse, name="wrong-mse", grad=lambda t, p, **kw: 3.0 * (p - t))
    y_true, y_pred = np.array([0.0, 1.0, -2.0]), np.array([0.5, 3.0, 1.0])
    estimate, usable = numeric_gradient(wrong, "raw", {}, y_true, y_pred, (-np.inf, np.inf))
    assert usable.all()
    np.testing.assert_allclose(estimate, 2.0 * (y_pred - y_true), rtol=1e-9)
    with pytest.raises(AssertionError):
        assert_gradient_close(3.0 * (y_pred - y_true), estimate, usable, np.zeros(3))
    assert check_gradient(make_request(wrong), y_true, y_pred).max_rel_diff > 0.3


def test_finite_differences_skip_only_kink_cells() -> None:
    # MAE at r = 0 and hinge exactly at the margin are kinks; the other cells are compared.
    mae = get("mae")
    _, usable = numeric_gradient(
        mae, "raw", {}, np.array([1.0, 1.0]), np.array([1.0, 2.0]), (-np.inf, np.inf)
    )
    assert usable.tolist() == [False, True]
    hinge = get("hinge")
    _, usable = numeric_gradient(
        hinge, "raw", {}, np.array([1.0, 1.0, -1.0]), np.array([1.0, 0.3, 0.2]), (-np.inf, np.inf)
    )
    assert usable.tolist() == [False, True, True]


@pytest.mark.parametrize(("name", "space"), OTHER_THAN_PROB)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_spaces_agree_on_the_same_prediction(name: str, space: str, data: Any) -> None:
    """The same predicted probabilities given as logits or log-probabilities give the same
    loss, and the gradients are related by the chain rule."""
    loss = get(name)
    case = data.draw(S.cases(loss, "prob", "smooth"))
    p = case.y_pred
    # One probability column is the binary case, which has no log-probability form.
    assume(not (space == "logprob" and (p.ndim == 1 or p.shape[1] == 1)))
    other = S.to_space(loss, space, p)
    in_prob = make_request(loss.name, case.params, space="prob")
    in_other = make_request(loss.name, case.params, space=space)
    v_prob = evaluate(in_prob, case.y_true, p, reduction="none").values
    v_other = evaluate(in_other, case.y_true, other, reduction="none").values
    np.testing.assert_allclose(v_other, v_prob, rtol=1e-9, atol=1e-12)

    g_prob = gradient(in_prob, case.y_true, p).grads
    g_other = gradient(in_other, case.y_true, other).grads
    if p.ndim == 1 or p.shape[1] == 1 or loss.target == "multilabel":
        # p = sigmoid(z), cell by cell: dp/dz = p (1 - p).
        expected = g_prob * p * (1 - p)
    elif space == "logprob":
        # Cell by cell, p = exp(log p): dp/d(log p) = p.
        expected = g_prob * p
    else:
        # p = softmax(z): dL/dz = p * (dL/dp - sum_k p_k dL/dp_k).
        expected = p * (g_prob - np.sum(p * g_prob, axis=1, keepdims=True))
    np.testing.assert_allclose(g_other, expected, rtol=1e-7, atol=1e-10)


# --- reductions and weights --------------------------------------------------------------------


def _weighted_root_mean(request: Any, case: S.Case, counts: np.ndarray, values: np.ndarray) -> None:
    """RMSE with sample weights: sqrt(Σ w v / Σ w), as repeated rows; gradient scaled by
    w / (Σ w 2 sqrt(mean))."""
    weighted = evaluate(request, case.y_true, case.y_pred, weights=counts).value
    expected = math.sqrt(math.fsum(counts * values) / counts.sum())
    assert weighted is not None and _close(weighted, expected)
    rows = np.repeat(np.arange(len(counts)), counts)
    repeated = evaluate(request, case.y_true[rows], case.y_pred[rows]).value
    assert repeated is not None and _close(weighted, repeated)
    g = gradient(request, case.y_true, case.y_pred).grads
    g_w = gradient(request, case.y_true, case.y_pred, reduction="mean", weights=counts).grads
    scale = counts / counts.sum() / (2 * weighted) if weighted > 0 else np.zeros(len(counts))
    np.testing.assert_allclose(g_w, g * scale, rtol=1e-12, atol=0)


def _close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_reductions_are_consistent(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, space, "finite"))
    request = request_for(case)
    values = evaluate(request, case.y_true, case.y_pred, reduction="none").values
    n = len(values)
    total = evaluate(request, case.y_true, case.y_pred, reduction="sum").value
    mean = evaluate(request, case.y_true, case.y_pred, reduction="mean").value
    assert total is not None and mean is not None
    # A root loss (RMSE) reports the square root of the reduction of its values.
    root = math.sqrt if loss.root else (lambda v: v)
    assert _close(total, root(math.fsum(values)))
    assert _close(mean, root(math.fsum(values) / n))
    assert _close(mean, evaluate(request, case.y_true, case.y_pred).value or 0.0, rel=0)

    g_none = gradient(request, case.y_true, case.y_pred, reduction="none").grads
    g_sum = gradient(request, case.y_true, case.y_pred, reduction="sum").grads
    g_mean = gradient(request, case.y_true, case.y_pred, reduction="mean").grads
    if loss.root:
        # d sqrt(T)/dT = 1 / (2 sqrt(T)), and 0 at T = 0 (the stated subgradient).
        sum_scale = 1 / (2 * total) if total > 0 else 0.0
        mean_scale = 1 / (2 * mean * n) if mean > 0 else 0.0
        np.testing.assert_allclose(g_sum, g_none * sum_scale, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(g_mean, g_none * mean_scale, rtol=1e-12, atol=1e-300)
        return
    np.testing.assert_array_equal(g_sum, g_none)
    # atol: g * (1/n) and g / n may round differently among subnormals.
    np.testing.assert_allclose(g_mean, g_none / n, rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.LIGHT_SETTINGS
@given(data=st.data())
def test_weighted_mean(name: str, space: str, data: Any) -> None:
    loss = get(name)
    case = data.draw(S.cases(loss, space, "finite", min_rows=2))
    request = request_for(case)
    n = len(case.y_true)
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    assume(counts.sum() > 0)
    if loss.batch:
        # Repeating a row would add negatives: a batch loss refuses sample weights.
        with pytest.raises(UsageError, match="takes no sample weights"):
            evaluate(request, case.y_true, case.y_pred, weights=counts)
        return
    values = evaluate(request, case.y_true, case.y_pred, reduction="none").values
    if loss.root:
        _weighted_root_mean(request, case, counts, values)
        return

    weighted = evaluate(request, case.y_true, case.y_pred, weights=counts)
    expected = math.fsum(counts * values) / counts.sum()
    assert weighted.value is not None and _close(weighted.value, expected)
    # Integer weights are repetitions: the same mean as the rows repeated that many times.
    rows = np.repeat(np.arange(n), counts)
    repeated = evaluate(request, case.y_true[rows], case.y_pred[rows])
    assert repeated.value is not None and _close(weighted.value, repeated.value, rel=1e-12)

    w_sum = evaluate(request, case.y_true, case.y_pred, reduction="sum", weights=counts).value
    assert w_sum is not None and _close(w_sum, math.fsum(counts * values))
    w_none = evaluate(request, case.y_true, case.y_pred, reduction="none", weights=counts)
    np.testing.assert_array_equal(w_none.values, counts * values)

    # The gradient of the weighted mean: each example's gradient times w_i / sum(w); an example
    # of weight 0 contributes exactly 0, even where its own gradient is infinite.
    g = gradient(request, case.y_true, case.y_pred).grads
    g_w = gradient(request, case.y_true, case.y_pred, reduction="mean", weights=counts).grads
    assert not np.isnan(g_w).any()
    scale = (counts / counts.sum()).reshape((n,) + (1,) * (g.ndim - 1))
    with np.errstate(invalid="ignore"):
        expected = np.where(scale == 0, 0.0, g * scale)
    np.testing.assert_allclose(g_w, expected, rtol=1e-15, atol=1e-300)


def test_the_property_cases_cover_what_the_registry_declares() -> None:
    # The filtered lists are not empty by accident: each property holds for several losses.
    assert {"mse", "mae", "huber"} <= set(SYMMETRIC)
    assert ("mse", "raw") in ZERO_AT_PERFECT and ("cross-entropy", "logit") in OTHER_THAN_PROB
    assert all(get(n).properties.symmetric for n in SYMMETRIC)
