"""What every input source hands the commands: batches of arrays, and names for places.

A source yields `Batch`es (one for inline values, many for a streamed table). When the core
raises DataError about a cell of a batch, `Source.locate` turns its 0-based row, side and
column into words the user can act on: the row number and the column's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from losscli.core.errors import DataError


class InputError(Exception):
    """Bad data, already phrased with its place: row number and column name (exit 3)."""


@dataclass(frozen=True)
class Batch:
    y_true: np.ndarray
    y_pred: np.ndarray
    weights: np.ndarray | None
    first_row: int  # 0-based index of this batch's first row in the whole input
    # Where rows were dropped (--nan skip): the whole-input index of each row kept.
    row_index: np.ndarray | None = None

    def row_numbers(self) -> list[int]:
        """1-based input row numbers of this batch's rows, as people count them."""
        if self.row_index is not None:
            return (self.row_index + 1).tolist()  # type: ignore[no-any-return]
        return list(range(self.first_row + 1, self.first_row + 1 + self.y_pred.shape[0]))

    def input_row(self, row: int) -> int:
        """The 0-based row of the whole input that row `row` of this batch came from."""
        if self.row_index is not None:
            return int(self.row_index[row])
        return self.first_row + row


class Source(Protocol):
    target_names: tuple[str, ...]
    pred_names: tuple[str, ...]
    weight_name: str | None
    pred_width: int  # number of prediction columns

    def batches(self) -> Iterator[Batch]: ...

    def row_name(self, row: int) -> str: ...

    def column_name(self, side: str, column: int | None) -> str: ...


def format_value(value: object) -> str:
    if isinstance(value, float) or type(value).__name__ == "float64":
        return repr(float(value))  # type: ignore[arg-type]
    return repr(value)


def locate(error: DataError, source: Source, batch: Batch) -> InputError:
    """The core's error, with its place named the way the user wrote the input."""
    where = []
    if error.row is not None:
        where.append(source.row_name(batch.input_row(error.row)))
    if error.side is not None:
        where.append(source.column_name(error.side, error.column))
    what = error.message
    if error.value is not None:
        what = f"{format_value(error.value)} {what}"
    return InputError(f"{', '.join(where)}: {what}" if where else what)
