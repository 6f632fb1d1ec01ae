"""What compute, grad and the other data commands share: the request, the input source (inline
values or a table) and the notes on stderr. Running the losses over the batches is
losscli/run/losses.py's."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from losscli.cli.options import LossParams
    from losscli.core.evaluation.requests import Request
    from losscli.core.losses.types import Loss
    from losscli.inputs.source import Batch, Source
    from losscli.inputs.table import Selection


def build_requests(
    loss: str,
    params: LossParams,
    logits: bool,
    log_probs: bool,
    normalize: bool,
    convention: str | None = None,
    log_input: bool = False,
) -> list[Request]:
    """One request per setting of a sweep (`--delta 0.5,1,2`: three), in the order given;
    one request when every parameter has one value."""
    from losscli.cli.options import space_from_flags
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import get

    record = get(loss)
    space, convention = alias_defaults(
        loss, space_from_flags(logits, log_probs, log_input), convention
    )
    return [
        make_request(
            record,
            given,  # type: ignore[arg-type]
            space=space,  # type: ignore[arg-type]
            normalize=normalize,
            convention=convention,
        )
        for given in record.sweep(params.given)
    ]


def alias_defaults(loss: str, space: str | None, convention: str | None) -> tuple[str | None, str]:
    """The space and convention of an alias that names a framework's function
    (`bce-with-logits` reads logits, as torch.nn.BCEWithLogitsLoss), where the command line
    does not give them; said on stderr. Else the flags' space and the catalog."""
    from losscli.core.losses.registry import alias_meaning

    meaning = alias_meaning(loss)
    if meaning is not None:
        applied = (meaning.space is not None and space is None) or (
            meaning.convention is not None and convention is None
        )
        if applied:
            note(meaning.describe(loss.strip().lower().replace("_", "-")))
        space = space if space is not None else meaning.space
        convention = convention if convention is not None else meaning.convention
    return space, convention or "catalog"


@dataclass(frozen=True)
class InputOptions:
    """Where the data comes from: inline lists, or a table (FILE, or stdin) and its columns."""

    file: str | None = None
    y_true: str | None = None
    y_pred: str | None = None
    weights: str | None = None
    input_format: str | None = None
    delimiter: str | None = None
    header: bool | None = None  # None: a header unless the first line looks like data
    target: str | None = None
    pred: str | None = None
    weight: str | None = None
    nan: str = "error"
    progress: bool = True
    labels: str | None = None  # --labels: text class labels in class order

    def table_options_given(self) -> list[str]:
        given = {
            "--input-format": self.input_format,
            "--delimiter": self.delimiter,
            "--header" if self.header else "--no-header": self.header,
            "--target": self.target,
            "--pred": self.pred,
            "--weight": self.weight,
        }
        return [name for name, value in given.items() if value is not None]


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def open_source(
    loss: Loss,
    options: InputOptions,
    *,
    whole: bool = False,
    quiet: bool = False,
    space: str | None = None,
) -> Source:
    """Inline values when --y-true/--y-pred are given, else the table in FILE or on stdin.
    `quiet`: the column choice is not said again (a file read a second time). `space` (what
    the predictions are) settles how an ambiguous inline list is read."""
    from losscli.core.evaluation.requests import LABEL_TARGETS

    takes_labels = loss.takes_target and loss.target in LABEL_TARGETS
    if options.labels is not None and not takes_labels:
        raise UsageError(f"--labels names class labels; {loss.name}'s targets are not class labels")
    inline = options.y_true is not None or options.y_pred is not None
    if inline:
        if options.file is not None:
            raise UsageError("give FILE or --y-true/--y-pred, not both")
        table_only = options.table_options_given()
        if table_only:
            raise UsageError(
                f"{table_only[0]} selects table columns; it does not apply to --y-true/--y-pred"
            )
        if not loss.takes_target:
            if options.y_true is not None:
                raise UsageError(f"{loss.name} takes no targets: give --y-pred alone")
            if options.y_pred is None:
                raise UsageError(f"--y-pred is missing: {loss.name} reads its rows from it")
        elif options.y_true is None or options.y_pred is None:
            missing = "--y-true" if options.y_true is None else "--y-pred"
            raise UsageError(f"{missing} is missing: inline input needs both --y-true and --y-pred")
        from losscli.inputs.inline import InlineSource

        y_true = options.y_true
        if takes_labels and y_true is not None:
            from losscli.inputs.labels import map_inline, parse_labels

            labels = parse_labels(options.labels) if options.labels is not None else None
            y_true, labels_note = map_inline(y_true, loss.target, labels)
            if labels_note:
                note(labels_note)
        inline_source = InlineSource(loss, y_true, options.y_pred, options.weights, space=space)
        if inline_source.note:
            note(inline_source.note)
        refuse_class_rows(loss, inline_source.pred_width, inline_source.class_rows())
        return _whole(loss, inline_source, whole)
    if options.weights is not None:
        raise UsageError("--weights is for inline values; with a table use --weight COLUMN")
    from losscli.inputs.table import choose_columns

    source = open_table_source(
        options,
        lambda names: choose_columns(
            names, options.target, options.pred, options.weight, takes_target=loss.takes_target
        ),
        no_input="no input: give FILE, pipe a table in, or type values with --y-true and --y-pred",
        quiet=quiet,
    )
    refuse_class_rows(loss, source.pred_width)
    if takes_labels:
        read_text_labels(loss, source, options.labels, quiet=quiet)
    return _whole(loss, source, whole)


