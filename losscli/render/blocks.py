"""Per-example output a whole batch at a time: one formatted text and one write per batch.

Floats are written as Polars' writers write them, the fastest exact float-to-text at hand:
the shortest digits that parse back to the same float64 (the digits of Python's `repr`),
positional for 1e-5 <= |x| < 1e16 (`0.00001`, `0.000015`, `1.0`, `-0.0`) and with an
unpadded exponent elsewhere (`1e-7`, `2.5e-10`, `1e+16`, `5e-324`). Not-a-number and the
infinities are `nan`, `inf` and `-inf` (Polars says `NaN`: those cells are put in by hand),
and `null` in JSON lines. Big blocks go to Polars' `write_csv` / `write_ndjson` as float
columns; small blocks (inline values) are joined in Python with the same spelling
(`shortest`) and never import Polars, so the text does not depend on the batch size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from losscli.render.report import printable

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

# Below this many rows a batch is joined in Python (no Polars import for a handful of rows).
POLARS_FROM_ROWS = 2048


@dataclass(frozen=True)
class Block:
    """Consecutive output rows: their 1-based input row numbers and an (n, k) float64 array,
    one column per value column of the report."""

    row_numbers: np.ndarray
    values: np.ndarray


def block_rows(blocks: Iterable[Block]) -> Iterator[tuple[Any, ...]]:
    """The same rows one tuple at a time (for the terminal table and JSON documents)."""
    for block in blocks:
        for number, row in zip(block.row_numbers.tolist(), block.values.tolist(), strict=True):
            yield (number, *row)


def shortest(value: float) -> str:
    """A float as the block writer spells it (Polars' spelling of repr's digits)."""
    text = repr(value)
    if "e" not in text:
        return text  # positional, inf, nan: as repr
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power == -5:  # 1e-5 <= |x| < 1e-4: positional (repr: 1.5e-05; Polars: 0.000015)
        sign = "-" if mantissa.startswith("-") else ""
        return f"{sign}0.0000{mantissa.lstrip('-').replace('.', '')}"
    return f"{mantissa}e{'+' if power > 0 else ''}{power}"  # 1e-07 -> 1e-7; 1e+16 as is


def write_blocks(blocks: Iterable[Block], columns: Sequence[str], fmt: str, stream: TextIO) -> None:
    """Write the header (if the format has one), then each block with one write."""
    if fmt == "csv":
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(columns)
        stream.write(header.getvalue())
    elif fmt == "tsv":
        # A column name may hold a tab, a line end or an escape sequence: shown escaped.
        stream.write("\t".join(printable(name) for name in columns) + "\n")
    # A big block is formatted and written on a second thread while this one reads and
    # computes the next (Polars and NumPy release the GIL), one block ahead at most: the
    # blocks are written in order, and before an error of a later block is raised the rows
    # already computed are written (and a closed pipe stops the reading at the next block).
    writer: ThreadPoolExecutor | None = None
    pending: Future[None] | None = None
    try:
        for block in blocks:
            if pending is not None:
                done, pending = pending, None
                done.result()
            if block.values.shape[0] == 0:
                continue
            if block.values.shape[0] < POLARS_FROM_ROWS:
                stream.write(_joined(block, columns, fmt))
                stream.flush()
                continue
            if writer is None:
                writer = ThreadPoolExecutor(1, thread_name_prefix="losscli-writer")
            pending = writer.submit(_write_block, block, columns, fmt, stream)
    finally:
        try:
            if pending is not None:
                done, pending = pending, None
                done.result()
        finally:
            if writer is not None:
                writer.shutdown()


def _write_block(block: Block, columns: Sequence[str], fmt: str, stream: TextIO) -> None:
    """One big block by Polars' writers, straight from its float columns."""
    import numpy as np
    import polars as pl

    values = np.asarray(block.values, dtype=np.float64)
    finite = np.isfinite(values)
    numbers = pl.Series("row", block.row_numbers, dtype=pl.Int64)
    if fmt == "jsonl":
        if len(set(columns)) < len(columns):  # a frame's names are unique; these are not
            stream.write(_joined(block, columns, fmt))
            stream.flush()
            return
        if not finite.all():
            _warn_first_null(block, columns, finite)
        floats = [pl.Series(name, values[:, j]) for j, name in enumerate(columns[1:])]
        frame = pl.DataFrame([numbers.alias(columns[0]), *floats])
        _write_frame(stream, frame.write_ndjson, frame.write_ndjson)
        return
    cells = [_column(values[:, j], finite[:, j], f"c{j}") for j in range(values.shape[1])]
    frame = pl.DataFrame(cells if fmt == "plain" else [numbers, *cells])
    options: dict[str, Any] = {
        "include_header": False,
        "separator": "," if fmt == "csv" else "\t",
        "quote_style": "never",
    }
    _write_frame(
        stream,
        lambda: frame.write_csv(**options),
        lambda target: frame.write_csv(target, **options),
    )


