"""Tables in: CSV, TSV, Parquet and NDJSON from a file or stdin, read in bounded memory.

Text formats are cut into blocks of whole lines (LOSSCLI_CHUNK_BYTES, 8 MiB by default)
and each block is parsed by Polars straight into float64 columns; only the selected columns
are parsed. Memory stays flat however long the input is. When Polars rejects a block, the
block is read again as text to find the first bad cell, so the error can name its row (data
rows count from 1; the header is not a row), its column and its value.
"""

from __future__ import annotations

import abc
import csv
import fnmatch
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl

from losscli.inputs.source import Batch, InputError

# Polars' import installs its own SIGINT handler, which restarts blocked reads (SA_RESTART):
# Ctrl-C would do nothing while stdin waits. Python's handler goes back (main thread only).
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, signal.getsignal(signal.SIGINT) or signal.default_int_handler)

# 8 MiB: parsing a block costs Polars about 13x its size in memory at peak; 16 MiB blocks
# took a 10-class table past 350 MB for no gain in speed (bench/run.py, 2 cores).
DEFAULT_CHUNK_BYTES = 8 << 20
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
}
BOM = b"\xef\xbb\xbf"


def chunk_bytes() -> int:
    """Block size for text formats; LOSSCLI_CHUNK_BYTES overrides it (tests use tiny blocks)."""
    value = os.environ.get("LOSSCLI_CHUNK_BYTES")
    return max(int(value), 1) if value else DEFAULT_CHUNK_BYTES


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

    @abc.abstractmethod
    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        """The selected columns (0-based indices), as float64 frames, in order. A missing
        value is an error naming its place, or NaN when `allow_missing` (--nan skip)."""

    # The file this reader opened itself (never stdin), closed when the reading is done.
    opened: IO[bytes] | None = None

    @property
    def bytes_read(self) -> int:
        return 0

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()


# --- opening -------------------------------------------------------------------------------


def open_table(
    path: str,
    *,
    input_format: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    stdin: IO[bytes] | None = None,
) -> TableReader:
    """Open FILE (or '-' for stdin) as a table of the given or guessed format."""
    if path == "-":
        stream: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
        label, size = "stdin", None
    else:
        file = Path(path)
        if not file.exists():
            raise InputError(f"{path}: no such file")
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
        if len(separator) != 1:
            raise InputError(f"--delimiter must be one character, not {separator!r}")
        reader = CsvReader(stream, head, label, size, separator=separator, has_header=has_header)
    if path != "-":
        reader.opened = stream
    return reader


SNIFF_BYTES = 64 << 10


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


# --- text formats: blocks of whole lines --------------------------------------------------------


class _LineBlocks:
    """A byte stream cut into blocks that end at a line end; the first line kept apart."""

    def __init__(self, stream: IO[bytes], head: bytes, size: int | None) -> None:
        self.stream = stream
        self.size = size
        self.pending = head
        self.read_total = 0
        self.chunk = chunk_bytes()
        first = self._next_raw()
        first = first.removeprefix(BOM)
        while b"\n" not in first:
            more = self._next_raw()
            if not more:
                break
            first += more
        line, _, rest = first.partition(b"\n")
        self.first_line = line.rstrip(b"\r")
        self.rest = rest

    def _next_raw(self) -> bytes:
        data = self.pending + self.stream.read(self.chunk)
        self.pending = b""
        self.read_total += len(data)
        return data

    def blocks(self) -> Iterator[bytes]:
        """Blocks of complete lines, the text after the first line, in order."""
        carry = self.rest
        while True:
            data = self._next_raw()
            if not data:
                break
            block = carry + data
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut]
        if carry.strip():
            yield carry if carry.endswith(b"\n") else carry + b"\n"


def _split_line(line: bytes, separator: str) -> list[str]:
    text = line.decode("utf-8", errors="replace")
    return next(csv.reader([text], delimiter=separator)) if text else []


def _count_rows(block: bytes) -> int:
    return block.count(b"\n")


