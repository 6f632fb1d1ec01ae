"""Which losses `compare --all` compares: the data's task and prediction space against every
loss of the registry (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.core.losses.applicability import data_kind, loss_tasks, reason_left_out
from losscli.core.losses.registry import all_losses

# name: (y_true, y_pred, tasks, space)
DATA = {
    "regression": ([[1.5], [-2.0], [3.0]], [[1.0], [-1.0], [2.5]], {"regression"}, "raw"),
    "binary-prob": ([[1], [0], [1]], [[0.9], [0.2], [0.6]], {"binary"}, "prob"),
    "binary-scores": ([[1], [0], [1]], [[2.5], [-1.0], [0.3]], {"binary"}, "raw"),
    "pairs": ([[1], [0], [1]], [[0.2], [1.7], [0.4]], {"binary", "pairs"}, "raw"),
    "multiclass-prob": ([[2], [0]], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]], {"multiclass"}, "prob"),
    "multiclass-scores": (
        [[2], [0]],
        [[-1.0, 0.2, 3.0], [2.0, 0.1, -0.5]],
        {"multiclass", "embedding"},
        "raw",
    ),
    "distributions": ([[0.7, 0.3], [0.2, 0.8]], [[0.6, 0.4], [0.5, 0.5]], {"distribution"}, "prob"),
    "multilabel": (
        [[1, 0, 1], [0, 0, 1]],
        [[0.9, 0.1, 0.8], [0.2, 0.3, 0.6]],
        {"multilabel"},
        "prob",
    ),
    "cosine-pairs": (
        [[1], [-1]],
        [[1.0, 0.0, 1.0, 0.1], [0.0, 1.0, 1.0, 0.0]],
        {"embedding"},
        "raw",
    ),
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_data_kind(name):
    y_true, y_pred, tasks, space = DATA[name]
    kind = data_kind(np.array(y_true, dtype=float), np.array(y_pred, dtype=float))
    assert (set(kind.tasks), kind.space) == (tasks, space)


def test_every_loss_applies_to_some_data_and_not_to_all():
    # No loss of the registry is unreachable by `compare --all` (batch losses and triplets,
    # which read no target, are compared only when named), and none applies everywhere.
    kinds = {
        name: data_kind(np.array(t, dtype=float), np.array(p, dtype=float))
        for name, (t, p, _, _) in DATA.items()
    }
    for loss in all_losses():
        applies = {
            name for name, kind in kinds.items() if reason_left_out(loss, kind, None) is None
        }
        assert len(applies) < len(kinds), loss.name
        if loss.batch or not loss.takes_target:
            continue
        assert applies, loss.name


@pytest.mark.parametrize(
    ("data", "applies", "left_out"),
    [
        (
            "binary-prob",
            {"binary-cross-entropy", "focal", "brier"},
            {"mse", "hinge", "contrastive"},
        ),
        ("binary-scores", {"hinge", "perceptron"}, {"binary-cross-entropy", "mse"}),
        ("pairs", {"contrastive", "hinge"}, {"kl", "mse"}),
        ("regression", {"mse", "huber", "poisson", "gamma-deviance"}, {"kl", "focal"}),
        ("multiclass-prob", {"cross-entropy", "softmax-focal"}, {"multiclass-hinge", "mse"}),
        ("multiclass-scores", {"multiclass-hinge", "infonce"}, {"cross-entropy", "mse"}),
        ("distributions", {"kl", "js", "generalized-kl"}, {"cross-entropy", "mse"}),
    ],
)
def test_a_careful_selection(data, applies, left_out):
    from losscli.core.losses.registry import get

    t, p, _, _ = DATA[data]
    kind = data_kind(np.array(t, dtype=float), np.array(p, dtype=float))
    for name in applies:
        assert reason_left_out(get(name), kind, None) is None, name
    for name in left_out:
        assert reason_left_out(get(name), kind, None), name


def test_a_stated_space_is_not_second_guessed():
    from losscli.core.losses.registry import get

    kind = data_kind(np.array([[1.0], [0.0]]), np.array([[2.0], [-1.0]]))
    assert reason_left_out(get("bce"), kind, None) is not None
    assert reason_left_out(get("bce"), kind, "logit") is None


def test_loss_tasks_are_known():
    known = {
        "regression",
        "binary",
        "multiclass",
        "multilabel",
        "distribution",
        "embedding",
        "pairs",
    }
    for loss in all_losses():
        assert loss_tasks(loss) and loss_tasks(loss) <= known, loss.name
