"""Many files as one table: FILE... may be several files, a glob or a directory (a dataset,
Hive-style `key=value/` folders giving columns), local or remote (fsspec URLs).

Each file is read by the same readers as a single table (inputs/table.py); a partition folder's
`key=value` adds a column `key` whose value is the same on every row of the files under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# The files FILE... names are found in inputs/paths.py (no Polars there); named here too.
from losscli.inputs.paths import EXTENSIONS, is_remote
from losscli.inputs.paths import GLOB_CHARS as GLOB_CHARS
from losscli.inputs.paths import DataFile as DataFile
from losscli.inputs.paths import expand as expand
from losscli.inputs.source import Batch, InputError
from losscli.inputs.table import Frame, TableReader, open_table


def open_file(data_file: DataFile, **options: object) -> TableReader:
    """The reader of one file of a dataset, with its partition columns."""
    path = data_file.path
    if is_remote(path):
        reader = _open_remote(path, **options)
    else:
        reader = open_table(path, **options)  # type: ignore[arg-type]
    if not data_file.partitions:
        return reader
    return PartitionedReader(reader, data_file.partitions)


def _open_remote(path: str, **options: object) -> TableReader:
    import fsspec

    try:
        stream = fsspec.open(path, "rb").open()
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be read ({error})") from None
    if options.get("input_format") is None:
        options = {**options, "input_format": EXTENSIONS.get(Path(path).suffix.lower())}
    reader = open_table("-", stdin=stream, **options)  # type: ignore[arg-type]
    reader.label = path
    reader.opened = stream
    return reader


class PartitionedReader(TableReader):
    """A file's own columns, then the partition columns its folders name (each value the same
    on every row; it must be a number when a loss reads it)."""

    def __init__(self, reader: TableReader, partitions: dict[str, str]) -> None:
        self.reader = reader
        self.label = reader.label
        self.size = reader.size
        self.opened = None
        self.partitions = {k: v for k, v in partitions.items() if k not in reader.names}
        self.names = [*reader.names, *self.partitions]

    @property
    def bytes_read(self) -> int:
        return self.reader.bytes_read

    def close(self) -> None:
        self.reader.close()

    def frames(self, columns: list[int], *, allow_missing: bool = False) -> Iterator[Frame]:
        own = len(self.reader.names)
        inner = [k for k in columns if k < own]
        constants = {}
        for k in columns:
            if k >= own:
                key = self.names[k]
                try:
                    constants[k] = float(self.partitions[key])
                except ValueError:
                    raise InputError(
                        f"{self.label}: partition column {key!r}: {self.partitions[key]!r} "
                        "is not a number"
                    ) from None
        frames = self.reader.frames(inner or [0], allow_missing=allow_missing)
        for frame in frames:
            rows = frame.columns[0].shape[0]
            by_index = dict(zip(inner, frame.columns, strict=False))
            yield Frame(
                frame.first_row,
                [by_index[k] if k in by_index else np.full(rows, constants[k]) for k in columns],
            )


class ChainedSource:
    """Several tables read one after another as one source, in file order (for the commands
    that print a row per example: grad, compute --reduction none). Rows are numbered through
    the whole chain, as in the tables' concatenation; a place in an error is named by its
    file and its row within that file."""

    def __init__(self, files: list[DataFile], open_one: Any) -> None:
        self.files = files
        self.open_one = open_one  # DataFile -> TableSource
        self.first = open_one(files[0])
        self.target_names = self.first.target_names
        self.pred_names = self.first.pred_names
        self.weight_name = self.first.weight_name
        self.pred_width = self.first.pred_width
        self.selection = self.first.selection
        self.skipped = 0
        self.starts: list[tuple[int, str]] = []  # (first row in the chain, path)

    def batches(self) -> Iterator[Batch]:
        offset = 0
        for k, data_file in enumerate(self.files):
            try:
                source = self.first if k == 0 else self.open_one(data_file)
            except InputError as error:
                raise InputError(_in_file(data_file.path, str(error))) from None
            names = (source.target_names, source.pred_names, source.weight_name)
            if names != (self.target_names, self.pred_names, self.weight_name):
                raise InputError(
                    f"{data_file.path}: another schema: its columns {names} are not "
                    f"{self.files[0].path}'s {(self.target_names, self.pred_names)}"
                )
            self.starts.append((offset, data_file.path))
            end = offset
            try:
                for batch in source.batches():
                    n = batch.y_pred.shape[0]
                    index = None if batch.row_index is None else batch.row_index + offset
                    last = batch.first_row + n if index is None else int(batch.row_index[-1]) + 1
                    end = max(end, offset + last)
                    yield Batch(
                        batch.y_true, batch.y_pred, batch.weights, batch.first_row + offset, index
                    )
            except InputError as error:
                raise InputError(_in_file(data_file.path, str(error))) from None
            self.skipped += source.skipped
            offset = end

    def row_name(self, row: int) -> str:
        start, path = next(
            ((s, p) for s, p in reversed(self.starts) if s <= row), (0, self.files[0].path)
        )
        return f"{path}: row {row - start + 1}"

    def column_name(self, side: str, column: int | None) -> str:
        return str(self.first.column_name(side, column))


def _in_file(path: str, message: str) -> str:
    return message if message.startswith(f"{path}:") else f"{path}: {message}"
