"""Numerical robustness (docs/design.md section 4, "Numerics"): finite where the exact answer is finite, inf
with a notice where it is infinite, never NaN; full relative precision where the stable forms
of docs/design.md section 4 promise it; streaming sums that match the in-memory ones."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from losscli.core import Accumulator, DataError, evaluate, get, gradient, make_request

PAIRS = S.loss_space_pairs()


def run(name: str, y_true: object, y_pred: object, **kw: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values, gradients) per example."""
    space = kw.pop("space", None)
    request = make_request(name, kw, space=space)
    values = evaluate(request, y_true, y_pred, reduction="none").values
    return values, gradient(request, y_true, y_pred).grads


def all_finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


# --- never NaN -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_no_nan_on_any_valid_input(name: str, space: str, data: Any) -> None:
    # Exact 0 and 1 probabilities, subnormals, logits and reals over the whole float64 range:
    # values and gradients may be infinite where the exact answer is, never NaN.
    case = data.draw(S.cases(get(name), space, "edge"))
    request = make_request(name, case.params, space=space)
    ev = evaluate(request, case.y_true, case.y_pred, reduction="none")
    assert not np.isnan(ev.values).any(), ev.values
    if get(name).properties.nonnegative:
        assert np.all(ev.values >= 0)
    g = gradient(request, case.y_true, case.y_pred)
    assert not np.isnan(g.grads).any(), g.grads
    # An infinite value always comes with a notice naming its rows.
    infinite = np.flatnonzero(np.isinf(ev.values))
    if infinite.size:
        notice = next(n for n in ev.notices if "infinite" in n.text)
        assert set(notice.rows) == set(infinite[:10].tolist())
    mean = evaluate(request, case.y_true, case.y_pred).value
    assert mean is not None and not math.isnan(mean)


# --- logits of +-1e4 ------------------------------------------------------------------------


def test_bce_and_focal_at_huge_logits() -> None:
    y, z = [1, 1, 0, 0], [1e4, -1e4, 1e4, -1e4]
    values, grads = run("bce", y, z, space="logit")
    # Exact: softplus(-z) for y = 1: about e^-10000 (0 in float64) and 10000.
    np.testing.assert_array_equal(values, [0.0, 1e4, 1e4, 0.0])
    np.testing.assert_array_equal(grads, [0.0, -1.0, 1.0, 0.0])
    for gamma in (0.0, 0.3, 2.0):
        values, grads = run("focal", y, z, space="logit", gamma=gamma)
        np.testing.assert_array_equal(values, [0.0, 1e4, 1e4, 0.0])
        np.testing.assert_array_equal(grads, [0.0, -1.0, 1.0, 0.0])


def test_cross_entropy_at_huge_logits() -> None:
    z = [[1e4, -1e4, 0.0]] * 3
    values, grads = run("ce", [0, 1, 2], z, space="logit")
    np.testing.assert_array_equal(values, [0.0, 2e4, 1e4])
    np.testing.assert_array_equal(grads, [[0, 0, 0], [1, -1, 0], [1, 0, -1]])
    # Rows of equal huge logits: softmax is uniform, the loss ln 3.
    values, _ = run("ce", [0], [[1e4, 1e4, 1e4]], space="logit")
    assert values[0] == pytest.approx(math.log(3), rel=1e-15)


def test_kl_at_huge_logits() -> None:
    p = [[0.5, 0.5, 0.0]]
    # Q = softmax(1e4, -1e4, 0) = (1, e^-20000, e^-10000): KL(P||Q) = 0.5 ln 0.5 + 0.5 (ln 0.5 +
    # 20000) = 10000 - ln 2 exactly; nothing underflows to an infinity.
    values, grads = run("kl", p, [[1e4, -1e4, 0.0]], space="logit")
    assert values[0] == pytest.approx(1e4 - math.log(2), rel=1e-15)
    np.testing.assert_allclose(grads, [[0.5, -0.5, 0.0]], atol=1e-300)
    values, grads = run("kl", p, [[1e4, 1e4, -1e4]], space="logit")
    assert values[0] == pytest.approx(0.0, abs=1e-15)
    assert all_finite(grads)


# --- probabilities of exactly 0 and 1 --------------------------------------------------------


