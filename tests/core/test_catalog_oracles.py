"""The catalog's further losses against the libraries that define them (docs/design.md,
section 7): values against scikit-learn and SciPy, values and autograd gradients against
PyTorch, frozen as data with their inputs (tests/torch_reference.py;
tools/freeze_torch_references.py recomputes them).

Where a framework's convention differs on purpose, the comparison is made under losscli's
named convention for it (--convention torch, sklearn): the point is that the convention
reproduces the framework, number for number.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_reference import as_numpy, torch_reference

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
    assert mean("mape", y, p) == pytest.approx(
        metrics.mean_absolute_percentage_error(y, p), rel=RTOL
    )
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
        per_example("generalized-kl", raw_p * 3, raw_q),
        special.kl_div(raw_p * 3, raw_q).sum(1),
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


# --- PyTorch (frozen) --------------------------------------------------------------------------
# PyTorch's values and autograd's gradients are frozen in tests/data/torch_references.npz with
# their inputs (tests/torch_reference.py); each `record` is the PyTorch computation that
# tools/freeze_torch_references.py runs again.


def _t(torch, x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


def test_poisson_and_gaussian_match_torch(rng):
    def record(torch):
        out = {}
        y = rng.poisson(3.0, N).astype(float)
        eta = rng.normal(size=N)
        x = _t(torch, eta, grad=True)
        loss = torch.nn.PoissonNLLLoss(log_input=True)(x, _t(torch, y))
        loss.backward()
        out |= {"y": y, "eta": eta, "log_value": loss.item(), "log_grad": as_numpy(x.grad)}
        mu = rng.uniform(0.1, 5, N)
        x = _t(torch, mu, grad=True)
        loss = torch.nn.PoissonNLLLoss(log_input=False)(x, _t(torch, y))
        loss.backward()
        out |= {"mu": mu, "rate_value": loss.item(), "rate_grad": as_numpy(x.grad)}
        # GaussianNLLLoss, including variances below its 1e-6 floor.
        target, means = rng.normal(size=N), rng.normal(size=N)
        var = rng.uniform(0.01, 3, N)
        var[:5] = 1e-9
        m, v = _t(torch, means, grad=True), _t(torch, var, grad=True)
        loss = torch.nn.GaussianNLLLoss(full=False)(m, _t(torch, target), v)
        loss.backward()
        full = torch.nn.GaussianNLLLoss(full=True, reduction="none")(
            _t(torch, means[5:]), _t(torch, target[5:]), _t(torch, var[5:])
        )
        return out | {"target": target, "means": means, "var": var, "gauss_value": loss.item(),
                      "gauss_grad_mean": as_numpy(m.grad), "gauss_grad_var": as_numpy(v.grad),
                      "gauss_full": as_numpy(full)}  # fmt: skip

    r = torch_reference("catalog/poisson_and_gaussian", record)
    y, eta, mu = r["y"], r["eta"], r["mu"]
    assert mean("poisson", y, eta, space="log", convention="torch") == pytest.approx(
        float(r["log_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("poisson", y, eta, space="log"), r["log_grad"], rtol=1e-12
    )
    assert mean("poisson", y, mu, convention="torch") == pytest.approx(
        float(r["rate_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("poisson", y, mu, convention="torch"), r["rate_grad"], rtol=1e-12
    )
    target, pred = r["target"], np.column_stack([r["means"], r["var"]])
    assert mean("gaussian-nll", target, pred, convention="torch") == pytest.approx(
        float(r["gauss_value"]), rel=RTOL
    )
    g = grad_of_mean("gaussian-nll", target, pred, convention="torch")
    np.testing.assert_allclose(g[:, 0], r["gauss_grad_mean"], rtol=1e-12)
    np.testing.assert_allclose(g[:, 1], r["gauss_grad_var"], rtol=1e-12)
    # The catalog (full=True) has no floor: compared where the floor is inactive.
    np.testing.assert_allclose(
        per_example("gaussian-nll", target[5:], pred[5:]), r["gauss_full"], rtol=1e-12
    )


def test_multilabel_and_class_weighted_cross_entropy_match_torch(rng):
    pos_weight = [0.5, 1.0, 2.0, 4.0]
    weights = [0.3, 1.0, 2.5, 4.0]

    def record(torch):
        y = rng.integers(0, 2, (N, 4)).astype(float)
        z = rng.normal(scale=3, size=(N, 4))
        x = _t(torch, z, grad=True)
        loss = torch.nn.BCEWithLogitsLoss(pos_weight=_t(torch, pos_weight))(x, _t(torch, y))
        loss.backward()
        out = {"y": y, "z": z, "bce_value": loss.item(), "bce_grad": as_numpy(x.grad)}
        labels = rng.integers(0, 4, N)
        x = _t(torch, z, grad=True)
        loss = torch.nn.CrossEntropyLoss(weight=_t(torch, weights))(x, torch.tensor(labels))
        loss.backward()
        out |= {"labels": labels, "ce_value": loss.item(), "ce_grad": as_numpy(x.grad)}
        # MultiMarginLoss divides by C (its torch convention).
        scores = rng.normal(size=(N, 4))
        x = _t(torch, scores, grad=True)
        loss = torch.nn.MultiMarginLoss()(x, torch.tensor(labels))
        loss.backward()
        return out | {"scores": scores, "mm_value": loss.item(), "mm_grad": as_numpy(x.grad)}

    r = torch_reference("catalog/multilabel_and_class_weighted", record)
    y, z, labels, scores = r["y"], r["z"], r["labels"].astype(int), r["scores"]
    w = ",".join(map(str, pos_weight))
    assert mean("multilabel-bce", y, z, space="logit", pos_weight=w) == pytest.approx(
        float(r["bce_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("multilabel-bce", y, z, space="logit", pos_weight=w), r["bce_grad"], rtol=1e-11
    )
    cw = ",".join(map(str, weights))
    args = dict(space="logit", convention="torch", class_weights=cw)
    assert mean("cross-entropy", labels, z, **args) == pytest.approx(float(r["ce_value"]), rel=RTOL)
    np.testing.assert_allclose(
        grad_of_mean("cross-entropy", labels, z, **args), r["ce_grad"], rtol=1e-11
    )
    assert mean("multi-margin", labels, scores, convention="torch") == pytest.approx(
        float(r["mm_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("multi-margin", labels, scores, convention="torch"), r["mm_grad"], rtol=1e-12
    )


def test_metric_losses_match_torch(rng):
    def record(torch):
        a, p, n = (rng.normal(size=(N, 3)) for _ in range(3))
        p[:3] = a[:3]  # coincident anchor and positive: where the epsilon conventions show
        out = {"a": a, "p": p, "n": n}
        for p_norm in (1.0, 2.0, 3.0):
            ta, tp, tn = _t(torch, a, True), _t(torch, p, True), _t(torch, n, True)
            loss = torch.nn.TripletMarginLoss(margin=1.0, p=p_norm)(ta, tp, tn)
            loss.backward()
            grad = np.concatenate([as_numpy(ta.grad), as_numpy(tp.grad), as_numpy(tn.grad)], axis=1)
            out |= {f"triplet_value_{p_norm}": loss.item(), f"triplet_grad_{p_norm}": grad}
        y = np.where(rng.integers(0, 2, N) == 1, 1.0, -1.0)
        x1, x2 = rng.normal(size=(N, 4)), rng.normal(size=(N, 4))
        t1, t2 = _t(torch, x1, True), _t(torch, x2, True)
        loss = torch.nn.CosineEmbeddingLoss(margin=0.2)(t1, t2, _t(torch, y))
        loss.backward()
        out |= {"y": y, "x1": x1, "x2": x2, "cos_value": loss.item(),
                "cos_grad": np.concatenate([as_numpy(t1.grad), as_numpy(t2.grad)], axis=1)}  # fmt: skip
        s1, s2 = rng.normal(size=N), rng.normal(size=N)
        t1, t2 = _t(torch, s1, True), _t(torch, s2, True)
        loss = torch.nn.MarginRankingLoss(margin=0.3)(t1, t2, _t(torch, y))
        loss.backward()
        return out | {"s1": s1, "s2": s2, "rank_value": loss.item(),
                      "rank_grad": np.column_stack([as_numpy(t1.grad), as_numpy(t2.grad)])}  # fmt: skip

    r = torch_reference("catalog/metric_losses", record)
    rows = np.concatenate([r["a"], r["p"], r["n"]], axis=1)
    for p_norm in (1.0, 2.0, 3.0):
        args = dict(convention="torch", p_norm=p_norm)
        assert mean("triplet", None, rows, **args) == pytest.approx(
            float(r[f"triplet_value_{p_norm}"]), rel=RTOL
        )
        g = grad_of_mean("triplet", None, rows, **args)
        np.testing.assert_allclose(g, r[f"triplet_grad_{p_norm}"], atol=1e-15)
    y = r["y"]
    pairs = np.concatenate([r["x1"], r["x2"]], axis=1)
    assert mean("cosine-embedding", y, pairs, margin=0.2) == pytest.approx(
        float(r["cos_value"]), rel=1e-10
    )
    g = grad_of_mean("cosine-embedding", y, pairs, margin=0.2)
    np.testing.assert_allclose(g, r["cos_grad"], rtol=1e-8, atol=1e-12)
    scores = np.column_stack([r["s1"], r["s2"]])
    assert mean("margin-ranking", y, scores, margin=0.3) == pytest.approx(
        float(r["rank_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("margin-ranking", y, scores, margin=0.3), r["rank_grad"], rtol=1e-15
    )


def test_contrastive_batches_match_torch_autograd(rng):
    pairs = 5

    def record(torch):
        # InfoNCE: F.cross_entropy(s / τ, positive column).
        s = rng.uniform(-1, 1, (N, 6))
        labels = rng.integers(0, 6, N)
        x = _t(torch, s, True)
        loss = torch.nn.functional.cross_entropy(x / 0.07, torch.tensor(labels))
        loss.backward()
        out = {"s": s, "labels": labels, "nce_value": loss.item(), "nce_grad": as_numpy(x.grad)}
        # NT-Xent (SimCLR): cosine similarity over the batch, self excluded, twin as the label.
        emb = rng.normal(size=(2 * pairs, 3))
        x = _t(torch, emb, True)
        u = torch.nn.functional.normalize(x, dim=1)
        sim = (u @ u.T / 0.5).masked_fill(torch.eye(2 * pairs, dtype=torch.bool), float("-inf"))
        twins = torch.tensor(np.concatenate([np.arange(pairs) + pairs, np.arange(pairs)]))
        loss = torch.nn.functional.cross_entropy(sim, twins)
        loss.backward()
        return out | {"emb": emb, "xent_value": loss.item(), "xent_grad": as_numpy(x.grad)}

    r = torch_reference("catalog/contrastive_batches", record)
    s, labels = r["s"], r["labels"].astype(int)
    assert mean("infonce", labels, s) == pytest.approx(float(r["nce_value"]), rel=RTOL)
    np.testing.assert_allclose(grad_of_mean("infonce", labels, s), r["nce_grad"], rtol=1e-10)
    ids = np.concatenate([np.arange(pairs), np.arange(pairs)])
    emb = r["emb"]
    assert mean("nt-xent", ids, emb, temperature=0.5) == pytest.approx(
        float(r["xent_value"]), rel=RTOL
    )
    np.testing.assert_allclose(
        grad_of_mean("nt-xent", ids, emb, temperature=0.5), r["xent_grad"], rtol=1e-10, atol=1e-15
    )


def test_softmax_focal_and_poly1_gradients_match_torch_autograd(rng):
    def record(torch):
        z = rng.normal(scale=2, size=(N, 5))
        labels = rng.integers(0, 5, N)
        onehot = np.eye(5)[labels]
        out = {"z": z, "labels": labels}
        for gamma in (0.5, 2.0):
            x = _t(torch, z, True)
            logp = torch.log_softmax(x, dim=1)
            loss = -(_t(torch, onehot) * (1 - logp.exp()) ** gamma * logp).sum(1).mean()
            loss.backward()
            out |= {f"focal_value_{gamma}": loss.item(), f"focal_grad_{gamma}": as_numpy(x.grad)}
        x = _t(torch, z, True)
        logp = torch.log_softmax(x, dim=1)
        pt = (_t(torch, onehot) * logp.exp()).sum(1)
        loss = (-(_t(torch, onehot) * logp).sum(1) + 2.0 * (1 - pt)).mean()
        loss.backward()
        return out | {"poly_value": loss.item(), "poly_grad": as_numpy(x.grad)}

    r = torch_reference("catalog/softmax_focal_and_poly1", record)
    z, labels = r["z"], r["labels"].astype(int)
    for gamma in (0.5, 2.0):
        assert mean("softmax-focal", labels, z, space="logit", gamma=gamma) == pytest.approx(
            float(r[f"focal_value_{gamma}"]), rel=1e-12
        )
        np.testing.assert_allclose(
            grad_of_mean("softmax-focal", labels, z, space="logit", gamma=gamma),
            r[f"focal_grad_{gamma}"],
            rtol=1e-10,
            atol=1e-15,
        )
    assert mean("poly1", labels, z, space="logit") == pytest.approx(
        float(r["poly_value"]), rel=1e-12
    )
    np.testing.assert_allclose(
        grad_of_mean("poly1", labels, z, space="logit"), r["poly_grad"], rtol=1e-10, atol=1e-15
    )
