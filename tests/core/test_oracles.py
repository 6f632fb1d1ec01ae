"""Agreement with other libraries where they define the same thing (docs/design.md section 7).

scikit-learn and SciPy are test dependencies; PyTorch is optional. Each oracle is imported with
pytest.importorskip, so these tests skip cleanly where a library is absent. Conventions that
differ on purpose (clamps, factors of 1/2, argument order) are set so both sides compute the
same mathematical quantity; see docs/design.md section 5 for the differences themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.core import evaluate, gradient, make_request

RTOL = 1e-12
N = 200
EPS = np.finfo(np.float64).eps


def agree(actual: np.ndarray, expected: np.ndarray, scale: object = 1.0) -> None:
    """Equal to RTOL relative, or to the oracle's own absolute rounding.

    Where a result is a difference of terms of size `scale` (logsumexp(z) - z_y, expit(z) - y,
    KL cells of both signs), an oracle that forms the difference keeps only about eps * scale
    absolute accuracy; losscli's stable forms keep more (test_numerics checks them against
    50-digit arithmetic). Such values may differ by a few eps * scale, never by more.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    tol = RTOL * np.abs(expected) + 8 * EPS * np.asarray(scale)
    bad = ~(np.abs(actual - expected) <= tol)
    assert not bad.any(), f"losscli {actual[bad]} vs oracle {expected[bad]}"


def row_scale(z: np.ndarray) -> np.ndarray:
    """The size of the terms a log-softmax of each row cancels: its largest |logit| (+1)."""
    return np.abs(z).max(axis=-1) + 1.0 if z.ndim > 1 else np.abs(z) + 1.0


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def mean(name: str, y_true: object, y_pred: object, **kw: object) -> float:
    space = kw.pop("space", None)
    weights = kw.pop("weights", None)
    request = make_request(name, kw, space=space)  # type: ignore[arg-type]
    value = evaluate(request, y_true, y_pred, weights=weights).value
    assert value is not None
    return value


def per_example(name: str, y_true: object, y_pred: object, **kw: object) -> np.ndarray:
    space = kw.pop("space", None)
    request = make_request(name, kw, space=space)  # type: ignore[arg-type]
    return evaluate(request, y_true, y_pred, reduction="none").values


def grads(name: str, y_true: object, y_pred: object, **kw: object) -> np.ndarray:
    space = kw.pop("space", None)
    request = make_request(name, kw, space=space)  # type: ignore[arg-type]
    return gradient(request, y_true, y_pred).grads


