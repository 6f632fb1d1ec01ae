"""The catalog's further losses against the libraries that define them (docs/design.md section 7): values
against scikit-learn and SciPy, values and autograd gradients against PyTorch where it is
installed (pytest.importorskip: these tests skip cleanly without it).

Where a framework's convention differs on purpose, the comparison is made under losscli's
named convention for it (--convention torch, sklearn): the point is that the convention
reproduces the framework, number for number.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.core import evaluate, gradient, make_request

N = 60
RTOL = 1e-12


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(8)


def mean(name, y_true, y_pred, space=None, convention="catalog", weights=None, **params):
    request = make_request(name, params, space=space, convention=convention)
    return evaluate(request, y_true, y_pred, weights=weights).value


def per_example(name, y_true, y_pred, space=None, convention="catalog", **params):
    request = make_request(name, params, space=space, convention=convention)
    return evaluate(request, y_true, y_pred, reduction="none").values


def grad_of_mean(name, y_true, y_pred, space=None, convention="catalog", **params):
    request = make_request(name, params, space=space, convention=convention)
    return gradient(request, y_true, y_pred, reduction="mean").grads


# --- scikit-learn ------------------------------------------------------------------------------


def test_regression_metrics_match_sklearn(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.uniform(0.5, 10, N)
    p = rng.uniform(0.5, 10, N)
    w = rng.uniform(0, 2, N)
    assert mean("mape", y, p) == pytest.approx(metrics.mean_absolute_percentage_error(y, p), rel=RTOL)
    assert mean("msle", y, p) == pytest.approx(metrics.mean_squared_log_error(y, p), rel=RTOL)
    assert mean("rmse", y, p) == pytest.approx(metrics.root_mean_squared_error(y, p), rel=RTOL)
    assert mean("rmse", y, p, weights=w) == pytest.approx(
        metrics.root_mean_squared_error(y, p, sample_weight=w), rel=RTOL
    )
    for tau in (0.1, 0.5, 0.93):
        assert mean("pinball", y, p, quantile=tau) == pytest.approx(
            metrics.mean_pinball_loss(y, p, alpha=tau), rel=RTOL
        )
    # MAPE on a zero target: scikit-learn's floor, reproduced by its convention.
    y0 = np.concatenate([[0.0], y[1:]])
    assert mean("mape", y0, p, convention="sklearn") == pytest.approx(
        metrics.mean_absolute_percentage_error(y0, p), rel=RTOL
    )


def test_deviances_match_sklearn(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    y = rng.poisson(3.0, N).astype(float)
    mu = rng.uniform(0.2, 8, N)
    assert mean("poisson", y, mu, convention="sklearn") == pytest.approx(
        metrics.mean_poisson_deviance(y, mu), rel=RTOL
    )
    for power in (1.0, 1.2, 1.5, 1.9):
        assert mean("tweedie", y, mu, power=power) == pytest.approx(
            metrics.mean_tweedie_deviance(y, mu, power=power), rel=1e-11
        )
    y_pos = y + 0.5
    for power in (2.0, 2.5, 3.0):
        assert mean("tweedie", y_pos, mu, power=power) == pytest.approx(
            metrics.mean_tweedie_deviance(y_pos, mu, power=power), rel=1e-11
        )
    assert mean("gamma-deviance", y_pos, mu) == pytest.approx(
        metrics.mean_gamma_deviance(y_pos, mu), rel=RTOL
    )


def test_brier_and_multiclass_hinge_match_sklearn(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    y2 = rng.integers(0, 2, N)
    p1 = rng.uniform(0, 1, N)
    assert mean("brier", y2, p1) == pytest.approx(metrics.brier_score_loss(y2, p1), rel=RTOL)
    for k in (2, 3, 5):
        y = rng.integers(0, k, N)
        y[:k] = np.arange(k)  # every class present, as scikit-learn infers them
        raw = rng.uniform(0.05, 1, (N, k))
        rows = raw / raw.sum(axis=1, keepdims=True)
        assert mean("brier", y, rows, convention="sklearn") == pytest.approx(
            metrics.brier_score_loss(y, rows, labels=list(range(k))), rel=RTOL
        )
    y = rng.integers(0, 4, N)
    y[:4] = np.arange(4)
    scores = rng.normal(size=(N, 4))
    assert mean("multiclass-hinge", y, scores) == pytest.approx(
        metrics.hinge_loss(y, scores, labels=[0, 1, 2, 3]), rel=RTOL
    )


# --- SciPy ------------------------------------------------------------------------------------


def test_divergences_match_scipy(rng):
    special = pytest.importorskip("scipy.special")
    distance = pytest.importorskip("scipy.spatial.distance")
    stats = pytest.importorskip("scipy.stats")
    raw_p, raw_q = rng.uniform(0.01, 1, (N, 4)), rng.uniform(0.01, 1, (N, 4))
    p, q = raw_p / raw_p.sum(1, keepdims=True), raw_q / raw_q.sum(1, keepdims=True)
    js = [distance.jensenshannon(a, b) ** 2 for a, b in zip(p, q, strict=True)]
    np.testing.assert_allclose(per_example("js", p, q), js, rtol=1e-10)
    js2 = [distance.jensenshannon(a, b, base=2) ** 2 for a, b in zip(p, q, strict=True)]
    np.testing.assert_allclose(per_example("js", p, q, log_base="2"), js2, rtol=1e-10)
    # Unnormalised rows: the sum of SciPy's kl_div cells.
    np.testing.assert_allclose(
        per_example("generalized-kl", raw_p * 3, raw_q), special.kl_div(raw_p * 3, raw_q).sum(1),
        rtol=1e-12,
    )
    # H(P, Q) = H(P) + KL(P || Q), both from scipy.stats.entropy.
    h = [stats.entropy(a) + stats.entropy(a, b) for a, b in zip(p, q, strict=True)]
    np.testing.assert_allclose(per_example("distribution-cross-entropy", p, q), h, rtol=1e-12)


def test_pseudo_huber_matches_scipy(rng):
    special = pytest.importorskip("scipy.special")
    y, p = rng.normal(size=N), rng.normal(scale=5, size=N)
    for delta in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(
            per_example("pseudo-huber", y, p, delta=delta),
            special.pseudo_huber(delta, p - y),
            rtol=1e-12,
        )


def test_gaussian_nll_matches_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    y, mu, var = rng.normal(size=N), rng.normal(size=N), rng.uniform(0.01, 5, N)
    expected = -stats.norm.logpdf(y, loc=mu, scale=np.sqrt(var))
    np.testing.assert_allclose(
        per_example("gaussian-nll", y, np.column_stack([mu, var])), expected, rtol=1e-12
    )


# --- PyTorch (optional) -------------------------------------------------------------------------


def _t(x, grad=False):
    torch = pytest.importorskip("torch")
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


def test_poisson_and_gaussian_match_torch(rng):
    torch = pytest.importorskip("torch")
    y = rng.poisson(3.0, N).astype(float)
    eta = rng.normal(size=N)
    x = _t(eta, grad=True)
    loss = torch.nn.PoissonNLLLoss(log_input=True)(x, _t(y))
    loss.backward()
    assert mean("poisson", y, eta, space="log", convention="torch") == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(grad_of_mean("poisson", y, eta, space="log"), x.grad.numpy(), rtol=1e-12)
    mu = rng.uniform(0.1, 5, N)
    x = _t(mu, grad=True)
    loss = torch.nn.PoissonNLLLoss(log_input=False)(x, _t(y))
    loss.backward()
    assert mean("poisson", y, mu, convention="torch") == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("poisson", y, mu, convention="torch"), x.grad.numpy(), rtol=1e-12
    )
    # GaussianNLLLoss, including variances below its 1e-6 floor.
    target, means = rng.normal(size=N), rng.normal(size=N)
    var = rng.uniform(0.01, 3, N)
    var[:5] = 1e-9
    m, v = _t(means, grad=True), _t(var, grad=True)
    for full, convention in ((True, None), (False, "torch")):
        m.grad, v.grad = None, None
        loss = torch.nn.GaussianNLLLoss(full=full)(m, _t(target), v)
        loss.backward()
        args = dict(convention=convention) if convention else {}
        # The catalog has no floor: compare it where the floor is inactive.
        rows = slice(None) if convention else slice(5, None)
        pred = np.column_stack([means, var])
        if convention:
            assert mean("gaussian-nll", target, pred, **args) == pytest.approx(loss.item(), rel=RTOL)
            g = grad_of_mean("gaussian-nll", target, pred, **args)
            np.testing.assert_allclose(g[:, 0], m.grad.numpy(), rtol=1e-12)
            np.testing.assert_allclose(g[:, 1], v.grad.numpy(), rtol=1e-12)
        else:
            ours = per_example("gaussian-nll", target[rows], pred[rows])
            theirs = torch.nn.GaussianNLLLoss(full=True, reduction="none")(
                _t(means[rows]), _t(target[rows]), _t(var[rows])
            )
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_multilabel_and_class_weighted_cross_entropy_match_torch(rng):
    torch = pytest.importorskip("torch")
    y = rng.integers(0, 2, (N, 4)).astype(float)
    z = rng.normal(scale=3, size=(N, 4))
    pos_weight = [0.5, 1.0, 2.0, 4.0]
    x = _t(z, grad=True)
    loss = torch.nn.BCEWithLogitsLoss(pos_weight=_t(pos_weight))(x, _t(y))
    loss.backward()
    w = ",".join(map(str, pos_weight))
    assert mean("multilabel-bce", y, z, space="logit", pos_weight=w) == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("multilabel-bce", y, z, space="logit", pos_weight=w), x.grad.numpy(), rtol=1e-11
    )
    labels = rng.integers(0, 4, N)
    weights = [0.3, 1.0, 2.5, 4.0]
    x = _t(z, grad=True)
    loss = torch.nn.CrossEntropyLoss(weight=_t(weights))(x, torch.tensor(labels))
    loss.backward()
    cw = ",".join(map(str, weights))
    args = dict(space="logit", convention="torch", class_weights=cw)
    assert mean("cross-entropy", labels, z, **args) == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(grad_of_mean("cross-entropy", labels, z, **args), x.grad.numpy(), rtol=1e-11)
    # MultiMarginLoss divides by C (its torch convention).
    scores = rng.normal(size=(N, 4))
    x = _t(scores, grad=True)
    loss = torch.nn.MultiMarginLoss()(x, torch.tensor(labels))
    loss.backward()
    assert mean("multi-margin", labels, scores, convention="torch") == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("multi-margin", labels, scores, convention="torch"), x.grad.numpy(), rtol=1e-12
    )


def test_metric_losses_match_torch(rng):
    torch = pytest.importorskip("torch")
    a, p, n = (rng.normal(size=(N, 3)) for _ in range(3))
    p[:3] = a[:3]  # coincident anchor and positive: where the epsilon conventions show
    rows = np.concatenate([a, p, n], axis=1)
    for p_norm in (1.0, 2.0, 3.0):
        ta, tp, tn = _t(a, True), _t(p, True), _t(n, True)
        loss = torch.nn.TripletMarginLoss(margin=1.0, p=p_norm)(ta, tp, tn)
        loss.backward()
        args = dict(convention="torch", p_norm=p_norm)
        assert mean("triplet", None, rows, **args) == pytest.approx(loss.item(), rel=RTOL)
        g = grad_of_mean("triplet", None, rows, **args)
        np.testing.assert_allclose(g, np.concatenate([ta.grad, tp.grad, tn.grad], axis=1), atol=1e-15)
    y = np.where(rng.integers(0, 2, N) == 1, 1.0, -1.0)
    x1, x2 = rng.normal(size=(N, 4)), rng.normal(size=(N, 4))
    t1, t2 = _t(x1, True), _t(x2, True)
    loss = torch.nn.CosineEmbeddingLoss(margin=0.2)(t1, t2, _t(y))
    loss.backward()
    pairs = np.concatenate([x1, x2], axis=1)
    assert mean("cosine-embedding", y, pairs, margin=0.2) == pytest.approx(loss.item(), rel=1e-10)
    g = grad_of_mean("cosine-embedding", y, pairs, margin=0.2)
    np.testing.assert_allclose(g, np.concatenate([t1.grad, t2.grad], axis=1), rtol=1e-8, atol=1e-12)
    s1, s2 = rng.normal(size=N), rng.normal(size=N)
    t1, t2 = _t(s1, True), _t(s2, True)
    loss = torch.nn.MarginRankingLoss(margin=0.3)(t1, t2, _t(y))
    loss.backward()
    scores = np.column_stack([s1, s2])
    assert mean("margin-ranking", y, scores, margin=0.3) == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("margin-ranking", y, scores, margin=0.3),
        np.column_stack([t1.grad, t2.grad]),
        rtol=1e-15,
    )


def test_contrastive_batches_match_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    # InfoNCE: F.cross_entropy(s / τ, positive column).
    s = rng.uniform(-1, 1, (N, 6))
    labels = rng.integers(0, 6, N)
    x = _t(s, True)
    loss = torch.nn.functional.cross_entropy(x / 0.07, torch.tensor(labels))
    loss.backward()
    assert mean("infonce", labels, s) == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(grad_of_mean("infonce", labels, s), x.grad.numpy(), rtol=1e-10)
    # NT-Xent (SimCLR): cosine similarity over the batch, self excluded, twin as the label.
    pairs = 5
    emb = rng.normal(size=(2 * pairs, 3))
    ids = np.concatenate([np.arange(pairs), np.arange(pairs)])
    x = _t(emb, True)
    u = torch.nn.functional.normalize(x, dim=1)
    sim = (u @ u.T / 0.5).masked_fill(torch.eye(2 * pairs, dtype=torch.bool), float("-inf"))
    twins = torch.tensor(np.concatenate([np.arange(pairs) + pairs, np.arange(pairs)]))
    loss = torch.nn.functional.cross_entropy(sim, twins)
    loss.backward()
    assert mean("nt-xent", ids, emb, temperature=0.5) == pytest.approx(loss.item(), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("nt-xent", ids, emb, temperature=0.5), x.grad.numpy(), rtol=1e-10, atol=1e-15
    )


def test_softmax_focal_and_poly1_gradients_match_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    z = rng.normal(scale=2, size=(N, 5))
    labels = rng.integers(0, 5, N)
    onehot = np.eye(5)[labels]
    for gamma in (0.5, 2.0):
        x = _t(z, True)
        logp = torch.log_softmax(x, dim=1)
        loss = -(_t(onehot) * (1 - logp.exp()) ** gamma * logp).sum(1).mean()
        loss.backward()
        assert mean("softmax-focal", labels, z, space="logit", gamma=gamma) == pytest.approx(
            loss.item(), rel=1e-12
        )
        np.testing.assert_allclose(
            grad_of_mean("softmax-focal", labels, z, space="logit", gamma=gamma),
            x.grad.numpy(),
            rtol=1e-10,
            atol=1e-15,
        )
    x = _t(z, True)
    logp = torch.log_softmax(x, dim=1)
    pt = (_t(onehot) * logp.exp()).sum(1)
    loss = (-(_t(onehot) * logp).sum(1) + 2.0 * (1 - pt)).mean()
    loss.backward()
    assert mean("poly1", labels, z, space="logit") == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(
        grad_of_mean("poly1", labels, z, space="logit"), x.grad.numpy(), rtol=1e-10, atol=1e-15
    )
