"""What every input source hands the commands: batches of arrays, and names for places.

A source yields `Batch`es (one for inline values, many for a streamed table). When the core
raises DataError about a cell of a batch, `Source.locate` turns its 0-based row, side and
column into words the user can act on: the row number and the column's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from losscli.core.errors import DataError


class InputError(Exception):
    """Bad data, already phrased with its place: row number and column name (exit 3).
    `hint`, when given, is a second line naming the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


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
            return (self.row_index + 1).tolist()
        return list(range(self.first_row + 1, self.first_row + 1 + self.y_pred.shape[0]))

    def row_number_array(self) -> np.ndarray:
        """row_numbers() as an int64 array (for output written a whole batch at a time)."""
        import numpy as np

        if self.row_index is not None:
            return self.row_index + 1
        return np.arange(self.first_row + 1, self.first_row + 1 + self.y_pred.shape[0])

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


# What a cell or an inline value may say to be a number: ASCII digits, an optional sign,
# point and exponent, or inf/infinity/nan - what Polars' float parser reads. Python's float()
# alone would also take `1_000` and full-width digits, which no table reader accepts.
_NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.IGNORECASE,
)
SHOWN_CHARS = 40  # a value longer than this is shown cut, with its length


def parse_number(text: str) -> float | None:
    """`text` (already stripped) as a float, or None when it is not a number."""
    return float(text) if _NUMBER.fullmatch(text) else None


def number_spelling(text: str) -> str | None:
    """What to type instead of a number written as people write it elsewhere: a percentage
    (`10%` is 0.1) or numbers separated by spaces (`0.1 0.2 0.7` is 0.1,0.2,0.7). None when
    `text` is not such a number."""
    text = text.strip()
    if text.endswith("%"):
        percent = parse_number(text[:-1].strip())
        if percent is not None:
            return f"write a percentage as a fraction: {percent / 100:.15g}, not {text}"
    words = text.split()
    if len(words) > 1 and all(parse_number(w) is not None for w in words):
        return f"separate numbers with commas: {','.join(words)}"
    return None


def shown_name(name: str) -> str:
    """A column name quoted for a message (repr escapes control characters)."""
    return repr(name)


def shown_value(value: object) -> str:
    """A bad cell quoted for a message, cut when long: a 128 KiB cell is named, not printed."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 2 * SHOWN_CHARS else f"{text[: 2 * SHOWN_CHARS]}..."


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


class WholeInput:
    """A source read to the end and handed on as one batch (for batch losses)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.target_names = source.target_names
        self.pred_names = source.pred_names
        self.weight_name = source.weight_name
        self.pred_width = source.pred_width

    def __getattr__(self, name: str) -> object:
        return getattr(self.source, name)  # skipped rows, the reader, ...

    def batches(self) -> Iterator[Batch]:
        import numpy as np

        parts = list(self.source.batches())
        if not parts:
            return
        if len(parts) == 1:
            yield parts[0]
            return
        weights = None
        if parts[0].weights is not None:
            weights = np.concatenate([b.weights for b in parts])
        row_index = np.concatenate(
            [
                b.row_index if b.row_index is not None else b.first_row + np.arange(len(b.y_pred))
                for b in parts
            ]
        )
        yield Batch(
            np.concatenate([b.y_true for b in parts]),
            np.concatenate([b.y_pred for b in parts]),
            weights,
            0,
            row_index,
        )

    def row_name(self, row: int) -> str:
        return self.source.row_name(row)

    def column_name(self, side: str, column: int | None) -> str:
        return self.source.column_name(side, column)
