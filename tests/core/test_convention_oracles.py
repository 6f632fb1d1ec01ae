"""Each convention against the framework itself, on random inputs.

scikit-learn and SciPy come with the test extra. PyTorch is not a dependency: its values are
frozen as data with their inputs (tests/torch_reference.py; tools/freeze_torch_references.py
computes them again with PyTorch installed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from torch_reference import as_numpy, torch_reference

from losscli.core import evaluate, gradient, make_request

RNG_SEED = 20060601
N = 64


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


def ours(loss, y_true, y_pred, convention, reduction="none", space=None, **params):
    request = make_request(loss, params, convention=convention, space=space)
    ev = evaluate(request, y_true, y_pred, reduction=reduction)
    return ev.values if reduction == "none" else ev.value


def our_grad(loss, y_true, y_pred, convention, reduction="none", space=None, **params):
    request = make_request(loss, params, convention=convention, space=space)
    return gradient(request, y_true, y_pred, reduction=reduction).grads


def probabilities(rng, n):
    """Probabilities with exact 0s and 1s and values near both ends among ordinary ones."""
    p = rng.uniform(0, 1, n)
    p[:6] = [0.0, 1.0, 1e-30, 1 - 1e-12, 1e-8, 0.5]
    return p


# --- PyTorch (frozen) -------------------------------------------------------------------------
# PyTorch's values are frozen in tests/data/torch_references.npz with their inputs
# (tests/torch_reference.py); each `record` is the PyTorch computation that
# tools/freeze_torch_references.py runs again.


def tensor(torch, a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def test_torch_bce_on_probabilities(rng):
    def record(torch):
        p = probabilities(rng, N)
        y = rng.integers(0, 2, N).astype(float)
        y[:6] = [1, 0, 1, 1, 0, 1]
        pt = tensor(torch, p, grad=True)
        expected = torch.nn.functional.binary_cross_entropy(pt, tensor(torch, y), reduction="none")
        expected.sum().backward()
        return {"p": p, "y": y, "value": as_numpy(expected), "grad": as_numpy(pt.grad)}

    r = torch_reference("conventions/bce_probabilities", record)
    p, y = r["p"], r["y"]
    np.testing.assert_allclose(ours("bce", y, p, "torch"), r["value"], rtol=1e-12)
    np.testing.assert_allclose(our_grad("bce", y, p, "torch"), r["grad"], rtol=1e-12)


def test_torch_bce_with_logits_and_soft_targets(rng):
    def record(torch):
        z = rng.normal(0, 30, N)
        y = rng.uniform(0, 1, N)
        zt = tensor(torch, z, grad=True)
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            zt, tensor(torch, y), reduction="mean"
        )
        expected.backward()
        return {"z": z, "y": y, "value": expected.item(), "grad": as_numpy(zt.grad)}

    r = torch_reference("conventions/bce_with_logits", record)
    z, y = r["z"], r["y"]
    assert ours("bce", y, z, "torch", "mean", space="logit") == pytest.approx(
        float(r["value"]), rel=1e-13
    )
    g = our_grad("bce", y, z, "torch", "mean", space="logit")
    np.testing.assert_allclose(g, r["grad"], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.35])
def test_torch_cross_entropy_with_label_smoothing(rng, smoothing):
    def record(torch):
        z = rng.normal(0, 3, (N, 5))
        labels = rng.integers(0, 5, N)
        zt = tensor(torch, z, grad=True)
        expected = torch.nn.functional.cross_entropy(
            zt, torch.tensor(labels), label_smoothing=smoothing
        )
        expected.backward()
        return {"z": z, "labels": labels, "value": expected.item(), "grad": as_numpy(zt.grad)}

    r = torch_reference(f"conventions/cross_entropy_smoothing[{smoothing}]", record)
    z, labels = r["z"], r["labels"].astype(int)
    value = ours("ce", labels, z, "torch", "mean", space="logit", label_smoothing=smoothing)
    assert value == pytest.approx(float(r["value"]), rel=1e-13)
    g = our_grad("ce", labels, z, "torch", "mean", space="logit", label_smoothing=smoothing)
    np.testing.assert_allclose(g, r["grad"], rtol=1e-11, atol=1e-17)


def test_torch_nll_on_log_probabilities(rng):
    def record(torch):
        logp = as_numpy(torch.log_softmax(tensor(torch, rng.normal(0, 3, (N, 4))), dim=1))
        labels = rng.integers(0, 4, N)
        expected = torch.nn.functional.nll_loss(tensor(torch, logp), torch.tensor(labels))
        return {"logp": logp, "labels": labels, "value": expected.item()}

    r = torch_reference("conventions/nll", record)
    value = ours("ce", r["labels"].astype(int), r["logp"], "torch", "mean", space="logprob")
    assert value == pytest.approx(float(r["value"]), rel=1e-13)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 3.0])
def test_torch_smooth_l1(rng, beta):
    def record(torch):
        y, p = rng.normal(0, 2, N), rng.normal(0, 2, N)
        p[:2] = y[:2] + beta  # exactly at the switch
        pt = tensor(torch, p, grad=True)
        expected = torch.nn.functional.smooth_l1_loss(
            pt, tensor(torch, y), beta=beta, reduction="sum"
        )
        expected.backward()
        return {"y": y, "p": p, "value": expected.item(), "grad": as_numpy(pt.grad)}

    r = torch_reference(f"conventions/smooth_l1[{beta}]", record)
    y, p = r["y"], r["p"]
    assert ours("smooth-l1", y, p, "torch", "sum", beta=beta) == pytest.approx(
        float(r["value"]), rel=1e-13
    )
    np.testing.assert_allclose(
        our_grad("smooth-l1", y, p, "torch", beta=beta), r["grad"], rtol=1e-13
    )


@pytest.mark.parametrize(
    ("loss", "fn"), [("mse", "mse_loss"), ("mae", "l1_loss"), ("huber", "huber_loss")]
)
def test_torch_regression(rng, loss, fn):
    def record(torch):
        y, p = rng.normal(0, 2, N), rng.normal(0, 2, N)
        pt = tensor(torch, p, grad=True)
        expected = getattr(torch.nn.functional, fn)(pt, tensor(torch, y), reduction="mean")
        expected.backward()
        return {"y": y, "p": p, "value": expected.item(), "grad": as_numpy(pt.grad)}

    r = torch_reference(f"conventions/regression[{loss}]", record)
    y, p = r["y"], r["p"]
    assert ours(loss, y, p, "torch", "mean") == pytest.approx(float(r["value"]), rel=1e-13)
    np.testing.assert_allclose(our_grad(loss, y, p, "torch", "mean"), r["grad"], rtol=1e-13)


@pytest.mark.parametrize(("reduction", "torch_reduction"), [("mean", "mean"), ("sum", "sum")])
def test_torch_kl_div(rng, reduction, torch_reduction):
    def record(torch):
        p = rng.dirichlet(np.ones(4), N)
        p[0] = [0.5, 0.5, 0.0, 0.0]  # zero targets contribute 0
        logq = as_numpy(torch.log_softmax(tensor(torch, rng.normal(0, 2, (N, 4))), dim=1))
        lq = tensor(torch, logq, grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns that 'mean' is not the true KL mean
            expected = torch.nn.functional.kl_div(lq, tensor(torch, p), reduction=torch_reduction)
        expected.backward()
        batchmean = torch.nn.functional.kl_div(lq.detach(), tensor(torch, p), reduction="batchmean")
        return {"p": p, "logq": logq, "value": expected.item(), "grad": as_numpy(lq.grad),
                "batchmean": batchmean.item()}  # fmt: skip

    r = torch_reference(f"conventions/kl_div[{reduction}]", record)
    p, logq = r["p"], r["logq"]
    value = ours("kl", p, logq, "torch", reduction, space="logprob")
    assert value == pytest.approx(float(r["value"]), rel=1e-12)
    g = our_grad("kl", p, logq, "torch", reduction, space="logprob")
    np.testing.assert_allclose(g, r["grad"], rtol=1e-13)
    # 'batchmean' is the catalog's mean.
    assert ours("kl", p, logq, "catalog", "mean", space="logprob") == pytest.approx(
        float(r["batchmean"]), rel=1e-12
    )


def test_torchvision_sigmoid_focal_loss(rng):
    # torchvision.ops.sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2), as torchvision
    # 0.28 implements it (ce = BCE-with-logits, p_t, the alpha weight), in PyTorch: torchvision
    # builds against one PyTorch only, so its formula is recorded rather than the package.
    def record(torch):
        z = rng.normal(0, 3, N)
        y = rng.integers(0, 2, N).astype(float)
        inputs, targets = tensor(torch, z), tensor(torch, y)
        p = torch.sigmoid(inputs)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce * ((1 - p_t) ** 2)
        alpha_t = 0.25 * targets + (1 - 0.25) * (1 - targets)
        return {"z": z, "y": y, "value": as_numpy(alpha_t * loss)}

    r = torch_reference("conventions/torchvision_sigmoid_focal", record)
    np.testing.assert_allclose(
        ours("focal", r["y"], r["z"], "torch", space="logit"), r["value"], rtol=1e-12
    )


# --- scikit-learn ---------------------------------------------------------------------------


@pytest.fixture
def metrics():
    return pytest.importorskip("sklearn.metrics")


def test_sklearn_log_loss_binary(metrics, rng):
    p = probabilities(rng, N)
    y = rng.integers(0, 2, N)
    y[:2] = [1, 0]  # p = 0 for a positive, p = 1 for a negative: both clipped
    expected = metrics.log_loss(y, p, labels=[0, 1])
    assert ours("bce", y, p, "sklearn", "mean") == pytest.approx(expected, rel=1e-13)


def test_sklearn_log_loss_multiclass(metrics, rng):
    p = rng.dirichlet(np.ones(3), N)
    p[0] = [0.0, 1.0, 0.0]
    y = rng.integers(0, 3, N)
    y[0] = 0
    expected = metrics.log_loss(y, p, labels=[0, 1, 2])
    assert ours("ce", y, p, "sklearn", "mean") == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("labels", [(-1, 1), (0, 1)])
def test_sklearn_hinge(metrics, rng, labels):
    y = rng.choice(labels, N)
    f = rng.normal(0, 2, N)
    expected = metrics.hinge_loss(y, f)
    assert ours("hinge", y, f, "sklearn", "mean") == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("loss", "fn"), [("mse", "mean_squared_error"), ("mae", "mean_absolute_error")]
)
def test_sklearn_regression_with_weights(metrics, rng, loss, fn):
    y, p, w = rng.normal(0, 2, N), rng.normal(0, 2, N), rng.uniform(0, 3, N)
    expected = getattr(metrics, fn)(y, p, sample_weight=w)
    request = make_request(loss, convention="sklearn")
    assert evaluate(request, y, p, weights=w).value == pytest.approx(expected, rel=1e-13)


# --- SciPy ----------------------------------------------------------------------------------


def test_scipy_huber_and_rel_entr(rng):
    special = pytest.importorskip("scipy.special")
    r = rng.normal(0, 3, N)
    for convention in ("catalog", "torch", "keras", "optax"):
        # scipy.special.huber takes delta first.
        np.testing.assert_allclose(
            ours("huber", np.zeros(N), r, convention, delta=1.5),
            special.huber(1.5, r),
            rtol=1e-14,
        )
    p = rng.dirichlet(np.ones(3), N)
    q = rng.dirichlet(np.ones(3), N)
    for convention in ("catalog", "torch", "optax"):
        np.testing.assert_allclose(
            ours("kl", p, q, convention), special.rel_entr(p, q).sum(axis=1), rtol=1e-12
        )
