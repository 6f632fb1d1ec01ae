"""Tables in: CSV, TSV, Parquet and NDJSON from a file or stdin, read in bounded memory.

Text formats are cut into blocks of whole records (LOSSCLI_CHUNK_BYTES, 8 MiB by default;
a CSV block ends only at a line end outside quotes) and each block is parsed by Polars straight
into float64 columns; only the selected columns are parsed. Memory stays flat however long the
input is, and a record that has not ended after LOSSCLI_MAX_LINE_BYTES (64 MiB) is an error.
When Polars rejects a block, or finds an empty cell in it, the block is read again by Python's
own reader, which is the judge: spaces around a number are accepted, and the first bad cell
is named by its row (data rows count from 1; the header is not a row), column and value.
Blank lines at the end of the input are ignored, as pandas, Polars, csvkit and xsv do.
"""

from __future__ import annotations

import abc
import csv
import fnmatch
import io
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl

from losscli.core.errors import UsageError, counted
from losscli.inputs.paths import EXTENSIONS
from losscli.inputs.source import (
    Batch,
    InputError,
    number_spelling,
    parse_number,
    shown_name,
    shown_value,
)

# Polars' import installs its own SIGINT handler, which restarts blocked reads (SA_RESTART):
# Ctrl-C would do nothing while stdin waits. Python's handler goes back (main thread only).
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, signal.getsignal(signal.SIGINT) or signal.default_int_handler)

# 8 MiB: parsing a block costs Polars about 13x its size in memory at peak; 16 MiB blocks
# took a 10-class table past 350 MB for no gain in speed (bench/run.py, 2 cores).
DEFAULT_CHUNK_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"
# What Polars raises on input it cannot read: its errors, and a Rust panic (which derives
# from BaseException, not Exception) - either sends a block to Python's reader to judge.
POLARS_FAILURES = (pl.exceptions.PolarsError, pl.exceptions.PanicException)
# A record (a line, or a CSV row with quoted line ends) longer than this is an error: without
# a limit a stream with no line end (/dev/zero) is held whole, and Polars aborts on huge lines.
DEFAULT_MAX_LINE_BYTES = 64 << 20


def chunk_bytes() -> int:
    """Block size for text formats; LOSSCLI_CHUNK_BYTES overrides it (tests use tiny blocks)."""
    value = os.environ.get("LOSSCLI_CHUNK_BYTES")
    return max(int(value), 1) if value else DEFAULT_CHUNK_BYTES


def max_line_bytes() -> int:
    """The longest record a text table may have; LOSSCLI_MAX_LINE_BYTES overrides it."""
    value = os.environ.get("LOSSCLI_MAX_LINE_BYTES", "").strip()
    if not value:
        return DEFAULT_MAX_LINE_BYTES
    limit = int(value) if value.isascii() and value.isdigit() else 0
    if limit < 1:
        raise UsageError(
            f"LOSSCLI_MAX_LINE_BYTES must be a whole number of bytes above 0, not {value!r}"
        )
    return limit


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"


class _LongRecord(Exception):
    """A record did not end within the limit; the reader turns it into an error naming it."""

    def __init__(self, limit: int, *, quoted: bool, ended: bool) -> None:
        super().__init__()
        self.limit = limit
        self.quoted = quoted
        self.ended = ended  # the line does end, but too late

    def error(self, row: int) -> InputError:
        where = f"row {row}"
        if self.quoted:
            return InputError(
                f"{where}: a quoted field is still open after {_size(self.limit)} (a quote "
                "that is never closed?); LOSSCLI_MAX_LINE_BYTES raises the limit"
            )
        return InputError(
            f"{where}: longer than {_size(self.limit)}"
            f"{'' if self.ended else ' without a line end'}; "
            "LOSSCLI_MAX_LINE_BYTES raises the limit"
        )


@dataclass(frozen=True)
class Frame:
    """Selected columns of consecutive rows, one float64 vector per column (views of the
    parsed data where possible: no copy). NaN only where --nan skip let a gap through."""

    first_row: int  # 0-based index of the first row in the whole table
    columns: list[np.ndarray]


def _frame(first_row: int, df: pl.DataFrame) -> Frame:
    return Frame(first_row, [df.get_column(name).to_numpy() for name in df.columns])


class TableReader(abc.ABC):
    """The column names of a table, and its selected columns frame by frame."""

    names: list[str]
    label: str  # how to name the input in messages: a path or "stdin"
    size: int | None = None  # bytes, when known: drives the progress bar
    note: str | None = None  # how the table was read, where a guess was made (for stderr)

    @abc.abstractmethod
    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        """The selected columns (0-based indices), as float64 frames, in order. A missing
        value is an error naming its place, or NaN when `allow_missing` (--nan skip)."""

    # The file this reader opened itself (never stdin), closed when the reading is done.
    opened: IO[bytes] | None = None
    # Columns of text class labels (0-based index -> label -> class number), set before the
    # reading by the readers that hold labels (LabelReader: CSV, TSV, NDJSON, Parquet).
    label_codes: dict[int, dict[str, float]] = {}  # noqa: RUF012 - replaced, never mutated

    @property
    def bytes_read(self) -> int:
        return 0

    @property
    def can_read_twice(self) -> bool:
        """Whether a first pass (finding the labels) can run before the reading proper."""
        return False

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()


# --- opening -------------------------------------------------------------------------------


