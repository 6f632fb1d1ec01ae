"""Peer parity (issue 12): input forms, parameters and reductions that the peers' own test
suites exercise, each case citing the peer's file and test.

The expected numbers were computed with local oracles (PyTorch 2.13.0, scikit-learn, SciPy) on
the inputs of the cited tests and are frozen here: none of them is a test dependency. Each
assertion uses the peer's own tolerance or a tighter one.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.core import DataError, UsageError, evaluate, gradient, make_request


def mean(loss, y_true, y_pred, convention="catalog", space=None, **params):
    request = make_request(loss, params, convention=convention, space=space)
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
