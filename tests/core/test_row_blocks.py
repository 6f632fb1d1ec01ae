"""Values and gradients computed a block of rows at a time (Request._blockwise) are the very
numbers of the whole batch at once, for every loss of the registry in every space."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from losscli.core import get, make_request
from losscli.core.evaluation import requests as evaluation
from losscli.core.evaluation.requests import batch_values, gradient

PAIRS = S.loss_space_pairs()


def computed(case: S.Case, block_elements: int) -> Any:
    saved = evaluation.BLOCK_ELEMENTS
    evaluation.BLOCK_ELEMENTS = block_elements
    try:
        request = make_request(case.loss.name, case.params, space=case.space)  # type: ignore[arg-type]
        both = batch_values(request, case.y_true, case.y_pred, with_grads=True)
        prepared = request.prepare(case.y_true, case.y_pred)
        return request.values(prepared), request.grads(prepared), both.values, both.grads
    finally:
        evaluation.BLOCK_ELEMENTS = saved


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit (NaN where NaN, the sign of zero too)."""
    return a.shape == b.shape and bool(np.all(a.view(np.uint64) == b.view(np.uint64)))


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_blocks_of_rows_give_the_same_numbers(name: str, space: str, data: Any) -> None:
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode, min_rows=S.MAX_ROWS))
    whole = computed(case, 1 << 30)
    blocked = computed(case, 1)  # one row per block
    for a, b in zip(whole, blocked, strict=True):
        assert same(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)), case
    # value_and_grad (where a loss has one) agrees with value and grad called apart.
    assert same(whole[0], whole[2]) and same(whole[1], whole[3]), case


def test_a_big_batch_is_taken_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    huber = make_request("huber", {"delta": 1.0})
    original = huber.loss.value

    def counting(y_true: Any, y_pred: Any, **kwargs: Any) -> Any:
        calls.append(y_pred.shape[0])
        return original(y_true, y_pred, **kwargs)

    monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", 4)
    request = replace(huber, loss=replace(huber.loss, value=counting))
    y = np.arange(10.0)
    values = request.values(request.prepare(y, y + 0.5))
    assert sorted(calls, reverse=True) == [4, 4, 2]  # blocks may run on two threads
    assert values.tolist() == [0.125] * 10


def test_one_block_thread_computes_every_block_in_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """set_block_threads(1), as a --jobs worker with one core's share sets it: no pool
    thread computes a block, and the numbers are those of the default threads."""
    import threading

    threads: list[str] = []
    huber = make_request("huber", {"delta": 1.0})
    original = huber.loss.value

    def recording(y_true: Any, y_pred: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(y_true, y_pred, **kwargs)

    monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", 4)
    request = replace(huber, loss=replace(huber.loss, value=recording))
    rng = np.random.default_rng(3)
    y = rng.normal(size=64)
    p = y + rng.standard_cauchy(64)
    default = request.values(request.prepare(y, p))
    saved = evaluation.BLOCK_THREADS
    try:
        evaluation.set_block_threads(1)
        assert evaluation.block_threads() == 1
        threads.clear()
        single = request.values(request.prepare(y, p))
    finally:
        evaluation.set_block_threads(saved)
    assert len(threads) == 16 and set(threads) == {threading.current_thread().name}
    assert same(default, single)


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_the_mean_gradient_scaled_in_the_blocks_is_the_gradients_times_one_over_n(
    name: str, space: str, data: Any
) -> None:
    """gradient(reduction='mean') divides by n in the pass that computes the gradients
    (block by block); the numbers are those of the per-example gradients times 1/n, as the
    Reducer's grad_scale gives them, bit for bit, whether the batch is blocked or not."""
    mode = data.draw(st.sampled_from(S.MODES))
    case = data.draw(S.cases(get(name), space, mode, min_rows=S.MAX_ROWS))
    request = make_request(case.loss.name, case.params, space=case.space)  # type: ignore[arg-type]
    batch = batch_values(request, case.y_true, case.y_pred, with_grads=True)
    assert batch.grads is not None
    reducer = request.reducer()
    reducer.add(batch)
    scale = reducer.grad_scale(batch, "mean")
    if isinstance(scale, np.ndarray):
        scale = scale.reshape((-1,) + (1,) * (batch.grads.ndim - 1))
    with np.errstate(all="ignore"):
        expected = np.asarray(batch.grads * scale, dtype=np.float64)
    for block_elements in (1 << 30, 1):
        saved = evaluation.BLOCK_ELEMENTS
        evaluation.BLOCK_ELEMENTS = block_elements
        try:
            got = gradient(request, case.y_true, case.y_pred, reduction="mean").grads
        finally:
            evaluation.BLOCK_ELEMENTS = saved
        assert same(np.asarray(got, dtype=np.float64).reshape(expected.shape), expected), case


@pytest.mark.parametrize("n", [129, 1000, 8193, 12345, 1 << 18, (1 << 18) + 7, 1_000_001])
def test_the_values_sum_on_two_threads_is_numpys_sum_bit_for_bit(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """values_sum adds the sums of NumPy's own first split of its pairwise sum, summed on two
    threads: the number is np.sum's (the Reducer's mean and the infinity notice read it)."""
    monkeypatch.setattr(evaluation, "SPLIT_SUM_ELEMENTS", 129)
    monkeypatch.setattr(evaluation.os, "cpu_count", lambda: 2)  # two threads on any machine
    rng = np.random.default_rng(n)
    values = rng.normal(size=n) * rng.uniform(0.0, 1e6, n)
    assert evaluation.block_threads() == 2
    got = evaluation.values_sum(values)
    assert np.float64(got).view(np.uint64) == np.sum(values).view(np.uint64)
    values[n // 3] = np.inf
    assert evaluation.values_sum(values) == np.inf
    values[n // 2] = -np.inf
    assert np.isnan(evaluation.values_sum(values))