def open_table(
    path: str,
    *,
    input_format: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = True,
    stdin: IO[bytes] | None = None,
) -> TableReader:
    """Open FILE (or '-' for stdin) as a table of the given or guessed format. `has_header`
    None: a CSV-like table's first line is a header unless it looks like data (see
    `first_line_is_data`)."""
    if path == "-":
        stream: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
        label, size = "stdin", None
    else:
        file = Path(path)
        if not file.exists():
            raise UsageError(f"{path}: no such file")
        if file.is_dir():
            raise InputError(f"{path}: is a directory, not a table")
        try:
            stream = file.open("rb")
        except OSError as error:
            raise InputError(f"{path}: cannot be read ({error.strerror})") from None
        label, size = path, file.stat().st_size
        if input_format is None:
            input_format = EXTENSIONS.get(file.suffix.lower())
    head = stream.read(SNIFF_BYTES) if input_format is None else b""
    if input_format is None:
        input_format = _sniff(head)
    if input_format == "parquet":
        if path == "-":
            return ParquetReader(io.BytesIO(head + stream.read()), label)
        stream.close()  # Polars opens the file itself
        return ParquetReader(Path(path), label)
    reader: TableReader
    if input_format == "ndjson":
        reader = NdjsonReader(stream, head, label, size)
    else:
        separator = delimiter or ("\t" if input_format == "tsv" else ",")
        if len(separator) != 1 or not separator.isascii():  # Polars takes one byte
            raise InputError(f"--delimiter must be one ASCII character, not {separator!r}")
        reader = CsvReader(stream, head, label, size, separator=separator, has_header=has_header)
        if delimiter is None:
            _refuse_another_separator(reader.names, input_format)
    if path != "-":
        reader.opened = stream
        reader.path = path
    return reader


SNIFF_BYTES = 64 << 10

# Separators a table read as one column may have been written with, and how to read it so.
OTHER_SEPARATORS = {"\t": "--input-format tsv", ";": "--delimiter ';'", "|": "--delimiter '|'"}


def _refuse_another_separator(names: list[str], input_format: str | None) -> None:
    """A table whose only column name holds another separator (a European Excel CSV with
    ';', a TSV named .csv) was read with the wrong one: say which option reads it."""
    if len(names) != 1:
        return
    for separator, option in OTHER_SEPARATORS.items():
        if separator == "\t" and input_format == "tsv":
            continue
        if len([part for part in names[0].split(separator) if part.strip()]) >= 2:
            shown = "tabs" if separator == "\t" else repr(separator)
            raise UsageError(
                f"the table has one column, {names[0]!r}: its header looks separated by "
                f"{shown}; read it with {option}"
            )


def _sniff(head: bytes) -> str:
    """Guess the format of an input whose name says nothing from its first bytes: Parquet
    magic, a JSON object, a tab-separated first line, else CSV."""
    if head.startswith(b"PAR1"):
        return "parquet"
    first = head.removeprefix(BOM).lstrip()
    if first.startswith(b"{"):
        return "ndjson"
    line = first.split(b"\n", 1)[0]
    if b"\t" in line and b"," not in line:
        return "tsv"
    return "csv"


# --- text formats: blocks of whole records -----------------------------------------------------


class _LineBlocks:
    """A byte stream cut into blocks that end where a record ends; the first line kept apart.

    With a `quote` character (CSV, TSV) a line end inside a quoted field does not end a
    record: a block is cut only after a line end preceded by an even number of quotes (a
    block starts at a record's start, and a doubled quote inside a field counts twice)."""

    def __init__(
        self, stream: IO[bytes], head: bytes, size: int | None, quote: bytes | None = None
    ) -> None:
        self.stream = stream
        self.size = size
        self.pending = head
        self.read_total = 0
        self.limit = max_line_bytes()
        self.chunk = chunk_bytes()
        self.quote = quote
        first = self._next_raw()
        first = first.removeprefix(BOM)
        while b"\n" not in first:
            if len(first) > self.limit:
                raise InputError(
                    f"the first line is longer than {_size(self.limit)} without a line end; "
                    "LOSSCLI_MAX_LINE_BYTES raises the limit"
                )
            more = self._next_raw()
            if not more:
                break
            first += more
        line, _, rest = first.partition(b"\n")
        if len(line) > self.limit:
            raise InputError(
                f"the first line is longer than {_size(self.limit)}; "
                "LOSSCLI_MAX_LINE_BYTES raises the limit"
            )
        self.first_line = line.rstrip(b"\r")
        self.rest = rest

    def _next_raw(self) -> bytes:
        data = self.pending + self.stream.read(self.chunk)
        self.pending = b""
        self.read_total += len(data)
        return data

    def sample(self) -> bytes:
        """The text after the first line, read on until it holds a whole line (or the input
        ends) so that the first data row can be looked at before the reading proper."""
        while b"\n" not in self.rest and len(self.rest) <= self.limit:
            more = self._next_raw()
            if not more:
                break
            self.rest += more
        return self.rest

    def _record_end(self, block: bytes) -> int:
        """The index just past the last line end of `block` that ends a record, or 0."""
        end = block.rfind(b"\n")
        if end < 0 or self.quote is None or self.quote not in block:
            return end + 1
        inside = block.count(self.quote, 0, end) % 2
        while inside:
            # This line end is inside a quoted field: try the last one before the quote that
            # opened the field (an even number of quotes precedes that quote). Each step
            # jumps a whole quoted stretch, however many line ends it holds.
            opening = block.rfind(self.quote, 0, end)
            end = block.rfind(b"\n", 0, opening)
            if end < 0:
                return 0
            inside = block.count(self.quote, end, opening) % 2
        return end + 1

    def blocks(self) -> Iterator[bytes]:
        """Blocks of complete records, the text after the first line, in order. Blank lines
        at the very end are dropped; a record longer than the limit raises _LongRecord."""
        carry = self.rest
        ended = False
        while not ended:
            data = self._next_raw()
            ended = not data
            cut = self._plain_cut(carry, data)
            if cut:
                # One copy instead of two (carry + data, then its head): the same block.
                yield b"".join((carry, memoryview(data)[:cut]))
                carry = data[cut:]
                continue
            block = carry + data
            cut = _content_end(block, self._record_end(block))
            if cut and len(block) > self.limit:
                long = self._first_long_line(block, cut)
                if long is not None:
                    if long:
                        yield block[:long]  # the rows before it are read; then the error
                    raise _LongRecord(self.limit, quoted=False, ended=True)
            if cut:
                carry = block[cut:]
                yield block[:cut]
            else:
                # No record ends here, or nothing but blank lines so far: one stands for all
                # of them (an error if data follows, dropped at the end of the input).
                carry = block if block.strip() else block[-1:]
            if len(carry) > self.limit:
                quoted = self.quote is not None and self.quote in carry
                raise _LongRecord(self.limit, quoted=quoted, ended=False)
        if carry.strip():  # the last record, without a line end
            end = len(carry)
            while carry[end - 1] in b" \t\r\n":
                end -= 1
            yield carry[:end] + b"\n"

    def _plain_cut(self, carry: bytes, data: bytes) -> int:
        """Where in `data` the block of carry + data ends, in the common case: a line end in
        `data`, no quote in either, and the two within the record limit; 0 otherwise (the
        general path decides). The cut is where the general path puts it: after the last line
        end, moved back past blank lines."""
        end = data.rfind(b"\n")
        if end < 0 or len(carry) + len(data) > self.limit:
            return 0
        if self.quote is not None and (self.quote in data or self.quote in carry):
            return 0
        return _content_end(data, end + 1)

    def _first_long_line(self, block: bytes, end: int) -> int | None:
        """Where the first line of block[:end] longer than the limit starts, if any. Only
        for text without quotes, where every line starts a record; it runs only on a block
        longer than the limit, which the default limit (8 blocks) makes rare."""
        if self.quote is not None and self.quote in block:
            return None  # a quoted record counts while it stays open (above)
        start = 0
        while start < end:
            stop = block.find(b"\n", start, end)
            stop = end if stop < 0 else stop
            if stop - start > self.limit:
                return start
            start = stop + 1
        return None


