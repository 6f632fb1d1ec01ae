"""Reference values, each with where it comes from.

DESIGN = docs/design.md: section 4 (definitions) and section 6 (the catalog's
three exercises). Closed forms are worked out by hand in the comments and recomputed with the
`math` module, independently of the core.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core import evaluate, gradient, make_request


def values(name: str, y_true: object, y_pred: object, **kw: object) -> np.ndarray:
    space = kw.pop("space", None)
    request = make_request(name, kw, space=space)  # type: ignore[arg-type]
    return evaluate(request, y_true, y_pred, reduction="none").values


def grads(name: str, y_true: object, y_pred: object, **kw: object) -> np.ndarray:
    space = kw.pop("space", None)
    request = make_request(name, kw, space=space)  # type: ignore[arg-type]
    return gradient(request, y_true, y_pred).grads


# --- regression --------------------------------------------------------------------------------


def test_huber_vs_mse_exercise() -> None:
    # DESIGN 6, exercise huber-vs-mse: delta = 1, residuals 0.5, 2, 10.
    # Huber: 0.5^2/2 = 0.125; 1*(2 - 1/2) = 1.5; 1*(10 - 1/2) = 9.5. Squared error 0.25, 4, 100.
    r = [0.5, 2.0, 10.0]
    np.testing.assert_array_equal(values("huber", [0, 0, 0], r, delta=1.0), [0.125, 1.5, 9.5])
    np.testing.assert_array_equal(values("mse", [0, 0, 0], r), [0.25, 4.0, 100.0])
    # The residual is y_pred - y_true; the sign does not matter to either loss.
    np.testing.assert_array_equal(values("huber", r, [0, 0, 0]), [0.125, 1.5, 9.5])


def test_package_docstring_example() -> None:
    # losscli/core/__init__.py: the mean of 0.125, 1.5, 9.5 is 11.125 / 3.
    request = make_request("huber", {"delta": 1.0})
    assert evaluate(request, [0, 0, 0], [0.5, 2, 10]).value == 11.125 / 3


def test_huber_between_its_two_pieces() -> None:
    # DESIGN 4: r^2/2 if |r| <= delta else delta (|r| - delta/2). At |r| = delta both pieces
    # give delta^2/2; delta = 1.5: r = 1.5 -> 1.125, r = -3 -> 1.5 * 2.25 = 3.375.
    np.testing.assert_array_equal(
        values("huber", [0, 0, 1], [1.5, -3.0, 1.0], delta=1.5), [1.125, 3.375, 0.0]
    )


def test_huber_limits() -> None:
    # Huber tends to MSE/2 for a large delta and to delta * MAE for a small one (the record's
    # "confusions"; Huber 1964). For delta above every |r| it is r^2/2 exactly.
    rng = np.random.default_rng(6)
    y, p = rng.normal(size=50), rng.normal(scale=10, size=50)
    np.testing.assert_array_equal(values("huber", y, p, delta=1e6), values("mse", y, p) / 2)
    delta = 1e-6
    # delta (|r| - delta/2) = delta |r| (1 - delta / (2|r|)): relative gap delta/(2|r|) < 1e-4.
    small = values("huber", y, p, delta=delta)
    np.testing.assert_allclose(small, delta * values("mae", y, p), rtol=1e-4)
    assert np.all(small < delta * values("mae", y, p))


def test_regression_derivatives() -> None:
    # DESIGN 4: mse 2r; mae sign(r) with sign(0) = 0; huber clip(r, -delta, delta).
    y, p = [0.0, 0.0, 0.0, 1.0], [0.5, -2.0, 10.0, 1.0]
    np.testing.assert_array_equal(grads("mse", y, p), [1.0, -4.0, 20.0, 0.0])
    np.testing.assert_array_equal(grads("mae", y, p), [1.0, -1.0, 1.0, 0.0])
    np.testing.assert_array_equal(grads("huber", y, p, delta=1.0), [0.5, -1.0, 1.0, 0.0])


# --- classification ----------------------------------------------------------------------------

CE_3CLASS = 0.35667494393873245  # DESIGN 6, exercise ce-3class: -ln 0.7


def test_cross_entropy_exercise() -> None:
    # DESIGN 6: 3 classes, true label 2 (zero-indexed), p = (0.1, 0.2, 0.7) -> -ln 0.7.
    assert CE_3CLASS == -math.log(0.7)
    assert values("cross-entropy", [2], [[0.1, 0.2, 0.7]])[0] == CE_3CLASS
    # The same prediction as a one-hot target row, as log-probabilities and as logits.
    assert values("ce", [[0, 0, 1]], [[0.1, 0.2, 0.7]])[0] == CE_3CLASS
    logs = [[math.log(0.1), math.log(0.2), math.log(0.7)]]
    assert values("ce", [2], logs, space="logprob")[0] == CE_3CLASS
    assert values("ce", [2], logs, space="logit")[0] == pytest.approx(CE_3CLASS, rel=1e-15)
    assert values("ce", [2], np.add(logs, 5.0), space="logit")[0] == pytest.approx(
        CE_3CLASS, rel=1e-14
    )


def test_cross_entropy_soft_target_and_gradients() -> None:
    # DESIGN 4: -sum_k y_k ln p_k; derivative wrt logits softmax(z) - y, wrt p: -y_k / p_k.
    y, p = [[0.25, 0.75]], [[0.5, 0.5]]
    assert values("ce", y, p)[0] == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_allclose(grads("ce", y, p), [[-0.5, -1.5]], rtol=1e-15)
    z = [[0.0, math.log(3.0)]]  # softmax(z) = (1/4, 3/4)
    np.testing.assert_allclose(grads("ce", [0], z, space="logit"), [[-0.75, 0.75]], rtol=1e-15)
    # With a soft target equal to softmax(z) the gradient wrt the logits vanishes.
    np.testing.assert_allclose(grads("ce", [[0.25, 0.75]], z, space="logit"), [[0, 0]], atol=1e-16)


def test_binary_cross_entropy() -> None:
    # DESIGN 4: -[y ln p + (1-y) ln(1-p)]; (p - y) / (p (1 - p)) wrt p.
    np.testing.assert_allclose(
        values("bce", [1, 0, 1], [0.8, 0.8, 0.5]),
        [-math.log(0.8), -math.log(0.2), math.log(2)],
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        grads("bce", [1, 0], [0.8, 0.8]),
        [(0.8 - 1) / (0.8 * 0.2), 0.8 / (0.8 * 0.2)],
        rtol=1e-15,
    )
    # A soft target: the minimum is the entropy of y, at p = y (the record's "confusions").
    assert values("bce", [0.3], [0.3])[0] == pytest.approx(
        -(0.3 * math.log(0.3) + 0.7 * math.log(0.7)), rel=1e-15
    )


@pytest.mark.parametrize("z", [-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0])
def test_bce_gradient_wrt_logits_is_sigmoid_minus_y(z: float) -> None:
    # DESIGN 4: d/dz of BCE on a logit = sigmoid(z) - y.
    # sigmoid(z) - 1 = -1 / (1 + e^z), written so that it keeps its relative precision at z = 30
    # (about -9.4e-14), where subtracting from 1 would leave only a few correct digits.
    sigmoid = 1.0 / (1.0 + math.exp(-z))
    got = grads("bce", [1.0, 0.0], [z, z], space="logit")
    np.testing.assert_allclose(got, [-1.0 / (1.0 + math.exp(z)), sigmoid], rtol=1e-14)
    # And the value: softplus(z) - y z with softplus(z) = ln(1 + e^z); for y = 1 that is
    # softplus(-z) = ln(1 + e^-z), the form without cancellation.
    np.testing.assert_allclose(
        values("bce", [1.0, 0.0], [z, z], space="logit"),
        [math.log1p(math.exp(-z)), math.log1p(math.exp(z))],
        rtol=1e-14,
    )


def test_focal_with_gamma_zero_is_cross_entropy() -> None:
    # DESIGN 4: "Focal with gamma=0 and no alpha equals cross-entropy exactly", in both spaces,
    # including probabilities where 1 - p rounds (p = 1e-20) and logits far out.
    y = [1, 0, 1, 0, 0, 1, 0]
    p = [0.9, 0.9, 0.1, 0.1, 1e-20, 1 - 1e-12, 3e-9]
    np.testing.assert_array_equal(values("focal", y, p, gamma=0.0), values("bce", y, p))
    # The gradient goes through exp(log p), so it may differ in the last bit.
    np.testing.assert_allclose(grads("focal", y, p, gamma=0.0), grads("bce", y, p), rtol=1e-15)
    z = [2.0, 2.0, -40.0, -40.0, 1e4, -1e4, 0.0]
    np.testing.assert_array_equal(
        values("focal", y, z, gamma=0.0, space="logit"), values("bce", y, z, space="logit")
    )
    np.testing.assert_allclose(
        grads("focal", y, z, gamma=0.0, space="logit"),
        grads("bce", y, z, space="logit"),
        rtol=1e-15,
        atol=1e-300,
    )


@pytest.mark.parametrize(("gamma", "ratio"), [(0.0, 0.0457575), (2.0, 0.000564907)])
def test_focal_gamma_exercise(gamma: float, ratio: float) -> None:
    # DESIGN 6, exercise focal-gamma: focal(p_t = 0.9) / focal(p_t = 0.1) is 0.0457575 for
    # gamma = 0 and 0.000564907 for gamma = 2 (6 significant digits). Closed form:
    # (0.1^gamma ln 0.9) / (0.9^gamma ln 0.1).
    exact = (0.1**gamma * math.log(0.9)) / (0.9**gamma * math.log(0.1))
    assert exact == pytest.approx(ratio, rel=1e-5)
    for y, p_hi, p_lo in ((1, 0.9, 0.1), (0, 0.1, 0.9)):  # p_t = p for y = 1, 1 - p for y = 0
        hi, lo = values("focal", [y, y], [p_hi, p_lo], gamma=gamma)
        assert hi / lo == pytest.approx(exact, rel=1e-13)


def test_focal_alpha() -> None:
    # DESIGN 4: -alpha_t (1 - p_t)^gamma ln p_t, alpha_t = alpha for y = 1, 1 - alpha for y = 0.
    y, p = [1, 0], [0.3, 0.3]
    plain = values("focal", y, p, gamma=2.0)
    np.testing.assert_allclose(plain, [-(0.7**2) * math.log(0.3), -(0.3**2) * math.log(0.7)])
    weighted = values("focal", y, p, gamma=2.0, alpha=0.25)
    np.testing.assert_allclose(weighted, plain * [0.25, 0.75], rtol=1e-15)


def test_hinge() -> None:
    # DESIGN 4 (Cortes & Vapnik 1995): max(0, 1 - y f); -y if y f < 1 else 0, 0 at the margin.
    y, f = [1, -1, 1, -1, 1], [0.3, 0.3, 2.0, -1.0, 1.0]
    np.testing.assert_allclose(values("hinge", y, f), [0.7, 1.3, 0.0, 0.0, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(grads("hinge", y, f), [-1.0, 1.0, 0.0, 0.0, 0.0])
    # {0, 1} labels are mapped to {-1, +1} and a notice says so (docs/design.md section 4).
    ev = evaluate(make_request("hinge"), [1, 0], [0.3, 0.3], reduction="none")
    np.testing.assert_allclose(ev.values, [0.7, 1.3], rtol=1e-15)
    assert any("mapped" in n.text for n in ev.notices)


# --- divergence --------------------------------------------------------------------------------

P, Q = [0.9, 0.1], [0.5, 0.5]
KL_PQ = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)  # 0.36806...
KL_QP = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)  # 0.51082...


def test_kl_of_a_distribution_with_itself_is_zero() -> None:
    # Cover & Thomas 2.6.3: KL(P||Q) = 0 iff P = Q; 0 ln 0 = 0 (docs/design.md section 4).
    rows = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]
    np.testing.assert_array_equal(values("kl", rows, rows), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(values("kl", rows, rows, direction="reverse"), [0.0, 0.0, 0.0])


def test_kl_is_asymmetric_and_reverse_swaps_arguments() -> None:
    # KL(P||Q) != KL(Q||P) (Kullback & Leibler 1951); --direction reverse is KL(Q||P).
    assert KL_PQ == pytest.approx(0.368064, rel=1e-5)
    assert KL_QP == pytest.approx(0.510826, rel=1e-5)
    assert values("kl", [P], [Q])[0] == pytest.approx(KL_PQ, rel=1e-15)
    assert values("kl", [Q], [P])[0] == pytest.approx(KL_QP, rel=1e-15)
    assert values("kl", [P], [Q], direction="reverse")[0] == pytest.approx(KL_QP, rel=1e-15)
    for space in ("logit", "logprob"):
        logs = [np.log(Q)]
        assert values("kl", [P], logs, space=space)[0] == pytest.approx(KL_PQ, rel=1e-14)
        assert values("kl", [P], logs, space=space, direction="reverse")[0] == pytest.approx(
            KL_QP, rel=1e-14
        )


def test_kl_log_bases_and_gradient() -> None:
    # Bits and decimal digits: divide nats by ln 2 and ln 10. DESIGN 4: dKL/dQ = -P/Q.
    assert values("kl", [P], [Q], log_base="2")[0] == pytest.approx(KL_PQ / math.log(2), rel=1e-15)
    assert values("kl", [P], [Q], log_base="10")[0] == pytest.approx(
        KL_PQ / math.log(10), rel=1e-15
    )
    np.testing.assert_allclose(grads("kl", [P], [Q]), [[-1.8, -0.2]], rtol=1e-15)
    # Reverse: d/dQ_k [Q_k ln(Q_k / P_k)] = ln(Q_k / P_k) + 1.
    np.testing.assert_allclose(
        grads("kl", [P], [Q], direction="reverse"),
        [[math.log(0.5 / 0.9) + 1, math.log(5.0) + 1]],
        rtol=1e-15,
    )


# --- metric ------------------------------------------------------------------------------------


def test_contrastive() -> None:
    # DESIGN 4: y d^2 + (1 - y) max(0, m - d)^2, y = 1 similar; margin 1 unless given.
    y, d = [1, 0, 0, 1], [0.5, 0.5, 1.5, 0.0]
    np.testing.assert_allclose(values("contrastive", y, np.c_[d]), [0.25, 0.25, 0.0, 0.0])
    np.testing.assert_allclose(
        values("contrastive", y, np.c_[d], margin=2.0), [0.25, 2.25, 0.25, 0]
    )
    # dL/dd = 2 y d - 2 (1 - y) max(0, m - d).
    np.testing.assert_allclose(grads("contrastive", y, np.c_[d]), [[1.0], [-1.0], [0.0], [0.0]])
    # Two embeddings side by side: a = (0, 0), b = (3, 4) are 5 apart (a 3-4-5 triangle).
    pair = [[0.0, 0.0, 3.0, 4.0]]
    assert values("contrastive", [1], pair)[0] == pytest.approx(25.0, rel=1e-15)
    assert values("contrastive", [0], pair, margin=6.0)[0] == pytest.approx(1.0, rel=1e-15)
    # dL/da = dL/dd (a - b) / d = 10 * (-3, -4) / 5 = (-6, -8); dL/db = -dL/da.
    np.testing.assert_allclose(grads("contrastive", [1], pair), [[-6.0, -8.0, 6.0, 8.0]])