def _column(values: np.ndarray, finite: np.ndarray, name: str) -> pl.Series:
    """One value column for write_csv: floats, or text where a cell is nan or +-inf."""
    import numpy as np
    import polars as pl

    column = pl.Series(name, values)
    if finite.all():
        return column
    bad = np.flatnonzero(~finite)
    spelled = pl.Series([repr(v) for v in values[bad].tolist()], dtype=pl.String)
    return column.cast(pl.String).scatter(bad, spelled)


def _warn_first_null(block: Block, columns: Sequence[str], finite: np.ndarray) -> None:
    """JSON has no nan or inf: the first is said on stderr (the line holds null)."""
    import numpy as np

    from losscli.render.notes import warn_nulls

    row, column = divmod(int(np.argmin(finite.ravel())), finite.shape[1])
    value = float(block.values[row, column])
    warn_nulls(f"row {int(block.row_numbers[row])}", f"{columns[column + 1]} is {value!r}")


def _joined(block: Block, columns: Sequence[str], fmt: str) -> str:
    """The block's text by Python string formatting, for small blocks: the same text the
    Polars writers give."""
    numbers = [str(n) for n in block.row_numbers.tolist()]
    cells = [list(map(shortest, column)) for column in block.values.T.tolist()]
    if fmt == "jsonl":
        keys = [json.dumps(name, ensure_ascii=False) for name in columns]
        lines = []
        for number, *row in zip(numbers, *cells, strict=True):
            for j, text in enumerate(row):
                if text in ("nan", "inf", "-inf"):
                    _warn_null_cell(number, columns[j + 1], text)
                    row[j] = "null"
            pairs = (f"{key}:{text}" for key, text in zip(keys, [number, *row], strict=True))
            lines.append("{" + ",".join(pairs) + "}\n")
        return "".join(lines)
    separator = "," if fmt == "csv" else "\t"
    rows = zip(*cells, strict=True) if fmt == "plain" else zip(numbers, *cells, strict=True)
    return "".join(separator.join(row) + "\n" for row in rows)


def _warn_null_cell(number: str, column: str, text: str) -> None:
    from losscli.render.notes import warn_nulls

    warn_nulls(f"row {number}", f"{column} is {text}")


class _Sink:
    """The binary stream under stdout, as Polars writes to it; keeps the error (a reader
    that went away: BrokenPipeError) that Polars would turn into a plain OSError."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.error: BaseException | None = None

    def write(self, data: Any) -> Any:
        try:
            return self.raw.write(data)
        except BaseException as error:
            self.error = error
            raise

    def flush(self) -> None:
        self.raw.flush()


def _write_frame(
    stream: TextIO, as_text: Callable[[], str], into: Callable[[IO[bytes]], None]
) -> None:
    """A frame's text (`as_text`), or written by Polars straight into the stream's bytes
    (`into`) when it has them (UTF-8): no Python string of the whole batch, no second
    encoding pass. Then flushed: rows reach the reader batch by batch (and `| head` can
    stop us early)."""
    raw = getattr(stream, "buffer", None)
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if raw is None or encoding != "utf8":
        stream.write(as_text())
        stream.flush()
        return
    stream.flush()  # what the text layer holds goes first
    sink = _Sink(raw)
    try:
        into(cast(IO[bytes], sink))  # a file of bytes, to Polars
    except Exception:
        if sink.error is not None:
            raise sink.error from None
        raise
    raw.flush()
