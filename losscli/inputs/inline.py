"""Values typed on the command line: `--y-true 2,0 --y-pred "0.1,0.2,0.7;0.3,0.3,0.4"`.

A LIST is comma-separated numbers; `;` separates rows where a row holds several values. How a
list without `;` is read depends on the loss: for a loss whose prediction is one number per
example it is one value per example; for a loss whose prediction is a row (a distribution,
class probabilities, two embeddings) it is a single row, unless the targets name several
examples and the list has one value for each (the binary case of cross-entropy).
A trailing `;` makes a single row explicit: `--y-true "0,0,1;"` is one soft target row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.core.losses.checks import ROW_SUM_TOLERANCE
from losscli.inputs.source import Batch, InputError, parse_number, shown_value

if TYPE_CHECKING:
    from losscli.core.losses.types import Loss

# Target domains whose target is a row of values rather than one value per example: a
# list without ';' is then one row.
ROW_TARGETS = frozenset({"distribution", "nonnegative-rows"})

_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


@dataclass(frozen=True)
class ParsedList:
    rows: list[list[float]]
    explicit_rows: bool  # the text used ';'


def parse_list(text: str, option: str) -> ParsedList:
    """Parse a LIST option; errors name the option, the row and the position in the row."""
    if not text.strip():
        raise InputError(f"{option} is empty: give comma-separated numbers")
    explicit = ";" in text
    parts = text.translate(_MINUS_SIGNS).split(";")
    if explicit and not parts[-1].strip():
        parts = parts[:-1]
    rows: list[list[float]] = []
    for r, part in enumerate(parts, start=1):
        where = f"{option} row {r}" if explicit else option
        if not part.strip():
            raise InputError(f"{where}: empty row")
        row = []
        for c, cell in enumerate(part.split(","), start=1):
            cell = cell.strip()
            value = parse_number(cell)
            if value is None:
                shown = f"value {c}" if cell else f"value {c} is empty"
                raise InputError(f"{where}, {shown}: {shown_value(cell)} is not a number")
            row.append(value)
        rows.append(row)
    return ParsedList(rows, explicit)


def _format(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _one_hot_row(loss: Loss, true: ParsedList, pred: ParsedList, space: str | None) -> bool:
    """Whether a target list without ';' is one one-hot row rather than one label per value:
    the loss takes class labels, the targets are 0s and a single 1, the prediction list has
    as many values, and they can be one row of class scores: probabilities summing to 1,
    log-probabilities whose exponentials do, or logits (any)."""
    if loss.target != "labels" or true.explicit_rows or pred.explicit_rows:
        return False
    target, row = true.rows[0], pred.rows[0]
    if len(target) < 2 or len(target) != len(row):
        return False
    if any(v not in (0.0, 1.0) for v in target) or sum(target) != 1.0:
        return False
    values = np.asarray(row, dtype=np.float64)
    if space == "logit":
        return True
    if space == "logprob":
        values = np.exp(values)
    return bool(abs(values.sum() - 1.0) <= ROW_SUM_TOLERANCE)


def _as_column(parsed: ParsedList) -> list[list[float]]:
    if parsed.explicit_rows:
        return parsed.rows
    return [[v] for v in parsed.rows[0]]


class InlineSource:
    """Both sides typed inline, arranged into matrices the way the loss reads them."""

    def __init__(
        self,
        loss: Loss,
        y_true: str | None,
        y_pred: str,
        weights: str | None = None,
        *,
        space: str | None = None,
    ) -> None:
        self.note: str | None = None  # how an ambiguous list was read, for stderr
        pred = parse_list(y_pred, "--y-pred")
        if y_true is None:  # a loss without targets (triplets): every row is predictions
            self._init_without_target(pred, weights)
            return
        true = parse_list(y_true, "--y-true")
        if _one_hot_row(loss, true, pred, space):
            # `--y-true 0,0,1 --y-pred 0.1,0.2,0.7`: one example with a one-hot target, as
            # Keras's CategoricalCrossentropy takes it, not three binary examples.
            true = ParsedList(true.rows, explicit_rows=True)
            pred = ParsedList(pred.rows, explicit_rows=True)
            k = len(true.rows[0])
            self.note = (
                f"--y-true {y_true} is read as one one-hot target row (class "
                f"{true.rows[0].index(1.0)} of 0..{k - 1}) for the one row of --y-pred; for "
                f"{k} examples with binary labels give one prediction per row: --y-pred "
                f'"{";".join(_format(v) for v in pred.rows[0])}"'
            )
        target_rows = true.rows if loss.target in ROW_TARGETS else _as_column(true)
        if pred.explicit_rows or loss.pred_columns == "one":
            pred_rows = _as_column(pred)
        elif loss.pred_columns == "many":
            pred_rows = pred.rows
        else:  # "any": one row for one target, else one value per target if the counts match
            values = pred.rows[0]
            pred_rows = [[v] for v in values] if len(target_rows) == len(values) > 1 else pred.rows
        self._y_true = _matrix(target_rows, "--y-true")
        self._y_pred = _matrix(pred_rows, "--y-pred")
        self._weights = None
        if weights is not None:
            w = parse_list(weights, "--weights")
            self._weights = _matrix(_as_column(w), "--weights")[:, 0]
        self.target_names = ("--y-true",)
        self.pred_names = ("--y-pred",)
        self.weight_name = "--weights" if weights is not None else None
        self.pred_width = self._y_pred.shape[1]

    def _init_without_target(self, pred: ParsedList, weights: str | None) -> None:
        self._y_pred = _matrix(pred.rows, "--y-pred")
        self._y_true = np.zeros((self._y_pred.shape[0], 0))
        self._weights = None
        if weights is not None:
            w = parse_list(weights, "--weights")
            self._weights = _matrix(_as_column(w), "--weights")[:, 0]
        self.target_names = ()
        self.pred_names = ("--y-pred",)
        self.weight_name = "--weights" if weights is not None else None
        self.pred_width = self._y_pred.shape[1]

    def batches(self) -> Iterator[Batch]:
        yield Batch(self._y_true, self._y_pred, self._weights, 0)

    def row_name(self, row: int) -> str:
        return f"row {row + 1}"

    def column_name(self, side: str, column: int | None) -> str:
        option = {"target": "--y-true", "pred": "--y-pred", "weight": "--weights"}[side]
        matrix = {"target": self._y_true, "pred": self._y_pred}.get(side)
        if column is not None and matrix is not None and matrix.shape[1] > 1:
            return f"{option} value {column + 1}"
        return option


def _matrix(rows: list[list[float]], option: str) -> np.ndarray:
    width = len(rows[0])
    for r, row in enumerate(rows, start=1):
        if len(row) != width:
            raise InputError(
                f"{option} row {r}: has {len(row)} values but row 1 has {width} "
                "(rows must be the same length)"
            )
    return np.asarray(rows, dtype=np.float64)
