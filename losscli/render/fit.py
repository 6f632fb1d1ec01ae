"""Fit a terminal table to the screen without ever cutting or wrapping a number.

A number cell is kept on one line at its full width. When the table's minimum width is more
than the screen's, a one-row table turns into a vertical key/value list, and a table of more
rows leaves out its least important columns and says which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.render.report import printable

# A cell that is a number as losscli prints one: 0.1, -3, 1e-05, inf, nan, 85.3%.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?|inf|nan)%?", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Column:
    """One column of a fitted table.

    `drop`: the order in which the column is left out on a narrow screen (1 first, 2 next,
    ...); 0 means it is always shown. `ellipsis`: free text cut to one line with "…" (never
    a number); otherwise long text folds onto more lines.
    """

    header: str
    drop: int = 0
    justify: str = "left"
    style: str | None = None
    ellipsis: bool = False


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def unbreakable_width(text: str) -> int:
    """The width a cell must have so that no number in it is split: a whole number cell, or
    the longest word of a text that holds a digit (0 when nothing in it is a number)."""
    if is_number(text):
        return len(text)
    return max((len(word) for word in text.split() if _DIGIT.search(word)), default=0)


def _words_width(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(word) for word in text.split()), default=0)


def _widths(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    show_header: bool,
    boxed: bool = True,
) -> list[int] | None:
    """Each column's text width so that the table fits `width` cells with no word and no
    number split, or None when it cannot. Rich's own layout squeezes columns below their
    longest word (and, when nothing else gives, below a number), so the widths are set here."""
    from rich.cells import cell_len

    # A boxed table: a border either side and between the columns, one space padding each side;
    # without a box, two spaces between the columns.
    if boxed:
        available = width - (len(columns) + 1) - 2 * len(columns)
    else:
        available = width - 2 * (len(columns) - 1)
    least: list[int] = []
    most: list[int] = []
    for index, column in enumerate(columns):
        cells = [printable(row[index]) for row in rows]
        header = printable(column.header) if show_header else ""
        if column.ellipsis:  # free text: its header and "…" are enough
            low = max(_words_width(header), 1)
        else:
            low = max([_words_width(header), *(_words_width(c) for c in cells)])
        least.append(max(low, 1))
        most.append(max([cell_len(header), *(cell_len(c) for c in cells), low]))
    if sum(least) > available:
        return None
    slack = available - sum(least)
    wanted = [high - low for low, high in zip(least, most, strict=True)]
    if sum(wanted) <= slack:
        return most
    return [low + want * slack // sum(wanted) for low, want in zip(least, wanted, strict=True)]


def _build(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int] | None,
    title: str | None,
    caption: str | None,
    header_style: str | None,
    show_header: bool = True,
    boxed: bool = True,
) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(printable(title)) if title else None,
        title_justify="left",
        caption=Text(printable(caption)) if caption else None,
        header_style=header_style,
        show_header=show_header,
    )
    if not boxed:
        table.box = None
        table.pad_edge = False
    for index, column in enumerate(columns):
        # Right-aligned when every cell is a number or a placeholder for none ("", "-").
        numeric = all(is_number(row[index]) or row[index] in ("", "-") for row in rows) and any(
            is_number(row[index]) for row in rows
        )
        table.add_column(
            Text(printable(column.header)),
            justify="right" if numeric and column.justify == "left" else column.justify,  # type: ignore[arg-type]
            style=column.style,
            no_wrap=column.ellipsis,
            overflow="ellipsis" if column.ellipsis else "fold",
            width=None if widths is None else widths[index],
        )
    for row in rows:
        # Text, not str: cells such as "-log(p[y])" must not be read as Rich markup.
        table.add_row(*(Text(printable(cell)) for cell in row))
    return table


def print_fitted(
    console: Any,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    caption: str | None = None,
    header_style: str | None = None,
) -> None:
    """Print `rows` (cells already formatted as text) as a table that fits `console.width`."""
    from rich.text import Text

    width = console.width
    widths = _widths(columns, rows, width, show_header=True)
    if widths is not None:
        console.print(_build(columns, rows, widths, title, caption, header_style))
        return
    if len(rows) == 1 and len(columns) > 1:
        # One record: a vertical list of key and value.
        keys = [Column("key", style="bold"), Column("value")]
        pairs = [[column.header, cell] for column, cell in zip(columns, rows[0], strict=True)]
        boxed = _widths(keys, pairs, width, show_header=False) is not None
        pair_widths = _widths(keys, pairs, width, show_header=False, boxed=boxed)
        console.print(
            _build(keys, pairs, pair_widths, title, caption, None, show_header=False, boxed=boxed)
        )
        return
    # Leave out columns in their declared order until the rest fits; a column declared
    # never-dropped stays even when nothing else is left (Rich then does what it can).
    order = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop)
    kept = list(range(len(columns)))
    left_out: list[int] = []
    for _drop, index in order:
        kept.remove(index)
        left_out.append(index)
        widths = _widths(
            [columns[i] for i in kept], [[r[i] for i in kept] for r in rows], width, True
        )
        if widths is not None:
            break
    console.print(
        _build(
            [columns[i] for i in kept],
            [[row[i] for i in kept] for row in rows],
            widths,
            title,
            caption,
            header_style,
        )
    )
    names = ", ".join(printable(columns[i].header) for i in left_out)
    console.print(
        Text(f"(columns left out at this width: {names}; -f tsv shows them all)", style="dim")
    )