def _content_end(block: bytes, cut: int) -> int:
    """`cut`, moved back past the blank lines that end block[:cut] (they stay in the carry,
    to be dropped if the input ends there)."""
    end = cut
    while end > 0 and block[end - 1] in b" \t\r\n":
        end -= 1
    if end == 0:
        return 0
    return block.index(b"\n", end) + 1


# How many lines below the first one the header decision looks at.
HEADER_SAMPLE_LINES = 20


def first_line_is_data(first: list[str], rest: bytes, separator: str) -> bool:
    """Whether the first line of a table is data rather than column names, judged as a header
    sniffer (Python's csv.Sniffer.has_header) does: each column votes for a header when its
    first cell is of another kind (text, an integer, a decimal number) than the cells below it,
    and for data when it is of the same kind. A first line with a cell that is no number is a
    header; all numbers of the kinds below (scikit-learn's predict_proba written without a
    header) are data; the column indices pandas writes above rows of decimals (`0,1,2` over
    `0.1,0.2,0.7`) vote for a header. A lone numeric line is data."""
    kinds = [_cell_kind(cell) for cell in first]
    if not kinds or "text" in kinds:
        return False
    lines = [line for line in rest.split(b"\n", HEADER_SAMPLE_LINES)[:HEADER_SAMPLE_LINES]]
    votes = 0
    for column, kind in enumerate(kinds):
        below = set()
        for line in lines:
            fields = _split_line(line.rstrip(b"\r"), separator)
            if len(fields) == len(kinds) and fields[column].strip():
                below.add(_cell_kind(fields[column]))
        if len(below) == 1:
            votes += 1 if kind not in below else -1
    return votes <= 0


def _cell_kind(cell: str) -> str:
    text = cell.strip()
    try:
        int(text)
        return "integer"
    except ValueError:
        pass
    try:
        float(text)
    except ValueError:
        return "text"
    return "decimal"


def _split_line(line: bytes, separator: str) -> list[str]:
    text = line.decode("utf-8", errors="replace")
    try:
        return next(csv.reader([text], delimiter=separator)) if text else []
    except csv.Error as error:  # a lone carriage return inside the line
        raise InputError(f"the first line cannot be read as a table ({error})") from None