class CsvReader(TableReader):
    def __init__(
        self,
        stream: IO[bytes],
        head: bytes,
        label: str,
        size: int | None,
        *,
        separator: str,
        has_header: bool,
    ) -> None:
        self.label = label
        self.size = size
        self.separator = separator
        self.lines = _LineBlocks(stream, head, size)
        first = self.lines.first_line
        if not first.strip():
            raise InputError(f"{label}: the input is empty")
        fields = _split_line(first, separator)
        if has_header:
            self.names = [name.strip() for name in fields]
            self.header_row: bytes | None = None
        else:
            self.names = [str(k) for k in range(1, len(fields) + 1)]
            self.header_row = first + b"\n"
        duplicates = {n for n in self.names if self.names.count(n) > 1}
        if duplicates:
            raise InputError(f"{label}: column name {sorted(duplicates)[0]!r} appears twice")

    @property
    def bytes_read(self) -> int:
        return self.lines.read_total

    def _blocks(self) -> Iterator[bytes]:
        if self.header_row is not None:
            yield self.header_row
        yield from self.lines.blocks()

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        row = 0
        schema = {name: pl.String for name in self.names}
        for k in columns:
            schema[self.names[k]] = pl.Float64
        for block in self._blocks():
            try:
                df = pl.read_csv(
                    block,
                    has_header=False,
                    separator=self.separator,
                    schema=schema,
                    columns=columns,
                    truncate_ragged_lines=False,
                    infer_schema=False,
                )
            except pl.exceptions.PolarsError:
                raise self._locate(block, row, columns) from None
            if not allow_missing and df.null_count().row(0) != (0,) * len(columns):
                raise self._locate(block, row, columns)
            yield _frame(row, df)
            row += df.height

    def _locate(self, block: bytes, first_row: int, columns: list[int]) -> InputError:
        """Read the rejected block as text and name its first bad cell."""
        reader = csv.reader(
            io.StringIO(block.decode("utf-8", errors="replace")), delimiter=self.separator
        )
        for offset, fields in enumerate(reader):
            where = f"row {first_row + offset + 1}"
            if len(fields) != len(self.names):
                return InputError(
                    f"{where}: has {len(fields)} fields but the header has {len(self.names)} "
                    "(a ragged row)"
                )
            for k in columns:
                problem = _bad_number(fields[k])
                if problem:
                    return InputError(f"{where}, column {self.names[k]!r}: {problem}")
        return InputError(
            f"{self.label}: rows {first_row + 1}-{first_row + _count_rows(block)} "
            "could not be parsed"
        )


def _bad_number(cell: str) -> str | None:
    text = cell.strip()
    if not text:
        return "missing value (an empty cell)"
    try:
        float(text)
    except ValueError:
        return f"{text!r} is not a number"
    return None


