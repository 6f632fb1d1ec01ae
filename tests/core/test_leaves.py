"""A mean or sum from the leaves of NumPy's pairwise sum (evaluation/leaves.py) is the number
of the per-example values summed by np.sum, bit for bit, for every loss of the registry; the
gradient of the mean from the same pass is the per-example gradients times 1/n; notices and
errors name the same rows as the way through the per-example values."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from losscli.core import DataError, UsageError, get, make_request
from losscli.core.conventions import all_conventions
from losscli.core.evaluation import leaves
from losscli.core.evaluation import requests as evaluation
from losscli.core.evaluation.requests import batch_values, evaluate, gradient
from losscli.core.losses import checks
from losscli.core.losses.types import GRAD_SHOWS_INFINITY, VALUE_SHOWS_BAD_INPUT, Prepared

PAIRS = S.loss_space_pairs()
# Sizes around the pieces NumPy splits at: below 8 and 128, just over 128, odd ones, a leaf of
# 16384 and just over it, and a long odd one.
SIZES = [1, 7, 8, 127, 128, 129, 130, 1000, 1001, 12345, 16384, 16385, 16391, 100_003]


def bits(x: float) -> int:
    return int(np.float64(x).view(np.uint64))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("most", [1, 128, 1000, 16384])
def test_the_leaves_summed_up_the_tree_are_numpys_sum_bit_for_bit(n: int, most: int) -> None:
    rng = np.random.default_rng(n + most)
    # Magnitudes over 12 decades with both signs: a sum in another order differs in its bits.
    values = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, n)
    pieces = leaves.pairwise_leaves(n, most)
    assert pieces[0][0] == 0 and pieces[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert all(stop - start <= max(most, 128) for start, stop in pieces)
    sums = [float(np.sum(values[start:stop])) for start, stop in pieces]
    assert bits(leaves.tree_sum(sums, n, most)) == bits(np.sum(values))


def test_a_leaf_is_summed_alike_wherever_its_values_lie_in_memory() -> None:
    """A block's values are summed in a buffer of its thread, not at their place in the
    array: NumPy's sum of the same values is the same at any address."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=20_000) * 10.0 ** rng.uniform(-8, 8, 20_000)
    buffer = np.empty(20_100)
    for offset in (0, 1, 3, 8, 13):
        moved = buffer[offset : offset + values.size]
        moved[:] = values
        assert bits(np.sum(moved)) == bits(np.sum(values))


@contextmanager
def small_blocks() -> Iterator[None]:
    """Blocks of at most 128 rows (the smallest leaf), on two threads on any machine."""
    saved = evaluation.BLOCK_ELEMENTS, evaluation.block_threads
    evaluation.BLOCK_ELEMENTS = 1
    evaluation.block_threads = lambda: 2  # type: ignore[assignment]
    try:
        yield
    finally:
        evaluation.BLOCK_ELEMENTS, evaluation.block_threads = saved  # type: ignore[assignment]


def _old_way(request: Any, y: Any, p: Any, reduction: str) -> tuple[float, Any]:
    """The mean or sum through the array of per-example values (batch_values, a Reducer)."""
    batch = batch_values(request, y, p)
    reducer = request.reducer()
    reducer.add(batch)
    return reducer.result(reduction), batch.notices