def _duplicate(names: list[str]) -> str | None:
    """The first name that appears twice (linear: a table may have 100k columns)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


SPACES = " \t\r\n\f\v"


class _BadRecord(Exception):
    """A record that cannot be read (a ragged row, invalid JSON): the reading loop names
    its row."""


class _TextTable(TableReader):
    """What CSV and NDJSON share: blocks of whole records, each parsed by Polars at once, and
    one reading loop that numbers the rows, maps text class labels and, when Polars refuses a
    block or finds an empty cell in it, has Python's reader judge the block record by record
    and name the first bad place. A format says how it parses a block and reads a record."""

    path: str | None = None  # the file, for a first pass over it (None: stdin)
    lines: _LineBlocks
    missing = "missing value"  # how a missing cell is named

    @property
    def bytes_read(self) -> int:
        return self.lines.read_total

    @property
    def can_read_twice(self) -> bool:
        return self.path is not None

    @abc.abstractmethod
    def _blocks(self) -> Iterator[bytes]:
        """The input's data records, in blocks of whole records."""

    @abc.abstractmethod
    def _parser(self, columns: list[int]) -> Callable[[bytes], pl.DataFrame | None]:
        """How Polars parses a block into the selected columns (label columns as text):
        None when it refuses the block. Built once per reading (a table may be wide)."""

    def _parse_again(self, block: bytes, columns: list[int]) -> pl.DataFrame | None:
        """A second fast try for a block with a null or unmapped cell; None: Python's reader."""
        return None

    @abc.abstractmethod
    def _records(self, block: bytes, columns: list[int]) -> Iterator[list[object]]:
        """The selected cells of each record of a block, by Python's reader; a record that
        cannot be read raises _BadRecord."""

    @abc.abstractmethod
    def _number(self, cell: object, where: str, name: str, allow_missing: bool) -> float:
        """One cell read as a number, or an error naming its place."""

    @abc.abstractmethod
    def _label_text(self, cell: object) -> str | None:
        """One cell of a label column as its label's text; None when the cell is missing."""

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        row = 0
        parse = self._parser(columns)
        try:
            for block in self._blocks():
                df = parse(block)
                if df is not None and self.label_codes:
                    df = self._labels(df)
                if df is None or df.null_count().row(0) != (0,) * len(columns):
                    df = self._parse_again(block, columns)
                if df is None:
                    # Still a bad or an empty cell (a short row or a blank line reads as empty
                    # too): Python's reader decides, and names the first bad place.
                    frame, height = self._read_slowly(block, row, columns, allow_missing)
                else:
                    frame, height = _frame(row, df), df.height
                yield frame
                row += height
        except _LongRecord as long:
            raise long.error(row + 1) from None

    def _labels(self, df: pl.DataFrame) -> pl.DataFrame | None:
        """The label columns of a frame read as text, as their class numbers; None when a
        cell is empty or not a label (Python's reader then names the first bad place)."""
        for k, codes in self.label_codes.items():
            name = self.names[k]
            cells = df.get_column(name).str.strip_chars(SPACES)
            numbers = cells.replace_strict(codes, default=None, return_dtype=pl.Float64)
            if numbers.null_count():
                return None
            df = df.with_columns(numbers.alias(name))
        return df

    def _read_slowly(
        self, block: bytes, first_row: int, columns: list[int], allow_missing: bool
    ) -> tuple[Frame, int]:
        """The block read record by record: its numbers, or the first bad cell named."""
        values: list[list[float]] = [[] for _ in columns]
        codes = [self.label_codes.get(k) for k in columns]
        names = [self.names[k] for k in columns]
        records = self._records(block, columns)
        height = 0
        while True:
            where = f"row {first_row + height + 1}"
            try:
                cells = next(records, None)
            except _BadRecord as bad:
                raise InputError(f"{where}: {bad}") from None
            if cells is None:
                break
            for out, cell, name, label_codes in zip(values, cells, names, codes, strict=True):
                if label_codes is None:
                    out.append(self._number(cell, where, name, allow_missing))
                else:
                    out.append(self._label(cell, where, name, label_codes, allow_missing))
            height += 1
        return Frame(first_row, [np.array(v, dtype=np.float64) for v in values]), height

    def _label(
        self, cell: object, where: str, name: str, codes: dict[str, float], allow_missing: bool
    ) -> float:
        """One cell of a label column as its class number; a missing one as a number's is."""
        from losscli.inputs.labels import unknown_label

        text = self._label_text(cell)
        if text is None:
            if allow_missing:
                return math.nan
            raise InputError(f"{where}, column {shown_name(name)}: {self.missing}")
        if text not in codes:
            raise unknown_label(f"{where}, column {shown_name(name)}", text, codes)
        return codes[text]