# A binary loss and its multi-class form, for data with one prediction column per class.
MULTICLASS = {
    "binary-cross-entropy": "cross-entropy",
    "focal": "softmax-focal",
    "hinge": "multiclass-hinge",
    "perceptron": "multiclass-perceptron",
}


def refuse_class_rows(loss: Loss, pred_width: int, classes: int = 0) -> None:
    """A binary loss given rows of class scores (several prediction columns, or one
    inline row per target: `focal --y-true 2 --y-pred 0.1,0.2,0.7`) names its multi-class
    form: the loss was chosen wrong, not the data."""
    other = MULTICLASS.get(loss.name)
    classes = max(classes, pred_width if pred_width > 1 else 0)
    if other is None or classes < 2:
        return
    raise UsageError(
        f"{loss.name} is a binary loss: it takes one prediction per example, and these rows "
        f"have {classes} class scores; for {classes} classes use {other}"
    )


def read_text_labels(loss: Loss, source: Any, labels_option: str | None, *, quiet: bool) -> None:
    """Have the table's target column read as text labels when --labels is given or its first
    cell is text: in the order given, else sorted (a first pass over the file finds them)."""
    from losscli.inputs.labels import label_codes, parse_labels, sorted_labels, sorted_note
    from losscli.inputs.table import LabelReader

    reader, columns = source.reader, source.selection.target
    labels = parse_labels(labels_option) if labels_option is not None else None
    if not isinstance(reader, LabelReader):
        if labels is not None:
            raise UsageError(
                "--labels: text labels are read from one CSV, TSV, NDJSON or Parquet table"
            )
        return
    if labels is None:
        if not any(reader.first_cell_is_text(k) for k in columns):
            return  # numbers: the usual reading
        if not reader.can_read_twice:
            raise UsageError(
                "the target column holds text labels: from stdin give their order with "
                "--labels (e.g. --labels cat,dog; the order must be known before the first row)"
            )
        labels = sorted_labels(reader.distinct_text(columns))
        if not quiet:
            note(sorted_note(label_codes(labels, loss.target)))
    codes = label_codes(labels, loss.target)
    reader.label_codes = dict.fromkeys(columns, codes)


def open_table_source(
    options: InputOptions,
    choose: Callable[[list[str]], Selection],
    *,
    no_input: str,
    quiet: bool = False,
) -> Any:
    """The table in FILE or on stdin, its columns picked by `choose` from the header (the
    choice said on stderr when defaults made it), drawn with a progress bar when asked."""
    from losscli.inputs.table import TableSource, open_table

    path = options.file
    if path is None:
        if stdin_is_terminal():
            raise UsageError(no_input)
        path = "-"
    reader = open_table(
        path,
        input_format=options.input_format,
        delimiter=options.delimiter,
        has_header=options.header,
    )
    if reader.note:
        note(reader.note)
    selection = choose(reader.names)
    if selection.note and not quiet:
        note(selection.note)
    source: Any = TableSource(reader, selection, skip_missing=options.nan == "skip")
    return WithProgress(source) if options.progress else source


def _whole(loss: Loss, source: Any, whole: bool) -> Source:
    """For a batch loss (each value depends on the other rows of its batch), the whole input
    as one batch: the loss cuts it into its own batches (--batch-size) in input order, and no
    row is paired with the wrong negatives at a boundary of the table reader's blocks.
    `whole` asks for it for another loss too (compare runs a batch loss among others)."""
    if not (loss.batch or whole):
        return source
    from losscli.inputs.source import WholeInput

    return WholeInput(source)


# A progress bar is worth drawing only for inputs that take a while to read.
PROGRESS_MIN_BYTES = 64 << 20


class WithProgress:
    """A table source that draws a progress bar on stderr while its batches are read, when
    stderr is a terminal and the file is large; otherwise it is the source unchanged."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)

    def batches(self) -> Iterator[Batch]:
        reader = self.source.reader
        if not (sys.stderr.isatty() and (reader.size or 0) >= PROGRESS_MIN_BYTES):
            yield from self.source.batches()
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        columns = (BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(reader.label, total=reader.size)
            for batch in self.source.batches():
                progress.update(task, completed=reader.bytes_read)
                yield batch


def note(text: str) -> None:
    """A note on stderr (silenced by --quiet): render.notes.note."""
    from losscli.render.notes import note as write_note

    write_note(text)
