"""Write a Report to stdout in the chosen format; notes and warnings go to stderr.

Machine formats are written with plain `write` calls, never through Rich: no wrapping, no
markup, no colour codes. JSON is strict: a non-finite number becomes null and a warning says so.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import replace
from typing import Any, TextIO

from losscli.render.report import Report, format_number, printable


def resolve_format(fmt: str, report: Report, stream: TextIO) -> str:
    if fmt != "auto":
        return fmt
    if stream.isatty():
        return "table"
    return "plain" if report.scalar is not None else "tsv"


def make_console(color: str = "auto", stderr: bool = False) -> Any:
    """A Rich console honouring --color; NO_COLOR, FORCE_COLOR and COLUMNS Rich reads itself.

    The flag beats the environment (as no-color.org asks): `always` colours under NO_COLOR.
    """
    from rich.console import Console

    if color == "always":
        return Console(stderr=stderr, force_terminal=True, no_color=False)
    # Piped, there is no terminal width to fill: Rich would pad and wrap to 80 columns, so
    # the width is left wide and a table takes its natural width (COLUMNS still sets one).
    piped = not (sys.stderr if stderr else sys.stdout).isatty() and "COLUMNS" not in os.environ
    width = PIPED_WIDTH if piped else None
    if color == "never":
        return Console(stderr=stderr, color_system=None, width=width)
    return Console(stderr=stderr, width=width)


# Wide enough that no table or line is cut when piped, small enough to stay cheap to lay out.
PIPED_WIDTH = 10_000


def _strict(value: Any, nonfinite: list[str], path: str) -> Any:
    """JSON-safe copy: floats that are not finite become None, and their paths are collected."""
    if isinstance(value, dict):
        return {k: _strict(v, nonfinite, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v, nonfinite, f"{path}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return _strict(value.tolist(), nonfinite, path)
    if isinstance(value, float) and not math.isfinite(value):
        nonfinite.append(f"{path} is {value!r}")
        return None
    return value


def to_json(payload: dict[str, Any]) -> str:
    nonfinite: list[str] = []
    document = _strict(payload, nonfinite, "")
    if nonfinite:
        shown = "; ".join(nonfinite[:5]) + ("; ..." if len(nonfinite) > 5 else "")
        warnings = document.setdefault("warnings", [])
        warnings.append(f"non-finite numbers are written as null: {shown}")
    return json.dumps(document, ensure_ascii=False, allow_nan=False)


def jsonl_line(record: dict[str, Any], where: str) -> str:
    """One JSONL line of several: its keys are the record's own (the TSV header, or those of
    the JSON document's records), so a non-finite number is null there and said on stderr."""
    nonfinite: list[str] = []
    line = json.dumps(_strict(record, nonfinite, ""), ensure_ascii=False, allow_nan=False)
    if nonfinite:
        from losscli.render.notes import warn_nulls

        warn_nulls(where, nonfinite[0])
    return line + "\n"


def _tsv_cell(value: Any) -> str:
    return format_number(value).replace("\t", " ").replace("\n", " ")


def emit(report: Report, fmt: str = "auto", color: str = "auto", out: TextIO | None = None) -> None:
    stream = out if out is not None else sys.stdout
    fmt = resolve_format(fmt, report, stream)
    if fmt == "json":
        stream.write(to_json({**report.payload, "warnings": list(report.warnings)}) + "\n")
        return
    from losscli.render.notes import warn

    for warning in report.warnings:
        warn(warning)  # once: a warning found while the input streamed by is written already
    if report.blocks is not None:
        from losscli.render.blocks import block_rows, write_blocks

        if fmt in ("csv", "tsv", "plain", "jsonl"):
            write_blocks(report.blocks, report.columns, fmt, stream)
            stream.flush()
            return
        report = replace(report, rows=block_rows(report.blocks), blocks=None)
    if fmt == "jsonl":
        if report.records is not None:
            for number, record in enumerate(report.payload[report.records], 1):
                stream.write(jsonl_line(dict(record), f"line {number}"))
            return
        if report.scalar is not None:
            # One number: the line is the JSON document itself, warnings included.
            stream.write(to_json({**report.payload, "warnings": list(report.warnings)}) + "\n")
            return
        for number, row in enumerate(report.rows, 1):
            record = dict(zip(report.columns, row, strict=True))
            where = f"row {row[0]}" if report.indexed else f"line {number}"
            stream.write(jsonl_line(record, where))
    elif fmt == "plain":
        if report.scalar is not None:
            stream.write(format_number(report.scalar) + "\n")
            return
        skip = 1 if report.indexed else 0
        for row in report.rows:
            stream.write("\t".join(_tsv_cell(v) for v in row[skip:]) + "\n")
    elif fmt == "tsv":
        stream.write("\t".join(_tsv_cell(printable(name)) for name in report.columns) + "\n")
        for row in report.rows:
            stream.write("\t".join(_tsv_cell(v) for v in row) + "\n")
    elif fmt == "csv":
        import csv

        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(report.columns)
        for row in report.rows:
            writer.writerow([format_number(v) for v in row])
    else:
        _table(report, color, stream)
    stream.flush()


# The terminal table shows at most this many rows (a million-row table drawn by Rich took
# 2 GB and minutes); the rest are counted and the caption says how to get them all.
TABLE_MAX_ROWS = 1000


def _table(report: Report, color: str, stream: TextIO) -> None:
    from losscli.render.fit import Column, print_fitted

    console = make_console(color)
    if stream is not sys.stdout:
        console.file = stream
    if report.human is not None:
        report.human(console)
        return
    cells: list[list[str]] = []
    hidden = 0
    for row in report.rows:
        if len(cells) >= TABLE_MAX_ROWS:
            hidden += 1  # still read: a bad row further down is still an error
            continue
        cells.append([format_number(v) for v in row])
    # On a narrow screen the rightmost columns are left out first; the first (the row's
    # name or index) and the result (`value`, the last of compute's columns) always stay.
    count = len(report.columns)
    columns = [
        Column(name, drop=0 if i == 0 or name == "value" else count - i)
        for i, name in enumerate(report.columns)
    ]
    print_fitted(console, columns, cells, title=report.title or None)
    if hidden:
        from losscli.render.notes import note

        note(
            f"the table shows the first {TABLE_MAX_ROWS} of {TABLE_MAX_ROWS + hidden} rows; "
            "-f tsv, csv or jsonl write every row"
        )