class CsvReader(_TextTable):
    missing = "missing value (an empty cell)"

    def __init__(
        self,
        stream: IO[bytes],
        head: bytes,
        label: str,
        size: int | None,
        *,
        separator: str,
        has_header: bool | None,
    ) -> None:
        self.label = label
        self.size = size
        self.separator = separator
        self.lines = _LineBlocks(stream, head, size, quote=b'"')
        first = self.lines.first_line
        if not first.strip():
            raise InputError(f"{label}: the input is empty")
        fields = _split_line(first, separator)
        self.note: str | None = None
        if has_header is None:
            has_header = not first_line_is_data(fields, self.lines.rest, separator)
            if not has_header:
                self.note = (
                    f"{label}: the first line looks like data, not column names: it is row 1 and "
                    f"the columns are named 1..{len(fields)} (--header reads it as names)"
                )
        if has_header:
            self.names = [name.strip() for name in fields]
            self.header_row: bytes | None = None
        else:
            self.names = [str(k) for k in range(1, len(fields) + 1)]
            self.header_row = first + b"\n"
        duplicate = _duplicate(self.names)
        if duplicate is not None:
            raise InputError(f"{label}: column name {shown_name(duplicate)} appears twice")

    def first_cell_is_text(self, column: int) -> bool:
        """Whether the first data cell of `column` holds text rather than a number."""
        from losscli.inputs.labels import is_text

        sample = (self.header_row or b"") + self.lines.sample()
        for line in sample.split(b"\n", HEADER_SAMPLE_LINES):
            fields = _split_line(line.rstrip(b"\r"), self.separator)
            if len(fields) == len(self.names) and fields[column].strip():
                return is_text(fields[column])
        return False

    def distinct_text(self, columns: list[int]) -> list[str]:
        """The distinct non-empty cells of `columns` in the whole file: a first pass that
        reads those columns alone (the file is then read again from its start)."""
        assert self.path is not None
        try:
            query = pl.scan_csv(
                self.path,
                has_header=self.header_row is None,
                separator=self.separator,
                infer_schema=False,
                encoding="utf8-lossy",
            )
            found = query.select(pl.nth(columns).str.strip_chars(SPACES)).unique()
            cells = {cell for column in found.collect().iter_columns() for cell in column}
        except POLARS_FAILURES:
            # Polars refuses the file (a ragged row): Python's reader collects the labels,
            # and the reading proper names the bad row.
            with open(self.path, newline="", encoding="utf-8-sig", errors="replace") as file:
                rows = csv.reader(file, delimiter=self.separator)
                if self.header_row is None:
                    next(rows, None)
                cells = {
                    row[k].strip(SPACES)
                    for row in rows
                    if len(row) == len(self.names)
                    for k in columns
                }
        return [cell for cell in cells if cell]

    def _blocks(self) -> Iterator[bytes]:
        if self.header_row is not None:
            yield self.header_row
        yield from self.lines.blocks()

    def _parser(self, columns: list[int]) -> Callable[[bytes], pl.DataFrame | None]:
        schema: dict[str, type[pl.DataType]] = {name: pl.String for name in self.names}
        for k in columns:
            schema[self.names[k]] = pl.String if k in self.label_codes else pl.Float64

        def parse(block: bytes) -> pl.DataFrame | None:
            try:
                return pl.read_csv(
                    block,
                    has_header=False,
                    separator=self.separator,
                    schema=schema,
                    columns=columns,
                    truncate_ragged_lines=False,
                    infer_schema=False,
                    encoding="utf8-lossy",
                )
            except POLARS_FAILURES:
                return None

        return parse

    def _parse_again(self, block: bytes, columns: list[int]) -> pl.DataFrame | None:
        """Spaces after a number: Polars reads the selected cells as text, stripped, and
        casts them to float64; None unless every selected cell is then a number."""
        if self.label_codes:
            return None
        try:
            text = pl.read_csv(
                block,
                has_header=False,
                separator=self.separator,
                schema=dict.fromkeys(self.names, pl.String),
                columns=columns,
                truncate_ragged_lines=False,
                infer_schema=False,
                encoding="utf8-lossy",
            )
        except POLARS_FAILURES:
            return None
        stripped = text.select(pl.all().str.strip_chars(SPACES))
        numbers = stripped.select(pl.all().cast(pl.Float64, strict=False))
        if numbers.null_count().row(0) != (0,) * len(columns):
            return None
        return numbers

    def _records(self, block: bytes, columns: list[int]) -> Iterator[list[object]]:
        """Python's csv module reads the block."""
        csv.field_size_limit(max(csv.field_size_limit(), len(block)))
        text = io.StringIO(block.decode("utf-8", errors="replace"), newline="")
        width = len(self.names)
        records = csv.reader(text, delimiter=self.separator)
        while True:
            try:
                fields = next(records)
            except StopIteration:
                return
            except csv.Error as error:
                raise _BadRecord(f"cannot be read as a table row ({error})") from None
            if len(fields) != width:
                if not "".join(fields).strip():
                    raise _BadRecord("an empty line (blank lines are allowed only at the end)")
                raise _BadRecord(
                    f"has {len(fields)} fields but the header has {width} (a ragged row)"
                )
            yield [fields[k] for k in columns]

    def _number(self, cell: object, where: str, name: str, allow_missing: bool) -> float:
        """A text cell; spaces around the number are accepted."""
        assert isinstance(cell, str)
        text = cell.strip(SPACES)
        if not text:
            if allow_missing:
                return math.nan
            raise InputError(f"{where}, column {shown_name(name)}: {self.missing}")
        value = parse_number(text)
        if value is None:
            spelling = number_spelling(text)
            raise InputError(
                f"{where}, column {shown_name(name)}: {shown_value(text)} is not a number"
                + (f"; {spelling}" if spelling else "")
            )
        return value

    def _label_text(self, cell: object) -> str | None:
        assert isinstance(cell, str)
        return cell.strip(SPACES) or None


class NdjsonReader(_TextTable):
    """One JSON object per line; the first object's keys name the columns. Blank lines are
    skipped (NDJSON allows it) and do not count as rows. A label is a JSON string (a number
    or a boolean in a label column is read as its JSON text, as Polars reads it)."""

    def __init__(self, stream: IO[bytes], head: bytes, label: str, size: int | None) -> None:
        self.label = label
        self.size = size
        self.lines = _LineBlocks(stream, head, size)
        first = self.lines.first_line
        if not first.strip():
            raise InputError(f"{label}: the input is empty")
        try:
            self.names = list(_json_object(first))
        except _BadRecord as bad:
            raise InputError(f"row 1: {bad}") from None

    def first_cell_is_text(self, column: int) -> bool:
        """Whether the first value of `column` is a string holding text, not a number."""
        from losscli.inputs.labels import is_text

        name = self.names[column]
        sample = self.lines.first_line + b"\n" + self.lines.sample()
        for line in sample.split(b"\n", HEADER_SAMPLE_LINES)[:HEADER_SAMPLE_LINES]:
            if not line.strip():
                continue
            try:
                value = _json_object(line).get(name)
            except _BadRecord:
                return False  # the reading proper names it
            if value is not None:
                return isinstance(value, str) and is_text(value)
        return False

    def distinct_text(self, columns: list[int]) -> list[str]:
        """The distinct labels of `columns` in the whole file: a first pass that reads those
        columns alone (the file is then read again from its start)."""
        assert self.path is not None
        names = [self.names[k] for k in columns]
        try:
            query = pl.scan_ndjson(self.path, schema=dict.fromkeys(names, pl.String))
            found = query.select(pl.all().str.strip_chars(SPACES)).unique().collect()
            cells = {cell for column in found.iter_columns() for cell in column}
        except POLARS_FAILURES:
            # Polars refuses the file (a line that is no JSON object): Python's reader
            # collects the labels, and the reading proper names the bad row.
            cells = set()
            with open(self.path, "rb") as file:
                for line in file:
                    try:
                        record = _json_object(line.removeprefix(BOM)) if line.strip() else {}
                    except _BadRecord:
                        continue
                    cells.update(self._label_text(record.get(name)) for name in names)
        return [cell for cell in cells if cell]

    def _blocks(self) -> Iterator[bytes]:
        """The first line (read to find the column names) starts the first block: the rows
        fall into batches as in a CSV file of the same rows."""
        first = self.lines.first_line + b"\n"
        blocks = self.lines.blocks()
        try:
            block = next(blocks, b"")
        except _LongRecord:
            yield first  # row 1 is read, then row 2 is named
            raise
        yield first + block
        yield from blocks

    def _parser(self, columns: list[int]) -> Callable[[bytes], pl.DataFrame | None]:
        schema = {
            self.names[k]: pl.String if k in self.label_codes else pl.Float64 for k in columns
        }

        def parse(block: bytes) -> pl.DataFrame | None:
            try:
                return pl.read_ndjson(block, schema=schema)
            except POLARS_FAILURES:
                return None

        return parse

    def _records(self, block: bytes, columns: list[int]) -> Iterator[list[object]]:
        """json.loads reads each non-blank line."""
        names = [self.names[k] for k in columns]
        for line in block.split(b"\n"):
            if line.strip():
                record = _json_object(line)
                yield [record.get(name) for name in names]

    def _number(self, cell: object, where: str, name: str, allow_missing: bool) -> float:
        if cell is None:
            if allow_missing:
                return math.nan
            raise InputError(f"{where}, column {shown_name(name)}: {self.missing}")
        if isinstance(cell, bool) or not isinstance(cell, (int, float)):
            raise InputError(
                f"{where}, column {shown_name(name)}: {shown_value(cell)} is not a number"
            )
        return _json_float(cell)

    def _label_text(self, cell: object) -> str | None:
        if cell is None:
            return None
        if isinstance(cell, str):
            return cell.strip(SPACES)
        return json.dumps(cell)


