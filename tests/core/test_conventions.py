"""Named conventions against each framework's documented numbers.

Every expected value says where it comes from: the framework's documentation (its formula or
its own doc example), or a hand computation from the documented formula. The oracle tests in
test_convention_oracles.py compare with the frameworks themselves where they are installed.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from losscli.core import UsageError, all_losses, evaluate, gradient, make_request
from losscli.core.conventions import (
    CONVENTIONS,
    FLOAT64_EPS,
    NAMES,
    covers,
    describe,
    rule_for,
)


def values(loss, y_true, y_pred, convention="catalog", **params):
    request = make_request(loss, params, convention=convention)
    return evaluate(request, y_true, y_pred, reduction="none").values


def mean(loss, y_true, y_pred, convention="catalog", space=None, **params):
    request = make_request(loss, params, convention=convention, space=space)
    return evaluate(request, y_true, y_pred).value


# --- the data: a convention writes only the losses it has ---------------------------------


def test_a_loss_without_a_rule_is_one_the_framework_does_not_have():
    # The default: a new loss needs no entry in conventions/ (CONTRIBUTING.md, "Adding a
    # loss"); each convention without a rule for it says why in one sentence.
    known = {loss.name for loss in all_losses()}
    for conv in CONVENTIONS.values():
        for name in [*conv.rules, *conv.missing]:
            assert name in known, f"{conv.name}: unknown loss {name}"
        assert not set(conv.rules) & set(conv.missing), f"{conv.name}: a rule and a reason"
        if conv.name == "catalog":
            assert all(covers("catalog", loss) for loss in all_losses())
            continue
        for loss in all_losses():
            if loss.name not in conv.rules:
                assert not covers(conv.name, loss)
                assert conv.why_missing(loss.name), f"{conv.name}/{loss.name}"


def test_the_default_reason_is_one_generated_sentence():
    assert CONVENTIONS["torch"].why_missing("tweedie") == "PyTorch has no such loss"
    assert CONVENTIONS["keras"].why_missing("tweedie") == "Keras has no such loss"
    assert CONVENTIONS["sklearn"].why_missing("poly1") == "scikit-learn has no such loss"
    assert CONVENTIONS["optax"].why_missing("mae") == "Optax has no such loss"
    # A convention of a few losses names them instead.
    assert CONVENTIONS["hadsell"].why_missing("mse") == (
        "the hadsell convention defines only the contrastive loss"
    )
    assert CONVENTIONS["pml"].why_missing("mse") == (
        "the pml convention defines only the contrastive and triplet losses"
    )
    # A reason of its own stays where it tells more: the function that computes it.
    assert "torch.sqrt(MSELoss()" in CONVENTIONS["torch"].why_missing("rmse")


def test_a_written_reason_tells_more_than_the_default():
    # "Keras has no Tweedie deviance" says only what the default says: it is not written.
    # A reason is kept for a pointer or a difference, after ':', ';' or in parentheses, or
    # is a sentence of another form ("scikit-learn's log_loss does not take ...").
    for conv in CONVENTIONS.values():
        for loss, why in conv.missing.items():
            boilerplate = re.fullmatch(rf"{re.escape(conv.framework)}( \d+)? has no [^(:;]*", why)
            assert not boilerplate, f"{conv.name}/{loss}: {why!r} is the default; leave it out"


def test_rules_are_documented_and_consistent():
    for conv in CONVENTIONS.values():
        for loss_name, rule in conv.rules.items():
            assert rule.function and rule.reference.startswith("https://"), (conv.name, loss_name)
            assert bool(rule.differences) == bool(rule.summary), (conv.name, loss_name)
            # A rule that changes the number must say so in `differences`.
            changes = rule.settings or rule.input_settings or rule.defaults or rule.scale != 1
            changes = changes or rule.mean != "examples"
            if changes:
                assert rule.differences, f"{conv.name}/{loss_name} changes the loss silently"
            loss_params = {p.name for p in make_request(loss_name).loss.params}
            assert set(rule.defaults) <= loss_params
            assert set(rule.refuses) <= loss_params


def test_a_convention_without_the_loss_is_an_error_that_says_why():
    with pytest.raises(UsageError, match="--convention torch has no hinge loss: PyTorch has no"):
        make_request("hinge", convention="torch")
    with pytest.raises(UsageError, match="hadsell convention defines only the contrastive"):
        make_request("mse", convention="hadsell")
    with pytest.raises(UsageError, match="unknown convention 'tf'"):
        make_request("mse", convention="tf")


def test_describe_lists_every_convention():
    rows = describe("binary-cross-entropy")
    assert [r["name"] for r in rows] == list(NAMES)
    torch = next(r for r in rows if r["name"] == "torch")
    assert torch["available"] and "clamped at -100" in torch["differences"][0]
    assert not next(r for r in rows if r["name"] == "pml")["available"]


# --- binary cross-entropy: the clamps -------------------------------------------------------


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        # PyTorch BCELoss docs: "clamps its log function outputs to be greater than or equal
        # to -100"; so -log(0) -> 100.
        ("torch", 100.0),
        # Keras: p clipped to [epsilon, 1 - epsilon], epsilon = 1e-7: -ln(1e-7) = 16.118...
        ("keras", -math.log(1e-7)),
        # scikit-learn log_loss: clipped to [eps, 1-eps], eps = float64 machine epsilon.
        ("sklearn", -math.log(np.finfo(np.float64).eps)),
        ("catalog", math.inf),
        ("optax", math.inf),  # exact, from the logit -inf
    ],
)
def test_bce_of_p0_for_a_positive(convention, expected):
    assert mean("bce", [1], [0.0], convention) == expected


def test_the_issue_numbers_to_three_decimals():
    assert round(mean("bce", [1], [0.0], "keras"), 3) == 16.118
    assert round(mean("bce", [1], [0.0], "sklearn"), 2) == 36.04
    assert FLOAT64_EPS == 2.220446049250313e-16


def test_torch_bce_gradient_is_torchs_formula():
    # torch's BCELoss backward: (p - y) / max(p (1 - p), EPSILON), EPSILON = 1e-12 as a
    # float32 constant (9.999999960041972e-13).
    floor = float(np.float32(1e-12))
    request = make_request("bce", convention="torch")
    g = gradient(request, [1, 1, 0, 1, 0], [0.0, 1e-50, 0.3, 1.0, 0.0]).grads
    np.testing.assert_allclose(g, [-1 / floor, -1 / floor, 0.3 / 0.21, 0.0, 0.0], rtol=1e-15)


def test_torch_bce_on_logits_is_exact():
    assert mean("bce", [1], [-1000.0], "torch", space="logit") == 1000.0


def test_keras_bce_doc_example():
    # keras.losses.binary_crossentropy docs: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4],
    # [0.4, 0.6]] -> [0.916, 0.714], the mean over the last axis (float32 there).
    v = values("bce", [0, 1, 0, 0], [0.6, 0.4, 0.4, 0.6], "keras")
    np.testing.assert_allclose([v[:2].mean(), v[2:].mean()], [0.916, 0.714], atol=5e-4)


def test_keras_cce_doc_example():
    # keras.losses.categorical_crossentropy docs: [[0, 1, 0], [0, 0, 1]] against
    # [[0.05, 0.95, 0], [0.1, 0.8, 0.1]] -> [0.0513, 2.303].
    v = values("ce", [1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], "keras")
    np.testing.assert_allclose(v, [0.0513, 2.303], atol=5e-4)
    # p = 0 on the true class: clipped to 1e-7 under Keras, infinite in the catalog.
    assert values("ce", [2], [[0.05, 0.95, 0.0]], "keras")[0] == pytest.approx(-math.log(1e-7))
    assert values("ce", [2], [[0.05, 0.95, 0.0]])[0] == math.inf


def test_sklearn_log_loss_doc_example():
    # sklearn.metrics.log_loss docs: log_loss(["spam", "ham", "ham", "spam"],
    # [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) = 0.21616 (ham = 0, spam = 1).
    y = [1, 0, 0, 1]
    p = [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]
    assert mean("ce", y, p, "sklearn") == pytest.approx(0.21616, abs=5e-6)


# --- label smoothing ------------------------------------------------------------------------


def test_label_smoothing_catalog_definitions():
    # CE: (1 - eps) onehot + eps/C; C = 3, eps = 0.3 -> target (0.1, 0.1, 0.8).
    p = [0.2, 0.3, 0.5]
    expected = -(0.1 * math.log(0.2) + 0.1 * math.log(0.3) + 0.8 * math.log(0.5))
    assert mean("ce", [2], [p], label_smoothing=0.3) == pytest.approx(expected, rel=1e-15)
    # BCE: y (1 - eps) + eps/2 (Keras's binary form); eps = 0.2, y = 1 -> 0.9.
    expected = -(0.9 * math.log(0.7) + 0.1 * math.log(0.3))
    assert mean("bce", [1], [0.7], label_smoothing=0.2) == pytest.approx(expected, rel=1e-15)
    # One prediction column of cross-entropy is the binary case: the same number.
    assert mean("ce", [1], [[0.7]], label_smoothing=0.2) == pytest.approx(expected, rel=1e-15)


def test_label_smoothing_gradients_wrt_logits():
    # softmax(z) - smoothed target.
    z = np.array([[1.0, 2.0, 0.5]])
    request = make_request("ce", {"label_smoothing": 0.1}, space="logit")
    g = gradient(request, [0], z).grads
    target = np.array([[0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3]])
    softmax = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(g, softmax - target, rtol=1e-13)


def test_frameworks_without_bce_label_smoothing_refuse_it():
    with pytest.raises(UsageError, match=r"--label-smoothing does not apply.*BCELoss has no label"):
        make_request("bce", {"label_smoothing": 0.1}, convention="torch")
    with pytest.raises(UsageError, match="log_loss has no label smoothing"):
        make_request("ce", {"label_smoothing": 0.1}, convention="sklearn")
    # Left at the catalog's default (0), the parameter is accepted.
    assert make_request("bce", {"label_smoothing": 0.0}, convention="torch")
    assert make_request("bce", {"label_smoothing": 0.1}, convention="keras")


# --- regression -----------------------------------------------------------------------------


def test_huber_delta_2_and_torch_smooth_l1_beta_2():
    # The issue's numbers: Huber(delta=2) at r = 0.5, 2, 3 is 0.125, 2, 4 (r^2/2, then
    # 2 (|r| - 1)); torch SmoothL1(beta=2) is Huber/beta: 0.0625, 1, 2.
    r = [0.5, 2.0, 3.0]
    for convention in ("catalog", "torch", "keras", "optax"):
        assert values("huber", [0, 0, 0], r, convention, delta=2).tolist() == [0.125, 2.0, 4.0]
    for convention in ("catalog", "torch"):
        assert values("smooth-l1", [0, 0, 0], r, convention, beta=2).tolist() == [0.0625, 1, 2]


def test_smooth_l1_beta_0_is_l1_and_gradient_bounded_by_1():
    assert values("smooth-l1", [0, 0, 0], [-3.0, 0.0, 0.25], beta=0).tolist() == [3, 0, 0.25]
    g = gradient(make_request("smooth-l1", {"beta": 0.5}), [0, 0, 0], [-3.0, 0.1, 0.25]).grads
    assert g.tolist() == [-1.0, 0.2, 0.5]
    g0 = gradient(make_request("smooth-l1", {"beta": 0}), [0, 0, 0], [-3.0, 0.0, 0.25]).grads
    assert g0.tolist() == [-1.0, 0.0, 1.0]


def test_optax_l2_loss_is_half_the_squared_error():
    # optax.losses.l2_loss = 0.5 * squared_error; its gradient is ŷ - y.
    request = make_request("mse", convention="optax")
    assert evaluate(request, [0, 0], [1.0, 3.0], reduction="none").values.tolist() == [0.5, 4.5]
    assert gradient(request, [0, 0], [1.0, 3.0]).grads.tolist() == [1.0, 3.0]
    assert mean("mse", [0, 0], [1.0, 3.0], "torch") == 5.0


def test_frameworks_without_the_loss():
    for convention, loss in [
        ("sklearn", "huber"),
        ("optax", "mae"),
        ("keras", "smooth-l1"),
        ("sklearn", "focal"),
        ("optax", "contrastive"),
    ]:
        assert not covers(convention, loss)
        with pytest.raises(UsageError, match=f"--convention {convention} has no"):
            rule_for(convention, loss)


# --- focal ----------------------------------------------------------------------------------


def test_torchvision_applies_alpha_025_by_default():
    # torchvision sigmoid_focal_loss: loss = alpha_t (1 - p_t)^gamma ce, alpha = 0.25.
    # y = 1, p = 0.8: 0.25 * 0.2^2 * -ln 0.8; y = 0, p = 0.8: 0.75 * 0.8^2 * -ln 0.2.
    v = values("focal", [1, 0], [0.8, 0.8], "torch")
    expected = [0.25 * 0.04 * -math.log(0.8), 0.75 * 0.64 * -math.log(0.2)]
    np.testing.assert_allclose(v, expected, rtol=1e-14)
    assert make_request("focal", convention="torch").params["alpha"] == 0.25
    # The user's --alpha wins; Optax and the catalog apply none by default.
    assert make_request("focal", {"alpha": 0.5}, convention="torch").params["alpha"] == 0.5
    assert "alpha" not in make_request("focal", convention="optax").params
    np.testing.assert_allclose(values("focal", [1], [0.8], "optax"), [0.04 * -math.log(0.8)])


def test_keras_binary_focal_doc_example():
    # keras.losses.binary_focal_crossentropy docs, gamma = 2, no class balancing:
    # y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]] -> [0.330, 0.206].
    v = values("focal", [0, 1, 0, 0], [0.6, 0.4, 0.4, 0.6], "keras")
    np.testing.assert_allclose([v[:2].mean(), v[2:].mean()], [0.330, 0.206], atol=5e-4)


def test_keras_focal_clips_only_inside_the_log():
    # p = 0 for a positive: the log term is -ln(1e-7), the focal weight (1 - 0)^2 = 1.
    assert values("focal", [1], [0.0], "keras")[0] == pytest.approx(-math.log(1e-7))
    # p = 1 - 1e-9 for a positive: the log is clipped at ln(1 - 1e-7), the weight (1e-9)^2
    # uses the unclipped p.
    expected = (1e-9) ** 2 * -math.log1p(-1e-7)
    assert values("focal", [1], [1 - 1e-9], "keras")[0] == pytest.approx(expected, rel=1e-6)


# --- hinge ----------------------------------------------------------------------------------


def test_optax_hinge_takes_labels_as_given():
    # optax.losses.hinge_loss = max(0, 1 - y f): a label 0 costs 1 whatever the score.
    request = make_request("hinge", convention="optax")
    ev = evaluate(request, [0, 1, -1], [5.0, 0.5, 0.5], reduction="none")
    assert ev.values.tolist() == [1.0, 0.5, 1.5]
    assert any("used as given" in n.text and n.rows == (0,) for n in ev.notices)
    assert gradient(request, [0, 1], [5.0, 0.5]).grads.tolist() == [0.0, -1.0]
    # Keras and the catalog map 0/1 labels to -1/+1.
    assert values("hinge", [0, 1], [5.0, 0.5], "keras").tolist() == [6.0, 0.5]


# --- KL -------------------------------------------------------------------------------------


def test_torch_kl_mean_is_over_elements_and_batchmean_is_the_catalog_mean():
    p = [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]
    q = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]
    catalog = mean("kl", p, q)
    torch_mean = mean("kl", p, q, "torch")
    assert torch_mean == pytest.approx(catalog / 3, rel=1e-15)
    total = evaluate(make_request("kl", convention="torch"), p, q, reduction="sum").value
    assert total == pytest.approx(2 * catalog, rel=1e-15)
    # The gradient of torch's 'mean' wrt log Q: -P / (n C).
    request = make_request("kl", convention="torch", space="logprob")
    g = gradient(request, p, np.log(q), reduction="mean").grads
    np.testing.assert_allclose(g, -np.array(p) / 6, rtol=1e-15)


def test_keras_kl_clips_both_sides():
    # keras.losses.kl_divergence: y_true and y_pred clipped to [1e-7, 1], then
    # sum y_true log(y_true / y_pred).
    v = values("kl", [[1.0, 0.0]], [[0.5, 0.5]], "keras")[0]
    assert v == pytest.approx(math.log(2) + 1e-7 * math.log(1e-7 / 0.5), rel=1e-14)
    # Q = 0 where P > 0: finite under Keras, infinite in the catalog.
    assert values("kl", [[0.5, 0.5]], [[1.0, 0.0]], "keras")[0] == pytest.approx(
        0.5 * math.log(0.5) + 0.5 * math.log(0.5 / 1e-7)
    )
    assert values("kl", [[0.5, 0.5]], [[1.0, 0.0]])[0] == math.inf


def test_keras_kl_gradient_through_logits_matches_differences():
    request = make_request("kl", convention="keras", space="logit")
    checked = __import__("losscli.core", fromlist=["check_gradient"]).check_gradient(
        request, [[0.2, 0.5, 0.3]], [[0.3, -1.0, 2.0]]
    )
    assert checked.compared == 3 and checked.max_rel_diff < 1e-6


# --- contrastive ----------------------------------------------------------------------------


def test_hadsell_flips_the_label_and_halves():
    # Hadsell et al. 2006, eq. 4: L = (1 - Y) D^2/2 + Y max(0, m - D)^2/2, Y = 0 similar.
    # D = 0.5, m = 1: Y = 0 -> 0.125; Y = 1 -> 0.125 as well; D = 2: 2 and 0.
    v = values("contrastive", [0, 1, 0, 1], [0.5, 0.5, 2.0, 2.0], "hadsell")
    assert v.tolist() == [0.125, 0.125, 2.0, 0.0]
    # The catalog reads the same labels the other way round (1 = similar) and has no 1/2.
    assert values("contrastive", [0, 1, 0, 1], [0.5, 0.5, 2.0, 2.0]).tolist() == [
        0.25,
        0.25,
        0.0,
        4.0,
    ]


def test_pml_no_squares_normalised_embeddings_and_nonzero_mean():
    # pytorch-metric-learning ContrastiveLoss(pos_margin=0, neg_margin=1), LpDistance on
    # L2-normalised embeddings; AvgNonZeroReducer per pair kind, summed.
    # Pairs (a | b): (3,4 | 6,8): same direction, d = 0; (1,0 | 0,2): d = sqrt 2;
    # (1,0 | 1,1): d = |(1,0) - (1,1)/sqrt 2|.
    emb = [[3, 4, 6, 8], [1, 0, 0, 2], [1, 0, 1, 1], [1, 0, 1, 0.1]]
    y = [1, 1, 0, 0]
    d3 = math.hypot(1 - 1 / math.sqrt(2), 1 / math.sqrt(2))
    d4 = math.hypot(1 - 1 / math.hypot(1, 0.1), 0.1 / math.hypot(1, 0.1))
    v = values("contrastive", y, emb, "pml")
    np.testing.assert_allclose(v, [0.0, math.sqrt(2), 1 - d3, 1 - d4], atol=1e-15)
    # Similar pairs: one non-zero (sqrt 2); dissimilar: two non-zero.
    expected = math.sqrt(2) + ((1 - d3) + (1 - d4)) / 2
    assert mean("contrastive", y, emb, "pml") == pytest.approx(expected, rel=1e-14)


def test_pml_gradient_through_the_normalisation():
    from losscli.core import check_gradient

    request = make_request("contrastive", convention="pml")
    emb = [[1.0, 0.5, -0.2, 0.7], [0.3, -1.0, 0.9, 0.4]]
    checked = check_gradient(request, [1, 0], emb)
    assert checked.compared == 8 and checked.max_rel_diff < 1e-6
    # The mean's gradient divides each pair by the number of non-zero pairs of its kind.
    g_none = gradient(request, [1, 1, 0], [[1.0, 0.5, -0.2, 0.7]] * 3).grads
    g_mean = gradient(request, [1, 1, 0], [[1.0, 0.5, -0.2, 0.7]] * 3, reduction="mean").grads
    np.testing.assert_allclose(g_mean[:2], g_none[:2] / 2, rtol=1e-15)
    np.testing.assert_allclose(g_mean[2], g_none[2], rtol=1e-15)