def _long(case: S.Case, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The case's rows repeated to n rows (a batch of many leaves)."""
    return np.resize(case.y_true, (n, *case.y_true.shape[1:])), np.resize(
        case.y_pred, (n, *case.y_pred.shape[1:])
    )


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_the_mean_and_sum_from_the_leaves_are_those_of_the_values_bit_for_bit(
    name: str, space: str, data: Any
) -> None:
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode, min_rows=S.MAX_ROWS))
    # A batch loss (its rows' groups) keeps its rows as drawn.
    n = data.draw(st.sampled_from([6] if case.loss.batch else [1, 5, 129, 300, 1001]))
    y, p = _long(case, n)
    request = make_request(case.loss.name, case.params, space=case.space)  # type: ignore[arg-type]
    for reduction in ("mean", "sum"):
        expected, notices = _old_way(request, y, p, reduction)
        with small_blocks():  # a batch of 1001 rows is 8 leaves
            got = evaluate(request, y, p, reduction=reduction)
        assert bits(got.value) == bits(expected) or (np.isnan(got.value) and np.isnan(expected))
        assert got.notices == notices, case
    # The per-example values are still there when asked for.
    values = batch_values(request, y, p).values
    assert np.array_equal(got.values, values, equal_nan=True)


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_the_gradient_of_the_mean_from_the_leaves_names_the_same_rows(
    name: str, space: str, data: Any
) -> None:
    """The gradient of the mean against the per-example gradients times 1/n is checked bit
    for bit by test_row_blocks.py (small batches); here on a batch of many leaves: the same
    numbers as in blocks of the default size, and the notices of the per-example values."""
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode, min_rows=S.MAX_ROWS))
    y, p = _long(case, 6 if case.loss.batch else 1001)
    request = make_request(case.loss.name, case.params, space=case.space)  # type: ignore[arg-type]
    expected = batch_values(request, y, p, with_grads=True)
    default = gradient(request, y, p, reduction="mean")
    with small_blocks():
        got = gradient(request, y, p, reduction="mean")
    assert got.notices == expected.notices == default.notices, case
    assert np.array_equal(got.grads, default.grads, equal_nan=True), case


def _infinite_bce(n: int, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Binary cross-entropy on probabilities, infinite exactly at `rows` (p = 0 where y = 1)."""
    rng = np.random.default_rng(n)
    y = rng.integers(0, 2, n).astype(np.float64)
    p = rng.uniform(0.01, 0.99, n)
    y[rows], p[rows] = 1.0, 0.0
    return y, p


@pytest.mark.parametrize("n", [50, 16385, 100_003])
def test_infinite_values_are_named_by_their_rows_in_order(n: int) -> None:
    rows = sorted({0, n // 3, n // 3 + 1, n - 1})
    y, p = _infinite_bce(n, rows)
    request = make_request("binary-cross-entropy", space="prob")
    value = evaluate(request, y, p)
    assert value.value == np.inf
    grad = gradient(request, y, p, reduction="mean")
    for notices in (value.notices, grad.notices):
        (notice,) = notices
        assert notice.rows == tuple(rows)
        assert notice.text.startswith(f"the loss is infinite for {len(rows)} examples")
    assert np.isneginf(grad.grads[rows]).all()  # -1/(n p) at p = 0


def test_more_than_ten_infinite_rows_count_all_and_name_the_first_ten() -> None:
    n = 100_003
    rows = list(range(7, n, 997))  # 101 rows over many leaves
    y, p = _infinite_bce(n, rows)
    request = make_request("binary-cross-entropy", space="prob")
    for notices in (evaluate(request, y, p).notices, gradient(request, y, p).notices):
        (notice,) = notices
        assert notice.rows == tuple(rows[:10])
        assert notice.text.startswith("the loss is infinite for 101 examples")


def test_finite_values_whose_sum_overflows_give_the_scaled_mean() -> None:
    """Every value finite, their sum beyond float64: the leaves' total is inf, and the mean
    is that of the Reducer's scaled sum (finite, as the exact mean is)."""
    n = 20_000
    y = np.zeros(n)
    p = np.full(n, 1e154)  # (1e154)^2 = 1e308 per example, finite
    request = make_request("mse")
    result = evaluate(request, y, p)
    assert result.value == pytest.approx(1e308, rel=1e-12)
    assert result.notices == ()
    assert evaluate(request, y, p, reduction="sum").value == np.inf


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("side", ["target", "pred"])
def test_a_non_finite_input_is_refused_with_its_row(bad: float, side: str) -> None:
    n = 100_003
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=n), rng.normal(size=n)
    row = 54_321
    (y if side == "target" else p)[row] = bad
    labels = np.where(y > 0, 1.0, -1.0)
    labels[row] = y[row]
    for loss in ("mse", "huber", "hinge"):
        request = make_request(loss)
        target = labels if loss == "hinge" else y
        for call in (evaluate, gradient):
            with pytest.raises(DataError) as error:
                call(request, target, p, reduction="mean")
            assert error.value.row == row and error.value.side == side, (loss, call)
            assert "not a finite number" in str(error.value)