def _json_object(line: bytes) -> dict[str, object]:
    """One NDJSON line as a dict; _BadRecord says why not (never a decoding crash)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _BadRecord(
            f"not valid UTF-8 (byte 0x{line[error.start]:02x} at position "
            f"{error.start + 1}; JSON text must be UTF-8)"
        ) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise _BadRecord(f"not valid JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # a huge integer, deep nesting
        what = "nested too deeply" if isinstance(error, RecursionError) else _first_line(error)
        raise _BadRecord(f"not usable JSON ({what})") from None
    if not isinstance(record, dict):
        raise _BadRecord("not a JSON object")
    return record


def _json_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond float64: infinite, as Polars reads it
        return math.inf if value > 0 else -math.inf


# --- Parquet ----------------------------------------------------------------------------------


class ParquetReader(TableReader):
    """Parquet read in batches of rows (stdin is read whole first: Parquet needs to seek).

    Only numeric and boolean columns hold numbers: a date, a time, a duration, text, a list
    or any other type is refused with the column's name and type, never cast to a number.
    Text class labels come from a String, Categorical or Enum column, and with --labels
    from an integer or boolean column too, read as its text (as a CSV file holds it)."""

    # Rows per batch: a row group of pyarrow's (2^20 rows), several of Polars' (at most 2^17).
    # The batch edges fix the digits of the compensated sums, so every way of reading gives
    # exactly these batches (the same bits for every --jobs N).
    ROWS_PER_BATCH = 1 << 20
    # On several threads, Polars' streaming engine reads the file in pieces of this many rows
    # while the losses compute, and they are joined into whole batches: 0.19 s for 10M rows
    # against 0.23-0.36 s for a query per batch, and less memory than pieces of 2^20 rows.
    STREAMED_ROWS = 1 << 17

    def __init__(self, source: Path | io.BytesIO, label: str) -> None:
        self.label = label
        self.source = source
        try:
            self.schema = self._scan().collect_schema()
        except POLARS_FAILURES as error:
            raise InputError(
                f"{label}: not a readable Parquet file ({_first_line(error)})"
            ) from None
        self.names = list(self.schema.names())

    @property
    def can_read_twice(self) -> bool:
        return True  # a file, or stdin already read whole

    def _scan(self) -> pl.LazyFrame:
        if isinstance(self.source, io.BytesIO):
            self.source.seek(0)
        return pl.scan_parquet(self.source)

    def _holds_text(self, name: str) -> bool:
        dtype = self.schema[name]
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)

    def first_cell_is_text(self, column: int) -> bool:
        """Whether `column` is a text column whose first value is text, not a number."""
        from losscli.inputs.labels import is_text

        name = self.names[column]
        if not self._holds_text(name):
            return False
        try:
            first = self._scan().select(pl.col(name).cast(pl.String).drop_nulls().first())
            value = first.collect().item()
        except POLARS_FAILURES:
            return False  # the reading proper names the problem
        return isinstance(value, str) and is_text(value)

    def distinct_text(self, columns: list[int]) -> list[str]:
        """The distinct labels of `columns` (read as text, stripped), in no order."""
        names = [self.names[k] for k in columns]
        try:
            query = self._scan().select(pl.col(names).cast(pl.String).str.strip_chars(SPACES))
            found = query.unique().collect()
        except POLARS_FAILURES as error:
            raise InputError(f"{self.label}: unreadable ({_first_line(error)})") from None
        return [cell for column in found.iter_columns() for cell in column if cell]

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        names = [self.names[k] for k in columns]
        labels = {self.names[k]: codes for k, codes in self.label_codes.items()}
        for name in names:
            self._check_type(name, name in labels)
        query = self._scan().select(
            pl.col(n).cast(pl.String).str.strip_chars(SPACES)
            if n in labels
            else pl.col(n).cast(pl.Float64)
            for n in names
        )
        row = 0
        try:
            for df in self._batches(query):
                numbers = df
                for name, codes in labels.items():
                    mapped = df.get_column(name).replace_strict(
                        codes, default=None, return_dtype=pl.Float64
                    )
                    numbers = numbers.with_columns(mapped.alias(name))
                nulls = numbers.null_count().row(0)
                if nulls != df.null_count().row(0) or (not allow_missing and any(nulls)):
                    raise self._locate(df, numbers, row, labels, allow_missing)
                yield _frame(row, numbers)
                row += df.height
        except POLARS_FAILURES as error:
            raise InputError(
                f"{self.label}: unreadable after row {row} ({_first_line(error)})"
            ) from None

    def _batches(self, query: pl.LazyFrame) -> Iterator[pl.DataFrame]:
        """The rows of `query` in batches of exactly ROWS_PER_BATCH rows (the last one the
        rest). A process of one thread (reads_in_turn) reads each batch by its own query,
        between its computations: the streaming engine would read ahead on a second busy
        thread. A row group cut by a batch is then decoded for both: a file of one 4M-row
        group takes 1.4x the CPU of the streaming engine; files of Polars' row groups take
        no more."""
        if reads_in_turn():
            rows = self._scan().select(pl.len()).collect().item()
            for offset in range(0, rows, self.ROWS_PER_BATCH):
                yield query.slice(offset, self.ROWS_PER_BATCH).collect()
            return
        streamed = query.collect_batches(chunk_size=self.STREAMED_ROWS)
        yield from rebatched(streamed, self.ROWS_PER_BATCH)

    def _check_type(self, name: str, as_labels: bool) -> None:
        dtype = self.schema[name]
        if as_labels:
            if self._holds_text(name) or dtype.is_integer() or dtype in (pl.Boolean, pl.Null):
                return
            what = "class labels (text, integer and boolean Parquet columns hold labels)"
        elif dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            return
        else:
            what = "numbers (only numeric and boolean Parquet columns can be read)"
        raise InputError(f"column {shown_name(name)} is of type {dtype}, not {what}")

    def _locate(
        self,
        cells: pl.DataFrame,
        numbers: pl.DataFrame,
        first_row: int,
        labels: dict[str, dict[str, float]],
        allow_missing: bool,
    ) -> InputError:
        """The error of a batch's first bad cell (by row, then column): a missing value,
        or a label that is not one of the classes."""
        from losscli.inputs.labels import unknown_label

        first: tuple[int, int, InputError] | None = None
        for position, name in enumerate(cells.columns):
            missing = cells.get_column(name).is_null()
            bad = numbers.get_column(name).is_null() & ~missing
            if not allow_missing:
                bad = bad | missing
            if not bad.any():
                continue
            index = int(bad.arg_true()[0])
            where = f"row {first_row + index + 1}, column {shown_name(name)}"
            if missing[index]:
                error = InputError(f"{where}: missing value")
            else:
                error = unknown_label(where, cells.get_column(name)[index], labels[name])
            if first is None or (index, position) < first[:2]:
                first = (index, position, error)
        if first is None:
            return InputError(f"{self.label}: unreadable rows after row {first_row}")
        return first[2]


def rebatched(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The rows of `frames`, whatever their heights, as frames of exactly `rows` rows (the
    last one the rest, never empty); a frame that is already whole passes without a copy."""
    pieces: list[pl.DataFrame] = []
    held = 0
    for frame in frames:
        while frame.height:
            piece = frame.slice(0, rows - held)
            frame = frame.slice(piece.height)
            pieces.append(piece)
            held += piece.height
            if held == rows:
                yield pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=True)
                pieces, held = [], 0
    if held:
        yield pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=True)


