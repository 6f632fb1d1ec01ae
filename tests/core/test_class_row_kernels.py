"""The faster class-row kernels (issue 13: cross-entropy and KL of logits) give the numbers of
the formulas they replace, bit for bit.

The references below are the previous code, kept here verbatim in what it computed:
numerics.log_softmax before its 2-d path, classification._softmax_parts / _ce_label_value /
_ce_label_grad, and kl_value / kl_grad's forward branch for logits. The inputs: random logits
with ties, masked classes (-inf), huge and tiny values; target rows with zeros; 1 row, 2, 10,
17 and 1000 classes; batches whose row count is not a multiple of the block.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.core import evaluate, gradient, make_request
from losscli.core.evaluation import requests as evaluation
from losscli.core.losses.classification import ce_grad, ce_value, ce_value_and_grad
from losscli.core.losses.divergence import kl_grad, kl_value, kl_value_and_grad
from losscli.core.losses.numerics import (
    ROW_SUM_BLOCK,
    ROW_SUM_COLUMNS,
    log_softmax,
    row_sum,
    shifted_exp,
    x_times,
)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit (NaN where NaN, the sign of zero too)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(a.view(np.uint64) == b.view(np.uint64)))


# --- the previous formulas ---------------------------------------------------------------------


def old_log_softmax(z: np.ndarray) -> np.ndarray:
    top = np.argmax(z, axis=-1)[..., None]
    m = np.take_along_axis(z, top, axis=-1)
    shifted = z - m
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=-1)
    return shifted - np.log1p(np.sum(others, axis=-1, keepdims=True))


def old_ce_label(z: np.ndarray, labels: np.ndarray, w: np.ndarray | None) -> tuple:
    rows = np.arange(z.shape[0])
    top = np.argmax(z, axis=1)
    shifted = z - z[rows, top][:, None]
    others = np.exp(shifted)
    others[rows, top] = 0.0
    total = np.sum(others, axis=1)
    value = x_times(1.0 if w is None else w, np.log1p(total) - shifted[rows, labels])
    norm = 1.0 + total
    p = others / norm[:, None]
    p[rows, top] = 1.0 / norm
    at_label = p[rows, labels]
    rest = np.where(labels == top, total / norm, 1.0 - at_label)
    if w is not None:
        p *= w[:, None]
        rest = x_times(w, rest)
    p[rows, labels] = -rest
    return value, p


def old_kl_forward_logit(p: np.ndarray, z: np.ndarray, base: float) -> tuple:
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = old_log_softmax(z)
        log_p = np.log(p)
        total = np.sum(x_times(p, log_p - log_q), axis=1)
        q = np.exp(log_q)
        g = q * p.sum(axis=1, keepdims=True) - p
    return np.maximum(total, 0.0) / base, total / base, g / base


# --- inputs ------------------------------------------------------------------------------------


def logits(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    z = rng.normal(0.0, 3.0, (n, k))
    z[rng.random((n, k)) < 0.1] = 0.0  # ties, several per row
    z[rng.random((n, k)) < 0.02] *= 1e4
    z[rng.random((n, k)) < 0.02] = 1e-300
    if n > 4:
        z[1] = 7.0  # a row of equal logits
        z[2, :] = -1e300
        z[2, -1] = 1e300
        if k > 1:
            z[3, 1:] = -np.inf  # every class but one masked
    if k > 1:
        z[rng.random((n, k)) < 0.03] = -np.inf
        z[np.all(z == -np.inf, axis=1), 0] = 0.5
    return z


def targets(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    p = np.exp(rng.normal(0.0, 2.0, (n, k)))
    p[rng.random((n, k)) < 0.2] = 0.0  # classes outside the target's support
    p[np.all(p == 0, axis=1), 0] = 1.0
    if n > 4:
        p[0] = 0.0
        p[0, -1] = 1.0  # one-hot
    return p / p.sum(axis=1, keepdims=True)


SHAPES = [(1, 2), (1, 10), (7, 2), (1000, 2), (999, 10), (1001, 17), (53, 1000), (300, 3)]


# --- row sums and log-softmax ------------------------------------------------------------------


@pytest.mark.parametrize("k", [*range(1, 41), 100, 1000])
def test_row_sum_is_numpy_sum_bit_for_bit(k: int) -> None:
    rng = np.random.default_rng(k)
    a = rng.normal(0.0, 1.0, (500, k)) * np.exp(rng.normal(0.0, 30.0, (500, k)))
    a[rng.random(a.shape) < 0.05] = -0.0
    a[0] = -0.0  # a row of -0.0 sums to 0.0
    a[1, 0], a[2, -1], a[3, 0] = np.inf, np.nan, -np.inf
    a[3, -1] = np.inf if k > 1 else a[3, -1]
    a[4] = 1e308  # overflows to inf
    with np.errstate(over="ignore", invalid="ignore"):
        assert same(row_sum(a), np.sum(a, axis=1))
        assert same(row_sum(a[:1]), np.sum(a[:1], axis=1))
        # Columns of a wider array (rows not contiguous): np.sum's own order.
        wide = np.concatenate([a, a], axis=1)[:, :k]
        assert same(row_sum(wide), np.sum(wide, axis=1))
        assert same(row_sum(np.asfortranarray(a)), np.sum(np.asfortranarray(a), axis=1))


def test_row_sum_of_no_rows_or_no_columns_is_numpy_sum() -> None:
    for shape in [(0, 10), (5, 0), (0, 0)]:
        a = np.zeros(shape)
        assert same(row_sum(a), np.sum(a, axis=1))


def test_row_sum_of_float32_rows_is_numpy_sum() -> None:
    # --precision float32 computes in float32: row_sum leaves those rows to np.sum.
    a = np.random.default_rng(32).normal(0.0, 1.0, (3000, 10)).astype(np.float32)
    assert row_sum(a).dtype == np.float32
    assert row_sum(a).tobytes() == np.sum(a, axis=1).tobytes()


def test_row_sum_takes_columns_up_to_its_threshold() -> None:
    # The column path is the one tested above for every width it takes.
    assert 10 <= ROW_SUM_COLUMNS <= 40


@pytest.mark.parametrize("n", [ROW_SUM_BLOCK // 10, ROW_SUM_BLOCK // 10 + 1, 20_011])
def test_row_sum_of_many_rows_in_blocks(n: int) -> None:
    # 10 columns: blocks of ROW_SUM_BLOCK // 10 rows; the last block is shorter.
    a = np.random.default_rng(n).normal(0.0, 1.0, (n, 10))
    assert same(row_sum(a), np.sum(a, axis=1))


@pytest.mark.parametrize(("n", "k"), [*SHAPES, (5, 1)])
def test_log_softmax_of_rows_is_the_previous_formula(n: int, k: int) -> None:
    z = logits(np.random.default_rng(n * k), n, k)
    with np.errstate(invalid="ignore"):
        assert same(log_softmax(z), old_log_softmax(z))
        # 3-d input still takes the general path, with the same numbers.
        assert same(log_softmax(z[None]), old_log_softmax(z[None]))
    parts = shifted_exp(z)
    assert parts.top.tolist() == (np.arange(n) * k + np.argmax(z, axis=1)).tolist()


# --- cross-entropy with labels -----------------------------------------------------------------


@pytest.mark.parametrize(("n", "k"), SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_of_logits_is_the_previous_formula(n: int, k: int, weighted: bool) -> None:
    rng = np.random.default_rng(n + k)
    z = logits(rng, n, k)
    labels = rng.integers(0, k, n)
    labels[np.isneginf(z[np.arange(n), labels])] = np.argmax(z, axis=1)[
        np.isneginf(z[np.arange(n), labels])
    ]
    if n > 4:
        labels[:3] = np.argmax(z[:3], axis=1)  # the label is the (tied) largest logit
    weights = tuple(rng.uniform(0.0, 3.0, k)) if weighted else None
    w = np.asarray(weights)[labels] if weighted else None
    value, grad = old_ce_label(z, labels, w)
    y = labels[:, None].astype(np.float64)
    settings = dict(space="logit", class_weights=weights)
    assert same(ce_value(y, z, **settings), value)
    assert same(ce_grad(y, z, **settings), grad)
    both = ce_value_and_grad(y, z, **settings)
    assert same(both[0], value) and same(both[1], grad)


def test_cross_entropy_mean_digits_unchanged_through_the_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A batch of 10,007 rows (not a multiple of any block), in blocks of 1,638 rows (the
    # default for 10 classes) and of 7 rows: the mean is np.sum of the previous per-row values
    # over n, and the gradient of the mean is each previous cell (+ 0.0) times 1/n.
    rng = np.random.default_rng(13)
    n = 10_007
    z = rng.normal(0.0, 1.0, (n, 10))
    labels = rng.integers(0, 10, n)
    value, grad = old_ce_label(z, labels, None)
    request = make_request("cross-entropy", {}, space="logit")
    for block in (evaluation.BLOCK_ELEMENTS, 70):
        monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", block)
        mean = evaluate(request, labels, z).value
        assert repr(mean) == repr(float(np.sum(value) / n))
        g = gradient(request, labels, z, reduction="mean").grads
        assert same(g, (grad + 0.0) * (1.0 / n))


# --- KL of logits ------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "k"), SHAPES)
@pytest.mark.parametrize("log_base", ["e", "2"])
def test_forward_kl_of_logits_is_the_previous_formula(n: int, k: int, log_base: str) -> None:
    rng = np.random.default_rng(n * 3 + k)
    p = targets(rng, n, k)
    z = logits(rng, n, k)
    base = {"e": 1.0, "2": float(np.log(2.0))}[log_base]
    value, pointwise, grad = old_kl_forward_logit(p, z, base)
    settings = dict(space="logit", log_base=log_base)
    assert same(kl_value(p, z, **settings), value)
    assert same(kl_value(p, z, pointwise=True, **settings), pointwise)
    assert same(kl_grad(p, z, **settings), grad)
    both = kl_value_and_grad(p, z, **settings)
    assert same(both[0], value) and same(both[1], grad)


def test_kl_rows_with_zero_target_cells_are_summed_again() -> None:
    # P = (0.5, 0.5, 0): the third cell is 0 ln 0 = 0, whatever Q is (masked -inf here too).
    p = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    z = np.array([[0.0, 0.0, 5.0], [0.0, 0.0, -np.inf], [1.0, -np.inf, -np.inf]])
    values = kl_value(p, z, space="logit")
    # Row 0: Q = (1, 1, e^5) / (2 + e^5), so KL = ln(0.5 (2 + e^5)); rows 1 and 2: Q = P.
    assert values[0] == pytest.approx(np.log(0.5 * (2.0 + np.exp(5.0))), rel=1e-14)
    assert values[1] == 0.0 and values[2] == 0.0
    assert not np.isnan(kl_grad(p, z, space="logit")).any()


def test_kl_mean_digits_unchanged_through_the_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(31)
    n = 5_003
    p = targets(rng, n, 10)
    z = rng.normal(0.0, 1.0, (n, 10))
    value, _, grad = old_kl_forward_logit(p, z, 1.0)
    request = make_request("kl", {}, space="logit")
    for block in (evaluation.BLOCK_ELEMENTS, 30):
        monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", block)
        assert repr(evaluate(request, p, z).value) == repr(float(np.sum(value) / n))
        g = gradient(request, p, z, reduction="mean").grads
        assert same(g, (grad + 0.0) * (1.0 / n))


@pytest.mark.parametrize(("n", "k"), [(999, 10), (50, 3), (20, 1000)])
def test_float32_rows_give_the_previous_numbers(n: int, k: int) -> None:
    # --precision float32 runs the same kernels on float32 rows.
    rng = np.random.default_rng(n + 32)
    z = rng.normal(0.0, 3.0, (n, k)).astype(np.float32)
    labels = rng.integers(0, k, n)
    value, grad = old_ce_label(z, labels, None)
    both = ce_value_and_grad(labels[:, None].astype(np.float32), z, space="logit")
    assert both[0].dtype == np.float32
    assert both[0].tobytes() == value.tobytes() and both[1].tobytes() == grad.tobytes()
    p = targets(rng, n, k).astype(np.float32)
    kl, _, kl_g = old_kl_forward_logit(p, z, 1.0)
    both = kl_value_and_grad(p, z, space="logit")
    assert both[0].tobytes() == kl.tobytes() and both[1].tobytes() == kl_g.tobytes()