def probability_rows(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    # Kept away from 0 and 1: scikit-learn clips at float64 eps, losscli does not.
    raw = rng.uniform(0.05, 1.0, size=(n, k))
    return raw / raw.sum(axis=1, keepdims=True)


# --- scikit-learn ------------------------------------------------------------------------------


def test_binary_log_loss_matches_sklearn(rng: np.random.Generator) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.integers(0, 2, size=N)
    p = rng.uniform(0.01, 0.99, size=N)
    expected = metrics.log_loss(y, p, labels=[0, 1])
    assert mean("bce", y, p) == pytest.approx(expected, rel=RTOL)
    # Cross-entropy with one probability column is the same binary case.
    assert mean("cross-entropy", y, p[:, None]) == pytest.approx(expected, rel=RTOL)
    # And with two columns (1 - p, p).
    assert mean("cross-entropy", y, np.c_[1 - p, p]) == pytest.approx(expected, rel=RTOL)
    w = rng.uniform(0, 3, size=N)
    weighted = metrics.log_loss(y, p, labels=[0, 1], sample_weight=w)
    assert mean("bce", y, p, weights=w) == pytest.approx(weighted, rel=RTOL)


@pytest.mark.parametrize("k", [3, 7])
def test_multiclass_log_loss_matches_sklearn(rng: np.random.Generator, k: int) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.integers(0, k, size=N)
    p = probability_rows(rng, N, k)
    expected = metrics.log_loss(y, p, labels=list(range(k)))
    assert mean("cross-entropy", y, p) == pytest.approx(expected, rel=RTOL)
    assert mean("cross-entropy", np.eye(k)[y], p) == pytest.approx(expected, rel=RTOL)
    assert mean("cross-entropy", y, np.log(p), space="logprob") == pytest.approx(expected, rel=RTOL)


def test_hinge_matches_sklearn(rng: np.random.Generator) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.choice([-1, 1], size=N)
    f = rng.normal(scale=2.0, size=N)
    expected = metrics.hinge_loss(y, f)
    assert mean("hinge", y, f) == pytest.approx(expected, rel=RTOL)
    # scikit-learn accepts any two labels; losscli maps 0/1 to -1/+1 the same way.
    assert mean("hinge", (y + 1) // 2, f) == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(
    ("name", "oracle"), [("mse", "mean_squared_error"), ("mae", "mean_absolute_error")]
)
def test_regression_means_match_sklearn(rng: np.random.Generator, name: str, oracle: str) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.normal(scale=5.0, size=N)
    p = y + rng.standard_t(df=2, size=N)
    assert mean(name, y, p) == pytest.approx(getattr(metrics, oracle)(y, p), rel=RTOL)
    w = rng.uniform(0, 2, size=N)
    expected = getattr(metrics, oracle)(y, p, sample_weight=w)
    assert mean(name, y, p, weights=w) == pytest.approx(expected, rel=RTOL)


# --- SciPy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [0.1, 1.0, 1.345, 5.0])
def test_huber_matches_scipy(rng: np.random.Generator, delta: float) -> None:
    special = pytest.importorskip("scipy.special")
    y = rng.normal(size=N)
    p = y + rng.standard_t(df=1.5, size=N)
    # SciPy takes delta first: huber(delta, r).
    expected = special.huber(delta, p - y)
    np.testing.assert_allclose(per_example("huber", y, p, delta=delta), expected, rtol=RTOL)


@pytest.mark.parametrize("k", [2, 5])
def test_kl_matches_scipy_rel_entr(rng: np.random.Generator, k: int) -> None:
    special = pytest.importorskip("scipy.special")
    p = probability_rows(rng, N, k)
    p[::4, 0] = 0.0  # 0 ln 0 = 0 on both sides
    p /= p.sum(axis=1, keepdims=True)
    q = probability_rows(rng, N, k)
    cells = special.rel_entr(p, q)
    # Each cell's log carries an absolute rounding of about eps, times P_k: scale 1 + sum |cells|.
    agree(per_example("kl", p, q), cells.sum(axis=1), scale=1 + np.abs(cells).sum(axis=1))
    # Reverse: KL(Q||P); rows where P has a zero are infinite on both sides.
    reverse = per_example("kl", p, q, direction="reverse")
    expected = special.rel_entr(q, p).sum(axis=1)
    assert np.array_equal(np.isinf(reverse), np.isinf(expected))
    finite = np.isfinite(expected)
    scale = 1 + np.abs(special.rel_entr(q, p)).sum(axis=1)[finite]
    agree(reverse[finite], expected[finite], scale=scale)
    # The textbook term, not special.kl_div (which adds -p + q per cell): they agree only
    # because each row sums to 1.
    np.testing.assert_allclose(
        per_example("kl", p, q), special.kl_div(p, q).sum(axis=1), rtol=1e-9, atol=1e-15
    )


def test_cross_entropy_on_logits_matches_scipy_log_softmax(rng: np.random.Generator) -> None:
    special = pytest.importorskip("scipy.special")
    z = rng.normal(scale=5.0, size=(N, 4))
    y = rng.integers(0, 4, size=N)
    expected = -special.log_softmax(z, axis=1)[np.arange(N), y]
    agree(per_example("ce", y, z, space="logit"), expected, scale=row_scale(z))
    onehot = np.eye(4)[y]
    agree(grads("ce", y, z, space="logit"), special.softmax(z, axis=1) - onehot)


def test_bce_on_logits_matches_scipy(rng: np.random.Generator) -> None:
    special = pytest.importorskip("scipy.special")
    z = rng.normal(scale=8.0, size=N)
    y = rng.integers(0, 2, size=N).astype(float)
    # -[y ln sigmoid(z) + (1 - y) ln sigmoid(-z)] with SciPy's log_expit.
    expected = -(y * special.log_expit(z) + (1 - y) * special.log_expit(-z))
    agree(per_example("bce", y, z, space="logit"), expected)
    agree(grads("bce", y, z, space="logit"), special.expit(z) - y)


# --- PyTorch (optional) ------------------------------------------------------------------------


@pytest.fixture
def torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch")


def autograd(torch, fn, x: np.ndarray):  # type: ignore[no-untyped-def]
    """Per-example losses of fn at x, and d(sum of losses)/dx (= per-example gradients)."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = fn(t)
    out.sum().backward()
    return out.detach().numpy(), t.grad.numpy()


def test_bce_with_logits_matches_torch(torch, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    functional = torch.nn.functional
    z = rng.normal(scale=8.0, size=N)
    y = rng.uniform(0, 1, size=N)  # soft targets too
    target = torch.tensor(y, dtype=torch.float64)
    value, grad = autograd(
        torch,
        lambda t: functional.binary_cross_entropy_with_logits(t, target, reduction="none"),
        z,
    )
    agree(per_example("bce", y, z, space="logit"), value, scale=row_scale(z))
    agree(grads("bce", y, z, space="logit"), grad)


def test_cross_entropy_matches_torch(torch, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    functional = torch.nn.functional
    z = rng.normal(scale=5.0, size=(N, 5))
    y = rng.integers(0, 5, size=N)
    labels = torch.tensor(y)
    value, grad = autograd(
        torch, lambda t: functional.cross_entropy(t, labels, reduction="none"), z
    )
    agree(per_example("ce", y, z, space="logit"), value, scale=row_scale(z))
    agree(grads("ce", y, z, space="logit"), grad)
    # Soft targets (probabilities as the target, as CrossEntropyLoss accepts).
    soft = probability_rows(rng, N, 5)
    target = torch.tensor(soft, dtype=torch.float64)
    value, grad = autograd(
        torch, lambda t: functional.cross_entropy(t, target, reduction="none"), z
    )
    agree(per_example("ce", soft, z, space="logit"), value, scale=row_scale(z))
    agree(grads("ce", soft, z, space="logit"), grad)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_matches_torch(torch, rng: np.random.Generator, delta: float) -> None:  # type: ignore[no-untyped-def]
    functional = torch.nn.functional
    y = rng.normal(size=N)
    p = y + rng.standard_t(df=2, size=N)
    target = torch.tensor(y, dtype=torch.float64)
    value, grad = autograd(
        torch, lambda t: functional.huber_loss(t, target, delta=delta, reduction="none"), p
    )
    np.testing.assert_allclose(per_example("huber", y, p, delta=delta), value, rtol=RTOL)
    np.testing.assert_allclose(grads("huber", y, p, delta=delta), grad, rtol=RTOL)


def test_mse_and_mae_match_torch(torch, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    functional = torch.nn.functional
    y = rng.normal(size=N)
    p = y + rng.normal(size=N)
    p[:5] = y[:5]  # r = 0: both use the subgradient sign(0) = 0 for L1
    target = torch.tensor(y, dtype=torch.float64)
    value, grad = autograd(torch, lambda t: functional.mse_loss(t, target, reduction="none"), p)
    np.testing.assert_allclose(per_example("mse", y, p), value, rtol=RTOL)
    np.testing.assert_allclose(grads("mse", y, p), grad, rtol=RTOL)
    value, grad = autograd(torch, lambda t: functional.l1_loss(t, target, reduction="none"), p)
    np.testing.assert_allclose(per_example("mae", y, p), value, rtol=RTOL)
    np.testing.assert_array_equal(grads("mae", y, p), grad)


def test_kl_matches_torch_kl_div(torch, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    # F.kl_div(input=log Q, target=P) is KL(P||Q) per cell; summed per row. Its gradient wrt
    # log Q is losscli's gradient in log-probability space.
    functional = torch.nn.functional
    p = probability_rows(rng, N, 4)
    p[::3, 1] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    log_q = np.log(probability_rows(rng, N, 4))
    target = torch.tensor(p, dtype=torch.float64)
    value, grad = autograd(
        torch, lambda t: functional.kl_div(t, target, reduction="none").sum(dim=1), log_q
    )
    scale = 1 + np.abs(p * (np.log(np.where(p > 0, p, 1)) - log_q)).sum(axis=1)
    agree(per_example("kl", p, log_q, space="logprob"), value, scale=scale)
    agree(per_example("kl", p, np.exp(log_q)), value, scale=scale)
    agree(grads("kl", p, log_q, space="logprob"), grad)


def test_kl_reverse_and_logits_match_torch_autograd(torch, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    # Reverse KL(Q||P) with Q = softmax(z), differentiated by autograd.
    p = probability_rows(rng, N, 4)
    z = rng.normal(scale=3.0, size=(N, 4))
    log_p = torch.tensor(np.log(p), dtype=torch.float64)

    def reverse(t):  # type: ignore[no-untyped-def]
        log_q = torch.log_softmax(t, dim=1)
        return (log_q.exp() * (log_q - log_p)).sum(dim=1)

    value, grad = autograd(torch, reverse, z)
    kw = {"space": "logit", "direction": "reverse"}
    agree(per_example("kl", p, z, **kw), value, scale=4 * row_scale(z))
    agree(grads("kl", p, z, **kw), grad, scale=4 * row_scale(z)[:, None])


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_focal_matches_torchvision_formula(
    torch, rng: np.random.Generator, gamma: float, alpha: float | None
) -> None:  # type: ignore[no-untyped-def]
    # torchvision.ops.sigmoid_focal_loss, written out (torchvision itself is not required):
    # ce = BCE-with-logits; p_t = p y + (1-p)(1-y); loss = ce (1 - p_t)^gamma, times
    # alpha y + (1 - alpha)(1 - y) when alpha is used. Moderate logits: torchvision's own
    # form loses precision (and its gradient is NaN for gamma < 1) at saturation.
    functional = torch.nn.functional
    z = rng.normal(scale=3.0, size=N)
    y = rng.integers(0, 2, size=N).astype(float)
    target = torch.tensor(y, dtype=torch.float64)

    def focal(t):  # type: ignore[no-untyped-def]
        p = torch.sigmoid(t)
        ce = functional.binary_cross_entropy_with_logits(t, target, reduction="none")
        p_t = p * target + (1 - p) * (1 - target)
        loss = ce * (1 - p_t) ** gamma
        if alpha is not None:
            loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
        return loss

    value, grad = autograd(torch, focal, z)
    kw: dict[str, object] = {"space": "logit", "gamma": gamma}
    if alpha is not None:
        kw["alpha"] = alpha
    agree(per_example("focal", y, z, **kw), value, scale=row_scale(z))
    agree(grads("focal", y, z, **kw), grad, scale=row_scale(z))
