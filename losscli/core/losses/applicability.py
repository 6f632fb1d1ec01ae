"""Which losses apply to a table: the task its values show and the space of its predictions.

`compare --all` uses this to compare only the losses that fit the data: squared error is a
number on binary labels and probabilities, but not an answer to any question about them.
`data_kind` reads the first batch; `reason_left_out` says why a loss does not apply, from
the registry's family, target and prediction spaces (None: it applies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losscli.core.losses.types import Array, Loss

# Rows of probabilities sum to 1 within this (rounding of printed values).
ROW_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class DataKind:
    """The tasks the data can be (binary labels with distances can be pairs too), the space
    of the predictions ("prob" or "raw"), and both in words for the notes."""

    tasks: frozenset[str]
    space: str
    words: str


def data_kind(y_true: Array, y_pred: Array) -> DataKind:
    t = y_true.reshape(y_true.shape[0], -1)
    p = y_pred.reshape(y_pred.shape[0], -1)
    in_unit = bool(np.all((p >= 0) & (p <= 1)))
    rows_sum_to_one = bool(np.all(np.abs(p.sum(axis=1) - 1) <= ROW_SUM_TOLERANCE))
    whole = bool(np.all(t == np.round(t)))
    values = set(np.unique(t).tolist()) if whole else set()
    binary = values <= {0.0, 1.0} or values <= {-1.0, 1.0}
    if t.shape[1] == 1 and whole and p.shape[1] == 1 and binary:
        if in_unit:
            return DataKind(frozenset({"binary"}), "prob", "binary labels with probabilities")
        if bool(np.all(p >= 0)):
            return DataKind(
                frozenset({"binary", "pairs"}),
                "raw",
                "binary labels with non-negative scores or distances",
            )
        return DataKind(frozenset({"binary"}), "raw", "binary labels with real-valued scores")
    if t.shape[1] == 1 and whole and p.shape[1] >= 2 and min(values, default=-1) >= 0:
        if in_unit and rows_sum_to_one:
            return DataKind(
                frozenset({"multiclass"}), "prob", "class labels with rows of probabilities"
            )
        # Rows of scores: class logits, or similarities to candidates (InfoNCE).
        return DataKind(
            frozenset({"multiclass", "embedding"}), "raw", "class labels with rows of scores"
        )
    if t.shape[1] == 1 and values <= {-1.0, 1.0} and p.shape[1] >= 2:
        # +1/-1 per row of two vectors or two scores: cosine pairs, ranked pairs.
        return DataKind(frozenset({"embedding"}), "raw", "+1/-1 labels with pairs of scores")
    if t.shape[1] >= 2 and t.shape == p.shape:
        t_unit = bool(np.all((t >= 0) & (t <= 1)))
        t_sums = bool(np.all(np.abs(t.sum(axis=1) - 1) <= ROW_SUM_TOLERANCE))
        if t_unit and t_sums:
            space = "prob" if in_unit and rows_sum_to_one else "raw"
            what = "probabilities" if space == "prob" else "scores"
            return DataKind(
                frozenset({"distribution"}), space, f"rows of target distributions and {what}"
            )
        if values <= {0.0, 1.0}:
            space = "prob" if in_unit else "raw"
            what = "probabilities" if in_unit else "scores"
            return DataKind(frozenset({"multilabel"}), space, f"multi-label 0/1 rows and {what}")
    return _regression()


def _regression() -> DataKind:
    return DataKind(frozenset({"regression"}), "raw", "real-valued targets and predictions")


def loss_tasks(loss: Loss) -> frozenset[str]:
    """The tasks a loss answers, from its family and the target it reads."""
    if loss.family == "regression":
        return frozenset({"regression"})
    if loss.family == "divergence":
        return frozenset({"distribution"})
    if loss.family == "metric":
        return frozenset({"pairs"}) if loss.target == "similarity" else frozenset({"embedding"})
    by_target = {
        "binary": {"binary"},
        "sign": {"binary"},
        "multilabel": {"binary", "multilabel"},
        "labels": {"binary", "multiclass"},
        "class": {"multiclass"},
    }
    return frozenset(by_target.get(loss.target, {loss.family}))


_TASK_WORDS = {
    "regression": "a regression loss",
    "binary": "a binary classification loss",
    "multiclass": "a multi-class loss",
    "multilabel": "a multi-label loss",
    "distribution": "a loss between distributions",
    "embedding": "an embedding loss",
    "pairs": "a loss of similar and dissimilar pairs",
}


def reason_left_out(loss: Loss, kind: DataKind, space: str | None) -> str | None:
    """Why `loss` does not apply to data of this kind, or None when it does. `space` is the
    prediction space the user stated (--logits, ...), if any."""
    tasks = loss_tasks(loss)
    if not tasks & kind.tasks:
        if len(tasks) > 1 and tasks <= {"binary", "multiclass", "multilabel"}:
            what = "a classification loss"
        else:
            task = sorted(tasks)[0]
            what = _TASK_WORDS.get(task, task)
        return f"{what}, and the data are {kind.words}"
    if "regression" in kind.tasks or space is not None:
        return None  # a stated space was checked against the loss already
    # A margin loss reads a score's sign and size: probabilities are neither. (Non-negative
    # rows such as generalized KL's take probabilities as they are.)
    if kind.space == "prob" and "prob" not in loss.spaces and loss.family == "classification":
        return f"it takes raw scores, and the predictions are probabilities ({kind.words})"
    if kind.space == "raw" and loss.spaces[0] == "prob":
        return (
            "it takes probabilities, and the predictions are scores (--logits reads them as logits)"
        )
    return None
