"""Peer parity (issue 12): input forms, parameters and reductions that the peers' own test
suites exercise, each case citing the peer's file and test.

The expected numbers were computed with local oracles (PyTorch 2.13.0, scikit-learn, SciPy) on
the inputs of the cited tests and are frozen here: none of them is a test dependency. Each
assertion uses the peer's own tolerance or a tighter one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.core import DataError, UsageError, evaluate, gradient, make_request


def mean(loss, y_true, y_pred, convention="catalog", space=None, normalize=False, **params):
    request = make_request(loss, params, convention=convention, space=space, normalize=normalize)
    return evaluate(request, y_true, y_pred).value


def per_example(loss, y_true, y_pred, convention="catalog", space=None, **params):
    request = make_request(loss, params, convention=convention, space=space)
    return evaluate(request, y_true, y_pred, reduction="none").values


# --- --ignore-label ---------------------------------------------------------------------------

NLL_LOG_PROBS = np.log([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
NLL_TARGETS = [0, 2, 1, 2]


def test_ignore_label_is_torch_ignore_index():
    # PyTorch torch/testing/_internal/common_nn.py, NLLLoss desc='ignore_index' (ignore_index=2,
    # reference nllloss_reference): F.nll_loss(log p, t, ignore_index=2) on these rows gives
    # 0.9830564281864164, reduction='none' 0 at the ignored rows.
    value = mean("nll", NLL_TARGETS, NLL_LOG_PROBS, space="logprob", ignore_label=2)
    assert value == pytest.approx(0.9830564281864164, rel=1e-12)
    rows = per_example("nll", NLL_TARGETS, NLL_LOG_PROBS, space="logprob", ignore_label=2)
    assert rows == pytest.approx([0.35667494393873245, 0.0, 1.6094379124341003, 0.0], rel=1e-12)


def test_ignore_label_with_class_weights_under_torch():
    # PyTorch common_nn.py, NLLLoss desc='weights_ignore_index': the weighted mean divides by
    # the weights of the kept rows only; F.nll_loss(..., weight=[1, 2, 3], ignore_index=2)
    # = 1.1918502562689777.
    value = mean(
        "nll",
        NLL_TARGETS,
        NLL_LOG_PROBS,
        convention="torch",
        space="logprob",
        class_weights=(1.0, 2.0, 3.0),
        ignore_label=2,
    )
    assert value == pytest.approx(1.1918502562689777, rel=1e-12)


def test_ignore_label_is_keras_ignore_class():
    # keras/src/losses/losses_test.py, SparseCategoricalCrossentropyTest.test_ignore_class:
    # y_true [-1, 2] with ignore_class=-1 on logits [[0.854, 0.698, 0.598], [0.088, 0.86,
    # 0.018]]: the mean over the one kept row, 1.4801290273922487 (PyTorch's cross_entropy with
    # ignore_index=-1 on the same rows); Keras asserts 3 decimals.
    logits = [[0.854, 0.698, 0.598], [0.088, 0.86, 0.018]]
    value = mean("ce", [-1, 2], logits, convention="keras", space="logit", ignore_label=-1)
    assert value == pytest.approx(1.4801290273922487, abs=1e-3)
    assert mean("ce", [-1, 2], logits, space="logit", ignore_label=-1) == pytest.approx(
        1.4801290273922487, rel=1e-12
    )


def test_ignore_label_gradient_is_zero_on_left_out_rows():
    # PyTorch: the gradient of an ignored row is 0 and the others are divided by the kept count.
    request = make_request("ce", {"ignore_label": 1}, space="logit")
    logits = np.array([[0.5, 0.1, -0.3], [0.2, 0.2, 0.2], [1.0, -1.0, 0.0]])
    full = gradient(request, [0, 1, 2], logits, reduction="mean").grads
    assert np.all(full[1] == 0.0)
    kept = gradient(make_request("ce", space="logit"), [0, 2], logits[[0, 2]], reduction="mean")
    assert full[[0, 2]] == pytest.approx(kept.grads, rel=1e-15)


def test_ignore_label_refused_without_labels_and_says_what_it_left_out():
    with pytest.raises(UsageError, match="takes no class labels"):
        make_request("mse", {"ignore_label": 1})
    result = evaluate(make_request("ce", {"ignore_label": 1}), [1, 0], [[0.3, 0.7], [0.6, 0.4]])
    assert any("left out 1 example labelled 1" in n.text and n.rows == (0,) for n in result.notices)
    with pytest.raises(DataError, match="weights sum to 0"):
        evaluate(make_request("ce", {"ignore_label": 1}), [1], [[0.3, 0.7]])


# --- KL, JS and distribution cross-entropy on rows that do not sum to 1 -------------------------

# optax/losses/_classification_test.py, KLDivergenceTest.setUp: 4-decimal log-predictions and
# targets whose second row sums to 0.9 (Optax computes cell by cell, no renormalisation).
OPTAX_LOG_PS = np.array(
    [
        [-2.9957, -3.5066, -3.9120, -1.2040, -0.6931, -2.3026],
        [-1.6094, -1.6094, -1.6094, -2.3026, -1.8971, -1.8971],
    ]
)
OPTAX_QS = np.array([[0.2, 0.2, 0.2, 0.1, 0.15, 0.15], [0.05, 0.03, 0.02, 0.3, 0.5, 0.0]])
# torch.nn.functional.kl_div(log_ps, qs, reduction='none').sum(1) on the same rows.
OPTAX_KL = [0.8875577477743709, 0.7592807577163845]


@pytest.mark.parametrize("convention", ["optax", "torch"])
def test_kl_pointwise_on_rows_not_summing_to_one(convention):
    # optax/losses/_classification_test.py KLDivergenceTest.test_batched (Optax asserts
    # atol 1e-4); PyTorch computes the same cells (torch.nn.functional.kl_div).
    rows = per_example("kl", OPTAX_QS, OPTAX_LOG_PS, convention=convention, space="logprob")
    assert rows == pytest.approx(OPTAX_KL, rel=1e-12)


def test_kl_under_torch_can_be_negative_and_takes_torch_mean():
    # PyTorch test/test_nn.py test_KLDivLoss_batch_mean and torch.nn.functional.kl_div on rows
    # that do not sum to 1: F.kl_div(Q.log(), P) = -0.013249221028219757 (reduction='mean',
    # over the n x C elements), per row [0.28939261924207504, -0.3688879454113936].
    p = [[0.2, 0.5, 0.4], [0.1, 0.1, 0.1]]
    q = [[0.3, 0.3, 0.3], [0.5, 0.2, 0.4]]
    assert mean("kl", p, q, convention="torch") == pytest.approx(-0.013249221028219757, rel=1e-12)
    rows = per_example("kl", p, q, convention="torch")
    assert rows == pytest.approx([0.28939261924207504, -0.3688879454113936], rel=1e-12)
    with pytest.raises(DataError, match=r"sums to 1\.1"):
        mean("kl", p, q)  # the catalog still asks for distributions


def test_distribution_ce_pointwise_under_torch():
    # PyTorch CrossEntropyLoss with probability targets (test/test_nn.py
    # test_cross_entropy_loss_prob_target_all_reductions): targets are used as given;
    # F.cross_entropy(z, P) = 0.9217559462411288 for these rows.
    p = [[0.2, 0.5, 0.4], [0.1, 0.1, 0.1]]
    z = [[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]
    value = mean("distribution-cross-entropy", p, z, convention="torch", space="logit")
    assert value == pytest.approx(0.9217559462411288, rel=1e-12)


def test_log_rows_accept_the_rounding_of_four_decimals():
    # The 4-decimal log-probabilities of Optax's KL test sum to 1.0000148 and 1.0000273; the
    # catalog accepts them as distributions (each cell is off by at most 5e-5 in log space).
    targets = OPTAX_QS[:1]
    rows = per_example("kl", targets, OPTAX_LOG_PS[:1], space="logprob")
    assert rows == pytest.approx(OPTAX_KL[:1], rel=1e-12)
    with pytest.raises(DataError, match=r"sum to 1\.0011"):
        per_example("kl", [[0.2, 0.8]], np.log([[0.3, 0.7]]) + 0.0011, space="logprob")


def test_log_target_is_torch_and_optax_log_space_kl():
    # PyTorch test/test_nn.py test_KLDivLoss_batch_mean_log_target (kl_div(log_target=True) =
    # kl_div(..., target.exp())); optax/losses/_classification_test.py
    # KLDivergenceWithLogTargetsTest: F.kl_div(log Q, log P, log_target=True,
    # reduction='sum') = 0.025776095804356802 for log P = [-1.6094, -0.2231], Q = [0.3, 0.7].
    log_p = [[-1.6094, -0.2231]]
    request = make_request("kl", {"log_target": True}, convention="torch")
    value = evaluate(request, log_p, [[0.3, 0.7]], reduction="sum").value
    assert value == pytest.approx(0.025776095804356802, rel=1e-12)
    catalog = make_request("kl", {"log_target": True})
    assert evaluate(catalog, log_p, [[0.3, 0.7]]).value == pytest.approx(value, rel=1e-12)
    rows = per_example("kl", OPTAX_QS[:1], OPTAX_LOG_PS[:1], space="logprob")
    log_rows = per_example(
        "kl", np.log(OPTAX_QS[:1]), OPTAX_LOG_PS[:1], space="logprob", log_target=True
    )
    assert log_rows == pytest.approx(rows, rel=1e-13)
    with pytest.raises(UsageError, match="--log-target"):
        make_request("mse", {"log_target": True})


def test_normalize_checks_the_range_after_rescaling():
    # scipy.spatial.distance.jensenshannon([1, 2], [0.5, 1.5]) = 0.0649045071124932 (it
    # normalises both rows and returns the square root of the divergence; SciPy's
    # scipy/spatial/tests/test_distance.py test_jensenshannon checks the same rescaling).
    value = mean("js", [[1, 2]], [[0.5, 1.5]], normalize=True)
    assert math.sqrt(value) == pytest.approx(0.0649045071124932, rel=1e-12)
    request = make_request("kl", {}, normalize=True)
    counts = evaluate(request, [[2, 6, 2]], [[1, 1, 2]]).value
    exact = evaluate(make_request("kl"), [[0.2, 0.6, 0.2]], [[0.25, 0.25, 0.5]]).value
    assert counts == pytest.approx(exact, rel=1e-14)
    with pytest.raises(DataError, match="non-negative"):
        evaluate(request, [[2, -1, 2]], [[1, 1, 2]])


# --- softmax-focal --alpha and --label-smoothing; multilabel-bce --label-smoothing --------------


def test_softmax_focal_label_smoothing_is_keras():
    # keras/src/losses/losses_test.py CategoricalFocalCrossentropyTest.test_label_smoothing:
    # logits [[4.9, -0.5, 2.05]], y [[1, 0, 0]], label_smoothing=0.1, from_logits=True expects
    # 0.06685 (assertAlmostEqual to 3 places); the full value 0.06685145909164733 is a NumPy
    # transcription of keras.losses.categorical_focal_crossentropy.
    logits = [[4.9, -0.5, 2.05]]
    value = mean("softmax-focal", [[1, 0, 0]], logits, "keras", "logit", label_smoothing=0.1)
    assert value == pytest.approx(0.06685, abs=5e-4)
    assert value == pytest.approx(0.06685145909164733, rel=1e-12)


def test_softmax_focal_alpha_per_class():
    # Keras CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.7]) multiplies each class's term
    # (keras/src/losses/losses.py categorical_focal_crossentropy; the alpha of its tests in
    # losses_test.py CategoricalFocalCrossentropyTest is the scalar 0.25):
    # 0.6528882343794696 by the NumPy transcription, for these rows with gamma 2.
    y = [[0, 1, 0], [0, 0, 1]]
    p = [[0.05, 0.9, 0.05], [0.1, 0.8, 0.1]]
    value = mean("softmax-focal", y, p, alpha=(0.1, 0.2, 0.7))
    assert value == pytest.approx(0.6528882343794696, rel=1e-12)
    # Labels give the same value as one-hot rows; a scalar weighs every class alike.
    assert mean("softmax-focal", [1, 2], p, alpha=(0.1, 0.2, 0.7)) == pytest.approx(value)
    assert mean("softmax-focal", [1, 2], p, alpha=0.25) == pytest.approx(
        0.25 * mean("softmax-focal", [1, 2], p)
    )
    # Keras's default alpha = 0.25 is the keras convention's default; --alpha overrides it.
    keras = mean("softmax-focal", y, p, "keras", alpha=(0.1, 0.2, 0.7))
    assert keras == pytest.approx(value, rel=1e-6)
    with pytest.raises(UsageError, match="one per class"):
        mean("softmax-focal", y, p, alpha=(0.1, 0.2))


def test_multilabel_bce_label_smoothing_is_keras():
    # keras/src/losses/losses_test.py BinaryCrossentropyTest.test_label_smoothing: logits
    # [[100, -100, -100]], y [[1, 0, 1]], label_smoothing=0.1 expects (100 + 50 * 0.1) / 3.
    value = mean(
        "multilabel-bce",
        [[1, 0, 1]],
        [[100.0, -100.0, -100.0]],
        "keras",
        "logit",
        label_smoothing=0.1,
    )
    assert value == pytest.approx((100.0 + 50.0 * 0.1) / 3.0, rel=1e-7)
    with pytest.raises(UsageError, match="label smoothing"):
        make_request("multilabel-bce", {"label_smoothing": 0.1}, convention="torch")


# --- multi-output regression ----------------------------------------------------------------

MULTI_TRUE = [[1, 2], [2.5, -1], [4.5, 3], [5, 7]]
MULTI_PRED = [[1, 1], [2, -1], [5, 4], [5, 6.5]]


def outputs(loss, y_true, y_pred, weights=None, **params):
    from losscli.core.evaluation.requests import evaluate_outputs

    request = make_request(loss, {**params, "multioutput": "raw"})
    return evaluate_outputs(request, y_true, y_pred, weights=weights)


def test_multioutput_raw_values():
    # sklearn/metrics/tests/test_regression.py test_regression_multioutput_array: raw_values
    # mse [0.125, 0.5625], mae [0.25, 0.625] (decimal=2); rmse [0.35355339, 0.75] and
    # mean_pinball_loss(alpha=0.7) [0.125, 0.3375] by scikit-learn on the same arrays.
    assert outputs("mse", MULTI_TRUE, MULTI_PRED) == pytest.approx([0.125, 0.5625], rel=1e-15)
    assert outputs("mae", MULTI_TRUE, MULTI_PRED) == pytest.approx([0.25, 0.625], rel=1e-15)
    rmse = outputs("rmse", MULTI_TRUE, MULTI_PRED)
    assert rmse == pytest.approx([0.3535533905932738, 0.75], rel=1e-15)
    pinball = outputs("pinball", MULTI_TRUE, MULTI_PRED, quantile=0.7)
    assert pinball == pytest.approx([0.125, 0.3375], rel=1e-14)


def test_multioutput_uniform_average_roots_each_output_first():
    # sklearn/metrics/tests/test_regression.py test_multioutput_regression: mse
    # (1/3 + 2/3 + 2/3) / 4 and root_mean_squared_error 0.454 (decimal=2), the mean of the
    # per-output roots: 0.4541241452319315 by scikit-learn.
    y_true = [[1, 0, 0, 1], [0, 1, 1, 1], [1, 1, 0, 1]]
    y_pred = [[0, 0, 0, 1], [1, 0, 1, 1], [0, 0, 0, 1]]
    assert np.mean(outputs("mse", y_true, y_pred)) == pytest.approx(
        (1.0 / 3 + 2.0 / 3 + 2.0 / 3) / 4.0, rel=1e-15
    )
    assert np.mean(outputs("rmse", y_true, y_pred)) == pytest.approx(0.4541241452319315, rel=1e-15)
    # Weighted: root_mean_squared_error(MULTI_TRUE, MULTI_PRED, sample_weight=[1, 2, 0.5, 1]).
    weighted = outputs("rmse", MULTI_TRUE, MULTI_PRED, weights=[1, 2, 0.5, 1])
    assert np.mean(weighted) == pytest.approx(0.49814378035614426, rel=1e-14)


def test_multioutput_refusals():
    with pytest.raises(UsageError, match="--multioutput"):
        make_request("ce", {"multioutput": "raw"})
    with pytest.raises(UsageError, match="raw, uniform"):
        make_request("mse", {"multioutput": "mean"})
    with pytest.raises(DataError, match="2 target and 3 prediction"):
        outputs("mse", [[1, 2]], [[1, 2, 3]])


# --- --precision float32 ------------------------------------------------------------------


def test_float32_reproduces_keras_bce_at_p_one():
    # keras/src/losses/losses_test.py BinaryCrossentropyTest.test_unweighted: y [[1, 0], [1, 0]]
    # against p [[1, 1], [1, 0]] expects 3.98559 (float32: Keras's clip at 1 - 1e-7 rounds to
    # 1 - 2^-23, and -ln(1.1920929e-7) / 4 = 3.9855963).
    # In float64 the clip is at 1 - 1e-7: 4.029523987871173.
    y, p = [[1, 0], [1, 0]], [[1.0, 1.0], [1.0, 0.0]]
    single = mean("multilabel-bce", y, p, "keras", precision="float32")
    assert single == pytest.approx(3.98559, abs=1e-5)
    assert mean("multilabel-bce", y, p, "keras") == pytest.approx(4.029523987871173, rel=1e-12)
    flat = mean("bce", [1, 0, 1, 0], [1.0, 1.0, 1.0, 0.0], "keras", precision="float32")
    assert flat == pytest.approx(single, rel=1e-12)
    with pytest.raises(UsageError, match="float64, float32"):
        make_request("mse", {"precision": "float16"})


# --- one-hot target rows for multiclass-hinge ---------------------------------------------


def test_multiclass_hinge_one_hot_rows_are_keras_categorical_hinge():
    # keras/src/losses/losses_test.py CategoricalHingeTest.test_unweighted: y_true [[0, 1],
    # [0, 0]] (an all-zero row: no true class) against [[0.6, 0.4], [0.4, 0.6]] expects 1.4:
    # max(0, max((1 - y) f) - Σ y f + 1) per row, 1.2 and 1.6.
    y, f = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    assert mean("multiclass-hinge", y, f, "keras") == pytest.approx(1.4, rel=1e-15)
    assert per_example("multiclass-hinge", y, f) == pytest.approx([1.2, 1.6], rel=1e-15)
    # Keras's max((1 - y) f) counts the zeroed true column: with every other score negative the
    # keras convention differs from the catalog (NumPy transcription of keras.losses
    # categorical_hinge: 3.0 against the catalog's 1.5).
    y3, f3 = [[1, 0, 0]], [[-2.0, -3.0, -1.5]]
    assert per_example("multiclass-hinge", y3, f3, "keras") == pytest.approx([3.0])
    assert per_example("multiclass-hinge", y3, f3) == pytest.approx([1.5])
    # One-hot rows read as their labels: scikit-learn's hinge_loss([1, 2, 0], f) = 1.1333333333333335
    f = [[0.3, 0.5, -1.0], [0.2, -0.4, 0.1], [-2.0, -3.0, -1.5]]
    rows = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert mean("multiclass-hinge", rows, f, "sklearn") == pytest.approx(
        1.1333333333333335, rel=1e-15
    )
    assert mean("multiclass-hinge", [1, 2, 0], f) == pytest.approx(1.1333333333333335, rel=1e-15)
    with pytest.raises(DataError, match="at most one 1"):
        mean("multiclass-hinge", [[1, 1, 0]], [[0.1, 0.2, 0.3]])


# --- -inf logits: a masked class --------------------------------------------------------------

MASKED = [[1.0, -np.inf, 2.0], [1.0, 2.0, 3.0]]


def test_minus_inf_logit_masks_a_class():
    # optax/losses/_classification_test.py (softmax_cross_entropy and
    # softmax_cross_entropy_with_integer_labels on logits with -inf entries, Optax's masked
    # classes): probability 0 for the masked class, the loss finite unless the true class is
    # masked. F.cross_entropy([[1, -inf, 2]], [0]) = 1.3132616875182228 with gradient
    # [-0.7310585786300049, 0, 0.7310585786300049] (PyTorch 2.13).
    request = make_request("ce", space="logit")
    value = evaluate(request, [0], MASKED[:1]).value
    assert value == pytest.approx(1.3132616875182228, rel=1e-14)
    grads = gradient(request, [0], MASKED[:1]).grads
    assert grads[0] == pytest.approx([-0.7310585786300049, 0.0, 0.7310585786300049], rel=1e-14)
    # A soft target with 0 on the masked class: 0 ln 0 is 0 (Optax); PyTorch gives NaN here.
    soft = evaluate(request, [[0.5, 0.0, 0.5]], MASKED[:1]).value
    assert soft == pytest.approx(0.8132616875182228, rel=1e-14)
    dce = make_request("distribution-cross-entropy", space="logit")
    assert evaluate(dce, [[0.5, 0.0, 0.5]], MASKED[:1]).value == pytest.approx(soft)


def test_masked_true_class_is_infinite_and_said():
    result = evaluate(make_request("ce", space="logit"), [1, 0], MASKED, reduction="none")
    assert result.values[0] == np.inf
    assert np.isfinite(result.values[1])
    assert any("the true class is masked" in n.text and n.rows == (0,) for n in result.notices)
    with pytest.raises(DataError, match="masks every class"):
        evaluate(make_request("ce", space="logit"), [0], [[-np.inf, -np.inf]])
    with pytest.raises(DataError, match="not a finite number"):
        evaluate(make_request("ce", space="logit"), [0], [[np.inf, 1.0]])


# --- nt-xent: groups of any size, singletons, zero vectors ------------------------------------

# A batch with a group of three, a pair and two rows alone with their ids. Expected values:
# a PyTorch transcription of pytorch-metric-learning's NTXentLoss (for each positive pair
# (a, p): -log(e^s_ap / (e^s_ap + Σ_neg e^s_an)), s = cos / τ, the mean over positive pairs),
# autograd for the gradient, temperature 0.5 (PyTorch 2.13, float64).
GROUP_IDS = [0, 0, 0, 1, 1, 2, 3]
GROUP_X = np.array(
    [
        [-2.3104, -0.3733, -1.0608],
        [0.9995, -0.8840, 0.2103],
        [0.1772, -0.8305, 0.2387],
        [0.7335, -1.3219, 1.3148],
        [-1.4875, 1.4881, -0.4484],
        [-0.8910, 0.6749, 1.0469],
        [0.1543, -0.7499, -0.7234],
    ]
)
NTXENT_GROUPS_VALUE = 2.689460252060185
NTXENT_GROUPS_GRAD = [
    [-0.0625272507157, 0.394720719714, -0.00272085653809],
    [0.168035414521, 0.225527709303, 0.149382302473],
    [0.304803231484, 0.148272609049, 0.289607328009],
    [0.133710307066, -0.129329493374, -0.204622123155],
    [-0.0393969145532, -0.0757655293766, -0.120748826645],
    [-0.068124518975, -0.00546195561073, -0.0544585658277],
    [-0.00738388953442, -0.107517660374, 0.10988133724],
]


def test_ntxent_groups_of_any_size_and_singletons():
    # pytorch-metric-learning tests/losses/test_ntxent_loss.py TestNTXentLoss.test_ntxent_loss
    # (labels with groups of several sizes; every positive pair averaged) and
    # optax/losses/_self_supervised_test.py NtxentTest: the same per-pair form.
    request = make_request("nt-xent", {"temperature": 0.5})
    value = evaluate(request, GROUP_IDS, GROUP_X).value
    assert value == pytest.approx(NTXENT_GROUPS_VALUE, rel=1e-13)
    grads = gradient(request, GROUP_IDS, GROUP_X, reduction="mean").grads
    assert grads == pytest.approx(np.array(NTXENT_GROUPS_GRAD), rel=1e-9, abs=1e-15)
    with pytest.raises(DataError, match="no positive pair"):
        evaluate(request, [0, 1, 2], GROUP_X[:3])


def test_ntxent_zero_vectors_under_optax():
    # optax/losses/_self_supervised_test.py NtxentTest: Optax's cosine floors the norm, so a
    # zero vector has cosine 0 with every row; the same transcription with the norm clamped
    # gives 1.0794079468425357 for these rows (temperature 0.5).
    x = [[1.0, 0.0], [0.8, 0.6], [0.0, 0.0], [0.0, 1.0], [-1.0, 0.2]]
    ids = [0, 0, 1, 1, 2]
    request = make_request("nt-xent", {"temperature": 0.5}, convention="optax")
    assert evaluate(request, ids, x).value == pytest.approx(1.0794079468425357, rel=1e-14)
    grads = gradient(request, ids, x, reduction="mean").grads
    assert np.all(grads[2] == 0.0)  # no derivative at 0: taken as 0 (autograd gives g / eps)
    assert grads[1] == pytest.approx([-0.34773895, 0.46365193], rel=1e-6)
    with pytest.raises(DataError, match="zero vector"):
        evaluate(make_request("nt-xent", {"temperature": 0.5}), ids, x)


# --- parameters -------------------------------------------------------------------------------


def test_torchvision_focal_alpha_minus_one_disables_the_weighting():
    # torchvision test/test_ops.py TestFocalLoss.test_equal_ce_loss: alpha=-1, gamma=0 gives
    # binary_cross_entropy_with_logits exactly; with gamma 2 the unweighted focal loss,
    # 0.41315638464767135 here (PyTorch transcription of sigmoid_focal_loss).
    y, z = [1, 0, 0], [0.3, -2.0, 1.5]
    focal = mean("focal", y, z, "torch", "logit", alpha=-1, gamma=0)
    assert focal == pytest.approx(mean("bce", y, z, space="logit"), rel=1e-15)
    assert mean("focal", y, z, "torch", "logit", alpha=-1) == pytest.approx(
        0.41315638464767135, rel=1e-14
    )
    weighted = mean("focal", y, z, "torch", "logit")  # torchvision's default alpha = 0.25
    assert weighted != pytest.approx(0.41315638464767135)


def test_tweedie_power_at_most_zero_is_sklearn():
    # sklearn/metrics/tests/test_regression.py test_regression_metrics: power=0 is
    # mean_squared_error; test_tweedie_deviance_continuity takes p < 0 too (any target).
    # mean_tweedie_deviance on these arrays (scikit-learn): p = 0 1.0474999999999999,
    # p = -1 0.7150833333333324, p = -2.5 1.9103762511412081 (assert_allclose, rtol 1e-7).
    y, mu = [-1.0, 0.0, 2.0, 3.5], [0.5, 1.2, 2.5, 3.0]
    assert mean("tweedie", y, mu, power=0.0) == pytest.approx(mean("mse", y, mu), rel=1e-15)
    assert mean("tweedie", y, mu, power=0.0) == pytest.approx(1.0474999999999999, rel=1e-12)
    assert mean("tweedie", y, mu, power=-1.0) == pytest.approx(0.7150833333333324, rel=1e-12)
    assert mean("tweedie", y, mu, power=-2.5) == pytest.approx(1.9103762511412081, rel=1e-12)
    log_mu = np.log(mu)
    assert mean("tweedie", y, log_mu, space="log", power=-1.0) == pytest.approx(
        0.7150833333333324, rel=1e-12
    )
    with pytest.raises(UsageError, match="at most 0 or at least 1"):
        make_request("tweedie", {"power": 0.5})
    with pytest.raises(DataError, match="a mean > 0"):
        mean("tweedie", [1.0], [-1.0], power=-1.0)
    assert mean("tweedie", [1.0], [-1.0], power=0.0) == pytest.approx(4.0)


def test_rmsle_is_sklearn_root_mean_squared_log_error():
    # sklearn/metrics/tests/test_regression.py test_regression_metrics (root_mean_squared_log_
    # error is the root of mean_squared_log_error) on the arrays of mean_squared_log_error's
    # docstring: 0.19932416558108; weighted [1, 2, 3, 4]: 0.2133009736665704; multi-output
    # raw_values [0.06800207, 0.28943815], uniform 0.17872010861934334 (scikit-learn).
    y, p = [3, 5, 2.5, 7], [2.5, 5, 4, 8]
    assert mean("rmsle", y, p) == pytest.approx(0.19932416558108, rel=1e-13)
    request = make_request("rmsle")
    weighted = evaluate(request, y, p, weights=[1, 2, 3, 4]).value
    assert weighted == pytest.approx(0.2133009736665704, rel=1e-13)
    raw = outputs("rmsle", [[0.5, 1], [1, 2], [7, 6]], [[0.5, 2], [1, 2.5], [8, 8]])
    assert raw == pytest.approx([0.06800207, 0.28943815], rel=1e-7)
    assert np.mean(raw) == pytest.approx(0.17872010861934334, rel=1e-13)
    assert mean("rmsle", y, p, "sklearn") == pytest.approx(0.19932416558108, rel=1e-13)


def test_multi_margin_p2_and_weight_are_torch_multimarginloss():
    # PyTorch test/test_nn.py and torch/testing/_internal/common_nn.py MultiMarginLoss
    # (desc 'p', p=2; desc 'weights', weight=...; reference multimarginloss_reference):
    # torch.nn.MultiMarginLoss on these rows, mean over n (the weight does not divide).
    f = [[0.1, 0.2, 0.4, 0.8], [0.5, -0.3, 0.9, 0.0], [1.0, 0.2, -0.5, 0.3]]
    y = [3, 0, 2]
    w = (1.0, 2.0, 0.5, 3.0)
    assert mean("multi-margin", y, f, "torch") == pytest.approx(0.7833333333333332, rel=1e-14)
    assert mean("multi-margin", y, f, "torch", p_norm=2) == pytest.approx(1.27, rel=1e-14)
    weighted = mean("multi-margin", y, f, "torch", p_norm=2, class_weights=w)
    assert weighted == pytest.approx(0.8558333333333333, rel=1e-14)
    assert mean("multi-margin", y, f, "torch", class_weights=w) == pytest.approx(0.75, rel=1e-14)
    # The catalog does not divide by C = 4.
    assert mean("multi-margin", y, f, p_norm=2) == pytest.approx(4 * 1.27, rel=1e-14)
    with pytest.raises(UsageError, match="whole number"):
        make_request("multi-margin", {"p_norm": 1.5})
    with pytest.raises(UsageError, match="one weight per class"):
        mean("multi-margin", y, f, class_weights=(1.0, 2.0))


TRIPLETS = [
    [0.6614, 0.2669, 0.0617, 0.795, 0.0563, -0.1937, -0.0651, 0.7007, 0.1499],
    [0.6213, -0.4519, -0.1661, -0.165, -0.5135, 1.6274, -1.1859, 0.0335, -0.2768],
    [-1.5228, 0.3817, -1.0276, -2.4384, 1.181, -1.6661, -0.858, 0.1835, -1.67],
    [-0.5631, -0.8923, -0.0583, -0.4003, -1.1319, 0.6313, -0.3738, -0.6637, 0.4936],
    [-0.1955, -0.9656, 0.4224, 1.0688, -0.7603, -0.0716, -0.702, -0.2621, -0.1249],
]


def test_triplet_swap_is_torch_triplet_margin_loss():
    # PyTorch test/test_nn.py test_triplet_margin_loss_swap (and common_nn.py
    # TripletMarginLoss desc 'swap'): torch.nn.TripletMarginLoss(swap=True) on these anchor,
    # positive, negative rows: 1.1250540145500096 (1.097474477525014 without swap).
    request = make_request("triplet", {"swap": True}, convention="torch")
    assert evaluate(request, None, TRIPLETS).value == pytest.approx(1.1250540145500096, rel=1e-13)
    plain = make_request("triplet", convention="torch")
    assert evaluate(plain, None, TRIPLETS).value == pytest.approx(1.097474477525014, rel=1e-13)
    with pytest.raises(UsageError, match="--swap needs the three embeddings"):
        evaluate(make_request("triplet", {"swap": "yes"}), None, [[1.0, 2.0]])


def test_poisson_full_is_torch_poisson_nll_full():
    # PyTorch test/test_nn.py test_poisson_nll_loss_full / common_nn.py PoissonNLLLoss desc
    # 'full' (full=True adds Stirling's y ln y - y + ½ ln(2πy) for y > 1):
    # torch.nn.PoissonNLLLoss(log_input=True, full=True) = 1.3239791620460226 on these rows,
    # log_input=False 1.3239791547608923 (its eps 1e-8 in the log).
    y = [0.0, 1.0, 2.0, 5.0, 0.5]
    eta = np.array([0.3, -0.2, 1.0, 1.4, 0.1])
    logged = mean("poisson", y, eta, "torch", "log", full="yes")
    assert logged == pytest.approx(1.3239791620460226, rel=1e-14)
    rates = mean("poisson", y, np.exp(eta), "torch", full="yes")
    assert rates == pytest.approx(1.3239791547608923, rel=1e-14)
    # The catalog's --full is the exact negative log-likelihood: -scipy.stats.poisson.logpmf
    # averaged, 1.405677569824924 on the first four rows.
    exact = mean("poisson", y[:4], np.exp(eta[:4]), full="yes")
    assert exact == pytest.approx(1.405677569824924, rel=1e-14)


PML_PAIRS = [
    [-0.2177, 0.1467, -2.2236, -0.419, -1.6649, 1.1065],
    [-0.4724, -1.3464, -0.2842, -0.7726, 0.9811, 1.4228],
    [0.1679, 0.7581, 1.0784, -0.0176, -0.4991, 0.9396],
    [0.3436, 1.0038, -0.2214, 1.0793, 1.2244, 1.216],
    [-0.584, -1.225, -0.2697, 0.0621, 0.8037, 0.9151],
    [0.2037, 0.0288, 0.2424, -0.7554, 0.0665, -0.005],
]


def test_pml_contrastive_pos_margin_and_squared_distances():
    # pytorch-metric-learning tests/losses/test_contrastive_loss.py TestContrastiveLoss
    # (pos_margin, neg_margin; LpDistance(power=2) for squared distances; AvgNonZeroReducer):
    # a PyTorch transcription of ContrastiveLoss(pos_margin=0.2, neg_margin=1) on unit
    # embeddings gives 1.474525053691581, with LpDistance(power=2) 2.5902797266180926.
    y = [1, 0, 1, 0, 1, 0]
    plain = mean("contrastive", y, PML_PAIRS, "pml", pos_margin=0.2)
    assert plain == pytest.approx(1.474525053691581, rel=1e-13)
    squared = mean("contrastive", y, PML_PAIRS, "pml", pos_margin=0.2, distance="squared")
    assert squared == pytest.approx(2.5902797266180926, rel=1e-13)
    # The catalog's form: y max(0, d - m_pos)^2 + (1 - y) max(0, m - d)^2.
    rows = per_example("contrastive", [1, 0], [[0.5], [0.5]], pos_margin=0.2)
    assert rows == pytest.approx([0.09, 0.25], rel=1e-14)
    with pytest.raises(UsageError, match="--pos-margin does not apply"):
        make_request("contrastive", {"pos_margin": 0.2}, convention="hadsell")


PML_TRIPLETS = [
    [0.887, -1.552, -0.4651, 0.7802, -2.314, -0.4099, 0.5273, -2.2018, -1.3997],
    [0.7138, 0.7002, -1.1857, 0.9301, 0.7202, -1.239, 0.978, 2.2019, -2.3617],
    [0.515, 0.3578, -1.312, -0.628, -0.0033, -0.8913, -0.5826, -0.4461, -1.8664],
    [-1.0237, 0.9709, 0.0316, -1.605, 0.0193, 0.1541, -1.0361, 1.8041, 0.2949],
    [-0.1677, 0.052, 0.7815, 0.5205, -0.8136, 1.01, -0.8923, 0.7392, 0.2778],
    [0.471, 0.5809, -0.5633, 0.9228, 0.4986, -0.0635, 0.4843, 1.1819, -0.8485],
]


def test_pml_triplet_averages_the_non_zero_triplets():
    # pytorch-metric-learning tests/losses/test_triplet_margin_loss.py
    # TestTripletMarginLoss (margin 0.05, unit embeddings, AvgNonZeroReducer): a PyTorch
    # transcription gives per-triplet [0, 0, 0.2192041035420242, 0.47016278771535003, 0,
    # 0.4795683569251467] and the mean over the three non-zero ones, 0.38964508272750703.
    request = make_request("triplet", convention="pml")
    assert evaluate(request, None, PML_TRIPLETS).value == pytest.approx(
        0.38964508272750703, rel=1e-13
    )
    rows = evaluate(request, None, PML_TRIPLETS, reduction="none").values
    assert rows[[0, 1, 4]] == pytest.approx([0.0, 0.0, 0.0])
    assert rows[3] == pytest.approx(0.47016278771535003, rel=1e-13)


def test_hinge_with_any_two_labels_under_sklearn():
    # sklearn/metrics/tests/test_classification.py test_hinge_loss_binary: y_true [0, 2, 2, 0]
    # against [-8.5, 0.5, 1.5, -0.3] gives 1.2 / 4, as with [-1, 1, 1, -1].
    f = [-8.5, 0.5, 1.5, -0.3]
    result = evaluate(make_request("hinge", convention="sklearn"), [0, 2, 2, 0], f)
    assert result.value == pytest.approx(1.2 / 4, rel=1e-15)
    assert any("0/2 were mapped" in n.text for n in result.notices)
    assert mean("hinge", [-1, 1, 1, -1], f) == pytest.approx(1.2 / 4, rel=1e-15)
    with pytest.raises(DataError, match="--convention sklearn maps any two labels"):
        mean("hinge", [0, 2, 2, 0], f)