# The readers that map text class labels: each has first_cell_is_text and distinct_text.
LabelReader = CsvReader | NdjsonReader | ParquetReader


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- column selection ---------------------------------------------------------------------------


def select_columns(spec: str, names: list[str], option: str) -> list[int]:
    """Column indices for COLS: names, 1-based indices or glob patterns, comma-separated."""
    chosen: list[int] = []
    taken: set[int] = set()  # a glob may match 100k columns: no list scans per column
    index_of = {name: k for k, name in reversed(list(enumerate(names)))}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            raise InputError(f"{option}: empty column name in {spec!r}")
        if part in index_of:
            matches = [index_of[part]]
        elif part.isdigit():
            index = int(part)
            if not 1 <= index <= len(names):
                raise InputError(
                    f"{option}: column {index} does not exist (the table has {len(names)} columns)"
                )
            matches = [index - 1]
        elif any(ch in part for ch in "*?["):
            matches = [k for k, name in enumerate(names) if fnmatch.fnmatchcase(name, part)]
            if not matches:
                raise InputError(f"{option}: no column matches {part!r} (columns: {listed(names)})")
        else:
            raise InputError(_unknown_column(part, names, option))
        for k in matches:
            if k not in taken:
                taken.add(k)
                chosen.append(k)
    return chosen


