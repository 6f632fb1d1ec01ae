"""The catalog's further losses (issue 8): reference values with their sources, the stable
forms near cancellation and overflow, the parameters the registry-driven tests keep at their
defaults (class weights, batch size), the input domains, and the conventions.

Sources: scikit-learn's and Keras's documented examples (quoted), closed forms worked by hand
in the comments (recomputed here with `math`), and 50-digit arithmetic (mpmath) for the
stable forms. Agreement with the libraries themselves is in test_catalog_oracles.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core import DataError, UsageError, all_losses, evaluate, gradient, make_request


def values(name, y_true, y_pred, space=None, convention="catalog", **params):
    request = make_request(name, params, space=space, convention=convention)
    return evaluate(request, y_true, y_pred, reduction="none").values


def mean(name, y_true, y_pred, space=None, convention="catalog", weights=None, **params):
    request = make_request(name, params, space=space, convention=convention)
    return evaluate(request, y_true, y_pred, weights=weights).value


def grads(name, y_true, y_pred, space=None, convention="catalog", reduction="none", **params):
    request = make_request(name, params, space=space, convention=convention)
    return gradient(request, y_true, y_pred, reduction=reduction).grads


# --- regression ------------------------------------------------------------------------------


def test_log_cosh_values_and_stable_tails():
    r = [0.5, 3.0, -2.0]
    np.testing.assert_allclose(
        values("log-cosh", [0, 0, 0], r), [math.log(math.cosh(x)) for x in r], rtol=1e-15
    )
    np.testing.assert_allclose(grads("log-cosh", [0, 0, 0], r), np.tanh(r), rtol=1e-15)
    # Near 0: ln cosh r = r^2/2 - r^4/12 + ...; logaddexp(r, -r) - ln 2 would give 0 or noise.
    assert values("log-cosh", [0], [1e-8])[0] == pytest.approx(5e-17, rel=1e-14)
    # Far out: |r| - ln 2 + ln(1 + e^-2|r|); cosh(1000) itself overflows.
    assert values("log-cosh", [0], [1000.0])[0] == 1000.0 - math.log(2.0)


def test_pseudo_huber():
    # delta = 2, r = 3: 4 (sqrt(1 + 9/4) - 1) = 3.2111025509...; slope r / sqrt(1 + (r/δ)^2).
    assert values("pseudo-huber", [0], [3.0], delta=2.0)[0] == pytest.approx(
        4 * (math.sqrt(3.25) - 1), rel=1e-15
    )
    assert grads("pseudo-huber", [0], [3.0], delta=2.0)[0] == pytest.approx(
        3 / math.sqrt(3.25), rel=1e-15
    )
    # Tiny r: r^2/2 with full precision; huge r: delta |r| - delta^2 (to rounding), finite.
    assert values("pseudo-huber", [0], [1e-9])[0] == pytest.approx(5e-19, rel=1e-15)
    big = values("pseudo-huber", [0], [1e300], delta=0.5)[0]
    assert big == pytest.approx(0.5e300, rel=1e-15)
    assert grads("pseudo-huber", [0], [1.7e308], delta=0.5)[0] == 0.5


def test_pinball_scikit_learn_doc_examples():
    # sklearn.metrics.mean_pinball_loss docs: y = [1, 2, 3] with alpha = 0.1:
    # predictions [0, 2, 3] -> 0.0333..., [1, 2, 4] -> 0.3.
    assert mean("pinball", [1, 2, 3], [0, 2, 3], quantile=0.1) == pytest.approx(0.1 / 3)
    assert mean("pinball", [1, 2, 3], [1, 2, 4], quantile=0.1) == pytest.approx(0.3)
    # At tau = 0.5 it is MAE / 2; its subgradient at r = 0 is 0.
    np.testing.assert_array_equal(values("pinball", [0, 0], [2.0, -4.0]), [1.0, 2.0])
    np.testing.assert_allclose(grads("pinball", [1, 1, 1], [0, 1, 2], quantile=0.9), [-0.9, 0, 0.1])


def test_mape_scikit_learn_doc_example_and_zero_targets():
    # sklearn.metrics.mean_absolute_percentage_error docs: 0.3273809523809524.
    assert mean("mape", [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) == pytest.approx(
        0.3273809523809524, rel=1e-15
    )
    request = make_request("mape")
    ev = evaluate(request, [0, 0, 2], [1, 0, 3], reduction="none")
    assert ev.values.tolist() == [math.inf, 0.0, 0.5]
    (notice,) = [n for n in ev.notices if "infinite" in n.text]
    assert notice.rows == (0,) and "target is 0" in notice.text
    # Opposite signs near the top of float64: |ŷ - y| overflows, the ratio does not.
    assert values("mape", [-1e308], [1e308])[0] == 2.0


def test_msle_scikit_learn_doc_example_and_domain():
    # sklearn.metrics.mean_squared_log_error docs: 0.03973012298459379 (to its rounding).
    assert mean("msle", [3, 5, 2.5, 7], [2.5, 5, 4, 8]) == pytest.approx(0.039730123, rel=1e-8)
    # ln(1 + ŷ) - ln(1 + y) for ŷ = y + 1e-12: (1e-12 / (1 + y))^2 to full precision.
    assert values("msle", [1.0], [1.0 + 2e-12])[0] == pytest.approx(1e-24, rel=1e-4)
    with pytest.raises(DataError, match="greater than -1") as e:
        evaluate(make_request("msle"), [0.5, -1.0], [1, 1])
    assert (e.value.row, e.value.side) == (1, "target")


def test_rmse_is_the_root_of_the_reduction():
    # sklearn.metrics.root_mean_squared_error docs: 0.612...
    y, p = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]
    assert mean("rmse", y, p) == pytest.approx(0.6123724356957945, rel=1e-15)
    # --reduction none: the squared errors under the root; sum: the Euclidean norm.
    np.testing.assert_array_equal(values("rmse", y, p), [0.25, 0.25, 0.0, 1.0])
    request = make_request("rmse")
    assert evaluate(request, y, p, reduction="sum").value == pytest.approx(math.sqrt(1.5))
    # Weighted: sqrt(Σ w r^2 / Σ w); the gradient of the mean is w r / (Σw RMSE).
    w = [1, 2, 0, 1]
    weighted = evaluate(request, y, p, weights=w).value
    assert weighted == pytest.approx(math.sqrt((0.25 + 0.5 + 1.0) / 4), rel=1e-15)
    g = gradient(request, y, p, reduction="mean", weights=w).grads
    r = np.subtract(p, y)
    np.testing.assert_allclose(g, np.multiply(w, r) / (4 * weighted), rtol=1e-14)
    # A perfect fit: RMSE 0 and the stated subgradient 0.
    assert gradient(request, y, y, reduction="mean").grads.tolist() == [0.0] * 4


# --- likelihoods and deviances ---------------------------------------------------------------


def test_poisson_is_half_the_scikit_learn_deviance():
    # sklearn.metrics.mean_poisson_deviance docs: y = [2, 0, 1, 4], ŷ = [0.5, 0.5, 2, 2]
    # gives 1.4260...; the catalog's Poisson loss is half the deviance.
    y, mu = [2, 0, 1, 4], [0.5, 0.5, 2.0, 2.0]
    assert mean("poisson", y, mu) == pytest.approx(1.4260151319598084 / 2, rel=1e-15)
    # Per example by hand: μ - y + y ln(y/μ); y = 0 gives μ.
    expected = [m - t + (t * math.log(t / m) if t else 0.0) for t, m in zip(y, mu, strict=True)]
    np.testing.assert_allclose(values("poisson", y, mu), expected, rtol=1e-14)
    np.testing.assert_allclose(
        grads("poisson", y, mu), [1 - t / m for t, m in zip(y, mu, strict=True)]
    )


def test_poisson_and_friends_agree_across_the_log_input():
    y = np.array([2.0, 0.0, 1.0, 4.0, 7.0])
    mu = np.array([0.5, 0.5, 2.0, 2.0, 7.0])
    for name, params in (("poisson", {}), ("tweedie", {"power": 1.5}), ("tweedie", {"power": 3})):
        target = y if name == "poisson" or params["power"] < 2 else y + 1
        raw = values(name, target, mu, **params)
        logged = values(name, target, np.log(mu), space="log", **params)
        np.testing.assert_allclose(logged, raw, rtol=1e-13, atol=1e-300)
        # The chain rule: d/d ln μ = μ d/dμ.
        g_raw = grads(name, target, mu, **params)
        g_log = grads(name, target, np.log(mu), space="log", **params)
        # (atol: e^(ln 7) - 7 is a rounding of 0.)
        np.testing.assert_allclose(g_log, g_raw * mu, rtol=1e-13, atol=1e-14)
    # Log-rates where e^η would overflow are still exact in the value.
    assert values("poisson", [0.0], [800.0], space="log")[0] == math.inf
    assert values("poisson", [3.0], [math.log(3.0)], space="log")[0] == 0.0


def test_tweedie_and_gamma_scikit_learn_doc_examples():
    y, mu = [2, 0, 1, 4], [0.5, 0.5, 2.0, 2.0]
    # mean_tweedie_deviance(power=1) is mean_poisson_deviance: 1.4260...
    assert mean("tweedie", y, mu, power=1) == pytest.approx(1.4260151319598084, rel=1e-14)
    # mean_gamma_deviance docs: y = [2, 0.5, 1, 4], ŷ = [0.5, 0.5, 2, 2] -> 1.0568...
    yg = [2, 0.5, 1, 4]
    assert mean("gamma-deviance", yg, mu) == pytest.approx(1.0568528194400546, rel=1e-14)
    assert mean("tweedie", yg, mu, power=2) == pytest.approx(1.0568528194400546, rel=1e-14)

    # Power 1.5 against the closed form by hand (y = 0 gives 2 μ^(1/2) / (1/2)).
    def dev(t, m, p=1.5):
        return 2 * (
            t ** (2 - p) / ((1 - p) * (2 - p)) - t * m ** (1 - p) / (1 - p) + m ** (2 - p) / (2 - p)
        )

    expected = [dev(t, m) for t, m in zip(y, mu, strict=True)]
    np.testing.assert_allclose(values("tweedie", y, mu, power=1.5), expected, rtol=1e-13)
    with pytest.raises(DataError, match="a target > 0"):
        evaluate(make_request("tweedie", {"power": 2.5}), [1.0, 0.0], [1.0, 1.0])


def test_deviances_keep_their_digits_near_a_perfect_prediction():
    import mpmath  # the test extra: these tests never skip

    mpmath.mp.dps = 50
    y, mu = 3.0, 3.0 * (1 + 1e-9)
    for p in (1.0, 1.5, 2.0, 3.0):
        P, Y, M = mpmath.mpf(p), mpmath.mpf(y), mpmath.mpf(mu)
        if p == 1:
            exact = 2 * (Y * mpmath.log(Y / M) - Y + M)
        elif p == 2:
            exact = 2 * (mpmath.log(M / Y) + Y / M - 1)
        else:
            exact = 2 * (
                Y ** (2 - P) / ((1 - P) * (2 - P))
                - Y * M ** (1 - P) / (1 - P)
                + M ** (2 - P) / (2 - P)
            )
        assert values("tweedie", [y], [mu], power=p)[0] == pytest.approx(float(exact), rel=1e-9)
    # The poles at p = 1 and 2 are gone: p = 1 + 1e-12 is the Poisson deviance to 1e-10.
    near = values("tweedie", [2.0], [3.0], power=1 + 1e-12)[0]
    assert near == pytest.approx(values("tweedie", [2.0], [3.0], power=1.0)[0], rel=1e-10)


def test_gaussian_nll_by_hand_and_its_inputs():
    # ½ (ln 2π + ln 2 + (1 - 0)^2 / 2) = ½ (1.8378770664 + 0.6931471806 + 0.5)
    expected = 0.5 * (math.log(2 * math.pi) + math.log(2.0) + 0.5)
    assert values("gaussian-nll", [1.0], [[0.0, 2.0]])[0] == pytest.approx(expected, rel=1e-15)
    assert values("gaussian-nll", [1.0], [[0.0, math.log(2.0)]], space="log")[0] == pytest.approx(
        expected, rel=1e-15
    )
    assert values("gaussian-nll", [1.0], [0.0], variance=2.0)[0] == pytest.approx(
        expected, rel=1e-15
    )
    # dL/dμ = (μ - y)/σ², dL/dσ² = (σ² - r²)/(2σ⁴), dL/d ln σ² = ½ (1 - r²/σ²).
    np.testing.assert_allclose(grads("gaussian-nll", [1.0], [[0.0, 2.0]]), [[-0.5, 0.125]])
    np.testing.assert_allclose(
        grads("gaussian-nll", [1.0], [[0.0, math.log(2.0)]], space="log"), [[-0.5, 0.25]]
    )
    # A negative log-density: below 0 for a small variance and a good mean.
    assert values("gaussian-nll", [0.0], [[0.0, 0.01]])[0] < 0
    with pytest.raises(DataError, match="a variance > 0") as e:
        evaluate(make_request("gaussian-nll"), [0, 0], [[0, 1], [0, 0.0]])
    assert (e.value.row, e.value.column) == (1, 1)


# --- classification --------------------------------------------------------------------------


def test_squared_hinge_and_perceptron():
    # max(0, 1 - y f)^2 and max(0, -y f); 0/1 labels are mapped to -1/+1.
    np.testing.assert_allclose(values("squared-hinge", [1, -1, 1], [0.3, 0.5, 2]), [0.49, 2.25, 0])
    np.testing.assert_allclose(grads("squared-hinge", [1, -1, 1], [0.3, 0.5, 2]), [-1.4, 3.0, 0])
    np.testing.assert_array_equal(values("perceptron", [1, 0, 1], [-0.5, 0.2, 0.0]), [0.5, 0.2, 0])
    np.testing.assert_array_equal(grads("perceptron", [1, 0, 1], [-0.5, 0.2, 0.0]), [-1, 1, 0])


def test_multiclass_hinges_by_hand():
    # Label 0, scores (1, 0.5, 1.3): Crammer-Singer max(0, 1 + 1.3 - 1) = 1.3; Weston-Watkins
    # (1 + 0.5 - 1) + (1 + 1.3 - 1) = 1.8; the perceptron 1.3 - 1 = 0.3.
    f = [[1.0, 0.5, 1.3]]
    assert values("multiclass-hinge", [0], f)[0] == pytest.approx(1.3)
    assert values("multi-margin", [0], f)[0] == pytest.approx(1.8)
    assert values("multiclass-perceptron", [0], f)[0] == pytest.approx(0.3)
    np.testing.assert_array_equal(grads("multiclass-hinge", [0], f), [[-1, 0, 1]])
    np.testing.assert_array_equal(grads("multi-margin", [0], f), [[-2, 1, 1]])
    np.testing.assert_array_equal(grads("multiclass-perceptron", [0], f), [[-1, 0, 1]])
    # Far ahead: nothing active.
    assert values("multiclass-hinge", [2], [[0.0, 0.0, 5.0]])[0] == 0.0
    with pytest.raises(DataError, match=r"class label 0\.\.2"):
        evaluate(make_request("multi-margin"), [3], f)


def test_softmax_focal_and_poly1():
    p = [[0.1, 0.2, 0.7]]
    # Focal, gamma 2, label 2: -(0.3)^2 ln 0.7; gamma 0 is cross-entropy exactly.
    assert values("softmax-focal", [2], p)[0] == pytest.approx(-0.09 * math.log(0.7), rel=1e-15)
    assert values("softmax-focal", [2], p, gamma=0.0)[0] == values("cross-entropy", [2], p)[0]
    # Poly-1, epsilon 2: -ln 0.7 + 2 (1 - 0.7) = 0.9566749439387324.
    assert values("poly1", [2], p)[0] == pytest.approx(-math.log(0.7) + 0.6, rel=1e-15)
    assert values("poly1", [2], p, poly_epsilon=0.0)[0] == pytest.approx(
        values("cross-entropy", [2], p)[0], rel=1e-15
    )
    # epsilon = -1 keeps it >= 0: -ln p - (1 - p) >= 0, to full precision near p = 1.
    near_one = [[1e-10, 1 - 1e-10]]
    assert values("poly1", [1], near_one, poly_epsilon=-1.0)[0] == pytest.approx(5e-21, rel=1e-6)
    # Logits: the same numbers; gradient of Poly-1 wrt logits p_j Σy - y_j + eps p_j (p_t - y_j).
    z = np.log(p)
    assert values("poly1", [2], z, space="logit")[0] == pytest.approx(0.9566749439387324, rel=1e-14)
    g = grads("poly1", [2], z, space="logit")[0]
    probs, onehot = np.array(p[0]), np.array([0, 0, 1.0])
    np.testing.assert_allclose(g, probs - onehot + 2 * probs * (0.7 - onehot), rtol=1e-13)


def test_focal_logit_gradient_stays_finite_at_saturation():
    for gamma in (0.5, 2.0):
        g = grads("softmax-focal", [0], [[-1e300, 1.7e308, 0.0]], space="logit", gamma=gamma)
        assert np.all(np.isfinite(g)), g


def test_brier_scikit_learn_doc_examples():
    # sklearn.metrics.brier_score_loss docs: binary [0, 1, 1, 0] with [0.1, 0.9, 0.8, 0.3]:
    # 0.0375; three classes: 0.146... (rows of probabilities, labels eggs, ham, spam), by
    # hand (0.06 + 0.14 + 0.24) / 3.
    assert mean("brier", [0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]) == pytest.approx(0.0375)
    rows = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]]
    assert mean("brier", [0, 1, 2], rows) == pytest.approx(0.44 / 3)
    # Two columns: the catalog sums both (twice the binary score); scikit-learn halves it.
    two = [[0.9, 0.1], [0.3, 0.7]]
    assert mean("brier", [0, 1], two) == pytest.approx(0.1)
    assert mean("brier", [0, 1], two, convention="sklearn") == pytest.approx(0.05)


def test_multilabel_bce_mean_over_labels_and_pos_weight():
    y, p = [[1, 0, 1]], [[0.1, 0.2, 0.7]]
    plain = (-math.log(0.1) - math.log(0.8) - math.log(0.7)) / 3
    assert values("multilabel-bce", y, p)[0] == pytest.approx(plain, rel=1e-15)
    weighted = (-2 * math.log(0.1) - math.log(0.8) - 2 * math.log(0.7)) / 3
    assert values("multilabel-bce", y, p, pos_weight="2")[0] == pytest.approx(weighted, rel=1e-15)
    per_label = (-2 * math.log(0.1) - math.log(0.8) - 3 * math.log(0.7)) / 3
    assert values("multilabel-bce", y, p, pos_weight="2,1,3")[0] == pytest.approx(per_label)
    with pytest.raises(UsageError, match="--pos-weight has 2 values"):
        evaluate(make_request("multilabel-bce", {"pos_weight": "1,2"}), y, p)
    # Logits: (1 - y) sigmoid(z) - w y sigmoid(-z), over K.
    z = np.log(np.array(p) / (1 - np.array(p)))
    g = grads("multilabel-bce", y, z, space="logit", pos_weight="2")[0]
    np.testing.assert_allclose(g, [(-2 * 0.9) / 3, 0.2 / 3, (-2 * 0.3) / 3], rtol=1e-13)


def test_cross_entropy_class_weights_plain_and_torch_means():
    y, p = [0, 2, 2], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]
    w = "2,1,0.5"
    ce = values("ce", y, p)
    weighted = values("ce", y, p, class_weights=w)
    np.testing.assert_allclose(weighted, ce * [2, 0.5, 0.5], rtol=1e-15)
    # Catalog: the plain mean; torch: divided by Σ w[y] = 3 (here equal to n by chance, so
    # take other weights) -> Σ w[y] = 2 + 0.25 + 0.25 = 2.5.
    w = "2,1,0.25"
    total = float(np.sum(ce * [2, 0.25, 0.25]))
    assert mean("ce", y, p, class_weights=w) == pytest.approx(total / 3, rel=1e-15)
    assert mean("ce", y, p, convention="torch", class_weights=w) == pytest.approx(total / 2.5)
    # Its gradient of the mean: w[y_i] g_i / Σ w[y].
    g = grads(
        "ce", y, np.log(p), space="logit", convention="torch", reduction="mean", class_weights=w
    )
    rows = np.exp(np.log(p)) - np.eye(3)[y]
    np.testing.assert_allclose(g, rows * np.array([2, 0.25, 0.25])[:, None] / 2.5, rtol=1e-13)
    # Soft target rows: PyTorch divides by n, as the catalog.
    soft = [[0.5, 0.5, 0.0], [0, 0, 1], [0, 0.5, 0.5]]
    assert mean("ce", soft, p, convention="torch", class_weights=w) == pytest.approx(
        mean("ce", soft, p, class_weights=w), rel=1e-15
    )
    with pytest.raises(UsageError, match="--class-weights has 2 values"):
        evaluate(make_request("ce", {"class_weights": "1,2"}), y, p)
    with pytest.raises(UsageError, match="does not apply under this convention"):
        make_request("ce", {"class_weights": w}, convention="sklearn")


# --- divergences -----------------------------------------------------------------------------


def test_js_by_hand_in_nats_and_bits():
    # P = (1/2, 1/2), Q = (0.9, 0.1), M = (0.7, 0.3).
    m = (0.7, 0.3)
    kl_pm = 0.5 * math.log(0.5 / m[0]) + 0.5 * math.log(0.5 / m[1])
    kl_qm = 0.9 * math.log(0.9 / m[0]) + 0.1 * math.log(0.1 / m[1])
    js = 0.5 * (kl_pm + kl_qm)
    assert values("js", [[0.5, 0.5]], [[0.9, 0.1]])[0] == pytest.approx(js, rel=1e-14)
    assert values("js", [[0.5, 0.5]], [[0.9, 0.1]], log_base="2")[0] == pytest.approx(
        js / math.log(2)
    )
    # Symmetric and bounded by ln 2 (disjoint supports), finite where KL is infinite.
    assert values("js", [[1, 0]], [[0, 1]])[0] == pytest.approx(math.log(2), rel=1e-15)
    assert values("js", [[0.9, 0.1]], [[0.5, 0.5]])[0] == pytest.approx(js, rel=1e-14)
    # Identical rows: exactly 0, also given as log-probabilities.
    assert values("js", [[0.2, 0.8]], np.log([[0.2, 0.8]]), space="logprob")[0] == 0.0


def test_generalized_kl_and_its_log_input():
    # Counts P = (2, 1), Q = (1, 1): 2 ln 2 - 2 + 1 + (0) = 0.3862943611198906.
    assert values("generalized-kl", [[2, 1]], [[1, 1]])[0] == pytest.approx(
        2 * math.log(2) - 1, rel=1e-15
    )
    assert values("generalized-kl", [[2, 1]], np.log([[1, 1]]), space="log")[0] == pytest.approx(
        2 * math.log(2) - 1, rel=1e-15
    )
    # Equal to kl for distributions; Q = 0 where P > 0 is infinite.
    p, q = [[0.2, 0.8]], [[0.5, 0.5]]
    assert values("generalized-kl", p, q)[0] == pytest.approx(values("kl", p, q)[0], rel=1e-14)
    assert values("generalized-kl", [[1, 0]], [[0, 1]])[0] == math.inf
    np.testing.assert_allclose(grads("generalized-kl", [[2, 1]], [[1, 4]]), [[-1, 0.75]])


def test_distribution_cross_entropy_is_entropy_plus_kl():
    p, q = [[0.5, 0.5]], [[0.9, 0.1]]
    h = values("distribution-cross-entropy", p, q, log_base="2")[0]
    kl = values("kl", p, q, log_base="2")[0]
    assert h == pytest.approx(1.0 + kl, rel=1e-15)  # H(P) = 1 bit for a fair coin
    assert values("distribution-cross-entropy", p, p)[0] == pytest.approx(math.log(2))


# --- metric learning -------------------------------------------------------------------------


def test_triplet_optax_doc_example_and_conventions():
    # optax.losses.triplet_margin_loss docs: anchors [[0, 0], [1, 1]], positives
    # [[0.1, 0.1], [1.1, 1.1]], negatives [[1, 0], [0, 1]], margin 1 -> [0.1414 0.1414].
    rows = [[0, 0, 0.1, 0.1, 1, 0], [1, 1, 1.1, 1.1, 0, 1]]
    exact = math.sqrt(0.02)
    np.testing.assert_allclose(values("triplet", None, rows), [exact, exact], rtol=1e-12)
    optax = values("triplet", None, rows, convention="optax")
    expected = math.sqrt(0.02 + 1e-6) - math.sqrt(1 + 1e-6) + 1
    np.testing.assert_allclose(optax, [expected, expected], rtol=1e-14)
    np.testing.assert_allclose(optax, [0.1414, 0.1414], atol=5e-5)
    # torch: 1e-6 added to every coordinate of the difference.
    torch = values("triplet", None, rows, convention="torch")
    d = lambda v: math.hypot(*(x + 1e-6 for x in v))  # noqa: E731
    expected = d((-0.1, -0.1)) - d((-1, 0)) + 1
    assert torch[0] == pytest.approx(expected, rel=1e-14)
    # d(a, a) under each convention: 0, sqrt(2) 1e-6, 1e-3 (p = 2, D = 2).
    same = [[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]]
    assert values("triplet", None, same)[0] == 1.0
    assert values("triplet", None, same, convention="torch")[0] == pytest.approx(1.0)
    with pytest.raises(UsageError, match="only for even p"):
        evaluate(make_request("triplet", {"p_norm": 3}, convention="optax"), None, rows)
    # Two distance columns; odd p needs |x|: p = 1 is the Manhattan distance.
    assert values("triplet", None, [[0.5, 1.2]])[0] == pytest.approx(0.3)
    assert values("triplet", None, [[0, 0, 1, -1, 3, 0]], p_norm=1)[0] == pytest.approx(0.0)
    with pytest.raises(DataError, match="takes no target column"):
        evaluate(make_request("triplet"), [[1], [1]], rows)


def test_cosine_embedding_and_margin_ranking():
    # x1 = (1, 0), x2 = (3, 4): cos = 0.6. Similar: 1 - 0.6; dissimilar, margin 0.5: 0.1.
    pair = [[1, 0, 3, 4]]
    assert values("cosine-embedding", [1], pair)[0] == pytest.approx(0.4, rel=1e-15)
    assert values("cosine-embedding", [-1], pair, margin=0.5)[0] == pytest.approx(0.1)
    assert values("cosine-embedding", [0], pair, margin=0.7)[0] == 0.0  # 0 maps to -1
    # Nearly parallel: 1 - cos = ||x̂1 - x̂2||^2 / 2, no cancellation.
    tiny = values("cosine-embedding", [1], [[1, 0, 1, 1e-8]])[0]
    assert tiny == pytest.approx(5e-17, rel=1e-6)
    with pytest.raises(DataError, match="zero vector") as e:
        evaluate(make_request("cosine-embedding"), [1, 1], [[1, 0, 1, 1], [0, 0, 1, 1]])
    assert (e.value.row, e.value.column) == (1, 0)
    # Ranking: max(0, m - y (x1 - x2)).
    np.testing.assert_allclose(
        values("margin-ranking", [1, -1, 1], [[0.2, 0.5], [0.2, 0.5], [3, 0]], margin=0.1),
        [0.4, 0.0, 0.0],
    )
    np.testing.assert_array_equal(
        grads("margin-ranking", [1, -1], [[0.2, 0.5], [0.5, 0.2]], margin=0.1),
        [[-1, 1], [1, -1]],
    )


def test_infonce_is_cross_entropy_of_scaled_similarities():
    s = [[0.8, 0.2, 0.1]]
    # τ = 0.1: ln(1 + e^-6 + e^-7); τ = 1: ln(1 + e^-0.6 + e^-0.7).
    assert values("infonce", [0], s, temperature=0.1)[0] == pytest.approx(
        math.log1p(math.exp(-6) + math.exp(-7)), rel=1e-14
    )
    assert values("infonce", [0], s, temperature=1)[0] == pytest.approx(
        math.log1p(math.exp(-0.6) + math.exp(-0.7)), rel=1e-14
    )
    softmax = np.exp([8.0, 2, 1]) / np.exp([8.0, 2, 1]).sum()
    np.testing.assert_allclose(
        grads("infonce", [0], s, temperature=0.1), [(softmax - [1, 0, 0]) / 0.1], rtol=1e-12
    )
    # Huge similarities do not overflow s / τ.
    assert np.isfinite(values("infonce", [0], [[1e308, -1e308]], temperature=0.01)[0])


def test_nt_xent_batches():
    rows = [[1, 0], [1, 0], [0, 1], [0, 1]]
    # τ = 1: each row sees its twin (cos 1) and two rows at cos 0: ln(1 + 2/e).
    expected = math.log1p(2 / math.e)
    np.testing.assert_allclose(values("nt-xent", [0, 0, 1, 1], rows, temperature=1), [expected] * 4)
    # --batch-size 2: each pair is a batch alone; its only candidate is the positive: 0.
    np.testing.assert_array_equal(
        values("nt-xent", [0, 0, 1, 1], rows, temperature=1, batch_size=2), [0.0] * 4
    )
    # Two batches of 4 are two independent evaluations.
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 3))
    ids = [0, 1, 0, 1, 5, 5, 7, 7]
    both = values("nt-xent", ids, x, batch_size=4)
    np.testing.assert_allclose(
        both,
        np.concatenate([values("nt-xent", ids[:4], x[:4]), values("nt-xent", ids[4:], x[4:])]),
        rtol=1e-14,
    )
    g = grads("nt-xent", ids, x, batch_size=4)
    np.testing.assert_allclose(g[:4], grads("nt-xent", ids[:4], x[:4]), rtol=1e-13)
    # Rows alone with their id are negatives only (issue 12); a batch without any positive
    # pair names its first row.
    with pytest.raises(DataError, match="no positive pair") as e:
        evaluate(make_request("nt-xent", {"batch_size": 4}), [*ids[:4], 5, 6, 7, 8], x)
    assert e.value.row == 4
    with pytest.raises(DataError, match="zero vector"):
        evaluate(make_request("nt-xent"), [0, 0], [[0, 0], [1, 1]])
    with pytest.raises(UsageError, match="whole number"):
        make_request("nt-xent", {"batch_size": 2.5})
    with pytest.raises(UsageError, match="takes no sample weights"):
        evaluate(make_request("nt-xent"), [0, 0], [[1, 0], [0, 1]], weights=[1, 2])


# --- conventions of the new losses -----------------------------------------------------------


def test_regression_conventions():
    # Keras MAPE: 100 |y - ŷ| / max(|y|, 1e-7); scikit-learn: a fraction, floor at eps.
    assert mean("mape", [2, 4], [1, 5], convention="keras") == pytest.approx(37.5)
    assert values("mape", [0], [1], convention="sklearn")[0] == pytest.approx(
        1 / 2.220446049250313e-16
    )
    assert values("mape", [0], [1], convention="keras")[0] == pytest.approx(100 / 1e-7)
    # Keras MSLE raises y and ŷ to 1e-7: a negative prediction counts as 1e-7.
    assert values("msle", [1.0], [-0.5], convention="keras")[0] == pytest.approx(
        (math.log(1 + 1e-7) - math.log(2)) ** 2
    )
    # PyTorch PoissonNLLLoss: e^η - y η (log_input) and μ - y ln(μ + 1e-8).
    assert values("poisson", [3.0], [0.5], space="log", convention="torch")[0] == pytest.approx(
        math.exp(0.5) - 1.5
    )
    assert values("poisson", [3.0], [2.0], convention="torch")[0] == pytest.approx(
        2 - 3 * math.log(2 + 1e-8)
    )
    assert values("poisson", [3.0], [2.0], convention="keras")[0] == pytest.approx(
        2 - 3 * math.log(2 + 1e-7)
    )
    assert mean("poisson", [2, 0, 1, 4], [0.5, 0.5, 2, 2], convention="sklearn") == pytest.approx(
        1.4260151319598084
    )
    # PyTorch GaussianNLLLoss(full=False, eps=1e-6).
    assert values("gaussian-nll", [1.0], [[0.0, 2.0]], convention="torch")[0] == pytest.approx(
        0.5 * (math.log(2) + 0.5)
    )
    assert values("gaussian-nll", [0.0], [[0.0, 1e-9]], convention="torch")[0] == pytest.approx(
        0.5 * math.log(1e-6)
    )


def test_classification_conventions():
    # Keras CategoricalFocalCrossentropy docs: y = [[0, 1, 0], [0, 0, 1]],
    # p = [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]] -> [2.63401289e-04, 6.75912094e-01] (float32).
    p = [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]]
    np.testing.assert_allclose(
        values("softmax-focal", [1, 2], p, convention="keras"),
        [2.63401289e-04, 6.75912094e-01],
        rtol=1e-6,
    )
    # Keras CategoricalHinge floors the best other score at 0.
    assert values("multiclass-hinge", [0], [[0.5, -2.0, -1.0]])[0] == pytest.approx(0.0)
    assert values("multiclass-hinge", [0], [[0.5, -2.0, -1.0]], convention="keras")[0] == 0.5
    g = grads("multiclass-hinge", [0], [[0.5, -2.0, -1.0]], convention="keras")
    np.testing.assert_array_equal(g, [[-1, 0, 0]])
    # PyTorch MultiMarginLoss divides by C.
    assert values("multi-margin", [0], [[1, 0.5, 1.3]], convention="torch")[0] == pytest.approx(0.6)
    # Keras / PyTorch probability clamps on multi-label BCE.
    assert values("multilabel-bce", [[1, 0]], [[0.0, 0.0]], convention="keras")[0] == pytest.approx(
        -math.log(1e-7) / 2
    )
    assert values("multilabel-bce", [[1, 0]], [[0.0, 0.0]], convention="torch")[0] == 50.0
    with pytest.raises(UsageError, match="does not apply under this convention"):
        make_request("multilabel-bce", {"pos_weight": "2"}, convention="keras")
    with pytest.raises(UsageError, match="has no poly1 loss"):
        make_request("poly1", convention="torch")


# One small valid input of each loss that a framework's convention has (the catalog's own
# definitions are the property tests', tests/core/test_properties.py, so a loss no framework
# has needs no case here).
CONVENTION_CASES = {
    "mse": ([0.0], [1.0]),
    "mae": ([0.0], [1.0]),
    "huber": ([0.0], [1.0]),
    "smooth-l1": ([0.0], [1.0]),
    "binary-cross-entropy": ([1.0], [0.7]),
    "cross-entropy": ([2.0], [[0.1, 0.2, 0.7]]),
    "focal": ([1.0], [0.7]),
    "hinge": ([1.0], [0.3]),
    "kl": ([[0.5, 0.5]], [[0.9, 0.1]]),
    "contrastive": ([1.0], [[0.5]]),
    "log-cosh": ([0.0], [1.0]),
    "pseudo-huber": ([0.0], [1.0]),
    "pinball": ([1.0], [0.0]),
    "mape": ([2.0], [1.0]),
    "msle": ([2.0], [1.0]),
    "rmse": ([2.0], [1.0]),
    "rmsle": ([2.0], [1.0]),
    "poisson": ([2.0], [1.0]),
    "gaussian-nll": ([2.0], [[1.0, 0.5]]),
    "tweedie": ([2.0], [1.0]),
    "gamma-deviance": ([2.0], [1.0]),
    "squared-hinge": ([1.0], [0.3]),
    "perceptron": ([1.0], [-0.3]),
    "multilabel-bce": ([[1.0, 0.0]], [[0.7, 0.2]]),
    "multiclass-hinge": ([0.0], [[1.0, 0.5, 1.3]]),
    "multi-margin": ([0.0], [[1.0, 0.5, 1.3]]),
    "multiclass-perceptron": ([0.0], [[1.0, 0.5, 1.3]]),
    "softmax-focal": ([2.0], [[0.1, 0.2, 0.7]]),
    "poly1": ([2.0], [[0.1, 0.2, 0.7]]),
    "brier": ([2.0], [[0.1, 0.2, 0.7]]),
    "js": ([[0.5, 0.5]], [[0.9, 0.1]]),
    "generalized-kl": ([[2.0, 1.0]], [[1.0, 1.0]]),
    "distribution-cross-entropy": ([[0.5, 0.5]], [[0.9, 0.1]]),
    "triplet": (None, [[0.0, 0.0, 0.1, 0.1, 1.0, 0.0]]),
    "cosine-embedding": ([1.0], [[1.0, 0.0, 3.0, 4.0]]),
    "margin-ranking": ([1.0], [[0.2, 0.5]]),
    "infonce": ([0.0], [[0.8, 0.2, 0.1]]),
    "nt-xent": ([0.0, 0.0, 1.0, 1.0], [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 1.0]]),
}


def _in_a_framework() -> list[str]:
    from losscli.core.conventions import NAMES, covers

    return [
        loss.name
        for loss in all_losses()
        if any(covers(convention, loss) for convention in NAMES if convention != "catalog")
    ]


@pytest.mark.parametrize("name", _in_a_framework())
def test_every_loss_under_every_convention_it_has(name):
    # Each rule computes: a small valid input gives a finite value and gradient. A loss that a
    # framework has and that has no case above fails here by name.
    from losscli.core.conventions import NAMES, covers

    assert name in CONVENTION_CASES, f"{name}: add a small valid input to CONVENTION_CASES"
    y_true, y_pred = CONVENTION_CASES[name]
    for convention in NAMES:
        if not covers(convention, name):
            continue
        request = make_request(name, convention=convention)
        result = evaluate(request, y_true, y_pred)
        assert result.value is not None and math.isfinite(result.value), (name, convention)
        g = gradient(request, y_true, y_pred).grads
        assert np.all(np.isfinite(g)), (name, convention)


def test_stable_forms_against_50_digit_arithmetic():
    import mpmath  # the test extra: these tests never skip

    mpmath.mp.dps = 50
    mp = mpmath.mpf

    def close(got, exact, rel=1e-12):
        assert got == pytest.approx(float(exact), rel=rel), (got, exact)

    for r in (1e-12, 1e-5, 0.3, 2.0, 40.0):
        close(values("log-cosh", [0], [r])[0], mpmath.log(mpmath.cosh(mp(r))))
        close(
            values("pseudo-huber", [0], [r], delta=0.7)[0],
            mp(0.7) ** 2 * (mpmath.sqrt(1 + (mp(r) / mp(0.7)) ** 2) - 1),
        )
    # Near a perfect prediction every deviance is a difference of nearly equal terms.
    y, mu = 5.0, 5.0 + 5e-8
    Y, M = mp(y), mp(mu)
    close(values("poisson", [y], [mu])[0], M - Y + Y * mpmath.log(Y / M), rel=1e-9)
    close(values("gamma-deviance", [y], [mu])[0], 2 * (mpmath.log(M / Y) + Y / M - 1), rel=1e-9)
    close(values("msle", [y], [mu])[0], (mpmath.log(1 + M) - mpmath.log(1 + Y)) ** 2, rel=1e-9)
    p, q = [0.3, 0.7], [0.3 + 1e-9, 0.7 - 1e-9]
    # The exact values of the input doubles (nearest to 0.3 + 1e-9 and 0.7 - 1e-9).
    P, Q = [mp(v) for v in p], [mp(v) for v in q]
    m = [(a + b) / 2 for a, b in zip(P, Q, strict=True)]
    js = (
        sum(a * mpmath.log(a / c) + b * mpmath.log(b / c) for a, b, c in zip(P, Q, m, strict=True))
        / 2
    )
    close(values("js", [p], [q])[0], js, rel=1e-6)
    gkl = sum(a * mpmath.log(a / b) - a + b for a, b in zip(P, Q, strict=True))
    close(values("generalized-kl", [p], [q])[0], gkl, rel=1e-6)


def test_gradient_check_of_a_batch_loss_samples_rows():
    from losscli.core import check_gradient

    rng = np.random.default_rng(2)
    ids = np.repeat(np.arange(40), 2)
    x = rng.normal(size=(80, 3))
    result = check_gradient(make_request("nt-xent", {"temperature": 0.5}), ids, x)
    # 32 of the 80 rows are checked, every cell of theirs; the other 48 rows are not sampled.
    assert result.compared + result.skipped == 32 * 3 and result.unchecked == 48 * 3
    assert result.max_rel_diff < 1e-5
