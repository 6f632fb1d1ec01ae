"""What compute, grad and compare share: building the request and the input source, running
the core over every batch, and naming the place of any bad cell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from losscli.core.errors import DataError, UsageError

if TYPE_CHECKING:
    from losscli.core.evaluation import Request
    from losscli.core.registry import Notice
    from losscli.inputs.source import Batch, Source


def build_request(
    loss: str, params: dict[str, Any], logits: bool, log_probs: bool, normalize: bool
) -> Request:
    from losscli.cli.options import space_from_flags
    from losscli.core.evaluation import make_request

    return make_request(
        loss,
        params,
        space=space_from_flags(logits, log_probs),
        normalize=normalize,  # type: ignore[arg-type]
    )


def open_source(
    request: Request, y_true: str | None, y_pred: str | None, weights: str | None
) -> Source:
    """The input: values typed inline (both --y-true and --y-pred)."""
    from losscli.inputs.inline import InlineSource

    if y_true is None and y_pred is None:
        raise UsageError("no input: give --y-true and --y-pred")
    if y_true is None or y_pred is None:
        missing = "--y-true" if y_true is None else "--y-pred"
        raise UsageError(f"{missing} is missing: inline input needs both --y-true and --y-pred")
    return InlineSource(request.loss, y_true, y_pred, weights)


@contextmanager
def located(source: Source, batch: Batch) -> Iterator[None]:
    """Turn the core's DataError into an input error that names the row and column."""
    from losscli.inputs.source import locate

    try:
        yield
    except DataError as error:
        raise locate(error, source, batch.first_row) from None


def notice_text(notice: Notice, source: Source, first_row: int) -> str:
    if not notice.rows:
        return notice.text
    rows = ", ".join(source.row_name(first_row + r) for r in notice.rows)
    return f"{notice.text} ({rows})"


def describe_params(request: Request) -> dict[str, Any]:
    return dict(request.params)