def test_exact_zero_and_one_where_the_loss_is_finite() -> None:
    # y = 0, p = 0 and y = 1, p = 1 are perfect: 0 ln 0 = 0 (docs/design.md section 4).
    values, grads = run("bce", [0, 1, 0, 1], [0.0, 1.0, 1e-300, 1 - 2**-53])
    np.testing.assert_array_equal(values[:2], [0.0, 0.0])
    assert values[2] == pytest.approx(1e-300, rel=1e-15)  # -ln(1 - 1e-300) = 1e-300
    assert values[3] == pytest.approx(2**-53, rel=1e-14)
    np.testing.assert_array_equal(grads[:2], [1.0, -1.0])  # (p - y) / (p (1 - p)) -> +-1
    assert all_finite(values, grads)
    # One-hot predictions with zeros in the non-target classes.
    values, grads = run("ce", [0, 2], [[1.0, 0.0, 0.0], [0.25, 0.0, 0.75]])
    np.testing.assert_allclose(values, [0.0, -math.log(0.75)], rtol=1e-15)
    np.testing.assert_allclose(grads, [[-1.0, 0, 0], [0, 0, -1 / 0.75]], rtol=1e-15)
    values, grads = run("focal", [1, 0], [1.0, 0.0])
    np.testing.assert_array_equal(values, [0.0, 0.0])
    np.testing.assert_array_equal(grads, [0.0, 0.0])
    # KL with zeros in P, and in Q where P is also 0, both directions.
    p, q = [[0.0, 0.5, 0.5]], [[0.0, 0.25, 0.75]]
    for direction in ("forward", "reverse"):
        values, grads = run("kl", p, q, direction=direction)
        assert all_finite(values, grads), (direction, values, grads)
    values, _ = run("kl", p, q)
    assert values[0] == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75), rel=1e-15)


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "kw"),
    [
        ("bce", [0.5, 1], [0.5, 0.0], {}),
        ("bce", [0.5, 0], [0.5, 1.0], {}),
        ("cross-entropy", [0, 1], [[0.5, 0.5], [1.0, 0.0]], {}),
        ("cross-entropy", [[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [1.0, 0.0]], {}),
        ("focal", [0, 1], [0.5, 0.0], {"gamma": 0.5}),
        ("kl", [[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [1.0, 0.0]], {}),
        ("kl", [[0.5, 0.5], [1.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]], {"direction": "reverse"}),
    ],
)
def test_infinite_with_a_notice_where_the_exact_loss_is(
    name: str, y_true: object, y_pred: object, kw: dict[str, Any]
) -> None:
    # Row 1 is infinite (probability 0 where the target has mass); row 0 is finite.
    ev = evaluate(make_request(name, kw), y_true, y_pred, reduction="none")
    assert math.isfinite(ev.values[0])
    assert ev.values[1] == math.inf
    (notice,) = [n for n in ev.notices if "infinite" in n.text]
    assert notice.rows == (1,)
    assert "--eps" in notice.text and "--logits" in notice.text
    assert evaluate(make_request(name, kw), y_true, y_pred).value == math.inf
    g = gradient(make_request(name, kw), y_true, y_pred).grads
    assert not np.isnan(g).any()
    assert any(
        "infinite" in n.text for n in gradient(make_request(name, kw), y_true, y_pred).notices
    )
    # --eps clips and makes it finite, without a notice.
    if name != "kl" or kw.get("direction") != "reverse":
        clipped = evaluate(make_request(name, {**kw, "eps": 1e-7}), y_true, y_pred)
        assert clipped.value is not None and math.isfinite(clipped.value)
        assert not any("infinite" in n.text for n in clipped.notices)


def test_eps_clip_values() -> None:
    # docs/design.md section 5: Keras clips to [1e-7, 1 - 1e-7]: BCE of p = 0 for a positive is -ln(1e-7) = 16.118.
    values, grads = run("bce", [1, 0], [0.0, 1.0], eps=1e-7)
    assert values[0] == pytest.approx(16.118095650958317, rel=1e-15)
    # 1 - 1e-7 is not exact in binary, so the other side differs in the 11th digit.
    assert values[1] == pytest.approx(-math.log(1e-7), rel=1e-10)
    # Inside the clipped region the loss is flat: gradient 0.
    np.testing.assert_array_equal(grads, [0.0, 0.0])


# --- focal at saturation --------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
def test_focal_gradient_finite_for_gamma_below_one_at_saturation(gamma: float) -> None:
    # (1 - p_t)^(gamma - 1) is infinite at p_t = 1 for gamma < 1; torchvision's gradient is NaN
    # there (docs/design.md section 4). The limit of the whole gradient is 0.
    y = [1, 0, 1, 0, 1, 0]
    p = [1.0, 0.0, 1 - 2**-53, 2**-60, 1 - 1e-12, 1e-300]
    values, grads = run("focal", y, p, gamma=gamma)
    assert all_finite(values, grads), grads
    np.testing.assert_array_equal(values[:2], [0.0, 0.0])
    np.testing.assert_array_equal(grads[:2], [0.0, 0.0])
    # Near saturation: dL/dp_t ~ -(gamma + 1)(1 - p_t)^gamma -> small, with the right sign.
    assert grads[2] < 0 < grads[3]
    assert np.all(np.abs(grads) < 1.0)
    z = [1e4, -1e4, 40.0, -40.0, 800.0, -800.0]
    values, grads = run("focal", y, z, space="logit", gamma=gamma)
    assert all_finite(values, grads), grads
    assert np.all(values >= 0) and np.all(np.abs(grads) < 1e-15)


# --- confident and correct: tiny, not 0 --------------------------------------------------------


def test_confident_correct_logits_give_the_tiny_positive_loss() -> None:
    # docs/design.md section 4, "Numerics": BCE at z = 40, y = 1 is ln(1 + e^-40) ~ e^-40, not 0.
    tiny = math.log1p(math.exp(-40))
    values, grads = run("bce", [1, 0], [40.0, -40.0], space="logit")
    np.testing.assert_allclose(values, [tiny, tiny], rtol=1e-15)
    # sigmoid(z) - y = -1 / (1 + e^40) for y = 1.
    np.testing.assert_allclose(grads, [-1 / (1 + math.exp(40)), 1 / (1 + math.exp(40))], rtol=1e-15)
    values, grads = run("ce", [0, 1], [[40.0, 0.0, 0.0], [0.0, 40.0, 0.0]], space="logit")
    # logsumexp(z) - z_y = ln(1 + 2 e^-40); d/dz_y = p_y - 1 = -2 e^-40 / (1 + 2 e^-40).
    two = math.log1p(2 * math.exp(-40))
    np.testing.assert_allclose(values, [two, two], rtol=1e-15)
    p_other = math.exp(-40) / (1 + 2 * math.exp(-40))
    np.testing.assert_allclose(grads[0], [-2 * p_other, p_other, p_other], rtol=1e-14)
    # Focal with gamma = 2: (1 - p_t)^2 (-ln p_t) ~ e^-80 e^-40: tiny, positive.
    values, grads = run("focal", [1], [40.0], space="logit", gamma=2.0)
    assert values[0] == pytest.approx(math.exp(-120), rel=1e-12)
    assert grads[0] < 0


def test_stable_forms_against_50_digit_arithmetic() -> None:
    # Cross-entropy and BCE on logits to full relative precision, where forming
    # logsumexp(z) - z_y or sigmoid(z) - y in float64 would lose digits.
    import mpmath  # the test extra: these tests never skip

    mpmath.mp.dps = 50
    rng = np.random.default_rng(7)
    z = rng.normal(scale=12.0, size=(60, 4))
    y = np.argmax(z, axis=1)  # confident and correct rows: the hard case
    values, grads = run("ce", y, z, space="logit")
    for row, label in enumerate(y):
        cells = [mpmath.mpf(float(v)) for v in z[row]]
        lse = mpmath.log(sum(mpmath.exp(c) for c in cells))
        assert values[row] == pytest.approx(float(lse - cells[label]), rel=1e-14)
        exact = float(mpmath.exp(cells[label] - lse) - 1)
        assert grads[row, label] == pytest.approx(exact, rel=1e-13)
    zb = np.abs(z[:, 0]) + 5.0
    values, grads = run("bce", np.ones(60), zb, space="logit")
    for v, g, zz in zip(values, grads, zb, strict=True):
        t = mpmath.mpf(float(zz))
        assert v == pytest.approx(float(mpmath.log(1 + mpmath.exp(-t))), rel=1e-14)
        assert g == pytest.approx(float(1 / (1 + mpmath.exp(-t)) - 1), rel=1e-13)


# --- the accumulator --------------------------------------------------------------------------


def chunked(values: np.ndarray, sizes: list[int]) -> Accumulator:
    acc = Accumulator()
    start = 0
    for size in sizes:
        acc.add(values[start : start + size])
        start += size
    acc.add(values[start:])
    return acc


def test_chunked_mean_equals_in_memory_mean() -> None:
    rng = np.random.default_rng(11)
    # Loss values spanning 20 orders of magnitude.
    values = np.exp(rng.uniform(-23, 23, size=100_000))
    exact = math.fsum(values) / values.size
    sizes = list(rng.integers(1, 5000, size=60))
    acc = chunked(values, sizes)
    assert acc.count == values.size
    in_memory = evaluate(make_request("mse"), np.zeros(values.size), np.sqrt(values)).value
    assert in_memory is not None
    assert acc.mean() == pytest.approx(in_memory, rel=1e-12)
    assert acc.mean() == pytest.approx(exact, rel=1e-13)
    assert acc.sum() == pytest.approx(math.fsum(values), rel=1e-13)


def test_hundred_chunks_of_adversarial_magnitudes() -> None:
    # Chunk totals of +1e16 and -1e16 alternate with chunks of values near 1: a plain running
    # sum of the chunk totals loses them (1e16 + 1 == 1e16); compensated merging keeps them.
    # The big chunks are 4 x 2.5e15, so their totals are exact and only the merging is tested.
    chunks = []
    for i in range(100):
        if i % 4 == 0:
            chunks.append(np.full(4, 2.5e15))
        elif i % 4 == 2:
            chunks.append(np.full(4, -2.5e15))
        else:
            chunks.append(np.full(7, 1.0 + i * 1e-3))
    acc = Accumulator()
    for chunk in chunks:
        acc.add(chunk)
    everything = np.concatenate(chunks)
    exact = math.fsum(everything)
    assert acc.sum() == pytest.approx(exact, rel=1e-12)
    assert acc.mean() == pytest.approx(exact / everything.size, rel=1e-12)
    naive = 0.0
    for chunk in chunks:
        naive += float(np.sum(chunk))
    assert abs(naive - exact) > 1.0  # the case is really adversarial

    # Non-negative losses of wildly different sizes, 100 chunks, merged in any order.
    rng = np.random.default_rng(3)
    parts = [
        np.exp(rng.uniform(-30, 30)) * rng.uniform(0, 1, size=rng.integers(1, 50))
        for _ in range(100)
    ]
    exact = math.fsum(np.concatenate(parts))
    forward, backward = Accumulator(), Accumulator()
    for part in parts:
        forward.add(part)
    for part in reversed(parts):
        backward.add(part)
    in_memory = Accumulator()
    in_memory.add(np.concatenate(parts))
    for acc in (forward, backward):
        assert acc.sum() == pytest.approx(exact, rel=1e-14)
        assert acc.mean() == pytest.approx(in_memory.mean(), rel=1e-12)


def test_accumulator_merge() -> None:
    rng = np.random.default_rng(5)
    values = rng.exponential(size=1000) * 10.0 ** rng.integers(-8, 8, size=1000)
    weights = rng.uniform(0, 2, size=1000)
    whole = Accumulator()
    whole.add(values, weights)
    left, right = Accumulator(), Accumulator()
    left.add(values[:300], weights[:300])
    right.add(values[300:700], weights[300:700])
    right.add(values[700:], weights[700:])
    left.merge(right)
    assert left.count == whole.count == 1000
    assert left.sum() == pytest.approx(math.fsum(weights * values), rel=1e-13)
    assert left.mean() == pytest.approx(whole.mean(), rel=1e-12)
    assert left.result("mean") == left.mean() and left.result("sum") == left.sum()
    # Merging an empty accumulator changes nothing.
    before = (left.sum(), left.mean(), left.count)
    left.merge(Accumulator())
    assert (left.sum(), left.mean(), left.count) == before
    # Merging is the same as adding the chunks in one accumulator.
    a, b = Accumulator(), Accumulator()
    a.add(np.array([1e16]))
    b.add(np.array([1.0, 1.0]))
    b.add(np.array([-1e16]))
    a.merge(b)
    assert a.sum() == 2.0 and a.mean() == pytest.approx(2.0 / 4)


def test_accumulator_weights_and_infinities() -> None:
    acc = Accumulator()
    acc.add(np.array([1.0, math.inf, 3.0]), np.array([1.0, 0.0, 1.0]))
    assert acc.mean() == 2.0  # a zero-weight infinite example contributes nothing
    acc.add(np.array([math.inf]))
    assert acc.sum() == math.inf and acc.mean() == math.inf
    empty_weights = Accumulator()
    empty_weights.add(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    with pytest.raises(DataError, match="weights sum to 0"):
        empty_weights.mean()
