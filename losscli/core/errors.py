"""Exceptions raised by the core. The CLI maps each kind to an exit code in one place."""

from __future__ import annotations


class LossError(Exception):
    """Base class of every error the core raises on purpose."""


class UsageError(LossError):
    """The request itself is wrong: an unknown loss, parameter or option combination (exit 2)."""


class DataError(LossError):
    """The data cannot be used as given (exit 3).

    `row` is the 0-based example index within the arrays handed to the core, `side` is
    "target", "pred" or "weight", `column` the 0-based column within that side, `value` the
    offending cell. Any of them may be None when the problem is not about one cell. The
    input layer adds the row offset and turns the side and column into a real column name.
    """

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        side: str | None = None,
        column: int | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.side = side
        self.column = column
        self.value = value


def counted(n: int, noun: str) -> str:
    """`n` and the noun in the number it takes: "1 target", "3 targets", "0 predictions"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