def test_labels_of_one_sign_are_those_equal_to_minus_one_or_one() -> None:
    """checks.is_sign, the hinge's one read of its labels: y^2 - 1 is 0 only at -1 and 1."""
    ones = np.where(np.arange(200_001) % 3 == 0, -1.0, 1.0)
    assert checks.is_sign(ones) and checks.is_sign(ones.reshape(-1, 1))
    below, above = np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0)
    for other in [0.0, -0.0, below, above, -below, -above, 2.0, 1e-300, np.nan, np.inf, -np.inf]:
        labels = ones.copy()
        labels[150_000] = other  # in a later block than the first
        assert not checks.is_sign(labels), other
    assert not checks.is_sign(np.zeros(0))


SHOWN = [
    (name, space)
    for name, space in PAIRS
    if get(name).extra.get(GRAD_SHOWS_INFINITY) and not get(name).batch
]


def test_binary_cross_entropy_says_its_gradient_shows_where_it_is_infinite() -> None:
    assert ("binary-cross-entropy", "prob") in SHOWN and ("binary-cross-entropy", "logit") in SHOWN


@pytest.mark.parametrize(("name", "space"), SHOWN)
@pytest.mark.parametrize("convention", list(all_conventions()))
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_a_loss_whose_gradient_shows_its_infinities_is_infinite_only_there(
    name: str, space: str, convention: str, data: Any
) -> None:
    """GRAD_SHOWS_INFINITY: wherever an example's value is not finite, a cell of its gradient
    is not finite either (the gradient's pass looks for infinite values only there)."""
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode))
    # The edges of a probability too: 0 and 1 (infinite where the label is not), subnormal.
    edges = np.array([0.0, 1.0, 5e-324, 1.0 - 2**-53]) if space == "prob" else None
    y_pred = case.y_pred if edges is None else np.concatenate([case.y_pred, edges])
    y_true = case.y_true if edges is None else np.resize(case.y_true, y_pred.shape)
    try:
        request = make_request(name, case.params, space=space, convention=convention)  # type: ignore[arg-type]
    except UsageError:
        return  # the convention has no such loss, or not these parameters
    prepared = request.prepare(y_true, y_pred)
    with np.errstate(all="ignore"):
        values, grads = request.values(prepared), request.grads(prepared)
    grads = grads.reshape(values.shape[0], -1)
    assert np.all(np.isfinite(values) | ~np.isfinite(grads).all(axis=1)), case


BAD_INPUT_SHOWN = [
    (name, space) for name, space in PAIRS if get(name).extra.get(VALUE_SHOWS_BAD_INPUT)
]


def test_the_regression_losses_say_their_values_show_a_bad_input() -> None:
    assert {name for name, _ in BAD_INPUT_SHOWN} >= {"mse", "mae", "huber", "smooth-l1"}


@pytest.mark.parametrize(("name", "space"), BAD_INPUT_SHOWN)
@pytest.mark.parametrize("convention", list(all_conventions()))
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_a_loss_whose_values_show_a_bad_input_is_not_finite_there(
    name: str, space: str, convention: str, data: Any
) -> None:
    """VALUE_SHOWS_BAD_INPUT: a NaN or infinite cell of the targets or predictions gives its
    example a value that is not finite (the pass of a mean then checks the inputs only there)."""
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode))
    try:
        request = make_request(name, case.params, space=space, convention=convention)  # type: ignore[arg-type]
    except UsageError:
        return  # the convention has no such loss, or not these parameters
    prepared = request.prepare(case.y_true, case.y_pred)
    row = data.draw(st.integers(0, case.y_pred.shape[0] - 1))
    bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    y_true, y_pred = prepared.y_true.copy(), prepared.y_pred.copy()
    (y_true if data.draw(st.booleans()) else y_pred)[row] = bad
    with np.errstate(all="ignore"):
        values = request.values(Prepared(y_true, y_pred))
    assert not np.isfinite(values[row]), case