def listed(names: list[str], most: int = 20) -> str:
    """Column names for a message: the first `most` of them, then how many in all."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown}, ... ({len(names)} columns)"


def _unknown_column(name: str, names: list[str], option: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{option}: no column {name!r}{hint} (columns: {listed(names)})"


@dataclass(frozen=True)
class Selection:
    target: list[int]
    pred: list[int]
    weight: int | None
    note: str | None  # said on stderr when the defaults chose the columns


def choose_columns(
    names: list[str],
    target: str | None,
    pred: str | None,
    weight: str | None,
    *,
    takes_target: bool = True,
) -> Selection:
    """Apply -t/-p/--weight, or the defaults of docs/design.md section 3. A loss without targets
    (triplets) reads predictions only: -p, else every column but the weight."""
    weight_index = select_columns(weight, names, "--weight")[0] if weight else None
    if weight and len(select_columns(weight, names, "--weight")) != 1:
        raise InputError(f"--weight: {weight!r} must name exactly one column")
    reserved = {weight_index} if weight_index is not None else set()
    if not takes_target:
        if target is not None:
            from losscli.core.errors import UsageError

            raise UsageError("--target: this loss takes no target column (predictions only)")
        p = (
            select_columns(pred, names, "--pred")
            if pred
            else [k for k in range(len(names)) if k not in reserved]
        )
        if not p:
            raise InputError(f"no prediction column left to use (columns: {listed(names)})")
        if weight_index in p:
            raise InputError(f"column {names[weight_index]!r} is both a weight and a prediction")
        return Selection([], p, weight_index, None)
    note = None
    if target is None and pred is None and "y_true" in names and "y_pred" in names:
        t, p = [names.index("y_true")], [names.index("y_pred")]
    elif target is None and pred is None:
        free = [k for k in range(len(names)) if k not in reserved]
        if len(free) < 2:
            raise InputError(
                f"the table has {counted(len(names), 'column')} ({listed(names)}); it needs a "
                "target and at least one prediction column"
            )
        t, p = free[:1], free[1:]
        note = (
            f"using column {names[t[0]]!r} as the target and "
            f"{listed([repr(names[k]) for k in p])} as predictions (choose with -t/-p)"
        )
    elif pred is None:
        t = select_columns(target or "", names, "--target")
        used = {*t, *reserved}
        p = [k for k in range(len(names)) if k not in used]
    elif target is None:
        p = select_columns(pred, names, "--pred")
        used = {*p, *reserved}
        t = [k for k in range(len(names)) if k not in used][:1]
    else:
        t = select_columns(target, names, "--target")
        p = select_columns(pred, names, "--pred")
    if not t or not p:
        raise InputError(
            f"no {'target' if not t else 'prediction'} column left to use "
            f"(columns: {listed(names)})"
        )
    overlap = set(t) & set(p)
    if overlap:
        raise InputError(f"column {names[min(overlap)]!r} is both a target and a prediction")
    return Selection(t, p, weight_index, note)


class TableSource:
    """A table as the commands see it: batches of targets, predictions and weights."""

    def __init__(self, reader: TableReader, selection: Selection, *, skip_missing: bool) -> None:
        self.reader = reader
        self.selection = selection
        self.skip_missing = skip_missing
        self.skipped = 0
        names = reader.names
        self.target_names = tuple(names[k] for k in selection.target)
        self.pred_names = tuple(names[k] for k in selection.pred)
        self.weight_name = names[selection.weight] if selection.weight is not None else None
        self.pred_width = len(selection.pred)

    def batches(self) -> Iterator[Batch]:
        sel = self.selection
        columns = [*sel.target, *sel.pred, *([sel.weight] if sel.weight is not None else [])]
        n_target, n_pred = len(sel.target), len(sel.pred)
        try:
            yield from self._batches(columns, n_target, n_pred)
        finally:
            self.reader.close()

    def _batches(self, columns: list[int], n_target: int, n_pred: int) -> Iterator[Batch]:
        sel = self.selection
        frames = self.reader.frames(columns, allow_missing=self.skip_missing)
        for frame in prefetch(frames):
            vectors, row_index = frame.columns, None
            if self.skip_missing:
                keep = np.logical_and.reduce([np.isfinite(v) for v in vectors])
                if not keep.all():
                    self.skipped += int((~keep).sum())
                    row_index = frame.first_row + np.flatnonzero(keep)
                    vectors = [v[keep] for v in vectors]
                    if row_index.size == 0:
                        continue
            rows = vectors[0].shape[0]
            yield Batch(
                _matrix(vectors[:n_target], rows),
                _matrix(vectors[n_target : n_target + n_pred], rows),
                vectors[-1] if sel.weight is not None else None,
                frame.first_row,
                row_index,
            )

    def row_name(self, row: int) -> str:
        return f"row {row + 1}"

    def column_name(self, side: str, column: int | None) -> str:
        names = {"target": self.target_names, "pred": self.pred_names}.get(side)
        if side == "weight" and self.weight_name is not None:
            return f"column {self.weight_name!r}"
        if names is None:
            return side
        if column is not None and column < len(names):
            return f"column {names[column]!r}"
        return "columns " + listed([repr(n) for n in names])


def _matrix(vectors: list[np.ndarray], rows: int) -> np.ndarray:
    """Column vectors as one (rows, columns) matrix; a single column without a copy; no
    columns (`recommend` on a target alone) as an empty (rows, 0) matrix."""
    if not vectors:
        return np.empty((rows, 0))
    if len(vectors) == 1:
        return vectors[0].reshape(-1, 1)
    return np.column_stack(vectors)


# The threads of this process's share of --jobs (cli/worker.py sets it where this process
# computes as one of several): None, every core.
SHARE_OF_THREADS: int | None = None


def reads_in_turn() -> bool:
    """Whether this process has one thread to compute with (Polars' pool of one: a --jobs
    worker's share of one core; or that share given to this process): it reads each batch
    itself, between its computations, as a second busy thread would be a second core."""
    return pl.thread_pool_size() == 1 or SHARE_OF_THREADS == 1


def prefetch(frames: Iterator[Frame]) -> Iterator[Frame]:
    """Read and parse the next frame on a second thread while this one is computed.

    Polars parses and NumPy computes with the GIL released, so on two cores the reading of
    block i+1 overlaps the math on block i. At most one frame waits (memory stays bounded).
    An exception in the reader reaches the consumer at the point it would have, unchanged;
    a consumer that stops early (a closed pipe) lets the thread finish on its own.
    A process of one thread (reads_in_turn) reads each frame itself, between its computations.
    """
    if reads_in_turn():
        yield from frames
        return
    import queue
    import threading

    slot: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        slot.put(("frame", frame), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slot.put(("end", None))
        except BaseException as error:
            slot.put(("error", error))

    thread = threading.Thread(target=produce, name="losscli-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = slot.get()
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item  # type: ignore[misc]
    finally:
        stop.set()