class NdjsonReader(TableReader):
    """One JSON object per line; the first object's keys name the columns."""

    def __init__(self, stream: IO[bytes], head: bytes, label: str, size: int | None) -> None:
        self.label = label
        self.lines = _LineBlocks(stream, head, size)
        first = self.lines.first_line
        if not first.strip():
            raise InputError(f"{label}: the input is empty")
        try:
            record = json.loads(first)
        except json.JSONDecodeError as error:
            raise InputError(f"row 1: not a JSON object ({error.msg})") from None
        if not isinstance(record, dict):
            raise InputError("row 1: not a JSON object")
        self.names = list(record)

    @property
    def bytes_read(self) -> int:
        return self.lines.read_total

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        schema = {self.names[k]: pl.Float64 for k in columns}
        row = 0
        first = self.lines.first_line + b"\n"
        for block in _chain(first, self.lines.blocks()):
            try:
                df = pl.read_ndjson(block, schema=schema)
            except pl.exceptions.PolarsError:
                raise self._locate(block, row, columns) from None
            if not allow_missing and df.null_count().row(0) != (0,) * len(columns):
                raise self._locate(block, row, columns)
            yield _frame(row, df)
            row += df.height

    def _locate(self, block: bytes, first_row: int, columns: list[int]) -> InputError:
        lines = [line for line in block.split(b"\n") if line.strip()]
        for offset, line in enumerate(lines):
            where = f"row {first_row + offset + 1}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                return InputError(f"{where}: not valid JSON ({error.msg})")
            if not isinstance(record, dict):
                return InputError(f"{where}: not a JSON object")
            for k in columns:
                name = self.names[k]
                if name not in record or record[name] is None:
                    return InputError(f"{where}, column {name!r}: missing value")
                value = record[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    return InputError(f"{where}, column {name!r}: {value!r} is not a number")
        return InputError(
            f"{self.label}: rows {first_row + 1}-{first_row + len(lines)} could not be parsed"
        )


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


# --- Parquet ----------------------------------------------------------------------------------


class ParquetReader(TableReader):
    """Parquet read in batches of rows (stdin is read whole first: Parquet needs to seek)."""

    ROWS_PER_BATCH = 1 << 20

    def __init__(self, source: Path | io.BytesIO, label: str) -> None:
        self.label = label
        self.source = source
        try:
            self.names = list(pl.scan_parquet(source).collect_schema().names())
        except pl.exceptions.PolarsError as error:
            raise InputError(
                f"{label}: not a readable Parquet file ({_first_line(error)})"
            ) from None
        if isinstance(source, io.BytesIO):
            source.seek(0)

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        names = [self.names[k] for k in columns]
        query = pl.scan_parquet(self.source).select(pl.col(n).cast(pl.Float64) for n in names)
        row = 0
        try:
            for df in query.collect_batches(chunk_size=self.ROWS_PER_BATCH):
                if not allow_missing and df.null_count().row(0) != (0,) * len(names):
                    raise self._locate(df, row, names)
                yield _frame(row, df)
                row += df.height
        except pl.exceptions.PolarsError:
            raise self._locate_text(names) from None

    def _locate(self, df: pl.DataFrame, first_row: int, names: list[str]) -> InputError:
        for name in names:
            nulls = df.get_column(name).is_null()
            if nulls.any():
                index = int(nulls.arg_true()[0])
                return InputError(f"row {first_row + index + 1}, column {name!r}: missing value")
        return InputError(f"{self.label}: unreadable rows after row {first_row}")

    def _locate_text(self, names: list[str]) -> InputError:
        if isinstance(self.source, io.BytesIO):
            self.source.seek(0)
        df = pl.read_parquet(self.source, columns=names)
        for name in names:
            column = df.get_column(name)
            bad = column.cast(pl.Float64, strict=False).is_null() & column.is_not_null()
            if bad.any():
                index = int(bad.arg_true()[0])
                return InputError(
                    f"row {index + 1}, column {name!r}: {column[index]!r} is not a number"
                )
        return InputError(f"{self.label}: columns {', '.join(names)} are not numeric")


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- column selection ---------------------------------------------------------------------------


def select_columns(spec: str, names: list[str], option: str) -> list[int]:
    """Column indices for COLS: names, 1-based indices or glob patterns, comma-separated."""
    chosen: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            raise InputError(f"{option}: empty column name in {spec!r}")
        if part in names:
            matches = [names.index(part)]
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
                raise InputError(
                    f"{option}: no column matches {part!r} (columns: {', '.join(names)})"
                )
        else:
            raise InputError(_unknown_column(part, names, option))
        chosen.extend(k for k in matches if k not in chosen)
    return chosen


def _unknown_column(name: str, names: list[str], option: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{option}: no column {name!r}{hint} (columns: {', '.join(names)})"


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
    """Apply -t/-p/--weight, or the defaults of DESIGN section 3. A loss without targets
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
            raise InputError(f"no prediction column left to use (columns: {', '.join(names)})")
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
                f"the table has {len(names)} column(s) ({', '.join(names)}); it needs a target "
                "and at least one prediction column"
            )
        t, p = free[:1], free[1:]
        note = (
            f"using column {names[t[0]]!r} as the target and "
            f"{', '.join(repr(names[k]) for k in p)} as predictions (choose with -t/-p)"
        )
    elif pred is None:
        t = select_columns(target or "", names, "--target")
        p = [k for k in range(len(names)) if k not in t and k not in reserved]
    elif target is None:
        p = select_columns(pred, names, "--pred")
        t = [k for k in range(len(names)) if k not in p and k not in reserved][:1]
    else:
        t = select_columns(target, names, "--target")
        p = select_columns(pred, names, "--pred")
    if not t or not p:
        raise InputError(
            f"no {'target' if not t else 'prediction'} column left to use "
            f"(columns: {', '.join(names)})"
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
        return "columns " + ", ".join(repr(n) for n in names)


def _matrix(vectors: list[np.ndarray], rows: int) -> np.ndarray:
    """Column vectors as one (rows, columns) matrix; a single column without a copy; no
    columns (`recommend` on a target alone) as an empty (rows, 0) matrix."""
    if not vectors:
        return np.empty((rows, 0))
    if len(vectors) == 1:
        return vectors[0].reshape(-1, 1)
    return np.column_stack(vectors)


def prefetch(frames: Iterator[Frame]) -> Iterator[Frame]:
    """Read and parse the next frame on a second thread while this one is computed.

    Polars parses and NumPy computes with the GIL released, so on two cores the reading of
    block i+1 overlaps the math on block i. At most one frame waits (memory stays bounded).
    An exception in the reader reaches the consumer at the point it would have, unchanged;
    a consumer that stops early (a closed pipe) lets the thread finish on its own.
    """
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
