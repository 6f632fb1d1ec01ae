"""The curves plot and explore draw: one axis per loss, values and gradients from the core."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from losscli.core import all_losses, evaluate, make_request
from losscli.core.errors import UsageError
from losscli.core.evaluation.curves import axis_for, curves, grid, has_axis, label_for

SPACES = [
    (loss.name, space) for loss in all_losses() for space in loss.spaces if space != "logprob"
]


def test_every_registered_loss_has_an_axis():
    # Like scikit-learn's test_common: a new loss must be given an axis, not left out.
    missing = [loss.name for loss in all_losses() if not has_axis(loss)]
    assert missing == []


def test_a_loss_with_unknown_targets_fails_clearly():
    future = dataclasses.replace(make_request("mse").loss, name="ranknet", target="ranking")
    request = make_request(future)
    with pytest.raises(UsageError, match="does not know which axis to draw ranknet"):
        axis_for(request)


@pytest.mark.parametrize(("name", "space"), SPACES)
def test_curves_are_finite_on_the_default_range(name, space):
    request = make_request(name, space=space)
    x = grid(axis_for(request), None, None, 101)
    for curve in curves(request, x):
        assert np.all(np.isfinite(curve.value)) and np.all(np.isfinite(curve.grad))
        assert curve.value.shape == curve.grad.shape == x.shape


@pytest.mark.parametrize(("name", "space"), SPACES)
def test_gradient_along_the_axis_matches_central_differences(name, space):
    request = make_request(name, space=space)
    axis = axis_for(request)
    lo, hi = axis.default
    x = np.linspace(lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo), 37)
    h = 1e-6
    for curve, up, down in zip(
        curves(request, x), curves(request, x + h), curves(request, x - h), strict=True
    ):
        central = (up.value - down.value) / (2 * h)
        one_sided_agree = np.isclose(
            (up.value - curve.value) / h, (curve.value - down.value) / h, rtol=1e-3, atol=1e-6
        )
        # Kinks (mae at 0, hinge at 1, ...) are where the one-sided differences disagree.
        np.testing.assert_allclose(
            curve.grad[one_sided_agree], central[one_sided_agree], rtol=1e-5, atol=1e-6
        )


def test_regression_curve_is_the_core_at_y_0():
    x = np.array([-2.0, 0.5, 3.0])
    (curve,) = curves(make_request("huber", {"delta": 1.5}), x)
    expected = evaluate(make_request("huber", {"delta": 1.5}), [0, 0, 0], x, reduction="none")
    np.testing.assert_array_equal(curve.value, expected.values)
    assert curve.label == "huber (delta=1.5)"


def test_binary_axis_is_p_of_the_true_class():
    (curve,) = curves(make_request("bce"), np.array([0.5, 0.7]))
    np.testing.assert_allclose(curve.value, -np.log([0.5, 0.7]), rtol=1e-15)
    np.testing.assert_allclose(curve.grad, -1 / np.array([0.5, 0.7]), rtol=1e-15)


def test_hinge_and_logistic_share_the_margin_axis():
    hinge, bce = make_request("hinge"), make_request("bce", space="logit")
    assert axis_for(hinge) == axis_for(bce)
    (h,) = curves(hinge, np.array([-1.0, 0.0, 1.0, 2.0]))
    assert h.value.tolist() == [2.0, 1.0, 0.0, 0.0]
    (b,) = curves(bce, np.array([0.0]))
    assert b.value[0] == pytest.approx(np.log(2.0), rel=1e-15)


def test_kl_is_against_p_given_by_a_parameter():
    request = make_request("kl")
    (curve,) = curves(request, np.array([0.3, 0.6]), kl_p=0.3)
    assert curve.value[0] == 0.0
    p, q = np.array([0.3, 0.7]), np.array([0.6, 0.4])
    assert curve.value[1] == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-14)
    assert curve.label == "kl (P=(0.3, 0.7))"
    with pytest.raises(UsageError, match="must be a probability"):
        curves(request, np.array([0.5]), kl_p=1.5)


def test_contrastive_has_a_similar_and_a_dissimilar_pair():
    similar, dissimilar = curves(make_request("contrastive", {"margin": 2.0}), np.array([0.5, 3]))
    assert similar.label.endswith("similar pair") and "dissimilar" in dissimilar.label
    assert similar.value.tolist() == [0.25, 9.0]
    assert dissimilar.value.tolist() == [2.25, 0.0]


@pytest.mark.parametrize(
    ("name", "start", "stop", "message"),
    [
        ("bce", -0.5, 1.0, "leaves the p of the true class axis"),
        ("mse", 2.0, 1.0, "needs A < B"),
        ("mse", 0.0, float("inf"), "two finite numbers"),
        ("contrastive", -1.0, 1.0, "leaves the distance d axis"),
    ],
)
def test_bad_ranges_are_usage_errors(name, start, stop, message):
    with pytest.raises(UsageError, match=message):
        grid(axis_for(make_request(name)), start, stop, 10)


def test_labels_show_the_parameters_that_shape_the_curve():
    assert label_for(make_request("bce")) == "binary-cross-entropy"
    assert label_for(make_request("focal", {"alpha": 0.25})) == "focal (gamma=2, alpha=0.25)"
    assert label_for(make_request("kl", {"direction": "reverse"})) == (
        "kl (P=(0.3, 0.7), direction=reverse)"
    )


def test_positions_place_examples_on_each_axis():
    from losscli.core.evaluation.curves import positions

    residual = positions(make_request("mse"), [1.0, 2.0], [1.5, 0.0])
    assert residual.tolist() == [0.5, -2.0]
    p_true = positions(make_request("bce"), [1, 0], [0.8, 0.8])
    np.testing.assert_allclose(p_true, [0.8, 0.2], rtol=1e-15)
    margin = positions(make_request("bce", space="logit"), [1, 0], [2.0, 2.0])
    assert margin.tolist() == [2.0, -2.0]
    assert positions(make_request("hinge"), [-1, 1], [0.5, 0.5]).tolist() == [-0.5, 0.5]
    three = positions(make_request("ce"), [2], [[0.1, 0.2, 0.7]])
    assert three.tolist() == pytest.approx([0.7], rel=1e-15)
    logit_three = positions(make_request("ce", space="logit"), [0], [[1.0, 0.0, 0.0]])
    p0 = np.e / (np.e + 2)
    assert logit_three[0] == pytest.approx(np.log(p0 / (1 - p0)), rel=1e-14)
    assert positions(make_request("contrastive"), [1], [[0.0, 0.0, 3.0, 4.0]]).tolist() == [5.0]
    assert positions(make_request("kl"), [[0.5, 0.5]], [[0.2, 0.8]]).tolist() == [0.2]
    with pytest.raises(UsageError, match="two classes"):
        positions(make_request("kl"), [[0.2, 0.3, 0.5]], [[0.2, 0.3, 0.5]])


def test_histogram_merges_batches_and_counts_what_is_outside():
    from losscli.core.evaluation.curves import Histogram

    h = Histogram.empty(-1.0, 1.0, 4)
    assert h.add(np.array([-0.9, 0.1, 0.2, 5.0])) == 1
    assert h.add(np.array([1.0, -1.0])) == 0
    assert h.counts.tolist() == [2, 0, 2, 1]
