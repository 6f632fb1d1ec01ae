"""What a pass over the input tells: an error that names its row and column, the notices of
a batch with their rows, and the warnings written to stderr as the input streams by (or kept
for a JSON document)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from losscli.core.errors import DataError

if TYPE_CHECKING:
    from losscli.core.losses.types import Notice
    from losscli.inputs.source import Batch, Source
    from losscli.inputs.table import Selection


@contextmanager
def located(source: Source, batch: Batch) -> Iterator[None]:
    """Turn the core's DataError into an input error that names the row and column."""
    from losscli.inputs.source import InputError, locate

    try:
        yield
    except DataError as error:
        located_error = locate(error, source, batch)
        selection = getattr(source, "selection", None)  # a table's: it has a reader too
        reader = getattr(source, "reader", None)
        better = suggest_columns(reader.names, selection) if selection and reader else None
        if better is not None:
            # The columns were guessed: the remedy the message names (--normalize, --logits)
            # would compute on the wrong columns; naming the columns is the fix that works.
            message = str(located_error)
            remedy = message.rfind(" (pass ")
            if remedy == -1:
                remedy = message.rfind(" (raw scores?")
            if remedy != -1 and message.endswith(")"):
                message = message[:remedy]
            raise InputError(message, f"the columns were guessed; name them: {better}") from None
        raise located_error from None


# Column names that usually hold the target.
TARGET_NAMES = ("y_true", "y", "label", "labels", "target", "class", "truth", "true")


def suggest_columns(names: list[str], selection: Selection) -> str | None:
    """-t/-p options for a table whose columns the defaults guessed (`selection.note`): the
    column named like a target, and the largest group of columns sharing a prefix (p0, p1,
    ...) as a glob. None when the columns were named, or the suggestion is the guess."""
    import shlex

    if not selection.note:
        return None
    target = next((n for n in names if n.lower() in TARGET_NAMES), names[0])
    rest = [n for n in names if n != target]
    groups: dict[str, list[str]] = {}
    for name in rest:
        prefix = name.rstrip("0123456789")
        if prefix and prefix != name:
            groups.setdefault(prefix, []).append(name)
    largest = max(groups.values(), key=len, default=[])
    if len(largest) >= 2:
        preds, spelled = largest, largest[0].rstrip("0123456789") + "*"
    else:
        preds, spelled = rest, ",".join(rest)
    guessed = ([names[k] for k in selection.target], [names[k] for k in selection.pred])
    if not preds or guessed == ([target], preds):
        return None
    return f"-t {shlex.quote(target)} -p {shlex.quote(spelled)}"


def notice_text(notice: Notice, source: Source, batch: Batch) -> str:
    if not notice.rows:
        return notice.text
    rows = ", ".join(source.row_name(batch.input_row(r)) for r in notice.rows)
    return f"{notice.text} ({rows})"


class Warnings:
    """Warnings found while the input streams by: written to stderr as they come (`live`),
    or collected for a JSON document that is written at the end."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.items: list[str] = []

    def add(self, text: str) -> None:
        # Kept also when written live: a JSONL line that is a whole document (one value)
        # carries its warnings as the JSON document does.
        self.items.append(text)
        if self.live:
            from losscli.render.notes import warn

            warn(text)

    def finish(self, source: Source, rows: int, ignored: int = 0) -> None:
        """After the last batch: what was skipped, and the error when nothing was left
        (`ignored`: rows left out by --ignore-label, not counted in `rows`)."""
        if rows == 0 and ignored:
            from losscli.inputs.source import InputError

            raise InputError(
                f"no examples left: all {ignored} rows have the label given to --ignore-label"
            )
        skipped = getattr(source, "skipped", 0)
        if skipped:
            from losscli.render.notes import skipped_rows

            self.add(skipped_rows(skipped))
        if rows == 0:
            from losscli.inputs.source import InputError

            if skipped:
                raise InputError(f"no examples left: all {skipped} rows had missing values")
            raise InputError("no examples: the input has no data rows")
