"""Per-example output a whole batch at a time: one formatted text and one write per batch.

Every number is written in Python's shortest round-trip form (`repr(float)`), the same text
`format_number` gives one cell at a time, so the output is identical whichever path made it.
Big batches are formatted by Polars: its float-to-text (the shortest round-trip digits, like
`repr`) agrees with `repr` character for character wherever `repr` writes positional
notation (1e-4 <= |x| < 1e16, and 0); it writes exponents and NaN differently, so the few
numbers outside that range are formatted by `repr` itself and put in their places. Small
batches (inline values) are joined in Python, and never import Polars.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
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
    frame = _polars_frame(block, columns, fmt)
    _write_frame(frame, "\t" if fmt in ("tsv", "plain") else ",", stream)
    # Rows reach the reader batch by batch (and `| head` can stop us early).
    stream.flush()


def _jsonl_row(columns: Sequence[str], row: Sequence[Any]) -> str:
    from losscli.render.emit import jsonl_line

    return jsonl_line(dict(zip(columns, row, strict=True)), f"row {row[0]}")


def _joined(block: Block, columns: Sequence[str], fmt: str) -> str:
    """The block's text by Python string formatting: exact and simple, for small blocks."""
    numbers = block.row_numbers.tolist()
    cells = block.values.T.tolist()  # one list per value column
    k = len(cells)
    if fmt == "jsonl":
        names = [_braces(json.dumps(name, ensure_ascii=False)) for name in columns]
        template = "{{" + ", ".join(f"{n}: {{!r}}" for n in names) + "}}\n"
        lines = [
            template.format(*row) if all(_finite(v) for v in row[1:]) else _jsonl_row(columns, row)
            for row in zip(numbers, *cells, strict=True)
        ]
        return "".join(lines)
    separator = "," if fmt == "csv" else "\t"
    if fmt == "plain":
        return "".join(map((separator.join(["{!r}"] * k) + "\n").format, *cells))
    template = separator.join(["{}", *(["{!r}"] * k)]) + "\n"
    return "".join(map(template.format, numbers, *cells))


def _braces(text: str) -> str:
    """Literal text inside a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")


def _finite(value: Any) -> bool:
    return isinstance(value, int) or (value - value == 0)


def _polars_frame(block: Block, columns: Sequence[str], fmt: str) -> pl.DataFrame:
    """The block as columns of text for Polars to write: the text `_joined` would make."""
    import numpy as np
    import polars as pl

    texts = {
        f"c{j}": _float_texts(block.values[:, j]).alias(f"c{j}")
        for j in range(block.values.shape[1])
    }
    numbers = pl.Series("row", block.row_numbers, dtype=pl.Int64)
    if fmt == "jsonl":
        parts: list[pl.Expr] = []
        for j, name in enumerate(columns):
            key = json.dumps(name, ensure_ascii=False)
            lead = "{" if j == 0 else ", "
            value = pl.col("row").cast(pl.String) if j == 0 else pl.col(f"c{j - 1}")
            parts += [pl.lit(f"{lead}{key}: "), value]
        parts.append(pl.lit("}"))
        lines = pl.DataFrame([numbers, *texts.values()]).select(pl.concat_str(parts).alias("line"))
        bad = np.flatnonzero(~np.isfinite(block.values).all(axis=1))
        if bad.size:
            # Strict JSON: a non-finite number is written as null (said once on stderr).
            rows = block_rows([Block(block.row_numbers[bad], block.values[bad])])
            fixed = [_jsonl_row(columns, row)[:-1] for row in rows]
            lines = pl.DataFrame(
                [lines.get_column("line").scatter(bad, pl.Series(fixed, dtype=pl.String))]
            )
        return lines
    return pl.DataFrame(list(texts.values()) if fmt == "plain" else [numbers, *texts.values()])


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


def _write_frame(frame: pl.DataFrame, separator: str, stream: TextIO) -> None:
    """CSV text of the frame, straight into the stream's bytes when it has them (UTF-8):
    no Python string of the whole batch, no second encoding pass."""
    options: dict[str, Any] = {
        "include_header": False,
        "separator": separator,
        "quote_style": "never",
    }
    raw = getattr(stream, "buffer", None)
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if raw is None or encoding != "utf8":
        stream.write(frame.write_csv(**options))
        return
    stream.flush()  # what the text layer holds goes first
    sink = _Sink(raw)
    try:
        frame.write_csv(cast(IO[bytes], sink), **options)  # a file of bytes, to Polars
    except Exception:
        if sink.error is not None:
            raise sink.error from None
        raise
    raw.flush()


def _float_texts(values: np.ndarray) -> pl.Series:
    """repr() of every float of a column, as a Polars string column."""
    import numpy as np
    import polars as pl

    texts = pl.Series(values, dtype=pl.Float64).cast(pl.String)
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        positional = ((magnitude >= 1e-4) & (magnitude < 1e16)) | (values == 0)
    elsewhere = np.flatnonzero(~positional)  # tiny, huge, inf and NaN
    if elsewhere.size:
        exact = [repr(v) for v in values[elsewhere].tolist()]
        texts = texts.scatter(elsewhere, pl.Series(exact, dtype=pl.String))
    return texts
